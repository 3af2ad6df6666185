//! The runs sidebar: search, filter, grouping, sort, how many runs charts draw, and
//! one row per run with its eye toggle, colour and dot menu.

use leptos::prelude::*;

use super::rename_input::RenameInput;
use super::{use_ws, SaveState};
use crate::api::runs_table::bulk_update_runs;
use crate::logic::filter::parse_filter;
use crate::logic::workspace::hex;
use crate::logic::workspace::{name_matcher, parse_hex_color};
use crate::model::{
    BulkAction, BulkTarget, ColumnKind, RunRow, RunState, SortSpec, MAX_DRAWN_RUNS,
};

/// A few colours to pick from; any `#rrggbb` can be typed too.
const SWATCHES: [&str; 10] = [
    "#1f77b4", "#e4571a", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

#[component]
pub fn RunsSidebar() -> impl IntoView {
    let ctx = use_ws();
    let runs = move || ctx.doc.with(|d| d.runs.clone());
    let search_error = Memo::new(move |_| {
        ctx.doc
            .with(|d| name_matcher(&d.runs.search, d.runs.search_regex).err())
    });
    // The filter is applied when it parses; errors show with their column.
    let filter_text = RwSignal::new(ctx.doc.with_untracked(|d| d.runs.filter.clone()));
    let filter_error = Memo::new(move |_| {
        let text = filter_text.get();
        match parse_filter(&text) {
            Ok(_) => None,
            Err(e) => {
                let column = text.get(..e.start).map_or(e.start, |t| t.chars().count()) + 1;
                Some(format!("Column {column}: {}", e.message))
            }
        }
    });
    let apply_filter = move || {
        if filter_error.get_untracked().is_none() {
            let f = filter_text.get_untracked();
            ctx.edit_view(|d| d.runs.filter = f);
        }
    };
    let sortable = Memo::new(move |_| {
        ctx.columns
            .get()
            .into_iter()
            .filter(|c| c.kind != ColumnKind::Tags && c.id != "id")
            .map(|c| c.id)
            .collect::<Vec<_>>()
    });
    let groupable = Memo::new(move |_| {
        let mut out = vec!["group".to_owned(), "job_type".to_owned()];
        out.extend(
            ctx.columns
                .get()
                .into_iter()
                .filter(|c| c.id.starts_with("config."))
                .map(|c| c.id),
        );
        out
    });
    let group_by = Memo::new(move |_| ctx.doc.with(|d| d.runs.group_by.clone()));
    // The list: runs, with a heading before each group when grouping.
    let entries = Memo::new(move |_| {
        let by = group_by.get();
        let mut last: Option<String> = None;
        let mut out = Vec::new();
        for row in ctx.listed.get() {
            if let Some(by) = &by {
                let g = crate::logic::workspace::group_value(&row, by);
                if last.as_ref() != Some(&g) {
                    out.push(Entry::Head(format!("{by}: {g}")));
                    last = Some(g);
                }
            }
            out.push(Entry::Run(Box::new(row)));
        }
        out
    });
    let count = move || {
        let listed = ctx.listed.with(Vec::len);
        let drawn = ctx.drawn.with(Vec::len);
        let noun = if listed == 1 { "run" } else { "runs" };
        format!("{listed} {noun} ({drawn} visualized)")
    };
    let runs_href = move || {
        let r = runs();
        let group: Vec<String> = r.group_by.into_iter().collect();
        format!(
            "{}/runs{}",
            ctx.project.get_value().href(),
            crate::logic::runs_table::view_query_string(&r.filter, r.sort.as_ref(), &group)
        )
    };
    view! {
        <aside class="ws-sidebar" aria-label="Runs">
            <div class="ws-sidebar-head">
                <span class="ws-count" data-testid="run-count">{count}</span>
                <a class="small" href=runs_href title="Open these runs in the Runs table">"Expand ⤢"</a>
            </div>
            <div class="ws-field">
                <input
                    type="search"
                    placeholder="Search run names"
                    aria-label="Search run names"
                    prop:value=move || runs().search
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        ctx.edit_view(|d| d.runs.search = v);
                    }
                />
                <label class="ws-check" title="Search with a regular expression">
                    <input
                        type="checkbox"
                        aria-label="Regex search"
                        prop:checked=move || runs().search_regex
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            ctx.edit_view(|d| d.runs.search_regex = on);
                        }
                    />
                    ".*"
                </label>
            </div>
            {move || search_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="ws-field">
                <input
                    type="text"
                    class="mono"
                    placeholder="Filter, e.g. config.lr < 0.01 and state = \"finished\""
                    aria-label="Filter runs"
                    aria-invalid=move || filter_error.get().is_some().to_string()
                    prop:value=move || filter_text.get()
                    on:input=move |ev| filter_text.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            apply_filter();
                        }
                    }
                    on:blur=move |_| apply_filter()
                />
            </div>
            {move || filter_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            <div class="ws-controls">
                <label>
                    "Group "
                    <select
                        aria-label="Group runs by"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            ctx.edit_view(|d| d.runs.group_by = (!v.is_empty()).then_some(v));
                        }
                    >
                        <option value="" selected=move || runs().group_by.is_none()>"none"</option>
                        {move || {
                            let current = runs().group_by;
                            groupable
                                .get()
                                .into_iter()
                                .map(|g| {
                                    let selected = current.as_deref() == Some(g.as_str());
                                    view! { <option value=g.clone() selected=selected>{g.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
                <label>
                    "Sort "
                    <select
                        aria-label="Sort runs by"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            ctx.edit_view(|d| {
                                let desc = d.runs.sort.as_ref().is_some_and(|s| s.desc);
                                d.runs.sort = (!v.is_empty()).then_some(SortSpec { column: v, desc });
                            });
                        }
                    >
                        <option value="" selected=move || runs().sort.is_none()>"newest"</option>
                        {move || {
                            let current = runs().sort.map(|s| s.column);
                            sortable
                                .get()
                                .into_iter()
                                .map(|c| {
                                    let selected = current.as_deref() == Some(c.as_str());
                                    view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
                <button
                    class="small"
                    aria-label="Sort direction"
                    title="Ascending or descending"
                    disabled=move || runs().sort.is_none()
                    on:click=move |_| ctx.edit_view(|d| {
                        if let Some(s) = d.runs.sort.as_mut() {
                            s.desc = !s.desc;
                        }
                    })
                >
                    {move || if runs().sort.is_some_and(|s| s.desc) { "↓ desc" } else { "↑ asc" }}
                </button>
                <label title="How many runs the charts draw">
                    "Plot "
                    <input
                        type="number"
                        class="ws-max-runs"
                        min="1"
                        max=MAX_DRAWN_RUNS.to_string()
                        aria-label="Runs plotted"
                        prop:value=move || runs().max_runs.to_string()
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                                let n = n.clamp(1, MAX_DRAWN_RUNS);
                                ctx.edit(|d| d.runs.max_runs = n);
                            }
                        }
                    />
                    " runs"
                </label>
            </div>
            {move || ctx.own_view.get().is_some().then(|| view! {
                <div class="ws-shared" role="status">
                    <p>"You are looking at a shared view. Your own saved view is unchanged."</p>
                    <button class="small primary" on:click=move |_| ctx.keep_shared_view()>"Keep this view"</button>
                    <button class="small" on:click=move |_| ctx.leave_shared_view()>"Back to my view"</button>
                </div>
            })}
            <SaveNote />
            {move || ctx.runs_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
            {move || ctx.status.get().map(|s| view! { <p class="ws-status" role="status">{s}</p> })}
            <ul class="ws-runs" aria-label="Runs in this workspace">
                {move || ctx.listed.with(Vec::is_empty).then(|| {
                    let msg = if ctx.rows_total.get().is_none() { "Loading runs…" } else { "No runs match." };
                    view! { <li class="empty">{msg}</li> }
                })}
                // Keyed by what a row shows, so a reload of the runs (every 30 s while
                // one runs) keeps open menus and half-typed names of unchanged rows.
                <For each=move || entries.get() key=|e| e.key() let(entry)>
                    {match entry {
                        Entry::Head(text) => view! { <li class="ws-group-head">{text}</li> }.into_any(),
                        Entry::Run(row) => view! { <RunItem row=*row /> }.into_any(),
                    }}
                </For>
            </ul>
        </aside>
    }
}

/// One line of the runs list.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Head(String),
    Run(Box<RunRow>),
}

impl Entry {
    fn key(&self) -> String {
        match self {
            Entry::Head(text) => format!("h\u{1f}{text}"),
            Entry::Run(r) => format!(
                "r\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
                r.id.0,
                r.name,
                r.state.as_str(),
                r.color.as_deref().unwrap_or("")
            ),
        }
    }
}

/// Whether the workspace is saved.
#[component]
fn SaveNote() -> impl IntoView {
    let ctx = use_ws();
    move || {
        let (text, state) = match ctx.save_state.get() {
            SaveState::Saved => ("Saved".to_owned(), "saved"),
            SaveState::Pending => ("Saving…".to_owned(), "pending"),
            SaveState::Failed(e) => (format!("Not saved: {e}"), "failed"),
            SaveState::Local => ("Sign in to keep this layout".to_owned(), "local"),
        };
        view! { <p class="ws-save" data-save=state role="status">{text}</p> }
    }
}

/// One run: eye toggle, colour, name (links to the run), dot menu.
#[component]
fn RunItem(
    /// The run this sidebar line shows.
    row: RunRow,
) -> impl IntoView {
    let ctx = use_ws();
    let id = row.id.clone();
    let hidden = {
        let id = id.clone();
        Memo::new(move |_| ctx.doc.with(|d| d.runs.hidden.contains(&id)))
    };
    let drawn = {
        let id = id.clone();
        Memo::new(move |_| ctx.drawn.with(|d| d.iter().any(|r| r.id == id)))
    };
    let color = {
        let row = row.clone();
        Memo::new(move |_| {
            // Drawn runs show the colour their lines have; others their own.
            let drawn = ctx
                .drawn
                .with(|d| d.iter().find(|r| r.id == row.id).map(|r| r.color));
            drawn.unwrap_or_else(|| {
                ctx.doc
                    .with(|d| crate::logic::workspace::run_color(d, &row))
            })
        })
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            ctx.edit(move |d| {
                if let Some(i) = d.runs.hidden.iter().position(|h| *h == id) {
                    d.runs.hidden.remove(i);
                } else {
                    d.runs.hidden.push(id);
                }
            });
        }
    };
    let picking = RwSignal::new(false);
    crate::components::menus::use_menu(move || picking.get(), move || picking.set(false));
    let menu = RwSignal::new(false);
    crate::components::menus::use_menu(move || menu.get(), move || menu.set(false));
    let renaming = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let name = row.name.clone();
    let href = ctx.project.get_value().run_href(&row.id);
    let running = row.state == RunState::Running;
    let set_color = {
        let id = id.clone();
        move |c: String| {
            if parse_hex_color(&c).is_some() {
                let id = id.0.clone();
                ctx.edit(move |d| {
                    d.runs.colors.insert(id, c);
                });
            }
        }
    };
    let act = {
        let id = id.clone();
        move |action: BulkAction, done: &'static str| {
            let (project, id) = (ctx.project.get_value(), id.clone());
            menu.set(false);
            leptos::task::spawn_local(async move {
                match bulk_update_runs(project, BulkTarget::Runs(vec![id]), action).await {
                    Ok(_) => {
                        ctx.status.try_set(Some(done.to_owned()));
                        ctx.refresh_runs.try_update(|n| *n += 1);
                    }
                    Err(e) => {
                        ctx.status
                            .try_set(Some(format!("Could not change the run: {e}")));
                    }
                }
            });
        }
    };
    let row_name = row.name.clone();
    let act_rename = act.clone();
    let rename_done = Callback::new(move |name: Option<String>| {
        renaming.set(false);
        if let Some(v) = name {
            act_rename(BulkAction::Rename(v), "Renamed the run.");
        }
    });
    let act_stop = act.clone();
    let act_delete = act;
    let set_color_text = set_color.clone();
    let label_name = row.name.clone();
    view! {
        <li
            class="ws-run"
            class:ws-run-hidden=move || hidden.get()
            class:ws-run-drawn=move || drawn.get()
            data-run=id.0.clone()
        >
            <button
                class="icon ws-eye"
                aria-pressed=move || (!hidden.get()).to_string()
                aria-label=format!("Show {} in charts", label_name)
                title=move || if hidden.get() { "Hidden from charts: show" } else { "Shown in charts: hide" }
                on:click=toggle
            >
                {move || if hidden.get() { "◌" } else { "◉" }}
            </button>
            <button
                class="ws-swatch"
                aria-label="Run colour"
                aria-haspopup="dialog"
                aria-expanded=move || picking.get().to_string()
                style=move || format!("background:{}", hex(color.get()))
                on:click=move |_| picking.update(|p| *p = !*p)
            ></button>
            {move || renaming.get().then(|| view! {
                <RenameInput initial=row_name.clone() label="New run name" class="ws-rename" on_done=rename_done />
            })}
            <a class="ws-run-name" href=href.clone() hidden=move || renaming.get() title=name.clone()>{name.clone()}</a>
            {running.then(|| view! { <span class="ws-live" title="Running">"●"</span> })}
            <button
                class="icon ws-dots"
                aria-label="Run actions"
                aria-haspopup="menu"
                aria-expanded=move || menu.get().to_string()
                on:click=move |_| menu.update(|m| *m = !*m)
            >"⋮"</button>
            {move || picking.get().then(|| {
                let set_color = set_color.clone();
                let set_color_text = set_color_text.clone();
                view! {
                    <div class="ws-picker" role="dialog" aria-label="Pick a colour">
                        {SWATCHES.iter().map(|c| {
                            let set_color = set_color.clone();
                            view! {
                                <button
                                    class="ws-swatch"
                                    style=format!("background:{c}")
                                    aria-label=format!("Colour {c}")
                                    on:click=move |_| { set_color(c.to_string()); picking.set(false); }
                                ></button>
                            }
                        }).collect_view()}
                        <input
                            class="mono ws-hex"
                            aria-label="Colour as #rrggbb"
                            placeholder="#rrggbb"
                            prop:value=move || hex(color.get())
                            on:change=move |ev| set_color_text(event_target_value(&ev).trim().to_lowercase())
                        />
                    </div>
                }
            })}
            {move || menu.get().then(|| {
                let act_stop = act_stop.clone();
                let act_delete = act_delete.clone();
                let can_write = ctx.can_write.get();
                view! {
                    <div class="ws-menu" role="menu">
                        <button role="menuitem" disabled=!can_write on:click=move |_| { menu.set(false); renaming.set(true); }>"Rename"</button>
                        {running.then(|| view! {
                            <button role="menuitem" disabled=!can_write
                                on:click=move |_| act_stop(BulkAction::Stop, "Asked the run to stop.")>"Stop run"</button>
                        })}
                        {move || if confirm_delete.get() {
                            let act_delete = act_delete.clone();
                            view! {
                                <button role="menuitem" class="danger"
                                    on:click=move |_| act_delete(BulkAction::Delete, "Deleted the run.")>"Confirm delete"</button>
                            }.into_any()
                        } else {
                            view! {
                                <button role="menuitem" disabled=!can_write
                                    on:click=move |_| confirm_delete.set(true)>"Delete"</button>
                            }.into_any()
                        }}
                        {(!can_write).then(|| view! { <p class="muted small">"You can read this project but not change its runs."</p> })}
                    </div>
                }
            })}
        </li>
    }
}
