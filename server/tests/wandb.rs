//! The wandb protocol through the real router, on SQLite and PostgreSQL: GraphQL
//! leniencies, upsert semantics, file_stream offsets and overwrites under retries,
//! resume fields, signed storage URLs, artifacts, bad keys, other people's projects
//! and crash detection. The real client runs against a real server in `.ci/wandb`.
#![expect(
    clippy::unwrap_used,
    reason = "a test should stop at the first surprise"
)]

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{on_both, TestDb};
use server::blobs::BlobStore;
use server::bootstrap;
use server::ingest::api_router;
use server::state::AppState;
use server::wandb::{wandb_router, WandbState};

struct Wb {
    router: Router,
    key: String,
    bob_key: String,
}

fn basic(key: &str) -> String {
    let raw = format!("api:{key}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn setup(t: &TestDb) -> Wb {
    setup_with(t, BlobStore::open(t.dir.join("files")).unwrap()).await
}

/// A fresh fixture that keeps its files in `blobs`.
async fn setup_with(t: &TestDb, blobs: BlobStore) -> Wb {
    let alice = bootstrap::create_user(&t.db, "alice", "password123", false)
        .await
        .unwrap();
    let key = bootstrap::create_api_key(&t.db, &alice, "wandb", None)
        .await
        .unwrap();
    let bob = bootstrap::create_user(&t.db, "bob", "password123", false)
        .await
        .unwrap();
    let bob_key = bootstrap::create_api_key(&t.db, &bob, "wandb", None)
        .await
        .unwrap();
    let api = AppState::start(t.db.clone(), blobs, server::config::Config::default());
    let state = WandbState::new(api.clone()).await.unwrap();
    Wb {
        router: Router::new()
            .nest("/api/v1", api_router(api))
            .merge(wandb_router(state)),
        key,
        bob_key,
    }
}

const UPSERT: &str = "mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, \
    $groupName: String, $description: String, $displayName: String, $notes: String, $commit: String, \
    $config: JSONString, $host: String, $debug: Boolean, $program: String, $repo: String, $jobType: String, \
    $state: String, $sweep: String, $tags: [String!], $summaryMetrics: JSONString) {\n\
    upsertBucket(input: {id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity, \
    description: $description, displayName: $displayName, notes: $notes, config: $config, commit: $commit, \
    host: $host, debug: $debug, jobProgram: $program, jobRepo: $repo, jobType: $jobType, state: $state, \
    sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics}) {\n\
    bucket { id name displayName description config sweepName project { id name entity { id name } } historyLineCount }\n\
    inserted } }";

const RESUME: &str = "query RunResumeStatus($project: String, $entity: String, $name: String!) {\n\
    model(name: $project, entityName: $entity) { id name entity { id name }\n\
    bucket(name: $name, missingOk: true) { id name summaryMetrics displayName logLineCount historyLineCount\n\
    eventsLineCount historyTail eventsTail config tags notes wandbConfig(keys: [\"t\"]) } } }";

const RUN_FILES: &str = "mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {\n\
    createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {\n\
    runID uploadHeaders files { name uploadUrl } } }";

fn upsert_vars(extra: Value) -> Value {
    let mut v = json!({"id": null, "name": null, "project": "demo", "entity": "alice", "groupName": null,
        "description": null, "displayName": null, "notes": null, "commit": null, "config": null, "host": null,
        "debug": null, "program": null, "repo": null, "jobType": null, "state": null, "sweep": null,
        "tags": null, "summaryMetrics": null});
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

impl Wb {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        auth: Option<String>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "cairn.test:8080");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        (
            status,
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
    }

    async fn gql_as(&self, key: &str, query: &str, vars: Value) -> (StatusCode, Value) {
        let body = json!({"query": query, "variables": vars});
        let (s, b) = self
            .send(
                "POST",
                "/graphql",
                Some(basic(key)),
                body.to_string().into_bytes(),
            )
            .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    /// A query that must succeed; returns `data`.
    async fn gql(&self, query: &str, vars: Value) -> Value {
        let (s, v) = self.gql_as(&self.key, query, vars).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    async fn stream(&self, run: &str, body: Value) -> (StatusCode, Value) {
        let (s, b) = self
            .send(
                "POST",
                &format!("/files/alice/demo/{run}/file_stream"),
                Some(basic(&self.key)),
                body.to_string().into_bytes(),
            )
            .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    /// `GET /api/v1/...` as alice.
    async fn api(&self, path: &str) -> Value {
        let (s, b) = self
            .send(
                "GET",
                &format!("/api/v1{path}"),
                Some(format!("Bearer {}", self.key)),
                Vec::new(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
        serde_json::from_slice(&b).unwrap()
    }

    async fn resume(&self, run: &str) -> Value {
        self.gql(
            RESUME,
            json!({"project": "demo", "entity": "alice", "name": run}),
        )
        .await["model"]["bucket"]
            .clone()
    }
}

/// The path and query of a URL the server handed out.
fn local(url: &str) -> String {
    let rest = url
        .strip_prefix("http://cairn.test:8080")
        .unwrap_or_else(|| panic!("{url} is not on the request's host"));
    rest.to_owned()
}

#[tokio::test]
async fn graphql_is_as_lenient_as_the_client_needs() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        // No operationName, a `#graphql` comment line, an undeclared variable, a
        // fragment, an alias and a skipped field.
        let q = "#graphql\n# the Python client sends this\nquery { viewer { ...V who: username id @skip(if: true) } }\n\
                 fragment V on User { __typename entity }";
        let data = wb.gql(q, json!({"usedAs": null})).await;
        assert_eq!(
            data,
            json!({"viewer": {"__typename": "User", "entity": "alice", "who": "alice"}})
        );
        // Features: none, so the client takes the simplest path.
        let f = wb
            .gql("query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }", json!({}))
            .await;
        assert_eq!(f, json!({"serverInfo": {"features": []}}));
        // Unknown fields answer null instead of failing the request.
        let data = wb.gql("{ viewer { entity somethingNew } }", json!({})).await;
        assert_eq!(data["viewer"]["somethingNew"], Value::Null);
        // Organization lookup answers null.
        let org = wb
            .gql(
                "query OrganizationCoreWeaveOrganizationID($entityName: String!) { entity(name: $entityName) { organization { coreWeaveOrganizationId } } }",
                json!({"entityName": "alice"}),
            )
            .await;
        assert_eq!(org, json!({"entity": {"organization": null}}));
        // Broken documents get a 400 with a message.
        let (s, v) = wb.gql_as(&wb.key, "query {", json!({})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("parse"));
        t
    })
    .await;
}

#[tokio::test]
async fn bad_keys_get_401_and_change_nothing() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        let bad = "x".repeat(40);
        let (s, v) = wb
            .gql_as(&bad, UPSERT, upsert_vars(json!({"name": "r1"})))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(v["errors"][0]["message"], "unauthorized");
        let (s, _) = wb
            .send(
                "POST",
                "/graphql",
                None,
                b"{\"query\": \"{ viewer { id } }\"}".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = wb
            .send(
                "POST",
                "/files/alice/demo/r1/file_stream",
                Some(basic(&bad)),
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(wb.api("/projects").await, json!([]));
        // The telemetry probe is told there is nothing here.
        let (s, _) = wb
            .send("POST", "/sdk/otel/v1/metrics", None, Vec::new())
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        t
    })
    .await;
}

#[tokio::test]
async fn upsert_creates_then_patches_and_keeps_what_resume_needs() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        let config = json!({"lr": {"value": 0.01}, "arch": {"value": "resnet"},
                            "_wandb": {"value": {"t": {"1": [1, 5], "4": "3.11.7"}, "cli_version": "0.31.0"}}});
        let first = wb
            .gql(
                UPSERT,
                upsert_vars(json!({"name": "run1", "displayName": "first try", "config": config.to_string(),
                                   "tags": ["a"], "groupName": "g", "jobType": "train"})),
            )
            .await;
        let bucket = &first["upsertBucket"]["bucket"];
        assert_eq!(first["upsertBucket"]["inserted"], true);
        assert_eq!(bucket["name"], "run1");
        assert_eq!(bucket["project"]["name"], "demo");
        assert_eq!(bucket["project"]["entity"]["name"], "alice");
        let storage_id = bucket["id"].as_str().unwrap().to_owned();

        // By storage id, with nulls for everything else: only the name and tags change.
        let again = wb
            .gql(
                UPSERT,
                upsert_vars(json!({"id": storage_id, "entity": null, "project": null,
                                   "displayName": "renamed", "tags": ["a", "b"]})),
            )
            .await;
        assert_eq!(again["upsertBucket"]["inserted"], false);
        let run = wb.api("/runs/alice/demo/run1").await;
        assert_eq!(run["display_name"], "renamed");
        assert_eq!(run["group"], "g");
        assert_eq!(run["job_type"], "train");
        assert_eq!(run["tags"], json!(["a", "b"]));
        // Cairn's own config is plain values, without the client's `_wandb` block.
        assert_eq!(run["config"], json!({"lr": 0.01, "arch": "resnet"}));

        // A summary sent with the upsert is filterable in the Runs tab at once (the
        // upsert writes through the run repository, which keeps `run_fields` in step).
        wb.gql(
            UPSERT,
            upsert_vars(json!({"id": storage_id, "entity": null, "project": null,
                               "summaryMetrics": json!({"best_acc": 0.93}).to_string()})),
        )
        .await;
        let alice = server::db::repo::users::find_by_username(&t.db, "alice")
            .await
            .unwrap()
            .unwrap();
        let page = server::service::runs_table::runs_page(
            &t.db,
            Some(&alice),
            &app::model::ProjectRef::new("alice", "demo"),
            &app::model::RunsQuery {
                filter: "summary.best_acc > 0.9".into(),
                sort: None,
                within: vec![],
                columns: vec![],
                offset: 0,
                limit: 50,
            },
        )
        .await
        .unwrap();
        assert_eq!(page.rows.len(), 1, "the summary did not reach run_fields");

        // The resume answer: config in the wandb form, telemetry kept, counts at zero.
        let r = wb.resume("run1").await;
        let stored: Value = serde_json::from_str(r["config"].as_str().unwrap()).unwrap();
        assert_eq!(stored, config);
        let t_only: Value = serde_json::from_str(r["wandbConfig"].as_str().unwrap()).unwrap();
        assert_eq!(t_only, json!({"t": {"1": [1, 5], "4": "3.11.7"}}));
        assert_eq!(r["historyLineCount"], 0);
        assert_eq!(r["logLineCount"], 0);
        assert_eq!(r["historyTail"], "[]");
        // An unknown run is "does not exist".
        let none = wb.resume("nope").await;
        assert_eq!(none, Value::Null);

        // No entity: the key owner's own; no project: `uncategorized`.
        let d = wb
            .gql(UPSERT, upsert_vars(json!({"name": "run2", "entity": null, "project": null})))
            .await;
        assert_eq!(d["upsertBucket"]["bucket"]["project"]["entity"]["name"], "alice");
        assert_eq!(d["upsertBucket"]["bucket"]["project"]["name"], "uncategorized");

        // Bad input is a GraphQL error with a message, not a 5xx.
        let (s, v) = wb
            .gql_as(&wb.key, UPSERT, upsert_vars(json!({"name": "bad id!", "config": "{}"})))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("run id"));
        let (_, v) = wb
            .gql_as(&wb.key, UPSERT, upsert_vars(json!({"name": "run3", "config": "[1]"})))
            .await;
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("config"));
        t
    })
    .await;
}

