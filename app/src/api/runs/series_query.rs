use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, SeriesAnswer, SeriesQuery};

/// One metric over several runs, bucketed on a shared grid (and grouped when the
/// query has a `group_by`): what a workspace panel draws.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn query_series(
    project: ProjectRef,
    query: SeriesQuery,
) -> Result<SeriesAnswer, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .series_query(viewer.as_ref(), &project, &query)
        .await
}
