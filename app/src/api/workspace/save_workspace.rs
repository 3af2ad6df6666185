use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, WorkspaceDoc};

/// Save the signed-in viewer's Workspace (sections, panels, run selection).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn save_workspace(project: ProjectRef, doc: WorkspaceDoc) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to save your workspace").await?;
    services.save_workspace(&viewer, &project, doc).await
}
