//! Contact history in the server: `POST /api/v1/contacts` records a door knock, call,
//! text or ad exposure with survey answers and tags (an `Idempotency-Key` header makes a
//! retry return the same stored answer; the same key with another body is a 422 with
//! code `idempotency_key_reused`), `GET /api/v1/voters/{id}/timeline` returns one
//! timeline of everything known about a voter (voter-file snapshots and changes, vote
//! history, ballots, contacts, survey answers, tags); what the index learns from contacts
//! is `votebase_app::contacts::add_contact_families`.
//! The voter page's "Record a contact" form posts to `POST /voters/{id}/contacts`, which
//! records through the API's code path with a server-generated form token as the source
//! event id (source `web`), so a double-submitted form records once.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::{ApiError, ErrorBody};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::BTreeMap;
use votebase_app::contacts::{self as app, ContactError, random_id};
pub use votebase_app::contacts::{ContactReply, ContactRequest};
pub use votebase_app::voters::{Timeline, TimelineEntry, TimelineKind, voter_timeline};
use votebase_domain::contacts::{ContactChannel, ContactResult};
use votebase_domain::users::Permission;
use votebase_store::contacts::IdempotentResponse;

/// UI routes: the voter page's "Record a contact" form posts here.
pub fn page_routes() -> Router<AppState> {
    Router::new().route("/voters/{id}/contacts", post(record_contact_form))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/contacts", post(api_record_contact))
        .route("/voters/{id}/timeline", get(api_timeline))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(api_record_contact, api_timeline),
        components(schemas(ContactRequest, ContactReply, Timeline, TimelineEntry, TimelineKind))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

/// Code of the 422 answered when an idempotency key comes back with another body.
pub const KEY_REUSED: &str = "idempotency_key_reused";

impl From<ContactError> for ApiError {
    fn from(e: ContactError) -> Self {
        match e {
            ContactError::Invalid(m) => ApiError::BadRequest(m),
            ContactError::UnknownVoter(_) => ApiError::NotFound(e.to_string()),
            ContactError::Store(s) => s.into(),
            // Answered as a 422 by `api_record_contact` before it gets here.
            ContactError::KeyReused | ContactError::Internal(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// Records one contact from a JSON body and returns (status, reply).
async fn record(
    state: &AppState,
    caller: &Caller,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<(StatusCode, ContactReply), ApiError> {
    let req: ContactRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("request body: {e}")))?;
    record_request(state, caller, req, idempotency_key).await
}

/// Records one contact (the API's and the web form's one code path: the use case, then
/// audit `contact.record` and an index rebuild) and returns (status, reply).
async fn record_request(
    state: &AppState,
    caller: &Caller,
    req: ContactRequest,
    idempotency_key: Option<&str>,
) -> Result<(StatusCode, ContactReply), ApiError> {
    let reply = app::record_contact(
        state.store.as_ref(),
        &caller.user.name,
        req,
        idempotency_key,
    )
    .await?;
    let stored = &reply.event;
    let created = reply.created;
    audit(
        state,
        caller,
        "contact.record",
        &stored.state_voter_id,
        &format!(
            "{} {} ({} {}){}",
            stored.channel.code(),
            stored.result.code(),
            stored.source,
            stored.source_event_id,
            if created { "" } else { ", already recorded" }
        ),
    )
    .await?;
    if created {
        state.universes.rebuild_in_background(state.store.clone());
    }
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        reply,
    ))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Records a contact attempt (door, phone, text, ad) with survey answers and tags.
/// With an `Idempotency-Key` header, a retry of the same body returns the stored answer
/// (same status and body) and the same key with another body is a 422
/// (`idempotency_key_reused`). Events are also unique on (source, source_event_id).
#[utoipa::path(post, path = "/api/v1/contacts", request_body = ContactRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body return the first answer")),
    security(("bearer" = [])),
    responses((status = 201, body = ContactReply, description = "Recorded"),
        (status = 200, body = ContactReply, description = "Already recorded under this source event id"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Idempotency key reused with another body")))]
pub async fn api_record_contact(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    crate::csrf::JsonBytes(body): crate::csrf::JsonBytes,
) -> Result<Response, ApiError> {
    caller.require(Permission::RecordContacts)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(app::idempotency_key(v.to_str().map_err(|_| {
            ApiError::BadRequest("Idempotency-Key must be ASCII".into())
        })?)?),
    };
    let Some(key) = key else {
        let (status, reply) = record(&state, &caller, &body, None).await?;
        return Ok((status, Json(reply)).into_response());
    };
    let sha = app::body_sha256(&body);
    let user = caller.user.name.clone();
    let store = state.store.as_ref();
    let kept = match app::replay(store, &user, &key, &sha).await {
        Ok(Some(prior)) => Ok(prior),
        Ok(None) => {
            let (status, reply) = record(&state, &caller, &body, Some(&key)).await?;
            let text =
                serde_json::to_string(&reply).map_err(|e| ApiError::Internal(e.to_string()))?;
            let response = IdempotentResponse {
                request_sha256: sha,
                status: status.as_u16(),
                body: text,
            };
            app::keep_response(store, &user, &key, response).await
        }
        Err(e) => Err(e),
    };
    match kept {
        Ok(prior) => Ok(json_response(
            StatusCode::from_u16(prior.status).unwrap_or(StatusCode::OK),
            prior.body,
        )),
        Err(ContactError::KeyReused) => Ok(key_reused()),
        Err(e) => Err(e.into()),
    }
}

/// The 422 answered when an idempotency key comes back with another body.
fn key_reused() -> Response {
    let body = ErrorBody {
        error: KEY_REUSED.into(),
        message: ContactError::KeyReused.to_string(),
        request_id: None,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Loads a voter's timeline for a caller, checking the role and auditing the read.
pub async fn load_timeline(
    state: &AppState,
    caller: &Caller,
    id: &str,
    channel: &str,
) -> Result<Timeline, ApiError> {
    caller.require(Permission::ReadVoters)?;
    if state.store.get_voter(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no voter with id {id}")));
    }
    let timeline = voter_timeline(state.store.as_ref(), id).await?;
    audit(state, caller, "voter.timeline", id, channel).await?;
    Ok(timeline)
}

/// One timeline of everything known about a voter, newest first (audited).
#[utoipa::path(get, path = "/api/v1/voters/{id}/timeline",
    params(("id" = String, Path, description = "State voter id")),
    security(("bearer" = [])),
    responses((status = 200, body = Timeline), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, ApiError> {
    Ok(Json(load_timeline(&state, &caller, &id, "api").await?))
}

/// Source of contacts recorded through the web form.
pub const WEB_FORM_SOURCE: &str = "web";

/// One option of a select box on the contact form.
#[derive(Debug, Clone)]
pub struct FormOption {
    /// Submitted value.
    pub value: String,
    /// Shown text.
    pub label: String,
    /// Preselected.
    pub selected: bool,
}

/// The "Record a contact" form as shown on the voter page (fresh, or re-shown with an
/// error and the values given).
#[derive(Debug, Clone)]
pub struct ContactFormView {
    /// Server-generated token: the recorded event's source event id.
    pub token: String,
    /// What went wrong with the last submission.
    pub error: Option<String>,
    /// Channels (door, phone, text).
    pub channels: Vec<FormOption>,
    /// Result codes.
    pub results: Vec<FormOption>,
    /// Support answers ("" for none, then 1–5).
    pub supports: Vec<FormOption>,
    /// Tags as typed.
    pub tags: String,
}

impl ContactFormView {
    /// A blank form with a new token.
    pub fn fresh() -> Self {
        Self::with_values(random_id(), None, &ContactForm::default())
    }

    fn with_values(token: String, error: Option<String>, form: &ContactForm) -> Self {
        let channels = [
            ContactChannel::Door,
            ContactChannel::Phone,
            ContactChannel::Text,
        ]
        .into_iter()
        .map(|c| FormOption {
            value: c.code().into(),
            label: c.code().into(),
            selected: c.code() == form.channel,
        })
        .collect();
        let results = ContactResult::ALL
            .into_iter()
            .map(|r| FormOption {
                value: r.code().into(),
                label: r.label().into(),
                selected: r.code() == form.result,
            })
            .collect();
        let supports = std::iter::once(("", "no answer".to_string()))
            .chain(
                [
                    ("1", "strong support"),
                    ("2", "weak support"),
                    ("3", "undecided"),
                    ("4", "weak oppose"),
                    ("5", "strong oppose"),
                ]
                .map(|(v, meaning)| (v, format!("{v} {meaning}"))),
            )
            .map(|(v, label)| FormOption {
                value: v.into(),
                label,
                selected: v == form.support.trim(),
            })
            .collect();
        Self {
            token,
            error,
            channels,
            results,
            supports,
            tags: form.tags.clone(),
        }
    }
}

/// What the contact form submits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    support: String,
    #[serde(default)]
    tags: String,
}

/// A form token as [`ContactFormView::fresh`] makes them: 32 hex digits.
fn valid_form_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Turns the form into an API request (channel and result checked here, the rest by the
/// shared code path).
fn form_request(id: &str, form: &ContactForm) -> Result<ContactRequest, ApiError> {
    let token = form.form_token.trim();
    if !valid_form_token(token) {
        return Err(ApiError::BadRequest(
            "the form token is missing or malformed: reload the voter page and try again".into(),
        ));
    }
    let channel = ContactChannel::parse(&form.channel)
        .filter(|c| *c != ContactChannel::Ad)
        .ok_or_else(|| ApiError::BadRequest("choose a channel: door, phone or text".into()))?;
    let result = ContactResult::from_code(form.result.trim())
        .ok_or_else(|| ApiError::BadRequest("choose a result".into()))?;
    let mut answers = BTreeMap::new();
    if !form.support.trim().is_empty() {
        answers.insert(
            votebase_domain::contacts::SUPPORT_QUESTION.to_string(),
            form.support.trim().to_string(),
        );
    }
    Ok(ContactRequest {
        state_voter_id: id.to_string(),
        channel,
        result,
        contacted_at: None,
        canvasser: None,
        answers,
        tags: form.tags.split(',').map(str::to_string).collect(),
        source: Some(WEB_FORM_SOURCE.into()),
        source_event_id: Some(format!("form-{token}")),
    })
}

/// `POST /voters/{id}/contacts`: records the voter page's form (CSRF-checked by
/// [`crate::csrf`], role
/// `RecordContacts`) and redirects back to the voter page; bad input re-renders the page
/// with the message and the values given.
async fn record_contact_form(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::RecordContacts)
        .map_err(PageRejection::Error)?;
    let recorded = match form_request(&id, &form) {
        Ok(req) => record_request(&state, &caller, req, None).await,
        Err(e) => Err(e),
    };
    match recorded {
        Ok(_) => {
            Ok(Redirect::to(&format!("/voters/{}#timeline", encode_segment(&id))).into_response())
        }
        Err(e @ (ApiError::BadRequest(_) | ApiError::NotFound(_))) => {
            let status = e.status();
            let token = if valid_form_token(form.form_token.trim()) {
                form.form_token.trim().to_string()
            } else {
                random_id()
            };
            let view = ContactFormView::with_values(token, Some(e.to_string()), &form);
            let page = crate::pages::voter_page_with(&state, &caller, &id, Some(view)).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(PageRejection::Error(e)),
    }
}

/// Percent-encodes a path segment.
fn encode_segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
