//! `cairn bench sweeps` (issue 18's targets), timed in process:
//! - 20 agents heartbeating (through the router, the wandb client's Heartbeat
//!   mutation) against a random sweep with run_cap 2,000, each finishing its run
//!   and asking again after `pace` ms: every heartbeat's latency, and exactly 2,000
//!   runs created (counted);
//! - a bayes suggestion with 500 finished runs × 10 parameters (the controller
//!   alone, then a heartbeat that decides it);
//! - the sweep page's data for those 2,000 runs (the service's view, with the random
//!   forest's importance) and the whole page through the router.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tower::ServiceExt;

use app::logic::sweeps::config::{self, assignment_config};
use app::logic::sweeps::{bayes, sample, Outcome, PastRun};
use app::model::{NewProject, ProjectRef, Visibility};

use super::harness::percentile;
use super::{Fallible, Row};
use crate::blobs::BlobStore;
use crate::db::repo::sweeps as repo;
use crate::db::sql::Sql;
use crate::service::sweeps;

pub const PROJECT: &str = "sweeps-bench";

#[derive(Clone, Debug)]
pub struct SweepSizes {
    pub agents: usize,
    pub run_cap: usize,
    /// Milliseconds each agent waits between heartbeats (the client waits 5 s).
    pub pace_ms: u64,
    pub bayes_runs: usize,
    pub bayes_params: usize,
}

impl SweepSizes {
    pub fn full() -> Self {
        SweepSizes {
            agents: 20,
            run_cap: 2_000,
            pace_ms: 100,
            bayes_runs: 500,
            bayes_params: 10,
        }
    }

    pub fn quick() -> Self {
        SweepSizes {
            agents: 20,
            run_cap: 200,
            pace_ms: 20,
            bayes_runs: 100,
            bayes_params: 10,
        }
    }
}

const HEARTBEAT: &str = "mutation Heartbeat($id: ID!, $metrics: JSONString, $runState: JSONString) {\
    agentHeartbeat(input: {id: $id, metrics: $metrics, runState: $runState}) { agent { id } commands } }";
const CREATE_AGENT: &str = "mutation CreateAgent($host: String!, $projectName: String, $entityName: String, $sweep: String!) {\
    createAgent(input: {host: $host, projectName: $projectName, entityName: $entityName, sweep: $sweep}) { agent { id } } }";

async fn gql(
    router: &axum::Router,
    auth: &str,
    query: &str,
    vars: Value,
) -> Fallible<(f64, Value)> {
    let body = json!({"query": query, "variables": vars}).to_string();
    let t = Instant::now();
    let resp = router
        .clone()
        .oneshot(
            Request::builder()
                .method("POST")
                .uri("/graphql")
                .header("host", "bench")
                .header("authorization", auth)
                .header("content-type", "application/json")
                .body(Body::from(body))?,
        )
        .await?;
    let status = resp.status();
    let bytes = resp.into_body().collect().await?.to_bytes();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if status != StatusCode::OK {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&bytes)).into());
    }
    let v: Value = serde_json::from_slice(&bytes)?;
    if v.get("errors").is_some() {
        return Err(format!("GraphQL errors: {v}").into());
    }
    Ok((ms, v))
}

/// A run ends: finished, with a loss that depends on its parameters.
async fn finish_run(
    db: &sea_orm::DatabaseConnection,
    sweep_id: i32,
    run_id: &str,
    loss: f64,
) -> Fallible<()> {
    use sea_orm::ConnectionTrait;
    let mut q = Sql::new(db.get_database_backend());
    q.push("UPDATE runs SET state = 'finished', runtime_seconds = 42.0, summary_explicit = ")
        .bind(json!({ "loss": loss }).to_string())
        .push(" WHERE run_id = ")
        .bind(run_id.to_owned())
        .push(" AND id IN (SELECT run_pk FROM sweep_runs WHERE sweep_id = ")
        .bind(sweep_id)
        .push(")");
    db.execute_raw(q.build()).await?;
    Ok(())
}

fn loss_of(args: &Value) -> f64 {
    let lr = args["lr"]["value"].as_f64().unwrap_or(0.01);
    let bs = args["batch_size"]["value"].as_f64().unwrap_or(32.0);
    let drop = args["dropout"]["value"].as_f64().unwrap_or(0.1);
    (lr.log10() + 2.5).powi(2) + bs / 256.0 + (drop - 0.3).abs()
}

