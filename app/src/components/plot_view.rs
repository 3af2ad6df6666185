//! An interactive line plot: draws lines with plotters on a canvas sized for the
//! screen, and handles hover (a crosshair naming the logged step and every line's
//! value), drag-to-zoom (the owner fetches that x range again), double-click to
//! reset, the legend, and export as PNG (with title, axis title and legend) or CSV
//! (the logged steps). The Workspace's line panels and the run page both use it;
//! what to draw, and fetching it, stays with them.
//!
//! It exposes what it drew for tests and tools: `data-series` (the legend's labels
//! as JSON, in order), `data-zoom`, `data-draws` (how many times it drew),
//! `data-draw-ms`, `data-bands`, `data-last-x`, and `data-drawn` on the canvas.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use crate::charts::plot::{draw_plot, Marks};
use crate::charts::plot::{AxisView, PlotArea, TickFormat};
use crate::logic::plot::{extent, nearest, Line, Scale};
use crate::model::{LinePlot, XSpec};

/// Where the data behind a plot is.
#[derive(Clone, Debug, PartialEq)]
pub enum PlotState {
    Loading,
    Failed(String),
    Ready,
}

impl PlotState {
    /// The state of fetched data: not there yet, failed with a message, or there.
    pub fn of<T>(data: &Option<Result<T, String>>) -> PlotState {
        match data {
            None => PlotState::Loading,
            Some(Err(e)) => PlotState::Failed(e.clone()),
            Some(Ok(_)) => PlotState::Ready,
        }
    }
}

