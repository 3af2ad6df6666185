use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::project_tabs::ProjectTabs;
use crate::components::sweeps::SweepDetail;
use crate::model::ProjectRef;
use crate::pages::ProjectTab;

/// `/{entity}/{project}/sweeps/{id}`: one sweep (the URL `wandb sweep` prints).
#[component]
pub fn SweepPage() -> impl IntoView {
    let entity = super::route_param("entity");
    let project_name = super::route_param("project");
    let sweep = super::route_param("sweep");
    let project = Memo::new(move |_| ProjectRef::new(entity.get(), project_name.get()));
    view! {
        <Title text=move || format!("Sweep {} · {}", sweep.get(), project_name.get()) />
        <div class="project-head">
            <p class="crumbs">
                <span>{move || entity.get()}</span>" / "
                <a href=move || format!("{}/sweeps", project.get().href())>{move || project_name.get()}</a>" / sweeps /"
            </p>
            <h1>{move || format!("Sweep {}", sweep.get())}</h1>
        </div>
        {move || view! { <ProjectTabs project=project.get() active=ProjectTab::Sweeps /> }}
        {move || view! { <SweepDetail project=project.get() name=sweep.get() /> }}
    }
}
