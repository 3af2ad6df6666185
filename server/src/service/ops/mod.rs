//! The run operations every door writes through: `/api/v1`, the wandb protocol, the
//! demo and the benchmarks.
//! Each validates everything first, then runs in one transaction: a request is
//! applied whole or not at all.

use sea_orm::{DatabaseConnection, DatabaseTransaction, Set};
use serde_json::{Map, Value};

use app::logic::summary::{self, AutoSummary};
use app::logic::{run_id as run_ids, run_name, validate};
use app::model::{ConsoleStream, ProjectRef, RunState, Visibility};

pub mod types;

use crate::auth::access::{project_access, Access};
use crate::blobs::{BlobStore, StoredBlob};
use crate::db::entities::{entity, project, run, user};
use crate::db::now_ms;
use crate::db::repo::{console, files, projects, runs};
use crate::db::write::Writer;
use crate::db::write::{begin, is_unique_violation};
use crate::error::ApiError;
use crate::metrics::codec::Point;
use crate::metrics::store;
use crate::service::automations;
use types::{AppendConsole, FinishRun, LogMetrics, RunOut, UpdateRun, UpsertRun};

/// Longest run file name, in bytes.
pub const MAX_FILE_NAME_BYTES: usize = 1024;

pub(crate) fn secs_to_ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

/// How far in the future a client's clock may be before its times are refused.
const MAX_CLOCK_SKEW_SECS: f64 = 24.0 * 3600.0;

/// A client-given time: Unix seconds, not negative, not more than a day ahead of the
/// server (a time in milliseconds would otherwise inflate runtimes for good).
fn check_time(what: &str, t: Option<f64>) -> Result<(), ApiError> {
    let latest = now_ms() as f64 / 1000.0 + MAX_CLOCK_SKEW_SECS;
    match t {
        Some(t) if !t.is_finite() || t < 0.0 => Err(ApiError::Unprocessable(format!(
            "{what} must be a non-negative number of Unix seconds"
        ))),
        Some(t) if t > latest => Err(ApiError::Unprocessable(format!(
            "{what} ({t}) is more than a day in the future; send Unix seconds, not milliseconds"
        ))),
        _ => Ok(()),
    }
}

/// The descriptive fields both run upserts and run updates may change.
struct LabelChanges {
    name: Option<String>,
    tags: Option<Vec<String>>,
    notes: Option<String>,
    group: Option<String>,
    job_type: Option<String>,
    color: Option<String>,
}

impl LabelChanges {
    fn check(&self) -> Result<(), ApiError> {
        for (what, value) in [
            ("run name", &self.name),
            ("group", &self.group),
            ("job_type", &self.job_type),
        ] {
            if let Some(v) = value {
                validate::label(what, v)?;
            }
        }
        if let Some(c) = &self.color {
            validate::color(c)?;
        }
        for t in self.tags.iter().flatten() {
            validate::label("tag", t)?;
        }
        Ok(())
    }

    /// Set the given fields on `active`, leave the others.
    fn apply(self, active: &mut run::ActiveModel) -> Result<(), ApiError> {
        if let Some(v) = self.name {
            active.display_name = Set(v);
        }
        if let Some(v) = self.tags {
            active.tags = Set(to_json(&v)?);
        }
        if let Some(v) = self.notes {
            active.notes = Set(v);
        }
        if let Some(v) = self.group {
            active.group_name = Set(Some(v));
        }
        if let Some(v) = self.job_type {
            active.job_type = Set(Some(v));
        }
        if let Some(v) = self.color {
            active.color = Set(Some(v));
        }
        Ok(())
    }
}

