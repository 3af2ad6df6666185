use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ArtifactEvent, VersionRef};

/// The action history of a version's collection, newest first.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_events(version: VersionRef) -> Result<Vec<ArtifactEvent>, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.artifact_events(viewer.as_ref(), &version).await
}
