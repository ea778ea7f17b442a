//! Exchange agreements and the do-not-contact list in the web UI and the API. `/exchange`
//! and `GET /api/v1/exchange` list the organization's agreements from its own copy (state,
//! datasets, window, each direction's lag as of the last sync) for admins and data
//! managers; admins approve or end them for this organization (`POST
//! /api/v1/exchange/{id}/approve|end`, buttons on the page). `/suppression` and
//! `/api/v1/suppression` list the do-not-contact list (roles that read voters), add to it
//! (roles that record contacts) and remove from it (admins; the row is kept). Every read
//! and write is audited; page forms pass the one CSRF rule like every cookie write.
//! Moving records needs both organizations' stores: `votebase exchange sync`.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::{ApiError, ErrorBody};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use votebase_app::exchange::{
    self as app, AgreementStatus, ExchangeAction, ExchangeError, FlowStatus,
};
use votebase_app::suppression::{self, SuppressionAction, SuppressionFailure, SuppressionInput};
use votebase_domain::exchange::Suppression;

/// Entries a list answer holds at most.
const MAX_LIST: i64 = 1_000;

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/exchange", get(exchange_page))
        .route("/exchange/{id}/approve", post(approve_form))
        .route("/exchange/{id}/end", post(end_form))
        .route("/suppression", get(suppression_page).post(add_form))
        .route("/suppression/{id}/remove", post(remove_form))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/exchange", get(api_agreements))
        .route("/exchange/{id}/approve", post(api_approve))
        .route("/exchange/{id}/end", post(api_end))
        .route("/suppression", get(api_suppressions).post(api_add))
        .route("/suppression/{id}", delete(api_remove))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(
            api_agreements,
            api_approve,
            api_end,
            api_suppressions,
            api_add,
            api_remove
        ),
        components(schemas(
            AgreementView,
            FlowView,
            Suppression,
            NewSuppressionBody,
            Added,
            votebase_domain::exchange::Agreement,
            votebase_domain::exchange::AgreementTerms,
            votebase_domain::exchange::AgreementState,
            votebase_domain::exchange::Signature,
            votebase_domain::exchange::Dataset,
            votebase_domain::exchange::MatchMode,
            votebase_domain::exchange::Direction,
            votebase_domain::exchange::NewSuppression
        ))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::Store(s) => s.into(),
            ExchangeError::NotFound(..) | ExchangeError::NotASide(..) => {
                ApiError::NotFound(e.to_string())
            }
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl From<SuppressionFailure> for ApiError {
    fn from(e: SuppressionFailure) -> Self {
        match e {
            SuppressionFailure::Store(s) => s.into(),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

fn allow_exchange(caller: &Caller, action: ExchangeAction) -> Result<(), ApiError> {
    app::authorize(caller.user.role, action).map_err(|_| ApiError::Forbidden)
}

fn allow_suppression(caller: &Caller, action: SuppressionAction) -> Result<(), ApiError> {
    suppression::authorize(caller.user.role, action).map_err(|_| ApiError::Forbidden)
}

/// One direction of an agreement.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FlowView {
    /// Publisher of this direction.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// Outbox positions not yet applied (live when this organization publishes, else as
    /// of the last sync).
    pub lag: i64,
    /// Records applied so far (when this organization receives).
    pub applied: Option<i64>,
    /// Records read and not applied.
    pub skipped: Option<i64>,
}

/// An agreement as this organization's copy holds it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgreementView {
    /// The agreement (its key is never shown).
    pub agreement: votebase_domain::exchange::Agreement,
    /// Its state today.
    pub state: votebase_domain::exchange::AgreementState,
    /// Each direction.
    pub flows: Vec<FlowView>,
}

fn view(s: AgreementStatus) -> AgreementView {
    AgreementView {
        state: s.state,
        flows: s
            .flows
            .into_iter()
            .map(|f: FlowStatus| FlowView {
                from: f.from,
                to: f.to,
                lag: f.lag,
                applied: f.cursor.as_ref().map(|c| c.applied),
                skipped: f.cursor.as_ref().map(|c| c.skipped),
            })
            .collect(),
        agreement: s.agreement,
    }
}

async fn agreements(state: &AppState, caller: &Caller) -> Result<Vec<AgreementView>, ApiError> {
    allow_exchange(caller, ExchangeAction::Read)?;
    let org = state.store.organization();
    let today = chrono::Utc::now().date_naive();
    let mut out = Vec::new();
    for a in state.store.agreements().await? {
        out.push(view(
            app::status(&org, state.store.as_ref(), None, a, today).await?,
        ));
    }
    audit(
        state,
        caller,
        "exchange.read",
        "agreements",
        &format!("{} agreements", out.len()),
    )
    .await?;
    Ok(out)
}

/// This organization's exchange agreements with their state and lag (admins, data
/// managers; audited).
#[utoipa::path(get, path = "/api/v1/exchange", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgreementView>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_agreements(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AgreementView>>, ApiError> {
    Ok(Json(agreements(&state, &caller).await?))
}

