//! Translation between the wandb client's wire forms and Cairn's: JSON as Python
//! writes it (bare `NaN`), the config's `{key: {value}}` form with its `_wandb` block,
//! labels tidied rather than refused, and the summary keys Cairn shows.

use serde_json::{Map, Value};

use app::logic::validate;

use crate::service::ops;

/// Project name W&B uses when a client names none.
pub const DEFAULT_PROJECT: &str = "uncategorized";

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

/// A client-given label as Cairn can store it: `None` for absent or blank, control
/// characters as spaces, at most `MAX_LABEL_CHARS` characters.
pub fn tidy_label(v: Option<&str>) -> Option<String> {
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
}
