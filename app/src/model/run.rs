use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use super::{ProjectRef, RunId};

/// Lifecycle of a run (SPEC.md §2).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Created by a sweep for an agent, not started yet.
    Pending,
    Running,
    Finished,
    Failed,
    Crashed,
    Killed,
}

impl RunState {
    pub const ALL: [RunState; 6] = [
        RunState::Pending,
        RunState::Running,
        RunState::Finished,
        RunState::Failed,
        RunState::Crashed,
        RunState::Killed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Failed => "failed",
            RunState::Crashed => "crashed",
            RunState::Killed => "killed",
        }
    }

    /// The state a run ends in for a process exit code: 0 is success, anything else failure.
    pub fn from_exit_code(code: i32) -> RunState {
        if code == 0 {
            RunState::Finished
        } else {
            RunState::Failed
        }
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown run state {s:?}"))
    }
}

/// A run as lists show it (Overview, later the runs table).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunSummaryRow {
    pub id: RunId,
    pub display_name: String,
    pub state: RunState,
    pub user: String,
    pub group: Option<String>,
    pub tags: Vec<String>,
    pub created_at_ms: i64,
    pub runtime_seconds: f64,
}

/// Everything the run page shows except metric data, which charts fetch themselves.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunDetail {
    pub project: ProjectRef,
    pub id: RunId,
    pub display_name: String,
    pub state: RunState,
    pub user: String,
    pub host: Option<String>,
    pub git_commit: Option<String>,
    pub group: Option<String>,
    pub job_type: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub color: Option<String>,
    /// Nested config as the client sent it.
    pub config: serde_json::Value,
    /// The effective summary: explicit values over automatic last values.
    pub summary: serde_json::Value,
    pub created_at_ms: i64,
    pub heartbeat_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub runtime_seconds: f64,
    pub exit_code: Option<i32>,
    /// Metric keys logged for this run, sorted.
    pub metric_keys: Vec<String>,
    /// The last lines of console output (the page shows at most this many).
    pub console: Vec<ConsoleLine>,
    /// Total console lines stored, which may be more than `console` holds.
    pub console_total: u64,
    /// Files uploaded for the run (by name; the first [`MAX_RUN_FILES_LISTED`]).
    #[serde(default)]
    pub files: Vec<RunFileInfo>,
}

/// Most files a run page lists.
pub const MAX_RUN_FILES_LISTED: u64 = 1_000;

/// One file a run uploaded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunFileInfo {
    /// Its path within the run, as uploaded (`media/images/x.png`).
    pub name: String,
    pub size: u64,
    pub md5: String,
    pub uploaded_ms: i64,
}

/// Which stream a console line came from.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConsoleStream {
    Stdout,
    Stderr,
}

impl ConsoleStream {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsoleStream::Stdout => "stdout",
            ConsoleStream::Stderr => "stderr",
        }
    }
}

/// One console line with its position in the run's output.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ConsoleLine {
    pub line: u64,
    pub stream: ConsoleStream,
    pub text: String,
}
