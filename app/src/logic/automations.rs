//! Automations' pure parts: filling a payload template, the metric windows and their
//! once-per-crossing rule, and the retry schedule.
//!
//! **Templates.** `${name}` is replaced by a variable's value. Inside a JSON string
//! (`"run ${run_name} failed"`) the value is inserted JSON-escaped, so a quote or a
//! newline in a run name cannot break the payload; outside a string (`"value":
//! ${value}`) it is inserted as a JSON value (a number as a number, text quoted, a
//! missing variable as `null`). A missing variable inside a string is left empty.
//!
//! **Metric windows.** A run keeps, per automation, the last values of the watched
//! metric (as many as the rule needs) and whether its condition held after the last
//! value. The automation fires when the condition goes from false to true: once per
//! crossing, never on every logged step while it stays true.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{ChangeDirection, ChangeKind, Comparison, Trigger, WindowAgg};

/// A variable name in `${…}`: letters, digits, `_`, `.` and `-`, not starting with a
/// digit.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// One piece of a template.
enum Piece<'a> {
    Text(&'a str),
    /// A variable and whether it sits inside a JSON string.
    Var(&'a str, bool),
}

/// Split a template into text and variables, tracking JSON string context.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let bytes = template.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut start) = (0, 0);
    let mut in_string = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => {
                i += 2;
                continue;
            }
            b'"' => in_string = !in_string,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                if let Some(len) = template[i + 2..].find('}') {
                    let name = &template[i + 2..i + 2 + len];
                    if is_name(name) {
                        out.push(Piece::Text(&template[start..i]));
                        out.push(Piece::Var(name, in_string));
                        i += 3 + len;
                        start = i;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push(Piece::Text(&template[start.min(template.len())..]));
    out
}

/// The variables a template uses, in order, each once.
pub fn variables(template: &str) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for p in pieces(template) {
        if let Piece::Var(name, _) = p {
            if !seen.iter().any(|s| s == name) {
                seen.push(name.to_owned());
            }
        }
    }
    seen
}

/// A value as text: strings as they are, numbers and booleans printed, null empty.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Fill a JSON template. `lookup` gives a variable's value (None: missing).
pub fn render_json(template: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for p in pieces(template) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name, true) => {
                let text = lookup(name).map(|v| text_of(&v)).unwrap_or_default();
                // The escaped string without its surrounding quotes.
                let quoted = Value::String(text).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Piece::Var(name, false) => {
                let v = lookup(name).unwrap_or(Value::Null);
                let v = match v {
                    Value::Number(n) if n.as_f64().is_some_and(|f| !f.is_finite()) => Value::Null,
                    v => v,
                };
                out.push_str(&v.to_string());
            }
        }
    }
    out
}

/// Fill a plain-text template (a chat message): values as text.
pub fn render_text(template: &str, lookup: &dyn Fn(&str) -> Option<Value>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    for p in pieces(template) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name, _) => {
                out.push_str(&lookup(name).map(|v| text_of(&v)).unwrap_or_default())
            }
        }
    }
    out
}

/// The variables every event provides (missing ones render empty or `null`).
pub const VARIABLES: [(&str, &str); 24] = [
    (
        "event_type",
        "artifact_created, alias_added, run_state, run_metric, …",
    ),
    ("event_author", "who caused the event"),
    ("entity_name", "the team or user"),
    ("project_name", "the project"),
    ("project_url", "the project's page"),
    ("automation_name", "this automation"),
    ("run_id", "the run's id"),
    ("run_name", "the run's name"),
    ("run_url", "the run's page"),
    ("run_state", "running, finished, failed, crashed"),
    ("metric", "the watched metric"),
    ("value", "the window's value (or the change)"),
    ("artifact_collection_name", "the artifact's collection"),
    ("artifact_type", "the collection's type"),
    ("artifact_version", "the version's index (3)"),
    ("artifact_version_string", "collection:v3"),
    ("artifact_url", "the version's page"),
    ("alias", "the alias added"),
    ("tag", "the tag added"),
    ("sweep_name", "the sweep's id"),
    ("sweep_url", "the sweep's page"),
    ("alert_title", "run.alert()'s title"),
    ("alert_text", "run.alert()'s text"),
    ("alert_level", "INFO, WARN or ERROR"),
];

