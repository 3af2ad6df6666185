//! Automations: what happens in a project (the trigger) and what Cairn sends when it
//! does (the action), with the history of every execution.

use serde::{Deserialize, Serialize};

use super::ProjectRef;

/// Which runs a run event is about: one user's, and names matching a regex.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(default)]
pub struct RunFilter {
    /// Only runs of this user (username).
    pub user: Option<String>,
    /// Only runs whose display name matches this regex.
    pub name_regex: Option<String>,
}

/// Which window statistic a metric threshold compares.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum WindowAgg {
    #[default]
    Mean,
    Min,
    Max,
}

/// A comparison with a threshold.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    #[default]
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
}

impl Comparison {
    pub const ALL: [Comparison; 6] = [
        Comparison::Gt,
        Comparison::Gte,
        Comparison::Lt,
        Comparison::Lte,
        Comparison::Eq,
        Comparison::Ne,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Gte => "≥",
            Comparison::Lt => "<",
            Comparison::Lte => "≤",
            Comparison::Eq => "=",
            Comparison::Ne => "≠",
        }
    }
}

/// Whether a metric change is measured in the metric's units or as a fraction of the
/// prior window.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    #[default]
    Absolute,
    Relative,
}

/// Which way a metric change must go.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDirection {
    #[default]
    Increase,
    Decrease,
    Any,
}

/// The severity `run.alert()` gives.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum AlertLevel {
    #[default]
    Info,
    Warn,
    Error,
}

impl AlertLevel {
    /// The client's word (`INFO`, `WARN`, `ERROR`); unknown words read as INFO.
    pub fn parse(s: &str) -> AlertLevel {
        match s.trim().to_ascii_uppercase().as_str() {
            "WARN" | "WARNING" => AlertLevel::Warn,
            "ERROR" => AlertLevel::Error,
            _ => AlertLevel::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlertLevel::Info => "INFO",
            AlertLevel::Warn => "WARN",
            AlertLevel::Error => "ERROR",
        }
    }
}

/// The run states an automation can watch (killed never triggers, as in W&B).
pub const WATCHED_RUN_STATES: [&str; 4] = ["running", "finished", "failed", "crashed"];

/// What starts an automation, with its filters.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Trigger {
    /// A new artifact version committed.
    ArtifactCreated {
        #[serde(default)]
        artifact_type: Option<String>,
        #[serde(default)]
        collection_regex: Option<String>,
    },
    /// An alias put on a version (new or moved there).
    AliasAdded {
        #[serde(default)]
        alias_regex: Option<String>,
        #[serde(default)]
        collection_regex: Option<String>,
    },
    /// A tag added to a version.
    TagAdded {
        #[serde(default)]
        tag_regex: Option<String>,
        #[serde(default)]
        collection_regex: Option<String>,
    },
    /// A run entered one of `states` (running, finished, failed, crashed).
    RunState {
        states: Vec<String>,
        #[serde(default)]
        runs: RunFilter,
    },
    /// A window statistic of a run's metric crosses a threshold.
    RunMetric {
        metric: String,
        #[serde(default = "default_window")]
        window: u32,
        #[serde(default)]
        agg: WindowAgg,
        #[serde(default)]
        op: Comparison,
        threshold: f64,
        #[serde(default)]
        runs: RunFilter,
    },
    /// The mean of a run's recent values moved from the mean of the values before.
    RunMetricChange {
        metric: String,
        #[serde(default = "default_current_window")]
        current_window: u32,
        #[serde(default = "default_prior_window")]
        prior_window: u32,
        #[serde(default)]
        change: ChangeKind,
        #[serde(default)]
        direction: ChangeDirection,
        amount: f64,
        #[serde(default)]
        runs: RunFilter,
    },
    /// A sweep of the project finished (stopped, or nothing left to try).
    SweepFinished {
        #[serde(default)]
        sweep: Option<String>,
    },
    /// A finished run became the best of its sweep.
    SweepBestRun {
        #[serde(default)]
        sweep: Option<String>,
    },
    /// A script called `run.alert(title, text, level)`.
    RunAlert {
        #[serde(default)]
        min_level: AlertLevel,
        #[serde(default)]
        runs: RunFilter,
    },
}

fn default_window() -> u32 {
    5
}
fn default_current_window() -> u32 {
    10
}
fn default_prior_window() -> u32 {
    50
}