fn history_line(step: i64, loss: &str) -> String {
    format!("{{\"_step\":{step},\"_runtime\":{step}.5,\"_timestamp\":1.79e9,\"loss\":{loss}}}")
}

#[tokio::test]
async fn file_stream_is_idempotent_and_rewrites_console_lines() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "fs"}))).await;
        let post = json!({"files": {
            "wandb-history.jsonl": {"offset": 0, "content": [history_line(0, "1.0"), history_line(1, "NaN"), history_line(2, "0.25")]},
            "wandb-summary.json": {"offset": 0, "content": ["{\"loss\": 0.25, \"_step\": 2, \"best\": 0.1}"]},
            "output.log": {"offset": 0, "content": ["2026-11-26T03:43:04.058298 epoch 1", "2026-11-26T03:43:04.1 progress 50%"]},
            "wandb-events.jsonl": {"offset": 0, "content": ["{\"_wandb\": true, \"_timestamp\": 1.79e9, \"system.cpu\": 12.5}"]}
        }});
        let (s, v) = wb.stream("fs", post.clone()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // The client retries a post whose answer it did not see: nothing doubles.
        let (s, _) = wb.stream("fs", post).await;
        assert_eq!(s, StatusCode::OK);
        // A progress line rewritten at an older offset, plus a stderr line.
        let (s, _) = wb
            .stream(
                "fs",
                json!({"files": {"output.log": {"offset": 1, "content": [
                    "2026-11-26T03:43:04.1 progress 100%", "ERROR 2026-11-26T03:43:05.0 oops"]}}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // A heartbeat.
        assert_eq!(wb.stream("fs", json!({})).await.0, StatusCode::OK);

        let r = wb.resume("fs").await;
        assert_eq!(r["historyLineCount"], 3);
        assert_eq!(r["logLineCount"], 3);
        assert_eq!(r["eventsLineCount"], 1);
        let tail: Vec<String> = serde_json::from_str(r["historyTail"].as_str().unwrap()).unwrap();
        assert_eq!(tail.len(), 3);
        let summary: Value = serde_json::from_str(r["summaryMetrics"].as_str().unwrap()).unwrap();
        assert_eq!(summary, json!({"loss": 0.25, "_step": 2, "best": 0.1}));

        let run = wb.api("/runs/alice/demo/fs").await;
        let console: Vec<(String, String)> = run["console"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["stream"].as_str().unwrap().to_owned(), l["text"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            console,
            [
                ("stdout".to_owned(), "epoch 1".to_owned()),
                ("stdout".to_owned(), "progress 100%".to_owned()),
                ("stderr".to_owned(), "oops".to_owned())
            ]
        );
        assert_eq!(run["summary"]["best"], 0.1);
        assert!(run["summary"].get("_step").is_none());
        assert!(run["summary"].get("system/cpu").is_none(), "{}", run["summary"]);
        // The metrics engine holds each point once; NaN is kept as a point.
        let loss = wb.api("/runs/alice/demo/fs/metrics?key=loss").await;
        assert_eq!(loss["total_points"], 3, "{loss}");
        let cpu = wb.api("/runs/alice/demo/fs/metrics?key=system/cpu").await;
        assert_eq!(cpu["total_points"], 1, "{cpu}");

        // A bad post is refused whole: the valid history line in it is not stored.
        let (s, v) = wb
            .stream(
                "fs",
                json!({"files": {"wandb-history.jsonl": {"offset": 3, "content": [history_line(3, "1"), "not json"]}}}),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v["error"]["message"].as_str().unwrap().contains("line 4"));
        assert_eq!(wb.resume("fs").await["historyLineCount"], 3);
        // A stream to a run that does not exist is a 404.
        assert_eq!(wb.stream("ghost", json!({})).await.0, StatusCode::NOT_FOUND);

        // The end: a non-zero exit code is a failed run; a retried final post is a no-op.
        let end = json!({"complete": true, "exitcode": 1, "uploaded": ["output.log"]});
        assert_eq!(wb.stream("fs", end.clone()).await.0, StatusCode::OK);
        assert_eq!(wb.stream("fs", end).await.0, StatusCode::OK);
        let run = wb.api("/runs/alice/demo/fs").await;
        assert_eq!(run["state"], "failed");
        assert_eq!(run["exit_code"], 1);
        // Resuming it: the next post makes it live again.
        wb.stream("fs", json!({})).await;
        assert_eq!(wb.api("/runs/alice/demo/fs").await["state"], "running");
        t
    })
    .await;
}

#[tokio::test]
async fn public_api_reads_history_like_wandb() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "h"}))).await;
        let lines: Vec<String> = (0..50)
            .map(|s| {
                if s % 2 == 0 {
                    format!("{{\"_step\":{s},\"loss\":{s},\"acc\":1}}")
                } else {
                    format!("{{\"_step\":{s},\"loss\":{s}}}")
                }
            })
            .collect();
        wb.stream("h", json!({"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}}))
            .await;
        let q = "query HistoryPage($entity: String!, $project: String!, $run: String!, $minStep: Int64!, $maxStep: Int64!, $pageSize: Int!) {\n\
                 project(name: $project, entityName: $entity) { run(name: $run) { history(minStep: $minStep, maxStep: $maxStep, samples: $pageSize) } } }";
        let page = wb
            .gql(q, json!({"entity": "alice", "project": "demo", "run": "h", "minStep": 10, "maxStep": 20, "pageSize": 100}))
            .await;
        let rows = page["project"]["run"]["history"].as_array().unwrap();
        assert_eq!(rows.len(), 10, "maxStep is exclusive");
        assert!(rows[0].as_str().unwrap().contains("\"_step\":10"));

        let q = "query SampledHistoryPage($entity: String!, $project: String!, $run: String!, $spec: JSONString!) {\n\
                 project(name: $project, entityName: $entity) { run(name: $run) { sampledHistory(specs: [$spec]) } } }";
        let spec = json!({"keys": ["acc", "_step"], "minStep": 0, "maxStep": 20, "samples": 100}).to_string();
        let sampled = wb
            .gql(q, json!({"entity": "alice", "project": "demo", "run": "h", "spec": spec}))
            .await;
        let rows = sampled["project"]["run"]["sampledHistory"][0].as_array().unwrap();
        assert_eq!(rows.len(), 11, "even steps 0..=20, maxStep inclusive");
        assert_eq!(rows[10], json!({"acc": 1, "_step": 20}));

        let keys = wb
            .gql(
                "query RunHistoryKeys($project: String!, $entity: String!, $name: String!) { project(name: $project, entityName: $entity) { run(name: $name) { historyKeys } } }",
                json!({"entity": "alice", "project": "demo", "name": "h"}),
            )
            .await;
        let hk = &keys["project"]["run"]["historyKeys"];
        assert_eq!(hk["lastStep"], 49);
        assert_eq!(hk["keys"]["acc"]["typeCounts"], json!([{"type": "number", "count": 25}]));

        let full = wb
            .gql(
                "query RunFullHistory($project: String!, $entity: String!, $name: String!, $samples: Int) { project(name: $project, entityName: $entity) { run(name: $name) { history(samples: $samples) } } }",
                json!({"entity": "alice", "project": "demo", "name": "h", "samples": 5}),
            )
            .await;
        assert_eq!(full["project"]["run"]["history"].as_array().unwrap().len(), 5);

        let runs = wb
            .gql(
                "query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50, $order: String, $filters: JSONString) {\n\
                 project(name: $project, entityName: $entity) { internalId runCount(filters: $filters) readOnly\n\
                 runs(filters: $filters, after: $cursor, first: $perPage, order: $order) { edges { node { id name state user { username } } cursor } pageInfo { endCursor hasNextPage } } } }",
                json!({"entity": "alice", "project": "demo", "filters": "{}", "order": "+created_at"}),
            )
            .await;
        assert_eq!(runs["project"]["runCount"], 1);
        assert_eq!(runs["project"]["readOnly"], false);
        assert_eq!(runs["project"]["runs"]["edges"][0]["node"]["user"]["username"], "alice");
        assert_eq!(runs["project"]["runs"]["pageInfo"]["hasNextPage"], false);

        // Mongo-style filters, as `Api().runs(path, filters=…)` sends them.
        wb.gql(UPSERT, upsert_vars(json!({"name": "h2", "tags": ["keep"]})))
            .await;
        wb.stream("h", json!({"complete": true, "exitcode": 0})).await;
        let count = "query C($project: String!, $entity: String!, $filters: JSONString) {\n\
                     project(name: $project, entityName: $entity) { runCount(filters: $filters)\n\
                     runs(filters: $filters, first: 10) { edges { node { name } } } } }";
        for (filter, names) in [
            (json!({}), vec!["h", "h2"]),
            (json!({"state": "finished"}), vec!["h"]),
            (json!({"tags": {"$in": ["keep"]}}), vec!["h2"]),
            (json!({"$or": [{"name": "h"}, {"summary_metrics.loss": {"$gt": 100}}]}), vec!["h"]),
        ] {
            let d = wb
                .gql(count, json!({"entity": "alice", "project": "demo", "filters": filter.to_string()}))
                .await;
            let got: Vec<&str> = d["project"]["runs"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["name"].as_str().unwrap())
                .collect();
            assert_eq!(got, names, "{filter}");
            assert_eq!(d["project"]["runCount"], names.len(), "{filter}");
        }
        // A page's totalCount is every matching run, not the page's end.
        let paged = "query P($project: String!, $entity: String!, $filters: JSONString, $after: String) {\n\
                     project(name: $project, entityName: $entity) {\n\
                     runs(filters: $filters, first: 1, after: $after) { totalCount edges { node { name } cursor } pageInfo { hasNextPage } } } }";
        for filters in [json!({}), json!({"name": {"$in": ["h", "h2"]}})] {
            let d = wb
                .gql(paged, json!({"entity": "alice", "project": "demo", "filters": filters.to_string()}))
                .await;
            let runs = &d["project"]["runs"];
            assert_eq!(runs["totalCount"], 2, "{filters}: {runs}");
            assert_eq!(runs["pageInfo"]["hasNextPage"], true);
            let after = runs["edges"][0]["cursor"].clone();
            let d = wb
                .gql(paged, json!({"entity": "alice", "project": "demo", "filters": filters.to_string(), "after": after}))
                .await;
            let runs = &d["project"]["runs"];
            assert_eq!(runs["totalCount"], 2);
            assert_eq!(runs["edges"].as_array().unwrap().len(), 1);
            assert_eq!(runs["pageInfo"]["hasNextPage"], false);
        }
        let (_, v) = wb
            .gql_as(&wb.key, count, json!({"entity": "alice", "project": "demo", "filters": "{\"$xor\": 1}"}))
            .await;
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("unknown operator"), "{v}");
        t
    })
    .await;
}

