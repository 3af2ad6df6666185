use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, SectionSnapshot};

/// Keep a Workspace section (with its run selection) as a report draft, for the
/// Reports tab to open; returns the draft's name.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn save_report_draft(
    project: ProjectRef,
    snapshot: SectionSnapshot,
) -> Result<String, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to export a section").await?;
    services
        .save_report_draft(&viewer, &project, snapshot)
        .await
}
