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
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
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
}
