//! The delivery worker's two steps, each safe to run on several servers at once:
//!
//! 1. [`process_events`] claims unprocessed outbox events (`FOR UPDATE SKIP LOCKED`
//!    on PostgreSQL), matches them against the project's automations and writes one
//!    execution per match (a unique dedupe key per automation makes a second
//!    processing a no-op), then marks the events processed, all in one transaction.
//! 2. [`send_due`] claims due executions for a minute (a claim another server skips),
//!    sends each, and records the attempt: delivered on 2xx; tried again with
//!    exponential backoff for 24 hours on network errors, 5xx, 408 and 429; failed
//!    otherwise. A server that dies mid-send leaves the claim to expire, and another
//!    server sends it again (at least once; receivers can use `X-Cairn-Delivery`).

use base64::Engine;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, DatabaseConnection, Set};
use serde_json::{Map, Value};
use sha2::Sha256;

use app::logic::automations as logic;
use app::model::{Action, ProjectRef, RunId, Trigger, VersionRef};

use super::http::{self, Outcome};
use super::secrets::{self, SecretKey};
use crate::db::entities::{automation, automation_attempt, automation_event, automation_execution};
use crate::db::now_ms;
use crate::db::repo::{artifacts, automations as repo, projects, runs, sweeps, users};
use crate::db::write::begin;
use crate::error::ApiError;

/// How long a server holds the executions it is sending.
pub const CLAIM_MS: i64 = 60_000;
/// The site setting that allows webhook targets inside private networks.
pub const ALLOW_INTERNAL_SETTING: &str = "automations_allow_private";
/// Executions sent at once by one server.
const SEND_BATCH: u64 = 16;

/// What the worker needs.
#[derive(Clone)]
pub struct Delivery {
    pub db: DatabaseConnection,
    pub key: SecretKey,
    /// Where people reach Cairn (for `${run_url}` and friends), without a trailing /.
    pub base_url: String,
    /// The first retry's wait; doubles per attempt (at most an hour).
    pub retry_base_ms: i64,
}

/// Whether the site admin allows private webhook targets.
pub async fn allow_internal(db: &impl ConnectionTrait) -> Result<bool, ApiError> {
    Ok(users::site_setting(db, ALLOW_INTERNAL_SETTING)
        .await?
        .is_some_and(|v| v == "true"))
}

/// Turn waiting events into executions; how many events were processed.
pub async fn process_events(d: &Delivery) -> Result<usize, ApiError> {
    let (tx, _turn) = begin(&d.db).await?;
    let events = repo::claim_events(&tx, 100).await?;
    for e in &events {
        match expand(&tx, d, e).await {
            Ok(()) => {}
            Err(ApiError::Db(err)) => return Err(ApiError::Db(err)),
            Err(other) => {
                tracing::warn!(event = e.id, error = %other, "an automation event was skipped")
            }
        }
    }
    let ids: Vec<i32> = events.iter().map(|e| e.id).collect();
    repo::mark_processed(&tx, &ids, now_ms()).await?;
    tx.commit().await?;
    Ok(events.len())
}

/// One matched automation, ready to become an execution.
struct Match {
    automation: automation::Model,
    action: Action,
    dedupe: String,
}

/// An event's variables and its one-line summary.
struct Described {
    vars: Map<String, Value>,
    summary: String,
}

fn put(vars: &mut Map<String, Value>, k: &str, v: impl Into<Value>) {
    vars.insert(k.to_owned(), v.into());
}

