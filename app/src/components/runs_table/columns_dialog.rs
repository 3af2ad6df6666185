use leptos::prelude::*;

use crate::logic::runs_table::{set_pinned, set_visible};

/// Search, show, hide and pin many columns at once.
#[component]
pub fn ColumnsDialog(
    /// Called when the dialog closes.
    on_close: Callback<()>,
) -> impl IntoView {
    let ctx = super::use_table();
    let search = RwSignal::new(String::new());
    let matching = move || {
        let q = search.get().to_lowercase();
        ctx.layout()
            .into_iter()
            .filter(|c| c.id != "name" && c.id.to_lowercase().contains(&q))
            .collect::<Vec<_>>()
    };
    let set_all = move |visible: bool| {
        let ids: Vec<String> = matching().into_iter().map(|c| c.id).collect();
        ctx.change_settings(|s| {
            for id in &ids {
                set_visible(s, id, visible);
            }
        });
    };
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <div class="modal" role="dialog" aria-modal="true" aria-label="Columns"
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { on_close.run(()) }>
                <div class="modal-head">
                    <h2>"Columns"</h2>
                    <button class="small" on:click=move |_| on_close.run(())>"Close"</button>
                </div>
                <input type="text" node_ref=input aria-label="Search columns" placeholder="Search columns"
                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
                <div class="modal-actions">
                    <button class="small" on:click=move |_| set_all(true)>"Show all matching"</button>
                    <button class="small" on:click=move |_| set_all(false)>"Hide all matching"</button>
                    <span class="muted">{move || {
                        let m = matching();
                        format!("{} of {} shown", m.iter().filter(|c| c.visible).count(), m.len())
                    }}</span>
                </div>
                <ul class="column-list">
                    {move || matching()
                        .into_iter()
                        .map(|c| {
                            let (id1, id2) = (c.id.clone(), c.id.clone());
                            let (visible, pinned) = (c.visible, c.pinned);
                            view! {
                                <li>
                                    <label class="inline-label">
                                        <input type="checkbox" prop:checked=visible
                                            on:change=move |_| ctx.change_settings(|s| set_visible(s, &id1, !visible)) />
                                        " "{c.id.clone()}
                                    </label>
                                    <button class="small" aria-pressed=pinned.to_string()
                                        aria-label=format!("{} {}", if pinned { "Unpin" } else { "Pin" }, c.id)
                                        on:click=move |_| ctx.change_settings(|s| set_pinned(s, &id2, !pinned))>
                                        {if pinned { "Pinned" } else { "Pin" }}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </div>
        </div>
    }
}
