//! `cairn bench`: start a Cairn server on a fresh data dir (and a fresh PostgreSQL
//! database when asked), drive it over HTTP the way logging clients and charts do,
//! and print what it sustained:
//!
//! - W1 ingest: runs × metrics × steps points through `POST …/metrics` batches from
//!   one concurrent client per run; points/s end to end, checked by counting what
//!   the server stored afterwards;
//! - W2 one full series (10,000 points, raw): latency p50/p99;
//! - W3 a chart over 100 runs × 100,000 steps of one metric, 1,000 buckets, the full
//!   range and a 1% zoom: latency p50/p99;
//! - W4 the same 100 runs grouped into 5 groups;
//! - the server's peak RSS, and bytes on disk per stored point.
//!
//! Request bodies are encoded before the clock starts, so the client's JSON work on
//! the same machine does not count against the server. Latencies are measured at the
//! client (loopback HTTP plus JSON included), so they bound the server time from above.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;
type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Sizes of the workloads.
#[derive(Clone, Debug)]
pub struct BenchSizes {
    pub w1_runs: usize,
    pub w1_metrics: usize,
    pub w1_steps: usize,
    pub w1_rows_per_request: usize,
    pub w3_runs: usize,
    pub w3_steps: usize,
    pub w3_groups: usize,
    pub repeats: usize,
}

impl BenchSizes {
    /// The sizes the metrics-engine issue names.
    pub fn full() -> BenchSizes {
        BenchSizes {
            w1_runs: 10,
            w1_metrics: 10,
            w1_steps: 10_000,
            w1_rows_per_request: 1_000,
            w3_runs: 100,
            w3_steps: 100_000,
            w3_groups: 5,
            repeats: 50,
        }
    }

