use leptos::prelude::*;

use crate::api::AppError;

/// Change the password; the other sessions of the account end.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn change_password(current: String, new_password: String) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change your password").await?;
    let token = crate::api::service::session_token().unwrap_or_default();
    services
        .change_password(&viewer, &token, &current, &new_password)
        .await
}
