//! The JSON routes of election-night results (see the parent module for the contract):
//! who is calling (a chair token or a staff user), setup, codes, sign-in, submissions,
//! previews, worksheets, feeds, readiness and reconciliation.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, client_ip, new_secret, sha256_hex};
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use votebase_app::results::{self as app, ResultsError};
pub(super) use votebase_app::results::{
    CodeSheetRow, ElectionFeed, FeedRow, ReconciliationRow, build_feed, describe_entry,
    normalize_code,
};
use votebase_domain::results::{
    Channel, Contest, Election, EntryCheck, NewSubmission, PrecinctResult, Receipt,
    SubmissionRequest,
};
use votebase_domain::uploads::sniff_image;
use votebase_domain::users::Permission;
use votebase_store::results::{ChairReadiness, ChairSession, NewWorksheet, Worksheet};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/results/elections", get(list_elections).post(setup))
        .route("/results/submissions", post(submit))
        .route("/results/preview", post(preview))
        .route("/results/{election}", get(definition))
        .route("/results/{election}/sign-in", post(sign_in))
        .route("/results/{election}/codes", post(issue_codes))
        .route("/results/{election}/receipts", get(receipts))
        .route("/results/{election}/worksheet", post(upload_worksheet))
        .route("/results/{election}/results.json", get(feed_json))
        .route("/results/{election}/results.csv", get(feed_csv))
        .route(
            "/results/{election}/precincts/{precinct}",
            get(precinct_history),
        )
        .route("/results/{election}/readiness", get(readiness))
        .route("/results/{election}/reconciliation", get(reconciliation))
        .route("/results/openapi.json", get(openapi_json))
}

/// The OpenAPI document of the results routes.
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(ResultsApi::openapi())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        setup,
        list_elections,
        definition,
        sign_in,
        issue_codes,
        submit,
        preview,
        receipts,
        upload_worksheet,
        feed_json,
        precinct_history,
        readiness,
        reconciliation
    ),
    components(schemas(
        Election,
        SubmissionRequest,
        Receipt,
        EntryCheck,
        ChairSignIn,
        SignInRequest,
        CodeSheetRow,
        ElectionFeed,
        FeedRow,
        ReconciliationRow,
        PrecinctResult,
        ChairReadiness,
        Worksheet,
        CodesRequest
    ))
)]
pub(super) struct ResultsApi;

/// Fails with 429 when the address went over the public limit.
pub(super) fn check_public(
    state: &AppState,
    parts: &axum::http::Extensions,
) -> Result<(), ApiError> {
    state
        .limits
        .results_public
        .check(client_ip(parts))
        .map_err(|_| ApiError::RateLimited)
}

/// Who calls a results route: a precinct chair (by their session token) or a user.
pub(super) enum Reporter {
    /// A chair, for their own precinct.
    Chair(ChairSession),
    /// A signed-in user or API token.
    Staff(Caller),
}

impl FromRequestParts<AppState> for Reporter {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| t.starts_with("chair_"))
        {
            let session = state
                .store
                .chair_for_token(&sha256_hex(token))
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(Reporter::Chair(session));
        }
        // A browser session's request has passed the server's one CSRF rule already.
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Reporter::Staff(caller))
    }
}

impl From<ResultsError> for ApiError {
    fn from(e: ResultsError) -> Self {
        match e {
            ResultsError::NotFound(m) => Self::NotFound(m),
            ResultsError::Invalid(m) => Self::BadRequest(m),
            ResultsError::Store(e) => e.into(),
        }
    }
}

pub(super) async fn load_election(state: &AppState, slug: &str) -> Result<Election, ApiError> {
    Ok(app::load_election(state.store.as_ref(), slug).await?)
}

/// Creates or replaces an election (contests, candidates, precincts) before its first
/// submission.
#[utoipa::path(post, path = "/api/v1/results/elections", request_body = Election,
    security(("bearer" = [])),
    responses((status = 201, body = Election), (status = 400, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
async fn setup(
    State(state): State<AppState>,
    caller: Caller,
    Json(election): Json<Election>,
) -> Result<(StatusCode, Json<Election>), ApiError> {
    caller.require(Permission::ManageResults)?;
    app::set_up_election(state.store.as_ref(), &election).await?;
    audit(
        &state,
        &caller,
        "results.setup",
        &election.slug,
        &format!(
            "{} contests, {} precincts",
            election.contests.len(),
            election.precincts.len()
        ),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(election)))
}

/// Elections set up, newest first (public).
#[utoipa::path(get, path = "/api/v1/results/elections",
    responses((status = 200, body = [votebase_store::results::ElectionSummary])))]
