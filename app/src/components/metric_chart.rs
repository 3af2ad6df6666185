use leptos::prelude::*;

use crate::api::runs::run_series;
use crate::charts::CanvasLineChart;
use crate::logic::bucket::DEFAULT_BUCKETS;
use crate::model::{ProjectRef, RunId};

/// One metric of one run as a chart panel. It fetches its own buckets in the
/// browser, so panels load independently and the page HTML stays small.
#[component]
pub fn MetricChart(
    /// The run's project.
    project: ProjectRef,
    /// The run.
    run: RunId,
    /// The metric key to draw.
    key: String,
) -> impl IntoView {
    let series = {
        let (project, run, key) = (project.clone(), run.clone(), key.clone());
        LocalResource::new(move || {
            run_series(project.clone(), run.clone(), key.clone(), DEFAULT_BUCKETS)
        })
    };
    let title = key.clone();
    view! {
        <figure class="panel" data-metric=key.clone()>
            <figcaption class="panel-title">{title}</figcaption>
            // Not a <Suspense>: the data is fetched only in the browser, so the server and
            // the first client render both show "Loading…" and hydration matches.
            // `try_get`: during server rendering an enclosing Suspend can re-run and
            // dispose this panel's owner while its old view is still being walked;
            // a disposed resource then reads as "not loaded" instead of panicking.
            {move || match series.try_get().flatten() {
                None => view! { <p class="panel-status">"Loading…"</p> }.into_any(),
                Some(Ok(s)) => {
                    let note = (s.total_points > s.buckets.len() as u64)
                        .then(|| format!("{} points in {} buckets", s.total_points, s.buckets.len()));
                    let label = format!("Line chart of {}", s.key);
                    view! {
                        <CanvasLineChart series=Signal::derive(move || vec![s.clone()]) label />
                        <p class="panel-note">{note}</p>
                    }
                    .into_any()
                }
                Some(Err(e)) => view! {
                    <p class="panel-status error-message" role="alert">{e.to_string()}</p>
                }
                .into_any(),
            }}
        </figure>
    }
}