/// Seed and time everything on the database at `url`; the sweep's path too.
pub async fn run(
    url: &str,
    dir: &std::path::Path,
    sizes: &SweepSizes,
) -> Fallible<(Vec<Row>, String)> {
    let db = crate::db::connect(url).await?;
    crate::db::migrate(&db).await?;
    let blobs = BlobStore::open(dir.join("files"))?;
    let user = crate::bootstrap::create_user(&db, "bench", "bench-password", false).await?;
    let key = crate::bootstrap::create_api_key(&db, &user, "bench", None).await?;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("api:{key}"))
    );
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
    let app = crate::state::AppState::start(db.clone(), blobs, crate::config::Config::default());
    let state = crate::wandb::WandbState::new(app).await?;
    let options = leptos::config::LeptosOptions::builder()
        .output_name("cairn")
        .site_root("target/site")
        .build();
    let router = crate::web::router(state, options);
    let mut rows = Vec::new();

    // 1. Agents against a random sweep with a run cap.
    let config_text = format!(
        "program: train.py\nmethod: random\nrun_cap: {}\nmetric: {{name: loss, goal: minimize}}\nparameters:\n  lr: {{distribution: log_uniform_values, min: 0.00001, max: 0.1}}\n  batch_size: {{values: [16, 32, 64, 128, 256]}}\n  dropout: {{min: 0.0, max: 0.6}}\n  optimizer: {{values: [adam, sgd, adamw]}}\n",
        sizes.run_cap
    );
    let (f, _) = sweeps::create(
        &db,
        &user,
        sweeps::Create {
            entity: Some("bench"),
            project: Some(PROJECT),
            config: &config_text,
            display_name: Some("bench random"),
            controller: None,
            prior_runs: Vec::new(),
        },
    )
    .await?;
    let sweep_name = f.row.name.clone();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for a in 0..sizes.agents {
        let (router, auth, db, sweep_name) =
            (router.clone(), auth.clone(), db.clone(), sweep_name.clone());
        let (pace, sweep_id) = (sizes.pace_ms, f.row.id);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (_, v) = gql(
                &router,
                &auth,
                CREATE_AGENT,
                json!({"host": format!("bench-{a}"), "entityName": "bench", "projectName": PROJECT, "sweep": sweep_name}),
            )
            .await?;
            let id = v["data"]["createAgent"]["agent"]["id"].as_str().ok_or("no agent id")?.to_owned();
            // Agents start at independent moments and their clocks drift (±10%), as
            // on separate machines; started together they would ask in bursts.
            let mut rng = rand::rngs::StdRng::seed_from_u64(a as u64);
            tokio::time::sleep(Duration::from_millis(rng.gen_range(0..pace))).await;
            let mut handed = 0usize;
            loop {
                let (ms, v) = gql(&router, &auth, HEARTBEAT, json!({"id": id, "metrics": "{}", "runState": "{}"})).await?;
                lat.push(ms);
                let commands: Vec<Value> = serde_json::from_str(
                    v["data"]["agentHeartbeat"]["commands"].as_str().ok_or("commands is not a string")?,
                )?;
                match commands.first().map(|c| c["type"].as_str().unwrap_or_default()) {
                    Some("run") => {
                        handed += 1;
                        let c = &commands[0];
                        finish_run(&db, sweep_id, c["run_id"].as_str().unwrap_or_default(), loss_of(&c["args"])).await?;
                    }
                    Some("exit") => break,
                    _ => {}
                }
                let jitter = rng.gen_range(pace * 9 / 10..=pace * 11 / 10);
                tokio::time::sleep(Duration::from_millis(jitter.max(1))).await;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((lat, handed))
        }));
    }
    let mut lat = Vec::new();
    let mut handed = 0;
    for t in tasks {
        let (l, h) = t.await??;
        lat.extend(l);
        handed += h;
    }
    let took = started.elapsed().as_secs_f64();
    let stored = repo::runs(&db, f.row.id).await?;
    if handed != sizes.run_cap || stored.len() != sizes.run_cap {
        return Err(format!(
            "run_cap {}: {handed} runs handed out, {} stored",
            sizes.run_cap,
            stored.len()
        )
        .into());
    }
    lat.sort_by(f64::total_cmp);
    rows.push(Row {
        workload: format!(
            "{} agents heartbeating (every {} ms; the client's 5 s × {:.0}) on a random sweep, run_cap {}",
            sizes.agents,
            sizes.pace_ms,
            5000.0 / sizes.pace_ms as f64,
            sizes.run_cap
        ),
        result: format!(
            "{} heartbeats in {took:.1} s: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms; exactly {} runs created",
            lat.len(),
            percentile(&lat, 0.5),
            percentile(&lat, 0.95),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN),
            stored.len()
        ),
    });

    // 2. Bayes with 500 finished runs × 10 parameters.
    let mut bayes_cfg =
        String::from("method: bayes\nmetric: {name: loss, goal: minimize}\nparameters:\n");
    for p in 0..sizes.bayes_params {
        bayes_cfg.push_str(&format!("  p{p}: {{min: 0.0, max: 1.0}}\n"));
    }
    let cfg = config::parse(&bayes_cfg).map_err(|e| e.to_string())?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let past: Vec<PastRun> = (0..sizes.bayes_runs)
        .map(|_| {
            let a = sample::assignment(&cfg, &mut rng);
            let c = assignment_config(&a);
            let loss: f64 = c
                .values()
                .filter_map(Value::as_f64)
                .map(|x| (x - 0.3).powi(2))
                .sum();
            PastRun {
                key: None,
                params: a,
                outcome: Outcome::Finished,
                metric: Some(loss + rng.gen_range(0.0..0.01)),
                history: Vec::new(),
            }
        })
        .collect();
    let mut samples = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let a = bayes::suggest(&cfg, &past, &mut rng);
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        if a.len() != sizes.bayes_params {
            return Err(format!("bayes suggested {} parameters", a.len()).into());
        }
    }
    samples.sort_by(f64::total_cmp);
    rows.push(Row {
        workload: format!(
            "bayes suggestion: {} finished runs × {} parameters ({} candidates)",
            sizes.bayes_runs,
            sizes.bayes_params,
            bayes::CANDIDATES
        ),
        result: format!(
            "p50 {:.1} ms, worst {:.1} ms (7 suggestions)",
            percentile(&samples, 0.5),
            samples.last().copied().unwrap_or(f64::NAN)
        ),
    });

    // 3. The sweep page's data for the 2,000 runs, and the page.
    let at = ProjectRef::new("bench", PROJECT);
    let mut samples = Vec::new();
    let mut scored = 0;
    for _ in 0..6 {
        let t = Instant::now();
        let v = sweeps::view(&db, None, &at, &sweep_name).await?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        scored = v
            .importance
            .iter()
            .filter(|s| s.importance.is_some())
            .count();
        if v.runs.len() != sizes.run_cap || scored == 0 {
            return Err(format!("view: {} runs, {scored} scored parameters", v.runs.len()).into());
        }
    }
    samples.sort_by(f64::total_cmp);
    rows.push(Row {
        workload: format!(
            "sweep page data: {} runs, importance of {scored} parameters (service)",
            sizes.run_cap
        ),
        result: format!(
            "p50 {:.1} ms, worst {:.1} ms",
            percentile(&samples, 0.5),
            samples.last().copied().unwrap_or(f64::NAN)
        ),
    });
    let path = app::model::sweep_href(&at, &sweep_name);
    let mut samples = Vec::new();
    let mut size = 0;
    for _ in 0..6 {
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
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        let html = String::from_utf8_lossy(&body);
        if status != StatusCode::OK || html.matches("<svg").count() < 2 {
            return Err(format!(
                "GET {path}: {status}, {} charts",
                html.matches("<svg").count()
            )
            .into());
        }
        size = body.len();
    }
    samples.sort_by(f64::total_cmp);
    rows.push(Row {
        workload: format!(
            "sweep page through the router ({} runs, charts as SVG)",
            sizes.run_cap
        ),
        result: format!(
            "p50 {:.1} ms, worst {:.1} ms; page {:.0} KiB",
            percentile(&samples, 0.5),
            samples.last().copied().unwrap_or(f64::NAN),
            size as f64 / 1024.0
        ),
    });
    Ok((rows, path))
}
