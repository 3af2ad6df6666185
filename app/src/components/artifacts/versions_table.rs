use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::artifacts::get_artifact_versions;
use crate::components::error_view::ErrorView;
use crate::logic::format;
use crate::logic::url::encode_segment;
use crate::model::{
    collection_href, ProjectRef, VersionRef, VersionSort, VersionsPage, VersionsQuery,
    VERSIONS_PER_PAGE,
};

/// The table's state, read from and written to the URL: sort, direction, page and
/// the producing runs' summary values shown as extra columns.
#[derive(Clone, Debug, PartialEq)]
struct TableState {
    sort: VersionSort,
    desc: bool,
    page: u64,
    extra: Vec<String>,
}

impl TableState {
    fn href(&self, base: &str) -> String {
        let mut q = vec![
            format!("sort={}", self.sort.slug()),
            format!("desc={}", u8::from(self.desc)),
        ];
        if self.page > 0 {
            q.push(format!("page={}", self.page + 1));
        }
        if !self.extra.is_empty() {
            q.push(format!("cols={}", encode_segment(&self.extra.join(","))));
        }
        format!("{base}?{}", q.join("&"))
    }
}

/// What the versions table shows: its state from the URL and the page of versions of
/// the collection named by the route (`None` when no collection is picked).
#[derive(Clone, Copy)]
pub struct Versions {
    state: Memo<TableState>,
    page: Resource<Result<Option<VersionsPage>, crate::api::AppError>>,
}

