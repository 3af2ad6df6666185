use leptos::prelude::*;

use crate::api::AppError;

/// Create an account, sign it in and go to its profile page.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn sign_up(
    username: String,
    display_name: String,
    password: String,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let (viewer, token) = services
        .sign_up(username.trim(), &display_name, &password)
        .await?;
    crate::api::service::set_session_cookie(&token);
    leptos_axum::redirect(&format!("/{}", viewer.username));
    Ok(())
}