#[tokio::test]
async fn signed_urls_open_one_file_for_one_method() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "files"}))).await;
        let made = wb
            .gql(RUN_FILES, json!({"entity": "alice", "project": "demo", "run": "files",
                                   "files": ["media/images/a b.png", "config.yaml"]}))
            .await;
        let files = made["createRunFiles"]["files"].as_array().unwrap();
        assert_eq!(files.len(), 2);
        let png = local(files[0]["uploadUrl"].as_str().unwrap());
        let yaml = local(files[1]["uploadUrl"].as_str().unwrap());
        // An upload marks the project active, as one through /api/v1 does (one path).
        let last_active = || async {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            use server::db::entities::project;
            project::Entity::find()
                .filter(project::Column::Name.eq("demo"))
                .one(&t.db)
                .await
                .unwrap()
                .unwrap()
                .last_active_at
        };
        sea_orm::ConnectionTrait::execute_unprepared(
            &t.db,
            "UPDATE projects SET last_active_at = 1 WHERE name = 'demo'",
        )
        .await
        .unwrap();
        // No Authorization header: the URL is the credential.
        assert_eq!(wb.send("PUT", &png, None, b"PNG bytes".to_vec()).await.0, StatusCode::OK);
        assert!(last_active().await.unwrap() > 1, "the upload did not mark the project active");
        // A tampered signature, another file's name under this signature, or a GET
        // with the upload signature: all refused.
        let tampered = format!("{}0", png.trim_end_matches(|c: char| c.is_ascii_hexdigit()));
        assert_eq!(wb.send("PUT", &tampered, None, b"x".to_vec()).await.0, StatusCode::FORBIDDEN);
        let (_, query) = png.split_once('?').unwrap();
        let swapped = format!("{}?{query}", yaml.split_once('?').unwrap().0);
        assert_eq!(wb.send("PUT", &swapped, None, b"x".to_vec()).await.0, StatusCode::FORBIDDEN);
        assert_eq!(wb.send("GET", &png, None, Vec::new()).await.0, StatusCode::FORBIDDEN);
        let unsigned = png.split_once('?').unwrap().0.to_owned();
        assert_ne!(wb.send("PUT", &unsigned, None, b"x".to_vec()).await.0, StatusCode::OK);

        // The public API lists the file with a working download link and its MD5.
        let listed = wb
            .gql(
                "query RunFiles($project: String!, $entity: String!, $name: String!, $fileNames: [String] = []) {\n\
                 project(name: $project, entityName: $entity) { run(name: $name) { fileCount files(names: $fileNames) { edges { node { name directUrl sizeBytes md5 } } } } } }",
                json!({"entity": "alice", "project": "demo", "name": "files"}),
            )
            .await;
        let run = &listed["project"]["run"];
        assert_eq!(run["fileCount"], 1);
        let node = &run["files"]["edges"][0]["node"];
        assert_eq!(node["name"], "media/images/a b.png");
        assert_eq!(node["sizeBytes"], 9);
        assert_eq!(node["md5"], server::wandb::artifacts::md5_base64(b"PNG bytes"));
        let (s, bytes) = wb.send("GET", &local(node["directUrl"].as_str().unwrap()), None, Vec::new()).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(bytes, b"PNG bytes");
        // Bob cannot ask for upload URLs in alice's project.
        let (_, v) = wb
            .gql_as(&wb.bob_key, RUN_FILES, json!({"entity": "alice", "project": "demo", "run": "files", "files": ["x"]}))
            .await;
        assert!(v["errors"][0]["message"].as_str().is_some(), "{v}");
        t
    })
    .await;
}

