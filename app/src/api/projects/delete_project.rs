use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Delete a project (restorable by a site admin for 30 days); `confirm` is its name.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn delete_project(project: ProjectRef, confirm: String) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to delete a project").await?;
    services.delete_project(&viewer, &project, &confirm).await
}
