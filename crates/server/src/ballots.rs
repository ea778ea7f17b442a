//! Absentee and early vote in the web UI and the API: the daily dashboard (turnout
//! curves drawn as SVG by the server, counts by status and county), chase and cure lists
//! as CSV downloads, and the same data as JSON under `/api/v1/ballots`. Which election,
//! the status counts and the lists (with their export permission and safe CSV) are
//! use cases of `votebase_app::ballots`.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use votebase_app::ballots::{self as app, BallotsError};
use votebase_domain::users::Permission;
use votebase_store::{BallotListRow, BallotStatusCount, TurnoutBy, TurnoutPoint};

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/ballots", get(dashboard))
        .route("/ballots/lists/{kind}", get(list_csv))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/ballots/elections", get(api_elections))
        .route("/ballots/status", get(api_status))
        .route("/ballots/turnout", get(api_turnout))
        .route("/ballots/lists/{kind}", get(api_list))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(api_elections, api_status, api_turnout, api_list),
        components(schemas(StatusReply))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

/// Which election, list and day.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct BallotParams {
    /// Election date (default: the latest with ballots).
    pub election: Option<NaiveDate>,
    /// Chase list: minimum days since the ballot was sent (default 0).
    pub min_days: Option<i64>,
    /// The day to count days to (default today).
    pub as_of: Option<NaiveDate>,
    /// Most rows (default 100,000).
    pub limit: Option<i64>,
    /// Chase and cure lists: keep voters on the do-not-contact list (`true`); left out
    /// by default.
    pub include_suppressed: Option<bool>,
    /// Turnout: break down by county, party, age or method instead of by day.
    pub by: Option<String>,
    /// Dashboard: the previous election to compare with, on the same day before the
    /// election (default: the newest earlier election with ballots).
    pub compare: Option<NaiveDate>,
}

impl From<BallotsError> for ApiError {
    fn from(e: BallotsError) -> Self {
        match e {
            BallotsError::Forbidden(_) => ApiError::Forbidden,
            BallotsError::NoBallots => ApiError::NotFound(e.to_string()),
            BallotsError::UnknownList(_) => ApiError::NotFound(e.to_string()),
            BallotsError::Store(s) => s.into(),
        }
    }
}

async fn election_of(state: &AppState, asked: Option<NaiveDate>) -> Result<NaiveDate, ApiError> {
    Ok(app::election_or_latest(state.store.as_ref(), asked).await?)
}

/// A chase or cure list for the caller (bulk export of personal data: the import/export
/// permission is checked by the use case), audited as an export.
async fn load_list(
    state: &AppState,
    caller: &Caller,
    kind: &str,
    p: &BallotParams,
    channel: &str,
) -> Result<(NaiveDate, Vec<BallotListRow>), ApiError> {
    let (election, rows) = app::chase_cure_list(
        state.store.as_ref(),
        caller.user.role,
        &app::ListQuery {
            kind,
            min_days: p.min_days,
            election: p.election,
            as_of: p.as_of.unwrap_or_else(|| Utc::now().date_naive()),
            limit: p.limit.unwrap_or(100_000).clamp(1, 1_000_000),
            include_suppressed: p.include_suppressed.unwrap_or(false),
        },
    )
    .await?;
    audit(
        state,
        caller,
        "export",
        &format!("ballots {} list {election}", kind.trim_end_matches(".csv")),
        &format!("{channel}, {} rows", rows.len()),
    )
    .await?;
    Ok((election, rows))
}

/// Elections with ballot files, newest first.
#[utoipa::path(get, path = "/api/v1/ballots/elections", security(("bearer" = [])),
    responses((status = 200, body = [NaiveDate])))]
pub async fn api_elections(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<NaiveDate>>, ApiError> {
    caller.require(Permission::ReadSnapshots)?;
    Ok(Json(state.store.ballot_elections().await?))
}

/// Voters per ballot status in an election.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusReply {
    /// The election.
    pub election: NaiveDate,
    /// Per category: voters (each in their most settled status) and how many voted.
    pub categories: Vec<BallotStatusCount>,
}

/// Voters per ballot status, and how many count as voted.
#[utoipa::path(get, path = "/api/v1/ballots/status", params(BallotParams), security(("bearer" = [])),
    responses((status = 200, body = StatusReply), (status = 404, body = crate::error::ErrorBody)))]
