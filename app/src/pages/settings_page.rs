use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::automations::set_private_webhooks;
use crate::api::entities::create_team;
use crate::api::session::change_password;
use crate::api::settings::{
    create_api_key, get_account_settings, restore_project, revoke_api_key, set_signup_enabled,
};
use crate::components::error_view::ErrorView;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{AccountSettings, ApiKeyInfo, SiteAdmin};

/// `/settings`: password, API keys, teams, and for site admins the site's switches
/// and deleted projects.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let settings = Resource::new(move || reload.get(), |_| get_account_settings());
    // The secret of the key just made: shown once, never fetched again. It lives here,
    // above the reloaded part of the page, so the reload after making it keeps it.
    let fresh = RwSignal::new(None::<(String, String)>);
    // The project just restored, kept here for the same reason: its row goes away
    // with the reload, and the confirmation must not go with it.
    let restored = RwSignal::new(None::<String>);
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let s = settings.await?;
                    Ok::<_, crate::api::AppError>(view! { <SettingsView settings=s reload fresh restored /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn SettingsView(
    /// The viewer's account settings.
    settings: AccountSettings,
    /// Bumped after a change so the settings reload.
    reload: RwSignal<u32>,
    /// A just-created API key (name, key), shown once.
    fresh: RwSignal<Option<(String, String)>>,
    /// The address of the project an admin just restored.
    restored: RwSignal<Option<String>>,
) -> impl IntoView {
    let s = settings;
    let profile = format!("/{}", s.viewer.username);
    view! {
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Account"</h2>
            <p>
                "Signed in as "<strong>{s.viewer.username.clone()}</strong>
                " · "<a href=profile>"Your profile and projects"</a>
            </p>
            <PasswordForm />
        </section>
        <ApiKeys keys=s.api_keys reload fresh />
        <Teams teams=s.teams reload />
        {s.admin.map(|a| view! { <AdminSection admin=a reload restored /> })}
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let submit = Submit::new();
    let (current, new, again) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != again.get_untracked() {
            submit
                .error
                .set(Some("the two new passwords differ".into()));
            return;
        }
        submit.run(
            change_password(current.get_untracked(), new.get_untracked()),
            move |_| {
                current.set(String::new());
                new.set(String::new());
                again.set(String::new());
                Some("Password changed. Your other sessions were signed out.".into())
            },
        );
    };
    view! {
        <form class="stack narrow-form" on:submit=on_submit aria-label="Change password">
            <h3>"Change password"</h3>
            <label>
                "Current password"
                <input type="password" name="current" autocomplete="current-password" required
                    prop:value=current on:input=move |ev| current.set(event_target_value(&ev)) />
            </label>
            <label>
                "New password (at least 8 characters)"
                <input type="password" name="new" autocomplete="new-password" required minlength="8"
                    prop:value=new on:input=move |ev| new.set(event_target_value(&ev)) />
            </label>
            <label>
                "New password again"
                <input type="password" name="again" autocomplete="new-password" required minlength="8"
                    prop:value=again on:input=move |ev| again.set(event_target_value(&ev)) />
            </label>
            <SubmitStatus submit />
            <button type="submit" class="primary" disabled=move || submit.busy.get()>"Change password"</button>
        </form>
    }
}

#[component]
fn ApiKeys(
    /// The viewer's API keys (names and prefixes, never the keys).
    keys: Vec<ApiKeyInfo>,
    /// Bumped after a change so the list reloads.
    reload: RwSignal<u32>,
    /// Set to (name, key) of a key just created, to show it once.
    fresh: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let submit = Submit::new();
    let name = RwSignal::new(String::new());
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit.run(create_api_key(name.get_untracked()), move |k| {
            fresh.set(Some((k.info.name.clone(), k.key)));
            name.set(String::new());
            reload.update(|n| *n += 1);
            None
        });
    };
    let now = super::now_ms();
    let rows = keys
        .into_iter()
        .map(|k| {
            let revoke = Submit::new();
            let id = k.id;
            let live = k.revoked_ms.is_none();
            let used = k
                .last_used_ms
                .map(|t| format::ago(t, now))
                .unwrap_or_else(|| "never".into());
            let label = k.name.clone();
            view! {
                <tr data-key=k.name.clone()>
                    <td>{k.name.clone()}</td>
                    <td><code>{format!("{}…", k.prefix)}</code></td>
                    <td>{format::ago(k.created_ms, now)}</td>
                    <td data-field="last-used">{used}</td>
                    <td>
                        {if live {
                            view! {
                                <button type="button" class="small danger"
                                    aria-label=format!("Revoke {label}")
                                    disabled=move || revoke.busy.get()
                                    on:click=move |_| revoke.run(revoke_api_key(id), move |_| {
                                        reload.update(|n| *n += 1);
                                        None
                                    })>
                                    "Revoke"
                                </button>
                                <SubmitStatus submit=revoke />
                            }
                            .into_any()
                        } else {
                            view! { <span class="muted">"revoked"</span> }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let empty = rows.is_empty();
    view! {
        <section class="card" aria-labelledby="keys-heading">
            <h2 id="keys-heading">"API keys"</h2>
            <p class="muted">
                "Scripts log with a key: "<code>"WANDB_API_KEY"</code>" for the wandb client, or "
                <code>"Authorization: Bearer <key>"</code>" for /api/v1. The key is shown once; only its hash is kept."
            </p>
            {move || fresh.get().map(|(n, k)| view! {
                <div class="fresh-key" role="status">
                    <p>"Your new key "<strong>{n}</strong>" (copy it now; it will not be shown again):"</p>
                    <code class="secret" data-fresh-key="">{k}</code>
                </div>
            })}
            {if empty {
                view! { <p class="empty">"No API keys yet."</p> }.into_any()
            } else {
                view! {
                    <table class="list" aria-label="API keys">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th><th scope="col"></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                .into_any()
            }}
            <form class="inline-form" on:submit=on_create aria-label="New API key">
                <label>
                    "Key name"
                    <input type="text" name="key-name" required maxlength="200" placeholder="e.g. laptop"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="small" disabled=move || submit.busy.get()>"Create key"</button>
            </form>
            <SubmitStatus submit />
        </section>
    }
}

#[component]
fn Teams(
    /// The viewer's teams with their role in each.
    teams: Vec<(String, crate::model::TeamRole)>,
    /// Bumped after a change so the list reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let submit = Submit::new();
    let name = RwSignal::new(String::new());
    let navigate = leptos_router::hooks::use_navigate();
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let team = name.get_untracked().trim().to_owned();
        let navigate = navigate.clone();
        submit.run(create_team(team.clone()), move |_| {
            reload.update(|n| *n += 1);
            navigate(&format!("/{team}?tab=members"), Default::default());
            None
        });
    };
    view! {
        <section class="card" aria-labelledby="teams-heading">
            <h2 id="teams-heading">"Teams"</h2>
            {if teams.is_empty() {
                view! { <p class="empty">"You are in no team yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="team-list">
                        {teams.into_iter().map(|(t, role)| view! {
                            <li><a href=format!("/{t}")>{t.clone()}</a>" "<span class="muted">{role.as_str()}</span></li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <form class="inline-form" on:submit=on_create aria-label="New team">
                <label>
                    "Team name"
                    <input type="text" name="team-name" required pattern="[A-Za-z0-9_.\\-]{1,64}"
                        title="1 to 64 letters, digits, '_', '.' or '-'"
                        prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <button type="submit" class="small" disabled=move || submit.busy.get()>"Create team"</button>
            </form>
            <SubmitStatus submit />
        </section>
    }
}

#[component]
fn AdminSection(
    /// The site settings an admin can change.
    admin: SiteAdmin,
    /// Bumped after a change so the settings reload.
    reload: RwSignal<u32>,
    /// Set to the address of a project once it is restored (shown above the list).
    restored: RwSignal<Option<String>>,
) -> impl IntoView {
    let toggle = Submit::new();
    let on = admin.signup_enabled;
    let webhooks = Submit::new();
    let private = admin.private_webhooks;
    let now = super::now_ms();
    let rows = admin
        .deleted_projects
        .into_iter()
        .map(|d| {
            let restore = Submit::new();
            let name = format!("{}/{}", d.project.entity, d.project.project);
            view! {
                <tr>
                    <td>{name.clone()}</td>
                    <td>{format::ago(d.deleted_ms, now)}</td>
                    <td>{format::timestamp(d.purge_ms)}</td>
                    <td>
                        <button type="button" class="small" aria-label=format!("Restore {name}")
                            disabled=move || restore.busy.get()
                            on:click=move |_| restore.run(restore_project(d.id), move |at| {
                                restored.set(Some(at.href()));
                                reload.update(|n| *n += 1);
                                None
                            })>
                            "Restore"
                        </button>
                        <SubmitStatus submit=restore />
                    </td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let empty = rows.is_empty();
    view! {
        <section class="card" aria-labelledby="admin-heading">
            <h2 id="admin-heading">"Site administration"</h2>
            <p>
                {if on { "Sign-up is on: anyone who reaches this server can create an account. " } else { "Sign-up is off: only admins create accounts. " }}
                <button type="button" class="small" disabled=move || toggle.busy.get()
                    on:click=move |_| toggle.run(set_signup_enabled(!on), move |_| {
                        reload.update(|n| *n += 1);
                        None
                    })>
                    {if on { "Turn sign-up off" } else { "Turn sign-up on" }}
                </button>
            </p>
            <SubmitStatus submit=toggle />
            <p>
                {if private { "Automations may send webhooks to private and loopback addresses (this server's own network). " } else { "Automations may not send webhooks to private or loopback addresses. " }}
                <button type="button" class="small" disabled=move || webhooks.busy.get()
                    on:click=move |_| webhooks.run(set_private_webhooks(!private), move |_| {
                        reload.update(|n| *n += 1);
                        None
                    })>
                    {if private { "Forbid private webhook targets" } else { "Allow private webhook targets" }}
                </button>
            </p>
            <SubmitStatus submit=webhooks />
            <h3>"Deleted projects"</h3>
            {move || restored.get().map(|href| view! {
                <p class="ok-message" role="status">"Restored: "<a href=href.clone()>{href.clone()}</a></p>
            })}
            {if empty {
                view! { <p class="empty">"No deleted projects."</p> }.into_any()
            } else {
                view! {
                    <table class="list" aria-label="Deleted projects">
                        <thead><tr>
                            <th scope="col">"Project"</th><th scope="col">"Deleted"</th>
                            <th scope="col">"Purged on"</th><th scope="col"></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}
