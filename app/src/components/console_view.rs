use leptos::prelude::*;

use crate::model::{ConsoleLine, ConsoleStream};

/// The tail of a run's console output, stderr lines marked.
#[component]
pub fn ConsoleView(
    /// Lines to show, in order.
    lines: Vec<ConsoleLine>,
    /// How many lines the run has in all.
    total: u64,
) -> impl IntoView {
    if lines.is_empty() {
        return view! { <p class="empty">"No console output was logged."</p> }.into_any();
    }
    let shown = lines.len() as u64;
    view! {
        {(total > shown).then(|| view! { <p class="muted">{format!("Last {shown} of {total} lines")}</p> })}
        <pre class="console" aria-label="Console output">
            {lines
                .into_iter()
                .map(|l| {
                    let class = match l.stream {
                        ConsoleStream::Stdout => "line",
                        ConsoleStream::Stderr => "line stderr",
                    };
                    view! { <span class=class data-line=l.line>{l.text}"\n"</span> }
                })
                .collect_view()}
        </pre>
    }
    .into_any()
}
