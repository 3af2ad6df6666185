//! Limits and shape checks for everything a client may send. The server calls these
//! before touching storage, so a request is either accepted whole or changes nothing.

/// Longest metric key, in bytes.
pub const MAX_METRIC_KEY_BYTES: usize = 256;
/// Longest entity or project name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest run id, in characters.
pub const MAX_RUN_ID_CHARS: usize = 64;
/// Longest display name, tag, group or job type, in characters.
pub const MAX_LABEL_CHARS: usize = 256;
/// Largest step: 2^53, beyond which a step has no exact f64 (chart x) value.
pub const MAX_STEP: i64 = 1 << 53;
/// Most distinct keys in one logged row.
pub const MAX_KEYS_PER_ROW: usize = 10_000;
/// Longest console line, in bytes; longer lines are rejected, not cut.
pub const MAX_CONSOLE_LINE_BYTES: usize = 64 * 1024;

/// Why a value was refused, in words a client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

/// A metric key: non-empty, at most [`MAX_METRIC_KEY_BYTES`], no control characters.
/// Any other Unicode, `/` included, is allowed.
pub fn metric_key(key: &str) -> Result<(), Invalid> {
    if key.is_empty() {
        return Err(invalid("metric key is empty"));
    }
    if key.len() > MAX_METRIC_KEY_BYTES {
        return Err(invalid(format!(
            "metric key is {} bytes; the limit is {MAX_METRIC_KEY_BYTES}",
            key.len()
        )));
    }
    if key.chars().any(char::is_control) {
        return Err(invalid(format!(
            "metric key {key:?} contains a control character"
        )));
    }
    Ok(())
}

/// An entity or project name: non-empty, at most [`MAX_NAME_CHARS`], not `.` or `..`,
/// no control characters. Slashes, spaces and quotes are fine (URLs encode them).
pub fn entity_or_project_name(what: &str, name: &str) -> Result<(), Invalid> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(invalid(format!("{what} name is empty")));
    }
    if trimmed != name {
        return Err(invalid(format!(
            "{what} name {name:?} has leading or trailing spaces"
        )));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "{what} name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    if name == "." || name == ".." {
        return Err(invalid(format!("{what} name may not be {name:?}")));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(format!("{what} name contains a control character")));
    }
    Ok(())
}

/// Characters a project name may not hold: the official wandb client refuses them
/// (`wandb.init(project=…)`), so a project named with one could never be logged to.
pub const PROJECT_NAME_FORBIDDEN: &[char] = &['/', '\\', '#', '?', '%', ':'];

/// A new project's name, the one rule of every door (the app's form and rename,
/// `/api/v1` and the wandb client's first log): a valid name (see
/// [`entity_or_project_name`]) without [`PROJECT_NAME_FORBIDDEN`]. Spaces, quotes,
/// `!` and any other Unicode are fine. Projects named before this rule keep working.
pub fn project_name(name: &str) -> Result<(), Invalid> {
    entity_or_project_name("project", name)?;
    let found: Vec<String> = PROJECT_NAME_FORBIDDEN
        .iter()
        .filter(|c| name.contains(**c))
        .map(|c| format!("'{c}'"))
        .collect();
    if !found.is_empty() {
        return Err(invalid(format!(
            "a project name may not contain {} (the wandb client refuses them)",
            found.join(", ")
        )));
    }
    Ok(())
}

/// Names that are URL paths of the app itself and so cannot name an entity.
pub const RESERVED_ENTITY_NAMES: &[&str] = &[
    "api",
    "pkg",
    "login",
    "logout",
    "signup",
    "settings",
    "graphql",
    "files",
    "storage",
    "sdk",
    "static",
    "favicon.svg",
    "healthz",
    "metrics",
];

/// An entity (user or team) name: a valid name that is not one of the app's own paths.
pub fn entity_name(name: &str) -> Result<(), Invalid> {
    entity_or_project_name("entity", name)?;
    if RESERVED_ENTITY_NAMES.contains(&name.to_lowercase().as_str()) {
        return Err(invalid(format!(
            "{name:?} is reserved and cannot name a user or team"
        )));
    }
    Ok(())
}

/// Longest username or team name, in characters.
pub const MAX_ACCOUNT_NAME_CHARS: usize = 64;

/// A username or team name (`what` says which): an entity name made only of
/// `[A-Za-z0-9_.-]`, at most [`MAX_ACCOUNT_NAME_CHARS`], so it reads well in URLs and
/// never needs escaping. Names are unique without regard to case (the caller checks
/// that against storage).
pub fn account_name(what: &str, name: &str) -> Result<(), Invalid> {
    entity_name(name)?;
    if name.len() > MAX_ACCOUNT_NAME_CHARS
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(invalid(format!(
            "a {what} name is 1 to {MAX_ACCOUNT_NAME_CHARS} letters, digits, '_', '.' or '-'"
        )));
    }
    Ok(())
}

