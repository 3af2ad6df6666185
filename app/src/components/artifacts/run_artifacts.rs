use leptos::prelude::*;

use crate::api::artifacts::get_run_artifacts;
use crate::components::error_view::ErrorView;
use crate::logic::artifacts::NodeKind;
use crate::model::{LineageGraph, ProjectRef, RunId};

/// A run page's artifacts: the versions the run logged and the ones it used, linked.
#[component]
pub fn RunArtifacts(
    /// The run's project.
    project: ProjectRef,
    /// The run.
    run: RunId,
) -> impl IntoView {
    let graph = Resource::new(
        move || (project.clone(), run.clone()),
        |(p, r)| get_run_artifacts(p, r),
    );
    view! {
        <section class="card" aria-labelledby="run-artifacts-heading">
            <h2 id="run-artifacts-heading">"Artifacts"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading artifacts…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {move || Suspend::new(async move {
                        let g = graph.await?;
                        Ok::<_, crate::api::AppError>(view! { <Lists graph=g /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn Lists(graph: LineageGraph) -> impl IntoView {
    // Edges point downstream: run → version it logged, version → run that used it.
    let pick = |outgoing: bool| {
        let mut out: Vec<(String, String)> = graph
            .edges
            .iter()
            .filter_map(|&(a, b)| {
                let other = match (outgoing, a == graph.focus, b == graph.focus) {
                    (true, true, _) => b,
                    (false, _, true) => a,
                    _ => return None,
                };
                let n = graph.nodes.get(other)?;
                (n.kind == NodeKind::Artifact).then(|| (n.label.clone(), n.href.clone()))
            })
            .collect();
        out.sort();
        out
    };
    let list = |items: Vec<(String, String)>, name: &'static str, empty: &'static str| {
        if items.is_empty() {
            view! { <p class="empty">{empty}</p> }.into_any()
        } else {
            view! {
                <ul class="run-links" aria-label=name>
                    {items.into_iter().map(|(label, href)| view! { <li><a href=href>{label}</a></li> }).collect_view()}
                </ul>
            }
            .into_any()
        }
    };
    view! {
        <div class="two-col">
            <div>
                <h3>"Logged"</h3>
                {list(pick(true), "Logged artifacts", "This run logged no artifacts.")}
            </div>
            <div>
                <h3>"Used"</h3>
                {list(pick(false), "Used artifacts", "This run used no artifacts.")}
            </div>
        </div>
    }
}
