use leptos::prelude::*;

use crate::api::AppError;

/// Create a team with the signed-in user as its admin.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn create_team(name: String) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to create a team").await?;
    services.create_team(&viewer, name.trim()).await
}
