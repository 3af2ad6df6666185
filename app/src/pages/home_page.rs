use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::list_projects;
use crate::components::error_view::ErrorView;
use crate::logic::format;

/// `/`: the projects the viewer can see.
#[component]
pub fn HomePage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    view! {
        <Title text="Projects" />
        <h1>"Projects"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let list = projects.await?;
                    let now = super::now_ms();
                    let view = if list.is_empty() {
                        view! {
                            <div class="card empty">
                                <p>"No projects to show yet."</p>
                                <p class="muted">
                                    "Log a run through the API (see the README) or sign in to see private projects."
                                </p>
                            </div>
                        }
                        .into_any()
                    } else {
                        view! {
                            <table class="list" aria-label="Projects">
                                <thead>
                                    <tr>
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
                                        .map(|p| {
                                            let last = p
                                                .last_active_ms
                                                .map(|ms| format::ago(ms, now))
                                                .unwrap_or_else(|| "never".to_owned());
                                            view! {
                                                <tr>
                                                    <td>
                                                        <a href=p.project.href()>{p.project.project.clone()}</a>
                                                        <span class=format!("vis vis-{}", p.visibility)>{p.visibility.as_str()}</span>
                                                    </td>
                                                    <td>{p.project.entity.clone()}</td>
                                                    <td class="desc">{p.description}</td>
                                                    <td class="num">{p.run_count}</td>
                                                    <td>{last}</td>
                                                </tr>
                                            }
                                        })
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
