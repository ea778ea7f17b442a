//! Voter protection on election day, over HTTP: the hotline operator's intake form
//! (keyboard only, caller lookup against the voter file by name and ZIP), the public
//! self-report form (no account, CSRF, rate-limited per address), the live queue
//! (server-sent events, sorted by severity and age), the incident page with its timeline
//! and actions, photo attachments (checked by magic bytes, deduplicated, served inline
//! with `nosniff` to roles that may view the incident, every view audited), the dashboard, CSV/JSON exports for the legal team, the escalation timer,
//! and the same under `/api/v1/incidents`. Lawyers and observers see only the counties
//! they cover; reporter contact details only reach roles holding
//! [`Permission::IncidentContact`]; every view and export of an incident is audited.

use crate::AppState;
use crate::api::audit;
use crate::auth::{self, Caller, PageRejection, PageUser, same_secret};
use crate::error::{ApiError, ErrorBody};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::Extensions;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use tokio::sync::broadcast;
use utoipa::OpenApi;
use votebase_domain::Role;
use votebase_domain::incidents::{
    AttachmentError, CategoryInfo, INCIDENT_CSV_HEADER, Incident, IncidentAction,
    IncidentAttachment, IncidentDashboard, IncidentFilter, IncidentLocation, IncidentStatus,
    MAX_ATTACHMENT_BYTES, NewAttachment, NewIncident, Reporter, Resolution, Severity,
    TimelineEntry, TriageRules, dashboard, incident_csv_record,
};
use votebase_domain::users::Permission;

/// Name of the public report form's CSRF cookie.
pub const REPORT_CSRF_COOKIE: &str = "vb_report_csrf";

/// Longest description accepted.
const MAX_DESCRIPTION: usize = 4000;

/// One queue update, serialised once and sent to every live-queue client in scope.
#[derive(Debug)]
pub struct QueueEvent {
    /// The incident's county (clients covering other counties skip it).
    pub county: String,
    /// The [`QueueRow`] as JSON.
    pub json: String,
}

/// The live queue's fan-out and the public form's rate limit.
pub struct Hub {
    sender: broadcast::Sender<Arc<QueueEvent>>,
    report_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// The triage rules as last read, and when: intake reads them at most every
    /// [`RULES_TTL`] (a change made with `votebase incidents rules --set` applies within it).
    rules: std::sync::Mutex<Option<(std::time::Instant, TriageRules)>>,
}

/// How long intake reuses the triage rules it read.
pub const RULES_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl Hub {
    /// A hub; the public form allows `VOTEBASE_REPORT_PER_MINUTE` reports a minute per
    /// address (default 6).
    pub fn new() -> Arc<Self> {
        let per_minute = std::env::var("VOTEBASE_REPORT_PER_MINUTE")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .and_then(NonZeroU32::new)
            .unwrap_or(NonZeroU32::new(6).expect("non-zero"));
        let (sender, _) = broadcast::channel(16_384);
        Arc::new(Self {
            sender,
            report_limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            rules: std::sync::Mutex::new(None),
        })
    }

    /// The organization's triage rules, read from the store at most every [`RULES_TTL`].
    pub async fn rules(&self, store: &dyn votebase_store::Store) -> Result<TriageRules, ApiError> {
        if let Some((at, rules)) = self
            .rules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && at.elapsed() < RULES_TTL
        {
            return Ok(rules.clone());
        }
        let rules = store.incident_rules().await?;
        *self.rules.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((std::time::Instant::now(), rules.clone()));
        Ok(rules)
    }

    /// Sends an incident's queue row to every connected client.
    pub fn publish(&self, incident: &Incident) {
        let row = QueueRow::of(incident);
        if let Ok(json) = serde_json::to_string(&row) {
            // No receiver connected is fine.
            let _ = self.sender.send(Arc::new(QueueEvent {
                county: incident.location.county.clone(),
                json,
            }));
        }
    }

    /// Live-queue clients connected now.
    pub fn clients(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// An incident as the queue shows it: no reporter contact details.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueueRow {
    /// Id.
    pub id: i64,
    /// When observed (RFC 3339).
    pub observed_at: DateTime<Utc>,
    /// Category code.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// 1 (low) to 4 (critical).
    pub severity_rank: i64,
    /// Status.
    pub status: IncidentStatus,
    /// Still open.
    pub open: bool,
    /// County.
    pub county: String,
    /// Where, in one line.
    pub place: String,
    /// Who has it.
    pub assigned_to: Option<String>,
    /// Cluster.
    pub cluster_id: Option<i64>,
    /// Duplicate of.
    pub duplicate_of: Option<i64>,
    /// The start of the description.
    pub summary: String,
}

impl QueueRow {
    /// The queue row of an incident.
    pub fn of(i: &Incident) -> Self {
        let summary: String = i.description.chars().take(140).collect();
        Self {
            id: i.id,
            observed_at: i.observed_at,
            category: i.category.clone(),
            severity: i.severity,
            severity_rank: i.severity.rank(),
            status: i.status,
            open: i.status.is_open(),
            county: i.location.county.clone(),
            place: i.location.display(),
            assigned_to: i.assigned_to.clone(),
            cluster_id: i.cluster_id,
            duplicate_of: i.duplicate_of,
            summary,
        }
    }
}

/// Page routes: intake, queue, live events, incident pages, dashboard, export, and the
/// public report form.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(queue_page))
        .route("/incidents/new", get(intake_page).post(intake_submit))
        .route("/incidents/events", get(events))
        .route("/incidents/dashboard", get(dashboard_page))
        .route("/incidents/export", get(export_page))
        .route("/incidents/{id}", get(incident_page))
        .route("/incidents/{id}/act", post(act_submit))
        .route("/incidents/{id}/attachments/{n}", get(attachment_get))
        .route("/report", get(report_page).post(report_submit))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(api_list).post(api_create))
        .route("/incidents/categories", get(api_categories))
        .route("/incidents/caller-lookup", get(api_caller_lookup))
        .route("/incidents/dashboard", get(api_dashboard))
        .route("/incidents/export", get(api_export))
        .route("/incidents/{id}", get(api_get))
        .route("/incidents/{id}/actions", post(api_act))
        .route("/incidents/{id}/attachments/{n}", get(attachment_get))
}

