use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, SeriesAnswer, SeriesQuery};

/// One metric over several runs, bucketed on a shared grid (and grouped when the
/// query has a `group_by`): what a workspace panel draws. The answer travels as
/// bitcode, which packs the bucket columns as binary: a 100-run chart is a fraction of
/// its JSON and decodes many times faster in the browser (`cairn bench metrics`, W3).
#[server(
    input = leptos::server_fn::codec::Json,
    output = leptos::server_fn::codec::Bitcode,
    client = crate::api::csrf::CsrfClient
)]
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
