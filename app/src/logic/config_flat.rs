//! Nested config flattened into `a.b.c` columns, as tables and filters address it.

use serde_json::Value;

/// Flatten nested objects into `(dotted.key, leaf)` pairs, sorted by key. Arrays and
/// scalars are leaves; an empty object is a leaf too, so nothing silently disappears.
pub fn flatten(value: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    walk(String::new(), value, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn walk(prefix: String, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(key, v, out);
            }
        }
        _ if prefix.is_empty() && !value.is_object() => {
            out.push(("value".to_owned(), value.clone()))
        }
        _ if prefix.is_empty() => {}
        _ => out.push((prefix, value.clone())),
    }
}

/// A leaf as a table cell shows it: strings without quotes, everything else as JSON.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_f64()
            .map(super::format::number)
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_nested_objects() {
        let v = json!({"lr": 0.1, "model": {"arch": "resnet", "depth": {"blocks": 4}}, "tags": [1, 2], "empty": {}});
        let flat = flatten(&v);
        let keys: Vec<_> = flat.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["empty", "lr", "model.arch", "model.depth.blocks", "tags"]
        );
        assert_eq!(flat[3].1, json!(4));
    }

    #[test]
    fn empty_config_is_empty() {
        assert!(flatten(&json!({})).is_empty());
    }

    #[test]
    fn cells() {
        assert_eq!(cell_text(&json!("adam")), "adam");
        assert_eq!(cell_text(&json!(0.001)), "0.001");
        assert_eq!(cell_text(&json!(true)), "true");
        assert_eq!(cell_text(&json!([1, 2])), "[1,2]");
    }
}