/// The photo upload routes (the page's multipart form and the API's raw body), with their
/// own body limit: merged by the router outside the global 1 MiB request limit.
pub fn attachment_routes() -> Router<AppState> {
    Router::new()
        .route("/incidents/{id}/attachments", post(attach_submit))
        .route("/api/v1/incidents/{id}/attachments", post(api_attach))
        .layer(axum::extract::DefaultBodyLimit::max(
            MAX_ATTACHMENT_BYTES + (1 << 20),
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_ATTACHMENT_BYTES + (1 << 20),
        ))
}

/// The OpenAPI description of the incident routes (merged into the API's document).
#[derive(OpenApi)]
#[openapi(
    paths(
        api_create,
        api_list,
        api_get,
        api_act,
        api_attach,
        attachment_get,
        api_categories,
        api_caller_lookup,
        api_dashboard,
        api_export
    ),
    components(schemas(
        IntakeRequest,
        IntakeReply,
        IncidentDetail,
        IncidentAttachment,
        AttachReply,
        CallerMatch,
        QueueRow,
        Incident,
        TimelineEntry,
        IncidentAction,
        IncidentDashboard,
        CategoryInfo
    ))
)]
pub struct IncidentsApiDoc;

/// Starts the escalation timer: every 30 seconds, incidents untouched for the rules'
/// `stale_minutes` are escalated and pushed to the live queue.
pub fn spawn_escalator(state: &AppState) {
    let store = state.store.clone();
    let hub = state.incidents.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            match store.escalate_stale_incidents(Utc::now()).await {
                Ok(escalated) => escalated.iter().for_each(|i| hub.publish(i)),
                Err(e) => tracing::warn!(error = %e, "escalation timer"),
            }
        }
    });
}

/// The counties a caller may see: `None` for all, else the counties they cover
/// (lawyers and observers).
pub async fn scope(state: &AppState, caller: &Caller) -> Result<Option<Vec<String>>, ApiError> {
    match caller.user.role {
        Role::Lawyer | Role::Observer => Ok(Some(
            state
                .store
                .coverage(Some(&caller.user.name))
                .await?
                .into_iter()
                .map(|c| c.county)
                .collect(),
        )),
        _ => Ok(None),
    }
}

fn in_scope(scope: &Option<Vec<String>>, county: &str) -> bool {
    scope
        .as_ref()
        .is_none_or(|cs| cs.iter().any(|c| c.eq_ignore_ascii_case(county)))
}

/// The incident as this caller may see it (contact details blanked without permission).
fn shown(caller: &Caller, i: Incident) -> Incident {
    if caller.user.role.allows(Permission::IncidentContact) {
        i
    } else {
        i.without_contact()
    }
}

/// A polling place of the loaded VIP feed.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceOption {
    /// Feed id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address, one line.
    pub address: String,
    /// County (the feed's locality, upper case).
    pub county: String,
}

