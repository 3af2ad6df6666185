//! The Artifacts tab's wire types: collections grouped by type, a collection's
//! versions, one version with its files, usage, lineage, history and diff.

use serde::{Deserialize, Serialize};

use super::{ProjectRef, RunId};
use crate::logic::artifacts::{FileEntry, FolderEntry, NodeKind};
use crate::logic::url::encode_segment;

/// A run as a link: where it lives, its id and its display name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct RunLink {
    pub project: ProjectRef,
    pub run_id: RunId,
    pub name: String,
}

impl RunLink {
    pub fn href(&self) -> String {
        self.project.run_href(&self.run_id)
    }
}

/// One collection in the tab's left column.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CollectionCard {
    pub name: String,
    pub type_name: String,
    /// Committed, live versions.
    pub versions: u64,
    /// When its newest version was made (or the collection, when it has none).
    pub updated_at: i64,
}

/// The collections of one artifact type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ArtifactTypeGroup {
    pub type_name: String,
    pub collections: Vec<CollectionCard>,
}

/// The Artifacts tab's left column: every type with its collections, by name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ArtifactsIndex {
    pub types: Vec<ArtifactTypeGroup>,
    /// Whether the viewer may change the project's artifacts.
    pub can_write: bool,
    /// Deleted collections a project admin may still restore (empty for others).
    pub deleted: Vec<DeletedCollection>,
}

/// A deleted collection within its restore window.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct DeletedCollection {
    pub id: i32,
    pub name: String,
    pub type_name: String,
    pub deleted_at: i64,
    /// When it is removed for good.
    pub purge_at: i64,
}

/// What the versions table is sorted by.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VersionSort {
    #[default]
    Version,
    Created,
    Size,
    Files,
}

impl VersionSort {
    pub const ALL: [VersionSort; 4] = [
        VersionSort::Version,
        VersionSort::Created,
        VersionSort::Size,
        VersionSort::Files,
    ];

    /// The name in URLs (`?sort=size`).
    pub fn slug(self) -> &'static str {
        match self {
            VersionSort::Version => "version",
            VersionSort::Created => "created",
            VersionSort::Size => "size",
            VersionSort::Files => "files",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.slug() == s)
    }
}

/// A page of a collection's versions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionsQuery {
    pub collection: String,
    pub sort: VersionSort,
    pub descending: bool,
    pub offset: u64,
    pub limit: u64,
}

/// Versions shown per page of the versions table.
pub const VERSIONS_PER_PAGE: u64 = 50;
/// Files and folders shown per page of the files tree.
pub const FILES_PER_PAGE: u64 = 200;

/// A collection's own facts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CollectionInfo {
    pub name: String,
    pub type_name: String,
    pub description: Option<String>,
    pub created_at: i64,
    /// Committed, live versions.
    pub versions: u64,
}

/// One row of the versions table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VersionRow {
    pub index: i32,
    /// Every alias, `latest` included (the `vN` name is `index`).
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    pub size: i64,
    pub file_count: i64,
    pub created_at: i64,
    /// The run that logged it.
    pub created_by: Option<RunLink>,
    /// How many runs used it.
    pub consumers: u64,
    pub ttl_seconds: Option<i64>,
    /// The producing run's numeric summary values (top-level keys).
    pub summary: Vec<(String, f64)>,
}

impl VersionRow {
    /// `v3`.
    pub fn name(&self) -> String {
        format!("v{}", self.index)
    }
}

/// A page of the versions table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VersionsPage {
    pub collection: CollectionInfo,
    pub rows: Vec<VersionRow>,
    pub total: u64,
    pub offset: u64,
    /// The numeric summary keys of the rows' producing runs, for optional columns.
    pub summary_keys: Vec<String>,
    pub can_write: bool,
}

/// A version as URLs name it: type, collection and a version name or alias.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionRef {
    pub project: ProjectRef,
    pub type_name: String,
    pub collection: String,
    /// `v3`, `latest` or any alias.
    pub version: String,
}

impl VersionRef {
    /// `/{entity}/{project}/artifacts/{type}/{collection}/{version}`.
    pub fn href(&self) -> String {
        format!(
            "{}/{}",
            collection_href(&self.project, &self.type_name, &self.collection),
            encode_segment(&self.version)
        )
    }
}

/// The Artifacts tab.
pub fn artifacts_href(project: &ProjectRef) -> String {
    format!("{}/artifacts", project.href())
}

/// A collection's versions table.
pub fn collection_href(project: &ProjectRef, type_name: &str, collection: &str) -> String {
    format!(
        "{}/{}/{}",
        artifacts_href(project),
        encode_segment(type_name),
        encode_segment(collection)
    )
}