/// The event kinds, as stored and as `${event_type}` reads.
pub const EVENT_KINDS: [&str; 9] = [
    "artifact_created",
    "alias_added",
    "tag_added",
    "run_state",
    "run_metric",
    "run_metric_change",
    "sweep_finished",
    "sweep_best_run",
    "run_alert",
];

impl Trigger {
    /// The event kind (one of [`EVENT_KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::ArtifactCreated { .. } => "artifact_created",
            Trigger::AliasAdded { .. } => "alias_added",
            Trigger::TagAdded { .. } => "tag_added",
            Trigger::RunState { .. } => "run_state",
            Trigger::RunMetric { .. } => "run_metric",
            Trigger::RunMetricChange { .. } => "run_metric_change",
            Trigger::SweepFinished { .. } => "sweep_finished",
            Trigger::SweepBestRun { .. } => "sweep_best_run",
            Trigger::RunAlert { .. } => "run_alert",
        }
    }

    /// One line for the list: "Run state: failed, crashed".
    pub fn describe(&self) -> String {
        let runs = |f: &RunFilter| {
            let mut s = String::new();
            if let Some(u) = &f.user {
                s.push_str(&format!(" · user {u}"));
            }
            if let Some(r) = &f.name_regex {
                s.push_str(&format!(" · name ~ {r}"));
            }
            s
        };
        let coll = |r: &Option<String>| {
            r.as_ref()
                .map(|r| format!(" · collection ~ {r}"))
                .unwrap_or_default()
        };
        match self {
            Trigger::ArtifactCreated {
                artifact_type,
                collection_regex,
            } => format!(
                "New artifact version{}{}",
                artifact_type
                    .as_ref()
                    .map(|t| format!(" · type {t}"))
                    .unwrap_or_default(),
                coll(collection_regex)
            ),
            Trigger::AliasAdded {
                alias_regex,
                collection_regex,
            } => format!(
                "Alias added{}{}",
                alias_regex
                    .as_ref()
                    .map(|r| format!(" ~ {r}"))
                    .unwrap_or_default(),
                coll(collection_regex)
            ),
            Trigger::TagAdded {
                tag_regex,
                collection_regex,
            } => format!(
                "Tag added{}{}",
                tag_regex
                    .as_ref()
                    .map(|r| format!(" ~ {r}"))
                    .unwrap_or_default(),
                coll(collection_regex)
            ),
            Trigger::RunState { states, runs: f } => {
                format!("Run state: {}{}", states.join(", "), runs(f))
            }
            Trigger::RunMetric {
                metric,
                window,
                agg,
                op,
                threshold,
                runs: f,
            } => format!(
                "{} of the last {window} {metric} {} {threshold}{}",
                match agg {
                    WindowAgg::Mean => "Mean",
                    WindowAgg::Min => "Min",
                    WindowAgg::Max => "Max",
                },
                op.symbol(),
                runs(f)
            ),
            Trigger::RunMetricChange {
                metric,
                current_window,
                prior_window,
                change,
                direction,
                amount,
                runs: f,
            } => format!(
                "{metric} {} by {}{} (last {current_window} vs {prior_window} before){}",
                match direction {
                    ChangeDirection::Increase => "increases",
                    ChangeDirection::Decrease => "decreases",
                    ChangeDirection::Any => "changes",
                },
                match change {
                    ChangeKind::Absolute => amount.to_string(),
                    ChangeKind::Relative => format!("{}", amount * 100.0),
                },
                if *change == ChangeKind::Relative {
                    "%"
                } else {
                    ""
                },
                runs(f)
            ),
            Trigger::SweepFinished { sweep } => format!(
                "Sweep finished{}",
                sweep
                    .as_ref()
                    .map(|s| format!(" · {s}"))
                    .unwrap_or_default()
            ),
            Trigger::SweepBestRun { sweep } => format!(
                "New best run of a sweep{}",
                sweep
                    .as_ref()
                    .map(|s| format!(" · {s}"))
                    .unwrap_or_default()
            ),
            Trigger::RunAlert { min_level, runs: f } => {
                format!("run.alert() at {} or above{}", min_level.as_str(), runs(f))
            }
        }
    }

    /// The run filter of a run event.
    pub fn run_filter(&self) -> Option<&RunFilter> {
        match self {
            Trigger::RunState { runs, .. }
            | Trigger::RunMetric { runs, .. }
            | Trigger::RunMetricChange { runs, .. }
            | Trigger::RunAlert { runs, .. } => Some(runs),
            _ => None,
        }
    }
}

