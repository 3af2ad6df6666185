//! Runs as the wandb client sees them: `UpsertBucket`, the config's `{key: {value}}`
//! form, history and system-metrics lines by line number, and the reads of the
//! public API (`history`, `sampledHistory`, `historyKeys`, tails and counts).

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Map, Value};

use app::logic::{run_name, validate};
use app::model::RunState;

use crate::db::entities::{entity, project, run, run_event, run_history, run_wandb, user};
use crate::db::now_ms;
use crate::db::repo::{projects, runs};
use crate::error::ApiError;
use crate::ingest::ops;

use super::gql::Args;
use super::ids;

/// A run with the project and entity it lives in.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub run: run::Model,
    pub project: project::Model,
    pub entity: entity::Model,
}

/// Project name W&B uses when a client names none.
pub const DEFAULT_PROJECT: &str = "uncategorized";

/// How many lines `historyTail` and `eventsTail` carry.
const TAIL_LINES: u64 = 10;

/// Parse a JSON text as W&B clients write it: Python's encoder writes `NaN`,
/// `Infinity` and `-Infinity` bare, which strict JSON refuses. Outside strings those
/// tokens become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, which Cairn's
/// metric values already read as the special floats.
pub fn parse_lenient(text: &str) -> Result<Value, serde_json::Error> {
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(first) => {
            let fixed = quote_special_floats(text);
            if fixed == text {
                return Err(first);
            }
            serde_json::from_str(&fixed)
        }
    }
}