pub async fn api_status(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<BallotParams>,
) -> Result<Json<StatusReply>, ApiError> {
    caller.require(Permission::ReadSnapshots)?;
    let (election, categories) = app::status(state.store.as_ref(), p.election).await?;
    Ok(Json(StatusReply {
        election,
        categories,
    }))
}

/// Voters who voted by day and county; with `by=party|age|method|county`, totals by
/// that group instead (the group in `county_name`, the election date in `day`).
#[utoipa::path(get, path = "/api/v1/ballots/turnout", params(BallotParams), security(("bearer" = [])),
    responses((status = 200, body = [TurnoutPoint])))]
pub async fn api_turnout(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<BallotParams>,
) -> Result<Json<Vec<TurnoutPoint>>, ApiError> {
    caller.require(Permission::ReadSnapshots)?;
    let election = election_of(&state, p.election).await?;
    if let Some(by) = &p.by {
        let dimension = TurnoutBy::parse(by).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown by={by:?}: use county, party, age or method"
            ))
        })?;
        let rows = state.store.ballot_turnout_by(election, dimension).await?;
        return Ok(Json(
            rows.into_iter()
                .map(|(group, voters)| TurnoutPoint {
                    day: election,
                    county_name: group,
                    voters,
                })
                .collect(),
        ));
    }
    Ok(Json(state.store.ballot_turnout(election).await?))
}

/// The chase list (`chase`) or the cure list (`cure`), audited as an export (needs the
/// import/export permission: data managers and admins).
#[utoipa::path(get, path = "/api/v1/ballots/lists/{kind}",
    params(("kind" = String, Path, description = "chase or cure"), BallotParams), security(("bearer" = [])),
    responses((status = 200, body = [BallotListRow]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    Query(p): Query<BallotParams>,
) -> Result<Json<Vec<BallotListRow>>, ApiError> {
    Ok(Json(load_list(&state, &caller, &kind, &p, "api").await?.1))
}

async fn list_csv(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(kind): Path<String>,
    Query(p): Query<BallotParams>,
) -> Result<Response, PageRejection> {
    let (election, rows) = load_list(&state, &caller, &kind, &p, "web")
        .await
        .map_err(PageRejection::Error)?;
    let body = app::write_list_csv(&rows, Vec::new())
        .map_err(|e| PageRejection::Error(ApiError::Internal(e.to_string())))?;
    let name = format!(
        "attachment; filename=\"{}-{election}.csv\"",
        kind.trim_end_matches(".csv")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

/// One line of the chart.
pub struct Series {
    /// County name (or "Statewide").
    pub name: String,
    /// SVG polyline points.
    pub points: String,
    /// Voters at the last day.
    pub total: i64,
}

/// The turnout chart, laid out in SVG units.
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
    /// Statewide cumulative line.
    pub state: Series,
    /// One cumulative line per county, largest first.
    pub counties: Vec<Series>,
    /// Y axis labels and positions.
    pub y_ticks: Vec<(i64, i64)>,
    /// X axis labels (MM-DD) and positions.
    pub x_ticks: Vec<(String, i64)>,
    /// The previous election's statewide line, on the same days before its election.
    pub previous: Option<Series>,
    /// Per county, the previous election's voters by the same day before the election
    /// as the chart's last day.
    pub previous_by_county: BTreeMap<String, i64>,
}

/// A previous election's turnout, drawn on the same days before the election.
pub struct Previous<'a> {
    /// The earlier election.
    pub election: NaiveDate,
    /// Its turnout points.
    pub points: &'a [TurnoutPoint],
    /// The election the chart is about (its days are mapped to the same distance before
    /// the earlier election).
    pub current_election: NaiveDate,
}

impl Previous<'_> {
    /// The day of the earlier election as far before it as `day` is before the current one.
    fn same_day(&self, day: NaiveDate) -> NaiveDate {
        self.election - (self.current_election - day)
    }

    /// Voters of the earlier election who had voted by the same day, statewide and per county.
    fn cumulative(&self, day: NaiveDate) -> (i64, BTreeMap<String, i64>) {
        let limit = self.same_day(day);
        let mut by_county: BTreeMap<String, i64> = BTreeMap::new();
        let mut total = 0;
        for p in self.points.iter().filter(|p| p.day <= limit) {
            total += p.voters;
            *by_county.entry(p.county_name.clone()).or_default() += p.voters;
        }
        (total, by_county)
    }
}

