//! `cairn bench`: the benchmarks, in a build with `--features bench` only (the server a
//! user runs does not carry them). Each prints a Markdown table and checks its own
//! answers (counts of what was stored and returned), failing rather than printing a
//! number for work that was not done.
//!
//! - `metrics` (W1–W4): ingest and chart queries over HTTP ([`metrics`]);
//! - `wandb` (W5): 20 wandb-like runs streaming through `file_stream` ([`wandb`]);
//! - `runs-table`: the Runs tab's queries over 10,000 runs × 200 columns ([`runs_table`]);
//! - `workspace`: seeds the Workspace browser benchmark ([`workspace`]);
//! - `artifacts`: the Artifacts tab's reads and zips at issue 16's sizes ([`artifacts`]);
//! - `reports`: a report of 24 charts over 100 runs × 100,000 steps, rendered ([`reports`]);
//! - `sweeps`: 20 agents on a 2,000-run sweep, a bayes suggestion, the sweep page ([`sweeps`]);
//! - `blobs`: a 1 GB file into the blob store and back, local and on S3 ([`blobs`]).

pub mod artifacts;
pub mod blobs;
mod harness;
pub mod metrics;
pub mod reports;
pub mod runs_table;
pub mod sweeps;
pub mod wandb;
pub mod workspace;

use std::path::PathBuf;

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// `cairn bench …`.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum BenchCommand {
    /// The metrics engine over HTTP (W1 ingest, W2 one series, W3 charts over 100
    /// runs, W4 grouped) on a fresh SQLite data dir, and on a fresh PostgreSQL
    /// database too when --database-url names a PostgreSQL server.
    Metrics {
        /// A tenth of the sizes, to check the bench itself quickly.
        #[arg(long)]
        quick: bool,
        /// Skip SQLite (benchmark only PostgreSQL).
        #[arg(long)]
        no_sqlite: bool,
        /// Give the ingest projects automations (two metric windows on a logged key and
        /// a run-state one), to measure what evaluating them costs.
        #[arg(long)]
        automations: bool,
    },
    /// The wandb workload (W5): 20 runs streaming through file_stream every 100 ms;
    /// p50/p99 per post.
    Wandb {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        no_sqlite: bool,
        /// As for `metrics`: the project gets automations to evaluate.
        #[arg(long)]
        automations: bool,
    },
    /// The Runs tab: 10,000 runs × 200 columns, filter + sort + first page, timed in
    /// process.
    RunsTable {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        no_sqlite: bool,
        /// Keep the seeded SQLite database in this directory (for `cairn serve
        /// --data-dir DIR` and `end2end/bench/runs-first-rows.mjs`).
        #[arg(long)]
        keep_dir: Option<PathBuf>,
    },
    /// The Artifacts tab: a 2,000-version collection, a 100,000-file version, a run
    /// with 500 used and logged versions, and a 1 GB zip, timed in process.
    Artifacts {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        no_sqlite: bool,
    },
    /// Reports: a published report of 6 panel grids × 4 line charts over 100 runs ×
    /// 100,000 steps, rendered by the service and as a whole page, timed in process.
    Reports {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        no_sqlite: bool,
        /// Runs each chart draws (10 by default, as a run set does).
        #[arg(long)]
        drawn: Option<u32>,
        /// Keep the seeded SQLite database in this directory (for `cairn serve
        /// --data-dir DIR` and `end2end/bench/report-read.mjs`).
        #[arg(long)]
        keep_dir: Option<PathBuf>,
    },
    /// Sweeps: 20 agents heartbeating on a random sweep with run_cap 2,000, a bayes
    /// suggestion over 500 runs × 10 parameters, the sweep page of 2,000 runs.
    Sweeps {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        no_sqlite: bool,
        /// Milliseconds each agent waits between heartbeats (100 by default, 50 times
        /// the client's load; 5000 is the client's own pace, and takes minutes).
        #[arg(long)]
        pace_ms: Option<u64>,
        /// Keep the seeded SQLite database in this directory (for `cairn serve
        /// --data-dir DIR` and `end2end/bench/sweep-page.mjs`).
        #[arg(long)]
        keep_dir: Option<PathBuf>,
    },
    /// A large file (1 GB) into the blob store and back out: the local directory, and
    /// the object store of the global `--blob-url s3://…` when one is given.
    Blobs {
        /// The file's size in MB (1,000 by default; 64 with --quick).
        #[arg(long)]
        size_mb: Option<u64>,
        #[arg(long)]
        quick: bool,
    },
    /// Seed the Workspace benchmark (500 runs × 50 metrics × 10,000 steps) into
    /// --keep-dir, for `end2end/bench/workspace-first-chart.mjs`.
    Workspace {
        #[arg(long)]
        quick: bool,
        #[arg(long)]
        keep_dir: Option<PathBuf>,
    },
}

