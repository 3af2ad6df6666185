use leptos::prelude::*;

use crate::api::projects::undelete_runs;
use crate::components::submit::Submit;
use crate::components::submit::SubmitStatus;
use crate::model::ProjectOverview;

/// "Undelete all runs", for writers when some runs were deleted.
#[component]
pub fn UndeleteRuns(
    /// The project as the Overview tab loaded it (with its deleted-run count).
    overview: ProjectOverview,
    /// Bumped after the runs come back so the Overview reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let submit = Submit::new();
    let n = overview.deleted_runs;
    let project = overview.project.clone();
    (overview.can_write && n > 0).then(|| {
        view! {
            <div class="undelete">
                <span class="muted">{format!("{n} deleted run{}", if n == 1 { "" } else { "s" })}</span>
                <button
                    type="button"
                    class="small"
                    disabled=move || submit.busy.get()
                    on:click=move |_| {
                        submit.run(undelete_runs(project.clone()), move |_| {
                            reload.update(|n| *n += 1);
                            None
                        });
                    }
                >
                    "Undelete all runs"
                </button>
                <SubmitStatus submit />
            </div>
        }
    })
}
