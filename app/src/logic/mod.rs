//! Pure functions with no IO and no Leptos: everything computable from data.
//! Each module states its contract in its header and carries its own tests.

pub mod artifacts;
pub mod automations;
pub mod bucket;
pub mod config_flat;
pub mod filter;
pub mod format;
pub mod grid_layout;
pub mod html;
pub mod line_panel;
pub mod markdown;
#[cfg(feature = "ssr")]
pub mod math;
pub mod plot;
pub mod quick_start;
pub mod report_html;
pub mod reports;
pub mod run_id;
pub mod run_name;
pub mod runs_table;
pub mod smoothing;
pub mod summary;
pub mod sweeps;
pub mod url;
pub mod validate;
pub mod workspace;
