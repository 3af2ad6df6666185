use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::automations::AutomationHistoryView;
use crate::components::project_tabs::ProjectTabs;
use crate::model::{automations_href, ProjectRef};
use crate::pages::ProjectTab;

/// `/{entity}/{project}/automations/{id}`: one automation with its history.
#[component]
pub fn AutomationPage() -> impl IntoView {
    let entity = super::route_param("entity");
    let project_name = super::route_param("project");
    let id = super::route_param("automation");
    let project = Memo::new(move |_| ProjectRef::new(entity.get(), project_name.get()));
    view! {
        <Title text=move || format!("Automation {} · {}", id.get(), project_name.get()) />
        <div class="project-head">
            <p class="crumbs">
                <span>{move || entity.get()}</span>" / "
                <a href=move || automations_href(&project.get())>{move || project_name.get()}</a>" / automations /"
            </p>
            <h1>"Automation history"</h1>
        </div>
        {move || view! { <ProjectTabs project=project.get() active=ProjectTab::Automations /> }}
        {move || match id.get().parse::<i32>() {
            Ok(n) => view! { <AutomationHistoryView project=project.get() id=n /> }.into_any(),
            Err(_) => view! { <p class="error-message" role="alert">{format!("There is no automation {:?}.", id.get())}</p> }.into_any(),
        }}
    }
}
