//! `cairn bench reports`: a published report of 6 panel grids × 4 line panels over a
//! run set of 100 runs × 100,000 steps (issue 17's size), drawn complete on the
//! server. Timed twice, in process: the service's rendering (the document, every
//! chart as SVG, the report's HTML), and the whole page through the router (Leptos's
//! server rendering included), each checked for its 24 charts and their lines.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::logic::report_html::body_html;
use app::model::{
    Block, BlockKind, LinePlot, MetricValue, NewProject, Panel, PanelKind, ProjectRef, ReportDoc,
    ReportEdit, ReportRef, RunSet, Section, SectionLayout, Visibility,
};

use super::{Fallible, Row};
use crate::blobs::BlobStore;
use crate::db::write::Writer;
use crate::service::ops;
use crate::service::ops::types::{LogMetrics, MetricRow, UpsertRun};
use crate::service::reports::{self, Showing};

const PROJECT: &str = "reports-bench";
const METRICS: [&str; 4] = ["train/loss", "train/acc", "val/loss", "lr"];

#[derive(Clone, Debug)]
pub struct ReportSizes {
    pub runs: usize,
    pub steps: usize,
    pub grids: usize,
    /// Runs each chart draws (of the run set's matches).
    pub drawn: u32,
    pub repeats: usize,
}

impl ReportSizes {
    pub fn full() -> Self {
        ReportSizes {
            runs: 100,
            steps: 100_000,
            grids: 6,
            // The run set matches all 100; charts draw the first 10 unless told
            // otherwise (W&B's default too). `--drawn 100` draws them all.
            drawn: 10,
            repeats: 30,
        }
    }

    pub fn quick() -> Self {
        ReportSizes {
            runs: 20,
            steps: 5_000,
            grids: 6,
            drawn: 20,
            repeats: 5,
        }
    }
}

fn doc(sizes: &ReportSizes) -> ReportDoc {
    let mut blocks = Vec::new();
    let mut id = 0;
    let mut next = || {
        id += 1;
        id
    };
    for g in 0..sizes.grids {
        blocks.push(Block {
            id: next(),
            kind: BlockKind::Heading {
                level: 2,
                text: format!("Grid {g}"),
            },
        });
        let section_id = next();
        let panels = METRICS
            .iter()
            .map(|m| Panel {
                id: next(),
                title: String::new(),
                kind: PanelKind::Line(LinePlot::of(*m)),
                rect: Default::default(),
            })
            .collect();
        blocks.push(Block {
            id: next(),
            kind: BlockKind::PanelGrid {
                run_sets: vec![RunSet {
                    name: "All runs".into(),
                    max_runs: sizes.drawn,
                    ..RunSet::default()
                }],
                section: Section {
                    id: section_id,
                    name: format!("Grid {g}"),
                    collapsed: false,
                    layout: SectionLayout::Standard {
                        width: 6,
                        height: 260,
                        rows: 2,
                    },
                    panels,
                },
            },
        });
    }
    ReportDoc {
        title: "Bench".into(),
        description: "Six grids of four line plots".into(),
        blocks,
    }
}

fn p50_p95(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (p(0.5), p(0.95))
}

