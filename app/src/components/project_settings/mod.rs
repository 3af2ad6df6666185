//! The Overview tab's controls: star, description, rename, visibility, the member
//! list of restricted projects, "Undelete all runs", and deleting the project.
//! Each shows only to those the server would let do it.

mod description_editor;
mod project_admin;
mod undelete_runs;

pub use description_editor::DescriptionEditor;
pub use project_admin::ProjectAdmin;
pub use undelete_runs::UndeleteRuns;
