use leptos::prelude::*;

use crate::api::projects::set_star;
use crate::model::ProjectRef;

/// A star toggle for a project. Shows the new state at once and puts it back if the
/// server refuses.
#[component]
pub fn StarButton(
    /// The project the star is for.
    project: ProjectRef,
    /// Whether the viewer has starred it (when the page was made).
    starred: bool,
) -> impl IntoView {
    let on = RwSignal::new(starred);
    let name = format!("{}/{}", project.entity, project.project);
    let toggle = move |_| {
        let want = !on.get_untracked();
        on.set(want);
        let project = project.clone();
        leptos::task::spawn_local(async move {
            if set_star(project, want).await.is_err() {
                on.try_set(!want);
            }
        });
    };
    view! {
        <button
            type="button"
            class=move || if on.get() { "star on" } else { "star" }
            aria-pressed=move || on.get().to_string()
            aria-label=move || format!("{} {name}", if on.get() { "Unstar" } else { "Star" })
            title=move || if on.get() { "Unstar" } else { "Star" }
            on:click=toggle
        >
            {move || if on.get() { "★" } else { "☆" }}
        </button>
    }
}
