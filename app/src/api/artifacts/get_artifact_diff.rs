use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{VersionDiff, VersionRef};

/// How `version` differs from `other` (a version name or alias of its collection).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_diff(
    version: VersionRef,
    other: String,
) -> Result<VersionDiff, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .artifact_diff(viewer.as_ref(), &version, &other)
        .await
}
