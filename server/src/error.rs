//! `ApiError`: the error of every HTTP route in `server`. It carries a status and a
//! message for the client; 5xx details are logged once here and never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use app::api::AppError;
use app::logic::validate::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Db(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told: the message for 4xx, a fixed sentence for 5xx.
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() {
            "internal server error; the details are in the server log".to_owned()
        } else {
            self.to_string()
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::Unprocessable(e.0)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        error_response(status, &self.public_message())
    }
}

/// The JSON shape of every API error: `{"error": {"status": 422, "message": "…"}}`.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "status": status.as_u16(), "message": message } });
    (status, Json(body)).into_response()
}

/// Turn errors that axum itself produced as plain text (405, a path that does not
/// decode, a raw body over the size limit) into the API's JSON error shape.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let message = match text.trim() {
        "" => status.canonical_reason().unwrap_or("error").to_lowercase(),
        t => t.to_owned(),
    };
    error_response(status, &message)
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        match e.status() {
            StatusCode::NOT_FOUND => AppError::NotFound(e.to_string()),
            StatusCode::FORBIDDEN => AppError::Forbidden(e.to_string()),
            StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests(e.to_string()),
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(e.to_string()),
            StatusCode::UNAUTHORIZED => AppError::Unauthorized(e.to_string()),
            StatusCode::CONFLICT => AppError::Conflict(e.to_string()),
            s if s.is_server_error() => {
                tracing::error!(error = %e, "server function failed");
                AppError::Internal(e.public_message())
            }
            _ => AppError::BadRequest(e.to_string()),
        }
    }
}
