use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Bring back a deleted artifact collection (project admins, within 30 days).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn restore_artifact_collection(project: ProjectRef, id: i32) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to restore artifacts").await?;
    services
        .restore_artifact_collection(&viewer, &project, id)
        .await
}
