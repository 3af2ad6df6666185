use leptos::prelude::*;

use crate::api::AppError;

/// Whether this server lets visitors create accounts.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn signup_enabled() -> Result<bool, AppError> {
    let services = crate::api::service::services()?;
    services.signup_enabled().await
}
