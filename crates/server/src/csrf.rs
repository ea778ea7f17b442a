//! The one CSRF rule, checked by the request-context middleware ([`crate::context`]) on
//! every route, HTML or JSON.
//!
//! A state-changing request (POST, PUT, PATCH, DELETE) that carries a valid session cookie
//! and no `Authorization` header must either come from this server's own origin (its
//! `Origin` header equals the server's origin, host and port, or, without `Origin`,
//! `Sec-Fetch-Site: same-origin`) or carry the session's CSRF token, as the
//! `X-CSRF-Token` header or as the `csrf` field of a urlencoded or multipart form.
//! Bearer-token requests are exempt (a browser never adds that header by itself); the
//! public forms (`/login`, `/report`, `/vote/...`, `/tip`, `/volunteer/...`) keep their own
//! pre-session token (or, for a volunteer's answer and unsubscribe, the link's signature)
//! and are not checked here. Refusals are 403 `csrf_failed` (an error page for pages).
//!
//! JSON routes (`/api/v1/...`) also refuse a session's state-changing body that is not
//! JSON (or an image, for the photo uploads) with 415, so no cross-site "simple" request
//! (text/plain, form) reaches them; token callers get the same 415 from the routes'
//! extractors (`Json<T>`, or [`JsonBytes`] for a route that reads the raw JSON), after
//! their token and role are checked.

use crate::AppState;
use crate::auth::{SESSION_COOKIE, same_secret, sha256_hex};
use crate::context::RequestContext;
use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

/// Name of the header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Name of the form field that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// Most bytes of a urlencoded form read to find its token.
const MAX_FORM_BYTES: usize = 1 << 20;
/// Most bytes of a multipart form read to find its token (photo uploads).
const MAX_MULTIPART_BYTES: usize = 32 << 20;

/// Is this a public form with its own pre-session token (or a public JSON route).
fn public_path(path: &str) -> bool {
    path == "/login"
        || path == "/report"
        || path == "/vote"
        || path.starts_with("/vote/")
        || path == "/tip"
        || path.starts_with("/volunteer/")
}

fn state_changing(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The Content-Type as sent (multipart boundaries are case-sensitive).
fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_string()
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// Does a JSON route accept this body type: JSON, or an image for the photo uploads.
fn api_body_allowed(ct: &str) -> bool {
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence.starts_with("image/")
}

/// Did the request come from this server's own pages (scheme, host and port).
pub fn same_origin(headers: &HeaderMap, ctx: &RequestContext) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let sent = crate::context::origin_of_url(origin);
        return sent.is_some() && sent == ctx.origin;
    }
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("same-origin"))
}

fn refuse(path: &str, e: ApiError) -> Response {
    if path.starts_with("/api/") {
        e.into_response()
    } else {
        crate::pages::error_page(e)
    }
}

/// The `csrf` field of a urlencoded body.
fn form_token(bytes: &[u8]) -> Option<String> {
    form_urlencoded::parse(bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
}

/// The `csrf` field of a multipart body.
async fn multipart_token(ct: &str, bytes: Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(ct).ok()?;
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut form = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

fn unsupported() -> Response {
    ApiError::UnsupportedMediaType(
        "send the body as application/json (Content-Type: application/json)".into(),
    )
    .into_response()
}

/// The raw body of a JSON route that parses it itself (to hash it, say): 415 unless the
/// Content-Type is JSON. Routes that take `Json<T>` get the same rule from axum.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for JsonBytes {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let ct = content_type(req.headers());
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(unsupported());
        }
        Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(IntoResponse::into_response)
    }
}

/// The CSRF (and JSON content-type) rule; see the module documentation.
pub async fn check(state: &AppState, req: Request) -> Result<Request, Response> {
    if !state_changing(req.method()) {
        return Ok(req);
    }
    let path = req.uri().path().to_string();
    let ct = content_type(req.headers());
    if req.headers().contains_key(header::AUTHORIZATION) || public_path(&path) {
        return Ok(req);
    }
    let jar = CookieJar::from_headers(req.headers());
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(req);
    };
    let expected = match state.store.session(&sha256_hex(cookie.value())).await {
        Ok(Some(session)) => session.csrf_token,
        // No live session: the route itself answers 401 or sends to the sign-in page.
        Ok(None) => return Ok(req),
        Err(e) => return Err(refuse(&path, e.into())),
    };
    if path.starts_with("/api/v1/")
        && (has_body(req.headers()) || !ct.is_empty())
        && !api_body_allowed(&ct)
    {
        return Err(unsupported());
    }
    if let Some(ctx) = req.extensions().get::<RequestContext>()
        && same_origin(req.headers(), ctx)
    {
        return Ok(req);
    }
    let header_token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if header_token.is_some_and(|t| same_secret(&expected, t.trim())) {
        return Ok(req);
    }
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let limit = match essence.as_str() {
        "application/x-www-form-urlencoded" => MAX_FORM_BYTES,
        "multipart/form-data" => MAX_MULTIPART_BYTES,
        _ => return Err(refuse(&path, ApiError::CsrfFailed)),
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return Err(refuse(
            &path,
            ApiError::PayloadTooLarge("the form is too large".into()),
        ));
    };
    let sent = if limit == MAX_FORM_BYTES {
        form_token(&bytes)
    } else {
        multipart_token(&ct, bytes.clone()).await
    };
    if !sent.is_some_and(|t| same_secret(&expected, &t)) {
        return Err(refuse(&path, ApiError::CsrfFailed));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(origin: &str) -> RequestContext {
        RequestContext {
            request_id: "r".into(),
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            https: false,
            origin: Some(origin.into()),
        }
    }

    #[test]
    fn same_origin_needs_host_and_port() {
        let c = ctx("http://127.0.0.1:8080");
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h, &c));
        h.insert(header::ORIGIN, "http://127.0.0.1:9090".parse().unwrap());
        assert!(!same_origin(&h, &c));
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(!same_origin(&h, &c));
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", "same-site".parse().unwrap());
        assert!(!same_origin(&h, &c));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(same_origin(&h, &c));
        assert!(!same_origin(&HeaderMap::new(), &c));
    }

    #[test]
    fn body_types_of_json_routes() {
        assert!(api_body_allowed("application/json"));
        assert!(api_body_allowed("application/json; charset=utf-8"));
        assert!(api_body_allowed("image/jpeg"));
        assert!(!api_body_allowed("text/plain"));
        assert!(!api_body_allowed("application/x-www-form-urlencoded"));
        assert!(!api_body_allowed(""));
    }

    #[test]
    fn tokens_are_found_in_forms() {
        assert_eq!(form_token(b"a=1&csrf=abc%20d").as_deref(), Some("abc d"));
        assert_eq!(form_token(b"a=1"), None);
    }
}
