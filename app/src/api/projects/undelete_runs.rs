use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Bring back every deleted run of a project; returns how many.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn undelete_runs(project: ProjectRef) -> Result<u64, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to undelete runs").await?;
    services.undelete_runs(&viewer, &project).await
}
