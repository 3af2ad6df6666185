//! What the server functions need from storage, declared here and implemented by
//! the `server` crate over sea-orm (the hexagonal split of CONVENTIONS.md). Each
//! server function authenticates, validates, calls one method, and maps errors.

use std::sync::Arc;

use super::AppError;
use crate::model::{
    AccountSettings, BulkAction, BulkTarget, ColumnSettings, EntityProfile, GroupsAnswer,
    GroupsQuery, NewApiKey, NewProject, ProjectCard, ProjectEdit, ProjectOverview, ProjectRef,
    RunDetail, RunId, RunsPage, RunsQuery, RunsTableMeta, SectionSnapshot, SeriesAnswer,
    SeriesQuery, SortSpec, TeamRole, Viewer, WorkspaceData, WorkspaceDoc,
};
use crate::model::{
    ArtifactEdit, ArtifactEvent, ArtifactVersion, ArtifactsIndex, FilePreview, FilesPage,
    LineageGraph, VersionDiff, VersionRef, VersionsPage, VersionsQuery,
};
use crate::model::{
    BlockDiffLine, ReportDraft, ReportEdit, ReportEditDone, ReportLink, ReportPanelData, ReportRef,
    ReportRevision, ReportView, ReportsIndex,
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
    /// Create an account (when sign-up is on) and open a session for it.
    async fn sign_up(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<(Viewer, String), AppError>;
    /// Whether visitors may create accounts.
    async fn signup_enabled(&self) -> Result<bool, AppError>;
    /// Change the viewer's password; every other session of theirs ends.
    async fn change_password(
        &self,
        viewer: &Viewer,
        session_token: &str,
        old: &str,
        new: &str,
    ) -> Result<(), AppError>;
    /// The settings page: API keys, teams, and for site admins the site switches.
    async fn account_settings(&self, viewer: &Viewer) -> Result<AccountSettings, AppError>;
    async fn create_api_key(&self, viewer: &Viewer, name: &str) -> Result<NewApiKey, AppError>;
    async fn revoke_api_key(&self, viewer: &Viewer, id: i32) -> Result<(), AppError>;
    /// Site admins: allow or forbid sign-up.
    async fn set_signup_enabled(&self, viewer: &Viewer, on: bool) -> Result<(), AppError>;
    /// Site admins: bring back a deleted project.
    async fn restore_project(&self, viewer: &Viewer, id: i32) -> Result<ProjectRef, AppError>;
    /// The `/{entity}` profile page.
    async fn entity_profile(
        &self,
        viewer: Option<&Viewer>,
        name: &str,
    ) -> Result<EntityProfile, AppError>;
    async fn create_team(&self, viewer: &Viewer, name: &str) -> Result<(), AppError>;
    /// Add a user to a team, change their role, or remove them (`None`).
    async fn set_team_member(
        &self,
        viewer: &Viewer,
        team: &str,
        username: &str,
        role: Option<TeamRole>,
    ) -> Result<(), AppError>;
    async fn create_project(
        &self,
        viewer: &Viewer,
        new: NewProject,
    ) -> Result<ProjectRef, AppError>;
    /// Rename, describe or change the visibility of a project; returns its place.
    async fn edit_project(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        edit: ProjectEdit,
    ) -> Result<ProjectRef, AppError>;
    async fn set_star(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        on: bool,
    ) -> Result<(), AppError>;
    /// Put a user on, or take them off, a restricted project's member list.
    async fn set_project_member(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        username: &str,
        on: bool,
    ) -> Result<(), AppError>;
    /// Soft-delete a project; `confirm` must be its name.
    async fn delete_project(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        confirm: &str,
    ) -> Result<(), AppError>;
    /// Bring back all soft-deleted runs; returns how many.
    async fn undelete_runs(&self, viewer: &Viewer, project: &ProjectRef) -> Result<u64, AppError>;
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

    // The Artifacts tab.
    async fn artifacts_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<ArtifactsIndex, AppError>;
    async fn artifact_versions(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        type_name: &str,
        query: &VersionsQuery,
    ) -> Result<VersionsPage, AppError>;
    async fn artifact_version(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
    ) -> Result<ArtifactVersion, AppError>;
    async fn artifact_files(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        prefix: &str,
        offset: u64,
    ) -> Result<FilesPage, AppError>;
    async fn artifact_preview(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        path: &str,
    ) -> Result<FilePreview, AppError>;
    async fn artifact_lineage(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        depth: usize,
    ) -> Result<LineageGraph, AppError>;
    async fn artifact_events(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
    ) -> Result<Vec<ArtifactEvent>, AppError>;
    async fn artifact_diff(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        other: &str,
    ) -> Result<VersionDiff, AppError>;
    async fn edit_artifact(
        &self,
        viewer: &Viewer,
        version: &VersionRef,
        edit: ArtifactEdit,
    ) -> Result<(), AppError>;
    /// A project admin brings back a deleted collection.
    async fn restore_artifact_collection(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
    ) -> Result<(), AppError>;
    /// What a run logged and used (its lineage one step each way).
    async fn run_artifacts(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        run: &RunId,
    ) -> Result<LineageGraph, AppError>;
    /// The Reports tab.
    async fn reports_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<ReportsIndex, AppError>;
    /// A report drawn for reading: the published revision, or the draft (`draft`,
    /// writers) or an older revision (`revision`).
    async fn report_view(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
        draft: bool,
        revision: Option<u32>,
    ) -> Result<ReportView, AppError>;
    /// The working draft, for its editors.
    async fn report_draft(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
    ) -> Result<ReportDraft, AppError>;
    async fn edit_report(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
        edit: ReportEdit,
    ) -> Result<ReportEditDone, AppError>;
    /// A new report, empty or from an exported Workspace section; its path.
    async fn create_report(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        title: &str,
        from_export: Option<&str>,
    ) -> Result<String, AppError>;
    /// A copy of a report in another project; its path.
    async fn clone_report(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
        target: &ProjectRef,
    ) -> Result<String, AppError>;
    async fn report_revisions(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
    ) -> Result<Vec<ReportRevision>, AppError>;
    /// Blocks changed from revision `from` to `to` (the draft when `None`).
    async fn report_diff(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
        from: u32,
        to: Option<u32>,
    ) -> Result<Vec<BlockDiffLine>, AppError>;
    async fn report_links(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
    ) -> Result<Vec<ReportLink>, AppError>;
    /// Store an image (a base64 `data:` URL) in a report; its path.
    async fn upload_report_image(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
        data_url: &str,
    ) -> Result<String, AppError>;
    /// One line chart of a report with its data (zoomed when asked), for the
    /// reader's interactive chart.
    async fn report_panel(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
        shown: (bool, Option<u32>),
        panel: (u64, u64),
        zoom: Option<(f64, f64)>,
        buckets: u32,
    ) -> Result<ReportPanelData, AppError>;

    // ---- sweeps ----
    /// A project's sweeps.
    async fn sweeps_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<crate::model::SweepsIndex, AppError>;
    /// A sweep's page: config, runs with their parameters, agents, importance.
    async fn sweep_view(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        name: &str,
    ) -> Result<crate::model::SweepView, AppError>;
    /// A new sweep from YAML or JSON.
    async fn create_sweep(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        config: &str,
        name: Option<&str>,
    ) -> Result<crate::model::SweepCreated, AppError>;
    /// Pause, resume, stop, cancel or re-queue a sweep.
    async fn sweep_act(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        name: &str,
        action: crate::model::SweepAction,
    ) -> Result<(), AppError>;

    // ---- automations ----
    /// A project's automations (for its writers).
    async fn automations_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<crate::model::AutomationsIndex, AppError>;
    /// An automation's history, searched, sorted, a page.
    async fn automation_history(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        id: i32,
        query: &crate::model::HistoryQuery,
    ) -> Result<crate::model::AutomationHistory, AppError>;
    /// Create (`id` None) or replace an automation.
    async fn save_automation(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: Option<i32>,
        spec: crate::model::AutomationSpec,
    ) -> Result<crate::model::AutomationView, AppError>;
    /// Enable, disable or delete an automation.
    async fn change_automation(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
        change: crate::api::automations::AutomationChange,
    ) -> Result<(), AppError>;
    /// Send a sample payload now.
    async fn test_automation(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
    ) -> Result<crate::model::ExecutionView, AppError>;
    /// Queue a past execution again.
    async fn redeliver_execution(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
        execution: i64,
    ) -> Result<crate::model::ExecutionView, AppError>;
    /// Set or delete a secret of the project's team or user.
    async fn set_automation_secret(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        name: &str,
        value: Option<String>,
    ) -> Result<(), AppError>;
    /// Site admins: allow private webhook targets.
    async fn set_private_webhooks(&self, viewer: &Viewer, on: bool) -> Result<(), AppError>;
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

/// The signed-in viewer, or `Unauthorized` with `why` ("sign in to …").
pub async fn require_viewer(services: &Services, why: &str) -> Result<Viewer, AppError> {
    current_viewer(services)
        .await?
        .ok_or_else(|| AppError::Unauthorized(why.to_owned()))
}

static PUBLIC_URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Tell the app the address people reach this server at (the server's
/// `CAIRN_PUBLIC_URL`, without a trailing `/`). The server calls this once at start;
/// later calls change nothing.
pub fn set_public_url(url: Option<String>) {
    let _ = PUBLIC_URL.set(url);
}

/// The address set by [`set_public_url`]; `None` when unset (then links follow the
/// request's own host).
pub fn public_url() -> Option<&'static str> {
    PUBLIC_URL.get().and_then(|u| u.as_deref())
}

/// Whether cookies should carry `Secure`: behind HTTPS (a proxy saying so, or
/// `CAIRN_PUBLIC_URL` starting with `https://`). Plain-HTTP local use keeps working.
fn secure_cookies() -> bool {
    let proxied_https = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.eq_ignore_ascii_case("https"))
        })
        .unwrap_or(false);
    proxied_https || public_url().is_some_and(|u| u.starts_with("https://"))
}

fn append_cookie(cookie: &str) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(value) = http::HeaderValue::from_str(cookie) {
            response.append_header(http::header::SET_COOKIE, value);
        }
    }
}

/// Set the session cookie (HttpOnly, SameSite=Lax, 30 days). The server's CSRF layer
/// adds the matching readable CSRF cookie to the same response.
pub fn set_session_cookie(token: &str) {
    let secure = if secure_cookies() { "; Secure" } else { "" };
    append_cookie(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        30 * 24 * 3600
    ));
}

/// Clear the session cookie (the CSRF layer clears its cookie too).
pub fn clear_session_cookie() {
    append_cookie(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ));
}
