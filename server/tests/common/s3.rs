//! A real S3-compatible server for the object-storage tests: moto in server mode, from
//! PyPI, which `.ci/tools test` installs into `$CAIRN_TOOLS/s3-venv`. It speaks the S3
//! wire protocol (signed requests, multipart uploads, listings) on 127.0.0.1; the tests
//! never stand in for the `object_store` crate itself.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl S3Server {
    pub async fn start() -> S3Server {
        let tools = std::env::var_os("CAIRN_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/cairn-tools")
            });
        let bin = tools.join("s3-venv/bin/moto_server");
        assert!(
            bin.exists(),
            "no S3-compatible server at {}: `.ci/tools test` installs it",
            bin.display()
        );
        let port = free_port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "moto_server did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// A new, empty bucket; the blob store URL of `prefix` in it.
    pub async fn bucket(&self, bucket: &str, prefix: &str) -> String {
        let made = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("the S3 server answers");
        assert!(
            made.status().is_success(),
            "bucket {bucket}: {}",
            made.status()
        );
        self.url(bucket, prefix)
    }

    /// The blob store URL of `prefix` in an existing bucket.
    pub fn url(&self, bucket: &str, prefix: &str) -> String {
        format!(
            "s3://{bucket}/{prefix}?endpoint={}&allow_http=true&region=us-east-1\
             &access_key_id=cairn-test&secret_access_key=cairn-test-secret",
            self.endpoint
        )
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
