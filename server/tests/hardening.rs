//! What an attacker tries first, through the real router on SQLite and PostgreSQL:
//! hostile names in every page kind (title, body, the data pages carry for
//! hydration), the browser hardening headers, stored files that must not run,
//! redirects after sign-in, login CSRF, sign-up floods, GraphQL alias bombs and
//! oversized or odd input. Each case here was observed to fail before its fix.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use crate::common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{on_both, TestDb};
use server::auth::credentials::token_hash;
use server::blobs::BlobStore;
use server::db::repo::users;
use server::state::AppState;
use server::wandb::WandbState;

/// The tests of this file take turns: page rendering keeps process-wide state, and
/// the argon2 test counts process-wide hashes.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Names that break out of markup, templates or reading order when not escaped.
const HOSTILE: [&str; 4] = [
    "</title><script>alert(1)</script>",
    "\"><img src=x onerror=alert(2)>",
    "{{7*7}} ${7*7}",
    "\u{202e}txt.exe \u{2066}rtl",
];

/// Markup that must never appear raw in a page that showed the names above.
const RAW_MARKUP: [&str; 3] = ["<script>alert", "<img src=x", "</title><script"];

struct Site {
    router: Router,
    key: String,
    session: String,
}

fn options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name("cairn")
        .site_root("target/site")
        .build()
}

async fn site(t: &TestDb) -> Site {
    site_with(t, BlobStore::open(t.dir.join("files")).unwrap()).await
}

async fn site_with(t: &TestDb, blobs: BlobStore) -> Site {
    let user = server::bootstrap::create_user(&t.db, "alice", "password123", false)
        .await
        .unwrap();
    let key = server::bootstrap::create_api_key(&t.db, &user, "k", None)
        .await
        .unwrap();
    let session = "session-of-alice-0123456789abcdef0123456789".to_owned();
    let now = server::db::now_ms();
    users::insert_session(&t.db, user.id, &token_hash(&session), now, now + 3_600_000)
        .await
        .unwrap();
    let state = WandbState::new(AppState::start(
        t.db.clone(),
        blobs,
        server::config::Config::default(),
    ))
    .await
    .unwrap();
    Site {
        router: server::web::router(state, options()),
        key,
        session,
    }
}

impl Site {
    async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "cairn.test");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            self.router
                .clone()
                .oneshot(req.body(Body::from(body)).unwrap()),
        )
        .await
        .unwrap_or_else(|_| panic!("{method} {uri} did not answer within 30 s"))
        .unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    fn bearer(&self) -> Vec<(&'static str, String)> {
        vec![
            ("authorization", format!("Bearer {}", self.key)),
            ("content-type", "application/json".into()),
        ]
    }

    fn signed_in(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cookie", format!("cairn_session={}", self.session)),
            ("x-csrf-token", server::csrf::token_for(&self.session)),
        ]
    }

    async fn api(&self, method: &str, uri: &str, body: Value) -> (StatusCode, String) {
        let (s, _, b) = self
            .send(method, uri, &self.bearer(), body.to_string().into_bytes())
            .await;
        (s, b)
    }
}

/// The text between `<title>` and `</title>`.
fn title_of(html: &str) -> &str {
    let start = html.find("<title>").map_or(0, |i| i + "<title>".len());
    let end = html[start..].find("</title>").map_or(start, |i| start + i);
    &html[start..end]
}

