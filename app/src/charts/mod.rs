//! Charts: pure drawing functions over any plotters backend (so tests render them to
//! SVG natively), plus the one canvas component that draws them in the browser.

mod canvas_chart;
mod line_chart;
mod palette;
pub mod plot;
pub mod theme;

#[cfg(feature = "hydrate")]
pub use canvas_chart::fitted_canvas;
pub use canvas_chart::CanvasLineChart;
pub use line_chart::{draw_line_chart, ChartLine, LineChartSpec};
pub use palette::{run_id_color, series_color};
