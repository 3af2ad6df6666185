use leptos::prelude::*;

use crate::api::projects::delete_project;
use crate::api::projects::edit_project;
use crate::api::projects::set_project_member;
use crate::components::submit::Submit;
use crate::components::submit::SubmitStatus;
use crate::components::visibility_select::VisibilitySelect;
use crate::model::ProjectEdit;
use crate::model::ProjectOverview;
use crate::model::Visibility;

/// Settings only project administrators see: rename, visibility, members, delete.
#[component]
pub fn ProjectAdmin(
    /// The project as the Overview tab loaded it.
    overview: ProjectOverview,
    /// Bumped after a change so the Overview reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    let project = overview.project.clone();

    let rename = Submit::new();
    let new_name = RwSignal::new(project.project.clone());
    let on_rename = {
        let (project, navigate) = (project.clone(), navigate.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let edit = ProjectEdit {
                name: Some(new_name.get_untracked()),
                ..Default::default()
            };
            let navigate = navigate.clone();
            rename.run(edit_project(project.clone(), edit), move |at| {
                navigate(&format!("{}/overview", at.href()), Default::default());
                None
            });
        }
    };

    let vis = Submit::new();
    let visibility = RwSignal::new(overview.visibility);
    let on_visibility = {
        let project = project.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let edit = ProjectEdit {
                visibility: Some(visibility.get_untracked()),
                ..Default::default()
            };
            vis.run(edit_project(project.clone(), edit), move |_| {
                reload.update(|n| *n += 1);
                Some("Visibility saved.".into())
            });
        }
    };

    let members = Submit::new();
    let member_name = RwSignal::new(String::new());
    let on_add_member = {
        let project = project.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let who = member_name.get_untracked();
            members.run(
                set_project_member(project.clone(), who.clone(), true),
                move |_| {
                    member_name.set(String::new());
                    reload.update(|n| *n += 1);
                    Some(format!("{who} can now see this project."))
                },
            );
        }
    };
    let member_rows = overview
        .members
        .clone()
        .into_iter()
        .map(|m| {
            let project = project.clone();
            let who = m.clone();
            view! {
                <li>
                    <span>{m.clone()}</span>
                    <button
                        type="button"
                        class="small danger"
                        aria-label=format!("Remove {m}")
                        on:click=move |_| {
                            members.run(set_project_member(project.clone(), who.clone(), false), move |_| {
                                reload.update(|n| *n += 1);
                                None
                            });
                        }
                    >
                        "Remove"
                    </button>
                </li>
            }
        })
        .collect_view();

    let delete = Submit::new();
    let confirm = RwSignal::new(String::new());
    let name = project.project.clone();
    let matches = {
        let name = name.clone();
        move || confirm.get().trim() == name
    };
    let on_delete = {
        let project = project.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let navigate = navigate.clone();
            delete.run(
                delete_project(project.clone(), confirm.get_untracked()),
                move |_| {
                    navigate("/", Default::default());
                    None
                },
            );
        }
    };
    let restricted = overview.visibility == Visibility::Restricted;

    view! {
        <section class="card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <form class="inline-form" on:submit=on_rename aria-label="Rename project">
                <label>
                    "Name"
                    <input
                        type="text"
                        name="project-name"
                        required
                        prop:value=new_name
                        on:input=move |ev| new_name.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" class="small" disabled=move || rename.busy.get()>"Rename"</button>
            </form>
            <p class="muted small-print">"Links to the old name keep working: they redirect here."</p>
            <SubmitStatus submit=rename />
            <form class="inline-form" on:submit=on_visibility aria-label="Change visibility">
                <VisibilitySelect visibility />
                <button type="submit" class="small" disabled=move || vis.busy.get()>"Save visibility"</button>
            </form>
            <SubmitStatus submit=vis />
            {restricted.then(|| view! {
                <div class="members-block">
                    <h3>"Members"</h3>
                    <p class="muted small-print">"A restricted project is seen only by the people listed here, the team's admins and its creator."</p>
                    <ul class="member-list" aria-label="Project members">{member_rows}</ul>
                    <form class="inline-form" on:submit=on_add_member aria-label="Add member">
                        <label>
                            "Username"
                            <input
                                type="text"
                                name="member"
                                required
                                prop:value=member_name
                                on:input=move |ev| member_name.set(event_target_value(&ev))
                            />
                        </label>
                        <button type="submit" class="small" disabled=move || members.busy.get()>"Add member"</button>
                    </form>
                    <SubmitStatus submit=members />
                </div>
            })}
            <details class="danger-zone">
                <summary>"Delete this project"</summary>
                <p>
                    "The project and its runs disappear for everyone. A site admin can restore it for 30 days; after that it is purged with its files."
                </p>
                <form class="inline-form" on:submit=on_delete aria-label="Delete project">
                    <label>
                        {format!("Type {name} to confirm")}
                        <input
                            type="text"
                            name="confirm"
                            autocomplete="off"
                            prop:value=confirm
                            on:input=move |ev| confirm.set(event_target_value(&ev))
                        />
                    </label>
                    <button
                        type="submit"
                        class="small danger"
                        disabled=move || !matches() || delete.busy.get()
                    >
                        "Delete project"
                    </button>
                </form>
                <SubmitStatus submit=delete />
            </details>
        </section>
    }
}
