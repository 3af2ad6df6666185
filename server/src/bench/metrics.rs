//! `cairn bench metrics`: start a Cairn server on a fresh data dir (and a fresh PostgreSQL
//! database when asked), drive it over HTTP the way logging clients and charts do,
//! and print what it sustained:
//!
//! - W1 ingest: runs × metrics × steps points through `POST …/metrics` batches from
//!   one concurrent client per run; points/s end to end, checked by reading every
//!   stored point back raw and counting the decoded points;
//! - W2 one full series (10,000 points, raw): latency p50/p99;
//! - W3 a chart over 100 runs × 100,000 steps of one metric, 1,000 buckets, the full
//!   range and a 1% zoom: latency p50/p99;
//! - W4 the same 100 runs grouped into 5 groups;
//! - the server's peak RSS, and bytes on disk per stored point.
//!
//! Every chart answer is checked (each run's bucket counts add up to the points it
//! holds in range, and W4 has its groups), after the clock stops.
//!
//! Request bodies are encoded before the clock starts, so the client's JSON work on
//! the same machine does not count against the server. Latencies are measured at the
//! client (loopback HTTP plus JSON included), so they bound the server time from above.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use hyper::body::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use app::model::SeriesAnswer;

use super::harness::*;
use super::{Fallible, Row, Store};

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

/// A noisy, decaying training curve.
pub(super) fn curve(rng: &mut StdRng, metric: usize, step: usize) -> f64 {
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

/// The points a chart answer holds for each run, counted from its decoded buckets
/// (not from the series' stored counters), in the order of `answer.runs`.
fn bucketed_points(answer: &SeriesAnswer) -> Vec<u64> {
    answer
        .runs
        .iter()
        .map(|r| r.buckets.rows().iter().map(|b| b.count).sum())
        .collect()
}

/// Read every point of `keys` back raw (one bucket per point) and count them.
async fn decoded_points(
    client: &Http,
    server: &Server,
    project: &str,
    runs: &[String],
    keys: &[String],
    steps: usize,
) -> Fallible<u64> {
    let mut total = 0;
    for key in keys {
        let body = json!({"runs": runs, "key": key, "buckets": steps});
        let bytes = expect_ok(
            client,
            server,
            "POST",
            &format!("/series/admin/{project}"),
            Some(Bytes::from(body.to_string())),
        )
        .await?;
        let answer: SeriesAnswer = serde_json::from_slice(&bytes)?;
        if answer.runs.iter().any(|r| !r.raw) {
            return Err(format!("{key}: a run's answer was not raw at {steps} buckets").into());
        }
        total += bucketed_points(&answer).iter().sum::<u64>();
    }
    Ok(total)
}

/// A check of every chart answer: each of `runs` runs holds `points` points in its
/// buckets (and, when `groups` is set, the answer has that many groups).
fn expect_points(
    runs: usize,
    points: u64,
    groups: Option<usize>,
) -> impl Fn(&[u8]) -> Result<(), String> {
    move |bytes| {
        let answer: SeriesAnswer = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let counts = bucketed_points(&answer);
        if counts.len() != runs || counts.iter().any(|&c| c != points) {
            return Err(format!(
                "expected {runs} runs of {points} points each, got {counts:?}"
            ));
        }
        if let Some(g) = groups {
            if answer.groups.len() != g || answer.groups.iter().any(|g| g.buckets.is_empty()) {
                return Err(format!(
                    "expected {g} groups with buckets, got {}",
                    answer.groups.len()
                ));
            }
        }
        Ok(())
    }
}

/// Run every workload against a fresh server on `store`.
pub async fn run(
    store: Store,
    sizes: &BenchSizes,
    site_root: &Path,
    automations: bool,
) -> Fallible<Vec<Row>> {
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
    if automations {
        super::harness::add_automations(&client, &server, "w1", "train/m0").await?;
    }
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
    let stored = decoded_points(&client, &server, "w1", &ids, &keys, s.w1_steps).await?;
    if stored != want {
        return Err(format!("W1 read back {stored} points, expected {want}").into());
    }
    rows.push(Row {
        workload: format!(
            "W1 ingest {}×{}×{} = {} points, {} concurrent clients, {} rows/request",
            s.w1_runs, s.w1_metrics, s.w1_steps, want, s.w1_runs, s.w1_rows_per_request
        ),
        result: format!(
            "{:.0} points/s ({:.2} s; {:.1} MB/s of JSON; all {} points read back and counted)",
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
        &expect_points(1, s.w1_steps as u64, None),
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
    let all = expect_points(s.w3_runs, s.w3_steps as u64, None);
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
            &all,
        )
        .await?,
    });
    rows.push(encodings(&client, &server, &full).await?);
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
            &expect_points(s.w3_runs, (s.w3_steps / 100) as u64, None),
        )
        .await?,
    });
    for (label, x) in [
        ("relative time", "relative_time"),
        ("wall time", "wall_time"),
    ] {
        let body = json!({"runs": ids, "key": "train/m0", "buckets": 1_000, "x": x});
        rows.push(Row {
            workload: format!("W3 chart, {} runs, {label}, 1,000 buckets", s.w3_runs),
            result: latency(
                &client,
                &server,
                "POST",
                "/series/admin/w3",
                Some(Bytes::from(body.to_string())),
                s.repeats,
                &all,
            )
            .await?,
        });
    }
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
            &expect_points(s.w3_runs, s.w3_steps as u64, Some(s.w3_groups)),
        )
        .await?,
    });

    rows.push(Row {
        workload: if server.count() > 1 {
            format!("Peak RSS of the first of {} servers", server.count())
        } else {
            "Peak RSS of the server".into()
        },
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

/// The W3 chart's answer as JSON (what `/api/v1` sends) and as bitcode (what the
/// browser's chart fetch gets): bytes and decode time of each, the decoded answers
/// checked equal.
async fn encodings(client: &Http, server: &Server, query: &Value) -> Fallible<Row> {
    let json_bytes = expect_ok(
        client,
        server,
        "POST",
        "/series/admin/w3",
        Some(Bytes::from(query.to_string())),
    )
    .await?;
    let answer: SeriesAnswer = serde_json::from_slice(&json_bytes)?;
    let packed = bitcode::encode(&answer);
    // Compared as text: NaN never equals itself.
    let want = format!("{answer:?}");
    let median_ms = |decode: &dyn Fn() -> Fallible<SeriesAnswer>| -> Fallible<f64> {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let decoded = decode()?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if format!("{decoded:?}") != want {
                return Err("a decoded answer differs from the one sent".into());
            }
        }
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    };
    let json_ms = median_ms(&|| Ok(serde_json::from_slice(&json_bytes)?))?;
    let bin_ms = median_ms(&|| Ok(bitcode::decode(&packed)?))?;
    Ok(Row {
        workload: format!(
            "W3 answer encodings ({} runs): JSON vs bitcode, size and decode (median of 7, native)",
            answer.runs.len()
        ),
        result: format!(
            "JSON {:.2} MB, {json_ms:.1} ms; bitcode {:.2} MB, {bin_ms:.1} ms",
            json_bytes.len() as f64 / 1e6,
            packed.len() as f64 / 1e6
        ),
    })
}
