use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;

use super::cells::{cell_view, width_of, CHECK_WIDTH};
use crate::api::runs_table::query_runs;
use crate::logic::filter::FieldValue;
use crate::logic::runs_table::{move_column, set_pinned, set_visible, TableColumn};
use crate::model::{RunRow, RunsQuery, SortSpec};

/// Height of one row in pixels; fixed so the scroll position maps to a row index.
const ROW_HEIGHT: f64 = 34.0;
/// Rows per request.
const PAGE: u64 = 100;
/// Rows drawn beyond the visible ones, above and below.
const OVERSCAN: u64 = 8;

/// The runs table: sticky header with sort/pin/hide menus and drag-to-reorder, pinned
/// columns, and only the rows in view drawn (pages fetched as they scroll in).
#[component]
pub fn RunsGrid(
    /// Equality conditions restricting the rows (one group's runs); empty for all.
    within: Vec<(String, Option<FieldValue>)>,
    /// Height of the scrolling area at most, in pixels.
    max_height: f64,
    /// Whether this is the tab's main table (it reports the run count).
    main: bool,
) -> impl IntoView {
    let ctx = super::use_table();
    let pages = RwSignal::new(BTreeMap::<u64, Vec<RunRow>>::new());
    let total = RwSignal::new(None::<u64>);
    let error = RwSignal::new(None::<String>);
    let scroll_top = RwSignal::new(0.0f64);
    let in_flight = StoredValue::new(BTreeSet::<u64>::new());
    let generation = StoredValue::new(0u64);
    let scroller: NodeRef<leptos::html::Div> = NodeRef::new();
    let within = StoredValue::new(within);

    // What the rows depend on; a change starts over from the first page.
    let key = Memo::new(move |_| {
        let fields: Vec<String> = ctx
            .visible()
            .into_iter()
            .map(|c| c.id)
            .filter(|id| id.starts_with("config.") || id.starts_with("summary."))
            .collect();
        (ctx.filter.get(), ctx.sort.get(), fields, ctx.refresh.get())
    });

    let fetch = move |page: u64| {
        if in_flight.with_value(|f| f.contains(&page))
            || pages.with_untracked(|p| p.contains_key(&page))
        {
            return;
        }
        in_flight.update_value(|f| {
            f.insert(page);
        });
        let (filter, sort, columns, _) = key.get_untracked();
        let gen = generation.get_value();
        let query = RunsQuery {
            filter,
            sort,
            within: within.get_value(),
            columns,
            offset: page * PAGE,
            limit: PAGE,
        };
        let project = ctx.project.get_value();
        leptos::task::spawn_local(async move {
            let answer = query_runs(project, query).await;
            // The grid may have been replaced while the request ran (`try_`: its
            // state may be gone), or its query changed: then drop the answer.
            if generation.try_get_value() != Some(gen) {
                return;
            }
            in_flight.try_update_value(|f| {
                f.remove(&page);
            });
            match answer {
                Ok(p) => {
                    total.try_set(Some(p.total));
                    if main {
                        ctx.total.try_set(Some(p.total));
                    }
                    pages.try_update(|m| {
                        m.insert(page, p.rows);
                    });
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    };

    let viewport = move || {
        let rows_in_view = (max_height / ROW_HEIGHT).ceil() as u64;
        let first = (scroll_top.get() / ROW_HEIGHT).floor() as u64;
        (
            first.saturating_sub(OVERSCAN),
            first + rows_in_view + OVERSCAN,
        )
    };

    Effect::new(move |_| {
        key.track();
        generation.update_value(|g| *g += 1);
        in_flight.set_value(BTreeSet::new());
        pages.set(BTreeMap::new());
        error.set(None);
        fetch(0);
    });
    Effect::new(move |_| {
        let (from, to) = viewport();
        let Some(n) = total.get() else { return };
        let last = to.min(n);
        if last == 0 {
            return;
        }
        for page in (from / PAGE)..=((last - 1) / PAGE) {
            fetch(page);
        }
    });

    let rows_window = move || {
        let n = total.get().unwrap_or(0);
        let (from, to) = viewport();
        let to = to.min(n);
        let from = from.min(to);
        let got = pages.get();
        let rows: Vec<(u64, Option<RunRow>)> = (from..to)
            .map(|i| {
                (
                    i,
                    got.get(&(i / PAGE))
                        .and_then(|p| p.get((i % PAGE) as usize))
                        .cloned(),
                )
            })
            .collect();
        (from, to, n, rows)
    };

    // Shift-click selects the range from the last clicked row.
    let last_clicked = StoredValue::new(None::<u64>);
    let toggle_row = move |index: u64, id: String, shift: bool| {
        ctx.all_matching.set(false);
        let anchor = last_clicked.get_value();
        last_clicked.set_value(Some(index));
        let on = !ctx.selected.with_untracked(|s| s.contains(&id));
        if let (true, Some(a)) = (shift, anchor) {
            let (lo, hi) = (a.min(index), a.max(index));
            let ids: Vec<String> = pages.with_untracked(|p| {
                (lo..=hi)
                    .filter_map(|i| {
                        p.get(&(i / PAGE))
                            .and_then(|rows| rows.get((i % PAGE) as usize))
                    })
                    .map(|r| r.id.0.clone())
                    .collect()
            });
            ctx.selected.update(|s| {
                for id in ids {
                    s.insert(id);
                }
            });
        } else {
            ctx.selected.update(|s| {
                if on {
                    s.insert(id);
                } else {
                    s.remove(&id);
                }
            });
        }
    };

    let on_scroll = move |_| {
        if let Some(el) = scroller.get_untracked() {
            scroll_top.set(el.scroll_top() as f64);
        }
    };

    view! {
        <div
            class="runs-scroll"
            node_ref=scroller
            on:scroll=on_scroll
            style=move || {
                let n = total.get().unwrap_or(0);
                let h = crate::logic::runs_table::table_height(n, ROW_HEIGHT, 42.0, max_height);
                format!("max-height:{}px;height:{h}px", max_height + 42.0)
            }
        >
            <table class="runs-grid" aria-label="Runs" aria-rowcount=move || total.get().map(|n| (n + 1).to_string())>
                <Header />
                <tbody>
                    {move || {
                        let (from, to, n, rows) = rows_window();
                        let cols = ctx.visible();
                        let project = ctx.project.get_value();
                        let selected = ctx.selected.get();
                        let all = ctx.all_matching.get();
                        let top = from as f64 * ROW_HEIGHT;
                        let bottom = (n - to) as f64 * ROW_HEIGHT;
                        let span = cols.len() + 1;
                        let body = rows
                            .into_iter()
                            .map(|(i, row)| match row {
                                None => view! {
                                    <tr class="placeholder"><td colspan=span>"…"</td></tr>
                                }
                                .into_any(),
                                Some(r) => {
                                    let id = r.id.0.clone();
                                    let id_attr = id.clone();
                                    let checked = all || selected.contains(&id);
                                    let label = format!("Select {}", r.name);
                                    let cells = cols
                                        .iter()
                                        .enumerate()
                                        .map(|(ci, c)| {
                                            let (class, style) = sticky(&cols, ci);
                                            let num = matches!(c.kind, crate::model::ColumnKind::Number);
                                            view! {
                                                <td class=format!("{class}{}", if num { " num" } else { "" }) style=style data-col=c.id.clone()>
                                                    {cell_view(&project, &r, &c.id)}
                                                </td>
                                            }
                                        })
                                        .collect_view();
                                    view! {
                                        <tr data-run=id_attr aria-rowindex=(i + 2).to_string() class:selected=checked>
                                            <td class="check pin" style="left:0">
                                                <input type="checkbox" aria-label=label prop:checked=checked
                                                    on:click=move |ev: leptos::ev::MouseEvent| toggle_row(i, id.clone(), ev.shift_key()) />
                                            </td>
                                            {cells}
                                        </tr>
                                    }
                                    .into_any()
                                }
                            })
                            .collect_view();
                        view! {
                            <tr class="spacer" aria-hidden="true" style=format!("height:{top}px")></tr>
                            {body}
                            <tr class="spacer" aria-hidden="true" style=format!("height:{bottom}px")></tr>
                        }
                    }}
                </tbody>
            </table>
            {move || match (total.get(), error.get()) {
                (_, Some(e)) => view! { <p class="error-message" role="alert">{e}</p> }.into_any(),
                (None, None) => view! { <p class="loading">"Loading runs…"</p> }.into_any(),
                (Some(0), None) => view! { <p class="empty">"No runs match this filter."</p> }.into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}

/// Class and inline style that keep the checkbox, Name and pinned columns in place
/// while the table scrolls sideways.
fn sticky(cols: &[TableColumn], index: usize) -> (String, String) {
    let c = &cols[index];
    let width = width_of(&c.id);
    let size = format!("width:{width}px;min-width:{width}px;max-width:{width}px");
    if c.id == "name" || c.pinned {
        let left: f64 = CHECK_WIDTH
            + cols[..index]
                .iter()
                .filter(|p| p.id == "name" || p.pinned)
                .map(|p| width_of(&p.id))
                .sum::<f64>();
        let last_pin = !cols.get(index + 1).is_some_and(|n| n.pinned);
        (
            format!("pin{}", if last_pin { " pin-edge" } else { "" }),
            format!("{size};left:{left}px"),
        )
    } else {
        (String::new(), size)
    }
}

/// The header row: click a title to sort, ⋮ for the column menu, drag to reorder.
#[component]
fn Header() -> impl IntoView {
    let ctx = super::use_table();
    let set_view = super::use_set_view();
    let menu = RwSignal::new(None::<String>);
    crate::components::menus::use_menu(move || menu.get().is_some(), move || menu.set(None));
    let dragging = RwSignal::new(None::<String>);
    let set_sort = move |sort: Option<SortSpec>| {
        set_view(super::ViewChange {
            sort: Some(sort),
            ..Default::default()
        })
    };
    view! {
        <thead>
            <tr>
                <th class="check pin" style=format!("left:0;width:{CHECK_WIDTH}px") scope="col">
                    <span class="visually-hidden">"Select"</span>
                </th>
                {move || {
                    let cols = ctx.visible();
                    let sort = ctx.sort.get();
                    cols.iter()
                        .enumerate()
                        .map(|(ci, c)| {
                            let (class, style) = sticky(&cols, ci);
                            let id = c.id.clone();
                            let title = c.title();
                            let source = c.source();
                            let sorted = sort.as_ref().filter(|s| s.column == id).map(|s| s.desc);
                            let aria_sort = match sorted {
                                Some(true) => "descending",
                                Some(false) => "ascending",
                                None => "none",
                            };
                            let arrow = match sorted {
                                Some(true) => " ▼",
                                Some(false) => " ▲",
                                None => "",
                            };
                            let set_sort = set_sort.clone();
                            let set_sort2 = set_sort.clone();
                            let set_sort3 = set_sort.clone();
                            let (i1, i2, i3, i4, i5, i6, i7, i8) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                            let pinned = c.pinned;
                            let sort_title = format!("Sort by {id}");
                            let is_name = id == "name";
                            view! {
                                <th
                                    scope="col"
                                    class=class
                                    style=style
                                    aria-sort=aria_sort
                                    data-col=id.clone()
                                    draggable=(!is_name).then_some("true")
                                    class:drop-target=move || dragging.get().is_some_and(|d| d != i1)
                                    on:dragstart=move |_| dragging.set(Some(i2.clone()))
                                    on:dragend=move |_| dragging.set(None)
                                    on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                                    on:drop=move |ev: leptos::ev::DragEvent| {
                                        ev.prevent_default();
                                        if let Some(from) = dragging.get_untracked() {
                                            let order: Vec<String> = ctx.layout().into_iter().map(|c| c.id).collect();
                                            let new_order = move_column(&order, &from, &i3);
                                            ctx.change_settings(|s| s.order = new_order);
                                        }
                                        dragging.set(None);
                                    }
                                >
                                    <div class="th-inner">
                                        // A span, not a <button>: Chromium starts no drag on a button,
                                        // and the whole header cell must be draggable.
                                        <span class="col-title" role="button" tabindex="0" title=sort_title
                                            on:click={
                                                let (set_sort, i4) = (set_sort.clone(), i4.clone());
                                                move |_| set_sort(Some(SortSpec { column: i4.clone(), desc: sorted == Some(false) }))
                                            }
                                            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                                if ev.key() == "Enter" || ev.key() == " " {
                                                    ev.prevent_default();
                                                    set_sort(Some(SortSpec { column: i4.clone(), desc: sorted == Some(false) }));
                                                }
                                            }>
                                            <span class="src">{source}</span>
                                            <span class="key">{title.clone()}{arrow}</span>
                                        </span>
                                        <button class="col-menu" aria-label=format!("Column menu for {}", i5) aria-haspopup="menu"
                                            on:click=move |_| menu.update(|m| *m = if m.as_deref() == Some(i5.as_str()) { None } else { Some(i5.clone()) })>"⋮"</button>
                                    </div>
                                    <Show when=move || menu.get().as_deref() == Some(i6.as_str())>
                                        {
                                            let (a, b, c2, d) = (i7.clone(), i7.clone(), i8.clone(), i8.clone());
                                            let (s2, s3) = (set_sort2.clone(), set_sort3.clone());
                                            view! {
                                                <div class="col-menu-list" role="menu">
                                                    <button role="menuitem" on:click=move |_| { menu.set(None); s2(Some(SortSpec { column: a.clone(), desc: false })) }>"Sort ascending"</button>
                                                    <button role="menuitem" on:click=move |_| { menu.set(None); s3(Some(SortSpec { column: b.clone(), desc: true })) }>"Sort descending"</button>
                                                    {(!is_name).then(|| {
                                                        let c3 = c2.clone();
                                                        view! {
                                                            <button role="menuitem" on:click=move |_| { menu.set(None); ctx.change_settings(|s| set_pinned(s, &c3, !pinned)) }>
                                                                {if pinned { "Unpin column" } else { "Pin column" }}
                                                            </button>
                                                            <button role="menuitem" on:click=move |_| { menu.set(None); ctx.change_settings(|s| set_visible(s, &d, false)) }>"Hide column"</button>
                                                        }
                                                    })}
                                                </div>
                                            }
                                        }
                                    </Show>
                                </th>
                            }
                        })
                        .collect_view()
                }}
            </tr>
        </thead>
    }
}
