//! The reads of a run's history the wandb public API makes: tails, `history`,
//! `sampledHistory`, `historyKeys` and evenly spread samples.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};

use app::logic::validate;

use crate::db::repo::run_lines;
use crate::error::ApiError;

use super::wire::parse_lenient;

/// How many lines `historyTail` and `eventsTail` carry.
const TAIL_LINES: u64 = 10;

/// The last `TAIL_LINES` history lines, oldest first.
pub async fn history_tail(db: &impl ConnectionTrait, run_pk: i32) -> Result<Vec<String>, ApiError> {
    Ok(run_lines::last_history_lines(db, run_pk, TAIL_LINES).await?)
}

/// The last `TAIL_LINES` event lines, oldest first.
pub async fn events_tail(db: &impl ConnectionTrait, run_pk: i32) -> Result<Vec<String>, ApiError> {
    Ok(run_lines::last_event_lines(db, run_pk, TAIL_LINES).await?)
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
    let lines =
        run_lines::history_lines(db, run_pk, min, max.map(|m| m.saturating_add(1)), None).await?;
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
    let lines = run_lines::history_count(db, run_pk).await?;
    for reserved in ["_step", "_runtime", "_timestamp"] {
        if lines > 0 {
            counts
                .entry(reserved.into())
                .or_default()
                .insert("number".into(), lines);
        }
    }
    let recent = run_lines::last_history_lines(db, run_pk, KEY_SCAN_LINES).await?;
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
    let last_step = run_lines::max_history_step(db, run_pk).await?;
    Ok(serde_json::json!({ "lastStep": last_step, "keys": keys }))
}

/// At most `samples` history lines spread evenly over the run (first and last kept),
/// reading only line numbers to choose them.
pub async fn spread_history(
    db: &impl ConnectionTrait,
    run_pk: i32,
    samples: usize,
) -> Result<Vec<String>, ApiError> {
    let numbers = run_lines::history_line_numbers(db, run_pk).await?;
    let picked = spread(&numbers, samples);
    let mut out = Vec::with_capacity(picked.len());
    for part in picked.chunks(500) {
        out.extend(run_lines::history_lines_numbered(db, run_pk, part).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
