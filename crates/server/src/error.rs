//! The server's one error type: every failure becomes a stable snake_case code, an HTTP
//! status and a message; internal details are logged without personal data and never
//! sent to the client. [`normalize`] gives framework rejections (bad JSON, query or path,
//! wrong content type, body too large, 404, 405) and panics ([`panic_response`]) the same
//! JSON body, with the request id.

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
    /// The API token is past its expiry.
    #[error("the API token has expired; ask an administrator for a new one")]
    TokenExpired,
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
    /// No route answers this method on this path.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The request's host names no organization this server serves.
    #[error("no organization is served at this address")]
    UnknownOrganization,
    /// Something failed inside.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::TokenExpired => "token_expired",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::InvalidUtf8(_) => "invalid_utf8",
            Self::CsrfFailed => "csrf_failed",
            Self::RateLimited => "rate_limited",
            Self::BadCredentials => "bad_credentials",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnknownOrganization => "unknown_organization",
            Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::TokenExpired | Self::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden | Self::CsrfFailed => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::UnknownOrganization => StatusCode::NOT_FOUND,
            Self::BadRequest(_) | Self::InvalidUtf8(_) => StatusCode::BAD_REQUEST,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
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
    /// The request's id (also in the `X-Request-Id` header), for support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
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
                request_id: None,
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

/// The code of a framework rejection by its status.
fn status_code_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable_entity",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

/// Marks the response of a panicked handler (removed by [`normalize`], which logs it).
const PANIC_MARK: &str = "x-votebase-panic";

/// The response to a panic in a handler (for `CatchPanicLayer::custom`): a 500 with the
/// JSON error body. The panic's message is not kept: it may hold personal data.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let mut r = ApiError::Internal(String::new()).into_response_quiet();
    r.headers_mut()
        .insert(PANIC_MARK, axum::http::HeaderValue::from_static("1"));
    r
}

impl ApiError {
    fn into_response_quiet(self) -> Response {
        (
            self.status(),
            Json(ErrorBody {
                error: self.code().into(),
                message: self.to_string(),
                request_id: None,
            }),
        )
            .into_response()
    }
}

/// Most bytes of a JSON error body that [`normalize`] reads to add the request id.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Gives an error response (status 4xx/5xx) the JSON error body with the request id: a
/// framework rejection (plain text or empty body) becomes `{"error", "message",
/// "request_id"}` with a snake_case code by status; a JSON error body gains the request
/// id. HTML error pages and successful responses pass as they are. Panics are logged
/// here with the request id, method and route pattern (never the URL, which may carry an
/// address or a name).
pub async fn normalize(
    response: Response,
    ctx: &crate::context::RequestContext,
    method: &axum::http::Method,
    route: &str,
) -> Response {
    let status = response.status();
    let (mut parts, body) = response.into_parts();
    if parts.headers.remove(PANIC_MARK).is_some() {
        tracing::error!(request_id = %ctx.request_id, %method, route, "handler panicked");
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return Response::from_parts(parts, body);
    }
    let content_type = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = crate::headers::is_json(&parts.headers);
    let is_text = content_type.is_empty() || content_type.starts_with("text/plain");
    if !is_json && !is_text {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let value = if is_json {
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(serde_json::Value::Object(mut map)) if map.contains_key("error") => {
                map.entry("request_id")
                    .or_insert_with(|| ctx.request_id.clone().into());
                serde_json::Value::Object(map)
            }
            _ => return Response::from_parts(parts, axum::body::Body::from(bytes)),
        }
    } else {
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        let message = if text.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
        } else {
            text
        };
        serde_json::json!({
            "error": status_code_name(status),
            "message": message,
            "request_id": ctx.request_id,
        })
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(value.to_string()))
}

/// The router's fallback: a JSON 404.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such page or API route".into())
}