/// Lays out cumulative turnout by day, statewide and per county, with a previous
/// election's statewide line on the same days before the election when given.
pub fn chart(points: &[TurnoutPoint], previous: Option<&Previous<'_>>) -> Chart {
    let (width, height, left, right, top, bottom) = (720, 320, 56, 700, 16, 290);
    // Every day from the first to the last, so the time axis is linear.
    let days: Vec<NaiveDate> = match (
        points.iter().map(|p| p.day).min(),
        points.iter().map(|p| p.day).max(),
    ) {
        (Some(first), Some(last)) => first.iter_days().take_while(|d| *d <= last).collect(),
        _ => Vec::new(),
    };
    let mut per_county: BTreeMap<&str, BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    let mut statewide: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for p in points {
        *per_county
            .entry(&p.county_name)
            .or_default()
            .entry(p.day)
            .or_default() += p.voters;
        *statewide.entry(p.day).or_default() += p.voters;
    }
    let total: i64 = statewide.values().sum();
    let previous_totals: Vec<i64> = match previous {
        Some(prev) => days.iter().map(|d| prev.cumulative(*d).0).collect(),
        None => Vec::new(),
    };
    let max = total
        .max(previous_totals.iter().copied().max().unwrap_or(0))
        .max(1);
    let x_of = |i: usize| -> i64 {
        if days.len() <= 1 {
            left
        } else {
            left + (right - left) * i as i64 / (days.len() as i64 - 1)
        }
    };
    let y_of = |v: i64| -> i64 { bottom - (bottom - top) * v / max };
    let line = |name: String, by_day: &BTreeMap<NaiveDate, i64>| -> Series {
        let mut acc = 0;
        let mut pts = Vec::with_capacity(days.len());
        for (i, d) in days.iter().enumerate() {
            acc += by_day.get(d).copied().unwrap_or(0);
            pts.push(format!("{},{}", x_of(i), y_of(acc)));
        }
        Series {
            name,
            points: pts.join(" "),
            total: acc,
        }
    };
    let mut counties: Vec<Series> = per_county
        .iter()
        .map(|(name, by_day)| line(name.to_string(), by_day))
        .collect();
    counties.sort_by(|a, b| b.total.cmp(&a.total).then(a.name.cmp(&b.name)));
    let state = line("Statewide".into(), &statewide);
    let previous_line = previous.filter(|_| !days.is_empty()).map(|prev| Series {
        name: prev.election.to_string(),
        points: previous_totals
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{},{}", x_of(i), y_of(*v)))
            .collect::<Vec<_>>()
            .join(" "),
        total: previous_totals.last().copied().unwrap_or(0),
    });
    let previous_by_county = match (previous, days.last()) {
        (Some(prev), Some(last)) => prev.cumulative(*last).1,
        _ => BTreeMap::new(),
    };
    let y_ticks = (0..=4).map(|k| (max * k / 4, y_of(max * k / 4))).collect();
    let step = (days.len() / 6).max(1);
    let x_ticks = days
        .iter()
        .enumerate()
        .filter(|(i, _)| (i % step == 0 && *i + step / 2 < days.len()) || *i + 1 == days.len())
        .map(|(i, d)| (d.format("%m-%d").to_string(), x_of(i)))
        .collect();
    Chart {
        width,
        height,
        left,
        right,
        top,
        bottom,
        state,
        counties,
        y_ticks,
        x_ticks,
        previous: previous_line,
        previous_by_county,
    }
}

#[derive(Template)]
#[template(path = "ballots.html")]
struct Dashboard {
    user_name: String,
    role: String,
    csrf: String,
    election: NaiveDate,
    elections: Vec<NaiveDate>,
    voted: i64,
    counts: Vec<BallotStatusCount>,
    chart: Chart,
    breakdowns: Vec<(String, Vec<(String, i64)>)>,
    can_export: bool,
}