async fn sign(state: &AppState, caller: &Caller, id: &str, end: bool) -> Result<(), ApiError> {
    allow_exchange(caller, ExchangeAction::Sign)?;
    let org = state.store.organization();
    if end {
        app::end(state.store.as_ref(), &org, id, &caller.user.name).await?;
    } else {
        app::approve(state.store.as_ref(), &org, id, &caller.user.name).await?;
    }
    Ok(())
}

/// Approves an agreement for this organization (admins; its own copy; the other side
/// sees it at the next sync).
#[utoipa::path(post, path = "/api/v1/exchange/{id}/approve", security(("bearer" = [])),
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_approve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    sign(&state, &caller, &id, false).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Ends an agreement for this organization (admins): nothing flows from the next sync on.
#[utoipa::path(post, path = "/api/v1/exchange/{id}/end", security(("bearer" = [])),
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_end(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    sign(&state, &caller, &id, true).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Which entries.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<i64>,
    /// Include removed entries.
    pub include_removed: Option<bool>,
}

async fn suppressions(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
) -> Result<Vec<Suppression>, ApiError> {
    allow_suppression(caller, SuppressionAction::Read)?;
    let limit = p.limit.unwrap_or(100).clamp(1, MAX_LIST);
    let list = suppression::list(
        state.store.as_ref(),
        limit,
        p.include_removed.unwrap_or(false),
    )
    .await?;
    audit(
        state,
        caller,
        "suppression.read",
        "suppressions",
        &format!("{} entries", list.len()),
    )
    .await?;
    Ok(list)
}

/// The do-not-contact list, newest first (roles that read voters; audited).
#[utoipa::path(get, path = "/api/v1/suppression", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<Suppression>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_suppressions(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<Suppression>>, ApiError> {
    Ok(Json(suppressions(&state, &caller, &p).await?))
}

/// A do-not-contact entry to add: at least one of the voter id, the phone, the email.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewSuppressionBody {
    /// State voter id.
    #[serde(default)]
    pub state_voter_id: String,
    /// Phone, any usual writing (stored E.164).
    #[serde(default)]
    pub phone: String,
    /// Email.
    #[serde(default)]
    pub email: String,
    /// all (default), text, phone, email or door.
    #[serde(default)]
    pub channel: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// Whether an entry was new.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Added {
    /// False when the same entry was already on the list.
    pub added: bool,
}

const MAX_FIELD: usize = 200;

async fn add(
    state: &AppState,
    caller: &Caller,
    body: &NewSuppressionBody,
) -> Result<bool, ApiError> {
    allow_suppression(caller, SuppressionAction::Add)?;
    for field in [
        &body.state_voter_id,
        &body.phone,
        &body.email,
        &body.channel,
        &body.reason,
    ] {
        if field.chars().count() > MAX_FIELD {
            return Err(ApiError::BadRequest(format!(
                "fields are at most {MAX_FIELD} characters"
            )));
        }
    }
    let input = SuppressionInput {
        state_voter_id: body.state_voter_id.clone(),
        phone: body.phone.clone(),
        email: body.email.clone(),
        channel: body.channel.clone(),
        reason: body.reason.clone(),
    };
    let (entry, added) = suppression::add(state.store.as_ref(), &input, &caller.user.name).await?;
    audit(
        state,
        caller,
        "suppression.add",
        &entry.audit_subject(),
        if added { "added" } else { "already listed" },
    )
    .await?;
    Ok(added)
}