/// Find the entity and project a write goes to, creating them when `create` is set,
/// and check the user may write there.
pub(crate) async fn writable_project(
    tx: &DatabaseTransaction,
    user: &user::Model,
    entity_name: Option<&str>,
    project_name: &str,
    create: bool,
) -> Result<(project::Model, entity::Model), ApiError> {
    let now = now_ms();
    let owner = match entity_name {
        Some(name) => match projects::find_entity(tx, name).await? {
            Some(e) => e,
            // A first log to an unknown name makes it a team, like creating one in the app:
            // the same name rules, and no second entity differing only in case.
            None if create => {
                crate::service::accounts::check_account_name("team", name)?;
                if crate::service::accounts::name_taken(tx, name).await? {
                    return Err(ApiError::Conflict(format!(
                        "an entity named {name:?} exists with other capitals; use its exact name"
                    )));
                }
                projects::create_team(tx, name, user.id, now).await?
            }
            None => return Err(ApiError::NotFound(format!("entity {name:?} not found"))),
        },
        None => projects::personal_entity(tx, user.id)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(format!("user {} has no personal entity", user.username))
            })?,
    };
    // A renamed project's old name keeps working for writes (scripts keep their config).
    let found = match projects::find_project(tx, owner.id, project_name).await? {
        Some(p) => Some(p),
        None => projects::find_alias(tx, owner.id, project_name).await?,
    };
    let project = match found {
        Some(p) => p,
        None if create => {
            // A new project follows the one name rule (older names keep working).
            validate::project_name(project_name)?;
            let may_create = crate::auth::access::can_create_project(tx, user, &owner).await?;
            if !may_create {
                // The same answer as for an existing project one may not see, so the
                // answer does not tell which names are taken.
                return Err(ApiError::NotFound(format!(
                    "project {}/{} not found (and you may not create projects in {:?})",
                    owner.name, project_name, owner.name
                )));
            }
            let visibility = if owner.kind == "team" {
                Visibility::Team
            } else {
                Visibility::Private
            };
            projects::create_project(
                tx,
                owner.id,
                project_name,
                visibility.as_str(),
                "",
                user.id,
                now,
            )
            .await?
        }
        None => {
            return Err(ApiError::NotFound(format!(
                "project {}/{} not found",
                owner.name, project_name
            )))
        }
    };
    match project_access(tx, Some(user), &project, &owner).await? {
        Access::Write => Ok((project, owner)),
        Access::Read => Err(ApiError::Forbidden(format!(
            "you may read {}/{} but not write to it",
            owner.name, project.name
        ))),
        Access::None => Err(ApiError::NotFound(format!(
            "project {}/{} not found",
            owner.name, project.name
        ))),
    }
}

/// The live run a write addresses (row-locked), after checking write access.
pub(crate) async fn writable_run(
    tx: &DatabaseTransaction,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
) -> Result<(project::Model, entity::Model, run::Model), ApiError> {
    let (project, owner) = writable_project(tx, user, Some(&at.entity), &at.project, false).await?;
    let run = runs::find_run_for_update(tx, project.id, run_id)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "run {run_id:?} not found in {}/{}",
                at.entity, at.project
            ))
        })?;
    Ok((project, owner, run))
}

fn run_out(
    owner: &entity::Model,
    project: &project::Model,
    run: &run::Model,
    created: bool,
) -> RunOut {
    let at = ProjectRef::new(owner.name.clone(), project.name.clone());
    RunOut {
        entity: owner.name.clone(),
        project: project.name.clone(),
        id: run.run_id.clone(),
        name: run.display_name.clone(),
        state: run.state.clone(),
        url: at.run_href(&app::model::RunId(run.run_id.clone())),
        created,
    }
}

pub(crate) fn json_object(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value)
        .map_err(|e| ApiError::Internal(format!("could not encode JSON: {e}")))
}

/// A run marked crashed after a silence (`CAIRN_CRASH_AFTER_SECS`, see `jobs`) is live again once
/// it writes.
fn revive(active: &mut run::ActiveModel, crashed: bool) {
    if crashed {
        active.state = Set(RunState::Running.as_str().to_owned());
    }
}

/// Create a run, or update the run with that id. When a concurrent request created
/// the same run, project or team first, the second attempt finds and updates it.
pub async fn upsert_run(
    db: &DatabaseConnection,
    user: &user::Model,
    req: UpsertRun,
) -> Result<RunOut, ApiError> {
    match upsert_run_once(db, user, req.clone()).await {
        Err(e) if is_unique_violation(&e) => upsert_run_once(db, user, req).await,
        other => other,
    }
}

