use leptos::prelude::*;

use crate::api::AppError;

/// Check the credentials, set the session cookie and go to `next` (a local path).
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let (_viewer, token) = services.sign_in(username.trim(), &password).await?;
    crate::api::service::set_session_cookie(&token);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Only a path on this site is followed after sign-in, never another origin. Browsers
/// drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.example` would
/// become `//evil.example`: a path with any control character, whitespace other than
/// a plain space, or backslash is refused, as is one that starts with `//`.
pub fn safe_next(next: Option<&str>) -> String {
    let local = |p: &str| {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p
                .chars()
                .any(|c| c == '\\' || c.is_control() || (c.is_whitespace() && c != ' '))
    };
    match next {
        Some(p) if local(p) => p.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin/demo")), "/admin/demo");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        for sneaky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil",
            " //evil",
            "/\u{0}/x",
            "/\u{2028}/x",
        ] {
            assert_eq!(safe_next(Some(sneaky)), "/", "{sneaky:?}");
        }
        assert_eq!(safe_next(Some("/a b/runs?x=1#y")), "/a b/runs?x=1#y");
        assert_eq!(safe_next(None), "/");
    }
}
