use leptos::prelude::*;
use serde_json::Value;

/// A JSON document as a collapsible tree (`<details>`, so folding works without
/// JavaScript): objects and arrays fold, leaves show their value.
#[component]
pub fn JsonTree(
    /// The JSON text.
    json: String,
    /// What the tree is, for screen readers.
    label: &'static str,
) -> impl IntoView {
    match serde_json::from_str::<Value>(&json) {
        Ok(Value::Object(m)) if m.is_empty() => view! { <p class="empty">"Empty."</p> }.into_any(),
        Ok(v) => view! {
            <div class="json-tree" role="tree" aria-label=label>{node(None, &v, 0)}</div>
        }
        .into_any(),
        Err(_) => view! { <pre class="snippet">{json}</pre> }.into_any(),
    }
}

/// Levels folded open at first.
const OPEN_LEVELS: usize = 2;

fn node(key: Option<String>, v: &Value, depth: usize) -> AnyView {
    let key_view = key.map(|k| view! { <span class="json-key">{k}": "</span> });
    match v {
        Value::Object(m) => {
            let children = m
                .iter()
                .map(|(k, v)| node(Some(k.clone()), v, depth + 1))
                .collect_view();
            view! {
                <details open=depth < OPEN_LEVELS role="treeitem">
                    <summary>{key_view}<span class="muted">{format!("{{{}}}", m.len())}</span></summary>
                    <div class="json-children" role="group">{children}</div>
                </details>
            }
            .into_any()
        }
        Value::Array(a) => {
            let children = a
                .iter()
                .enumerate()
                .map(|(i, v)| node(Some(i.to_string()), v, depth + 1))
                .collect_view();
            view! {
                <details open=depth < OPEN_LEVELS role="treeitem">
                    <summary>{key_view}<span class="muted">{format!("[{}]", a.len())}</span></summary>
                    <div class="json-children" role="group">{children}</div>
                </details>
            }
            .into_any()
        }
        leaf => {
            let class = match leaf {
                Value::String(_) => "json-str",
                Value::Number(_) => "json-num",
                _ => "json-lit",
            };
            view! {
                <div class="json-leaf" role="treeitem">{key_view}<span class=class>{leaf.to_string()}</span></div>
            }
            .into_any()
        }
    }
}
