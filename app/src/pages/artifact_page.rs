use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::artifacts::get_artifact_version;
use crate::components::artifacts::{
    ActionHistory, FileBrowser, JsonTree, LineageView, VersionDiffView, VersionOverview,
    VersionUsage,
};
use crate::components::error_view::ErrorView;
use crate::components::project_tabs::ProjectTabs;
use crate::model::{artifacts_href, collection_href, ArtifactVersion, ProjectRef, VersionRef};
use crate::pages::ProjectTab;

/// The tabs of a version's page, named in the URL (`?tab=files`).
const TABS: [(&str, &str); 7] = [
    ("overview", "Overview"),
    ("metadata", "Metadata"),
    ("usage", "Usage"),
    ("files", "Files"),
    ("lineage", "Lineage"),
    ("history", "Action history"),
    ("diff", "Diff"),
];

/// `/{entity}/{project}/artifacts/{type}/{collection}/{version}`: one version of an
/// artifact, with its tabs.
#[component]
pub fn ArtifactPage() -> impl IntoView {
    let entity = super::route_param("entity");
    let project_name = super::route_param("project");
    let type_name = super::route_param("type");
    let collection = super::route_param("collection");
    let version = super::route_param("version");
    let query = use_query_map();
    let tab = Memo::new(move |_| {
        query.with(|q| {
            let t = q.get("tab").unwrap_or_default();
            TABS.iter()
                .find(|(slug, _)| *slug == t)
                .map_or("overview", |(slug, _)| slug)
        })
    });
    let project = Memo::new(move |_| ProjectRef::new(entity.get(), project_name.get()));
    let vref = Memo::new(move |_| VersionRef {
        project: project.get(),
        type_name: type_name.get(),
        collection: collection.get(),
        version: version.get(),
    });
    // Bumped by edits to read the version again.
    let reload = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (vref.get(), reload.get()),
        |(r, _)| get_artifact_version(r),
    );
    view! {
        <Title text=move || format!("{}:{}", collection.get(), version.get()) />
        <div class="project-head">
            <p class="crumbs">
                <span>{move || entity.get()}</span>" / "
                <a href=move || project.get().href()>{move || project_name.get()}</a>" / "
                <a href=move || artifacts_href(&project.get())>"Artifacts"</a>" / "
                <span>{move || type_name.get()}</span>" / "
                <a href=move || collection_href(&project.get(), &type_name.get(), &collection.get())>{move || collection.get()}</a>
            </p>
            <h1>{move || format!("{}:{}", collection.get(), version.get())}</h1>
        </div>
        {move || view! { <ProjectTabs project=project.get() active=ProjectTab::Artifacts /> }}
        <Transition fallback=|| view! { <p class="loading">"Loading version…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let v = detail.await?;
                    Ok::<_, crate::api::AppError>(view! { <VersionTabs version=v tab=tab.get() reload /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The version's own tab bar and the tab shown.
#[component]
fn VersionTabs(
    version: ArtifactVersion,
    tab: &'static str,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let r = version.version_ref();
    let page = r.href();
    let aliases = version
        .row
        .aliases
        .iter()
        .filter(|a| **a != version.row.name())
        .map(|a| view! { <span class="alias">{a.clone()}</span> })
        .collect_view();
    let body = match tab {
        "metadata" => view! {
            <section class="card" aria-labelledby="meta-heading">
                <h2 id="meta-heading">"Metadata"</h2>
                <JsonTree json=version.metadata.clone().unwrap_or_else(|| "{}".into()) label="Metadata" />
            </section>
            <section class="card" aria-labelledby="config-heading">
                <h2 id="config-heading">"Producing run's config"</h2>
                {match version.run_config.clone() {
                    Some(c) => view! { <JsonTree json=c label="Config" /> }.into_any(),
                    None => view! { <p class="empty">"No producing run (or it is not visible to you)."</p> }.into_any(),
                }}
            </section>
        }
        .into_any(),
        "usage" => view! { <VersionUsage version=version.clone() /> }.into_any(),
        "files" => view! { <FileBrowser version=r.clone() /> }.into_any(),
        "lineage" => view! { <LineageView version=r.clone() /> }.into_any(),
        "history" => view! { <ActionHistory version=r.clone() /> }.into_any(),
        "diff" => view! { <VersionDiffView version=version.clone() /> }.into_any(),
        _ => view! { <VersionOverview version=version.clone() reload /> }.into_any(),
    };
    view! {
        <div class="version-head">
            <span class="muted">{version.collection.type_name.clone()}</span>
            {aliases}
        </div>
        <nav class="tabs subtabs" aria-label="Version tabs">
            {TABS
                .iter()
                .map(|(slug, title)| {
                    let href = if *slug == "overview" { page.clone() } else { format!("{page}?tab={slug}") };
                    let current = (*slug == tab).then_some("page");
                    view! { <a href=href class="tab" aria-current=current>{*title}</a> }
                })
                .collect_view()}
        </nav>
        {body}
    }
}