/// The plot of `lines` (see the module's header).
#[component]
pub fn PlotView(
    /// The lines to draw, in legend order.
    lines: Memo<Vec<Line>>,
    /// The plot's settings (x axis, log scales, outliers); `None` draws nothing.
    #[prop(into)]
    plot: Signal<Option<LinePlot>>,
    /// The zoomed x range, in data units; set by dragging, cleared by double-click.
    zoom: RwSignal<Option<(f64, f64)>>,
    /// The canvas' CSS width, measured here, so the owner can ask for about one
    /// bucket per pixel.
    width: RwSignal<u32>,
    /// Whether the data is there yet.
    #[prop(into)]
    state: Signal<PlotState>,
    /// Changes whenever the owner's layout changes the canvas' size.
    #[prop(into)]
    relayout: Signal<u64>,
    /// The title written above an exported PNG.
    #[prop(into)]
    title: Signal<String>,
    /// The canvas' accessible name.
    #[prop(into)]
    label: Signal<String>,
) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let view_axes = Memo::new(move |_| {
        let p = plot.get()?;
        Some(lines.with(|l| axes(l, &p, zoom.get())))
    });
    let area = RwSignal::new(PlotArea::default());
    let draws = RwSignal::new(0u32);
    // How long the last drawing took, in milliseconds (the benchmark reads it).
    let draw_ms = RwSignal::new(0.0f64);
    let resized = RwSignal::new(0u32);

    #[cfg(feature = "hydrate")]
    {
        let handle =
            window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
        on_cleanup(move || handle.remove());
        // Measure the canvas once it is laid out (and after layout changes).
        Effect::new(move |_| {
            relayout.track();
            resized.track();
            if canvas_ref.get().is_some() {
                request_animation_frame(move || {
                    if let Some(c) = canvas_ref.try_get_untracked().flatten() {
                        width.try_set(c.client_width().max(100) as u32);
                    }
                });
            }
        });
        Effect::new(move |_| {
            let Some((x, y)) = view_axes.get() else {
                return;
            };
            let l = lines.get();
            relayout.track();
            resized.track();
            if state.with(|s| *s != PlotState::Ready) {
                return;
            }
            request_animation_frame(move || {
                if let Some(canvas) = canvas_ref.try_get_untracked().flatten() {
                    let clock = web_sys::window().and_then(|w| w.performance());
                    let t0 = clock.as_ref().map_or(0.0, |p| p.now());
                    if let Some(a) = draw_canvas(&canvas, &x, &y, &l) {
                        area.try_set(a);
                        draw_ms.try_set(clock.as_ref().map_or(0.0, |p| p.now()) - t0);
                        draws.try_update(|n| *n += 1);
                    }
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (relayout, resized, width, draw_ms, title);

    // Hover and zoom, in CSS pixels relative to the canvas.
    let hover = RwSignal::new(None::<f64>);
    let drag_from = RwSignal::new(None::<f64>);
    let local_x = move |ev: &leptos::ev::MouseEvent| -> Option<f64> {
        #[cfg(feature = "hydrate")]
        {
            let c = canvas_ref.try_get_untracked().flatten()?;
            let r = c.get_bounding_client_rect();
            Some(f64::from(ev.client_x()) - r.left())
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = ev;
            None
        }
    };
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some(px) = local_x(&ev) else { return };
        let a = area.get_untracked();
        hover.set((px >= a.left && px <= a.right).then_some(px));
    };
    let on_down = move |ev: leptos::ev::MouseEvent| {
        if ev.button() != 0 {
            return;
        }
        ev.prevent_default();
        drag_from.set(local_x(&ev));
    };
    let on_up = move |ev: leptos::ev::MouseEvent| {
        let (Some(from), Some(to)) = (drag_from.get_untracked(), local_x(&ev)) else {
            drag_from.set(None);
            return;
        };
        drag_from.set(None);
        if (to - from).abs() < 6.0 {
            return;
        }
        let Some((x, _)) = view_axes.get_untracked() else {
            return;
        };
        let a = area.get_untracked();
        let (lo, hi) = (a.x_at(from.min(to), &x), a.x_at(from.max(to), &x));
        zoom.set(Some((x.scale.from_axis(lo), x.scale.from_axis(hi))));
    };
    let tooltip = move || {
        let px = hover.get()?;
        let (x, _) = view_axes.get()?;
        let a = area.get();
        let at = x.scale.from_axis(a.x_at(px, &x));
        // The x the nearest drawn point stands for, as logged (a step, never 3.5).
        let heading = lines.with(|ls| {
            ls.iter().find_map(|l| {
                let i = nearest(&l.xs, at)?;
                let span = l.x_spans.get(i).copied()?;
                Some(crate::logic::plot::span_label(span, |v| {
                    x.label(x.scale.to_axis(v))
                }))
            })
        });
        let rows: Vec<(String, String, String)> = lines.with(|ls| {
            ls.iter()
                .filter_map(|l| {
                    let i = nearest(&l.xs, at)?;
                    let v = l.ys[i];
                    Some((
                        crate::logic::workspace::hex(l.color),
                        l.label.clone(),
                        crate::logic::format::number(v),
                    ))
                })
                .collect()
        });
        let left = px.min(a.right - 10.0);
        Some(view! {
            <div class="ws-crosshair" style=format!("left:{px}px;top:{}px;height:{}px", a.top, a.bottom - a.top)></div>
            <div class="ws-tooltip" role="status" style=format!("left:{}px", left + 12.0)>
                <div class="muted">{heading.unwrap_or_else(|| x.label(x.scale.to_axis(at)))}</div>
                {rows.into_iter().map(|(c, label, v)| view! {
                    <div class="ws-tip-row"><span class="dot" style=format!("background:{c}")></span>
                    <span class="ws-tip-label">{label}</span><span class="num">{v}</span></div>
                }).collect_view()}
            </div>
        })
    };
    let selection = move || {
        let from = drag_from.get()?;
        let to = hover.get()?;
        let a = area.get();
        Some(view! {
            <div class="ws-zoom-box" style=format!(
                "left:{}px;width:{}px;top:{}px;height:{}px",
                from.min(to), (to - from).abs(), a.top, a.bottom - a.top
            )></div>
        })
    };
    let x_title = move || plot.get().map(|p| x_axis_title(&p.x)).unwrap_or_default();
    let export_png = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(c) = canvas_ref.try_get_untracked().flatten() {
            let title = title.get_untracked();
            let legend: Vec<(String, (u8, u8, u8))> = lines
                .get_untracked()
                .into_iter()
                .map(|l| (l.label, l.color))
                .collect();
            if let Some(url) = compose_png(&c, &title, &x_title(), &legend) {
                crate::components::download::download_href("chart.png", &url);
            }
        }
    };
    let export_csv = move |_| {
        let out = crate::logic::plot::lines_csv(&lines.get_untracked());
        crate::components::download::download_text("chart.csv", "text/csv;charset=utf-8", &out);
    };
    let legend_json = move || {
        serde_json::to_string(
            &lines.with(|l| l.iter().map(|l| l.label.clone()).collect::<Vec<_>>()),
        )
        .unwrap_or_default()
    };
    let status = move || match state.get() {
        PlotState::Loading => Some(view! { <p class="panel-status">"Loading…"</p> }.into_any()),
        PlotState::Failed(e) => {
            Some(view! { <p class="panel-status error-message" role="alert">{e}</p> }.into_any())
        }
        PlotState::Ready if lines.with(Vec::is_empty) => {
            Some(view! { <p class="panel-status">"No data for the runs shown."</p> }.into_any())
        }
        PlotState::Ready => None,
    };
    view! {
        <div
            class="ws-line"
            data-series=legend_json
            data-zoom=move || zoom.get().map(|(a, b)| format!("{a},{b}")).unwrap_or_default()
            data-draws=move || draws.get().to_string()
            data-draw-ms=move || format!("{:.1}", draw_ms.get())
            data-log-y=move || plot.get().is_some_and(|p| p.log_y).to_string()
            data-smoothing=move || plot.get().map(|p| format!("{:?}", p.smoothing)).unwrap_or_default()
            data-bands=move || lines.with(|ls| {
                ls.iter().filter(|l| l.band && l.lo.iter().zip(&l.hi).any(|(a, b)| a.is_finite() && b.is_finite() && a < b)).count()
            }).to_string()
            data-last-x=move || lines.with(|ls| {
                ls.iter().filter_map(|l| l.xs.last().copied()).fold(f64::NEG_INFINITY, f64::max)
            }).to_string()
        >
            <div class="ws-canvas-box"
                on:mousemove=on_move
                on:mouseleave=move |_| { hover.set(None); drag_from.set(None); }
                on:mousedown=on_down
                on:mouseup=on_up
                on:dblclick=move |_| zoom.set(None)
            >
                <canvas node_ref=canvas_ref class="chart-canvas" role="img"
                    data-drawn=move || (draws.get() > 0).to_string()
                    aria-label=move || label.get()></canvas>
                {selection}
                {tooltip}
                {status}
            </div>
            <div class="ws-x-title" aria-hidden="true">{x_title}</div>
            <div class="ws-line-foot">
                <ul class="ws-legend" aria-label="Legend">
                    {move || lines.get().into_iter().map(|l| view! {
                        <li><span class="dot" style=format!("background:{}", crate::logic::workspace::hex(l.color))></span>{l.label}</li>
                    }).collect_view()}
                </ul>
                {move || zoom.get().is_some().then(|| view! {
                    <button class="small" on:click=move |_| zoom.set(None)>"Reset zoom"</button>
                })}
                <button class="small" title="Save as PNG" on:click=export_png>"PNG"</button>
                <button class="small" title="Save the drawn values as CSV" on:click=export_csv>"CSV"</button>
            </div>
        </div>
    }
}

/// The axes for these lines: the zoomed or full x range, the y range of what is
/// inside it.
pub fn axes(lines: &[Line], plot: &LinePlot, zoom: Option<(f64, f64)>) -> (AxisView, AxisView) {
    let xs = Scale { log: plot.log_x };
    let ys = Scale { log: plot.log_y };
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for l in lines {
        for &x in &l.xs {
            let a = xs.to_axis(x);
            if a.is_finite() {
                lo = lo.min(a);
                hi = hi.max(a);
            }
        }
    }
    if let Some((a, b)) = zoom {
        let (za, zb) = (xs.to_axis(a), xs.to_axis(b));
        if za.is_finite() && zb.is_finite() && zb > za {
            (lo, hi) = (za, zb);
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    } else if hi <= lo {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    let inside = |x: f64| {
        let a = xs.to_axis(x);
        a >= lo && a <= hi
    };
    let values = lines.iter().flat_map(|l| {
        l.xs.iter()
            .enumerate()
            .filter(|(_, x)| inside(**x))
            .flat_map(move |(i, _)| {
                let band = if l.band {
                    [l.lo[i], l.hi[i]]
                } else {
                    [f64::NAN; 2]
                };
                [l.ys[i], band[0], band[1]]
                    .into_iter()
                    .map(move |v| ys.to_axis(v))
            })
    });
    let (ylo, yhi) = extent(values, plot.ignore_outliers);
    let format = match plot.x {
        XSpec::Step | XSpec::Metric(_) => TickFormat::Number,
        XSpec::RelativeTime => TickFormat::Duration,
        XSpec::WallTime => TickFormat::Clock,
    };
    (
        AxisView {
            lo,
            hi,
            scale: xs,
            format,
        },
        AxisView {
            lo: ylo,
            hi: yhi,
            scale: ys,
            format: TickFormat::Number,
        },
    )
}

/// A legend entry: the line's label and colour.
#[cfg(feature = "hydrate")]
type LegendEntry = (String, (u8, u8, u8));

/// What the x axis shows, as its title reads.
fn x_axis_title(x: &XSpec) -> String {
    match x {
        XSpec::Step => "Step".to_owned(),
        XSpec::RelativeTime => "Relative time".to_owned(),
        XSpec::WallTime => "Wall time (UTC)".to_owned(),
        XSpec::Metric(k) => k.clone(),
    }
}

/// The chart as a PNG data URL with what the page shows around it: the panel's
/// title above, the x axis' title and the legend below, on the chart's background.
#[cfg(feature = "hydrate")]
fn compose_png(
    chart: &web_sys::HtmlCanvasElement,
    title: &str,
    x_title: &str,
    legend: &[LegendEntry],
) -> Option<String> {
    use wasm_bindgen::JsCast;
    let scale = web_sys::window()?.device_pixel_ratio().max(1.0);
    let (w, h) = (f64::from(chart.width()), f64::from(chart.height()));
    let line = 18.0 * scale;
    let pad = 8.0 * scale;
    // Legend entries wrap onto rows by an estimate of their width.
    let char_w = 6.5 * scale;
    let mut rows: Vec<Vec<(f64, &LegendEntry)>> = vec![vec![]];
    let mut x = pad;
    for entry in legend {
        let width = 14.0 * scale + entry.0.chars().count() as f64 * char_w + 12.0 * scale;
        if x + width > w - pad && x > pad {
            rows.push(vec![]);
            x = pad;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, entry));
        }
        x += width;
    }
    let legend_h = if legend.is_empty() {
        0.0
    } else {
        rows.len() as f64 * line
    };
    let total_h = line + pad + h + line + legend_h + pad;
    let out = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into::<web_sys::HtmlCanvasElement>()
        .ok()?;
    out.set_width(w as u32);
    out.set_height(total_h.ceil() as u32);
    let g = out
        .get_context("2d")
        .ok()??
        .dyn_into::<web_sys::CanvasRenderingContext2d>()
        .ok()?;
    let theme = crate::charts::theme::current();
    let css = |c: plotters::style::RGBColor| format!("rgb({},{},{})", c.0, c.1, c.2);
    g.set_fill_style_str(&css(theme.background));
    g.fill_rect(0.0, 0.0, w, total_h);
    g.set_fill_style_str(&css(theme.text));
    g.set_font(&format!("600 {}px sans-serif", (13.0 * scale).round()));
    g.fill_text(title, pad, line).ok()?;
    g.draw_image_with_html_canvas_element(chart, 0.0, line + pad)
        .ok()?;
    g.set_font(&format!("{}px sans-serif", (11.0 * scale).round()));
    g.set_text_align("center");
    g.fill_text(x_title, w / 2.0, line + pad + h + line * 0.8)
        .ok()?;
    g.set_text_align("left");
    let top = line + pad + h + line;
    for (r, row) in rows.iter().enumerate() {
        let y = top + (r as f64 + 0.8) * line;
        for (x, (label, c)) in row {
            g.set_fill_style_str(&format!("rgb({},{},{})", c.0, c.1, c.2));
            g.fill_rect(*x, y - 9.0 * scale, 10.0 * scale, 10.0 * scale);
            g.set_fill_style_str(&css(theme.text));
            g.fill_text(label, x + 14.0 * scale, y).ok()?;
        }
    }
    out.to_data_url().ok()
}

/// Size the canvas to its box and the screen, then draw.
#[cfg(feature = "hydrate")]
fn draw_canvas(
    canvas: &web_sys::HtmlCanvasElement,
    x: &AxisView,
    y: &AxisView,
    lines: &[Line],
) -> Option<PlotArea> {
    let (root, scale) = crate::charts::fitted_canvas(canvas)?;
    match draw_plot(&root, x, y, Marks::Lines(lines), scale) {
        Ok(a) => Some(a),
        Err(e) => {
            gloo::console::error!(format!("chart drawing failed: {e}"));
            None
        }
    }
}
