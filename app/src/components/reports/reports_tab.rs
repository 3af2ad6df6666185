use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::reports::{create_report, edit_report, get_reports};
use crate::components::error_view::ErrorView;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{
    report_href, ExportedSection, ProjectRef, ReportEdit, ReportRef, ReportSummary,
};

/// The Reports tab: the project's reports with title, author, last edit, state and
/// stars; a search and a sort that live in the URL (a plain GET form, so they work
/// without JavaScript); New report; the viewer's sections exported from the
/// Workspace, each one click from being a report; deleted reports for admins.
#[component]
pub fn ReportsTab(
    /// The project whose reports are listed.
    project: ProjectRef,
) -> impl IntoView {
    let query = use_query_map();
    let search = Memo::new(move |_| query.with(|q| q.get("q").unwrap_or_default()));
    let by_stars = Memo::new(move |_| query.with(|q| q.get("sort").as_deref() == Some("stars")));
    let reload = RwSignal::new(0u32);
    let index = Resource::new(
        {
            let project = project.clone();
            move || (project.clone(), reload.get())
        },
        |(p, _)| get_reports(p),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading reports…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {
                    let project = project.clone();
                    move || {
                        let project = project.clone();
                        Suspend::new(async move {
                            let idx = index.await?;
                            let q = search.get().to_lowercase();
                            let mut shown: Vec<ReportSummary> = idx
                                .reports
                                .iter()
                                .filter(|r| q.is_empty() || r.title.to_lowercase().contains(&q))
                                .cloned()
                                .collect();
                            if by_stars.get() {
                                shown.sort_by(|a, b| b.stars.cmp(&a.stars).then(b.updated_ms.cmp(&a.updated_ms)));
                            }
                            let new_form = idx.can_write.then(|| view! { <NewReportForm project=project.clone() /> });
                            let exported = (!idx.exported.is_empty()).then(|| view! {
                                <ExportedSections project=project.clone() exported=idx.exported.clone() />
                            });
                            let deleted = (!idx.deleted.is_empty()).then(|| view! {
                                <DeletedReports project=project.clone() deleted=idx.deleted.clone() reload />
                            });
                            let total = idx.reports.len();
                            let list = if total == 0 {
                                view! { <EmptyReports can_write=idx.can_write /> }.into_any()
                            } else {
                                view! {
                                    <ReportsList project=project.clone() reports=shown search=search.get() by_stars=by_stars.get() />
                                }
                                .into_any()
                            };
                            Ok::<_, crate::api::AppError>(view! {
                                <section class="card reports-card" aria-labelledby="reports-heading">
                                    <div class="heading-row">
                                        <h2 id="reports-heading">"Reports"</h2>
                                        {new_form}
                                    </div>
                                    {list}
                                </section>
                                {exported}
                                {deleted}
                            })
                        })
                    }
                }
            </ErrorBoundary>
        </Transition>
    }
}

