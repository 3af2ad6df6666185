//! Automations on real SQLite and PostgreSQL, delivering into a real HTTP receiver on
//! 127.0.0.1: every event kind fires exactly once (a metric once per crossing), a
//! receiver that fails twice gets three attempts and one delivery, a private target
//! is refused without the site admin's switch, two delivery workers on one database
//! deliver each event once, and a server killed with SIGKILL between a change and its
//! delivery loses nothing (the next server delivers it).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{
    Action, AlertLevel, AutomationSpec, ChangeDirection, ChangeKind, Comparison, ExecutionStatus,
    HistoryQuery, NewProject, ProjectRef, RunFilter, Trigger, Visibility, WindowAgg,
};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::on_both;
use serde_json::{json, Value};
use server::db::entities::user;
use server::db::repo::automations as repo;
use server::service::automations::{self, deliver, events, Delivery};
use server::service::ops::{self, types};
use server::state::AppState;

/// What the receiver got: headers and body of each request.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Value, String)>>>,
    /// Answer 500 to this many requests before answering 200.
    fail_first: Arc<AtomicUsize>,
    url: String,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let r = Receiver {
            got: Arc::default(),
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
            url: format!("http://{addr}/hook"),
        };
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        r
    }

    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b, _)| b.clone())
            .collect()
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body.clone()));
    r.got.lock().unwrap().push((headers, value, body));
    let left = r.fail_first.load(Ordering::SeqCst);
    if left > 0 {
        r.fail_first.store(left - 1, Ordering::SeqCst);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::OK
}

struct World {
    app: AppState,
    d: Delivery,
    admin: user::Model,
    at: ProjectRef,
}

async fn world(t: &common::TestDb, allow_private: bool) -> World {
    let admin = server::bootstrap::create_user(&t.db, "ada", "password123", true)
        .await
        .unwrap();
    server::service::accounts::create_project(
        &t.db,
        &admin,
        NewProject {
            entity: "ada".into(),
            name: "auto".into(),
            visibility: Visibility::Private,
            description: String::new(),
        },
    )
    .await
    .unwrap();
    if allow_private {
        automations::set_allow_internal(&t.db, &admin, true)
            .await
            .unwrap();
    }
    let blobs = server::blobs::BlobStore::open(t.dir.join("files")).unwrap();
    let config = server::config::Config {
        webhook_retry_ms: 20,
        ..Default::default()
    };
    let app = AppState::start(t.db.clone(), blobs, config);
    let d = app.delivery();
    World {
        app,
        d,
        admin,
        at: ProjectRef::new("ada", "auto"),
    }
}

fn webhook(name: &str, trigger: Trigger, url: &str) -> AutomationSpec {
    AutomationSpec {
        name: name.into(),
        description: String::new(),
        enabled: true,
        trigger,
        action: Action::Webhook {
            url: url.into(),
            payload: r#"{"name": "${automation_name}", "event": "${event_type}", "run": "${run_name}", "state": "${run_state}", "value": ${value}, "alias": "${alias}", "tag": "${tag}", "title": "${alert_title}", "sweep": "${sweep_name}", "token": "${API_TOKEN}"}"#.into(),
            token_secret: Some("API_TOKEN".into()),
            signing_secret: Some("SIGNING".into()),
        },
    }
}

/// "Failed runs" posting `{"run": name}`, with no secrets.
fn failed_runs_plain(url: &str) -> AutomationSpec {
    let mut spec = webhook(
        "failed",
        Trigger::RunState {
            states: vec!["failed".into()],
            runs: RunFilter::default(),
        },
        url,
    );
    spec.action = Action::Webhook {
        url: url.into(),
        payload: r#"{"run": "${run_name}"}"#.into(),
        token_secret: None,
        signing_secret: None,
    };
    spec
}

