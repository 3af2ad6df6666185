//! A bar panel: one bar per drawn run.

use leptos::prelude::*;

use super::static_plot::{values, OwnedMarks, StaticPlot};
use crate::charts::plot::AxisView;
use crate::logic::plot::extent;
use crate::logic::workspace::hex;

/// One bar per drawn run at its value of a column, with a legend of the values.
#[component]
pub fn BarPanel(
    /// The column (a summary metric or config value) the bars show.
    metric: String,
) -> impl IntoView {
    let m = metric.clone();
    let marks = Memo::new(move |_| {
        let bars: Vec<(String, f64, (u8, u8, u8))> = values(&m)
            .into_iter()
            .filter_map(|(name, v, c)| Some((name, v?, c)))
            .collect();
        let (lo, hi) = extent(bars.iter().map(|b| b.1).chain([0.0]), false);
        let n = bars.len().max(1) as f64;
        (
            AxisView::linear(0.0, n),
            AxisView::linear(lo.min(0.0), hi),
            OwnedMarks::Bars(bars),
        )
    });
    let names = move || {
        marks.with(|(_, _, m)| match m {
            OwnedMarks::Bars(b) => b
                .iter()
                .map(|(name, v, c)| (name.clone(), *v, hex(*c)))
                .collect::<Vec<_>>(),
            OwnedMarks::Dots(_) => vec![],
        })
    };
    view! {
        <StaticPlot marks label=format!("Bar chart of {metric}") />
        <ul class="ws-legend" aria-label="Bars">
            {move || names().into_iter().map(|(n, v, c)| view! {
                <li><span class="dot" style=format!("background:{c}")></span>{n}": "{crate::logic::format::number(v)}</li>
            }).collect_view()}
        </ul>
    }
}
