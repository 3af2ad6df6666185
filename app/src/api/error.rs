//! The one error type of server functions: serialisable, so the browser gets the
//! same variant and message the server produced.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why a server function failed, with a message fit to show a person.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    /// Too many attempts (sign-in): wait and try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// The request is larger than the server takes.
    #[error("{0}")]
    TooLarge(String),
    /// Someone else changed the thing since it was read (a report draft saved by
    /// another editor): read it again before saving.
    #[error("{0}")]
    Conflict(String),
    /// Something broke on the server; the detail is logged there, not sent.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status a page showing this error should carry.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::BadRequest(_) => 400,
            AppError::TooManyRequests(_) => 429,
            AppError::TooLarge(_) => 413,
            AppError::Conflict(_) => 409,
            AppError::Internal(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(e) => {
                AppError::Internal(format!("could not reach the server: {e}"))
            }
            ServerFnErrorErr::Args(e) | ServerFnErrorErr::MissingArg(e) => AppError::BadRequest(e),
            other => AppError::Internal(other.to_string()),
        }
    }
}