/// Election-day polling places of the loaded feed, by county then name (empty without a feed).
pub fn feed_places(state: &AppState) -> Vec<PlaceOption> {
    let Some(feed) = state.lookup.feed() else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in feed.index.precincts() {
        for place in &p.polling_places {
            if seen.insert(place.id.clone()) {
                out.push(PlaceOption {
                    id: place.id.clone(),
                    name: place.name.clone(),
                    address: place.address.join(", "),
                    county: p
                        .locality
                        .trim()
                        .trim_end_matches(" County")
                        .to_ascii_uppercase(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.county.cmp(&b.county).then(a.name.cmp(&b.name)));
    out
}

/// A report as the API and the forms send it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IntakeRequest {
    /// Category code (see `/api/v1/incidents/categories`).
    pub category: String,
    /// What happened.
    pub description: String,
    /// When it was observed (default: now).
    pub observed_at: Option<DateTime<Utc>>,
    /// County (may be left out when `polling_place_id` names a place of the loaded feed).
    pub county: String,
    /// Precinct.
    pub precinct: String,
    /// Polling place id in the loaded VIP feed.
    pub polling_place_id: String,
    /// Polling place name, when not from the feed.
    pub polling_place: String,
    /// Free street address (normalised like voter addresses).
    pub address: String,
    /// City of the free address.
    pub city: String,
    /// ZIP of the free address.
    pub zip: String,
    /// Reporter's name.
    pub reporter_name: String,
    /// Reporter's phone.
    pub reporter_phone: String,
    /// voter, observer, poll_worker or other.
    pub reporter_relationship: String,
    /// Reporter's state voter id (from the caller lookup).
    pub reporter_voter_id: String,
}

const RELATIONSHIPS: [&str; 4] = ["voter", "observer", "poll_worker", "other"];

/// Checks and normalises a report into a [`NewIncident`].
pub async fn build_incident(
    state: &AppState,
    req: IntakeRequest,
    channel: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<NewIncident, ApiError> {
    let rules = state.incidents.rules(state.store.as_ref()).await?;
    let category = rules
        .category(&req.category)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let description = req.description.trim().to_string();
    if description.is_empty() {
        return Err(ApiError::BadRequest(
            "description is empty: say what happened".into(),
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::BadRequest(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    let observed_at = req.observed_at.unwrap_or(now);
    if observed_at > now + Duration::minutes(5) {
        return Err(ApiError::BadRequest("observed_at is in the future".into()));
    }
    let mut location = IncidentLocation {
        county: clean(&req.county).to_ascii_uppercase(),
        precinct: clean(&req.precinct),
        polling_place_id: req.polling_place_id.trim().to_string(),
        polling_place: clean(&req.polling_place),
        address: String::new(),
    };
    if !location.polling_place_id.is_empty() {
        let places = feed_places(state);
        if !places.is_empty() {
            let place = places
                .iter()
                .find(|p| p.id == location.polling_place_id)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "no polling place {:?} in the loaded VIP feed",
                        location.polling_place_id
                    ))
                })?;
            location.polling_place = place.name.clone();
            if location.county.is_empty() {
                location.county = place.county.clone();
            }
        }
    }
    if !req.address.trim().is_empty() {
        let a = votebase_normalize::normalize_address(&req.address, &req.city, "", &req.zip);
        let mut line = a.line1();
        if line.trim().is_empty() {
            line = clean(&req.address).to_ascii_uppercase();
        }
        if !a.city.is_empty() {
            line = format!("{line}, {}", a.city);
        }
        if !a.zip5.is_empty() {
            line = format!("{line} {}", a.zip5);
        }
        location.address = line;
    }
    if location.county.is_empty() {
        return Err(ApiError::BadRequest(
            "county is empty: give the county (or a polling place of the loaded feed)".into(),
        ));
    }
    let relationship = req
        .reporter_relationship
        .trim()
        .to_ascii_lowercase()
        .replace(' ', "_");
    if !relationship.is_empty() && !RELATIONSHIPS.contains(&relationship.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "reporter_relationship {relationship:?}: use voter, observer, poll_worker or other"
        )));
    }
    let phone = votebase_normalize::normalize_phone(&req.reporter_phone);
    let phone = if phone.e164.is_empty() {
        clean(&req.reporter_phone)
    } else {
        phone.e164
    };
    Ok(NewIncident {
        observed_at,
        category: category.code,
        description,
        location,
        reporter: Reporter {
            name: clean(&req.reporter_name),
            phone,
            relationship,
            voter_id: req.reporter_voter_id.trim().to_string(),
        },
        channel: channel.into(),
        created_by: created_by.into(),
        external_key: None,
    })
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Stores a report, publishes it (and every incident the rules changed) to the live queue.
pub async fn intake(
    state: &AppState,
    new: NewIncident,
) -> Result<votebase_store::incidents::IntakeOutcome, ApiError> {
    let outcome = state.store.create_incident(&new, Utc::now()).await?;
    state.incidents.publish(&outcome.incident);
    for id in &outcome.changed {
        if let Some(i) = state.store.get_incident(*id).await? {
            state.incidents.publish(&i);
        }
    }
    Ok(outcome)
}

/// Loads one incident for a caller: in scope or not found; the view is audited.
pub async fn load_incident(
    state: &AppState,
    caller: &Caller,
    id: i64,
    channel: &str,
) -> Result<(Incident, Vec<TimelineEntry>), ApiError> {
    caller.require(Permission::IncidentRead)?;
    let scope = scope(state, caller).await?;
    let incident = state
        .store
        .get_incident(id)
        .await?
        .filter(|i| in_scope(&scope, &i.location.county))
        .ok_or_else(|| ApiError::NotFound(format!("no incident #{id} in your counties")))?;
    let timeline = state.store.incident_timeline(id).await?;
    audit(
        state,
        caller,
        "incident.read",
        &format!("incident {id}"),
        channel,
    )
    .await?;
    Ok((shown(caller, incident), timeline))
}

/// Applies an action for a caller (in scope; assigning someone else needs
/// [`Permission::IncidentManage`]) and publishes the result.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: &IncidentAction,
) -> Result<Incident, ApiError> {
    caller.require(Permission::IncidentWork)?;
    if let IncidentAction::Assign { to } = action
        && to != &caller.user.name
    {
        caller.require(Permission::IncidentManage)?;
    }
    let scope = scope(state, caller).await?;
    let visible = state
        .store
        .get_incident(id)
        .await?
        .is_some_and(|i| in_scope(&scope, &i.location.county));
    if !visible {
        return Err(ApiError::NotFound(format!(
            "no incident #{id} in your counties"
        )));
    }
    let updated = state
        .store
        .act_on_incident(id, &caller.user.name, action, Utc::now())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no incident #{id}")))?;
    state.incidents.publish(&updated);
    Ok(shown(caller, updated))
}

/// Filter parameters of lists, dashboards and exports.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct ListParams {
    /// County.
    pub county: Option<String>,
    /// Status code.
    pub status: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Only open incidents.
    pub open: Option<bool>,
    /// Most rows (default 1000 for lists; exports have no limit).
    pub limit: Option<i64>,
    /// Export format: csv or json.
    pub format: Option<String>,
}

fn empty_none(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

async fn filter_for(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
    default_limit: i64,
) -> Result<IncidentFilter, ApiError> {
    let scope = scope(state, caller).await?;
    let status = match empty_none(&p.status) {
        None => None,
        Some(s) => Some(IncidentStatus::parse(&s).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown status {s:?}: use new, triaged, assigned, escalated, resolved or closed"
            ))
        })?),
    };
    let counties = match (empty_none(&p.county), scope) {
        (Some(c), Some(scope)) => Some(
            scope
                .into_iter()
                .filter(|s| s.eq_ignore_ascii_case(&c))
                .collect(),
        ),
        (Some(c), None) => Some(vec![c.to_ascii_uppercase()]),
        (None, scope) => scope,
    };
    Ok(IncidentFilter {
        counties,
        status,
        category: empty_none(&p.category),
        open_only: p.open.unwrap_or(false),
        limit: p.limit.unwrap_or(default_limit).max(0),
    })
}