impl Versions {
    /// Made once, at the top of the Artifacts tab, never inside a `Suspend`: on the
    /// server a suspended view is rebuilt more than once, and a resource made while
    /// rebuilding gets a different serialization id than in the browser, which then
    /// hydrates its table from another resource's data (or none) and fails.
    pub fn new(project: ProjectRef, type_name: Memo<String>, collection: Memo<String>) -> Self {
        let query = use_query_map();
        let state = Memo::new(move |_| {
            query.with(|q| TableState {
                sort: q
                    .get("sort")
                    .and_then(|s| VersionSort::from_slug(&s))
                    .unwrap_or_default(),
                desc: q.get("desc").is_none_or(|d| d != "0"),
                page: q
                    .get("page")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1)
                    .saturating_sub(1),
                extra: q
                    .get("cols")
                    .map(|c| {
                        c.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        });
        let page = Resource::new(
            move || (type_name.get(), collection.get(), state.get()),
            move |(t, c, s)| {
                let project = project.clone();
                async move {
                    if c.is_empty() {
                        return Ok(None);
                    }
                    let query = VersionsQuery {
                        collection: c,
                        sort: s.sort,
                        descending: s.desc,
                        offset: s.page * VERSIONS_PER_PAGE,
                        limit: VERSIONS_PER_PAGE,
                    };
                    get_artifact_versions(project, t, query).await.map(Some)
                }
            },
        );
        Versions { state, page }
    }
}

/// A collection's versions: sortable by the column headers, paged, with the
/// producing runs' numeric summary values as optional columns. Links only, so it
/// works without JavaScript and every view has its own URL.
#[component]
pub fn VersionsTable(
    /// The project the collection belongs to.
    project: ProjectRef,
    /// The collection's type (from the URL).
    type_name: String,
    /// The collection's name (from the URL).
    collection: String,
    /// The table's state and data (see [`Versions::new`]).
    versions: Versions,
) -> impl IntoView {
    let Versions { state, page } = versions;
    let base = collection_href(&project, &type_name, &collection);
    view! {
        <section class="card artifacts-main" aria-label="Versions">
            <Transition fallback=|| view! { <p class="loading">"Loading versions…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {
                        let (project, type_name, base) = (project.clone(), type_name.clone(), base.clone());
                        move || {
                            let (project, type_name, base) = (project.clone(), type_name.clone(), base.clone());
                            Suspend::new(async move {
                                let data = page.await?;
                                Ok::<_, crate::api::AppError>(data.map(|data| view! {
                                    <Table project type_name base data state=state.get_untracked() />
                                }))
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn Table(
    project: ProjectRef,
    type_name: String,
    base: String,
    data: VersionsPage,
    state: TableState,
) -> impl IntoView {
    let now = crate::pages::now_ms();
    let c = &data.collection;
    let header = |label: &'static str, sort: VersionSort, numeric: bool| {
        let active = state.sort == sort;
        let next = TableState {
            sort,
            desc: if active { !state.desc } else { true },
            page: 0,
            ..state.clone()
        };
        let arrow = match (active, state.desc) {
            (true, true) => " ↓",
            (true, false) => " ↑",
            _ => "",
        };
        let sorted = active.then_some(if state.desc {
            "descending"
        } else {
            "ascending"
        });
        view! {
            <th scope="col" class:num=numeric aria-sort=sorted>
                <a href=next.href(&base)>{label}{arrow}</a>
            </th>
        }
    };
    let extra = state.extra.clone();
    let toggles = data
        .summary_keys
        .iter()
        .map(|k| {
            let mut next = state.clone();
            let on = next.extra.contains(k);
            if on {
                next.extra.retain(|e| e != k);
            } else {
                next.extra.push(k.clone());
            }
            view! {
                <li><a href=next.href(&base) aria-pressed=on.to_string()>{if on { "✓ " } else { "" }}{k.clone()}</a></li>
            }
        })
        .collect_view();
    let pages = data.total.div_ceil(VERSIONS_PER_PAGE).max(1);
    let pager = (pages > 1).then(|| {
        let prev = (state.page > 0).then(|| {
            TableState {
                page: state.page - 1,
                ..state.clone()
            }
            .href(&base)
        });
        let next = (state.page + 1 < pages).then(|| {
            TableState {
                page: state.page + 1,
                ..state.clone()
            }
            .href(&base)
        });
        view! {
            <nav class="pager" aria-label="Pages">
                {prev.map(|h| view! { <a href=h rel="prev">"← Newer"</a> })}
                <span class="muted">{format!("page {} of {pages}", state.page + 1)}</span>
                {next.map(|h| view! { <a href=h rel="next">"Older →"</a> })}
            </nav>
        }
    });
    let rows = data
        .rows
        .iter()
        .map(|r| {
            let href = VersionRef {
                project: project.clone(),
                type_name: type_name.clone(),
                collection: c.name.clone(),
                version: r.name(),
            }
            .href();
            let summary_cells = extra
                .iter()
                .map(|k| {
                    let v = r.summary.iter().find(|(key, _)| key == k).map(|(_, v)| format::number(*v));
                    view! { <td class="num">{v.unwrap_or_else(|| "–".into())}</td> }
                })
                .collect_view();
            let ttl = r.ttl_seconds.map(|s| format!("{} days", s / 86_400)).unwrap_or_else(|| "–".into());
            view! {
                <tr>
                    <td><a href=href.clone() class="version-link">{r.name()}</a></td>
                    <td>{r.aliases.iter().filter(|a| **a != r.name()).map(|a| view! { <span class="alias">{a.clone()}</span> }).collect_view()}</td>
                    <td>{r.tags.iter().map(|t| view! { <span class="tag">{t.clone()}</span> }).collect_view()}</td>
                    <td class="num">{format::bytes(r.size.max(0) as u64)}</td>
                    <td class="num">{r.file_count}</td>
                    <td title=format::timestamp(r.created_at)>{format::ago(r.created_at, now)}</td>
                    <td>{r.created_by.clone().map(|l| { let href = l.href(); view! { <a href=href>{l.name}</a> } })}</td>
                    <td class="num">{r.consumers}</td>
                    <td>{ttl}</td>
                    {summary_cells}
                </tr>
            }
        })
        .collect_view();
    let extra_heads = state
        .extra
        .iter()
        .map(|k| view! { <th scope="col" class="num">{k.clone()}</th> })
        .collect_view();
    view! {
        <div class="heading-row">
            <h2>
                <span class="muted">{c.type_name.clone()}" / "</span>{c.name.clone()}
            </h2>
            <span class="muted">{format::count(c.versions, "version")}</span>
        </div>
        {c.description.clone().map(|d| view! { <p class="description">{d}</p> })}
        {(!data.summary_keys.is_empty()).then(|| view! {
            <details class="column-picker">
                <summary>"Columns from the producing run's summary"</summary>
                <ul>{toggles}</ul>
            </details>
        })}
        <div class="table-scroll">
            <table class="list versions" aria-label="Versions">
                <thead>
                    <tr>
                        {header("Version", VersionSort::Version, false)}
                        <th scope="col">"Aliases"</th>
                        <th scope="col">"Tags"</th>
                        {header("Size", VersionSort::Size, true)}
                        {header("Files", VersionSort::Files, true)}
                        {header("Created", VersionSort::Created, false)}
                        <th scope="col">"Created by"</th>
                        <th scope="col" class="num">"Consumers"</th>
                        <th scope="col">"TTL"</th>
                        {extra_heads}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {data.rows.is_empty().then(|| view! { <p class="empty">"No versions left in this collection."</p> })}
        {pager}
    }
}