async fn upsert_run_once(
    db: &DatabaseConnection,
    user: &user::Model,
    req: UpsertRun,
) -> Result<RunOut, ApiError> {
    if let Some(e) = &req.entity {
        validate::entity_name(e)?;
    }
    validate::entity_or_project_name("project", &req.project)?;
    if let Some(id) = &req.id {
        validate::run_id(id)?;
    }
    let labels = LabelChanges {
        name: req.name.clone(),
        tags: req.tags.clone(),
        notes: req.notes.clone(),
        group: req.group.clone(),
        job_type: req.job_type.clone(),
        color: req.color.clone(),
    };
    labels.check()?;
    check_time("start_time", req.start_time)?;
    for (what, v) in [("host", &req.host), ("git_commit", &req.git_commit)] {
        if let Some(v) = v {
            validate::label(what, v)?;
        }
    }

    let (tx, _turn) = begin(db).await?;
    let now = now_ms();
    let (project, owner) =
        writable_project(&tx, user, req.entity.as_deref(), &req.project, true).await?;
    let existing = match &req.id {
        Some(id) => runs::find_run_any(&tx, project.id, id).await?,
        None => None,
    };
    let (model, created) = match existing {
        Some(r) if r.deleted_at.is_some() => {
            return Err(ApiError::Unprocessable(format!(
                "run {:?} was deleted; restore it or use another id",
                r.run_id
            )))
        }
        Some(r) => {
            let mut config = r.config_map();
            config.extend(req.config.unwrap_or_default());
            let crashed = r.state == RunState::Crashed.as_str();
            let mut active: run::ActiveModel = r.into();
            revive(&mut active, crashed);
            active.config = Set(to_json(&config)?);
            labels.apply(&mut active)?;
            if let Some(v) = req.host {
                active.host = Set(Some(v));
            }
            if let Some(v) = req.git_commit {
                active.git_commit = Set(Some(v));
            }
            if let Some(t) = req.start_time {
                active.created_at = Set(secs_to_ms(t));
            }
            active.heartbeat_at = Set(now);
            let model = runs::update(&tx, active).await?;
            if crashed {
                automations::events::run_state(&tx, &model, RunState::Crashed.as_str()).await?;
            }
            (model, false)
        }
        None => {
            let mut model = new_run(&tx, project.id, req.id.as_deref(), user.id, now).await?;
            if let Some(n) = req.name {
                model.display_name = Set(n);
            }
            model.config = Set(to_json(&req.config.unwrap_or_default())?);
            model.tags = Set(to_json(&req.tags.unwrap_or_default())?);
            model.notes = Set(req.notes.unwrap_or_default());
            model.group_name = Set(req.group);
            model.job_type = Set(req.job_type);
            model.host = Set(req.host);
            model.git_commit = Set(req.git_commit);
            model.created_at = Set(req.start_time.map(secs_to_ms).unwrap_or(now));
            model.color = Set(req.color);
            let model = runs::insert(&tx, model).await?;
            automations::events::run_state(&tx, &model, "").await?;
            (model, true)
        }
    };
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    Ok(run_out(&owner, &project, &model, created))
}

pub(crate) async fn fresh_run_id(
    tx: &DatabaseTransaction,
    project_id: i32,
) -> Result<String, ApiError> {
    use rand::Rng;
    for _ in 0..8 {
        let id = {
            let mut rng = rand::thread_rng();
            run_ids::generate(|n| rng.gen_range(0..n))
        };
        if runs::find_run_any(tx, project_id, &id).await?.is_none() {
            return Ok(id);
        }
    }
    Err(ApiError::Internal("could not find a free run id".into()))
}

/// A new run of a project, not inserted yet: the id given (or a fresh one), the next
/// ordinal, a generated `adjective-noun-N` name, running, everything else empty. The
/// wandb client's upsert, `/api/v1` and sweeps' runs created ahead all start here.
pub(crate) async fn new_run(
    tx: &DatabaseTransaction,
    project_id: i32,
    id: Option<&str>,
    user_id: i32,
    now: i64,
) -> Result<run::ActiveModel, ApiError> {
    let id = match id {
        Some(id) => id.to_owned(),
        None => fresh_run_id(tx, project_id).await?,
    };
    let ordinal = runs::next_ordinal(tx, project_id).await?;
    let name = {
        let (a, n) = run_name::vocabulary_size();
        run_name::generate(
            rand::random::<usize>() % a,
            rand::random::<usize>() % n,
            ordinal as u64,
        )
    };
    Ok(run::ActiveModel {
        project_id: Set(project_id),
        run_id: Set(id),
        display_name: Set(name),
        ordinal: Set(ordinal),
        state: Set(RunState::Running.as_str().to_owned()),
        config: Set("{}".into()),
        summary_auto: Set(to_json(&AutoSummary::default())?),
        summary_explicit: Set("{}".into()),
        tags: Set("[]".into()),
        notes: Set(String::new()),
        group_name: Set(None),
        job_type: Set(None),
        user_id: Set(user_id),
        host: Set(None),
        git_commit: Set(None),
        created_at: Set(now),
        heartbeat_at: Set(now),
        finished_at: Set(None),
        runtime_seconds: Set(0.0),
        exit_code: Set(None),
        color: Set(None),
        deleted_at: Set(None),
        ..Default::default()
    })
}

