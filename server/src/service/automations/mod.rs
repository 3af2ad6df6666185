//! Automations: one service behind the Automations tab's server functions and
//! `/api/v1/automations/…`. Events are recorded by the write paths ([`events`]), turned
//! into executions and delivered by the worker ([`deliver`]) through a guarded HTTP
//! client ([`http`]); webhooks may use the entity's sealed [`secrets`].
//!
//! Access: the project's admins (those who administer its team or user) create,
//! edit, test and delete automations and set secrets; its writers read the list and
//! the history; readers are told so; everyone else gets 404.

use regex::Regex;
use sea_orm::{ConnectionTrait, DatabaseConnection, Set};
use serde_json::{Map, Value};

use app::logic::automations as logic;
use app::model::{
    Action, AutomationHistory, AutomationSpec, AutomationView, AutomationsIndex, ExecutionStatus,
    ExecutionView, HistoryQuery, HistorySort, LastExecution, ProjectRef, Trigger, HISTORY_PAGE,
    WATCHED_RUN_STATES,
};

pub mod deliver;
pub mod events;
pub mod http;
pub mod secrets;

pub use deliver::Delivery;
pub use secrets::SecretKey;

use crate::auth::access::Access;
use crate::db::entities::{automation, automation_execution, entity, project, user};
use crate::db::now_ms;
use crate::db::repo::{automations as repo, users};
use crate::db::write::{begin, is_unique_violation};
use crate::error::ApiError;
use crate::service::reads::readable_project_rights;

/// A regex of a filter, size-limited.
pub fn regex(r: &str) -> Result<Regex, ApiError> {
    regex::RegexBuilder::new(r)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| ApiError::Unprocessable(format!("regex {r:?}: {e}")))
}

/// The project at `at`, for one who administers it (creates and edits automations).
pub(crate) async fn administered(
    db: &impl ConnectionTrait,
    user: &user::Model,
    at: &ProjectRef,
) -> Result<(project::Model, entity::Model), ApiError> {
    let (project, owner, rights) = readable_project_rights(db, Some(user), at).await?;
    if !rights.manages {
        return Err(ApiError::Forbidden(format!(
            "only the admins of {} may change its automations and secrets",
            at.entity
        )));
    }
    Ok((project, owner))
}

