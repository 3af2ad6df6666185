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

/// Only same-site paths are followed after sign-in, never another origin.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
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
        assert_eq!(safe_next(None), "/");
    }
}
