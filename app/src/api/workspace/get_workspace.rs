use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, WorkspaceData};

/// The viewer's Workspace document (if saved), the project's metric keys and the
/// columns the runs sidebar can use.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_workspace(project: ProjectRef) -> Result<WorkspaceData, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.workspace(viewer.as_ref(), &project).await
}
