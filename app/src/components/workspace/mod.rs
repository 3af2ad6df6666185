//! The Workspace tab: a runs sidebar beside sections of chart panels.
//!
//! State lives in one [`WsCtx`] (context). The saved part is a [`WorkspaceDoc`]
//! (sections, panels, run selection), edited only through [`WsCtx::edit`], which
//! saves it for a signed-in viewer half a second after the last change. The
//! sidebar's filter, search, grouping and sort also go into the URL, so a link
//! opens the same view; a link's values win over the saved ones.
//!
//! Panels load independently: each fetches its own buckets once it scrolls into
//! view, and while any drawn run is running, visible line plots ask only for
//! points after the last step they have (see `line_panel`).

mod bar_panel;
pub(crate) mod line_panel;
mod markdown_panel;
mod panel;
mod panel_editor;
mod rename_input;
mod scatter_panel;
mod section;
mod sidebar;
mod static_plot;

pub(crate) use panel::set_drag_data;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::runs_table::query_runs;
use crate::api::workspace::{get_workspace, save_workspace};
use crate::logic::workspace::{
    add_new_keys, drawn_runs, group_value, keep_view, name_matcher, run_color,
};
use crate::model::{
    ColumnInfo, ProjectRef, RunRow, RunSelection, RunState, RunsQuery, Section, SortSpec,
    WorkspaceDoc, MAX_PAGE_ROWS,
};

/// Most runs the sidebar loads (pages of [`MAX_PAGE_ROWS`]).
pub const SIDEBAR_MAX_RUNS: u64 = 5_000;

pub use crate::logic::line_panel::DrawnRun;

/// Whether the save of the document is done.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    Saved,
    Pending,
    Failed(String),
    /// Signed out: changes last until the page is left.
    Local,
}

/// What is being dragged between sections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dragging {
    Panel(u64),
    Section(u64),
}

/// Something deleted that the undo bar can bring back.
#[derive(Clone, Debug)]
pub enum Deleted {
    /// A section with its panels, and where it was.
    Section(usize, Section),
    /// A panel: its section's id and its place there.
    Panel {
        section: u64,
        index: usize,
        panel: crate::model::Panel,
    },
}

#[derive(Clone, Copy)]
pub struct WsCtx {
    pub project: StoredValue<ProjectRef>,
    pub doc: RwSignal<WorkspaceDoc>,
    pub metric_keys: RwSignal<Vec<String>>,
    pub columns: RwSignal<Vec<ColumnInfo>>,
    pub can_write: RwSignal<bool>,
    pub signed_in: RwSignal<bool>,
    /// The runs matching the filter, in sort order.
    pub rows: RwSignal<Vec<RunRow>>,
    pub rows_total: RwSignal<Option<u64>>,
    pub runs_error: RwSignal<Option<String>>,
    /// Bumped after a change to runs (rename, delete, stop) to reload them.
    pub refresh_runs: RwSignal<u64>,
    /// Runs listed in the sidebar: matching rows whose name matches the search.
    pub listed: Memo<Vec<RunRow>>,
    /// Runs the charts draw, in sidebar order.
    pub drawn: Memo<Vec<DrawnRun>>,
    pub panel_search: RwSignal<String>,
    pub save_state: RwSignal<SaveState>,
    save_generation: RwSignal<u64>,
    /// A save is on its way; `resave`: another was asked for meanwhile.
    saving: RwSignal<bool>,
    resave: RwSignal<bool>,
    /// The last deleted section or panel, which the undo bar can bring back.
    pub undo: RwSignal<Option<Deleted>>,
    pub dragging: RwSignal<Option<Dragging>>,
    /// Bumped every few seconds while a drawn run is running: visible line plots
    /// then ask for new points.
    pub live_tick: RwSignal<u64>,
    pub status: RwSignal<Option<String>>,
    /// While a shared link's view (filter, search, grouping, sort) is shown: the
    /// visitor's own saved view, which saves keep until they choose "Keep this view".
    pub own_view: RwSignal<Option<RunSelection>>,
}

pub fn use_ws() -> WsCtx {
    expect_context::<WsCtx>()
}

