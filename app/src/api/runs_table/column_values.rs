use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Values of a column that start with `prefix`, for the filter's autocompletion.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn column_values(
    project: ProjectRef,
    column: String,
    prefix: String,
) -> Result<Vec<String>, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .column_values(viewer.as_ref(), &project, &column, &prefix)
        .await
}