/// Whether `name` is a variable Cairn fills in (besides secrets, which are names in
/// capitals).
pub fn is_known_variable(name: &str) -> bool {
    VARIABLES.iter().any(|(v, _)| *v == name)
        || name
            .strip_prefix("artifact_metadata.")
            .is_some_and(|k| !k.is_empty())
}

/// Check a payload template: each variable known or a secret, and the result JSON.
pub fn check_payload(template: &str, is_secret: &dyn Fn(&str) -> bool) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("the payload is empty; write a JSON object".into());
    }
    if template.len() > 64 * 1024 {
        return Err("the payload template is longer than 64 KB".into());
    }
    check_variables(template, is_secret)?;
    let sample = render_json(template, &|name| {
        Some(if name == "value" || name == "artifact_version" {
            Value::from(1.5)
        } else {
            Value::String(format!("sample \"{name}\""))
        })
    });
    serde_json::from_str::<Value>(&sample).map_err(|e| {
        format!("the payload is not valid JSON once filled in: {e} (a variable outside quotes is inserted as a JSON value)")
    })?;
    Ok(())
}

/// Check that every variable of a template is known or a secret.
pub fn check_variables(template: &str, is_secret: &dyn Fn(&str) -> bool) -> Result<(), String> {
    for name in variables(template) {
        if !is_known_variable(&name) && !is_secret(&name) {
            return Err(format!(
                "${{{name}}} is neither a variable nor a secret of this team or user"
            ));
        }
    }
    Ok(())
}

/// The payload a chat webhook expects for a message: Slack's `{"text": …}`, Discord's
/// `{"content": …}` (cut to Discord's 2,000 characters).
pub fn chat_payload(kind: &str, message: &str) -> String {
    let body = if kind == "discord" {
        let cut: String = message.chars().take(2000).collect();
        serde_json::json!({ "content": cut })
    } else {
        serde_json::json!({ "text": message })
    };
    body.to_string()
}

/// A ready message for an event kind (Slack's `<url|text>` links; Discord shows the
/// URL).
pub fn default_message(kind: &str) -> &'static str {
    match kind {
        "artifact_created" => {
            "New artifact version ${artifact_version_string} in ${entity_name}/${project_name} by ${event_author}: ${artifact_url}"
        }
        "alias_added" => {
            "Alias ${alias} now on ${artifact_version_string} in ${entity_name}/${project_name} (by ${event_author}): ${artifact_url}"
        }
        "tag_added" => {
            "Tag ${tag} added to ${artifact_version_string} in ${entity_name}/${project_name}: ${artifact_url}"
        }
        "run_state" => "Run ${run_name} in ${entity_name}/${project_name} is ${run_state}: ${run_url}",
        "run_metric" | "run_metric_change" => {
            "${metric} of run ${run_name} in ${entity_name}/${project_name} reached ${value}: ${run_url}"
        }
        "sweep_finished" => "Sweep ${sweep_name} in ${entity_name}/${project_name} finished: ${sweep_url}",
        "sweep_best_run" => {
            "Run ${run_name} is the new best of sweep ${sweep_name} (${metric} = ${value}): ${run_url}"
        }
        "run_alert" => "[${alert_level}] ${alert_title}: ${alert_text} (run ${run_name}, ${run_url})",
        _ => "${event_type} in ${entity_name}/${project_name}",
    }
}

/// A generic webhook's default payload.
pub const DEFAULT_PAYLOAD: &str = r#"{
  "event_type": "${event_type}",
  "entity": "${entity_name}",
  "project": "${project_name}",
  "author": "${event_author}",
  "run": {"id": "${run_id}", "name": "${run_name}", "url": "${run_url}", "state": "${run_state}"},
  "metric": "${metric}",
  "value": ${value},
  "artifact": "${artifact_version_string}",
  "alias": "${alias}"
}"#;

// ---- metric windows ----

/// A metric rule, read off a trigger.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricRule {
    Threshold {
        window: usize,
        agg: WindowAgg,
        op: Comparison,
        threshold: f64,
    },
    Change {
        current: usize,
        prior: usize,
        change: ChangeKind,
        direction: ChangeDirection,
        amount: f64,
    },
}

/// Largest window of either kind.
pub const MAX_WINDOW: u32 = 1000;

