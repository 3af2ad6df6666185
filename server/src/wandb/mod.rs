//! The wandb compatibility layer: the official `wandb` client (0.31.0) logs to Cairn
//! unchanged with `WANDB_BASE_URL` and `WANDB_API_KEY` (the wire contract is
//! `shared/wandb/PROTOCOL.md`). It writes through the same repositories and metrics
//! engine as `/api/v1`, so what the client logs shows in Cairn's own pages.
//!
//! - `POST /graphql`: the 25 operations of PROTOCOL.md §6 ([`gql`] executes,
//!   [`schema`] answers);
//! - `POST /files/{entity}/{project}/{run}/file_stream`: live run data ([`filestream`]);
//! - `PUT`/`GET /storage/…`: signed, expiring file URLs ([`storage`]);
//! - `/sdk/*` (the client's telemetry probe): 404.

pub mod artifacts;
pub mod filestream;
pub mod filters;
pub mod gql;
pub mod history;
pub mod ids;
pub mod report_spec;
pub mod schema;
pub mod storage;
pub mod upsert;
pub mod wire;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post, put};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use app::model::ProjectRef;

use crate::config::MAX_BODY_BYTES;
use crate::db::entities::user;
use crate::error::ApiError;
use crate::state::AppState;

use schema::{Ctx, Obj};
use storage::Signer;

/// What the wandb routes share.
#[derive(Clone)]
pub struct WandbState {
    pub app: AppState,
    pub signer: Arc<Signer>,
}

impl WandbState {
    /// The app's state plus the URL-signing key (loaded, or made on first start).
    pub async fn new(app: AppState) -> Result<WandbState, ApiError> {
        let signer = Arc::new(Signer::load(&app.db).await?);
        Ok(WandbState { app, signer })
    }

    /// The URL clients reach this server at, for storage links: `CAIRN_PUBLIC_URL`, or
    /// else what the request's `Host` header says.
    fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.app.config.public_url {
            return u.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let scheme = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .filter(|s| *s == "https")
            .unwrap_or("http");
        format!("{scheme}://{host}")
    }
}

/// The wandb routes (merged at the server's root).
pub fn wandb_router(state: WandbState) -> Router {
    // GraphQL and the file stream read their whole body; uploads stream theirs.
    let budget = axum::middleware::from_fn_with_state(
        state.app.body_budget.clone(),
        crate::body_budget::hold,
    );
    Router::new()
        .route("/graphql", post(graphql).layer(budget.clone()))
        .route(
            "/files/{entity}/{project}/{run}/file_stream",
            post(file_stream).layer(budget),
        )
        .route(
            "/storage/run-files/{id}/{*name}",
            put(storage::put_run_file).get(storage::get_run_file),
        )
        .route(
            "/storage/artifact-files/{id}/{*name}",
            put(storage::put_artifact_file).get(storage::get_artifact_file),
        )
        .route(
            "/storage/manifests/{id}/{*name}",
            put(storage::put_manifest).get(storage::get_manifest),
        )
        .route("/sdk/{*rest}", any(|| async { StatusCode::NOT_FOUND }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// A GraphQL error answer with an HTTP status.
fn gql_errors(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "data": null, "errors": [{ "message": message }] })),
    )
        .into_response()
}

/// The caller of a wandb request, from HTTP Basic `api:<key>` (or a bearer key).
async fn caller(state: &WandbState, headers: &HeaderMap) -> Result<user::Model, ApiError> {
    let key = crate::auth::api_keys::key_from_headers(headers)?
        .ok_or_else(|| ApiError::Unauthorized("unauthorized".into()))?;
    crate::auth::api_keys::user_for_key(&state.app.db, &key).await
}

async fn graphql(State(state): State<WandbState>, headers: HeaderMap, body: Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return gql_errors(
                StatusCode::BAD_REQUEST,
                &format!("the body must be JSON with a \"query\": {e}"),
            )
        }
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return gql_errors(StatusCode::BAD_REQUEST, "the body has no \"query\" string");
    };
    let variables: Map<String, Value> = request
        .get("variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Parsing up to MAX_QUERY_BYTES is CPU work: keep it off the async workers.
    let text = query.to_owned();
    let doc = match tokio::task::spawn_blocking(move || gql::parse(&text)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return gql_errors(StatusCode::BAD_REQUEST, &e),
        Err(e) => {
            return gql_errors(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the query could not be parsed: {e}"),
            )
        }
    };
    let op = match gql::operation(
        &doc,
        request.get("operationName").and_then(Value::as_str),
        variables,
    ) {
        Ok(op) => op,
        Err(e) => return gql_errors(StatusCode::BAD_REQUEST, &e),
    };
    // The client stalls a run while ServerFeaturesQuery fails with a 5xx, and treats a
    // 200 with errors as "no features": never send it a 5xx.
    let features_probe = op.name == Some("ServerFeaturesQuery");
    let status_for = |status: u16| {
        if features_probe && status >= 500 {
            StatusCode::OK
        } else {
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    let user = match caller(&state, &headers).await {
        Ok(u) => u,
        Err(ApiError::Unauthorized(_)) => {
            return gql_errors(StatusCode::UNAUTHORIZED, "unauthorized")
        }
        Err(e) => return gql_errors(status_for(e.status().as_u16()), &e.public_message()),
    };
    let ctx = Ctx {
        base_url: state.base_url(&headers),
        state,
        user,
    };
    let root = match op.kind {
        gql::OpKind::Query => Obj::Query,
        gql::OpKind::Mutation => Obj::Mutation,
    };
    match op.execute(&ctx, root).await {
        Ok(data) => Json(json!({ "data": data })).into_response(),
        Err(gql::Failure::Client(message)) => gql_errors(StatusCode::OK, &message),
        Err(gql::Failure::Http(status, message)) => gql_errors(status_for(status), &message),
    }
}

async fn file_stream(
    State(state): State<WandbState>,
    Path((entity, project, run)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = caller(&state, &headers).await?;
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        wire::parse_lenient(
            std::str::from_utf8(&body)
                .map_err(|_| ApiError::BadRequest("the file_stream body is not UTF-8".into()))?,
        )
        .map_err(|e| ApiError::BadRequest(format!("the file_stream body is not JSON: {e}")))?
    };
    let at = ProjectRef::new(entity, project);
    let answer = filestream::apply(&state.app.writer, &user, &at, &run, body).await?;
    Ok(Json(answer).into_response())
}
