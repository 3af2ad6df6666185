//! `POST /files/{entity}/{project}/{run}/file_stream`: the live data of a wandb run.
//!
//! One post carries any of: history rows (by line offset; their numbers also go into
//! the metrics engine), the whole current summary, console lines (by line offset, a
//! rewritten line overwrites), system-metrics rows (stored by line and charted as
//! `system/*` series), and the end of the run (`complete` + `exitcode`). A post is
//! applied in one transaction, and re-sending it changes nothing, so the client's
//! retries are safe.

use std::collections::BTreeMap;

use sea_orm::Set;
use serde_json::{Map, Value};

use app::logic::validate;
use app::model::{ConsoleStream, MetricValue, ProjectRef, RunState};

use crate::db::entities::{run, user};
use crate::db::now_ms;
use crate::db::repo::{console, projects};
use crate::db::write::Writer;
use crate::error::ApiError;
use crate::service::ops;
use crate::service::ops::types::{LogMetrics, MetricRow};

use super::wire::{self, parse_lenient};
use crate::db::repo::{run_lines, run_wandb};

const HISTORY: &str = "wandb-history.jsonl";
const SUMMARY: &str = "wandb-summary.json";
const CONSOLE: &str = "output.log";
const EVENTS: &str = "wandb-events.jsonl";

/// Highest line offset accepted (keeps `offset + i` far from overflow).
const MAX_OFFSET: u64 = 1 << 40;

/// One file's part of a post.
struct Chunk {
    offset: u64,
    content: Vec<String>,
}

fn chunk(files: &Map<String, Value>, name: &str) -> Result<Option<Chunk>, ApiError> {
    let Some(v) = files.get(name) else {
        return Ok(None);
    };
    let offset = match v.get("offset") {
        None | Some(Value::Null) => 0,
        Some(o) => o.as_u64().filter(|o| *o <= MAX_OFFSET).ok_or_else(|| {
            ApiError::BadRequest(format!("files.{name}.offset must be a line number"))
        })?,
    };
    let content = match v.get("content") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    ApiError::BadRequest(format!("files.{name}.content must hold strings"))
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "files.{name}.content must be a list of strings"
            )))
        }
    };
    Ok(Some(Chunk { offset, content }))
}

/// A history line: its `_step` (when it has one) and its text.
type HistoryLine = (Option<i64>, String);

/// What a post asks for, checked and decoded before any write.
struct Post {
    history: Option<(u64, Vec<HistoryLine>)>,
    metrics: LogMetrics,
    summary: Option<Map<String, Value>>,
    console: Option<(u64, Vec<(ConsoleStream, String)>)>,
    events: Option<(u64, Vec<String>)>,
    exit_code: Option<i32>,
}

/// Add the numbers of a history row (nested plain objects flattened with `.`) as
/// metric values. Keys starting with `_` are the client's bookkeeping, media
/// objects (`_type`) are not numbers; both are left out of charts, as are keys
/// Cairn cannot store.
fn numbers_of(prefix: &str, row: &Map<String, Value>, out: &mut BTreeMap<String, MetricValue>) {
    for (k, v) in row {
        if prefix.is_empty() && k.starts_with('_') {
            continue;
        }
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let value = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => validate::parse_special_float(s),
            Value::Object(o) if !o.contains_key("_type") => {
                numbers_of(&key, o, out);
                None
            }
            _ => None,
        };
        if let Some(x) = value {
            if validate::metric_key(&key).is_ok() && out.len() < validate::MAX_KEYS_PER_ROW {
                out.insert(key, MetricValue(x));
            }
        }
    }
}

/// A plausible Unix time in seconds from a row, if it has one.
fn row_time(row: &Map<String, Value>) -> Option<f64> {
    let t = row.get("_timestamp")?.as_f64()?;
    let latest = now_ms() as f64 / 1000.0 + 24.0 * 3600.0;
    (t.is_finite() && t >= 0.0 && t <= latest).then_some(t)
}

