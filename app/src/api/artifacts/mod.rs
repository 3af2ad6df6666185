//! The Artifacts tab's server functions.

mod edit_artifact;
mod get_artifact_diff;
mod get_artifact_events;
mod get_artifact_files;
mod get_artifact_lineage;
mod get_artifact_preview;
mod get_artifact_version;
mod get_artifact_versions;
mod get_artifacts_index;
mod get_run_artifacts;
mod restore_artifact_collection;
pub use edit_artifact::*;
pub use get_artifact_diff::*;
pub use get_artifact_events::*;
pub use get_artifact_files::*;
pub use get_artifact_lineage::*;
pub use get_artifact_preview::*;
pub use get_artifact_version::*;
pub use get_artifact_versions::*;
pub use get_artifacts_index::*;
pub use get_run_artifacts::*;
pub use restore_artifact_collection::*;
