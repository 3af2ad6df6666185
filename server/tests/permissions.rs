//! The permission matrix, through the real router on SQLite and PostgreSQL: every
//! visibility × every role × every door (page HTML, server functions, `/api/v1` read
//! and write, wandb GraphQL read and write, file_stream, signed file URLs for GET and
//! PUT; and the same doors of an artifact version, plus its file and zip downloads),
//! each answer compared with a table written out by hand below — not derived
//! from `auth::access`, so a wrong policy fails here. Then the attacks: guessed run
//! ids, tampered, expired and borrowed signatures, CSRF, revoked keys, markup in
//! descriptions, hostile names, brute-forced passwords, renames and deletions.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use base64::Engine;
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use tower::ServiceExt;

use app::model::{NewProject, ProjectEdit, ProjectRef, Visibility};
use common::{on_both, TestDb};
use server::auth::credentials::token_hash;
use server::blobs::BlobStore;
use server::db::entities::user;
use server::db::repo::{projects, users};
use server::service::accounts;
use server::service::ops;
use server::service::ops::types::UpsertRun;
use server::state::AppState;
use server::wandb::storage::{Grant, Kind};
use server::wandb::WandbState;

const VISIBILITIES: [&str; 5] = ["private", "team", "restricted", "public", "open"];
const ROLES: [&str; 9] = [
    "anonymous",
    "outsider",
    "viewer",
    "member",
    "listed",
    "team admin",
    "owner",
    "site admin",
    "left team",
];

/// What each role may do with an `acme` team project of each visibility, created by
/// `owner` (a team member). `listed` is on the restricted project's member list but
/// not in the team. `left team` was a team viewer when an admin put them on that list,
/// then left the team: the entry still gives read only.
/// N: nothing (the project does not exist for them), R: read, W: write.
const EXPECTED: [(&str, [char; 9]); 5] = [
    // anon, outsider, viewer, member, listed, team admin, owner, site admin, left team
    ("private", ['N', 'N', 'N', 'N', 'N', 'W', 'W', 'W', 'N']),
    ("team", ['N', 'N', 'R', 'W', 'N', 'W', 'W', 'W', 'N']),
    ("restricted", ['N', 'N', 'N', 'N', 'W', 'W', 'W', 'W', 'R']),
    ("public", ['R', 'R', 'R', 'W', 'R', 'W', 'W', 'W', 'R']),
    ("open", ['N', 'W', 'W', 'W', 'W', 'W', 'W', 'W', 'W']),
];

struct Who {
    user: Option<user::Model>,
    key: Option<String>,
    session: Option<String>,
}

/// Tests that render pages take turns. Leptos's server rendering keeps process-wide
/// state, and with several test runtimes rendering at once a page request now and then
/// never answered (in 3 of about 30 runs of this file; never in 10 runs one test at a time, and
/// the server itself runs a single runtime).
static RENDERING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct World {
    /// This test's turn to render pages (see `RENDERING`).
    _turn: tokio::sync::MutexGuard<'static, ()>,
    router: Router,
    state: WandbState,
    people: Vec<Who>,
    /// Run primary keys by visibility, and the file each run holds.
    runs: Vec<(String, i32)>,
    /// The artifact version `ds:v0` (holding `data.txt`) of each project, by visibility.
    versions: Vec<(String, i32)>,
    /// A published report of each project, by visibility.
    reports: Vec<(String, u64)>,
    /// A running sweep of each project (its name), by visibility.
    sweeps: Vec<(String, String)>,
    /// An automation of each project (its number), by visibility.
    automations: Vec<(String, i32)>,
}

fn options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name("cairn")
        .site_root("target/site")
        .build()
}

async fn person(t: &TestDb, name: &str, admin: bool) -> Who {
    let user = server::bootstrap::create_user(&t.db, name, "password123", admin)
        .await
        .unwrap();
    let key = server::bootstrap::create_api_key(&t.db, &user, "k", None)
        .await
        .unwrap();
    let session = format!("session-of-{name}-0123456789abcdef0123456789");
    let now = server::db::now_ms();
    users::insert_session(&t.db, user.id, &token_hash(&session), now, now + 3_600_000)
        .await
        .unwrap();
    Who {
        user: Some(user),
        key: Some(key),
        session: Some(session),
    }
}

