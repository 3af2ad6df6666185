use leptos::prelude::*;

use crate::api::AppError;

/// Site admins: allow or forbid sign-up.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn set_signup_enabled(enabled: bool) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in as an admin").await?;
    services.set_signup_enabled(&viewer, enabled).await
}
