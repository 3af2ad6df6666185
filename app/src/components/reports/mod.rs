//! The Reports tab, the report editor and its panel-grid settings.

mod editor;
mod grid_editor;
mod reports_tab;

pub use editor::ReportEditPage;
pub(crate) use reports_tab::go_to;
pub use reports_tab::ReportsTab;