/// Seed, publish and time the report on the database at `url`.
pub async fn run(url: &str, dir: &std::path::Path, sizes: &ReportSizes) -> Fallible<Vec<Row>> {
    let db = crate::db::connect(url).await?;
    crate::db::migrate(&db).await?;
    let blobs = BlobStore::open(dir.join("files"))?;
    let user = crate::bootstrap::create_user(&db, "bench", "bench-password", false).await?;
    crate::service::accounts::create_project(
        &db,
        &user,
        NewProject {
            entity: "bench".into(),
            name: PROJECT.into(),
            visibility: Visibility::Public,
            description: String::new(),
        },
    )
    .await?;
    let at = ProjectRef::new("bench", PROJECT);
    let writer = Writer::start(db.clone());
    let t = Instant::now();
    for r in 0..sizes.runs {
        let id = format!("run-{r:03}");
        ops::upsert_run(
            &db,
            &user,
            UpsertRun {
                project: PROJECT.into(),
                id: Some(id.clone()),
                name: Some(format!("bench-{r:03}")),
                ..Default::default()
            },
        )
        .await?;
        let scale = 1.0 + r as f64 / sizes.runs as f64;
        for from in (0..sizes.steps).step_by(5_000) {
            let rows = (from..(from + 5_000).min(sizes.steps))
                .map(|s| {
                    let x = s as f64 / sizes.steps as f64;
                    let values: BTreeMap<String, MetricValue> = METRICS
                        .iter()
                        .enumerate()
                        .map(|(k, m)| {
                            let v = scale * (-(k as f64 + 1.0) * 3.0 * x).exp()
                                + 0.05 * ((s * (k + 7) + r) as f64).sin();
                            ((*m).to_owned(), MetricValue(v))
                        })
                        .collect();
                    MetricRow {
                        step: s as i64,
                        time: None,
                        values,
                    }
                })
                .collect();
            ops::log_metrics(&writer, &user, &at, &id, LogMetrics { rows }).await?;
        }
    }
    println!(
        "  seeded {} runs × {} metrics × {} steps in {:.1}s",
        sizes.runs,
        METRICS.len(),
        sizes.steps,
        t.elapsed().as_secs_f64()
    );
    let document = doc(sizes);
    let (id, _) = reports::create_report(&db, &user, &at, "Bench", None).await?;
    let r = ReportRef::new(at.clone(), id);
    let v = reports::draft(&db, Some(&user), &r).await?.version;
    let v = reports::edit(
        &db,
        &user,
        &r,
        ReportEdit::SaveDraft {
            doc: document,
            base_version: v,
        },
    )
    .await?
    .draft_version
    .ok_or("no draft version")?;
    reports::edit(&db, &user, &r, ReportEdit::Publish { base_version: v }).await?;

    let app = crate::state::AppState::start(db.clone(), blobs, crate::config::Config::default());
    let charts = sizes.grids * METRICS.len();
    let want_lines = charts * sizes.drawn.min(sizes.runs as u32) as usize;
    let check = |html: &str, what: &str| -> Fallible<()> {
        let svgs = html.matches("<svg").count();
        // Lines are paths of more than the axes' one segment.
        let lines = html
            .split("<path")
            .skip(1)
            .filter(|p| {
                p.split(" d=\"")
                    .nth(1)
                    .and_then(|d| d.split('"').next())
                    .and_then(|d| d.split_once('l'))
                    .is_some_and(|(_, moves)| moves.matches([' ', '-']).count() > 4)
            })
            .count();
        if svgs != charts || lines < want_lines {
            return Err(format!(
                "{what}: {svgs} charts and {lines} lines, wanted {charts} and {want_lines}"
            )
            .into());
        }
        Ok(())
    };
    let mut rows = Vec::new();

    // The service: the document, its 24 charts and the report's HTML.
    let mut samples = Vec::new();
    let mut first = 0.0;
    let mut size = 0;
    for i in 0..=sizes.repeats {
        let t = Instant::now();
        let view = reports::view(&db, &app.chart_cache, None, &r, Showing::Published).await?;
        let html = body_html(&view.doc, &view.rendered);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        check(&html, "service")?;
        size = html.len();
        if i == 0 {
            first = ms;
        } else {
            samples.push(ms);
        }
    }
    let (p50, p95) = p50_p95(&mut samples);
    rows.push(Row {
        workload: format!(
            "report: {} grids × {} line charts, {} of {} runs × {} steps drawn as SVG (service + HTML)",
            sizes.grids,
            METRICS.len(),
            sizes.drawn.min(sizes.runs as u32),
            sizes.runs,
            sizes.steps
        ),
        result: format!(
            "p50 {p50:.1} ms, p95 {p95:.1} ms (first {first:.1} ms); report HTML {:.0} KiB",
            size as f64 / 1024.0
        ),
    });

    // The whole page, through the router as a signed-out reader of the public project.
    let state = crate::wandb::WandbState::new(app).await?;
    let options = leptos::config::LeptosOptions::builder()
        .output_name("cairn")
        .site_root("target/site")
        .build();
    let router = crate::web::router(state, options);
    let path = app::model::report_href(&at, "Bench", id);
    let mut samples = Vec::new();
    let mut first = 0.0;
    let mut size = 0;
    for i in 0..=sizes.repeats {
        let t = Instant::now();
        let resp = router
            .clone()
            .oneshot(
                Request::builder()
                    .uri(&path)
                    .header("host", "bench")
                    .body(Body::empty())?,
            )
            .await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if status != StatusCode::OK {
            return Err(format!("GET {path}: {status}").into());
        }
        let html = String::from_utf8_lossy(&body);
        check(&html, "page")?;
        size = body.len();
        if i == 0 {
            first = ms;
        } else {
            samples.push(ms);
        }
    }
    let (p50, p95) = p50_p95(&mut samples);
    rows.push(Row {
        workload:
            "the same report's whole page (GET, Leptos server rendering, no JavaScript needed)"
                .into(),
        result: format!(
            "p50 {p50:.1} ms, p95 {p95:.1} ms (first {first:.1} ms); page {:.0} KiB ({})",
            size as f64 / 1024.0,
            if size < 1 << 20 {
                "under 1 MB"
            } else {
                "OVER 1 MB"
            }
        ),
    });
    Ok(rows)
}
