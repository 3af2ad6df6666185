//! Reusable pieces, one component per file.

pub mod artifacts;
pub mod automations;
pub mod console_view;
pub mod download;
pub mod error_view;
pub mod key_value_table;
pub mod menus;
pub mod new_project_form;
pub mod plot_view;
pub mod project_settings;
pub mod project_tabs;
pub mod quick_start;
pub mod reports;
pub mod run_plot;
pub mod runs_table;
pub mod site_header;
pub mod star_button;
pub mod state_badge;
pub mod submit;
pub mod sweeps;
pub mod visibility_select;
pub mod workspace;
