//! The disinformation routes under `/api/v1/disinfo`: narratives (a list with peak hour
//! and claim, one with its items, hourly volume, timeline and alerts), workflow actions,
//! the claim catalogue (read, import), alerts, and a batch import of monitored posts
//! (OpenAPI-documented).

use super::*;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// A narrative in a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisinfoNarrativeRow {
    /// The narrative.
    pub narrative: Narrative,
    /// Its highest hourly count.
    pub peak_per_hour: i64,
    /// The matched claim's key.
    pub claim_key: Option<String>,
}

/// Items of a narrative in one hour.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisinfoHourCount {
    /// Start of the hour.
    pub hour: DateTime<Utc>,
    /// Items.
    pub count: i64,
}

/// A narrative with everything known about it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisinfoNarrativeDetail {
    /// The narrative.
    pub narrative: Narrative,
    /// The matched claim, with its counter-messages.
    pub claim: Option<Claim>,
    /// Highest hourly count.
    pub peak_per_hour: i64,
    /// Items per hour (hours with none left out), oldest first.
    pub hourly: Vec<DisinfoHourCount>,
    /// Items, oldest first (at most 500; hotline text withheld from county-scoped roles).
    pub items: Vec<Item>,
    /// The append-only timeline, oldest first.
    pub timeline: Vec<NarrativeEvent>,
    /// Its alerts.
    pub alerts: Vec<Alert>,
}

/// What a post import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisinfoImportReply {
    /// What the store did.
    pub stored: ItemImportOutcome,
    /// Alerts raised.
    pub alerts: Vec<Alert>,
}

/// Narrative list parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct NarrativeParams {
    /// Only narratives seen at or after (RFC 3339).
    pub since: Option<String>,
    /// Only this status (new, triaged, assigned, responding, closed).
    pub status: Option<String>,
    /// Most rows (default 1000).
    pub limit: Option<usize>,
}

impl NarrativeParams {
    pub(super) fn parsed(
        &self,
    ) -> Result<(Option<DateTime<Utc>>, Option<NarrativeStatus>), ApiError> {
        let since = match self
            .since
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|_| {
                        ApiError::BadRequest(format!(
                            "since {s:?} is not RFC 3339 (e.g. 2026-11-03T00:00:00Z)"
                        ))
                    })?
                    .with_timezone(&Utc),
            ),
        };
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(NarrativeStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown status {s:?}: use new, triaged, assigned, responding or closed"
                ))
            })?),
        };
        Ok((since, status))
    }
}

/// Narratives, most items first (audited).
#[utoipa::path(get, path = "/api/v1/disinfo/narratives", params(NarrativeParams),
    security(("bearer" = [])),
    responses((status = 200, body = [DisinfoNarrativeRow]), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_narratives(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<NarrativeParams>,
) -> Result<Json<Vec<DisinfoNarrativeRow>>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let (since, status) = p.parsed()?;
    Ok(Json(
        narrative_list(
            &state,
            &caller,
            since,
            status,
            p.limit.unwrap_or(1000),
            "api",
        )
        .await?,
    ))
}

/// One narrative with its claim, hourly volume, items, timeline and alerts (audited).
#[utoipa::path(get, path = "/api/v1/disinfo/narratives/{id}",
    params(("id" = i64, Path, description = "Narrative id")), security(("bearer" = [])),
    responses((status = 200, body = DisinfoNarrativeDetail), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_narrative(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<DisinfoNarrativeDetail>, ApiError> {
    Ok(Json(narrative_detail(&state, &caller, id, "api").await?))
}

/// Triage, assign, respond (counter-message, platform report, hotline script), close,
/// reopen or add a note; every step lands on the timeline.
#[utoipa::path(post, path = "/api/v1/disinfo/narratives/{id}/actions", request_body = NarrativeAction,
    params(("id" = i64, Path, description = "Narrative id")), security(("bearer" = [])),
    responses((status = 200, body = Narrative), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn api_act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(action): Json<NarrativeAction>,
) -> Result<Json<Narrative>, ApiError> {
    Ok(Json(act(&state, &caller, id, &action).await?))
}

/// The claim catalogue.
#[utoipa::path(get, path = "/api/v1/disinfo/claims", security(("bearer" = [])),
    responses((status = 200, body = [Claim]), (status = 403, body = ErrorBody)))]
