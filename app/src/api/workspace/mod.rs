mod get_workspace;
mod save_report_draft;
mod save_workspace;

pub use get_workspace::*;
pub use save_report_draft::*;
pub use save_workspace::*;