/// What a metrics write stored.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
pub struct LoggedMetrics {
    pub rows: usize,
    pub points: usize,
    /// The run was stopped from the app (`killed`): the script should end it. The
    /// points are kept, as the wandb client's last posts are.
    #[serde(default)]
    pub stopped: bool,
}

/// Store rows of metric values for a run and keep its summary and runtime current.
/// Goes through the batching writer; answers once the points are committed.
pub async fn log_metrics(
    writer: &Writer,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    req: LogMetrics,
) -> Result<LoggedMetrics, ApiError> {
    for (i, row) in req.rows.iter().enumerate() {
        if row.step < 0 {
            return Err(ApiError::Unprocessable(format!(
                "rows[{i}].step is negative ({})",
                row.step
            )));
        }
        if row.step > validate::MAX_STEP {
            return Err(ApiError::Unprocessable(format!(
                "rows[{i}].step ({}) is above 2^53, the largest step charts can place exactly",
                row.step
            )));
        }
        check_time(&format!("rows[{i}].time"), row.time)?;
        if row.values.len() > validate::MAX_KEYS_PER_ROW {
            return Err(ApiError::Unprocessable(format!(
                "rows[{i}] has {} keys; the limit is {}",
                row.values.len(),
                validate::MAX_KEYS_PER_ROW
            )));
        }
        for key in row.values.keys() {
            validate::metric_key(key)
                .map_err(|e| ApiError::Unprocessable(format!("rows[{i}]: {e}")))?;
        }
    }
    let now = now_ms();
    let rows = req.rows.len();
    let (by_key, points, latest_wall_ms) = points_by_key(req, now);
    let (user, at, run_id) = (user.clone(), at.clone(), run_id.to_owned());
    writer
        .write(move |tx| {
            Box::pin(async move {
                let (project, _owner, run) = writable_run(tx, &user, &at, &run_id).await?;
                let auto = store_points(tx, &project, &run, &by_key).await?;
                let runtime = runtime_after(&run, latest_wall_ms as f64 / 1000.0);
                let crashed = run.state == RunState::Crashed.as_str();
                let stopped = run.state == RunState::Killed.as_str();
                let mut active: run::ActiveModel = run.into();
                revive(&mut active, crashed);
                active.summary_auto = Set(auto);
                active.heartbeat_at = Set(now);
                active.runtime_seconds = Set(runtime);
                let model = runs::update(tx, active).await?;
                if crashed {
                    automations::events::run_state(tx, &model, RunState::Crashed.as_str()).await?;
                }
                projects::touch_last_active(tx, project.id, now).await?;
                Ok(LoggedMetrics {
                    rows,
                    points,
                    stopped,
                })
            })
        })
        .await
}

/// Write points per key into the metrics engine; returns the run's automatic summary
/// (last, min, max, mean per key, system metrics left out) updated from the written
/// series, as JSON.
pub(crate) async fn store_points(
    tx: &DatabaseTransaction,
    project: &project::Model,
    run: &run::Model,
    by_key: &std::collections::BTreeMap<String, Vec<Point>>,
) -> Result<String, ApiError> {
    // Metric automations see the points in this transaction (nothing is read when
    // the project has none).
    automations::events::metric_points(tx, project, run, by_key).await?;
    let keyed: Vec<(&str, &[Point])> = by_key
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let series = store::write_run_points(tx, run.id, run.created_at, &keyed).await?;
    let mut auto: AutoSummary = run.auto_summary();
    // System metrics (`system/*`: CPU, memory, disk) are charted but, as in W&B, are
    // not part of a run's summary.
    for s in series.iter().filter(|s| !s.key.starts_with("system/")) {
        auto.0.insert(
            s.key.clone(),
            summary::LastPoint {
                step: s.last_step,
                value: app::model::MetricValue(s.last),
                min: s.min.map(app::model::MetricValue),
                max: s.max.map(app::model::MetricValue),
                mean: s.mean().map(app::model::MetricValue),
            },
        );
    }
    to_json(&auto)
}

