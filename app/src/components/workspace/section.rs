//! Sections of panels: the panel search, the undo bar, and each section with its
//! header (collapse, rename, layout, add panel, export, delete), its standard or
//! custom layout, dragging of sections and panels, and resizing.

use leptos::prelude::*;

use super::panel::PanelView;
use super::rename_input::RenameInput;
use super::{use_ws, Dragging};
use crate::api::workspace::save_report_draft;
use crate::logic::grid_layout::{self, page_count, page_range, per_row, snap_width};
use crate::logic::workspace::{
    add_panel, apply_rects, fresh_id, move_panel, move_section, remove_section, restore_section,
    TitleMatcher,
};
use crate::model::{
    GridRect, LinePlot, PanelKind, Section, SectionLayout, SectionSnapshot, GRID_COLUMNS, ROW_PX,
};

#[component]
pub fn Sections() -> impl IntoView {
    let ctx = use_ws();
    let section_ids = Memo::new(move |_| {
        ctx.doc
            .with(|d| d.sections.iter().map(|s| s.id).collect::<Vec<_>>())
    });
    let add_section = move |_| {
        ctx.edit(|d| {
            let id = fresh_id(d);
            let mut name = "New section".to_owned();
            let mut n = 2;
            while d.sections.iter().any(|s| s.name == name) {
                name = format!("New section {n}");
                n += 1;
            }
            d.sections.push(Section {
                id,
                name,
                collapsed: false,
                layout: SectionLayout::default(),
                panels: vec![],
            });
        })
    };
    let undo = move |_| match ctx.undo.get_untracked() {
        Some(super::Deleted::Section(index, section)) => {
            ctx.undo.set(None);
            ctx.edit(|d| restore_section(d, index, section));
        }
        Some(super::Deleted::Panel {
            section,
            index,
            panel,
        }) => {
            ctx.undo.set(None);
            ctx.edit(|d| crate::logic::workspace::restore_panel(d, section, index, panel));
        }
        None => {}
    };
    view! {
        <div class="ws-main">
            <div class="ws-toolbar">
                <input
                    type="search"
                    class="ws-panel-search"
                    placeholder="Search panels (regex allowed)"
                    aria-label="Search panels"
                    prop:value=move || ctx.panel_search.get()
                    on:input=move |ev| ctx.panel_search.set(event_target_value(&ev))
                />
                <button class="small" on:click=add_section>"+ Add section"</button>
            </div>
            {move || ctx.undo.get().map(|deleted| view! {
                <div class="ws-undo" role="status">
                    {match deleted {
                        super::Deleted::Section(_, s) => format!(
                            "Deleted section “{}” with {}. ",
                            s.name,
                            crate::logic::format::count(s.panels.len() as u64, "panel")
                        ),
                        super::Deleted::Panel { panel, .. } => format!(
                            "Deleted panel “{}”. ",
                            panel.display_title()
                        ),
                    }}
                    <button class="small" on:click=undo>"Undo"</button>
                    <button class="icon" aria-label="Dismiss" on:click=move |_| ctx.undo.set(None)>"×"</button>
                </div>
            })}
            {move || section_ids.with(Vec::is_empty).then(|| {
                // A project without runs shows how to log one.
                let no_runs = ctx.rows_total.get() == Some(0)
                    && ctx.doc.with(|d| d.runs.filter.trim().is_empty());
                view! {
                    <p class="empty">"No charts yet: log metrics from a run and they appear here, one panel per metric."</p>
                    {no_runs.then(|| view! {
                        <crate::components::quick_start::QuickStart project=ctx.project.get_value() />
                    })}
                }
            })}
            // Keyed: moving, adding or deleting a section keeps the others (and their
            // charts) as they are.
            <For each=move || section_ids.get() key=|id| *id let(id)>
                <SectionView id />
            </For>
        </div>
    }
}

/// The ids of a section's panels that match the panel search, in order.
fn matching_panels(section: &Section, search: &str) -> Vec<u64> {
    let m = TitleMatcher::new(search);
    section
        .panels
        .iter()
        .filter(|p| m.matches(&p.display_title()))
        .map(|p| p.id)
        .collect()
}

