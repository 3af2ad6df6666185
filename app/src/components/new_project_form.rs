use leptos::prelude::*;

use crate::api::projects::create_project;
use crate::components::submit::{Submit, SubmitStatus};
use crate::components::visibility_select::VisibilitySelect;
use crate::model::{NewProject, Visibility};

/// Create a project in one of `entities` (the first is preselected); goes to the new
/// project's Overview when done.
#[component]
pub fn NewProjectForm(
    /// The entities (the viewer and their teams) the project may go to.
    entities: Vec<String>,
) -> impl IntoView {
    let submit = Submit::new();
    let entity = RwSignal::new(entities.first().cloned().unwrap_or_default());
    let name = RwSignal::new(String::new());
    let visibility = RwSignal::new(Visibility::Team);
    let description = RwSignal::new(String::new());
    let navigate = leptos_router::hooks::use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewProject {
            entity: entity.get_untracked(),
            name: name.get_untracked().trim().to_owned(),
            visibility: visibility.get_untracked(),
            description: description.get_untracked(),
        };
        let navigate = navigate.clone();
        submit.run(create_project(new), move |at| {
            navigate(&format!("{}/overview", at.href()), Default::default());
            None
        });
    };
    // The name rule the server applies, said while typing.
    let name_error = Memo::new(move |_| {
        let n = name.get();
        let n = n.trim();
        (!n.is_empty())
            .then(|| crate::logic::validate::project_name(n).err())
            .flatten()
            .map(|e| e.to_string())
    });
    let single = entities.len() == 1;
    view! {
        <form class="stack new-project" on:submit=on_submit aria-label="New project">
            <label>
                "Owner"
                <select
                    name="entity"
                    disabled=single
                    on:change=move |ev| entity.set(event_target_value(&ev))
                >
                    {entities
                        .into_iter()
                        .map(|e| view! { <option value=e.clone()>{e.clone()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Project name"
                <input
                    type="text"
                    name="name"
                    required
                    maxlength="128"
                    aria-invalid=move || name_error.get().is_some().to_string()
                    aria-describedby="new-project-name-error"
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            <p id="new-project-name-error" class="field-error" role="alert">{move || name_error.get()}</p>
            <VisibilitySelect visibility />
            <label>
                "Description (markdown)"
                <textarea
                    name="description"
                    rows="3"
                    prop:value=description
                    on:input=move |ev| description.set(event_target_value(&ev))
                ></textarea>
            </label>
            <SubmitStatus submit />
            <button type="submit" class="primary" disabled=move || submit.busy.get() || name_error.get().is_some()>
                {move || if submit.busy.get() { "Creating…" } else { "Create project" }}
            </button>
        </form>
    }
}
