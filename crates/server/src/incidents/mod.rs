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

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast;
use utoipa::OpenApi;
use votebase_app::incidents::{IncidentError, KnownPlaces};
use votebase_domain::Role;
use votebase_domain::incidents::{
    AttachmentError, CategoryInfo, Incident, IncidentAction, IncidentAttachment, IncidentDashboard,
    IncidentFilter, IncidentStatus, MAX_ATTACHMENT_BYTES, NewAttachment, NewIncident, Resolution,
    Severity, TimelineEntry, TriageRules, dashboard,
};
use votebase_domain::users::Permission;

mod api;
mod attachments;
mod live;
mod pages;
mod report;

use api::*;
pub use api::{CallerMatch, IncidentDetail, IntakeReply, caller_lookup};
use attachments::*;
pub use attachments::{AttachReply, attach};
use live::*;
pub use live::{relay, spawn_escalator};
use pages::*;
use report::*;

/// Name of the public report form's CSRF cookie.
pub const REPORT_CSRF_COOKIE: &str = "vb_report_csrf";

/// One queue update, serialised once and sent to every live-queue client in scope.
#[derive(Debug)]
pub struct QueueEvent {
    /// The incident's county (clients covering other counties skip it).
    pub county: String,
    /// The [`QueueRow`] as JSON.
    pub json: String,
    /// The change's position in the organization's incident history, when it came from
    /// the store's change feed (the event id a reconnecting client sends back).
    pub seq: Option<i64>,
}

/// The live queue's fan-out, and the triage rules and known places intake reuses.
pub struct Hub {
    sender: broadcast::Sender<Arc<QueueEvent>>,
    /// True once the store's change feed feeds this hub (several servers over one
    /// PostgreSQL): every change, this server's own included, then arrives through it.
    relayed: std::sync::atomic::AtomicBool,
    /// The triage rules as last read, and when: intake reads them at most every
    /// [`RULES_TTL`] (a change made with `votebase incidents rules --set` applies within it).
    rules: std::sync::Mutex<Option<(std::time::Instant, TriageRules)>>,
    /// The organization's counties and precincts as last read, and when: intake checks
    /// reports against them, read at most every [`PLACES_TTL`].
    places: std::sync::Mutex<Option<(std::time::Instant, Arc<KnownPlaces>)>>,
}

