//! Extractors that turn malformed requests into clear JSON errors: the API key from
//! `Authorization`, and JSON bodies whose rejections keep serde's message.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use super::routes::ApiState;
use crate::auth::credentials::token_hash;
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::users;
use crate::error::ApiError;

/// The key from `Authorization: Bearer <key>` (or HTTP Basic with the key as password,
/// as the wandb client sends it). `Ok(None)` when the header is absent.
fn api_key(parts: &Parts) -> Result<Option<String>, ApiError> {
    api_key_of(&parts.headers)
}

/// [`api_key`] from bare headers (the wandb routes read them themselves).
pub(crate) fn api_key_of(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(header) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = header
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Authorization header is not text".into()))?;
    if let Some(key) = value.strip_prefix("Bearer ") {
        return Ok(Some(key.trim().to_owned()));
    }
    if let Some(b64) = value.strip_prefix("Basic ") {
        let decoded = base64_decode(b64.trim()).ok_or_else(|| {
            ApiError::Unauthorized("Basic credentials are not valid base64".into())
        })?;
        if let Some((_, key)) = decoded.split_once(':') {
            return Ok(Some(key.to_owned()));
        }
    }
    Err(ApiError::Unauthorized(
        "use Authorization: Bearer <api key>".into(),
    ))
}

/// Minimal standard base64 decoding (padding optional).
fn base64_decode(s: &str) -> Option<String> {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn user_for(state: &ApiState, key: &str) -> Result<user::Model, ApiError> {
    user_for_key(&state.db, key).await
}

/// The user an API key belongs to; `Unauthorized` for an unknown or revoked key.
pub(crate) async fn user_for_key(
    db: &sea_orm::DatabaseConnection,
    key: &str,
) -> Result<user::Model, ApiError> {
    users::user_for_api_key(db, &token_hash(key), now_ms())
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("the API key is not valid (unknown or revoked)".into())
        })
}

/// A request made with a valid API key.
pub struct Caller(pub user::Model);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
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

impl FromRequestParts<ApiState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn decodes_basic_credentials() {
        assert_eq!(base64_decode("YXBpOmtleQ==").as_deref(), Some("api:key"));
        assert_eq!(base64_decode("YXBpOmtleQ").as_deref(), Some("api:key"));
        assert_eq!(base64_decode("***"), None);
    }
}
