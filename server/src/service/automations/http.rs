//! Sending a webhook without letting a project admin reach inside the server's
//! network: the target's name is resolved first and every address it resolves to is
//! checked (loopback, private, link-local, shared, multicast and unspecified
//! addresses are refused unless the site admin allows private targets); the request
//! then goes to the checked address only (no second lookup to rebind), redirects are
//! not followed, environment proxies are ignored, and at most 2 KB of the answer is
//! read.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How much of an answer is kept.
pub const BODY_KEPT_BYTES: usize = 2048;
/// The whole request's time limit.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What one attempt came to.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// Worth trying again (a network error, a timeout, 5xx, 408 or 429).
    pub retry: bool,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn refused(error: String) -> Outcome {
        Outcome {
            error: Some(error),
            ..Outcome::default()
        }
    }
}

/// Whether an address is inside a private network or the host itself.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || o[0] == 0
                // 100.64.0.0/10, carrier-grade NAT
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                // 198.18.0.0/15, benchmarking
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || a.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Check a target URL's form (http or https with a host); the parsed URL.
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed =
        reqwest::Url::parse(url.trim()).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?}: only http and https targets are allowed"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "{url:?}: put credentials in a secret (bearer token), not in the URL"
        ));
    }
    Ok(parsed)
}

/// Resolve a URL's host and check its addresses; the address to connect to.
async fn target(url: &reqwest::Url, allow_internal: bool) -> Result<SocketAddr, String> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(80);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| format!("could not resolve {host}: {e}"))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("{host} resolves to no address"));
    }
    if !allow_internal {
        if let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
            return Err(format!(
                "refused: {host} resolves to {}, an internal address; a site admin can allow private targets in Settings",
                bad.ip()
            ));
        }
    }
    Ok(addrs[0])
}

/// POST `body` with `headers` to `url`.
pub async fn post(
    url: &str,
    headers: &[(String, String)],
    body: String,
    allow_internal: bool,
) -> Outcome {
    let started = Instant::now();
    let mut out = match send(url, headers, body, allow_internal).await {
        Ok(o) => o,
        Err(o) => o,
    };
    out.duration_ms = started.elapsed().as_millis() as i64;
    out
}

async fn send(
    url: &str,
    headers: &[(String, String)],
    body: String,
    allow_internal: bool,
) -> Result<Outcome, Outcome> {
    let parsed = check_url(url).map_err(Outcome::refused)?;
    let addr = target(&parsed, allow_internal).await.map_err(|e| Outcome {
        retry: e.starts_with("could not resolve"),
        ..Outcome::refused(e)
    })?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("Cairn-Automations/", env!("CARGO_PKG_VERSION")));
    if let Some(host) = parsed.host_str().filter(|h| h.parse::<IpAddr>().is_err()) {
        // Connect to the address that was checked, whatever DNS says a moment later.
        builder = builder.resolve(host, addr);
    }
    let client = builder
        .build()
        .map_err(|e| Outcome::refused(format!("{e}")))?;
    let mut req = client
        .post(parsed)
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = req.send().await.map_err(|e| Outcome {
        error: Some(describe(&e)),
        retry: true,
        ..Outcome::default()
    })?;
    let status = resp.status().as_u16();
    let mut kept = Vec::new();
    let mut read_error = None;
    while kept.len() < BODY_KEPT_BYTES {
        match resp.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                read_error = Some(describe(&e));
                break;
            }
        }
    }
    kept.truncate(BODY_KEPT_BYTES);
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    // A cut inside a character leaves a replacement mark at the end; drop it.
    while text.ends_with('\u{fffd}') && kept.len() == BODY_KEPT_BYTES {
        text.pop();
    }
    let error = match status {
        200..=299 => read_error,
        300..=399 => Some(format!(
            "answered {status} (a redirect{}); redirects are not followed",
            resp.headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(|l| format!(" to {l}"))
                .unwrap_or_default()
        )),
        _ => Some(format!("answered {status}")),
    };
    Ok(Outcome {
        status: Some(status),
        body: Some(text),
        error,
        retry: status >= 500 || status == 408 || status == 429,
        duration_ms: 0,
    })
}

/// A reqwest error with its causes, in one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        format!("timed out after {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_must_be_http_with_a_host_and_no_credentials() {
        assert!(check_url("https://hooks.slack.com/services/x").is_ok());
        assert!(check_url("ftp://x.org/").is_err());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("https://user:pw@x.org/").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[tokio::test]
    async fn a_loopback_target_is_refused_without_the_switch() {
        let out = post("http://127.0.0.1:9/", &[], "{}".into(), false).await;
        let e = out.error.unwrap();
        assert!(e.contains("refused") && e.contains("127.0.0.1"), "{e}");
        assert!(!out.retry);
        let out = post("http://localhost:9/", &[], "{}".into(), false).await;
        assert!(out.error.unwrap().contains("refused"));
    }
}
