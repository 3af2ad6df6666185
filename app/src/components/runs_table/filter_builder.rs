use leptos::prelude::*;

use crate::logic::filter::{builder_text, parse_filter, to_builder, BuilderNode, OPERATORS};

fn node_at<'a>(root: &'a mut BuilderNode, path: &[usize]) -> Option<&'a mut BuilderNode> {
    let mut n = root;
    for &i in path {
        n = match n {
            BuilderNode::Group { children, .. } => children.get_mut(i)?,
            BuilderNode::Cond { .. } => return None,
        };
    }
    Some(n)
}

/// Conditions (column, operator, value) in nested and/or groups. Every change writes
/// the equivalent filter text, which stays the source of truth.
#[component]
pub fn FilterBuilder(
    /// The filter text the builder starts from.
    text: RwSignal<String>,
    /// Called with the new text after each change.
    on_text: Callback<String>,
) -> impl IntoView {
    let ctx = super::use_table();
    let parsed = parse_filter(&text.get_untracked());
    let note = parsed
        .is_err()
        .then_some("The text has an error; the builder starts empty and replaces it.");
    let tree = RwSignal::new(to_builder(parsed.ok().flatten().as_ref()));
    let edit = move |path: Vec<usize>, f: Box<dyn FnOnce(&mut BuilderNode)>| {
        tree.update(|t| {
            if let Some(n) = node_at(t, &path) {
                f(n);
            }
        });
        on_text.run(builder_text(&tree.get_untracked()));
    };
    let columns = Signal::derive(move || {
        ctx.columns
            .get()
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    });
    view! {
        <div class="filter-builder" role="group" aria-label="Filter builder">
            {note.map(|n| view! { <p class="muted">{n}</p> })}
            {move || render(tree.get(), vec![], columns.get(), edit)}
        </div>
    }
}

fn render<E>(node: BuilderNode, path: Vec<usize>, columns: Vec<String>, edit: E) -> AnyView
where
    E: Fn(Vec<usize>, Box<dyn FnOnce(&mut BuilderNode)>) + Clone + Send + Sync + 'static,
{
    match node {
        BuilderNode::Group {
            any,
            negated,
            children,
        } => {
            let is_root = path.is_empty();
            let (p1, p2, p3, p4, p5) = (
                path.clone(),
                path.clone(),
                path.clone(),
                path.clone(),
                path.clone(),
            );
            let (e1, e2, e3, e4, e5) = (
                edit.clone(),
                edit.clone(),
                edit.clone(),
                edit.clone(),
                edit.clone(),
            );
            let kids = children
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut p = path.clone();
                    p.push(i);
                    view! { <li>{render(c, p, columns.clone(), edit.clone())}</li> }
                })
                .collect_view();
            view! {
                <div class="builder-group">
                    <div class="builder-group-head">
                        <label class="inline-label">
                            <input type="checkbox" prop:checked=negated on:change=move |_| {
                                e1(p1.clone(), Box::new(|n| if let BuilderNode::Group { negated, .. } = n { *negated = !*negated }))
                            } />
                            " not"
                        </label>
                        <select aria-label="Match" on:change=move |ev| {
                            let any_now = event_target_value(&ev) == "any";
                            e2(p2.clone(), Box::new(move |n| if let BuilderNode::Group { any, .. } = n { *any = any_now }))
                        }>
                            <option value="all" selected=!any>"all of (and)"</option>
                            <option value="any" selected=any>"any of (or)"</option>
                        </select>
                        <button class="small" on:click=move |_| {
                            e3(p3.clone(), Box::new(|n| if let BuilderNode::Group { children, .. } = n { children.push(BuilderNode::new_cond()) }))
                        }>"+ Condition"</button>
                        <button class="small" on:click=move |_| {
                            e4(p4.clone(), Box::new(|n| if let BuilderNode::Group { children, .. } = n {
                                children.push(BuilderNode::Group { any: true, negated: false, children: vec![BuilderNode::new_cond()] })
                            }))
                        }>"+ Group"</button>
                        {(!is_root).then(|| view! {
                            <button class="small danger" aria-label="Remove group" on:click=move |_| remove(&e5, &p5)>"Remove"</button>
                        })}
                    </div>
                    <ul class="builder-children">{kids}</ul>
                </div>
            }
            .into_any()
        }
        BuilderNode::Cond { column, op, value } => {
            let (p1, p2, p3, p4) = (path.clone(), path.clone(), path.clone(), path.clone());
            let (e1, e2, e3, e4) = (edit.clone(), edit.clone(), edit.clone(), edit.clone());
            let no_value = op.starts_with("IS");
            let col_options = columns
                .iter()
                .map(|c| view! { <option value=c.clone() selected=*c == column>{c.clone()}</option> })
                .collect_view();
            // The operators autocompletion offers, without the list's opening `(`.
            let op_options = OPERATORS
                .iter()
                .map(|o| o.trim_end_matches(" ("))
                .map(|o| view! { <option value=o selected=o == op>{o}</option> })
                .collect_view();
            view! {
                <div class="builder-cond">
                    <select aria-label="Column" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        e1(p1.clone(), Box::new(move |n| if let BuilderNode::Cond { column, .. } = n { *column = v }))
                    }>
                        <option value="" selected=column.is_empty()>"column…"</option>
                        {col_options}
                    </select>
                    <select aria-label="Operator" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        e2(p2.clone(), Box::new(move |n| if let BuilderNode::Cond { op, .. } = n { *op = v }))
                    }>
                        {op_options}
                    </select>
                    {(!no_value).then(|| view! {
                        <input type="text" aria-label="Value" placeholder="value (lists: a, b)" prop:value=value.clone()
                            // on:change (Enter or leaving the field): re-rendering on every
                            // keystroke would take the focus away.
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                e3(p3.clone(), Box::new(move |n| if let BuilderNode::Cond { value, .. } = n { *value = v }))
                            } />
                    })}
                    <button class="small danger" aria-label="Remove condition" on:click=move |_| remove(&e4, &p4)>"×"</button>
                </div>
            }
            .into_any()
        }
    }
}

fn remove<E>(edit: &E, path: &[usize])
where
    E: Fn(Vec<usize>, Box<dyn FnOnce(&mut BuilderNode)>),
{
    let Some((&last, parent)) = path.split_last() else {
        return;
    };
    edit(
        parent.to_vec(),
        Box::new(move |n| {
            if let BuilderNode::Group { children, .. } = n {
                if last < children.len() {
                    children.remove(last);
                }
            }
        }),
    );
}
