//! The visibility menu of the new-project form and the project settings.

use leptos::prelude::*;

use crate::model::Visibility;

/// A labelled menu of the five visibilities, each with what it means; `visibility`
/// holds the choice (and its value when the menu is made is preselected).
#[component]
pub fn VisibilitySelect(
    /// The chosen visibility; its value when the menu is made is preselected.
    visibility: RwSignal<Visibility>,
) -> impl IntoView {
    let initial = visibility.get_untracked();
    view! {
        <label>
            "Visibility"
            <select
                name="visibility"
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse() {
                        visibility.set(v);
                    }
                }
            >
                {Visibility::ALL
                    .into_iter()
                    .map(|v| view! { <option value=v.as_str() selected=v == initial>{visibility_label(v)}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// A visibility with what it means, for menus.
pub fn visibility_label(v: Visibility) -> &'static str {
    match v {
        Visibility::Private => "private: only the owner and admins",
        Visibility::Team => "team: the team's members",
        Visibility::Restricted => "restricted: invited members only",
        Visibility::Public => "public: anyone can view, members edit",
        Visibility::Open => "open: anyone signed in can view and log runs",
    }
}
