//! Donations in the web UI and the API: the `/donations` page (a cycle's totals, net by
//! day and by source as a server-drawn SVG chart, the top donors, the flags to act on)
//! and the same as JSON under `/api/v1/donations`; donor call lists as CSV or JSON
//! (`/api/v1/donations/export`); the review queue of uncertain donor pairs with accept
//! and reject (a page form and `/api/v1/donations/reviews`). Donor names and emails are
//! personal and financial data: all of it needs the import/export permission and every
//! read, export and decision is audited.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::{ApiError, ErrorBody};
use askama::Template;
use axum::extract::{Form, Path};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use votebase_app::donations::overview::{DonationDay, DonationOverview, TopDonor, overview};
use votebase_app::donations::{DonationError, DonationTotals};
use votebase_domain::donations::{
    CALL_LIST_COLUMNS, CallListKind, CallListRow, DonationFlag, FlagKind, format_cents,
};
use votebase_domain::users::Permission;
use votebase_store::donations::{DonorReview, ReviewStatus};

/// Donors shown on the page and sent by the API.
const TOP_DONORS: usize = 25;
/// Pending donor pairs shown on the page (the API and the CLI list them all).
const REVIEWS_SHOWN: usize = 50;

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/donations", get(page))
        .route("/donations/reviews/{id}", post(review_submit))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/donations", get(api_overview))
        .route("/donations/export", get(api_export))
        .route("/donations/reviews", get(api_reviews))
        .route("/donations/reviews/{id}", post(api_decide))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(api_overview, api_export, api_reviews, api_decide),
        components(schemas(
            DonorReview,
            ReviewStatus,
            ReviewDecisionRequest,
            votebase_domain::donations::DonorDetails,
            CallListRow,
            CallListKind,
            DonationOverview,
            DonationTotals,
            DonationDay,
            TopDonor,
            DonationFlag,
            FlagKind
        ))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

