//! What every HTTP benchmark shares: a `cairn serve` child on a fresh data dir (or a
//! fresh PostgreSQL database), an HTTP client, latency percentiles, and the server's
//! peak memory and disk use.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub(super) type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

use super::{Fallible, Store};

pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
    /// More servers on the same PostgreSQL database (`CAIRN_BENCH_SERVERS=2`): requests
    /// go to `base` and these in turn, as a round-robin load balancer sends them.
    pub(super) others: Vec<(Child, String)>,
    next: std::sync::atomic::AtomicUsize,
    pub(super) key: String,
    pub(super) data_dir: PathBuf,
    pub(super) pg_db: Option<(String, String)>,
}

impl Server {
    /// The base URL the next request goes to.
    fn next_base(&self) -> &str {
        if self.others.is_empty() {
            return &self.base;
        }
        let n =
            self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % (self.others.len() + 1);
        if n == 0 {
            &self.base
        } else {
            &self.others[n - 1].1
        }
    }

    /// How many `cairn serve` processes answer.
    pub(super) fn count(&self) -> usize {
        1 + self.others.len()
    }
}

/// Servers per benchmark from `CAIRN_BENCH_SERVERS` (1 unless set; more only on
/// PostgreSQL, where several servers share one database).
pub(super) fn servers_wanted(store: &Store) -> usize {
    match store {
        Store::Postgres(_) => std::env::var("CAIRN_BENCH_SERVERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1usize)
            .clamp(1, 8),
        Store::Sqlite => 1,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for (child, _) in &mut self.others {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::remove_dir_all(&self.data_dir).ok();
    }
}

pub(super) fn free_port() -> Fallible<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

pub(super) async fn start_server(store: &Store, site_root: &Path) -> Fallible<Server> {
    let tag = format!("{}_{}", std::process::id(), rand::random::<u32>());
    let data_dir = std::env::temp_dir().join(format!("cairn-bench-{tag}"));
    std::fs::create_dir_all(&data_dir)?;
    let port = free_port()?;
    let key = crate::auth::credentials::new_api_key();
    let password = crate::auth::credentials::new_password();
    let mut pg_db = None;
    let database_url = match store {
        Store::Sqlite => None,
        Store::Postgres(base) => {
            let name = format!("cairn_bench_{tag}");
            let admin = sea_orm::Database::connect(format!("{base}/postgres")).await?;
            sea_orm::ConnectionTrait::execute_unprepared(
                &admin,
                &format!("CREATE DATABASE \"{name}\""),
            )
            .await?;
            admin.close().await?;
            pg_db = Some((base.clone(), name.clone()));
            Some(format!("{base}/{name}"))
        }
    };
    let serve = |port: u16, dir: &Path| -> Fallible<Child> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.arg("serve")
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--no-demo")
            .env("CAIRN_DATA_DIR", dir)
            .env("CAIRN_ADMIN_PASSWORD", &password)
            .env("CAIRN_ADMIN_API_KEY", &key)
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("LEPTOS_OUTPUT_NAME", "cairn")
            .env(
                "RUST_LOG",
                std::env::var("CAIRN_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        match &database_url {
            Some(url) => cmd.env("DATABASE_URL", url),
            None => cmd.env_remove("DATABASE_URL"),
        };
        Ok(cmd.spawn()?)
    };
    let child = serve(port, &data_dir)?;
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
        others: Vec::new(),
        next: std::sync::atomic::AtomicUsize::new(0),
        key: key.clone(),
        data_dir,
        pg_db,
    };
    let client = http();
    wait_up(&client, &server.base, &server.key).await?;
    // The first server has migrated and made the admin; the others join it, each with
    // its own data dir (only staged uploads live there).
    for i in 1..servers_wanted(store) {
        let port = free_port()?;
        let dir = server.data_dir.join(format!("server-{i}"));
        std::fs::create_dir_all(&dir)?;
        let child = serve(port, &dir)?;
        let base = format!("http://127.0.0.1:{port}/api/v1");
        server.others.push((child, base.clone()));
        wait_up(&client, &base, &server.key).await?;
    }
    Ok(server)
}

async fn wait_up(client: &Http, base: &str, key: &str) -> Fallible<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let req = hyper::Request::builder()
            .uri(format!("{base}/viewer"))
            .header("authorization", format!("Bearer {key}"))
            .body(Full::new(Bytes::new()))?;
        if let Ok(resp) = client.request(req).await {
            if resp.status().as_u16() == 200 {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("the server at {base} did not come up within 60 s").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) async fn drop_pg(server: &mut Server) -> Fallible<()> {
    for (child, _) in &mut server.others {
        let _ = child.kill();
        let _ = child.wait();
    }
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

pub(super) fn http() -> Http {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build_http()
}

pub(super) async fn call(
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
pub(super) async fn call_timed(
    client: &Http,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Bytes>,
) -> Fallible<(u16, Bytes, Vec<(String, f64)>)> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("{}{}", server.next_base(), path))
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

pub(super) async fn expect_ok(
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

pub(super) fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[i.min(sorted_ms.len() - 1)]
}

/// Time `repeats` calls; returns "p50 … ms, p99 … ms" plus the response size.
pub(super) async fn latency(
    client: &Http,
    server: &Server,
    method: &str,
    path: &str,
    body: Option<Bytes>,
    repeats: usize,
    check: &dyn Fn(&[u8]) -> Result<(), String>,
) -> Fallible<String> {
    let mut times = Vec::with_capacity(repeats);
    let mut engine = Vec::with_capacity(repeats);
    let mut encode = Vec::with_capacity(repeats);
    let mut size = 0;
    // The first call finds no decoded chunks in the server's chart cache.
    let t = Instant::now();
    let answer = expect_ok(client, server, method, path, body.clone()).await?;
    let first = t.elapsed().as_secs_f64() * 1000.0;
    check(&answer).map_err(|e| format!("{method} {path}: wrong answer: {e}"))?;
    let first = format!("first call {first:.1} ms");
    for _ in 0..repeats {
        let t = Instant::now();
        let (status, bytes, timings) =
            call_timed(client, server, method, path, body.clone()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!("{method} {path}: HTTP {status}").into());
        }
        // Every answer is checked (after the clock stopped), not only its status.
        check(&bytes).map_err(|e| format!("{method} {path}: wrong answer: {e}"))?;
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
pub(super) fn peak_rss_text(pid: u32) -> String {
    match peak_rss_kb(pid) {
        Some(kb) => format!("{:.0} MB", kb as f64 / 1024.0),
        None => format!("unknown (no VmHWM in /proc/{pid}/status)"),
    }
}

pub(super) fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub(super) fn dir_bytes(dir: &Path) -> u64 {
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

pub(super) async fn disk_bytes(server: &Server) -> Fallible<u64> {
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

/// Give `project` (of admin) what a watched project has: a threshold on the mean of
/// `metric`'s last 5 values, a change between its last 10 and the 50 before, and a
/// run-state automation. None of them fires (the thresholds are out of reach), so what
/// is measured is evaluating them on every point, not sending webhooks.
pub(super) async fn add_automations(
    client: &Http,
    server: &Server,
    project: &str,
    metric: &str,
) -> Fallible<()> {
    let url = "https://hooks.example.org/cairn-bench";
    let specs = [
        serde_json::json!({"name": "bench threshold", "trigger": {"event": "run_metric", "metric": metric,
            "window": 5, "agg": "mean", "op": "gt", "threshold": 1e300},
            "action": {"kind": "slack", "url": url, "message": "${metric} = ${value}"}}),
        serde_json::json!({"name": "bench change", "trigger": {"event": "run_metric_change", "metric": metric,
            "current_window": 10, "prior_window": 50, "change": "absolute", "direction": "any", "amount": 1e300},
            "action": {"kind": "slack", "url": url, "message": "${metric} moved"}}),
        serde_json::json!({"name": "bench crashed", "trigger": {"event": "run_state", "states": ["crashed"]},
            "action": {"kind": "slack", "url": url, "message": "${run_name} crashed"}}),
    ];
    for spec in specs {
        let path = format!("/automations/admin/{project}");
        let (status, body) = call(
            client,
            server,
            "POST",
            &path,
            Some(Bytes::from(spec.to_string())),
        )
        .await?;
        if status != 201 {
            return Err(format!(
                "creating a bench automation: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
    }
    eprintln!("{project}: 3 automations (two metric windows on {metric}, one run state)");
    Ok(())
}
