use leptos::prelude::*;

use crate::logic::config_flat::{cell_text, flatten};

/// A two-column table of a nested JSON object, flattened to `a.b.c` keys.
#[component]
pub fn KeyValueTable(
    /// The object to show (config or summary).
    value: serde_json::Value,
    /// Accessible name of the table.
    #[prop(into)]
    label: String,
    /// What to say when there is nothing to show.
    #[prop(into)]
    empty: String,
) -> impl IntoView {
    let rows = flatten(&value);
    if rows.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    view! {
        <table class="kv" aria-label=label>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(k, v)| view! {
                        <tr>
                            <th scope="row">{k}</th>
                            <td>{cell_text(&v)}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
