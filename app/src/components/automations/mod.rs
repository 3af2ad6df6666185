//! The Automations tab (the list, the editor, the team's or user's secrets) and an
//! automation's history page.

mod form;
mod history;

pub use history::AutomationHistoryView;

use leptos::prelude::*;

use crate::api::automations::{
    change_automation, get_automations, set_automation_secret, AutomationChange,
};
use crate::components::error_view::ErrorView;
use crate::components::submit::{confirmed, Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{
    automation_href, AutomationView, AutomationsIndex, ExecutionStatus, ProjectRef, SecretInfo,
};
use form::{AutomationForm, FormState};

/// An execution's status as a small coloured label.
#[component]
pub fn ExecutionBadge(status: ExecutionStatus) -> impl IntoView {
    let label = match status {
        ExecutionStatus::Pending => "Pending",
        ExecutionStatus::Delivered => "Delivered",
        ExecutionStatus::Failed => "Failed",
        ExecutionStatus::Retrying => "Retrying",
    };
    view! { <span class=format!("state exec-{}", status.as_str())>{label}</span> }
}

/// Which editor is open.
#[derive(Clone, Copy, PartialEq)]
enum Editing {
    None,
    New,
    Existing(i32),
}

/// The Automations tab.
#[component]
pub fn AutomationsTab(
    /// The project whose automations are listed.
    project: ProjectRef,
) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let editing = RwSignal::new(Editing::None);
    let index = Resource::new(
        {
            let project = project.clone();
            move || (project.clone(), reload.get())
        },
        |(p, _)| get_automations(p),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading automations…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let idx = index.await?;
                    Ok::<_, crate::api::AppError>(view! { <AutomationsBody idx reload editing /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn AutomationsBody(
    idx: AutomationsIndex,
    reload: RwSignal<u32>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let project = idx.project.clone();
    let can_edit = idx.can_edit;
    let list = if idx.automations.is_empty() {
        view! {
            <div class="empty">
                <p>"No automations yet."</p>
                <p class="muted">"An automation sends a webhook, a Slack or a Discord message when something happens in this project: a run fails, a metric crosses a threshold, an artifact gets the alias "<code>"production"</code>", a sweep finishes, a script calls "<code>"run.alert()"</code>"."</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <AutomationsTable project=project.clone() rows=idx.automations.clone() can_edit reload editing />
        }
        .into_any()
    };
    let secrets = idx.secrets.clone();
    let editor = {
        let project = project.clone();
        let automations = idx.automations.clone();
        let secrets = secrets.clone();
        move || {
            let which = editing.get();
            let (id, spec) = match which {
                Editing::None => return None,
                Editing::New => (None, None),
                Editing::Existing(id) => (
                    Some(id),
                    automations
                        .iter()
                        .find(|a| a.id == id)
                        .map(|a| a.spec.clone()),
                ),
            };
            let state = FormState::new(spec.as_ref());
            Some(view! {
                <AutomationForm project=project.clone() id state secrets=secrets.clone()
                    done=move |_| { editing.set(Editing::None); reload.update(|n| *n += 1); }
                    cancel=move |_| editing.set(Editing::None) />
            })
        }
    };
    view! {
        <section class="card automations-card" aria-labelledby="automations-heading">
            <div class="card-head">
                <h2 id="automations-heading">"Automations"</h2>
                {can_edit.then(|| view! {
                    <button type="button" class="primary" on:click=move |_| editing.set(Editing::New)
                        disabled=move || editing.get() == Editing::New>"New automation"</button>
                })}
            </div>
            {list}
            {(!can_edit).then(|| view! { <p class="muted">"Only the project's admins create and edit automations; you can read their history."</p> })}
        </section>
        {editor}
        {can_edit.then(|| view! { <Secrets project=project.clone() secrets reload /> })}
    }
}

#[component]
fn AutomationsTable(
    project: ProjectRef,
    rows: Vec<AutomationView>,
    can_edit: bool,
    reload: RwSignal<u32>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let now = crate::pages::now_ms();
    let submit = Submit::new();
    view! {
        <div class="table-scroll">
            <table class="automations-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Enabled"</th>
                        <th scope="col">"Last execution"</th>
                        <th scope="col" class="num">"Executions"</th>
                        {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|a| {
                            let href = automation_href(&project, a.id);
                            let id = a.id;
                            let name = a.spec.name.clone();
                            let enabled = a.spec.enabled;
                            let host = a.spec.action.url().split('/').nth(2).unwrap_or_default().to_owned();
                            let last = match a.last.clone() {
                                Some(l) => view! {
                                    <ExecutionBadge status=l.status />
                                    " "
                                    <span title=format::iso_utc_seconds(l.at)>{format::ago(l.at, now)}</span>
                                    {l.response_status.map(|s| view! { <span class="muted">{format!(" · {s}")}</span> })}
                                }
                                .into_any(),
                                None => view! { <span class="muted">"never"</span> }.into_any(),
                            };
                            let toggle_project = project.clone();
                            let delete_project = project.clone();
                            let toggle_name = name.clone();
                            let delete_name = name.clone();
                            view! {
                                <tr>
                                    <td>
                                        <a href=href>{name.clone()}</a>
                                        {(!a.spec.description.is_empty()).then(|| view! { <div class="muted small">{a.spec.description.clone()}</div> })}
                                    </td>
                                    <td>{a.spec.trigger.describe()}</td>
                                    <td>{a.spec.action.title()}<span class="muted">{format!(" · {host}")}</span></td>
                                    <td>
                                        {if can_edit {
                                            view! {
                                                <button type="button" class="small" role="switch" aria-checked=enabled.to_string()
                                                    aria-label=format!("{} {toggle_name}", if enabled { "Disable" } else { "Enable" })
                                                    disabled=move || submit.busy.get()
                                                    on:click=move |_| submit.run(
                                                        change_automation(toggle_project.clone(), id, if enabled { AutomationChange::Disable } else { AutomationChange::Enable }),
                                                        move |_| { reload.update(|n| *n += 1); None },
                                                    )>
                                                    {if enabled { "On" } else { "Off" }}
                                                </button>
                                            }.into_any()
                                        } else {
                                            view! { <span>{if enabled { "On" } else { "Off" }}</span> }.into_any()
                                        }}
                                    </td>
                                    <td>{last}</td>
                                    <td class="num">{a.executions}</td>
                                    {can_edit.then(|| view! {
                                        <td><div class="row-actions">
                                            <button type="button" class="small secondary" aria-label=format!("Edit {name}")
                                                on:click=move |_| editing.set(Editing::Existing(id))>"Edit"</button>
                                            <button type="button" class="small danger" aria-label=format!("Delete {delete_name}")
                                                disabled=move || submit.busy.get()
                                                on:click=move |_| {
                                                    if confirmed("Delete this automation and its history?") {
                                                        submit.run(change_automation(delete_project.clone(), id, AutomationChange::Delete),
                                                            move |_| { reload.update(|n| *n += 1); None });
                                                    }
                                                }>"Delete"</button>
                                        </div></td>
                                    })}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <SubmitStatus submit />
    }
}

/// The secrets of the project's team or user: names only, set and delete.
#[component]
fn Secrets(project: ProjectRef, secrets: Vec<SecretInfo>, reload: RwSignal<u32>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let submit = Submit::new();
    let now = crate::pages::now_ms();
    let entity = project.entity.clone();
    let add = {
        let project = project.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (n, v) = (
                name.get_untracked().trim().to_owned(),
                value.get_untracked(),
            );
            submit.run(
                set_automation_secret(project.clone(), n.clone(), Some(v)),
                move |_| {
                    name.set(String::new());
                    value.set(String::new());
                    reload.update(|x| *x += 1);
                    Some(format!("Saved {n}; its value is not shown again."))
                },
            );
        }
    };
    let rows = secrets
        .into_iter()
        .map(|s| {
            let project = project.clone();
            let n = s.name.clone();
            view! {
                <tr>
                    <td class="mono">{s.name.clone()}</td>
                    <td title=format::iso_utc_seconds(s.updated_at)>{format::ago(s.updated_at, now)}{s.updated_by.map(|u| format!(" by {u}"))}</td>
                    <td>
                        <button type="button" class="small danger" aria-label=format!("Delete secret {n}")
                            on:click=move |_| {
                                if confirmed("Delete this secret? Automations that use it will fail.") {
                                    submit.run(set_automation_secret(project.clone(), n.clone(), None),
                                        move |_| { reload.update(|x| *x += 1); None });
                                }
                            }>"Delete"</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="secrets-heading">
            <h2 id="secrets-heading">{format!("Secrets of {entity}")}</h2>
            <p class="muted">"Use a secret in a payload as "<code>"${NAME}"</code>", or as a bearer token or signing key. Values are sealed with the server's key and never shown again; the history shows them as ••••••."</p>
            <table class="list" aria-label="Secrets">
                <tbody>{rows}</tbody>
            </table>
            <form class="field-row" on:submit=add>
                <label class="field">
                    <span>"Secret name"</span>
                    <input type="text" placeholder="SLACK_TOKEN" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="field">
                    <span>"Secret value"</span>
                    <input type="password" autocomplete="off" prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="primary" disabled=move || submit.busy.get()>"Save secret"</button>
            </form>
            <SubmitStatus submit />
        </section>
    }
}
