use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, SortSpec};

/// The current view (filter, sort, visible columns) as CSV text.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn export_runs_csv(
    project: ProjectRef,
    filter: String,
    sort: Option<SortSpec>,
    columns: Vec<String>,
) -> Result<String, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .runs_csv(viewer.as_ref(), &project, &filter, sort.as_ref(), &columns)
        .await
}
