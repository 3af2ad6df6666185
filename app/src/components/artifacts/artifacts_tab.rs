use leptos::prelude::*;

use super::versions_table::Versions;
use super::VersionsTable;
use crate::api::artifacts::{get_artifacts_index, restore_artifact_collection};
use crate::components::error_view::ErrorView;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{collection_href, ArtifactsIndex, DeletedCollection, ProjectRef};

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
    // Bumped after a restore to read the column again.
    let reload = RwSignal::new(0u32);
    let index = Resource::new(
        {
            let project = project.clone();
            move || (project.clone(), reload.get())
        },
        |(p, _)| get_artifacts_index(p),
    );
    let versions = Versions::new(project.clone(), type_name, collection);
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
                            let deleted = (!idx.deleted.is_empty()).then(|| {
                                view! { <DeletedCollections project=project.clone() deleted=idx.deleted.clone() reload /> }
                            });
                            Ok::<_, crate::api::AppError>(if idx.types.is_empty() {
                                view! { <EmptyArtifacts project /> {deleted} }.into_any()
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
                                                view! { <VersionsTable project=project.clone() type_name=t collection=c versions /> }.into_any()
                                            }
                                        }}
                                    </div>
                                    {deleted}
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

/// Deleted collections a project admin may bring back, with when each goes for good.
#[component]
fn DeletedCollections(
    project: ProjectRef,
    deleted: Vec<DeletedCollection>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let submit = Submit::new();
    let now = crate::pages::now_ms();
    view! {
        <section class="card" aria-labelledby="deleted-artifacts-heading">
            <h2 id="deleted-artifacts-heading">"Deleted artifacts"</h2>
            <ul class="deleted-list" aria-label="Deleted artifacts">
                {deleted
                    .into_iter()
                    .map(|c| {
                        let project = project.clone();
                        let restore = move |_| {
                            submit.run(restore_artifact_collection(project.clone(), c.id), move |_| {
                                reload.update(|n| *n += 1);
                                Some("Restored.".into())
                            });
                        };
                        view! {
                            <li>
                                <span class="muted">{c.type_name.clone()}" / "</span>{c.name.clone()}
                                <span class="muted">{format!(" deleted {}; removed for good {}", format::ago(c.deleted_at, now), format::timestamp(c.purge_at))}</span>
                                " "<button type="button" class="small" on:click=restore>{format!("Restore {}", c.name)}</button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <SubmitStatus submit />
        </section>
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
