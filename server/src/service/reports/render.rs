//! A report drawn on the server: markdown and callouts as safe HTML, formulas as
//! MathML, and every panel of every panel grid as SVG from the same drawing code the
//! browser's canvas uses, so the page reads complete without JavaScript.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::charts::plot::{AxisView, Marks};
use app::charts::run_id_color;
use app::charts::svg::to_svg;
use app::components::plot_view::axes;
use app::logic::filter::{Builtin, Column, Expr, FieldValue, Literal};
use app::logic::line_panel::{build_lines, x_axis_of, DrawnRun, Fetched, MAX_KEYS};
use app::logic::markdown::to_safe_html;
use app::logic::math::to_mathml;
use app::logic::plot::extent;
use app::logic::workspace::{expand_keys, parse_hex_color, series_group};
use app::model::{
    BlockKind, Panel, PanelKind, ProjectRef, RenderedBlock, RenderedPanel, ReportDoc, RunRow,
    RunSet, Section, SectionLayout, SeriesQuery, GRID_COLUMNS, MAX_DRAWN_RUNS, ROW_PX,
};

use crate::error::ApiError;
use crate::metrics::cache::MetaCache;
use crate::service::reads::series_in_project;
use crate::service::runs_table::{matching, parse};
use crate::service::workspace::metric_keys;

/// The width, in CSS pixels, a report's content is laid out for; charts are drawn
/// at their share of it and scale with the page.
pub const PAGE_PX: u32 = 960;

/// Where a report's charts come from.
pub struct Source<'a> {
    pub db: &'a DatabaseConnection,
    pub cache: &'a MetaCache,
    pub project_id: i32,
    pub at: &'a ProjectRef,
}

/// Every block that needs the server's drawing, by block id.
pub async fn render_doc(
    src: &Source<'_>,
    doc: &ReportDoc,
) -> Result<Vec<(u64, RenderedBlock)>, ApiError> {
    let mut out = Vec::new();
    let mut known_keys: Option<Vec<String>> = None;
    for block in &doc.blocks {
        let rendered = match &block.kind {
            BlockKind::Markdown { text } | BlockKind::Callout { text, .. } => RenderedBlock {
                html: to_safe_html(text),
                ..RenderedBlock::default()
            },
            BlockKind::Math { tex } => RenderedBlock {
                html: to_mathml(tex),
                ..RenderedBlock::default()
            },
            BlockKind::PanelGrid { run_sets, section } => {
                grid(src, run_sets, section, &mut known_keys).await?
            }
            _ => continue,
        };
        out.push((block.id, rendered));
    }
    Ok(out)
}

/// A run set's runs, the first `max_runs` of them with their drawing colour.
pub struct SetRuns {
    pub total: u64,
    pub rows: Vec<RunRow>,
}

/// The runs a run set names now: its filter in its sort order, or, frozen, the runs
/// it holds that still exist (in the same sort order).
pub async fn resolve(
    db: &impl ConnectionTrait,
    project_id: i32,
    set: &RunSet,
    columns: Vec<String>,
    limit: u64,
) -> Result<SetRuns, ApiError> {
    let filter = match &set.frozen {
        Some(ids) if ids.is_empty() => {
            return Ok(SetRuns {
                total: 0,
                rows: vec![],
            })
        }
        Some(ids) => Some(Expr::In {
            column: Column::Builtin(Builtin::Id),
            values: ids.iter().map(|r| Literal::Str(r.0.clone())).collect(),
            negated: false,
        }),
        None => parse(&set.filter)?,
    };
    let page = matching(
        db,
        project_id,
        filter.as_ref(),
        set.sort.clone(),
        columns,
        limit,
    )
    .await?;
    Ok(SetRuns {
        total: page.total,
        rows: page.rows,
    })
}

/// A run as charts draw it: its logged colour, else the one its id gives it.
pub fn drawn(row: &RunRow) -> DrawnRun {
    let color = row
        .color
        .as_deref()
        .and_then(parse_hex_color)
        .unwrap_or_else(|| {
            let c = run_id_color(&row.id.0);
            (c.0, c.1, c.2)
        });
    DrawnRun {
        id: row.id.clone(),
        name: row.name.clone(),
        color,
        group: None,
        running: false,
    }
}

