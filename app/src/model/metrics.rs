use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::RunId;
use std::fmt;

/// A metric value that survives JSON: finite numbers stay numbers, while NaN and
/// ±Inf travel as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (JSON has no
/// literal for them, and serde_json would otherwise turn them into `null`).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, bitcode::Encode, bitcode::Decode)]
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
            // `true`/`false` are not numbers: refused like any other non-number,
            // rather than quietly stored as 1 and 0.
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
/// many points were logged. A bucket holding one point has min = max = mean = that
/// value (or NaN when it is not finite) and `x_first == x_last`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct MetricBucket {
    /// Smallest x of a point in the bucket (a step, or seconds on time axes).
    pub x_first: f64,
    /// Largest x of a point in the bucket.
    pub x_last: f64,
    /// Min, max and mean over the bucket's finite values (NaN when it has none).
    pub min: MetricValue,
    pub max: MetricValue,
    pub mean: MetricValue,
    /// The value logged at the bucket's highest step, whatever it is.
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
    /// Points stored for the key (whole series, not just the range asked for).
    pub total_points: u64,
    pub buckets: Vec<MetricBucket>,
}

/// What a chart's x axis measures.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    Hash,
    bitcode::Encode,
    bitcode::Decode,
)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    /// The step the client logged.
    #[default]
    Step,
    /// Wall-clock time, Unix seconds.
    WallTime,
    /// Seconds since the run started.
    RelativeTime,
}

impl XAxis {
    pub fn as_str(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::WallTime => "wall_time",
            XAxis::RelativeTime => "relative_time",
        }
    }
}

impl std::str::FromStr for XAxis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "step" | "_step" => Ok(XAxis::Step),
            "wall_time" | "wall" | "_timestamp" => Ok(XAxis::WallTime),
            "relative_time" | "relative" | "_runtime" => Ok(XAxis::RelativeTime),
            other => Err(format!(
                "unknown x axis {other:?}; use step, wall_time or relative_time"
            )),
        }
    }
}

/// How runs are grouped for group statistics.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The run's group field.
    RunGroup,
    /// The run's job type.
    JobType,
    /// A config key, flattened with `.` (`optimizer.lr`).
    Config(String),
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    /// `group`, `job_type`, or `config.<key>`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "group" | "run_group" => Ok(GroupBy::RunGroup),
            "job_type" => Ok(GroupBy::JobType),
            other => match other.strip_prefix("config.") {
                Some(key) if !key.is_empty() => Ok(GroupBy::Config(key.to_owned())),
                _ => Err(format!(
                    "cannot group by {other:?}; use group, job_type or config.<key>"
                )),
            },
        }
    }
}

/// A bucket query: one metric over several runs of a project.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SeriesQuery {
    pub runs: Vec<RunId>,
    pub key: String,
    #[serde(default)]
    pub x: XAxis,
    /// Inclusive x range; the runs' whole extent when absent.
    #[serde(default)]
    pub x_min: Option<f64>,
    #[serde(default)]
    pub x_max: Option<f64>,
    /// At most this many buckets per run.
    pub buckets: usize,
    #[serde(default)]
    pub group_by: Option<GroupBy>,
}

/// One run's part of a bucket query's answer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, bitcode::Encode, bitcode::Decode)]
pub struct RunSeries {
    pub run: RunId,
    /// Points stored for the key in this run (the whole series).
    pub total_points: u64,
    /// True when the range held no more points than buckets asked for, so every
    /// bucket is one raw point (full fidelity).
    pub raw: bool,
    pub buckets: BucketColumns,
}

/// Buckets stored column by column, which keeps answers for many runs small and
/// fast to encode. For a raw answer only `x_first` and `last` are filled (every
/// bucket is one point), and [`BucketColumns::rows`] fills in the rest.
#[derive(
    Serialize, Deserialize, Clone, Debug, PartialEq, Default, bitcode::Encode, bitcode::Decode,
)]
pub struct BucketColumns {
    pub x_first: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x_last: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub min: Vec<MetricValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub max: Vec<MetricValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mean: Vec<MetricValue>,
    pub last: Vec<MetricValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub count: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nonfinite: Vec<u64>,
}

impl BucketColumns {
    /// Columns of full buckets.
    pub fn from_buckets(buckets: &[MetricBucket]) -> BucketColumns {
        BucketColumns {
            x_first: buckets.iter().map(|b| b.x_first).collect(),
            x_last: buckets.iter().map(|b| b.x_last).collect(),
            min: buckets.iter().map(|b| b.min).collect(),
            max: buckets.iter().map(|b| b.max).collect(),
            mean: buckets.iter().map(|b| b.mean).collect(),
            last: buckets.iter().map(|b| b.last).collect(),
            count: buckets.iter().map(|b| b.count).collect(),
            nonfinite: buckets.iter().map(|b| b.nonfinite).collect(),
        }
    }