impl MetricRule {
    /// The rule of a metric trigger and its metric name; None for other triggers.
    pub fn of(trigger: &Trigger) -> Option<(&str, MetricRule)> {
        match trigger {
            Trigger::RunMetric {
                metric,
                window,
                agg,
                op,
                threshold,
                ..
            } => Some((
                metric,
                MetricRule::Threshold {
                    window: (*window).clamp(1, MAX_WINDOW) as usize,
                    agg: *agg,
                    op: *op,
                    threshold: *threshold,
                },
            )),
            Trigger::RunMetricChange {
                metric,
                current_window,
                prior_window,
                change,
                direction,
                amount,
                ..
            } => Some((
                metric,
                MetricRule::Change {
                    current: (*current_window).clamp(1, MAX_WINDOW) as usize,
                    prior: (*prior_window).clamp(1, MAX_WINDOW) as usize,
                    change: *change,
                    direction: *direction,
                    amount: *amount,
                },
            )),
            _ => None,
        }
    }

    /// How many recent values the rule looks at.
    pub fn capacity(&self) -> usize {
        match self {
            MetricRule::Threshold { window, .. } => *window,
            MetricRule::Change { current, prior, .. } => current + prior,
        }
    }

    /// The value the rule compares for `values` (oldest first), if it can be
    /// computed yet: the window statistic, or the change.
    pub fn measure(&self, values: &VecDeque<f64>) -> Option<f64> {
        match *self {
            MetricRule::Threshold { window, agg, .. } => {
                let n = values.len().min(window);
                if n == 0 {
                    return None;
                }
                let last = values.iter().skip(values.len() - n);
                Some(match agg {
                    WindowAgg::Mean => last.sum::<f64>() / n as f64,
                    WindowAgg::Min => last.fold(f64::INFINITY, |a, &b| a.min(b)),
                    WindowAgg::Max => last.fold(f64::NEG_INFINITY, |a, &b| a.max(b)),
                })
            }
            MetricRule::Change {
                current,
                prior,
                change,
                ..
            } => {
                if values.len() < current + prior {
                    return None;
                }
                let start = values.len() - current - prior;
                let mean = |skip: usize, n: usize| {
                    values.iter().skip(skip).take(n).sum::<f64>() / n as f64
                };
                let before = mean(start, prior);
                let now = mean(start + prior, current);
                let delta = now - before;
                Some(match change {
                    ChangeKind::Absolute => delta,
                    ChangeKind::Relative if before == 0.0 && delta == 0.0 => 0.0,
                    ChangeKind::Relative => delta / before.abs(),
                })
            }
        }
    }

    /// Whether the condition holds for a measured value.
    pub fn holds(&self, measured: f64) -> bool {
        match *self {
            MetricRule::Threshold { op, threshold, .. } => match op {
                Comparison::Gt => measured > threshold,
                Comparison::Gte => measured >= threshold,
                Comparison::Lt => measured < threshold,
                Comparison::Lte => measured <= threshold,
                Comparison::Eq => measured == threshold,
                Comparison::Ne => measured != threshold,
            },
            MetricRule::Change {
                direction, amount, ..
            } => {
                let amount = amount.abs();
                match direction {
                    ChangeDirection::Increase => measured >= amount && measured > 0.0,
                    ChangeDirection::Decrease => -measured >= amount && measured < 0.0,
                    ChangeDirection::Any => measured.abs() >= amount && measured != 0.0,
                }
            }
        }
    }
}

/// What a run remembers per metric automation.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct MetricWindow {
    /// The latest values, oldest first (at most the rule's capacity).
    pub values: VecDeque<f64>,
    /// The condition held after the latest value.
    pub firing: bool,
}

impl MetricWindow {
    /// Take new values in step order; returns the measured value at each crossing
    /// (false → true). Values that are not finite are skipped.
    pub fn feed(&mut self, rule: &MetricRule, new: impl IntoIterator<Item = f64>) -> Vec<f64> {
        let cap = rule.capacity();
        let mut fired = Vec::new();
        for v in new.into_iter().filter(|v| v.is_finite()) {
            self.values.push_back(v);
            while self.values.len() > cap {
                self.values.pop_front();
            }
            let now = match rule.measure(&self.values) {
                Some(m) if rule.holds(m) => Some(m),
                _ => None,
            };
            match now {
                Some(m) if !self.firing => {
                    self.firing = true;
                    fired.push(m);
                }
                Some(_) => {}
                None => self.firing = false,
            }
        }
        fired
    }
}

