//! CSRF protection for the app's own POSTs (server functions), as an axum layer on
//! the page router. `/api/v1` and the wandb routes are not under it: they take API
//! keys in headers, which a browser never adds on its own, and ignore cookies.
//!
//! - The token is derived from the session token (SHA-256 of `csrf\n<session>`): it
//!   needs no storage, changes with every session, and cannot be guessed without
//!   the HttpOnly session cookie.
//! - This layer keeps a readable `cairn_csrf` cookie equal to it: set when a
//!   response sets the session cookie (sign-in, sign-up) or when a request carries a
//!   session but no or a stale token cookie; cleared with the session.
//! - A POST (any method but GET/HEAD/OPTIONS) that carries a session cookie must
//!   repeat the token in `x-csrf-token` (`app::api::csrf::CsrfClient` does), or, for
//!   forms posted before the page's script runs, come with an `Origin` header naming
//!   this very host.
//! - Requests a browser marks `Sec-Fetch-Site: cross-site`, or whose `Origin` is
//!   another site, are refused outright, signed in or not (this stops login CSRF:
//!   signing a victim into another account).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::api::csrf::{cookie_value, CSRF_COOKIE, CSRF_HEADER};
use app::api::service::SESSION_COOKIE;

use crate::auth::credentials::token_hash;

/// The CSRF token belonging to a session token.
pub fn token_for(session: &str) -> String {
    token_hash(&format!("csrf\n{session}"))
}

/// The session token a request carries, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| cookie_value(v, name))
        .filter(|v| !v.is_empty())
}

/// The session token a response sets: `Some(Some(t))` for a new session,
/// `Some(None)` when it clears the session, `None` when it leaves it alone.
fn session_set_by(headers: &HeaderMap) -> Option<Option<String>> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim() == SESSION_COOKIE)
        .map(|(_, value)| Some(value.trim().to_owned()).filter(|v| !v.is_empty()))
}

/// Whether the request's `Origin` is this server: the host it was sent to, the host
/// a proxy says it was sent to (`X-Forwarded-Host`), or `CAIRN_PUBLIC_URL`.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if app::api::service::public_url() == Some(origin) {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    [header::HOST.as_str(), "x-forwarded-host"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .any(|host| host == rest)
}

fn refuse(why: &str) -> Response {
    (StatusCode::FORBIDDEN, why.to_owned()).into_response()
}

fn csrf_cookie(value: &str, max_age: i64) -> Option<HeaderValue> {
    // Readable by the page's script on purpose; SameSite keeps it off other sites' requests.
    HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={value}; Path=/; SameSite=Lax; Max-Age={max_age}"
    ))
    .ok()
}

pub async fn layer(req: Request<Body>, next: Next) -> Response {
    let session = cookie(req.headers(), SESSION_COOKIE);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        let cross_site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            == Some("cross-site");
        if cross_site {
            return refuse("cross-site requests are refused");
        }
        // The token proves the page's own script sent the request.
        let token_ok = session.as_deref().is_some_and(|s| {
            let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            let expected = token_for(s);
            sent.is_some_and(|t| {
                // Compare without an early exit: the time taken says nothing about the token.
                t.len() == expected.len()
                    && t.bytes()
                        .zip(expected.bytes())
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            })
        });
        // Without the token, the browser's `Origin` says where a post comes from (a
        // page cannot forge it): one from another site is refused, also when nobody is
        // signed in (that stops login CSRF, signing a victim into the attacker's
        // account, where Sec-Fetch-Site is not sent), and a signed-in post must come
        // from this site (forms posted before the page's script runs).
        let origin = req.headers().contains_key(header::ORIGIN);
        let same_origin = same_origin(req.headers());
        if !token_ok && origin && !same_origin {
            return refuse("cross-site requests are refused");
        }
        if session.is_some() && !token_ok && !same_origin {
            return refuse(
                "this request lacks its CSRF token (x-csrf-token); reload the page and try again",
            );
        }
    }
    let had_token = cookie(req.headers(), CSRF_COOKIE);
    let mut response = next.run(req).await;
    let set = match session_set_by(response.headers()) {
        Some(Some(new)) => csrf_cookie(&token_for(&new), 30 * 24 * 3600),
        Some(None) => csrf_cookie("", 0),
        None => match &session {
            Some(s) if had_token.as_deref() != Some(token_for(s).as_str()) => {
                csrf_cookie(&token_for(s), 30 * 24 * 3600)
            }
            _ => None,
        },
    };
    if let Some(value) = set {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_host_is_the_same_origin() {
        let h = |origin: Option<&'static str>| {
            let mut m = HeaderMap::new();
            m.insert(header::HOST, HeaderValue::from_static("cairn.test:3000"));
            if let Some(o) = origin {
                m.insert(header::ORIGIN, HeaderValue::from_static(o));
            }
            m
        };
        assert!(same_origin(&h(Some("http://cairn.test:3000"))));
        assert!(same_origin(&h(Some("https://cairn.test:3000"))));
        assert!(!same_origin(&h(Some("http://evil.example"))));
        assert!(!same_origin(&h(Some(
            "http://cairn.test:3000.evil.example"
        ))));
        assert!(!same_origin(&h(Some("null"))));
        assert!(!same_origin(&h(None)));
    }

    #[test]
    fn tokens_follow_sessions() {
        assert_eq!(token_for("a"), token_for("a"));
        assert_ne!(token_for("a"), token_for("b"));
        assert_ne!(token_for("a"), token_hash("a"));
    }

    #[test]
    fn finds_the_session_a_response_sets_or_clears() {
        let mut h = HeaderMap::new();
        assert_eq!(session_set_by(&h), None);
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("other=1; Path=/"),
        );
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("cairn_session=tok; Path=/; HttpOnly"),
        );
        assert_eq!(session_set_by(&h), Some(Some("tok".into())));
        let mut h = HeaderMap::new();
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("cairn_session=; Max-Age=0"),
        );
        assert_eq!(session_set_by(&h), Some(None));
    }
}
