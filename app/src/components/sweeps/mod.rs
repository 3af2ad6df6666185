//! The Sweeps tab and a sweep's page.

mod charts;
mod sweep_detail;
mod sweeps_tab;

pub use sweep_detail::SweepDetail;
pub use sweeps_tab::SweepsTab;

use leptos::prelude::*;

use crate::model::SweepState;

/// A sweep's state as a small coloured label.
#[component]
pub fn SweepStateBadge(state: SweepState) -> impl IntoView {
    view! {
        <span class=format!("state sweep-state-{}", state.as_wire().to_lowercase())>{state.label()}</span>
    }
}

/// A command to run, with a button that copies it.
#[component]
pub fn CopyCommand(command: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = command.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <div class="copy-command">
            <code class="mono">{command}</code>
            <button type="button" class="small" on:click=copy>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
}
