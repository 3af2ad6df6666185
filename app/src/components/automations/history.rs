//! An automation's history: every execution with its event, status, request and
//! response; search, sort and pages; Test and Redeliver for the project's admins.
//! The search, sort and page live in the URL, so a view can be shared.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::automations::{get_automation_history, redeliver_execution, test_automation};
use crate::components::error_view::ErrorView;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{
    automation_href, automations_href, AutomationHistory, ExecutionStatus, ExecutionView,
    HistoryQuery, HistorySort, ProjectRef, HISTORY_PAGE,
};

use super::ExecutionBadge;

fn sort_word(s: HistorySort) -> &'static str {
    match s {
        HistorySort::Newest => "newest",
        HistorySort::Oldest => "oldest",
        HistorySort::Status => "status",
    }
}

/// One automation's history (the page under `/{e}/{p}/automations/{id}`).
#[component]
pub fn AutomationHistoryView(project: ProjectRef, id: i32) -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| {
        query.with(|m| HistoryQuery {
            search: m.get("q").unwrap_or_default(),
            sort: match m.get("sort").as_deref() {
                Some("oldest") => HistorySort::Oldest,
                Some("status") => HistorySort::Status,
                _ => HistorySort::Newest,
            },
            offset: m.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0),
        })
    });
    let reload = RwSignal::new(0u32);
    let history = Resource::new(
        {
            let project = project.clone();
            move || (project.clone(), q.get(), reload.get())
        },
        move |(p, q, _)| get_automation_history(p, id, q),
    );
    // What is shown, in brief: while something waits for delivery the page reads
    // itself again every 2 s; otherwise it asks every 5 s and reads itself again only
    // when the history changed (so an open request stays open while nothing happens).
    let live = RwSignal::new(false);
    let shown = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    {
        let project = project.clone();
        let ticks = RwSignal::new(0u32);
        let handle = set_interval_with_handle(
            move || {
                let n = ticks.get_untracked() + 1;
                ticks.set(n);
                if live.get_untracked() {
                    reload.update(|n| *n += 1);
                } else if n.is_multiple_of(5) {
                    let (p, q) = (project.clone(), q.get_untracked());
                    leptos::task::spawn_local(async move {
                        if let Ok(h) = get_automation_history(p, id, q).await {
                            if shown.get_untracked().as_deref() != Some(brief(&h).as_str()) {
                                reload.update(|n| *n += 1);
                            }
                        }
                    });
                }
            },
            std::time::Duration::from_secs(1),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    // Kept here, above the body a reload rebuilds, so their messages outlive it.
    let tested = RwSignal::new(None::<ExecutionView>);
    let buttons = Buttons {
        test: Submit::new(),
        redeliver: Submit::new(),
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading history…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {
                    let project = project.clone();
                    move || {
                        let project = project.clone();
                        Suspend::new(async move {
                            let h = history.await?;
                            live.set(h.executions.iter().any(|e| matches!(e.status, ExecutionStatus::Pending | ExecutionStatus::Retrying)));
                            shown.set(Some(brief(&h)));
                            Ok::<_, crate::api::AppError>(view! { <HistoryBody project h q reload tested buttons /> })
                        })
                    }
                }
            </ErrorBoundary>
        </Transition>
    }
}

/// A history page in brief: how many executions and each one's state.
fn brief(h: &AutomationHistory) -> String {
    let mut s = format!("{}:{}", h.total, h.automation.spec.enabled);
    for e in &h.executions {
        s.push_str(&format!(";{}:{}:{}", e.id, e.status.as_str(), e.attempts));
    }
    s
}

/// The page's buttons' state, kept across reloads of the history.
#[derive(Clone, Copy)]
struct Buttons {
    test: Submit,
    redeliver: Submit,
}

#[component]
fn HistoryBody(
    project: ProjectRef,
    h: AutomationHistory,
    q: Memo<HistoryQuery>,
    reload: RwSignal<u32>,
    tested: RwSignal<Option<ExecutionView>>,
    buttons: Buttons,
) -> impl IntoView {
    let a = h.automation.clone();
    let id = a.id;
    let can_edit = h.can_edit;
    let base = automation_href(&project, id);
    let navigate = use_navigate();
    let go = {
        let base = base.clone();
        move |search: String, sort: HistorySort, offset: u64| {
            let mut parts = Vec::new();
            if !search.trim().is_empty() {
                parts.push(format!(
                    "q={}",
                    crate::logic::url::encode_segment(search.trim())
                ));
            }
            if sort != HistorySort::Newest {
                parts.push(format!("sort={}", sort_word(sort)));
            }
            if offset > 0 {
                parts.push(format!("offset={offset}"));
            }
            let url = if parts.is_empty() {
                base.clone()
            } else {
                format!("{base}?{}", parts.join("&"))
            };
            navigate(&url, Default::default());
        }
    };
    let search = RwSignal::new(q.get_untracked().search);
    let Buttons { test, redeliver } = buttons;
    let run_test = {
        let project = project.clone();
        move |_| {
            test.run(test_automation(project.clone(), id), move |e| {
                let msg = match (e.status, e.response_status) {
                    (ExecutionStatus::Delivered, Some(s)) => {
                        format!("Test delivered: answered {s}.")
                    }
                    (_, Some(s)) => format!("Test failed: answered {s}."),
                    _ => format!("Test failed: {}", e.error.clone().unwrap_or_default()),
                };
                tested.set(Some(e));
                reload.update(|n| *n += 1);
                Some(msg)
            })
        }
    };
    let on_search = {
        let go = go.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            go(search.get_untracked(), q.get_untracked().sort, 0);
        }
    };
    let on_sort = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let sort = match event_target_value(&ev).as_str() {
                "oldest" => HistorySort::Oldest,
                "status" => HistorySort::Status,
                _ => HistorySort::Newest,
            };
            go(q.get_untracked().search, sort, 0);
        }
    };
    let (total, offset) = (h.total, h.offset);
    let pager = {
        let go = go.clone();
        let go2 = go.clone();
        let shown = h.executions.len() as u64;
        view! {
            <div class="pager">
                <span class="muted">{if total == 0 { "No executions".to_owned() } else { format!("{}–{} of {}", offset + 1, offset + shown, total) }}</span>
                <button type="button" class="small secondary" disabled={offset == 0}
                    on:click=move |_| go(q.get_untracked().search, q.get_untracked().sort, offset.saturating_sub(HISTORY_PAGE))>"Newer page"</button>
                <button type="button" class="small secondary" disabled={offset + shown >= total}
                    on:click=move |_| go2(q.get_untracked().search, q.get_untracked().sort, offset + HISTORY_PAGE)>"Next page"</button>
            </div>
        }
    };
    let now = crate::pages::now_ms();
    let rows = h
        .executions
        .into_iter()
        .map(|e| {
            let project = project.clone();
            let eid = e.id;
            view! {
                <tr>
                    <td title=format::iso_utc_seconds(e.at)>{format::timestamp(e.at)}<div class="muted small">{format::ago(e.at, now)}</div></td>
                    <td>
                        <span class="mono small">{e.event_type.clone()}</span>
                        <div>{e.event.clone()}</div>
                        {e.test.then(|| view! { <span class="tag">"test"</span> })}
                        {e.redelivery_of.map(|o| view! { <span class="tag">{format!("redelivery of #{o}")}</span> })}
                    </td>
                    <td>{e.author.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>
                        <ExecutionBadge status=e.status />
                        <div class="muted small">{format!("{} attempt{}", e.attempts, if e.attempts == 1 { "" } else { "s" })}</div>
                        {e.next_attempt_at.map(|t| view! { <div class="muted small">{format!("next try {}", format::timestamp(t))}</div> })}
                    </td>
                    <td>
                        {e.response_status.map(|s| view! { <strong>{s}</strong> })}
                        {e.error.clone().map(|er| view! { <div class="error-text">{er}</div> })}
                        <details>
                            <summary>"Request and response"</summary>
                            <p class="small"><span class="muted">"POST "</span><span class="mono">{e.url.clone()}</span></p>
                            <pre class="payload">{e.request_body.clone()}</pre>
                            {e.response_body.clone().map(|b| view! { <p class="muted small">"Response (first 2 KB)"</p><pre class="payload">{b}</pre> })}
                            {e.duration_ms.map(|d| view! { <p class="muted small">{format!("{d} ms")}</p> })}
                        </details>
                    </td>
                    <td>
                        {can_edit.then(|| view! {
                            <button type="button" class="small secondary" aria-label=format!("Redeliver execution {eid}")
                                disabled=move || redeliver.busy.get()
                                on:click=move |_| redeliver.run(redeliver_execution(project.clone(), id, eid), move |_| {
                                    reload.update(|n| *n += 1);
                                    Some("Queued for delivery.".into())
                                })>"Redeliver"</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="automation-heading">
            <div class="card-head">
                <h2 id="automation-heading">{a.spec.name.clone()}</h2>
                {can_edit.then(|| view! {
                    <button type="button" class="primary" on:click=run_test disabled=move || test.busy.get()>"Test"</button>
                })}
            </div>
            <p>{a.spec.trigger.describe()}" → "{a.spec.action.title()}" "<span class="mono small">{a.spec.action.url().to_owned()}</span></p>
            <p class="muted">{if a.spec.enabled { "Enabled" } else { "Disabled" }}{a.created_by.clone().map(|c| format!(" · created by {c}"))}" · "<a href=automations_href(&project)>"All automations"</a></p>
            <SubmitStatus submit=test />
            {move || tested.get().map(|e| view! {
                <div class="test-result" role="status">
                    <ExecutionBadge status=e.status />
                    {e.response_status.map(|s| view! { " " <strong>{format!("HTTP {s}")}</strong> })}
                    {e.error.clone().map(|er| view! { <div class="error-text">{er}</div> })}
                    {e.response_body.clone().map(|b| view! { <pre class="payload">{b}</pre> })}
                </div>
            })}
        </section>
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <form class="history-tools" on:submit=on_search role="search">
                <input type="search" aria-label="Search the history" placeholder="Search events, authors, answers…"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <button type="submit" class="secondary">"Search"</button>
                <label>
                    "Sort "
                    <select aria-label="Sort" on:change=on_sort>
                        {[HistorySort::Newest, HistorySort::Oldest, HistorySort::Status]
                            .into_iter()
                            .map(|s| view! { <option value=sort_word(s) selected=move || q.get().sort == s>{match s { HistorySort::Newest => "Newest first", HistorySort::Oldest => "Oldest first", HistorySort::Status => "By status" }}</option> })
                            .collect_view()}
                    </select>
                </label>
            </form>
            <SubmitStatus submit=redeliver />
            <div class="table-scroll">
                <table class="history-table">
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Author"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Response"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {pager}
        </section>
    }
}
