//! `CairnService` over the database: what the Leptos server functions call.

use sea_orm::DatabaseConnection;

use app::api::service::CairnService;
use app::api::AppError;
use app::model::{
    BulkAction, BulkTarget, ChartSeries, ColumnSettings, GroupsAnswer, GroupsQuery, ProjectCard,
    ProjectOverview, ProjectRef, RunDetail, RunId, RunsPage, RunsQuery, RunsTableMeta,
    SectionSnapshot, SeriesAnswer, SeriesQuery, SortSpec, Viewer, WorkspaceData, WorkspaceDoc,
};

use super::{reads, runs_table, workspace};
use crate::auth::credentials::{new_session_token, token_hash, verify_password};
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::users;
use crate::error::ApiError;
use crate::metrics::cache::MetaCache;
use crate::metrics::writer::Writer;
use std::sync::Arc;

/// How long a session lasts.
const SESSION_MS: i64 = 30 * 24 * 3600 * 1000;

pub struct UiService {
    db: DatabaseConnection,
    chart_cache: Arc<MetaCache>,
    writer: Writer,
}

impl UiService {
    pub fn new(db: DatabaseConnection, chart_cache: Arc<MetaCache>, writer: Writer) -> Self {
        Self {
            db,
            chart_cache,
            writer,
        }
    }

    /// The signed-in user, or `Unauthorized`.
    async fn signed_in(&self, viewer: &Viewer) -> Result<user::Model, AppError> {
        self.user_of(Some(viewer))
            .await?
            .ok_or_else(|| AppError::Unauthorized("sign in first".into()))
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
        let user = users::find_by_username(&self.db, username)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(refused)?;
        // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
        let (pw, hash) = (password.to_owned(), user.password_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| AppError::Internal(format!("password check failed: {e}")))?;
        if !ok {
            return Err(refused());
        }
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
        Ok((viewer_of(&user), token))
    }

    async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        Ok(users::delete_session(&self.db, &token_hash(token))
            .await
            .map_err(ApiError::from)?)
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

    async fn run_series(
        &self,
        viewer: Option<&Viewer>,
        project: &ProjectRef,
        run: &RunId,
        key: &str,
        buckets: usize,
    ) -> Result<ChartSeries, AppError> {
        let user = self.user_of(viewer).await?;
        Ok(reads::run_series(
            &self.db,
            &self.chart_cache,
            user.as_ref(),
            project,
            run,
            key,
            buckets,
        )
        .await?)
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
}
