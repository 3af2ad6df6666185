//! Server functions: the UI's private door to the server (not a public API).
//! One function per file, grouped by resource; bodies stay thin.

pub mod artifacts;
pub mod automations;
pub mod csrf;
pub mod entities;
mod error;
pub mod projects;
pub mod reports;
pub mod runs;
pub mod runs_table;
#[cfg(feature = "ssr")]
pub mod service;
pub mod session;
pub mod settings;
pub mod sweeps;
pub mod workspace;

pub use error::AppError;