async fn expand(
    tx: &impl ConnectionTrait,
    d: &Delivery,
    e: &automation_event::Model,
) -> Result<(), ApiError> {
    let Some(project) = projects::project_by_id(tx, e.project_id).await? else {
        return Ok(());
    };
    if project.deleted_at.is_some() {
        return Ok(());
    }
    let Some(owner) = projects::find_entity_by_id(tx, project.entity_id).await? else {
        return Ok(());
    };
    let at = ProjectRef::new(owner.name.clone(), project.name.clone());
    let author = match e.user_id {
        Some(id) => users::find_by_id(tx, id).await?.map(|u| u.username),
        None => None,
    };
    let data: Map<String, Value> = serde_json::from_str(&e.data).unwrap_or_default();
    let mut base = Map::new();
    put(&mut base, "event_type", e.kind.clone());
    put(&mut base, "entity_name", owner.name.clone());
    put(&mut base, "project_name", project.name.clone());
    put(
        &mut base,
        "project_url",
        format!("{}{}", d.base_url, at.href()),
    );
    put(
        &mut base,
        "event_author",
        author.clone().unwrap_or_default(),
    );
    let int = |k: &str| data.get(k).and_then(Value::as_i64).map(|v| v as i32);
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };

    let mut out: Vec<(Described, Vec<Match>, String)> = Vec::new();
    let candidates = |kinds: &'static [&'static str]| repo::enabled_for(tx, project.id, kinds);
    let born_before = |a: &automation::Model| a.created_at <= e.created_at;
    match e.kind.as_str() {
        "run_state" | "run_metric" | "run_metric_change" | "run_alert" => {
            let Some(pk) = int("run_pk") else {
                return Ok(());
            };
            let Some(run) = runs::find_by_pks(tx, &[pk]).await?.into_iter().next() else {
                return Ok(());
            };
            if run.deleted_at.is_some() {
                return Ok(());
            }
            let run_user = users::find_by_id(tx, run.user_id)
                .await?
                .map(|u| u.username);
            let mut vars = base.clone();
            put(&mut vars, "run_id", run.run_id.clone());
            put(&mut vars, "run_name", run.display_name.clone());
            put(
                &mut vars,
                "run_url",
                format!("{}{}", d.base_url, at.run_href(&RunId(run.run_id.clone()))),
            );
            put(&mut vars, "run_state", run.state.clone());
            let passes = |t: &Trigger| {
                t.run_filter().is_none_or(|f| {
                    super::events::run_matches(f, &run.display_name, run_user.as_deref())
                })
            };
            match e.kind.as_str() {
                "run_state" => {
                    let state = text("state");
                    put(&mut vars, "run_state", state.clone());
                    let mut matches = Vec::new();
                    for a in candidates(&["run_state"]).await? {
                        let Some((t, action)) = parse(&a) else {
                            continue;
                        };
                        let Trigger::RunState { states, .. } = &t else {
                            continue;
                        };
                        if born_before(&a) && states.contains(&state) && passes(&t) {
                            matches.push(Match {
                                dedupe: format!("run:{}:{state}", run.id),
                                automation: a,
                                action,
                            });
                        }
                    }
                    let summary = format!("run {} {state}", run.display_name);
                    out.push((
                        Described {
                            vars: vars.clone(),
                            summary,
                        },
                        matches,
                        e.kind.clone(),
                    ));
                    if state == "finished" {
                        if let Some(best) = sweep_best(tx, run.id).await? {
                            let mut vars = vars.clone();
                            put(&mut vars, "event_type", "sweep_best_run");
                            put(&mut vars, "sweep_name", best.name.clone());
                            put(
                                &mut vars,
                                "sweep_url",
                                format!(
                                    "{}{}",
                                    d.base_url,
                                    app::model::sweep_href(&at, &best.name)
                                ),
                            );
                            put(&mut vars, "metric", best.metric.clone());
                            put(&mut vars, "value", best.value);
                            let mut matches = Vec::new();
                            for a in candidates(&["sweep_best_run"]).await? {
                                let Some((t, action)) = parse(&a) else {
                                    continue;
                                };
                                let Trigger::SweepBestRun { sweep } = &t else {
                                    continue;
                                };
                                if born_before(&a) && sweep.as_ref().is_none_or(|s| *s == best.name)
                                {
                                    matches.push(Match {
                                        dedupe: format!("sweep:{}:best:{}", best.id, run.id),
                                        automation: a,
                                        action,
                                    });
                                }
                            }
                            let summary = format!(
                                "run {} is the best of sweep {} ({} = {})",
                                run.display_name, best.name, best.metric, best.value
                            );
                            out.push((
                                Described { vars, summary },
                                matches,
                                "sweep_best_run".into(),
                            ));
                        }
                    }
                }
                "run_alert" => {
                    let level = app::model::AlertLevel::parse(&text("level"));
                    put(&mut vars, "alert_title", text("title"));
                    put(&mut vars, "alert_text", text("text"));
                    put(&mut vars, "alert_level", level.as_str());
                    let mut matches = Vec::new();
                    for a in candidates(&["run_alert"]).await? {
                        let Some((t, action)) = parse(&a) else {
                            continue;
                        };
                        let Trigger::RunAlert { min_level, .. } = &t else {
                            continue;
                        };
                        if born_before(&a) && level >= *min_level && passes(&t) {
                            matches.push(Match {
                                dedupe: format!("event:{}", e.id),
                                automation: a,
                                action,
                            });
                        }
                    }
                    let summary = format!(
                        "alert [{}] {} (run {})",
                        level.as_str(),
                        text("title"),
                        run.display_name
                    );
                    out.push((Described { vars, summary }, matches, e.kind.clone()));
                }
                _ => {
                    // A metric crossing names its automation.
                    let Some(id) = int("automation_id") else {
                        return Ok(());
                    };
                    let metric = text("metric");
                    let value = data.get("value").cloned().unwrap_or(Value::Null);
                    put(&mut vars, "metric", metric.clone());
                    put(&mut vars, "value", value.clone());
                    let mut matches = Vec::new();
                    if let Some(a) = repo::by_id(tx, id).await?.filter(|a| a.enabled) {
                        if let Some((t, action)) = parse(&a) {
                            let summary = format!(
                                "{} in run {} (value {})",
                                t.describe(),
                                run.display_name,
                                logic::text_of(&value)
                            );
                            matches.push(Match {
                                dedupe: format!("event:{}", e.id),
                                automation: a,
                                action,
                            });
                            out.push((Described { vars, summary }, matches, e.kind.clone()));
                        }
                    }
                }
            }
        }
        "artifact_created" | "alias_added" | "tag_added" => {
            let Some(pk) = int("artifact_pk") else {
                return Ok(());
            };
            let Some(v) = artifacts::version(tx, pk).await? else {
                return Ok(());
            };
            let Some(coll) = artifacts::collection(tx, v.collection_id).await? else {
                return Ok(());
            };
            let label = text("label");
            let version = format!("v{}", v.version_index);
            let r = VersionRef {
                project: at.clone(),
                type_name: coll.type_name.clone(),
                collection: coll.name.clone(),
                version: version.clone(),
            };
            let mut vars = base.clone();
            put(&mut vars, "artifact_collection_name", coll.name.clone());
            put(&mut vars, "artifact_type", coll.type_name.clone());
            put(&mut vars, "artifact_version", v.version_index);
            put(
                &mut vars,
                "artifact_version_string",
                format!("{}:{version}", coll.name),
            );
            put(
                &mut vars,
                "artifact_url",
                format!("{}{}", d.base_url, r.href()),
            );
            let meta: Map<String, Value> = v
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_default();
            for (k, val) in meta.into_iter().take(200) {
                vars.insert(format!("artifact_metadata.{k}"), val);
            }
            let summary = match e.kind.as_str() {
                "alias_added" => {
                    put(&mut vars, "alias", label.clone());
                    format!("alias {label} → {}:{version}", coll.name)
                }
                "tag_added" => {
                    put(&mut vars, "tag", label.clone());
                    format!("tag {label} on {}:{version}", coll.name)
                }
                _ => format!("{}:{version} created", coll.name),
            };
            let mut matches = Vec::new();
            for a in candidates(match e.kind.as_str() {
                "alias_added" => &["alias_added"],
                "tag_added" => &["tag_added"],
                _ => &["artifact_created"],
            })
            .await?
            {
                let Some((t, action)) = parse(&a) else {
                    continue;
                };
                let matches_re = |re: &Option<String>, s: &str| {
                    re.as_deref()
                        .filter(|r| !r.is_empty())
                        .is_none_or(|r| super::regex(r).is_ok_and(|re| re.is_match(s)))
                };
                let ok = match &t {
                    Trigger::ArtifactCreated {
                        artifact_type,
                        collection_regex,
                    } => {
                        artifact_type
                            .as_deref()
                            .filter(|t| !t.is_empty())
                            .is_none_or(|t| t == coll.type_name)
                            && matches_re(collection_regex, &coll.name)
                    }
                    Trigger::AliasAdded {
                        alias_regex,
                        collection_regex,
                    } => {
                        matches_re(alias_regex, &label) && matches_re(collection_regex, &coll.name)
                    }
                    Trigger::TagAdded {
                        tag_regex,
                        collection_regex,
                    } => matches_re(tag_regex, &label) && matches_re(collection_regex, &coll.name),
                    _ => false,
                };
                if ok && born_before(&a) {
                    matches.push(Match {
                        dedupe: format!("event:{}", e.id),
                        automation: a,
                        action,
                    });
                }
            }
            out.push((Described { vars, summary }, matches, e.kind.clone()));
        }
        "sweep_finished" => {
            let Some(id) = int("sweep_id") else {
                return Ok(());
            };
            let Some(s) = sweeps::find(tx, id).await? else {
                return Ok(());
            };
            let mut vars = base.clone();
            put(&mut vars, "sweep_name", s.name.clone());
            put(
                &mut vars,
                "sweep_url",
                format!("{}{}", d.base_url, app::model::sweep_href(&at, &s.name)),
            );
            let mut matches = Vec::new();
            for a in candidates(&["sweep_finished"]).await? {
                let Some((t, action)) = parse(&a) else {
                    continue;
                };
                let Trigger::SweepFinished { sweep } = &t else {
                    continue;
                };
                if born_before(&a) && sweep.as_ref().is_none_or(|n| *n == s.name) {
                    matches.push(Match {
                        dedupe: format!("sweep:{}:finished", s.id),
                        automation: a,
                        action,
                    });
                }
            }
            let summary = format!("sweep {} finished", s.name);
            out.push((Described { vars, summary }, matches, e.kind.clone()));
        }
        _ => {}
    }
    let now = now_ms();
    for (described, matches, kind) in out {
        for m in matches {
            let mut vars = described.vars.clone();
            put(&mut vars, "automation_name", m.automation.name.clone());
            let row = new_execution(
                &m.automation,
                &m.action,
                &vars,
                &described.summary,
                author.clone(),
                Some(m.dedupe),
                &kind,
                now,
            );
            let mut row = row;
            row.event_id = Set(Some(e.id));
            repo::insert_execution(tx, row).await?;
        }
    }
    Ok(())
}

