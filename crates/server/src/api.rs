//! The JSON API under `/api/v1`: voter search and detail, snapshots and their changes,
//! the audit log, and the OpenAPI document describing all of it. Callers authenticate
//! with `Authorization: Bearer <token>` (or a browser session).

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use votebase_domain::users::Permission;
use votebase_domain::{AuditEntry, FieldChange, SnapshotSummary, VoteHistoryRecord};
use votebase_store::{StoredVoter, VoterSummary};

/// The API's routes (mounted under `/api/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/voters", get(search_voters))
        .route("/voters/{id}", get(get_voter))
        .route("/snapshots", get(list_snapshots))
        .route("/snapshots/{id}/changes", get(snapshot_changes))
        .route("/audit", get(audit_log))
}

/// The paths and schemas of this module (voters, snapshots, audit, health).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "votebase API",
        description = "One organization's voter file, snapshots, ballots, universes and lists, contacts, incidents, results, disinformation watch and audit log."
    ),
    paths(
        health,
        search_voters,
        get_voter,
        list_snapshots,
        snapshot_changes,
        audit_log
    ),
    components(schemas(ErrorBody, VoterDetail, Health, AuditRow))
)]
struct ApiDoc;

/// The OpenAPI document, assembled one way: this module's document, then each feature's
/// own `openapi()` (its path list and schemas), then the shared modifiers (the Bearer
/// scheme, and 401/403 on every authenticated operation).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let features = [
        crate::ballots::openapi(),
        crate::contacts::openapi(),
        crate::registration::openapi(),
        crate::lookup::openapi(),
        crate::universes::openapi(),
        crate::incidents::openapi(),
        crate::results::openapi(),
        crate::purges::openapi(),
        crate::disinfo::openapi(),
        crate::volunteers::openapi(),
        crate::donations::openapi(),
        crate::exchange::openapi(),
        crate::archive::openapi(),
    ];
    let mut doc = ApiDoc::openapi();
    for feature in features {
        doc.merge(feature);
    }
    utoipa::Modify::modify(&BearerAuth, &mut doc);
    utoipa::Modify::modify(&AuthResponses, &mut doc);
    doc
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Documents 401 (no valid token or session) and 403 (role, or CSRF) on every operation
/// that declares a security requirement, where the operation did not document them.
struct AuthResponses;

impl utoipa::Modify for AuthResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let response = |text: &str| {
            ResponseBuilder::new()
                .description(text)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if op.security.as_ref().is_none_or(|s| s.is_empty()) {
                    continue;
                }
                let r = &mut op.responses.responses;
                r.entry("401".into())
                    .or_insert_with(|| response("No valid API token or session").into());
                r.entry("403".into()).or_insert_with(|| {
                    response(
                        "The role does not allow this, or a session request without its CSRF token",
                    )
                    .into()
                });
            }
        }
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_document())
}

/// Liveness answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always "ok".
    pub status: String,
    /// Storage backend.
    pub backend: String,
}

/// Is the server up (no sign-in needed).
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        backend: state.store.backend().into(),
    })
}

/// Search parameters.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Name ("SMITH JOHN", "Smith, John"), address ("123 Main St") or voter id.
    pub q: String,
    /// Most results (default 25, at most 1000).
    pub limit: Option<usize>,
}

/// Writes an audit entry for the caller.
pub async fn audit(
    state: &AppState,
    caller: &Caller,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), ApiError> {
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: caller.user.name.clone(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        })
        .await?;
    Ok(())
}

/// Search voters by name, address or id.
#[utoipa::path(get, path = "/api/v1/voters", params(SearchParams),
    security(("bearer" = [])),
    responses((status = 200, body = [VoterSummary]), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn search_voters(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<SearchParams>,
) -> Result<Json<Vec<VoterSummary>>, ApiError> {
    caller.require(Permission::ReadVoters)?;
    let found =
        crate::pages::run_search(&state, &caller, &p.q, p.limit.unwrap_or(25), "api").await?;
    Ok(Json(found))
}

/// A voter with vote history and recorded changes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VoterDetail {
    /// The voter.
    pub voter: StoredVoter,
    /// Elections voted in, newest first.
    pub history: Vec<VoteHistoryRecord>,
    /// Changes across snapshots, oldest first.
    pub changes: Vec<FieldChange>,
    /// Absentee and early-vote ballot events, newest election first.
    pub ballots: Vec<votebase_domain::BallotEvent>,
    /// Phone numbers appended from purchased or collected lists.
    pub appended_phones: Vec<votebase_store::PhoneAppend>,
}

/// Loads a voter's detail and audits the read.
pub async fn load_voter(
    state: &AppState,
    caller: &Caller,
    id: &str,
    channel: &str,
) -> Result<VoterDetail, ApiError> {
    caller.require(Permission::ReadVoters)?;
    let voter = state
        .store
        .get_voter(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no voter with id {id}")))?;
    let history = state.store.voter_history(id).await?;
    let changes = state.store.voter_changes(id).await?;
    let ballots = state.store.voter_ballots(id).await?;
    let appended_phones = state.store.voter_phones(id).await?;
    audit(state, caller, "voter.read", id, channel).await?;
    Ok(VoterDetail {
        voter,
        history,
        changes,
        ballots,
        appended_phones,
    })
}

/// One voter by state voter id (audited).
#[utoipa::path(get, path = "/api/v1/voters/{id}", params(("id" = String, Path, description = "State voter id")),
    security(("bearer" = [])),
    responses((status = 200, body = VoterDetail), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_voter(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VoterDetail>, ApiError> {
    Ok(Json(load_voter(&state, &caller, &id, "api").await?))
}

/// Every snapshot, oldest first.
#[utoipa::path(get, path = "/api/v1/snapshots", security(("bearer" = [])),
    responses((status = 200, body = [SnapshotSummary]), (status = 401, body = ErrorBody)))]
async fn list_snapshots(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SnapshotSummary>>, ApiError> {
    caller.require(Permission::ReadSnapshots)?;
    Ok(Json(state.store.list_snapshots().await?))
}

/// Paging parameters.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// Rows (default 100, at most 10000).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
}

/// The changes one snapshot recorded (added, removed, changed fields).
#[utoipa::path(get, path = "/api/v1/snapshots/{id}/changes",
    params(("id" = i64, Path, description = "Snapshot id"), Page), security(("bearer" = [])),
    responses((status = 200, body = [FieldChange]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn snapshot_changes(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(page): Query<Page>,
) -> Result<Json<Vec<FieldChange>>, ApiError> {
    caller.require(Permission::ImportExport)?;
    let limit = page.limit.unwrap_or(100).clamp(1, 10_000);
    let offset = page.offset.unwrap_or(0).max(0);
    let rows = state.store.snapshot_changes(id, limit, offset).await?;
    audit(
        &state,
        &caller,
        "export",
        &format!("snapshot {id} changes"),
        &format!("{} rows", rows.len()),
    )
    .await?;
    Ok(Json(rows))
}

/// One audit-log line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What kind of access.
    pub action: String,
    /// What it touched.
    pub subject: String,
    /// Detail.
    pub detail: String,
}

/// The newest audit entries (admins only).
#[utoipa::path(get, path = "/api/v1/audit", params(Page), security(("bearer" = [])),
    responses((status = 200, body = [AuditRow]), (status = 403, body = ErrorBody)))]
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    caller.require(Permission::ReadAudit)?;
    let rows = state
        .store
        .audit_log(page.limit.unwrap_or(100).clamp(1, 10_000))
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|e| AuditRow {
                at: e.at.to_rfc3339(),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
            })
            .collect(),
    ))
}