impl From<DonationError> for ApiError {
    fn from(e: DonationError) -> Self {
        match e {
            DonationError::Store(s) => s.into(),
            DonationError::Invalid(_) => ApiError::BadRequest(e.to_string()),
            DonationError::NotFound(_) => ApiError::NotFound(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Which cycle.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CycleParams {
    /// The cycle (its even election year, 2000–2100); every cycle when absent.
    pub cycle: Option<i32>,
}

async fn load(
    state: &AppState,
    caller: &Caller,
    p: &CycleParams,
) -> Result<DonationOverview, ApiError> {
    caller.require(Permission::ImportExport)?;
    if let Some(c) = p.cycle
        && !(2000..=2100).contains(&c)
    {
        return Err(ApiError::BadRequest(format!(
            "cycle {c} is not an election year between 2000 and 2100"
        )));
    }
    let o = overview(state.store.as_ref(), p.cycle, TOP_DONORS).await?;
    audit(
        state,
        caller,
        "read",
        "donations",
        &format!(
            "cycle {}: {} top donors, {} flags (and the pending donor reviews)",
            p.cycle
                .map(|c| c.to_string())
                .unwrap_or_else(|| "all".into()),
            o.top_donors.len(),
            o.flags.len()
        ),
    )
    .await?;
    Ok(o)
}

/// A cycle's donations: totals, net by day and source, the top donors and the flags to
/// act on (audited).
#[utoipa::path(get, path = "/api/v1/donations", params(CycleParams), security(("bearer" = [])),
    responses((status = 200, body = DonationOverview), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_overview(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<CycleParams>,
) -> Result<Json<DonationOverview>, ApiError> {
    Ok(Json(load(&state, &caller, &p).await?))
}

/// The response header giving how many people an export left out because they are on
/// the do-not-contact list.
pub const SUPPRESSED_REMOVED_HEADER: &str = "x-suppressed-removed";

/// Which call list, and how.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// `lapsed`, `thank-you` or `call-time`.
    pub list: String,
    /// The date splitting lapsed from current donors (default: a year ago for lapsed,
    /// seven days ago for thank-you).
    pub since: Option<chrono::NaiveDate>,
    /// The cycle of the totals and the room left (default: the current one).
    pub cycle: Option<i32>,
    /// Call-time lines (default 100, at most 100,000).
    pub top: Option<usize>,
    /// `csv` (default, formula-safe) or `json`.
    pub format: Option<String>,
    /// Keep donors on the do-not-contact list (`true`); left out by default.
    pub include_suppressed: Option<bool>,
}

/// A donor call list for the finance team (audited; needs the import/export permission):
/// lapsed donors, thank-you calls since a date, or call time by capacity with room left
/// under the limit. Name, email, phone, address, latest gift, cycle total, room left.
/// Donors on the do-not-contact list (by phone, email or linked voter) are left out unless
/// `include_suppressed=true`; the count left out is in the `x-suppressed-removed` header.
#[utoipa::path(get, path = "/api/v1/donations/export", params(ExportParams), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 200, content_type = "application/json", body = [CallListRow]),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_export(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    caller.require(Permission::ImportExport)?;
    let kind = CallListKind::parse(&p.list).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "list {:?} is not lapsed, thank-you or call-time",
            p.list
        ))
    })?;
    let json = match p.format.as_deref() {
        None | Some("") | Some("csv") => false,
        Some("json") => true,
        Some(f) => {
            return Err(ApiError::BadRequest(format!(
                "format {f:?} is not csv or json"
            )));
        }
    };
    let query = votebase_app::donations::calls::query(
        kind,
        p.since,
        p.cycle,
        p.top,
        chrono::Utc::now().date_naive(),
    )?;
    let include_suppressed = p.include_suppressed.unwrap_or(false);
    let list =
        votebase_app::donations::calls::call_list(state.store.as_ref(), query, include_suppressed)
            .await?;
    let (rows, removed) = (list.rows, list.suppressed_removed);
    audit(
        &state,
        &caller,
        "export",
        &format!("donations:{}", kind.code()),
        &format!(
            "{} donors (since {}, cycle {}, {}; {removed} on the do-not-contact list left out)",
            rows.len(),
            query.since,
            query.cycle,
            if json { "json" } else { "csv" }
        ),
    )
    .await?;
    let removed_header = (
        header::HeaderName::from_static(SUPPRESSED_REMOVED_HEADER),
        removed.to_string(),
    );
    if json {
        return Ok(([removed_header], Json(rows)).into_response());
    }
    let mut w = votebase_domain::csv_safe::SafeWriter::from_writer(Vec::new());
    let written: csv::Result<()> = (|| {
        w.write_record(CALL_LIST_COLUMNS)?;
        for r in &rows {
            w.write_record(r.csv_cells())?;
        }
        Ok(())
    })();
    written.map_err(|e| ApiError::Internal(format!("writing the call list: {e}")))?;
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing the call list: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"donors-{}.csv\"", kind.code()),
            ),
            removed_header,
        ],
        body,
    )
        .into_response())
}

/// Which reviews.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReviewParams {
    /// Decided pairs too (default: only the pending ones).
    #[serde(default)]
    pub all: bool,
}

/// The review queue of uncertain donor pairs: both identities as stored, the match
/// probability and which fields agreed (audited; needs the import/export permission).
#[utoipa::path(get, path = "/api/v1/donations/reviews", params(ReviewParams), security(("bearer" = [])),
    responses((status = 200, body = [DonorReview]), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn api_reviews(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ReviewParams>,
) -> Result<Json<Vec<DonorReview>>, ApiError> {
    caller.require(Permission::ImportExport)?;
    let reviews = votebase_app::donations::reviews(state.store.as_ref(), !p.all).await?;
    audit(
        &state,
        &caller,
        "read",
        "donations:reviews",
        &format!("{} donor pairs", reviews.len()),
    )
    .await?;
    Ok(Json(reviews))
}

/// A decision on a queued donor pair.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReviewDecisionRequest {
    /// `accept` (one person: the incoming donor merges into the one it resembles) or
    /// `reject` (two people).
    pub decision: String,
}

