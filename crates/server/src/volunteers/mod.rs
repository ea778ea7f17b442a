//! Volunteers, projects and matching over HTTP. Campaign side (signed in, role holding
//! [`Permission::ManageVolunteers`]): the projects list, a project's ranked and explained
//! candidates with each match's double opt-in state, invite, accept or decline, as pages
//! (`/projects`) and under `/api/v1/projects`; every read of candidates or matches is
//! audited. Volunteer side (no account, `public`): the sign-up form in English and
//! Spanish (its own pre-session CSRF cookie, rate-limited per client address, bounded
//! fields, the consent wording shown stored with the record), "my matches" reached by the
//! signed link in every email where the volunteer says yes or no, and the unsubscribe
//! link, honoured at once. Organizers' events: the list, a phone-sized check-in page,
//! and `/api/v1/events` ([`events`]).

use crate::AppState;
use crate::api::audit;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use votebase_app::people::links::LinkSigner;
use votebase_app::people::{self as app, Candidate, PeopleError};
use votebase_domain::people::{MatchStep, Project, ProjectMatch};
use votebase_domain::users::Permission;

mod events;
mod pages;
mod public;

/// Name of the sign-up form's CSRF cookie.
pub const SIGNUP_CSRF_COOKIE: &str = "vb_signup_csrf";
/// Most candidates a page or an API call ranks.
pub const MAX_TOP: usize = 500;

/// Page routes: the campaign's pages and the volunteers' public pages.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(pages::projects_page))
        .route("/projects/{id}", get(pages::project_page))
        .route("/projects/{id}/invite", post(pages::invite_submit))
        .route("/projects/{id}/decide", post(pages::decide_submit))
        .route(
            "/volunteer/signup",
            get(public::signup_page).post(public::signup_submit),
        )
        .route("/volunteer/matches", get(public::matches_page))
        .route("/volunteer/matches/answer", post(public::answer_submit))
        .route(
            "/volunteer/unsubscribe",
            get(public::unsubscribe_page).post(public::unsubscribe_submit),
        )
        .merge(events::page_routes())
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(api_projects))
        .route("/projects/{id}/candidates", get(api_candidates))
        .route("/projects/{id}/matches", get(api_matches))
        .route("/projects/{id}/invitations", post(api_invite))
        .route("/projects/{id}/decisions", post(api_decide))
        .merge(events::api_routes())
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(
            api_projects,
            api_candidates,
            api_matches,
            api_invite,
            api_decide,
            events::api_events,
            events::api_attendance,
            events::api_check_in,
            events::api_rsvp
        ),
        components(schemas(
            Project,
            ProjectMatch,
            Candidate,
            ProjectInviteRequest,
            ProjectInviteReply,
            ProjectDecisionRequest,
            votebase_domain::people::MatchState,
            votebase_domain::people::SkillLevel,
            votebase_domain::people::events::Event,
            votebase_domain::people::events::Shift,
            votebase_domain::people::events::NewShift,
            votebase_domain::people::events::AttendanceRecord,
            votebase_domain::people::events::Attendance,
            votebase_domain::people::events::AttendanceStatus,
            events::CheckInRequest,
            events::RsvpRequest,
        ))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::Store(s) => s.into(),
            PeopleError::NotFound(m) => ApiError::NotFound(m),
            PeopleError::Invalid(m) => ApiError::BadRequest(m),
            PeopleError::BadLink => ApiError::NotFound(e.to_string()),
        }
    }
}

/// The link signer of this server (the organization's key, links under the public URL).
async fn signer(state: &AppState) -> Result<LinkSigner, ApiError> {
    Ok(LinkSigner::load(state.store.as_ref(), state.public_url.as_deref()).await?)
}

/// How many candidates.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct TopParams {
    /// Most candidates, best first (default 50, at most 500).
    pub top: Option<usize>,
}

/// Whom to invite.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProjectInviteRequest {
    /// The volunteer's id (from the import file, or the sign-up).
    pub volunteer: String,
}

/// An invitation: the match, and whether it was made now (false: invited before, no
/// second email).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectInviteReply {
    /// The match.
    #[serde(rename = "match")]
    pub project_match: ProjectMatch,
    /// Made by this call.
    pub created: bool,
}

