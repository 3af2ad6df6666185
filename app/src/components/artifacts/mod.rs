//! The Artifacts tab and the pieces of a version's page.

mod action_history;
mod artifacts_tab;
mod file_browser;
mod json_tree;
mod lineage_view;
mod run_artifacts;
mod version_diff;
mod version_overview;
mod version_usage;
mod versions_table;

pub use action_history::ActionHistory;
pub use artifacts_tab::ArtifactsTab;
pub use file_browser::FileBrowser;
pub use json_tree::JsonTree;
pub use lineage_view::LineageView;
pub use run_artifacts::RunArtifacts;
pub use version_diff::VersionDiffView;
pub use version_overview::VersionOverview;
pub use version_usage::VersionUsage;
pub use versions_table::VersionsTable;
