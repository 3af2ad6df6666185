use leptos::prelude::*;

use crate::api::projects::edit_project;
use crate::components::submit::Submit;
use crate::components::submit::SubmitStatus;
use crate::model::ProjectEdit;
use crate::model::ProjectOverview;

/// Editing the description (markdown, shown rendered and sanitised).
#[component]
pub fn DescriptionEditor(
    /// The project as the Overview tab loaded it.
    overview: ProjectOverview,
    /// Bumped after a save so the Overview reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let text = RwSignal::new(overview.description.clone());
    let submit = Submit::new();
    let project = overview.project.clone();
    let html = crate::logic::markdown::to_safe_html(&overview.description);
    let empty = overview.description.trim().is_empty();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let edit = ProjectEdit {
            description: Some(text.get_untracked()),
            ..Default::default()
        };
        submit.run(edit_project(project.clone(), edit), move |_| {
            editing.set(false);
            reload.update(|n| *n += 1);
            None
        });
    };
    view! {
        <div class="description-block">
            <Show
                when=move || editing.get()
                fallback=move || {
                    let html = html.clone();
                    view! {
                        {if empty {
                            view! { <p class="muted">"No description."</p> }.into_any()
                        } else {
                            view! { <div class="description markdown" inner_html=html></div> }.into_any()
                        }}
                        {overview.can_write.then(|| view! {
                            <button type="button" class="small" on:click=move |_| editing.set(true)>
                                "Edit description"
                            </button>
                        })}
                    }
                }
            >
                <form class="stack" on:submit=save.clone() aria-label="Edit description">
                    <label>
                        "Description (markdown)"
                        <textarea
                            rows="6"
                            name="description"
                            prop:value=text
                            on:input=move |ev| text.set(event_target_value(&ev))
                        ></textarea>
                    </label>
                    <SubmitStatus submit />
                    <div class="row">
                        <button type="submit" class="primary" disabled=move || submit.busy.get()>"Save"</button>
                        <button type="button" class="small" on:click=move |_| editing.set(false)>"Cancel"</button>
                    </div>
                </form>
            </Show>
        </div>
    }
}
