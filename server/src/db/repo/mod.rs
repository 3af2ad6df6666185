//! Repositories: one module per resource.

pub mod artifacts;
pub mod automations;
pub mod console;
pub mod files;
pub mod leases;
pub mod projects;
pub mod reports;
pub mod run_fields;
pub mod run_lines;
pub mod run_wandb;
pub mod runs;
pub mod server_secrets;
pub mod sweeps;
pub mod users;
pub mod view_settings;
