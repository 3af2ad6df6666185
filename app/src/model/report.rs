//! A report's document: a title, a description and a list of blocks. Panel grids
//! hold the Workspace's panels (the same `Section`) over one or more run sets.

use serde::{Deserialize, Serialize};

use super::{RunId, Section, SortSpec};

/// A report as its author edits it and its readers read it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ReportDoc {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub blocks: Vec<Block>,
}

/// One block; `id` stays with it through edits and reorders (revision diffs, comments
/// on a panel and drag-and-drop follow it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Block {
    pub id: u64,
    pub kind: BlockKind,
}

/// What a block holds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockKind {
    /// A heading of level 1 to 3 (a table of contents lists them).
    Heading {
        level: u8,
        text: String,
    },
    /// A paragraph of markdown.
    Markdown {
        text: String,
    },
    Code {
        #[serde(default)]
        language: String,
        text: String,
    },
    /// LaTeX, rendered on the server to MathML.
    Math {
        tex: String,
    },
    /// An image from the blob store or a run's file, by URL path on this server.
    Image {
        src: String,
        #[serde(default)]
        caption: String,
    },
    Callout {
        #[serde(default)]
        tone: CalloutTone,
        text: String,
    },
    Rule,
    /// The headings of the report, linked.
    TableOfContents,
    /// Workspace panels over run sets.
    PanelGrid {
        run_sets: Vec<RunSet>,
        section: Section,
    },
    /// A block another client wrote (the wandb client's report spec) that Cairn does
    /// not draw: kept as it came and shown as a labelled placeholder.
    Unknown {
        label: String,
        raw: String,
    },
}

/// The colour and icon of a callout.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum CalloutTone {
    #[default]
    Info,
    Warning,
    Success,
}

/// The runs a panel grid shows: the Runs tab's filter, sort and grouping, or, once
/// frozen, exactly the runs that matched then.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RunSet {
    pub name: String,
    #[serde(default)]
    pub filter: String,
    #[serde(default)]
    pub sort: Option<SortSpec>,
    #[serde(default)]
    pub group_by: Vec<String>,
    /// The exact runs, when frozen; new runs that match are then not shown.
    #[serde(default)]
    pub frozen: Option<Vec<RunId>>,
    /// How many of the runs the charts draw (the first in sort order).
    #[serde(default = "default_max_runs")]
    pub max_runs: u32,
}

fn default_max_runs() -> u32 {
    super::DEFAULT_MAX_RUNS
}

impl Default for RunSet {
    fn default() -> Self {
        RunSet {
            name: "Run set".to_owned(),
            filter: String::new(),
            sort: None,
            group_by: Vec::new(),
            frozen: None,
            max_runs: default_max_runs(),
        }
    }
}

/// A report as its URL names it: the project, the report's id, and the view-only
/// link's token when the reader came through one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReportRef {
    pub project: super::ProjectRef,
    pub id: u64,
    #[serde(default)]
    pub token: Option<String>,
}

impl ReportRef {
    /// The report a URL names: its project, a `{slug}--{id}` segment (or the bare
    /// id), and a view-only link's token when there is one.
    pub fn parse(
        project: super::ProjectRef,
        segment: &str,
        token: Option<String>,
    ) -> Option<ReportRef> {
        Some(ReportRef {
            project,
            id: crate::logic::reports::report_id(segment)?,
            token: token.filter(|t| !t.is_empty()),
        })
    }

    pub fn new(project: super::ProjectRef, id: u64) -> ReportRef {
        ReportRef {
            project,
            id,
            token: None,
        }
    }
}

/// A line of the Reports tab.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportSummary {
    pub id: u64,
    pub title: String,
    pub description: String,
    pub author: String,
    pub updated_ms: i64,
    /// The number of the revision readers see; `None` while only a draft.
    pub published: Option<u32>,
    /// Whether the draft holds changes not yet published.
    pub unpublished_changes: bool,
    pub stars: u32,
    pub starred: bool,
    pub deleted_ms: Option<i64>,
}

/// A section exported from the Workspace, waiting in the viewer's drafts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ExportedSection {
    /// Its name among the viewer's drafts.
    pub name: String,
    pub panels: u32,
    pub created_ms: i64,
}

/// The Reports tab.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportsIndex {
    /// Published reports, and for writers also reports that are only drafts.
    pub reports: Vec<ReportSummary>,
    /// The viewer's sections exported from the Workspace, not yet made reports.
    pub exported: Vec<ExportedSection>,
    /// Deleted reports (project admins only), restorable.
    pub deleted: Vec<ReportSummary>,
    pub can_write: bool,
    pub can_admin: bool,
    pub signed_in: bool,
}

