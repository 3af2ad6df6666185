//! A scatter panel: one dot per drawn run, a column against another.

use leptos::prelude::*;

use super::static_plot::{values, OwnedMarks, StaticPlot};
use crate::charts::plot::AxisView;
use crate::logic::plot::extent;

/// One dot per drawn run at its values of two columns (summary metrics or config).
#[component]
pub fn ScatterPanel(
    /// The column on the x axis.
    x: String,
    /// The column on the y axis.
    y: String,
) -> impl IntoView {
    let (xc, yc) = (x.clone(), y.clone());
    let marks = Memo::new(move |_| {
        let xs = values(&xc);
        let ys = values(&yc);
        let dots: Vec<(f64, f64, (u8, u8, u8))> = xs
            .iter()
            .zip(&ys)
            .filter_map(|((_, a, c), (_, b, _))| Some(((*a)?, (*b)?, *c)))
            .collect();
        let (xlo, xhi) = extent(dots.iter().map(|d| d.0), false);
        let (ylo, yhi) = extent(dots.iter().map(|d| d.1), false);
        (
            AxisView::linear(xlo, xhi),
            AxisView::linear(ylo, yhi),
            OwnedMarks::Dots(dots),
        )
    });
    let empty = move || marks.with(|(_, _, m)| matches!(m, OwnedMarks::Dots(d) if d.is_empty()));
    view! {
        <StaticPlot marks label=format!("Scatter plot of {y} against {x}") />
        <p class="panel-note">{format!("x: {x} · y: {y}")}</p>
        {move || empty().then(|| view! { <p class="panel-status">"No drawn run has both values."</p> })}
    }
}
