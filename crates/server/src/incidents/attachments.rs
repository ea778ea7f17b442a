//! Photo attachments: the API's raw-body upload, the incident page's multipart form, and
//! serving a photo inline with `nosniff` to roles that may view the incident (audited).

use super::*;

/// What attaching a photo did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachReply {
    /// The stored photo (the earlier one when these bytes were already attached).
    pub attachment: IncidentAttachment,
    /// False when the incident already had these bytes.
    pub created: bool,
}

pub(super) fn attachment_err(e: AttachmentError) -> ApiError {
    match e {
        AttachmentError::TooLarge(_) => ApiError::PayloadTooLarge(e.to_string()),
        AttachmentError::Empty | AttachmentError::NotAnImage => {
            ApiError::UnsupportedMediaType(e.to_string())
        }
    }
}

/// The incident if the caller may see it (their counties), else not found.
pub(super) async fn visible_incident(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Incident, ApiError> {
    let scope = scope(state, caller).await?;
    state
        .store
        .get_incident(id)
        .await?
        .filter(|i| in_scope(&scope, &i.location.county))
        .ok_or_else(|| ApiError::NotFound(format!("no incident #{id} in your counties")))
}

/// Photos may be attached by roles that take reports or work incidents (and read them).
pub(super) fn require_attach(caller: &Caller) -> Result<(), ApiError> {
    if !caller.user.role.allows(Permission::IncidentIntake) {
        caller.require(Permission::IncidentWork)?;
    }
    caller.require(Permission::IncidentRead)
}

/// Attaches a photo for a caller who may act on the incident (intake or work roles, in
/// their counties); checked by magic bytes, stored once per incident, audited.
pub async fn attach(
    state: &AppState,
    caller: &Caller,
    id: i64,
    bytes: Vec<u8>,
    channel: &str,
) -> Result<AttachReply, ApiError> {
    require_attach(caller)?;
    visible_incident(state, caller, id).await?;
    let photo = NewAttachment::new(bytes).map_err(attachment_err)?;
    let out = state
        .store
        .attach_to_incident(id, &caller.user.name, &photo, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no incident #{id}")))?;
    audit(
        state,
        caller,
        "incident.attach",
        &format!("incident {id} photo {}", out.attachment.n),
        channel,
    )
    .await?;
    Ok(AttachReply {
        attachment: out.attachment,
        created: out.created,
    })
}

/// Attaches a photo (JPEG, PNG, WebP or HEIC by its magic bytes, at most 8 MiB) sent as
/// the raw body with its image Content-Type. The same bytes twice are stored once (200).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/attachments",
    params(("id" = i64, Path, description = "Incident id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"), security(("bearer" = [])),
    responses((status = 201, body = AttachReply), (status = 200, body = AttachReply),
        (status = 415, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn api_attach(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    require_attach(&caller)?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !declared.trim().to_ascii_lowercase().starts_with("image/") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the photo as the raw body with Content-Type image/jpeg, image/png, image/webp or image/heic (got {declared:?})"
        )));
    }
    let reply = attach(&state, &caller, id, body.to_vec(), "api").await?;
    let status = if reply.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(reply)).into_response())
}

/// One photo of an incident, served inline with its content type and `nosniff`, only to
/// roles that may view the incident (their counties); every view is audited.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/attachments/{n}",
    params(("id" = i64, Path, description = "Incident id"), ("n" = i64, Path, description = "Photo number")),
    security(("bearer" = [])),
    responses((status = 200, description = "The photo's bytes"), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn attachment_get(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    caller.require(Permission::IncidentRead)?;
    visible_incident(&state, &caller, id).await?;
    let (meta, bytes) = state
        .store
        .incident_attachment(id, n)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("incident #{id} has no photo {n}")))?;
    audit(
        &state,
        &caller,
        "incident.attachment.read",
        &format!("incident {id} photo {n}"),
        "http",
    )
    .await?;
    let extension = meta.content_type.trim_start_matches("image/");
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"incident-{id}-{n}.{extension}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The incident page's photo form: multipart with a `photo` field (the server's one
/// CSRF rule has checked the request before it arrives here).
pub(super) async fn attach_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageRejection> {
    require_attach(&caller).map_err(page_err)?;
    let mut form = form.map_err(|e| {
        page_err(ApiError::BadRequest(format!(
            "send the photo with the incident page's form: {e}"
        )))
    })?;
    let mut photo: Option<Vec<u8>> = None;
    let mut read =
        async || -> Result<(), ApiError> {
            while let Some(field) = form.next_field().await.map_err(|e| {
                ApiError::BadRequest(format!("the upload did not arrive whole: {e}"))
            })? {
                if field.name() == Some("photo") {
                    let bytes = field.bytes().await.map_err(|e| {
                        ApiError::PayloadTooLarge(format!(
                            "the photo could not be read ({e}): photos are at most 8 MiB"
                        ))
                    })?;
                    photo = Some(bytes.to_vec());
                }
            }
            Ok(())
        };
    let received = read().await;
    let result = match received {
        Ok(()) => match photo {
            Some(bytes) => attach(&state, &caller, id, bytes, "web").await.map(|_| ()),
            None => Err(ApiError::BadRequest("choose a photo to attach".into())),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(
            ApiError::BadRequest(message)
            | ApiError::UnsupportedMediaType(message)
            | ApiError::PayloadTooLarge(message),
        ) => render_incident(&state, &caller, id, Some(message))
            .await
            .map_err(page_err),
        Err(e) => Err(page_err(e)),
    }
}
