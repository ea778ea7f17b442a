//! The disinformation watch over HTTP: the `/disinfo` page (narratives with a volume
//! chart each, the claim catalogue, the response queue, live alerts by server-sent
//! events), a narrative's page (items, matched claim with its counter-messages, the
//! append-only timeline, the triage / assign / respond / close forms), a tip's
//! screenshot (served with `nosniff`, audited), the public tip form (`/tip`, English and
//! Spanish, no account, its own pre-session CSRF token, rate-limited, bounded, the
//! screenshot checked by magic bytes) and the same data under `/api/v1/disinfo`. Roles are
//! those of incidents: reading needs [`Permission::IncidentRead`], acting
//! [`Permission::IncidentWork`], assigning someone else, importing posts and claims
//! [`Permission::IncidentManage`]; every view of items (author handles, tips, hotline
//! text) is audited. Every ingest on this server (tips, API imports, the hotline's
//! `misinformation` reports) goes through one lock, and the alerts it raises are pushed to
//! the live page — in-process with SQLite, and from the store's alert feed when several
//! servers share one PostgreSQL (every server's page sees every server's alerts; see
//! [`relay`]). A signed-in reader subscribes to alert emails on `/disinfo`.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::{ApiError, ErrorBody};
use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::broadcast;
use utoipa::OpenApi;
use votebase_app::disinfo::{self as app, DisinfoError, IngestOutcome, Post, WatchContext};
use votebase_domain::disinfo::{
    Alert, AlertKind, Claim, Item, Narrative, NarrativeAction, NarrativeEvent, NarrativeStatus,
    NewClaim, ResponseKind, Verdict,
};
use votebase_domain::users::Permission;
use votebase_store::cluster::AlertFeed;
use votebase_store::disinfo::{ClaimImportOutcome, ItemImportOutcome};

mod api;
mod pages;
mod tip;

use api::*;
use pages::*;
use tip::*;

/// Name of the public tip form's CSRF cookie.
pub const TIP_CSRF_COOKIE: &str = "vb_tip_csrf";
/// Largest tip request (the screenshot and the text fields).
pub const MAX_TIP_BODY: usize = app::MAX_SCREENSHOT + (64 << 10);
/// How long the organization's place names and counties are reused.
const PLACES_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// An alert as the live page shows it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DisinfoAlertView {
    /// Alert id (the event id of the live feed).
    pub id: i64,
    /// Narrative.
    pub narrative_id: i64,
    /// Why: a spike, or a county named on election day.
    pub kind: AlertKind,
    /// Spike: start of the spike's first hour. Election day: start of the day.
    pub hour: DateTime<Utc>,
    /// Spike: items in that hour. Election day: items posted that day.
    pub count: i64,
    /// Baseline rate (items per hour).
    pub baseline: f64,
    /// Counties named (election-day alerts).
    pub counties: Vec<String>,
    /// The alert in words.
    pub text: String,
    /// The narrative's label (its first item's text, cut).
    pub label: String,
}

