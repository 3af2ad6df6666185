//! `UpsertBucket`: the wandb client creates and updates its run with this one
//! mutation, found by storage id or by (entity, project, name).

use sea_orm::{DatabaseTransaction, Set};
use serde_json::{Map, Value};

use app::logic::validate;
use app::model::RunState;

use crate::db::entities::{entity, project, run, user};
use crate::db::now_ms;
use crate::db::repo::{projects, run_wandb, runs};
use crate::error::ApiError;
use crate::service::ops;

use super::gql::Args;
use super::ids;
use super::wire::{parse_lenient, split_config, tidy_label, visible_summary, DEFAULT_PROJECT};

/// A run with the project and entity it lives in.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub run: run::Model,
    pub project: project::Model,
    pub entity: entity::Model,
}

/// The run a storage id names, if the user may write to its project.
async fn run_by_storage_id(
    tx: &DatabaseTransaction,
    user: &user::Model,
    id: &str,
) -> Result<Option<RunRow>, ApiError> {
    let Some(pk) = ids::parse_keyed("Run", id) else {
        return Ok(None);
    };
    // A deleted run is gone for the wandb client too, like a lookup by name.
    let Some(run) = runs::find_live_by_pk(tx, pk).await? else {
        return Ok(None);
    };
    let project = projects::project_by_id(tx, run.project_id)
        .await?
        .ok_or_else(|| ApiError::Internal("a run's project is missing".into()))?;
    let owner = projects::find_entity_by_id(tx, project.entity_id)
        .await?
        .ok_or_else(|| ApiError::Internal("a project's entity is missing".into()))?;
    // A run in a project the caller cannot see (or a deleted one) is refused without
    // naming anything about it: storage ids are sequential, so they can be guessed.
    if project.deleted_at.is_some()
        || crate::auth::access::project_access(tx, Some(user), &project, &owner).await?
            == crate::auth::access::Access::None
    {
        return Err(ApiError::NotFound("run not found".into()));
    }
    // The same write check as for a lookup by name.
    let (project, entity) =
        ops::writable_project(tx, user, Some(&owner.name), &project.name, false).await?;
    Ok(Some(RunRow {
        run,
        project,
        entity,
    }))
}

/// `UpsertBucket`: create or update a run. The run is found by its storage id when
/// given, otherwise by (entity or the caller's own, project, name); missing entity,
/// project and run are created. `null` inputs leave fields unchanged; `config` and
/// `tags` replace what is stored (the client always sends them whole).
pub async fn upsert_bucket(
    db: &sea_orm::DatabaseConnection,
    user: &user::Model,
    input: &Args,
) -> Result<(RunRow, bool), ApiError> {
    match upsert_once(db, user, input).await {
        Err(e) if crate::db::write::is_unique_violation(&e) => upsert_once(db, user, input).await,
        other => other,
    }
}

