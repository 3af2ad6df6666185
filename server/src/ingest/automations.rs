//! `/api/v1/automations/...`: a project's automations (list, create, read, replace,
//! enable or disable, delete), each one's history, Test and Redeliver, and the
//! secrets of the project's team or user, over the same service as the tab.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use app::model::{AutomationSpec, HistoryQuery, ProjectRef};

use super::extract::{ApiJson, Caller, Reader};
use crate::error::ApiError;
use crate::service::automations;
use crate::state::AppState;

/// The automation routes, merged into the `/api/v1` router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/automations/{entity}/{project}", get(index).post(create))
        .route(
            "/automations/{entity}/{project}/secrets/{name}",
            put(set_secret).delete(delete_secret),
        )
        .route(
            "/automations/{entity}/{project}/{id}",
            get(read).put(replace).delete(remove),
        )
        .route("/automations/{entity}/{project}/{id}/enabled", put(enable))
        .route("/automations/{entity}/{project}/{id}/history", get(history))
        .route("/automations/{entity}/{project}/{id}/test", post(test))
        .route(
            "/automations/{entity}/{project}/{id}/history/{execution}/redeliver",
            post(redeliver),
        )
}

fn id_of(raw: &str) -> Result<i32, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("automation {raw:?} not found")))
}

async fn index(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(automations::index(&s.db, user.as_ref(), &at).await?).into_response())
}

async fn create(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p)): Path<(String, String)>,
    ApiJson(spec): ApiJson<AutomationSpec>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let view = automations::create(&s.db, &user, &at, spec).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn read(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(automations::get(&s.db, user.as_ref(), &at, id_of(&id)?).await?).into_response())
}

async fn replace(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, id)): Path<(String, String, String)>,
    ApiJson(spec): ApiJson<AutomationSpec>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let view = automations::update(&s.db, &user, &at, id_of(&id)?, spec).await?;
    Ok(Json(view).into_response())
}

async fn remove(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    automations::delete(&s.db, &user, &at, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Enabled {
    enabled: bool,
}

async fn enable(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, id)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<Enabled>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    automations::set_enabled(&s.db, &user, &at, id_of(&id)?, body.enabled).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn history(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, id)): Path<(String, String, String)>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let h = automations::history(&s.db, &s.secret_key, user.as_ref(), &at, id_of(&id)?, &q).await?;
    Ok(Json(h).into_response())
}

async fn test(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, id)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let done = automations::test(&s.delivery(), &user, &at, id_of(&id)?).await?;
    Ok(Json(done).into_response())
}

async fn redeliver(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, id, execution)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let execution: i64 = execution
        .parse()
        .map_err(|_| ApiError::NotFound(format!("execution {execution:?} not found")))?;
    let queued = automations::redeliver(&s.delivery(), &user, &at, id_of(&id)?, execution).await?;
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretValue {
    value: String,
}

async fn set_secret(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, name)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<SecretValue>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    automations::secrets::set(&s.db, &s.secret_key, &user, &at, &name, Some(&body.value)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_secret(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    automations::secrets::set(&s.db, &s.secret_key, &user, &at, &name, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
