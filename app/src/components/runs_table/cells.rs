//! How one run's value for a column is shown in a table cell.

use leptos::prelude::*;

use crate::components::state_badge::StateBadge;
use crate::logic::filter::{Builtin, Column};
use crate::logic::format;
use crate::model::{ProjectRef, RunRow};

/// Fixed widths keep pinned offsets computable and the layout stable while scrolling.
pub const CHECK_WIDTH: f64 = 36.0;
pub const NAME_WIDTH: f64 = 240.0;

pub fn width_of(id: &str) -> f64 {
    match id {
        "name" => NAME_WIDTH,
        "tags" => 190.0,
        "created" => 190.0,
        "state" => 110.0,
        _ => 150.0,
    }
}

/// The cell of `row` for column `id`.
pub fn cell_view(project: &ProjectRef, row: &RunRow, id: &str) -> AnyView {
    match Column::from_name(id) {
        Some(Column::Builtin(b)) => match b {
            Builtin::Name => {
                // The same colour the Workspace draws the run in, unless chosen there.
                let c = row.color.clone().unwrap_or_else(|| {
                    let c = crate::charts::run_id_color(&row.id.0);
                    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
                });
                let dot = view! { <span class="dot" style=format!("background:{c}")></span> };
                view! { {dot}<a href=project.run_href(&row.id)>{row.name.clone()}</a> }.into_any()
            }
            Builtin::State => view! { <StateBadge state=row.state /> }.into_any(),
            Builtin::Created => {
                let title = format::timestamp(row.created_ms);
                view! { <span title=title.clone()>{title.clone()}</span> }.into_any()
            }
            Builtin::Runtime => format::duration(row.runtime_seconds).into_any(),
            Builtin::User => row.user.clone().into_any(),
            Builtin::Tags => row
                .tags
                .iter()
                .map(|t| view! { <span class="tag">{t.clone()}</span> })
                .collect_view()
                .into_any(),
            Builtin::Notes => row.notes.clone().into_any(),
            Builtin::Group => row.group.clone().unwrap_or_default().into_any(),
            Builtin::JobType => row.job_type.clone().unwrap_or_default().into_any(),
            Builtin::Sweep => row.sweep.clone().unwrap_or_default().into_any(),
            Builtin::Id => row.id.0.clone().into_any(),
        },
        _ => row
            .values
            .get(id)
            .map(|v| v.display())
            .unwrap_or_default()
            .into_any(),
    }
}
