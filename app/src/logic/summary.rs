//! Summary rules. A run's summary is, per metric key, the value logged at the highest
//! step (the automatic part), overlaid by values the client set explicitly, which
//! always win. Keeping the two apart lets a later log update the automatic value
//! without clobbering an explicit one, and lets an explicit value be removed again.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::model::MetricValue;

/// The automatic part: for each key, the step and value of its latest point.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct AutoSummary(pub BTreeMap<String, LastPoint>);

/// The latest point seen for one key, with the series' min, max and mean over its
/// finite values (absent when it has none), kept current on ingest so tables and
/// filters never scan history.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct LastPoint {
    pub step: i64,
    pub value: MetricValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<MetricValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<MetricValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<MetricValue>,
}

impl AutoSummary {
    /// Take a logged point into account. A point at a step at or after the stored
    /// one replaces it (a re-sent step is a correction); an older step does not.
    pub fn observe(&mut self, key: &str, step: i64, value: f64) {
        match self.0.get_mut(key) {
            Some(last) if step < last.step => {}
            Some(last) => {
                last.step = step;
                last.value = MetricValue(value);
            }
            None => {
                self.0.insert(
                    key.to_owned(),
                    LastPoint {
                        step,
                        value: MetricValue(value),
                        min: None,
                        max: None,
                        mean: None,
                    },
                );
            }
        }
    }
}

/// The summary a person sees: automatic values overlaid by explicit ones. Non-finite
/// values appear as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn effective(auto: &AutoSummary, explicit: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, last) in &auto.0 {
        out.insert(
            key.clone(),
            serde_json::to_value(last.value).unwrap_or(Value::Null),
        );
    }
    for (key, value) in explicit {
        out.insert(key.clone(), value.clone());
    }
    out
}

/// Apply a client's summary update to the explicit part: keys with a value are set,
/// keys with `null` are removed (so the automatic value shows again).
pub fn apply_explicit(explicit: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        if value.is_null() {
            explicit.remove(key);
        } else {
            explicit.insert(key.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn last_value_by_step_wins() {
        let mut s = AutoSummary::default();
        s.observe("loss", 1, 0.9);
        s.observe("loss", 3, 0.5);
        s.observe("loss", 2, 0.7); // late retry of an older step
        assert_eq!(s.0["loss"].value.0, 0.5);
        s.observe("loss", 3, 0.4); // correction of the same step
        assert_eq!(s.0["loss"].value.0, 0.4);
    }

    #[test]
    fn explicit_values_win_and_can_be_removed() {
        let mut auto = AutoSummary::default();
        auto.observe("acc", 10, 0.8);
        auto.observe("loss", 10, 0.2);
        let mut explicit = Map::new();
        apply_explicit(
            &mut explicit,
            json!({"acc": 0.95, "best": "epoch 3"}).as_object().unwrap(),
        );
        let eff = effective(&auto, &explicit);
        assert_eq!(eff["acc"], json!(0.95));
        assert_eq!(eff["loss"], json!(0.2));
        assert_eq!(eff["best"], json!("epoch 3"));
        apply_explicit(&mut explicit, json!({"acc": null}).as_object().unwrap());
        assert_eq!(effective(&auto, &explicit)["acc"], json!(0.8));
    }

    #[test]
    fn non_finite_values_survive_as_strings() {
        let mut auto = AutoSummary::default();
        auto.observe("a", 0, f64::NAN);
        auto.observe("b", 0, f64::NEG_INFINITY);
        let eff = effective(&auto, &Map::new());
        assert_eq!(eff["a"], json!("NaN"));
        assert_eq!(eff["b"], json!("-Infinity"));
        let back: AutoSummary =
            serde_json::from_str(&serde_json::to_string(&auto).unwrap()).unwrap();
        assert!(back.0["a"].value.0.is_nan());
    }
}