impl WsCtx {
    /// Change the document and save it soon (half a second after the last change).
    pub fn edit(&self, f: impl FnOnce(&mut WorkspaceDoc)) {
        self.doc.update(f);
        if !self.signed_in.get_untracked() {
            self.save_state.set(SaveState::Local);
            return;
        }
        self.save_state.set(SaveState::Pending);
        let generation = self.save_generation.get_untracked() + 1;
        self.save_generation.set(generation);
        let ctx = *self;
        set_timeout(
            move || {
                if ctx.save_generation.try_get_untracked() == Some(generation) {
                    ctx.save_now();
                }
            },
            std::time::Duration::from_millis(500),
        );
    }

    /// Send the document now. One save at a time, so an older document can never
    /// arrive after a newer one: a save asked for meanwhile follows when it is done.
    fn save_now(&self) {
        let ctx = *self;
        if ctx.saving.try_get_untracked() != Some(false) {
            ctx.resave.try_set(true);
            return;
        }
        let (Some(doc), Some(generation), Some(project)) = (
            ctx.doc.try_get_untracked(),
            ctx.save_generation.try_get_untracked(),
            ctx.project.try_get_value(),
        ) else {
            return;
        };
        // A shared view being looked at is not the visitor's own: save their own.
        let doc = match ctx.own_view.try_get_untracked().flatten() {
            Some(own) => {
                let mut d = doc;
                keep_view(&mut d.runs, &own);
                d
            }
            None => doc,
        };
        ctx.saving.set(true);
        leptos::task::spawn_local(async move {
            let result = save_workspace(project, doc).await;
            ctx.saving.try_set(false);
            if ctx.resave.try_get_untracked() == Some(true) {
                ctx.resave.try_set(false);
                ctx.save_now();
                return;
            }
            // A newer change is waiting for its timer: not saved yet.
            if ctx.save_generation.try_get_untracked() != Some(generation) {
                return;
            }
            ctx.save_state.try_set(match result {
                Ok(()) => SaveState::Saved,
                Err(e) => SaveState::Failed(e.to_string()),
            });
        });
    }

    /// Change the sidebar's shareable view (filter, search, grouping, sort): saved
    /// like any edit, and put into the address bar so the link opens this view.
    pub fn edit_view(&self, f: impl FnOnce(&mut WorkspaceDoc)) {
        self.edit(f);
        self.sync_url();
    }

    /// Replace the address bar's URL with one carrying the shareable view. The
    /// router is not involved: the tab reads the URL only when it loads.
    fn sync_url(&self) {
        let runs = self.doc.with_untracked(|d| d.runs.clone());
        let group: Vec<String> = runs.group_by.into_iter().collect();
        let mut query =
            crate::logic::runs_table::view_query_string(&runs.filter, runs.sort.as_ref(), &group);
        if !runs.search.is_empty() {
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str("search=");
            query.push_str(&crate::logic::url::encode_segment(&runs.search));
            if runs.search_regex {
                query.push_str("&regex=1");
            }
        }
        let url = format!("{}/workspace{query}", self.project.get_value().href());
        #[cfg(feature = "hydrate")]
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
    }
}

impl WsCtx {
    /// Make the shared view the visitor's own (saved from now on).
    pub fn keep_shared_view(&self) {
        self.own_view.set(None);
        self.edit(|_| {});
    }

    /// Leave the shared view for the visitor's own saved one.
    pub fn leave_shared_view(&self) {
        if let Some(own) = self.own_view.get_untracked() {
            self.own_view.set(None);
            self.doc.update(|d| keep_view(&mut d.runs, &own));
            self.sync_url();
        }
    }
}