#[tokio::test]
async fn hostile_names_render_as_text_on_every_page() {
    let _turn = TURN.lock().await;
    on_both(|t| async move {
        let s = site(&t).await;
        let enc = app::logic::url::encode_segment;
        let mut pages = vec![
            "/".to_owned(),
            "/alice".to_owned(),
            "/settings".to_owned(),
            "/signup".to_owned(),
        ];
        for (i, &name) in HOSTILE.iter().enumerate() {
            // A project, a run and its data named with the hostile text, logged as a
            // script would through /api/v1.
            // Project names may not hold `/` (the wandb client's rule); runs, keys and
            // values may.
            let project = name.replace('/', "");
            let run = json!({
                "project": project, "id": format!("r{i}"), "name": name,
                "config": {name: name, "nested": {name: [name]}},
                "tags": [name], "notes": name, "group": name, "job_type": name,
            });
            let (st, b) = s.api("POST", "/api/v1/runs", run).await;
            assert!(st.is_success(), "{name}: {st} {b}");
            let metrics = json!({"rows": [{"step": 1, "values": {format!("train/{name}"): 1.5}}]});
            let uri = format!("/api/v1/runs/alice/{}/r{i}/metrics", enc(&project));
            let (st, b) = s.api("POST", &uri, metrics).await;
            assert_eq!(st, StatusCode::OK, "{name}: {b}");
            let p = format!("/alice/{}", enc(&project));
            pages.extend([
                p.clone(),
                format!("{p}/overview"),
                format!("{p}/runs"),
                format!("{p}/runs?filter={}", enc(&format!("config.x = \"{name}\""))),
                format!("{p}/runs/r{i}"),
                // Names that exist nowhere, from the URL alone.
                format!("/{}", enc(name)),
                format!("/alice/{}-missing", enc(name)),
                format!("/alice/{}/runs/{}", enc(name), enc(name)),
                format!("/login?next={}", enc(name)),
            ]);
        }
        for page in &pages {
            for who in [vec![], s.signed_in()] {
                let (status, _, html) = s.send("GET", page, &who, vec![]).await;
                assert!(
                    status.is_success() || status.is_client_error(),
                    "{page}: {status}"
                );
                for raw in RAW_MARKUP {
                    assert!(
                        !html.contains(raw),
                        "{page} ({status}) has raw {raw:?}:\n{}",
                        &html[html.find(raw).unwrap().saturating_sub(200)..][..400.min(html.len())]
                    );
                }
                let title = title_of(&html);
                assert!(!title.contains('<'), "{page}: <title>{title}</title>");
            }
        }
        // The names are there, as text.
        let (_, _, html) = s
            .send(
                "GET",
                &format!("/alice/{}/overview", enc(HOSTILE[0])),
                &s.signed_in(),
                vec![],
            )
            .await;
        assert!(
            title_of(&html).starts_with("&lt;/title&gt;&lt;script&gt;alert(1)"),
            "{}",
            title_of(&html)
        );
        println!(
            "{:?}: {} page kinds × 2 viewers, no raw markup",
            t.backend,
            pages.len()
        );
        t
    })
    .await;
}

