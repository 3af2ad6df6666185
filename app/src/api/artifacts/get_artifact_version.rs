use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ArtifactVersion, VersionRef};

/// One version: its Overview, Metadata and Usage.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_version(version: VersionRef) -> Result<ArtifactVersion, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.artifact_version(viewer.as_ref(), &version).await
}