/// How long intake reuses the counties and precincts it read (a voter file or feed
/// installed since applies within it).
pub const PLACES_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long intake reuses the triage rules it read.
pub const RULES_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl Hub {
    /// A hub (the public form's limit is `AppState::limits.report`).
    pub fn new() -> Arc<Self> {
        let (sender, _) = broadcast::channel(16_384);
        Arc::new(Self {
            sender,
            relayed: std::sync::atomic::AtomicBool::new(false),
            rules: std::sync::Mutex::new(None),
            places: std::sync::Mutex::new(None),
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

    /// The organization's counties and precincts (voter file and loaded feed), read at
    /// most every [`PLACES_TTL`].
    pub async fn places(&self, state: &AppState) -> Result<Arc<KnownPlaces>, ApiError> {
        if let Some((at, places)) = self
            .places
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && at.elapsed() < PLACES_TTL
        {
            return Ok(places.clone());
        }
        let feed = state.lookup.feed();
        let places = Arc::new(
            votebase_app::incidents::known_places(
                state.store.as_ref(),
                feed.as_ref().map(|f| f.index.as_ref()),
            )
            .await?,
        );
        *self.places.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((std::time::Instant::now(), places.clone()));
        Ok(places)
    }

    /// Sends an incident's queue row to every connected client, unless the store's change
    /// feed feeds this hub (then the change reaches every server's clients through it).
    pub fn publish(&self, incident: &Incident) {
        if !self.is_relayed() {
            self.send(incident, None);
        }
    }

    /// Sends the queue row of an incident the store's change feed reported at `seq`.
    pub fn publish_change(&self, incident: &Incident, seq: i64) {
        self.send(incident, Some(seq));
    }

    /// From now on, changes reach this hub through the store's change feed only.
    pub fn relay_from_store(&self) {
        self.relayed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the store's change feed feeds this hub.
    pub fn is_relayed(&self) -> bool {
        self.relayed.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn send(&self, incident: &Incident, seq: Option<i64>) {
        let row = QueueRow::of(incident);
        if let Ok(json) = serde_json::to_string(&row) {
            // No receiver connected is fine.
            let _ = self.sender.send(Arc::new(QueueEvent {
                county: incident.location.county.clone(),
                json,
                seq,
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
struct IncidentsApiDoc;

/// The incidents routes' part of the OpenAPI document (paths and schemas).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <IncidentsApiDoc as utoipa::OpenApi>::openapi()
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
pub type PlaceOption = votebase_app::incidents::FeedPlace;

/// Election-day polling places of the loaded feed, by county then name (empty without a feed).
pub fn feed_places(state: &AppState) -> Vec<PlaceOption> {
    match state.lookup.feed() {
        Some(feed) => votebase_app::incidents::feed_places(&feed.index),
        None => Vec::new(),
    }
}

/// A report as the API and the forms send it: the application layer's input, as is.
pub use votebase_app::incidents::IntakeInput as IntakeRequest;

impl From<IncidentError> for ApiError {
    fn from(e: IncidentError) -> Self {
        match e {
            IncidentError::Invalid(m) => ApiError::BadRequest(m),
            IncidentError::NotFound(m) => ApiError::NotFound(m),
            IncidentError::Store(e) => e.into(),
        }
    }
}

/// Checks and normalises a report into a [`NewIncident`]: the category against the
/// rules, the county and precinct against the voter file and the loaded feed.
pub async fn build_incident(
    state: &AppState,
    req: IntakeRequest,
    channel: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<NewIncident, ApiError> {
    let rules = state.incidents.rules(state.store.as_ref()).await?;
    let places = state.incidents.places(state).await?;
    let feed = feed_places(state);
    Ok(votebase_app::incidents::build_incident(
        &rules, &places, &feed, req, channel, created_by, now,
    )?)
}

/// Stores a report, publishes it (and every incident the rules changed) to the live queue.
pub async fn intake(
    state: &AppState,
    new: NewIncident,
) -> Result<votebase_store::incidents::IntakeOutcome, ApiError> {
    // The rules as `build_incident` read them (at most [`RULES_TTL`] old), not a re-read.
    let rules = state.incidents.rules(state.store.as_ref()).await?;
    let outcome =
        votebase_app::incidents::take_with(state.store.as_ref(), &rules, &new, Utc::now()).await?;
    if outcome.replayed {
        // A retry: the report was published when it was first stored.
        return Ok(outcome);
    }
    state.incidents.publish(&outcome.incident);
    if outcome.incident.category == votebase_domain::disinfo::MISINFORMATION_CATEGORY {
        // The report joins its narrative in the disinformation watch (linked, not copied).
        crate::disinfo::link_hotline(state).await;
    }
    // With the store's change feed feeding the queue, the relay publishes these (and
    // reading them here would be wasted work on every clustering report).
    if !state.incidents.is_relayed() {
        for id in &outcome.changed {
            if let Some(i) = state.store.get_incident(*id).await? {
                state.incidents.publish(&i);
            }
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
    let updated = votebase_app::incidents::act(
        state.store.as_ref(),
        id,
        &caller.user.name,
        action,
        Utc::now(),
    )
    .await?;
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
    votebase_app::incidents::to_csv(Vec::new(), rows).map_err(|e| ApiError::Internal(e.to_string()))
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

fn page_err(e: ApiError) -> PageRejection {
    PageRejection::Error(e)
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

/// Percent-decodes one urlencoded name or value (`+` is a space; a `%` not followed by
/// two hex digits stays as it is, as form decoders do).
fn form_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The name of the first field of a urlencoded body whose name or value is not valid
/// UTF-8 once decoded (browsers send UTF-8; anything else would be stored as U+FFFD).
fn invalid_utf8_field(body: &[u8]) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let name = form_decode(kv.next().unwrap_or_default());
        let value = form_decode(kv.next().unwrap_or_default());
        (std::str::from_utf8(&name).is_err() || std::str::from_utf8(&value).is_err())
            .then(|| String::from_utf8_lossy(&name).into_owned())
    })
}

/// A urlencoded form body read strictly: refused with [`ApiError::InvalidUtf8`] when a
/// field is not valid UTF-8, else deserialised as axum's `Form` would.
pub(crate) async fn strict_form<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<T, ApiError> {
    use axum::extract::FromRequest;
    if let Some(field) = invalid_utf8_field(&body) {
        return Err(ApiError::InvalidUtf8(format!(
            "the form field {field:?} is not valid UTF-8: send the form as UTF-8 text"
        )));
    }
    let mut req = axum::http::Request::new(axum::body::Body::from(body));
    *req.method_mut() = axum::http::Method::POST;
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    Form::<T>::from_request(req, &())
        .await
        .map(|Form(t)| t)
        .map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// A JSON body read strictly: refused with [`ApiError::InvalidUtf8`] when it is not valid
/// UTF-8, else deserialised as axum's `Json` would.
async fn strict_json<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<T, ApiError> {
    use axum::extract::FromRequest;
    if let Err(e) = std::str::from_utf8(&body) {
        return Err(ApiError::InvalidUtf8(format!(
            "the body is not valid UTF-8 (at byte {}): send JSON as UTF-8 text",
            e.valid_up_to()
        )));
    }
    let mut req = axum::http::Request::new(axum::body::Body::from(body));
    *req.method_mut() = axum::http::Method::POST;
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    Json::<T>::from_request(req, &())
        .await
        .map(|Json(t)| t)
        .map_err(|e| match e {
            axum::extract::rejection::JsonRejection::MissingJsonContentType(e) => {
                ApiError::UnsupportedMediaType(e.body_text())
            }
            e => ApiError::BadRequest(e.body_text()),
        })
}
