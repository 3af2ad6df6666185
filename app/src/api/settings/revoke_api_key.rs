use leptos::prelude::*;

use crate::api::AppError;

/// Revoke one of the user's API keys (idempotent).
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn revoke_api_key(id: i32) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to revoke API keys").await?;
    services.revoke_api_key(&viewer, id).await
}
