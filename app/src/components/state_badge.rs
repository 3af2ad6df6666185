use leptos::prelude::*;

use crate::model::RunState;

/// A run's state as a small coloured label.
#[component]
pub fn StateBadge(
    /// The state to show.
    state: RunState,
) -> impl IntoView {
    view! { <span class=format!("state state-{}", state.as_str())>{state.as_str()}</span> }
}