/// One version with everything its Overview, Metadata and Usage tabs show.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ArtifactVersion {
    pub project: ProjectRef,
    pub collection: CollectionInfo,
    pub row: VersionRow,
    pub digest: String,
    /// `COMMITTED` or `PENDING`.
    pub state: String,
    pub description: Option<String>,
    /// The metadata JSON object, as text.
    pub metadata: Option<String>,
    /// The producing run's config, as JSON text.
    pub run_config: Option<String>,
    /// Every run that used the version.
    pub consumers: Vec<RunLink>,
    /// When its TTL deletes it.
    pub expires_at: Option<i64>,
    /// Whether its type may have a TTL.
    pub ttl_allowed: bool,
    /// The collection's other live versions, newest first (the diff picker's choices).
    pub other_versions: Vec<i32>,
    pub can_write: bool,
}

impl ArtifactVersion {
    /// This version by its `vN` name.
    pub fn version_ref(&self) -> VersionRef {
        VersionRef {
            project: self.project.clone(),
            type_name: self.collection.type_name.clone(),
            collection: self.collection.name.clone(),
            version: self.row.name(),
        }
    }

    /// `collection:vN`, the name clients use.
    pub fn qualified_name(&self) -> String {
        format!("{}:{}", self.collection.name, self.row.name())
    }
}

/// A page of one folder of a version's files.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FilesPage {
    /// The folder listed (`""` or ending in `/`).
    pub prefix: String,
    /// Folders then files of this page.
    pub folders: Vec<FolderEntry>,
    pub files: Vec<FileEntry>,
    /// Folders plus files directly in the folder.
    pub total: u64,
    pub offset: u64,
}

/// One entry of a collection's action history.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ArtifactEvent {
    pub at: i64,
    pub action: String,
    pub detail: String,
    pub version_index: Option<i32>,
    /// Who did it (`None`: the server, e.g. a TTL expiry).
    pub user: Option<String>,
    /// Which door: `ui`, `api`, `wandb` or `server`.
    pub via: String,
}

/// A node of the lineage graph as the server sends it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct LineageNodeInfo {
    pub kind: NodeKind,
    /// `collection:vN` or the run's name.
    pub label: String,
    /// The collection a version belongs to (`type/name`), to fold versions together.
    pub group: Option<String>,
    pub href: String,
}

/// The lineage around a version or run: nodes, `(from, to)` edges pointing
/// downstream, and the node the graph is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct LineageGraph {
    pub nodes: Vec<LineageNodeInfo>,
    pub edges: Vec<(usize, usize)>,
    pub focus: usize,
    /// Whether nodes further away were left out (the depth asked for was reached).
    pub truncated: bool,
}

/// One line of a text diff.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// Two versions compared.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    pub added: Vec<FileEntry>,
    pub removed: Vec<FileEntry>,
    pub changed: Vec<(FileEntry, FileEntry)>,
    pub unchanged: u64,
    /// Line diffs of changed small text files, by path.
    pub text: Vec<(String, Vec<DiffLine>)>,
}

/// A change to a version or its collection.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum ArtifactEdit {
    /// Point an alias at this version (moving it from another version).
    AddAlias(String),
    RemoveAlias(String),
    AddTag(String),
    RemoveTag(String),
    Description(Option<String>),
    /// Replace the metadata with this JSON object (as text).
    Metadata(String),
    CollectionDescription(Option<String>),
    /// Seconds from creation, or `None` to keep it.
    Ttl(Option<i64>),
    /// Delete the version; with `remove_aliases` false a version that has aliases
    /// (other than `latest`) is refused.
    Delete {
        remove_aliases: bool,
    },
    /// Delete the whole collection (a project admin restores it for 30 days).
    DeleteCollection,
}

/// What the Files tab shows for one file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum FilePreview {
    /// Text (JSON pretty-printed); `truncated` when only the start is shown.
    Text { text: String, truncated: bool },
    /// CSV, TSV or a wandb `*.table.json`: the first rows.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        total_rows: u64,
    },
    /// An image, shown from its download URL.
    Image,
    /// Nothing to show: download it.
    Binary,
}

impl VersionRef {
    /// The download URL of one file of this version (session cookie or public).
    pub fn file_href(&self, path: &str) -> String {
        let path: Vec<String> = path.split('/').map(encode_segment).collect();
        format!("{}/files/{}", self.href(), path.join("/"))
    }

    /// The zip download of a folder (`""`: the whole version).
    pub fn zip_href(&self, prefix: &str) -> String {
        if prefix.is_empty() {
            format!("{}/zip", self.href())
        } else {
            format!("{}/zip?folder={}", self.href(), encode_segment(prefix))
        }
    }
}
