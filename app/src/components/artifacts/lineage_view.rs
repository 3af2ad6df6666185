use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::artifacts::get_artifact_lineage;
use crate::components::error_view::ErrorView;
use crate::logic::artifacts::{exploded, fold_groups, layout, lineage_svg, Shown};
use crate::model::{LineageGraph, VersionRef};

/// How the graph is asked for: depth, versions or collections, pulled-out nodes.
#[derive(Clone, Debug, PartialEq)]
struct View {
    depth: usize,
    explode: bool,
    pulled: BTreeSet<usize>,
}

impl View {
    fn href(&self, version: &VersionRef) -> String {
        let mut q = vec!["tab=lineage".to_owned(), format!("depth={}", self.depth)];
        if self.explode {
            q.push("explode=1".into());
        }
        if !self.pulled.is_empty() {
            let list: Vec<String> = self.pulled.iter().map(usize::to_string).collect();
            q.push(format!("pull={}", list.join(",")));
        }
        format!("{}?{}", version.href(), q.join("&"))
    }
}

/// The Lineage tab: runs (boxes) and versions (circles) around this version, left
/// to right from upstream to downstream. Collections by default, every version with
/// "Explode"; a column of five or more folds into a cluster, from which one node can
/// be pulled out. Plain SVG and links, so the server's HTML already shows it.
#[component]
pub fn LineageView(
    /// The version the graph is about.
    version: VersionRef,
) -> impl IntoView {
    let query = use_query_map();
    let view_state = Memo::new(move |_| {
        query.with(|q| View {
            depth: q
                .get("depth")
                .and_then(|d| d.parse().ok())
                .unwrap_or(2usize)
                .clamp(1, 8),
            explode: q.get("explode").is_some_and(|e| e == "1"),
            pulled: q
                .get("pull")
                .map(|p| p.split(',').filter_map(|n| n.parse().ok()).collect())
                .unwrap_or_default(),
        })
    });
    let graph = Resource::new(
        {
            let v = version.clone();
            move || (v.clone(), view_state.get().depth)
        },
        |(v, d)| get_artifact_lineage(v, d),
    );
    view! {
        <section class="card" aria-labelledby="lineage-heading">
            <div class="heading-row">
                <h2 id="lineage-heading">"Lineage"</h2>
                {
                    let v = version.clone();
                    move || {
                        let s = view_state.get();
                        let depths = (1..=5usize)
                            .map(|d| {
                                let href = View { depth: d, pulled: BTreeSet::new(), ..s.clone() }.href(&v);
                                let current = (d == s.depth).then_some("true");
                                view! { <a href=href class="chip-link" aria-current=current>{d}</a> }
                            })
                            .collect_view();
                        let toggle = View { explode: !s.explode, pulled: BTreeSet::new(), ..s.clone() }.href(&v);
                        view! {
                            <div class="lineage-controls">
                                <span class="muted">"Depth "</span>{depths}
                                <a href=toggle class="button-link" data-role="explode">
                                    {if s.explode { "Show collections" } else { "Explode" }}
                                </a>
                            </div>
                        }
                    }
                }
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading lineage…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {
                        let v = version.clone();
                        move || {
                            let v = v.clone();
                            Suspend::new(async move {
                                let g = graph.await?;
                                Ok::<_, crate::api::AppError>(view! { <Drawing version=v graph=g state=view_state.get() /> })
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn Drawing(version: VersionRef, graph: LineageGraph, state: View) -> impl IntoView {
    let drawn = if state.explode {
        exploded(&graph)
    } else {
        fold_groups(&graph)
    };
    let laid = layout(
        &drawn.layout_nodes(),
        &drawn.edges,
        drawn.focus,
        state.depth,
        &state.pulled,
    );
    if laid.columns.iter().map(Vec::len).sum::<usize>() <= 1 {
        return view! { <p class="empty">"Nothing logged or used this version yet: no lineage to draw."</p> }.into_any();
    }
    let svg = lineage_svg(&drawn.nodes, &laid);
    let clusters: Vec<(usize, Vec<usize>)> = laid
        .columns
        .iter()
        .enumerate()
        .flat_map(|(c, column)| {
            column.iter().filter_map(move |s| match s {
                Shown::Cluster(members) => Some((c, members.clone())),
                Shown::Node(_) => None,
            })
        })
        .collect();
    let cluster_lists = clusters
        .into_iter()
        .map(|(c, members)| {
            let items: Vec<(String, String)> = members
                .iter()
                .map(|&m| {
                    let mut pulled = state.pulled.clone();
                    pulled.insert(m);
                    let href = View {
                        pulled,
                        ..state.clone()
                    }
                    .href(&version);
                    (drawn.nodes[m].label.clone(), href)
                })
                .collect();
            view! { <ClusterList column=c items /> }
        })
        .collect_view();
    let note = graph.truncated.then(|| {
        view! {
            <p class="muted">"There is more beyond this depth; raise the depth to see it."</p>
        }
    });
    view! {
        <div class="lineage-scroll" inner_html=svg></div>
        {cluster_lists}
        {note}
        <p class="muted lineage-legend">"Boxes are runs, rounded shapes artifact versions; arrows point downstream."</p>
    }
    .into_any()
}

/// A folded column's members: searchable, each one can be pulled out of the cluster.
#[component]
fn ClusterList(column: usize, items: Vec<(String, String)>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let count = items.len();
    view! {
        <details class="cluster-list" data-column=column>
            <summary>{format!("Cluster of {count} in column {}: search and pull one out", column + 1)}</summary>
            <input
                type="search"
                placeholder="Search this cluster"
                aria-label="Search this cluster"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <ul>
                {items
                    .into_iter()
                    .map(|(label, href)| {
                        let lower = label.to_lowercase();
                        let hidden = move || {
                            let q = search.get().to_lowercase();
                            !q.is_empty() && !lower.contains(&q)
                        };
                        view! { <li class:hidden=hidden><a href=href>{label}</a></li> }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}