const CREATE_ARTIFACT: &str = "mutation CreateArtifact($input: CreateArtifactInput!) { createArtifact(input: $input) { ...Created } }\n\
    fragment Created on CreateArtifactPayload { artifact { id state artifactSequence { latestArtifact { id } } } }";
const CREATE_MANIFEST: &str = "mutation CreateArtifactManifest($artifactID: ID!, $baseArtifactID: ID, $name: String!, $digest: String!, \
    $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) {\n\
    createArtifactManifest(input: {artifactID: $artifactID, baseArtifactID: $baseArtifactID, name: $name, digest: $digest, \
    entityName: $entityName, projectName: $projectName, runName: $runName, type: $manifestType}) {\n\
    artifactManifest { id file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) } } } }";
const CREATE_FILES: &str = "mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) {\n\
    files { edges { node { storagePath uploadUrl uploadHeaders uploadMultipartUrls { uploadID } artifact { id } } } } } }";
const COMMIT: &str = "mutation CommitArtifact($artifactID: ID!) { commitArtifact(input: {artifactID: $artifactID}) { artifact { id digest } } }";
const MEMBERSHIP: &str = "query ArtifactMembershipByName($entity: String!, $project: String!, $name: String!, $includeAliases: Boolean = false) {\n\
    project(name: $project, entityName: $entity) { artifactCollectionMembership(name: $name) { ...M } } }\n\
    fragment M on ArtifactCollectionMembership { __typename id versionIndex createdAt aliases { ...A } artifactCollection { ...C } artifact { ...F } }\n\
    fragment A on ArtifactAlias { __typename id alias }\n\
    fragment C on ArtifactCollection { __typename name project { id internalId name entity { name } } }\n\
    fragment F on Artifact { __typename id versionIndex artifactType { name } state size digest fileCount aliases @include(if: $includeAliases) { alias } }";

/// Log one artifact version the way wandb-core does; returns its id.
async fn log_artifact(
    wb: &Wb,
    files: &[(&str, &[u8])],
    digest: &str,
    aliases: Value,
) -> (String, Vec<Value>) {
    let input = json!({"aliases": aliases, "artifactCollectionName": "ds", "artifactCollectionNames": null,
        "artifactTypeName": "dataset", "clientID": format!("client-{digest}"), "clientMutationId": null,
        "description": "tiny", "digest": digest, "digestAlgorithm": "MANIFEST_MD5", "distributedID": null,
        "enableDigestDeduplication": true, "entityName": "alice", "historyStep": null, "labels": null,
        "metadata": "{\"rows\": 3}", "projectName": "demo", "runName": "producer", "sequenceClientID": "seq",
        "storageRegion": null, "ttlDurationSeconds": null});
    let created = wb.gql(CREATE_ARTIFACT, json!({"input": input})).await;
    let art = &created["createArtifact"]["artifact"];
    let id = art["id"].as_str().unwrap().to_owned();
    if art["state"] == "COMMITTED" {
        return (id, Vec::new());
    }
    let mvars = |digest: &str, upload: bool| {
        json!({"artifactID": id, "baseArtifactID": null, "name": "wandb_manifest.json", "digest": digest,
               "entityName": "alice", "projectName": "demo", "runName": "producer", "manifestType": "FULL",
               "includeUpload": upload})
    };
    let m1 = wb.gql(CREATE_MANIFEST, mvars("", false)).await;
    assert!(m1["createArtifactManifest"]["artifactManifest"]["file"]
        .get("uploadUrl")
        .is_none());
    let manifest_id = m1["createArtifactManifest"]["artifactManifest"]["id"].clone();
    let entries: Vec<Value> = files
        .iter()
        .map(|(name, bytes)| json!({"artifactID": id, "artifactManifestID": manifest_id, "name": name,
            "md5": server::wandb::artifacts::md5_base64(bytes), "mimetype": null, "uploadPartsInput": null}))
        .collect();
    let made = wb
        .gql(
            CREATE_FILES,
            json!({"input": {"artifactFiles": entries, "clientMutationId": null,
                                            "cloudRegionID": null, "storageLayout": "V2"}}),
        )
        .await;
    let edges = made["createArtifactFiles"]["files"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), files.len());
    let mut contents = serde_json::Map::new();
    for ((name, bytes), edge) in files.iter().zip(&edges) {
        if let Some(url) = edge["node"]["uploadUrl"].as_str() {
            assert_eq!(
                wb.send("PUT", &local(url), None, bytes.to_vec()).await.0,
                StatusCode::OK
            );
        }
        contents.insert(
            (*name).to_owned(),
            json!({"digest": server::wandb::artifacts::md5_base64(bytes), "size": bytes.len(),
                   "birthArtifactID": edge["node"]["artifact"]["id"]}),
        );
    }
    let manifest = json!({"version": 1, "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"}, "contents": contents})
    .to_string();
    let m2 = wb
        .gql(
            CREATE_MANIFEST,
            mvars(
                &server::wandb::artifacts::md5_base64(manifest.as_bytes()),
                true,
            ),
        )
        .await;
    let file = &m2["createArtifactManifest"]["artifactManifest"];
    assert_eq!(
        file["id"], manifest_id,
        "the second call names the same manifest"
    );
    let url = local(file["file"]["uploadUrl"].as_str().unwrap());
    assert_eq!(
        wb.send("PUT", &url, None, manifest.into_bytes()).await.0,
        StatusCode::OK
    );
    wb.gql(COMMIT, json!({"artifactID": id})).await;
    (id, edges)
}

