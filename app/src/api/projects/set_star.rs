use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Star or unstar a project.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn set_star(project: ProjectRef, starred: bool) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to star projects").await?;
    services.set_star(&viewer, &project, starred).await
}
