//! The browser side of every canvas chart: a `<canvas>` sized to its box times the
//! device pixel ratio, as a plotters drawing area. Drawing itself is
//! `charts::plot::draw_plot`.

/// The canvas sized to its CSS box times the device pixel ratio (so lines and text
/// stay sharp), as a plotters drawing area, with that ratio; `None` if the browser
/// refused a 2D context. Every canvas chart draws through this.
#[cfg(feature = "hydrate")]
pub fn fitted_canvas(
    canvas: &web_sys::HtmlCanvasElement,
) -> Option<(
    plotters::drawing::DrawingArea<plotters_canvas::CanvasBackend, plotters::coord::Shift>,
    f64,
)> {
    use plotters::prelude::IntoDrawingArea;
    let scale = web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0)
        .max(1.0);
    let css_w = f64::from(canvas.client_width().max(100));
    let css_h = f64::from(canvas.client_height().max(80));
    canvas.set_width((css_w * scale).round() as u32);
    canvas.set_height((css_h * scale).round() as u32);
    let backend = plotters_canvas::CanvasBackend::with_canvas_object(canvas.clone())?;
    Some((backend.into_drawing_area(), scale))
}
