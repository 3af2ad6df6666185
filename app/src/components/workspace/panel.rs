//! One panel's frame: title, drag grip, Edit, Move, Delete, the resize corner, and
//! its body (line, scatter, bar or markdown). Bodies render and fetch only once the
//! panel has come into view.

use leptos::prelude::*;

use super::bar_panel::BarPanel;
use super::line_panel::LinePanel;
use super::markdown_panel::MarkdownPanel;
use super::panel_editor::PanelEditor;
use super::scatter_panel::ScatterPanel;
use super::{use_ws, Dragging};
use crate::logic::workspace::{find_panel, move_panel};
use crate::model::{PanelKind, SectionLayout, GRID_COLUMNS, ROW_PX};

#[component]
pub fn PanelView(
    /// The id of the panel in the workspace document.
    id: u64,
    /// The section the panel is drawn in.
    section: u64,
    /// Called when the resize corner is let go: `(panel, width px, height px)`.
    on_resize: Callback<(u64, f64, f64)>,
    /// The panel whose editor is open.
    opened: RwSignal<Option<u64>>,
) -> impl IntoView {
    let ctx = use_ws();
    let panel = Memo::new(move |_| {
        ctx.doc.with(|d| {
            find_panel(d, id)
                .map(|(si, pi)| (d.sections[si].layout, d.sections[si].panels[pi].clone()))
        })
    });
    // What the body depends on: a line plot reads its own settings (so editing them
    // or resizing keeps the same chart, its zoom and its data); other kinds are
    // rebuilt from theirs.
    let body_key = Memo::new(move |_| {
        panel.with(|p| {
            p.as_ref().map(|(_, p)| match &p.kind {
                PanelKind::Line(_) => None,
                other => Some(other.clone()),
            })
        })
    });
    provide_context(PanelSize(Memo::new(move |_| {
        panel.with(|p| p.as_ref().map(|(layout, p)| (*layout, p.rect)))
    })));
    let node = NodeRef::<leptos::html::Div>::new();
    let visible = use_seen(node);
    let moving = RwSignal::new(false);
    crate::components::menus::use_menu(move || moving.get(), move || moving.set(false));
    // The size while the corner is being dragged (a preview; the section decides
    // the final size when it is let go).
    let live = RwSignal::new(None::<(f64, f64)>);
    let placed = move || match panel.get() {
        Some((SectionLayout::Custom, p)) => format!(
            "position:absolute;left:calc({}% + 4px);top:{}px;width:calc({}% - 8px);height:{}px",
            f64::from(p.rect.x) * 100.0 / f64::from(GRID_COLUMNS),
            p.rect.y * ROW_PX + 4,
            f64::from(p.rect.w) * 100.0 / f64::from(GRID_COLUMNS),
            (p.rect.h * ROW_PX).saturating_sub(8)
        ),
        _ => String::new(),
    };
    let style = move || match live.get() {
        Some((w, h)) => format!("{};width:{w:.0}px;height:{h:.0}px;z-index:5", placed()),
        None => placed(),
    };
    let title = move || {
        panel
            .get()
            .map(|(_, p)| p.display_title())
            .unwrap_or_default()
    };
    let delete = move |_| {
        let mut removed = None;
        ctx.edit(|d| removed = crate::logic::workspace::remove_panel(d, id));
        if let Some((section, index, panel)) = removed {
            ctx.undo.set(Some(super::Deleted::Panel {
                section,
                index,
                panel,
            }));
        }
    };
    let sections = move || {
        ctx.doc.with(|d| {
            d.sections
                .iter()
                .map(|s| (s.id, s.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let move_to = move |target: u64| {
        moving.set(false);
        if target != section {
            ctx.edit(|d| {
                move_panel(d, id, target, usize::MAX, None);
            });
        }
    };
    // The resize corner follows the pointer (captured, so it keeps following outside).
    let start = StoredValue::new(None::<(f64, f64, f64, f64)>);
    let on_down = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(t) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = t.set_pointer_capture(ev.pointer_id());
            }
        }
        #[cfg(feature = "hydrate")]
        if let Some(el) = node.get_untracked() {
            let r = el.get_bounding_client_rect();
            start.set_value(Some((
                f64::from(ev.client_x()),
                f64::from(ev.client_y()),
                r.width(),
                r.height(),
            )));
        }
    };
    let size_at = move |ev: &leptos::ev::PointerEvent| {
        start.get_value().map(|(x0, y0, w0, h0)| {
            (
                (w0 + f64::from(ev.client_x()) - x0).max(120.0),
                (h0 + f64::from(ev.client_y()) - y0).max(100.0),
            )
        })
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if let Some(size) = size_at(&ev) {
            live.set(Some(size));
        }
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        if let Some((w, h)) = size_at(&ev) {
            start.set_value(None);
            live.set(None);
            on_resize.run((id, w, h));
        }
    };

    // Keyboard: arrows on the grip move the panel (one place in a standard layout,
    // one cell in a custom one); arrows on the corner resize it.
    let grip = NodeRef::<leptos::html::Span>::new();
    let on_grip_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some((dx, dy)) = arrow(&ev.key()) else {
            return;
        };
        ev.prevent_default();
        ctx.edit(|d| {
            let Some((si, pi)) = find_panel(d, id) else {
                return;
            };
            let s = &mut d.sections[si];
            if s.layout == SectionLayout::Custom {
                let r = s.panels[pi].rect;
                let to = crate::model::GridRect {
                    x: (i64::from(r.x) + dx).max(0) as u32,
                    y: (i64::from(r.y) + dy).max(0) as u32,
                    ..r
                };
                let mut items: Vec<(u64, crate::model::GridRect)> =
                    s.panels.iter().map(|p| (p.id, p.rect)).collect();
                crate::logic::grid_layout::place(&mut items, id, to);
                crate::logic::workspace::apply_rects(s, &items);
            } else {
                let last = s.panels.len() as i64 - 1;
                let to = (pi as i64 + dx + dy).clamp(0, last.max(0)) as usize;
                let p = s.panels.remove(pi);
                s.panels.insert(to, p);
            }
        });
        // The panel's element may have moved in the page: keep the focus on it.
        request_animation_frame(move || {
            if let Some(g) = grip.try_get_untracked().flatten() {
                let _ = g.focus();
            }
        });
    };
    let on_resize_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some((dw, dh)) = arrow(&ev.key()) else {
            return;
        };
        let (dw, dh) = (dw as f64, dh as f64);
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let (Some(el), Some(parent)) = (
            node.get_untracked(),
            node.get_untracked().and_then(|n| n.parent_element()),
        ) {
            let r = el.get_bounding_client_rect();
            let col = parent.get_bounding_client_rect().width() / f64::from(GRID_COLUMNS);
            on_resize.run((
                id,
                r.width() + dw * col,
                r.height() + dh * f64::from(ROW_PX),
            ));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (dw, dh);
    };
    view! {
        <div
            class="ws-panel"
            node_ref=node
            data-panel=id.to_string()
            data-title=title
            style=style
        >
            <div class="ws-panel-head">
                <span
                    class="ws-grip"
                    draggable="true"
                    role="button"
                    tabindex="0"
                    node_ref=grip
                    aria-label="Drag panel"
                    title="Drag to another place or section (or focus and use the arrow keys)"
                    on:keydown=on_grip_key
                    on:dragstart=move |ev: leptos::ev::DragEvent| {
                        set_drag_data(&ev, "panel");
                        ctx.dragging.set(Some(Dragging::Panel(id)));
                    }
                    on:dragend=move |_| ctx.dragging.set(None)
                >"⠿"</span>
                <h3 class="ws-panel-title" title=title>{title}</h3>
                <button class="icon" aria-label=move || format!("Edit panel {}", title()) title="Edit" aria-haspopup="dialog"
                    on:click=move |_| opened.set(Some(id))>"✎"</button>
                <button class="icon" aria-label=move || format!("Move panel {}", title()) title="Move to section"
                    aria-haspopup="menu" aria-expanded=move || moving.get().to_string()
                    on:click=move |_| moving.update(|m| *m = !*m)>"⇄"</button>
                <button class="icon" aria-label=move || format!("Delete panel {}", title()) title="Delete"
                    on:click=delete>"✕"</button>
            </div>
            {move || moving.get().then(|| view! {
                <div class="ws-menu ws-move" role="menu" aria-label="Move to section">
                    {sections().into_iter().map(|(sid, name)| view! {
                        <button role="menuitem" disabled=sid == section on:click=move |_| move_to(sid)>{name}</button>
                    }).collect_view()}
                </div>
            })}
            <div class="ws-panel-body">
                {move || {
                    if !visible.get() {
                        return view! { <p class="panel-status">"…"</p> }.into_any();
                    }
                    match body_key.get() {
                        Some(None) => view! { <LinePanel id /> }.into_any(),
                        Some(Some(PanelKind::Scatter { x, y })) => view! { <ScatterPanel x y /> }.into_any(),
                        Some(Some(PanelKind::Bar { metric })) => view! { <BarPanel metric /> }.into_any(),
                        Some(Some(PanelKind::Markdown { text })) => view! { <MarkdownPanel text /> }.into_any(),
                        _ => ().into_any(),
                    }
                }}
            </div>
            <span
                class="ws-resize"
                role="separator"
                tabindex="0"
                aria-label="Resize panel"
                title="Drag to resize (or focus and use the arrow keys)"
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
                on:pointercancel=move |_| { start.set_value(None); live.set(None); }
                on:keydown=on_resize_key
            ></span>
            {move || (opened.get() == Some(id)).then(|| view! { <PanelEditor id on_close=move || opened.set(None) /> })}
        </div>
    }
}

/// The direction of an arrow key as (columns, rows).
fn arrow(key: &str) -> Option<(i64, i64)> {
    match key {
        "ArrowLeft" => Some((-1, 0)),
        "ArrowRight" => Some((1, 0)),
        "ArrowUp" => Some((0, -1)),
        "ArrowDown" => Some((0, 1)),
        _ => None,
    }
}

/// The panel's layout and grid rectangle, for bodies that must redraw when the
/// panel is resized (provided by [`PanelView`]).
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct PanelSize(pub Memo<Option<(SectionLayout, crate::model::GridRect)>>);

/// `true` from the first time the element comes near the viewport (and then
/// forever, so a panel scrolled away keeps its chart). Always `false` on the server.
pub fn use_seen(node: NodeRef<leptos::html::Div>) -> RwSignal<bool> {
    let seen = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        Effect::new(move |_| {
            let Some(el) = node.get() else { return };
            if seen.get_untracked() {
                return;
            }
            let callback = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
                move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
                    let hit = entries.iter().any(|e| {
                        e.dyn_into::<web_sys::IntersectionObserverEntry>()
                            .is_ok_and(|e| e.is_intersecting())
                    });
                    if hit {
                        seen.try_set(true);
                        observer.disconnect();
                    }
                },
            );
            let options = web_sys::IntersectionObserverInit::new();
            options.set_root_margin("200px");
            if let Ok(observer) = web_sys::IntersectionObserver::new_with_options(
                callback.as_ref().unchecked_ref(),
                &options,
            ) {
                observer.observe(&el);
                let o = send_wrapper::SendWrapper::new(observer.clone());
                on_cleanup(move || o.disconnect());
            }
            callback.forget();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = node;
    seen
}

/// Put something into a drag's data, which some browsers need before they drag.
pub fn set_drag_data(ev: &leptos::ev::DragEvent, what: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(dt) = ev.data_transfer() {
        let _ = dt.set_data("text/plain", what);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, what);
}
