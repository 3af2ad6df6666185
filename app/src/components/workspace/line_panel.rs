//! A line plot panel: asks the metrics engine for buckets of its metrics over the
//! drawn runs (grouped when the sidebar groups), smooths, and keeps up with running
//! runs by cursor; drawing, hover, zoom and export are `PlotView`'s. The run page
//! fetches and builds its lines with the same functions ([`fetch`], [`build_lines`]).

use leptos::prelude::*;

use super::use_ws;
use crate::api::runs::query_series;
use crate::components::plot_view::{PlotState, PlotView};
pub(crate) use crate::logic::line_panel::{bucket_budget, build_lines, FetchKey, Fetched};
use crate::logic::line_panel::{live_cursor, merge_fresh, x_axis_of, MAX_KEYS};
use crate::logic::workspace::{expand_keys, find_panel, series_group};
use crate::model::{PanelKind, RunId, SeriesQuery, XAxis, XSpec};

pub(crate) async fn fetch(
    project: crate::model::ProjectRef,
    key: FetchKey,
) -> Result<Fetched, String> {
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
        let Some(cursor) = live_cursor(answer, &running) else {
            continue;
        };
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
        changed |= merge_fresh(answer, fresh, data.buckets);
    }
    changed.then_some(data)
}

#[component]
pub fn LinePanel(
    /// The id of the panel in the workspace document.
    id: u64,
) -> impl IntoView {
    let ctx = use_ws();
    let plot = Memo::new(move |_| {
        ctx.doc.with(|d| {
            find_panel(d, id).and_then(|(si, pi)| match &d.sections[si].panels[pi].kind {
                PanelKind::Line(l) => Some(l.clone()),
                _ => None,
            })
        })
    });
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
            buckets: bucket_budget(w),
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
    // The panel's size is part of the document (layout): redraw when it changes.
    let relayout = RwSignal::new(0u64);
    Effect::new(move |_| {
        ctx.doc.with(|d| {
            find_panel(d, id)
                .map(|(si, pi)| (d.sections[si].layout, d.sections[si].panels[pi].rect))
        });
        relayout.update(|n| *n += 1);
    });
    let state = Signal::derive(move || data.with(PlotState::of));
    let title = Signal::derive(move || {
        ctx.doc.with(|d| {
            find_panel(d, id)
                .map(|(si, pi)| d.sections[si].panels[pi].display_title())
                .unwrap_or_default()
        })
    });
    let label = Signal::derive(move || format!("Line chart of {}", keys.get().join(", ")));
    view! { <PlotView lines plot zoom width state relayout title label /> }
}
