//! Durability: the `cairn` server is killed with SIGKILL in the middle of sustained
//! ingest, started again on the same SQLite data dir, and must still hold every
//! point it acknowledged (and nothing half-written).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

const ROWS_PER_BATCH: usize = 200;
const RUNS: usize = 4;

struct Server {
    child: Child,
    base: String,
}

fn start(dir: &std::path::Path, port: u16, key: &str) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}")])
        .env("CAIRN_DATA_DIR", dir)
        .env("CAIRN_ADMIN_PASSWORD", "durable-password")
        .env("CAIRN_ADMIN_API_KEY", key)
        .env("LEPTOS_SITE_ROOT", dir.join("site"))
        .env("LEPTOS_OUTPUT_NAME", "cairn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Server {
        child,
        base: format!("http://127.0.0.1:{port}/api/v1"),
    }
}

async fn call(
    http: &Http,
    base: &str,
    key: &str,
    method: &str,
    path: &str,
    body: Value,
) -> Result<(u16, Value), String> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| e.to_string())?;
    let resp = http.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

async fn wait_up(http: &Http, server: &Server, key: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = call(http, &server.base, key, "GET", "/viewer", Value::Null).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

fn batch(first_step: usize) -> Value {
    let rows: Vec<Value> = (first_step..first_step + ROWS_PER_BATCH)
        .map(|s| json!({"step": s, "time": 1_700_000_000.0 + s as f64, "values": {"loss": 1.0 / (s as f64 + 1.0), "acc": s as f64}}))
        .collect();
    json!({ "rows": rows })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_points_survive_sigkill() {
    let dir = std::env::temp_dir().join(format!(
        "cairn-durable-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let key = server::auth::credentials::new_api_key();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let http: Http = Client::builder(TokioExecutor::new()).build_http();
    let mut server = start(&dir, port, &key);
    wait_up(&http, &server, &key).await;
    for r in 0..RUNS {
        let (s, v) = call(
            &http,
            &server.base,
            &key,
            "POST",
            "/runs",
            json!({"project": "durable", "id": format!("r{r}")}),
        )
        .await
        .unwrap();
        assert_eq!(s, 201, "{v}");
    }

    // Each client logs batches back to back and records what was acknowledged.
    let acked: Arc<Mutex<Vec<usize>>> = Arc::new(Mutex::new(vec![0; RUNS]));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for r in 0..RUNS {
        let (http, base, key) = (http.clone(), server.base.clone(), key.clone());
        let (acked, stop) = (acked.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let path = format!("/runs/admin/durable/r{r}/metrics");
            let mut next = 0;
            while !stop.load(Ordering::Relaxed) {
                match call(&http, &base, &key, "POST", &path, batch(next)).await {
                    Ok((200, _)) => {
                        next += ROWS_PER_BATCH;
                        acked.lock().unwrap()[r] = next;
                    }
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    server.child.kill().unwrap(); // SIGKILL on Unix: no shutdown code runs.
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.iter().all(|&n| n >= ROWS_PER_BATCH),
        "every client got acknowledgements before the kill: {acked:?}"
    );

    let server = start(&dir, port, &key);
    wait_up(&http, &server, &key).await;
    let runs: Vec<String> = (0..RUNS).map(|r| format!("r{r}")).collect();
    for metric in ["loss", "acc"] {
        let (s, answer) = call(
            &http,
            &server.base,
            &key,
            "POST",
            "/series/admin/durable",
            json!({"runs": runs, "key": metric, "buckets": 1}),
        )
        .await
        .unwrap();
        assert_eq!(s, 200, "{answer}");
        for (r, want) in acked.iter().enumerate() {
            let stored = answer["runs"][r]["total_points"].as_u64().unwrap() as usize;
            // Everything acknowledged is there; at most the one batch in flight at the
            // kill is there too (committed, not yet answered), and never half of one.
            assert!(
                stored == *want || stored == want + ROWS_PER_BATCH,
                "run r{r} {metric}: acknowledged {want}, stored {stored}"
            );
        }
    }
    // The restarted server keeps accepting writes where the clients left off.
    let (s, _) = call(
        &http,
        &server.base,
        &key,
        "POST",
        "/runs/admin/durable/r0/metrics",
        batch(acked[0]),
    )
    .await
    .unwrap();
    assert_eq!(s, 200);
    drop(server);
    std::fs::remove_dir_all(&dir).ok();
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
