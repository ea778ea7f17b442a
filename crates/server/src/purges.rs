//! Purge watch in the web UI and the API: the `/purges` page (removal rates per county
//! over the refreshes as server-drawn SVG, the flags with their sentences, the latest
//! refresh by county), a flag's counsel list as a page and a CSV download, and the same
//! under `/api/v1/purges`. Reading the report needs the snapshot permission; reading a
//! list needs the voter permission and is audited; the CSV needs the export permission
//! (checked by `votebase_app::purges::counsel_list`).

use crate::AppState;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::{ApiError, ErrorBody};
use crate::universes::urlencode;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use votebase_app::purges::{
    self as app, CounselList, ListAccess, PurgeError, Report, ReportRequest, percent,
};
use votebase_domain::users::Permission;

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/purges", get(page))
        .route("/purges/list", get(list_page))
        .route("/purges/list.csv", get(list_csv))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/purges", get(api_report))
        .route("/purges/list", get(api_list))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(api_report, api_list),
        components(schemas(
            Report,
            CounselList,
            app::PairReport,
            app::CountyPair,
            app::TransitionRate,
            app::Flag,
            app::Breakdown,
            app::BreakdownRow,
            app::PartySkew,
            app::Thresholds,
            votebase_domain::purges::SnapshotRef,
            votebase_domain::purges::Transition,
            votebase_domain::purges::PurgeListRow,
            votebase_domain::purges::Reinstatement,
        ))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

impl From<PurgeError> for ApiError {
    fn from(e: PurgeError) -> Self {
        match e {
            PurgeError::Store(s) => s.into(),
            PurgeError::Forbidden(_) => ApiError::Forbidden,
            PurgeError::NoSnapshot(_) => ApiError::NotFound(e.to_string()),
            PurgeError::Invalid(_) | PurgeError::Threshold(_) => {
                ApiError::BadRequest(e.to_string())
            }
        }
    }
}

/// Which refreshes and county.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReportParams {
    /// Only refreshes dated on or after this date.
    pub since: Option<NaiveDate>,
    /// Only this county (the tests still compare it with every county); at most 100
    /// characters.
    pub county: Option<String>,
}

/// Which flag.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// `DATE:COUNTY:TRANSITION`, e.g. `2026-10-15:FOXHALL:inactivated` (at most 200
    /// characters).
    pub flag: String,
}

async fn build(state: &AppState, p: &ReportParams) -> Result<Report, ApiError> {
    Ok(app::report(
        state.store.as_ref(),
        &ReportRequest {
            since: p.since,
            county: p.county.clone(),
            baselines: None,
        },
    )
    .await?)
}

/// The purge report: every pair of consecutive snapshots per county and transition,
/// with the test, and the flags with their sentences and breakdowns.
#[utoipa::path(get, path = "/api/v1/purges", params(ReportParams), security(("bearer" = [])),
    responses((status = 200, body = Report), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_report(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ReportParams>,
) -> Result<Json<Report>, ApiError> {
    caller.require(Permission::ReadSnapshots)?;
    Ok(Json(build(&state, &p).await?))
}

async fn load_list(
    state: &AppState,
    caller: &Caller,
    flag: &str,
    access: ListAccess,
) -> Result<CounselList, ApiError> {
    caller.require(Permission::ReadVoters)?;
    Ok(app::counsel_list(
        state.store.as_ref(),
        flag,
        &caller.user.name,
        caller.user.role,
        access,
    )
    .await?)
}

/// The counsel list of a flag: every voter moved, with status before and after, reason,
/// registration date, last vote, ballots this cycle and whether reinstated; and the
/// running count of reinstatements (audited).
#[utoipa::path(get, path = "/api/v1/purges/list", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = CounselList), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<CounselList>, ApiError> {
    Ok(Json(
        load_list(&state, &caller, &p.flag, ListAccess::Read).await?,
    ))
}

