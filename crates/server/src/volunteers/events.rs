//! Organizers' event pages and API: every event with its shifts' head counts
//! (`/events`), and one event's check-in page, phone-sized (`/events/ID`): each shift's
//! people with a Check in / Undo button, and a walk-in by email. Under `/api/v1/events`
//! the same as JSON, plus RSVPs. Role: [`Permission::ManageVolunteers`]; reading an
//! event's attendance (names) is audited, and so is every check-in and RSVP.

use super::*;
use crate::auth::{PageRejection, PageUser};
use crate::universes::urlencode;
use askama::Template;
use axum::extract::Form;
use axum::response::{IntoResponse, Redirect, Response};
use votebase_app::people::events as app_events;
use votebase_domain::people::events::{AttendanceRecord, AttendanceStatus, Event};

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(api_events))
        .route("/events/{id}/attendance", get(api_attendance))
        .route("/events/{id}/check-in", post(api_check_in))
        .route("/events/{id}/rsvps", post(api_rsvp))
}

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(events_page))
        .route("/events/{id}", get(event_page))
        .route("/events/{id}/check-in", post(check_in_submit))
}

/// A check-in (or its undo).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CheckInRequest {
    /// The shift's id.
    pub shift: String,
    /// The person's id.
    pub person: String,
    /// True: came; false: undo (back to registered).
    #[serde(default = "yes")]
    pub present: bool,
}

fn yes() -> bool {
    true
}

/// An RSVP.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RsvpRequest {
    /// The shift's id.
    pub shift: String,
    /// The person's id.
    pub person: String,
}

async fn attendance(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(Event, Vec<AttendanceRecord>), ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    let Some(event) = state.store.event(id).await? else {
        return Err(ApiError::NotFound(format!("no event {id:?}")));
    };
    let rows = state.store.attendance_of_event(id).await?;
    audit(
        state,
        caller,
        "event.attendance",
        id,
        &format!("{} people", rows.len()),
    )
    .await?;
    Ok((event, rows))
}

async fn check_in(
    state: &AppState,
    caller: &Caller,
    id: &str,
    req: &CheckInRequest,
) -> Result<(), ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    app_events::check_in(
        state.store.as_ref(),
        id,
        &req.shift,
        &req.person,
        req.present,
    )
    .await?;
    audit(
        state,
        caller,
        "event.check_in",
        &format!("{id}/{}/{}", req.shift, req.person),
        if req.present { "" } else { "undo" },
    )
    .await
}

