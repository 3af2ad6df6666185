//! `cairn bench wandb` (W5): 20 runs created through `UpsertBucket`, each posting
//! history rows through `file_stream` every 100 ms like the wandb client; latency of
//! each post, p50 and p99, checked by counting what the server stored.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::harness::*;
use super::metrics::curve;
use super::{Fallible, Row, Store};

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
pub async fn run(
    store: Store,
    sizes: &WandbSizes,
    site_root: &Path,
    automations: bool,
) -> Fallible<Vec<Row>> {
    let server = Arc::new(start_server(&store, site_root).await?);
    let client = http();
    let mut rows = Vec::new();
    for (variant, lockstep) in [("w5", false), ("w5l", true)] {
        let sizes = WandbSizes {
            lockstep,
            ..sizes.clone()
        };
        rows.push(wandb_variant(&client, &server, variant, &sizes, automations).await?);
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
    automations: bool,
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
    if automations && prefix == "w5" {
        super::harness::add_automations(client, server, "bench-wandb", "train/metric_0").await?;
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
