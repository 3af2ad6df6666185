use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{NewProject, ProjectRef};

/// Create a project from the app.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn create_project(new: NewProject) -> Result<ProjectRef, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to create a project").await?;
    services.create_project(&viewer, new).await
}
