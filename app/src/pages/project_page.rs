use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::get_project_overview;
use crate::components::artifacts::ArtifactsTab;
use crate::components::automations::AutomationsTab;
use crate::components::error_view::ErrorView;
use crate::components::project_settings::{DescriptionEditor, ProjectAdmin, UndeleteRuns};
use crate::components::project_tabs::ProjectTabs;
use crate::components::reports::ReportsTab;
use crate::components::runs_table::RunsTab;
use crate::components::star_button::StarButton;
use crate::components::state_badge::StateBadge;
use crate::components::sweeps::SweepsTab;
use crate::components::workspace::WorkspaceTab;
use crate::logic::format;
use crate::model::{ProjectOverview, ProjectRef};

/// The tabs of a project page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectTab {
    Overview,
    Workspace,
    Runs,
    Automations,
    Sweeps,
    Artifacts,
    Reports,
}

impl ProjectTab {
    /// The URL segment after `/{entity}/{project}/`.
    pub fn slug(self) -> &'static str {
        match self {
            ProjectTab::Overview => "overview",
            ProjectTab::Workspace => "workspace",
            ProjectTab::Runs => "runs",
            ProjectTab::Automations => "automations",
            ProjectTab::Sweeps => "sweeps",
            ProjectTab::Artifacts => "artifacts",
            ProjectTab::Reports => "reports",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProjectTab::Overview => "Overview",
            ProjectTab::Workspace => "Workspace",
            ProjectTab::Runs => "Runs",
            ProjectTab::Automations => "Automations",
            ProjectTab::Sweeps => "Sweeps",
            ProjectTab::Artifacts => "Artifacts",
            ProjectTab::Reports => "Reports",
        }
    }
}

/// `/{entity}/{project}[/{tab}]`: the project with its tab bar.
#[component]
pub fn ProjectPage(
    /// The tab to show.
    tab: ProjectTab,
) -> impl IntoView {
    let entity = super::route_param("entity");
    let project_name = super::route_param("project");
    let project = Memo::new(move |_| ProjectRef::new(entity.get(), project_name.get()));
    // Bumped by the Overview's controls to read the project again after a change.
    let reload = RwSignal::new(0u32);
    let overview = Resource::new(
        move || (project.get(), reload.get()),
        |(p, _)| get_project_overview(p),
    );
    view! {
        <Title text=move || project_name.get() />
        <div class="project-head">
            <p class="crumbs"><span>{move || entity.get()}</span>" / "</p>
            <h1>{move || project_name.get()}</h1>
        </div>
        {move || view! { <ProjectTabs project=project.get() active=tab /> }}
        <Transition fallback=|| view! { <p class="loading">"Loading project…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let o = overview.await?;
                    Ok::<_, crate::api::AppError>(match tab {
                        ProjectTab::Overview => view! { <OverviewTab overview=o reload /> }.into_any(),
                        ProjectTab::Workspace => view! { <WorkspaceTab project=o.project /> }.into_any(),
                        ProjectTab::Runs => view! { <RunsTab project=o.project /> }.into_any(),
                        ProjectTab::Automations => view! { <AutomationsTab project=o.project /> }.into_any(),
                        ProjectTab::Sweeps => view! { <SweepsTab project=o.project /> }.into_any(),
                        ProjectTab::Artifacts => view! { <ArtifactsTab project=o.project /> }.into_any(),
                        ProjectTab::Reports => view! { <ReportsTab project=o.project /> }.into_any(),
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The Overview tab's figures and the project's runs.
#[component]
fn OverviewTab(
    /// The project's figures.
    overview: ProjectOverview,
    /// Bumped to read the project again after a change made here.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let now = super::now_ms();
    let o = overview;
    let last_active = o
        .last_active_ms
        .map(|ms| format!("{} ({})", format::ago(ms, now), format::timestamp(ms)))
        .unwrap_or_else(|| "no data logged yet".to_owned());
    let contributors = if o.contributors.is_empty() {
        "none yet".to_owned()
    } else {
        o.contributors.join(", ")
    };
    let star = o
        .signed_in
        .then(|| view! { <StarButton project=o.project.clone() starred=o.starred /> });
    let admin = o
        .can_manage
        .then(|| view! { <ProjectAdmin overview=o.clone() reload /> });
    let undelete = view! { <UndeleteRuns overview=o.clone() reload /> };
    let description = view! { <DescriptionEditor overview=o.clone() reload /> };
    let project = o.project.clone();
    view! {
        <section class="card" aria-labelledby="overview-heading">
            <div class="heading-row">
                <h2 id="overview-heading">"Overview"</h2>
                {star}
            </div>
            {description}
            <dl class="facts">
                <div><dt>"Owner"</dt><dd data-fact="owner">{o.project.entity.clone()}</dd></div>
                <div><dt>"Visibility"</dt><dd data-fact="visibility">{o.visibility.as_str()}</dd></div>
                <div><dt>"Created"</dt><dd data-fact="created">{format::timestamp(o.created_at_ms)}" by "{o.created_by.clone()}</dd></div>
                <div><dt>"Last active"</dt><dd data-fact="last-active">{last_active}</dd></div>
                <div><dt>"Total runs"</dt><dd data-fact="total-runs">{o.total_runs}</dd></div>
                <div><dt>"Total compute"</dt><dd data-fact="total-compute">{format::compute(o.total_compute_seconds)}</dd></div>
                <div><dt>"Contributors"</dt><dd data-fact="contributors">{contributors}</dd></div>
            </dl>
        </section>
        <section class="card" aria-labelledby="runs-heading">
            <div class="heading-row">
                <h2 id="runs-heading">"Runs"</h2>
                {undelete}
            </div>
            {if o.runs.is_empty() {
                view! {
                    <p class="empty">"No runs logged yet."</p>
                    <crate::components::quick_start::QuickStart project=o.project.clone() />
                }.into_any()
            } else {
                view! {
                    <table class="list" aria-label="Runs">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"User"</th>
                                <th scope="col">"Group"</th>
                                <th scope="col">"Tags"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col" class="num">"Runtime"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {o.runs
                                .into_iter()
                                .map(|r| view! {
                                    <tr>
                                        <td><a href=project.run_href(&r.id)>{r.display_name}</a></td>
                                        <td><StateBadge state=r.state /></td>
                                        <td>{r.user}</td>
                                        <td>{r.group.unwrap_or_default()}</td>
                                        <td>{r.tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}</td>
                                        <td>{format::ago(r.created_at_ms, now)}</td>
                                        <td class="num">{format::duration(r.runtime_seconds)}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
        {admin}
    }
}
