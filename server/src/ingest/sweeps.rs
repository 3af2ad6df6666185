//! `/api/v1/sweeps/...`: a project's sweeps (list, one with its runs, agents and
//! parameter importance), creating one from YAML or JSON, and the buttons of the
//! sweep page (pause, resume, stop, cancel, re-queue), over the same service as
//! the Sweeps tab and the wandb client.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use app::model::{ProjectRef, SweepAction};

use super::extract::{ApiJson, Caller, Reader};
use crate::error::ApiError;
use crate::service::sweeps;
use crate::state::AppState;

/// The sweep routes, merged into the `/api/v1` router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sweeps/{entity}/{project}", get(index).post(create))
        .route("/sweeps/{entity}/{project}/{name}", get(read))
        .route("/sweeps/{entity}/{project}/{name}/{action}", post(act))
}

async fn index(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(sweeps::index(&s.db, user.as_ref(), &at).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSweep {
    /// The configuration, YAML or JSON text.
    config: String,
    #[serde(default)]
    name: Option<String>,
    /// Runs of the project the sweep starts from (`wandb sweep -R`).
    #[serde(default)]
    prior_runs: Vec<String>,
}

async fn create(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p)): Path<(String, String)>,
    ApiJson(body): ApiJson<NewSweep>,
) -> Result<Response, ApiError> {
    let (f, warnings) = sweeps::create(
        &s.db,
        &user,
        sweeps::Create {
            entity: Some(&e),
            project: Some(&p),
            config: &body.config,
            display_name: body.name.as_deref().filter(|n| !n.trim().is_empty()),
            controller: None,
            prior_runs: body.prior_runs,
        },
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(f.created(warnings))).into_response())
}

async fn read(
    State(s): State<AppState>,
    Reader(user): Reader,
    Path((e, p, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    Ok(Json(sweeps::view(&s.db, user.as_ref(), &at, &name).await?).into_response())
}

async fn act(
    State(s): State<AppState>,
    Caller(user): Caller,
    Path((e, p, name, action)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let at = ProjectRef::new(e, p);
    let action = SweepAction::parse(&action).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no sweep action {action:?} (pause, resume, stop, cancel, requeue)"
        ))
    })?;
    sweeps::act(&s.db, &user, &at, &name, action).await?;
    Ok(Json(sweeps::view(&s.db, Some(&user), &at, &name).await?).into_response())
}