pub(super) async fn api_claims(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Claim>>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    Ok(Json(state.store.list_claims().await?))
}

/// Most claims or posts in one request.
pub const MAX_BATCH: usize = 10_000;

/// Adds claims (all or nothing; keys already known are skipped).
#[utoipa::path(post, path = "/api/v1/disinfo/claims", request_body = [NewClaim],
    security(("bearer" = [])),
    responses((status = 200, body = ClaimImportOutcome), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_import_claims(
    State(state): State<AppState>,
    caller: Caller,
    Json(claims): Json<Vec<NewClaim>>,
) -> Result<Json<ClaimImportOutcome>, ApiError> {
    caller.require(Permission::IncidentManage)?;
    if claims.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_BATCH} claims per request"
        )));
    }
    // The same checks as a claims file: each claim as one JSON line.
    let lines = claims
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["verdict"] = serde_json::json!(c.verdict.code());
            v.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let checked = app::read_claims("request.jsonl", lines.as_bytes())?;
    let out = app::import_claims(state.store.as_ref(), &checked).await?;
    audit(
        &state,
        &caller,
        "disinfo.claims.import",
        "claims",
        &format!("api, {} new, {} known", out.created, out.known),
    )
    .await?;
    Ok(Json(out))
}

/// Every alert, oldest first.
#[utoipa::path(get, path = "/api/v1/disinfo/alerts", security(("bearer" = [])),
    responses((status = 200, body = [Alert]), (status = 403, body = ErrorBody)))]
pub(super) async fn api_alerts(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Alert>>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    Ok(Json(state.store.list_alerts().await?))
}

/// One monitored post, as `POST /api/v1/disinfo/items` takes it (the columns of
/// `votebase disinfo import`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisinfoPostInput {
    /// The source's id (a post already imported with this id is skipped).
    pub id: String,
    /// The text.
    pub text: String,
    /// Link (may be empty).
    pub url: String,
    /// Platform.
    pub platform: String,
    /// Author handle.
    pub author: String,
    /// When posted (RFC 3339).
    pub posted_at: String,
    /// Reach, if known.
    pub reach: Option<i64>,
}

/// Imports monitored posts: a JSON array of objects with `id`, `text`, `url`, `platform`,
/// `author`, `posted_at` (RFC 3339) and optionally `reach` — the columns of `votebase
/// disinfo import`, checked the same way (all or nothing; a bad post is named by its
/// 1-based position). Posts already imported (same id) are skipped; the hotline's
/// misinformation reports are brought in too; new alerts go to the live page.
#[utoipa::path(post, path = "/api/v1/disinfo/items", request_body = [DisinfoPostInput],
    security(("bearer" = [])),
    responses((status = 201, body = DisinfoImportReply), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_import_items(
    State(state): State<AppState>,
    caller: Caller,
    Json(posts): Json<Vec<serde_json::Map<String, serde_json::Value>>>,
) -> Result<(StatusCode, Json<DisinfoImportReply>), ApiError> {
    caller.require(Permission::IncidentManage)?;
    if posts.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_BATCH} posts per request"
        )));
    }
    if posts.is_empty() {
        return Err(ApiError::BadRequest("send at least one post".into()));
    }
    let lines = posts
        .iter()
        .map(|p| serde_json::Value::Object(p.clone()).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let checked = app::read_posts("request.jsonl", lines.as_bytes())?;
    let out = ingest(&state, checked).await?;
    audit(
        &state,
        &caller,
        "disinfo.items.import",
        "items",
        &format!(
            "api, {} new, {} known, {} alerts",
            out.stored.created,
            out.stored.known,
            out.alerts.len()
        ),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(DisinfoImportReply {
            stored: out.stored,
            alerts: out.alerts,
        }),
    ))
}