/// The project at `at`, for one who may write to it (reads automations and their
/// history), and whether they administer it.
async fn written(
    db: &impl ConnectionTrait,
    user: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<(project::Model, entity::Model, bool), ApiError> {
    let (project, owner, rights) = readable_project_rights(db, user, at).await?;
    if rights.access != Access::Write {
        return Err(ApiError::Forbidden(
            "automations and their history are visible to the project's writers".into(),
        ));
    }
    Ok((project, owner, rights.manages))
}

/// Check an automation before saving it; the secrets it names must exist.
pub fn check(spec: &AutomationSpec, secret_names: &[String]) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::Unprocessable(m));
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return bad("the name must be 1 to 100 characters".into());
    }
    if spec.description.chars().count() > 2000 {
        return bad("the description is longer than 2,000 characters".into());
    }
    let re = |r: &Option<String>| -> Result<(), ApiError> {
        match r.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => regex(r).map(|_| ()),
            None => Ok(()),
        }
    };
    if let Some(f) = spec.trigger.run_filter() {
        re(&f.name_regex)?;
    }
    let metric_name = |m: &str| -> Result<(), ApiError> {
        if m.trim().is_empty() {
            return bad("name the metric to watch".into());
        }
        app::logic::validate::metric_key(m).map_err(|e| ApiError::Unprocessable(e.to_string()))
    };
    let window = |what: &str, n: u32| -> Result<(), ApiError> {
        if n == 0 || n > logic::MAX_WINDOW {
            return bad(format!("{what} must be 1 to {}", logic::MAX_WINDOW));
        }
        Ok(())
    };
    match &spec.trigger {
        Trigger::ArtifactCreated {
            collection_regex, ..
        } => re(collection_regex)?,
        Trigger::AliasAdded {
            alias_regex,
            collection_regex,
        } => {
            re(alias_regex)?;
            re(collection_regex)?;
        }
        Trigger::TagAdded {
            tag_regex,
            collection_regex,
        } => {
            re(tag_regex)?;
            re(collection_regex)?;
        }
        Trigger::RunState { states, .. } => {
            if states.is_empty() {
                return bad("pick at least one run state".into());
            }
            if let Some(s) = states
                .iter()
                .find(|s| !WATCHED_RUN_STATES.contains(&s.as_str()))
            {
                return bad(format!(
                    "run state {s:?} cannot trigger; use {}",
                    WATCHED_RUN_STATES.join(", ")
                ));
            }
        }
        Trigger::RunMetric {
            metric,
            window: w,
            threshold,
            ..
        } => {
            metric_name(metric)?;
            window("the window", *w)?;
            if !threshold.is_finite() {
                return bad("the threshold must be a number".into());
            }
        }
        Trigger::RunMetricChange {
            metric,
            current_window,
            prior_window,
            amount,
            ..
        } => {
            metric_name(metric)?;
            window("the current window", *current_window)?;
            window("the prior window", *prior_window)?;
            if !amount.is_finite() || *amount <= 0.0 {
                return bad("the change must be a number above 0".into());
            }
        }
        Trigger::SweepFinished { .. } | Trigger::SweepBestRun { .. } | Trigger::RunAlert { .. } => {
        }
    }
    http::check_url(spec.action.url()).map_err(ApiError::Unprocessable)?;
    let is_secret = |n: &str| secret_names.iter().any(|s| s == n);
    match &spec.action {
        Action::Webhook {
            payload,
            token_secret,
            signing_secret,
            ..
        } => {
            logic::check_payload(payload, &is_secret).map_err(ApiError::Unprocessable)?;
            for (what, s) in [("token", token_secret), ("signing", signing_secret)] {
                if let Some(s) = s.as_deref().filter(|s| !s.is_empty()) {
                    if !is_secret(s) {
                        return bad(format!(
                            "the {what} secret {s} is not set for this team or user; add it under Secrets first"
                        ));
                    }
                }
            }
        }
        Action::Slack { message, .. } | Action::Discord { message, .. } => {
            if message.trim().is_empty() || message.chars().count() > 4000 {
                return bad("the message must be 1 to 4,000 characters".into());
            }
            logic::check_variables(message, &is_secret).map_err(ApiError::Unprocessable)?;
        }
    }
    Ok(())
}

fn to_json(v: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(|e| ApiError::Internal(format!("could not encode JSON: {e}")))
}

fn spec_of(row: &automation::Model) -> Result<AutomationSpec, ApiError> {
    let bad = |e: serde_json::Error| {
        ApiError::Internal(format!(
            "automation {}: stored spec unreadable: {e}",
            row.id
        ))
    };
    Ok(AutomationSpec {
        name: row.name.clone(),
        description: row.description.clone(),
        enabled: row.enabled,
        trigger: serde_json::from_str(&row.trigger_spec).map_err(bad)?,
        action: serde_json::from_str(&row.action_spec).map_err(bad)?,
    })
}

async fn view_of(
    db: &impl ConnectionTrait,
    row: &automation::Model,
    last: Option<&(automation_execution::Model, u64)>,
) -> Result<AutomationView, ApiError> {
    let created_by = match row.created_by {
        Some(id) => users::find_by_id(db, id).await?.map(|u| u.username),
        None => None,
    };
    Ok(AutomationView {
        id: row.id,
        spec: spec_of(row)?,
        created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        last: last.map(|(e, _)| LastExecution {
            at: e.updated_at,
            status: ExecutionStatus::parse(&e.status).unwrap_or(ExecutionStatus::Pending),
            response_status: e.response_status.map(|s| s as u16),
        }),
        executions: last.map(|(_, n)| *n).unwrap_or(0),
    })
}

async fn secret_names(db: &impl ConnectionTrait, entity_id: i32) -> Result<Vec<String>, ApiError> {
    Ok(repo::secrets(db, entity_id)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect())
}

