//! The run filters of W&B's public API (`Api().runs(path, filters={…})`): MongoDB-style
//! documents such as `{"state": "finished"}`, `{"config.lr": {"$gt": 0.01}}` or
//! `{"$or": [{"tags": {"$in": ["a"]}}, {"display_name": {"$regex": "^b"}}]}`, evaluated
//! against a JSON view of each run. Cairn's own filter language (the Runs tab) is
//! separate; this only serves wandb clients.

use regex::Regex;
use serde_json::{Map, Value};

/// A filter that was not understood: the client gets this message.
#[derive(Debug, PartialEq)]
pub struct BadFilter(pub String);

fn bad(msg: impl Into<String>) -> BadFilter {
    BadFilter(msg.into())
}

/// Check a filter's shape once, before it is applied to many runs.
pub fn check(filter: &Value) -> Result<(), BadFilter> {
    // Evaluating against an empty document visits every operator.
    matches(filter, &Value::Object(Map::new())).map(|_| ())
}

/// Whether `doc` (a run as JSON) passes `filter`.
pub fn matches(filter: &Value, doc: &Value) -> Result<bool, BadFilter> {
    let Value::Object(clauses) = filter else {
        return Err(bad("a run filter must be a JSON object"));
    };
    let mut all = true;
    for (key, cond) in clauses {
        let ok = match key.as_str() {
            "$and" => list(cond, "$and")?
                .iter()
                .map(|f| matches(f, doc))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .all(|b| b),
            "$or" => list(cond, "$or")?
                .iter()
                .map(|f| matches(f, doc))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .any(|b| b),
            "$nor" => !list(cond, "$nor")?
                .iter()
                .map(|f| matches(f, doc))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .any(|b| b),
            op if op.starts_with('$') => return Err(bad(format!("unknown operator {op:?}"))),
            field => field_matches(lookup(doc, field), cond)?,
        };
        all &= ok;
    }
    Ok(all)
}

fn list<'a>(v: &'a Value, op: &str) -> Result<&'a Vec<Value>, BadFilter> {
    v.as_array()
        .ok_or_else(|| bad(format!("{op} takes a list of filters")))
}

/// The value at a dotted path (`config.lr`); W&B's `config.lr.value` form also works.
pub fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    walk(doc, path).or_else(|| {
        path.strip_suffix(".value")
            .filter(|p| p.starts_with("config."))
            .and_then(|p| walk(doc, p))
    })
}

fn walk<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    // Keys may contain dots themselves (`train/loss` does not, `a.b` might): try the
    // longest key first at each level.
    let Value::Object(map) = doc else {
        return None;
    };
    if let Some(v) = map.get(path) {
        return Some(v);
    }
    let mut cut = path.len();
    while let Some(dot) = path[..cut].rfind('.') {
        if let Some(inner) = map.get(&path[..dot]) {
            if let Some(v) = walk(inner, &path[dot + 1..]) {
                return Some(v);
            }
        }
        cut = dot;
    }
    None
}

fn field_matches(value: Option<&Value>, cond: &Value) -> Result<bool, BadFilter> {
    match cond {
        Value::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => {
            let mut all = true;
            for (op, arg) in ops {
                let ok = match op.as_str() {
                    "$eq" => equal(value, arg),
                    "$ne" => !equal(value, arg),
                    "$gt" => compare(value, arg)?.is_some_and(|o| o.is_gt()),
                    "$gte" => compare(value, arg)?.is_some_and(|o| o.is_ge()),
                    "$lt" => compare(value, arg)?.is_some_and(|o| o.is_lt()),
                    "$lte" => compare(value, arg)?.is_some_and(|o| o.is_le()),
                    "$in" => list(arg, "$in")?.iter().any(|a| equal(value, a)),
                    "$nin" => !list(arg, "$nin")?.iter().any(|a| equal(value, a)),
                    "$exists" => {
                        value.is_some_and(|v| !v.is_null()) == arg.as_bool().unwrap_or(true)
                    }
                    "$regex" => {
                        let pattern = arg.as_str().ok_or_else(|| bad("$regex takes a string"))?;
                        let re = Regex::new(pattern).map_err(|e| {
                            bad(format!("$regex {pattern:?} is not a valid pattern: {e}"))
                        })?;
                        match value {
                            Some(Value::String(s)) => re.is_match(s),
                            Some(Value::Array(items)) => items
                                .iter()
                                .any(|i| i.as_str().is_some_and(|s| re.is_match(s))),
                            _ => false,
                        }
                    }
                    "$not" => !field_matches(value, arg)?,
                    other => return Err(bad(format!("unknown operator {other:?}"))),
                };
                all &= ok;
            }
            Ok(all)
        }
        plain => Ok(equal(value, plain)),
    }
}