async fn list_elections(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
) -> Result<Json<Vec<votebase_store::results::ElectionSummary>>, ApiError> {
    check_public(&state, &ext)?;
    Ok(Json(state.store.elections().await?))
}

/// An election's contests, candidates and precinct roster (public).
#[utoipa::path(get, path = "/api/v1/results/{election}",
    params(("election" = String, Path, description = "Election slug")),
    responses((status = 200, body = Election), (status = 404, body = crate::error::ErrorBody)))]
async fn definition(
    State(state): State<AppState>,
    Path(election): Path<String>,
    ext: axum::http::Extensions,
) -> Result<Json<Election>, ApiError> {
    check_public(&state, &ext)?;
    Ok(Json(load_election(&state, &election).await?))
}

/// A chair's code.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignInRequest {
    /// The code printed on the precinct's sheet (case, spaces and dashes ignored).
    pub code: String,
}

/// A signed-in chair.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChairSignIn {
    /// Bearer token for the chair's precinct (`chair_…`).
    pub token: String,
    /// Election slug.
    pub election: String,
    /// Precinct id.
    pub precinct: String,
    /// Precinct name.
    pub precinct_name: String,
    /// County.
    pub county: String,
    /// County delegates the precinct elects.
    pub delegates: u32,
    /// The contests to report.
    pub contests: Vec<Contest>,
}

/// Signs a precinct chair in with their code.
#[utoipa::path(post, path = "/api/v1/results/{election}/sign-in", request_body = SignInRequest,
    params(("election" = String, Path, description = "Election slug")),
    responses((status = 200, body = ChairSignIn), (status = 401, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    Path(election): Path<String>,
    parts: axum::http::Extensions,
    Json(body): Json<SignInRequest>,
) -> Result<Json<ChairSignIn>, ApiError> {
    state
        .limits
        .results_sign_in
        .check(client_ip(&parts))
        .map_err(|_| ApiError::RateLimited)?;
    chair_sign_in(&state, &election, &body.code).await.map(Json)
}

/// Signs a chair in (shared by the API and the page).
pub(super) async fn chair_sign_in(
    state: &AppState,
    election: &str,
    code: &str,
) -> Result<ChairSignIn, ApiError> {
    let e = load_election(state, election).await?;
    let token = format!("chair_{}", new_secret());
    let precinct_id = state
        .store
        .chair_sign_in(
            election,
            &sha256_hex(&normalize_code(code)),
            &sha256_hex(&token),
            Utc::now(),
        )
        .await?
        .ok_or(ApiError::BadCredentials)?;
    let p = e
        .precinct(&precinct_id)
        .ok_or_else(|| ApiError::Internal("code of a precinct not in the roster".into()))?;
    Ok(ChairSignIn {
        token,
        election: e.slug.clone(),
        precinct: p.id.clone(),
        precinct_name: p.name.clone(),
        county: p.county.clone(),
        delegates: p.delegates,
        contests: e.contests.clone(),
    })
}

/// Which precincts get new codes.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct CodesRequest {
    /// Precinct ids (empty or missing: every precinct).
    #[serde(default)]
    pub precincts: Vec<String>,
}

/// Issues codes (replacing earlier ones) and returns them once.
pub(super) async fn make_codes(
    state: &AppState,
    actor: &Caller,
    election: &str,
    only: &[String],
) -> Result<Vec<CodeSheetRow>, ApiError> {
    actor.require(Permission::ManageResults)?;
    let e = load_election(state, election).await?;
    let rows = app::issue_codes(state.store.as_ref(), &e, only).await?;
    audit(
        state,
        actor,
        "results.codes",
        election,
        &format!("{} chair codes issued", rows.len()),
    )
    .await?;
    Ok(rows)
}