/// What the server drew for one panel of a panel grid.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RenderedPanel {
    pub id: u64,
    pub title: String,
    /// An `<svg>` element (line, scatter, bar) or safe HTML (markdown panels).
    pub html: String,
    /// Runs drawn, for the caption.
    pub runs: u32,
}

/// What the server prepared for one block: safe HTML for markdown and math, the
/// drawn panels and matched runs for panel grids.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct RenderedBlock {
    pub html: String,
    pub panels: Vec<RenderedPanel>,
    /// Runs each run set matched (frozen sets: the runs still there).
    pub run_counts: Vec<u32>,
}

/// One comment on a report or on one panel of it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportComment {
    pub id: i64,
    pub block_id: Option<u64>,
    pub panel_id: Option<u64>,
    pub author: String,
    pub body: String,
    pub at_ms: i64,
    pub can_delete: bool,
}

/// A report as a reader sees it (the published revision), or as its editors see
/// the draft.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportView {
    pub id: u64,
    pub project: super::ProjectRef,
    pub doc: ReportDoc,
    /// By block id.
    pub rendered: Vec<(u64, RenderedBlock)>,
    pub author: String,
    pub updated_ms: i64,
    /// The revision shown; `None` when this is an unpublished draft.
    pub revision: Option<u32>,
    pub is_draft: bool,
    pub stars: u32,
    pub starred: bool,
    pub comments: Vec<ReportComment>,
    pub can_write: bool,
    pub can_admin: bool,
    pub signed_in: bool,
    /// Read through a view-only link (no way into the rest of the project).
    pub via_link: bool,
}

/// The working draft an editor opens and saves.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportDraft {
    pub id: u64,
    pub doc: ReportDoc,
    /// Saves name the version they started from; a save over a newer one is refused.
    pub version: i64,
    pub saved_by: String,
    pub saved_ms: i64,
    pub published: Option<u32>,
    /// The metric keys and columns run sets and panels can name.
    pub metric_keys: Vec<String>,
    pub columns: Vec<super::ColumnInfo>,
}

/// A kept revision, as the revision list shows it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportRevision {
    pub number: u32,
    pub author: String,
    pub at_ms: i64,
    pub note: String,
    /// Against the revision before it: blocks added, removed, changed, moved.
    pub added: u32,
    pub removed: u32,
    pub changed: u32,
    pub moved: u32,
}

/// How one block differs between two revisions, for the diff view.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BlockDiffLine {
    /// `added`, `removed`, `changed` or `moved`.
    pub change: String,
    pub block_id: u64,
    /// What the block is, in words ("Heading: Results").
    pub label: String,
}

/// A view-only link (its token is only shown when it is made).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportLink {
    pub id: i64,
    pub label: String,
    pub created_by: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// What a change to a report asks for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ReportEdit {
    /// Save the draft, if it is still at `base_version`.
    SaveDraft {
        doc: ReportDoc,
        base_version: i64,
    },
    /// Make the draft the published report (a new revision).
    Publish {
        base_version: i64,
    },
    /// Set the draft back to the published revision.
    DiscardDraft,
    /// Publish the content of an older revision as a new one.
    RestoreRevision {
        number: u32,
    },
    Star {
        on: bool,
    },
    Delete,
    Restore,
    CreateLink {
        label: String,
    },
    RevokeLink {
        id: i64,
    },
    Comment {
        block_id: Option<u64>,
        panel_id: Option<u64>,
        body: String,
    },
    DeleteComment {
        id: i64,
    },
}

/// What a change returns: the draft's new version, or a new link's URL.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct ReportEditDone {
    pub draft_version: Option<i64>,
    pub published: Option<u32>,
    pub link_url: Option<String>,
}

/// The path of a report's page.
pub fn report_href(project: &super::ProjectRef, title: &str, id: u64) -> String {
    format!(
        "{}/reports/{}",
        project.href(),
        crate::logic::url::encode_segment(&crate::logic::reports::report_segment(title, id))
    )
}

/// A run a report's chart draws.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportRun {
    pub id: RunId,
    pub name: String,
    pub color: (u8, u8, u8),
}

/// What an interactive line chart of a report needs: its settings, the runs it
/// draws and their buckets (for the zoomed range when one was asked).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ReportPanelData {
    pub plot: super::LinePlot,
    pub runs: Vec<ReportRun>,
    pub series: Vec<super::SeriesAnswer>,
    pub x_series: Option<super::SeriesAnswer>,
    pub grouped: bool,
    pub buckets: u32,
}