/// The Automations tab.
pub async fn index(
    db: &DatabaseConnection,
    user: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<AutomationsIndex, ApiError> {
    let (project, owner, manages) = written(db, user, at).await?;
    let rows = repo::list(db, project.id).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let lasts = repo::last_executions(db, &ids).await?;
    let mut automations = Vec::with_capacity(rows.len());
    for r in &rows {
        let last = lasts.iter().find(|(e, _)| e.automation_id == r.id);
        automations.push(view_of(db, r, last).await?);
    }
    Ok(AutomationsIndex {
        project: ProjectRef::new(owner.name.clone(), project.name.clone()),
        automations,
        can_edit: manages,
        secrets: secrets::list(db, owner.id).await?,
    })
}

/// One automation.
pub async fn get(
    db: &DatabaseConnection,
    user: Option<&user::Model>,
    at: &ProjectRef,
    id: i32,
) -> Result<AutomationView, ApiError> {
    let (project, _owner, _) = written(db, user, at).await?;
    let row = repo::find(db, project.id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let last = repo::last_executions(db, &[row.id]).await?;
    view_of(db, &row, last.first()).await
}

fn not_found(id: i32) -> ApiError {
    ApiError::NotFound(format!("automation {id} not found"))
}

/// Create an automation.
pub async fn create(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    spec: AutomationSpec,
) -> Result<AutomationView, ApiError> {
    save(db, user, at, None, spec).await
}

/// Replace an automation's spec.
pub async fn update(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    id: i32,
    spec: AutomationSpec,
) -> Result<AutomationView, ApiError> {
    save(db, user, at, Some(id), spec).await
}

async fn save(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    id: Option<i32>,
    mut spec: AutomationSpec,
) -> Result<AutomationView, ApiError> {
    spec.name = spec.name.trim().to_owned();
    let (tx, _turn) = begin(db).await?;
    let (project, owner) = administered(&tx, user, at).await?;
    check(&spec, &secret_names(&tx, owner.id).await?)?;
    let now = now_ms();
    let fields = |row: &mut automation::ActiveModel| -> Result<(), ApiError> {
        row.name = Set(spec.name.clone());
        row.description = Set(spec.description.clone());
        row.enabled = Set(spec.enabled);
        row.event = Set(spec.trigger.kind().to_owned());
        row.trigger_spec = Set(to_json(&spec.trigger)?);
        row.action_spec = Set(to_json(&spec.action)?);
        row.updated_at = Set(now);
        Ok(())
    };
    let saved = match id {
        None => {
            let mut row = automation::ActiveModel {
                project_id: Set(project.id),
                created_by: Set(Some(user.id)),
                created_at: Set(now),
                ..Default::default()
            };
            fields(&mut row)?;
            repo::insert(&tx, row).await
        }
        Some(id) => {
            let old = repo::find(&tx, project.id, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            let mut row: automation::ActiveModel = old.into();
            fields(&mut row)?;
            repo::update(&tx, row).await
        }
    };
    let saved = match saved {
        Ok(r) => r,
        Err(e) if is_unique_violation(&ApiError::Db(e.clone())) => {
            return Err(ApiError::Conflict(format!(
                "an automation named {:?} exists in this project",
                spec.name
            )))
        }
        Err(e) => return Err(e.into()),
    };
    repo::recount_metric(&tx, project.id).await?;
    tx.commit().await?;
    view_of(db, &saved, None).await
}

/// Turn an automation on or off.
pub async fn set_enabled(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    id: i32,
    enabled: bool,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (project, _owner) = administered(&tx, user, at).await?;
    let old = repo::find(&tx, project.id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let mut row: automation::ActiveModel = old.into();
    row.enabled = Set(enabled);
    row.updated_at = Set(now_ms());
    repo::update(&tx, row).await?;
    repo::recount_metric(&tx, project.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Delete an automation with its history.
pub async fn delete(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    id: i32,
) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    let (project, _owner) = administered(&tx, user, at).await?;
    repo::find(&tx, project.id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    repo::delete(&tx, id).await?;
    repo::recount_metric(&tx, project.id).await?;
    tx.commit().await?;
    Ok(())
}

async fn execution_view(
    db: &impl ConnectionTrait,
    key: &SecretKey,
    row: &automation_execution::Model,
    action: Option<&Action>,
) -> ExecutionView {
    let body = match action {
        Some(a) => deliver::request(db, key, row, a, 0, true)
            .await
            .map(|(b, _)| b)
            .unwrap_or_default(),
        None => String::new(),
    };
    ExecutionView {
        id: row.id as i64,
        at: row.created_at,
        event_type: row.event_kind.clone(),
        event: row.summary.clone(),
        author: row.author.clone(),
        status: ExecutionStatus::parse(&row.status).unwrap_or(ExecutionStatus::Pending),
        attempts: row.attempts.max(0) as u32,
        next_attempt_at: row.next_attempt_at.filter(|_| row.status == "retrying"),
        url: row.url.clone(),
        request_body: body,
        response_status: row.response_status.map(|s| s as u16),
        response_body: row.response_body.clone(),
        error: row.error.clone(),
        test: row.is_test,
        redelivery_of: row.redelivery_of.map(i64::from),
        duration_ms: row.duration_ms,
    }
}

/// An automation's history: executions matching the search, ordered, a page.
pub async fn history(
    db: &DatabaseConnection,
    key: &SecretKey,
    user: Option<&user::Model>,
    at: &ProjectRef,
    id: i32,
    q: &HistoryQuery,
) -> Result<AutomationHistory, ApiError> {
    let (project, _owner, manages) = written(db, user, at).await?;
    let row = repo::find(db, project.id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let order = match q.sort {
        HistorySort::Newest => repo::Order::Newest,
        HistorySort::Oldest => repo::Order::Oldest,
        HistorySort::Status => repo::Order::Status,
    };
    let (rows, total) =
        repo::executions_page(db, row.id, &q.search, order, q.offset, HISTORY_PAGE).await?;
    let spec = spec_of(&row)?;
    let mut executions = Vec::with_capacity(rows.len());
    for r in &rows {
        executions.push(execution_view(db, key, r, Some(&spec.action)).await);
    }
    let last = repo::last_executions(db, &[row.id]).await?;
    Ok(AutomationHistory {
        automation: view_of(db, &row, last.first()).await?,
        can_edit: manages,
        executions,
        total,
        offset: q.offset,
    })
}

/// Sample variables for a test of a trigger kind.
fn sample_vars(
    at: &ProjectRef,
    base_url: &str,
    user: &user::Model,
    a: &automation::Model,
    kind: &str,
) -> Map<String, Value> {
    let mut v = Map::new();
    let mut put = |k: &str, val: Value| {
        v.insert(k.to_owned(), val);
    };
    put("event_type", kind.into());
    put("entity_name", at.entity.clone().into());
    put("project_name", at.project.clone().into());
    put("project_url", format!("{base_url}{}", at.href()).into());
    put("event_author", user.username.clone().into());
    put("automation_name", a.name.clone().into());
    put("run_id", "test-run".into());
    put("run_name", "test-run-1".into());
    put(
        "run_url",
        format!("{base_url}{}/runs/test-run", at.href()).into(),
    );
    put("run_state", "failed".into());
    put("metric", "loss".into());
    put("value", 0.5.into());
    put("artifact_collection_name", "model".into());
    put("artifact_type", "model".into());
    put("artifact_version", 3.into());
    put("artifact_version_string", "model:v3".into());
    put(
        "artifact_url",
        format!("{base_url}{}/artifacts/model/model/v3", at.href()).into(),
    );
    put("alias", "production".into());
    put("tag", "reviewed".into());
    put("sweep_name", "abc123".into());
    put(
        "sweep_url",
        format!("{base_url}{}/sweeps/abc123", at.href()).into(),
    );
    put("alert_title", "Test alert".into());
    put("alert_text", "This is a test from Cairn".into());
    put("alert_level", "INFO".into());
    v
}

/// Send a sample payload now (one attempt, no retries) and return the execution.
pub async fn test(
    d: &Delivery,
    user: &user::Model,
    at: &ProjectRef,
    id: i32,
) -> Result<ExecutionView, ApiError> {
    let (project, _owner) = administered(&d.db, user, at).await?;
    let row = repo::find(&d.db, project.id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let spec = spec_of(&row)?;
    let kind = spec.trigger.kind();
    let vars = sample_vars(at, &d.base_url, user, &row, kind);
    let now = now_ms();
    let mut exec = deliver::new_execution(
        &row,
        &spec.action,
        &vars,
        &format!("test of {}", spec.trigger.describe()),
        Some(user.username.clone()),
        None,
        kind,
        now,
    );
    exec.is_test = Set(true);
    // Not due for the worker: this request sends it.
    exec.next_attempt_at = Set(None);
    let exec_id = repo::insert_execution(&d.db, exec)
        .await?
        .ok_or_else(|| ApiError::Internal("the test execution was not stored".into()))?;
    let stored = repo::execution(&d.db, exec_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the test execution vanished".into()))?;
    let allow = deliver::allow_internal(&d.db).await?;
    let done = deliver::attempt(d, stored, allow).await?;
    Ok(execution_view(&d.db, &d.key, &done, Some(&spec.action)).await)
}

/// Queue a past execution again (same URL, variables and template).
pub async fn redeliver(
    d: &Delivery,
    user: &user::Model,
    at: &ProjectRef,
    id: i32,
    execution_id: i64,
) -> Result<ExecutionView, ApiError> {
    let (project, _owner) = administered(&d.db, user, at).await?;
    let row = repo::find(&d.db, project.id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let old = i32::try_from(execution_id)
        .ok()
        .map(|eid| repo::execution(&d.db, eid));
    let old = match old {
        Some(f) => f.await?.filter(|e| e.automation_id == row.id),
        None => None,
    }
    .ok_or_else(|| ApiError::NotFound(format!("execution {execution_id} not found")))?;
    let now = now_ms();
    // The same request (URL, variables, template) as a new, pending execution.
    let mut copy: automation_execution::ActiveModel = old.clone().into();
    copy.id = sea_orm::ActiveValue::NotSet;
    copy.dedupe = Set(None);
    copy.author = Set(Some(user.username.clone()));
    copy.status = Set("pending".into());
    copy.attempts = Set(0);
    copy.next_attempt_at = Set(Some(now));
    copy.claimed_until = Set(None);
    copy.response_status = Set(None);
    copy.response_body = Set(None);
    copy.error = Set(None);
    copy.duration_ms = Set(None);
    copy.is_test = Set(false);
    copy.redelivery_of = Set(Some(old.id));
    copy.created_at = Set(now);
    copy.updated_at = Set(now);
    let new_id = repo::insert_execution(&d.db, copy)
        .await?
        .ok_or_else(|| ApiError::Internal("the redelivery was not stored".into()))?;
    let stored = repo::execution(&d.db, new_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the redelivery vanished".into()))?;
    let spec = spec_of(&row)?;
    Ok(execution_view(&d.db, &d.key, &stored, Some(&spec.action)).await)
}

/// The site admin's switch for private webhook targets.
pub async fn set_allow_internal(
    db: &DatabaseConnection,
    user: &user::Model,
    on: bool,
) -> Result<(), ApiError> {
    if !user.is_admin {
        return Err(ApiError::Forbidden("only site admins change this".into()));
    }
    store_allow_internal(db, on).await
}

/// Store the switch (`cairn site private-webhooks on|off`: whoever runs the binary
/// administers the site).
pub async fn store_allow_internal(db: &DatabaseConnection, on: bool) -> Result<(), ApiError> {
    let (tx, _turn) = begin(db).await?;
    users::set_site_setting(
        &tx,
        deliver::ALLOW_INTERNAL_SETTING,
        if on { "true" } else { "false" },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