/// Issues chair codes for every precinct (or those listed); the codes are in this answer only.
#[utoipa::path(post, path = "/api/v1/results/{election}/codes", request_body = CodesRequest,
    params(("election" = String, Path, description = "Election slug")), security(("bearer" = [])),
    responses((status = 200, body = [CodeSheetRow]), (status = 403, body = crate::error::ErrorBody)))]
async fn issue_codes(
    State(state): State<AppState>,
    caller: Caller,
    Path(election): Path<String>,
    body: Option<Json<CodesRequest>>,
) -> Result<Json<Vec<CodeSheetRow>>, ApiError> {
    let only = body.map(|b| b.0.precincts).unwrap_or_default();
    Ok(Json(make_codes(&state, &caller, &election, &only).await?))
}

/// Which channel a staff submission goes to.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ChannelParams {
    /// `hotline` (default) or `check` (a third check by results staff).
    pub channel: Option<String>,
}

/// The channel and actor of a submission, after the role and precinct checks.
fn channel_of(
    reporter: &Reporter,
    req: &SubmissionRequest,
    asked: Option<&str>,
) -> Result<(Channel, String), ApiError> {
    match reporter {
        Reporter::Chair(s) => {
            if s.election != req.election || s.precinct != req.precinct {
                return Err(ApiError::Forbidden);
            }
            Ok((Channel::Chair, format!("chair:{}", s.precinct)))
        }
        Reporter::Staff(c) => match asked.unwrap_or("hotline") {
            "hotline" => {
                c.require(Permission::KeyResults)?;
                Ok((Channel::Hotline, c.user.name.clone()))
            }
            "check" => {
                c.require(Permission::ManageResults)?;
                Ok((Channel::Check, c.user.name.clone()))
            }
            other => Err(ApiError::BadRequest(format!(
                "unknown channel {other:?}: use hotline or check"
            ))),
        },
    }
}

/// Records a submission (see the module documentation); a retry returns the stored receipt.
pub(super) async fn record(
    state: &AppState,
    reporter: &Reporter,
    req: SubmissionRequest,
    asked: Option<&str>,
) -> Result<(Receipt, bool), ApiError> {
    let (channel, actor) = channel_of(reporter, &req, asked)?;
    let election = load_election(state, &req.election).await?;
    let outcome = app::submit(
        state.store.as_ref(),
        &election,
        NewSubmission {
            request: req,
            channel,
            actor,
            received_at: Utc::now(),
        },
    )
    .await?;
    Ok((outcome.receipt, outcome.replayed))
}

/// Records a precinct result; 201 with the receipt, or 200 with the stored receipt for a retry.
#[utoipa::path(post, path = "/api/v1/results/submissions", request_body = SubmissionRequest,
    params(ChannelParams), security(("bearer" = [])),
    responses((status = 201, body = Receipt), (status = 200, body = Receipt),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
async fn submit(
    State(state): State<AppState>,
    reporter: Reporter,
    Query(p): Query<ChannelParams>,
    Json(req): Json<SubmissionRequest>,
) -> Result<Response, ApiError> {
    let (receipt, replayed) = record(&state, &reporter, req, p.channel.as_deref()).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        [(
            "x-votebase-replayed",
            if replayed { "true" } else { "false" },
        )],
        Json(receipt),
    )
        .into_response())
}

/// Validates a result and computes delegates by the rules, storing nothing.
#[utoipa::path(post, path = "/api/v1/results/preview", request_body = SubmissionRequest,
    security(("bearer" = [])),
    responses((status = 200, body = EntryCheck), (status = 400, body = crate::error::ErrorBody)))]
async fn preview(
    State(state): State<AppState>,
    reporter: Reporter,
    Json(req): Json<SubmissionRequest>,
) -> Result<Json<EntryCheck>, ApiError> {
    channel_of(&reporter, &req, None)?;
    let election = load_election(&state, &req.election).await?;
    Ok(Json(app::preview(&election, &req)?))
}

/// The receipts of the signed-in chair's precinct, oldest first.
#[utoipa::path(get, path = "/api/v1/results/{election}/receipts",
    params(("election" = String, Path, description = "Election slug")), security(("bearer" = [])),
    responses((status = 200, body = [Receipt])))]
