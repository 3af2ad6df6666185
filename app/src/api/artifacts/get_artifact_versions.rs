use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, VersionsPage, VersionsQuery};

/// A page of one collection's versions table.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_artifact_versions(
    project: ProjectRef,
    type_name: String,
    query: VersionsQuery,
) -> Result<VersionsPage, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .artifact_versions(viewer.as_ref(), &project, &type_name, &query)
        .await
}
