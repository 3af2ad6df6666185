use leptos::prelude::*;

use crate::api::AppError;
use crate::model::AccountSettings;

/// The settings page of the signed-in user.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_account_settings() -> Result<AccountSettings, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to see your settings").await?;
    services.account_settings(&viewer).await
}
