use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectOverview, ProjectRef};

/// The Overview tab of one project.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_project_overview(project: ProjectRef) -> Result<ProjectOverview, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.project_overview(viewer.as_ref(), &project).await
}
