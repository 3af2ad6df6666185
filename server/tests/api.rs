//! `/api/v1` through the real router, on SQLite and PostgreSQL: every write, the
//! figures read back, and bad input refused with a clear message and no change.
#![expect(
    clippy::unwrap_used,
    reason = "a test should stop at the first surprise"
)]

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{on_both, TestDb};
use server::blobs::BlobStore;
use server::bootstrap;
use server::ingest::api_router;
use server::state::AppState;

struct Api {
    router: Router,
    key: String,
}

async fn setup(t: &TestDb) -> Api {
    let admin = bootstrap::create_user(&t.db, "alice", "password123", false)
        .await
        .unwrap();
    let key = bootstrap::create_api_key(&t.db, &admin, "test", None)
        .await
        .unwrap();
    let blobs = BlobStore::open(t.dir.join("files")).unwrap();
    Api {
        router: api_router(AppState::start(
            t.db.clone(),
            blobs,
            server::config::Config::default(),
        )),
        key,
    }
}

impl Api {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<Body>,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        if body.is_some() {
            req = req.header("content-type", content_type);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(body.unwrap_or_else(Body::empty)).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    async fn post(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            "POST",
            uri,
            Some(&self.key),
            Some(Body::from(body.to_string())),
            "application/json",
        )
        .await
    }

    async fn post_raw(&self, uri: &str, body: &str) -> (StatusCode, Value) {
        self.send(
            "POST",
            uri,
            Some(&self.key),
            Some(Body::from(body.to_owned())),
            "application/json",
        )
        .await
    }

    async fn patch(&self, uri: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            "PATCH",
            uri,
            Some(&self.key),
            Some(Body::from(body.to_string())),
            "application/json",
        )
        .await
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.send("GET", uri, Some(&self.key), None, "").await
    }
}

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_run_logged_through_the_api_reads_back_exactly() {
    on_both(|t| async move {
        let api = setup(&t).await;
        let (s, run) = api
            .post("/runs", json!({"project": "mnist", "config": {"lr": 0.01, "model": {"depth": 4}}, "tags": ["a"], "group": "g1", "start_time": 1_700_000_000.0}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{run} on {:?}", t.backend);
        let id = run["id"].as_str().unwrap().to_owned();
        assert!(app::logic::run_id::is_generated_shape(&id), "{id}");
        assert!(run["name"].as_str().unwrap().ends_with("-1"), "{run}");
        assert_eq!(run["entity"], "alice");
        let base = format!("/runs/alice/mnist/{id}");

        let rows: Vec<Value> = (0..300)
            .map(|s| json!({"step": s, "time": 1_700_000_000.0 + s as f64, "values": {"loss": 1.0 / (s as f64 + 1.0), "acc/top1": s as f64 / 300.0}}))
            .collect();
        let (s, out) = api.post(&format!("{base}/metrics"), json!({"rows": rows})).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["points"], 600);
        // A retry of the same batch stores nothing twice.
        let (s, _) = api.post(&format!("{base}/metrics"), json!({"rows": rows})).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = api
            .post(&format!("{base}/metrics"), json!({"rows": [{"step": 300, "time": 1_700_000_400.0, "values": {"weird": "NaN", "big": "Infinity", "neg": "-Infinity"}}]}))
            .await;
        assert_eq!(s, StatusCode::OK);

        let (_, series) = api.get(&format!("{base}/metrics?key=loss&buckets=1000")).await;
        assert_eq!(series["total_points"], 300);
        assert_eq!(series["buckets"][299]["last"], json!(1.0 / 300.0));
        let (_, weird) = api.get(&format!("{base}/metrics?key=weird")).await;
        assert_eq!(weird["buckets"][0]["last"], "NaN");
        let (_, big) = api.get(&format!("{base}/metrics?key=big")).await;
        assert_eq!(big["buckets"][0]["last"], "Infinity");

        let (s, _) = api.patch(&base, json!({"summary": {"best": 0.99}, "config": {"seed": 3}, "notes": "hello"})).await;
        assert_eq!(s, StatusCode::OK);
        let (s, w) = api.post(&format!("{base}/console"), json!({"lines": [{"text": "line 0"}, {"stream": "stderr", "text": "oops"}]})).await;
        assert_eq!((s, w["first_line"].clone()), (StatusCode::OK, json!(0)));
        // Overwrite line 1 (a progress bar rewrite, or a retry).
        api.post(&format!("{base}/console"), json!({"offset": 1, "lines": [{"text": "fixed"}]})).await;
        let (s, fin) = api.post(&format!("{base}/finish"), json!({"exit_code": 0, "time": 1_700_000_500.0})).await;
        assert_eq!((s, fin["state"].clone()), (StatusCode::OK, json!("finished")));

        let (s, d) = api.get(&base).await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["config"], json!({"lr": 0.01, "model": {"depth": 4}, "seed": 3}));
        assert_eq!(d["summary"]["loss"], json!(1.0 / 300.0));
        assert_eq!(d["summary"]["acc/top1"], json!(299.0 / 300.0));
        assert_eq!(d["summary"]["best"], json!(0.99));
        assert_eq!(d["summary"]["weird"], "NaN");
        assert_eq!(d["metric_keys"], json!(["acc/top1", "big", "loss", "neg", "weird"]));
        assert_eq!(d["console_total"], 2);
        assert_eq!(d["console"][1]["text"], "fixed");
        assert_eq!(d["state"], "finished");
        assert_eq!(d["exit_code"], 0);
        assert_eq!(d["runtime_seconds"], json!(500.0));
        assert_eq!(d["notes"], "hello");

        let (_, o) = api.get("/projects/alice/mnist").await;
        assert_eq!(o["total_runs"], 1);
        assert_eq!(o["total_compute_seconds"], json!(500.0));
        assert_eq!(o["contributors"], json!(["alice"]));
        t
    })
    .await;
}

