use leptos::prelude::*;

use crate::api::AppError;

/// End the session and clear the cookie.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn sign_out() -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    if let Some(token) = crate::api::service::session_token() {
        services.sign_out(&token).await?;
    }
    crate::api::service::clear_session_cookie();
    leptos_axum::redirect("/");
    Ok(())
}
