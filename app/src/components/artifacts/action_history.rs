use leptos::prelude::*;

use crate::api::artifacts::get_artifact_events;
use crate::components::error_view::ErrorView;
use crate::logic::format;
use crate::model::VersionRef;

/// The Action history tab: what happened to the collection's versions, who did it,
/// through which door, newest first.
#[component]
pub fn ActionHistory(
    /// A version of the collection whose history is shown.
    version: VersionRef,
) -> impl IntoView {
    let events = Resource::new(move || version.clone(), get_artifact_events);
    let now = crate::pages::now_ms();
    view! {
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"Action history"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading history…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {move || Suspend::new(async move {
                        let list = events.await?;
                        Ok::<_, crate::api::AppError>(if list.is_empty() {
                            view! { <p class="empty">"Nothing recorded yet."</p> }.into_any()
                        } else {
                            view! {
                                <table class="list" aria-label="Action history">
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"What"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"Through"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|e| view! {
                                                <tr data-action=e.action.clone()>
                                                    <td title=format::timestamp(e.at)>{format::ago(e.at, now)}</td>
                                                    <td>{e.detail}</td>
                                                    <td>{e.user.unwrap_or_else(|| "the server".into())}</td>
                                                    <td class="muted">{e.via}</td>
                                                </tr>
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                            .into_any()
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}
