use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, RunDetail, RunId};

/// One run's page data: state, timing, config, summary, console tail.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_run_detail(project: ProjectRef, run: RunId) -> Result<RunDetail, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.run_detail(viewer.as_ref(), &project, &run).await
}
