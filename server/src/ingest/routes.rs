//! Routes of `/api/v1`. Handlers only extract, call one operation and wrap the answer.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use app::logic::bucket::DEFAULT_BUCKETS;
use app::model::{GroupBy, ProjectRef, RunId, SeriesQuery, XAxis};

use super::extract::{ApiJson, Caller, Reader};
use crate::body_budget;
use crate::config::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::service::ops;
use crate::service::ops::types::{AppendConsole, FinishRun, LogMetrics, UpdateRun, UpsertRun};
use crate::service::reads;
use crate::state::AppState;

type RunPath = Path<(String, String, String)>;

fn at(entity: String, project: String) -> ProjectRef {
    ProjectRef::new(entity, project)
}

/// The `/api/v1` router (to be nested under that prefix).
pub fn api_router(state: AppState) -> Router {
    // Routes that read their whole body into memory share the body budget.
    let budget = axum::middleware::from_fn_with_state(state.body_budget.clone(), body_budget::hold);
    Router::new()
        .route("/viewer", get(viewer))
        .route("/projects", get(list_projects))
        .route("/projects/{entity}/{project}", get(project_overview))
        .route("/runs", post(upsert_run))
        .route("/runs/{entity}/{project}", get(list_runs))
        .route(
            "/runs/{entity}/{project}/{run}",
            get(run_detail).patch(update_run),
        )
        .route(
            "/runs/{entity}/{project}/{run}/metrics",
            post(log_metrics).layer(budget.clone()).get(read_metrics),
        )
        .route("/runs/{entity}/{project}/{run}/history", get(read_history))
        .route(
            "/series/{entity}/{project}",
            get(series_get).post(series_post),
        )
        .route(
            "/runs/{entity}/{project}/{run}/console",
            post(append_console).layer(budget.clone()),
        )
        .route("/runs/{entity}/{project}/{run}/finish", post(finish_run))
        .route("/runs/{entity}/{project}/{run}/stop", post(stop_run))
        .route(
            "/runs/{entity}/{project}/{run}/files/{*name}",
            put(upload_file).layer(budget).get(download_file),
        )
        .merge(super::artifacts::routes())
        .merge(super::reports::routes())
        .merge(super::sweeps::routes())
        .merge(super::automations::routes())
        .route("/openapi.json", get(openapi))
        .fallback(|| async {
            ApiError::NotFound("no such API route; see the README for /api/v1".into())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(crate::error::json_errors))
        .with_state(state)
}

/// The OpenAPI document of `/api/v1` (`server/src/ingest/openapi.json`; a test checks
/// it names every route and that every path it names exists).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn viewer(Caller(user): Caller) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "username": user.username,
        "display_name": user.display_name,
        "is_admin": user.is_admin,
    }))
}

async fn list_projects(
    State(s): State<AppState>,
    Reader(user): Reader,
) -> Result<Response, ApiError> {
    Ok(Json(reads::list_projects(&s.db, user.as_ref()).await?).into_response())
}

async fn project_overview(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((entity, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(
        Json(reads::project_overview(&s.db, user.as_ref(), &at(entity, project)).await?)
            .into_response(),
    )
}

async fn upsert_run(
    State(s): State<AppState>,
    Caller(user): Caller,
    ApiJson(req): ApiJson<UpsertRun>,
) -> Result<Response, ApiError> {
    let out = ops::upsert_run(&s.db, &user, req).await?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(out)).into_response())
}

async fn list_runs(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((entity, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(Json(reads::list_runs(&s.db, user.as_ref(), &at(entity, project)).await?).into_response())
}

async fn run_detail(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, r)): RunPath,
) -> Result<Response, ApiError> {
    Ok(Json(reads::run_detail(&s.db, user.as_ref(), &at(e, p), &RunId(r)).await?).into_response())
}

async fn update_run(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, r)): RunPath,
    ApiJson(req): ApiJson<UpdateRun>,
) -> Result<Response, ApiError> {
    Ok(Json(ops::update_run(&s.db, &user, &at(e, p), &r, req).await?).into_response())
}

async fn log_metrics(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, r)): RunPath,
    ApiJson(req): ApiJson<LogMetrics>,
) -> Result<Response, ApiError> {
    Ok(Json(ops::log_metrics(&s.writer, &user, &at(e, p), &r, req).await?).into_response())
}

#[derive(Deserialize)]
struct RunSeriesParams {
    key: String,
    buckets: Option<usize>,
}

async fn read_metrics(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, r)): RunPath,
    query: Result<Query<RunSeriesParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::BadRequest(format!("{e}; expected ?key=<metric>&buckets=<n>")))?;
    let buckets = q.buckets.unwrap_or(DEFAULT_BUCKETS);
    if buckets == 0 || buckets > app::api::runs::MAX_CHART_BUCKETS {
        return Err(ApiError::BadRequest(format!(
            "buckets must be between 1 and {}",
            app::api::runs::MAX_CHART_BUCKETS
        )));
    }
    Ok(Json(
        reads::run_series(
            &s.db,
            &s.chart_cache,
            user.as_ref(),
            &at(e, p),
            &RunId(r),
            &q.key,
            buckets,
        )
        .await?,
    )
    .into_response())
}