async fn upsert_once(
    db: &sea_orm::DatabaseConnection,
    user: &user::Model,
    input: &Args,
) -> Result<(RunRow, bool), ApiError> {
    let name = input.str("name");
    if let Some(n) = name {
        validate::run_id(n)?;
    }
    let entity_name = input.str("entityName");
    if let Some(e) = entity_name {
        validate::entity_name(e)?;
    }
    let project_name = input.str("modelName").unwrap_or(DEFAULT_PROJECT);
    validate::entity_or_project_name("project", project_name)?;
    // Labels are tidied rather than refused: a refused upsert fails `wandb.init` for
    // good (the client does not retry), over a group name that is too long.
    let display = tidy_label(input.str("displayName"));
    let group = tidy_label(input.str("groupName"));
    let job_type = tidy_label(input.str("jobType"));
    let host = tidy_label(input.str("host"));
    let commit = tidy_label(input.str("commit"));
    let tags: Option<Vec<String>> = input
        .strings("tags")
        .map(|t| t.iter().filter_map(|t| tidy_label(Some(t))).collect());
    let config = match input.str("config") {
        Some(text) => match parse_lenient(text) {
            Ok(Value::Object(o)) => Some(o),
            _ => {
                return Err(ApiError::Unprocessable(
                    "config must be a JSON object encoded as a string".into(),
                ))
            }
        },
        None => None,
    };
    let summary = match input.str("summaryMetrics") {
        Some(text) => match parse_lenient(text) {
            Ok(Value::Object(o)) => Some(o),
            _ => {
                return Err(ApiError::Unprocessable(
                    "summaryMetrics must be a JSON object encoded as a string".into(),
                ))
            }
        },
        None => None,
    };

    let (tx, _turn) = crate::db::write::begin(db).await?;
    let now = now_ms();
    let by_id = match input.str("id") {
        Some(id) => run_by_storage_id(&tx, user, id).await?,
        None => None,
    };
    // A run an agent started names its sweep: it belongs to the sweep's project,
    // whatever project the script asked for (the client ignores it in a sweep too).
    let sweep = match input.str("sweep").filter(|s| !s.trim().is_empty()) {
        Some(s) => crate::service::sweeps::join_target(&tx, user, entity_name, s).await?,
        None => None,
    };
    let (project, owner, existing) = match by_id {
        Some(row) => (row.project, row.entity, Some(row.run)),
        None => {
            let (project, owner) = match &sweep {
                Some(f) => (f.project.clone(), f.entity.clone()),
                None => ops::writable_project(&tx, user, entity_name, project_name, true).await?,
            };
            let existing = match name {
                Some(n) => runs::find_run_any(&tx, project.id, n).await?,
                None => None,
            };
            (project, owner, existing)
        }
    };
    if let Some(r) = &existing {
        if r.deleted_at.is_some() {
            return Err(ApiError::Unprocessable(format!(
                "run {:?} was deleted; restore it or use another id",
                r.run_id
            )));
        }
    }
    let inserted = existing.is_none();
    let state_before = existing
        .as_ref()
        .map(|r| r.state.clone())
        .unwrap_or_default();
    let mut active: run::ActiveModel = match existing {
        Some(r) => {
            // A run created ahead for a sweep's agent starts now.
            let pending = r.state == RunState::Pending.as_str();
            let mut active: run::ActiveModel = r.into();
            if pending {
                active.state = Set(RunState::Running.as_str().to_owned());
                active.created_at = Set(now);
            }
            active
        }
        None => ops::new_run(&tx, project.id, name, user.id, now).await?,
    };
    if let Some(v) = display {
        active.display_name = Set(v);
    }
    if let Some(v) = input.str("notes").or(input.str("description")) {
        active.notes = Set(v.to_owned());
    }
    if let Some(v) = group {
        active.group_name = Set(Some(v));
    }
    if let Some(v) = job_type {
        active.job_type = Set(Some(v));
    }
    if let Some(v) = &tags {
        active.tags = Set(ops::to_json(v)?);
    }
    if let Some(v) = host {
        active.host = Set(Some(v));
    }
    if let Some(v) = commit {
        active.git_commit = Set(Some(v));
    }
    let mut meta = None;
    if let Some(c) = &config {
        let (plain, m) = split_config(c);
        active.config = Set(ops::to_json(&plain)?);
        meta = m;
    }
    active.heartbeat_at = Set(now);
    let run = if inserted {
        runs::insert(&tx, active).await?
    } else {
        runs::update(&tx, active).await?
    };
    crate::service::automations::events::run_state(&tx, &run, &state_before).await?;

    // The wandb-only row: `_wandb` config block, program, summary merges.
    let old = run_wandb::find(&tx, run.id).await?;
    let mut row = old.clone().unwrap_or_else(|| run_wandb::empty(run.id));
    if let Some(m) = meta {
        row.wandb_config = m.to_string();
    }
    if let Some(p) = input.str("jobProgram") {
        row.program = Some(p.to_owned());
    }
    let run = match summary {
        Some(update) => {
            let mut whole: Map<String, Value> = row
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            whole.extend(update);
            row.summary = Some(Value::Object(whole.clone()).to_string());
            let mut active: run::ActiveModel = run.into();
            active.summary_explicit = Set(ops::to_json(&visible_summary(&whole))?);
            // Through the repository, which keeps `run_fields` (the Runs tab's
            // filterable values) in step with the summary.
            runs::update(&tx, active).await?
        }
        None => run,
    };
    if old.as_ref() != Some(&row) {
        run_wandb::save(&tx, row).await?;
    }
    if let Some(f) = &sweep {
        crate::service::sweeps::join_run(&tx, f, &run, now).await?;
    }
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    Ok((
        RunRow {
            run,
            project,
            entity: owner,
        },
        inserted,
    ))
}
