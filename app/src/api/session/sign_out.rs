use leptos::prelude::*;

use crate::api::AppError;

/// End the session and clear the cookie.
#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::api::service::SESSION_COOKIE;
    let services = crate::api::service::services()?;
    if let Some(token) = crate::api::service::session_token() {
        services.sign_out(&token).await?;
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
    leptos_axum::redirect("/");
    Ok(())
}
