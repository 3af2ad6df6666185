use leptos::prelude::*;

use crate::components::plot_view::{PlotState, PlotView};
use crate::components::workspace::line_panel::{
    bucket_budget, build_lines, fetch, FetchKey, Fetched,
};
use crate::logic::line_panel::DrawnRun;
use crate::model::{LinePlot, ProjectRef, RunId, XSpec};

/// One metric of one run on the run page, drawn with the Workspace's interactive plot
/// (hover, drag-to-zoom, PNG and CSV) in the run's own colour. It fetches its buckets
/// in the browser, so the page's HTML stays small and charts load independently.
#[component]
pub fn RunPlot(
    /// The run's project.
    project: ProjectRef,
    /// The run.
    run: RunId,
    /// The run's name, for the legend.
    run_name: String,
    /// The run's colour.
    color: (u8, u8, u8),
    /// The metric to draw.
    key: String,
) -> impl IntoView {
    let plot = LinePlot::of(key.clone());
    let zoom = RwSignal::new(None::<(f64, f64)>);
    let width = RwSignal::new(0u32);
    let data = RwSignal::new(None::<Result<Fetched, String>>);
    let generation = StoredValue::new(0u64);
    let fetch_key = {
        let (run, key) = (run.clone(), key.clone());
        Memo::new(move |_| {
            let w = width.get();
            (w > 0).then(|| FetchKey {
                keys: vec![key.clone()],
                x: XSpec::Step,
                runs: vec![run.clone()],
                group: None,
                zoom: zoom.get(),
                buckets: bucket_budget(w),
            })
        })
    };
    Effect::new(move |_| {
        let Some(k) = fetch_key.get() else { return };
        let g = generation.get_value() + 1;
        generation.set_value(g);
        let project = project.clone();
        leptos::task::spawn_local(async move {
            let result = fetch(project, k).await;
            if generation.try_get_value() == Some(g) {
                data.try_set(Some(result));
            }
        });
    });
    let drawn = vec![DrawnRun {
        id: run,
        name: run_name,
        color,
        group: None,
        running: false,
    }];
    let lines = {
        let plot = plot.clone();
        Memo::new(move |_| match data.get() {
            Some(Ok(d)) => build_lines(&d, &plot, &drawn, false),
            _ => Vec::new(),
        })
    };
    let note = move || {
        let (points, buckets) = data.with(|d| match d {
            Some(Ok(f)) => f
                .series
                .first()
                .and_then(|s| s.runs.first())
                .map_or((0, 0), |r| (r.total_points, r.buckets.rows().len() as u64)),
            _ => (0, 0),
        });
        (points > buckets).then(|| format!("{points} points in {buckets} buckets"))
    };
    let state = Signal::derive(move || data.with(PlotState::of));
    let title = key.clone();
    let label = format!("Line chart of {key}");
    view! {
        <figure class="panel run-plot" data-metric=key.clone()>
            <figcaption class="panel-title">{title.clone()}</figcaption>
            <PlotView
                lines
                plot=Signal::derive(move || Some(plot.clone()))
                zoom
                width
                state
                relayout=Signal::derive(|| 0u64)
                title=Signal::derive(move || title.clone())
                label=Signal::derive(move || label.clone())
            />
            <p class="panel-note">{note}</p>
        </figure>
    }
}
