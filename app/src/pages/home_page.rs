use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::list_projects;
use crate::api::settings::get_account_settings;
use crate::components::error_view::ErrorView;
use crate::components::new_project_form::NewProjectForm;
use crate::model::TeamRole;

/// `/`: the projects the viewer can see, starred ones first, and a form to create one.
#[component]
pub fn HomePage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    // Signed out (or failing), there is simply no form.
    let settings = Resource::new(|| (), |_| async { get_account_settings().await.ok() });
    view! {
        <Title text="Projects" />
        <div class="heading-row">
            <h1>"Projects"</h1>
        </div>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                settings.await.map(|s| {
                    // Own entity first, then teams where the viewer may create projects.
                    let mut entities = vec![s.viewer.username.clone()];
                    entities.extend(
                        s.teams
                            .into_iter()
                            .filter(|(_, r)| *r != TeamRole::Viewer)
                            .map(|(t, _)| t),
                    );
                    view! {
                        <details class="card new-project-card">
                            <summary>"New project"</summary>
                            <NewProjectForm entities />
                        </details>
                    }
                })
            })}
        </Suspense>
        <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let list = projects.await?;
                    let can_star = settings.await.is_some();
                    let now = super::now_ms();
                    let view = if list.is_empty() {
                        view! {
                            <div class="card empty">
                                <p>"No projects to show yet."</p>
                                <p class="muted">
                                    "Create one above, log a run through the API (see the README), or sign in to see private projects."
                                </p>
                            </div>
                        }
                        .into_any()
                    } else {
                        view! {
                            <table class="list starrable" aria-label="Projects">
                                <thead>
                                    <tr>
                                        <th scope="col"><span class="visually-hidden">"Star"</span></th>
                                        <th scope="col">"Project"</th>
                                        <th scope="col">"Owner"</th>
                                        <th scope="col">"Description"</th>
                                        <th scope="col" class="num">"Runs"</th>
                                        <th scope="col">"Last active"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|p| home_row(p, now, can_star))
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any()
                    };
                    Ok::<_, crate::api::AppError>(view)
                })}
            </ErrorBoundary>
        </Transition>
    }
}

fn home_row(p: crate::model::ProjectCard, now: i64, can_star: bool) -> impl IntoView {
    use crate::components::star_button::StarButton;
    use crate::logic::format;
    let last = p
        .last_active_ms
        .map(|ms| format::ago(ms, now))
        .unwrap_or_else(|| "never".to_owned());
    let star =
        can_star.then(|| view! { <StarButton project=p.project.clone() starred=p.starred /> });
    let owner = format!("/{}", p.project.entity);
    view! {
        <tr data-project=p.project.project.clone()>
            <td class="star-cell">{star}</td>
            <td>
                <a href=p.project.href()>{p.project.project.clone()}</a>
                <span class=format!("vis vis-{}", p.visibility)>{p.visibility.as_str()}</span>
            </td>
            <td><a href=owner class="quiet-link">{p.project.entity.clone()}</a></td>
            <td class="desc">{crate::logic::markdown::to_plain_text(&p.description, 160)}</td>
            <td class="num">{p.run_count}</td>
            <td>{last}</td>
        </tr>
    }
}
