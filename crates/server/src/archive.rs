//! The organization archive over HTTP (administrators only): `POST /api/v1/org/archive`
//! for API callers and `POST /admin/archive`, the download button of the admin users
//! page (a form carrying the session's CSRF token). Both run the same use case as
//! `votebase org export` (`votebase_app::orgs::archive::export`) into a temporary file,
//! audited as `org.export` with the archive's SHA-256 under the caller's name, and
//! stream the file back; the SHA-256 is also in the `X-Archive-Sha256` header.

use crate::AppState;
use crate::auth::{Caller, PageUser, same_secret};
use crate::error::{ApiError, ErrorBody};
use crate::pages::error_page;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Form, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use votebase_app::orgs::archive::{self, ArchiveError};
use votebase_domain::users::Permission;

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new().route("/admin/archive", post(page_download))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new().route("/org/archive", post(api_download))
}

/// This feature's OpenAPI paths (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(api_download))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> Self {
        match e {
            ArchiveError::Store(s) => s.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Exports the organization into a temporary file and answers it as a download.
async fn download(state: &AppState, caller: &Caller) -> Result<Response, ApiError> {
    caller.require(Permission::ArchiveOrganization)?;
    let org = state.store.organization();
    let dir = std::env::temp_dir();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let path = dir.join(format!(
        "votebase-archive-{org}-{stamp}-{}.zip",
        rand::random::<u64>()
    ));
    let summary = archive::export(state.store.as_ref(), &org, &path, &caller.user.name).await;
    // Open, then unlink: the open file stays readable and nothing is left behind.
    let file = tokio::fs::File::open(&path).await;
    std::fs::remove_file(&path).ok();
    let summary = summary?;
    let file = file.map_err(|e| ApiError::Internal(format!("archive file: {e}")))?;
    let stream = futures::stream::try_unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = file.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), file)))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{org}-{stamp}.vbarchive.zip\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&summary.sha256) {
        headers.insert("x-archive-sha256", v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The whole organization as a votebase archive (docs/ARCHIVE.md): every table it holds,
/// users without passwords, tokens or sessions, the audit log; administrators only,
/// audited as `org.export` with the archive's SHA-256 (also in `X-Archive-Sha256`).
#[utoipa::path(post, path = "/api/v1/org/archive", security(("bearer" = [])),
    responses((status = 200, description = "The archive (application/zip)",
            content_type = "application/zip", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_download(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    download(&state, &caller).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn page_download(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(e) = caller.require(Permission::ArchiveOrganization) {
        return error_page(e);
    }
    if !caller
        .csrf_token
        .as_deref()
        .is_some_and(|t| same_secret(t, &form.csrf))
    {
        return error_page(ApiError::CsrfFailed);
    }
    download(&state, &caller).await.unwrap_or_else(error_page)
}