async fn world(t: &TestDb) -> World {
    let turn = RENDERING.lock().await;
    let mut people = vec![Who {
        user: None,
        key: None,
        session: None,
    }];
    for (name, admin) in [
        ("outsider", false),
        ("viewer", false),
        ("member", false),
        ("listed", false),
        ("teamadmin", false),
        ("owner", false),
        ("root", true),
        ("leaver", false),
    ] {
        people.push(person(t, name, admin).await);
    }
    let id = |i: usize| people[i].user.as_ref().unwrap().id;
    let team = projects::create_team(&t.db, "acme", id(5), 0)
        .await
        .unwrap();
    for (i, role) in [(2, "viewer"), (3, "member"), (6, "member"), (8, "viewer")] {
        projects::set_team_role(&t.db, team.id, id(i), Some(role))
            .await
            .unwrap();
    }
    let owner = people[6].user.clone().unwrap();
    let blobs = BlobStore::open(t.dir.join("files")).unwrap();
    let api = AppState::start(t.db.clone(), blobs, server::config::Config::default());
    let state = WandbState::new(api).await.unwrap();
    let mut runs = Vec::new();
    for vis in VISIBILITIES {
        let name = format!("p-{vis}");
        accounts::create_project(
            &t.db,
            &owner,
            NewProject {
                entity: "acme".into(),
                name: name.clone(),
                visibility: vis.parse().unwrap(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
        let p = projects::find_project(&t.db, team.id, &name)
            .await
            .unwrap()
            .unwrap();
        if vis == "restricted" {
            let team_admin = people[5].user.clone().unwrap();
            for name in ["listed", "leaver"] {
                accounts::set_project_member(
                    &t.db,
                    &team_admin,
                    &ProjectRef::new("acme", "p-restricted"),
                    name,
                    true,
                )
                .await
                .unwrap();
            }
        }
        ops::upsert_run(
            &t.db,
            &owner,
            UpsertRun {
                entity: Some("acme".into()),
                project: name.clone(),
                id: Some("r1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let run = server::db::repo::runs::find_run(&t.db, p.id, "r1")
            .await
            .unwrap()
            .unwrap();
        runs.push((vis.to_owned(), run.id));
    }
    // The leaver was a team viewer when put on the restricted list; now they leave.
    projects::set_team_role(&t.db, team.id, id(8), None)
        .await
        .unwrap();
    let mut versions = Vec::new();
    let mut reports = Vec::new();
    for vis in VISIBILITIES {
        versions.push((vis.to_owned(), log_artifact(&state, &owner, vis).await));
        let at = ProjectRef::new("acme", format!("p-{vis}"));
        let (id, _) = server::service::reports::create_report(&t.db, &owner, &at, "Notes", None)
            .await
            .unwrap();
        let r = app::model::ReportRef::new(at, id);
        let v = server::service::reports::draft(&t.db, Some(&owner), &r)
            .await
            .unwrap()
            .version;
        server::service::reports::edit(
            &t.db,
            &owner,
            &r,
            app::model::ReportEdit::Publish { base_version: v },
        )
        .await
        .unwrap();
        reports.push((vis.to_owned(), id));
        // An image in each report (the same bytes for all).
        let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        server::service::reports::images::upload(&t.db, &state.app.blobs, &owner, &r, png)
            .await
            .unwrap();
    }
    let mut sweeps = Vec::new();
    for vis in VISIBILITIES {
        let (f, _) = server::service::sweeps::create(
            &t.db,
            &owner,
            server::service::sweeps::Create {
                entity: Some("acme"),
                project: Some(&format!("p-{vis}")),
                config: "method: random\nparameters:\n  lr: {min: 0.0, max: 1.0}\n",
                display_name: None,
                controller: None,
                prior_runs: Vec::new(),
            },
        )
        .await
        .unwrap();
        // Its first agent starts it.
        server::service::sweeps::create_agent(&t.db, &owner, Some("acme"), &f.row.name, "h")
            .await
            .unwrap();
        sweeps.push((vis.to_owned(), f.row.name));
    }
    // An automation in each project, made by a team admin (project admins make them).
    let mut automations = Vec::new();
    let admin = people[5].user.clone().unwrap();
    for vis in VISIBILITIES {
        let at = ProjectRef::new("acme", format!("p-{vis}"));
        let spec = serde_json::from_value(json!({
            "name": "failed runs",
            "trigger": {"event": "run_state", "states": ["failed"]},
            "action": {"kind": "slack", "url": "https://hooks.example.org/x", "message": "${run_name} failed"}
        }))
        .unwrap();
        let a = server::service::automations::create(&t.db, &admin, &at, spec)
            .await
            .unwrap();
        automations.push((vis.to_owned(), a.id));
    }
    let router = server::web::router(state.clone(), options());
    let w = World {
        automations,
        _turn: turn,
        router,
        state,
        people,
        runs,
        versions,
        reports,
        sweeps,
    };
    // The owner uploads one file to every run, through a URL issued to them.
    for (_, pk) in &w.runs {
        let url = w.signed("PUT", *pk, owner.id);
        let (s, b) = w.send("PUT", &url, vec![], b"hello".to_vec()).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    }
    w
}

/// Log `ds:v0` with one file into project `p-{vis}`, through the operations the
/// wandb client's calls end in; returns the version's key.
async fn log_artifact(state: &WandbState, owner: &user::Model, vis: &str) -> i32 {
    use server::wandb::artifacts as wb;
    let args = |v: Value| server::wandb::gql::Args(v.as_object().cloned().unwrap());
    let db = &state.app.db;
    let bytes = b"artifact bytes";
    let made = wb::create(
        db,
        owner,
        &args(
            json!({"artifactTypeName": "dataset", "artifactCollectionName": "ds", "digest": "d",
                      "entityName": "acme", "projectName": format!("p-{vis}"), "runName": "r1"}),
        ),
    )
    .await
    .unwrap();
    let id = server::wandb::ids::keyed("Artifact", made.art.id);
    wb::create_files(
        db,
        owner,
        &args(json!({"artifactFiles": [{"artifactID": id, "name": "data.txt", "md5": wb::md5_base64(bytes)}]})),
    )
    .await
    .unwrap();
    let stored = state.app.blobs.put(bytes).await.unwrap();
    let md5 = wb::md5_base64_of_hex(&stored.md5);
    server::db::repo::artifacts::attach_upload(
        db,
        made.art.id,
        "data.txt",
        &md5,
        &stored.sha256,
        14,
    )
    .await
    .unwrap();
    let manifest = json!({"contents": {"data.txt": {"digest": md5, "size": 14}}}).to_string();
    let m = state.app.blobs.put(manifest.as_bytes()).await.unwrap();
    let v = server::db::repo::artifacts::version(db, made.art.id)
        .await
        .unwrap()
        .unwrap();
    let mut a: server::db::entities::artifact::ActiveModel = v.into();
    a.manifest_sha256 = sea_orm::Set(Some(m.sha256));
    server::db::repo::artifacts::update_version(db, a)
        .await
        .unwrap();
    wb::commit(db, &state.app.blobs, owner, &id).await.unwrap();
    made.art.id
}

fn basic(key: &str) -> String {
    let raw = format!("api:{key}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// How one request came out, reduced to what the matrix compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    /// Done / shown.
    Ok,
    /// Refused because the caller may only read.
    ReadOnly,
    /// The project (or file) does not exist for the caller.
    Hidden,
    /// The caller must sign in / send a key first.
    SignIn,
    /// Not applicable (signed URLs are only ever issued to key holders).
    Na,
    /// Answered as done, but the write is not there when read back.
    NotWritten,
}

/// Numbers the write cells, so each writes a tag of its own to read back.
static WRITE_CELL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn fresh_tag() -> String {
    format!(
        "m{}",
        WRITE_CELL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

impl World {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: Vec<(&str, String)>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "cairn.test");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let request = req.body(Body::from(body)).unwrap();
        let resp = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            self.router.clone().oneshot(request),
        )
        .await
        .unwrap_or_else(|_| panic!("{method} {uri} did not answer within 20 s"))
        .unwrap();
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        (status, bytes)
    }

    fn signed(&self, method: &str, run_pk: i32, uid: i32) -> String {
        let g = Grant {
            method,
            kind: Kind::RunFile,
            id: run_pk,
            name: "notes.txt",
            uid,
        };
        self.state.signer.url("", &g)
    }

    fn cookie(w: &Who) -> Vec<(&'static str, String)> {
        match &w.session {
            Some(s) => vec![
                ("cookie", format!("cairn_session={s}")),
                ("x-csrf-token", server::csrf::token_for(s)),
            ],
            None => vec![],
        }
    }

    /// A server function with JSON input, as the browser calls it.
    async fn server_fn(&self, who: &Who, path: &str, args: Value) -> (StatusCode, Value) {
        let mut h = Self::cookie(who);
        h.push(("content-type", "application/json".into()));
        h.push(("accept", "application/json".into()));
        let (s, b) = self
            .send("POST", path, h, args.to_string().into_bytes())
            .await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    /// `got`, unless it says the write was done and the run does not hold `tag`.
    async fn written(&self, got: Got, pk: i32, tag: &str) -> Got {
        use sea_orm::EntityTrait;
        if got != Got::Ok {
            return got;
        }
        let run = server::db::entities::run::Entity::find_by_id(pk)
            .one(&self.state.app.db)
            .await
            .unwrap()
            .unwrap();
        let tags: Vec<String> = serde_json::from_str(&run.tags).unwrap();
        if tags.iter().any(|t| t == tag) {
            Got::Ok
        } else {
            Got::NotWritten
        }
    }

    /// `got`, unless it says the write was done and version `pk` lacks tag `tag`.
    async fn tagged(&self, got: Got, pk: i32, tag: &str) -> Got {
        if got != Got::Ok {
            return got;
        }
        let v = server::db::repo::artifacts::version(&self.state.app.db, pk)
            .await
            .unwrap()
            .unwrap();
        let tags: Vec<String> = serde_json::from_str(&v.tags).unwrap();
        if tags.iter().any(|t| t == tag) {
            Got::Ok
        } else {
            Got::NotWritten
        }
    }

    /// `got`, unless it says the write was done and report `id`'s draft is still at
    /// version `before`.
    async fn drafted(&self, got: Got, id: u64, before: i32) -> Got {
        if got != Got::Ok {
            return got;
        }
        let row = server::db::repo::reports::find_any(&self.state.app.db, id as i32)
            .await
            .unwrap()
            .unwrap();
        if row.draft_version > before {
            Got::Ok
        } else {
            Got::NotWritten
        }
    }

    /// The sweep's state and how many agents it has.
    async fn sweep_facts(&self, name: &str) -> (String, usize) {
        let db = &self.state.app.db;
        let acme = projects::find_entity(db, "acme").await.unwrap().unwrap();
        let row = server::db::repo::sweeps::find_by_name(db, acme.id, name)
            .await
            .unwrap()
            .unwrap();
        let agents = server::db::repo::sweeps::agents(db, row.id)
            .await
            .unwrap()
            .len();
        (row.state, agents)
    }

    async fn draft_version(&self, id: u64) -> i32 {
        server::db::repo::reports::find_any(&self.state.app.db, id as i32)
            .await
            .unwrap()
            .unwrap()
            .draft_version
    }

    /// Whether automation `id` is enabled (read from the database).
    async fn automation_enabled(&self, id: i32) -> bool {
        server::db::repo::automations::by_id(&self.state.app.db, id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    }

    async fn check(&self, surface: &str, who: &Who, vis: &str, pk: i32) -> Got {
        let project = format!("p-{vis}");
        let automation = self.automations.iter().find(|(v, _)| v == vis).unwrap().1;
        let sweep = self
            .sweeps
            .iter()
            .find(|(v, _)| v == vis)
            .unwrap()
            .1
            .clone();
        let version_pk = self.versions.iter().find(|(v, _)| v == vis).unwrap().1;
        let version = json!({"project": {"entity": "acme", "project": project},
                             "type_name": "dataset", "collection": "ds", "version": "v0"});
        let page = format!("/acme/{project}/artifacts/dataset/ds/v0");
        let api_version = format!("/api/v1/artifacts/acme/{project}/dataset/ds/versions/v0");
        let at = json!({"entity": "acme", "project": project});
        let report_id = self.reports.iter().find(|(v, _)| v == vis).unwrap().1;
        let report = json!({"project": at, "id": report_id});
        let sf_error = |s: StatusCode, v: &Value| -> Got {
            if s.is_success() {
                return Got::Ok;
            }
            // The error's variant and the HTTP status agree.
            let (got, status) = match v
                .as_object()
                .and_then(|o| o.keys().next())
                .map(String::as_str)
            {
                Some("NotFound") => (Got::Hidden, StatusCode::NOT_FOUND),
                Some("Forbidden") => (Got::ReadOnly, StatusCode::FORBIDDEN),
                Some("Unauthorized") => (Got::SignIn, StatusCode::UNAUTHORIZED),
                other => panic!("{surface}: unexpected answer {s} {other:?} {v}"),
            };
            assert_eq!(s, status, "{surface}: {v}");
            got
        };
        let http = |s: StatusCode| -> Got {
            match s {
                s if s.is_success() => Got::Ok,
                StatusCode::NOT_FOUND => Got::Hidden,
                StatusCode::FORBIDDEN => Got::ReadOnly,
                StatusCode::UNAUTHORIZED => Got::SignIn,
                other => panic!("{surface}: unexpected status {other}"),
            }
        };
        let key = who.key.clone();
        let bearer = key
            .iter()
            .map(|k| ("authorization", format!("Bearer {k}")))
            .collect::<Vec<_>>();
        let wandb = key
            .iter()
            .map(|k| ("authorization", basic(k)))
            .collect::<Vec<_>>();
        match surface {
            "page HTML" => {
                let (s, _) = self
                    .send(
                        "GET",
                        &format!("/acme/{project}/overview"),
                        Self::cookie(who),
                        vec![],
                    )
                    .await;
                http(s)
            }
            "server fn read" => {
                let query = json!({"filter": "", "sort": null, "offset": 0, "limit": 10});
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::runs_table::QueryRuns::PATH,
                        json!({"project": at, "query": query}),
                    )
                    .await;
                sf_error(s, &v)
            }
            "server fn write" => {
                let tag = fresh_tag();
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::runs_table::BulkUpdateRuns::PATH,
                        json!({"project": at, "target": {"Runs": ["r1"]}, "action": {"AddTag": tag}}),
                    )
                    .await;
                self.written(sf_error(s, &v), pk, &tag).await
            }
            "/api/v1 read" => {
                let (s, _) = self
                    .send(
                        "GET",
                        &format!("/api/v1/runs/acme/{project}"),
                        bearer,
                        vec![],
                    )
                    .await;
                http(s)
            }
            "/api/v1 write" => {
                let tag = fresh_tag();
                let mut h = bearer;
                h.push(("content-type", "application/json".into()));
                let (s, _) = self
                    .send(
                        "PATCH",
                        &format!("/api/v1/runs/acme/{project}/r1"),
                        h,
                        json!({"tags": [tag]}).to_string().into_bytes(),
                    )
                    .await;
                self.written(http(s), pk, &tag).await
            }
            "wandb GraphQL read" | "artifact GraphQL read" => {
                let (q, found) = if surface == "wandb GraphQL read" {
                    ("query P($p: String, $e: String) { project(name: $p, entityName: $e) { id name } }", "/data/project")
                } else {
                    ("query A($p: String, $e: String) { project(name: $p, entityName: $e) { artifact(name: \"ds:v0\") { id } } }", "/data/project/artifact")
                };
                let body = json!({"query": q, "variables": {"p": project, "e": "acme"}});
                let mut h = wandb;
                h.push(("content-type", "application/json".into()));
                let (s, b) = self
                    .send("POST", "/graphql", h, body.to_string().into_bytes())
                    .await;
                if s != StatusCode::OK {
                    return http(s);
                }
                let v: Value = serde_json::from_slice(&b).unwrap();
                if v.pointer(found).is_none_or(Value::is_null) {
                    Got::Hidden
                } else {
                    Got::Ok
                }
            }
            "wandb GraphQL write" | "artifact GraphQL write" => {
                let tag = fresh_tag();
                let body = if surface == "wandb GraphQL write" {
                    let q = "mutation U($name: String, $project: String, $entity: String, $tags: [String!]) {\
                        upsertBucket(input: {name: $name, modelName: $project, entityName: $entity, tags: $tags}) {\
                        bucket { id } inserted } }";
                    json!({"query": q, "variables": {"name": "r1", "project": project, "entity": "acme", "tags": [tag]}})
                } else {
                    let q = "mutation U($input: UpdateArtifactInput!) { updateArtifact(input: $input) { artifact { id } } }";
                    let id = server::wandb::ids::keyed("Artifact", version_pk);
                    json!({"query": q, "variables": {"input": {"artifactID": id, "tagsToAdd": [{"tagName": tag}]}}})
                };
                let mut h = wandb;
                h.push(("content-type", "application/json".into()));
                let (s, b) = self
                    .send("POST", "/graphql", h, body.to_string().into_bytes())
                    .await;
                if s == StatusCode::UNAUTHORIZED {
                    return Got::SignIn;
                }
                let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
                match v["errors"][0]["message"].as_str() {
                    // GraphQL errors come with a 200 too: a write counts once it reads back.
                    None if s.is_success() && surface == "wandb GraphQL write" => {
                        self.written(Got::Ok, pk, &tag).await
                    }
                    None if s.is_success() => self.tagged(Got::Ok, version_pk, &tag).await,
                    Some(m)
                        if m.contains("not write")
                            || m.contains("may not")
                            || m.contains("not change") =>
                    {
                        Got::ReadOnly
                    }
                    Some(m) if m.contains("not found") => Got::Hidden,
                    _ => http(s),
                }
            }
            "file_stream" => {
                let mut h = wandb;
                h.push(("content-type", "application/json".into()));
                let body = json!({"files": {"output.log": {"offset": 0, "content": ["hi"]}}});
                let (s, _) = self
                    .send(
                        "POST",
                        &format!("/files/acme/{project}/r1/file_stream"),
                        h,
                        body.to_string().into_bytes(),
                    )
                    .await;
                http(s)
            }
            "signed URL GET" | "signed URL PUT" => {
                let Some(u) = &who.user else { return Got::Na };
                let method = if surface.ends_with("GET") {
                    "GET"
                } else {
                    "PUT"
                };
                let url = self.signed(method, pk, u.id);
                let body = if method == "PUT" {
                    b"hello".to_vec()
                } else {
                    vec![]
                };
                let (s, _) = self.send(method, &url, vec![], body).await;
                http(s)
            }
            "artifact page HTML" | "artifact file" | "artifact zip" => {
                let uri = match surface {
                    "artifact page HTML" => format!("{page}?tab=files"),
                    "artifact file" => format!("{page}/files/data.txt"),
                    _ => format!("{page}/zip"),
                };
                let (s, _) = self.send("GET", &uri, Self::cookie(who), vec![]).await;
                http(s)
            }
            "artifact server fn read" => {
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::artifacts::GetArtifactVersion::PATH,
                        json!({"version": version}),
                    )
                    .await;
                sf_error(s, &v)
            }
            "artifact server fn write" => {
                let tag = fresh_tag();
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::artifacts::EditArtifact::PATH,
                        json!({"version": version, "edit": {"AddTag": tag}}),
                    )
                    .await;
                self.tagged(sf_error(s, &v), version_pk, &tag).await
            }
            "artifact /api/v1 read" => {
                let (s, _) = self
                    .send("GET", &format!("{api_version}/files"), bearer, vec![])
                    .await;
                http(s)
            }
            "artifact /api/v1 write" => {
                let tag = fresh_tag();
                let mut h = bearer;
                h.push(("content-type", "application/json".into()));
                let body = json!({"AddTag": tag}).to_string().into_bytes();
                let (s, _) = self
                    .send("POST", &format!("{api_version}/edit"), h, body)
                    .await;
                self.tagged(http(s), version_pk, &tag).await
            }
            "report page HTML" | "report export" => {
                let uri = if surface == "report page HTML" {
                    format!("/acme/{project}/reports/Notes--{report_id}")
                } else {
                    format!("/acme/{project}/reports/Notes--{report_id}/export.html")
                };
                let (s, _) = self.send("GET", &uri, Self::cookie(who), vec![]).await;
                http(s)
            }
            "report image" => {
                use sha2::Digest;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
                    .unwrap();
                let png = hex::encode(sha2::Sha256::digest(&bytes));
                let uri = format!("/acme/{project}/reports/{report_id}/images/{png}");
                let (s, _) = self.send("GET", &uri, Self::cookie(who), vec![]).await;
                http(s)
            }
            "report server fn read" => {
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::reports::GetReport::PATH,
                        json!({"report": report, "draft": false, "revision": null}),
                    )
                    .await;
                sf_error(s, &v)
            }
            "report server fn write" => {
                let before = self.draft_version(report_id).await;
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::reports::EditReport::PATH,
                        json!({"report": report, "edit": {"op": "discard_draft"}}),
                    )
                    .await;
                self.drafted(sf_error(s, &v), report_id, before).await
            }
            "report /api/v1 read" => {
                let (s, _) = self
                    .send(
                        "GET",
                        &format!("/api/v1/reports/acme/{project}/{report_id}"),
                        bearer,
                        vec![],
                    )
                    .await;
                http(s)
            }
            "report /api/v1 write" => {
                let before = self.draft_version(report_id).await;
                let mut h = bearer;
                h.push(("content-type", "application/json".into()));
                let body = json!({"op": "discard_draft"}).to_string().into_bytes();
                let (s, _) = self
                    .send(
                        "POST",
                        &format!("/api/v1/reports/acme/{project}/{report_id}/edit"),
                        h,
                        body,
                    )
                    .await;
                self.drafted(http(s), report_id, before).await
            }
            "report GraphQL read" => {
                let q = "query V($id: ID!) { view(id: $id) { id displayName } }";
                let body = json!({"query": q, "variables": {"id": report_id.to_string()}});
                let mut h = wandb;
                h.push(("content-type", "application/json".into()));
                let (s, b) = self
                    .send("POST", "/graphql", h, body.to_string().into_bytes())
                    .await;
                if s != StatusCode::OK {
                    return http(s);
                }
                let v: Value = serde_json::from_slice(&b).unwrap();
                if v.pointer("/data/view/id").is_none_or(Value::is_null) {
                    Got::Hidden
                } else {
                    Got::Ok
                }
            }
            "automation page HTML" => {
                let uri = format!("/acme/{project}/automations/{automation}");
                let (s, _) = self.send("GET", &uri, Self::cookie(who), vec![]).await;
                http(s)
            }
            "automation server fn read" => {
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::automations::GetAutomationHistory::PATH,
                        json!({"project": {"entity": "acme", "project": project}, "id": automation, "query": {}}),
                    )
                    .await;
                sf_error(s, &v)
            }
            "automation /api/v1 read" => {
                let uri = format!("/api/v1/automations/acme/{project}/{automation}/history");
                let (s, _) = self.send("GET", &uri, bearer, vec![]).await;
                http(s)
            }
            "automation /api/v1 write" => {
                // Turn it off, or on again: either way it changes.
                let before = self.automation_enabled(automation).await;
                let uri = format!("/api/v1/automations/acme/{project}/{automation}/enabled");
                let mut h = bearer;
                h.push(("content-type", "application/json".into()));
                let body = json!({"enabled": !before}).to_string().into_bytes();
                let (s, _) = self.send("PUT", &uri, h, body).await;
                let got = http(s);
                if got == Got::Ok && self.automation_enabled(automation).await == before {
                    Got::NotWritten
                } else {
                    got
                }
            }
            "sweep page HTML" => {
                let uri = format!("/acme/{project}/sweeps/{sweep}");
                let (s, _) = self.send("GET", &uri, Self::cookie(who), vec![]).await;
                http(s)
            }
            "sweep server fn read" => {
                let (s, v) = self
                    .server_fn(
                        who,
                        app::api::sweeps::GetSweep::PATH,
                        json!({"project": {"entity": "acme", "project": project}, "name": sweep}),
                    )
                    .await;
                sf_error(s, &v)
            }
            "sweep /api/v1 read" => {
                let uri = format!("/api/v1/sweeps/acme/{project}/{sweep}");
                let (s, _) = self.send("GET", &uri, bearer, vec![]).await;
                http(s)
            }
            "sweep /api/v1 write" => {
                // Pause a running sweep, resume a paused one: either way it changes.
                let (before, _) = self.sweep_facts(&sweep).await;
                let action = if before == "PAUSED" {
                    "resume"
                } else {
                    "pause"
                };
                let uri = format!("/api/v1/sweeps/acme/{project}/{sweep}/{action}");
                let (s, _) = self.send("POST", &uri, bearer, vec![]).await;
                let got = http(s);
                if got == Got::Ok && self.sweep_facts(&sweep).await.0 == before {
                    Got::NotWritten
                } else {
                    got
                }
            }
            "sweep GraphQL read" => {
                let q = "query S($p: String, $e: String, $s: String!) { project(name: $p, entityName: $e) { sweep(sweepName: $s) { name state } } }";
                let body =
                    json!({"query": q, "variables": {"p": project, "e": "acme", "s": sweep}});
                let mut h = wandb;
                h.push(("content-type", "application/json".into()));
                let (s, b) = self
                    .send("POST", "/graphql", h, body.to_string().into_bytes())
                    .await;
                if s != StatusCode::OK {
                    return http(s);
                }
                let v: Value = serde_json::from_slice(&b).unwrap();
                if v.pointer("/data/project/sweep/name")
                    .is_none_or(Value::is_null)
                {
                    Got::Hidden
                } else {
                    Got::Ok
                }
            }
            "sweep GraphQL write" => {
                let (_, before) = self.sweep_facts(&sweep).await;
                let q = "mutation A($host: String!, $e: String, $p: String, $s: String!) { createAgent(input: {host: $host, entityName: $e, projectName: $p, sweep: $s}) { agent { id } } }";
                let body = json!({"query": q, "variables": {"host": "h", "e": "acme", "p": project, "s": sweep}});
                let mut h = wandb;
                h.push(("content-type", "application/json".into()));
                let (s, b) = self
                    .send("POST", "/graphql", h, body.to_string().into_bytes())
                    .await;
                if s == StatusCode::UNAUTHORIZED {
                    return Got::SignIn;
                }
                let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
                match v["errors"][0]["message"].as_str() {
                    None if s.is_success() => {
                        if self.sweep_facts(&sweep).await.1 > before {
                            Got::Ok
                        } else {
                            Got::NotWritten
                        }
                    }
                    Some(m) if m.contains("not change") => Got::ReadOnly,
                    Some(m) if m.contains("not found") => Got::Hidden,
                    _ => http(s),
                }
            }
            other => panic!("unknown surface {other}"),
        }
    }
}

const SURFACES: [&str; 37] = [
    "page HTML",
    "server fn read",
    "server fn write",
    "/api/v1 read",
    "/api/v1 write",
    "wandb GraphQL read",
    "wandb GraphQL write",
    "file_stream",
    "signed URL GET",
    "signed URL PUT",
    "artifact page HTML",
    "artifact file",
    "artifact zip",
    "artifact server fn read",
    "artifact server fn write",
    "artifact /api/v1 read",
    "artifact /api/v1 write",
    "artifact GraphQL read",
    "artifact GraphQL write",
    "report page HTML",
    "report export",
    "report image",
    "report server fn read",
    "report server fn write",
    "report /api/v1 read",
    "report /api/v1 write",
    "report GraphQL read",
    "sweep page HTML",
    "sweep server fn read",
    "sweep /api/v1 read",
    "sweep /api/v1 write",
    "sweep GraphQL read",
    "sweep GraphQL write",
    "automation page HTML",
    "automation server fn read",
    "automation /api/v1 read",
    "automation /api/v1 write",
];

/// What a surface answers for an access level (and whether the caller is anonymous).
fn expected(surface: &str, access: char, role: &str) -> Got {
    let anonymous = role == "anonymous";
    let reads = matches!(access, 'R' | 'W');
    // Those who administer the acme team: they alone change automations.
    let manages = matches!(role, "team admin" | "site admin");
    match surface {
        // Automations are for writers: readers are told so, others see nothing.
        "automation page HTML" | "automation server fn read" | "automation /api/v1 read" => {
            match access {
                'W' => Got::Ok,
                'R' => Got::ReadOnly,
                _ => Got::Hidden,
            }
        }
        "automation /api/v1 write" if anonymous => Got::SignIn,
        "automation /api/v1 write" => match access {
            'N' => Got::Hidden,
            _ if manages => Got::Ok,
            _ => Got::ReadOnly,
        },
        // Reads: shown or hidden; signed-out visitors read public projects here.
        "page HTML"
        | "server fn read"
        | "/api/v1 read"
        | "artifact page HTML"
        | "artifact file"
        | "artifact zip"
        | "artifact server fn read"
        | "artifact /api/v1 read"
        | "report page HTML"
        | "report export"
        | "report image"
        | "report server fn read"
        | "report /api/v1 read"
        | "sweep page HTML"
        | "sweep server fn read"
        | "sweep /api/v1 read" => {
            if reads {
                Got::Ok
            } else {
                Got::Hidden
            }
        }
        "wandb GraphQL read"
        | "artifact GraphQL read"
        | "report GraphQL read"
        | "sweep GraphQL read"
            if anonymous =>
        {
            Got::SignIn
        }
        "wandb GraphQL read"
        | "artifact GraphQL read"
        | "report GraphQL read"
        | "sweep GraphQL read" => {
            if reads {
                Got::Ok
            } else {
                Got::Hidden
            }
        }
        "signed URL GET" | "signed URL PUT" if anonymous => Got::Na,
        "signed URL GET" => {
            if reads {
                Got::Ok
            } else {
                Got::ReadOnly // 403: the URL's user may no longer open it
            }
        }
        "signed URL PUT" => {
            if access == 'W' {
                Got::Ok
            } else {
                Got::ReadOnly
            }
        }
        // Writes: signed-out callers are asked to sign in first.
        _ if anonymous => Got::SignIn,
        _ => match access {
            'W' => Got::Ok,
            'R' => Got::ReadOnly,
            _ => Got::Hidden,
        },
    }
}

#[tokio::test]
async fn the_permission_matrix_holds_on_every_surface() {
    on_both(|t| async move {
        let w = world(&t).await;
        let mut checked = 0;
        let mut failures = Vec::new();
        for (vis, row) in EXPECTED {
            let pk = w.runs.iter().find(|(v, _)| v == vis).unwrap().1;
            for (r, role) in ROLES.iter().enumerate() {
                for surface in SURFACES {
                    let want = expected(surface, row[r], role);
                    let got = w.check(surface, &w.people[r], vis, pk).await;
                    checked += 1;
                    if got != want {
                        failures.push(format!(
                            "{vis} × {role} × {surface}: expected {want:?}, got {got:?}"
                        ));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{:?}: {} of {checked} cells wrong:\n{}",
            t.backend,
            failures.len(),
            failures.join("\n")
        );
        assert_eq!(checked, 5 * 9 * SURFACES.len());
        println!(
            "{:?}: permission matrix, {checked} cells, all as expected",
            t.backend
        );
        t
    })
    .await;
}

/// The index of a role in `ROLES` / `World::people`.
fn who<'a>(w: &'a World, role: &str) -> &'a Who {
    &w.people[ROLES.iter().position(|r| *r == role).unwrap()]
}

#[tokio::test]
async fn attacks_are_refused() {
    on_both(|t| async move {
        let w = world(&t).await;
        let outsider = who(&w, "outsider");
        let private_pk = w.runs.iter().find(|(v, _)| v == "private").unwrap().1;
        let public_pk = w.runs.iter().find(|(v, _)| v == "public").unwrap().1;
        let owner_id = who(&w, "owner").user.as_ref().unwrap().id;

        // Guessed run ids: a private project's run asked for under a public project.
        let private_run = server::db::entities::run::Entity::find_by_id(private_pk);
        use sea_orm::EntityTrait;
        let private_run = private_run.one(&t.db).await.unwrap().unwrap();
        let key = outsider.key.clone().unwrap();
        let (s, _) = w
            .send(
                "GET",
                &format!("/api/v1/runs/acme/p-public/{}", private_run.run_id),
                vec![("authorization", format!("Bearer {key}"))],
                vec![],
            )
            .await;
        // Both projects call it r1, so the public project's own run answers, never the other's.
        assert_eq!(s, StatusCode::OK);
        let (s, _) = w
            .send("GET", "/api/v1/runs/acme/p-public/not-a-run", vec![("authorization", format!("Bearer {key}"))], vec![])
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // The wandb client may name a run by its storage id: another project's is refused.
        let q = "mutation U($id: String, $tags: [String!]) { upsertBucket(input: {id: $id, tags: $tags}) { bucket { id } } }";
        let storage_id = base64::engine::general_purpose::STANDARD.encode(format!("Run:{private_pk}"));
        let body = json!({"query": q, "variables": {"id": storage_id, "tags": ["pwned"]}});
        let (_, b) = w
            .send("POST", "/graphql", vec![("authorization", basic(&key)), ("content-type", "application/json".into())], body.to_string().into_bytes())
            .await;
        let v: Value = serde_json::from_slice(&b).unwrap();
        // Refused, and the answer names nothing about the hidden project.
        assert_eq!(v["errors"][0]["message"], "run not found", "{v}");
        assert!(!String::from_utf8_lossy(&b).contains("p-private"), "no names leak: {v}");
        let after = server::db::entities::run::Entity::find_by_id(private_pk).one(&t.db).await.unwrap().unwrap();
        assert!(!after.tags.contains("pwned"));

        // Signatures: tampered, expired, for another file, another method, another user.
        let url = w.signed("GET", public_pk, owner_id);
        assert_eq!(w.send("GET", &url, vec![], vec![]).await.0, StatusCode::OK);
        let flip = |c: char| if c == '0' { '1' } else { '0' };
        let last = url.chars().last().unwrap();
        let tampered = format!("{}{}", &url[..url.len() - 1], flip(last));
        assert_eq!(w.send("GET", &tampered, vec![], vec![]).await.0, StatusCode::FORBIDDEN);
        let other_file = url.replace("notes.txt", "secrets.txt");
        assert_eq!(w.send("GET", &other_file, vec![], vec![]).await.0, StatusCode::FORBIDDEN);
        let other_run = url.replace(&format!("run-files/{public_pk}/"), &format!("run-files/{private_pk}/"));
        assert_eq!(w.send("GET", &other_run, vec![], vec![]).await.0, StatusCode::FORBIDDEN);
        let other_user = url.replace(&format!("uid={owner_id}"), &format!("uid={}", owner_id + 1));
        assert_eq!(w.send("GET", &other_user, vec![], vec![]).await.0, StatusCode::FORBIDDEN);
        assert_eq!(w.send("PUT", &url, vec![], b"x".to_vec()).await.0, StatusCode::FORBIDDEN);
        let g = Grant { method: "GET", kind: Kind::RunFile, id: public_pk, name: "notes.txt", uid: owner_id };
        let expired = w.state.signer.url_until("", &g, server::db::now_ms() / 1000 - 5);
        let (s, b) = w.send("GET", &expired, vec![], vec![]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(String::from_utf8_lossy(&b).contains("expired"));

        // A URL issued while the owner could read the project stops working when they cannot.
        let member = who(&w, "member");
        let team_pk = w.runs.iter().find(|(v, _)| v == "team").unwrap().1;
        let member_url = w.signed("GET", team_pk, member.user.as_ref().unwrap().id);
        assert_eq!(w.send("GET", &member_url, vec![], vec![]).await.0, StatusCode::OK);
        let team = projects::find_entity(&t.db, "acme").await.unwrap().unwrap();
        projects::set_team_role(&t.db, team.id, member.user.as_ref().unwrap().id, None).await.unwrap();
        assert_eq!(w.send("GET", &member_url, vec![], vec![]).await.0, StatusCode::FORBIDDEN);

        // CSRF: a signed-in POST without the token, with a wrong one, or from another site.
        let admin = who(&w, "site admin");
        let session = admin.session.clone().unwrap();
        let path = app::api::runs_table::BulkUpdateRuns::PATH;
        let args = json!({"project": {"entity": "acme", "project": "p-team"}, "target": {"Runs": ["r1"]}, "action": {"AddTag": "csrf"}}).to_string();
        let base = vec![("cookie", format!("cairn_session={session}")), ("content-type", "application/json".to_owned())];
        let (s, b) = w.send("POST", path, base.clone(), args.clone().into_bytes()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&b));
        assert!(String::from_utf8_lossy(&b).contains("CSRF"));
        let mut wrong = base.clone();
        wrong.push(("x-csrf-token", server::csrf::token_for("someone else's session")));
        assert_eq!(w.send("POST", path, wrong, args.clone().into_bytes()).await.0, StatusCode::FORBIDDEN);
        let mut cross = base.clone();
        cross.push(("x-csrf-token", server::csrf::token_for(&session)));
        cross.push(("sec-fetch-site", "cross-site".into()));
        assert_eq!(w.send("POST", path, cross, args.clone().into_bytes()).await.0, StatusCode::FORBIDDEN);
        // Without the token, only a post whose Origin is this host passes (forms posted
        // before the script runs); another site's Origin does not.
        let mut evil = base.clone();
        evil.push(("origin", "http://evil.example".into()));
        assert_eq!(w.send("POST", path, evil, args.clone().into_bytes()).await.0, StatusCode::FORBIDDEN);
        let mut form = base.clone();
        form.push(("origin", "http://cairn.test".into()));
        assert_eq!(w.send("POST", path, form, args.clone().into_bytes()).await.0, StatusCode::OK);
        let mut good = base.clone();
        good.push(("x-csrf-token", server::csrf::token_for(&session)));
        assert_eq!(w.send("POST", path, good, args.into_bytes()).await.0, StatusCode::OK);
        // A page view hands the browser its token cookie.
        let (s, _) = w.send("GET", "/", vec![("cookie", format!("cairn_session={session}"))], vec![]).await;
        assert_eq!(s, StatusCode::OK);

        // A revoked key stops working on every door.
        let out_user = outsider.user.clone().unwrap();
        let keys = users::api_keys_of(&t.db, out_user.id).await.unwrap();
        accounts::revoke_api_key(&t.db, &out_user, keys[0].id).await.unwrap();
        let (s, _) = w.send("GET", "/api/v1/viewer", vec![("authorization", format!("Bearer {key}"))], vec![]).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let body = json!({"query": "query { viewer { id } }"});
        let (s, _) = w.send("POST", "/graphql", vec![("authorization", basic(&key)), ("content-type", "application/json".into())], body.to_string().into_bytes()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Someone else's key cannot be revoked by guessing its id.
        let owner = who(&w, "owner").user.clone().unwrap();
        let owner_keys = users::api_keys_of(&t.db, owner.id).await.unwrap();
        assert!(accounts::revoke_api_key(&t.db, &out_user, owner_keys[0].id).await.is_err());

        // Markdown with script: stored as typed, rendered without it.
        let at = ProjectRef::new("acme", "p-public");
        let evil = "hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))";
        accounts::edit_project(&t.db, &owner, &at, ProjectEdit { description: Some(evil.into()), ..Default::default() }).await.unwrap();
        let (s, html) = w.send("GET", "/acme/p-public/overview", vec![], vec![]).await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8_lossy(&html);
        assert!(html.contains("&lt;script&gt;alert(1)"), "the script is shown as text");
        assert!(!html.contains("<script>alert(1)"));
        assert!(!html.contains("onerror=alert") || html.contains("&lt;img"));
        assert!(!html.contains("href=\"javascript:"));

        // Hostile names.
        let mk = |name: &str| NewProject { entity: "acme".into(), name: name.into(), visibility: Visibility::Team, description: String::new() };
        let long = "x".repeat(10_000);
        // One rule everywhere: what the wandb client refuses, the app refuses too.
        for bad in [long.as_str(), "", "   ", "..", "tab\there", "a/b", "run#1", "what?", "50%", "c:d"] {
            let e = accounts::create_project(&t.db, &owner, mk(bad)).await.unwrap_err();
            assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {e}");
        }
        // Surrounding spaces are trimmed, not refused.
        let padded = accounts::create_project(&t.db, &owner, mk(" padded ")).await.unwrap();
        assert_eq!(padded.project, "padded");
        for odd in ["spaces and !bang", "quote \"q\" 'x'", "Ünïcødé ✓ 日本"] {
            let at = accounts::create_project(&t.db, &owner, mk(odd)).await.unwrap();
            assert_eq!(at.project, odd);
            let url = format!("/acme/{}/overview", app::logic::url::encode_segment(odd));
            let (s, page) = w.send("GET", &url, WorldCookie::of(who(&w, "owner")), vec![]).await;
            assert_eq!(s, StatusCode::OK, "{odd}");
            assert!(String::from_utf8_lossy(&page).contains(&html_escape(odd)), "{odd}");
        }
        for bad_user in ["has space", "slash/name", "settings", "Ünï", &"u".repeat(65)] {
            assert!(accounts::sign_up(&t.db, bad_user, "", "password123").await.is_err(), "{bad_user}");
        }
        assert!(accounts::sign_up(&t.db, "OWNER", "", "password123").await.is_err(), "names differ only by case");
        assert!(accounts::sign_up(&t.db, "newbie", "", "short").await.is_err());
        t
    })
    .await;
}

/// HTML text escaping, as the page renders names.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

struct WorldCookie;

impl WorldCookie {
    fn of(w: &Who) -> Vec<(&'static str, String)> {
        World::cookie(w)
    }
}

#[tokio::test]
async fn the_project_lifecycle_and_account_rules() {
    on_both(|t| async move {
        use app::api::service::CairnService;
        use app::model::{BulkAction, BulkTarget, RunId, TeamRole, Viewer};
        let w = world(&t).await;
        let owner = who(&w, "owner").user.clone().unwrap();
        let admin_user = who(&w, "team admin").user.clone().unwrap();
        let root = who(&w, "site admin").user.clone().unwrap();
        let member = who(&w, "member");
        let at = ProjectRef::new("acme", "p-team");

        // Renaming needs a team admin; the old URL then redirects readers only.
        let renamed = ProjectEdit {
            name: Some("p-team-2".into()),
            ..Default::default()
        };
        let e = accounts::edit_project(&t.db, &owner, &at, renamed.clone())
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        let moved = accounts::edit_project(&t.db, &admin_user, &at, renamed)
            .await
            .unwrap();
        assert_eq!(moved.project, "p-team-2");
        let (s, _) = w
            .send(
                "GET",
                "/acme/p-team/runs?filter=x",
                World::cookie(member),
                vec![],
            )
            .await;
        assert_eq!(s, StatusCode::TEMPORARY_REDIRECT);
        let resp = w
            .router
            .clone()
            .oneshot(
                Request::builder()
                    .uri("/acme/p-team/runs?filter=x")
                    .header(
                        "cookie",
                        format!("cairn_session={}", member.session.clone().unwrap()),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.headers()["location"], "/acme/p-team-2/runs?filter=x");
        assert_eq!(resp.headers()["cache-control"], "no-store");
        let (s, _) = w
            .send(
                "GET",
                "/acme/p-team/overview",
                World::cookie(who(&w, "outsider")),
                vec![],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a private rename does not leak");
        // /api/v1 says where it went.
        let key = member.key.clone().unwrap();
        let (s, b) = w
            .send(
                "GET",
                "/api/v1/runs/acme/p-team",
                vec![("authorization", format!("Bearer {key}"))],
                vec![],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(String::from_utf8_lossy(&b).contains("renamed to acme/p-team-2"));
        // The old name can be taken by a new project, which then wins over the alias.
        accounts::create_project(
            &t.db,
            &owner,
            NewProject {
                entity: "acme".into(),
                name: "p-team".into(),
                visibility: Visibility::Team,
                description: String::new(),
            },
        )
        .await
        .unwrap();
        let (s, _) = w
            .send(
                "GET",
                "/acme/p-team/overview",
                World::cookie(member),
                vec![],
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        // Visibility: only admins change it; members may edit the description.
        let at2 = ProjectRef::new("acme", "p-team-2");
        let to_public = ProjectEdit {
            visibility: Some(Visibility::Public),
            ..Default::default()
        };
        let member_user = member.user.clone().unwrap();
        assert_eq!(
            accounts::edit_project(&t.db, &member_user, &at2, to_public.clone())
                .await
                .unwrap_err()
                .status(),
            StatusCode::FORBIDDEN
        );
        accounts::edit_project(
            &t.db,
            &member_user,
            &at2,
            ProjectEdit {
                description: Some("notes".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        accounts::edit_project(&t.db, &admin_user, &at2, to_public)
            .await
            .unwrap();
        let (s, _) = w
            .send("GET", "/acme/p-team-2/overview", vec![], vec![])
            .await;
        assert_eq!(s, StatusCode::OK, "public now: anonymous visitors read it");

        // Stars: the home list puts starred projects first.
        let at_private = ProjectRef::new("acme", "p-private");
        accounts::set_star(&t.db, &owner, &at_private, true)
            .await
            .unwrap();
        accounts::set_star(&t.db, &owner, &at_private, true)
            .await
            .unwrap();
        let list = server::service::reads::list_projects(&t.db, Some(&owner))
            .await
            .unwrap();
        assert_eq!(list[0].project, at_private);
        assert!(list[0].starred && !list[1].starred);
        accounts::set_star(&t.db, &owner, &at_private, false)
            .await
            .unwrap();
        assert!(!server::service::reads::list_projects(&t.db, Some(&owner))
            .await
            .unwrap()
            .iter()
            .any(|c| c.starred));
        // A project one cannot see cannot be starred.
        assert_eq!(
            accounts::set_star(&t.db, &member_user, &at_private, true)
                .await
                .unwrap_err()
                .status(),
            StatusCode::NOT_FOUND
        );

        // Deleted runs come back with "Undelete all runs", and only for writers.
        let writer = server::db::write::Writer::start(t.db.clone());
        let deleted = server::service::runs_table::bulk(
            &writer,
            owner.clone(),
            at2.clone(),
            BulkTarget::Runs(vec![RunId("r1".into())]),
            BulkAction::Delete,
        )
        .await
        .unwrap();
        assert_eq!(deleted, 1);
        let o = server::service::reads::project_overview(&t.db, Some(&owner), &at2)
            .await
            .unwrap();
        assert_eq!((o.total_runs, o.deleted_runs), (0, 1));
        let viewer = who(&w, "viewer").user.clone().unwrap();
        assert_eq!(
            accounts::undelete_runs(&t.db, &viewer, &at2)
                .await
                .unwrap_err()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            accounts::undelete_runs(&t.db, &owner, &at2).await.unwrap(),
            1
        );
        assert_eq!(
            accounts::undelete_runs(&t.db, &owner, &at2).await.unwrap(),
            0
        );
        let o = server::service::reads::project_overview(&t.db, Some(&owner), &at2)
            .await
            .unwrap();
        assert_eq!(
            (o.total_runs, o.deleted_runs, o.contributors.clone()),
            (1, 0, vec!["owner".to_owned()])
        );

        // Deleting: admins only, with the name typed; then gone from every door.
        let at_open = ProjectRef::new("acme", "p-open");
        let open_pk = w.runs.iter().find(|(v, _)| v == "open").unwrap().1;
        let url = w.signed("GET", open_pk, owner.id);
        assert_eq!(
            accounts::delete_project(&t.db, &owner, &at_open, "p-open")
                .await
                .unwrap_err()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            accounts::delete_project(&t.db, &admin_user, &at_open, "p-opn")
                .await
                .unwrap_err()
                .status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        accounts::delete_project(&t.db, &admin_user, &at_open, "p-open")
            .await
            .unwrap();
        assert_eq!(
            w.send(
                "GET",
                "/acme/p-open/overview",
                World::cookie(who(&w, "site admin")),
                vec![]
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            w.send(
                "GET",
                "/api/v1/runs/acme/p-open",
                vec![(
                    "authorization",
                    format!("Bearer {}", who(&w, "site admin").key.clone().unwrap())
                )],
                vec![]
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            w.send("GET", &url, vec![], vec![]).await.0,
            StatusCode::NOT_FOUND
        );
        // Restoring: site admins only.
        let settings = accounts::settings(&t.db, &root).await.unwrap();
        let gone = settings.admin.unwrap().deleted_projects;
        assert_eq!(gone.len(), 1);
        assert!(accounts::restore_project(&t.db, &admin_user, gone[0].id)
            .await
            .is_err());
        assert_eq!(
            accounts::restore_project(&t.db, &root, gone[0].id)
                .await
                .unwrap(),
            at_open
        );
        assert_eq!(w.send("GET", &url, vec![], vec![]).await.0, StatusCode::OK);
        // Purging: nothing within 30 days; after, the rows and the file go.
        accounts::delete_project(&t.db, &admin_user, &at_open, "p-open")
            .await
            .unwrap();
        // The name is free again; restoring the old project then waits for a rename.
        accounts::create_project(
            &t.db,
            &owner,
            NewProject {
                entity: "acme".into(),
                name: "p-open".into(),
                visibility: Visibility::Open,
                description: String::new(),
            },
        )
        .await
        .unwrap();
        let e = accounts::restore_project(&t.db, &root, gone[0].id)
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let blobs = BlobStore::open(t.dir.join("files")).unwrap();
        let now = server::db::now_ms();
        assert_eq!(
            accounts::purge_deleted(&t.db, &blobs, now, std::time::Duration::ZERO)
                .await
                .unwrap(),
            0
        );
        // The other projects hold the same bytes ("hello"): the blob stays while they do.
        let sha = hex_sha("hello");
        assert_eq!(
            accounts::purge_deleted(
                &t.db,
                &blobs,
                now + accounts::RESTORE_WINDOW_MS + 1,
                std::time::Duration::ZERO
            )
            .await
            .unwrap(),
            1
        );
        assert!(server::db::repo::projects::project_by_id(&t.db, gone[0].id)
            .await
            .unwrap()
            .is_none());
        assert!(server::db::entities::run::Entity::find_by_id(open_pk)
            .one(&t.db)
            .await
            .unwrap()
            .is_none());
        assert!(
            blobs.contains(&sha).await,
            "still used by the other projects"
        );
        // A project whose file is its own loses the blob with it.
        let at_pub = ProjectRef::new("acme", "p-public");
        let pub_pk = w.runs.iter().find(|(v, _)| v == "public").unwrap().1;
        let put = w.signed_file("PUT", pub_pk, owner.id, "only-here.bin");
        assert_eq!(
            w.send("PUT", &put, vec![], b"unique bytes".to_vec())
                .await
                .0,
            StatusCode::OK
        );
        let unique = hex_sha("unique bytes");
        assert!(blobs.contains(&unique).await);
        accounts::delete_project(&t.db, &root, &at_pub, "p-public")
            .await
            .unwrap();
        let purged = accounts::purge_deleted(
            &t.db,
            &blobs,
            now + accounts::RESTORE_WINDOW_MS + 3_600_000,
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
        assert_eq!(purged, 1);
        assert!(!server::db::repo::projects::blob_in_use(&t.db, &unique)
            .await
            .unwrap());
        assert!(!blobs.contains(&unique).await);

        // Teams: only admins change members; the last admin stays.
        let outsider = who(&w, "outsider").user.clone().unwrap();
        assert_eq!(
            accounts::set_team_member(
                &t.db,
                &member_user,
                "acme",
                "outsider",
                Some(TeamRole::Member)
            )
            .await
            .unwrap_err()
            .status(),
            StatusCode::FORBIDDEN
        );
        accounts::set_team_member(
            &t.db,
            &admin_user,
            "acme",
            "outsider",
            Some(TeamRole::Viewer),
        )
        .await
        .unwrap();
        assert_eq!(
            projects::team_role(
                &t.db,
                projects::find_entity(&t.db, "acme")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                outsider.id
            )
            .await
            .unwrap(),
            Some(TeamRole::Viewer)
        );
        assert!(accounts::set_team_member(
            &t.db,
            &admin_user,
            "acme",
            "teamadmin",
            Some(TeamRole::Member)
        )
        .await
        .is_err());
        assert!(accounts::set_team_member(
            &t.db,
            &admin_user,
            "acme",
            "nobody",
            Some(TeamRole::Member)
        )
        .await
        .is_err());
        assert_eq!(
            accounts::create_team(&t.db, &outsider, "ACME")
                .await
                .unwrap_err()
                .status(),
            StatusCode::CONFLICT
        );
        assert!(accounts::create_team(&t.db, &outsider, "login")
            .await
            .is_err());
        // The database itself refuses a case variant, should two requests race past the check.
        assert!(projects::create_team(&t.db, "Acme", outsider.id, 0)
            .await
            .is_err());

        // Sign-in: a wrong password ten times locks the name for a while, even for the right one.
        let svc = server::service::UiService::new(
            t.db.clone(),
            w.state.app.blobs.clone(),
            w.state.app.chart_cache.clone(),
            writer.clone(),
            w.state.app.delivery(),
        );
        for _ in 0..10 {
            assert!(matches!(
                svc.sign_in("owner", "wrong").await,
                Err(app::api::AppError::Unauthorized(_))
            ));
        }
        assert!(matches!(
            svc.sign_in("owner", "password123").await,
            Err(app::api::AppError::TooManyRequests(_))
        ));
        assert!(
            svc.sign_in("member", "password123").await.is_ok(),
            "other names are not locked"
        );
        assert!(matches!(
            svc.sign_in("no-such-user", "x").await,
            Err(app::api::AppError::Unauthorized(_))
        ));

        // Sign-up follows the admin's switch.
        let (v, token) = svc
            .sign_up("newbie", "New Bie", "password123")
            .await
            .unwrap();
        assert_eq!(v.username, "newbie");
        assert!(
            svc.set_signup_enabled(&v, false).await.is_err(),
            "only site admins"
        );
        let root_viewer = Viewer {
            username: "root".into(),
            display_name: String::new(),
            is_admin: true,
        };
        svc.set_signup_enabled(&root_viewer, false).await.unwrap();
        assert!(matches!(
            svc.sign_up("another", "", "password123").await,
            Err(app::api::AppError::Forbidden(_))
        ));
        svc.set_signup_enabled(&root_viewer, true).await.unwrap();

        // Changing the password needs the old one and ends the other sessions.
        let (_, other) = svc.sign_in("newbie", "password123").await.unwrap();
        assert!(svc
            .change_password(&v, &token, "wrong", "brand new pass")
            .await
            .is_err());
        assert!(svc
            .change_password(&v, &token, "password123", "short")
            .await
            .is_err());
        svc.change_password(&v, &token, "password123", "brand new pass")
            .await
            .unwrap();
        assert!(svc.viewer_for_session(&token).await.unwrap().is_some());
        assert!(svc.viewer_for_session(&other).await.unwrap().is_none());
        assert!(svc.sign_in("newbie", "brand new pass").await.is_ok());

        // API keys from the settings page: shown once, stored hashed, listed, revocable.
        let nb = users::find_by_username(&t.db, "newbie")
            .await
            .unwrap()
            .unwrap();
        let k = accounts::create_api_key(&t.db, &nb, "laptop")
            .await
            .unwrap();
        assert_eq!(k.key.len(), 40);
        let listed = accounts::settings(&t.db, &nb).await.unwrap().api_keys;
        assert_eq!(listed[0].name, "laptop");
        assert!(k.key.starts_with(&listed[0].prefix));
        let (s, _) = w
            .send(
                "GET",
                "/api/v1/viewer",
                vec![("authorization", format!("Bearer {}", k.key))],
                vec![],
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let used = accounts::settings(&t.db, &nb).await.unwrap().api_keys;
        assert!(used[0].last_used_ms.is_some());
        assert!(accounts::create_api_key(&t.db, &nb, "").await.is_err());
        use sea_orm::EntityTrait;
        let stored = server::db::entities::api_key::Entity::find_by_id(k.info.id)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.key_hash, k.key);
        assert_eq!(stored.key_hash, token_hash(&k.key));
        t
    })
    .await;
}

fn hex_sha(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

impl World {
    fn signed_file(&self, method: &str, run_pk: i32, uid: i32, name: &str) -> String {
        let g = Grant {
            method,
            kind: Kind::RunFile,
            id: run_pk,
            name,
            uid,
        };
        self.state.signer.url("", &g)
    }
}

/// Every `/api/v1` route and every project-scoped server function, asked by an
/// outsider about a private project (the answer must be "not found", never the data
/// or a hint) and by its owner (it must work): no door forgets the check.
#[tokio::test]
async fn every_route_and_server_function_checks_access() {
    on_both(|t| async move {
        use app::api::service::CairnService;
        use app::model::*;
        let w = world(&t).await;
        let p = "/runs/acme/p-private";
        let routes: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", "/projects/acme/p-private".into(), None),
            (
                "POST",
                "/runs".into(),
                Some(json!({"entity": "acme", "project": "p-private", "id": "r1"})),
            ),
            ("GET", p.into(), None),
            ("GET", format!("{p}/r1"), None),
            ("PATCH", format!("{p}/r1"), Some(json!({"notes": "n"}))),
            (
                "POST",
                format!("{p}/r1/metrics"),
                Some(json!({"rows": [{"step": 0, "values": {"loss": 1.0}}]})),
            ),
            ("GET", format!("{p}/r1/metrics?key=loss"), None),
            ("GET", format!("{p}/r1/history"), None),
            (
                "GET",
                "/series/acme/p-private?key=loss&runs=r1".into(),
                None,
            ),
            (
                "POST",
                "/series/acme/p-private".into(),
                Some(json!({"runs": ["r1"], "key": "loss", "buckets": 10})),
            ),
            (
                "POST",
                format!("{p}/r1/console"),
                Some(json!({"lines": [{"text": "hi"}]})),
            ),
            ("PUT", format!("{p}/r1/files/a.txt"), None),
            ("GET", format!("{p}/r1/files/a.txt"), None),
            (
                "POST",
                format!("{p}/r1/finish"),
                Some(json!({"exit_code": 0})),
            ),
        ];
        let outsider = who(&w, "outsider").key.clone().unwrap();
        let owner_key = who(&w, "owner").key.clone().unwrap();
        for (method, path, body) in &routes {
            for (key, want_ok) in [(&outsider, false), (&owner_key, true)] {
                let mut h = vec![("authorization", format!("Bearer {key}"))];
                let bytes = match body {
                    Some(b) => {
                        h.push(("content-type", "application/json".into()));
                        b.to_string().into_bytes()
                    }
                    None if *method == "PUT" => b"file".to_vec(),
                    None => vec![],
                };
                let (s, b) = w.send(method, &format!("/api/v1{path}"), h, bytes).await;
                let text = String::from_utf8_lossy(&b);
                if want_ok {
                    assert!(s.is_success(), "{method} {path} as owner: {s} {text}");
                } else {
                    assert_eq!(
                        s,
                        StatusCode::NOT_FOUND,
                        "{method} {path} as outsider: {text}"
                    );
                    assert!(!text.contains("\"r1\""), "{method} {path} leaks: {text}");
                }
            }
        }

        // The server functions' service, as an outsider and as the owner.
        let svc = server::service::UiService::new(
            t.db.clone(),
            w.state.app.blobs.clone(),
            w.state.app.chart_cache.clone(),
            w.state.app.writer.clone(),
            w.state.app.delivery(),
        );
        let viewer_of = |name: &str| Viewer {
            username: name.into(),
            display_name: String::new(),
            is_admin: false,
        };
        let at = ProjectRef::new("acme", "p-private");
        let run = RunId("r1".into());
        let report = ReportRef::new(
            at.clone(),
            w.reports.iter().find(|(v, _)| v == "private").unwrap().1,
        );
        let mut checked = 0;
        for (who_name, want_ok) in [("outsider", false), ("owner", true)] {
            let v = viewer_of(who_name);
            let section: Section = serde_json::from_value(json!({"id": 1, "name": "s"})).unwrap();
            let selection: RunSelection =
                serde_json::from_value(serde_json::to_value(WorkspaceDoc::default().runs).unwrap())
                    .unwrap();
            let results: Vec<(&str, Result<(), app::api::AppError>)> = vec![
                (
                    "project_overview",
                    svc.project_overview(Some(&v), &at).await.map(|_| ()),
                ),
                (
                    "run_detail",
                    svc.run_detail(Some(&v), &at, &run).await.map(|_| ()),
                ),
                (
                    "series_query",
                    svc.series_query(
                        Some(&v),
                        &at,
                        &SeriesQuery {
                            runs: vec![run.clone()],
                            key: "loss".into(),
                            x: XAxis::default(),
                            x_min: None,
                            x_max: None,
                            buckets: 10,
                            group_by: None,
                        },
                    )
                    .await
                    .map(|_| ()),
                ),
                (
                    "runs_table_meta",
                    svc.runs_table_meta(Some(&v), &at).await.map(|_| ()),
                ),
                (
                    "runs_page",
                    svc.runs_page(
                        Some(&v),
                        &at,
                        &RunsQuery {
                            filter: String::new(),
                            sort: None,
                            within: vec![],
                            columns: vec![],
                            offset: 0,
                            limit: 10,
                        },
                    )
                    .await
                    .map(|_| ()),
                ),
                (
                    "runs_groups",
                    svc.runs_groups(
                        Some(&v),
                        &at,
                        &GroupsQuery {
                            filter: String::new(),
                            by: vec!["state".into()],
                            histograms: vec![],
                        },
                    )
                    .await
                    .map(|_| ()),
                ),
                (
                    "column_values",
                    svc.column_values(Some(&v), &at, "state", "")
                        .await
                        .map(|_| ()),
                ),
                (
                    "save_column_settings",
                    svc.save_column_settings(&v, &at, ColumnSettings::default())
                        .await,
                ),
                (
                    "bulk_runs",
                    svc.bulk_runs(
                        &v,
                        &at,
                        BulkTarget::Runs(vec![run.clone()]),
                        BulkAction::AddTag("t".into()),
                    )
                    .await
                    .map(|_| ()),
                ),
                (
                    "runs_csv",
                    svc.runs_csv(Some(&v), &at, "", None, &["name".into()])
                        .await
                        .map(|_| ()),
                ),
                ("workspace", svc.workspace(Some(&v), &at).await.map(|_| ())),
                (
                    "save_workspace",
                    svc.save_workspace(&v, &at, WorkspaceDoc::default()).await,
                ),
                (
                    "save_report_draft",
                    svc.save_report_draft(
                        &v,
                        &at,
                        SectionSnapshot {
                            section,
                            runs: selection,
                            created_ms: 0,
                        },
                    )
                    .await
                    .map(|_| ()),
                ),
                (
                    "edit_project",
                    svc.edit_project(
                        &v,
                        &at,
                        ProjectEdit {
                            description: Some("d".into()),
                            ..Default::default()
                        },
                    )
                    .await
                    .map(|_| ()),
                ),
                ("set_star", svc.set_star(&v, &at, true).await),
                (
                    "undelete_runs",
                    svc.undelete_runs(&v, &at).await.map(|_| ()),
                ),
                ("reports_index", svc.reports_index(Some(&v), &at).await.map(|_| ())),
                (
                    "report_view",
                    svc.report_view(Some(&v), &report, false, None).await.map(|_| ()),
                ),
                ("report_draft", svc.report_draft(&v, &report).await.map(|_| ())),
                (
                    "report_revisions",
                    svc.report_revisions(Some(&v), &report).await.map(|_| ()),
                ),
                (
                    "report_diff",
                    svc.report_diff(Some(&v), &report, 0, Some(1)).await.map(|_| ()),
                ),
                (
                    "edit_report",
                    svc.edit_report(&v, &report, ReportEdit::DiscardDraft).await.map(|_| ()),
                ),
                (
                    "create_report",
                    svc.create_report(&v, &at, "New", None).await.map(|_| ()),
                ),
                (
                    "clone_report",
                    svc.clone_report(&v, &report, &at).await.map(|_| ()),
                ),
            ];
            for (name, r) in results {
                checked += 1;
                match (want_ok, r) {
                    (true, Ok(())) => {}
                    (false, Err(app::api::AppError::NotFound(m))) => {
                        assert!(m.contains("not found"), "{name}: {m}");
                    }
                    (want, got) => panic!("{name} as {who_name}: wanted ok={want}, got {got:?}"),
                }
            }
        }
        // Admin-only project actions answer "not found" to outsiders and "forbidden" to
        // writers who do not administer the team.
        let outsider_v = viewer_of("outsider");
        assert!(matches!(
            svc.set_project_member(&outsider_v, &at, "listed", true)
                .await,
            Err(app::api::AppError::NotFound(_))
        ));
        assert!(matches!(
            svc.delete_project(&outsider_v, &at, "p-private").await,
            Err(app::api::AppError::NotFound(_))
        ));
        assert!(matches!(
            svc.set_project_member(&viewer_of("owner"), &at, "listed", true)
                .await,
            Err(app::api::AppError::Forbidden(_))
        ));
        assert!(matches!(
            svc.delete_project(&viewer_of("owner"), &at, "p-private")
                .await,
            Err(app::api::AppError::Forbidden(_))
        ));
        // Account pages need a signed-in user that exists.
        assert!(matches!(
            svc.account_settings(&viewer_of("ghost")).await,
            Err(app::api::AppError::Unauthorized(_))
        ));
        // Profiles list only what the viewer may see, and members only to members.
        let profile = svc.entity_profile(Some(&outsider_v), "acme").await.unwrap();
        let names: Vec<_> = profile
            .projects
            .iter()
            .map(|c| c.project.project.as_str())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.contains(&"p-public") && names.contains(&"p-open"));
        assert!(profile.members.is_empty() && !profile.can_manage && !profile.can_create_project);
        let anon = svc.entity_profile(None, "acme").await.unwrap();
        assert_eq!(anon.projects.len(), 1);
        let inside = svc
            .entity_profile(Some(&viewer_of("viewer")), "acme")
            .await
            .unwrap();
        assert_eq!(inside.members.len(), 4);
        assert!(
            !inside.can_create_project,
            "team viewers do not create projects"
        );
        // The home page HTML lists only visible projects.
        let (s, html) = w.send("GET", "/", vec![], vec![]).await;
        assert_eq!(s, StatusCode::OK);
        let html = String::from_utf8_lossy(&html);
        assert!(
            html.contains("p-public") && !html.contains("p-private") && !html.contains("p-team")
        );
        // Contributors and compute count every user's runs: an outsider logs to the open project.
        let (s, b) = w
            .send(
                "POST",
                "/api/v1/runs",
                vec![("authorization", format!("Bearer {outsider}")), ("content-type", "application/json".into())],
                json!({"entity": "acme", "project": "p-open", "id": "theirs", "start_time": 1_000.0}).to_string().into_bytes(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
        let (s, _) = w
            .send(
                "POST",
                "/api/v1/runs/acme/p-open/theirs/finish",
                vec![("authorization", format!("Bearer {outsider}")), ("content-type", "application/json".into())],
                json!({"exit_code": 0, "time": 1_060.0}).to_string().into_bytes(),
            )
            .await;
        assert!(s.is_success());
        let o = svc.project_overview(Some(&viewer_of("owner")), &ProjectRef::new("acme", "p-open")).await.unwrap();
        assert_eq!(o.contributors, vec!["outsider".to_owned(), "owner".to_owned()]);
        assert_eq!(o.total_runs, 2);
        assert!(o.total_compute_seconds >= 60.0, "{}", o.total_compute_seconds);
        // A first log to an unknown name makes a team, under the same name rules.
        for (entity, want) in [("ACME", StatusCode::CONFLICT), ("bad name", StatusCode::UNPROCESSABLE_ENTITY), ("settings", StatusCode::UNPROCESSABLE_ENTITY), ("acme", StatusCode::NOT_FOUND), ("fresh-team", StatusCode::CREATED)] {
            let (s, b) = w
                .send(
                    "POST",
                    "/api/v1/runs",
                    vec![("authorization", format!("Bearer {outsider}")), ("content-type", "application/json".into())],
                    json!({"entity": entity, "project": "x"}).to_string().into_bytes(),
                )
                .await;
            assert_eq!(s, want, "{entity}: {}", String::from_utf8_lossy(&b));
        }
        println!(
            "{:?}: {} /api/v1 routes × 2 callers, {checked} service calls",
            t.backend,
            routes.len()
        );
        t
    })
    .await;
}

/// Upgrading a server that already has users never opens sign-up by itself; a new
/// install starts with it on.
#[tokio::test]
async fn upgrades_keep_sign_up_closed() {
    use sea_orm_migration::MigratorTrait;
    on_both(|t| async move {
        let fresh = TestDb::new(t.backend).await;
        assert!(accounts::signup_enabled(&fresh.db).await.unwrap());
        fresh.cleanup().await;
        let old = TestDb::unmigrated(t.backend).await;
        server::db::migration::Migrator::up(&old.db, Some(4))
            .await
            .unwrap();
        server::bootstrap::create_user(&old.db, "early", "password123", true)
            .await
            .unwrap();
        // Names differing only in case from before the rule do not stop the upgrade.
        let early = users::find_by_username(&old.db, "early")
            .await
            .unwrap()
            .unwrap();
        projects::create_team(&old.db, "EARLY", early.id, 0)
            .await
            .unwrap();
        server::db::migration::Migrator::up(&old.db, None)
            .await
            .unwrap();
        assert!(!accounts::signup_enabled(&old.db).await.unwrap());
        old.cleanup().await;
        t
    })
    .await;
}

/// A view-only link opens its one report (page, export, `/api/v1`) to anyone, and
/// nothing else: not the project's run page, not another report, not the project's
/// other doors; revoked, it opens nothing.
#[tokio::test]
async fn view_only_links_open_one_report_and_nothing_else() {
    on_both(|t| async move {
        let w = world(&t).await;
        // Links are made by the project's administrators: the team's admin here.
        let owner = who(&w, "team admin").user.clone().unwrap();
        let anon = &w.people[0];
        let id = w.reports.iter().find(|(v, _)| v == "private").unwrap().1;
        let other = w.reports.iter().find(|(v, _)| v == "team").unwrap().1;
        let at = ProjectRef::new("acme", "p-private");
        let r = app::model::ReportRef::new(at.clone(), id);
        let url = server::service::reports::edit(
            &t.db,
            &owner,
            &r,
            app::model::ReportEdit::CreateLink { label: "press".into() },
        )
        .await
        .unwrap()
        .link_url
        .unwrap();
        let token = url.split("share=").nth(1).unwrap().to_owned();
        let get = |uri: String| {
            let w = &w;
            async move { w.send("GET", &uri, World::cookie(anon), vec![]).await.0 }
        };
        assert_eq!(get(format!("/acme/p-private/reports/Notes--{id}")).await, StatusCode::NOT_FOUND);
        assert_eq!(get(url.clone()).await, StatusCode::OK);
        assert_eq!(get(format!("/acme/p-private/reports/Notes--{id}/export.html?share={token}")).await, StatusCode::OK);
        assert_eq!(get(format!("/api/v1/reports/acme/p-private/{id}?share={token}")).await, StatusCode::OK);
        // Not the history, the project, its runs, or another report.
        assert_eq!(get(format!("/api/v1/reports/acme/p-private/{id}/revisions?share={token}")).await, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/acme/p-private/runs/r1?share={token}")).await, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/acme/p-private/overview?share={token}")).await, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/api/v1/reports/acme/p-private?share={token}")).await, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/acme/p-team/reports/Notes--{other}?share={token}")).await, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/acme/p-private/reports/Notes--{other}?share={token}")).await, StatusCode::NOT_FOUND);
        // A link changes nothing: an edit through it is still the caller's own rights.
        let (s, _) = w
            .server_fn(
                anon,
                app::api::reports::EditReport::PATH,
                json!({"report": {"project": {"entity": "acme", "project": "p-private"}, "id": id, "token": token},
                       "edit": {"op": "discard_draft"}}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Revoked: gone at once.
        let links = server::service::reports::links(&t.db, Some(&owner), &r).await.unwrap();
        server::service::reports::edit(
            &t.db,
            &owner,
            &r,
            app::model::ReportEdit::RevokeLink { id: links[0].id },
        )
        .await
        .unwrap();
        assert_eq!(get(url).await, StatusCode::NOT_FOUND);
        assert_eq!(get(format!("/api/v1/reports/acme/p-private/{id}?share={token}")).await, StatusCode::NOT_FOUND);
        t
    })
    .await;
}