/// Incidents for a caller's listing (contact details as their role allows), audited.
pub async fn list_for(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
    default_limit: i64,
    action: &str,
    channel: &str,
) -> Result<Vec<Incident>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let filter = filter_for(state, caller, p, default_limit).await?;
    let rows = state.store.list_incidents(&filter).await?;
    audit(
        state,
        caller,
        action,
        &describe_filter(&filter),
        &format!("{channel}, {} incidents", rows.len()),
    )
    .await?;
    Ok(rows.into_iter().map(|i| shown(caller, i)).collect())
}

fn describe_filter(f: &IncidentFilter) -> String {
    let mut parts = vec!["incidents".to_string()];
    if let Some(c) = &f.counties {
        parts.push(format!("county={}", c.join("|")));
    }
    if let Some(s) = f.status {
        parts.push(format!("status={s}"));
    }
    if let Some(c) = &f.category {
        parts.push(format!("category={c}"));
    }
    if f.open_only {
        parts.push("open".into());
    }
    parts.join(" ")
}

/// Incidents as CSV bytes.
pub fn to_csv(rows: &[Incident]) -> Result<Vec<u8>, ApiError> {
    let write = || -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(INCIDENT_CSV_HEADER)?;
        for r in rows {
            w.write_record(incident_csv_record(r))?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    };
    write().map_err(|e| ApiError::Internal(e.to_string()))
}

async fn export(
    state: &AppState,
    caller: &Caller,
    p: &ListParams,
    channel: &str,
) -> Result<Response, ApiError> {
    caller.require(Permission::IncidentExport)?;
    let format = empty_none(&p.format).unwrap_or_else(|| "csv".into());
    if format != "csv" && format != "json" {
        return Err(ApiError::BadRequest(format!(
            "unknown format {format:?}: use csv or json"
        )));
    }
    let rows = list_for(state, caller, p, 0, "incident.export", channel).await?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    if format == "json" {
        let body = serde_json::to_vec(&rows).map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok((
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"incidents-{stamp}.json\""),
                ),
            ],
            body,
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"incidents-{stamp}.csv\""),
            ),
        ],
        to_csv(&rows)?,
    )
        .into_response())
}

// ---------------------------------------------------------------- API

/// What an intake did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IntakeReply {
    /// The incident as stored (after triage).
    pub incident: Incident,
    /// Other incidents the triage rules changed (joined a cluster).
    pub changed: Vec<i64>,
}

/// Report an incident (hotline operators, observers, coordinators, scripts).
#[utoipa::path(post, path = "/api/v1/incidents", request_body = IntakeRequest,
    security(("bearer" = [])),
    responses((status = 201, body = IntakeReply), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<IntakeRequest>,
) -> Result<(StatusCode, Json<IntakeReply>), ApiError> {
    caller.require(Permission::IncidentIntake)?;
    let new = build_incident(&state, req, "api", &caller.user.name, Utc::now()).await?;
    let out = intake(&state, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(IntakeReply {
            incident: shown(&caller, out.incident),
            changed: out.changed,
        }),
    ))
}

/// Incidents in the caller's counties, most severe then oldest first (audited).
#[utoipa::path(get, path = "/api/v1/incidents", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = [Incident]), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<Incident>>, ApiError> {
    Ok(Json(
        list_for(&state, &caller, &p, 1000, "incident.list", "api").await?,
    ))
}

/// An incident with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentDetail {
    /// The incident.
    pub incident: Incident,
    /// Every change, note and action, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Photos, in the order attached (bytes at `/incidents/{id}/attachments/{n}`).
    pub attachments: Vec<IncidentAttachment>,
}

/// One incident with its timeline (audited).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", params(("id" = i64, Path, description = "Incident id")),
    security(("bearer" = [])),
    responses((status = 200, body = IncidentDetail), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let (incident, timeline) = load_incident(&state, &caller, id, "api").await?;
    let attachments = state.store.incident_attachments(id).await?;
    Ok(Json(IncidentDetail {
        incident,
        timeline,
        attachments,
    }))
}

/// What attaching a photo did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttachReply {
    /// The stored photo (the earlier one when these bytes were already attached).
    pub attachment: IncidentAttachment,
    /// False when the incident already had these bytes.
    pub created: bool,
}

fn attachment_err(e: AttachmentError) -> ApiError {
    match e {
        AttachmentError::TooLarge(_) => ApiError::PayloadTooLarge(e.to_string()),
        AttachmentError::Empty | AttachmentError::NotAnImage => {
            ApiError::UnsupportedMediaType(e.to_string())
        }
    }
}

