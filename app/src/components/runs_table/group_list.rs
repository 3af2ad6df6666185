use leptos::prelude::*;

use super::runs_grid::RunsGrid;
use crate::api::runs_table::query_run_groups;
use crate::model::{ColumnKind, GroupsQuery, Histogram, RunGroup};

/// The filtered runs in collapsible groups, each with its run count and a small
/// histogram per visible numeric column; opening a group shows its runs.
#[component]
pub fn GroupList() -> impl IntoView {
    let ctx = super::use_table();
    let groups = LocalResource::new(move || {
        let histograms: Vec<String> = ctx
            .visible()
            .into_iter()
            .filter(|c| c.kind == ColumnKind::Number)
            .map(|c| c.id)
            .collect();
        let query = GroupsQuery {
            filter: ctx.filter.get(),
            by: ctx.group_by.get(),
            histograms,
        };
        ctx.refresh.track();
        let project = ctx.project.get_value();
        async move {
            // Ungrouping unmounts this list; do not ask for nothing on the way out.
            if query.by.is_empty() {
                return Ok(Default::default());
            }
            query_run_groups(project, query).await
        }
    });
    view! {
        {move || match groups.get() {
            None => view! { <p class="loading">"Grouping runs…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error-message" role="alert">{e.to_string()}</p> }.into_any(),
            Some(Ok(answer)) => {
                ctx.total.set(Some(answer.total));
                let by = ctx.group_by.get_untracked();
                let note = answer.truncated.then(|| view! {
                    <p class="muted">"Only the largest groups are shown."</p>
                });
                let empty = answer.groups.is_empty().then(|| view! {
                    <p class="empty">"No runs match this filter."</p>
                });
                view! {
                    {note}
                    {empty}
                    <ul class="run-groups" aria-label="Run groups">
                        {answer.groups.into_iter().map(|g| view! { <GroupRow group=g by=by.clone() /> }).collect_view()}
                    </ul>
                }
                .into_any()
            }
        }}
    }
}

/// One group: a toggle with its values and count, histograms, and its runs when open.
#[component]
fn GroupRow(
    /// The group.
    group: RunGroup,
    /// The grouped column ids, in the order of the group's values.
    by: Vec<String>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let label = by
        .iter()
        .zip(&group.values)
        .map(|(c, v)| {
            format!(
                "{c}: {}",
                v.as_ref()
                    .map(|v| v.display())
                    .unwrap_or_else(|| "(none)".into())
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let within: Vec<(String, Option<crate::logic::filter::FieldValue>)> = by
        .iter()
        .cloned()
        .zip(group.values.iter().cloned())
        .collect();
    let count = group.count;
    let height = ((count as f64) * 34.0).min(400.0);
    let histograms = group
        .histograms
        .into_iter()
        .map(|(col, h)| view! { <HistogramBars column=col histogram=h /> })
        .collect_view();
    view! {
        <li class="run-group">
            <div class="group-head">
                <button class="group-toggle" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                    <span aria-hidden="true">{move || if open.get() { "▾ " } else { "▸ " }}</span>
                    <span class="group-label">{label}</span>
                    <span class="group-count">{crate::logic::format::count(count, "run")}</span>
                </button>
                <div class="group-hists">{histograms}</div>
            </div>
            <Show when=move || open.get()>
                <RunsGrid within=within.clone() max_height=height main=false />
            </Show>
        </li>
    }
}

/// A small bar chart of one column's values in a group (bins shared by all groups).
#[component]
fn HistogramBars(
    /// The column the values come from.
    column: String,
    /// Counts per bin.
    histogram: Histogram,
) -> impl IntoView {
    let (w, h) = (96.0, 28.0);
    let n = histogram.counts.len().max(1) as f64;
    let top = histogram.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bars = histogram
        .counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let bh = (c as f64 / top) * h;
            view! {
                <rect x=format!("{:.1}", i as f64 * w / n) y=format!("{:.1}", h - bh)
                    width=format!("{:.1}", (w / n - 1.0).max(1.0)) height=format!("{bh:.1}") />
            }
        })
        .collect_view();
    let total: u32 = histogram.counts.iter().sum();
    let label = format!(
        "{column}: {total} values from {} to {}",
        crate::logic::format::number(histogram.min),
        crate::logic::format::number(histogram.max)
    );
    let (col_attr, label_attr) = (column.clone(), label.clone());
    view! {
        <figure class="hist" data-col=col_attr data-count=total.to_string()>
            <svg width=w height=h role="img" aria-label=label_attr><title>{label}</title>{bars}</svg>
            <figcaption>{column}</figcaption>
        </figure>
    }
}