/// Equality as Mongo has it: numbers by value, and a list field matches when any of
/// its items does (`{"tags": "a"}`).
fn equal(value: Option<&Value>, want: &Value) -> bool {
    match (value, want) {
        (None | Some(Value::Null), Value::Null) => true,
        (None, _) => false,
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(Value::Array(items)), w) if !w.is_array() => items.iter().any(|i| equal(Some(i), w)),
        (Some(v), w) => v == w,
    }
}

fn compare(value: Option<&Value>, arg: &Value) -> Result<Option<std::cmp::Ordering>, BadFilter> {
    Ok(match (value, arg) {
        (Some(Value::Number(a)), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Some(Value::String(a)), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (_, Value::Number(_) | Value::String(_)) => None,
        _ => return Err(bad("comparisons take a number or a string")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"name": "abc123", "display_name": "bright-sun-3", "state": "finished",
               "tags": ["baseline", "v1"], "group": "g", "createdAt": "2026-11-26T03:00:00",
               "config": {"lr": 0.01, "opt": {"name": "adam"}}, "summary_metrics": {"loss": 0.2}})
    }

    fn yes(f: Value) -> bool {
        matches(&f, &doc()).unwrap()
    }

    #[test]
    fn fields_operators_and_logic() {
        assert!(yes(json!({})));
        assert!(yes(json!({"state": "finished"})));
        assert!(!yes(json!({"state": "running"})));
        assert!(yes(json!({"config.lr": 0.01})));
        assert!(yes(json!({"config.lr.value": 0.01})));
        assert!(yes(json!({"config.opt.name": "adam"})));
        assert!(yes(
            json!({"summary_metrics.loss": {"$lt": 0.5, "$gte": 0.2}})
        ));
        assert!(!yes(json!({"summary_metrics.loss": {"$gt": 0.2}})));
        assert!(yes(json!({"tags": "v1"})));
        assert!(yes(json!({"tags": {"$in": ["x", "baseline"]}})));
        assert!(yes(json!({"tags": {"$nin": ["x"]}})));
        assert!(yes(json!({"display_name": {"$regex": "^bright"}})));
        assert!(yes(json!({"createdAt": {"$gt": "2026-01-01"}})));
        assert!(yes(json!({"missing": {"$exists": false}})));
        assert!(yes(json!({"$or": [{"state": "crashed"}, {"group": "g"}]})));
        assert!(!yes(
            json!({"$and": [{"state": "finished"}, {"group": "h"}]})
        ));
        assert!(yes(json!({"$nor": [{"state": "crashed"}]})));
        assert!(yes(json!({"state": {"$not": {"$eq": "failed"}}})));
        assert!(!yes(json!({"summary_metrics.nope": {"$lt": 1}})));
    }

    #[test]
    fn bad_filters_say_why() {
        for (f, msg) in [
            (json!([]), "JSON object"),
            (json!({"$xor": []}), "unknown operator"),
            (json!({"state": {"$near": 1}}), "unknown operator"),
            (json!({"$or": {}}), "list"),
            (json!({"name": {"$regex": "("}}), "not a valid pattern"),
            (json!({"name": {"$gt": [1]}}), "number or a string"),
        ] {
            let err = check(&f).unwrap_err();
            assert!(err.0.contains(msg), "{f}: {}", err.0);
        }
    }
}
