//! The Reports tab, the report editor and its panel-grid settings.

mod editor;
mod grid_editor;
mod report_grid;
mod reports_tab;

pub use editor::ReportEditPage;
pub use report_grid::ReportGrid;
pub(crate) use reports_tab::go_to;
pub use reports_tab::ReportsTab;