    /// Columns of raw points (each bucket holds one point at `x` with `value`).
    pub fn from_points(points: impl IntoIterator<Item = (f64, f64)>) -> BucketColumns {
        let mut out = BucketColumns::default();
        for (x, v) in points {
            out.x_first.push(x);
            out.last.push(MetricValue(v));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.x_first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x_first.is_empty()
    }

    /// The largest x of the last bucket (its only x when the answer is raw).
    pub fn last_x(&self) -> Option<f64> {
        self.x_last.last().or(self.x_first.last()).copied()
    }

    /// The buckets one by one.
    pub fn rows(&self) -> Vec<MetricBucket> {
        let full = self.count.len() == self.len();
        (0..self.len())
            .map(|i| {
                if full {
                    MetricBucket {
                        x_first: self.x_first[i],
                        x_last: self.x_last.get(i).copied().unwrap_or(self.x_first[i]),
                        min: self.min.get(i).copied().unwrap_or(MetricValue(f64::NAN)),
                        max: self.max.get(i).copied().unwrap_or(MetricValue(f64::NAN)),
                        mean: self.mean.get(i).copied().unwrap_or(MetricValue(f64::NAN)),
                        last: self.last.get(i).copied().unwrap_or(MetricValue(f64::NAN)),
                        count: self.count[i],
                        nonfinite: self.nonfinite.get(i).copied().unwrap_or(0),
                    }
                } else {
                    let v = self.last.get(i).copied().unwrap_or(MetricValue(f64::NAN));
                    let finite = v.0.is_finite();
                    let shown = if finite { v } else { MetricValue(f64::NAN) };
                    MetricBucket {
                        x_first: self.x_first[i],
                        x_last: self.x_first[i],
                        min: shown,
                        max: shown,
                        mean: shown,
                        last: v,
                        count: 1,
                        nonfinite: u64::from(!finite),
                    }
                }
            })
            .collect()
    }
}

/// Statistics across a group's runs for one bucket. The per-run value is the run's
/// mean in the bucket; `lo` and `hi` are the lowest and highest single value any
/// run logged there, so a spike in one run still shows on the group.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, bitcode::Encode, bitcode::Decode,
)]
pub struct GroupBucket {
    pub x_start: f64,
    pub x_end: f64,
    /// Runs with a finite value in this bucket.
    pub runs: u32,
    pub mean: MetricValue,
    pub median: MetricValue,
    pub min: MetricValue,
    pub max: MetricValue,
    /// Sample standard deviation (0 for one run).
    pub std_dev: MetricValue,
    /// Standard error of the mean: `std_dev / sqrt(runs)`.
    pub std_err: MetricValue,
    pub lo: MetricValue,
    pub hi: MetricValue,
}

/// One group of runs and its statistics.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, bitcode::Encode, bitcode::Decode)]
pub struct GroupSeries {
    /// The group's value as text (`"(none)"` for runs without one).
    pub group: String,
    pub runs: Vec<RunId>,
    pub buckets: Vec<GroupBucket>,
}

/// The answer to a [`SeriesQuery`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, bitcode::Encode, bitcode::Decode)]
pub struct SeriesAnswer {
    pub key: String,
    pub x: XAxis,
    /// The x range the buckets cover (`None` when no run has the metric).
    pub x_min: Option<f64>,
    pub x_max: Option<f64>,
    /// Width of one bucket in x units.
    pub bucket_width: f64,
    /// One entry per run asked for that has the metric, in the order asked.
    pub runs: Vec<RunSeries>,
    /// Filled when the query has a `group_by`.
    pub groups: Vec<GroupSeries>,
}

/// All metrics of a run at one step (a history row).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HistoryRow {
    pub step: i64,
    /// Latest wall time among the row's points, Unix seconds.
    pub wall_time: f64,
    pub values: std::collections::BTreeMap<String, MetricValue>,
}

/// A page of history rows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HistoryPage {
    pub rows: Vec<HistoryRow>,
    /// The `from_step` of the next page; `None` at the end.
    pub next_step: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip_full_and_raw_buckets() {
        let full = vec![
            MetricBucket {
                x_first: 0.0,
                x_last: 3.0,
                min: MetricValue(1.0),
                max: MetricValue(5.0),
                mean: MetricValue(2.0),
                last: MetricValue(f64::INFINITY),
                count: 4,
                nonfinite: 1,
            };
            3
        ];
        let cols = BucketColumns::from_buckets(&full);
        let json = serde_json::to_string(&cols).unwrap_or_default();
        let back: BucketColumns = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back.rows(), full);

        let raw = BucketColumns::from_points([(1.0, 0.5), (2.0, f64::NAN)]);
        let json = serde_json::to_string(&raw).unwrap_or_default();
        assert!(!json.contains("count"), "{json}");
        let rows: Vec<MetricBucket> = serde_json::from_str::<BucketColumns>(&json)
            .unwrap_or_default()
            .rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].x_last, rows[0].mean.0, rows[0].count),
            (1.0, 0.5, 1)
        );
        assert!(rows[1].mean.0.is_nan() && rows[1].last.0.is_nan());
        assert_eq!(rows[1].nonfinite, 1);
    }
}