// ---- retries ----

/// Give up on an execution this long after its first attempt.
pub const RETRY_FOR_MS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY_MS: i64 = 3600 * 1000;

/// The wait after the `attempt`-th failed attempt (1-based): `base`, then doubling,
/// at most an hour.
pub fn retry_delay_ms(attempt: u32, base_ms: i64) -> i64 {
    let doublings = attempt.saturating_sub(1).min(30);
    base_ms
        .max(1)
        .saturating_mul(1i64 << doublings)
        .min(MAX_RETRY_DELAY_MS)
}

/// When to try again after the `attempt`-th failure at `now`, or None to give up
/// (the next try would fall more than [`RETRY_FOR_MS`] after `first_at`).
pub fn next_attempt_at(first_at: i64, now: i64, attempt: u32, base_ms: i64) -> Option<i64> {
    let at = now.saturating_add(retry_delay_ms(attempt, base_ms));
    (at - first_at <= RETRY_FOR_MS).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn vars(name: &str) -> Option<Value> {
        match name {
            "run_name" => Some(json!("say \"hi\"\nnow")),
            "value" => Some(json!(0.25)),
            "n" => Some(json!(3)),
            _ => None,
        }
    }

    #[test]
    fn values_inside_strings_are_escaped_and_outside_are_json() {
        let t =
            r#"{"text": "run ${run_name} at ${value}", "value": ${value}, "name": ${run_name}}"#;
        let out = render_json(t, &vars);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["text"], "run say \"hi\"\nnow at 0.25");
        assert_eq!(v["value"], 0.25);
        assert_eq!(v["name"], "say \"hi\"\nnow");
    }

    #[test]
    fn missing_variables_are_empty_in_strings_and_null_outside() {
        let out = render_json(r#"{"a": "x${alias}y", "b": ${alias}}"#, &vars);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v, json!({"a": "xy", "b": null}));
    }

    #[test]
    fn escaped_quotes_keep_the_string_context() {
        let out = render_json(r#"{"a": "q\"${n}\" ${n}"}"#, &vars);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "q\"3\" 3");
        // Not a variable: left as written.
        assert_eq!(render_json("${1x} ${} $x", &vars), "${1x} ${} $x");
    }

    #[test]
    fn payload_check_names_unknown_variables_and_bad_json() {
        let secret = |n: &str| n == "API_TOKEN";
        assert!(check_payload(DEFAULT_PAYLOAD, &secret).is_ok());
        assert!(check_payload(
            r#"{"t": "${API_TOKEN}", "m": "${artifact_metadata.acc}"}"#,
            &secret
        )
        .is_ok());
        let e = check_payload(r#"{"t": "${NOPE}"}"#, &secret).unwrap_err();
        assert!(e.contains("${NOPE}"), "{e}");
        let e = check_payload(r#"{"t": ${run_name}"#, &secret).unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
    }

    #[test]
    fn chat_payloads_are_what_slack_and_discord_take() {
        let s: Value = serde_json::from_str(&chat_payload("slack", "a \"b\"")).unwrap();
        assert_eq!(s, json!({"text": "a \"b\""}));
        let d: Value = serde_json::from_str(&chat_payload("discord", &"x".repeat(3000))).unwrap();
        assert_eq!(d["content"].as_str().unwrap().len(), 2000);
        assert_eq!(
            render_text("run ${run_name}!", &vars),
            "run say \"hi\"\nnow!"
        );
    }

    fn threshold(window: usize, op: Comparison, t: f64) -> MetricRule {
        MetricRule::Threshold {
            window,
            agg: WindowAgg::Mean,
            op,
            threshold: t,
        }
    }

    #[test]
    fn a_threshold_fires_once_per_crossing() {
        let rule = threshold(2, Comparison::Gt, 1.0);
        let mut w = MetricWindow::default();
        assert!(w.feed(&rule, [0.5, 0.8]).is_empty());
        let fired = w.feed(&rule, [1.6]); // mean(0.8, 1.6)
        assert!(
            fired.len() == 1 && (fired[0] - 1.2).abs() < 1e-12,
            "{fired:?}"
        );
        assert!(
            w.feed(&rule, [2.0, 3.0, 4.0]).is_empty(),
            "still above: no storm"
        );
        assert!(w.feed(&rule, [0.0, 0.0]).is_empty()); // re-armed
        assert_eq!(w.feed(&rule, [5.0]), vec![2.5]);
    }

    #[test]
    fn min_max_and_change_rules() {
        let min = MetricRule::Threshold {
            window: 3,
            agg: WindowAgg::Min,
            op: Comparison::Lte,
            threshold: 0.1,
        };
        let mut w = MetricWindow::default();
        assert_eq!(w.feed(&min, [0.5, 0.05, 0.5]), vec![0.05]);
        let change = MetricRule::Change {
            current: 2,
            prior: 2,
            change: ChangeKind::Relative,
            direction: ChangeDirection::Increase,
            amount: 0.5,
        };
        let mut w = MetricWindow::default();
        assert!(
            w.feed(&change, [1.0, 1.0, 1.2]).is_empty(),
            "not enough values"
        );
        assert!(w.feed(&change, [1.2]).is_empty(), "+20% is under 50%");
        let fired = w.feed(&change, [2.0, 2.0]);
        assert_eq!(fired.len(), 1);
        assert!((fired[0] - (2.0 - 1.2) / 1.2).abs() < 1e-9, "{fired:?}");
        let down = MetricRule::Change {
            current: 1,
            prior: 1,
            change: ChangeKind::Absolute,
            direction: ChangeDirection::Decrease,
            amount: 1.0,
        };
        let mut w = MetricWindow::default();
        assert_eq!(w.feed(&down, [5.0, 3.0, 3.5, 1.0]), vec![-2.0, -2.5]);
    }

    #[test]
    fn backoff_doubles_to_an_hour_and_stops_after_a_day() {
        assert_eq!(retry_delay_ms(1, 10_000), 10_000);
        assert_eq!(retry_delay_ms(2, 10_000), 20_000);
        assert_eq!(retry_delay_ms(5, 10_000), 160_000);
        assert_eq!(retry_delay_ms(40, 10_000), MAX_RETRY_DELAY_MS);
        assert_eq!(next_attempt_at(0, 1000, 1, 10_000), Some(11_000));
        assert_eq!(next_attempt_at(0, RETRY_FOR_MS - 5000, 9, 10_000), None);
        // A whole schedule from the default base: about 30 attempts in 24 hours.
        let (mut now, mut n) = (0i64, 0u32);
        while let Some(at) = next_attempt_at(0, now, n + 1, 10_000) {
            now = at;
            n += 1;
        }
        assert!((25..=35).contains(&n), "{n} attempts");
    }

    proptest! {
        /// Fires exactly at the false→true transitions of the condition, however the
        /// values are split into requests.
        #[test]
        fn fires_at_each_crossing_whatever_the_batches(
            values in proptest::collection::vec(-5.0f64..5.0, 0..80),
            cut in proptest::collection::vec(0usize..80, 0..6),
            window in 1usize..6,
            t in -2.0f64..2.0,
        ) {
            let rule = threshold(window, Comparison::Gte, t);
            // The expected crossings, from first principles.
            let mut expected = Vec::new();
            let mut before = false;
            for i in 0..values.len() {
                let from = (i + 1).saturating_sub(window);
                let w = &values[from..=i];
                let mean = w.iter().sum::<f64>() / w.len() as f64;
                let now = mean >= t;
                if now && !before { expected.push(i); }
                before = now;
            }
            let mut cuts: Vec<usize> = cut.into_iter().filter(|c| *c <= values.len()).collect();
            cuts.push(0);
            cuts.push(values.len());
            cuts.sort();
            let mut w = MetricWindow::default();
            let mut fired = 0;
            for pair in cuts.windows(2) {
                fired += w.feed(&rule, values[pair[0]..pair[1]].iter().copied()).len();
            }
            prop_assert_eq!(fired, expected.len());
            prop_assert!(w.values.len() <= window);
        }

        /// Rendering never produces invalid JSON from a valid template, whatever the
        /// values.
        #[test]
        fn rendered_payloads_stay_json(name in ".*", value in proptest::num::f64::ANY) {
            let out = render_json(DEFAULT_PAYLOAD, &|v| match v {
                "value" => Some(json!(value)),
                _ => Some(Value::String(name.clone())),
            });
            prop_assert!(serde_json::from_str::<Value>(&out).is_ok(), "{}", out);
        }
    }
}
