use leptos::prelude::*;

use crate::api::AppError;
use crate::model::Viewer;

/// The signed-in user, or `None` for an anonymous visitor.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn current_user() -> Result<Option<Viewer>, AppError> {
    let services = crate::api::service::services()?;
    crate::api::service::current_viewer(&services).await
}
