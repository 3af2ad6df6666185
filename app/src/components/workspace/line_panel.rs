//! A line plot panel: asks the metrics engine for buckets of its metrics over the
//! drawn runs (grouped when the sidebar groups), smooths, draws with plotters on a
//! canvas, and handles hover (crosshair with every line's value), drag-to-zoom
//! (which asks the server again for that x range), double-click to reset, live
//! updates by cursor, and export as PNG or CSV.
//!
//! The panel exposes what it drew for tests and tools: `data-series` (the legend's
//! labels as JSON, in order), `data-zoom` and `data-draws` (how many times it drew).

use leptos::prelude::*;

use super::{series_group, use_ws, DrawnRun};
use crate::api::runs::query_series;
#[cfg(feature = "hydrate")]
use crate::charts::plot::{draw_plot, Marks};
use crate::charts::plot::{AxisView, PlotArea, TickFormat};
use crate::charts::series_color;
use crate::logic::plot::{
    extent, group_line, halve_buckets, nearest, pair_by_step, run_line, smooth_line, Line, Scale,
};
use crate::logic::workspace::{expand_keys, find_panel};
use crate::model::{
    BucketColumns, GroupBy, LinePlot, PanelKind, RunId, SeriesAnswer, SeriesQuery, XAxis, XSpec,
};

/// Most metrics one line plot draws (a glob can match many).
const MAX_KEYS: usize = 20;

/// What a fetch brought back.
#[derive(Clone, Debug, PartialEq)]
struct Fetched {
    /// One answer per y metric.
    series: Vec<SeriesAnswer>,
    /// The x metric's answer when x is another metric.
    x_series: Option<SeriesAnswer>,
    buckets: usize,
}

/// Everything that decides what to fetch.
#[derive(Clone, Debug, PartialEq)]
struct FetchKey {
    keys: Vec<String>,
    x: XSpec,
    runs: Vec<RunId>,
    group: Option<GroupBy>,
    zoom: Option<(f64, f64)>,
    buckets: usize,
}

fn x_axis_of(x: &XSpec) -> XAxis {
    match x {
        XSpec::Step | XSpec::Metric(_) => XAxis::Step,
        XSpec::RelativeTime => XAxis::RelativeTime,
        XSpec::WallTime => XAxis::WallTime,
    }
}