/// The incident if the caller may see it (their counties), else not found.
async fn visible_incident(
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
fn require_attach(caller: &Caller) -> Result<(), ApiError> {
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
async fn api_attach(
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
async fn attachment_get(
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

/// Triage, assign, escalate, resolve, close, reopen or add a note.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", request_body = IncidentAction,
    params(("id" = i64, Path, description = "Incident id")), security(("bearer" = [])),
    responses((status = 200, body = Incident), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(action): Json<IncidentAction>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(act(&state, &caller, id, &action).await?))
}

/// The organization's incident categories.
#[utoipa::path(get, path = "/api/v1/incidents/categories", security(("bearer" = [])),
    responses((status = 200, body = [CategoryInfo]), (status = 403, body = ErrorBody)))]
async fn api_categories(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CategoryInfo>>, ApiError> {
    if !caller.user.role.allows(Permission::IncidentIntake) {
        caller.require(Permission::IncidentRead)?;
    }
    Ok(Json(state.store.incident_rules().await?.categories()))
}

/// Caller lookup parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallerLookupParams {
    /// The caller's name ("Smith John" or "Smith, John").
    pub name: String,
    /// ZIP code.
    pub zip: String,
}

/// A voter matching a caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallerMatch {
    /// State voter id.
    pub state_voter_id: String,
    /// Name.
    pub name: String,
    /// Address with city and ZIP.
    pub address: String,
    /// County.
    pub county_name: String,
    /// Status code.
    pub status: String,
}

/// Finds a caller in the voter file by name and ZIP (audited as a voter search).
pub async fn caller_lookup(
    state: &AppState,
    caller: &Caller,
    name: &str,
    zip: &str,
) -> Result<Vec<CallerMatch>, ApiError> {
    caller.require(Permission::CallerLookup)?;
    let zip5: String = zip.chars().filter(|c| c.is_ascii_digit()).take(5).collect();
    if zip5.len() != 5 {
        return Err(ApiError::BadRequest("give a five-digit ZIP code".into()));
    }
    let query = votebase_ingest::search::parse_voter_query(name, 500);
    if query.names.is_empty() {
        return Err(ApiError::BadRequest(
            "give the caller's name, last name first or \"Last, First\"".into(),
        ));
    }
    let found = state.store.search_voters(&query).await?;
    let matches: Vec<CallerMatch> = found
        .into_iter()
        .filter(|v| v.present && v.address.ends_with(&zip5))
        .take(10)
        .map(|v| CallerMatch {
            state_voter_id: v.state_voter_id,
            name: v.name,
            address: v.address,
            county_name: v.county_name,
            status: v.status,
        })
        .collect();
    audit(
        state,
        caller,
        "voter.search",
        &format!("{name} {zip5}"),
        &format!("incident caller lookup, {} results", matches.len()),
    )
    .await?;
    Ok(matches)
}

/// Finds a caller in the voter file by name and ZIP (audited).
#[utoipa::path(get, path = "/api/v1/incidents/caller-lookup", params(CallerLookupParams),
    security(("bearer" = [])),
    responses((status = 200, body = [CallerMatch]), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn api_caller_lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<CallerLookupParams>,
) -> Result<Json<Vec<CallerMatch>>, ApiError> {
    Ok(Json(caller_lookup(&state, &caller, &p.name, &p.zip).await?))
}

/// Counts by county, category, status and hour; top places; response-time percentiles.
#[utoipa::path(get, path = "/api/v1/incidents/dashboard", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = IncidentDashboard), (status = 403, body = ErrorBody)))]
async fn api_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<IncidentDashboard>, ApiError> {
    let rows = list_for(&state, &caller, &p, 0, "incident.dashboard", "api").await?;
    Ok(Json(dashboard(&rows, 10)))
}