async fn receipts(
    State(state): State<AppState>,
    reporter: Reporter,
    Path(election): Path<String>,
) -> Result<Json<Vec<Receipt>>, ApiError> {
    let Reporter::Chair(s) = reporter else {
        return Err(ApiError::BadRequest(
            "receipts are listed for a chair token; staff use /reconciliation".into(),
        ));
    };
    if s.election != election {
        return Err(ApiError::Forbidden);
    }
    let log = state.store.result_log(&election, Some(&s.precinct)).await?;
    Ok(Json(
        log.into_iter()
            .filter(|e| e.submission.channel == Channel::Chair)
            .map(|e| e.receipt)
            .collect(),
    ))
}

/// Where a worksheet photo goes.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct WorksheetParams {
    /// Client-generated id (a retry stores nothing new).
    pub client_id: String,
    /// Precinct (staff only; a chair uploads for their own).
    pub precinct: Option<String>,
}

/// Attaches a photo of the signed worksheet (the raw JPEG, PNG, WebP or HEIC bytes, judged by their magic bytes whatever the declared type; 1 MB at most; the chair's page shrinks photos first). Anything else: 415 `unsupported_media_type`.
#[utoipa::path(post, path = "/api/v1/results/{election}/worksheet",
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    params(("election" = String, Path, description = "Election slug"), WorksheetParams),
    security(("bearer" = [])),
    responses((status = 201, body = Worksheet), (status = 200, body = Worksheet),
        (status = 400, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)))]
async fn upload_worksheet(
    State(state): State<AppState>,
    reporter: Reporter,
    Path(election): Path<String>,
    Query(p): Query<WorksheetParams>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let e = load_election(&state, &election).await?;
    let (precinct, actor) = match &reporter {
        Reporter::Chair(s) if s.election == election => {
            (s.precinct.clone(), format!("chair:{}", s.precinct))
        }
        Reporter::Chair(_) => return Err(ApiError::Forbidden),
        Reporter::Staff(c) => {
            c.require(Permission::KeyResults)?;
            let precinct = p
                .precinct
                .clone()
                .ok_or_else(|| ApiError::BadRequest("give the precinct: ?precinct=ID".into()))?;
            (precinct, c.user.name.clone())
        }
    };
    if e.precinct(&precinct).is_none() {
        return Err(ApiError::BadRequest(format!(
            "precinct {precinct:?} is not in the roster"
        )));
    }
    if body.is_empty() {
        return Err(ApiError::BadRequest("the photo is empty".into()));
    }
    // The bytes decide, never the declared Content-Type: a page or a script sent as
    // "image/png" must not be stored and later served as a photo.
    let content_type = sniff_image(&body)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(
                "the worksheet photo is not a JPEG, PNG, WebP or HEIC image: send the photo itself"
                    .into(),
            )
        })?
        .mime()
        .to_owned();
    let sha = hex_sha256(&body);
    let (w, replayed) = state
        .store
        .add_worksheet(NewWorksheet {
            election,
            precinct,
            client_id: p.client_id,
            content_type,
            sha256: sha,
            bytes: body.to_vec(),
            actor,
            received_at: Utc::now(),
        })
        .await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(w)).into_response())
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Built feeds by (store, election), with the log length they were built at: on election
/// night many readers ask for the same feed, and the projection only changes when the
/// append-only log grows, so a feed is rebuilt only after a new submission.
type FeedCache = std::sync::Mutex<BTreeMap<(usize, String), (i64, std::sync::Arc<ElectionFeed>)>>;

fn feed_cache() -> &'static FeedCache {
    static CACHE: OnceLock<FeedCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

pub(super) async fn feed(
    state: &AppState,
    election: &str,
) -> Result<std::sync::Arc<ElectionFeed>, ApiError> {
    let logged = state
        .store
        .elections()
        .await?
        .into_iter()
        .find(|s| s.slug == election)
        .ok_or_else(|| ApiError::NotFound(format!("no election {election:?}")))?
        .submissions;
    let key = (
        std::sync::Arc::as_ptr(&state.store) as *const () as usize,
        election.to_owned(),
    );
    if let Ok(cache) = feed_cache().lock()
        && let Some((at, f)) = cache.get(&key)
        && *at == logged
    {
        return Ok(f.clone());
    }
    let e = load_election(state, election).await?;
    let results = state.store.precinct_results(election).await?;
    let built = std::sync::Arc::new(build_feed(&e, &results));
    if let Ok(mut cache) = feed_cache().lock() {
        cache.insert(key, (logged, built.clone()));
    }
    Ok(built)
}