async fn dashboard(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<BallotParams>,
) -> Result<Response, PageRejection> {
    let err = |e: ApiError| PageRejection::Error(e);
    caller.require(Permission::ReadSnapshots).map_err(err)?;
    let election = election_of(&state, p.election).await.map_err(err)?;
    let elections = state
        .store
        .ballot_elections()
        .await
        .map_err(|e| err(e.into()))?;
    let counts = state
        .store
        .ballot_status_counts(election)
        .await
        .map_err(|e| err(e.into()))?;
    let turnout = state
        .store
        .ballot_turnout(election)
        .await
        .map_err(|e| err(e.into()))?;
    let compare_with = p
        .compare
        .or_else(|| elections.iter().copied().find(|e| *e < election));
    let previous_points = match compare_with {
        Some(e) => state
            .store
            .ballot_turnout(e)
            .await
            .map_err(|e| err(e.into()))?,
        None => Vec::new(),
    };
    let previous = compare_with.map(|e| Previous {
        election: e,
        points: &previous_points,
        current_election: election,
    });
    let mut breakdowns = Vec::new();
    for (title, by) in [
        ("By party", TurnoutBy::Party),
        ("By age", TurnoutBy::AgeBand),
        ("By method", TurnoutBy::Method),
    ] {
        let rows = state
            .store
            .ballot_turnout_by(election, by)
            .await
            .map_err(|e| err(e.into()))?;
        breakdowns.push((title.to_string(), rows));
    }
    let voted = counts.iter().map(|c| c.voted).sum();
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&Dashboard {
        user_name,
        role,
        csrf,
        election,
        elections,
        voted,
        counts,
        chart: chart(&turnout, previous.as_ref()),
        breakdowns,
        can_export: votebase_app::lists::authorize_export(caller.user.role).is_ok(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_accumulates_and_scales() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 10, day).unwrap();
        let pts = vec![
            TurnoutPoint {
                day: d(1),
                county_name: "WAKE".into(),
                voters: 2,
            },
            TurnoutPoint {
                day: d(2),
                county_name: "WAKE".into(),
                voters: 1,
            },
            TurnoutPoint {
                day: d(2),
                county_name: "DURHAM".into(),
                voters: 1,
            },
        ];
        let c = chart(&pts, None);
        assert_eq!(c.state.total, 4);
        assert_eq!(c.counties[0].name, "WAKE");
        assert_eq!(c.counties[0].total, 3);
        // Two days: first at the left edge, last at the right edge, top = full total.
        assert_eq!(
            c.state.points,
            format!(
                "{},{} {},{}",
                c.left,
                c.bottom - (c.bottom - c.top) * 2 / 4,
                c.right,
                c.top
            )
        );
        assert!(chart(&[], None).counties.is_empty());
        assert!(c.previous.is_none());
    }

    #[test]
    fn previous_election_is_drawn_on_the_same_days_before_it() {
        let point = |day: NaiveDate, county: &str, voters| TurnoutPoint {
            day,
            county_name: county.into(),
            voters,
        };
        let now = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let then = NaiveDate::from_ymd_opt(2024, 11, 5).unwrap();
        let days_before = |e: NaiveDate, n| e - chrono::Duration::days(n);
        let current = vec![
            point(days_before(now, 3), "WAKE", 10),
            point(days_before(now, 2), "WAKE", 10),
        ];
        let earlier = vec![
            point(days_before(then, 5), "WAKE", 4),
            point(days_before(then, 3), "DURHAM", 6),
            point(days_before(then, 2), "WAKE", 30),
            // After the same day: not counted.
            point(days_before(then, 1), "WAKE", 1000),
        ];
        let prev = Previous {
            election: then,
            points: &earlier,
            current_election: now,
        };
        let c = chart(&current, Some(&prev));
        let line = c.previous.expect("previous line");
        assert_eq!(line.name, "2024-11-05");
        assert_eq!(line.total, 40, "4 + 6 + 30 by two days before the election");
        assert_eq!(c.previous_by_county.get("WAKE"), Some(&34));
        assert_eq!(c.previous_by_county.get("DURHAM"), Some(&6));
        // The scale fits the higher of the two lines: 40 at the top.
        assert_eq!(c.y_ticks.last().map(|t| t.0), Some(40));
    }
}
