//! A sweep page's charts, drawn in the browser on canvas; the server sends the
//! same drawings as SVG, shown until the canvas is drawn (and without JavaScript).

use leptos::prelude::*;

use crate::logic::format;
use crate::logic::sweeps::parcoords::{Brushes, Layout, ParCoords};
use crate::model::{ParamScore, SweepRunView};

const PC_HEIGHT: u32 = 320;

/// Parallel coordinates: drag along an axis to keep the runs in that range (a
/// click on an axis clears its brush); `brushes` is shared with the runs table.
#[component]
pub fn ParCoordsChart(pc: ParCoords, brushes: RwSignal<Brushes>) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(false);
    let axes = pc.axes.len();
    if brushes.with_untracked(|b| b.len() != axes) {
        brushes.set(vec![None; axes]);
    }
    // The server's drawing, shown until the canvas is drawn (and without script).
    #[cfg(feature = "ssr")]
    let svg = crate::charts::parcoords::to_svg(900, PC_HEIGHT, &pc, &vec![true; pc.lines.len()]);
    #[cfg(not(feature = "ssr"))]
    let svg = String::new();
    let pc = StoredValue::new(pc);
    let dragging = RwSignal::new(None::<(usize, f64)>);
    #[cfg(feature = "hydrate")]
    {
        let resized = RwSignal::new(0u32);
        let handle =
            window_event_listener(leptos::ev::resize, move |_| resized.update(|n| *n += 1));
        on_cleanup(move || handle.remove());
        Effect::new(move |_| {
            let b = brushes.get();
            resized.track();
            request_animation_frame(move || {
                let Some(canvas) = canvas_ref.try_get_untracked().flatten() else {
                    return;
                };
                let Some((root, scale)) = crate::charts::fitted_canvas(&canvas) else {
                    return;
                };
                pc.with_value(|pc| {
                    let sel = crate::logic::sweeps::parcoords::selected(pc, &b);
                    if crate::charts::parcoords::draw_parcoords(&root, pc, &sel, &b, scale).is_ok()
                    {
                        drawn.try_set(true);
                    }
                });
            });
        });
    }
    // Pointer position in CSS pixels within the canvas, and the layout there.
    let at = move |ev: &leptos::ev::PointerEvent| -> Option<(f64, f64, Layout)> {
        #[cfg(feature = "hydrate")]
        {
            let c = canvas_ref.get_untracked()?;
            let r = c.get_bounding_client_rect();
            let layout = Layout {
                width: r.width(),
                height: r.height(),
                axes,
            };
            Some((
                f64::from(ev.client_x()) - r.left(),
                f64::from(ev.client_y()) - r.top(),
                layout,
            ))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = ev;
            None
        }
    };
    let down = move |ev: leptos::ev::PointerEvent| {
        if let Some((x, y, l)) = at(&ev) {
            if let Some(i) = l.axis_near(x) {
                ev.prevent_default();
                dragging.set(Some((i, l.unit_of(y))));
            }
        }
    };
    let moved = move |ev: leptos::ev::PointerEvent| {
        if let (Some((i, start)), Some((_, y, l))) = (dragging.get_untracked(), at(&ev)) {
            let u = l.unit_of(y);
            brushes.update(|b| {
                if let Some(slot) = b.get_mut(i) {
                    *slot = Some((start.min(u), start.max(u)));
                }
            });
        }
    };
    let up = move |ev: leptos::ev::PointerEvent| {
        if let Some((i, start)) = dragging.get_untracked() {
            dragging.set(None);
            let end = at(&ev).map_or(start, |(_, y, l)| l.unit_of(y));
            if (end - start).abs() < 0.01 {
                brushes.update(|b| {
                    if let Some(slot) = b.get_mut(i) {
                        *slot = None;
                    }
                });
            }
        }
    };
    let names: Vec<String> = pc.with_value(|pc| pc.axes.iter().map(|a| a.name.clone()).collect());
    let summary = move || {
        let active: Vec<String> = brushes.with(|b| {
            b.iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let (lo, hi) = (*r)?;
                    pc.with_value(|pc| {
                        let a = &pc.axes[i];
                        Some(format!(
                            "{} {} – {}",
                            a.name,
                            a.value_at(lo),
                            a.value_at(hi)
                        ))
                    })
                })
                .collect()
        });
        active
    };
    view! {
        <figure class="sweep-chart parcoords">
            <figcaption>
                "Parallel coordinates"
                <span class="muted">" · drag along an axis to filter runs; click an axis to clear it"</span>
            </figcaption>
            <div class="chart-box">
            <canvas
                node_ref=canvas_ref
                class="pc-canvas"
                style=format!("height:{PC_HEIGHT}px")
                role="img"
                aria-label=format!("Parallel coordinates of {} runs over {}", pc.with_value(|p| p.lines.len()), names.join(", "))
                on:pointerdown=down
                on:pointermove=moved
                on:pointerup=up
                on:pointerleave=up
            ></canvas>
            // The server's drawing covers the canvas until the canvas is drawn.
            <div class="pc-fallback" class:hidden=move || drawn.get() inner_html=svg></div>
            </div>
            {move || {
                let active = summary();
                (!active.is_empty()).then(|| view! {
                    <p class="brushes">
                        "Filtered: "{active.join("; ")}" "
                        <button type="button" class="small" on:click=move |_| brushes.update(|b| b.iter_mut().for_each(|x| *x = None))>"Clear filters"</button>
                    </p>
                })
            }}
        </figure>
    }
}

