use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::reports::{edit_report, get_report_diff, get_report_revisions};
use crate::components::error_view::ErrorView;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{ReportEdit, ReportRef};

/// `/{entity}/{project}/reports/{slug}--{id}/history`: every published revision
/// (who, when, what changed), a diff of any two (`?from=&to=`, a plain GET form),
/// and restore (publishes that revision's content again as a new revision).
#[component]
pub fn ReportHistoryPage() -> impl IntoView {
    let report = super::report_page::report_from_route();
    let query = use_query_map();
    let pair = Memo::new(move |_| {
        query.with(|q| {
            let n = |k: &str| q.get(k).and_then(|v| v.parse::<u32>().ok());
            n("from").zip(n("to"))
        })
    });
    let reload = RwSignal::new(0u32);
    let revisions = Resource::new(
        move || (report.get(), reload.get()),
        |(r, _)| async move {
            match r {
                Some(r) => get_report_revisions(r).await,
                None => Err(crate::api::AppError::NotFound("no such report".into())),
            }
        },
    );
    let diff = Resource::new(
        move || (report.get(), pair.get()),
        |(r, p)| async move {
            match (r, p) {
                (Some(r), Some((a, b))) => get_report_diff(r, a, Some(b)).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    let submit = Submit::new();
    view! {
        <Title text="Report history" />
        <Transition fallback=|| view! { <p class="loading">"Loading history…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let revs = revisions.await?;
                    let changes = diff.await?;
                    let r: ReportRef = report.get_untracked().ok_or_else(|| crate::api::AppError::NotFound("no such report".into()))?;
                    let base = format!("{}/reports/{}", r.project.href(), r.id);
                    let now = crate::pages::now_ms();
                    let latest = revs.first().map(|v| v.number).unwrap_or(0);
                    let rows = revs.iter().map(|v| {
                        let n = v.number;
                        let r = r.clone();
                        let restore = (n != latest).then(|| view! {
                            <button type="button" class="small" on:click=move |_| {
                                submit.run(edit_report(r.clone(), ReportEdit::RestoreRevision { number: n }), move |done| {
                                    reload.update(|x| *x += 1);
                                    Some(format!("Revision {n} is published again as revision {}.", done.published.unwrap_or(0)))
                                });
                            }>{format!("Restore revision {n}")}</button>
                        });
                        let prev = n.saturating_sub(1);
                        view! {
                            <tr>
                                <td class="num">{n}</td>
                                <td>{v.author.clone()}</td>
                                <td title=format::timestamp(v.at_ms)>{format::ago(v.at_ms, now)}</td>
                                <td>{v.note.clone()}</td>
                                <td>{format!("+{} −{} ~{} ↕{}", v.added, v.removed, v.changed, v.moved)}</td>
                                <td>
                                    <a href=format!("{base}?revision={n}")>"View"</a>" · "
                                    <a href=format!("{base}/history?from={prev}&to={n}")>"Changes"</a>" "
                                    {restore}
                                </td>
                            </tr>
                        }
                    }).collect_view();
                    let diff_view = changes.map(|lines| {
                        let (a, b) = pair.get_untracked().unwrap_or_default();
                        view! {
                            <section class="card" aria-labelledby="diff-heading">
                                <h2 id="diff-heading">{format!("From revision {a} to revision {b}")}</h2>
                                {lines.is_empty().then(|| view! { <p class="empty">"No block changed."</p> })}
                                <ul class="report-diff" aria-label="Changed blocks">
                                    {lines.into_iter().map(|l| view! {
                                        <li class=format!("diff-{}", l.change)><span class="badge">{l.change.clone()}</span>" "{l.label.clone()}</li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        }
                    });
                    Ok::<_, crate::api::AppError>(view! {
                        <div class="project-head">
                            <p class="crumbs"><a href=format!("{}/reports", r.project.href())>"Reports"</a>" / "<a href=base.clone()>"Report"</a></p>
                            <h1>"Revisions"</h1>
                        </div>
                        <section class="card" aria-labelledby="revisions-heading">
                            <h2 id="revisions-heading">"Published revisions"</h2>
                            {revs.is_empty().then(|| view! { <p class="empty">"Not published yet: publishing keeps a revision."</p> })}
                            <table class="list" aria-label="Revisions">
                                <thead><tr><th scope="col" class="num">"#"</th><th scope="col">"Author"</th><th scope="col">"When"</th><th scope="col">"Note"</th><th scope="col">"Blocks"</th><th scope="col">""</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                            <form method="get" class="reports-search" action=format!("{base}/history")>
                                <label>"Compare revision "<input type="number" name="from" min="0" max=latest.to_string() required /></label>
                                <label>" with "<input type="number" name="to" min="1" max=latest.to_string() required /></label>
                                <button type="submit" class="small">"Compare"</button>
                            </form>
                            <SubmitStatus submit />
                        </section>
                        {diff_view}
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