#[tokio::test]
async fn pages_and_files_carry_the_browser_hardening() {
    let _turn = TURN.lock().await;
    on_both(|t| async move {
        let s = site(&t).await;
        let (st, _) = s
            .api(
                "POST",
                "/api/v1/runs",
                json!({"project": "files", "id": "r1"}),
            )
            .await;
        assert!(st.is_success());

        // A page: its policy names the nonce its inline scripts carry, and nothing
        // else may run or frame it.
        let (st, h, html) = s
            .send("GET", "/alice/files/overview", &s.signed_in(), vec![])
            .await;
        assert_eq!(st, StatusCode::OK);
        let csp = h["content-security-policy"].to_str().unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|r| r.split('\'').next())
            .unwrap();
        assert!(nonce.len() >= 16, "{csp}");
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "scripts carry the nonce"
        );
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"));
        assert!(
            !csp.contains("'unsafe-inline' 'wasm")
                && !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(
            h["cache-control"], "no-store",
            "signed-in pages are not cached"
        );
        // Each page gets a fresh nonce.
        let (_, h2, _) = s
            .send("GET", "/alice/files/overview", &s.signed_in(), vec![])
            .await;
        assert_ne!(h2["content-security-policy"], h["content-security-policy"]);
        // Signed out, a public page may be cached by the browser, but is still locked.
        let (_, h, _) = s.send("GET", "/login", &[], vec![]).await;
        assert!(h.get("cache-control").is_none_or(|v| v != "no-store"));
        assert_eq!(h["x-frame-options"], "DENY");

        // Stored files: only types a browser cannot run are shown inline.
        let upload = |name: &'static str, bytes: &'static [u8]| {
            let s = &s;
            async move {
                let uri = format!("/api/v1/runs/alice/files/r1/files/{name}");
                let mut h = s.bearer();
                h[1] = ("content-type", "application/octet-stream".into());
                let (st, _, b) = s.send("PUT", &uri, &h, bytes.to_vec()).await;
                assert_eq!(st, StatusCode::OK, "{name}: {b}");
                let (st, h, _) = s.send("GET", &uri, &s.bearer(), vec![]).await;
                assert_eq!(st, StatusCode::OK);
                h
            }
        };
        for evil in ["page.html", "image.svg", "script.js", "noext"] {
            let h = upload(evil, b"<script>alert(document.cookie)</script>").await;
            assert_eq!(h["content-type"], "application/octet-stream", "{evil}");
            assert!(
                h["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment"),
                "{evil}"
            );
            assert!(h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("sandbox"));
            assert_eq!(h["x-content-type-options"], "nosniff");
        }
        let h = upload("chart.png", b"\x89PNG\r\n\x1a\n").await;
        assert_eq!(h["content-type"], "image/png");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline"));
        let h = upload("notes.txt", b"hello").await;
        assert_eq!(h["content-type"], "text/plain; charset=utf-8");
        // The run page links files for the browser (session cookie): same answers,
        // and 404 for anyone who may not read the project.
        let (st, h, body) = s
            .send(
                "GET",
                "/alice/files/runs/r1/files/page.html",
                &s.signed_in(),
                vec![],
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(body, "<script>alert(document.cookie)</script>");
        assert!(h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"));
        let (st, _, _) = s
            .send("GET", "/alice/files/runs/r1/files/page.html", &[], vec![])
            .await;
        assert_eq!(
            st,
            StatusCode::NOT_FOUND,
            "a private project's file is not found signed out"
        );
        let (st, _, _) = s
            .send(
                "GET",
                "/alice/files/runs/r1/files/missing.txt",
                &s.signed_in(),
                vec![],
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        // The run page lists the files, linked.
        let (_, _, html) = s
            .send("GET", "/alice/files/runs/r1", &s.signed_in(), vec![])
            .await;
        assert!(
            html.contains("href=\"/alice/files/runs/r1/files/chart.png\""),
            "the run page links its files"
        );
        t
    })
    .await;
}

#[tokio::test]
async fn sign_in_follows_only_local_paths_and_refuses_other_sites() {
    let _turn = TURN.lock().await;
    let t = TestDb::new(common::Backend::Sqlite).await;
    let s = site(&t).await;
    let path = app::api::session::SignIn::PATH;
    let form = |next: &str| {
        format!(
            "username=alice&password=password123&next={}",
            app::logic::url::encode_segment(next)
        )
        .into_bytes()
    };
    let headers = |origin: &str| {
        vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "text/html,application/xhtml+xml".to_owned()),
            ("origin", origin.to_owned()),
        ]
    };
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
    ] {
        let (st, h, b) = s
            .send("POST", path, &headers("http://cairn.test"), form(next))
            .await;
        assert!(st.is_redirection(), "{next:?}: {st} {b}");
        assert_eq!(h["location"], "/", "{next:?}");
    }
    let (_, h, _) = s
        .send(
            "POST",
            path,
            &headers("http://cairn.test"),
            form("/alice/files?x=1"),
        )
        .await;
    assert_eq!(h["location"], "/alice/files?x=1");
    // Login CSRF: a post from another site's page is refused, though nobody is
    // signed in and the browser sent no Sec-Fetch-Site.
    let (st, h, _) = s
        .send("POST", path, &headers("http://evil.example"), form("/"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(h.get("set-cookie").is_none());
    let (st, _, _) = s.send("POST", path, &headers("null"), form("/")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // The page's own script carries the CSRF token: behind a proxy that rewrites the
    // Host, its Origin differs, and the token vouches for it.
    let mut h = s.signed_in();
    h.push(("origin", "https://cairn.behind-a-proxy.example".into()));
    h.push(("content-type", "application/json".into()));
    let current = app::api::session::CurrentUser::PATH;
    let (st, _, b) = s.send("POST", current, &h, b"{}".to_vec()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    h.retain(|(k, _)| *k != "x-csrf-token");
    let (st, _, _) = s.send("POST", current, &h, b"{}".to_vec()).await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "without the token the foreign Origin is refused"
    );
    t.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_up_checks_the_name_first_and_argon2_runs_a_few_at_a_time() {
    use server::auth::credentials::{argon2_counts, ARGON2_AT_ONCE};
    use server::service::accounts;
    let _turn = TURN.lock().await;
    let t = TestDb::new(common::Backend::Sqlite).await;
    accounts::sign_up(&t.db, "taken", "Taken", "password123")
        .await
        .unwrap();
    let (before, _) = argon2_counts();
    let mut tries = tokio::task::JoinSet::new();
    for _ in 0..48 {
        let db = t.db.clone();
        tries.spawn(async move { accounts::sign_up(&db, "TAKEN", "Taken", "password123").await });
    }
    for r in tries.join_all().await {
        assert_eq!(r.unwrap_err().status(), StatusCode::CONFLICT);
    }
    assert_eq!(
        argon2_counts().0,
        before,
        "a taken name costs no argon2 hash"
    );
    let mut fresh = tokio::task::JoinSet::new();
    for i in 0..16 {
        let db = t.db.clone();
        fresh.spawn(async move {
            accounts::sign_up(&db, &format!("new{i}"), "New", "password123").await
        });
    }
    for r in fresh.join_all().await {
        r.unwrap();
    }
    let (after, peak) = argon2_counts();
    assert_eq!(after - before, 16);
    assert!(
        peak as usize <= ARGON2_AT_ONCE,
        "at most {ARGON2_AT_ONCE} at once, saw {peak}"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn oversized_and_odd_input_gets_a_clear_4xx() {
    let _turn = TURN.lock().await;
    on_both(|t| async move {
        let s = site(&t).await;
        let (st, _) = s
            .api("POST", "/api/v1/runs", json!({"project": "odd", "id": "r1"}))
            .await;
        assert!(st.is_success());
        // Booleans are not metric values.
        for v in [json!(true), json!(false)] {
            let (st, b) = s
                .api(
                    "POST",
                    "/api/v1/runs/alice/odd/r1/metrics",
                    json!({"rows": [{"step": 1, "values": {"flag": v}}]}),
                )
                .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        }
        // A filter of 1,000 terms: 400 naming the limit.
        let filter = (0..1_000)
            .map(|i| format!("config.lr = {i}"))
            .collect::<Vec<_>>()
            .join(" or ");
        let args = json!({"project": {"entity": "alice", "project": "odd"},
                          "query": {"filter": filter, "sort": null, "offset": 0, "limit": 10}});
        let mut h = s.signed_in();
        h.push(("content-type", "application/json".into()));
        let (st, _, b) = s
            .send("POST", app::api::runs_table::QueryRuns::PATH, &h, args.to_string().into_bytes())
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
        assert!(b.contains("at most 100 conditions"), "{b}");
        // A server function body over 2 MB: 413 with a message.
        let big = json!({"project": {"entity": "alice", "project": "odd"},
                         "query": {"filter": "x".repeat(3 << 20), "sort": null, "offset": 0, "limit": 10}});
        let (st, _, b) = s
            .send("POST", app::api::runs_table::QueryRuns::PATH, &h, big.to_string().into_bytes())
            .await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
        assert!(b.contains("2 MB"), "{b}");
        // Also when the size is declared up front.
        let mut declared = h.clone();
        declared.push(("content-length", big.to_string().len().to_string()));
        let (st, _, b) = s
            .send("POST", app::api::runs_table::QueryRuns::PATH, &declared, big.to_string().into_bytes())
            .await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
        assert!(b.contains("at most 2 MB"), "{b}");
        t
    })
    .await;
}

#[tokio::test]
async fn graphql_alias_bombs_are_refused_quickly() {
    let _turn = TURN.lock().await;
    let t = TestDb::new(common::Backend::Sqlite).await;
    let s = site(&t).await;
    let basic = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("api:{}", s.key))
        )
    };
    let h = vec![
        ("authorization", basic),
        ("content-type", "application/json".to_owned()),
    ];
    // 2 MB, 80,000 aliases: refused for its size before parsing.
    let mut q = String::from("query { viewer { ");
    for i in 0..80_000 {
        q.push_str(&format!("a{i}: id "));
    }
    q.push_str("} }");
    let body = json!({ "query": q }).to_string().into_bytes();
    let started = std::time::Instant::now();
    let (st, _, b) = s.send("POST", "/graphql", &h, body).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.contains("at most"), "{b}");
    // Under the size limit, 20,000 aliases on one object: a GraphQL error naming the cap.
    let mut q = String::from("query { viewer { ");
    for i in 0..20_000 {
        q.push_str(&format!("a{i}: id "));
    }
    q.push_str("} }");
    let (st, _, b) = s
        .send(
            "POST",
            "/graphql",
            &h,
            json!({ "query": q }).to_string().into_bytes(),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 1000 fields"),
        "{v}"
    );
    println!("both refused in {:?}", started.elapsed());
    // An ordinary query still works.
    let (st, _, b) = s
        .send(
            "POST",
            "/graphql",
            &h,
            json!({"query": "query { viewer { username } }"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(b.contains("alice"), "{b}");
    t.cleanup().await;
}

#[tokio::test]
async fn the_cli_and_first_start_make_accounts_and_keys_by_the_sign_up_rules() {
    use server::service::accounts;
    let _turn = TURN.lock().await;
    let t = TestDb::new(common::Backend::Sqlite).await;
    let alice = server::bootstrap::create_user(&t.db, "alice", "password123", false)
        .await
        .unwrap();
    // The account-name rule and case-blind uniqueness, as sign-up has them.
    for bad in ["has space", "slash/name", "Ünï", "settings", "ALICE"] {
        assert!(
            server::bootstrap::create_user(&t.db, bad, "password123", false)
                .await
                .is_err(),
            "{bad}"
        );
        assert!(
            accounts::sign_up(&t.db, bad, "X", "password123")
                .await
                .is_err(),
            "{bad}"
        );
    }
    assert!(server::bootstrap::create_user(&t.db, "bob", "short", false)
        .await
        .is_err());
    // Keys: one prefix length and one limit, whichever door made them.
    let cli_key = server::bootstrap::create_api_key(&t.db, &alice, "cli", None)
        .await
        .unwrap();
    let ui_key = accounts::create_api_key(&t.db, &alice, "laptop")
        .await
        .unwrap();
    let listed = server::db::repo::users::api_keys_of(&t.db, alice.id)
        .await
        .unwrap();
    for k in &listed {
        assert_eq!(k.prefix.len(), 8, "{:?}", k.name);
    }
    assert!(listed.iter().any(|k| cli_key.starts_with(&k.prefix)));
    assert!(ui_key.key.starts_with(&ui_key.info.prefix));
    for i in 0..98 {
        server::bootstrap::create_api_key(&t.db, &alice, &format!("k{i}"), None)
            .await
            .unwrap();
    }
    let e = server::bootstrap::create_api_key(&t.db, &alice, "one too many", None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("live keys"), "{e}");
    t.cleanup().await;
}

/// `/healthz` for load balancers: 200 while the database and the blob store answer, 503
/// naming the one that does not.
#[tokio::test]
async fn healthz_says_whether_database_and_blob_store_answer() {
    let t = TestDb::new(common::Backend::Sqlite).await;
    let one = site(&t).await;
    let (status, _, body) = one.send("GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["database"].as_str(), v["blobs"].as_str()),
        (Some("ok"), Some("ok"))
    );
    // Prometheus' view counts that answer (by area, never by name).
    let (status, headers, text) = one.send("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    for line in [
        "cairn_http_requests_total{area=\"health\",status=\"2xx\"}",
        "# TYPE cairn_http_request_duration_seconds histogram",
        "cairn_ingested_points_total",
        "cairn_writer_queue_depth 0",
        "# EOF",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    assert!(!text.contains("alice"));

    // Files in an object store nobody answers for.
    let port = common::s3::free_port();
    let url = format!(
        "s3://gone?endpoint=http://127.0.0.1:{port}&allow_http=true&region=us-east-1\
         &access_key_id=x&secret_access_key=y"
    );
    let blobs = BlobStore::open_url(Some(&url), t.dir.join("staging")).unwrap();
    let t2 = TestDb::new(common::Backend::Sqlite).await;
    let (status, _, body) = site_with(&t2, blobs)
        .await
        .send("GET", "/healthz", &[], Vec::new())
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["database"], "ok");
    assert_eq!(v["blobs"], "unavailable");
    assert!(
        !body.contains("127.0.0.1") && !body.contains("gone"),
        "no internals in {body}"
    );
    t.cleanup().await;
    t2.cleanup().await;
}