/// The Workspace tab of a project.
#[component]
pub fn WorkspaceTab(
    /// The project whose runs are compared.
    project: ProjectRef,
) -> impl IntoView {
    let doc = RwSignal::new(WorkspaceDoc::default());
    let rows = RwSignal::new(Vec::<RunRow>::new());
    let listed = Memo::new(move |_| {
        let (search, regex, group_by) = doc.with(|d| {
            (
                d.runs.search.clone(),
                d.runs.search_regex,
                d.runs.group_by.clone(),
            )
        });
        let all = rows.get();
        let mut out: Vec<RunRow> = match name_matcher(&search, regex) {
            Ok(Some(re)) => all.into_iter().filter(|r| re.is_match(&r.name)).collect(),
            _ => all,
        };
        // Grouped: runs of a group together, groups in the order they first appear
        // (within a group the sort order stays).
        if let Some(by) = group_by {
            let mut order: Vec<String> = Vec::new();
            for r in &out {
                let g = group_value(r, &by);
                if !order.contains(&g) {
                    order.push(g);
                }
            }
            out.sort_by_cached_key(|r| {
                let g = group_value(r, &by);
                order.iter().position(|o| *o == g).unwrap_or(usize::MAX)
            });
        }
        out
    });
    let drawn = Memo::new(move |_| {
        let list = listed.get();
        doc.with(|d| {
            let ids = drawn_runs(list.iter().map(|r| &r.id), &d.runs.hidden, d.runs.max_runs);
            ids.into_iter()
                .filter_map(|id| list.iter().find(|r| r.id == id))
                .map(|r| DrawnRun {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    color: run_color(d, r),
                    group: d.runs.group_by.as_deref().map(|by| group_value(r, by)),
                    running: r.state == RunState::Running,
                })
                .collect::<Vec<_>>()
        })
    });
    let ctx = WsCtx {
        project: StoredValue::new(project.clone()),
        doc,
        metric_keys: RwSignal::new(vec![]),
        columns: RwSignal::new(vec![]),
        can_write: RwSignal::new(false),
        signed_in: RwSignal::new(false),
        rows,
        rows_total: RwSignal::new(None),
        runs_error: RwSignal::new(None),
        refresh_runs: RwSignal::new(0),
        listed,
        drawn,
        panel_search: RwSignal::new(String::new()),
        save_state: RwSignal::new(SaveState::Saved),
        save_generation: RwSignal::new(0),
        saving: RwSignal::new(false),
        resave: RwSignal::new(false),
        undo: RwSignal::new(None),
        dragging: RwSignal::new(None),
        live_tick: RwSignal::new(0),
        status: RwSignal::new(None),
        own_view: RwSignal::new(None),
    };
    provide_context(ctx);
    // Leaving the tab within half a second of a change still saves it.
    on_cleanup(move || {
        if ctx.save_state.try_get_untracked() == Some(SaveState::Pending) {
            if let (Some(doc), Some(project)) =
                (ctx.doc.try_get_untracked(), ctx.project.try_get_value())
            {
                leptos::task::spawn_local(async move {
                    let _ = save_workspace(project, doc).await;
                });
            }
        }
    });

    let loaded = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    let query = use_query_map();
    let data = LocalResource::new({
        let project = project.clone();
        move || get_workspace(project.clone())
    });
    Effect::new(move |_| match data.get() {
        Some(Ok(d)) => {
            ctx.metric_keys.set(d.metric_keys.clone());
            ctx.columns.set(d.columns);
            ctx.can_write.set(d.can_write);
            ctx.signed_in.set(d.signed_in);
            let first_visit = d.doc.is_none();
            let mut doc = d.doc.unwrap_or_default();
            let grew = add_new_keys(&mut doc, &d.metric_keys);
            // A shared link's view is shown instead of the saved one, without
            // replacing it: saves keep the visitor's own until they keep the link's.
            let own = doc.runs.clone();
            let from_url = query.with_untracked(|q| {
                let mut changed = false;
                if let Some(f) = q.get("filter") {
                    doc.runs.filter = f;
                    changed = true;
                }
                if let Some(s) = q.get("search") {
                    doc.runs.search = s;
                    doc.runs.search_regex = q.get("regex").is_some_and(|r| r == "1");
                    changed = true;
                }
                if let Some(g) = q.get("group") {
                    doc.runs.group_by = (!g.is_empty()).then_some(g);
                    changed = true;
                }
                if let Some(column) = q.get("sort") {
                    doc.runs.sort = (!column.is_empty()).then(|| SortSpec {
                        column,
                        desc: q.get("desc").is_some_and(|d| d == "1"),
                    });
                    changed = true;
                }
                changed
            });
            let differs = from_url && {
                let mut mine = doc.runs.clone();
                keep_view(&mut mine, &own);
                mine != doc.runs
            };
            if differs && !first_visit {
                ctx.own_view.set(Some(own));
            }
            ctx.doc.set(doc);
            if (first_visit || grew) && d.signed_in {
                ctx.edit(|_| {});
            }
            loaded.set(true);
        }
        Some(Err(e)) => load_error.set(Some(e.to_string())),
        None => {}
    });

    // The sidebar's runs: every page of the filtered, sorted runs (up to a limit),
    // with the values grouping and scatter or bar panels need.
    let runs_key = Memo::new(move |_| {
        let refresh = ctx.refresh_runs.get();
        doc.with(|d| {
            let mut columns: Vec<String> = Vec::new();
            if let Some(g) = &d.runs.group_by {
                if g.starts_with("config.") || g.starts_with("summary.") {
                    columns.push(g.clone());
                }
            }
            for s in &d.sections {
                for p in &s.panels {
                    match &p.kind {
                        crate::model::PanelKind::Scatter { x, y } => {
                            columns.push(x.clone());
                            columns.push(y.clone());
                        }
                        crate::model::PanelKind::Bar { metric } => columns.push(metric.clone()),
                        _ => {}
                    }
                }
            }
            columns.sort();
            columns.dedup();
            columns.retain(|c| c.starts_with("config.") || c.starts_with("summary."));
            (d.runs.filter.clone(), d.runs.sort.clone(), columns, refresh)
        })
    });
    let runs_generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        if !loaded.get() {
            return;
        }
        let (filter, sort, columns, _) = runs_key.get();
        let project = ctx.project.get_value();
        let generation = runs_generation.get_value() + 1;
        runs_generation.set_value(generation);
        leptos::task::spawn_local(async move {
            let mut all: Vec<RunRow> = Vec::new();
            let mut total;
            loop {
                let q = RunsQuery {
                    filter: filter.clone(),
                    sort: sort.clone(),
                    within: vec![],
                    columns: columns.clone(),
                    offset: all.len() as u64,
                    limit: MAX_PAGE_ROWS,
                };
                match query_runs(project.clone(), q).await {
                    Ok(page) => {
                        let done = page.rows.is_empty();
                        total = page.total;
                        all.extend(page.rows);
                        if done
                            || all.len() as u64 >= page.total
                            || all.len() as u64 >= SIDEBAR_MAX_RUNS
                        {
                            break;
                        }
                    }
                    Err(e) => {
                        if runs_generation.try_get_value() == Some(generation) {
                            ctx.runs_error.try_set(Some(e.to_string()));
                        }
                        return;
                    }
                }
            }
            if runs_generation.try_get_value() != Some(generation) {
                return;
            }
            ctx.runs_error.try_set(None);
            ctx.rows_total.try_set(Some(total));
            ctx.rows.try_set(all);
        });
    });
    // Live: while a drawn run is running, tick every 5 seconds (line plots then ask
    // for new points), and reload the runs every 30 seconds to see states change.
    #[cfg(feature = "hydrate")]
    {
        let any_running = Memo::new(move |_| drawn.with(|d| d.iter().any(|r| r.running)));
        let handle = set_interval_with_handle(
            move || {
                if any_running.try_get_untracked() == Some(true) {
                    let t = ctx.live_tick.get_untracked() + 1;
                    ctx.live_tick.set(t);
                    if t.is_multiple_of(6) {
                        ctx.refresh_runs.update(|n| *n += 1);
                    }
                }
            },
            std::time::Duration::from_secs(5),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }

    view! {
        <div class="workspace" data-loaded=move || loaded.get().to_string()>
            {move || load_error.get().map(|e| view! {
                <p class="error-message" role="alert">"Could not load the workspace: "{e}</p>
            })}
            <Show
                when=move || loaded.get()
                fallback=|| view! { <p class="loading">"Loading workspace…"</p> }
            >
                <sidebar::RunsSidebar />
                <section::Sections />
            </Show>
        </div>
    }
}