/// `GET /series/{entity}/{project}?key=…&runs=a,b&x=step&x_min=…&x_max=…&buckets=…&group_by=…`
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeriesParams {
    key: String,
    /// Comma-separated run ids.
    runs: String,
    x: Option<String>,
    x_min: Option<f64>,
    x_max: Option<f64>,
    buckets: Option<usize>,
    /// `group`, `job_type` or `config.<key>`.
    group_by: Option<String>,
}

impl SeriesParams {
    fn into_query(self) -> Result<SeriesQuery, ApiError> {
        Ok(SeriesQuery {
            runs: self
                .runs
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| RunId(r.to_owned()))
                .collect(),
            key: self.key,
            x: match self.x.as_deref() {
                Some(x) => x.parse().map_err(ApiError::BadRequest)?,
                None => XAxis::Step,
            },
            x_min: self.x_min,
            x_max: self.x_max,
            buckets: self.buckets.unwrap_or(DEFAULT_BUCKETS),
            group_by: self
                .group_by
                .map(|g| g.parse::<GroupBy>())
                .transpose()
                .map_err(ApiError::BadRequest)?,
        })
    }
}

async fn series_get(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p)): Path<(String, String)>,
    query: Result<Query<SeriesParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "{e}; expected ?key=<metric>&runs=<id,id,…>[&x=step|wall_time|relative_time][&x_min=…&x_max=…][&buckets=…][&group_by=…]"
        ))
    })?;
    let q = params.into_query()?;
    series_answer(&s, user.as_ref(), &at(e, p), &q).await
}

async fn series_post(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p)): Path<(String, String)>,
    ApiJson(q): ApiJson<SeriesQuery>,
) -> Result<Response, ApiError> {
    series_answer(&s, user.as_ref(), &at(e, p), &q).await
}

/// Answer a bucket query, saying in a `Server-Timing` header how long the engine
/// and the JSON encoding took (the benchmark reads it).
async fn series_answer(
    s: &AppState,
    user: Option<&crate::db::entities::user::Model>,
    at: &ProjectRef,
    q: &SeriesQuery,
) -> Result<Response, ApiError> {
    let t = std::time::Instant::now();
    let answer = reads::series_query(&s.db, &s.chart_cache, user, at, q).await?;
    let engine = t.elapsed();
    let t = std::time::Instant::now();
    let body = serde_json::to_vec(&answer)
        .map_err(|e| ApiError::Internal(format!("could not encode the answer: {e}")))?;
    let encode = t.elapsed();
    let timing = format!(
        "engine;dur={:.2}, encode;dur={:.2}",
        engine.as_secs_f64() * 1000.0,
        encode.as_secs_f64() * 1000.0
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::HeaderName::from_static("server-timing"), timing),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryParams {
    from_step: Option<i64>,
    limit: Option<usize>,
}

async fn read_history(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, r)): RunPath,
    query: Result<Query<HistoryParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::BadRequest(format!("{e}; expected ?from_step=<n>&limit=<n>")))?;
    let page = reads::history(
        &s.db,
        user.as_ref(),
        &at(e, p),
        &RunId(r),
        q.from_step.unwrap_or(0),
        q.limit.unwrap_or(1_000),
    )
    .await?;
    Ok(Json(page).into_response())
}

async fn append_console(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, r)): RunPath,
    ApiJson(req): ApiJson<AppendConsole>,
) -> Result<Response, ApiError> {
    Ok(Json(ops::append_console(&s.db, &user, &at(e, p), &r, req).await?).into_response())
}

async fn finish_run(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, r)): RunPath,
    ApiJson(req): ApiJson<FinishRun>,
) -> Result<Response, ApiError> {
    Ok(Json(ops::finish_run(&s.db, &user, &at(e, p), &r, req).await?).into_response())
}

/// Stop a running run, as "Stop run" in the app does: it becomes `killed`, and the
/// script that logs it is told so (the wandb client ends it; `/api/v1` metric
/// answers say `"stopped": true`). Stopping a run that is not running changes nothing.
async fn stop_run(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, r)): RunPath,
) -> Result<Response, ApiError> {
    let at = at(e, p);
    let changed = crate::service::runs_table::bulk(
        &s.writer,
        user.clone(),
        at.clone(),
        app::model::BulkTarget::Runs(vec![app::model::RunId(r.clone())]),
        app::model::BulkAction::Stop,
    )
    .await?;
    let (_, _, run) = reads::readable_run(&s.db, Some(&user), &at, &app::model::RunId(r)).await?;
    Ok(Json(serde_json::json!({ "stopped": changed == 1, "state": run.state })).into_response())
}

async fn upload_file(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, r, name)): Path<(String, String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let stored = ops::upload_file(&s.db, &s.blobs, &user, &at(e, p), &r, &name, &body).await?;
    Ok(
        Json(serde_json::json!({ "name": name, "size": stored.size, "md5": stored.md5 }))
            .into_response(),
    )
}

async fn download_file(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, r, name)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let file = reads::run_file(&s.db, &s.blobs, user.as_ref(), &at(e, p), &RunId(r), &name).await?;
    Ok(crate::headers::streamed_file_response(
        &name,
        file.size,
        file.reader,
    ))
}
