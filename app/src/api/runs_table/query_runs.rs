use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, RunsPage, RunsQuery};

/// One page of the project's runs, filtered and sorted on the server.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn query_runs(project: ProjectRef, query: RunsQuery) -> Result<RunsPage, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.runs_page(viewer.as_ref(), &project, &query).await
}
