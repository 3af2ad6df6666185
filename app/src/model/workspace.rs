//! The Workspace tab's saved document: sections of panels, each panel's settings,
//! and how the runs sidebar selects, orders, groups and colours runs. One JSON
//! document per user and project (`view_settings`, name `workspace`), versioned.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{ColumnInfo, RunId, SortSpec};

/// Version written by this code; older documents are upgraded on load.
pub const WORKSPACE_VERSION: u32 = 1;

/// Columns of the custom layout's grid.
pub const GRID_COLUMNS: u32 = 12;

/// Runs charts draw when the user has not said otherwise.
pub const DEFAULT_MAX_RUNS: u32 = 10;

/// Most runs a chart may be asked to draw.
pub const MAX_DRAWN_RUNS: u32 = 500;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WorkspaceDoc {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub sections: Vec<Section>,
    #[serde(default)]
    pub runs: RunSelection,
    /// Metric keys that have had a panel made for them: a key seen for the first time
    /// gets a panel, a key whose panel the user deleted does not come back.
    #[serde(default)]
    pub known_keys: Vec<String>,
    /// Next id for a section or panel (ids are unique within the document).
    #[serde(default)]
    pub next_id: u64,
}

impl Default for WorkspaceDoc {
    fn default() -> Self {
        WorkspaceDoc {
            version: WORKSPACE_VERSION,
            sections: Vec::new(),
            runs: RunSelection::default(),
            known_keys: Vec::new(),
            next_id: 1,
        }
    }
}

/// How the sidebar chooses and shows runs; charts follow it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunSelection {
    /// Text searched in run names (a regex when `search_regex`).
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub search_regex: bool,
    /// A filter in the Runs tab's language.
    #[serde(default)]
    pub filter: String,
    /// A column to group by: `group`, `job_type` or `config.<key>`.
    #[serde(default)]
    pub group_by: Option<String>,
    #[serde(default)]
    pub sort: Option<SortSpec>,
    /// Runs hidden from charts by their eye toggle.
    #[serde(default)]
    pub hidden: Vec<RunId>,
    /// Colours chosen per run (`#rrggbb`), by run id.
    #[serde(default)]
    pub colors: BTreeMap<String, String>,
    /// How many runs charts draw (the first shown runs in sidebar order).
    #[serde(default = "default_max_runs")]
    pub max_runs: u32,
}

fn default_max_runs() -> u32 {
    DEFAULT_MAX_RUNS
}

impl Default for RunSelection {
    fn default() -> Self {
        RunSelection {
            search: String::new(),
            search_regex: false,
            filter: String::new(),
            group_by: None,
            sort: None,
            hidden: Vec::new(),
            colors: BTreeMap::new(),
            max_runs: DEFAULT_MAX_RUNS,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Section {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub collapsed: bool,
    #[serde(default)]
    pub layout: SectionLayout,
    #[serde(default)]
    pub panels: Vec<Panel>,
}

/// How a section arranges its panels.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum SectionLayout {
    /// Every panel the same size (`width` grid columns by `height` pixels), in
    /// reading order, `rows` rows per page.
    Standard { width: u32, height: u32, rows: u32 },
    /// Each panel placed and sized on its own (`Panel::rect`), no paging.
    Custom,
}

impl Default for SectionLayout {
    fn default() -> Self {
        SectionLayout::Standard {
            width: 4,
            height: 260,
            rows: 2,
        }
    }
}

/// A place on the custom layout's grid: columns across, rows of [`ROW_PX`] down.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct GridRect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Height of one custom-layout grid row in CSS pixels.
pub const ROW_PX: u32 = 40;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Panel {
    pub id: u64,
    /// Shown above the panel; when empty the panel names itself from its settings.
    #[serde(default)]
    pub title: String,
    pub kind: PanelKind,
    /// Where the panel sits in a custom layout.
    #[serde(default)]
    pub rect: GridRect,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PanelKind {
    Line(LinePlot),
    /// One dot per run: a summary metric or config value against another.
    Scatter {
        x: String,
        y: String,
    },
    /// One bar per run: a summary metric.
    Bar {
        metric: String,
    },
    Markdown {
        text: String,
    },
}

/// What a line plot's x axis measures.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum XSpec {
    #[default]
    Step,
    RelativeTime,
    WallTime,
    /// Another metric logged at the same steps.
    Metric(String),
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SmoothKind {
    #[default]
    None,
    /// Exponential moving average whose decay follows the x distance between points.
    TimeWeightedEma,
    Ema,
    Gaussian,
    RunningAverage,
}

/// The line drawn for a group of runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum GroupLine {
    #[default]
    Mean,
    Median,
    Min,
    Max,
}

/// The shaded band around a group's line.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum GroupBand {
    #[default]
    MinMax,
    StdDev,
    StdErr,
    None,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LinePlot {
    /// Metric keys to draw; `*` matches any run of characters.
    pub y: Vec<String>,
    #[serde(default)]
    pub x: XSpec,
    #[serde(default)]
    pub smoothing: SmoothKind,
    /// 0 (none) to just under 1 (heavy).
    #[serde(default = "default_smoothing_amount")]
    pub smoothing_amount: f64,
    #[serde(default)]
    pub log_x: bool,
    #[serde(default)]
    pub log_y: bool,
    #[serde(default)]
    pub ignore_outliers: bool,
    #[serde(default)]
    pub group_line: GroupLine,
    #[serde(default)]
    pub group_band: GroupBand,
}

fn default_smoothing_amount() -> f64 {
    0.6
}

impl LinePlot {
    /// A plain line plot of one metric against the step.
    pub fn of(key: impl Into<String>) -> LinePlot {
        LinePlot {
            y: vec![key.into()],
            x: XSpec::Step,
            smoothing: SmoothKind::None,
            smoothing_amount: default_smoothing_amount(),
            log_x: false,
            log_y: false,
            ignore_outliers: false,
            group_line: GroupLine::Mean,
            group_band: GroupBand::MinMax,
        }
    }
}

impl Panel {
    /// The title shown: the user's, else one made from the settings.
    pub fn display_title(&self) -> String {
        if !self.title.trim().is_empty() {
            return self.title.clone();
        }
        match &self.kind {
            PanelKind::Line(p) => p.y.join(", "),
            PanelKind::Scatter { x, y } => format!("{y} vs {x}"),
            PanelKind::Bar { metric } => metric.clone(),
            PanelKind::Markdown { .. } => "Note".to_owned(),
        }
    }
}

/// What the Workspace tab loads before drawing anything.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct WorkspaceData {
    /// The viewer's saved document, or `None` on a first visit.
    pub doc: Option<WorkspaceDoc>,
    /// Every metric key logged in the project, sorted.
    pub metric_keys: Vec<String>,
    /// The runs table's columns (sort, group and filter choices).
    pub columns: Vec<ColumnInfo>,
    /// Whether the viewer may change runs (rename, delete, stop).
    pub can_write: bool,
    /// Whether the document can be saved (signed-in viewers only).
    pub signed_in: bool,
}

/// A section exported for a report: the section with its panels and the run
/// selection it was drawn with, so a report can open it as it looked.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SectionSnapshot {
    pub section: Section,
    pub runs: RunSelection,
    pub created_ms: i64,
}
