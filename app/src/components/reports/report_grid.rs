//! A panel grid on the reader's page. The server drew every chart as SVG, so the
//! grid reads without JavaScript; once the app runs, each line chart fetches its
//! data (only what the report shows, through the report) and becomes the
//! Workspace's interactive plot in the same box: hover, drag to zoom (asked again
//! at the finer range), double-click to reset, legend, PNG/CSV export.

use leptos::prelude::*;

use crate::logic::html::escape_text;
use crate::logic::report_html::{placement, run_set_caption};
use crate::model::{PanelKind, RenderedBlock, ReportRef, RunSet, Section, SectionLayout, ROW_PX};

#[component]
pub fn ReportGrid(
    block_id: u64,
    run_sets: Vec<RunSet>,
    section: Section,
    rendered: Option<RenderedBlock>,
    report: ReportRef,
    /// Which document the page shows: (draft, revision).
    shown: (bool, Option<u32>),
) -> impl IntoView {
    let r = rendered.unwrap_or_default();
    let caption = run_set_caption(&run_sets, &r.run_counts);
    let rows = match section.layout {
        SectionLayout::Custom => format!("grid-auto-rows: {ROW_PX}px"),
        SectionLayout::Standard { .. } => String::new(),
    };
    let (w, h) = match section.layout {
        SectionLayout::Standard { width, height, .. } => (width.max(1) * 80, height.max(120)),
        SectionLayout::Custom => (480, 260),
    };
    let panels = section
        .panels
        .iter()
        .map(|p| {
            let drawn = r.panels.iter().find(|d| d.id == p.id).map(|d| d.html.clone());
            let body = match (&p.kind, drawn) {
                // Empty when the page hydrates (the SVG is in the server's HTML already).
                (PanelKind::Line(_), Some(svg)) if svg.is_empty() || svg.starts_with("<svg") => view! {
                    <ReportChart block_id panel_id=p.id svg report=report.clone() shown
                        title=p.display_title() ratio=(w, h) />
                }
                .into_any(),
                (_, Some(html)) => view! { <div class="panel-body" inner_html=html></div> }.into_any(),
                (_, None) => view! { <p class="panel-status">"Not drawn."</p> }.into_any(),
            };
            view! {
                <figure class="report-panel" id=format!("panel-{block_id}-{}", p.id) data-panel=p.id.to_string()
                    style=placement(section.layout, p)>
                    <figcaption>{p.display_title()}</figcaption>
                    {body}
                </figure>
            }
        })
        .collect_view();
    view! {
        <section class="report-grid" data-block=block_id.to_string() aria-label=escape_text(&section.name)>
            <p class="run-sets muted" inner_html=caption></p>
            <div class="report-panels" style=rows>{panels}</div>
        </section>
    }
}

/// One line chart: the server's SVG until the data is here, then the interactive plot.
#[component]
fn ReportChart(
    block_id: u64,
    panel_id: u64,
    svg: String,
    report: ReportRef,
    shown: (bool, Option<u32>),
    title: String,
    /// The drawn chart's width and height, kept by the interactive one.
    ratio: (u32, u32),
) -> impl IntoView {
    let data = RwSignal::new(None::<Result<crate::model::ReportPanelData, String>>);
    let zoom = RwSignal::new(None::<(f64, f64)>);
    let width = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        use crate::logic::line_panel::bucket_budget;
        let buckets =
            Memo::new(move |_| bucket_budget(if width.get() == 0 { 500 } else { width.get() }));
        let generation = StoredValue::new(0u64);
        let report = report.clone();
        Effect::new(move |_| {
            let (z, b) = (zoom.get(), buckets.get());
            let g = generation.get_value() + 1;
            generation.set_value(g);
            let report = report.clone();
            leptos::task::spawn_local(async move {
                let got = crate::api::reports::get_report_panel(
                    report, shown.0, shown.1, block_id, panel_id, z, b as u32,
                )
                .await
                .map_err(|e| e.to_string());
                if generation.try_get_value() == Some(g) {
                    // A failed fetch keeps the server's drawing.
                    if got.is_ok() || data.try_get_untracked().flatten().is_some() {
                        data.try_set(Some(got));
                    }
                }
            });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&report, shown, block_id, panel_id);
    let plot = Memo::new(move |_| {
        data.with(|d| {
            d.as_ref()
                .and_then(|d| d.as_ref().ok())
                .map(|d| d.plot.clone())
        })
    });
    let lines = Memo::new(move |_| {
        data.with(|d| match d {
            Some(Ok(d)) => {
                let drawn: Vec<crate::logic::line_panel::DrawnRun> = d
                    .runs
                    .iter()
                    .map(|r| crate::logic::line_panel::DrawnRun {
                        id: r.id.clone(),
                        name: r.name.clone(),
                        color: r.color,
                        group: None,
                        running: false,
                    })
                    .collect();
                let fetched = crate::logic::line_panel::Fetched {
                    series: d.series.clone(),
                    x_series: d.x_series.clone(),
                    buckets: d.buckets as usize,
                };
                crate::logic::line_panel::build_lines(&fetched, &d.plot, &drawn, d.grouped)
            }
            _ => Vec::new(),
        })
    });
    let live = move || data.with(|d| d.is_some());
    let state = Signal::derive(move || crate::components::plot_view::PlotState::of(&data.get()));
    let label = format!("Interactive line chart: {title}");
    let style = format!("--chart-ratio: {} / {}", ratio.0, ratio.1);
    view! {
        <div class="panel-body report-chart" class:live=live style=style>
            {move || if live() {
                view! {
                    <crate::components::plot_view::PlotView lines plot zoom width state relayout=Signal::derive(|| 0u64)
                        title=title.clone() label=label.clone() />
                }.into_any()
            } else {
                view! { <div inner_html=svg.clone()></div> }.into_any()
            }}
        </div>
    }
}
