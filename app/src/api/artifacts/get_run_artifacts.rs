use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{LineageGraph, ProjectRef, RunId};

/// The versions a run logged and used (its lineage one step each way).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_run_artifacts(project: ProjectRef, run: RunId) -> Result<LineageGraph, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .run_artifacts(viewer.as_ref(), &project, &run)
        .await
}
