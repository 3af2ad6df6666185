//! Reading JSON that Cairn stored itself (a run's config, summaries and tags are JSON
//! text columns). It always decodes unless a row was damaged outside Cairn; then the
//! damage is logged as an error naming the row and the value reads as empty, so one
//! bad row shows up in the log instead of failing every page that lists it, and
//! instead of silently looking like an empty value.

use serde::de::DeserializeOwned;

/// `text` decoded as `T`, or `T::default()` after logging which row and column hold
/// JSON that does not decode.
pub fn decode<T: DeserializeOwned + Default>(table: &str, column: &str, key: i64, text: &str) -> T {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(
                table,
                column,
                key,
                error = %e,
                "stored JSON does not decode; it reads as empty until the row is repaired"
            );
            T::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_json_decodes_and_damage_reads_as_empty() {
        let tags: Vec<String> = decode("runs", "tags", 1, r#"["a","b"]"#);
        assert_eq!(tags, ["a", "b"]);
        let broken: Vec<String> = decode("runs", "tags", 1, r#"["a","#);
        assert!(broken.is_empty());
        let wrong_type: serde_json::Map<String, serde_json::Value> =
            decode("runs", "config", 1, "[1]");
        assert!(wrong_type.is_empty());
    }
}
