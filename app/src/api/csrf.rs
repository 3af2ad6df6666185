//! The browser side of CSRF protection. The server (`server::web::csrf`) keeps a
//! readable `cairn_csrf` cookie next to the HttpOnly session cookie and refuses any
//! server-function POST from a signed-in browser that does not repeat it in the
//! `x-csrf-token` header. A page on another site can make the browser send the
//! cookies, but cannot read them, so it cannot send the header.
//!
//! Every server function names [`CsrfClient`] as its client: the default browser
//! client plus that header.

use leptos::server_fn::client::browser::BrowserClient;
use leptos::server_fn::client::Client;
use leptos::server_fn::error::FromServerFnError;
use leptos::server_fn::request::browser::BrowserRequest;
use leptos::server_fn::response::browser::BrowserResponse;

/// The cookie the browser reads the token from.
pub const CSRF_COOKIE: &str = "cairn_csrf";
/// The header it sends the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub struct CsrfClient;

impl<E, IS, OS> Client<E, IS, OS> for CsrfClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(
        req: Self::Request,
    ) -> impl std::future::Future<Output = Result<Self::Response, E>> + Send {
        #[cfg(feature = "hydrate")]
        if let Some(token) = token_from_cookie() {
            req.headers().set(CSRF_HEADER, &token);
        }
        <BrowserClient as Client<E, IS, OS>>::send(req)
    }

    #[allow(clippy::manual_async_fn)]
    fn open_websocket(
        path: &str,
    ) -> impl std::future::Future<
        Output = Result<
            (
                impl futures::Stream<
                        Item = Result<leptos::server_fn::Bytes, leptos::server_fn::Bytes>,
                    > + Send
                    + 'static,
                impl futures::Sink<leptos::server_fn::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl std::future::Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// The token from `document.cookie`, if the server set one.
#[cfg(feature = "hydrate")]
fn token_from_cookie() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let cookies = js_sys::Reflect::get(&document, &"cookie".into())
        .ok()?
        .as_string()?;
    cookie_value(&cookies, CSRF_COOKIE)
}

/// The value of cookie `name` in a `Cookie`-style string (`a=1; b=2`).
pub fn cookie_value(cookies: &str, name: &str) -> Option<String> {
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::cookie_value;

    #[test]
    fn finds_one_cookie_among_many() {
        let c = "a=1; cairn_csrf=abc; cairn_csrf_x=no";
        assert_eq!(cookie_value(c, "cairn_csrf").as_deref(), Some("abc"));
        assert_eq!(cookie_value(c, "b"), None);
        assert_eq!(cookie_value("", "a"), None);
    }
}
