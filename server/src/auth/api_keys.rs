//! Who an API key belongs to. Both API adapters (`/api/v1` and the wandb protocol)
//! take the key the same way: `Authorization: Bearer <key>`, or HTTP Basic with the
//! key as the password, which is how the wandb client sends it.

use base64::Engine as _;
use sea_orm::ConnectionTrait;

use super::credentials::token_hash;
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::users;
use crate::error::ApiError;

/// The key from the `Authorization` header; `Ok(None)` when the header is absent, an
/// error when it is there but holds no key.
pub fn key_from_headers(headers: &http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(header) = headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = header
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Authorization header is not text".into()))?;
    if let Some(key) = value.strip_prefix("Bearer ") {
        return Ok(Some(key.trim().to_owned()));
    }
    if let Some(b64) = value.strip_prefix("Basic ") {
        let decoded = decode_basic(b64.trim()).ok_or_else(|| {
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

/// Standard base64, with or without padding, holding UTF-8 text.
fn decode_basic(b64: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(b64.trim_end_matches('='))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// The user an API key belongs to; `Unauthorized` for an unknown or revoked key.
pub async fn user_for_key(db: &impl ConnectionTrait, key: &str) -> Result<user::Model, ApiError> {
    users::user_for_api_key(db, &token_hash(key), now_ms())
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("the API key is not valid (unknown or revoked)".into())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn bearer_and_basic_carry_the_same_key() {
        let key = "k".repeat(40);
        assert_eq!(
            key_from_headers(&headers(&format!("Bearer {key}"))).unwrap(),
            Some(key.clone())
        );
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("api:{key}"));
        assert_eq!(
            key_from_headers(&headers(&format!("Basic {basic}"))).unwrap(),
            Some(key.clone())
        );
        let unpadded = basic.trim_end_matches('=');
        assert_eq!(
            key_from_headers(&headers(&format!("Basic {unpadded}"))).unwrap(),
            Some(key)
        );
        assert_eq!(key_from_headers(&http::HeaderMap::new()).unwrap(), None);
        assert!(key_from_headers(&headers("Basic !!!")).is_err());
        assert!(key_from_headers(&headers("Token abc")).is_err());
    }
}
