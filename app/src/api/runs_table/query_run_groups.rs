use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{GroupsAnswer, GroupsQuery, ProjectRef};

/// The filtered runs grouped by columns, with a histogram per group and numeric column.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn query_run_groups(
    project: ProjectRef,
    query: GroupsQuery,
) -> Result<GroupsAnswer, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .runs_groups(viewer.as_ref(), &project, &query)
        .await
}
