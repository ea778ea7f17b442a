//! The server's one error type: every failure becomes a stable snake_case code, an HTTP
//! status and a message; internal details are logged without personal data and never
//! sent to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use votebase_store::StoreError;

/// An API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session or token.
    #[error("sign in first, or send a valid API token as Authorization: Bearer")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("your role does not allow this")]
    Forbidden,
    /// Nothing there.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Text that is not valid UTF-8 (a form field or a JSON body).
    #[error("{0}")]
    InvalidUtf8(String),
    /// A form came without the right CSRF token.
    #[error("the form expired or did not come from this site; reload the page and try again")]
    CsrfFailed,
    /// Too many requests from this client.
    #[error("too many requests; wait a minute and try again")]
    RateLimited,
    /// Wrong user name or password.
    #[error("wrong user name or password")]
    BadCredentials,
    /// The body is not a type this route accepts (e.g. an attachment that is not an image).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is over this route's size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Something failed inside.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::InvalidUtf8(_) => "invalid_utf8",
            Self::CsrfFailed => "csrf_failed",
            Self::RateLimited => "rate_limited",
            Self::BadCredentials => "bad_credentials",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) | Self::InvalidUtf8(_) => StatusCode::BAD_REQUEST,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Refused(m) => Self::BadRequest(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for ApiError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

/// The JSON body of an error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(detail = %detail, "internal error");
        }
        let mut response = (
            self.status(),
            Json(ErrorBody {
                error: self.code().into(),
                message: self.to_string(),
            }),
        )
            .into_response();
        if matches!(self, Self::RateLimited) {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        }
        response
    }
}