/// Run one benchmark; `database_url` (the global `--database-url`) adds PostgreSQL,
/// `blob_url` (the global `--blob-url`) object storage.
pub async fn run(
    what: BenchCommand,
    database_url: Option<&str>,
    blob_url: Option<&str>,
) -> Fallible<()> {
    match what {
        BenchCommand::Blobs { size_mb, quick } => {
            blobs_bench(blob_url, size_mb.unwrap_or(if quick { 64 } else { 1000 })).await
        }
        BenchCommand::Metrics {
            quick,
            no_sqlite,
            automations,
        } => http_bench(database_url, quick, no_sqlite, false, automations).await,
        BenchCommand::Wandb {
            quick,
            no_sqlite,
            automations,
        } => http_bench(database_url, quick, no_sqlite, true, automations).await,
        BenchCommand::RunsTable {
            quick,
            no_sqlite,
            keep_dir,
        } => runs_table_bench(database_url, quick, no_sqlite, keep_dir).await,
        BenchCommand::Workspace { quick, keep_dir } => seed_workspace(quick, keep_dir).await,
        BenchCommand::Artifacts { quick, no_sqlite } => {
            artifacts_bench(database_url, quick, no_sqlite).await
        }
        BenchCommand::Reports {
            quick,
            no_sqlite,
            drawn,
            keep_dir,
        } => reports_bench(database_url, quick, no_sqlite, drawn, keep_dir).await,
        BenchCommand::Sweeps {
            quick,
            no_sqlite,
            pace_ms,
            keep_dir,
        } => sweeps_bench(database_url, quick, no_sqlite, pace_ms, keep_dir).await,
    }
}