/// Puts a voter, a phone or an email on the do-not-contact list (roles that record
/// contacts; audited). Recording the same entry twice keeps one.
#[utoipa::path(post, path = "/api/v1/suppression", request_body = NewSuppressionBody,
    security(("bearer" = [])),
    responses((status = 200, body = Added), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_add(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewSuppressionBody>,
) -> Result<Json<Added>, ApiError> {
    Ok(Json(Added {
        added: add(&state, &caller, &body).await?,
    }))
}

async fn remove(state: &AppState, caller: &Caller, id: i64) -> Result<(), ApiError> {
    allow_suppression(caller, SuppressionAction::Remove)?;
    if !suppression::remove(state.store.as_ref(), id, &caller.user.name).await? {
        return Err(ApiError::NotFound(format!("no live suppression {id}")));
    }
    audit(state, caller, "suppression.remove", &id.to_string(), "").await
}

/// Takes an entry off the list (admins; the row is kept with who and when; audited).
#[utoipa::path(delete, path = "/api/v1/suppression/{id}", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Entry id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode, ApiError> {
    remove(&state, &caller, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

struct AgreementRow {
    id: String,
    publisher: String,
    subscriber: String,
    state: &'static str,
    datasets: String,
    window: String,
    approvals: String,
    flows: String,
    can_approve: bool,
    can_end: bool,
}

#[derive(Template)]
#[template(path = "exchange.html")]
struct ExchangePage {
    user_name: String,
    role: String,
    csrf: String,
    org: String,
    admin: bool,
    rows: Vec<AgreementRow>,
}

async fn exchange_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    let list = agreements(&state, &caller)
        .await
        .map_err(PageRejection::Error)?;
    let org = state.store.organization();
    let admin = allow_exchange(&caller, ExchangeAction::Sign).is_ok();
    let rows = list
        .into_iter()
        .map(|v| {
            let a = &v.agreement;
            let own_signed = if a.publisher == org {
                a.publisher_approval.is_some()
            } else {
                a.subscriber_approval.is_some()
            };
            let sig = |s: &Option<votebase_domain::exchange::Signature>| {
                s.as_ref()
                    .map(|s| format!("{} {}", s.by, s.at.format("%Y-%m-%d")))
                    .unwrap_or_else(|| "not yet".into())
            };
            AgreementRow {
                id: a.id.clone(),
                publisher: a.publisher.clone(),
                subscriber: a.subscriber.clone(),
                state: v.state.code(),
                datasets: a
                    .terms
                    .datasets
                    .iter()
                    .map(|d| d.code())
                    .collect::<Vec<_>>()
                    .join(", "),
                window: format!("{} to {}", a.terms.starts_on, a.terms.ends_on),
                approvals: format!(
                    "{}: {}; {}: {}",
                    a.publisher,
                    sig(&a.publisher_approval),
                    a.subscriber,
                    sig(&a.subscriber_approval)
                ),
                flows: v
                    .flows
                    .iter()
                    .map(|f| {
                        format!(
                            "{} → {}: lag {}, applied {}",
                            f.from,
                            f.to,
                            f.lag,
                            f.applied.unwrap_or(0)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                can_approve: admin && a.ended.is_none() && !own_signed,
                can_end: admin && a.ended.is_none(),
            }
        })
        .collect();
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&ExchangePage {
        user_name,
        role,
        csrf,
        org,
        admin,
        rows,
    }))
}

async fn approve_form(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageRejection> {
    sign(&state, &caller, &id, false)
        .await
        .map_err(PageRejection::Error)?;
    Ok(Redirect::to("/exchange").into_response())
}

async fn end_form(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageRejection> {
    sign(&state, &caller, &id, true)
        .await
        .map_err(PageRejection::Error)?;
    Ok(Redirect::to("/exchange").into_response())
}

struct SuppressionRow {
    id: i64,
    who: String,
    channel: String,
    reason: String,
    source: String,
    when: String,
}

#[derive(Template)]
#[template(path = "suppression.html")]
struct SuppressionPage {
    user_name: String,
    role: String,
    csrf: String,
    can_add: bool,
    can_remove: bool,
    error: Option<String>,
    rows: Vec<SuppressionRow>,
}

async fn render_suppression(
    state: &AppState,
    caller: &Caller,
    error: Option<String>,
) -> Result<Response, PageRejection> {
    let list = suppressions(
        state,
        caller,
        &ListParams {
            limit: Some(MAX_LIST),
            include_removed: None,
        },
    )
    .await
    .map_err(PageRejection::Error)?;
    let (user_name, role, csrf) = crate::pages::nav(caller);
    Ok(crate::pages::render(&SuppressionPage {
        user_name,
        role,
        csrf,
        can_add: allow_suppression(caller, SuppressionAction::Add).is_ok(),
        can_remove: allow_suppression(caller, SuppressionAction::Remove).is_ok(),
        error,
        rows: list
            .into_iter()
            .map(|s| SuppressionRow {
                id: s.id,
                who: [s.entry.state_voter_id, s.entry.phone, s.entry.email]
                    .into_iter()
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · "),
                channel: s.entry.channel,
                reason: s.entry.reason,
                source: s.entry.source,
                when: s.created_at.format("%Y-%m-%d").to_string(),
            })
            .collect(),
    }))
}

async fn suppression_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    render_suppression(&state, &caller, None).await
}

/// The add form (the CSRF field is checked by the one CSRF rule).
#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    state_voter_id: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    reason: String,
}

async fn add_form(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Form(form): Form<AddForm>,
) -> Result<Response, PageRejection> {
    let body = NewSuppressionBody {
        state_voter_id: form.state_voter_id,
        phone: form.phone,
        email: form.email,
        channel: form.channel,
        reason: form.reason,
    };
    match add(&state, &caller, &body).await {
        Ok(_) => Ok(Redirect::to("/suppression").into_response()),
        Err(ApiError::BadRequest(message)) => {
            let page = render_suppression(&state, &caller, Some(message)).await?;
            Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(PageRejection::Error(e)),
    }
}

async fn remove_form(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageRejection> {
    remove(&state, &caller, id)
        .await
        .map_err(PageRejection::Error)?;
    Ok(Redirect::to("/suppression").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::exchange::SuppressionError;

    #[test]
    fn empty_entries_are_bad_requests() {
        let e: ApiError = SuppressionFailure::Invalid(SuppressionError::Empty).into();
        assert!(matches!(e, ApiError::BadRequest(_)));
    }
}