fn parse(a: &automation::Model) -> Option<(Trigger, Action)> {
    let t = serde_json::from_str(&a.trigger_spec).ok()?;
    let act = serde_json::from_str(&a.action_spec).ok()?;
    Some((t, act))
}

/// The template an action fills: the webhook's payload or the chat message.
pub fn template_of(action: &Action) -> &str {
    match action {
        Action::Webhook { payload, .. } => payload,
        Action::Slack { message, .. } | Action::Discord { message, .. } => message,
    }
}

/// A new execution of `a` with its variables, waiting for its first attempt.
#[allow(clippy::too_many_arguments)]
pub(super) fn new_execution(
    a: &automation::Model,
    action: &Action,
    vars: &Map<String, Value>,
    summary: &str,
    author: Option<String>,
    dedupe: Option<String>,
    kind: &str,
    now: i64,
) -> automation_execution::ActiveModel {
    automation_execution::ActiveModel {
        automation_id: Set(a.id),
        event_id: Set(None),
        dedupe: Set(dedupe),
        event_kind: Set(kind.to_owned()),
        summary: Set(summary.to_owned()),
        author: Set(author),
        variables: Set(Value::Object(vars.clone()).to_string()),
        template: Set(template_of(action).to_owned()),
        url: Set(action.url().to_owned()),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        claimed_until: Set(None),
        response_status: Set(None),
        response_body: Set(None),
        error: Set(None),
        duration_ms: Set(None),
        is_test: Set(false),
        redelivery_of: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

struct Best {
    id: i32,
    name: String,
    metric: String,
    value: f64,
}

/// The sweep whose best run `run_pk` just became, if it did (strictly better than
/// every other finished run of the sweep under the sweep's goal).
async fn sweep_best(tx: &impl ConnectionTrait, run_pk: i32) -> Result<Option<Best>, ApiError> {
    let Some((id, name)) = sweeps::sweep_of_run(tx, run_pk).await? else {
        return Ok(None);
    };
    let Some(row) = sweeps::find(tx, id).await? else {
        return Ok(None);
    };
    let Some(metric) = app::logic::sweeps::config::parse(&row.config)
        .ok()
        .and_then(|c| c.metric)
    else {
        return Ok(None);
    };
    let all = sweeps::runs(tx, id).await?;
    let value_of =
        |r: &sweeps::SweepRunRow| crate::service::sweeps::summary_metric(r, &metric.name);
    let Some(mine) = all.iter().find(|r| r.run_pk == run_pk).and_then(value_of) else {
        return Ok(None);
    };
    let beaten = all
        .iter()
        .filter(|r| r.run_pk != run_pk && r.state == "finished")
        .filter_map(value_of)
        .any(|other| !metric.better(mine, other));
    Ok((!beaten).then(|| Best {
        id,
        name,
        metric: metric.name.clone(),
        value: mine,
    }))
}

/// Send the executions that are due; how many were sent.
pub async fn send_due(d: &Delivery) -> Result<usize, ApiError> {
    let now = now_ms();
    let claimed = {
        let (tx, _turn) = begin(&d.db).await?;
        let rows = repo::claim_due(&tx, now, now + CLAIM_MS, SEND_BATCH).await?;
        tx.commit().await?;
        rows
    };
    if claimed.is_empty() {
        return Ok(0);
    }
    let allow = allow_internal(&d.db).await?;
    let n = claimed.len();
    let sends = claimed.into_iter().map(|row| attempt(d, row, allow));
    for r in futures_util::future::join_all(sends).await {
        r?;
    }
    Ok(n)
}

/// The request an execution makes: body and headers, secrets filled in.
pub(super) async fn request(
    db: &impl ConnectionTrait,
    key: &SecretKey,
    row: &automation_execution::Model,
    action: &Action,
    entity_id: i32,
    masked: bool,
) -> Result<(String, Vec<(String, String)>), String> {
    let opened = if masked {
        Vec::new()
    } else {
        secrets::opened(db, key, entity_id)
            .await
            .map_err(|e| e.to_string())?
    };
    let vars: Map<String, Value> = serde_json::from_str(&row.variables).unwrap_or_default();
    let lookup = |name: &str| -> Option<Value> {
        if let Some(v) = vars.get(name) {
            return Some(v.clone());
        }
        if masked {
            return name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                .then(|| Value::String("••••••".into()));
        }
        opened
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| Value::String(v.clone()))
    };
    let mut headers = vec![
        ("x-cairn-event".to_owned(), row.event_kind.clone()),
        ("x-cairn-delivery".to_owned(), row.id.to_string()),
    ];
    let secret = |name: &str| -> Result<String, String> {
        opened
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("secret {name} is not set for this team or user"))
    };
    let body = match action {
        Action::Webhook {
            token_secret,
            signing_secret,
            ..
        } => {
            let body = logic::render_json(&row.template, &lookup);
            if !masked {
                if let Some(name) = token_secret.as_deref().filter(|n| !n.is_empty()) {
                    headers.push(("authorization".into(), format!("Bearer {}", secret(name)?)));
                }
                if let Some(name) = signing_secret.as_deref().filter(|n| !n.is_empty()) {
                    headers.push(("x-cairn-signature".into(), signature(&secret(name)?, &body)));
                }
            }
            body
        }
        Action::Slack { .. } => {
            logic::chat_payload("slack", &logic::render_text(&row.template, &lookup))
        }
        Action::Discord { .. } => {
            logic::chat_payload("discord", &logic::render_text(&row.template, &lookup))
        }
    };
    Ok((body, headers))
}