/// The live alerts' fan-out, the ingest lock and the cached organization context.
pub struct Hub {
    sender: broadcast::Sender<Arc<DisinfoAlertView>>,
    /// One ingest at a time: the clustering numbers new narratives from the store's
    /// state, so two concurrent ingests would claim the same id.
    ingest: tokio::sync::Mutex<()>,
    context: std::sync::Mutex<Option<(std::time::Instant, Arc<WatchContext>)>>,
    /// The store's alert feed feeds the live page (several servers, one PostgreSQL).
    relayed: std::sync::atomic::AtomicBool,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Arc<Self> {
        let (sender, _) = broadcast::channel(1024);
        Arc::new(Self {
            sender,
            ingest: tokio::sync::Mutex::new(()),
            context: std::sync::Mutex::new(None),
            relayed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Live-page clients connected now.
    pub fn clients(&self) -> usize {
        self.sender.receiver_count()
    }

    /// From now on, alerts reach the live page through the store's alert feed only.
    pub fn relay_from_store(&self) {
        self.relayed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the store's alert feed feeds the live page.
    pub fn is_relayed(&self) -> bool {
        self.relayed.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn send(&self, alert: DisinfoAlertView) {
        // No receiver connected is fine.
        let _ = self.sender.send(Arc::new(alert));
    }

    async fn context(&self, state: &AppState) -> Result<Arc<WatchContext>, ApiError> {
        if let Some((at, ctx)) = self
            .context
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && at.elapsed() < PLACES_TTL
        {
            return Ok(ctx.clone());
        }
        let ctx = Arc::new(
            WatchContext::load(state.store.as_ref(), &[], state.public_url.as_deref()).await?,
        );
        *self.context.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((std::time::Instant::now(), ctx.clone()));
        Ok(ctx)
    }
}

impl From<DisinfoError> for ApiError {
    fn from(e: DisinfoError) -> Self {
        match e {
            DisinfoError::Invalid(m) => ApiError::BadRequest(m),
            e @ DisinfoError::Rejected { .. } => ApiError::BadRequest(rejected_text(&e)),
            DisinfoError::NotFound(m) => ApiError::NotFound(m),
            DisinfoError::Store(e) => e.into(),
        }
    }
}

/// A rejected batch in words, every bad row listed (up to [`app::MAX_LISTED`]).
fn rejected_text(e: &DisinfoError) -> String {
    match e {
        DisinfoError::Rejected { file, errors } => {
            let mut text = format!("{file}: {} bad row(s), nothing stored:", errors.len());
            for err in errors.iter().take(app::MAX_LISTED) {
                text.push_str(&format!(" line {}: {};", err.line, err.reason));
            }
            text
        }
        other => other.to_string(),
    }
}

/// Page routes: the watch, a narrative, its actions, live alerts, screenshots.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/disinfo", get(watch_page))
        .route("/disinfo/events", get(events))
        .route("/disinfo/narratives/{id}", get(narrative_page))
        .route("/disinfo/narratives/{id}/act", post(act_submit))
        .route("/disinfo/subscription", post(subscription_submit))
        .route("/disinfo/items/{id}/screenshot", get(screenshot_get))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/disinfo/narratives", get(api_narratives))
        .route("/disinfo/narratives/{id}", get(api_narrative))
        .route("/disinfo/narratives/{id}/actions", post(api_act))
        .route("/disinfo/claims", get(api_claims).post(api_import_claims))
        .route("/disinfo/alerts", get(api_alerts))
        .route("/disinfo/items", post(api_import_items))
}

/// The public tip form, with its own body limit (a screenshot): merged by the router
/// outside the global 1 MiB request limit.
pub fn tip_routes() -> Router<AppState> {
    Router::new()
        .route("/tip", get(tip_page).post(tip_submit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_TIP_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_TIP_BODY))
}

/// The OpenAPI description of the disinformation routes.
#[derive(OpenApi)]
#[openapi(
    paths(
        api_narratives,
        api_narrative,
        api_act,
        api_claims,
        api_import_claims,
        api_alerts,
        api_import_items
    ),
    components(schemas(
        DisinfoNarrativeRow,
        DisinfoNarrativeDetail,
        DisinfoHourCount,
        DisinfoImportReply,
        DisinfoAlertView,
        AlertKind,
        DisinfoPostInput,
        Narrative,
        NarrativeEvent,
        NarrativeStatus,
        NarrativeAction,
        ResponseKind,
        Verdict,
        Claim,
        NewClaim,
        Item,
        Alert,
        ItemImportOutcome,
        ClaimImportOutcome
    ))
)]
struct DisinfoApiDoc;

/// The disinformation routes' part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    <DisinfoApiDoc as utoipa::OpenApi>::openapi()
}

/// Brings posts in (after the hotline's unlinked `misinformation` reports), one ingest at
/// a time, and pushes the alerts raised to the live page.
pub async fn ingest(state: &AppState, posts: Vec<Post>) -> Result<IngestOutcome, ApiError> {
    let hub = &state.disinfo;
    let ctx = hub.context(state).await?;
    let _one_at_a_time = hub.ingest.lock().await;
    let now = Utc::now();
    let hotline = app::sync_hotline(state.store.as_ref(), &ctx, now).await?;
    let mut out = if posts.is_empty() {
        IngestOutcome::default()
    } else {
        app::ingest(state.store.as_ref(), posts, &ctx, now).await?
    };
    let mut alerts = hotline.alerts;
    alerts.append(&mut out.alerts);
    out.alerts = alerts;
    publish_alerts(state, &out.alerts).await;
    Ok(out)
}

/// Links the hotline's `misinformation` reports not yet in the watch (after an intake);
/// a failure is logged, the report itself is already stored.
pub async fn link_hotline(state: &AppState) {
    if let Err(e) = ingest(state, Vec::new()).await {
        tracing::warn!(error = %e, "linking hotline misinformation reports");
    }
}

/// Pushes alerts this server raised to its live page, unless the store's alert feed
/// feeds it (then they reach every server's page through the feed).
async fn publish_alerts(state: &AppState, alerts: &[Alert]) {
    if state.disinfo.is_relayed() {
        return;
    }
    for a in alerts {
        let label = alert_label(state, a.narrative_id).await.unwrap_or_default();
        state.disinfo.send(view_of(a, label));
    }
}

/// Feeds the live page from the store's alert feed, forever (spawn it): each alert
/// recorded by any server sharing the store is read and published once per batch. The
/// feed reconnects and reads back by itself; an unreachable store is retried.
pub async fn relay(mut feed: Box<dyn AlertFeed>, state: AppState) {
    loop {
        let ids = match feed.next().await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "disinformation alert feed");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut wait = std::time::Duration::from_millis(100);
        let alerts = loop {
            match state.store.list_alerts().await {
                Ok(all) => break all,
                Err(e) => {
                    tracing::warn!(error = %e, "disinformation alert relay");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(2));
                }
            }
        };
        for a in alerts.iter().filter(|a| ids.contains(&a.id)) {
            let label = alert_label(&state, a.narrative_id)
                .await
                .unwrap_or_default();
            state.disinfo.send(view_of(a, label));
        }
    }
}

