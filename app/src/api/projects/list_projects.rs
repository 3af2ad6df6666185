use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectCard;

/// The projects the viewer may see, most recently active first.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn list_projects() -> Result<Vec<ProjectCard>, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.list_projects(viewer.as_ref()).await
}