/// The filtered incidents as CSV (default) or JSON, for the legal team (audited).
#[utoipa::path(get, path = "/api/v1/incidents/export", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "CSV or JSON file"), (status = 403, body = ErrorBody)))]
async fn api_export(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Response, ApiError> {
    export(&state, &caller, &p, "api").await
}

/// Most queue rows sent in one event.
const MAX_BATCH: usize = 256;

/// The live queue's event stream: `incidents` events, each a JSON array of the
/// [`QueueRow`]s of the incidents that changed in the caller's counties since the last
/// event; `lagged` when the client fell too far behind (it should reload).
async fn events(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let scope = scope(&state, &caller).await?;
    audit(
        &state,
        &caller,
        "incident.queue.watch",
        "incidents",
        "live queue",
    )
    .await?;
    let rx = state.incidents.sender.subscribe();
    let stream = futures::stream::unfold((rx, scope), |(mut rx, scope)| async move {
        use broadcast::error::{RecvError, TryRecvError};
        let lagged = |n: u64| Event::default().event("lagged").data(n.to_string());
        loop {
            // Wait for one update, then take every update already queued (up to
            // MAX_BATCH): one event per wake-up keeps up with bursts without adding delay.
            let mut batch = match rx.recv().await {
                Ok(ev) => vec![ev],
                Err(RecvError::Lagged(n)) => return Some((Ok(lagged(n)), (rx, scope))),
                Err(RecvError::Closed) => return None,
            };
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(ev) => batch.push(ev),
                    Err(TryRecvError::Lagged(n)) => return Some((Ok(lagged(n)), (rx, scope))),
                    Err(_) => break,
                }
            }
            let rows: Vec<&str> = batch
                .iter()
                .filter(|ev| in_scope(&scope, &ev.county))
                .map(|ev| ev.json.as_str())
                .collect();
            if !rows.is_empty() {
                let data = format!("[{}]", rows.join(","));
                let event = Event::default().event("incidents").data(data);
                return Some((Ok(event), (rx, scope)));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

// ---------------------------------------------------------------- pages

fn page_err(e: ApiError) -> PageRejection {
    PageRejection::Error(e)
}

#[derive(Template)]
#[template(path = "incidents_queue.html")]
struct QueuePage {
    user_name: String,
    role: String,
    csrf: String,
    rows: Vec<QueueRow>,
    scope_note: String,
    can_intake: bool,
}

async fn queue_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    let p = ListParams {
        open: Some(true),
        ..Default::default()
    };
    let rows = list_for(&state, &caller, &p, 2000, "incident.list", "web queue")
        .await
        .map_err(page_err)?;
    let scope_note = match scope(&state, &caller).await.map_err(page_err)? {
        None => "all counties".to_string(),
        Some(cs) if cs.is_empty() => "no counties yet: ask a coordinator to add yours".into(),
        Some(cs) => cs.join(", "),
    };
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&QueuePage {
        user_name,
        role,
        csrf,
        rows: rows.iter().map(QueueRow::of).collect(),
        scope_note,
        can_intake: caller.user.role.allows(Permission::IncidentIntake),
    }))
}

#[derive(Template)]
#[template(path = "incidents_new.html")]
struct IntakePage {
    user_name: String,
    role: String,
    csrf: String,
    categories: Vec<CategoryInfo>,
    places: Vec<PlaceOption>,
    counties: Vec<String>,
    created: Option<i64>,
    error: Option<String>,
    can_lookup: bool,
}

#[derive(Deserialize)]
struct IntakeQuery {
    created: Option<i64>,
}

async fn render_intake(
    state: &AppState,
    caller: &Caller,
    created: Option<i64>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    caller.require(Permission::IncidentIntake)?;
    let categories = state.store.incident_rules().await?.categories();
    let places = feed_places(state);
    let counties: BTreeSet<String> = places.iter().map(|p| p.county.clone()).collect();
    let (user_name, role, csrf) = crate::pages::nav(caller);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = crate::pages::render(&IntakePage {
        user_name,
        role,
        csrf,
        categories,
        places,
        counties: counties.into_iter().collect(),
        created,
        error,
        can_lookup: caller.user.role.allows(Permission::CallerLookup),
    });
    Ok((status, page).into_response())
}

async fn intake_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(q): Query<IntakeQuery>,
) -> Result<Response, PageRejection> {
    render_intake(&state, &caller, q.created, None)
        .await
        .map_err(page_err)
}

/// The intake form's fields (all text, as browsers send them).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IntakeForm {
    csrf: String,
    category: String,
    description: String,
    minutes_ago: String,
    county: String,
    precinct: String,
    polling_place_id: String,
    polling_place: String,
    address: String,
    city: String,
    zip: String,
    reporter_name: String,
    reporter_phone: String,
    reporter_relationship: String,
    reporter_voter_id: String,
}

impl IntakeForm {
    fn request(self, now: DateTime<Utc>) -> Result<IntakeRequest, ApiError> {
        let minutes: i64 = match self.minutes_ago.trim() {
            "" => 0,
            m => m
                .parse()
                .map_err(|_| ApiError::BadRequest("minutes ago must be a whole number".into()))?,
        };
        if !(0..=24 * 60).contains(&minutes) {
            return Err(ApiError::BadRequest(
                "minutes ago must be between 0 and 1440".into(),
            ));
        }
        // A place picked from the list arrives as "NAME [id]".
        let (mut place_id, mut place) = (self.polling_place_id, self.polling_place);
        if place_id.is_empty()
            && let Some(open) = place.rfind(" [")
            && place.ends_with(']')
        {
            place_id = place[open + 2..place.len() - 1].to_string();
            place = place[..open].to_string();
        }
        Ok(IntakeRequest {
            category: self.category,
            description: self.description,
            observed_at: Some(now - Duration::minutes(minutes)),
            county: self.county,
            precinct: self.precinct,
            polling_place_id: place_id,
            polling_place: place,
            address: self.address,
            city: self.city,
            zip: self.zip,
            reporter_name: self.reporter_name,
            reporter_phone: self.reporter_phone,
            reporter_relationship: self.reporter_relationship,
            reporter_voter_id: self.reporter_voter_id,
        })
    }
}

fn check_csrf(caller: &Caller, token: &str) -> Result<(), ApiError> {
    if caller
        .csrf_token
        .as_deref()
        .is_some_and(|t| same_secret(t, token))
    {
        Ok(())
    } else {
        Err(ApiError::CsrfFailed)
    }
}

async fn intake_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Form(form): Form<IntakeForm>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::IncidentIntake)
        .map_err(page_err)?;
    check_csrf(&caller, &form.csrf).map_err(page_err)?;
    let now = Utc::now();
    let built = match form.request(now) {
        Ok(req) => build_incident(&state, req, "hotline", &caller.user.name, now).await,
        Err(e) => Err(e),
    };
    let result = match built {
        Ok(new) => intake(&state, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => Ok(
            Redirect::to(&format!("/incidents/new?created={}", out.incident.id)).into_response(),
        ),
        Err(ApiError::BadRequest(message)) => render_intake(&state, &caller, None, Some(message))
            .await
            .map_err(page_err),
        Err(e) => Err(page_err(e)),
    }
}

