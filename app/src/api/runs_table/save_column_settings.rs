use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ColumnSettings, ProjectRef};

/// Save the signed-in viewer's column order, pins and visibility for the project.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn save_column_settings(
    project: ProjectRef,
    settings: ColumnSettings,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to save column settings").await?;
    services
        .save_column_settings(&viewer, &project, settings)
        .await
}