/// A console line as the client formats it: `"<ISO time> text"` for stdout and
/// `"ERROR <ISO time> text"` for stderr. The time is dropped: Cairn keeps lines.
fn console_line(raw: &str) -> (ConsoleStream, String) {
    let (stream, rest) = match raw.strip_prefix("ERROR ") {
        Some(rest) => (ConsoleStream::Stderr, rest),
        None => (ConsoleStream::Stdout, raw),
    };
    let looks_like_time = |t: &str| {
        t.len() >= 19
            && t.as_bytes()[0].is_ascii_digit()
            && t.as_bytes().get(4) == Some(&b'-')
            && t.as_bytes().get(10) == Some(&b'T')
    };
    let text = match rest.split_once(' ') {
        Some((t, text)) if looks_like_time(t) => text,
        None if looks_like_time(rest) => "",
        _ => rest,
    };
    let mut text = text.replace(['\n', '\r'], " ");
    if text.len() > validate::MAX_CONSOLE_LINE_BYTES {
        let mut cut = validate::MAX_CONSOLE_LINE_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    (stream, text)
}

fn decode(body: &Value) -> Result<Post, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::BadRequest("the file_stream body must be a JSON object".into()))?;
    let empty = Map::new();
    let files = match obj.get("files") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(f)) => f,
        Some(_) => return Err(ApiError::BadRequest("files must be an object".into())),
    };

    let mut metrics = LogMetrics { rows: Vec::new() };
    let history = match chunk(files, HISTORY)? {
        Some(c) => {
            let mut lines = Vec::with_capacity(c.content.len());
            for (i, line) in c.content.into_iter().enumerate() {
                let row = match parse_lenient(&line) {
                    Ok(Value::Object(row)) => row,
                    _ => {
                        return Err(ApiError::BadRequest(format!(
                            "{HISTORY} line {} is not a JSON object",
                            c.offset + i as u64
                        )))
                    }
                };
                let step = row.get("_step").and_then(Value::as_i64);
                if let Some(s) = step.filter(|s| (0..=validate::MAX_STEP).contains(s)) {
                    let mut values = BTreeMap::new();
                    numbers_of("", &row, &mut values);
                    if !values.is_empty() {
                        metrics.rows.push(MetricRow {
                            step: s,
                            time: row_time(&row),
                            values,
                        });
                    }
                }
                lines.push((step, line));
            }
            Some((c.offset, lines))
        }
        None => None,
    };

    let summary = match chunk(files, SUMMARY)? {
        Some(c) => match c.content.last() {
            Some(text) => match parse_lenient(text) {
                Ok(Value::Object(s)) => Some(s),
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "{SUMMARY} must hold a JSON object"
                    )))
                }
            },
            None => None,
        },
        None => None,
    };

    let console = chunk(files, CONSOLE)?.map(|c| {
        (
            c.offset,
            c.content.iter().map(|l| console_line(l)).collect(),
        )
    });

    let events = match chunk(files, EVENTS)? {
        Some(c) => {
            for (i, line) in c.content.iter().enumerate() {
                if !matches!(parse_lenient(line), Ok(Value::Object(_))) {
                    return Err(ApiError::BadRequest(format!(
                        "{EVENTS} line {} is not a JSON object",
                        c.offset + i as u64
                    )));
                }
            }
            Some((c.offset, c.content))
        }
        None => None,
    };

    let exit_code = if obj.get("complete").and_then(Value::as_bool) == Some(true) {
        Some(
            obj.get("exitcode")
                .and_then(Value::as_i64)
                .map_or(0, |c| c.clamp(i32::MIN as i64, i32::MAX as i64) as i32),
        )
    } else {
        None
    };
    Ok(Post {
        history,
        metrics,
        summary,
        console,
        events,
        exit_code,
    })
}

