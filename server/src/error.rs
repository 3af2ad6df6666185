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
    PayloadTooLarge(String),
    #[error("{0}")]
    Unprocessable(String),
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
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
        let body = serde_json::json!({ "error": { "status": status.as_u16(), "message": self.public_message() } });
        (status, Json(body)).into_response()
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        match e.status() {
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => AppError::NotFound(e.to_string()),
            StatusCode::UNAUTHORIZED => AppError::Unauthorized(e.to_string()),
            s if s.is_server_error() => {
                tracing::error!(error = %e, "server function failed");
                AppError::Internal(e.public_message())
            }
            _ => AppError::BadRequest(e.to_string()),
        }
    }
}
