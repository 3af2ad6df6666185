use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectEdit, ProjectRef};

/// Rename, describe or change the visibility of a project; returns where it lives now.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn edit_project(project: ProjectRef, edit: ProjectEdit) -> Result<ProjectRef, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change a project").await?;
    services.edit_project(&viewer, &project, edit).await
}