/// A client-chosen run id: 1–64 characters of `[A-Za-z0-9_-]`.
pub fn run_id(id: &str) -> Result<(), Invalid> {
    if id.is_empty() || id.chars().count() > MAX_RUN_ID_CHARS {
        return Err(invalid(format!(
            "run id must be 1 to {MAX_RUN_ID_CHARS} characters"
        )));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(invalid(format!(
            "run id {id:?} contains {c:?}; use letters, digits, '-' and '_'"
        )));
    }
    Ok(())
}

/// A short label (display name, tag, group, job type).
pub fn label(what: &str, value: &str) -> Result<(), Invalid> {
    if value.is_empty() {
        return Err(invalid(format!("{what} is empty")));
    }
    if value.chars().count() > MAX_LABEL_CHARS {
        return Err(invalid(format!(
            "{what} is longer than {MAX_LABEL_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("{what} contains a control character")));
    }
    Ok(())
}

/// A run color: `#rgb` or `#rrggbb`.
pub fn color(value: &str) -> Result<(), Invalid> {
    let hex = value.strip_prefix('#').unwrap_or("");
    if (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(invalid(format!("color {value:?} is not #rgb or #rrggbb")))
    }
}

/// The spellings of non-finite floats accepted in JSON, where they have no literal.
pub fn parse_special_float(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" | "+Infinity" | "+inf" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_url_safe_ascii() {
        for ok in ["ada", "A.b-c_d", "x", &"n".repeat(64)] {
            assert!(account_name("user", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "ünï", "a/b", &"n".repeat(65), "settings", "API"] {
            assert!(account_name("team", bad).is_err(), "{bad:?}");
        }
        assert!(account_name("team", "a b")
            .unwrap_err()
            .to_string()
            .starts_with("a team name"));
    }

    #[test]
    fn project_names_follow_the_wandb_clients_rule() {
        for ok in [
            "my project!",
            "quote \"q\" 'x'",
            "Ünïcødé ✓ 日本",
            "a.b-c_d",
            "(v2) [test]",
        ] {
            assert!(project_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a/b",
            "a\\b",
            "run#1",
            "what?",
            "50%",
            "c:d",
            "",
            " x",
            "tab\there",
        ] {
            assert!(project_name(bad).is_err(), "{bad:?}");
        }
        assert!(project_name("a/b?")
            .unwrap_err()
            .to_string()
            .contains("'/', '?'"));
    }

    #[test]
    fn metric_keys() {
        assert!(metric_key("train/loss").is_ok());
        assert!(metric_key("精度 (val)").is_ok());
        assert_eq!(metric_key("").unwrap_err().0, "metric key is empty");
        assert!(metric_key(&"k".repeat(MAX_METRIC_KEY_BYTES)).is_ok());
        let long = metric_key(&"k".repeat(MAX_METRIC_KEY_BYTES + 1)).unwrap_err();
        assert!(long.0.contains("limit is 256"), "{long}");
        assert!(metric_key("a\nb").is_err());
    }

    #[test]
    fn names() {
        assert!(entity_or_project_name("project", "my project/v2 \"q\"").is_ok());
        assert!(entity_or_project_name("project", "").is_err());
        assert!(entity_or_project_name("project", " x").is_err());
        assert!(entity_or_project_name("project", "..").is_err());
        assert!(entity_or_project_name("project", &"é".repeat(128)).is_ok());
        assert!(entity_or_project_name("project", &"é".repeat(129)).is_err());
    }

    #[test]
    fn reserved_entity_names() {
        assert!(entity_name("alice").is_ok());
        assert!(entity_name("pkg").unwrap_err().0.contains("reserved"));
        assert!(entity_name("API").is_err());
    }

    #[test]
    fn run_ids() {
        assert!(run_id("abc12345").is_ok());
        assert!(run_id("my-run_1").is_ok());
        assert!(run_id("").is_err());
        assert!(run_id("a/b").unwrap_err().0.contains("'/'"));
        assert!(run_id(&"a".repeat(65)).is_err());
    }

    #[test]
    fn colors() {
        assert!(color("#fff").is_ok());
        assert!(color("#12abEF").is_ok());
        assert!(color("12abef").is_err());
        assert!(color("#12abeg").is_err());
    }

    #[test]
    fn special_floats() {
        assert!(parse_special_float("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_special_float("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_special_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_special_float("1.0"), None);
    }
}
