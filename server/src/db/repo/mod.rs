//! Repositories: one module per resource.

pub mod console;
pub mod files;
pub mod metrics;
pub mod projects;
pub mod runs;
pub mod users;
