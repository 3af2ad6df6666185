use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ArtifactsIndex, ProjectRef};

/// The Artifacts tab's left column: types and their collections.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_artifacts_index(project: ProjectRef) -> Result<ArtifactsIndex, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.artifacts_index(viewer.as_ref(), &project).await
}
