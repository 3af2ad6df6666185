use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{FilePreview, VersionRef};

/// A preview of one file of a version (text, a table, an image link).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_preview(
    version: VersionRef,
    path: String,
) -> Result<FilePreview, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .artifact_preview(viewer.as_ref(), &version, &path)
        .await
}