#[component]
fn SectionView(
    /// The id of the section in the workspace document.
    id: u64,
) -> impl IntoView {
    let ctx = use_ws();
    let section = Memo::new(move |_| {
        ctx.doc
            .with(|d| d.sections.iter().find(|s| s.id == id).cloned())
    });
    let name = move || section.get().map(|s| s.name).unwrap_or_default();
    let collapsed = move || section.get().is_some_and(|s| s.collapsed);
    let layout = Memo::new(move |_| section.get().map(|s| s.layout).unwrap_or_default());
    let shown = Memo::new(move |_| {
        let search = ctx.panel_search.get();
        section
            .get()
            .map(|s| matching_panels(&s, &search))
            .unwrap_or_default()
    });
    let total = move || section.get().map(|s| s.panels.len()).unwrap_or(0);
    let has_panels = Memo::new(move |_| !shown.with(Vec::is_empty));
    let is_custom = Memo::new(move |_| matches!(layout.get(), SectionLayout::Custom));
    // The standard layout's panel width (columns), height (pixels) and rows per page.
    let standard = Memo::new(move |_| match layout.get() {
        SectionLayout::Standard {
            width,
            height,
            rows,
        } => (width, height, rows),
        SectionLayout::Custom => (4, 260, 2),
    });
    let page = RwSignal::new(0usize);
    let pages = Memo::new(move |_| {
        let (width, _, rows) = standard.get();
        page_count(shown.with(Vec::len), width, rows)
    });
    // The panels on the current page of a standard layout.
    let page_ids = Memo::new(move |_| {
        let (width, _, rows) = standard.get();
        shown.with(|ids| ids[page_range(ids.len(), width, rows, page.get())].to_vec())
    });
    let renaming = RwSignal::new(false);
    let adding = RwSignal::new(false);
    crate::components::menus::use_menu(move || adding.get(), move || adding.set(false));
    let drop_hint = RwSignal::new(false);
    let body_ref = NodeRef::<leptos::html::Div>::new();
    let section_grip = NodeRef::<leptos::html::Span>::new();
    let panel_total =
        Memo::new(move |_| section.with(|s| s.as_ref().map_or(0, |s| s.panels.len())));
    let opened = RwSignal::new(None::<u64>);
    // The panel editor closes like a menu: Escape, a press elsewhere, another menu.
    crate::components::menus::use_menu(move || opened.get().is_some(), move || opened.set(None));

    let edit_section = move |f: Box<dyn FnOnce(&mut Section)>| {
        ctx.edit(move |d| {
            if let Some(s) = d.sections.iter_mut().find(|s| s.id == id) {
                f(s);
            }
        })
    };
    let toggle = move |_| edit_section(Box::new(|s| s.collapsed = !s.collapsed));
    let rename_done = Callback::new(move |name: Option<String>| {
        renaming.set(false);
        if let Some(v) = name.filter(|v| v.chars().count() <= crate::logic::workspace::MAX_NAME_LEN)
        {
            edit_section(Box::new(move |s| s.name = v));
        }
    });
    let delete = move |_| {
        let mut removed = None;
        ctx.edit(|d| removed = remove_section(d, id));
        ctx.undo
            .set(removed.map(|(i, s)| super::Deleted::Section(i, s)));
    };
    let set_layout = move |custom: bool| {
        edit_section(Box::new(move |s| {
            s.layout = if custom {
                SectionLayout::Custom
            } else {
                SectionLayout::default()
            };
        }))
    };
    let add = move |kind: &'static str| {
        adding.set(false);
        let keys = ctx.metric_keys.get_untracked();
        let columns = ctx.columns.get_untracked();
        let summary: Vec<String> = columns
            .iter()
            .filter(|c| c.id.starts_with("summary.") && c.kind == crate::model::ColumnKind::Number)
            .map(|c| c.id.clone())
            .collect();
        let prefix = section.get_untracked().map(|s| s.name).unwrap_or_default();
        let key = keys
            .iter()
            .find(|k| crate::logic::workspace::section_name(k) == prefix)
            .or(keys.first())
            .cloned()
            .unwrap_or_else(|| "loss".to_owned());
        let panel_kind = match kind {
            "scatter" => PanelKind::Scatter {
                x: summary
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "summary.x".into()),
                y: summary
                    .get(1)
                    .or(summary.first())
                    .cloned()
                    .unwrap_or_else(|| "summary.y".into()),
            },
            "bar" => PanelKind::Bar {
                metric: summary
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "summary.loss".into()),
            },
            "markdown" => PanelKind::Markdown {
                text: "## Notes\n\nWrite *markdown* here.".into(),
            },
            _ => PanelKind::Line(LinePlot::of(key)),
        };
        let mut new_id = 0;
        ctx.edit(|d| {
            new_id = fresh_id(d);
            if let Some(s) = d.sections.iter_mut().find(|s| s.id == id) {
                s.collapsed = false;
                add_panel(s, new_id, String::new(), panel_kind);
            }
        });
        opened.set(Some(new_id));
    };
    let export = move |_| {
        let Some(s) = section.get_untracked() else {
            return;
        };
        let snapshot = SectionSnapshot {
            section: s,
            runs: ctx.doc.with_untracked(|d| d.runs.clone()),
            created_ms: crate::pages::now_ms(),
        };
        let project = ctx.project.get_value();
        leptos::task::spawn_local(async move {
            let msg = match save_report_draft(project, snapshot).await {
                Ok(name) => format!("Exported “{name}”: open the Reports tab to make it a report."),
                Err(e) => format!("Could not export the section: {e}"),
            };
            ctx.status.try_set(Some(msg));
        });
    };

    // Dropping a section (reorder) or a panel (move) onto this section.
    let on_dragover = move |ev: leptos::ev::DragEvent| {
        if ctx.dragging.get_untracked().is_some() {
            ev.prevent_default();
            drop_hint.set(true);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        drop_hint.set(false);
        let Some(what) = ctx.dragging.get_untracked() else {
            return;
        };
        ev.prevent_default();
        ctx.dragging.set(None);
        match what {
            Dragging::Section(from) if from != id => ctx.edit(|d| {
                let fi = d.sections.iter().position(|s| s.id == from);
                let ti = d.sections.iter().position(|s| s.id == id);
                if let (Some(fi), Some(ti)) = (fi, ti) {
                    move_section(d, fi, ti);
                }
            }),
            Dragging::Panel(panel) => {
                let (index, at) = drop_target(
                    &ev,
                    body_ref,
                    layout.get_untracked(),
                    section.get_untracked(),
                );
                ctx.edit(|d| {
                    let same = d
                        .sections
                        .iter()
                        .find(|s| s.id == id)
                        .is_some_and(|s| s.panels.iter().any(|p| p.id == panel));
                    match (same, at) {
                        (true, Some(at)) => {
                            if let Some(s) = d.sections.iter_mut().find(|s| s.id == id) {
                                let mut items: Vec<(u64, GridRect)> =
                                    s.panels.iter().map(|p| (p.id, p.rect)).collect();
                                let keep = items
                                    .iter()
                                    .find(|(i, _)| *i == panel)
                                    .map(|(_, r)| *r)
                                    .unwrap_or_default();
                                grid_layout::place(
                                    &mut items,
                                    panel,
                                    GridRect {
                                        w: keep.w,
                                        h: keep.h,
                                        ..at
                                    },
                                );
                                apply_rects(s, &items);
                            }
                        }
                        _ => {
                            move_panel(d, panel, id, index, at);
                        }
                    }
                });
            }
            _ => {}
        }
    };

    // A finished resize: standard layouts resize every panel of the section together.
    let on_resize = Callback::new(move |(panel, w, h): (u64, f64, f64)| {
        let body_w = body_ref
            .get_untracked()
            .map(|b| f64::from(b.client_width()))
            .unwrap_or(1200.0);
        edit_section(Box::new(move |s| match &mut s.layout {
            SectionLayout::Standard { width, height, .. } => {
                *width = snap_width(w, body_w);
                *height = h.round().clamp(120.0, 1200.0) as u32;
            }
            SectionLayout::Custom => {
                let col = body_w / f64::from(GRID_COLUMNS);
                let mut items: Vec<(u64, GridRect)> =
                    s.panels.iter().map(|p| (p.id, p.rect)).collect();
                if let Some((_, r)) = items.iter().find(|(i, _)| *i == panel).copied() {
                    let to = GridRect {
                        w: (w / col).round().max(1.0) as u32,
                        h: (h / f64::from(ROW_PX)).round().max(1.0) as u32,
                        ..r
                    };
                    grid_layout::place(&mut items, panel, to);
                    apply_rects(s, &items);
                }
            }
        }));
    });

    view! {
        <section
            class="ws-section"
            class:drop-hint=move || drop_hint.get()
            data-section=name
            aria-label=move || format!("Section {}", name())
            on:dragover=on_dragover
            on:dragleave=move |_| drop_hint.set(false)
            on:drop=on_drop
        >
            <header class="ws-section-head">
                <span
                    class="ws-grip"
                    draggable="true"
                    role="button"
                    tabindex="0"
                    node_ref=section_grip
                    title="Drag to reorder sections (or focus and press ↑ / ↓)"
                    aria-label="Drag section"
                    on:keydown=move |ev| {
                        let step: i64 = match ev.key().as_str() {
                            "ArrowUp" => -1,
                            "ArrowDown" => 1,
                            _ => return,
                        };
                        ev.prevent_default();
                        ctx.edit(|d| {
                            if let Some(i) = d.sections.iter().position(|s| s.id == id) {
                                let to = (i as i64 + step).clamp(0, d.sections.len() as i64 - 1) as usize;
                                move_section(d, i, to);
                            }
                        });
                        // Moving the section moves its element: keep the focus on the grip.
                        request_animation_frame(move || {
                            if let Some(g) = section_grip.try_get_untracked().flatten() {
                                let _ = g.focus();
                            }
                        });
                    }
                    on:dragstart=move |ev: leptos::ev::DragEvent| {
                        super::panel::set_drag_data(&ev, "section");
                        ctx.dragging.set(Some(Dragging::Section(id)));
                    }
                    on:dragend=move |_| ctx.dragging.set(None)
                >"⠿"</span>
                <button
                    class="icon ws-collapse"
                    aria-expanded=move || (!collapsed()).to_string()
                    aria-label=move || format!("Collapse {}", name())
                    on:click=toggle
                >{move || if collapsed() { "▸" } else { "▾" }}</button>
                {move || if renaming.get() {
                    view! {
                        <RenameInput initial=name() label="Section name" class="ws-section-rename" on_done=rename_done />
                    }.into_any()
                } else {
                    view! {
                        <h2 class="ws-section-name" on:dblclick=move |_| renaming.set(true)>
                            {name}
                        </h2>
                    }.into_any()
                }}
                <span class="muted small ws-panel-count">
                    {move || {
                        let (s, t) = (shown.get().len(), total());
                        if s == t { crate::logic::format::count(t as u64, "panel") } else { format!("{s} of {}", crate::logic::format::count(t as u64, "panel")) }
                    }}
                </span>
                <span class="spacer"></span>
                <button class="small" aria-label=move || format!("Rename section {}", name())
                    on:click=move |_| renaming.set(true)>"Rename"</button>
                <select
                    class="small"
                    aria-label="Layout"
                    on:change=move |ev| set_layout(event_target_value(&ev) == "custom")
                >
                    <option value="standard" selected=move || !matches!(layout.get(), SectionLayout::Custom)>"Standard layout"</option>
                    <option value="custom" selected=move || matches!(layout.get(), SectionLayout::Custom)>"Custom layout"</option>
                </select>
                <div class="ws-add">
                    <button class="small" aria-haspopup="menu" aria-expanded=move || adding.get().to_string()
                        on:click=move |_| adding.update(|a| *a = !*a)>"+ Panel"</button>
                    {move || adding.get().then(|| view! {
                        <div class="ws-menu" role="menu">
                            <button role="menuitem" on:click=move |_| add("line")>"Line plot"</button>
                            <button role="menuitem" on:click=move |_| add("scatter")>"Scatter plot"</button>
                            <button role="menuitem" on:click=move |_| add("bar")>"Bar chart"</button>
                            <button role="menuitem" on:click=move |_| add("markdown")>"Markdown note"</button>
                        </div>
                    })}
                </div>
                <button class="small" title="Save this section as a report draft" on:click=export>"Export to report"</button>
                <button class="small danger" aria-label=move || format!("Delete section {}", name()) on:click=delete>"Delete"</button>
            </header>
            <Show when=move || !collapsed()>
                {move || {
                    if !has_panels.get() {
                        let msg = if panel_total.get() == 0 {
                            "No panels yet: add one, or drag one here."
                        } else {
                            "No panel matches the search."
                        };
                        return view! { <p class="empty ws-empty">{msg}</p> }.into_any();
                    }
                    if is_custom.get() {
                        // The grid is as tall as its lowest panel (it follows moves and
                        // resizes without rebuilding the panels).
                        let height = move || {
                            let rects: Vec<GridRect> = section
                                .get()
                                .map(|s| s.panels.iter().map(|p| p.rect).collect())
                                .unwrap_or_default();
                            format!("height:{}px", grid_layout::grid_rows(&rects).max(6) * ROW_PX)
                        };
                        view! {
                            <div class="ws-grid ws-custom" node_ref=body_ref style=height>
                                <For each=move || shown.get() key=|pid| *pid let(pid)>
                                    <PanelView id=pid section=id on_resize opened />
                                </For>
                            </div>
                        }.into_any()
                    } else {
                        let style = move || {
                            let (width, height, _) = standard.get();
                            format!("grid-template-columns:repeat({},minmax(0,1fr));--panel-h:{height}px", per_row(width))
                        };
                        view! {
                            <div
                                class="ws-grid ws-standard"
                                node_ref=body_ref
                                style=style
                                data-width=move || standard.get().0
                                data-height=move || standard.get().1
                            >
                                <For each=move || page_ids.get() key=|pid| *pid let(pid)>
                                    <PanelView id=pid section=id on_resize opened />
                                </For>
                            </div>
                            {move || {
                                let pages = pages.get();
                                (pages > 1).then(|| view! {
                                    <nav class="ws-pager" aria-label="Panel pages">
                                        <button class="small" disabled=move || page.get() == 0
                                            on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"‹ Prev"</button>
                                        <span>{move || format!("Page {} of {pages}", page.get().min(pages - 1) + 1)}</span>
                                        <button class="small" disabled=move || { page.get() + 1 >= pages }
                                            on:click=move |_| page.update(|p| *p = (*p + 1).min(pages - 1))>"Next ›"</button>
                                    </nav>
                                })
                            }}
                        }.into_any()
                    }
                }}
            </Show>
        </section>
    }
}

