use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A metric value that survives JSON: finite numbers stay numbers, while NaN and
/// ±Inf travel as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (JSON has no
/// literal for them, and serde_json would otherwise turn them into `null`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct MetricValue(pub f64);

impl Serialize for MetricValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if v == f64::INFINITY {
            s.serialize_str("Infinity")
        } else if v == f64::NEG_INFINITY {
            s.serialize_str("-Infinity")
        } else {
            s.serialize_f64(v)
        }
    }
}

impl<'de> Deserialize<'de> for MetricValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MetricValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or one of \"NaN\", \"Infinity\", \"-Infinity\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MetricValue, E> {
                Ok(MetricValue(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MetricValue, E> {
                Ok(MetricValue(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MetricValue, E> {
                Ok(MetricValue(v as f64))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<MetricValue, E> {
                Ok(MetricValue(if v { 1.0 } else { 0.0 }))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MetricValue, E> {
                crate::logic::validate::parse_special_float(v)
                    .map(MetricValue)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

/// One logged point of one metric.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct MetricPoint {
    pub step: i64,
    pub value: MetricValue,
    /// Wall time in Unix seconds (fractional).
    pub wall_time: f64,
}

/// A slice of a series reduced to a few numbers, so charts stay small however
/// many points were logged. A bucket holding one point has min = max = last = mean.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct MetricBucket {
    /// First step in the bucket.
    pub step_start: i64,
    /// Last step in the bucket.
    pub step_end: i64,
    /// Min, max and mean over the bucket's finite values (NaN when it has none).
    pub min: MetricValue,
    pub max: MetricValue,
    pub mean: MetricValue,
    /// The bucket's last value, whatever it is.
    pub last: MetricValue,
    /// Points in the bucket, counting NaN and ±Inf.
    pub count: u64,
    /// How many of those were NaN or ±Inf.
    pub nonfinite: u64,
}

/// One metric of one run, ready to draw.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ChartSeries {
    pub key: String,
    /// Points stored for the key.
    pub total_points: u64,
    pub buckets: Vec<MetricBucket>,
}
