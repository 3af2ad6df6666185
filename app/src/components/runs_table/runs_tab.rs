use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::bulk_bar::BulkBar;
use super::columns_dialog::ColumnsDialog;
use super::filter_bar::FilterBar;
use super::group_list::GroupList;
use super::runs_grid::RunsGrid;
use super::TableCtx;
use crate::api::runs_table::{export_runs_csv, get_runs_table_meta};
use crate::model::{ProjectRef, SortSpec};

/// The Runs tab of a project.
#[component]
pub fn RunsTab(
    /// The project whose runs are listed.
    project: ProjectRef,
) -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|q| q.get("filter").unwrap_or_default()));
    let sort = Memo::new(move |_| {
        query.with(|q| {
            q.get("sort")
                .filter(|s| !s.is_empty())
                .map(|column| SortSpec {
                    column,
                    desc: q.get("desc").is_some_and(|d| d == "1"),
                })
        })
    });
    let group_by = Memo::new(move |_| {
        query.with(|q| {
            q.get_all("group")
                .unwrap_or_default()
                .into_iter()
                .filter(|g| !g.is_empty())
                .collect::<Vec<_>>()
        })
    });
    let ctx = TableCtx {
        project: StoredValue::new(project.clone()),
        columns: RwSignal::new(vec![]),
        settings: RwSignal::new(Default::default()),
        can_write: RwSignal::new(false),
        signed_in: RwSignal::new(false),
        filter,
        sort,
        group_by,
        refresh: RwSignal::new(0),
        selected: RwSignal::new(BTreeSet::new()),
        all_matching: RwSignal::new(false),
        total: RwSignal::new(None),
        status: RwSignal::new(None),
    };
    provide_context(ctx);
    let loaded = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    // Columns and saved settings, fetched in the browser (refetched after bulk changes,
    // which can add columns); the server render shows the loading state.
    let meta = LocalResource::new({
        let project = project.clone();
        move || {
            ctx.refresh.track();
            get_runs_table_meta(project.clone())
        }
    });
    Effect::new(move |_| match meta.get() {
        Some(Ok(m)) => {
            ctx.columns.set(m.columns);
            if !loaded.get_untracked() {
                ctx.settings.set(m.settings);
            }
            ctx.can_write.set(m.can_write);
            ctx.signed_in.set(m.signed_in);
            // Set once: every change would rebuild the table below.
            if !loaded.get_untracked() {
                loaded.set(true);
            }
        }
        Some(Err(e)) => load_error.set(Some(e.to_string())),
        None => {}
    });
    // A new filter clears the selection: it may no longer be visible.
    Effect::new(move |_| {
        ctx.filter.track();
        ctx.selected.set(BTreeSet::new());
        ctx.all_matching.set(false);
    });
    let show_columns = RwSignal::new(false);
    let exporting = RwSignal::new(false);
    let export = move |_| {
        if exporting.get_untracked() {
            return;
        }
        exporting.set(true);
        let columns: Vec<String> = ctx.visible().into_iter().map(|c| c.id).collect();
        let (project, filter, sort) = (
            ctx.project.get_value(),
            ctx.filter.get_untracked(),
            ctx.sort.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match export_runs_csv(project.clone(), filter, sort, columns).await {
                Ok(csv) => {
                    crate::components::download::download_text(
                        &format!("{}-runs.csv", project.project),
                        "text/csv;charset=utf-8",
                        &csv,
                    );
                    ctx.status.try_set(Some("Exported the view as CSV.".into()));
                }
                Err(e) => {
                    ctx.status.try_set(Some(format!("Export failed: {e}")));
                }
            }
            exporting.try_set(false);
        });
    };
    view! {
        <section class="card runs-tab" aria-label="Runs table">
            <FilterBar />
            <div class="runs-toolbar">
                <GroupPicker />
                <button class="secondary" on:click=move |_| show_columns.set(true)>"Columns…"</button>
                <button class="secondary" on:click=export disabled=move || exporting.get()>
                    {move || if exporting.get() { "Exporting…" } else { "Export CSV" }}
                </button>
                <span class="muted runs-count" data-testid="runs-count">
                    {move || ctx.total.get().map(|n| crate::logic::format::count(n, "run")).unwrap_or_default()}
                </span>
            </div>
            <BulkBar />
            <p class="status" role="status">{move || ctx.status.get()}</p>
            {move || {
                if let Some(e) = load_error.get() {
                    return view! { <p class="error-message" role="alert">{e}</p> }.into_any();
                }
                if !loaded.get() {
                    return view! { <p class="loading">"Loading runs…"</p> }.into_any();
                }
                if ctx.group_by.get().is_empty() {
                    view! { <RunsGrid within=vec![] max_height=640.0 main=true /> }.into_any()
                } else {
                    view! { <GroupList /> }.into_any()
                }
            }}
            <Show when=move || show_columns.get()>
                <ColumnsDialog on_close=Callback::new(move |_| show_columns.set(false)) />
            </Show>
        </section>
    }
}

/// Choose columns to group by (chips with a remove button, and a select to add one).
#[component]
fn GroupPicker() -> impl IntoView {
    let ctx = super::use_table();
    let set_view = super::use_set_view();
    let set_groups = move |groups: Vec<String>| {
        set_view(super::ViewChange {
            group: Some(groups),
            ..Default::default()
        })
    };
    let add = {
        let set_groups = set_groups.clone();
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            if v.is_empty() {
                return;
            }
            let mut g = ctx.group_by.get_untracked();
            if !g.contains(&v) {
                g.push(v);
            }
            set_groups(g);
        }
    };
    view! {
        <div class="group-picker">
            {move || {
                let set_groups = set_groups.clone();
                ctx.group_by
                    .get()
                    .into_iter()
                    .map(|g| {
                        let set_groups = set_groups.clone();
                        let label = format!("Stop grouping by {g}");
                        let gid = g.clone();
                        view! {
                            <span class="chip">
                                "Grouped by "<strong>{g.clone()}</strong>
                                <button class="chip-x" aria-label=label on:click=move |_| {
                                    let rest: Vec<String> = ctx.group_by.get_untracked().into_iter().filter(|x| *x != gid).collect();
                                    set_groups(rest);
                                }>"×"</button>
                            </span>
                        }
                    })
                    .collect_view()
            }}
            <select aria-label="Group by" on:change=add prop:value="">
                <option value="">"Group by…"</option>
                {move || ctx
                    .columns
                    .get()
                    .into_iter()
                    .filter(|c| c.id != "tags" && c.id != "name" && c.id != "id")
                    .map(|c| view! { <option value=c.id.clone()>{c.id.clone()}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}