/// The campaign's decision on a volunteer who said yes.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProjectDecisionRequest {
    /// The volunteer's id.
    pub volunteer: String,
    /// Accept (true) or decline (false).
    pub accept: bool,
}

fn top(p: &TopParams) -> usize {
    p.top.unwrap_or(50).clamp(1, MAX_TOP)
}

/// Ranks a project's candidates for a caller who may (audited).
pub async fn candidates(
    state: &AppState,
    caller: &Caller,
    project: &str,
    top: usize,
) -> Result<Vec<Candidate>, ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    let rows = app::candidates(state.store.as_ref(), project, top).await?;
    audit(
        state,
        caller,
        "project.candidates",
        project,
        &format!("{} volunteers", rows.len()),
    )
    .await?;
    Ok(rows)
}

/// Invites a volunteer for a caller who may (audited when made).
pub async fn invite(
    state: &AppState,
    caller: &Caller,
    project: &str,
    volunteer: &str,
) -> Result<(ProjectMatch, bool), ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    let links = signer(state).await?;
    let (m, created) = app::invite(state.store.as_ref(), project, volunteer, &links).await?;
    if created {
        audit(
            state,
            caller,
            "match.invite",
            &format!("{project}/{volunteer}"),
            "",
        )
        .await?;
    }
    Ok((m, created))
}

/// The campaign accepts or declines, for a caller who may (audited).
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    project: &str,
    volunteer: &str,
    accept: bool,
) -> Result<ProjectMatch, ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    let m = app::step(
        state.store.as_ref(),
        project,
        volunteer,
        MatchStep::CampaignDecides { accept },
    )
    .await?;
    audit(
        state,
        caller,
        "match.decide",
        &format!("{project}/{volunteer}"),
        if accept { "accept" } else { "decline" },
    )
    .await?;
    Ok(m)
}

/// Every project.
#[utoipa::path(get, path = "/api/v1/projects", security(("bearer" = [])),
    responses((status = 200, body = [Project]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_projects(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Project>>, ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    Ok(Json(state.store.projects().await?))
}

/// A project's candidates, best first: every volunteer with all its required skills
/// who has not unsubscribed, scored by skill fit then affinity, each explained, with the
/// match state of those already invited (audited).
#[utoipa::path(get, path = "/api/v1/projects/{id}/candidates", params(
        ("id" = String, Path, description = "The project's id"), TopParams),
    security(("bearer" = [])),
    responses((status = 200, body = [Candidate]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_candidates(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(p): Query<TopParams>,
) -> Result<Json<Vec<Candidate>>, ApiError> {
    Ok(Json(candidates(&state, &caller, &id, top(&p)).await?))
}

/// A project's matches and their double opt-in state, best score first (audited).
#[utoipa::path(get, path = "/api/v1/projects/{id}/matches", params(
        ("id" = String, Path, description = "The project's id")),
    security(("bearer" = [])),
    responses((status = 200, body = [ProjectMatch]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_matches(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ProjectMatch>>, ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    if state.store.project(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no project {id:?}")));
    }
    let rows = state.store.matches_of_project(&id).await?;
    audit(&state, &caller, "project.matches", &id, "").await?;
    Ok(Json(rows))
}

/// Invites a volunteer who has every required skill and has not unsubscribed; the
/// invitation email (with the volunteer's matches and unsubscribe links) is queued once.
#[utoipa::path(post, path = "/api/v1/projects/{id}/invitations", params(
        ("id" = String, Path, description = "The project's id")),
    request_body = ProjectInviteRequest, security(("bearer" = [])),
    responses((status = 200, body = ProjectInviteReply), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_invite(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ProjectInviteRequest>,
) -> Result<Json<ProjectInviteReply>, ApiError> {
    let (project_match, created) = invite(&state, &caller, &id, &req.volunteer).await?;
    Ok(Json(ProjectInviteReply {
        project_match,
        created,
    }))
}

/// The campaign accepts or declines a volunteer who said yes.
#[utoipa::path(post, path = "/api/v1/projects/{id}/decisions", params(
        ("id" = String, Path, description = "The project's id")),
    request_body = ProjectDecisionRequest, security(("bearer" = [])),
    responses((status = 200, body = ProjectMatch), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<ProjectDecisionRequest>,
) -> Result<Json<ProjectMatch>, ApiError> {
    Ok(Json(
        decide(&state, &caller, &id, &req.volunteer, req.accept).await?,
    ))
}
