//! The inline box in which a section or a run gets a new name.

use leptos::prelude::*;

/// A text box holding `initial`. Enter, or leaving the box, commits the trimmed
/// text; Escape cancels. `on_done` is called once with `Some(name)` (non-empty) or
/// `None`: the blur that removing the box causes after Enter or Escape does nothing
/// more. The owner hides the box when `on_done` is called.
#[component]
pub fn RenameInput(
    /// The current name, selected for typing over.
    initial: String,
    /// Accessible name of the box.
    label: &'static str,
    /// CSS class of the input.
    class: &'static str,
    /// Called with the new name (Enter or leaving the field), or `None` on Escape.
    on_done: Callback<Option<String>>,
) -> impl IntoView {
    let value = RwSignal::new(initial);
    let done = StoredValue::new(false);
    let finish = move |commit: bool| {
        // Also `None` once the box is gone: a late blur is ignored.
        if done.try_get_value() != Some(false) {
            return;
        }
        done.set_value(true);
        let text = value.try_get_untracked().unwrap_or_default();
        let text = text.trim();
        on_done.run((commit && !text.is_empty()).then(|| text.to_owned()));
    };
    view! {
        <input
            class=class
            aria-label=label
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev))
            on:keydown=move |ev| match ev.key().as_str() {
                "Enter" => finish(true),
                "Escape" => finish(false),
                _ => {}
            }
            on:blur=move |_| finish(true)
        />
    }
}
