use leptos::prelude::*;

use super::VersionsTable;
use crate::api::artifacts::get_artifacts_index;
use crate::components::error_view::ErrorView;
use crate::logic::format;
use crate::model::{collection_href, ArtifactsIndex, ProjectRef};

/// The Artifacts tab: artifact types with their collections on the left (with a
/// search box), the selected collection's versions on the right. The selection is
/// in the URL (`/artifacts/{type}/{collection}`), so it can be shared.
#[component]
pub fn ArtifactsTab(
    /// The project whose artifacts are shown.
    project: ProjectRef,
) -> impl IntoView {
    let type_name = crate::pages::route_param("type");
    let collection = crate::pages::route_param("collection");
    let index = Resource::new(
        {
            let project = project.clone();
            move || project.clone()
        },
        get_artifacts_index,
    );
    let search = RwSignal::new(String::new());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading artifacts…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {
                    let project = project.clone();
                    move || {
                        let project = project.clone();
                        Suspend::new(async move {
                            let idx = index.await?;
                            Ok::<_, crate::api::AppError>(if idx.types.is_empty() {
                                view! { <EmptyArtifacts project /> }.into_any()
                            } else {
                                view! {
                                    <div class="artifacts">
                                        <CollectionsColumn project=project.clone() index=idx.clone() search type_name collection />
                                        {move || {
                                            let (t, c) = (type_name.get(), collection.get());
                                            if c.is_empty() {
                                                view! {
                                                    <section class="card empty artifacts-main">
                                                        <p>"Pick an artifact on the left to see its versions."</p>
                                                    </section>
                                                }.into_any()
                                            } else {
                                                view! { <VersionsTable project=project.clone() type_name=t collection=c /> }.into_any()
                                            }
                                        }}
                                    </div>
                                }
                                .into_any()
                            })
                        })
                    }
                }
            </ErrorBoundary>
        </Transition>
    }
}

/// The left column: types, each with its collections, filtered by the search box.
#[component]
fn CollectionsColumn(
    project: ProjectRef,
    index: ArtifactsIndex,
    search: RwSignal<String>,
    type_name: Memo<String>,
    collection: Memo<String>,
) -> impl IntoView {
    let now = crate::pages::now_ms();
    view! {
        <nav class="artifact-types card" aria-label="Artifacts">
            <input
                type="search"
                class="artifact-search"
                placeholder="Search artifacts"
                aria-label="Search artifacts"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            {index
                .types
                .into_iter()
                .map(|group| {
                    let group_name = group.type_name.clone();
                    let items = group
                        .collections
                        .into_iter()
                        .map(|c| {
                            let href = collection_href(&project, &c.type_name, &c.name);
                            let lower = c.name.to_lowercase();
                            let (t, n) = (c.type_name.clone(), c.name.clone());
                            let shown = move || {
                                let q = search.get().to_lowercase();
                                q.is_empty() || lower.contains(&q)
                            };
                            let current = move || {
                                (type_name.get() == t && collection.get() == n).then_some("page")
                            };
                            view! {
                                <li class:hidden=move || !shown()>
                                    <a href=href aria-current=current>
                                        <span class="name">{c.name.clone()}</span>
                                        <span class="muted count" title=format!("updated {}", format::ago(c.updated_at, now))>
                                            {format::count(c.versions, "version")}
                                        </span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <section class="artifact-type">
                            <h3>{group_name}</h3>
                            <ul>{items}</ul>
                        </section>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// What an empty Artifacts tab says: how to log a first artifact.
#[component]
fn EmptyArtifacts(project: ProjectRef) -> impl IntoView {
    let snippet = crate::logic::quick_start::artifact_log_snippet(&project);
    view! {
        <section class="card" aria-label="No artifacts yet">
            <h2>"No artifacts yet"</h2>
            <p>
                "Artifacts are versioned datasets, models and other files your runs log and use. "
                "Log one from a run with the "<code>"wandb"</code>" client:"
            </p>
            <pre class="snippet" aria-label="wandb artifact snippet"><code>{snippet}</code></pre>
        </section>
    }
}