/// `X-Cairn-Signature`: base64 of HMAC-SHA256 of the exact body with the secret.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Send one claimed execution and record the attempt.
pub(super) async fn attempt(
    d: &Delivery,
    row: automation_execution::Model,
    allow: bool,
) -> Result<automation_execution::Model, ApiError> {
    let Some(a) = repo::by_id(&d.db, row.automation_id).await? else {
        return Ok(row);
    };
    let outcome = match serde_json::from_str::<Action>(&a.action_spec) {
        Err(e) => Outcome {
            error: Some(format!("the automation's action cannot be read: {e}")),
            ..Outcome::default()
        },
        Ok(action) => {
            let entity_id = projects::project_by_id(&d.db, a.project_id)
                .await?
                .map(|p| p.entity_id)
                .unwrap_or_default();
            match request(&d.db, &d.key, &row, &action, entity_id, false).await {
                Ok((body, headers)) => http::post(&row.url, &headers, body, allow).await,
                Err(e) => Outcome {
                    error: Some(e),
                    ..Outcome::default()
                },
            }
        }
    };
    record(&d.db, row, &outcome, d.retry_base_ms).await
}

/// Record an attempt's outcome on its execution.
async fn record(
    db: &DatabaseConnection,
    row: automation_execution::Model,
    out: &Outcome,
    retry_base_ms: i64,
) -> Result<automation_execution::Model, ApiError> {
    let now = now_ms();
    let attempts = row.attempts + 1;
    let (status, next) = if out.delivered() {
        ("delivered", None)
    } else if out.retry && !row.is_test {
        match logic::next_attempt_at(row.created_at, now, attempts as u32, retry_base_ms) {
            Some(at) => ("retrying", Some(at)),
            None => ("failed", None),
        }
    } else {
        ("failed", None)
    };
    let (tx, _turn) = begin(db).await?;
    repo::insert_attempt(
        &tx,
        automation_attempt::ActiveModel {
            execution_id: Set(row.id),
            at: Set(now),
            duration_ms: Set(out.duration_ms),
            response_status: Set(out.status.map(i32::from)),
            response_body: Set(out.body.clone()),
            error: Set(out.error.clone()),
            ..Default::default()
        },
    )
    .await?;
    let mut active: automation_execution::ActiveModel = row.into();
    active.status = Set(status.into());
    active.attempts = Set(attempts);
    active.next_attempt_at = Set(next);
    active.claimed_until = Set(None);
    active.response_status = Set(out.status.map(i32::from));
    active.response_body = Set(out.body.clone());
    active.error = Set(out.error.clone());
    active.duration_ms = Set(Some(out.duration_ms));
    active.updated_at = Set(now);
    let saved = repo::update_execution(&tx, active).await?;
    tx.commit().await?;
    if status == "failed" {
        tracing::info!(
            execution = saved.id,
            error = out.error.as_deref().unwrap_or(""),
            "an automation's delivery failed"
        );
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_base64_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = signature("Jefe", "what do ya want for nothing?");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap();
        assert_eq!(
            hex::encode(bytes),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
