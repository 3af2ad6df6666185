//! `cairn bench runs-table`: the Runs tab's server work on a project of 10,000 runs
//! with 100 config and 100 summary columns (2 million filterable values). Runs are
//! written through the same repository the APIs use (so `run_fields` is filled the
//! way ingest fills it), then each query shape is timed in process: parse, compile to
//! SQL, run it, and read one page of 50 rows with 20 value columns, exactly what the
//! `query_runs` server function does after its access check.
//!
//! With `--keep-dir DIR` the SQLite database stays in DIR, so `cairn serve --data-dir
//! DIR` can serve it to `end2end/bench/runs-first-rows.mjs` (time to first rows in
//! Chromium).

use std::path::PathBuf;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::{json, Map, Value};

use app::logic::summary::AutoSummary;
use app::model::{ProjectRef, RunsQuery, SortSpec};

use crate::bench::Row;
use crate::db::entities::run;
use crate::db::repo::{projects, runs};
use crate::service::runs_table;

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone, Debug)]
pub struct RunsTableSizes {
    pub runs: usize,
    pub config_keys: usize,
    pub summary_keys: usize,
    pub repeats: usize,
}

impl RunsTableSizes {
    /// What the runs-table issue names: 10,000 runs × 200 columns.
    pub fn full() -> Self {
        RunsTableSizes {
            runs: 10_000,
            config_keys: 100,
            summary_keys: 100,
            repeats: 30,
        }
    }

    pub fn quick() -> Self {
        RunsTableSizes {
            runs: 1_000,
            config_keys: 100,
            summary_keys: 100,
            repeats: 10,
        }
    }
}

/// The project the bench creates (and `--keep-dir` leaves behind).
pub const BENCH_PROJECT: &str = "runs-bench";

fn config(rng: &mut StdRng, keys: usize) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("lr".into(), json!(10f64.powf(-rng.gen_range(1.0..5.0))));
    m.insert(
        "optimizer".into(),
        json!(["adam", "sgd", "adamw", "lion"][rng.gen_range(0..4)]),
    );
    m.insert("batch_size".into(), json!(16 << rng.gen_range(0..5)));
    for k in 3..keys {
        let v = match k % 3 {
            0 => json!(rng.gen_range(0..1000)),
            1 => json!(rng.gen_range(0.0..1.0)),
            _ => json!(format!("v{}", rng.gen_range(0..50))),
        };
        m.insert(format!("param_{k:03}"), v);
    }
    m
}

fn summary(rng: &mut StdRng, keys: usize) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("val/loss".into(), json!(rng.gen_range(0.05..3.0)));
    m.insert("val/acc".into(), json!(rng.gen_range(0.1..0.99)));
    for k in 2..keys {
        m.insert(format!("metric_{k:03}"), json!(rng.gen_range(-10.0..10.0)));
    }
    m
}