/// Where a dragged panel lands: the index in the section's panel list (before the
/// panel under the pointer, else the end) and, in a custom layout, the grid cell.
fn drop_target(
    ev: &leptos::ev::DragEvent,
    body: NodeRef<leptos::html::Div>,
    layout: SectionLayout,
    section: Option<Section>,
) -> (usize, Option<GridRect>) {
    let panels = section.map(|s| s.panels).unwrap_or_default();
    #[cfg(feature = "hydrate")]
    {
        let mut index = panels.len();
        use wasm_bindgen::JsCast;
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("[data-panel]").ok().flatten())
        {
            if let Some(pid) = el
                .get_attribute("data-panel")
                .and_then(|v| v.parse::<u64>().ok())
            {
                if let Some(i) = panels.iter().position(|p| p.id == pid) {
                    index = i;
                }
            }
        }
        if let (SectionLayout::Custom, Some(b)) = (layout, body.get_untracked()) {
            let rect = b.get_bounding_client_rect();
            let col = rect.width() / f64::from(GRID_COLUMNS);
            let x = ((f64::from(ev.client_x()) - rect.left()) / col)
                .floor()
                .max(0.0) as u32;
            let y = ((f64::from(ev.client_y()) - rect.top()) / f64::from(ROW_PX))
                .floor()
                .max(0.0) as u32;
            return (index, Some(GridRect { x, y, w: 4, h: 6 }));
        }
        (index, None)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (ev, body, layout);
        (panels.len(), None)
    }
}
