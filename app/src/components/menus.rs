//! One open menu at a time, closed by Escape or a click elsewhere. A menu keeps its
//! own open flag; [`use_menu`] ties it to the app-wide [`OpenMenu`]: opening a menu
//! closes any other, and [`provide_menus`] closes whatever is open on Escape or on a
//! press outside every menu, dialog and menu button (`[role=menu]`,
//! `[role=dialog]`, `[role=listbox]`, `[aria-haspopup]`).

use std::sync::atomic::{AtomicU64, Ordering};

use leptos::prelude::*;

/// Which menu is open: its id from [`use_menu`], or 0 for none.
#[derive(Clone, Copy)]
pub struct OpenMenu(RwSignal<u64>);

/// Provide the app-wide menu state and, in the browser, the listeners that close
/// menus on Escape and on a press outside them. Call once, in the app's root.
pub fn provide_menus() {
    let open = OpenMenu(RwSignal::new(0));
    provide_context(open);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" {
                open.0.set(0);
            }
        });
        let presses = window_event_listener(leptos::ev::pointerdown, move |ev| {
            let inside = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| {
                    e.closest("[role=menu],[role=dialog],[role=listbox],[aria-haspopup]")
                        .ok()
                        .flatten()
                })
                .is_some();
            if !inside {
                open.0.set(0);
            }
        });
        on_cleanup(move || {
            keys.remove();
            presses.remove();
        });
    }
}

static NEXT_MENU: AtomicU64 = AtomicU64::new(1);

/// Tie a menu to the app-wide state: when `is_open` turns true, every other menu
/// closes; when another menu opens, or Escape or an outside press closes all,
/// `close` runs. Without [`provide_menus`] (a test rendering one component) it
/// does nothing.
pub fn use_menu(
    is_open: impl Fn() -> bool + Send + Sync + 'static,
    close: impl Fn() + Send + Sync + 'static,
) {
    let Some(OpenMenu(current)) = use_context::<OpenMenu>() else {
        return;
    };
    let me = NEXT_MENU.fetch_add(1, Ordering::Relaxed);
    Effect::new(move |_| {
        if is_open() {
            current.set(me);
        }
    });
    Effect::new(move |_| {
        if current.get() != me {
            close();
        }
    });
}