#[tokio::test]
async fn artifacts_version_alias_dedup_and_download() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        artifact_round_trip(&wb).await;
        t
    })
    .await;
}

/// The same, with the files in S3-compatible object storage (a real server on
/// 127.0.0.1): uploads with their MD5 check, deduplication, downloads, the clean-up.
#[tokio::test]
async fn artifacts_and_their_clean_up_on_object_storage() {
    let s3 = crate::common::s3::S3Server::start().await;
    let s3 = &s3;
    on_both(|t| async move {
        let bucket = format!("wb-{:?}-{}", t.backend, rand::random::<u32>()).to_lowercase();
        let url = s3.bucket(&bucket, "files").await;
        let blobs = BlobStore::open_url(Some(&url), t.dir.join("staging")).unwrap();
        let wb = setup_with(&t, blobs).await;
        artifact_round_trip(&wb).await;
        t
    })
    .await;
    on_both(|t| async move {
        let bucket = format!("gc-{:?}-{}", t.backend, rand::random::<u32>()).to_lowercase();
        let url = s3.bucket(&bucket, "").await;
        let blobs = BlobStore::open_url(Some(&url), t.dir.join("staging"))
            .unwrap()
            .with_collect_settle(std::time::Duration::from_millis(200));
        let wb = setup_with(&t, blobs.clone()).await;
        artifact_clean_up(&t, &wb, &blobs).await;
        t
    })
    .await;
}

