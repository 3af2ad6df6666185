use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{BulkAction, BulkTarget, ProjectRef};

/// Delete, tag, untag or regroup the chosen runs; returns how many changed.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn bulk_update_runs(
    project: ProjectRef,
    target: BulkTarget,
    action: BulkAction,
) -> Result<u64, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to change runs").await?;
    services.bulk_runs(&viewer, &project, target, action).await
}
