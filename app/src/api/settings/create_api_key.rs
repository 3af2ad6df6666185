use leptos::prelude::*;

use crate::api::AppError;
use crate::model::NewApiKey;

/// Make a named API key; its secret is in the answer and nowhere else.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn create_api_key(name: String) -> Result<NewApiKey, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to make API keys").await?;
    services.create_api_key(&viewer, &name).await
}
