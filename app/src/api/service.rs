//! What the server functions need from storage, declared here and implemented by
//! the `server` crate over sea-orm (the hexagonal split of CONVENTIONS.md). Each
//! server function authenticates, validates, calls one method, and maps errors.

use std::sync::Arc;

use super::AppError;
use crate::model::{
    BulkAction, BulkTarget, ChartSeries, ColumnSettings, GroupsAnswer, GroupsQuery, ProjectCard,
    ProjectOverview, ProjectRef, RunDetail, RunId, RunsPage, RunsQuery, RunsTableMeta,
    SectionSnapshot, SeriesAnswer, SeriesQuery, SortSpec, Viewer, WorkspaceData, WorkspaceDoc,
};

/// The services handed to every server function through Leptos context.
#[async_trait::async_trait]
pub trait CairnService: Send + Sync + 'static {
    /// The user behind a session token, if the session is live.
    async fn viewer_for_session(&self, token: &str) -> Result<Option<Viewer>, AppError>;
    /// Check a password and open a session; returns the viewer and the new session token.
    async fn sign_in(&self, username: &str, password: &str) -> Result<(Viewer, String), AppError>;
    /// Close a session (idempotent).
    async fn sign_out(&self, token: &str) -> Result<(), AppError>;
    /// Projects the viewer may see, most recently active first.
    async fn list_projects(&self, viewer: Option<&Viewer>) -> Result<Vec<ProjectCard>, AppError>;
    /// The Overview tab's figures; `NotFound` also when the viewer may not see it.
    async fn project_overview(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<ProjectOverview, AppError>;
    /// One run with its config, summary and console tail.
    async fn run_detail(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        run: &RunId,
    ) -> Result<RunDetail, AppError>;
    /// One metric of one run, bucketed to at most `buckets` buckets.
    async fn run_series(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        run: &RunId,
        key: &str,
        buckets: usize,
    ) -> Result<ChartSeries, AppError>;
    /// One metric over several runs of a project, bucketed and optionally grouped.
    async fn series_query(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        query: &SeriesQuery,
    ) -> Result<SeriesAnswer, AppError>;
    /// The Runs tab's columns, the viewer's saved column settings and permissions.
    async fn runs_table_meta(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<RunsTableMeta, AppError>;
    /// One page of the filtered, sorted runs.
    async fn runs_page(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        query: &RunsQuery,
    ) -> Result<RunsPage, AppError>;
    /// The filtered runs grouped, with per-group histograms.
    async fn runs_groups(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        query: &GroupsQuery,
    ) -> Result<GroupsAnswer, AppError>;
    /// Existing values of a column starting with `prefix` (autocompletion).
    async fn column_values(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        column: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AppError>;
    /// Save the signed-in viewer's column settings for the project.
    async fn save_column_settings(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        settings: ColumnSettings,
    ) -> Result<(), AppError>;
    /// Delete, tag, untag or regroup runs; returns how many changed.
    async fn bulk_runs(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        target: BulkTarget,
        action: BulkAction,
    ) -> Result<u64, AppError>;
    /// The matching runs as CSV with the given columns.
    async fn runs_csv(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        filter: &str,
        sort: Option<&SortSpec>,
        columns: &[String],
    ) -> Result<String, AppError>;
    /// The Workspace's saved document, metric keys and columns.
    async fn workspace(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<WorkspaceData, AppError>;
    /// Save the signed-in viewer's Workspace document for the project.
    async fn save_workspace(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        doc: WorkspaceDoc,
    ) -> Result<(), AppError>;
    /// Keep a section snapshot as a report draft; returns the draft's name.
    async fn save_report_draft(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        snapshot: SectionSnapshot,
    ) -> Result<String, AppError>;
}

/// The handle stored in Leptos context.
pub type Services = Arc<dyn CairnService>;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cairn_session";

/// The services from context; an internal error if the server forgot to provide them.
pub fn services() -> Result<Services, AppError> {
    leptos::prelude::use_context::<Services>()
        .ok_or_else(|| AppError::Internal("services are not configured".into()))
}

/// The session token from the request's cookies, if any.
pub fn session_token() -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The signed-in viewer of this request, or `None` for an anonymous visitor.
pub async fn current_viewer(services: &Services) -> Result<Option<Viewer>, AppError> {
    match session_token() {
        Some(token) => services.viewer_for_session(&token).await,
        None => Ok(None),
    }
}
