//! The thin browser side of a chart: a `<canvas>` sized to its box times the device
//! pixel ratio, redrawn whenever its data changes. Drawing itself is `draw_line_chart`.

use leptos::prelude::*;

use crate::model::ChartSeries;

/// A line chart drawn on a canvas in the browser (server rendering leaves an empty canvas).
#[component]
pub fn CanvasLineChart(
    /// The series to draw, one line each, coloured in palette order.
    #[prop(into)]
    series: Signal<Vec<ChartSeries>>,
    /// Accessible description of the chart.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(false);

    #[cfg(feature = "hydrate")]
    {
        // Redraw when the window is resized: the canvas backing store follows its box.
        let resized = RwSignal::new(0u32);
        let handle =
            window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
        on_cleanup(move || handle.remove());
        Effect::new(move |_| {
            let data = series.get();
            resized.track();
            if canvas_ref.get().is_some() {
                // Wait for layout, so the canvas has its CSS size before we size its pixels.
                request_animation_frame(move || {
                    // The chart may be gone by the next frame.
                    if let Some(canvas) = canvas_ref.try_get_untracked().flatten() {
                        drawn.try_set(draw_on_canvas(&canvas, &data));
                    }
                });
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = series;

    view! {
        <canvas
            node_ref=canvas_ref
            class="chart-canvas"
            role="img"
            aria-label=label
            data-drawn=move || if drawn.get() { "true" } else { "false" }
        ></canvas>
    }
}

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

/// Size the canvas for the screen and draw; `false` if the browser refused a step.
#[cfg(feature = "hydrate")]
fn draw_on_canvas(canvas: &web_sys::HtmlCanvasElement, data: &[ChartSeries]) -> bool {
    use super::{draw_line_chart, series_color, ChartLine, LineChartSpec};

    let Some((root, scale)) = fitted_canvas(canvas) else {
        return false;
    };
    let spec = LineChartSpec {
        series: data
            .iter()
            .enumerate()
            .map(|(i, s)| ChartLine {
                label: &s.key,
                color: series_color(i),
                buckets: &s.buckets,
            })
            .collect(),
        scale,
    };
    match draw_line_chart(&root, &spec) {
        Ok(()) => true,
        Err(e) => {
            gloo::console::error!(format!("chart drawing failed: {e}"));
            false
        }
    }
}
