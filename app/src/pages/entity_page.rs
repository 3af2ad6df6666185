use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::entities::{get_entity_profile, set_team_member};
use crate::components::error_view::ErrorView;
use crate::components::new_project_form::NewProjectForm;
use crate::components::star_button::StarButton;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{EntityProfile, ProjectCard, TeamMember, TeamRole};

/// `/{entity}`: a user's or team's profile, with the Projects tab and, for teams,
/// Members (`?tab=members`).
#[component]
pub fn EntityPage() -> impl IntoView {
    let name = super::route_param("entity");
    let query = use_query_map();
    let members_tab =
        Memo::new(move |_| query.with(|q| q.get("tab").as_deref() == Some("members")));
    let reload = RwSignal::new(0u32);
    let profile = Resource::new(
        move || (name.get(), reload.get()),
        |(n, _)| get_entity_profile(n),
    );
    view! {
        <Title text=move || name.get() />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let p = profile.await?;
                    Ok::<_, crate::api::AppError>(view! { <ProfileView profile=p members_tab=members_tab.get() reload /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ProfileView(
    /// The user or team shown.
    profile: EntityProfile,
    /// Whether the Members tab is open (else Projects).
    members_tab: bool,
    /// Bumped after a change so the profile reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let p = profile;
    let base = format!("/{}", p.name);
    let kind = if p.is_team { "Team" } else { "User" };
    let subtitle = (!p.display_name.is_empty())
        .then(|| view! { <p class="muted">{p.display_name.clone()}</p> });
    let tabs = p.is_team.then(|| {
        let (projects_href, members_href) = (base.clone(), format!("{base}?tab=members"));
        view! {
            <nav class="tabs" aria-label="Profile tabs">
                <a href=projects_href class="tab" aria-current=(!members_tab).then_some("page")>"Projects"</a>
                <a href=members_href class="tab" aria-current=members_tab.then_some("page")>"Members"</a>
            </nav>
        }
    });
    let body = if members_tab && p.is_team {
        view! { <Members profile=p.clone() reload /> }.into_any()
    } else {
        view! { <Projects profile=p.clone() /> }.into_any()
    };
    view! {
        <div class="project-head">
            <p class="crumbs"><span>{kind}</span></p>
            <h1>{p.name.clone()}</h1>
            {subtitle}
        </div>
        {tabs}
        {body}
    }
}

#[component]
fn Projects(
    /// The user or team whose projects are listed.
    profile: EntityProfile,
) -> impl IntoView {
    let now = super::now_ms();
    let signed_in = profile.signed_in;
    let form = profile.can_create_project.then(|| {
        let entities = vec![profile.name.clone()];
        view! {
            <details class="card new-project-card">
                <summary>"New project"</summary>
                <NewProjectForm entities />
            </details>
        }
    });
    let rows = profile
        .projects
        .into_iter()
        .map(|c| project_row(c, now, signed_in))
        .collect::<Vec<_>>();
    view! {
        {form}
        <section class="card" aria-labelledby="projects-heading">
            <h2 id="projects-heading">"Projects"</h2>
            {if rows.is_empty() {
                view! { <p class="empty">"No projects you can see here."</p> }.into_any()
            } else {
                view! {
                    <table class="list starrable" aria-label="Projects">
                        <thead><tr>
                            <th scope="col"><span class="visually-hidden">"Star"</span></th>
                            <th scope="col">"Project"</th><th scope="col">"Description"</th>
                            <th scope="col" class="num">"Runs"</th><th scope="col">"Last active"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

/// One project row with its star (signed-in viewers only).
pub fn project_row(c: ProjectCard, now: i64, can_star: bool) -> impl IntoView {
    let last = c
        .last_active_ms
        .map(|ms| format::ago(ms, now))
        .unwrap_or_else(|| "never".to_owned());
    let star =
        can_star.then(|| view! { <StarButton project=c.project.clone() starred=c.starred /> });
    view! {
        <tr data-project=c.project.project.clone()>
            <td class="star-cell">{star}</td>
            <td>
                <a href=c.project.href()>{c.project.project.clone()}</a>
                <span class=format!("vis vis-{}", c.visibility)>{c.visibility.as_str()}</span>
            </td>
            <td class="desc">{crate::logic::markdown::to_plain_text(&c.description, 160)}</td>
            <td class="num">{c.run_count}</td>
            <td>{last}</td>
        </tr>
    }
}

#[component]
fn Members(
    /// The team whose members are listed.
    profile: EntityProfile,
    /// Bumped after a change so the list reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let team = profile.name.clone();
    let manage = profile.can_manage;
    if profile.members.is_empty() {
        return view! {
            <section class="card"><p class="empty">"Only the team's members see who is in it."</p></section>
        }
        .into_any();
    }
    let rows = profile
        .members
        .into_iter()
        .map(|m| member_row(team.clone(), m, manage, reload))
        .collect::<Vec<_>>();
    let invite = manage.then(|| view! { <InviteForm team=team.clone() reload /> });
    view! {
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <table class="list" aria-label="Members">
                <thead><tr><th scope="col">"User"</th><th scope="col">"Role"</th><th scope="col"></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            {invite}
        </section>
    }
    .into_any()
}

fn member_row(team: String, m: TeamMember, manage: bool, reload: RwSignal<u32>) -> impl IntoView {
    let submit = Submit::new();
    let who = m.username.clone();
    let role_cell = if manage {
        let (team, who) = (team.clone(), who.clone());
        view! {
            <select
                aria-label=format!("Role of {who}")
                on:change=move |ev| {
                    if let Ok(role) = event_target_value(&ev).parse::<TeamRole>() {
                        submit.run(set_team_member(team.clone(), who.clone(), Some(role)), move |_| {
                            reload.update(|n| *n += 1);
                            Some("Role changed.".into())
                        });
                    }
                }
            >
                {TeamRole::ALL
                    .into_iter()
                    .map(|r| view! { <option value=r.as_str() selected=r == m.role>{r.as_str()}</option> })
                    .collect_view()}
            </select>
        }
        .into_any()
    } else {
        view! { <span>{m.role.as_str()}</span> }.into_any()
    };
    let remove = manage.then(|| {
        let (team, who) = (team.clone(), who.clone());
        view! {
            <button type="button" class="small danger" aria-label=format!("Remove {who}")
                on:click=move |_| submit.run(set_team_member(team.clone(), who.clone(), None), move |_| {
                    reload.update(|n| *n += 1);
                    None
                })>
                "Remove"
            </button>
        }
    });
    view! {
        <tr data-member=m.username.clone()>
            <td><a href=format!("/{}", m.username)>{m.username.clone()}</a>" "<span class="muted">{m.display_name}</span></td>
            <td>{role_cell}</td>
            <td>{remove}<SubmitStatus submit /></td>
        </tr>
    }
}

#[component]
fn InviteForm(
    /// The team members are added to.
    team: String,
    /// Bumped after an invite so the member list reloads.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let submit = Submit::new();
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(TeamRole::Member);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let who = username.get_untracked().trim().to_owned();
        submit.run(
            set_team_member(team.clone(), who.clone(), Some(role.get_untracked())),
            move |_| {
                username.set(String::new());
                reload.update(|n| *n += 1);
                Some(format!("{who} joined the team."))
            },
        );
    };
    view! {
        <form class="inline-form" on:submit=on_submit aria-label="Invite member">
            <label>
                "Username"
                <input type="text" name="invite" required prop:value=username
                    on:input=move |ev| username.set(event_target_value(&ev)) />
            </label>
            <label>
                "Role"
                <select name="role" on:change=move |ev| {
                    if let Ok(r) = event_target_value(&ev).parse() {
                        role.set(r);
                    }
                }>
                    {TeamRole::ALL
                        .into_iter()
                        .map(|r| view! { <option value=r.as_str() selected=r == TeamRole::Member>{r.as_str()}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="small" disabled=move || submit.busy.get()>"Add to team"</button>
        </form>
        <SubmitStatus submit />
    }
}
