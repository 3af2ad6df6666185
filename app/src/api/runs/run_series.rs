use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ChartSeries, ProjectRef, RunId};

/// Most buckets a chart (or a full-fidelity read of one series) may ask for.
pub const MAX_CHART_BUCKETS: usize = 20_000;

/// One metric of one run, bucketed for a chart of about `buckets` pixels' width.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn run_series(
    project: ProjectRef,
    run: RunId,
    key: String,
    buckets: usize,
) -> Result<ChartSeries, AppError> {
    if buckets == 0 || buckets > MAX_CHART_BUCKETS {
        return Err(AppError::BadRequest(format!(
            "buckets must be between 1 and {MAX_CHART_BUCKETS}"
        )));
    }
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .run_series(viewer.as_ref(), &project, &run, &key, buckets)
        .await
}
