//! One panel's frame: title, drag grip, Edit, Move, Delete, the resize corner, and
//! its body (line, scatter, bar or markdown). Bodies render and fetch only once the
//! panel has come into view.

use leptos::prelude::*;

use super::line_panel::LinePanel;
use super::other_panels::{BarPanel, MarkdownPanel, ScatterPanel};
use super::panel_editor::PanelEditor;
use super::{use_ws, Dragging};
use crate::logic::workspace::{find_panel, move_panel};
use crate::model::{PanelKind, SectionLayout, GRID_COLUMNS, ROW_PX};

#[component]
pub fn PanelView(
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
    let node = NodeRef::<leptos::html::Div>::new();
    let visible = use_seen(node);
    let moving = RwSignal::new(false);
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
        ctx.edit(|d| {
            if let Some((si, pi)) = find_panel(d, id) {
                d.sections[si].panels.remove(pi);
            }
        })
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
                    aria-label="Drag panel"
                    title="Drag to another place or section"
                    on:dragstart=move |ev: leptos::ev::DragEvent| {
                        set_drag_data(&ev, "panel");
                        ctx.dragging.set(Some(Dragging::Panel(id)));
                    }
                    on:dragend=move |_| ctx.dragging.set(None)
                >"⠿"</span>
                <h3 class="ws-panel-title" title=title>{title}</h3>
                <button class="icon" aria-label=move || format!("Edit panel {}", title()) title="Edit"
                    on:click=move |_| opened.set(Some(id))>"✎"</button>
                <button class="icon" aria-label=move || format!("Move panel {}", title()) title="Move to section"
                    aria-expanded=move || moving.get().to_string()
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
                    match panel.get().map(|(_, p)| p.kind) {
                        Some(PanelKind::Line(_)) => view! { <LinePanel id /> }.into_any(),
                        Some(PanelKind::Scatter { x, y }) => view! { <ScatterPanel x y /> }.into_any(),
                        Some(PanelKind::Bar { metric }) => view! { <BarPanel metric /> }.into_any(),
                        Some(PanelKind::Markdown { text }) => view! { <MarkdownPanel text /> }.into_any(),
                        None => ().into_any(),
                    }
                }}
            </div>
            <span
                class="ws-resize"
                role="separator"
                aria-label="Resize panel"
                title="Drag to resize"
                on:pointerdown=on_down
                on:pointermove=on_move
                on:pointerup=on_up
            ></span>
            {move || (opened.get() == Some(id)).then(|| view! { <PanelEditor id on_close=move || opened.set(None) /> })}
        </div>
    }
}

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
