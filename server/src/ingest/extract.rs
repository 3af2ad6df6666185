//! Extractors that turn malformed requests into clear JSON errors: the API key from
//! `Authorization`, and JSON bodies whose rejections keep serde's message.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::auth::api_keys::{key_from_headers, user_for_key};
use crate::db::entities::user;
use crate::error::ApiError;
use crate::state::AppState;

/// The request's API key (see `auth::api_keys::key_from_headers`).
fn api_key(parts: &Parts) -> Result<Option<String>, ApiError> {
    key_from_headers(&parts.headers)
}

async fn user_for(state: &AppState, key: &str) -> Result<user::Model, ApiError> {
    user_for_key(&state.db, key).await
}

/// A request made with a valid API key.
pub struct Caller(pub user::Model);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match api_key(parts)? {
            Some(key) => Ok(Caller(user_for(state, &key).await?)),
            None => Err(ApiError::Unauthorized(
                "missing Authorization: Bearer <api key>".into(),
            )),
        }
    }
}

/// A reader: anonymous without a key, the key's user with one (a bad key is still refused).
pub struct Reader(pub Option<user::Model>);

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match api_key(parts)? {
            Some(key) => Ok(Reader(Some(user_for(state, &key).await?))),
            None => Ok(Reader(None)),
        }
    }
}

/// A JSON body; refusals say what was wrong and where.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let text = rejection.body_text();
                Err(match rejection.status().as_u16() {
                    413 => ApiError::PayloadTooLarge(format!("request body is too large: {text}")),
                    415 => ApiError::BadRequest(
                        "send the body as JSON with Content-Type: application/json".into(),
                    ),
                    422 => ApiError::Unprocessable(text),
                    _ => ApiError::BadRequest(text),
                })
            }
        }
    }
}

/// A query string that does not parse (or names an unknown parameter): a 400 that
/// says which.
pub(super) fn bad_query(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "{}; see the README for the parameters",
        e.body_text()
    ))
}
