use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{LineageGraph, VersionRef};

/// The lineage graph around a version, `depth` steps each way.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_lineage(
    version: VersionRef,
    depth: usize,
) -> Result<LineageGraph, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .artifact_lineage(viewer.as_ref(), &version, depth)
        .await
}
