//! The read side shared by pages and the API, and the implementation of the
//! `app::api::service::CairnService` interface the server functions call.

pub mod accounts;
pub mod artifacts;
pub mod automations;
pub mod ops;
pub mod reads;
pub mod reports;
pub mod runs_table;
pub mod sweeps;
mod ui;
pub mod workspace;

pub use ui::UiService;