/// Decides a pair for a caller who may (audited).
async fn decide(
    state: &AppState,
    caller: &Caller,
    id: i64,
    decision: &str,
) -> Result<DonorReview, ApiError> {
    caller.require(Permission::ImportExport)?;
    let accept = match decision {
        "accept" => true,
        "reject" => false,
        other => {
            return Err(ApiError::BadRequest(format!(
                "decision {other:?} is not accept or reject"
            )));
        }
    };
    let r =
        votebase_app::donations::decide_review(state.store.as_ref(), id, accept, &caller.user.name)
            .await?;
    audit(
        state,
        caller,
        "donations.review",
        &format!("donor review {id}"),
        &format!("{}: {} / {}", r.status.code(), r.person, r.other_person),
    )
    .await?;
    Ok(r)
}

/// Accepts (merges the incoming donor into the person it resembles: their gifts then
/// count together) or rejects (keeps them apart) a pending pair; a decided pair is a 400.
#[utoipa::path(post, path = "/api/v1/donations/reviews/{id}",
    params(("id" = i64, Path, description = "The review's id")),
    request_body = ReviewDecisionRequest, security(("bearer" = [])),
    responses((status = 200, body = DonorReview), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(req): Json<ReviewDecisionRequest>,
) -> Result<Json<DonorReview>, ApiError> {
    Ok(Json(decide(&state, &caller, id, &req.decision).await?))
}

#[derive(Deserialize)]
struct ReviewForm {
    decision: String,
}

async fn review_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, PageRejection> {
    let r = decide(&state, &caller, id, &form.decision)
        .await
        .map_err(PageRejection::Error)?;
    Ok(Redirect::to(&format!("/donations?done={}#reviews", r.status.code())).into_response())
}

/// One source's bars on the chart.
pub struct SourceBars {
    /// The source.
    pub name: String,
    /// Its colour.
    pub colour: &'static str,
    /// (x, y, height, title) of each day's bar.
    pub bars: Vec<(i64, i64, i64, String)>,
}

/// Net by day and source, laid out in SVG units (bars stacked per day).
pub struct DayChart {
    /// Canvas width.
    pub width: i64,
    /// Canvas height.
    pub height: i64,
    /// Plot area.
    pub left: i64,
    /// Plot area.
    pub right: i64,
    /// Plot area.
    pub top: i64,
    /// Plot area.
    pub bottom: i64,
    /// Width of one day's bar.
    pub bar_width: i64,
    /// One series per source.
    pub sources: Vec<SourceBars>,
    /// Y labels and positions.
    pub y_ticks: Vec<(String, i64)>,
    /// X labels (dates) and positions.
    pub x_ticks: Vec<(String, i64)>,
}

const COLOURS: [&str; 6] = [
    "#2e86c1", "#e67e22", "#27ae60", "#8e44ad", "#c0392b", "#7f8c8d",
];

/// Lays out the day-by-source totals (negative days drawn as zero: refunds show in
/// the totals, not as bars below the axis).
pub fn day_chart(days: &[DonationDay]) -> DayChart {
    let (width, height, left, right, top, bottom) = (720i64, 300i64, 72i64, 700i64, 12i64, 270i64);
    let mut dates: Vec<chrono::NaiveDate> = days.iter().map(|d| d.date).collect();
    dates.dedup();
    let mut sources: Vec<&str> = days.iter().map(|d| d.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut per_day = std::collections::BTreeMap::new();
    for d in days {
        *per_day.entry(d.date).or_insert(0i64) += d.net_cents.max(0);
    }
    let max = per_day.values().copied().max().unwrap_or(0).max(100);
    let n = dates.len().max(1) as i64;
    let step = (right - left) / n;
    let bar_width = (step - 1).max(1);
    let x_of = |i: usize| left + step * i as i64;
    let h_of = |cents: i64| ((bottom - top) as f64 * cents as f64 / max as f64).round() as i64;
    let mut stacked = vec![0i64; dates.len()];
    let index: std::collections::HashMap<chrono::NaiveDate, usize> =
        dates.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let sources = sources
        .into_iter()
        .enumerate()
        .map(|(k, name)| {
            let bars = days
                .iter()
                .filter(|d| d.source == name && d.net_cents > 0)
                .map(|d| {
                    let i = index[&d.date];
                    let h = h_of(d.net_cents);
                    let y = bottom - stacked[i] - h;
                    stacked[i] += h;
                    (
                        x_of(i),
                        y,
                        h,
                        format!(
                            "{} {}: {} ({} gifts)",
                            d.date,
                            name,
                            format_cents(d.net_cents),
                            d.gifts
                        ),
                    )
                })
                .collect();
            SourceBars {
                name: name.to_string(),
                colour: COLOURS[k % COLOURS.len()],
                bars,
            }
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|k| {
            let cents = max * k / 4;
            (format!("${}", cents / 100), bottom - h_of(cents))
        })
        .collect();
    let every = (dates.len() / 8).max(1);
    let x_ticks = dates
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, d)| (d.format("%m-%d").to_string(), x_of(i) + bar_width / 2))
        .collect();
    DayChart {
        width,
        height,
        left,
        right,
        top,
        bottom,
        bar_width,
        sources,
        y_ticks,
        x_ticks,
    }
}

