use leptos::prelude::*;

use super::filter_builder::FilterBuilder;
use crate::api::runs_table::column_values;
use crate::logic::filter::{
    completion_at, literal_text, parse_filter, FilterError, Literal, Suggest, OPERATORS,
};

/// Most suggestions listed at once.
const MAX_SUGGESTIONS: usize = 12;

/// The filter: a text expression checked as it is typed (errors underlined, no query
/// sent), with autocompletion, and a builder that writes the same text.
#[component]
pub fn FilterBar() -> impl IntoView {
    let ctx = super::use_table();
    let set_view = super::use_set_view();
    let text = RwSignal::new(ctx.filter.get_untracked());
    let cursor = RwSignal::new(text.get_untracked().len());
    let error = RwSignal::new(None::<FilterError>);
    let focused = RwSignal::new(false);
    let highlight = RwSignal::new(0usize);
    let dismissed = RwSignal::new(false);
    let show_builder = RwSignal::new(false);
    let input: NodeRef<leptos::html::Input> = NodeRef::new();

    // Back/forward or a shared link changes the applied filter: show it.
    Effect::new(move |_| {
        let applied = ctx.filter.get();
        if parse_filter(&text.get_untracked()).ok() != parse_filter(&applied).ok() {
            text.set(applied);
            error.set(None);
        }
    });

    let apply = move |value: String| match parse_filter(&value) {
        Ok(_) => {
            error.set(None);
            if value != ctx.filter.get_untracked() {
                set_view(super::ViewChange {
                    filter: Some(value),
                    ..Default::default()
                });
            }
        }
        Err(e) => error.set(Some(e)),
    };
    let set_text = {
        let apply = apply.clone();
        move |value: String| {
            text.set(value.clone());
            highlight.set(0);
            dismissed.set(false);
            apply(value);
        }
    };

    let completion = Memo::new(move |_| completion_at(&text.get(), cursor.get()));
    let values = LocalResource::new(move || {
        let c = completion.get();
        let project = ctx.project.get_value();
        async move {
            match c {
                Some(c) => match c.suggest {
                    Suggest::Values(column) => column_values(project, column, c.prefix)
                        .await
                        .unwrap_or_default(),
                    _ => vec![],
                },
                None => vec![],
            }
        }
    });
    // (label shown, text inserted)
    let suggestions = Memo::new(move |_| {
        let Some(c) = completion.get() else {
            return vec![];
        };
        let lower = c.prefix.to_lowercase();
        let starts = |s: &str| s.to_lowercase().starts_with(&lower);
        let items: Vec<(String, String)> = match &c.suggest {
            Suggest::Columns => {
                let mut v: Vec<(String, String)> = ctx
                    .columns
                    .get()
                    .into_iter()
                    .filter(|col| col.id.to_lowercase().contains(&lower))
                    .map(|col| {
                        let insert = crate::logic::filter::Column::from_name(&col.id)
                            .map(|c| crate::logic::filter::column_text(&c))
                            .unwrap_or(col.id.clone());
                        (col.id, insert)
                    })
                    .collect();
                if starts("not") {
                    v.push(("not".into(), "not".into()));
                }
                v
            }
            Suggest::Operators => OPERATORS
                .iter()
                .filter(|o| starts(o))
                .map(|o| (o.to_string(), o.to_string()))
                .collect(),
            Suggest::Values(_) => values
                .get()
                .unwrap_or_default()
                .into_iter()
                .map(|v| (v.clone(), literal_text(&Literal::Str(v))))
                .collect(),
            Suggest::Connectives => ["and", "or"]
                .iter()
                .filter(|o| starts(o))
                .map(|o| (o.to_string(), o.to_string()))
                .collect(),
            Suggest::NullTests => ["NULL", "NOT NULL"]
                .iter()
                .filter(|o| starts(o))
                .map(|o| (o.to_string(), o.to_string()))
                .collect(),
        };
        items.into_iter().take(MAX_SUGGESTIONS).collect::<Vec<_>>()
    });
    let open = move || focused.get() && !dismissed.get() && !suggestions.get().is_empty();
    // Whether Enter picks the highlighted suggestion: only once the person moved
    // through the list or typed part of a word; otherwise Enter just applies the text
    // (an emptied box stays empty instead of receiving the first column).
    let navigated = RwSignal::new(false);
    let typed_a_word = move || {
        completion
            .get_untracked()
            .is_some_and(|c| !c.prefix.is_empty())
    };
    // Filters that parse but cannot match: an unknown key, text against numbers.
    let warnings = Memo::new(move |_| match parse_filter(&text.get()) {
        Ok(Some(expr)) => crate::logic::filter::warnings(&expr, &ctx.columns.get()),
        _ => vec![],
    });

    let accept = Callback::new({
        let set_text = set_text.clone();
        move |i: usize| {
            let Some(c) = completion.get_untracked() else {
                return;
            };
            let Some((_, insert)) = suggestions.get_untracked().get(i).cloned() else {
                return;
            };
            let t = text.get_untracked();
            let end = cursor.get_untracked().min(t.len());
            let start = c.start.min(end);
            // The text may have changed since the completion was computed: give up
            // rather than cut a character in two.
            if !t.is_char_boundary(start) || !t.is_char_boundary(end) {
                return;
            }
            let new_text = format!("{}{} {}", &t[..start], insert, t[end..].trim_start());
            let new_cursor = start + insert.len() + 1;
            set_text(new_text.clone());
            cursor.set(new_cursor);
            if let Some(el) = input.get_untracked() {
                el.set_value(&new_text);
                let _ = el.set_selection_range(new_cursor as u32, new_cursor as u32);
                let _ = el.focus();
            }
        }
    });

    let on_input = {
        let set_text = set_text.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            navigated.set(false);
            if let Some(el) = input.get_untracked() {
                cursor.set(el.selection_start().ok().flatten().unwrap_or(0) as usize);
            }
            set_text(value);
        }
    };
    let on_keydown = {
        move |ev: leptos::ev::KeyboardEvent| {
            let n = suggestions.get_untracked().len();
            match ev.key().as_str() {
                "ArrowDown" if open() => {
                    ev.prevent_default();
                    navigated.set(true);
                    highlight.update(|h| *h = (*h + 1) % n.max(1));
                }
                "ArrowUp" if open() => {
                    ev.prevent_default();
                    navigated.set(true);
                    highlight.update(|h| *h = (*h + n.max(1) - 1) % n.max(1));
                }
                "Enter" if open() && (navigated.get_untracked() || typed_a_word()) => {
                    ev.prevent_default();
                    navigated.set(false);
                    accept.run(highlight.get_untracked());
                }
                "Tab" if open() => {
                    ev.prevent_default();
                    navigated.set(false);
                    accept.run(highlight.get_untracked());
                }
                "Enter" | "Escape" => dismissed.set(true),
                _ => {}
            }
        }
    };
    let track_cursor = move || {
        if let Some(el) = input.get_untracked() {
            cursor.set(el.selection_start().ok().flatten().unwrap_or(0) as usize);
        }
    };

    view! {
        <div class="filter-bar">
            <div class="filter-line">
                <label class="filter-label" for="runs-filter">"Filter"</label>
                <div class="filter-input-wrap">
                    <input
                        id="runs-filter"
                        node_ref=input
                        type="text"
                        class="filter-input"
                        spellcheck="false"
                        autocomplete="off"
                        placeholder="e.g. config.lr < 0.01 and state = \"finished\""
                        role="combobox"
                        aria-autocomplete="list"
                        aria-controls="filter-suggestions"
                        aria-expanded=move || open().to_string()
                        aria-invalid=move || error.get().is_some().to_string()
                        prop:value=move || text.get()
                        on:input=on_input
                        on:keydown=on_keydown
                        on:keyup=move |_| track_cursor()
                        on:click=move |_| track_cursor()
                        on:focus=move |_| focused.set(true)
                        on:blur=move |_| focused.set(false)
                    />
                    <Show when=open>
                        <ul id="filter-suggestions" class="suggestions" role="listbox" aria-label="Suggestions">
                            {move || {
                                suggestions
                                    .get()
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, (label, _))| {
                                        view! {
                                            <li
                                                role="option"
                                                aria-selected=move || (highlight.get() == i).to_string()
                                                class:active=move || highlight.get() == i
                                                // mousedown, not click: the input must not blur first.
                                                on:mousedown=move |ev| {
                                                    ev.prevent_default();
                                                    accept.run(i);
                                                }
                                            >
                                                {label}
                                            </li>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </ul>
                    </Show>
                </div>
                <button
                    class="secondary"
                    aria-expanded=move || show_builder.get().to_string()
                    on:click=move |_| show_builder.update(|b| *b = !*b)
                >
                    "Builder"
                </button>
                <button class="secondary" on:click={
                    let set_text = set_text.clone();
                    move |_| set_text(String::new())
                }>"Clear"</button>
            </div>
            {move || error.get().map(|e| error_view(&text.get(), &e))}
            {move || {
                let w = warnings.get();
                (!w.is_empty() && error.get().is_none()).then(|| view! {
                    <ul class="filter-warnings" role="status" aria-label="Filter warnings">
                        {w.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                    </ul>
                })
            }}
            <Show when=move || show_builder.get()>
                <FilterBuilder text=text on_text=Callback::new({
                    let set_text = set_text.clone();
                    move |t: String| set_text(t)
                }) />
            </Show>
        </div>
    }
}

/// The filter text with the error's range marked, and the message.
fn error_view(text: &str, e: &FilterError) -> impl IntoView {
    let start = e.start.min(text.len());
    let end = e.end.clamp(start, text.len());
    let (before, bad, after) = if text.is_char_boundary(start) && text.is_char_boundary(end) {
        (
            text[..start].to_owned(),
            text[start..end].to_owned(),
            text[end..].to_owned(),
        )
    } else {
        (text.to_owned(), String::new(), String::new())
    };
    let column = before.chars().count() + 1;
    let bad = if bad.is_empty() {
        "\u{2423}".to_owned()
    } else {
        bad
    };
    view! {
        <div class="filter-error" role="alert">
            <code class="filter-echo">{before}<mark>{bad}</mark>{after}</code>
            <p class="error-message">{format!("Column {column}: {}", e.message)}</p>
        </div>
    }
}