/// Log, alias, deduplicate and download artifacts through the wandb client's calls.
async fn artifact_round_trip(wb: &Wb) {
    wb.gql(UPSERT, upsert_vars(json!({"name": "producer"})))
        .await;
    let data: &[u8] = b"hello artifact\n";
    let (v0, _) = log_artifact(
        wb,
        &[("data.txt", data)],
        "d0",
        json!([{"alias": "best"}, {"alias": "latest"}]),
    )
    .await;

    let m = wb
        .gql(MEMBERSHIP, json!({"entity": "alice", "project": "demo", "name": "ds:latest", "includeAliases": true}))
        .await;
    let mem = &m["project"]["artifactCollectionMembership"];
    assert_eq!(mem["__typename"], "ArtifactCollectionMembership");
    assert_eq!(mem["artifactCollection"]["__typename"], "ArtifactSequence");
    let aliases: Vec<&str> = mem["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alias"].as_str().unwrap())
        .collect();
    assert_eq!(aliases, ["best", "latest", "v0"]);
    assert_eq!(mem["aliases"][0]["__typename"], "ArtifactAlias");
    let art = &mem["artifact"];
    assert_eq!(art["__typename"], "Artifact");
    assert_eq!(art["id"], v0);
    assert_eq!(art["state"], "COMMITTED");
    assert_eq!(art["size"], data.len());
    assert_eq!(art["fileCount"], 1);

    // v1 re-uses data.txt: no upload for it, and its birth artifact is v0.
    let extra: &[u8] = b"more\n";
    let (v1, edges) = log_artifact(
        wb,
        &[("data.txt", data), ("extra.txt", extra)],
        "d1",
        json!([{"alias": "latest"}]),
    )
    .await;
    assert_ne!(v1, v0);
    assert_eq!(edges[0]["node"]["uploadUrl"], Value::Null);
    assert_eq!(edges[0]["node"]["artifact"]["id"], v0);
    assert!(edges[1]["node"]["uploadUrl"].is_string());
    // `best` stayed on v0, `latest` moved.
    let best = wb
        .gql(
            MEMBERSHIP,
            json!({"entity": "alice", "project": "demo", "name": "ds:best"}),
        )
        .await;
    assert_eq!(
        best["project"]["artifactCollectionMembership"]["versionIndex"],
        0
    );
    let latest = wb
        .gql(
            MEMBERSHIP,
            json!({"entity": "alice", "project": "demo", "name": "ds:latest"}),
        )
        .await;
    assert_eq!(
        latest["project"]["artifactCollectionMembership"]["versionIndex"],
        1
    );
    // A committed version's manifest cannot be replaced.
    let (_, v) = wb
        .gql_as(
            &wb.key,
            CREATE_MANIFEST,
            json!({"artifactID": v0, "baseArtifactID": null, "name": "wandb_manifest.json", "digest": "x",
                   "entityName": "alice", "projectName": "demo", "runName": "producer",
                   "manifestType": "FULL", "includeUpload": true}),
        )
        .await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("committed"),
        "{v}"
    );
    // The same digest again is the committed v0: nothing to upload.
    let (again, edges) = log_artifact(wb, &[("data.txt", data)], "d0", json!([])).await;
    assert_eq!(again, v0);
    assert!(edges.is_empty());

    // Download v1 like a consumer: manifest, then every file, without credentials.
    let man = wb
        .gql("query FetchArtifactManifest($id: ID!) { artifact(id: $id) { currentManifest { file { directUrl } } } }", json!({"id": v1}))
        .await;
    let (s, body) = wb
        .send(
            "GET",
            &local(
                man["artifact"]["currentManifest"]["file"]["directUrl"]
                    .as_str()
                    .unwrap(),
            ),
            None,
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(manifest["contents"]["data.txt"]["birthArtifactID"], v0);
    let urls = wb
        .gql(
            "query GetArtifactMembershipFileUrls($entity: String!, $project: String!, $collection: String!, $alias: String!, $cursor: String, $perPage: Int) {\n\
             project(name: $project, entityName: $entity) { artifactCollection(name: $collection) { __typename artifactMembership(aliasName: $alias) {\n\
             files(after: $cursor, first: $perPage) { pageInfo { __typename endCursor hasNextPage } edges { node { __typename name directUrl } } } } } } }",
            json!({"entity": "alice", "project": "demo", "collection": "ds", "alias": "v1", "cursor": null, "perPage": 5000}),
        )
        .await;
    let files = &urls["project"]["artifactCollection"]["artifactMembership"]["files"];
    assert_eq!(files["pageInfo"]["hasNextPage"], false);
    let mut got = Vec::new();
    for e in files["edges"].as_array().unwrap() {
        let (s, b) = wb
            .send(
                "GET",
                &local(e["node"]["directUrl"].as_str().unwrap()),
                None,
                Vec::new(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        got.push((e["node"]["name"].as_str().unwrap().to_owned(), b));
    }
    assert_eq!(
        got,
        [
            ("data.txt".to_owned(), data.to_vec()),
            ("extra.txt".to_owned(), extra.to_vec())
        ]
    );

    // A consumer run records its use; bob can neither use nor change alice's artifact.
    wb.gql(UPSERT, upsert_vars(json!({"name": "consumer"})))
        .await;
    let use_q = "mutation UseArtifact($entityName: String!, $projectName: String!, $runName: String!, $artifactID: ID!) {\n\
                 useArtifact(input: {entityName: $entityName, projectName: $projectName, runName: $runName, artifactID: $artifactID}) { artifact { id digest state } } }";
    let used = wb
        .gql(use_q, json!({"entityName": "alice", "projectName": "demo", "runName": "consumer", "artifactID": v1, "usedAs": null}))
        .await;
    assert_eq!(used["useArtifact"]["artifact"]["state"], "COMMITTED");
    let (_, v) = wb
        .gql_as(&wb.bob_key, COMMIT, json!({"artifactID": v1}))
        .await;
    assert!(v["errors"].is_array(), "{v}");
    let (_, v) = wb
        .gql_as(
            &wb.bob_key,
            "query($id: ID!) { artifact(id: $id) { id } }",
            json!({"id": v1}),
        )
        .await;
    assert_eq!(v["data"]["artifact"], Value::Null);
    // An upload whose bytes do not match the announced MD5 is refused.
    let input = json!({"artifactTypeName": "dataset", "artifactCollectionName": "other", "digest": "x",
                       "entityName": "alice", "projectName": "demo", "aliases": []});
    let c = wb.gql(CREATE_ARTIFACT, json!({"input": input})).await;
    let id = c["createArtifact"]["artifact"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let made = wb
        .gql(
            CREATE_FILES,
            json!({"input": {"artifactFiles": [{"artifactID": id, "name": "f.txt",
              "md5": server::wandb::artifacts::md5_base64(b"right")}]}}),
        )
        .await;
    let url = local(
        made["createArtifactFiles"]["files"]["edges"][0]["node"]["uploadUrl"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(
        wb.send("PUT", &url, None, b"wrong".to_vec()).await.0,
        StatusCode::BAD_REQUEST
    );
    // And without its files and manifest, the version cannot be committed.
    let (_, v) = wb.gql_as(&wb.key, COMMIT, json!({"artifactID": id})).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("never uploaded"),
        "{v}"
    );
}

/// GET (or POST JSON to) `/api/v1` as a key's owner (`None`: anonymous).
async fn api(
    wb: &Wb,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Vec<u8>) {
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    wb.send(method, &format!("/api/v1{path}"), key.map(basic), body)
        .await
}

async fn api_json(wb: &Wb, path: &str) -> Value {
    let (s, b) = api(wb, "GET", path, Some(&wb.key), Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).unwrap()
}

#[tokio::test]
async fn artifact_tab_reads_edits_history_and_access() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "producer", "summaryMetrics": "{\"acc\": 0.9}"}))).await;
        let data: &[u8] = b"a,b\n1,2\n";
        log_artifact(&wb, &[("train/data.csv", data), ("README.md", b"v0\n")], "d0", json!([{"alias": "best"}])).await;
        let (v1, _) = log_artifact(
            &wb,
            &[("train/data.csv", data), ("train/more.csv", b"x\n"), ("README.md", b"v1\n")],
            "d1",
            json!([]),
        )
        .await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "consumer"}))).await;
        let use_q = "mutation UseArtifact($entityName: String!, $projectName: String!, $runName: String!, $artifactID: ID!) {\n\
                     useArtifact(input: {entityName: $entityName, projectName: $projectName, runName: $runName, artifactID: $artifactID}) { artifact { id } } }";
        wb.gql(use_q, json!({"entityName": "alice", "projectName": "demo", "runName": "consumer", "artifactID": v1})).await;

        // The tab's column: one type, one collection with two versions.
        let idx = api_json(&wb, "/artifacts/alice/demo").await;
        assert_eq!(idx["types"][0]["type_name"], "dataset");
        assert_eq!(idx["types"][0]["collections"][0]["name"], "ds");
        assert_eq!(idx["types"][0]["collections"][0]["versions"], 2);
        // Versions, newest first, with aliases, producer, consumers and its summary.
        let page = api_json(&wb, "/artifacts/alice/demo/dataset/ds").await;
        assert_eq!(page["total"], 2);
        assert_eq!(page["rows"][0]["index"], 1);
        assert_eq!(page["rows"][0]["aliases"], json!(["latest", "v1"]));
        assert_eq!(page["rows"][0]["consumers"], 1);
        assert_eq!(page["rows"][1]["aliases"], json!(["best", "v0"]));
        assert_eq!(page["rows"][1]["created_by"]["run_id"], "producer");
        assert_eq!(page["summary_keys"], json!(["acc"]));
        let by_size = api_json(&wb, "/artifacts/alice/demo/dataset/ds?sort=files&desc=false").await;
        assert_eq!(by_size["rows"][0]["index"], 0);
        // One version by alias, its files by folder, a file and a zip.
        let v = api_json(&wb, "/artifacts/alice/demo/dataset/ds/versions/latest").await;
        assert_eq!(v["row"]["file_count"], 3);
        assert_eq!(v["consumers"][0]["run_id"], "consumer");
        let top = api_json(&wb, "/artifacts/alice/demo/dataset/ds/versions/v1/files").await;
        assert_eq!(top["folders"][0]["name"], "train");
        assert_eq!(top["folders"][0]["files"], 2);
        assert_eq!(top["files"][0]["path"], "README.md");
        let sub = api_json(&wb, "/artifacts/alice/demo/dataset/ds/versions/v1/files?folder=train/").await;
        assert_eq!(sub["files"].as_array().unwrap().len(), 2);
        let (s, body) = api(&wb, "GET", "/artifacts/alice/demo/dataset/ds/versions/v1/files/train/data.csv", Some(&wb.key), Value::Null).await;
        assert_eq!((s, body.as_slice()), (StatusCode::OK, data));
        let (s, zip) = api(&wb, "GET", "/artifacts/alice/demo/dataset/ds/versions/v1/zip?folder=train/", Some(&wb.key), Value::Null).await;
        assert_eq!(s, StatusCode::OK);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().to_owned()).collect();
        names.sort();
        assert_eq!(names, ["data.csv", "more.csv"]);
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut archive.by_name("data.csv").unwrap(), &mut got).unwrap();
        assert_eq!(got, data);
        // Lineage: producer → v1 → consumer.
        let g = api_json(&wb, "/artifacts/alice/demo/dataset/ds/versions/v1/lineage?depth=1").await;
        let hrefs: Vec<&str> = g["nodes"].as_array().unwrap().iter().map(|n| n["href"].as_str().unwrap()).collect();
        assert_eq!(
            hrefs,
            ["/alice/demo/artifacts/dataset/ds/v1", "/alice/demo/runs/producer", "/alice/demo/runs/consumer"],
            "{g}"
        );
        assert_eq!(g["edges"].as_array().unwrap().len(), 2);

        // Edits through the API: move `best`, tag, guarded delete.
        let edit = |body: Value| api(&wb, "POST", "/artifacts/alice/demo/dataset/ds/versions/v1/edit", Some(&wb.key), body);
        assert_eq!(edit(json!({"AddAlias": "best"})).await.0, StatusCode::OK);
        assert_eq!(edit(json!({"AddTag": "golden"})).await.0, StatusCode::OK);
        assert_eq!(edit(json!({"AddAlias": "v0"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(edit(json!({"RemoveAlias": "latest"})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, b) = edit(json!({"Delete": {"remove_aliases": false}})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&b));
        assert_eq!(edit(json!({"Delete": {"remove_aliases": true}})).await.0, StatusCode::OK);
        // v1 is gone; `latest` fell back to v0, `best` went with v1.
        let page = api_json(&wb, "/artifacts/alice/demo/dataset/ds").await;
        assert_eq!(page["total"], 1);
        assert_eq!(page["rows"][0]["aliases"], json!(["latest", "v0"]));
        let (s, _) = api(&wb, "GET", "/artifacts/alice/demo/dataset/ds/versions/v1", Some(&wb.key), Value::Null).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // The history holds every door's events, newest first.
        let h = api_json(&wb, "/artifacts/alice/demo/dataset/ds/history").await;
        let actions: Vec<(&str, &str)> = h.as_array().unwrap().iter().map(|e| (e["action"].as_str().unwrap(), e["via"].as_str().unwrap())).collect();
        assert_eq!(
            actions,
            [("deleted", "api"), ("tag_added", "api"), ("alias_moved", "api"), ("created", "wandb"), ("alias_added", "wandb"), ("created", "wandb")]
        );
        assert_eq!(h[0]["user"], "alice");

        // Bob and anonymous readers get 404 at every artifact door of a private project.
        for path in [
            "/artifacts/alice/demo",
            "/artifacts/alice/demo/dataset/ds",
            "/artifacts/alice/demo/dataset/ds/history",
            "/artifacts/alice/demo/dataset/ds/versions/v0",
            "/artifacts/alice/demo/dataset/ds/versions/v0/files",
            "/artifacts/alice/demo/dataset/ds/versions/v0/files/README.md",
            "/artifacts/alice/demo/dataset/ds/versions/v0/zip",
            "/artifacts/alice/demo/dataset/ds/versions/v0/lineage",
        ] {
            for key in [Some(wb.bob_key.as_str()), None] {
                let (s, _) = api(&wb, "GET", path, key, Value::Null).await;
                assert_eq!(s, StatusCode::NOT_FOUND, "{path} as {key:?}");
            }
        }
        let (s, _) = api(&wb, "POST", "/artifacts/alice/demo/dataset/ds/versions/v0/edit", Some(&wb.bob_key), json!({"AddTag": "x"})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        t
    })
    .await;
}

#[tokio::test]
async fn artifact_cleanup_expires_purges_restores_and_keeps_fresh_blobs() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        let blobs = BlobStore::open(t.dir.join("files")).unwrap();
        artifact_clean_up(&t, &wb, &blobs).await;
        t
    })
    .await;
}