/// The request's points per key, sorted by step with one point per step (a later
/// row wins over an earlier one at the same step, as a later request would), the
/// number of points, and the latest wall time (ms).
pub(crate) fn points_by_key(
    req: LogMetrics,
    now_ms: i64,
) -> (std::collections::BTreeMap<String, Vec<Point>>, usize, i64) {
    let mut by_key: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    let mut latest = i64::MIN;
    for row in req.rows {
        let wall_ms = row.time.map(secs_to_ms).unwrap_or(now_ms);
        latest = latest.max(wall_ms);
        for (key, v) in row.values {
            by_key.entry(key).or_default().push(Point {
                step: row.step,
                value: v.0,
                wall_ms,
            });
        }
    }
    let mut count = 0;
    for points in by_key.values_mut() {
        // Stable sort keeps request order among equal steps; keep the last of each.
        points.sort_by_key(|p| p.step);
        let mut kept: Vec<Point> = Vec::with_capacity(points.len());
        for p in points.drain(..) {
            match kept.last_mut() {
                Some(last) if last.step == p.step => *last = p,
                _ => kept.push(p),
            }
        }
        count += kept.len();
        *points = kept;
    }
    (by_key, count, latest)
}

/// A run's runtime once something happened at `latest_secs` (Unix seconds): it only grows.
pub(crate) fn runtime_after(run: &run::Model, latest_secs: f64) -> f64 {
    let since_start = latest_secs - run.created_at as f64 / 1000.0;
    if since_start.is_finite() {
        run.runtime_seconds.max(since_start)
    } else {
        run.runtime_seconds
    }
}

/// Change config, explicit summary, tags, notes, name, group, job type or color.
pub async fn update_run(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    req: UpdateRun,
) -> Result<RunOut, ApiError> {
    let labels = LabelChanges {
        name: req.name,
        tags: req.tags,
        notes: req.notes,
        group: req.group,
        job_type: req.job_type,
        color: req.color,
    };
    labels.check()?;
    let (tx, _turn) = begin(db).await?;
    let (project, owner, run) = writable_run(&tx, user, at, run_id).await?;
    let now = now_ms();
    let mut config = run.config_map();
    let mut explicit = run.explicit_summary();
    let crashed = run.state == RunState::Crashed.as_str();
    let mut active: run::ActiveModel = run.into();
    revive(&mut active, crashed);
    if let Some(c) = req.config {
        config.extend(c);
        active.config = Set(to_json(&config)?);
    }
    if let Some(s) = req.summary {
        summary::apply_explicit(&mut explicit, &s);
        active.summary_explicit = Set(to_json(&explicit)?);
    }
    labels.apply(&mut active)?;
    active.heartbeat_at = Set(now);
    let model = runs::update(&tx, active).await?;
    if crashed {
        automations::events::run_state(&tx, &model, RunState::Crashed.as_str()).await?;
    }
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    Ok(run_out(&owner, &project, &model, false))
}

/// Where console lines were written.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
pub struct WrittenLines {
    pub first_line: u64,
    pub lines: usize,
}

/// Write console lines at an offset (or append them).
pub async fn append_console(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    req: AppendConsole,
) -> Result<WrittenLines, ApiError> {
    for (i, line) in req.lines.iter().enumerate() {
        if line.text.contains('\n') {
            return Err(ApiError::Unprocessable(format!(
                "lines[{i}] contains a newline; send one entry per line"
            )));
        }
        if line.text.len() > validate::MAX_CONSOLE_LINE_BYTES {
            return Err(ApiError::Unprocessable(format!(
                "lines[{i}] is {} bytes; the limit is {}",
                line.text.len(),
                validate::MAX_CONSOLE_LINE_BYTES
            )));
        }
    }
    if req.offset.is_some_and(|o| o > i64::MAX as u64 / 2) {
        return Err(ApiError::Unprocessable("offset is too large".into()));
    }
    let (tx, _turn) = begin(db).await?;
    let (project, _owner, run) = writable_run(&tx, user, at, run_id).await?;
    let first_line = match req.offset {
        Some(o) => o,
        None => console::next_line(&tx, run.id).await?,
    };
    let lines: Vec<(ConsoleStream, String)> =
        req.lines.into_iter().map(|l| (l.stream, l.text)).collect();
    console::write_lines(&tx, run.id, first_line, &lines).await?;
    let now = now_ms();
    let crashed = run.state == RunState::Crashed.as_str();
    let mut active: run::ActiveModel = run.into();
    revive(&mut active, crashed);
    active.heartbeat_at = Set(now);
    let model = runs::update(&tx, active).await?;
    if crashed {
        automations::events::run_state(&tx, &model, RunState::Crashed.as_str()).await?;
    }
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    Ok(WrittenLines {
        first_line,
        lines: lines.len(),
    })
}

