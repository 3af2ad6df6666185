//! `CairnService` over the database: what the Leptos server functions call.

use sea_orm::DatabaseConnection;

use app::api::service::CairnService;
use app::api::AppError;
use app::model::{
    report_href, BlockDiffLine, ReportDraft, ReportEdit, ReportEditDone, ReportLink,
    ReportPanelData, ReportRef, ReportRevision, ReportView, ReportsIndex,
};
use app::model::{
    AccountSettings, BulkAction, BulkTarget, ColumnSettings, EntityProfile, GroupsAnswer,
    GroupsQuery, NewApiKey, NewProject, ProjectCard, ProjectEdit, ProjectOverview, ProjectRef,
    RunDetail, RunId, RunsPage, RunsQuery, RunsTableMeta, SectionSnapshot, SeriesAnswer,
    SeriesQuery, SortSpec, TeamRole, Viewer, WorkspaceData, WorkspaceDoc,
};
use app::model::{
    ArtifactEdit, ArtifactEvent, ArtifactVersion, ArtifactsIndex, FilePreview, FilesPage,
    LineageGraph, VersionDiff, VersionRef, VersionsPage, VersionsQuery, FILES_PER_PAGE,
};

use super::{accounts, artifacts, automations, reads, reports, runs_table, sweeps, workspace};
use crate::auth::credentials::{new_session_token, token_hash, verify_password_limited};
use crate::auth::limiter;
use crate::blobs::BlobStore;
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::users;
use crate::db::write::Writer;
use crate::error::ApiError;
use crate::metrics::cache::MetaCache;
use std::sync::Arc;

/// How long a session lasts.
const SESSION_MS: i64 = 30 * 24 * 3600 * 1000;

pub struct UiService {
    db: DatabaseConnection,
    blobs: BlobStore,
    chart_cache: Arc<MetaCache>,
    writer: Writer,
    delivery: automations::Delivery,
}

impl UiService {
    pub fn new(
        db: DatabaseConnection,
        blobs: BlobStore,
        chart_cache: Arc<MetaCache>,
        writer: Writer,
        delivery: automations::Delivery,
    ) -> Self {
        Self {
            db,
            blobs,
            chart_cache,
            writer,
            delivery,
        }
    }

    /// The signed-in user, or `Unauthorized`.
    async fn signed_in(&self, viewer: &Viewer) -> Result<user::Model, AppError> {
        self.user_of(Some(viewer))
            .await?
            .ok_or_else(|| AppError::Unauthorized("sign in first".into()))
    }

    /// Check a password against an argon2 hash, within the process-wide argon2 limit.
    async fn password_matches(&self, password: &str, hash: String) -> Result<bool, AppError> {
        verify_password_limited(password, hash)
            .await
            .map_err(|e| AppError::Internal(format!("password check failed: {e}")))
    }

    /// Open a 30-day session for the user; returns its token.
    async fn open_session(&self, user: &user::Model) -> Result<String, AppError> {
        let token = new_session_token();
        let now = now_ms();
        users::insert_session(
            &self.db,
            user.id,
            &token_hash(&token),
            now,
            now + SESSION_MS,
        )
        .await
        .map_err(ApiError::from)?;
        Ok(token)
    }

    async fn user_of(&self, viewer: Option<&Viewer>) -> Result<Option<user::Model>, AppError> {
        match viewer {
            Some(v) => Ok(users::find_by_username(&self.db, &v.username)
                .await
                .map_err(ApiError::from)?),
            None => Ok(None),
        }
    }
}

/// A valid argon2 hash of nothing anyone types, to check unknown names against.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::auth::credentials::hash_password("no user has this password").unwrap_or_default()
    })
}

fn viewer_of(u: &user::Model) -> Viewer {
    Viewer {
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        is_admin: u.is_admin,
    }
}

#[async_trait::async_trait]
impl CairnService for UiService {
    async fn viewer_for_session(&self, token: &str) -> Result<Option<Viewer>, AppError> {
        let user = users::user_for_session(&self.db, &token_hash(token), now_ms())
            .await
            .map_err(ApiError::from)?;
        Ok(user.as_ref().map(viewer_of))
    }

    async fn sign_in(&self, username: &str, password: &str) -> Result<(Viewer, String), AppError> {
        let refused = || AppError::Unauthorized("wrong username or password".into());
        let counted = limiter::attempt(&self.db, username, now_ms())
            .await
            .map_err(ApiError::from)?;
        if let Err(wait_ms) = counted {
            return Err(AppError::TooManyRequests(format!(
                "too many failed sign-ins for {username:?}; try again in {} minutes",
                (wait_ms + 59_999) / 60_000
            )));
        }
        let user = users::find_by_username(&self.db, username)
            .await
            .map_err(ApiError::from)?;
        // An unknown name costs the same argon2 check as a known one, so the time taken
        // does not tell which names exist.
        let hash = match &user {
            Some(u) => u.password_hash.clone(),
            None => dummy_hash().to_owned(),
        };
        let ok = self.password_matches(password, hash).await?;
        let Some(user) = user.filter(|_| ok) else {
            return Err(refused());
        };
        limiter::succeeded(&self.db, username)
            .await
            .map_err(ApiError::from)?;
        let token = self.open_session(&user).await?;
        Ok((viewer_of(&user), token))
    }

