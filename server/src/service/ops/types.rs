//! Request and response bodies of `/api/v1`. Unknown fields are refused, so a typo
//! in a field name is an error the client sees instead of data silently dropped.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use app::model::{ConsoleStream, MetricValue};

/// `POST /api/v1/runs`: create a run, or update it if the id exists.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpsertRun {
    /// Owner entity; the API key owner's personal entity when absent.
    pub entity: Option<String>,
    pub project: String,
    /// Run id; 8 random lowercase alphanumerics when absent.
    pub id: Option<String>,
    /// Display name; `adjective-noun-N` when absent.
    pub name: Option<String>,
    /// Config object; merged key by key into an existing run's config.
    pub config: Option<Map<String, Value>>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
    pub group: Option<String>,
    pub job_type: Option<String>,
    pub host: Option<String>,
    pub git_commit: Option<String>,
    pub color: Option<String>,
    /// When the run started, Unix seconds; now when absent.
    pub start_time: Option<f64>,
}

/// `POST …/metrics`: rows of metric values, one row per step.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct LogMetrics {
    pub rows: Vec<MetricRow>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct MetricRow {
    pub step: i64,
    /// Wall time, Unix seconds; the server's clock when absent.
    pub time: Option<f64>,
    /// Metric key → value (a number, or "NaN", "Infinity", "-Infinity").
    pub values: BTreeMap<String, MetricValue>,
}

/// `PATCH …/{run}`: change what the client knows better.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpdateRun {
    /// Merged key by key into the config.
    pub config: Option<Map<String, Value>>,
    /// Explicit summary values; `null` removes one so the automatic value shows again.
    pub summary: Option<Map<String, Value>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
    pub name: Option<String>,
    pub group: Option<String>,
    pub job_type: Option<String>,
    pub color: Option<String>,
}

/// `POST …/console`: lines of output.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct AppendConsole {
    /// Line number of the first line; after the last stored line when absent.
    /// Sending the same offset again overwrites, so retries are harmless.
    pub offset: Option<u64>,
    pub lines: Vec<ConsoleInput>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConsoleInput {
    #[serde(default = "stdout")]
    pub stream: ConsoleStream,
    pub text: String,
}

fn stdout() -> ConsoleStream {
    ConsoleStream::Stdout
}

/// `POST …/finish`.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct FinishRun {
    /// 0 → finished, anything else → failed.
    pub exit_code: i32,
    /// When the run ended, Unix seconds; now when absent.
    pub time: Option<f64>,
}

/// What run writes answer with.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RunOut {
    pub entity: String,
    pub project: String,
    pub id: String,
    pub name: String,
    pub state: String,
    /// The run's page, relative to the server.
    pub url: String,
    /// True when this request created the run.
    pub created: bool,
}