/// Expiry, purge and restore of artifact versions, and what the clean-up removes from
/// `blobs` (the store `wb` keeps its files in).
async fn artifact_clean_up(t: &TestDb, wb: &Wb, blobs: &BlobStore) {
    use server::service::artifacts::{clean_up, deleted_collections, restore_collection};
    let alice = server::db::repo::users::find_by_username(&t.db, "alice")
        .await
        .unwrap()
        .unwrap();
    wb.gql(UPSERT, upsert_vars(json!({"name": "producer"})))
        .await;
    log_artifact(wb, &[("old.txt", b"only in v0\n")], "d0", json!([])).await;
    log_artifact(wb, &[("new.txt", b"only in v1\n")], "d1", json!([])).await;
    let old_sha = blobs.put(b"only in v0\n").await.unwrap().sha256;
    let new_sha = blobs.put(b"only in v1\n").await.unwrap().sha256;
    // Bytes nothing references: a refused upload's.
    let orphan = blobs.put(b"refused upload\n").await.unwrap().sha256;
    let edit = |v: &'static str, body: Value| async move {
        let path = format!("/artifacts/alice/demo/dataset/ds/versions/{v}/edit");
        api(wb, "POST", &path, Some(&wb.key), body).await.0
    };
    assert_eq!(edit("v0", json!({"Ttl": 60})).await, StatusCode::OK);
    let now = server::db::now_ms();

    // Within the grace period nothing is removed, not even the orphan.
    let done = clean_up(&t.db, blobs, now, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(done.blobs_removed, 0);
    assert!(blobs.contains(&orphan).await);

    // Two days on: v0 expired, its rows are gone, so are its bytes and the orphan's;
    // v1's stay.
    let later = now + 2 * 24 * 3600 * 1000;
    let done = clean_up(&t.db, blobs, later, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((done.expired, done.versions_purged), (1, 1), "{done:?}");
    assert!(!blobs.contains(&old_sha).await && !blobs.contains(&orphan).await);
    assert!(blobs.contains(&new_sha).await);
    let h = api_json(wb, "/artifacts/alice/demo/dataset/ds/history").await;
    assert_eq!(h[0]["action"], "expired");
    assert_eq!(h[0]["via"], "server");
    assert_eq!(h[0]["user"], Value::Null);
    let page = api_json(wb, "/artifacts/alice/demo/dataset/ds").await;
    assert_eq!(page["total"], 1);

    // A deleted collection waits for a project admin to restore it...
    assert_eq!(edit("v1", json!("DeleteCollection")).await, StatusCode::OK);
    let idx = api_json(wb, "/artifacts/alice/demo").await;
    assert_eq!(idx["types"], json!([]));
    let at = app::model::ProjectRef::new("alice", "demo");
    let gone = deleted_collections(&t.db, Some(&alice), &at).await.unwrap();
    assert_eq!(gone.len(), 1);
    restore_collection(&t.db, &alice, &at, gone[0].id)
        .await
        .unwrap();
    assert_eq!(
        api_json(wb, "/artifacts/alice/demo/dataset/ds").await["total"],
        1
    );
    // ...and is removed for good after 30 days.
    assert_eq!(edit("v1", json!("DeleteCollection")).await, StatusCode::OK);
    let much_later = now + 31 * 24 * 3600 * 1000;
    let done = clean_up(&t.db, blobs, much_later, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(done.collections_purged, 1);
    assert!(deleted_collections(&t.db, Some(&alice), &at)
        .await
        .unwrap()
        .is_empty());
    assert!(!blobs.contains(&new_sha).await);
}

/// The clean-up and an upload of the same bytes at the same moment: whatever the
/// interleaving, the upload's blob is there once the upload has returned.
#[tokio::test]
async fn clean_up_never_removes_a_blob_an_upload_just_stored() {
    let dir = std::env::temp_dir().join(format!("cairn-gc-race-{}", std::process::id()));
    let blobs = BlobStore::open(&dir).unwrap();
    let bytes = b"the same bytes, uploaded again".to_vec();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let mut removed = 0;
    for round in 0..200 {
        // An old copy nothing references: the clean-up's fair game, until re-uploaded.
        let sha = blobs.put(&bytes).await.unwrap().sha256;
        let path = dir.join(&sha[..2]).join(&sha);
        std::fs::File::options()
            .append(true)
            .open(&path)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        let gc = {
            let blobs = blobs.clone();
            let sha = sha.clone();
            tokio::spawn(async move {
                if round % 2 == 0 {
                    tokio::task::yield_now().await;
                }
                blobs
                    .collect(&sha, std::time::Duration::from_secs(3600), || async {
                        false
                    })
                    .await
                    .unwrap()
            })
        };
        let upload = {
            let (blobs, bytes) = (blobs.clone(), bytes.clone());
            tokio::spawn(async move { blobs.put(&bytes).await.unwrap() })
        };
        let stored = upload.await.unwrap();
        if gc.await.unwrap() {
            removed += 1;
        }
        assert!(
            blobs.contains(&stored.sha256).await,
            "round {round}: the uploaded blob is gone"
        );
        assert_eq!(blobs.get(&stored.sha256).await.unwrap(), bytes);
    }
    // The clean-up did remove the old copy in some rounds (the race was real), yet
    // every upload found its bytes in place.
    println!("clean-up removed the old copy in {removed} of 200 rounds");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn other_peoples_projects_stay_closed() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "mine"}))).await;
        // Bob cannot read alice's private project, nor create runs in her entity,
        // nor post to her run's stream.
        let (_, v) = wb
            .gql_as(
                &wb.bob_key,
                RESUME,
                json!({"project": "demo", "entity": "alice", "name": "mine"}),
            )
            .await;
        assert_eq!(v["data"]["model"], Value::Null);
        let (_, v) = wb
            .gql_as(
                &wb.bob_key,
                UPSERT,
                upsert_vars(json!({"name": "intruder"})),
            )
            .await;
        assert!(v["errors"][0]["message"].as_str().is_some(), "{v}");
        let (s, _) = wb
            .send(
                "POST",
                "/files/alice/demo/mine/file_stream",
                Some(basic(&wb.bob_key)),
                b"{}".to_vec(),
            )
            .await;
        assert!(
            s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN,
            "{s}"
        );
        // Nor rename her run through its storage id.
        let id = wb.resume("mine").await["id"].as_str().unwrap().to_owned();
        let (_, v) = wb
            .gql_as(
                &wb.bob_key,
                UPSERT,
                upsert_vars(json!({"id": id, "entity": null, "displayName": "pwned"})),
            )
            .await;
        assert!(v["errors"][0]["message"].as_str().is_some(), "{v}");
        assert_eq!(
            wb.api("/runs/alice/demo/mine").await["display_name"]
                .as_str()
                .map(|n| n != "pwned"),
            Some(true)
        );
        t
    })
    .await;
}

