//! A markdown panel: a note among the charts.

use leptos::prelude::*;

use crate::logic::markdown::to_safe_html;

/// The note's markdown rendered to HTML (raw HTML in it is escaped).
#[component]
pub fn MarkdownPanel(
    /// The note, in markdown.
    text: String,
) -> impl IntoView {
    let html = to_safe_html(&text);
    view! { <div class="ws-markdown" inner_html=html></div> }
}