/// The list with its search and sort (a GET form: shareable URLs, no script needed).
#[component]
fn ReportsList(
    project: ProjectRef,
    reports: Vec<ReportSummary>,
    search: String,
    by_stars: bool,
) -> impl IntoView {
    let now = crate::pages::now_ms();
    let action = format!("{}/reports", project.href());
    let empty = reports.is_empty();
    view! {
        <form class="reports-search" method="get" action=action role="search">
            <input type="search" name="q" placeholder="Search by title" aria-label="Search reports by title" value=search.clone() />
            <label>
                "Sort by "
                <select name="sort" aria-label="Sort reports">
                    <option value="edited" selected=!by_stars>"Last edit"</option>
                    <option value="stars" selected=by_stars>"Stars"</option>
                </select>
            </label>
            <button type="submit" class="small">"Apply"</button>
        </form>
        {empty.then(|| view! { <p class="empty">{format!("No report's title contains {search:?}.")}</p> })}
        <ul class="reports-list" aria-label="Reports">
            {reports
                .into_iter()
                .map(|r| {
                    let href = report_href(&project, &r.title, r.id);
                    let badge = match (r.published, r.unpublished_changes) {
                        (None, _) => view! { <span class="badge draft">"Draft"</span> }.into_any(),
                        (Some(_), true) => view! { <span class="badge published">"Published"</span><span class="badge draft">"Unpublished changes"</span> }.into_any(),
                        (Some(_), false) => view! { <span class="badge published">"Published"</span> }.into_any(),
                    };
                    view! {
                        <li class="report-item">
                            <a class="report-title" href=href>{r.title.clone()}</a>
                            {badge}
                            <span class="muted stars" title="Stars">{format!("★ {}", r.stars)}</span>
                            {(!r.description.is_empty()).then(|| view! { <p class="muted description">{r.description.clone()}</p> })}
                            <p class="muted byline">{format!("by {} · edited {}", r.author, format::ago(r.updated_ms, now))}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// "New report": a title, then the editor.
#[component]
fn NewReportForm(project: ProjectRef) -> impl IntoView {
    let submit = Submit::new();
    let title = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let project = project.clone();
        submit.run(
            create_report(project, title.get_untracked(), None),
            |href| {
                go_to(&format!("{href}/edit"));
                None
            },
        );
    };
    view! {
        <form class="new-report" on:submit=create>
            <input type="text" placeholder="Title of the new report" aria-label="Title of the new report" maxlength="200"
                prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev)) />
            <button type="submit" disabled=move || submit.busy.get()>"New report"</button>
            <SubmitStatus submit />
        </form>
    }
}

/// Open a page with a full navigation (the editor loads its own data).
pub(crate) fn go_to(href: &str) {
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        navigate(href, Default::default());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// The viewer's sections exported from the Workspace, each made a report in a click.
#[component]
fn ExportedSections(project: ProjectRef, exported: Vec<ExportedSection>) -> impl IntoView {
    let submit = Submit::new();
    let now = crate::pages::now_ms();
    view! {
        <section class="card" aria-labelledby="exported-heading">
            <h2 id="exported-heading">"Exported from your Workspace"</h2>
            <p class="muted">"Sections you exported with “Export to report”. Each becomes a report whose panel grid shows the runs your sidebar selected then."</p>
            <ul class="deleted-list" aria-label="Exported sections">
                {exported
                    .into_iter()
                    .map(|s| {
                        let project = project.clone();
                        let name = s.name.clone();
                        let open = move |_| {
                            submit.run(create_report(project.clone(), String::new(), Some(name.clone())), |href| {
                                go_to(&format!("{href}/edit"));
                                None
                            });
                        };
                        view! {
                            <li>
                                {s.name.clone()}
                                <span class="muted">{format!(" · {} · exported {}", format::count(s.panels, "panel"), format::ago(s.created_ms, now))}</span>
                                " "<button type="button" class="small" on:click=open>"Open in editor"</button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <SubmitStatus submit />
        </section>
    }
}

/// Deleted reports a project admin may restore.
#[component]
fn DeletedReports(
    project: ProjectRef,
    deleted: Vec<ReportSummary>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let submit = Submit::new();
    let now = crate::pages::now_ms();
    view! {
        <section class="card" aria-labelledby="deleted-reports-heading">
            <h2 id="deleted-reports-heading">"Deleted reports"</h2>
            <ul class="deleted-list" aria-label="Deleted reports">
                {deleted
                    .into_iter()
                    .map(|r| {
                        let target = ReportRef::new(project.clone(), r.id);
                        let restore = move |_| {
                            submit.run(edit_report(target.clone(), ReportEdit::Restore), move |_| {
                                reload.update(|n| *n += 1);
                                Some("Restored.".into())
                            });
                        };
                        view! {
                            <li>
                                {r.title.clone()}
                                <span class="muted">{format!(" deleted {}", r.deleted_ms.map(|d| format::ago(d, now)).unwrap_or_default())}</span>
                                " "<button type="button" class="small" on:click=restore>{format!("Restore {}", r.title)}</button>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <SubmitStatus submit />
        </section>
    }
}

/// What an empty Reports tab says: how to make one.
#[component]
fn EmptyReports(can_write: bool) -> impl IntoView {
    view! {
        <div class="empty">
            <p>"No reports yet."</p>
            <p class="muted">
                {if can_write {
                    "Start one with “New report” above, or open the Workspace, pick a section's menu and choose “Export to report”: its charts come along with the runs you selected."
                } else {
                    "Reports that the project's members publish appear here."
                }}
            </p>
        </div>
    }
}