/// Run the worker's steps until nothing is waiting (retries included).
async fn drain(d: &Delivery) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let processed = deliver::process_events(d).await.unwrap();
        let sent = deliver::send_due(d).await.unwrap();
        if processed == 0 && sent == 0 {
            let waiting = repo::pending_events(&d.db).await.unwrap();
            let retrying = due_later(d).await;
            if waiting == 0 && !retrying {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the worker did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn due_later(d: &Delivery) -> bool {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use server::db::entities::automation_execution as ex;
    ex::Entity::find()
        .filter(ex::Column::Status.is_in(["pending", "retrying"]))
        .filter(ex::Column::NextAttemptAt.is_not_null())
        .count(&d.db)
        .await
        .unwrap()
        > 0
}

async fn log(w: &World, run: &str, values: &[f64], first_step: i64) {
    let rows = values
        .iter()
        .enumerate()
        .map(|(i, v)| types::MetricRow {
            step: first_step + i as i64,
            time: None,
            values: BTreeMap::from([("loss".to_owned(), app::model::MetricValue(*v))]),
        })
        .collect();
    ops::log_metrics(
        &w.app.writer,
        &w.admin,
        &w.at,
        run,
        types::LogMetrics { rows },
    )
    .await
    .unwrap();
}

async fn new_run(w: &World, id: &str) {
    ops::upsert_run(
        &w.app.db,
        &w.admin,
        types::UpsertRun {
            entity: Some("ada".into()),
            project: "auto".into(),
            id: Some(id.into()),
            name: Some(id.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn finish(w: &World, id: &str, code: i32) {
    ops::finish_run(
        &w.app.db,
        &w.admin,
        &w.at,
        id,
        types::FinishRun {
            exit_code: code,
            time: None,
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_fires_exactly_once_into_a_real_receiver() {
    on_both(|t| async move {
        let rx = Receiver::start(0).await;
        let w = world(&t, true).await;
        for (name, value) in [("API_TOKEN", "tok-123"), ("SIGNING", "sign-456")] {
            automations::secrets::set(&w.d.db, &w.d.key, &w.admin, &w.at, name, Some(value))
                .await
                .unwrap();
        }
        let runs = RunFilter::default();
        let specs = [
            webhook("failed", Trigger::RunState { states: vec!["failed".into()], runs: runs.clone() }, &rx.url),
            webhook("running", Trigger::RunState { states: vec!["running".into()], runs: RunFilter { user: None, name_regex: Some("^keep-".into()) } }, &rx.url),
            webhook("threshold", Trigger::RunMetric { metric: "loss".into(), window: 2, agg: WindowAgg::Mean, op: Comparison::Gt, threshold: 1.0, runs: runs.clone() }, &rx.url),
            webhook("change", Trigger::RunMetricChange { metric: "loss".into(), current_window: 1, prior_window: 2, change: ChangeKind::Absolute, direction: ChangeDirection::Decrease, amount: 2.0, runs: runs.clone() }, &rx.url),
            webhook("alert", Trigger::RunAlert { min_level: AlertLevel::Warn, runs: runs.clone() }, &rx.url),
            webhook("sweep done", Trigger::SweepFinished { sweep: None }, &rx.url),
            webhook("sweep best", Trigger::SweepBestRun { sweep: None }, &rx.url),
        ];
        for s in specs {
            automations::create(&w.d.db, &w.admin, &w.at, s).await.unwrap();
        }

        // Runs: "keep-1" starts (running), logs loss over the threshold twice (two
        // crossings), drops sharply once, alerts twice (one below the level), fails,
        // and its failure is retried.
        new_run(&w, "keep-1").await;
        new_run(&w, "other").await;
        log(&w, "keep-1", &[0.5, 0.8], 0).await;
        log(&w, "keep-1", &[1.6, 2.0, 3.0], 2).await; // crosses (mean 1.2), stays above
        log(&w, "keep-1", &[0.0, 0.0], 5).await; // 3 → 0: a drop of 3 (the change rule)
        log(&w, "keep-1", &[5.0], 7).await; // crosses again (mean 2.5)
        for (level, title) in [(AlertLevel::Info, "quiet"), (AlertLevel::Error, "loud")] {
            events::alert(&w.d.db, &w.admin, &w.at, "keep-1", events::Alert { title: title.into(), text: "t".into(), level })
                .await
                .unwrap();
        }
        finish(&w, "keep-1", 1).await;
        finish(&w, "keep-1", 1).await; // a retried finish changes nothing
        finish(&w, "other", 0).await;

        // A sweep of one grid point: its run finishes with a metric, the sweep ends.
        let (f, _) = server::service::sweeps::create(&w.d.db, &w.admin, server::service::sweeps::Create {
            entity: Some("ada"),
            project: Some("auto"),
            config: "method: grid\nmetric: {name: acc, goal: maximize}\nparameters:\n  x: {values: [1]}\n",
            display_name: None,
            controller: None,
            prior_runs: Vec::new(),
        })
        .await
        .unwrap();
        let agent = server::service::sweeps::create_agent(&w.d.db, &w.admin, Some("ada"), &f.row.name, "host")
            .await
            .unwrap();
        let beat = || server::service::sweeps::heartbeat(&w.d.db, &w.admin, server::service::sweeps::Heartbeat { agent_id: agent, running: Vec::new() });
        let cmds = beat().await.unwrap();
        let sweep_run = cmds[0]["run_id"].as_str().unwrap().to_owned();
        server::service::ops::update_run(&w.d.db, &w.admin, &w.at, &sweep_run, types::UpdateRun {
            summary: Some(serde_json::from_value(json!({"acc": 0.9})).unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
        finish(&w, &sweep_run, 0).await;
        let cmds = beat().await.unwrap();
        assert_eq!(cmds[0]["type"], "exit", "{cmds:?}");

        drain(&w.d).await;
        let bodies = rx.bodies();
        let count = |name: &str| bodies.iter().filter(|b| b["name"] == name).count();
        assert_eq!(count("failed"), 1, "{bodies:#?}");
        assert_eq!(count("running"), 1, "only keep-1 matches the name filter: {bodies:#?}");
        assert_eq!(count("threshold"), 2, "once per crossing: {bodies:#?}");
        assert_eq!(count("change"), 1, "{bodies:#?}");
        assert_eq!(count("alert"), 1, "the INFO alert is under the level: {bodies:#?}");
        assert_eq!(count("sweep done"), 1, "{bodies:#?}");
        assert_eq!(count("sweep best"), 1, "{bodies:#?}");
        assert_eq!(bodies.len(), 8, "{bodies:#?}");
        let failed = bodies.iter().find(|b| b["name"] == "failed").unwrap();
        assert_eq!(failed["run"], "keep-1");
        assert_eq!(failed["state"], "failed");
        assert_eq!(failed["token"], "tok-123", "a secret fills ${{API_TOKEN}}");
        // Sent concurrently, so they may arrive in either order.
        let mut thresholds: Vec<f64> = bodies.iter().filter(|b| b["name"] == "threshold").map(|b| b["value"].as_f64().unwrap()).collect();
        thresholds.sort_by(f64::total_cmp);
        assert!(thresholds.len() == 2 && (thresholds[0] - 1.2).abs() < 1e-9 && (thresholds[1] - 2.5).abs() < 1e-9, "{thresholds:?}");
        assert_eq!(bodies.iter().find(|b| b["name"] == "alert").unwrap()["title"], "loud");

        // Headers: the bearer token and a signature a receiver can check.
        for (headers, _, raw) in rx.got.lock().unwrap().iter() {
            assert_eq!(headers["authorization"], "Bearer tok-123");
            let sig = headers["x-cairn-signature"].to_str().unwrap();
            assert_eq!(sig, deliver::signature("sign-456", raw), "signature over the body as sent");
            assert_ne!(sig, deliver::signature("another secret", raw));
        }

        // The history shows every execution delivered, secrets masked.
        let idx = automations::index(&w.d.db, Some(&w.admin), &w.at).await.unwrap();
        let failed_id = idx.automations.iter().find(|a| a.spec.name == "failed").unwrap().id;
        let h = automations::history(&w.d.db, &w.d.key, Some(&w.admin), &w.at, failed_id, &HistoryQuery::default()).await.unwrap();
        assert_eq!(h.total, 1);
        let e = &h.executions[0];
        assert_eq!(e.status, ExecutionStatus::Delivered);
        assert_eq!(e.response_status, Some(200));
        assert!(!e.request_body.contains("tok-123") && e.request_body.contains("••••••"), "{}", e.request_body);
        let searched = automations::history(&w.d.db, &w.d.key, Some(&w.admin), &w.at, failed_id, &HistoryQuery { search: "nothing-like-this".into(), ..Default::default() }).await.unwrap();
        assert_eq!(searched.total, 0);

        // Sealed at rest: the database holds no secret in the clear.
        use sea_orm::EntityTrait;
        for s in server::db::entities::automation_secret::Entity::find().all(&w.d.db).await.unwrap() {
            assert!(!s.sealed.contains("tok-123") && !s.sealed.contains("sign-456"));
        }
        t
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_three_attempts_and_one_delivery() {
    on_both(|t| async move {
        let rx = Receiver::start(2).await;
        let w = world(&t, true).await;
        let spec = failed_runs_plain(&rx.url);
        let a = automations::create(&w.d.db, &w.admin, &w.at, spec)
            .await
            .unwrap();
        new_run(&w, "r").await;
        finish(&w, "r", 2).await;
        drain(&w.d).await;
        assert_eq!(rx.count(), 3, "500, 500, then 200");
        let h = automations::history(
            &w.d.db,
            &w.d.key,
            Some(&w.admin),
            &w.at,
            a.id,
            &HistoryQuery::default(),
        )
        .await
        .unwrap();
        assert_eq!(h.total, 1, "one execution");
        assert_eq!(h.executions[0].status, ExecutionStatus::Delivered);
        assert_eq!(h.executions[0].attempts, 3);
        let attempts = repo::attempts(&w.d.db, h.executions[0].id as i32)
            .await
            .unwrap();
        let statuses: Vec<Option<i32>> = attempts.iter().map(|a| a.response_status).collect();
        assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);

        // Redeliver sends it once more; Test sends a sample now.
        let again = automations::redeliver(&w.d, &w.admin, &w.at, a.id, h.executions[0].id)
            .await
            .unwrap();
        assert_eq!(again.redelivery_of, Some(h.executions[0].id));
        drain(&w.d).await;
        assert_eq!(rx.count(), 4);
        let tested = automations::test(&w.d, &w.admin, &w.at, a.id)
            .await
            .unwrap();
        assert!(
            tested.test && tested.status == ExecutionStatus::Delivered,
            "{tested:?}"
        );
        assert_eq!(rx.bodies().last().unwrap()["run"], "test-run-1");
        t
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_target_is_refused_without_the_admin_switch() {
    on_both(|t| async move {
        let rx = Receiver::start(0).await;
        let w = world(&t, false).await;
        let mut spec = webhook(
            "failed",
            Trigger::RunState {
                states: vec!["failed".into()],
                runs: RunFilter::default(),
            },
            &rx.url,
        );
        spec.action = Action::Slack {
            url: rx.url.clone(),
            message: "run ${run_id} ${run_state}".into(),
        };
        let a = automations::create(&w.d.db, &w.admin, &w.at, spec)
            .await
            .unwrap();
        new_run(&w, "r").await;
        finish(&w, "r", 1).await;
        drain(&w.d).await;
        assert_eq!(rx.count(), 0);
        let h = automations::history(
            &w.d.db,
            &w.d.key,
            Some(&w.admin),
            &w.at,
            a.id,
            &HistoryQuery::default(),
        )
        .await
        .unwrap();
        let e = &h.executions[0];
        assert_eq!(e.status, ExecutionStatus::Failed);
        assert_eq!(e.attempts, 1, "a refused target is not retried");
        assert!(e.error.as_deref().unwrap().contains("refused"), "{e:?}");
        // With the switch on, a redelivery goes through (Slack's message format).
        automations::set_allow_internal(&w.d.db, &w.admin, true)
            .await
            .unwrap();
        automations::redeliver(&w.d, &w.admin, &w.at, a.id, e.id)
            .await
            .unwrap();
        drain(&w.d).await;
        assert_eq!(rx.bodies(), vec![json!({"text": "run r failed"})]);

        // Bad specs are refused with a reason.
        let bad = |trigger: Trigger, url: &str| webhook("bad", trigger, url);
        for (spec, needle) in [
            (
                bad(
                    Trigger::RunState {
                        states: vec!["killed".into()],
                        runs: RunFilter::default(),
                    },
                    &rx.url,
                ),
                "killed",
            ),
            (
                bad(
                    Trigger::RunState {
                        states: vec!["failed".into()],
                        runs: RunFilter::default(),
                    },
                    "ftp://x/",
                ),
                "http",
            ),
            (
                bad(
                    Trigger::AliasAdded {
                        alias_regex: Some("(".into()),
                        collection_regex: None,
                    },
                    &rx.url,
                ),
                "regex",
            ),
            (
                bad(
                    Trigger::RunState {
                        states: vec!["failed".into()],
                        runs: RunFilter::default(),
                    },
                    &rx.url,
                ),
                "API_TOKEN",
            ),
        ] {
            let e = automations::create(&w.d.db, &w.admin, &w.at, spec)
                .await
                .unwrap_err();
            assert!(e.to_string().contains(needle), "{needle}: {e}");
        }
        // A writer who does not administer the project may not create automations.
        let bob = server::bootstrap::create_user(&t.db, "bob", "password123", false)
            .await
            .unwrap();
        let e = automations::index(&w.d.db, Some(&bob), &w.at)
            .await
            .unwrap_err();
        assert!(matches!(e, server::error::ApiError::NotFound(_)), "{e:?}");
        t
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_deliver_each_event_once() {
    on_both(|t| async move {
        let rx = Receiver::start(0).await;
        let w = world(&t, true).await;
        let spec = failed_runs_plain(&rx.url);
        automations::create(&w.d.db, &w.admin, &w.at, spec)
            .await
            .unwrap();
        const N: usize = 40;
        for i in 0..N {
            new_run(&w, &format!("r{i}")).await;
            finish(&w, &format!("r{i}"), 1).await;
        }
        // Two workers, each on its own connection pool, racing over the same rows.
        let other = server::db::connect(&t.url).await.unwrap();
        let d2 = Delivery {
            db: other,
            ..w.d.clone()
        };
        let (a, b) = tokio::join!(drain(&w.d), drain(&d2));
        let _ = (a, b);
        let runs: Vec<String> = rx
            .bodies()
            .iter()
            .map(|b| b["run"].as_str().unwrap().to_owned())
            .collect();
        let unique: std::collections::BTreeSet<_> = runs.iter().cloned().collect();
        assert_eq!(runs.len(), N, "each event delivered once: {runs:?}");
        assert_eq!(unique.len(), N);
        t
    })
    .await;
}

// ---- a real server process, killed between the change and the delivery ----

type Http = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<hyper::body::Bytes>,
>;

fn start_server(t: &common::TestDb, port: u16, key: &str, poll_ms: u64) -> std::process::Child {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"));
    cmd.args(["serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}")])
        .env("CAIRN_DATA_DIR", &t.dir)
        .env("CAIRN_ADMIN_PASSWORD", "outbox-password")
        .env("CAIRN_ADMIN_API_KEY", key)
        .env("CAIRN_AUTOMATION_POLL_MS", poll_ms.to_string())
        .env("LEPTOS_SITE_ROOT", t.dir.join("site"))
        .env("LEPTOS_OUTPUT_NAME", "cairn")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    if t.backend == common::Backend::Postgres {
        cmd.args(["--database-url", &t.url]);
    }
    cmd.spawn().unwrap()
}

async fn call(
    http: &Http,
    port: u16,
    key: &str,
    method: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    use http_body_util::BodyExt;
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("http://127.0.0.1:{port}/api/v1{path}"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(hyper::body::Bytes::from(
            body.to_string(),
        )))
        .unwrap();
    match http.request(req).await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }
        Err(_) => (0, Value::Null),
    }
}

async fn wait_up(http: &Http, port: u16, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if call(http, port, key, "GET", "/viewer", Value::Null).await.0 == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_between_the_change_and_the_delivery_loses_nothing() {
    for backend in [common::Backend::Sqlite, common::Backend::Postgres] {
        let t = common::TestDb::new(backend).await;
        let rx = Receiver::start(0).await;
        let key = server::auth::credentials::new_api_key();
        let http: Http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        // Server A looks for work once, at start, then not for an hour.
        let port = common::s3::free_port();
        let mut a = start_server(&t, port, &key, 3_600_000);
        wait_up(&http, port, &key).await;
        let admin = server::db::repo::users::find_by_username(&t.db, "admin")
            .await
            .unwrap()
            .unwrap();
        automations::set_allow_internal(&t.db, &admin, true)
            .await
            .unwrap();
        let (s, _) = call(
            &http,
            port,
            &key,
            "POST",
            "/runs",
            json!({"project": "auto", "id": "r1"}),
        )
        .await;
        assert_eq!(s, 201, "run created");
        let spec = json!({
            "name": "failed runs",
            "trigger": {"event": "run_state", "states": ["failed"]},
            "action": {"kind": "webhook", "url": rx.url, "payload": "{\"run\": \"${run_id}\", \"state\": \"${run_state}\"}"}
        });
        let (s, made) = call(&http, port, &key, "POST", "/automations/admin/auto", spec).await;
        assert_eq!(s, 201, "{made}");
        let (s, body) = call(
            &http,
            port,
            &key,
            "POST",
            "/runs/admin/auto/r1/finish",
            json!({"exit_code": 1}),
        )
        .await;
        assert_eq!(s, 200, "{body}");
        a.kill().unwrap(); // SIGKILL: no shutdown code runs
        a.wait().unwrap();
        assert_eq!(rx.count(), 0, "nothing was sent before the kill");
        assert_eq!(
            repo::pending_events(&t.db).await.unwrap(),
            1,
            "the event waits in the outbox"
        );

        // Server B, on the same database, delivers it once.
        let port = common::s3::free_port();
        let mut b = start_server(&t, port, &key, 100);
        wait_up(&http, port, &key).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while rx.count() == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        let bodies = rx.bodies();
        assert_eq!(
            bodies,
            vec![json!({"run": "r1", "state": "failed"})],
            "{backend:?}"
        );
        // The API shows it delivered.
        let id = made["id"].as_i64().unwrap();
        let (s, h) = call(
            &http,
            port,
            &key,
            "GET",
            &format!("/automations/admin/auto/{id}/history"),
            Value::Null,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(h["executions"][0]["status"], "delivered", "{h}");
        b.kill().unwrap();
        b.wait().unwrap();
        t.cleanup().await;
    }
}
