use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, RunsTableMeta};

/// The Runs tab's columns, the viewer's saved column settings and permissions.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_runs_table_meta(project: ProjectRef) -> Result<RunsTableMeta, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.runs_table_meta(viewer.as_ref(), &project).await
}