#[derive(Template)]
#[template(path = "incidents_show.html")]
struct IncidentPage {
    user_name: String,
    role: String,
    csrf: String,
    incident: Incident,
    timeline: Vec<TimelineEntry>,
    attachments: Vec<IncidentAttachment>,
    can_attach: bool,
    can_work: bool,
    can_manage: bool,
    assignees: Vec<String>,
    resolutions: Vec<&'static str>,
    severities: Vec<&'static str>,
    error: Option<String>,
}

async fn render_incident(
    state: &AppState,
    caller: &Caller,
    id: i64,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let (incident, timeline) = load_incident(state, caller, id, "web").await?;
    let attachments = state.store.incident_attachments(id).await?;
    let can_manage = caller.user.role.allows(Permission::IncidentManage);
    let assignees = if can_manage {
        state
            .store
            .coverage(None)
            .await?
            .into_iter()
            .filter(|c| c.county == incident.location.county)
            .map(|c| c.user_name)
            .collect()
    } else {
        vec![caller.user.name.clone()]
    };
    let (user_name, role, csrf) = crate::pages::nav(caller);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = crate::pages::render(&IncidentPage {
        user_name,
        role,
        csrf,
        incident,
        timeline,
        attachments,
        can_attach: caller.user.role.allows(Permission::IncidentIntake)
            || caller.user.role.allows(Permission::IncidentWork),
        can_work: caller.user.role.allows(Permission::IncidentWork),
        can_manage,
        assignees,
        resolutions: Resolution::ALL.iter().map(|r| r.code()).collect(),
        severities: Severity::ALL.iter().map(|s| s.code()).collect(),
        error,
    });
    Ok((status, page).into_response())
}

async fn incident_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageRejection> {
    render_incident(&state, &caller, id, None)
        .await
        .map_err(page_err)
}

/// An action form: `action` names it, the other fields carry its parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ActForm {
    csrf: String,
    action: String,
    severity: String,
    to: String,
    resolution: String,
    text: String,
}

impl ActForm {
    fn action(&self) -> Result<IncidentAction, ApiError> {
        let resolution = || {
            Resolution::parse(&self.resolution).ok_or_else(|| {
                ApiError::BadRequest(
                    "pick a resolution: fixed_on_site, referred_to_officials, litigation or no_action_needed"
                        .into(),
                )
            })
        };
        let text = self.text.trim().to_string();
        Ok(match self.action.as_str() {
            "triage" => IncidentAction::Triage {
                severity: Severity::parse(&self.severity),
            },
            "assign" => IncidentAction::Assign {
                to: self.to.trim().to_string(),
            },
            "escalate" => IncidentAction::Escalate { reason: text },
            "resolve" => IncidentAction::Resolve {
                resolution: resolution()?,
                note: text,
            },
            "close" => IncidentAction::Close {
                resolution: resolution()?,
                note: text,
            },
            "reopen" => IncidentAction::Reopen { reason: text },
            "note" => IncidentAction::Note { text },
            other => {
                return Err(ApiError::BadRequest(format!("unknown action {other:?}")));
            }
        })
    }
}

async fn act_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageRejection> {
    check_csrf(&caller, &form.csrf).map_err(page_err)?;
    let result = match form.action() {
        Ok(action) => act(&state, &caller, id, &action).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(ApiError::BadRequest(message)) => render_incident(&state, &caller, id, Some(message))
            .await
            .map_err(page_err),
        Err(e) => Err(page_err(e)),
    }
}

/// The incident page's photo form: multipart with `csrf` and `photo` fields.
async fn attach_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageRejection> {
    // Forms need the session's CSRF token: an API token alone never passes.
    if caller.csrf_token.is_none() {
        return Err(page_err(ApiError::CsrfFailed));
    }
    let mut form = form.map_err(|e| {
        page_err(ApiError::BadRequest(format!(
            "send the photo with the incident page's form: {e}"
        )))
    })?;
    let mut csrf = String::new();
    let mut photo: Option<Vec<u8>> = None;
    let mut read =
        async || -> Result<(), ApiError> {
            while let Some(field) = form.next_field().await.map_err(|e| {
                ApiError::BadRequest(format!("the upload did not arrive whole: {e}"))
            })? {
                match field.name() {
                    Some("csrf") => {
                        csrf = field.text().await.map_err(|e| {
                            ApiError::BadRequest(format!("the upload did not arrive whole: {e}"))
                        })?;
                    }
                    Some("photo") => {
                        photo = Some(
                        field
                            .bytes()
                            .await
                            .map_err(|e| {
                                ApiError::PayloadTooLarge(format!(
                                    "the photo could not be read ({e}): photos are at most 8 MiB"
                                ))
                            })?
                            .to_vec(),
                    );
                    }
                    _ => {}
                }
            }
            Ok(())
        };
    let received = read().await;
    check_csrf(&caller, &csrf).map_err(page_err)?;
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

/// A duration in seconds as "4 min" / "1 h 05 min".
fn minutes_text(seconds: Option<i64>) -> String {
    match seconds {
        None => "–".into(),
        Some(s) if s < 3600 => format!("{} min", (s + 30) / 60),
        Some(s) => format!("{} h {:02} min", s / 3600, (s % 3600 + 30) / 60),
    }
}

#[derive(Template)]
#[template(path = "incidents_dashboard.html")]
struct DashboardPage {
    user_name: String,
    role: String,
    csrf: String,
    d: IncidentDashboard,
    county: String,
    status: String,
    category: String,
    query: String,
    first_p50: String,
    first_p90: String,
    resolution_p50: String,
    resolution_p90: String,
    max_hour: usize,
    can_export: bool,
}

async fn dashboard_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageRejection> {
    let rows = list_for(&state, &caller, &p, 0, "incident.dashboard", "web")
        .await
        .map_err(page_err)?;
    let d = dashboard(&rows, 10);
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    let query = serde_urlencoded_pairs(&p);
    Ok(crate::pages::render(&DashboardPage {
        user_name,
        role,
        csrf,
        first_p50: minutes_text(d.time_to_first_action.p50_seconds),
        first_p90: minutes_text(d.time_to_first_action.p90_seconds),
        resolution_p50: minutes_text(d.time_to_resolution.p50_seconds),
        resolution_p90: minutes_text(d.time_to_resolution.p90_seconds),
        max_hour: d.by_hour.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1),
        county: p.county.clone().unwrap_or_default(),
        status: p.status.clone().unwrap_or_default(),
        category: p.category.clone().unwrap_or_default(),
        query,
        can_export: caller.user.role.allows(Permission::IncidentExport),
        d,
    }))
}

