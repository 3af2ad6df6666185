//! Charts: pure drawing functions over any plotters backend (so tests render them to
//! SVG natively), colours and themes, and sizing a canvas for them in the browser.

mod canvas_chart;
mod palette;
pub mod parcoords;
pub mod plot;
#[cfg(feature = "ssr")]
pub mod svg;
pub mod theme;

#[cfg(feature = "hydrate")]
pub use canvas_chart::fitted_canvas;
pub use palette::{run_id_color, series_color};
