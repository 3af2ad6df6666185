//! `/api/v1/reports/...`: a project's reports (list, read with the server's
//! rendering, revisions), making one, and every change the Reports tab makes, over
//! the same service. A view-only link's token reads as `?share=`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use app::model::{report_href, ProjectRef, ReportEdit, ReportRef};

use super::extract::{bad_query, ApiJson, Caller, Reader};
use crate::error::ApiError;
use crate::service::reports::{self, Showing};
use crate::state::AppState;

/// The report routes, merged into the `/api/v1` router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/{entity}/{project}", get(index).post(create))
        .route("/reports/{entity}/{project}/{id}", get(read))
        .route("/reports/{entity}/{project}/{id}/edit", post(edit))
        .route("/reports/{entity}/{project}/{id}/revisions", get(revisions))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadParams {
    #[serde(default)]
    share: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    revision: Option<u32>,
}

/// The report a path names: its number, or a page's `{slug}--{id}` segment.
fn report_ref(
    e: String,
    p: String,
    id: &str,
    share: Option<String>,
) -> Result<ReportRef, ApiError> {
    let missing = ApiError::NotFound(format!("no report {id:?} in {e}/{p}"));
    ReportRef::parse(ProjectRef::new(e, p), id, share).ok_or(missing)
}

async fn index(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(reports::index(&s.db, user.as_ref(), &at).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReport {
    #[serde(default)]
    title: String,
    /// The name of one of the caller's exported Workspace sections.
    #[serde(default)]
    from_export: Option<String>,
}

async fn create(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewReport>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let (id, title) =
        reports::create_report(&s.db, &user, &at, &body.title, body.from_export.as_deref()).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(serde_json::json!({ "id": id, "title": title, "url": report_href(&at, &title, id) })),
    )
        .into_response())
}

async fn read(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, id)): Path<(String, String, String)>,
    params: Result<Query<ReadParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = params.map_err(bad_query)?;
    let r = report_ref(e, p, &id, q.share)?;
    let showing = Showing::of(q.draft, q.revision);
    Ok(
        Json(reports::view(&s.db, &s.chart_cache, user.as_ref(), &r, showing).await?)
            .into_response(),
    )
}

async fn edit(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, id)): Path<(String, String, String)>,
    ApiJson(change): ApiJson<ReportEdit>,
) -> Result<Response, ApiError> {
    let r = report_ref(e, p, &id, None)?;
    Ok(Json(reports::edit(&s.db, &user, &r, change).await?).into_response())
}

async fn revisions(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, id)): Path<(String, String, String)>,
    params: Result<Query<ReadParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = params.map_err(bad_query)?;
    let r = report_ref(e, p, &id, q.share)?;
    Ok(Json(reports::revisions(&s.db, user.as_ref(), &r).await?).into_response())
}