/// The columns scatter and bar panels read from the runs table.
pub fn panel_columns(section: &Section) -> Vec<String> {
    let mut cols = Vec::new();
    for p in &section.panels {
        match &p.kind {
            PanelKind::Scatter { x, y } => cols.extend([x.clone(), y.clone()]),
            PanelKind::Bar { metric } => cols.push(metric.clone()),
            _ => {}
        }
    }
    cols.sort();
    cols.dedup();
    cols
}

/// A panel's size in CSS pixels on the report's page.
fn panel_size(layout: SectionLayout, panel: &Panel) -> (u32, u32) {
    let col = PAGE_PX / GRID_COLUMNS;
    match layout {
        SectionLayout::Standard { width, height, .. } => {
            (width.clamp(1, GRID_COLUMNS) * col, height.clamp(120, 1200))
        }
        SectionLayout::Custom => (
            panel.rect.w.clamp(1, GRID_COLUMNS) * col,
            (panel.rect.h.max(3) * ROW_PX).min(1200),
        ),
    }
}

fn message(text: &str) -> String {
    format!(
        "<p class=\"panel-status\">{}</p>",
        app::logic::html::escape_text(text)
    )
}

/// The runs a grid draws (each run once, in run-set order) and how many each run
/// set matched.
pub async fn grid_runs(
    src: &Source<'_>,
    run_sets: &[RunSet],
    columns: Vec<String>,
) -> Result<(Vec<RunRow>, Vec<u32>), ApiError> {
    let mut rows: Vec<RunRow> = Vec::new();
    let mut run_counts = Vec::with_capacity(run_sets.len());
    for set in run_sets {
        let limit = u64::from(set.max_runs.clamp(1, MAX_DRAWN_RUNS));
        let got = resolve(src.db, src.project_id, set, columns.clone(), limit).await?;
        run_counts.push(got.total.min(u64::from(u32::MAX)) as u32);
        for r in got.rows {
            if !rows.iter().any(|have| have.id == r.id) {
                rows.push(r);
            }
        }
    }
    Ok((rows, run_counts))
}

/// The grouping a grid's charts use: the first run set's that groups.
pub fn grid_group(run_sets: &[RunSet]) -> Option<app::model::GroupBy> {
    run_sets
        .iter()
        .find_map(|s| s.group_by.first().cloned())
        .and_then(|g| series_group(&Some(g)))
}

/// A line panel's buckets over `runs`: one answer per metric (globs expanded), the
/// x metric's when x is a metric; within `zoom` when given. `Err` says why not.
pub async fn line_data(
    src: &Source<'_>,
    runs: &[DrawnRun],
    plot: &app::model::LinePlot,
    group: Option<app::model::GroupBy>,
    buckets: usize,
    zoom: Option<(f64, f64)>,
    known_keys: &mut Option<Vec<String>>,
) -> Result<(Fetched, bool), ApiError> {
    let keys = if plot.y.iter().any(|k| k.contains('*')) {
        if known_keys.is_none() {
            *known_keys = Some(metric_keys(src.db, src.project_id).await?);
        }
        expand_keys(&plot.y, known_keys.as_deref().unwrap_or(&[]), MAX_KEYS)
    } else {
        expand_keys(&plot.y, &[], MAX_KEYS)
    };
    let by_metric = matches!(plot.x, app::model::XSpec::Metric(_));
    let grouped = group.is_some() && !by_metric;
    // A zoom on another metric's axis is in that metric's units: applied when drawing.
    let zoom = if by_metric { None } else { zoom };
    let query = |key: String| SeriesQuery {
        runs: runs.iter().map(|r| r.id.clone()).collect(),
        key,
        x: x_axis_of(&plot.x),
        x_min: zoom.map(|z| z.0),
        x_max: zoom.map(|z| z.1),
        buckets,
        group_by: if grouped { group.clone() } else { None },
    };
    let mut series = Vec::with_capacity(keys.len());
    for k in &keys {
        series.push(
            series_in_project(src.db, src.cache, src.project_id, src.at, &query(k.clone())).await?,
        );
    }
    let x_series = match &plot.x {
        app::model::XSpec::Metric(m) => Some(
            series_in_project(src.db, src.cache, src.project_id, src.at, &query(m.clone())).await?,
        ),
        _ => None,
    };
    Ok((
        Fetched {
            series,
            x_series,
            buckets,
        },
        grouped,
    ))
}