    /// A tenth of everything, for a quick check that the bench still works.
    pub fn quick() -> BenchSizes {
        BenchSizes {
            w1_runs: 4,
            w1_metrics: 10,
            w1_steps: 2_000,
            w1_rows_per_request: 500,
            w3_runs: 10,
            w3_steps: 10_000,
            w3_groups: 5,
            repeats: 10,
        }
    }
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

struct Server {
    child: Child,
    base: String,
    key: String,
    data_dir: PathBuf,
    pg_db: Option<(String, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::remove_dir_all(&self.data_dir).ok();
    }
}

fn free_port() -> Fallible<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

async fn start_server(store: &Store, site_root: &Path) -> Fallible<Server> {
    let tag = format!("{}_{}", std::process::id(), rand::random::<u32>());
    let data_dir = std::env::temp_dir().join(format!("cairn-bench-{tag}"));
    std::fs::create_dir_all(&data_dir)?;
    let port = free_port()?;
    let key = crate::auth::credentials::new_api_key();
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("serve")
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--no-demo")
        .env("CAIRN_DATA_DIR", &data_dir)
        .env(
            "CAIRN_ADMIN_PASSWORD",
            crate::auth::credentials::new_password(),
        )
        .env("CAIRN_ADMIN_API_KEY", &key)
        .env("LEPTOS_SITE_ROOT", site_root)
        .env("LEPTOS_OUTPUT_NAME", "cairn")
        .env(
            "RUST_LOG",
            std::env::var("CAIRN_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut pg_db = None;
    match store {
        Store::Sqlite => {
            cmd.env_remove("DATABASE_URL");
        }
        Store::Postgres(base) => {
            let name = format!("cairn_bench_{tag}");
            let admin = sea_orm::Database::connect(format!("{base}/postgres")).await?;
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("CREATE DATABASE \"{name}\""),
            )
            .await?;
            admin.close().await?;
            cmd.env("DATABASE_URL", format!("{base}/{name}"));
            pg_db = Some((base.clone(), name));
        }
    }
    let child = cmd.spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
        key,
        data_dir,
        pg_db,
    };
    let client = http();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = call(&client, &server, "GET", "/viewer", None).await {
            return Ok(server);
        }
        if Instant::now() > deadline {
            return Err("the server did not come up within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn drop_pg(server: &mut Server) -> Fallible<()> {
    let _ = server.child.kill();
    let _ = server.child.wait();
    if let Some((base, name)) = server.pg_db.take() {
        let admin = sea_orm::Database::connect(format!("{base}/postgres")).await?;
        sea_orm::ConnectionTrait::execute_unprepared(
            &admin,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await?;
        admin.close().await?;
    }
    Ok(())
}

fn http() -> Http {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build_http()
}

async fn call(
    client: &Http,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Bytes>,
) -> Fallible<(u16, Bytes)> {
    let (status, bytes, _) = call_timed(client, server, method, path, body).await?;
    Ok((status, bytes))
}

/// Like [`call`], also returning the server's `Server-Timing` durations (ms) by name.
async fn call_timed(
    client: &Http,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Bytes>,
) -> Fallible<(u16, Bytes, Vec<(String, f64)>)> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("{}{}", server.base, path))
        .header("authorization", format!("Bearer {}", server.key))
        .header("content-type", "application/json")
        .body(Full::new(body.unwrap_or_default()))?;
    let resp = client.request(req).await?;
    let status = resp.status().as_u16();
    let timings = resp
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .filter_map(|part| {
                    let (name, dur) = part.trim().split_once(";dur=")?;
                    Some((name.to_owned(), dur.parse().ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await?.to_bytes();
    Ok((status, bytes, timings))
}

async fn expect_ok(
    client: &Http,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Bytes>,
) -> Fallible<Bytes> {
    let (status, bytes) = call(client, server, method, path, body).await?;
    if !(200..300).contains(&status) {
        return Err(format!(
            "{method} {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        )
        .into());
    }
    Ok(bytes)
}

/// A noisy, decaying training curve.
fn curve(rng: &mut StdRng, metric: usize, step: usize) -> f64 {
    let base = 2.0 / (1.0 + metric as f64) * (-(step as f64) / 20_000.0).exp();
    base + rng.gen_range(-0.05..0.05)
}

/// Request bodies logging `steps` steps of `metrics` metrics, `rows` rows each.
fn bodies(seed: u64, metrics: usize, steps: usize, rows: usize, start: f64) -> Vec<Bytes> {
    let mut rng = StdRng::seed_from_u64(seed);
    let names: Vec<String> = (0..metrics).map(|m| format!("train/m{m}")).collect();
    (0..steps)
        .step_by(rows)
        .map(|first| {
            let rows: Vec<Value> = (first..(first + rows).min(steps))
                .map(|s| {
                    let values: serde_json::Map<String, Value> = names
                        .iter()
                        .enumerate()
                        .map(|(m, n)| (n.clone(), json!(curve(&mut rng, m, s))))
                        .collect();
                    json!({"step": s, "time": start + s as f64 * 0.1, "values": values})
                })
                .collect();
            Bytes::from(serde_json::to_vec(&json!({ "rows": rows })).unwrap_or_default())
        })
        .collect()
}

async fn create_runs(
    client: &Http,
    server: &Server,
    project: &str,
    runs: usize,
    groups: usize,
    start: f64,
) -> Fallible<Vec<String>> {
    let mut ids = Vec::with_capacity(runs);
    for i in 0..runs {
        let id = format!("run{i:03}");
        let body = json!({
            "project": project, "id": id, "group": format!("g{}", i % groups.max(1)),
            "config": {"lr": 0.001 * (1 + i % 7) as f64, "seed": i}, "start_time": start,
        });
        expect_ok(
            client,
            server,
            "POST",
            "/runs",
            Some(Bytes::from(body.to_string())),
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Send every body of every run, one concurrent client per run; returns seconds.
async fn ingest(
    client: &Http,
    server: &Arc<Server>,
    project: &str,
    per_run: Vec<(String, Vec<Bytes>)>,
) -> Fallible<f64> {
    let t = Instant::now();
    let mut tasks = Vec::new();
    for (id, bodies) in per_run {
        let (client, server) = (client.clone(), server.clone());
        let path = format!("/runs/admin/{project}/{id}/metrics");
        tasks.push(tokio::spawn(async move {
            for body in bodies {
                expect_ok(&client, &server, "POST", &path, Some(body)).await?;
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Points the server stored for these runs and keys (from the series' counts).
async fn stored_points(
    client: &Http,
    server: &Server,
    project: &str,
    runs: &[String],
    keys: &[String],
) -> Fallible<u64> {
    let mut total = 0;
    for key in keys {
        let body = json!({"runs": runs, "key": key, "buckets": 1});
        let bytes = expect_ok(
            client,
            server,
            "POST",
            &format!("/series/admin/{project}"),
            Some(Bytes::from(body.to_string())),
        )
        .await?;
        let answer: Value = serde_json::from_slice(&bytes)?;
        for r in answer["runs"].as_array().into_iter().flatten() {
            total += r["total_points"].as_u64().unwrap_or(0);
        }
    }
    Ok(total)
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[i.min(sorted_ms.len() - 1)]
}

/// Time `repeats` calls; returns "p50 … ms, p99 … ms" plus the response size.
async fn latency(
    client: &Http,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Bytes>,
    repeats: usize,
) -> Fallible<String> {
    let mut times = Vec::with_capacity(repeats);
    let mut engine = Vec::with_capacity(repeats);
    let mut encode = Vec::with_capacity(repeats);
    let mut size = 0;
    // The first call finds no decoded chunks in the server's chart cache.
    let t = Instant::now();
    expect_ok(client, server, method, path, body.clone()).await?;
    let first = t.elapsed().as_secs_f64() * 1000.0;
    let first = format!("first call {first:.1} ms");
    for _ in 0..repeats {
        let t = Instant::now();
        let (status, bytes, timings) =
            call_timed(client, server, method, path, body.clone()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!("{method} {path}: HTTP {status}").into());
        }
        size = bytes.len();
        for (name, ms) in timings {
            match name.as_str() {
                "engine" => engine.push(ms),
                "encode" => encode.push(ms),
                _ => {}
            }
        }
    }
    for v in [&mut times, &mut engine, &mut encode] {
        v.sort_by(f64::total_cmp);
    }
    let mut out = format!(
        "end to end p50 {:.1} ms, p99 {:.1} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
    );
    if !engine.is_empty() {
        out.push_str(&format!(
            "; engine p50 {:.1} ms, p99 {:.1} ms; JSON encoding p50 {:.1} ms",
            percentile(&engine, 0.5),
            percentile(&engine, 0.99),
            percentile(&encode, 0.5),
        ));
    }
    out.push_str(&format!(
        "; {first} ({repeats} calls, {} KB per answer)",
        size / 1024
    ));
    Ok(out)
}

/// The peak RSS for the table: in MB, or why it is not known (never a made-up 0).
fn peak_rss_text(pid: u32) -> String {
    match peak_rss_kb(pid) {
        Some(kb) => format!("{:.0} MB", kb as f64 / 1024.0),
        None => format!("unknown (no VmHWM in /proc/{pid}/status)"),
    }
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

async fn disk_bytes(server: &Server) -> Fallible<u64> {
    match &server.pg_db {
        None => Ok(dir_bytes(&server.data_dir)),
        Some((base, name)) => {
            let db = sea_orm::Database::connect(format!("{base}/{name}")).await?;
            let row = sea_orm::ConnectionTrait::query_one_raw(
                &db,
                sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT pg_database_size(current_database()) AS n",
                ),
            )
            .await?
            .ok_or("no size")?;
            let n: i64 = row.try_get("", "n")?;
            db.close().await?;
            Ok(n as u64)
        }
    }
}

/// Run every workload against a fresh server on `store`.
pub async fn run(store: Store, sizes: &BenchSizes, site_root: &Path) -> Fallible<Vec<Row>> {
    let server = Arc::new(start_server(&store, site_root).await?);
    let client = http();
    let mut rows = Vec::new();
    let start = crate::db::now_ms() as f64 / 1000.0 - 86_400.0;

    // W1
    let s = sizes;
    eprintln!(
        "W1: encoding {} request bodies…",
        s.w1_runs * s.w1_steps.div_ceil(s.w1_rows_per_request)
    );
    let ids = create_runs(&client, &server, "w1", s.w1_runs, 1, start).await?;
    let per_run: Vec<(String, Vec<Bytes>)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                id.clone(),
                bodies(
                    i as u64,
                    s.w1_metrics,
                    s.w1_steps,
                    s.w1_rows_per_request,
                    start,
                ),
            )
        })
        .collect();
    let body_bytes: usize = per_run.iter().flat_map(|r| &r.1).map(|b| b.len()).sum();
    eprintln!("W1: sending {} MB…", body_bytes / 1_000_000);
    let secs = ingest(&client, &server, "w1", per_run).await?;
    let want = (s.w1_runs * s.w1_metrics * s.w1_steps) as u64;
    let keys: Vec<String> = (0..s.w1_metrics).map(|m| format!("train/m{m}")).collect();
    let stored = stored_points(&client, &server, "w1", &ids, &keys).await?;
    if stored != want {
        return Err(format!("W1 stored {stored} points, expected {want}").into());
    }
    rows.push(Row {
        workload: format!(
            "W1 ingest {}×{}×{} = {} points, {} concurrent clients, {} rows/request",
            s.w1_runs, s.w1_metrics, s.w1_steps, want, s.w1_runs, s.w1_rows_per_request
        ),
        result: format!(
            "{:.0} points/s ({:.2} s; {:.1} MB/s of JSON; all {} points counted back)",
            want as f64 / secs,
            secs,
            body_bytes as f64 / secs / 1e6,
            stored
        ),
    });

    // W2: a full series of one run, raw.
    let w2_key = &keys[0];
    let body = json!({"runs": [ids[0]], "key": w2_key, "buckets": s.w1_steps});
    let w2 = latency(
        &client,
        &server,
        "POST",
        "/series/admin/w1",
        Some(Bytes::from(body.to_string())),
        s.repeats,
    )
    .await?;
    rows.push(Row {
        workload: format!("W2 one full series, {} raw points", s.w1_steps),
        result: w2,
    });

    // W3 and W4 data: runs × steps of one metric.
    eprintln!("W3: logging {} runs × {} steps…", s.w3_runs, s.w3_steps);
    let ids = create_runs(&client, &server, "w3", s.w3_runs, s.w3_groups, start).await?;
    let per_run: Vec<(String, Vec<Bytes>)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                id.clone(),
                bodies(1_000 + i as u64, 1, s.w3_steps, 10_000, start),
            )
        })
        .collect();
    let secs = ingest(&client, &server, "w3", per_run).await?;
    let w3_points = (s.w3_runs * s.w3_steps) as u64;
    let stored = stored_points(&client, &server, "w3", &ids, &["train/m0".to_owned()]).await?;
    if stored != w3_points {
        return Err(format!("W3 stored {stored} points, expected {w3_points}").into());
    }
    rows.push(Row {
        workload: format!(
            "W3 set-up ingest {}×{} = {} points, {} clients, 10,000 rows/request",
            s.w3_runs, s.w3_steps, w3_points, s.w3_runs
        ),
        result: format!("{:.0} points/s ({:.2} s)", w3_points as f64 / secs, secs),
    });
    let full = json!({"runs": ids, "key": "train/m0", "buckets": 1_000});
    rows.push(Row {
        workload: format!("W3 chart, {} runs, full range, 1,000 buckets", s.w3_runs),
        result: latency(
            &client,
            &server,
            "POST",
            "/series/admin/w3",
            Some(Bytes::from(full.to_string())),
            s.repeats,
        )
        .await?,
    });
    let mid = (s.w3_steps / 2) as f64;
    let zoom = json!({"runs": ids, "key": "train/m0", "buckets": 1_000,
        "x_min": mid, "x_max": mid + (s.w3_steps / 100) as f64 - 1.0});
    rows.push(Row {
        workload: format!(
            "W3 chart, {} runs, 1% zoom ({} raw points per run)",
            s.w3_runs,
            s.w3_steps / 100
        ),
        result: latency(
            &client,
            &server,
            "POST",
            "/series/admin/w3",
            Some(Bytes::from(zoom.to_string())),
            s.repeats,
        )
        .await?,
    });
    let relative = json!({"runs": ids, "key": "train/m0", "buckets": 1_000, "x": "relative_time"});
    rows.push(Row {
        workload: format!("W3 chart, {} runs, relative time, 1,000 buckets", s.w3_runs),
        result: latency(
            &client,
            &server,
            "POST",
            "/series/admin/w3",
            Some(Bytes::from(relative.to_string())),
            s.repeats,
        )
        .await?,
    });
    let grouped =
        json!({"runs": ids, "key": "train/m0", "buckets": 1_000, "group_by": "run_group"});
    rows.push(Row {
        workload: format!(
            "W4 grouped, {} runs in {} groups, 1,000 buckets",
            s.w3_runs, s.w3_groups
        ),
        result: latency(
            &client,
            &server,
            "POST",
            "/series/admin/w3",
            Some(Bytes::from(grouped.to_string())),
            s.repeats,
        )
        .await?,
    });

    rows.push(Row {
        workload: "Peak RSS of the server".into(),
        result: peak_rss_text(server.child.id()),
    });
    let all_points = want + w3_points;
    let bytes = disk_bytes(&server).await?;
    rows.push(Row {
        workload: format!("Disk: {} points stored", all_points),
        result: format!(
            "{:.1} bytes/point ({:.0} MB{})",
            bytes as f64 / all_points as f64,
            bytes as f64 / 1e6,
            if server.pg_db.is_some() {
                ", pg_database_size"
            } else {
                ", data dir incl. WAL"
            }
        ),
    });
    let mut server = Arc::try_unwrap(server).map_err(|_| "server still in use")?;
    drop_pg(&mut server).await?;
    Ok(rows)
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

/// Sizes of the wandb workload (W5).
#[derive(Clone, Debug)]
pub struct WandbSizes {
    /// Concurrent runs, each one posting like a wandb client.
    pub runs: usize,
    /// Time between one run's posts.
    pub every: Duration,
    /// How long the runs log.
    pub duration: Duration,
    /// Metrics per history row.
    pub metrics: usize,
    /// All runs post at the same instant (instead of at random phases).
    pub lockstep: bool,
}

impl WandbSizes {
    /// 20 runs logging every 100 ms for 30 s, as the wandb issue names it.
    pub fn full() -> WandbSizes {
        WandbSizes {
            runs: 20,
            every: Duration::from_millis(100),
            duration: Duration::from_secs(30),
            metrics: 10,
            lockstep: false,
        }
    }

    pub fn quick() -> WandbSizes {
        WandbSizes {
            duration: Duration::from_secs(5),
            ..WandbSizes::full()
        }
    }
}

/// A `POST` to the server's root (not `/api/v1`) with the key as HTTP Basic, the way
/// wandb-core sends it; returns status and body.
async fn wandb_call(
    client: &Http,
    server: &Server,
    path: &str,
    body: Value,
) -> Fallible<(u16, Bytes)> {
    use base64::Engine;
    let root = server.base.trim_end_matches("/api/v1");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("api:{}", server.key));
    let req = hyper::Request::builder()
        .method("POST")
        .uri(format!("{root}{path}"))
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))?;
    let resp = client.request(req).await?;
    let status = resp.status().as_u16();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

/// One wandb run's posts: every `every`, the new history row, the whole summary and a
/// console line (what wandb-core sends with a 100 ms transmit interval), plus a
/// system-metrics line every 15 s. Returns each post's latency in ms.
async fn wandb_run_posts(
    client: Http,
    server: Arc<Server>,
    run: String,
    sizes: WandbSizes,
    seed: u64,
) -> Fallible<Vec<f64>> {
    let mut rng = StdRng::seed_from_u64(seed);
    // Independent clients start at random moments, so their posts are spread over the
    // interval; in lock-step they all post at the same instant (the worst case).
    if !sizes.lockstep {
        let phase = rng.gen_range(0..sizes.every.as_micros().max(1) as u64);
        tokio::time::sleep(Duration::from_micros(phase)).await;
    }
    let mut tick = tokio::time::interval(sizes.every);
    // A client waits for one post before the next; a slow answer delays, never bursts.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let started = Instant::now();
    let t0 = crate::db::now_ms() as f64 / 1000.0;
    let mut times = Vec::new();
    let mut step: u64 = 0;
    let mut summary = serde_json::Map::new();
    let events_every = (15_000 / sizes.every.as_millis().max(1)) as u64;
    while started.elapsed() < sizes.duration {
        tick.tick().await;
        let runtime = started.elapsed().as_secs_f64();
        let mut row = serde_json::Map::new();
        row.insert("_step".into(), json!(step));
        row.insert("_runtime".into(), json!(runtime));
        row.insert("_timestamp".into(), json!(t0 + runtime));
        for m in 0..sizes.metrics {
            let v = curve(&mut rng, m, step as usize);
            row.insert(format!("train/metric_{m}"), json!(v));
            summary.insert(format!("train/metric_{m}"), json!(v));
        }
        summary.insert("_step".into(), json!(step));
        summary.insert("_runtime".into(), json!(runtime));
        let mut files = json!({
            "wandb-history.jsonl": {"offset": step, "content": [Value::Object(row).to_string()]},
            "wandb-summary.json": {"offset": 0, "content": [Value::Object(summary.clone()).to_string()]},
            "output.log": {"offset": step, "content": [format!("2026-11-26T00:00:00.000000 step {step} done")]},
        });
        if step.is_multiple_of(events_every) {
            files["wandb-events.jsonl"] = json!({"offset": step / events_every, "content": [json!({
                "_wandb": true, "_timestamp": t0 + runtime, "_runtime": runtime,
                "system.cpu": 12.5, "system.memory_percent": 7.2, "system.proc.memory.rssMB": 73.4,
            }).to_string()]});
        }
        let body = json!({"files": files});
        let t = Instant::now();
        let (status, bytes) = wandb_call(
            &client,
            &server,
            &format!("/files/admin/bench-wandb/{run}/file_stream"),
            body,
        )
        .await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!(
                "file_stream of {run}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            )
            .into());
        }
        step += 1;
    }
    // The end, as `run.finish()` sends it.
    wandb_call(
        &client,
        &server,
        &format!("/files/admin/bench-wandb/{run}/file_stream"),
        json!({"complete": true, "exitcode": 0}),
    )
    .await?;
    Ok(times)
}

/// W5: concurrent wandb runs streaming through `file_stream`; latency per post and
/// a check that every history line arrived.
pub async fn run_wandb(store: Store, sizes: &WandbSizes, site_root: &Path) -> Fallible<Vec<Row>> {
    let server = Arc::new(start_server(&store, site_root).await?);
    let client = http();
    let mut rows = Vec::new();
    for (variant, lockstep) in [("w5", false), ("w5l", true)] {
        let sizes = WandbSizes {
            lockstep,
            ..sizes.clone()
        };
        rows.push(wandb_variant(&client, &server, variant, &sizes).await?);
    }
    rows.push(Row {
        workload: "Peak RSS of the server".into(),
        result: peak_rss_text(server.child.id()),
    });
    let mut server = Arc::try_unwrap(server).map_err(|_| "server still in use")?;
    drop_pg(&mut server).await?;
    Ok(rows)
}

/// One W5 run set (named `{prefix}NNN`): post, then check every line is stored.
async fn wandb_variant(
    client: &Http,
    server: &Arc<Server>,
    prefix: &str,
    sizes: &WandbSizes,
) -> Fallible<Row> {
    let upsert = "mutation UpsertBucket($name: String, $project: String, $entity: String, $config: JSONString) {\n\
        upsertBucket(input: {name: $name, modelName: $project, entityName: $entity, config: $config}) { bucket { id name } } }";
    let mut names = Vec::new();
    for i in 0..sizes.runs {
        let name = format!("{prefix}{i:03}");
        let (status, body) = wandb_call(
            client,
            server,
            "/graphql",
            json!({"query": upsert, "variables": {"name": name, "project": "bench-wandb", "entity": "admin",
                   "config": json!({"lr": {"value": 0.001 * (i + 1) as f64}}).to_string()}}),
        )
        .await?;
        if status != 200 || String::from_utf8_lossy(&body).contains("\"errors\"") {
            return Err(format!(
                "UpsertBucket: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        names.push(name);
    }
    eprintln!(
        "W5: {} runs posting every {} ms for {} s{}…",
        sizes.runs,
        sizes.every.as_millis(),
        sizes.duration.as_secs(),
        if sizes.lockstep { ", in lock-step" } else { "" }
    );
    let started = Instant::now();
    let tasks: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            tokio::spawn(wandb_run_posts(
                client.clone(),
                server.clone(),
                name.clone(),
                sizes.clone(),
                i as u64,
            ))
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.map_err(|e| format!("a run task failed: {e}"))??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let posts = times.len();

    // Every history line must be stored: ask as the wandb client does on resume.
    let resume = "query R($project: String, $entity: String, $name: String!) {\n\
        model(name: $project, entityName: $entity) { bucket(name: $name) { historyLineCount } } }";
    let mut stored = 0u64;
    for name in &names {
        let (_, body) = wandb_call(
            client,
            server,
            "/graphql",
            json!({"query": resume, "variables": {"project": "bench-wandb", "entity": "admin", "name": name}}),
        )
        .await?;
        let v: Value = serde_json::from_slice(&body)?;
        stored += v["data"]["model"]["bucket"]["historyLineCount"]
            .as_u64()
            .unwrap_or(0);
    }
    if stored != posts as u64 {
        return Err(format!("{posts} history lines were posted but {stored} are stored").into());
    }
    Ok(Row {
        workload: format!(
            "W5 file_stream: {} wandb runs posting every {} ms{} ({} metrics per row, summary, console line; system metrics every 15 s)",
            sizes.runs,
            sizes.every.as_millis(),
            if sizes.lockstep {
                ", all at the same instant"
            } else {
                " at random phases"
            },
            sizes.metrics
        ),
        result: format!(
            "**p99 {:.1} ms**, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms over {posts} posts ({:.0} posts/s); all {stored} history lines stored",
            percentile(&times, 0.99),
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.last().copied().unwrap_or(f64::NAN),
            posts as f64 / elapsed,
        ),
    })
}
