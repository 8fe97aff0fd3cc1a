//! Errors as HTTP responses: a status and `{"error": "..."}` that names the problem. Store and
//! internal failures are logged in full and answered in general terms (internals never leak).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// A store failure: logged with its detail, answered without it. The turn was not recorded,
    /// so the caller may send it again.
    pub fn store(error: StoreError) -> Self {
        match error {
            StoreError::Busy | StoreError::Conflict => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "the conversation is busy with other turns; the message was not recorded, send it again")
            }
            StoreError::Backend(detail) => {
                tracing::error!("store: {detail}");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "the conversation store is unavailable; the message was not recorded, send it again")
            }
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal: {detail}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error; the message was not recorded")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}
