//! A panel grid's settings in the editor: its run sets (name, the Runs tab's filter,
//! sort, grouping, how many runs the charts draw, frozen or live) and its panels
//! (the Workspace's kinds: line, scatter, bar, markdown) with their size.

use leptos::prelude::*;

use super::editor::use_editor;
use crate::api::runs_table::query_runs;
use crate::logic::grid_layout;
use crate::logic::reports::freeze;
use crate::model::{
    BlockKind, GridRect, LinePlot, Panel, PanelKind, RunSet, RunsQuery, SectionLayout, SortSpec,
    XSpec, GRID_COLUMNS, MAX_PAGE_ROWS, ROW_PX,
};

type GridChange = Box<dyn FnOnce(&mut Vec<RunSet>, &mut crate::model::Section)>;

#[component]
pub fn GridEditor(
    /// The panel grid block.
    id: u64,
) -> impl IntoView {
    let ctx = use_editor();
    let grid = Memo::new(move |_| {
        ctx.doc.with(|d| {
            d.blocks
                .iter()
                .find(|b| b.id == id)
                .and_then(|b| match &b.kind {
                    BlockKind::PanelGrid { run_sets, section } => {
                        Some((run_sets.clone(), section.clone()))
                    }
                    _ => None,
                })
        })
    });
    let change = move |f: GridChange| {
        ctx.edit(id, move |d| {
            if let Some(b) = d.blocks.iter_mut().find(|b| b.id == id) {
                if let BlockKind::PanelGrid { run_sets, section } = &mut b.kind {
                    f(run_sets, section);
                }
            }
        })
    };
    // Lists re-render when their length changes or the document is replaced; text
    // fields keep their own value while typing.
    let sets_len = Memo::new(move |_| grid.with(|g| g.as_ref().map_or(0, |g| g.0.len())));
    let panels_len = Memo::new(move |_| grid.with(|g| g.as_ref().map_or(0, |g| g.1.panels.len())));
    let freeze_error = RwSignal::new(None::<String>);
    let sets = move || {
        let _ = sets_len.get();
        ctx.epoch.track();
        let run_sets = grid.get_untracked().map(|g| g.0).unwrap_or_default();
        run_sets
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let sort_col = s.sort.as_ref().map(|x| x.column.clone()).unwrap_or_default();
                let desc = s.sort.as_ref().is_some_and(|x| x.desc);
                let frozen = s.frozen.as_ref().map(|f| f.len());
                let columns = ctx.columns.get_value();
                let freeze_toggle = move |ev| {
                    let on = event_target_checked(&ev);
                    if !on {
                        change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) { s.frozen = None }));
                        return;
                    }
                    let Some(set) = grid.get_untracked().and_then(|g| g.0.get(i).cloned()) else { return };
                    let project = ctx.report.get_value().project;
                    leptos::task::spawn_local(async move {
                        let q = RunsQuery {
                            filter: set.filter.clone(),
                            sort: set.sort.clone(),
                            within: Vec::new(),
                            columns: Vec::new(),
                            offset: 0,
                            limit: MAX_PAGE_ROWS,
                        };
                        match query_runs(project, q).await {
                            Ok(page) => {
                                let ids: Vec<_> = page.rows.into_iter().map(|r| r.id).collect();
                                let frozen = freeze(&set, &ids);
                                change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) { *s = frozen }));
                                ctx.epoch.update(|e| *e += 1);
                            }
                            Err(e) => freeze_error.set(Some(format!("Could not freeze: {e}"))),
                        }
                    });
                };
                view! {
                    <fieldset class="run-set-editor">
                        <legend>{format!("Run set {}", i + 1)}</legend>
                        <label>"Name "<input type="text" prop:value=s.name.clone() aria-label="Run set name"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) { s.name = v })); } /></label>
                        <label class="wide">"Filter "<input type="text" class="code" prop:value=s.filter.clone() aria-label="Run set filter"
                            placeholder="state = \"finished\" and config.lr < 0.01" disabled=frozen.is_some()
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) { s.filter = v })); } /></label>
                        <label>"Sort by "<select aria-label="Run set sort" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) {
                                s.sort = (!v.is_empty()).then(|| SortSpec { column: v, desc: s.sort.as_ref().is_some_and(|x| x.desc) });
                            }));
                        }>
                            <option value="" selected=sort_col.is_empty()>"newest first"</option>
                            {columns.iter().map(|c| view! { <option value=c.clone() selected=*c == sort_col>{c.clone()}</option> }).collect_view()}
                        </select></label>
                        <label><input type="checkbox" checked=desc aria-label="Descending" on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) { if let Some(x) = s.sort.as_mut() { x.desc = on } }));
                        } />" descending"</label>
                        <label>"Group by "<input type="text" prop:value=s.group_by.first().cloned().unwrap_or_default() aria-label="Group by column" placeholder="config.optimizer"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) {
                                s.group_by = if v.trim().is_empty() { Vec::new() } else { vec![v.trim().to_owned()] };
                            })); } /></label>
                        <label>"Runs drawn "<input type="number" min="1" max="500" class="short" prop:value=s.max_runs.to_string() aria-label="Runs drawn"
                            on:input=move |ev| { let v: u32 = event_target_value(&ev).parse().unwrap_or(10); change(Box::new(move |sets, _| if let Some(s) = sets.get_mut(i) { s.max_runs = v.clamp(1, 500) })); } /></label>
                        <label><input type="checkbox" checked=frozen.is_some() on:change=freeze_toggle />
                            {match frozen { Some(n) => format!(" frozen on {n} runs"), None => " freeze the runs that match now".to_owned() }}</label>
                        <button type="button" class="small secondary danger" on:click=move |_| change(Box::new(move |sets, _| { if sets.len() > 1 { sets.remove(i); } }))>"Remove run set"</button>
                    </fieldset>
                }
            })
            .collect_view()
    };
    let panels = move || {
        let _ = panels_len.get();
        ctx.epoch.track();
        let panels = grid.get_untracked().map(|g| g.1.panels).unwrap_or_default();
        panels
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let settings = match &p.kind {
                    PanelKind::Line(l) => {
                        let y = l.y.join(", ");
                        let x = match &l.x { XSpec::Step => "step", XSpec::RelativeTime => "relative", XSpec::WallTime => "wall", XSpec::Metric(_) => "metric" };
                        view! {
                            <label class="wide">"Metrics "<input type="text" list=format!("report-metric-keys-{id}") prop:value=y aria-label="Metrics (comma separated, * matches any)"
                                on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(PanelKind::Line(l)) = s.panels.get_mut(i).map(|p| &mut p.kind) {
                                    l.y = v.split(',').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
                                })); } /></label>
                            <label>"x "<select aria-label="x axis" on:change=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(PanelKind::Line(l)) = s.panels.get_mut(i).map(|p| &mut p.kind) {
                                l.x = match v.as_str() { "relative" => XSpec::RelativeTime, "wall" => XSpec::WallTime, _ => XSpec::Step };
                            })); }>
                                <option value="step" selected=x == "step">"Step"</option>
                                <option value="relative" selected=x == "relative">"Relative time"</option>
                                <option value="wall" selected=x == "wall">"Wall time"</option>
                            </select></label>
                        }.into_any()
                    }
                    PanelKind::Scatter { x, y } => view! {
                        <label>"x "<input type="text" list=format!("report-columns-{id}") prop:value=x.clone() aria-label="Scatter x column"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(PanelKind::Scatter { x, .. }) = s.panels.get_mut(i).map(|p| &mut p.kind) { *x = v })); } /></label>
                        <label>"y "<input type="text" list=format!("report-columns-{id}") prop:value=y.clone() aria-label="Scatter y column"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(PanelKind::Scatter { y, .. }) = s.panels.get_mut(i).map(|p| &mut p.kind) { *y = v })); } /></label>
                    }.into_any(),
                    PanelKind::Bar { metric } => view! {
                        <label>"Column "<input type="text" list=format!("report-columns-{id}") prop:value=metric.clone() aria-label="Bar column"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(PanelKind::Bar { metric }) = s.panels.get_mut(i).map(|p| &mut p.kind) { *metric = v })); } /></label>
                    }.into_any(),
                    PanelKind::Markdown { text } => view! {
                        <textarea rows="2" prop:value=text.clone() aria-label="Panel text"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(PanelKind::Markdown { text }) = s.panels.get_mut(i).map(|p| &mut p.kind) { *text = v })); }></textarea>
                    }.into_any(),
                };
                let kind = match &p.kind { PanelKind::Line(_) => "Line", PanelKind::Scatter { .. } => "Scatter", PanelKind::Bar { .. } => "Bar", PanelKind::Markdown { .. } => "Markdown" };
                view! {
                    <li class="panel-editor-row">
                        <span class="block-kind">{kind}</span>
                        <label>"Title "<input type="text" prop:value=p.title.clone() placeholder=p.display_title() aria-label="Panel title"
                            on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| if let Some(p) = s.panels.get_mut(i) { p.title = v })); } /></label>
                        {settings}
                        <button type="button" class="small secondary" aria-label="Move panel earlier" disabled=i == 0
                            on:click=move |_| change(Box::new(move |_, s| if i > 0 && i < s.panels.len() { s.panels.swap(i - 1, i) }))>"←"</button>
                        <button type="button" class="small secondary danger" on:click=move |_| change(Box::new(move |_, s| { if i < s.panels.len() { s.panels.remove(i); } }))>"Remove panel"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let add = move |kind: &'static str| {
        let pid = ctx.fresh_id();
        let first_key = ctx
            .metric_keys
            .get_value()
            .first()
            .cloned()
            .unwrap_or_else(|| "loss".into());
        let panel_kind = match kind {
            "scatter" => PanelKind::Scatter {
                x: "config.lr".into(),
                y: format!("summary.{first_key}"),
            },
            "bar" => PanelKind::Bar {
                metric: format!("summary.{first_key}"),
            },
            "markdown" => PanelKind::Markdown {
                text: String::new(),
            },
            _ => PanelKind::Line(LinePlot::of(first_key)),
        };
        change(Box::new(move |_, s| {
            s.panels.push(Panel {
                id: pid,
                title: String::new(),
                kind: panel_kind,
                rect: Default::default(),
            })
        }));
    };
    // The custom layout: each panel placed and sized on the 12-column grid, as in
    // the Workspace (the same placing rules, `logic::grid_layout`).
    let custom = Memo::new(move |_| {
        grid.with(|g| {
            g.as_ref()
                .is_some_and(|g| matches!(g.1.layout, SectionLayout::Custom))
        })
    });
    let boxes = Memo::new(move |_| {
        grid.with(|g| {
            g.as_ref()
                .map(|g| {
                    g.1.panels
                        .iter()
                        .map(|p| (p.id, p.display_title(), p.rect))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let set_custom = move |on: bool| {
        change(Box::new(move |_, s| {
            if on {
                let (w, h) = match s.layout {
                    SectionLayout::Standard { width, height, .. } => (
                        width.clamp(grid_layout::MIN_COLS, GRID_COLUMNS),
                        (height / ROW_PX).max(grid_layout::MIN_ROWS),
                    ),
                    SectionLayout::Custom => (4, 6),
                };
                let mut placed: Vec<GridRect> = Vec::new();
                for p in &mut s.panels {
                    p.rect = grid_layout::free_spot(&placed, w, h);
                    placed.push(p.rect);
                }
                s.layout = SectionLayout::Custom;
            } else {
                s.layout = SectionLayout::default();
            }
        }))
    };
    let place = move |pid: u64, to: GridRect| {
        change(Box::new(move |_, s| {
            let mut items: Vec<(u64, GridRect)> = s.panels.iter().map(|p| (p.id, p.rect)).collect();
            grid_layout::place(&mut items, pid, to);
            for p in &mut s.panels {
                if let Some((_, r)) = items.iter().find(|(i, _)| *i == p.id) {
                    p.rect = *r;
                }
            }
        }));
        refocus(id, pid);
    };
    let dragged = RwSignal::new(None::<u64>);
    let grid_ref = NodeRef::<leptos::html::Div>::new();
    let drop_box = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        let Some(pid) = dragged.get_untracked() else {
            return;
        };
        dragged.set(None);
        // The grid cell under the pointer (the layout grid's rows are 24 px).
        #[cfg(feature = "hydrate")]
        {
            let Some(el) = grid_ref.get_untracked() else {
                return;
            };
            let rect = el.get_bounding_client_rect();
            let col = rect.width() / f64::from(GRID_COLUMNS);
            let x = ((f64::from(ev.client_x()) - rect.left()) / col)
                .floor()
                .max(0.0) as u32;
            let y = ((f64::from(ev.client_y()) - rect.top()) / 24.0)
                .floor()
                .max(0.0) as u32;
            if let Some((_, _, r)) = boxes.get_untracked().into_iter().find(|b| b.0 == pid) {
                place(pid, GridRect { x, y, ..r });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (pid, grid_ref, place);
    };
    let layout_grid = move || {
        custom.get().then(|| {
            let rows = grid_layout::grid_rows(&boxes.get().iter().map(|b| b.2).collect::<Vec<_>>()).max(6);
            view! {
                <p class="muted">"Drag a panel to move it; with the keyboard, arrows move the focused panel and Shift+arrows resize it."</p>
                <div class="layout-grid" node_ref=grid_ref style=format!("height:{}px", rows * 24)
                    on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                    on:drop=drop_box>
                    {boxes.get().into_iter().map(|(pid, title, r)| {
                        let label = format!("{title}: column {}, row {}, {} wide, {} high", r.x + 1, r.y + 1, r.w, r.h);
                        view! {
                            <div class="layout-box" tabindex="0" role="button" draggable="true"
                                data-layout-panel=format!("{id}-{pid}") aria-label=label.clone() title=label
                                style=format!("grid-column:{} / span {}; grid-row:{} / span {}", r.x + 1, r.w, r.y + 1, r.h)
                                on:dragstart=move |ev: leptos::ev::DragEvent| {
                                    crate::components::workspace::set_drag_data(&ev, "report-panel");
                                    dragged.set(Some(pid));
                                }
                                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                    let to = match (ev.shift_key(), ev.key().as_str()) {
                                        (false, "ArrowLeft") => GridRect { x: r.x.saturating_sub(1), ..r },
                                        (false, "ArrowRight") => GridRect { x: r.x + 1, ..r },
                                        (false, "ArrowUp") => GridRect { y: r.y.saturating_sub(1), ..r },
                                        (false, "ArrowDown") => GridRect { y: r.y + 1, ..r },
                                        (true, "ArrowLeft") => GridRect { w: r.w.saturating_sub(1), ..r },
                                        (true, "ArrowRight") => GridRect { w: r.w + 1, ..r },
                                        (true, "ArrowUp") => GridRect { h: r.h.saturating_sub(1), ..r },
                                        (true, "ArrowDown") => GridRect { h: r.h + 1, ..r },
                                        _ => return,
                                    };
                                    ev.prevent_default();
                                    place(pid, to);
                                }>
                                {title}
                            </div>
                        }
                    }).collect_view()}
                </div>
            }
        })
    };
    let (width, height) = match grid.get_untracked().map(|g| g.1.layout) {
        Some(SectionLayout::Standard { width, height, .. }) => (width, height),
        _ => (4, 260),
    };
    view! {
        <div class="grid-editor">
            <input type="text" class="grid-name" prop:value=grid.get_untracked().map(|g| g.1.name).unwrap_or_default() aria-label="Panel grid name"
                on:input=move |ev| { let v = event_target_value(&ev); change(Box::new(move |_, s| s.name = v)); } />
            {sets}
            <button type="button" class="small secondary" on:click=move |_| change(Box::new(|sets, _| {
                if sets.len() < crate::logic::reports::MAX_RUN_SETS { sets.push(RunSet { name: format!("Run set {}", sets.len() + 1), ..RunSet::default() }); }
            }))>"Add run set"</button>
            {move || freeze_error.get().map(|e| view! { <p class="error-message" role="alert">{e}</p> })}
            <h4>"Panels"</h4>
            <datalist id=format!("report-metric-keys-{id}")>{ctx.metric_keys.get_value().into_iter().map(|k| view! { <option value=k /> }).collect_view()}</datalist>
            <datalist id=format!("report-columns-{id}")>{ctx.columns.get_value().into_iter().filter(|c| c.starts_with("summary.") || c.starts_with("config.")).map(|k| view! { <option value=k /> }).collect_view()}</datalist>
            <ol class="panel-editor-list">{panels}</ol>
            <div class="row">
                <button type="button" class="small" on:click=move |_| add("line")>"Add line plot"</button>
                <button type="button" class="small" on:click=move |_| add("scatter")>"Add scatter plot"</button>
                <button type="button" class="small" on:click=move |_| add("bar")>"Add bar chart"</button>
                <button type="button" class="small" on:click=move |_| add("markdown")>"Add text panel"</button>
                <label>"Layout "<select aria-label="Panel layout" on:change=move |ev| set_custom(event_target_value(&ev) == "custom")>
                    <option value="standard" selected=move || !custom.get()>"same size"</option>
                    <option value="custom" selected=move || custom.get()>"custom (place and size each)"</option>
                </select></label>
                <label>"Panel width "<select aria-label="Panel width" on:change=move |ev| {
                    let w: u32 = event_target_value(&ev).parse().unwrap_or(4);
                    change(Box::new(move |_, s| s.layout = match s.layout {
                        SectionLayout::Standard { height, rows, .. } => SectionLayout::Standard { width: w, height, rows },
                        SectionLayout::Custom => SectionLayout::Standard { width: w, height: 260, rows: 2 },
                    }));
                }>
                    {[(3u32, "quarter"), (4, "third"), (6, "half"), (12, "full")].into_iter().map(|(w, n)| view! { <option value=w.to_string() selected=w == width>{n}</option> }).collect_view()}
                </select></label>
                <label>"Height "<input type="number" class="short" min="120" max="1200" step="20" prop:value=height.to_string() aria-label="Panel height"
                    on:input=move |ev| { let h: u32 = event_target_value(&ev).parse().unwrap_or(260); change(Box::new(move |_, s| s.layout = match s.layout {
                        SectionLayout::Standard { width, rows, .. } => SectionLayout::Standard { width, height: h.clamp(120, 1200), rows },
                        SectionLayout::Custom => SectionLayout::Standard { width: 4, height: h.clamp(120, 1200), rows: 2 },
                    })); } /></label>
            </div>
            {layout_grid}
        </div>
    }
}

/// Give the keyboard focus back to a panel's box after the layout redrew it.
fn refocus(grid: u64, panel: u64) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let found = document()
            .query_selector(&format!("[data-layout-panel='{grid}-{panel}']"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = found {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (grid, panel);
}
