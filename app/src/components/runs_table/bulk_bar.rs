use leptos::prelude::*;

use crate::api::runs_table::bulk_update_runs;
use crate::model::{BulkAction, BulkTarget, RunId};

/// Actions on the selected runs: delete, add or remove a tag, move to a group.
#[component]
pub fn BulkBar() -> impl IntoView {
    let ctx = super::use_table();
    let tag = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let confirm_delete = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let count = move || {
        if ctx.all_matching.get() {
            ctx.total.get().unwrap_or(0)
        } else {
            ctx.selected.with(|s| s.len() as u64)
        }
    };
    let run = move |action: BulkAction, done: &'static str| {
        let target = if ctx.all_matching.get_untracked() {
            BulkTarget::Matching(ctx.filter.get_untracked())
        } else {
            BulkTarget::Runs(
                ctx.selected
                    .get_untracked()
                    .into_iter()
                    .map(RunId)
                    .collect(),
            )
        };
        busy.set(true);
        let project = ctx.project.get_value();
        leptos::task::spawn_local(async move {
            match bulk_update_runs(project, target, action).await {
                Ok(n) => {
                    ctx.status.try_set(Some(format!(
                        "{done} {n} run{}.",
                        if n == 1 { "" } else { "s" }
                    )));
                    ctx.selected.try_set(Default::default());
                    ctx.all_matching.try_set(false);
                    ctx.refresh.try_update(|r| *r += 1);
                }
                Err(e) => {
                    ctx.status
                        .try_set(Some(format!("Could not change the runs: {e}")));
                }
            }
            busy.try_set(false);
            confirm_delete.try_set(false);
        });
    };
    view! {
        <Show when=move || { count() > 0 }>
            <div class="bulk-bar" role="toolbar" aria-label="Selected runs">
                <strong>{move || if ctx.all_matching.get() {
                    format!("All {} matching runs selected", count())
                } else {
                    format!("{} selected", count())
                }}</strong>
                <Show when=move || !ctx.all_matching.get() && ctx.total.get().is_some_and(|t| t > count())>
                    <button class="small" on:click=move |_| ctx.all_matching.set(true)>
                        {move || format!("Select all {} matching", ctx.total.get().unwrap_or(0))}
                    </button>
                </Show>
                <button class="small" on:click=move |_| { ctx.selected.set(Default::default()); ctx.all_matching.set(false); }>"Clear selection"</button>
                <Show when=move || ctx.can_write.get() fallback=|| view! { <span class="muted">"You can read this project but not change its runs."</span> }>
                    <span class="bulk-group">
                        <input type="text" aria-label="Tag" placeholder="tag" prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev)) />
                        <button class="small" disabled=move || busy.get() || tag.get().trim().is_empty()
                            on:click=move |_| run(BulkAction::AddTag(tag.get_untracked().trim().to_owned()), "Tagged")>"Add tag"</button>
                        <button class="small" disabled=move || busy.get() || tag.get().trim().is_empty()
                            on:click=move |_| run(BulkAction::RemoveTag(tag.get_untracked().trim().to_owned()), "Untagged")>"Remove tag"</button>
                    </span>
                    <span class="bulk-group">
                        <input type="text" aria-label="Group name" placeholder="group" prop:value=move || group.get() on:input=move |ev| group.set(event_target_value(&ev)) />
                        <button class="small" disabled=move || busy.get()
                            on:click=move |_| {
                                let g = group.get_untracked().trim().to_owned();
                                run(BulkAction::SetGroup((!g.is_empty()).then_some(g)), "Moved")
                            }>"Move to group"</button>
                    </span>
                    <Show when=move || confirm_delete.get() fallback=move || view! {
                        <button class="small danger" on:click=move |_| confirm_delete.set(true)>"Delete…"</button>
                    }>
                        <span class="confirm">
                            {move || format!("Delete {}?", crate::logic::format::count(count(), "run"))}
                            <button class="small danger" disabled=move || busy.get() on:click=move |_| run(BulkAction::Delete, "Deleted")>"Confirm delete"</button>
                            <button class="small" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                        </span>
                    </Show>
                </Show>
            </div>
        </Show>
    }
}