/// Mark a run finished (exit code 0) or failed (any other code).
pub async fn finish_run(
    db: &DatabaseConnection,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    req: FinishRun,
) -> Result<RunOut, ApiError> {
    check_time("time", req.time)?;
    let (tx, _turn) = begin(db).await?;
    let (project, owner, run) = writable_run(&tx, user, at, run_id).await?;
    // A retried finish changes nothing; a contradicting one is refused.
    if run.finished_at.is_some() {
        return match run.exit_code {
            Some(code) if code == req.exit_code => Ok(run_out(&owner, &project, &run, false)),
            other => Err(ApiError::Conflict(format!(
                "run {run_id:?} already ended with exit code {}",
                other
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "none".into())
            ))),
        };
    }
    let now = now_ms();
    let finished_at = req.time.map(secs_to_ms).unwrap_or(now);
    if finished_at < run.created_at {
        return Err(ApiError::Unprocessable(
            "time is before the run started".into(),
        ));
    }
    let runtime = runtime_after(&run, finished_at as f64 / 1000.0);
    let before = run.state.clone();
    let mut active: run::ActiveModel = run.into();
    active.state = Set(RunState::from_exit_code(req.exit_code).as_str().to_owned());
    active.exit_code = Set(Some(req.exit_code));
    active.finished_at = Set(Some(finished_at));
    active.runtime_seconds = Set(runtime);
    active.heartbeat_at = Set(now);
    let model = runs::update(&tx, active).await?;
    automations::events::run_state(&tx, &model, &before).await?;
    projects::touch_last_active(&tx, project.id, now).await?;
    tx.commit().await?;
    Ok(run_out(&owner, &project, &model, false))
}

/// Check a run file name: a relative path without `..`, control characters or backslashes.
pub fn check_file_name(name: &str) -> Result<(), ApiError> {
    let bad = name.is_empty()
        || name.len() > MAX_FILE_NAME_BYTES
        || name.starts_with('/')
        || name.contains('\\')
        || name.chars().any(char::is_control)
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(ApiError::Unprocessable(format!(
            "file name {name:?} must be a relative path of at most {MAX_FILE_NAME_BYTES} bytes without '..', '\\' or empty parts"
        )));
    }
    Ok(())
}

/// Store a file for a run (replacing one of the same name).
pub async fn upload_file(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    name: &str,
    bytes: &[u8],
) -> Result<StoredBlob, ApiError> {
    check_file_name(name)?;
    // Check access before writing anything to disk.
    {
        let (tx, _turn) = begin(db).await?;
        writable_run(&tx, user, at, run_id).await?;
        tx.rollback().await?;
    }
    let stored = blobs
        .put(bytes)
        .await
        .map_err(|e| ApiError::Internal(format!("could not store file: {e}")))?;
    let run = RunOfFile::Named { user, at, run_id };
    record_run_file(db, run, name, &stored).await?;
    Ok(stored)
}

/// The run an uploaded file belongs to.
pub enum RunOfFile<'a> {
    /// Named by a user, who must be able to write its project (`/api/v1`).
    Named {
        user: &'a user::Model,
        at: &'a ProjectRef,
        run_id: &'a str,
    },
    /// By its key, from a signed storage URL: the signature was the access check
    /// (the wandb protocol).
    Signed { run_pk: i32 },
}

/// Record bytes already in the blob store as the run's file `name` (replacing a file
/// of that name) and mark the project active. Both upload doors end here.
pub async fn record_run_file(
    db: &DatabaseConnection,
    run: RunOfFile<'_>,
    name: &str,
    stored: &StoredBlob,
) -> Result<(), ApiError> {
    check_file_name(name)?;
    let (tx, _turn) = begin(db).await?;
    let (run_pk, project_id) = match run {
        RunOfFile::Named { user, at, run_id } => {
            let (project, _owner, run) = writable_run(&tx, user, at, run_id).await?;
            (run.id, project.id)
        }
        RunOfFile::Signed { run_pk } => {
            let run = runs::find_live_by_pk(&tx, run_pk)
                .await?
                .ok_or_else(|| ApiError::NotFound("the run of this file does not exist".into()))?;
            (run.id, run.project_id)
        }
    };
    let now = now_ms();
    files::upsert(
        &tx,
        run_pk,
        name,
        stored.size as i64,
        &stored.md5,
        &stored.sha256,
        now,
    )
    .await?;
    projects::touch_last_active(&tx, project_id, now).await?;
    tx.commit().await?;
    Ok(())
}
