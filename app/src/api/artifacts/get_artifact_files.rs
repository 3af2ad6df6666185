use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{FilesPage, VersionRef};

/// One page of one folder of a version's files.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_files(
    version: VersionRef,
    prefix: String,
    offset: u64,
) -> Result<FilesPage, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .artifact_files(viewer.as_ref(), &version, &prefix, offset)
        .await
}