/// The filter as a query string (for the export links).
fn serde_urlencoded_pairs(p: &ListParams) -> String {
    let mut out = Vec::new();
    for (k, v) in [
        ("county", &p.county),
        ("status", &p.status),
        ("category", &p.category),
    ] {
        if let Some(v) = empty_none(v) {
            let enc: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            out.push(format!("{k}={enc}"));
        }
    }
    out.join("&")
}

async fn export_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageRejection> {
    export(&state, &caller, &p, "web").await.map_err(page_err)
}

// ---------------------------------------------------------------- public report

#[derive(Template)]
#[template(path = "incidents_report.html")]
struct ReportPage {
    csrf: String,
    categories: Vec<CategoryInfo>,
    counties: Vec<String>,
    error: Option<String>,
    reference: Option<i64>,
}

async fn report_form(
    state: &AppState,
    jar: CookieJar,
    error: Option<String>,
    reference: Option<i64>,
    status: StatusCode,
) -> Response {
    let categories = match state.store.incident_rules().await {
        Ok(r) => r.categories(),
        Err(e) => return crate::pages::error_page(e.into()),
    };
    let counties: BTreeSet<String> = feed_places(state).into_iter().map(|p| p.county).collect();
    let csrf = auth::new_secret();
    let cookie = Cookie::build((REPORT_CSRF_COOKIE, csrf.clone()))
        .path("/report")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (
        status,
        jar.add(cookie),
        crate::pages::render(&ReportPage {
            csrf,
            categories,
            counties: counties.into_iter().collect(),
            error,
            reference,
        }),
    )
        .into_response()
}

async fn report_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    report_form(&state, jar, None, None, StatusCode::OK).await
}

async fn report_submit(
    State(state): State<AppState>,
    extensions: Extensions,
    jar: CookieJar,
    Form(form): Form<IntakeForm>,
) -> Response {
    if state
        .incidents
        .report_limiter
        .check_key(&auth::client_ip(&extensions))
        .is_err()
    {
        let mut r = report_form(
            &state,
            jar,
            Some(ApiError::RateLimited.to_string()),
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        r.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        return r;
    }
    let expected = jar.get(REPORT_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| same_secret(&e, &form.csrf)) {
        return report_form(
            &state,
            jar,
            Some(ApiError::CsrfFailed.to_string()),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let now = Utc::now();
    let mut form = form;
    form.reporter_voter_id.clear();
    form.polling_place_id.clear();
    let result = match form.request(now) {
        Ok(req) => match build_incident(&state, req, "public", "public", now).await {
            Ok(new) => intake(&state, new).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => {
            report_form(
                &state,
                jar,
                None,
                Some(out.incident.id),
                StatusCode::CREATED,
            )
            .await
        }
        Err(ApiError::BadRequest(m)) => {
            report_form(&state, jar, Some(m), None, StatusCode::BAD_REQUEST).await
        }
        Err(e) => crate::pages::error_page(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse_places_and_minutes() {
        let now = Utc::now();
        let form = IntakeForm {
            minutes_ago: "10".into(),
            polling_place: "OAK GROVE SCHOOL [pl12]".into(),
            ..Default::default()
        };
        let req = form.request(now).unwrap();
        assert_eq!(req.polling_place_id, "pl12");
        assert_eq!(req.polling_place, "OAK GROVE SCHOOL");
        assert_eq!(req.observed_at, Some(now - Duration::minutes(10)));
        let bad = IntakeForm {
            minutes_ago: "soon".into(),
            ..Default::default()
        };
        assert!(bad.request(now).is_err());
        let act = ActForm {
            action: "resolve".into(),
            resolution: "litigation".into(),
            text: "filed".into(),
            ..Default::default()
        };
        assert_eq!(
            act.action().unwrap(),
            IncidentAction::Resolve {
                resolution: Resolution::Litigation,
                note: "filed".into()
            }
        );
        assert!(
            ActForm {
                action: "close".into(),
                ..Default::default()
            }
            .action()
            .is_err()
        );
        assert_eq!(minutes_text(Some(3900)), "1 h 05 min");
        assert_eq!(minutes_text(None), "–");
    }
}
