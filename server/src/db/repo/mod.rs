//! Repositories: one module per resource.

pub mod console;
pub mod files;
pub mod projects;
pub mod runs;
pub mod users;