struct FlagView {
    kind: &'static str,
    name: String,
    email: String,
    receipt: String,
    detail: String,
}

struct ReviewView {
    id: i64,
    incoming: String,
    other: String,
    probability: String,
    explanation: String,
}

fn describe(d: &votebase_domain::donations::DonorDetails) -> String {
    let mut parts = vec![d.display_name()];
    for p in [&d.email, &d.address, &d.city, &d.state, &d.zip, &d.phone] {
        if !p.is_empty() {
            parts.push(p.clone());
        }
    }
    parts.join(", ")
}

struct DonorView {
    name: String,
    place: String,
    net: String,
    gifts: u64,
    recurring: bool,
}

#[derive(Template)]
#[template(path = "donations.html")]
struct DonationsPage {
    user_name: String,
    role: String,
    csrf: String,
    cycle: String,
    gifts: u64,
    donors: u64,
    gross: String,
    net: String,
    refunds: u64,
    chart: DayChart,
    top: Vec<DonorView>,
    flags: Vec<FlagView>,
    reviews: Vec<ReviewView>,
    review_total: usize,
    done: Option<String>,
}

/// Which cycle, and what the last form did.
#[derive(Deserialize)]
struct PageParams {
    cycle: Option<i32>,
    done: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<PageParams>,
) -> Result<Response, PageRejection> {
    let o = load(&state, &caller, &CycleParams { cycle: p.cycle })
        .await
        .map_err(PageRejection::Error)?;
    let reviews = votebase_app::donations::reviews(state.store.as_ref(), true)
        .await
        .map_err(|e| PageRejection::Error(e.into()))?;
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&DonationsPage {
        user_name,
        role,
        csrf,
        cycle: o
            .cycle
            .map(|c| format!("cycle {c}"))
            .unwrap_or_else(|| "every cycle".into()),
        gifts: o.totals.gifts,
        donors: o.totals.donors,
        gross: format_cents(o.totals.gross_cents),
        net: format_cents(o.totals.net_cents),
        refunds: o.totals.refunds,
        chart: day_chart(&o.by_day),
        top: o
            .top_donors
            .iter()
            .map(|d| DonorView {
                name: d.name.clone(),
                place: d.place.clone(),
                net: format_cents(d.net_cents),
                gifts: d.gifts,
                recurring: d.recurring,
            })
            .collect(),
        flags: o
            .flags
            .iter()
            .map(|f| FlagView {
                kind: f.kind.code(),
                name: f.name.clone(),
                email: f.email.clone(),
                receipt: f.receipt_id.clone(),
                detail: f.detail.clone(),
            })
            .collect(),
        review_total: reviews.len(),
        reviews: reviews
            .iter()
            .take(REVIEWS_SHOWN)
            .map(|r| ReviewView {
                id: r.id,
                incoming: describe(&r.details),
                other: describe(&r.other_details),
                probability: format!("{:.2}", r.probability),
                explanation: r.explanation.clone(),
            })
            .collect(),
        done: p
            .done
            .filter(|d| matches!(d.as_str(), "accepted" | "rejected")),
    }))
}