/// An alert's label, the same for every role (the live feed is shared): the narrative's
/// label, unless it is a hotline report's description.
async fn alert_label(state: &AppState, narrative: i64) -> Result<String, ApiError> {
    let Some(n) = state.store.get_narrative(narrative).await? else {
        return Ok(String::new());
    };
    let hotline_first = state
        .store
        .narrative_items(narrative, 1)
        .await?
        .first()
        .is_some_and(|i| i.incident_id.is_some());
    Ok(if hotline_first {
        String::from("(a hotline report)")
    } else {
        cut(&n.label, 140)
    })
}

fn view_of(a: &Alert, label: String) -> DisinfoAlertView {
    DisinfoAlertView {
        id: a.id,
        narrative_id: a.narrative_id,
        kind: a.kind,
        hour: a.hour,
        count: a.count,
        baseline: a.baseline,
        counties: a.counties.clone(),
        text: a.describe(),
        label,
    }
}

/// The first `n` characters of a text.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

/// Whether the caller's role sees only some counties (lawyers, observers): hotline
/// items' text (an incident's description) is then withheld; the incident page, which
/// checks the county, still shows it.
fn scoped(caller: &Caller) -> bool {
    matches!(
        caller.user.role,
        votebase_domain::Role::Lawyer | votebase_domain::Role::Observer
    )
}

/// Items as this caller may see them.
fn shown_items(caller: &Caller, items: Vec<Item>) -> Vec<Item> {
    if !scoped(caller) {
        return items;
    }
    items
        .into_iter()
        .map(|mut i| {
            if i.incident_id.is_some() {
                i.text = String::new();
            }
            i
        })
        .collect()
}

/// A narrative as this caller may see it: for county-scoped roles, a label that is a
/// hotline report's description (the narrative's first item is a hotline item) is
/// withheld like the item's text.
async fn shown_narrative(
    state: &AppState,
    caller: &Caller,
    mut n: Narrative,
) -> Result<Narrative, ApiError> {
    if scoped(caller)
        && state
            .store
            .narrative_items(n.id, 1)
            .await?
            .first()
            .is_some_and(|i| i.incident_id.is_some())
    {
        n.label = String::from("(a hotline report)");
    }
    Ok(n)
}

