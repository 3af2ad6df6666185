mod get_project_overview;
mod list_projects;

pub use get_project_overview::*;
pub use list_projects::*;