fn quote_special_floats(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let token = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|t| rest.starts_with(t));
        if let Some(t) = token {
            out.push('"');
            out.push_str(t);
            out.push('"');
            rest = &rest[t.len()..];
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A wandb config (`{"lr": {"value": 0.01}, "_wandb": {"value": {…}}}`) split into
/// Cairn's plain config and the `_wandb` block.
pub fn split_config(wandb: &Map<String, Value>) -> (Map<String, Value>, Option<Value>) {
    let mut plain = Map::new();
    let mut meta = None;
    for (k, v) in wandb {
        let inner = match v {
            Value::Object(o) if o.contains_key("value") => o["value"].clone(),
            other => other.clone(),
        };
        if k == "_wandb" {
            meta = Some(inner);
        } else {
            plain.insert(k.clone(), inner);
        }
    }
    (plain, meta)
}

/// Cairn's config and the `_wandb` block back in the wandb form, as JSON text.
pub fn wandb_config_text(config: &str, meta: Option<&str>) -> String {
    let plain = ops::json_object(config);
    let mut out = Map::new();
    for (k, v) in plain {
        out.insert(k, serde_json::json!({ "value": v }));
    }
    if let Some(meta) = meta.and_then(|m| serde_json::from_str::<Value>(m).ok()) {
        out.insert("_wandb".into(), serde_json::json!({ "value": meta }));
    }
    Value::Object(out).to_string()
}

/// The wandb-only row of a run, if it has one.
pub async fn wandb_row(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<run_wandb::Model>, ApiError> {
    Ok(run_wandb::Entity::find_by_id(run_pk).one(db).await?)
}

/// The wandb-only row of a run that has none yet.
pub fn empty_wandb_row(run_pk: i32) -> run_wandb::Model {
    run_wandb::Model {
        run_id: run_pk,
        wandb_config: "{}".into(),
        summary: None,
        program: None,
    }
}

/// Save the wandb-only row (insert or replace).
pub async fn save_wandb_row(
    db: &impl ConnectionTrait,
    row: run_wandb::Model,
) -> Result<(), ApiError> {
    let insert = Query::insert()
        .into_table(run_wandb::Entity)
        .columns([
            run_wandb::Column::RunId,
            run_wandb::Column::WandbConfig,
            run_wandb::Column::Summary,
            run_wandb::Column::Program,
        ])
        .values_panic([
            row.run_id.into(),
            row.wandb_config.into(),
            row.summary.into(),
            row.program.into(),
        ])
        .on_conflict(
            OnConflict::column(run_wandb::Column::RunId)
                .update_columns([
                    run_wandb::Column::WandbConfig,
                    run_wandb::Column::Summary,
                    run_wandb::Column::Program,
                ])
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
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
    let Some(run) = run::Entity::find_by_id(pk)
        .one(tx)
        .await?
        .filter(|r| r.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let project = project::Entity::find_by_id(run.project_id)
        .one(tx)
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
        Err(e) if ops::is_unique_violation(&e) => upsert_once(db, user, input).await,
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

    let (tx, _turn) = ops::begin(db).await?;
    let now = now_ms();
    let by_id = match input.str("id") {
        Some(id) => run_by_storage_id(&tx, user, id).await?,
        None => None,
    };
    let (project, owner, existing) = match by_id {
        Some(row) => (row.project, row.entity, Some(row.run)),
        None => {
            let (project, owner) =
                ops::writable_project(&tx, user, entity_name, project_name, true).await?;
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
    let mut active: run::ActiveModel = match existing {
        Some(r) => r.into(),
        None => {
            let id = match name {
                Some(n) => n.to_owned(),
                None => ops::fresh_run_id(&tx, project.id).await?,
            };
            let ordinal = runs::next_ordinal(&tx, project.id).await?;
            let generated = {
                let (a, n) = run_name::vocabulary_size();
                run_name::generate(
                    rand::random::<usize>() % a,
                    rand::random::<usize>() % n,
                    ordinal as u64,
                )
            };
            run::ActiveModel {
                project_id: Set(project.id),
                run_id: Set(id),
                display_name: Set(generated),
                ordinal: Set(ordinal),
                state: Set(RunState::Running.as_str().to_owned()),
                config: Set("{}".into()),
                summary_auto: Set("{}".into()),
                summary_explicit: Set("{}".into()),
                tags: Set("[]".into()),
                notes: Set(String::new()),
                group_name: Set(None),
                job_type: Set(None),
                user_id: Set(user.id),
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
            }
        }
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
        crate::db::repo::runs::insert(&tx, active).await?
    } else {
        crate::db::repo::runs::update(&tx, active).await?
    };

    // The wandb-only row: `_wandb` config block, program, summary merges.
    let old = wandb_row(&tx, run.id).await?;
    let mut row = old.clone().unwrap_or_else(|| empty_wandb_row(run.id));
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
            active.update(&tx).await?
        }
        None => run,
    };
    if old.as_ref() != Some(&row) {
        save_wandb_row(&tx, row).await?;
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

/// A client-given label as Cairn can store it: `None` for absent or blank, control
/// characters as spaces, at most `MAX_LABEL_CHARS` characters.
fn tidy_label(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    if v.is_empty() {
        return None;
    }
    Some(
        v.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(validate::MAX_LABEL_CHARS)
            .collect(),
    )
}

/// The summary keys Cairn shows: all but the client's bookkeeping (`_step`,
/// `_runtime`, `_timestamp`, `_wandb`).
pub fn visible_summary(whole: &Map<String, Value>) -> Map<String, Value> {
    whole
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Store lines of a line-numbered run log (history or events) at `first_line`,
/// overwriting what was there: retried posts write the same lines again.
pub async fn write_history_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    first_line: u64,
    lines: &[(Option<i64>, String)],
) -> Result<(), ApiError> {
    for (chunk_no, chunk) in lines.chunks(1000).enumerate() {
        let mut insert = Query::insert();
        insert
            .into_table(run_history::Entity)
            .columns([
                run_history::Column::RunId,
                run_history::Column::LineNo,
                run_history::Column::Step,
                run_history::Column::Body,
            ])
            .on_conflict(
                OnConflict::columns([run_history::Column::RunId, run_history::Column::LineNo])
                    .update_columns([run_history::Column::Step, run_history::Column::Body])
                    .to_owned(),
            );
        for (i, (step, body)) in chunk.iter().enumerate() {
            let line = first_line + (chunk_no * 1000 + i) as u64;
            insert.values_panic([
                run_pk.into(),
                (line as i64).into(),
                (*step).into(),
                body.as_str().into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

pub async fn write_event_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    first_line: u64,
    lines: &[String],
) -> Result<(), ApiError> {
    for (chunk_no, chunk) in lines.chunks(1000).enumerate() {
        let mut insert = Query::insert();
        insert
            .into_table(run_event::Entity)
            .columns([
                run_event::Column::RunId,
                run_event::Column::LineNo,
                run_event::Column::Body,
            ])
            .on_conflict(
                OnConflict::columns([run_event::Column::RunId, run_event::Column::LineNo])
                    .update_column(run_event::Column::Body)
                    .to_owned(),
            );
        for (i, body) in chunk.iter().enumerate() {
            let line = first_line + (chunk_no * 1000 + i) as u64;
            insert.values_panic([run_pk.into(), (line as i64).into(), body.as_str().into()]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Number of stored history lines.
pub async fn history_count(db: &impl ConnectionTrait, run_pk: i32) -> Result<u64, ApiError> {
    Ok(run_history::Entity::find()
        .filter(run_history::Column::RunId.eq(run_pk))
        .count(db)
        .await?)
}

pub async fn events_count(db: &impl ConnectionTrait, run_pk: i32) -> Result<u64, ApiError> {
    Ok(run_event::Entity::find()
        .filter(run_event::Column::RunId.eq(run_pk))
        .count(db)
        .await?)
}

/// The last `limit` history lines, oldest first.
async fn last_history_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    limit: u64,
) -> Result<Vec<String>, ApiError> {
    let mut rows: Vec<String> = run_history::Entity::find()
        .filter(run_history::Column::RunId.eq(run_pk))
        .order_by_desc(run_history::Column::LineNo)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.body)
        .collect();
    rows.reverse();
    Ok(rows)
}

/// The last `TAIL_LINES` history lines, oldest first.
pub async fn history_tail(db: &impl ConnectionTrait, run_pk: i32) -> Result<Vec<String>, ApiError> {
    last_history_lines(db, run_pk, TAIL_LINES).await
}

pub async fn events_tail(db: &impl ConnectionTrait, run_pk: i32) -> Result<Vec<String>, ApiError> {
    let mut rows: Vec<String> = run_event::Entity::find()
        .filter(run_event::Column::RunId.eq(run_pk))
        .order_by_desc(run_event::Column::LineNo)
        .limit(TAIL_LINES)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.body)
        .collect();
    rows.reverse();
    Ok(rows)
}

/// History lines with `min_step <= _step < max_step` (either bound optional), in
/// line order, at most `limit`.
pub async fn history_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    min_step: Option<i64>,
    max_step_exclusive: Option<i64>,
    limit: Option<u64>,
) -> Result<Vec<String>, ApiError> {
    let mut q = run_history::Entity::find().filter(run_history::Column::RunId.eq(run_pk));
    if let Some(m) = min_step {
        q = q.filter(run_history::Column::Step.gte(m));
    }
    if let Some(m) = max_step_exclusive {
        q = q.filter(run_history::Column::Step.lt(m));
    }
    let q = q.order_by_asc(run_history::Column::LineNo);
    let q = match limit {
        Some(l) => q.limit(l),
        None => q,
    };
    Ok(q.all(db).await?.into_iter().map(|r| r.body).collect())
}

/// At most `n` of `items`, evenly spread, keeping the first and the last.
pub fn spread<T: Clone>(items: &[T], n: usize) -> Vec<T> {
    if items.len() <= n {
        return items.to_vec();
    }
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![items[items.len() - 1].clone()];
    }
    let last = items.len() - 1;
    (0..n).map(|i| items[i * last / (n - 1)].clone()).collect()
}

/// `sampledHistory` for one spec: rows holding every requested key, reduced to those
/// keys, with `minStep <= _step <= maxStep`, spread over at most `samples` rows.
pub async fn sampled_history(
    db: &impl ConnectionTrait,
    run_pk: i32,
    spec: &Value,
) -> Result<Vec<Value>, ApiError> {
    let keys: Vec<String> = spec
        .get("keys")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let min = spec.get("minStep").and_then(Value::as_i64);
    let max = spec.get("maxStep").and_then(Value::as_i64);
    let samples = spec
        .get("samples")
        .and_then(Value::as_u64)
        .unwrap_or(500)
        .min(100_000) as usize;
    // A bounded spec is one page of `scan_history`: rows in order, cut at `samples`
    // (spreading would drop rows and repeat the page edges). An unbounded one is
    // `history(keys=…)`: rows spread over the whole run.
    let bounded = min.is_some() && max.is_some();
    let lines = history_lines(db, run_pk, min, max.map(|m| m.saturating_add(1)), None).await?;
    let mut rows = Vec::new();
    for line in lines {
        let Ok(Value::Object(row)) = parse_lenient(&line) else {
            continue;
        };
        if keys.iter().all(|k| row.contains_key(k)) {
            let picked: Map<String, Value> = if keys.is_empty() {
                row
            } else {
                keys.iter()
                    .filter_map(|k| row.get(k).map(|v| (k.clone(), v.clone())))
                    .collect()
            };
            rows.push(Value::Object(picked));
            if bounded && rows.len() == samples {
                break;
            }
        }
    }
    Ok(if bounded {
        rows
    } else {
        spread(&rows, samples)
    })
}

/// How many of the most recent history lines `historyKeys` reads for the keys that
/// are not numbers (media, strings); numeric keys come from the metrics engine.
const KEY_SCAN_LINES: u64 = 1000;

/// `historyKeys`: the last step and, per key, how many rows hold it with which type.
/// Numeric keys and their counts come from the metrics engine's series, the
/// bookkeeping keys from the line count, other types from the most recent lines; so
/// the cost does not grow with the length of the run.
pub async fn history_keys(db: &impl ConnectionTrait, run_pk: i32) -> Result<Value, ApiError> {
    let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for series in crate::metrics::store::series_of_run(db, run_pk).await? {
        if !series.key.starts_with("system/") {
            counts
                .entry(series.key)
                .or_default()
                .insert("number".into(), series.points.max(0) as u64);
        }
    }
    let lines = history_count(db, run_pk).await?;
    for reserved in ["_step", "_runtime", "_timestamp"] {
        if lines > 0 {
            counts
                .entry(reserved.into())
                .or_default()
                .insert("number".into(), lines);
        }
    }
    let recent = last_history_lines(db, run_pk, KEY_SCAN_LINES).await?;
    let mut other: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for line in recent {
        let Ok(Value::Object(row)) = parse_lenient(&line) else {
            continue;
        };
        for (k, v) in row {
            let t = match &v {
                Value::Number(_) => continue,
                Value::String(s) if validate::parse_special_float(s).is_some() => continue,
                Value::String(_) => "string".to_owned(),
                Value::Bool(_) => "boolean".to_owned(),
                Value::Null => "nil".to_owned(),
                Value::Array(_) => "list".to_owned(),
                Value::Object(o) => match o.get("_type").and_then(Value::as_str) {
                    Some(t) => t.to_owned(),
                    // Nested numbers are charted under `outer.inner` keys.
                    None => continue,
                },
            };
            *other.entry(k).or_default().entry(t).or_default() += 1;
        }
    }
    for (k, types) in other {
        counts.entry(k).or_default().extend(types);
    }
    let keys: Map<String, Value> = counts
        .into_iter()
        .map(|(k, types)| {
            let tc: Vec<Value> = types
                .into_iter()
                .map(|(t, c)| serde_json::json!({"type": t, "count": c}))
                .collect();
            (k, serde_json::json!({ "typeCounts": tc }))
        })
        .collect();
    let last_step = max_history_step(db, run_pk).await?;
    Ok(serde_json::json!({ "lastStep": last_step, "keys": keys }))
}

/// At most `samples` history lines spread evenly over the run (first and last kept),
/// reading only line numbers to choose them.
pub async fn spread_history(
    db: &impl ConnectionTrait,
    run_pk: i32,
    samples: usize,
) -> Result<Vec<String>, ApiError> {
    let numbers: Vec<i64> = run_history::Entity::find()
        .select_only()
        .column(run_history::Column::LineNo)
        .filter(run_history::Column::RunId.eq(run_pk))
        .order_by_asc(run_history::Column::LineNo)
        .into_tuple()
        .all(db)
        .await?;
    let picked = spread(&numbers, samples);
    let mut out = Vec::with_capacity(picked.len());
    for part in picked.chunks(500) {
        out.extend(
            run_history::Entity::find()
                .filter(run_history::Column::RunId.eq(run_pk))
                .filter(run_history::Column::LineNo.is_in(part.iter().copied()))
                .order_by_asc(run_history::Column::LineNo)
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.body),
        );
    }
    Ok(out)
}

/// The number of runs in a project (live ones).
pub async fn run_count(db: &impl ConnectionTrait, project_id: i32) -> Result<u64, ApiError> {
    Ok(run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_null())
        .count(db)
        .await?)
}

/// A page of a project's live runs, oldest first for `+created_at` (the public
/// API's default), newest first otherwise.
pub async fn runs_page(
    db: &impl ConnectionTrait,
    project_id: i32,
    order: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Vec<run::Model>, ApiError> {
    let q = run::Entity::find()
        .filter(run::Column::ProjectId.eq(project_id))
        .filter(run::Column::DeletedAt.is_null());
    let q = match order {
        Some(o) if o.starts_with('-') => q
            .order_by_desc(run::Column::CreatedAt)
            .order_by_desc(run::Column::Ordinal),
        _ => q
            .order_by_asc(run::Column::CreatedAt)
            .order_by_asc(run::Column::Ordinal),
    };
    Ok(q.offset(offset).limit(limit).all(db).await?)
}

/// Mark runs that have not been heard of for `silence_ms` as crashed. Returns how
/// many were marked.
pub async fn mark_crashed(db: &impl ConnectionTrait, silence_ms: i64) -> Result<u64, ApiError> {
    let cutoff = now_ms() - silence_ms;
    let update = Query::update()
        .table(run::Entity)
        .value(run::Column::State, RunState::Crashed.as_str())
        .and_where(run::Column::State.eq(RunState::Running.as_str()))
        .and_where(run::Column::HeartbeatAt.lt(cutoff))
        .and_where(run::Column::DeletedAt.is_null())
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected())
}

/// The highest `_step` in the run's history, if any.
pub async fn max_history_step(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<i64>, ApiError> {
    let q = Query::select()
        .expr_as(Func::max(Expr::col(run_history::Column::Step)), "m")
        .from(run_history::Entity)
        .and_where(run_history::Column::RunId.eq(run_pk))
        .to_owned();
    let row = db.query_one(&q).await?;
    Ok(row.map(|r| r.try_get("", "m")).transpose()?.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_special_floats_parse_outside_strings_only() {
        let v = parse_lenient(r#"{"a": NaN, "b": -Infinity, "c": "NaN in text", "d": [Infinity]}"#)
            .unwrap();
        assert_eq!(
            v,
            json!({"a": "NaN", "b": "-Infinity", "c": "NaN in text", "d": ["Infinity"]})
        );
        assert!(parse_lenient("{\"a\": nope}").is_err());
        let escaped = parse_lenient(r#"{"q": "say \"NaN\"", "x": NaN}"#).unwrap();
        assert_eq!(escaped, json!({"q": "say \"NaN\"", "x": "NaN"}));
    }

    #[test]
    fn configs_split_and_rejoin() {
        let wandb = json!({"lr": {"value": 0.01}, "arch": {"value": "resnet", "desc": null},
                           "_wandb": {"value": {"t": {"1": [1]}}}});
        let (plain, meta) = split_config(wandb.as_object().unwrap());
        assert_eq!(
            Value::Object(plain.clone()),
            json!({"lr": 0.01, "arch": "resnet"})
        );
        assert_eq!(meta, Some(json!({"t": {"1": [1]}})));
        let back: Value = serde_json::from_str(&wandb_config_text(
            &Value::Object(plain).to_string(),
            Some(&meta.unwrap().to_string()),
        ))
        .unwrap();
        assert_eq!(
            back,
            json!({"lr": {"value": 0.01}, "arch": {"value": "resnet"}, "_wandb": {"value": {"t": {"1": [1]}}}})
        );
    }

    #[test]
    fn labels_are_tidied_not_refused() {
        assert_eq!(tidy_label(None), None);
        assert_eq!(tidy_label(Some("  ")), None);
        assert_eq!(tidy_label(Some("a\tb")).as_deref(), Some("a b"));
        assert_eq!(
            tidy_label(Some(&"é".repeat(300))).unwrap().chars().count(),
            256
        );
    }

    #[test]
    fn spreading_keeps_ends_and_count() {
        let v: Vec<i32> = (0..100).collect();
        let s = spread(&v, 5);
        assert_eq!(s, vec![0, 24, 49, 74, 99]);
        assert_eq!(spread(&v, 200).len(), 100);
        assert_eq!(spread(&v, 1), vec![99]);
        assert!(spread(&v, 0).is_empty());
    }
}