    async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        Ok(users::delete_session(&self.db, &token_hash(token))
            .await
            .map_err(ApiError::from)?)
    }

    async fn sign_up(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> Result<(Viewer, String), AppError> {
        let user = accounts::sign_up(&self.db, username, display_name, password).await?;
        let token = self.open_session(&user).await?;
        Ok((viewer_of(&user), token))
    }

    async fn signup_enabled(&self) -> Result<bool, AppError> {
        Ok(accounts::signup_enabled(&self.db).await?)
    }

    async fn change_password(
        &self,
        viewer: &Viewer,
        session_token: &str,
        old: &str,
        new: &str,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        if !self
            .password_matches(old, user.password_hash.clone())
            .await?
        {
            return Err(AppError::BadRequest("the current password is wrong".into()));
        }
        accounts::set_password(&self.db, &user, new, Some(session_token)).await?;
        Ok(())
    }

    async fn account_settings(&self, viewer: &Viewer) -> Result<AccountSettings, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::settings(&self.db, &user).await?)
    }

    async fn create_api_key(&self, viewer: &Viewer, name: &str) -> Result<NewApiKey, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::create_api_key(&self.db, &user, name).await?)
    }

    async fn revoke_api_key(&self, viewer: &Viewer, id: i32) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::revoke_api_key(&self.db, &user, id).await?)
    }

    async fn set_signup_enabled(&self, viewer: &Viewer, on: bool) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::set_signup_enabled(&self.db, &user, on).await?)
    }

    async fn restore_project(&self, viewer: &Viewer, id: i32) -> Result<ProjectRef, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::restore_project(&self.db, &user, id).await?)
    }

    async fn entity_profile(
        &self,
        viewer: Option<&Viewer>,
        name: &str,
    ) -> Result<EntityProfile, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(accounts::profile(&self.db, user.as_ref(), name).await?)
    }

    async fn create_team(&self, viewer: &Viewer, name: &str) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::create_team(&self.db, &user, name).await?)
    }

    async fn set_team_member(
        &self,
        viewer: &Viewer,
        team: &str,
        username: &str,
        role: Option<TeamRole>,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::set_team_member(&self.db, &user, team, username, role).await?)
    }

    async fn create_project(
        &self,
        viewer: &Viewer,
        new: NewProject,
    ) -> Result<ProjectRef, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::create_project(&self.db, &user, new).await?)
    }

    async fn edit_project(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        edit: ProjectEdit,
    ) -> Result<ProjectRef, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::edit_project(&self.db, &user, project, edit).await?)
    }

    async fn set_star(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        on: bool,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::set_star(&self.db, &user, project, on).await?)
    }

    async fn set_project_member(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        username: &str,
        on: bool,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::set_project_member(&self.db, &user, project, username, on).await?)
    }

    async fn delete_project(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        confirm: &str,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::delete_project(&self.db, &user, project, confirm).await?)
    }

    async fn undelete_runs(&self, viewer: &Viewer, project: &ProjectRef) -> Result<u64, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(accounts::undelete_runs(&self.db, &user, project).await?)
    }

    async fn list_projects(&self, viewer: Option<&Viewer>) -> Result<Vec<ProjectCard>, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reads::list_projects(&self.db, user.as_ref()).await?)
    }

    async fn project_overview(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<ProjectOverview, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reads::project_overview(&self.db, user.as_ref(), project).await?)
    }

    async fn run_detail(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        run: &RunId,
    ) -> Result<RunDetail, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reads::run_detail(&self.db, user.as_ref(), project, run).await?)
    }

    async fn series_query(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        query: &SeriesQuery,
    ) -> Result<SeriesAnswer, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reads::series_query(&self.db, &self.chart_cache, user.as_ref(), project, query).await?)
    }

    async fn runs_table_meta(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<RunsTableMeta, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(runs_table::table_meta(&self.db, user.as_ref(), project).await?)
    }

    async fn runs_page(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        query: &RunsQuery,
    ) -> Result<RunsPage, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(runs_table::runs_page(&self.db, user.as_ref(), project, query).await?)
    }

    async fn runs_groups(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        query: &GroupsQuery,
    ) -> Result<GroupsAnswer, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(runs_table::groups(&self.db, user.as_ref(), project, query).await?)
    }

    async fn column_values(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        column: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(runs_table::column_values(&self.db, user.as_ref(), project, column, prefix).await?)
    }

    async fn save_column_settings(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        settings: ColumnSettings,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(runs_table::save_settings(&self.db, &user, project, settings).await?)
    }

    async fn bulk_runs(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        target: BulkTarget,
        action: BulkAction,
    ) -> Result<u64, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(runs_table::bulk(&self.writer, user, project.clone(), target, action).await?)
    }

    async fn runs_csv(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        filter: &str,
        sort: Option<&SortSpec>,
        columns: &[String],
    ) -> Result<String, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(runs_table::csv(&self.db, user.as_ref(), project, filter, sort, columns).await?)
    }

    async fn workspace(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<WorkspaceData, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(workspace::workspace_data(&self.db, user.as_ref(), project).await?)
    }

    async fn save_workspace(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        doc: WorkspaceDoc,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(workspace::save_workspace(&self.db, &user, project, doc).await?)
    }

    async fn save_report_draft(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        snapshot: SectionSnapshot,
    ) -> Result<String, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(workspace::save_report_draft(&self.db, &user, project, snapshot).await?)
    }

    async fn artifacts_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<ArtifactsIndex, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(artifacts::index(&self.db, user.as_ref(), project).await?)
    }

    async fn artifact_versions(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        type_name: &str,
        query: &VersionsQuery,
    ) -> Result<VersionsPage, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(
            artifacts::versions_page(&self.db, user.as_ref(), project, Some(type_name), query)
                .await?,
        )
    }

    async fn artifact_version(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
    ) -> Result<ArtifactVersion, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(artifacts::version_detail(&self.db, user.as_ref(), version).await?)
    }

    async fn artifact_files(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        prefix: &str,
        offset: u64,
    ) -> Result<FilesPage, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(artifacts::files_page(
            &self.db,
            user.as_ref(),
            version,
            prefix,
            offset,
            FILES_PER_PAGE,
        )
        .await?)
    }

    async fn artifact_preview(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        path: &str,
    ) -> Result<FilePreview, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(artifacts::preview(&self.db, &self.blobs, user.as_ref(), version, path).await?)
    }

    async fn artifact_lineage(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        depth: usize,
    ) -> Result<LineageGraph, AppError> {
        let user = self.user_of(viewer).await?;
        let focus = artifacts::Focus::Version(version.clone());
        Ok(artifacts::lineage(&self.db, user.as_ref(), &focus, depth).await?)
    }

    async fn artifact_events(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
    ) -> Result<Vec<ArtifactEvent>, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(artifacts::events(
            &self.db,
            user.as_ref(),
            &version.project,
            Some(&version.type_name),
            &version.collection,
        )
        .await?)
    }

    async fn artifact_diff(
        &self,
        viewer: Option<&Viewer>,
        version: &VersionRef,
        other: &str,
    ) -> Result<VersionDiff, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(artifacts::diff(&self.db, &self.blobs, user.as_ref(), version, other).await?)
    }

    async fn edit_artifact(
        &self,
        viewer: &Viewer,
        version: &VersionRef,
        edit: ArtifactEdit,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(artifacts::edit(&self.db, &user, version, edit, artifacts::Door::Ui).await?)
    }

    async fn restore_artifact_collection(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(artifacts::restore_collection(&self.db, &user, project, id).await?)
    }

    async fn run_artifacts(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        run: &RunId,
    ) -> Result<LineageGraph, AppError> {
        let user = self.user_of(viewer).await?;
        let focus = artifacts::Focus::Run(project.clone(), run.clone());
        Ok(artifacts::lineage(&self.db, user.as_ref(), &focus, 1).await?)
    }

    async fn reports_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<ReportsIndex, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reports::index(&self.db, user.as_ref(), project).await?)
    }

    async fn report_view(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
        draft: bool,
        revision: Option<u32>,
    ) -> Result<ReportView, AppError> {
        let user = self.user_of(viewer).await?;
        let showing = reports::Showing::of(draft, revision);
        Ok(reports::view(&self.db, &self.chart_cache, user.as_ref(), report, showing).await?)
    }

    async fn report_draft(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
    ) -> Result<ReportDraft, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(reports::draft(&self.db, Some(&user), report).await?)
    }

    async fn edit_report(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
        edit: ReportEdit,
    ) -> Result<ReportEditDone, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(reports::edit(&self.db, &user, report, edit).await?)
    }

    async fn create_report(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        title: &str,
        from_export: Option<&str>,
    ) -> Result<String, AppError> {
        let user = self.signed_in(viewer).await?;
        let (id, title) =
            reports::create_report(&self.db, &user, project, title, from_export).await?;
        Ok(report_href(project, &title, id))
    }

    async fn clone_report(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
        target: &ProjectRef,
    ) -> Result<String, AppError> {
        let user = self.signed_in(viewer).await?;
        let (at, id, title) = reports::clone_report(&self.db, &user, report, target).await?;
        Ok(report_href(&at, &title, id))
    }

    async fn report_revisions(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
    ) -> Result<Vec<ReportRevision>, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reports::revisions(&self.db, user.as_ref(), report).await?)
    }

    async fn report_diff(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
        from: u32,
        to: Option<u32>,
    ) -> Result<Vec<BlockDiffLine>, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reports::revision_diff(&self.db, user.as_ref(), report, from, to).await?)
    }

    async fn report_links(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
    ) -> Result<Vec<ReportLink>, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(reports::links(&self.db, Some(&user), report).await?)
    }

    async fn report_panel(
        &self,
        viewer: Option<&Viewer>,
        report: &ReportRef,
        (draft, revision): (bool, Option<u32>),
        panel: (u64, u64),
        zoom: Option<(f64, f64)>,
        buckets: u32,
    ) -> Result<ReportPanelData, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reports::panel_data(
            &self.db,
            &self.chart_cache,
            user.as_ref(),
            report,
            reports::Showing::of(draft, revision),
            panel,
            zoom,
            buckets,
        )
        .await?)
    }

    async fn upload_report_image(
        &self,
        viewer: &Viewer,
        report: &ReportRef,
        data_url: &str,
    ) -> Result<String, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(reports::images::upload(&self.db, &self.blobs, &user, report, data_url).await?)
    }

    async fn sweeps_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<app::model::SweepsIndex, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(sweeps::index(&self.db, user.as_ref(), project).await?)
    }

    async fn sweep_view(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        name: &str,
    ) -> Result<app::model::SweepView, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(sweeps::view(&self.db, user.as_ref(), project, name).await?)
    }

    async fn create_sweep(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        config: &str,
        name: Option<&str>,
    ) -> Result<app::model::SweepCreated, AppError> {
        let user = self.signed_in(viewer).await?;
        let (f, warnings) = sweeps::create(
            &self.db,
            &user,
            sweeps::Create {
                entity: Some(&project.entity),
                project: Some(&project.project),
                config,
                display_name: name.filter(|n| !n.trim().is_empty()),
                controller: None,
                prior_runs: Vec::new(),
            },
        )
        .await?;
        Ok(f.created(warnings))
    }

    async fn sweep_act(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        name: &str,
        action: app::model::SweepAction,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        sweeps::act(&self.db, &user, project, name, action).await?;
        Ok(())
    }

    async fn automations_index(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
    ) -> Result<app::model::AutomationsIndex, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(automations::index(&self.db, user.as_ref(), project).await?)
    }

    async fn automation_history(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        id: i32,
        query: &app::model::HistoryQuery,
    ) -> Result<app::model::AutomationHistory, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(automations::history(
            &self.db,
            &self.delivery.key,
            user.as_ref(),
            project,
            id,
            query,
        )
        .await?)
    }

    async fn save_automation(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: Option<i32>,
        spec: app::model::AutomationSpec,
    ) -> Result<app::model::AutomationView, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(match id {
            None => automations::create(&self.db, &user, project, spec).await?,
            Some(id) => automations::update(&self.db, &user, project, id, spec).await?,
        })
    }

    async fn change_automation(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
        change: app::api::automations::AutomationChange,
    ) -> Result<(), AppError> {
        use app::api::automations::AutomationChange as C;
        let user = self.signed_in(viewer).await?;
        match change {
            C::Enable => automations::set_enabled(&self.db, &user, project, id, true).await?,
            C::Disable => automations::set_enabled(&self.db, &user, project, id, false).await?,
            C::Delete => automations::delete(&self.db, &user, project, id).await?,
        }
        Ok(())
    }

    async fn test_automation(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
    ) -> Result<app::model::ExecutionView, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(automations::test(&self.delivery, &user, project, id).await?)
    }

    async fn redeliver_execution(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        id: i32,
        execution: i64,
    ) -> Result<app::model::ExecutionView, AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(automations::redeliver(&self.delivery, &user, project, id, execution).await?)
    }

    async fn set_automation_secret(
        &self,
        viewer: &Viewer,
        project: &ProjectRef,
        name: &str,
        value: Option<String>,
    ) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        automations::secrets::set(
            &self.db,
            &self.delivery.key,
            &user,
            project,
            name,
            value.as_deref(),
        )
        .await?;
        Ok(())
    }

    async fn set_private_webhooks(&self, viewer: &Viewer, on: bool) -> Result<(), AppError> {
        let user = self.signed_in(viewer).await?;
        Ok(automations::set_allow_internal(&self.db, &user, on).await?)
    }
}