/// Parameter importance (a random forest's, fitted on the server) and each
/// parameter's correlation with the metric, as bars.
#[component]
pub fn ImportanceTable(scores: Vec<ParamScore>, metric: String) -> impl IntoView {
    if scores.is_empty() {
        return view! { <p class="empty">"Importance needs runs that logged "{metric}"."</p> }
            .into_any();
    }
    view! {
        <table class="importance" aria-label=format!("Parameter importance for {metric}")>
            <thead>
                <tr><th scope="col">"Parameter"</th><th scope="col">"Importance"</th><th scope="col">"Correlation"</th></tr>
            </thead>
            <tbody>
                {scores.into_iter().map(|s| {
                    let imp = s.importance.unwrap_or(0.0);
                    let cor = s.correlation.unwrap_or(0.0);
                    let cor_class = if cor >= 0.0 { "bar pos" } else { "bar neg" };
                    view! {
                        <tr>
                            <td class="mono">{s.name.clone()}</td>
                            <td>
                                <span class="bar imp" style=format!("width:{:.0}%", imp * 100.0)></span>
                                <span class="num">{s.importance.map_or("—".to_owned(), |v| format!("{:.2}", v))}</span>
                            </td>
                            <td>
                                <span class=cor_class style=format!("width:{:.0}%", cor.abs() * 100.0)></span>
                                <span class="num">{s.correlation.map_or("—".to_owned(), |v| format!("{v:+.2}"))}</span>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A dot of a chart: x, y and colour.
type Dot = (f64, f64, (u8, u8, u8));

/// Dots and the best-so-far line of the metric over the runs' start times.
fn metric_series(runs: &[SweepRunView], maximize: bool) -> (Vec<Dot>, Vec<(f64, f64)>) {
    let mut pts: Vec<(f64, f64)> = runs
        .iter()
        .filter_map(|r| {
            r.metric
                .filter(|m| m.is_finite())
                .map(|m| (r.created_at_ms as f64 / 1000.0, m))
        })
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let dots = pts.iter().map(|&(x, y)| (x, y, (40, 90, 220))).collect();
    let mut best: Option<f64> = None;
    let line = pts
        .iter()
        .map(|&(x, y)| {
            let b = match best {
                Some(b) if (maximize && b >= y) || (!maximize && b <= y) => b,
                _ => y,
            };
            best = Some(b);
            (x, b)
        })
        .collect();
    (dots, line)
}

fn draw_metric<DB: plotters::prelude::DrawingBackend>(
    root: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    runs: &[SweepRunView],
    maximize: bool,
    scale: f64,
) -> Option<()> {
    use crate::charts::plot::{draw_plot, AxisView, Marks, TickFormat};
    use plotters::prelude::*;
    let (dots, best) = metric_series(runs, maximize);
    let (x0, x1) = dots
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| {
            (a.min(d.0), b.max(d.0))
        });
    let (y0, y1) = dots
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| {
            (a.min(d.1), b.max(d.1))
        });
    if !x0.is_finite() {
        return None;
    }
    let pad = |lo: f64, hi: f64| {
        if hi > lo {
            (hi - lo) * 0.05
        } else {
            lo.abs().max(1.0) * 0.1
        }
    };
    let mut x = AxisView::linear(x0 - pad(x0, x1), x1 + pad(x0, x1));
    x.format = TickFormat::Clock;
    let y = AxisView::linear(y0 - pad(y0, y1), y1 + pad(y0, y1));
    let area = draw_plot(root, &x, &y, Marks::Dots(&dots), scale).ok()?;
    let to_px = |(vx, vy): (f64, f64)| {
        let px = area.px_of(vx, &x);
        let py = area.bottom - (vy - y.lo) / (y.hi - y.lo) * (area.bottom - area.top);
        ((px * scale).round() as i32, (py * scale).round() as i32)
    };
    let path: Vec<(i32, i32)> = best
        .windows(2)
        .flat_map(|w| [to_px(w[0]), to_px((w[1].0, w[0].1)), to_px(w[1])])
        .collect();
    if path.len() > 1 {
        let style = RGBColor(230, 120, 0).stroke_width(((2.0 * scale).round() as u32).max(1));
        root.draw(&PathElement::new(path, style)).ok()?;
    }
    Some(())
}

/// The metric of every run over time (dots) with the best value so far (a step line).
#[component]
pub fn MetricChart(runs: Vec<SweepRunView>, metric: String, maximize: bool) -> impl IntoView {
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    let drawn = RwSignal::new(false);
    let any = runs.iter().any(|r| r.metric.is_some());
    #[cfg(feature = "ssr")]
    let svg = {
        use plotters::prelude::*;
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (900, 260)).into_drawing_area();
            let _ = draw_metric(&root, &runs, maximize, 1.0);
        }
        s
    };
    #[cfg(not(feature = "ssr"))]
    let svg = String::new();
    #[cfg(feature = "hydrate")]
    {
        let runs = runs.clone();
        Effect::new(move |_| {
            let runs = runs.clone();
            request_animation_frame(move || {
                let Some(canvas) = canvas_ref.try_get_untracked().flatten() else {
                    return;
                };
                if let Some((root, scale)) = crate::charts::fitted_canvas(&canvas) {
                    if draw_metric(&root, &runs, maximize, scale).is_some() {
                        drawn.try_set(true);
                    }
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = &runs;
    if !any {
        return view! { <p class="empty">"No run has logged "{metric}" yet."</p> }.into_any();
    }
    view! {
        <figure class="sweep-chart metric-chart">
            <figcaption class="muted">{format!("Each dot is a run, by its start; the line is the best so far ({}).", if maximize { "highest" } else { "lowest" })}</figcaption>
            <div class="chart-box">
                <canvas node_ref=canvas_ref class="metric-canvas" style="height:260px"
                    role="img" aria-label=format!("{metric} of each run by start time, with the best so far")></canvas>
                <div class="pc-fallback" class:hidden=move || drawn.get() inner_html=svg></div>
            </div>
        </figure>
    }
    .into_any()
}

/// The runtime of a run as the table shows it.
pub fn runtime(r: &SweepRunView) -> String {
    format::duration(r.runtime_seconds)
}
