//! Scatter, bar and markdown panels. Scatter and bar plots draw one mark per drawn
//! run from the values the sidebar already loaded (summary metrics or config), so
//! they need no request of their own.

use leptos::prelude::*;

use super::{hex, use_ws};
#[cfg(feature = "hydrate")]
use crate::charts::plot::{draw_plot, Marks};
use crate::charts::plot::{AxisView, TickFormat};
use crate::logic::filter::FieldValue;
use crate::logic::markdown::to_safe_html;
use crate::logic::plot::{extent, Scale};

/// A colour as red, green, blue.
type Rgb = (u8, u8, u8);

/// Owned marks for [`StaticPlot`].
#[derive(Clone, Debug, PartialEq)]
enum OwnedMarks {
    Dots(Vec<(f64, f64, (u8, u8, u8))>),
    Bars(Vec<(String, f64, (u8, u8, u8))>),
}

fn linear(lo: f64, hi: f64) -> AxisView {
    AxisView {
        lo,
        hi,
        scale: Scale { log: false },
        format: TickFormat::Number,
    }
}

/// Numeric values of a column for the drawn runs, with their colour and name.
fn values(column: &str) -> Vec<(String, Option<f64>, Rgb)> {
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

#[component]
pub fn ScatterPanel(x: String, y: String) -> impl IntoView {
    let (xc, yc) = (x.clone(), y.clone());
    let marks = Memo::new(move |_| {
        let xs = values(&xc);
        let ys = values(&yc);
        let dots: Vec<(f64, f64, (u8, u8, u8))> = xs
            .iter()
            .zip(&ys)
            .filter_map(|((_, a, c), (_, b, _))| Some(((*a)?, (*b)?, *c)))
            .collect();
        let (xlo, xhi) = extent(dots.iter().map(|d| d.0), false);
        let (ylo, yhi) = extent(dots.iter().map(|d| d.1), false);
        (linear(xlo, xhi), linear(ylo, yhi), OwnedMarks::Dots(dots))
    });
    let empty = move || marks.with(|(_, _, m)| matches!(m, OwnedMarks::Dots(d) if d.is_empty()));
    view! {
        <StaticPlot marks label=format!("Scatter plot of {y} against {x}") />
        <p class="panel-note">{format!("x: {x} · y: {y}")}</p>
        {move || empty().then(|| view! { <p class="panel-status">"No drawn run has both values."</p> })}
    }
}

#[component]
pub fn BarPanel(metric: String) -> impl IntoView {
    let m = metric.clone();
    let marks = Memo::new(move |_| {
        let bars: Vec<(String, f64, (u8, u8, u8))> = values(&m)
            .into_iter()
            .filter_map(|(name, v, c)| Some((name, v?, c)))
            .collect();
        let (lo, hi) = extent(bars.iter().map(|b| b.1).chain([0.0]), false);
        let n = bars.len().max(1) as f64;
        (
            linear(0.0, n),
            linear(lo.min(0.0), hi),
            OwnedMarks::Bars(bars),
        )
    });
    let names = move || {
        marks.with(|(_, _, m)| match m {
            OwnedMarks::Bars(b) => b
                .iter()
                .map(|(name, v, c)| (name.clone(), *v, hex(*c)))
                .collect::<Vec<_>>(),
            OwnedMarks::Dots(_) => vec![],
        })
    };
    view! {
        <StaticPlot marks label=format!("Bar chart of {metric}") />
        <ul class="ws-legend" aria-label="Bars">
            {move || names().into_iter().map(|(n, v, c)| view! {
                <li><span class="dot" style=format!("background:{c}")></span>{n}": "{crate::logic::format::number(v)}</li>
            }).collect_view()}
        </ul>
    }
}

/// A canvas drawing fixed marks (redrawn when they change or the window resizes).
#[component]
fn StaticPlot(marks: Memo<(AxisView, AxisView, OwnedMarks)>, label: String) -> impl IntoView {
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

#[component]
pub fn MarkdownPanel(text: String) -> impl IntoView {
    let html = to_safe_html(&text);
    view! { <div class="ws-markdown" inner_html=html></div> }
}
