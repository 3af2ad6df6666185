//! Browser hardening that every response gets, and the one way stored files are
//! sent back to browsers.
//!
//! - Pages carry their own `Content-Security-Policy` (set while rendering, because it
//!   names the page's script nonce: `app::logic::html::page_policy`). Every other
//!   response gets [`LOCKED_POLICY`]: no script, no framing, a sandbox.
//! - Everything: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
//!   `X-Frame-Options: DENY` (for browsers that ignore `frame-ancestors`).
//! - An answer to a request that carries a session cookie or an API key is private to
//!   that person: `Cache-Control: no-store`, unless the handler chose otherwise.
//! - The bundle (`/pkg`): files whose names carry a content hash never change, so
//!   they are cached for a year (`immutable`); anything else is revalidated.
//! - Stored files ([`file_response`]) are shown inline only when their type is on a
//!   short list a browser cannot run (images, plain text, JSON); all else downloads.

use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The policy of everything that is not a page: nothing runs, nothing embeds it.
pub const LOCKED_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox";

/// Cache policy of content-hashed bundle files.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether a request speaks for a signed-in person (a session cookie or a key).
fn personal(headers: &HeaderMap) -> bool {
    headers.contains_key(axum::http::header::AUTHORIZATION)
        || crate::csrf::session_cookie(headers).is_some()
}

/// Whether a `/pkg` file name carries cargo-leptos' content hash
/// (`cairn.<22 characters of base64url MD5>.wasm`), so its bytes never change.
pub fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1].len() >= 16
        && parts[1]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The layer over the whole router (see the module's header).
pub async fn layer(req: Request, next: Next) -> Response {
    let personal = personal(req.headers());
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    let ok = response.status().is_success();
    let h = response.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_POLICY),
        );
    }
    if let Some(file) = path.strip_prefix("/pkg/") {
        let cache = if is_hashed_asset(file) && ok {
            IMMUTABLE
        } else {
            "no-cache"
        };
        h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    } else if personal && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The type a stored file is shown with, when it is safe to show it at all: types a
/// browser displays but never runs. `None`: send it as a download.
pub fn inline_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "json" => "application/json",
        "txt" | "log" | "csv" | "tsv" | "yaml" | "yml" | "md" | "py" | "toml" | "cfg" | "ini" => {
            "text/plain; charset=utf-8"
        }
        _ => return None,
    })
}

/// A stored file's bytes for a browser (or the wandb client): inline for the safe
/// types of [`inline_type`], otherwise `application/octet-stream` as an attachment.
/// Either way the file's own policy forbids it to run anything.
pub fn file_response(name: &str, bytes: Vec<u8>) -> Response {
    with_file_headers(name, bytes.into_response())
}

/// [`file_response`] for a file of `size` bytes read from `reader` while it is sent, so
/// that a download of any size holds only a slice in memory.
pub fn streamed_file_response(
    name: &str,
    size: u64,
    reader: impl tokio::io::AsyncRead + Send + 'static,
) -> Response {
    let stream = tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024);
    let mut r = axum::body::Body::from_stream(stream).into_response();
    r.headers_mut()
        .insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(size));
    with_file_headers(name, r)
}

fn with_file_headers(name: &str, mut r: Response) -> Response {
    let base = name.rsplit('/').next().unwrap_or(name);
    let (content_type, disposition) = match inline_type(base) {
        Some(t) => (t, "inline"),
        None => ("application/octet-stream", "attachment"),
    };
    let disposition = format!(
        "{disposition}; filename*=UTF-8''{}",
        app::logic::url::encode_segment(base)
    );
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LOCKED_POLICY),
    );
    r
}

/// Bytes the server made (an export) as a download named `name`, never run by the
/// browser as a page of this site.
pub fn download_response(name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let mut r = bytes.into_response();
    attachment(r.headers_mut(), name, content_type);
    r.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
        ),
    );
    r
}

/// `Content-Type` and an attachment `Content-Disposition` naming `name`.
fn attachment(h: &mut axum::http::HeaderMap, name: &str, content_type: &'static str) {
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        app::logic::url::encode_segment(name)
    );
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(CONTENT_DISPOSITION, v);
    }
}

/// A zip streamed as it is written, as an attachment named `name`.
pub fn zip_response<S>(name: &str, stream: S) -> Response
where
    S: futures_lite::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
{
    let mut r = axum::body::Body::from_stream(stream).into_response();
    attachment(r.headers_mut(), name, "application/zip");
    let h = r.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LOCKED_POLICY),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_types_show_inline() {
        assert_eq!(inline_type("a/b.PNG"), Some("image/png"));
        assert_eq!(inline_type("log.txt"), Some("text/plain; charset=utf-8"));
        for bad in [
            "x.html", "x.svg", "x.js", "x.htm", "x.xml", "x", "x.pdf", ".html",
        ] {
            assert_eq!(inline_type(bad), None, "{bad}");
        }
        let r = file_response("dir/evil.html", b"<script>".to_vec());
        let h = r.headers();
        assert_eq!(h[CONTENT_TYPE], "application/octet-stream");
        assert!(h[CONTENT_DISPOSITION]
            .to_str()
            .unwrap_or("")
            .starts_with("attachment; filename*=UTF-8''evil.html"));
        assert!(h[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap_or("")
            .contains("sandbox"));
    }

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed_asset("cairn.Ab9-_cdefghijklmnopqrstu.wasm"));
        assert!(is_hashed_asset("/pkg/cairn.Ab9-_cdefghijklmnopqrstu.js"));
        assert!(!is_hashed_asset("cairn.wasm"));
        assert!(!is_hashed_asset("cairn_bg.wasm"));
        assert!(!is_hashed_asset("cairn.min.js"));
    }
}
