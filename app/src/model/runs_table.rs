//! The Runs tab's wire types: columns, a page of rows, groups with histograms, bulk
//! actions and the saved column settings.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{RunId, RunState};
use crate::logic::filter::FieldValue;

/// What kind of values a column holds (decides alignment, histograms and operators).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Number,
    Time,
    Tags,
}

/// One column the table can show.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ColumnInfo {
    /// As written in filters: `state`, `config.lr`, `summary.val/loss`.
    pub id: String,
    pub kind: ColumnKind,
}

/// Sort order: one column, ascending or descending; missing values always last.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SortSpec {
    pub column: String,
    pub desc: bool,
}

/// A page of the runs table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunsQuery {
    /// Filter text (blank: every run).
    pub filter: String,
    pub sort: Option<SortSpec>,
    /// Extra equality conditions, one per grouped column (the rows of one group);
    /// `None` means "has no value".
    #[serde(default)]
    pub within: Vec<(String, Option<FieldValue>)>,
    /// Config and summary columns whose values the rows should carry.
    #[serde(default)]
    pub columns: Vec<String>,
    pub offset: u64,
    pub limit: u64,
}

/// Most rows one page may ask for.
pub const MAX_PAGE_ROWS: u64 = 500;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunRow {
    pub id: RunId,
    pub name: String,
    pub state: RunState,
    pub user: String,
    pub created_ms: i64,
    pub runtime_seconds: f64,
    pub tags: Vec<String>,
    pub notes: String,
    pub group: Option<String>,
    pub job_type: Option<String>,
    pub color: Option<String>,
    /// The id of the sweep the run belongs to.
    #[serde(default)]
    pub sweep: Option<String>,
    /// Values of the requested config and summary columns the run has.
    pub values: BTreeMap<String, FieldValue>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunsPage {
    /// Runs matching the filter (and group), over all pages.
    pub total: u64,
    pub offset: u64,
    pub rows: Vec<RunRow>,
}

/// Group the filtered runs by one or more columns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GroupsQuery {
    pub filter: String,
    #[serde(default)]
    pub by: Vec<String>,
    /// Numeric columns to draw a histogram of in each group.
    #[serde(default)]
    pub histograms: Vec<String>,
}

/// Value counts of one column within a group, on bins shared by all groups.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Histogram {
    pub min: f64,
    pub max: f64,
    pub counts: Vec<u32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunGroup {
    /// One value per grouped column, `None` where runs have none.
    pub values: Vec<Option<FieldValue>>,
    pub count: u64,
    pub histograms: BTreeMap<String, Histogram>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct GroupsAnswer {
    pub total: u64,
    pub groups: Vec<RunGroup>,
    /// True when there were more groups than are returned.
    pub truncated: bool,
}

/// Most groups a grouping returns.
pub const MAX_GROUPS: usize = 500;

/// Which runs a bulk action applies to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum BulkTarget {
    Runs(Vec<RunId>),
    /// Every run matching this filter text.
    Matching(String),
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum BulkAction {
    Delete,
    AddTag(String),
    RemoveTag(String),
    /// Move to a group (`None` removes the group).
    SetGroup(Option<String>),
    /// Give the one run named a new display name.
    Rename(String),
    /// Mark running runs as killed; the wandb client then stops the script.
    Stop,
}

/// Column order, pins and visibility of the runs table (and the Workspace sidebar),
/// saved per user and project. Columns it does not mention take their defaults.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ColumnSettings {
    /// Document version, for later migrations of the format.
    #[serde(default)]
    pub version: u32,
    /// Column ids in the order the user put them.
    #[serde(default)]
    pub order: Vec<String>,
    #[serde(default)]
    pub pinned: Vec<String>,
    #[serde(default)]
    pub hidden: Vec<String>,
    /// Columns shown although hidden by default (config and summary columns past the
    /// first few dozen).
    #[serde(default)]
    pub shown: Vec<String>,
}

pub const COLUMN_SETTINGS_VERSION: u32 = 1;

/// Everything the Runs tab needs before it asks for rows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunsTableMeta {
    pub columns: Vec<ColumnInfo>,
    pub settings: ColumnSettings,
    /// Whether the viewer may change runs (bulk actions) and save settings.
    pub can_write: bool,
    pub signed_in: bool,
}
