//! The pure part of a line plot panel (the Workspace's and the run page's): what to
//! fetch, the lines to draw from the answers, and merging the points of running runs
//! into what is drawn.

use crate::charts::series_color;
use crate::logic::plot::{group_line, halve_buckets, pair_by_step, run_line, smooth_line, Line};
use crate::model::{BucketColumns, GroupBy, LinePlot, RunId, SeriesAnswer, XAxis, XSpec};

/// Most metrics one line plot draws (a glob can match many).
pub const MAX_KEYS: usize = 20;

/// A run as the charts draw it.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnRun {
    pub id: RunId,
    pub name: String,
    pub color: (u8, u8, u8),
    /// The run's value of the grouping column, when grouping.
    pub group: Option<String>,
    pub running: bool,
}

/// What a fetch brought back.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetched {
    /// One answer per y metric.
    pub series: Vec<SeriesAnswer>,
    /// The x metric's answer when x is another metric.
    pub x_series: Option<SeriesAnswer>,
    pub buckets: usize,
}

/// Everything that decides what to fetch.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchKey {
    pub keys: Vec<String>,
    pub x: XSpec,
    pub runs: Vec<RunId>,
    pub group: Option<GroupBy>,
    pub zoom: Option<(f64, f64)>,
    pub buckets: usize,
}

pub fn x_axis_of(x: &XSpec) -> XAxis {
    match x {
        XSpec::Step | XSpec::Metric(_) => XAxis::Step,
        XSpec::RelativeTime => XAxis::RelativeTime,
        XSpec::WallTime => XAxis::WallTime,
    }
}

/// About one bucket per pixel of a plot `width` CSS pixels wide, in steps of 100 so
/// small resizes reuse answers.
pub fn bucket_budget(width: u32) -> usize {
    (width.div_ceil(100) * 100).clamp(100, 2_000) as usize
}

/// The lines to draw, in legend order (the sidebar's order; groups in order of
/// first appearance).
pub fn build_lines(
    data: &Fetched,
    plot: &LinePlot,
    drawn: &[DrawnRun],
    grouped: bool,
) -> Vec<Line> {
    let many = data.series.len() > 1;
    let mut lines = Vec::new();
    for (ki, answer) in data.series.iter().enumerate() {
        if grouped && data.x_series.is_none() && !answer.groups.is_empty() {
            for (gi, g) in answer.groups.iter().enumerate() {
                let label = if many {
                    format!("{} · {}", g.group, answer.key)
                } else {
                    g.group.clone()
                };
                let c = series_color(gi + ki * 3);
                lines.push(group_line(
                    label,
                    (c.0, c.1, c.2),
                    &g.buckets,
                    plot.group_line,
                    plot.group_band,
                ));
            }
            continue;
        }
        for run in drawn {
            let Some(rs) = answer.runs.iter().find(|r| r.run == run.id) else {
                continue;
            };
            let mut rows = rs.buckets.rows();
            if let Some(xs) = &data.x_series {
                let Some(xr) = xs.runs.iter().find(|r| r.run == run.id) else {
                    continue;
                };
                rows = pair_by_step(&xr.buckets.rows(), &rows);
            }
            let label = if many {
                format!("{} · {}", run.name, answer.key)
            } else {
                run.name.clone()
            };
            let color = if many && ki > 0 {
                let c = series_color(ki * 7 + lines.len());
                (c.0, c.1, c.2)
            } else {
                run.color
            };
            lines.push(run_line(label, color, &rows));
        }
    }
    for l in &mut lines {
        smooth_line(l, plot.smoothing, plot.smoothing_amount);
    }
    lines
}

/// Where to ask for new points of running runs: the earliest last x among them, so no
/// run misses points (each keeps only what lies after its own last x); `None` when no
/// running run has points yet.
pub fn live_cursor(answer: &SeriesAnswer, running: &[RunId]) -> Option<f64> {
    let cursor = answer
        .runs
        .iter()
        .filter(|r| running.contains(&r.run))
        .filter_map(|r| r.buckets.last_x())
        .fold(f64::INFINITY, f64::min);
    cursor.is_finite().then_some(cursor)
}

/// Append to `answer` the buckets of `fresh` (asked from the cursor on) that lie after
/// each run's last bucket, halving resolution while a run holds more than twice
/// `budget` buckets; whether anything was added.
pub fn merge_fresh(answer: &mut SeriesAnswer, fresh: SeriesAnswer, budget: usize) -> bool {
    let mut changed = false;
    for new in fresh.runs {
        let Some(old) = answer.runs.iter_mut().find(|r| r.run == new.run) else {
            continue;
        };
        let mut rows = old.buckets.rows();
        let last = rows.last().map_or(f64::NEG_INFINITY, |b| b.x_last);
        let added: Vec<_> = new
            .buckets
            .rows()
            .into_iter()
            .filter(|b| b.x_first > last)
            .collect();
        if added.is_empty() {
            continue;
        }
        rows.extend(added);
        while rows.len() > budget * 2 {
            rows = halve_buckets(&rows);
        }
        old.buckets = BucketColumns::from_buckets(&rows);
        old.total_points = new.total_points;
        old.raw = false;
        changed = true;
    }
    changed
}