#[tokio::test]
async fn silent_runs_are_marked_crashed_and_revive_on_the_next_post() {
    on_both(|t| async move {
        let wb = setup(&t).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "quiet"}))).await;
        wb.gql(UPSERT, upsert_vars(json!({"name": "done"}))).await;
        wb.stream("done", json!({"complete": true, "exitcode": 0}))
            .await;
        // Nothing is silent for an hour yet.
        assert_eq!(
            server::jobs::mark_silent_runs_crashed(
                &t.db,
                std::time::Duration::from_millis(3_600_000)
            )
            .await
            .unwrap(),
            0
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            server::jobs::mark_silent_runs_crashed(&t.db, std::time::Duration::from_millis(10))
                .await
                .unwrap(),
            1
        );
        assert_eq!(wb.api("/runs/alice/demo/quiet").await["state"], "crashed");
        assert_eq!(wb.api("/runs/alice/demo/done").await["state"], "finished");
        wb.stream("quiet", json!({})).await;
        assert_eq!(wb.api("/runs/alice/demo/quiet").await["state"], "running");
        // A run logged through /api/v1 revives the same way when it writes again.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            server::jobs::mark_silent_runs_crashed(&t.db, std::time::Duration::from_millis(10))
                .await
                .unwrap(),
            1
        );
        assert_eq!(wb.api("/runs/alice/demo/quiet").await["state"], "crashed");
        let (s, b) = wb
            .send(
                "POST",
                "/api/v1/runs/alice/demo/quiet/metrics",
                Some(format!("Bearer {}", wb.key)),
                json!({"rows": [{"step": 1, "values": {"x": 1}}]})
                    .to_string()
                    .into_bytes(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
        assert_eq!(wb.api("/runs/alice/demo/quiet").await["state"], "running");
        t
    })
    .await;
}

const VIEWS: &str = "query ProjectViews($project: String!, $entity: String!, $reportCursor: String,\n\
    $reportLimit: Int!, $viewType: String = \"runs\", $viewName: String) {\n\
    project(name: $project, entityName: $entity) {\n\
    allViews(viewType: $viewType, viewName: $viewName, first: $reportLimit, after: $reportCursor) {\n\
    edges { node { id name displayName description user { username photoUrl email } spec updatedAt createdAt }\n\
    cursor } pageInfo { endCursor hasNextPage } } } }";

const UPSERT_VIEW: &str = "mutation UpsertView($id: ID, $entityName: String, $projectName: String,\n\
    $type: String, $name: String, $displayName: String, $description: String, $spec: String!) {\n\
    upsertView(input: {id: $id, entityName: $entityName, projectName: $projectName, name: $name,\n\
    displayName: $displayName, description: $description, type: $type, createdUsing: WANDB_SDK, spec: $spec}) {\n\
    view { id name displayName spec } inserted } }";

/// Reports through the client's views: a spec sent by `upsertView` is kept as it
/// came, drafts stay out of `allViews` until published, and bob (no access) can
/// neither read nor write.
#[tokio::test]
async fn views_list_read_and_upsert_reports() {
    on_both(|t| async move {
        let w = setup(&t).await;
        w.gql(UPSERT, upsert_vars(json!({"name": "r1"}))).await;
        let spec = json!({"version": 5, "blocks": [
            {"type": "heading", "level": 1, "children": [{"text": "From the client"}]},
            {"type": "weave-panel", "children": [{"text": ""}], "config": {"q": 1}},
        ]})
        .to_string();
        let vars = |kind: &str, id: Value| {
            json!({"id": id, "entityName": "alice", "projectName": "demo", "type": kind,
                "name": "client-report", "displayName": "Client report", "description": "d", "spec": spec})
        };
        let draft = w.gql(UPSERT_VIEW, vars("runs/draft", Value::Null)).await;
        assert_eq!(draft["upsertView"]["inserted"], true);
        let id = draft["upsertView"]["view"]["id"].as_str().unwrap().to_owned();
        assert_eq!(draft["upsertView"]["view"]["spec"], spec.as_str(), "kept as it came");
        let list_vars = json!({"project": "demo", "entity": "alice", "reportLimit": 50});
        let listed = w.gql(VIEWS, list_vars.clone()).await;
        assert_eq!(listed["project"]["allViews"]["edges"].as_array().unwrap().len(), 0, "a draft is not listed");
        let published = w.gql(UPSERT_VIEW, vars("runs", json!(id))).await;
        assert_eq!(published["upsertView"]["inserted"], false, "the same report");
        let listed = w.gql(VIEWS, list_vars.clone()).await;
        let edges = listed["project"]["allViews"]["edges"].as_array().unwrap().clone();
        assert_eq!(edges.len(), 1);
        let node = &edges[0]["node"];
        assert_eq!(node["displayName"], "Client report");
        assert_eq!(node["user"]["username"], "alice");
        assert_eq!(node["spec"], spec.as_str());
        let one = w
            .gql("query View($id: ID!) { view(id: $id) { id displayName spec } }", json!({"id": id}))
            .await;
        assert_eq!(one["view"]["displayName"], "Client report");
        let (s, v) = w
            .gql_as(&w.bob_key, "query View($id: ID!) { view(id: $id) { id } }", json!({"id": id}))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["data"]["view"].is_null(), "bob may not read alice's private report: {v}");
        let (_, v) = w
            .gql_as(&w.bob_key, UPSERT_VIEW, vars("runs", json!(id)))
            .await;
        assert!(v.get("errors").is_some(), "bob may not write it: {v}");
        t
    })
    .await;
}
