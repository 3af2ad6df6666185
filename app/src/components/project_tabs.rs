use leptos::prelude::*;

use crate::model::ProjectRef;
use crate::pages::ProjectTab;

/// The project's tab bar. Only tabs that work are listed.
#[component]
pub fn ProjectTabs(
    /// The project whose tabs these are.
    project: ProjectRef,
    /// The tab being shown.
    active: ProjectTab,
) -> impl IntoView {
    let tabs = [
        ProjectTab::Overview,
        ProjectTab::Workspace,
        ProjectTab::Runs,
        ProjectTab::Automations,
        ProjectTab::Sweeps,
        ProjectTab::Artifacts,
        ProjectTab::Reports,
    ];
    view! {
        <nav class="tabs" aria-label="Project tabs">
            {tabs
                .into_iter()
                .map(|tab| {
                    let href = format!("{}/{}", project.href(), tab.slug());
                    let current = (tab == active).then_some("page");
                    view! {
                        <a href=href class="tab" aria-current=current>{tab.title()}</a>
                    }
                })
                .collect_view()}
        </nav>
    }
}