/// The live results (public): precincts reporting, totals, published rows.
#[utoipa::path(get, path = "/api/v1/results/{election}/results.json",
    params(("election" = String, Path, description = "Election slug")),
    responses((status = 200, body = ElectionFeed), (status = 429, body = crate::error::ErrorBody)))]
async fn feed_json(
    State(state): State<AppState>,
    Path(election): Path<String>,
    ext: axum::http::Extensions,
) -> Result<Response, ApiError> {
    check_public(&state, &ext)?;
    let f = feed(&state, &election).await?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=5")],
        Json(f.as_ref()),
    )
        .into_response())
}

/// The published rows as CSV with OpenElections columns (public).
async fn feed_csv(
    State(state): State<AppState>,
    Path(election): Path<String>,
    ext: axum::http::Extensions,
) -> Result<Response, ApiError> {
    check_public(&state, &ext)?;
    let f = feed(&state, &election).await?;
    let body = app::feed_csv(&f).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{election}__precinct.csv\""),
            ),
            (header::CACHE_CONTROL, "public, max-age=5".to_string()),
        ],
        body,
    )
        .into_response())
}

/// Removes who keyed each version (user names) from what the public sees.
pub(super) fn public_history(mut r: PrecinctResult) -> PrecinctResult {
    for v in &mut r.history {
        v.actor = v.channel.code().to_owned();
    }
    r
}

/// A precinct's results with every version received, corrections and reasons (public).
#[utoipa::path(get, path = "/api/v1/results/{election}/precincts/{precinct}",
    params(("election" = String, Path, description = "Election slug"),
        ("precinct" = String, Path, description = "Precinct id")),
    responses((status = 200, body = [PrecinctResult]), (status = 404, body = crate::error::ErrorBody)))]
async fn precinct_history(
    State(state): State<AppState>,
    Path((election, precinct)): Path<(String, String)>,
    ext: axum::http::Extensions,
) -> Result<Json<Vec<PrecinctResult>>, ApiError> {
    check_public(&state, &ext)?;
    let e = load_election(&state, &election).await?;
    if e.precinct(&precinct).is_none() {
        return Err(ApiError::NotFound(format!(
            "precinct {precinct:?} is not in the roster"
        )));
    }
    let all = state.store.precinct_results(&election).await?;
    Ok(Json(
        all.into_iter()
            .filter(|r| r.precinct == precinct)
            .map(public_history)
            .collect(),
    ))
}

/// Which chairs have signed in (staff).
#[utoipa::path(get, path = "/api/v1/results/{election}/readiness",
    params(("election" = String, Path, description = "Election slug")), security(("bearer" = [])),
    responses((status = 200, body = [ChairReadiness])))]
async fn readiness(
    State(state): State<AppState>,
    caller: Caller,
    Path(election): Path<String>,
) -> Result<Json<Vec<ChairReadiness>>, ApiError> {
    caller.require(Permission::ManageResults)?;
    load_election(&state, &election).await?;
    Ok(Json(state.store.chair_readiness(&election).await?))
}

/// Builds the reconciliation report: every precinct and contest.
pub async fn reconciliation_rows(
    state: &AppState,
    election: &str,
) -> Result<Vec<ReconciliationRow>, ApiError> {
    Ok(app::reconciliation_rows(state.store.as_ref(), election).await?)
}

/// Per precinct and contest: chair entry, hotline entry, third check, worksheets,
/// delegates by the rules and status (staff).
#[utoipa::path(get, path = "/api/v1/results/{election}/reconciliation",
    params(("election" = String, Path, description = "Election slug")), security(("bearer" = [])),
    responses((status = 200, body = [ReconciliationRow])))]
async fn reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    Path(election): Path<String>,
) -> Result<Json<Vec<ReconciliationRow>>, ApiError> {
    caller.require(Permission::ManageResults)?;
    Ok(Json(reconciliation_rows(&state, &election).await?))
}