async fn fetch(project: crate::model::ProjectRef, key: FetchKey) -> Result<Fetched, String> {
    let zoom = match key.x {
        // A zoom on another metric's axis is in that metric's units: applied when drawing.
        XSpec::Metric(_) => None,
        _ => key.zoom,
    };
    let query = |metric: String| SeriesQuery {
        runs: key.runs.clone(),
        key: metric,
        x: x_axis_of(&key.x),
        x_min: zoom.map(|z| z.0),
        x_max: zoom.map(|z| z.1),
        buckets: key.buckets,
        group_by: match key.x {
            XSpec::Metric(_) => None,
            _ => key.group.clone(),
        },
    };
    let mut series = Vec::with_capacity(key.keys.len());
    for k in &key.keys {
        series.push(
            query_series(project.clone(), query(k.clone()))
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let x_series = match &key.x {
        XSpec::Metric(m) => Some(
            query_series(project.clone(), query(m.clone()))
                .await
                .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    Ok(Fetched {
        series,
        x_series,
        buckets: key.buckets,
    })
}

/// The lines to draw, in legend order (the sidebar's order; groups in order of
/// first appearance).
fn build_lines(data: &Fetched, plot: &LinePlot, drawn: &[DrawnRun], grouped: bool) -> Vec<Line> {
    let many = data.series.len() > 1;
    let mut lines = Vec::new();
    for (ki, answer) in data.series.iter().enumerate() {
        if grouped && data.x_series.is_none() && !answer.groups.is_empty() {
            for (gi, g) in answer.groups.iter().enumerate() {
                let label = if many {
                    format!("{} · {}", g.group, answer.key)
                } else {
                    g.group.clone()
                };
                let c = series_color(gi + ki * 3);
                lines.push(group_line(
                    label,
                    (c.0, c.1, c.2),
                    &g.buckets,
                    plot.group_line,
                    plot.group_band,
                ));
            }
            continue;
        }
        for run in drawn {
            let Some(rs) = answer.runs.iter().find(|r| r.run == run.id) else {
                continue;
            };
            let mut rows = rs.buckets.rows();
            if let Some(xs) = &data.x_series {
                let Some(xr) = xs.runs.iter().find(|r| r.run == run.id) else {
                    continue;
                };
                rows = pair_by_step(&xr.buckets.rows(), &rows);
            }
            let label = if many {
                format!("{} · {}", run.name, answer.key)
            } else {
                run.name.clone()
            };
            let color = if many && ki > 0 {
                let c = series_color(ki * 7 + lines.len());
                (c.0, c.1, c.2)
            } else {
                run.color
            };
            lines.push(run_line(label, color, &rows));
        }
    }
    for l in &mut lines {
        smooth_line(l, plot.smoothing, plot.smoothing_amount);
    }
    lines
}

/// The axes for these lines: the zoomed or full x range, the y range of what is
/// inside it.
fn axes(lines: &[Line], plot: &LinePlot, zoom: Option<(f64, f64)>) -> (AxisView, AxisView) {
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

/// New points for running runs, after what `data` holds, merged into it; `None` when
/// nothing changed.
async fn poll_new_points(
    project: crate::model::ProjectRef,
    mut data: Fetched,
    running: Vec<RunId>,
    x: XAxis,
) -> Option<Fetched> {
    let mut changed = false;
    for answer in data.series.iter_mut() {
        // The cursor: the earliest last x among the running runs, so no run misses
        // points (each run keeps only what lies after its own last x).
        let cursor = answer
            .runs
            .iter()
            .filter(|r| running.contains(&r.run))
            .filter_map(|r| r.buckets.last_x())
            .fold(f64::INFINITY, f64::min);
        if !cursor.is_finite() {
            continue;
        }
        let q = SeriesQuery {
            runs: running.clone(),
            key: answer.key.clone(),
            x,
            x_min: Some(cursor),
            x_max: None,
            buckets: data.buckets,
            group_by: None,
        };
        let Ok(fresh) = query_series(project.clone(), q).await else {
            continue;
        };
        for new in fresh.runs {
            let Some(old) = answer.runs.iter_mut().find(|r| r.run == new.run) else {
                continue;
            };
            let mut rows = old.buckets.rows();
            let last = rows.last().map_or(f64::NEG_INFINITY, |b| b.x_last);
            let added: Vec<_> = new
                .buckets
                .rows()
                .into_iter()
                .filter(|b| b.x_first > last)
                .collect();
            if added.is_empty() {
                continue;
            }
            rows.extend(added);
            while rows.len() > data.buckets * 2 {
                rows = halve_buckets(&rows);
            }
            old.buckets = BucketColumns::from_buckets(&rows);
            old.total_points = new.total_points;
            old.raw = false;
            changed = true;
        }
    }
    changed.then_some(data)
}

#[component]
pub fn LinePanel(id: u64) -> impl IntoView {
    let ctx = use_ws();
    let plot = Memo::new(move |_| {
        ctx.doc.with(|d| {
            find_panel(d, id).and_then(|(si, pi)| match &d.sections[si].panels[pi].kind {
                PanelKind::Line(l) => Some(l.clone()),
                _ => None,
            })
        })
    });
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let zoom = RwSignal::new(None::<(f64, f64)>);
    let width = RwSignal::new(0u32);
    let keys = Memo::new(move |_| {
        let all = ctx.metric_keys.get();
        plot.get()
            .map(|p| expand_keys(&p.y, &all, MAX_KEYS))
            .unwrap_or_default()
    });
    let group = Memo::new(move |_| ctx.doc.with(|d| series_group(&d.runs.group_by)));
    let fetch_key = Memo::new(move |_| {
        let p = plot.get()?;
        let runs: Vec<RunId> = ctx.drawn.with(|d| d.iter().map(|r| r.id.clone()).collect());
        let w = width.get();
        if w == 0 {
            return None;
        }
        Some(FetchKey {
            keys: keys.get(),
            x: p.x,
            runs,
            group: group.get(),
            zoom: zoom.get(),
            // About one bucket per pixel, in steps of 100 so small resizes reuse answers.
            buckets: (w.div_ceil(100) * 100).clamp(100, 2_000) as usize,
        })
    });
    let data = RwSignal::new(None::<Result<Fetched, String>>);
    // `generation` numbers fetches (a late answer to an old one is dropped);
    // `version` numbers the data itself, so a live poll that started from data
    // since replaced does not bring the old data back.
    let generation = StoredValue::new(0u64);
    let version = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some(key) = fetch_key.get() else { return };
        let g = generation.get_value() + 1;
        generation.set_value(g);
        if key.runs.is_empty() || key.keys.is_empty() {
            version.update_value(|v| *v += 1);
            data.set(Some(Ok(Fetched {
                series: vec![],
                x_series: None,
                buckets: key.buckets,
            })));
            return;
        }
        let project = ctx.project.get_value();
        leptos::task::spawn_local(async move {
            let result = fetch(project, key).await;
            if generation.try_get_value() == Some(g) {
                version.try_update_value(|v| *v += 1);
                data.try_set(Some(result));
            }
        });
    });
    // Live updates: only new points, for ungrouped, unzoomed plots over time or steps.
    Effect::new(move |previous: Option<()>| {
        ctx.live_tick.track();
        if previous.is_none() {
            return;
        }
        let Some(Ok(current)) = data.get_untracked() else {
            return;
        };
        let Some(p) = plot.get_untracked() else {
            return;
        };
        if zoom.get_untracked().is_some()
            || group.get_untracked().is_some()
            || matches!(p.x, XSpec::Metric(_))
        {
            return;
        }
        let running: Vec<RunId> = ctx.drawn.with_untracked(|d| {
            d.iter()
                .filter(|r| r.running)
                .map(|r| r.id.clone())
                .collect()
        });
        if running.is_empty() {
            return;
        }
        let (g, v) = (generation.get_value(), version.get_value());
        let project = ctx.project.get_value();
        leptos::task::spawn_local(async move {
            if let Some(merged) = poll_new_points(project, current, running, x_axis_of(&p.x)).await
            {
                // Only if nothing replaced the data the poll started from.
                if generation.try_get_value() == Some(g) && version.try_get_value() == Some(v) {
                    version.try_update_value(|v| *v += 1);
                    data.try_set(Some(Ok(merged)));
                }
            }
        });
    });

    let lines = Memo::new(move |_| match (data.get(), plot.get()) {
        (Some(Ok(d)), Some(p)) => {
            let drawn = ctx.drawn.get();
            build_lines(&d, &p, &drawn, group.get().is_some())
        }
        _ => Vec::new(),
    });
    let view_axes = Memo::new(move |_| {
        let p = plot.get()?;
        Some(lines.with(|l| axes(l, &p, zoom.get())))
    });
    let area = RwSignal::new(PlotArea::default());
    let draws = RwSignal::new(0u32);
    // How long the last drawing took, in milliseconds (the benchmark reads it).
    let draw_ms = RwSignal::new(0.0f64);
    let resized = RwSignal::new(0u32);
    // The panel's size is part of the document (layout), so redraw when it changes.
    let size_key = Memo::new(move |_| {
        ctx.doc.with(|d| {
            find_panel(d, id)
                .map(|(si, pi)| (d.sections[si].layout, d.sections[si].panels[pi].rect))
        })
    });

    #[cfg(feature = "hydrate")]
    {
        let handle =
            window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
        on_cleanup(move || handle.remove());
        // Measure the canvas once it is laid out (and after layout changes).
        Effect::new(move |_| {
            size_key.track();
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
            size_key.track();
            resized.track();
            if data.with(|d| !matches!(d, Some(Ok(_)))) {
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
    let _ = (size_key, resized, width, draw_ms);

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
                        super::hex(l.color),
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
            let title = ctx.doc.with_untracked(|d| {
                find_panel(d, id)
                    .map(|(si, pi)| d.sections[si].panels[pi].display_title())
                    .unwrap_or_default()
            });
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
    let status = move || match data.get() {
        None => Some(view! { <p class="panel-status">"Loading…"</p> }.into_any()),
        Some(Err(e)) => {
            Some(view! { <p class="panel-status error-message" role="alert">{e}</p> }.into_any())
        }
        Some(Ok(_)) if lines.with(Vec::is_empty) => {
            Some(view! { <p class="panel-status">"No data for the runs shown."</p> }.into_any())
        }
        _ => None,
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
                    aria-label=move || format!("Line chart of {}", keys.get().join(", "))></canvas>
                {selection}
                {tooltip}
                {status}
            </div>
            <div class="ws-x-title" aria-hidden="true">{x_title}</div>
            <div class="ws-line-foot">
                <ul class="ws-legend" aria-label="Legend">
                    {move || lines.get().into_iter().map(|l| view! {
                        <li><span class="dot" style=format!("background:{}", super::hex(l.color))></span>{l.label}</li>
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