/// Most items a narrative's page or detail lists.
pub const MAX_ITEMS_SHOWN: i64 = 500;
/// Most hours a volume chart covers (the latest).
pub const MAX_CHART_HOURS: i64 = 24 * 14;

/// Everything about one narrative for a caller (audited: items carry author handles).
pub async fn narrative_detail(
    state: &AppState,
    caller: &Caller,
    id: i64,
    channel: &str,
) -> Result<DisinfoNarrativeDetail, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let narrative = state
        .store
        .get_narrative(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no narrative {id}")))?;
    let narrative = shown_narrative(state, caller, narrative).await?;
    let claim = match narrative.claim_id {
        Some(c) => state
            .store
            .list_claims()
            .await?
            .into_iter()
            .find(|k| k.id == c),
        None => None,
    };
    let hourly: Vec<DisinfoHourCount> = state
        .store
        .narrative_hourly(Some(&[id]))
        .await?
        .into_iter()
        .map(|(_, hour, count)| DisinfoHourCount {
            hour: Utc
                .timestamp_opt(hour * 3600, 0)
                .single()
                .unwrap_or_default(),
            count,
        })
        .collect();
    let items = state.store.narrative_items(id, MAX_ITEMS_SHOWN).await?;
    let timeline = state.store.narrative_timeline(id).await?;
    let alerts = state
        .store
        .list_alerts()
        .await?
        .into_iter()
        .filter(|a| a.narrative_id == id)
        .collect();
    audit(
        state,
        caller,
        "disinfo.narrative.read",
        &format!("narrative {id}"),
        &format!("{channel}, {} items", items.len()),
    )
    .await?;
    Ok(DisinfoNarrativeDetail {
        peak_per_hour: hourly.iter().map(|h| h.count).max().unwrap_or(0),
        narrative,
        claim,
        hourly,
        items: shown_items(caller, items),
        timeline,
        alerts,
    })
}

/// Narratives for a caller's listing, with peak hour and claim key (audited).
pub async fn narrative_list(
    state: &AppState,
    caller: &Caller,
    since: Option<DateTime<Utc>>,
    status: Option<NarrativeStatus>,
    limit: usize,
    channel: &str,
) -> Result<Vec<DisinfoNarrativeRow>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let rows = app::narrative_rows(state.store.as_ref(), since).await?;
    let mut shown = Vec::new();
    for r in rows
        .into_iter()
        .filter(|r| status.is_none_or(|s| r.narrative.status == s))
        .take(limit)
    {
        shown.push(DisinfoNarrativeRow {
            narrative: shown_narrative(state, caller, r.narrative).await?,
            peak_per_hour: r.peak_per_hour,
            claim_key: r.claim_key,
        });
    }
    let rows = shown;
    audit(
        state,
        caller,
        "disinfo.narrative.list",
        "narratives",
        &format!("{channel}, {} narratives", rows.len()),
    )
    .await?;
    Ok(rows)
}

/// Applies a workflow action for a caller (assigning someone else needs
/// [`Permission::IncidentManage`]).
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: &NarrativeAction,
) -> Result<Narrative, ApiError> {
    caller.require(Permission::IncidentWork)?;
    if let NarrativeAction::Assign { to } = action
        && to.trim() != caller.user.name
    {
        caller.require(Permission::IncidentManage)?;
    }
    Ok(app::act(
        state.store.as_ref(),
        id,
        &caller.user.name,
        action,
        Utc::now(),
    )
    .await?)
}

/// Hourly counts of narratives, by narrative.
async fn hourly_of(
    state: &AppState,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<(i64, i64)>>, ApiError> {
    let mut by: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (n, hour, count) in state.store.narrative_hourly(Some(ids)).await? {
        by.entry(n).or_default().push((hour, count));
    }
    Ok(by)
}

fn page_err(e: ApiError) -> PageRejection {
    PageRejection::Error(e)
}

#[cfg(test)]
mod tests;