#[tokio::test]
async fn failed_runs_given_ids_and_generated_names_count_up() {
    on_both(|t| async move {
        let api = setup(&t).await;
        let (s, a) = api
            .post("/runs", json!({"project": "p", "id": "first-run"}))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(a["id"], "first-run");
        let (_, b) = api.post("/runs", json!({"project": "p"})).await;
        assert!(b["name"].as_str().unwrap().ends_with("-2"), "{b}");
        // Upserting an existing id updates it and says so.
        let (s, again) = api
            .post(
                "/runs",
                json!({"project": "p", "id": "first-run", "tags": ["x"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(again["created"], false);
        assert_eq!(again["name"], a["name"]);
        let (_, f) = api
            .post("/runs/alice/p/first-run/finish", json!({"exit_code": 3}))
            .await;
        assert_eq!(f["state"], "failed");
        t
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    on_both(|t| async move {
        let api = setup(&t).await;
        let (_, run) = api.post("/runs", json!({"project": "p", "id": "r1"})).await;
        assert_eq!(run["id"], "r1");
        api.post("/runs/alice/p/r1/metrics", json!({"rows": [{"step": 0, "values": {"loss": 1.0}}]})).await;
        let before = api.get("/runs/alice/p/r1").await.1;

        let cases: Vec<(&str, String, StatusCode, &str)> = vec![
            ("bad JSON", "{\"rows\": [".into(), StatusCode::BAD_REQUEST, "EOF"),
            ("unknown field", json!({"rowz": []}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "unknown field"),
            ("wrong type", json!({"rows": [{"step": "zero", "values": {}}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "invalid type"),
            ("bad value", json!({"rows": [{"step": 1, "values": {"loss": "lots"}}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "NaN"),
            ("negative step", json!({"rows": [{"step": -1, "values": {"loss": 2.0}}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "negative"),
            ("huge step", json!({"rows": [{"step": 9_007_199_254_740_993i64, "values": {"loss": 2.0}}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "2^53"),
            ("key too long", json!({"rows": [{"step": 1, "values": {"ok": 5.0}}, {"step": 2, "values": {"k".repeat(300): 1.0}}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "limit is 256"),
            ("empty key", json!({"rows": [{"step": 1, "values": {"": 1.0}}]}).to_string(), StatusCode::UNPROCESSABLE_ENTITY, "empty"),
        ];
        for (what, body, status, needle) in cases {
            let (s, v) = api.post_raw("/runs/alice/p/r1/metrics", &body).await;
            assert_eq!(s, status, "{what}: {v} on {:?}", t.backend);
            assert!(message(&v).contains(needle), "{what}: {:?} lacks {needle:?}", message(&v));
        }
        let (s, v) = api.post("/runs/alice/p/nope/metrics", json!({"rows": []})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(message(&v).contains("\"nope\" not found"), "{v}");
        let (s, _) = api.post("/runs", json!({"project": "p", "id": "has/slash"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = api.post("/runs", json!({"project": ""})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, _) = api.post("/runs/alice/p/r1/console", json!({"lines": [{"text": "a\nb"}]})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let big = format!("{{\"rows\": [], \"pad\": \"{}\"}}", "x".repeat(server::config::MAX_BODY_BYTES + 10));
        let (s, v) = api.post_raw("/runs/alice/p/r1/metrics", &big).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
        let (s, _) = api.send("POST", "/runs/alice/p/r1/metrics", Some(&api.key), Some(Body::from("{}")), "text/plain").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        let after = api.get("/runs/alice/p/r1").await.1;
        assert_eq!(before["summary"], after["summary"]);
        assert_eq!(before["metric_keys"], after["metric_keys"]);
        let (_, series) = api.get("/runs/alice/p/r1/metrics?key=loss").await;
        assert_eq!(series["total_points"], 1);
        t
    })
    .await;
}

#[tokio::test]
async fn keys_and_visibility_are_checked() {
    on_both(|t| async move {
        let api = setup(&t).await;
        api.post("/runs", json!({"project": "secret", "id": "r1"}))
            .await;
        let (s, v) = api
            .send("GET", "/runs/alice/secret/r1", None, None, "")
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "anonymous must not see a private project: {v}"
        );
        let (s, v) = api
            .send(
                "POST",
                "/runs",
                None,
                Some(Body::from("{\"project\":\"x\"}")),
                "application/json",
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(message(&v).contains("Bearer"));
        let (s, _) = api
            .send("GET", "/viewer", Some(&"z".repeat(40)), None, "")
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        let bob = bootstrap::create_user(&t.db, "bob", "password123", false)
            .await
            .unwrap();
        let bob_key = bootstrap::create_api_key(&t.db, &bob, "t", None)
            .await
            .unwrap();
        let (s, _) = api
            .send("GET", "/runs/alice/secret/r1", Some(&bob_key), None, "")
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = api
            .send(
                "POST",
                "/runs/alice/secret/r1/metrics",
                Some(&bob_key),
                Some(Body::from("{\"rows\":[]}")),
                "application/json",
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = api
            .send(
                "POST",
                "/runs",
                Some(&bob_key),
                Some(Body::from("{\"entity\":\"alice\",\"project\":\"new\"}")),
                "application/json",
            )
            .await;
        // Refused as "not found", the same answer as for a project that exists but is
        // hidden, so the answer does not tell which names are taken.
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (_, listed) = api.send("GET", "/projects", Some(&bob_key), None, "").await;
        assert_eq!(listed, json!([]));
        t
    })
    .await;
}

#[tokio::test]
async fn run_files_round_trip() {
    on_both(|t| async move {
        let api = setup(&t).await;
        api.post("/runs", json!({"project": "p", "id": "r1"})).await;
        let (s, v) = api
            .send(
                "PUT",
                "/runs/alice/p/r1/files/out/model.txt",
                Some(&api.key),
                Some(Body::from("weights")),
                "application/octet-stream",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["size"], 7);
        let (s, body) = api.get("/runs/alice/p/r1/files/out/model.txt").await;
        assert_eq!((s, body), (StatusCode::OK, Value::String("weights".into())));
        let (s, _) = api
            .send(
                "PUT",
                "/runs/alice/p/r1/files/a/../../x",
                Some(&api.key),
                Some(Body::from("x")),
                "application/octet-stream",
            )
            .await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::NOT_FOUND,
            "{s}"
        );
        t
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_lose_nothing() {
    on_both(|t| async move {
        let api = std::sync::Arc::new(setup(&t).await);
        // Eight clients create the same run at once: one creates it, the others update it.
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let api = api.clone();
            set.spawn(async move {
                api.post("/runs", json!({"project": "race", "id": "shared"}))
                    .await
                    .0
            });
        }
        while let Some(status) = set.join_next().await {
            let status = status.unwrap();
            assert!(
                status == StatusCode::CREATED || status == StatusCode::OK,
                "{status} on {:?}",
                t.backend
            );
        }
        // Eight clients log different keys and append console lines at once.
        let mut set = tokio::task::JoinSet::new();
        for i in 0..8 {
            let api = api.clone();
            set.spawn(async move {
                let rows: Vec<Value> = (0..50)
                    .map(|s| json!({"step": s, "values": {format!("k{i}"): s}}))
                    .collect();
                let a = api
                    .post("/runs/alice/race/shared/metrics", json!({"rows": rows}))
                    .await
                    .0;
                let lines: Vec<Value> = (0..10)
                    .map(|n| json!({"text": format!("client {i} line {n}")}))
                    .collect();
                let b = api
                    .post("/runs/alice/race/shared/console", json!({"lines": lines}))
                    .await
                    .0;
                (a, b)
            });
        }
        while let Some(r) = set.join_next().await {
            assert_eq!(
                r.unwrap(),
                (StatusCode::OK, StatusCode::OK),
                "{:?}",
                t.backend
            );
        }
        let (_, d) = api.get("/runs/alice/race/shared").await;
        assert_eq!(
            d["metric_keys"].as_array().unwrap().len(),
            8,
            "every client's keys are in the summary on {:?}: {}",
            t.backend,
            d["metric_keys"]
        );
        assert_eq!(d["console_total"], 80, "no console line was overwritten");
        let (_, o) = api.get("/projects/alice/race").await;
        assert_eq!(o["total_runs"], 1);
        t
    })
    .await;
}

#[tokio::test]
async fn retries_and_repeats_are_harmless() {
    on_both(|t| async move {
        let api = setup(&t).await;
        api.post("/runs", json!({"project": "p", "id": "r", "start_time": 1_700_000_000.0})).await;
        // The same (key, step) twice in one batch: the later value wins.
        let (s, v) = api
            .post("/runs/alice/p/r/metrics", json!({"rows": [{"step": 5, "time": 1_700_000_010.0, "values": {"a": 1.0}}, {"step": 5, "time": 1_700_000_010.0, "values": {"a": 2.0}}]}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v} on {:?}", t.backend);
        let (_, series) = api.get("/runs/alice/p/r/metrics?key=a").await;
        assert_eq!((series["total_points"].clone(), series["buckets"][0]["last"].clone()), (json!(1), json!(2.0)));

        let (s, v) = api.post("/runs/alice/p/r/metrics", json!({"rows": [{"step": 6, "time": 1.7e12, "values": {"a": 1.0}}]})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(message(&v).contains("milliseconds"), "{v}");

        let finish = json!({"exit_code": 0, "time": 1_700_000_100.0});
        let (_, first) = api.post("/runs/alice/p/r/finish", finish.clone()).await;
        let (s, again) = api.post("/runs/alice/p/r/finish", json!({"exit_code": 0})).await;
        assert_eq!((s, &again), (StatusCode::OK, &first), "a retried finish changes nothing");
        let (_, d) = api.get("/runs/alice/p/r").await;
        assert_eq!(d["runtime_seconds"], json!(100.0));
        let (s, v) = api.post("/runs/alice/p/r/finish", json!({"exit_code": 2})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");

        // Errors axum produces itself come in the same JSON shape.
        let (s, v) = api.get("/runs").await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        assert!(v["error"]["status"] == 405, "{v}");
        t
    })
    .await;
}

#[tokio::test]
async fn series_and_history_over_http() {
    on_both(|t| async move {
        let api = setup(&t).await;
        for (id, opt, offset) in [("a", "adam", 0.0), ("b", "adam", 1.0), ("c", "sgd", 5.0)] {
            let (s, v) = api
                .post("/runs", json!({"project": "p", "id": id, "config": {"opt": {"name": opt}}, "start_time": 1_700_000_000.0}))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            let rows: Vec<Value> = (0..500)
                .map(|s| json!({"step": s, "time": 1_700_000_000.0 + s as f64, "values": {"loss": offset + 1.0 / (s as f64 + 1.0)}}))
                .collect();
            api.post(&format!("/runs/alice/p/{id}/metrics"), json!({"rows": rows})).await;
        }
        // A second key, logged on every tenth step only.
        let rows: Vec<Value> = (0..50)
            .map(|s| json!({"step": s * 10, "time": 1_700_000_000.0 + s as f64, "values": {"val/acc": s as f64}}))
            .collect();
        api.post("/runs/alice/p/a/metrics", json!({"rows": rows})).await;

        let (s, v) = api.get("/series/alice/p?key=loss&runs=a,b,c&buckets=50").await;
        assert_eq!(s, StatusCode::OK, "{v} on {:?}", t.backend);
        assert_eq!(v["runs"].as_array().unwrap().len(), 3);
        for r in v["runs"].as_array().unwrap() {
            assert_eq!(r["raw"], false);
            let counts: u64 = r["buckets"]["count"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum();
            assert_eq!(counts, 500);
            assert!(r["buckets"]["count"].as_array().unwrap().len() <= 50);
        }
        // Zoomed in far enough, the points come back raw.
        let (_, v) = api.get("/series/alice/p?key=loss&runs=c&x_min=10&x_max=19&buckets=50").await;
        assert_eq!(v["runs"][0]["raw"], true);
        assert_eq!(v["runs"][0]["buckets"]["x_first"], json!([10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0]));
        // Grouped by a nested config key, over relative time.
        let (s, v) = api
            .post("/series/alice/p", json!({"runs": ["a", "b", "c"], "key": "loss", "buckets": 20, "x": "relative_time", "group_by": {"config": "opt.name"}}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let groups = v["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!((groups[0]["group"].clone(), groups[0]["runs"].clone()), (json!("adam"), json!(["a", "b"])));
        let first = &groups[0]["buckets"][0];
        assert_eq!(first["runs"], 2);
        assert!(first["std_dev"].as_f64().unwrap() > 0.0);
        let (_, v) = api.get("/series/alice/p?key=loss&runs=a,c&group_by=group").await;
        assert_eq!(v["groups"][0]["group"], "(none)");

        // Mistakes are 4xx with a message.
        for (uri, want) in [
            ("/series/alice/p?key=loss&runs=a&x=banana", "unknown x axis"),
            ("/series/alice/p?key=loss&runs=a&x_min=5&x_max=1", "x_min"),
            ("/series/alice/p?key=loss&runs=&buckets=5", "runs"),
            ("/series/alice/p?key=loss&runs=a&buckets=0", "buckets"),
            ("/series/alice/p?key=loss&runs=a&group_by=colour", "cannot group by"),
            ("/series/alice/p?runs=a", "key"),
        ] {
            let (s, v) = api.get(uri).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {v}");
            assert!(message(&v).contains(want), "{uri}: {v}");
        }
        let (s, v) = api.get("/series/alice/p?key=loss&runs=a,zzz").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(message(&v).contains("zzz"), "{v}");
        let (s, _) = api.send("GET", "/series/alice/p?key=loss&runs=a", None, None, "").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a private project does not show to strangers");

        // History: rows with every key of a step, paged without gaps or repeats.
        let mut steps = Vec::new();
        let mut from = 0;
        loop {
            let (s, page) = api.get(&format!("/runs/alice/p/a/history?from_step={from}&limit=120")).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            for row in page["rows"].as_array().unwrap() {
                let step = row["step"].as_i64().unwrap();
                assert_eq!(row["values"].get("val/acc").is_some(), step % 10 == 0, "{row}");
                steps.push(step);
            }
            match page["next_step"].as_i64() {
                Some(n) => from = n,
                None => break,
            }
        }
        assert_eq!(steps, (0..500).collect::<Vec<i64>>());
        let (s, _) = api.get("/runs/alice/p/a/history?limit=0").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        t
    })
    .await;
}

#[tokio::test]
async fn thousands_of_unicode_keys_in_one_run() {
    on_both(|t| async move {
        let api = setup(&t).await;
        api.post("/runs", json!({"project": "p", "id": "wide"}))
            .await;
        let keys: Vec<String> = (0..3_000)
            .map(|i| format!("layer_{i}/grad·norm/ω"))
            .collect();
        for step in 0..3 {
            let values: serde_json::Map<String, Value> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k.clone(), json!(i as f64 + step as f64)))
                .collect();
            let (s, v) = api
                .post(
                    "/runs/alice/p/wide/metrics",
                    json!({"rows": [{"step": step, "values": values}]}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v} on {:?}", t.backend);
            assert_eq!(v["points"], 3_000);
        }
        let (_, page) = api.get("/runs/alice/p/wide/history?limit=10").await;
        let rows = page["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2]["values"].as_object().unwrap().len(), 3_000);
        assert_eq!(rows[2]["values"]["layer_2999/grad·norm/ω"], json!(3_001.0));
        let (_, run) = api.get("/runs/alice/p/wide").await;
        assert_eq!(run["metric_keys"].as_array().unwrap().len(), 3_000);
        assert_eq!(run["summary"]["layer_7/grad·norm/ω"], json!(9.0));
        t
    })
    .await;
}

/// `GET /api/v1/openapi.json` documents every route the router has (their patterns are
/// read from the source), and every path and method it documents reaches a handler.
#[tokio::test]
async fn the_openapi_document_names_every_route_and_only_real_ones() {
    let t = TestDb::new(common::Backend::Sqlite).await;
    let api = setup(&t).await;
    let (s, doc) = api.get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut routes = 0;
    for file in ["src/ingest/routes.rs", "src/ingest/artifacts.rs"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for after in text.split(".route(").skip(1) {
            let literal = after.trim_start().trim_start_matches('"');
            let pattern = &literal[..literal.find('"').unwrap()];
            let documented = pattern.replace("{*", "{");
            assert!(
                paths.contains_key(&documented),
                "{pattern} (in {file}) is not in openapi.json"
            );
            routes += 1;
        }
    }
    assert!(routes >= 20, "only {routes} routes found in the source");
    for (path, item) in paths {
        let uri = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "zz" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let (s, v) = api
                .send(
                    &method.to_uppercase(),
                    &uri,
                    Some(&api.key),
                    Some(Body::from("{}")),
                    "application/json",
                )
                .await;
            assert_ne!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !message(&v).contains("no such API route"),
                "{method} {path}: {v}"
            );
        }
    }
    t.cleanup().await;
}
