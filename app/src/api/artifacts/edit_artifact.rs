use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ArtifactEdit, VersionRef};

/// Change a version or its collection (aliases, tags, descriptions, TTL, deletion).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn edit_artifact(version: VersionRef, edit: ArtifactEdit) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change artifacts").await?;
    services.edit_artifact(&viewer, &version, edit).await
}