/// System metrics of event lines as `system/*` points, one step per line.
fn system_rows(first_line: u64, lines: &[String]) -> Vec<MetricRow> {
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Ok(Value::Object(row)) = parse_lenient(line) else {
            continue;
        };
        let mut values = BTreeMap::new();
        for (k, v) in &row {
            let Some(rest) = k.strip_prefix("system.") else {
                continue;
            };
            let key = format!("system/{rest}");
            if let (Some(x), true) = (v.as_f64(), validate::metric_key(&key).is_ok()) {
                values.insert(key, MetricValue(x));
            }
        }
        if !values.is_empty() {
            rows.push(MetricRow {
                step: (first_line + i as u64) as i64,
                time: row_time(&row),
                values,
            });
        }
    }
    rows
}

/// Apply one post. Answers what the client reads back: `stopped` when someone
/// stopped the run from Cairn (the client then ends the user's script).
pub async fn apply(
    writer: &Writer,
    user: &user::Model,
    at: &ProjectRef,
    run_id: &str,
    body: Value,
) -> Result<Value, ApiError> {
    let post = decode(&body)?;
    let now = now_ms();
    let mut metrics = post.metrics;
    if let Some((first, lines)) = &post.events {
        metrics.rows.extend(system_rows(*first, lines));
    }
    let (by_key, _points, latest_ms) = ops::points_by_key(metrics, now);
    let (user, at, run_id) = (user.clone(), at.clone(), run_id.to_owned());
    let history = post.history;
    let summary = post.summary;
    let console_lines = post.console;
    let events = post.events;
    let exit_code = post.exit_code;
    writer
        .write(move |tx| {
            Box::pin(async move {
                let (project, _owner, run) = ops::writable_run(tx, &user, &at, &run_id).await?;
                if let Some((first, lines)) = &history {
                    run_lines::write_history_lines(tx, run.id, *first, lines).await?;
                }
                if let Some((first, lines)) = &events {
                    run_lines::write_event_lines(tx, run.id, *first, lines).await?;
                }
                if let Some((first, lines)) = &console_lines {
                    console::write_lines(tx, run.id, *first, lines).await?;
                }
                let auto = if by_key.is_empty() {
                    None
                } else {
                    Some(ops::store_points(tx, &project, &run, &by_key).await?)
                };
                if let Some(s) = &summary {
                    let mut row = run_wandb::find(tx, run.id)
                        .await?
                        .unwrap_or_else(|| run_wandb::empty(run.id));
                    row.summary = Some(Value::Object(s.clone()).to_string());
                    run_wandb::save(tx, row).await?;
                }
                let stopped = run.state == RunState::Killed.as_str();
                let mut runtime = if latest_ms > i64::MIN {
                    ops::runtime_after(&run, latest_ms as f64 / 1000.0)
                } else {
                    run.runtime_seconds
                };
                if let Some(rt) = summary
                    .as_ref()
                    .and_then(|s| s.get("_runtime"))
                    .and_then(Value::as_f64)
                    .filter(|r| r.is_finite() && *r >= 0.0)
                {
                    runtime = runtime.max(rt);
                }
                let was_ended =
                    run.finished_at.is_some() || run.state == RunState::Crashed.as_str();
                let mut active: run::ActiveModel = run.clone().into();
                if let Some(a) = auto {
                    active.summary_auto = Set(a);
                }
                if let Some(s) = &summary {
                    active.summary_explicit = Set(ops::to_json(&wire::visible_summary(s))?);
                }
                active.heartbeat_at = Set(now);
                active.runtime_seconds = Set(runtime);
                match exit_code {
                    Some(code) if run.finished_at.is_none() || run.exit_code != Some(code) => {
                        active.state = Set(if stopped {
                            RunState::Killed
                        } else {
                            RunState::from_exit_code(code)
                        }
                        .as_str()
                        .to_owned());
                        active.exit_code = Set(Some(code));
                        active.finished_at = Set(Some(now.max(run.created_at)));
                    }
                    Some(_) => {} // a retried final post
                    None if was_ended && !stopped => {
                        // A resumed run is live again.
                        active.state = Set(RunState::Running.as_str().to_owned());
                        active.exit_code = Set(None);
                        active.finished_at = Set(None);
                    }
                    None => {}
                }
                let updated = crate::db::repo::runs::update(tx, active).await?;
                crate::service::automations::events::run_state(tx, &updated, &run.state).await?;
                projects::touch_last_active(tx, project.id, now).await?;
                let mut answer = serde_json::json!({ "exitcode": null, "limits": {} });
                if stopped {
                    answer["stopped"] = Value::Bool(true);
                }
                Ok(answer)
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn console_lines_lose_their_time_and_keep_their_stream() {
        assert_eq!(
            console_line("2026-11-26T03:43:04.058298 line 75"),
            (ConsoleStream::Stdout, "line 75".into())
        );
        assert_eq!(
            console_line("ERROR 2026-11-26T03:43:04.058365 to stderr 75"),
            (ConsoleStream::Stderr, "to stderr 75".into())
        );
        assert_eq!(
            console_line("no time here"),
            (ConsoleStream::Stdout, "no time here".into())
        );
        assert_eq!(
            console_line("2026-11-26T03:43:04.0"),
            (ConsoleStream::Stdout, "".into())
        );
    }

    #[test]
    fn history_numbers_skip_bookkeeping_and_media() {
        let row = json!({"_step": 3, "_runtime": 1.5, "loss": 0.5, "bad": NAN_STR, "ok": true,
                         "train": {"acc": 0.9, "deep": {"x": 1}}, "img": {"_type": "image-file", "width": 3}});
        let mut out = BTreeMap::new();
        numbers_of("", row.as_object().unwrap(), &mut out);
        let keys: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(keys, ["bad", "loss", "train.acc", "train.deep.x"]);
        assert!(out["bad"].0.is_nan());
    }

    const NAN_STR: &str = "NaN";

    #[test]
    fn posts_are_checked_before_anything_is_written() {
        let ok = decode(&json!({"files": {
            "wandb-history.jsonl": {"offset": 2, "content": ["{\"_step\": 2, \"loss\": NaN, \"_timestamp\": 1.7e9}"]},
            "wandb-summary.json": {"offset": 0, "content": ["{\"loss\": 1}"]},
            "output.log": {"offset": 1, "content": ["ERROR 2026-11-26T03:43:04.058365 boom"]},
        }, "complete": true, "exitcode": 3}))
        .unwrap();
        assert_eq!(ok.history.as_ref().unwrap().0, 2);
        assert_eq!(ok.metrics.rows.len(), 1);
        assert_eq!(ok.metrics.rows[0].step, 2);
        assert_eq!(ok.exit_code, Some(3));
        assert_eq!(ok.console.unwrap().1[0].0, ConsoleStream::Stderr);
        assert!(decode(&json!({})).unwrap().exit_code.is_none());
        for bad in [
            json!([]),
            json!({"files": []}),
            json!({"files": {"wandb-history.jsonl": {"offset": -1, "content": []}}}),
            json!({"files": {"wandb-history.jsonl": {"offset": 0, "content": ["not json"]}}}),
            json!({"files": {"output.log": {"offset": 0, "content": [1]}}}),
            json!({"files": {"wandb-summary.json": {"offset": 0, "content": ["[1]"]}}}),
        ] {
            assert!(decode(&bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn system_metrics_become_system_series() {
        let rows = system_rows(
            4,
            &["{\"_wandb\": true, \"_timestamp\": 1.7e9, \"system.cpu\": 12.5, \"system.disk./.usageGB\": 3}".into()],
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].step, 4);
        let keys: Vec<&str> = rows[0].values.keys().map(String::as_str).collect();
        assert_eq!(keys, ["system/cpu", "system/disk./.usageGB"]);
    }
}
