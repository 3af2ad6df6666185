//! The Reports tab's server functions. Reads take the report's `ReportRef`, whose
//! token (a view-only link's) lets a reader without access to the project read that
//! one report.

use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{
    BlockDiffLine, ProjectRef, ReportDraft, ReportEdit, ReportEditDone, ReportLink,
    ReportPanelData, ReportRef, ReportRevision, ReportView, ReportsIndex,
};

/// Every report of a project the viewer may see, and their exported sections.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_reports(project: ProjectRef) -> Result<ReportsIndex, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.reports_index(viewer.as_ref(), &project).await
}

/// A report drawn for reading (charts as SVG): the published revision, or the
/// draft, or an older revision.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_report(
    report: ReportRef,
    draft: bool,
    revision: Option<u32>,
) -> Result<ReportView, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .report_view(viewer.as_ref(), &report, draft, revision)
        .await
}

/// The working draft, for its editors.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_report_draft(report: ReportRef) -> Result<ReportDraft, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to edit reports").await?;
    services.report_draft(&viewer, &report).await
}

/// Change a report: save or publish the draft, restore a revision, star, share,
/// comment, delete.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn edit_report(report: ReportRef, edit: ReportEdit) -> Result<ReportEditDone, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change reports").await?;
    services.edit_report(&viewer, &report, edit).await
}

/// Make a report, empty or from an exported Workspace section; returns its path.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn create_report(
    project: ProjectRef,
    title: String,
    from_export: Option<String>,
) -> Result<String, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to write reports").await?;
    services
        .create_report(&viewer, &project, &title, from_export.as_deref())
        .await
}

/// Copy a report into another project the viewer may write; returns its path.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn clone_report(report: ReportRef, target: ProjectRef) -> Result<String, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to copy reports").await?;
    services.clone_report(&viewer, &report, &target).await
}

/// The kept revisions, newest first.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_report_revisions(report: ReportRef) -> Result<Vec<ReportRevision>, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.report_revisions(viewer.as_ref(), &report).await
}

/// What changed between two revisions (`to` empty: the draft).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_report_diff(
    report: ReportRef,
    from: u32,
    to: Option<u32>,
) -> Result<Vec<BlockDiffLine>, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .report_diff(viewer.as_ref(), &report, from, to)
        .await
}

/// A report's view-only links (project admins).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_report_links(report: ReportRef) -> Result<Vec<ReportLink>, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to manage links").await?;
    services.report_links(&viewer, &report).await
}

/// One line chart of a report with its data, zoomed to `zoom` when given: what the
/// reader's interactive chart draws (only what the report shows).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_report_panel(
    report: ReportRef,
    draft: bool,
    revision: Option<u32>,
    block: u64,
    panel: u64,
    zoom: Option<(f64, f64)>,
    buckets: u32,
) -> Result<ReportPanelData, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .report_panel(
            viewer.as_ref(),
            &report,
            (draft, revision),
            (block, panel),
            zoom,
            buckets,
        )
        .await
}

/// Put an image (a base64 `data:` URL, as the browser reads a file) into a report;
/// returns its path for an image block.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn upload_report_image(report: ReportRef, data_url: String) -> Result<String, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to add images").await?;
    services
        .upload_report_image(&viewer, &report, &data_url)
        .await
}
