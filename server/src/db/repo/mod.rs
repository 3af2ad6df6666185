//! Repositories: one module per resource.

pub mod console;
pub mod files;
pub mod projects;
pub mod run_fields;
pub mod runs;
pub mod users;
pub mod view_settings;
