//! What scatter and bar panels share: a canvas drawing fixed marks, and the values of
//! a column for the drawn runs. Both draw one mark per drawn run from the values the
//! sidebar already loaded (summary metrics or config), so they need no request of
//! their own.

use leptos::prelude::*;

use super::use_ws;
use crate::charts::plot::AxisView;
#[cfg(feature = "hydrate")]
use crate::charts::plot::{draw_plot, Marks};
use crate::logic::filter::FieldValue;

/// A colour as red, green, blue.
pub(super) type Rgb = (u8, u8, u8);

/// Owned marks for [`StaticPlot`].
#[derive(Clone, Debug, PartialEq)]
pub(super) enum OwnedMarks {
    Dots(Vec<(f64, f64, Rgb)>),
    Bars(Vec<(String, f64, Rgb)>),
}

/// Numeric values of a column for the drawn runs, with their colour and name.
pub(super) fn values(column: &str) -> Vec<(String, Option<f64>, Rgb)> {
    let ctx = use_ws();
    let rows = ctx.listed.get();
    ctx.drawn
        .get()
        .into_iter()
        .map(|d| {
            let v = rows
                .iter()
                .find(|r| r.id == d.id)
                .and_then(|r| r.values.get(column))
                .and_then(|v| match v {
                    FieldValue::Num(n) => Some(*n),
                    FieldValue::Text(_) => None,
                });
            (d.name, v, d.color)
        })
        .collect()
}

/// A canvas drawing fixed marks (redrawn when they change or the window resizes).
#[component]
pub(super) fn StaticPlot(
    /// The x axis, the y axis and the marks to draw.
    marks: Memo<(AxisView, AxisView, OwnedMarks)>,
    /// What the picture shows, for screen readers.
    label: String,
) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let draws = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        let resized = RwSignal::new(0u32);
        let handle =
            window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
        on_cleanup(move || handle.remove());
        let size = use_context::<super::panel::PanelSize>();
        Effect::new(move |_| {
            let (x, y, m) = marks.get();
            resized.track();
            if let Some(size) = size {
                size.0.track();
            }
            if canvas_ref.get().is_none() {
                return;
            }
            request_animation_frame(move || {
                let Some(canvas) = canvas_ref.try_get_untracked().flatten() else {
                    return;
                };
                let Some((root, scale)) = crate::charts::fitted_canvas(&canvas) else {
                    return;
                };
                let drawn = match &m {
                    OwnedMarks::Dots(d) => draw_plot(&root, &x, &y, Marks::Dots(d), scale),
                    OwnedMarks::Bars(b) => draw_plot(&root, &x, &y, Marks::Bars(b), scale),
                };
                if drawn.is_ok() {
                    draws.try_update(|n| *n += 1);
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = marks;
    view! {
        <div class="ws-canvas-box" data-draws=move || draws.get().to_string()>
            <canvas node_ref=canvas_ref class="chart-canvas" role="img" aria-label=label></canvas>
        </div>
    }
}