/// Seed the project: runs written 500 per transaction through `runs::insert`.
async fn seed(db: &DatabaseConnection, sizes: &RunsTableSizes) -> Fallible<ProjectRef> {
    let user = crate::bootstrap::create_user(db, "bench", "bench-password", false).await?;
    let first = crate::service::ops::upsert_run(
        db,
        &user,
        crate::service::ops::types::UpsertRun {
            project: BENCH_PROJECT.into(),
            id: Some("seed".into()),
            ..Default::default()
        },
    )
    .await?;
    let owner = projects::find_entity(db, &first.entity)
        .await?
        .ok_or("bench entity vanished")?;
    let project = projects::find_project(db, owner.id, BENCH_PROJECT)
        .await?
        .ok_or("bench project vanished")?;
    let mut rng = StdRng::seed_from_u64(42);
    let t = Instant::now();
    for chunk in (1..sizes.runs).collect::<Vec<_>>().chunks(500) {
        let tx = db.begin().await?;
        for &i in chunk {
            let states = [
                "finished", "finished", "finished", "failed", "crashed", "running",
            ];
            let tags: Vec<&str> = ["baseline", "ablation", "long", "v2"]
                .into_iter()
                .filter(|_| rng.gen_bool(0.25))
                .collect();
            let model = run::ActiveModel {
                project_id: Set(project.id),
                run_id: Set(format!("r{i:05}")),
                display_name: Set(format!("run-{i}")),
                ordinal: Set(i as i64 + 1),
                state: Set(states[rng.gen_range(0..states.len())].to_owned()),
                config: Set(Value::Object(config(&mut rng, sizes.config_keys)).to_string()),
                summary_auto: Set(serde_json::to_string(&AutoSummary::default())?),
                summary_explicit: Set(
                    Value::Object(summary(&mut rng, sizes.summary_keys)).to_string()
                ),
                tags: Set(serde_json::to_string(&tags)?),
                notes: Set(String::new()),
                group_name: Set(Some(format!("sweep-{}", i % 20))),
                job_type: Set(Some("train".into())),
                user_id: Set(user.id),
                host: Set(None),
                git_commit: Set(None),
                created_at: Set(1_790_000_000_000 + i as i64 * 60_000),
                heartbeat_at: Set(1_790_000_000_000 + i as i64 * 60_000),
                finished_at: Set(None),
                runtime_seconds: Set(rng.gen_range(60.0..36_000.0)),
                exit_code: Set(None),
                color: Set(None),
                deleted_at: Set(None),
                ..Default::default()
            };
            runs::insert(&tx, model).await?;
        }
        tx.commit().await?;
    }
    // What a database in use has: fresh planner statistics (without them the first
    // plans are guesses) and, on PostgreSQL, the visibility map that lets index-only
    // scans skip the table. Autovacuum vacuums a table after inserts of a fifth of it,
    // so it would have done both within a minute of this seeding.
    if crate::db::is_sqlite(db) {
        db.execute_unprepared("ANALYZE").await?;
    } else {
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    println!(
        "  seeded {} runs × {} columns in {:.1}s",
        sizes.runs,
        sizes.config_keys + sizes.summary_keys,
        t.elapsed().as_secs_f64()
    );
    Ok(ProjectRef::new(owner.name, project.name))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Seed a fresh database at `url` and time the query shapes.
pub async fn run(url: &str, sizes: &RunsTableSizes) -> Fallible<Vec<Row>> {
    let db = crate::db::connect(url).await?;
    crate::db::migrate(&db).await?;
    let at = seed(&db, sizes).await?;
    let viewer = crate::db::repo::users::find_by_username(&db, "bench")
        .await?
        .ok_or("bench user vanished")?;
    // 20 value columns, as a table shows by default (and more than fit on screen).
    let mut columns: Vec<String> = (3..13).map(|k| format!("config.param_{k:03}")).collect();
    columns.extend((2..12).map(|k| format!("summary.metric_{k:03}")));
    let sort = |c: &str, desc: bool| {
        Some(SortSpec {
            column: c.into(),
            desc,
        })
    };
    let shapes: Vec<(&str, &str, Option<SortSpec>)> = vec![
        ("no filter, newest first", "", None),
        ("no filter, sort by summary.val/loss", "", sort("summary.val/loss", false)),
        (
            "config.lr < 0.001 and config.optimizer = \"adam\", sort by summary.val/loss",
            "config.lr < 0.001 and config.optimizer = \"adam\"",
            sort("summary.val/loss", false),
        ),
        (
            "(state = \"failed\" or summary.val/acc > 0.9) and tags = \"baseline\", sort by config.batch_size desc",
            "(state = \"failed\" or summary.val/acc > 0.9) and tags = \"baseline\"",
            sort("config.batch_size", true),
        ),
        (
            "config.param_005 =~ \"^v1\" and not summary.metric_010 < 0, sort by name",
            "config.param_005 =~ \"^v1\" and not summary.metric_010 < 0",
            sort("name", false),
        ),
        (
            "summary.metric_050 IS NOT NULL and config.param_004 > 0.5, sort by runtime desc",
            "summary.metric_050 IS NOT NULL and config.param_004 > 0.5",
            sort("runtime", true),
        ),
    ];
    let mut rows = Vec::new();
    for (label, filter, sort) in shapes {
        let query = RunsQuery {
            filter: filter.into(),
            sort,
            within: vec![],
            columns: columns.clone(),
            offset: 0,
            limit: 50,
        };
        let mut times = Vec::with_capacity(sizes.repeats);
        let mut total = 0;
        for _ in 0..sizes.repeats {
            let t = Instant::now();
            let page = runs_table::runs_page(&db, Some(&viewer), &at, &query)
                .await
                .map_err(|e| e.to_string())?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            total = page.total;
        }
        times.sort_by(f64::total_cmp);
        rows.push(Row {
            workload: format!("{label} ({total} match)"),
            result: format!(
                "p50 {:.1} ms, p99 {:.1} ms",
                percentile(&times, 0.5),
                percentile(&times, 0.99)
            ),
        });
    }
    // The last page, and grouping with histograms (not in the target, for reference).
    let deep = RunsQuery {
        filter: String::new(),
        sort: sort("summary.val/loss", true),
        within: vec![],
        columns: columns.clone(),
        offset: (sizes.runs as u64).saturating_sub(50),
        limit: 50,
    };
    let t = Instant::now();
    let last = runs_table::runs_page(&db, Some(&viewer), &at, &deep)
        .await
        .map_err(|e| e.to_string())?;
    // It is the last page: it ends with the last run.
    let expected = (sizes.runs as u64).min(50) as usize;
    if last.rows.len() != expected || last.total != sizes.runs as u64 {
        return Err(format!(
            "the last page has {} rows of {} runs; expected {expected} of {}",
            last.rows.len(),
            last.total,
            sizes.runs
        )
        .into());
    }
    rows.push(Row {
        workload: "last page, sort by summary.val/loss desc".into(),
        result: format!("{:.1} ms", t.elapsed().as_secs_f64() * 1000.0),
    });
    let t = Instant::now();
    let groups = runs_table::groups(
        &db,
        Some(&viewer),
        &at,
        &app::model::GroupsQuery {
            filter: String::new(),
            by: vec!["config.optimizer".into()],
            histograms: vec![
                "summary.val/loss".into(),
                "config.lr".into(),
                "runtime".into(),
            ],
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    rows.push(Row {
        workload: format!(
            "group by config.optimizer with 3 histograms ({} groups)",
            groups.groups.len()
        ),
        result: format!("{:.1} ms", t.elapsed().as_secs_f64() * 1000.0),
    });
    let t = Instant::now();
    let meta = runs_table::table_meta(&db, Some(&viewer), &at)
        .await
        .map_err(|e| e.to_string())?;
    rows.push(Row {
        workload: format!("columns list ({} columns)", meta.columns.len()),
        result: format!("{:.1} ms", t.elapsed().as_secs_f64() * 1000.0),
    });
    let n: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM run_fields",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    rows.push(Row {
        workload: "run_fields rows".into(),
        result: n.to_string(),
    });
    db.close().await?;
    Ok(rows)
}

/// A fresh SQLite database in `dir` (kept) or a temporary one.
pub fn sqlite_dir(keep: Option<PathBuf>) -> Fallible<(PathBuf, bool)> {
    match keep {
        Some(dir) => {
            std::fs::create_dir_all(&dir)?;
            if dir.join("cairn.db").exists() {
                return Err(format!("{} already holds a database", dir.display()).into());
            }
            Ok((dir, true))
        }
        None => {
            let dir = std::env::temp_dir().join(format!("cairn-runs-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            Ok((dir, false))
        }
    }
}
