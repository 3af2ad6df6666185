use serde::{Deserialize, Serialize};

use super::{ProjectRef, RunState};

/// A sweep's lifecycle, in the wandb client's words.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepState {
    /// Created; the first agent starts it.
    Pending,
    Running,
    /// No new runs until resumed.
    Paused,
    /// No new runs; running ones finish (the CLI's `--stop`, or nothing left to try).
    Finished,
    /// Running runs are stopped; no new runs.
    Canceled,
}

impl SweepState {
    pub const ALL: [SweepState; 5] = [
        SweepState::Pending,
        SweepState::Running,
        SweepState::Paused,
        SweepState::Finished,
        SweepState::Canceled,
    ];

    /// The stored and wire form (`RUNNING`).
    pub fn as_wire(self) -> &'static str {
        match self {
            SweepState::Pending => "PENDING",
            SweepState::Running => "RUNNING",
            SweepState::Paused => "PAUSED",
            SweepState::Finished => "FINISHED",
            SweepState::Canceled => "CANCELED",
        }
    }

    pub fn parse(s: &str) -> Option<SweepState> {
        let up = s.trim().to_ascii_uppercase();
        let up = match up.as_str() {
            "CANCELLED" => "CANCELED",
            "STOPPED" => "FINISHED",
            other => other,
        };
        SweepState::ALL.into_iter().find(|v| v.as_wire() == up)
    }

    pub fn label(self) -> &'static str {
        match self {
            SweepState::Pending => "Pending",
            SweepState::Running => "Running",
            SweepState::Paused => "Paused",
            SweepState::Finished => "Finished",
            SweepState::Canceled => "Canceled",
        }
    }

    /// Finished and canceled sweeps hand out no more runs, ever (until re-queued).
    pub fn is_over(self) -> bool {
        matches!(self, SweepState::Finished | SweepState::Canceled)
    }

    /// Whether a person may move a sweep from this state to `to` (the CLI's and the
    /// browser's buttons): running ⇄ paused; anything not over → finished or canceled.
    pub fn may_become(self, to: SweepState) -> bool {
        use SweepState::*;
        match to {
            Running => matches!(self, Paused | Pending | Running),
            Paused => matches!(self, Running | Paused),
            Finished | Canceled => !self.is_over() || self == to,
            Pending => false,
        }
    }
}

/// What a person can do to a sweep from the browser or `/api/v1`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepAction {
    Pause,
    Resume,
    Stop,
    Cancel,
    /// Hand the parameter sets of failed and crashed runs out again.
    Requeue,
}

impl SweepAction {
    pub fn parse(s: &str) -> Option<SweepAction> {
        Some(match s {
            "pause" => SweepAction::Pause,
            "resume" => SweepAction::Resume,
            "stop" => SweepAction::Stop,
            "cancel" => SweepAction::Cancel,
            "requeue" => SweepAction::Requeue,
            _ => return None,
        })
    }
}

/// A row of the Sweeps tab.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepSummary {
    pub name: String,
    pub display_name: Option<String>,
    pub state: SweepState,
    pub method: String,
    pub creator: String,
    pub created_at_ms: i64,
    pub run_count: u64,
    /// The grid's size or the run cap; None when unbounded.
    pub expected_runs: Option<u64>,
    pub metric: Option<String>,
    pub maximize: bool,
    pub best: Option<f64>,
    pub compute_seconds: f64,
}

impl SweepSummary {
    pub fn title(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepsIndex {
    pub at: ProjectRef,
    pub sweeps: Vec<SweepSummary>,
    pub can_write: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepAgentView {
    pub name: String,
    pub host: String,
    pub user: String,
    pub state: String,
    pub created_at_ms: i64,
    pub heartbeat_at_ms: i64,
    pub total_runs: u64,
    pub current_run: Option<String>,
}

/// One run of a sweep with its parameter values (in `SweepView::params` order)
/// and its metric.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepRunView {
    pub run_id: String,
    pub display_name: String,
    pub state: RunState,
    pub created_at_ms: i64,
    pub runtime_seconds: f64,
    pub metric: Option<f64>,
    /// JSON values, one per parameter (null when the run lacks it).
    pub values: Vec<serde_json::Value>,
    pub requeued: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ParamScore {
    pub name: String,
    pub correlation: Option<f64>,
    pub importance: Option<f64>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepView {
    pub at: ProjectRef,
    pub summary: SweepSummary,
    pub description: Option<String>,
    /// The configuration as it was sent.
    pub config: String,
    pub local_controller: bool,
    pub early_terminate: bool,
    /// Leaf parameter names (dotted for nested ones).
    pub params: Vec<String>,
    pub runs: Vec<SweepRunView>,
    pub agents: Vec<SweepAgentView>,
    pub importance: Vec<ParamScore>,
    /// Parameter sets waiting to be handed out again.
    pub queued: u64,
    pub can_write: bool,
    /// `wandb agent entity/project/name`.
    pub agent_command: String,
}

/// What creating a sweep from the browser or `/api/v1` answers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepCreated {
    pub name: String,
    pub url: String,
    pub agent_command: String,
    pub warnings: Vec<String>,
}

/// A sweep page's URL.
pub fn sweep_href(at: &ProjectRef, name: &str) -> String {
    format!("/{}/{}/sweeps/{}", at.entity, at.project, name)
}