async fn list_csv(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageRejection> {
    let list = load_list(&state, &caller, &p.flag, ListAccess::Export)
        .await
        .map_err(PageRejection::Error)?;
    let body = app::list_csv(&list).map_err(|e| PageRejection::Error(e.into()))?;
    let name: String = list
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"purge-{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// One county's line on the chart.
pub struct Series {
    /// County name.
    pub name: String,
    /// SVG polyline points.
    pub points: String,
    /// The latest rate, as a percentage.
    pub latest: String,
    /// Whether any of its refreshes is flagged.
    pub flagged: bool,
}

/// The removal-rate chart, laid out in SVG units.
pub struct Chart {
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
    /// One line per county.
    pub series: Vec<Series>,
    /// Flagged points: (label, x, y).
    pub marks: Vec<(String, i64, i64)>,
    /// Y labels and positions.
    pub y_ticks: Vec<(String, i64)>,
    /// X labels (dates) and positions.
    pub x_ticks: Vec<(String, i64)>,
}

/// Lays out each county's share of active voters moved off the active roll, per pair.
pub fn chart(report: &Report) -> Chart {
    let (width, height, left, right, top, bottom) = (720, 320, 56, 700, 16, 290);
    let n = report.pairs.len();
    let max = report
        .pairs
        .iter()
        .flat_map(|p| p.counties.iter().map(|c| c.off_active_rate))
        .fold(0.0f64, f64::max)
        .max(0.001);
    let x_of = |i: usize| -> i64 {
        if n <= 1 {
            (left + right) / 2
        } else {
            left + (right - left) * i as i64 / (n as i64 - 1)
        }
    };
    let y_of = |r: f64| -> i64 { bottom - ((bottom - top) as f64 * r / max).round() as i64 };
    let mut names: Vec<&str> = report
        .pairs
        .iter()
        .flat_map(|p| p.counties.iter().map(|c| c.county.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut marks = Vec::new();
    let series = names
        .into_iter()
        .map(|name| {
            let mut points = Vec::new();
            let mut latest = 0.0;
            let mut flagged = false;
            for (i, p) in report.pairs.iter().enumerate() {
                if let Some(c) = p.counties.iter().find(|c| c.county == name) {
                    let (x, y) = (x_of(i), y_of(c.off_active_rate));
                    points.push(format!("{x},{y}"));
                    latest = c.off_active_rate;
                    if c.transitions.iter().any(|t| t.flagged) {
                        flagged = true;
                        marks.push((
                            format!("{name}, {}: {}", p.to.as_of, percent(c.off_active_rate)),
                            x,
                            y,
                        ));
                    }
                }
            }
            Series {
                name: name.to_string(),
                points: points.join(" "),
                latest: percent(latest),
                flagged,
            }
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|k| {
            let r = max * k as f64 / 4.0;
            (percent(r), y_of(r))
        })
        .collect();
    let x_ticks = report
        .pairs
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to.as_of.format("%m-%d").to_string(), x_of(i)))
        .collect();
    Chart {
        width,
        height,
        left,
        right,
        top,
        bottom,
        series,
        marks,
        y_ticks,
        x_ticks,
    }
}

/// A flag as the page shows it.
struct FlagView {
    id: String,
    id_url: String,
    sentence: String,
    summary: String,
    q: String,
    /// Voters of the flag back on the active roll since.
    reinstated: i64,
}

#[derive(Template)]
#[template(path = "purges.html")]
struct PurgesPage {
    user_name: String,
    role: String,
    csrf: String,
    fdr: f64,
    min_ratio: f64,
    min_excess: f64,
    min_voters: i64,
    skipped: Vec<String>,
    chart: Chart,
    flags: Vec<FlagView>,
    latest: Vec<(String, i64, i64, String)>,
    can_read_lists: bool,
    can_export: bool,
}

async fn page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ReportParams>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ReadSnapshots)
        .map_err(PageRejection::Error)?;
    let report = build(&state, &p).await.map_err(PageRejection::Error)?;
    let latest = report
        .pairs
        .last()
        .map(|p| {
            p.counties
                .iter()
                .map(|c| {
                    (
                        c.county.clone(),
                        c.active_before,
                        c.off_active,
                        percent(c.off_active_rate),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut flags = Vec::with_capacity(report.flags.len());
    for f in &report.flags {
        let reinstated = app::reinstated_so_far(state.store.as_ref(), f)
            .await
            .map_err(|e| PageRejection::Error(e.into()))?;
        flags.push(FlagView {
            id: f.id.clone(),
            id_url: urlencode(&f.id),
            sentence: f.sentence.clone(),
            summary: app::flag_summary(f),
            q: format!("{:.1e}", f.q_value),
            reinstated,
        });
    }
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    let t = report.thresholds;
    Ok(crate::pages::render(&PurgesPage {
        user_name,
        role,
        csrf,
        fdr: t.fdr,
        min_ratio: t.min_ratio,
        min_excess: t.min_excess_points,
        min_voters: t.min_voters,
        skipped: report.skipped.clone(),
        chart: chart(&report),
        flags,
        latest,
        can_read_lists: caller.user.role.allows(Permission::ReadVoters),
        can_export: votebase_app::lists::authorize_export(caller.user.role).is_ok(),
    }))
}

#[derive(Template)]
#[template(path = "purges_list.html")]
struct ListPage {
    user_name: String,
    role: String,
    csrf: String,
    id: String,
    id_url: String,
    sentence: Option<String>,
    reinstated: i64,
    voters: Vec<votebase_domain::purges::PurgeListRow>,
    can_export: bool,
    /// The list's voters as a universe expression, URL-encoded for `/universes?q=`.
    universe_q: Option<String>,
}

async fn list_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageRejection> {
    let list = load_list(&state, &caller, &p.flag, ListAccess::Read)
        .await
        .map_err(PageRejection::Error)?;
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&ListPage {
        user_name,
        role,
        csrf,
        id_url: urlencode(&list.id),
        sentence: list.flag.as_ref().map(|f| f.sentence.clone()),
        reinstated: list
            .reinstatements
            .last()
            .map(|r| r.running_total)
            .unwrap_or(0),
        universe_q: app::universe_expression(&list.id).map(|q| urlencode(&q)),
        id: list.id,
        voters: list.voters,
        can_export: votebase_app::lists::authorize_export(caller.user.role).is_ok(),
    }))
}