/// What an automation sends.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A POST of a JSON payload built from a template.
    Webhook {
        url: String,
        /// The JSON template (`${variable}` and `${SECRET_NAME}` are filled in).
        payload: String,
        /// A secret sent as `Authorization: Bearer …`.
        #[serde(default)]
        token_secret: Option<String>,
        /// A secret whose HMAC-SHA256 of the body is sent as `X-Cairn-Signature`.
        #[serde(default)]
        signing_secret: Option<String>,
    },
    /// A Slack incoming-webhook URL; `message` is a text template.
    Slack { url: String, message: String },
    /// A Discord webhook URL; `message` is a text template.
    Discord { url: String, message: String },
}

impl Action {
    pub fn url(&self) -> &str {
        match self {
            Action::Webhook { url, .. }
            | Action::Slack { url, .. }
            | Action::Discord { url, .. } => url,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Action::Webhook { .. } => "webhook",
            Action::Slack { .. } => "slack",
            Action::Discord { .. } => "discord",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Action::Webhook { .. } => "Webhook",
            Action::Slack { .. } => "Slack",
            Action::Discord { .. } => "Discord",
        }
    }
}

/// An automation as written by its editor.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AutomationSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub trigger: Trigger,
    pub action: Action,
}

fn yes() -> bool {
    true
}

/// Where an execution is.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    /// Waiting for its first attempt.
    Pending,
    /// Answered 2xx.
    Delivered,
    /// Given up (a 4xx, a refused target, or 24 hours of failures).
    Failed,
    /// Failed for now; tried again at `next_attempt_at`.
    Retrying,
}

impl ExecutionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Pending => "pending",
            ExecutionStatus::Delivered => "delivered",
            ExecutionStatus::Failed => "failed",
            ExecutionStatus::Retrying => "retrying",
        }
    }

    pub fn parse(s: &str) -> Option<ExecutionStatus> {
        Some(match s {
            "pending" => ExecutionStatus::Pending,
            "delivered" => ExecutionStatus::Delivered,
            "failed" => ExecutionStatus::Failed,
            "retrying" => ExecutionStatus::Retrying,
            _ => return None,
        })
    }
}

/// The latest execution of an automation, for the list.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LastExecution {
    pub at: i64,
    pub status: ExecutionStatus,
    pub response_status: Option<u16>,
}

/// One automation, as the list and the editor show it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AutomationView {
    pub id: i32,
    pub spec: AutomationSpec,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last: Option<LastExecution>,
    pub executions: u64,
}

/// A secret's name (its value is never shown again).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SecretInfo {
    pub name: String,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

/// The Automations tab.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AutomationsIndex {
    pub project: ProjectRef,
    pub automations: Vec<AutomationView>,
    /// The viewer administers the project: may create, edit and delete, and manage
    /// the entity's secrets.
    pub can_edit: bool,
    /// The secrets of the project's entity (names only).
    pub secrets: Vec<SecretInfo>,
}

/// One execution of an automation.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ExecutionView {
    pub id: i64,
    pub at: i64,
    pub event_type: String,
    /// What triggered it, in a few words ("run bright-sun-3 failed").
    pub event: String,
    pub author: Option<String>,
    pub status: ExecutionStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<i64>,
    pub url: String,
    /// The body sent, with secrets masked.
    pub request_body: String,
    pub response_status: Option<u16>,
    /// The first 2 KB of the answer.
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub test: bool,
    pub redelivery_of: Option<i64>,
    pub duration_ms: Option<i64>,
}

/// How the history is ordered.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum HistorySort {
    #[default]
    Newest,
    Oldest,
    Status,
}

/// A page of an automation's history.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct HistoryQuery {
    /// Words every shown execution contains (in its event, author, status or answer).
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub sort: HistorySort,
    #[serde(default)]
    pub offset: u64,
}

/// An automation's history.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct AutomationHistory {
    pub automation: AutomationView,
    /// The viewer administers the project: may test and redeliver.
    pub can_edit: bool,
    pub executions: Vec<ExecutionView>,
    /// Matching executions in all.
    pub total: u64,
    pub offset: u64,
}

/// Executions per history page.
pub const HISTORY_PAGE: u64 = 50;

/// The Automations tab's URL.
pub fn automations_href(at: &ProjectRef) -> String {
    format!("/{}/{}/automations", at.entity, at.project)
}

/// An automation's history page.
pub fn automation_href(at: &ProjectRef, id: i32) -> String {
    format!("/{}/{}/automations/{}", at.entity, at.project, id)
}
