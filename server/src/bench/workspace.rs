//! `cairn bench workspace --keep-dir DIR`: seeds the Workspace benchmark's project,
//! 500 runs × 50 metrics × 10,000 steps (250 million points), into a SQLite data
//! directory, for `end2end/bench/workspace-first-chart.mjs` to time in Chromium (from
//! navigation to the first chart drawn, and to every chart in view drawn).
//!
//! Runs are created, logged (1,000 steps of all 50 metrics per request, through
//! the batching writer, so summaries are kept as ingest keeps them) and finished
//! through the same operations `/api/v1` uses.
//! The 50 metrics are 10 under each of 5 prefixes, so a first visit makes 5
//! sections of 10 line plots.

use std::path::PathBuf;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use app::model::{MetricValue, ProjectRef};

use crate::db::write::Writer;
use crate::service::ops;
use crate::service::ops::types::{FinishRun, LogMetrics, MetricRow, UpsertRun};

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The project the bench creates.
pub const WORKSPACE_PROJECT: &str = "workspace-bench";
const PREFIXES: [&str; 5] = ["train", "val", "grad", "optim", "system"];

#[derive(Clone, Debug)]
pub struct WorkspaceSizes {
    pub runs: usize,
    pub metrics: usize,
    pub steps: usize,
}

impl WorkspaceSizes {
    /// What the Workspace issue names.
    pub fn full() -> Self {
        WorkspaceSizes {
            runs: 500,
            metrics: 50,
            steps: 10_000,
        }
    }

    pub fn quick() -> Self {
        WorkspaceSizes {
            runs: 50,
            metrics: 50,
            steps: 1_000,
        }
    }
}

/// Seed the project into `dir` (which must not hold a database yet); prints progress
/// and returns the points written.
pub async fn seed(dir: PathBuf, sizes: &WorkspaceSizes) -> Fallible<u64> {
    std::fs::create_dir_all(&dir)?;
    if dir.join("cairn.db").exists() {
        return Err(format!("{} already holds a database", dir.display()).into());
    }
    let url = format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display());
    let db = crate::db::connect(&url).await?;
    crate::db::migrate(&db).await?;
    let user = crate::bootstrap::create_user(&db, "bench", "bench-password", false).await?;
    let writer = Writer::start(db.clone());
    let keys: Vec<String> = (0..sizes.metrics)
        .map(|i| {
            format!(
                "{}/m{:02}",
                PREFIXES[i % PREFIXES.len()],
                i / PREFIXES.len()
            )
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    let mut points = 0u64;
    let t0_ms = 1_760_000_000_000i64;
    for r in 0..sizes.runs {
        let optimizer = ["adam", "sgd", "adamw"][r % 3];
        let run = ops::upsert_run(
            &db,
            &user,
            UpsertRun {
                project: WORKSPACE_PROJECT.into(),
                id: Some(format!("run-{r:04}")),
                name: Some(format!("bench-{r:04}")),
                config: json!({
                    "lr": 10f64.powf(-rng.gen_range(1.0..5.0)),
                    "optimizer": optimizer,
                    "seed": r,
                })
                .as_object()
                .cloned(),
                group: Some(format!("sweep-{}", r % 10)),
                start_time: Some((t0_ms + r as i64 * 60_000) as f64 / 1000.0),
                ..Default::default()
            },
        )
        .await?;
        let at = ProjectRef::new(run.entity.clone(), run.project.clone());
        let scale = rng.gen_range(0.5..2.0);
        let run_start_ms = t0_ms + r as i64 * 60_000;
        for from in (0..sizes.steps).step_by(1_000) {
            let rows = (from..(from + 1_000).min(sizes.steps))
                .map(|s| {
                    let t = s as f64 / sizes.steps as f64;
                    let values = keys
                        .iter()
                        .enumerate()
                        .map(|(k, key)| {
                            let rate = 1.0 + k as f64 / 10.0;
                            let v = scale * (-rate * 3.0 * t).exp()
                                + 0.02 * ((s * (k + 3)) as f64).sin();
                            (key.clone(), MetricValue(v))
                        })
                        .collect();
                    MetricRow {
                        step: s as i64,
                        time: Some((run_start_ms + s as i64 * 100) as f64 / 1000.0),
                        values,
                    }
                })
                .collect();
            ops::log_metrics(&writer, &user, &at, &run.id, LogMetrics { rows }).await?;
        }
        points += (sizes.metrics * sizes.steps) as u64;
        ops::finish_run(
            &db,
            &user,
            &at,
            &run.id,
            FinishRun {
                exit_code: 0,
                time: Some((run_start_ms + sizes.steps as i64 * 100) as f64 / 1000.0),
            },
        )
        .await?;
        if (r + 1) % 50 == 0 || r + 1 == sizes.runs {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "  {} runs, {} points in {:.0} s ({:.0} points/s)",
                r + 1,
                points,
                secs,
                points as f64 / secs.max(1e-9)
            );
        }
    }
    Ok(points)
}