async fn grid(
    src: &Source<'_>,
    run_sets: &[RunSet],
    section: &Section,
    known_keys: &mut Option<Vec<String>>,
) -> Result<RenderedBlock, ApiError> {
    let (rows, run_counts) = grid_runs(src, run_sets, panel_columns(section)).await?;
    let drawn_runs: Vec<DrawnRun> = rows.iter().map(drawn).collect();
    let group = grid_group(run_sets);
    let mut panels = Vec::with_capacity(section.panels.len());
    for p in &section.panels {
        let (w, h) = panel_size(section.layout, p);
        let title = p.display_title();
        let html = match &p.kind {
            PanelKind::Markdown { text } => to_safe_html(text),
            PanelKind::Line(_) if drawn_runs.is_empty() => message("No runs match this run set."),
            PanelKind::Line(plot) => {
                // One bucket per ~2 pixels: min and max of each are kept.
                let buckets = (w / 2).clamp(50, 1_000) as usize;
                match line_data(
                    src,
                    &drawn_runs,
                    plot,
                    group.clone(),
                    buckets,
                    None,
                    known_keys,
                )
                .await
                {
                    Err(e) => message(&format!("This chart could not be drawn: {e}")),
                    Ok((fetched, grouped)) => {
                        let lines = build_lines(&fetched, plot, &drawn_runs, grouped);
                        if lines.iter().all(|l| l.xs.is_empty()) {
                            message("No data for these metrics in these runs.")
                        } else {
                            let (x, y) = axes(&lines, plot, None);
                            let label = format!("Line chart of {}", plot.y.join(", "));
                            let mut svg =
                                to_svg(w, h, &x, &y, Marks::LinesEnvelope(&lines), &label);
                            svg.push_str(&legend(
                                lines.iter().map(|l| (l.label.as_str(), l.color)),
                            ));
                            svg
                        }
                    }
                }
            }
            PanelKind::Scatter { x, y } => {
                let dots: Vec<(f64, f64, (u8, u8, u8))> = rows
                    .iter()
                    .zip(&drawn_runs)
                    .filter_map(|(r, d)| Some((num(r, x)?, num(r, y)?, d.color)))
                    .collect();
                if dots.is_empty() {
                    message("No run in this run set has both values.")
                } else {
                    let (xlo, xhi) = extent(dots.iter().map(|d| d.0), false);
                    let (ylo, yhi) = extent(dots.iter().map(|d| d.1), false);
                    to_svg(
                        w,
                        h,
                        &AxisView::linear(xlo, xhi),
                        &AxisView::linear(ylo, yhi),
                        Marks::Dots(&dots),
                        &format!("Scatter plot of {y} against {x}"),
                    )
                }
            }
            PanelKind::Bar { metric } => {
                let bars: Vec<(String, f64, (u8, u8, u8))> = rows
                    .iter()
                    .zip(&drawn_runs)
                    .filter_map(|(r, d)| Some((d.name.clone(), num(r, metric)?, d.color)))
                    .collect();
                if bars.is_empty() {
                    message("No run in this run set has this value.")
                } else {
                    let (lo, hi) = extent(bars.iter().map(|b| b.1).chain([0.0]), false);
                    let n = bars.len() as f64;
                    let mut svg = to_svg(
                        w,
                        h,
                        &AxisView::linear(0.0, n),
                        &AxisView::linear(lo.min(0.0), hi),
                        Marks::Bars(&bars),
                        &format!("Bar chart of {metric}"),
                    );
                    svg.push_str(&legend(bars.iter().map(|b| (b.0.as_str(), b.2))));
                    svg
                }
            }
        };
        panels.push(RenderedPanel {
            id: p.id,
            title,
            html,
            runs: drawn_runs.len() as u32,
        });
    }
    Ok(RenderedBlock {
        html: String::new(),
        panels,
        run_counts,
    })
}

fn num(row: &RunRow, column: &str) -> Option<f64> {
    match row.values.get(column)? {
        FieldValue::Num(n) if n.is_finite() => Some(*n),
        _ => None,
    }
}

/// A chart's legend as a list under it (text the reader can select and search).
fn legend<'a>(entries: impl Iterator<Item = (&'a str, (u8, u8, u8))>) -> String {
    let mut out = String::from("<ul class=\"chart-legend\">");
    for (label, c) in entries.take(50) {
        out.push_str(&format!(
            "<li><span class=\"dot\" style=\"background:#{:02x}{:02x}{:02x}\"></span>{}</li>",
            c.0,
            c.1,
            c.2,
            app::logic::html::escape_text(label)
        ));
    }
    out.push_str("</ul>");
    out
}
