use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Site admins: bring back a deleted project.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn restore_project(id: i32) -> Result<ProjectRef, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in as an admin").await?;
    services.restore_project(&viewer, id).await
}
