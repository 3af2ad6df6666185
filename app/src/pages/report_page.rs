use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

use crate::api::reports::{clone_report, edit_report, get_report, get_report_links};
use crate::components::error_view::ErrorView;
use crate::components::project_tabs::ProjectTabs;
use crate::components::reports::go_to;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::logic::report_html::{blocks_html, head_html};
use crate::model::{report_href, ProjectRef, ReportComment, ReportEdit, ReportRef, ReportView};
use crate::pages::ProjectTab;

/// The report a `/{entity}/{project}/reports/{slug}--{id}` URL names, with the
/// view-only token of `?share=` when there is one.
pub(crate) fn report_from_route() -> Memo<Option<ReportRef>> {
    let entity = super::route_param("entity");
    let project = super::route_param("project");
    let segment = super::route_param("report");
    let query = use_query_map();
    Memo::new(move |_| {
        let at = ProjectRef::new(entity.get(), project.get());
        ReportRef::parse(at, &segment.get(), query.with(|q| q.get("share")))
    })
}

/// `/{entity}/{project}/reports/{slug}--{id}`: a report for reading, drawn on the
/// server (charts as SVG) so it is complete without JavaScript. `?embed=1` drops
/// everything but the report (for an `<iframe>`); `?revision=N` shows an older
/// revision, `?draft=1` the draft (its editors).
#[component]
pub fn ReportPage() -> impl IntoView {
    let report = report_from_route();
    let query = use_query_map();
    let embed = Memo::new(move |_| query.with(|q| q.get("embed").is_some_and(|v| v == "1")));
    let draft = Memo::new(move |_| query.with(|q| q.get("draft").is_some_and(|v| v == "1")));
    let revision =
        Memo::new(move |_| query.with(|q| q.get("revision").and_then(|v| v.parse::<u32>().ok())));
    let reload = RwSignal::new(0u32);
    let view_res = Resource::new(
        move || (report.get(), draft.get(), revision.get(), reload.get()),
        |(r, d, rev, _)| async move {
            match r {
                Some(r) => get_report(r, d, rev).await.map(PageReport),
                None => Err(crate::api::AppError::NotFound("no such report".into())),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading report…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let v = view_res.await?.0;
                    let r = report.get_untracked().unwrap_or_else(|| ReportRef::new(v.project.clone(), v.id));
                    let shown = (draft.get_untracked(), revision.get_untracked());
                    Ok::<_, crate::api::AppError>(view! { <ReportReader view=v report=r embed=embed.get_untracked() reload shown /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The report as the page's resource. Its charts' SVG is in the server's HTML
/// already, and a chart's `inner_html` is not set again when the page hydrates, so
/// the copy of the data sent along for hydration leaves the SVG out: the page is not
/// twice its charts' size. (Fetched in the browser, on navigation, it keeps them.)
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(transparent)]
struct PageReport(ReportView);

impl serde::Serialize for PageReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut lean = self.0.clone();
        for (_, block) in &mut lean.rendered {
            for panel in &mut block.panels {
                if panel.html.starts_with("<svg") {
                    panel.html.clear();
                }
            }
        }
        lean.serialize(s)
    }
}

#[component]
fn ReportReader(
    view: ReportView,
    report: ReportRef,
    embed: bool,
    reload: RwSignal<u32>,
    /// Which document is shown: (draft, revision), for the charts' own requests.
    shown: (bool, Option<u32>),
) -> impl IntoView {
    // Read through a view-only link, the report's own images need its token too.
    let mut view = view;
    if let Some(token) = report.token.as_deref() {
        for b in &mut view.doc.blocks {
            if let crate::model::BlockKind::Image { src, .. } = &mut b.kind {
                if src.contains("/reports/") && src.contains("/images/") && !src.contains('?') {
                    src.push_str(&format!(
                        "?share={}",
                        crate::logic::url::encode_segment(token)
                    ));
                }
            }
        }
    }
    let top = head_html(&view.doc);
    let blocks = view
        .doc
        .blocks
        .iter()
        .zip(blocks_html(&view.doc, &view.rendered))
        .map(|(b, html)| match &b.kind {
            crate::model::BlockKind::PanelGrid { run_sets, section } => {
                let rendered = view
                    .rendered
                    .iter()
                    .find(|(id, _)| *id == b.id)
                    .map(|(_, r)| r.clone());
                view! {
                    <crate::components::reports::ReportGrid block_id=b.id run_sets=run_sets.clone()
                        section=section.clone() rendered report=report.clone() shown />
                }
                .into_any()
            }
            _ => view! { <div class="report-block" inner_html=html></div> }.into_any(),
        })
        .collect_view();
    let title = view.doc.title.clone();
    let description = view.doc.description.clone();
    let head = (!embed).then(|| {
        let p = view.project.clone();
        let crumbs = if view.via_link {
            view! { <p class="crumbs"><span>{p.entity.clone()}</span>" / "<span>{p.project.clone()}</span>" / Reports"</p> }.into_any()
        } else {
            view! {
                <p class="crumbs">
                    <span>{p.entity.clone()}</span>" / "
                    <a href=p.href()>{p.project.clone()}</a>" / "
                    <a href=format!("{}/reports", p.href())>"Reports"</a>
                </p>
            }
            .into_any()
        };
        let tabs = (!view.via_link).then(|| view! { <ProjectTabs project=p.clone() active=ProjectTab::Reports /> });
        view! {
            <div class="project-head report-head">{crumbs}</div>
            {tabs}
            <ReportToolbar view=view.clone() report=report.clone() reload />
        }
    });
    let state = view.is_draft.then(|| {
        view! { <p class="report-state draft" role="note">"Draft: readers do not see this until it is published."</p> }
    });
    let byline = format!(
        "{} · {}{}",
        view.author,
        format::timestamp(view.updated_ms),
        view.revision
            .map(|n| format!(" · revision {n}"))
            .unwrap_or_default()
    );
    let comments = (!embed && !view.via_link)
        .then(|| view! { <ReportComments view=view.clone() report=report.clone() reload /> });
    view! {
        <Title text=title />
        <Meta name="description" content=description />
        {head}
        <article class=if embed { "report embed" } else { "report card" } data-report=view.id.to_string()>
            {state}
            <div class="report-body">
                <div inner_html=top></div>
                {blocks}
            </div>
            <p class="muted report-byline">{byline}</p>
        </article>
        {comments}
    }
}

/// What a reader can do: edit, star, share, history, export, copy, delete.
#[component]
fn ReportToolbar(view: ReportView, report: ReportRef, reload: RwSignal<u32>) -> impl IntoView {
    let page = report_href(&view.project, &view.doc.title, view.id);
    let share_q = report
        .token
        .as_ref()
        .map(|t| format!("?share={t}"))
        .unwrap_or_default();
    let export_html = format!("{page}/export.html{share_q}");
    let export_md = format!("{page}/export.md.zip{share_q}");
    let starred = RwSignal::new(view.starred);
    let stars = RwSignal::new(view.stars);
    let star = {
        let report = report.clone();
        move |_| {
            let on = !starred.get_untracked();
            starred.set(on);
            stars.update(|n| {
                if on {
                    *n += 1
                } else {
                    *n = n.saturating_sub(1)
                }
            });
            let report = report.clone();
            leptos::task::spawn_local(async move {
                if edit_report(report, ReportEdit::Star { on }).await.is_err() {
                    starred.try_set(!on);
                }
            });
        }
    };
    let star_button = view.signed_in.then(|| view! {
        <button type="button" class=move || if starred.get() { "star on" } else { "star" } aria-pressed=move || starred.get().to_string()
            title="Star this report" on:click=star>
            {move || format!("{} {}", if starred.get() { "★" } else { "☆" }, stars.get())}
        </button>
    });
    let edit = view
        .can_write
        .then(|| view! { <a class="button" href=format!("{page}/edit")>"Edit"</a> });
    let history = (!view.via_link).then(
        || view! { <a class="button secondary" href=format!("{page}/history")>"History"</a> },
    );
    let share = view
        .can_admin
        .then(|| view! { <SharePanel report=report.clone() /> });
    let copy =
        (view.signed_in && !view.via_link).then(|| view! { <ClonePanel report=report.clone() /> });
    let delete = view
        .can_write
        .then(|| view! { <DeletePanel report=report.clone() /> });
    let _ = reload;
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="report-toolbar" role="toolbar" aria-label="Report actions">
            {edit}
            {star_button}
            {history}
            <a class="button secondary" href=export_html download="">"Export HTML"</a>
            <a class="button secondary" href=export_md download="">"Export Markdown"</a>
            <button type="button" class="secondary" on:click=print title="Print, or save as PDF">"Print / PDF"</button>
            {share}
            {copy}
            {delete}
        </div>
    }
}

/// View-only links: make one (its URL is shown once), list and revoke them.
#[component]
fn SharePanel(report: ReportRef) -> impl IntoView {
    let submit = Submit::new();
    let label = RwSignal::new(String::new());
    let made = RwSignal::new(None::<String>);
    let reload = RwSignal::new(0u32);
    let links = Resource::new(
        {
            let report = report.clone();
            move || (report.clone(), reload.get())
        },
        |(r, _)| get_report_links(r),
    );
    let create = {
        let report = report.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            submit.run(
                edit_report(
                    report.clone(),
                    ReportEdit::CreateLink {
                        label: label.get_untracked(),
                    },
                ),
                move |done| {
                    made.set(done.link_url.map(|u| absolute(&u)));
                    reload.update(|n| *n += 1);
                    None
                },
            );
        }
    };
    view! {
        <details class="report-share">
            <summary class="button secondary">"Share"</summary>
            <div class="popover card">
                <p class="muted">"A view-only link lets anyone who has it read this report, and nothing else of the project. Revoke it to close it at once."</p>
                <form on:submit=create>
                    <input type="text" placeholder="Label (who it is for)" aria-label="Link label" maxlength="200"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
                    <button type="submit">"Create view-only link"</button>
                </form>
                {move || made.get().map(|u| view! {
                    <p class="ok-message" role="status">"Copy this link now (it is not shown again): "</p>
                    <input class="share-url" type="text" readonly aria-label="View-only link" value=u />
                })}
                <SubmitStatus submit />
                <Transition fallback=|| ()>
                    {
                        let report = report.clone();
                        move || {
                            let report = report.clone();
                            Suspend::new(async move {
                                let list = links.await.unwrap_or_default();
                                let now = crate::pages::now_ms();
                                view! {
                                    <ul class="deleted-list" aria-label="View-only links">
                                        {list.into_iter().map(|l| {
                                            let report = report.clone();
                                            let revoke = move |_| {
                                                submit.run(edit_report(report.clone(), ReportEdit::RevokeLink { id: l.id }), move |_| {
                                                    reload.update(|n| *n += 1);
                                                    Some("Link revoked.".into())
                                                });
                                            };
                                            let state = match l.revoked_ms {
                                                Some(t) => format!(" · revoked {}", format::ago(t, now)),
                                                None => String::new(),
                                            };
                                            let live = l.revoked_ms.is_none();
                                            view! {
                                                <li>
                                                    {if l.label.is_empty() { "(no label)".to_owned() } else { l.label.clone() }}
                                                    <span class="muted">{format!(" · by {} {}{state}", l.created_by, format::ago(l.created_ms, now))}</span>
                                                    {live.then(|| view! { " "<button type="button" class="small danger" on:click=revoke>"Revoke"</button> })}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }
                            })
                        }
                    }
                </Transition>
            </div>
        </details>
    }
}

/// The page's origin before a path, in the browser (links are shown in full).
fn absolute(path: &str) -> String {
    #[cfg(feature = "hydrate")]
    if let Some(origin) = web_sys::window().and_then(|w| w.location().origin().ok()) {
        return format!("{origin}{path}");
    }
    path.to_owned()
}

/// Copy the report into another project the viewer may write.
#[component]
fn ClonePanel(report: ReportRef) -> impl IntoView {
    let submit = Submit::new();
    let target = RwSignal::new(String::new());
    let go = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = target.get_untracked();
        let Some((e, p)) = t.trim().split_once('/') else {
            submit
                .error
                .set(Some("name the project as entity/project".into()));
            return;
        };
        submit.run(
            clone_report(report.clone(), ProjectRef::new(e.trim(), p.trim())),
            |href| {
                go_to(&format!("{href}/edit"));
                None
            },
        );
    };
    view! {
        <details class="report-clone">
            <summary class="button secondary">"Copy to…"</summary>
            <form class="popover card" on:submit=go>
                <label>"Project (entity/project) "
                    <input type="text" placeholder="team/project" prop:value=move || target.get() on:input=move |ev| target.set(event_target_value(&ev)) />
                </label>
                <button type="submit">"Copy report"</button>
                <p class="muted">"The copy's run sets select runs in that project."</p>
                <SubmitStatus submit />
            </form>
        </details>
    }
}

/// Delete (soft: a project admin can restore it from the Reports tab).
#[component]
fn DeletePanel(report: ReportRef) -> impl IntoView {
    let submit = Submit::new();
    let list = format!("{}/reports", report.project.href());
    let go = move |_| {
        let list = list.clone();
        submit.run(edit_report(report.clone(), ReportEdit::Delete), move |_| {
            go_to(&list);
            None
        });
    };
    view! {
        <details class="report-delete">
            <summary class="button secondary danger">"Delete"</summary>
            <div class="popover card">
                <p>"Delete this report? A project administrator can restore it from the Reports tab."</p>
                <button type="button" class="danger" on:click=go>"Delete report"</button>
                <SubmitStatus submit />
            </div>
        </details>
    }
}

/// Comments on the report and on its panels; signed-in readers add them, authors
/// and editors delete them.
#[component]
fn ReportComments(view: ReportView, report: ReportRef, reload: RwSignal<u32>) -> impl IntoView {
    let submit = Submit::new();
    let body = RwSignal::new(String::new());
    // The panel a new comment is about: (block, panel, its title).
    let target = RwSignal::new(None::<(u64, u64, String)>);
    let panels: Vec<(u64, u64, String)> = view
        .doc
        .blocks
        .iter()
        .filter_map(|b| match &b.kind {
            crate::model::BlockKind::PanelGrid { section, .. } => Some(
                section
                    .panels
                    .iter()
                    .map(|p| (b.id, p.id, p.display_title()))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    let title_of = {
        let panels = panels.clone();
        move |c: &ReportComment| {
            c.panel_id.and_then(|p| {
                panels
                    .iter()
                    .find(|x| Some(x.0) == c.block_id && x.1 == p)
                    .map(|x| x.2.clone())
            })
        }
    };
    let send = {
        let report = report.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (block_id, panel_id) = match target.get_untracked() {
                Some((b, p, _)) => (Some(b), Some(p)),
                None => (None, None),
            };
            submit.run(
                edit_report(
                    report.clone(),
                    ReportEdit::Comment {
                        block_id,
                        panel_id,
                        body: body.get_untracked(),
                    },
                ),
                move |_| {
                    body.set(String::new());
                    reload.update(|n| *n += 1);
                    None
                },
            );
        }
    };
    let now = crate::pages::now_ms();
    let list = view
        .comments
        .iter()
        .map(|c| {
            let about = title_of(c).map(|t| {
                let href = format!("#panel-{}-{}", c.block_id.unwrap_or(0), c.panel_id.unwrap_or(0));
                view! { <a class="comment-about" href=href>{format!("on {t}")}</a> }
            });
            let delete = c.can_delete.then(|| {
                let report = report.clone();
                let id = c.id;
                view! {
                    <button type="button" class="small secondary" on:click=move |_| {
                        submit.run(edit_report(report.clone(), ReportEdit::DeleteComment { id }), move |_| {
                            reload.update(|n| *n += 1);
                            None
                        });
                    }>"Delete"</button>
                }
            });
            view! {
                <li class="comment">
                    <p class="muted"><strong>{c.author.clone()}</strong>" · "{format::ago(c.at_ms, now)}" "{about}" "{delete}</p>
                    <p class="comment-body">{c.body.clone()}</p>
                </li>
            }
        })
        .collect_view();
    let form = view.signed_in.then(|| {
        let options = panels
            .iter()
            .enumerate()
            .map(|(i, (_, _, t))| view! { <option value=i.to_string()>{format!("Panel: {t}")}</option> })
            .collect_view();
        let panels = panels.clone();
        view! {
            <form class="comment-form" on:submit=send>
                <label>"About "
                    <select aria-label="What the comment is about" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        target.set(v.parse::<usize>().ok().and_then(|i| panels.get(i).cloned()));
                    }>
                        <option value="report">"The whole report"</option>
                        {options}
                    </select>
                </label>
                <textarea rows="3" aria-label="Comment" placeholder="Write a comment" maxlength="10000"
                    prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                <button type="submit" disabled=move || submit.busy.get() || body.get().trim().is_empty()>"Comment"</button>
                <SubmitStatus submit />
            </form>
        }
    });
    let count = view.comments.len();
    view! {
        <section class="card report-comments" aria-labelledby="comments-heading">
            <h2 id="comments-heading">{format!("Comments ({count})")}</h2>
            {(count == 0).then(|| view! { <p class="empty">"No comments yet."</p> })}
            <ul class="comments" aria-label="Comments">{list}</ul>
            {form}
        </section>
    }
}