async fn blobs_bench(blob_url: Option<&str>, size_mb: u64) -> Fallible<()> {
    let size = size_mb * 1_000_000;
    println!(
        "cairn bench blobs ({size_mb} MB; {} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let dir = std::env::temp_dir().join(format!("cairn-blobs-bench-{}", std::process::id()));
    let local = crate::blobs::BlobStore::open(dir.join("files"))?;
    let result = blobs::run(&local, size).await;
    if let Ok(rows) = &result {
        print_table(&format!("local directory ({})", local.describe()), rows);
    }
    if let Some(url) = blob_url.filter(|u| u.starts_with("s3://")) {
        let remote = crate::blobs::BlobStore::open_url(Some(url), dir.join("staging"))?;
        remote.reachable().await?;
        let rows = blobs::run(&remote, size).await?;
        print_table(&format!("object storage ({})", remote.describe()), &rows);
    }
    std::fs::remove_dir_all(&dir).ok();
    result.map(|_| ())
}

async fn sweeps_bench(
    database_url: Option<&str>,
    quick: bool,
    no_sqlite: bool,
    pace_ms: Option<u64>,
    keep_dir: Option<PathBuf>,
) -> Fallible<()> {
    let mut sizes = if quick {
        sweeps::SweepSizes::quick()
    } else {
        sweeps::SweepSizes::full()
    };
    if let Some(p) = pace_ms {
        sizes.pace_ms = p.max(1);
    }
    println!(
        "cairn bench sweeps ({} agents, run_cap {}, bayes {} runs × {} parameters; {} cores)",
        sizes.agents,
        sizes.run_cap,
        sizes.bayes_runs,
        sizes.bayes_params,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let dir = keep_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("cairn-sweeps-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)?;
    let mut page = None;
    if !no_sqlite {
        let url = format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display());
        let (rows, path) = sweeps::run(&url, &dir, &sizes)
            .await
            .map_err(|e| e.to_string())?;
        print_table("SQLite", &rows);
        page = Some(path);
    }
    if let Some(url) = database_url.filter(|u| u.starts_with("postgres")) {
        let base = server_url(url);
        let name = format!("cairn_sweeps_bench_{}", std::process::id());
        let admin = crate::db::connect(&format!("{base}/postgres")).await?;
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let result = sweeps::run(&format!("{base}/{name}"), &dir.join("pg"), &sizes).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        print_table("PostgreSQL", &result.map_err(|e| e.to_string())?.0);
    }
    match (keep_dir, page) {
        (Some(d), Some(path)) => println!(
            "\nThe SQLite data is kept in {}: `cairn serve --data-dir {0}` and \
             `node end2end/bench/sweep-page.mjs http://127.0.0.1:3000{path}` time the page in Chromium.",
            d.display()
        ),
        _ => {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    Ok(())
}

async fn reports_bench(
    database_url: Option<&str>,
    quick: bool,
    no_sqlite: bool,
    drawn: Option<u32>,
    keep_dir: Option<PathBuf>,
) -> Fallible<()> {
    let mut sizes = if quick {
        reports::ReportSizes::quick()
    } else {
        reports::ReportSizes::full()
    };
    if let Some(d) = drawn {
        sizes.drawn = d;
    }
    println!(
        "cairn bench reports ({} grids × 4 charts, {} runs × {} steps, {} drawn; {} cores)",
        sizes.grids,
        sizes.runs,
        sizes.steps,
        sizes.drawn,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let dir = keep_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("cairn-reports-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)?;
    if !no_sqlite {
        let url = format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display());
        let rows = reports::run(&url, &dir, &sizes).await;
        print_table("SQLite", &rows.map_err(|e| e.to_string())?);
    }
    if let Some(url) = database_url.filter(|u| u.starts_with("postgres")) {
        let base = server_url(url);
        let name = format!("cairn_reports_bench_{}", std::process::id());
        let admin = crate::db::connect(&format!("{base}/postgres")).await?;
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let result = reports::run(&format!("{base}/{name}"), &dir.join("pg"), &sizes).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        print_table("PostgreSQL", &result.map_err(|e| e.to_string())?);
    }
    match keep_dir {
        Some(d) => println!(
            "\nThe SQLite data is kept in {}: `cairn serve --data-dir {0}` and \
             `node end2end/bench/report-read.mjs` time the page in Chromium.",
            d.display()
        ),
        None => {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    Ok(())
}

/// One line of the result table.
#[derive(Clone, Debug)]
pub struct Row {
    pub workload: String,
    pub result: String,
}

/// Where the server under test keeps its data.
pub enum Store {
    Sqlite,
    /// A PostgreSQL server URL without a database (`postgres://user@host:port`);
    /// a fresh database is created and dropped.
    Postgres(String),
}

/// A PostgreSQL URL without its database: scheme, credentials and host (each bench
/// makes and drops a database of its own there).
fn server_url(url: &str) -> String {
    match url.find("://").map(|i| i + 3) {
        Some(start) => match url[start..].find('/') {
            Some(slash) => url[..start + slash].to_owned(),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Print rows as a Markdown table.
pub fn print_table(title: &str, rows: &[Row]) {
    println!("\n### {title}\n");
    println!("| workload | result |");
    println!("|---|---|");
    for r in rows {
        println!("| {} | {} |", r.workload, r.result);
    }
}

async fn seed_workspace(quick: bool, keep_dir: Option<std::path::PathBuf>) -> Fallible<()> {
    use workspace::{WorkspaceSizes, WORKSPACE_PROJECT};
    let sizes = if quick {
        WorkspaceSizes::quick()
    } else {
        WorkspaceSizes::full()
    };
    let dir = keep_dir.ok_or("`bench workspace` needs --keep-dir DIR (where to seed)")?;
    println!(
        "cairn bench workspace: seeding {} runs × {} metrics × {} steps into {}",
        sizes.runs,
        sizes.metrics,
        sizes.steps,
        dir.display()
    );
    let points = workspace::seed(dir.clone(), &sizes)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "\n{points} points seeded. Serve them with `cairn serve --data-dir {}` and run \
         `node end2end/bench/workspace-first-chart.mjs` (it opens /bench/{WORKSPACE_PROJECT}/workspace as \
         user bench, password bench-password).",
        dir.display()
    );
    Ok(())
}

async fn artifacts_bench(database_url: Option<&str>, quick: bool, no_sqlite: bool) -> Fallible<()> {
    let sizes = if quick {
        artifacts::ArtifactSizes::quick()
    } else {
        artifacts::ArtifactSizes::full()
    };
    println!(
        "cairn bench artifacts ({} versions, {} files, {} lineage versions, {} MiB zip; {} cores)",
        sizes.versions,
        sizes.files,
        2 * sizes.lineage_each_way,
        (sizes.zip_files * sizes.zip_file_bytes) >> 20,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let dir = std::env::temp_dir().join(format!("cairn-artifacts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    if !no_sqlite {
        let url = format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display());
        let rows = artifacts::run(&url, &dir, &sizes).await;
        print_table("SQLite", &rows.map_err(|e| e.to_string())?);
    }
    if let Some(url) = database_url.filter(|u| u.starts_with("postgres")) {
        let base = server_url(url);
        let name = format!("cairn_artifacts_bench_{}", std::process::id());
        let admin = crate::db::connect(&format!("{base}/postgres")).await?;
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let pg_dir = dir.join("pg");
        let result = artifacts::run(&format!("{base}/{name}"), &pg_dir, &sizes).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        print_table("PostgreSQL", &result.map_err(|e| e.to_string())?);
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

async fn runs_table_bench(
    database_url: Option<&str>,
    quick: bool,
    no_sqlite: bool,
    keep_dir: Option<std::path::PathBuf>,
) -> Fallible<()> {
    use runs_table::RunsTableSizes;
    let sizes = if quick {
        RunsTableSizes::quick()
    } else {
        RunsTableSizes::full()
    };
    println!(
        "cairn bench runs-table ({} runs × {} columns; {} cores)",
        sizes.runs,
        sizes.config_keys + sizes.summary_keys,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if !no_sqlite {
        let (dir, kept) = runs_table::sqlite_dir(keep_dir).map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display());
        let rows = runs_table::run(&url, &sizes)
            .await
            .map_err(|e| e.to_string())?;
        print_table("SQLite", &rows);
        if kept {
            println!(
                "\nThe database is in {}: serve it with `cairn serve --data-dir {}` and open /bench/{}/runs (user bench, password bench-password).",
                dir.display(),
                dir.display(),
                runs_table::BENCH_PROJECT
            );
        } else {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    if let Some(url) = database_url.filter(|u| u.starts_with("postgres")) {
        let base = server_url(url);
        let name = format!("cairn_runs_bench_{}", std::process::id());
        let admin = crate::db::connect(&format!("{base}/postgres")).await?;
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let result = runs_table::run(&format!("{base}/{name}"), &sizes).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        print_table("PostgreSQL", &result.map_err(|e| e.to_string())?);
    }
    Ok(())
}

async fn http_bench(
    database_url: Option<&str>,
    quick: bool,
    no_sqlite: bool,
    wandb: bool,
    automations: bool,
) -> Fallible<()> {
    use metrics::BenchSizes;
    use wandb::WandbSizes;
    // The server under test does not need the web bundle, but it needs a site root.
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let site_root = std::path::Path::new(&site_root);
    println!(
        "cairn bench {} ({}{}; {} cores)",
        if wandb { "wandb" } else { "metrics" },
        if quick { "quick sizes" } else { "full sizes" },
        if automations {
            ", with automations"
        } else {
            ""
        },
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // The metrics-engine workloads (W1–W4), or with --wandb the file_stream one (W5).
    let one = |store: Store| async move {
        let rows = if wandb {
            let sizes = if quick {
                WandbSizes::quick()
            } else {
                WandbSizes::full()
            };
            wandb::run(store, &sizes, site_root, automations).await
        } else {
            let sizes = if quick {
                BenchSizes::quick()
            } else {
                BenchSizes::full()
            };
            metrics::run(store, &sizes, site_root, automations).await
        };
        rows.map_err(|e| e.to_string())
    };
    if !no_sqlite {
        print_table("SQLite", &one(Store::Sqlite).await?);
    }
    match database_url {
        Some(url) if url.starts_with("postgres") => {
            print_table("PostgreSQL", &one(Store::Postgres(server_url(url))).await?);
        }
        Some(other) if !other.starts_with("sqlite") => {
            return Err(format!("--database-url must be a postgres:// URL, not {other:?}").into());
        }
        _ => {}
    }
    Ok(())
}