/// Every event with its shifts and head counts, newest first.
#[utoipa::path(get, path = "/api/v1/events", security(("bearer" = [])),
    responses((status = 200, body = [Event]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_events(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Event>>, ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    Ok(Json(state.store.events().await?))
}

/// One event's attendance by shift (audited).
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance", params(
        ("id" = String, Path, description = "The event's id, e.g. mobilize:86738")),
    security(("bearer" = [])),
    responses((status = 200, body = [AttendanceRecord]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_attendance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<AttendanceRecord>>, ApiError> {
    Ok(Json(attendance(&state, &caller, &id).await?.1))
}

/// Checks a person in (walk-ins too), or undoes it.
#[utoipa::path(post, path = "/api/v1/events/{id}/check-in", params(
        ("id" = String, Path, description = "The event's id")),
    request_body = CheckInRequest, security(("bearer" = [])),
    responses((status = 204, description = "Saved"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn api_check_in(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<CheckInRequest>,
) -> Result<axum::http::StatusCode, ApiError> {
    check_in(&state, &caller, &id, &req).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Registers a person for a shift; 400 when the shift is full.
#[utoipa::path(post, path = "/api/v1/events/{id}/rsvps", params(
        ("id" = String, Path, description = "The event's id")),
    request_body = RsvpRequest, security(("bearer" = [])),
    responses((status = 204, description = "Saved"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_rsvp(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(req): Json<RsvpRequest>,
) -> Result<axum::http::StatusCode, ApiError> {
    caller.require(Permission::ManageVolunteers)?;
    app_events::rsvp(state.store.as_ref(), &id, &req.shift, &req.person).await?;
    audit(
        &state,
        &caller,
        "event.rsvp",
        &format!("{id}/{}/{}", req.shift, req.person),
        "",
    )
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// An event as the list shows it.
struct EventRow {
    id: String,
    id_url: String,
    title: String,
    kind: String,
    first_shift: String,
    shifts: usize,
    registered: u32,
    attended: u32,
    no_show: u32,
}

#[derive(Template)]
#[template(path = "volunteers_events.html")]
struct EventsPage {
    user_name: String,
    role: String,
    csrf: String,
    events: Vec<EventRow>,
}

async fn events_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ManageVolunteers)
        .map_err(PageRejection::Error)?;
    let events = state
        .store
        .events()
        .await
        .map_err(|e| PageRejection::Error(e.into()))?
        .into_iter()
        .map(|e| EventRow {
            id_url: urlencode(&e.external_id),
            first_shift: e
                .shifts
                .first()
                .map(|s| s.shift.starts_at.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            shifts: e.shifts.len(),
            registered: e.shifts.iter().map(|s| s.registered).sum(),
            attended: e.shifts.iter().map(|s| s.attended).sum(),
            no_show: e.shifts.iter().map(|s| s.no_show).sum(),
            id: e.external_id,
            title: e.title,
            kind: e.kind,
        })
        .collect();
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&EventsPage {
        user_name,
        role,
        csrf,
        events,
    }))
}

/// A person on the check-in page.
struct PersonRow {
    person: String,
    status: String,
    attended: bool,
}

/// A shift on the check-in page.
struct ShiftBlock {
    id: String,
    when: String,
    counts: String,
    people: Vec<PersonRow>,
}

#[derive(Template)]
#[template(path = "volunteers_event.html")]
struct EventPage {
    user_name: String,
    role: String,
    csrf: String,
    id: String,
    id_url: String,
    title: String,
    location: String,
    shifts: Vec<ShiftBlock>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct EventPageParams {
    done: Option<String>,
}

async fn event_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Query(p): Query<EventPageParams>,
) -> Result<Response, PageRejection> {
    let (event, rows) = attendance(&state, &caller, &id)
        .await
        .map_err(PageRejection::Error)?;
    let shifts = event
        .shifts
        .iter()
        .map(|s| ShiftBlock {
            id: s.shift.external_id.clone(),
            when: s.shift.starts_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            counts: format!(
                "{} registered, {} here{}",
                s.registered,
                s.attended,
                s.shift
                    .capacity
                    .map(|c| format!(", capacity {c}"))
                    .unwrap_or_default()
            ),
            people: rows
                .iter()
                .filter(|r| r.attendance.shift == s.shift.external_id)
                .filter(|r| r.attendance.status != AttendanceStatus::Cancelled)
                .map(|r| PersonRow {
                    person: r.attendance.person.clone(),
                    status: r.attendance.status.code().replace('_', " "),
                    attended: r.attendance.status == AttendanceStatus::Attended,
                })
                .collect(),
        })
        .collect();
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&EventPage {
        user_name,
        role,
        csrf,
        id_url: urlencode(&id),
        id,
        title: event.title,
        location: event.location,
        shifts,
        notice: p.done.map(|who| format!("Saved: {who}")),
    }))
}

#[derive(Deserialize)]
struct CheckInForm {
    shift: String,
    #[serde(default)]
    person: String,
    /// A walk-in's email (used when `person` is empty).
    #[serde(default)]
    email: String,
    #[serde(default)]
    undo: String,
}

async fn check_in_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Form(form): Form<CheckInForm>,
) -> Result<Response, PageRejection> {
    let person = if form.person.trim().is_empty() {
        state
            .store
            .person_by_email(form.email.trim())
            .await
            .map_err(|e| PageRejection::Error(e.into()))?
            .ok_or_else(|| {
                PageRejection::Error(ApiError::NotFound(format!(
                    "nobody with the email {:?}: import them first",
                    form.email.trim()
                )))
            })?
    } else {
        form.person.trim().to_string()
    };
    let req = CheckInRequest {
        shift: form.shift,
        person: person.clone(),
        present: form.undo.is_empty(),
    };
    check_in(&state, &caller, &id, &req)
        .await
        .map_err(PageRejection::Error)?;
    Ok(Redirect::to(&format!(
        "/events/{}?done={}#shift-{}",
        urlencode(&id),
        urlencode(&person),
        urlencode(&req.shift)
    ))
    .into_response())
}
