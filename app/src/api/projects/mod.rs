mod create_project;
mod delete_project;
mod edit_project;
mod get_project_overview;
mod list_projects;
mod set_project_member;
mod set_star;
mod undelete_runs;

pub use create_project::*;
pub use delete_project::*;
pub use edit_project::*;
pub use get_project_overview::*;
pub use list_projects::*;
pub use set_project_member::*;
pub use set_star::*;
pub use undelete_runs::*;
