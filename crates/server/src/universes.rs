//! Universes and saved lists over HTTP. The index, its in-memory holder
//! ([`Universes`]), selections, list saving and exports are use cases of
//! `votebase_app::universes` and `votebase_app::lists`; this module parses requests,
//! checks roles, audits, and renders replies and the page.
//!
//! Routes: `GET /api/v1/universes/count`, `POST|GET /api/v1/lists`,
//! `GET /api/v1/lists/{name}/export`, and the list-building page `/universes` (live
//! count as the filter is typed, save-as-list form, export links).

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::ApiError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use std::time::Instant;
use votebase_app::lists::{ExportFailure, ListExportError, ListToSave, SaveListError};
pub use votebase_app::universes::Universes;
use votebase_app::universes::{BuildError, Built, select};
use votebase_domain::users::Permission;
use votebase_index::{Dimension, QueryError};
use votebase_ingest::exports::ExportFormat;
use votebase_store::StoreError;
use votebase_store::lists::SavedList;

impl From<BuildError> for ApiError {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Store(s) => s.into(),
            BuildError::Index(i) => ApiError::Internal(i.to_string()),
            BuildError::Contacts(c) => ApiError::Internal(c.to_string()),
            BuildError::Donations(d) => ApiError::Internal(d.to_string()),
            BuildError::Cancelled(c) => ApiError::Internal(c),
        }
    }
}

impl From<ExportFailure> for ApiError {
    fn from(e: ExportFailure) -> Self {
        match e {
            ExportFailure::Store(s) => s.into(),
            ExportFailure::Write(w) => ApiError::Internal(w.to_string()),
        }
    }
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/universes/count", get(api_count))
        .route("/lists", get(api_lists).post(api_save_list))
        .route("/lists/{name}/export", get(api_export))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(api_count, api_save_list, api_lists, api_export),
        components(schemas(
            CountReply,
            BreakdownRow,
            ExpressionErrorBody,
            SaveListRequest,
            votebase_store::lists::SavedList
        ))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

/// Page routes.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/universes", get(page))
        .route("/universes/lists", post(page_save))
}

/// The body of an expression error: a stable code, a message and where the offending
/// token is (byte offsets into `q`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExpressionErrorBody {
    /// `syntax_error`, `unknown_family`, `invalid_value`, `unknown_name` or
    /// `unknown_election`.
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// Byte offset of the offending token (expression errors only; absent for other
    /// 400s such as an unknown `by` dimension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// Byte offset just past it (equal to `offset` at the end of the input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    /// The request's id, when the server's error layer added one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A failure of a universe route: a bad expression (400 with its position) or any
/// other API error.
#[derive(Debug)]
pub enum UniverseError {
    /// The expression does not parse or refers to something unknown.
    Expression(QueryError),
    /// Anything else.
    Api(ApiError),
}

impl From<ApiError> for UniverseError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<QueryError> for UniverseError {
    fn from(e: QueryError) -> Self {
        Self::Expression(e)
    }
}

impl From<BuildError> for UniverseError {
    fn from(e: BuildError) -> Self {
        Self::Api(e.into())
    }
}

impl From<SaveListError> for UniverseError {
    fn from(e: SaveListError) -> Self {
        match e {
            SaveListError::Expression(q) => Self::Expression(q),
            SaveListError::Store(s) => Self::Api(s.into()),
        }
    }
}

impl From<StoreError> for UniverseError {
    fn from(e: StoreError) -> Self {
        Self::Api(e.into())
    }
}

impl IntoResponse for UniverseError {
    fn into_response(self) -> Response {
        match self {
            Self::Api(e) => e.into_response(),
            Self::Expression(e) => {
                let span = e.span();
                (
                    StatusCode::BAD_REQUEST,
                    Json(ExpressionErrorBody {
                        error: e.code().into(),
                        message: e.to_string(),
                        offset: Some(span.start),
                        end: Some(span.end),
                        request_id: None,
                    }),
                )
                    .into_response()
            }
        }
    }
}

/// Parameters of a count.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct CountParams {
    /// The filter expression (empty: every voter).
    pub q: Option<String>,
    /// Break down by county, party, age, precinct, gender, status, city, zip, cd, sd, hd
    /// or municipality.
    pub by: Option<String>,
    /// Keep voters who already voted (`true`); dropped by default.
    pub include_voted: Option<bool>,
}

/// One row of a breakdown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BreakdownRow {
    /// The value (county name, party code, age band…).
    pub label: String,
    /// Voters.
    pub count: u64,
}

/// A universe's count.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountReply {
    /// The expression counted.
    pub expression: String,
    /// Voters selected, after dropping those who already voted.
    pub count: u64,
    /// Voters dropped because they already voted.
    pub voted_removed: u64,
    /// Voters dropped because they are on the do-not-contact list.
    pub suppressed_removed: u64,
    /// The election whose voted voters were dropped, if ballot files are loaded.
    pub election: Option<NaiveDate>,
    /// The breakdown asked for with `by`, largest first (age bands in age order).
    pub breakdown: Vec<BreakdownRow>,
    /// Voters in the index.
    pub indexed_voters: u64,
    /// Milliseconds the count took on the server.
    pub millis: f64,
}

fn count_reply(
    built: &Built,
    expression: &str,
    by: Option<&str>,
    include_voted: bool,
) -> Result<CountReply, UniverseError> {
    let started = Instant::now();
    let dimension = match by.map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => Some(Dimension::from_str(b).map_err(|e| ApiError::BadRequest(e.to_string()))?),
        None => None,
    };
    let selection = select(built, expression, include_voted)?;
    let breakdown = match dimension {
        Some(d) => built
            .index
            .breakdown_members(&selection.members, built.index.reference_date(), d)
            .into_iter()
            .map(|(label, count)| BreakdownRow { label, count })
            .collect(),
        None => Vec::new(),
    };
    Ok(CountReply {
        expression: expression.to_string(),
        count: selection.members.len(),
        voted_removed: selection.voted_removed,
        suppressed_removed: selection.suppressed_removed,
        election: built.election,
        breakdown,
        indexed_voters: built.index.len(),
        millis: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// Counts the voters an expression selects, with an optional breakdown. A bad expression
/// is a 400 whose body gives a stable code and the offending token's byte offsets.
#[utoipa::path(get, path = "/api/v1/universes/count", params(CountParams), security(("bearer" = [])),
    responses((status = 200, body = CountReply), (status = 400, body = ExpressionErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn api_count(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<CountParams>,
) -> Result<Json<CountReply>, UniverseError> {
    caller.require(Permission::ReadVoters)?;
    let built = state.universes.current(&state.store).await?;
    Ok(Json(count_reply(
        &built,
        p.q.as_deref().unwrap_or(""),
        p.by.as_deref(),
        p.include_voted.unwrap_or(false),
    )?))
}

/// A list to save.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SaveListRequest {
    /// Unique name.
    pub name: String,
    /// The filter expression.
    pub expression: String,
    /// Keep voters who already voted (dropped by default).
    #[serde(default)]
    pub include_voted: bool,
}

async fn save(
    state: &AppState,
    caller: &Caller,
    req: &SaveListRequest,
) -> Result<SavedList, UniverseError> {
    caller.require(Permission::ReadVoters)?;
    let built = state.universes.current(&state.store).await?;
    let (saved, _) = votebase_app::lists::save_list(
        state.store.as_ref(),
        &built,
        &ListToSave {
            name: req.name.trim(),
            expression: &req.expression,
            include_voted: req.include_voted,
            created_by: &caller.user.name,
        },
    )
    .await?;
    audit(
        state,
        caller,
        "save_list",
        &format!("list {}", saved.name),
        &format!("{} voters: {}", saved.voters, saved.expression),
    )
    .await?;
    Ok(saved)
}

/// Saves a universe as a named list: its members are frozen with the expression, the
/// date, who saved it and how many voted voters were dropped.
#[utoipa::path(post, path = "/api/v1/lists", request_body = SaveListRequest, security(("bearer" = [])),
    responses((status = 201, body = SavedList), (status = 400, body = ExpressionErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn api_save_list(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<SaveListRequest>,
) -> Result<(StatusCode, Json<SavedList>), UniverseError> {
    Ok((
        StatusCode::CREATED,
        Json(save(&state, &caller, &req).await?),
    ))
}

/// Saved lists, newest first.
#[utoipa::path(get, path = "/api/v1/lists", security(("bearer" = [])),
    responses((status = 200, body = [SavedList]), (status = 403, body = crate::error::ErrorBody)))]
pub async fn api_lists(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SavedList>>, ApiError> {
    caller.require(Permission::ReadVoters)?;
    Ok(Json(state.store.lists().await?))
}

/// Export format.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// csv (default), van, spoke, nationbuilder or walk.
    pub format: Option<String>,
    /// Keep voters on the do-not-contact list (`true`); left out by default.
    pub include_suppressed: Option<bool>,
}

/// Header of a list export: voters left out for lack of a known cell number (Spoke;
/// 0 for the other formats).
pub const WITHOUT_CELL_HEADER: &str = "x-votebase-without-cell";

/// Exports a saved list as CSV in a tool's format (audited; needs the import/export
/// permission, so data managers and admins only): `csv`, `van`, `spoke` (only voters
/// with a known cell: appended cell numbers; the count left out for lack of one is in
/// the `X-Votebase-Without-Cell` header), `nationbuilder` or `walk` (one row per
/// household, by precinct, street, side and house number).
#[utoipa::path(get, path = "/api/v1/lists/{name}/export",
    params(("name" = String, Path, description = "List name"), ExportParams), security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 404, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn api_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let format = match p.format.as_deref() {
        None | Some("") => ExportFormat::Csv,
        Some(f) => ExportFormat::from_str(f).map_err(|e| ApiError::BadRequest(e.to_string()))?,
    };
    let mut body = Vec::new();
    let (list, outcome) = votebase_app::lists::export_list(
        state.store.as_ref(),
        caller.user.role,
        &name,
        format,
        p.include_suppressed.unwrap_or(false),
        &mut body,
    )
    .await
    .map_err(|e| match e {
        ListExportError::Forbidden(_) => ApiError::Forbidden,
        ListExportError::NotFound(_) => ApiError::NotFound(format!("no list named {name:?}")),
        ListExportError::Failure(f) => f.into(),
    })?;
    audit(
        &state,
        &caller,
        "export",
        &format!("list {}", list.name),
        &format!(
            "{format}, {} rows for {} voters",
            outcome.summary.rows, outcome.summary.voters
        ),
    )
    .await?;
    let file: String = list
        .name
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
                format!("attachment; filename=\"{file}-{format}.csv\""),
            ),
            (
                header::HeaderName::from_static(WITHOUT_CELL_HEADER),
                outcome.summary.without_cell.to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "universes.html")]
struct UniversesPage {
    user_name: String,
    role: String,
    csrf: String,
    expression: String,
    saved: Option<String>,
    error: Option<String>,
    initial: Option<CountReply>,
    lists: Vec<SavedList>,
    formats: Vec<&'static str>,
}

/// What the page is asked for.
#[derive(Deserialize)]
pub struct PageParams {
    /// The expression to start from.
    pub q: Option<String>,
    /// The list just saved.
    pub saved: Option<String>,
}

async fn render_page(
    state: &AppState,
    caller: &Caller,
    expression: String,
    saved: Option<String>,
    error: Option<String>,
) -> Result<Response, PageRejection> {
    let err = PageRejection::Error;
    caller.require(Permission::ReadVoters).map_err(err)?;
    let built = state
        .universes
        .current(&state.store)
        .await
        .map_err(|e| err(e.into()))?;
    let (initial, error) = match (
        &error,
        count_reply(&built, &expression, Some("county"), false),
    ) {
        (Some(_), _) => (None, error),
        (None, Ok(r)) => (Some(r), None),
        (None, Err(UniverseError::Expression(e))) => (None, Some(e.to_string())),
        (None, Err(UniverseError::Api(e))) => return Err(err(e)),
    };
    let lists = state.store.lists().await.map_err(|e| err(e.into()))?;
    let (user_name, role, csrf) = crate::pages::nav(caller);
    Ok(crate::pages::render(&UniversesPage {
        user_name,
        role,
        csrf,
        expression,
        saved,
        error,
        initial,
        lists,
        // Export links only for roles that may export personal data.
        formats: if votebase_app::lists::authorize_export(caller.user.role).is_ok() {
            ExportFormat::ALL.iter().map(|f| f.name()).collect()
        } else {
            Vec::new()
        },
    }))
}

async fn page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<PageParams>,
) -> Result<Response, PageRejection> {
    render_page(&state, &caller, p.q.unwrap_or_default(), p.saved, None).await
}

/// The save-as-list form (its `csrf` field is checked by [`crate::csrf`]).
#[derive(Deserialize)]
pub struct SaveForm {
    /// List name.
    pub name: String,
    /// The expression.
    pub q: String,
}

async fn page_save(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Form(form): Form<SaveForm>,
) -> Result<Response, PageRejection> {
    let req = SaveListRequest {
        name: form.name.clone(),
        expression: form.q.clone(),
        include_voted: false,
    };
    match save(&state, &caller, &req).await {
        Ok(saved) => {
            let url = format!(
                "/universes?q={}&saved={}",
                urlencode(&form.q),
                urlencode(&saved.name)
            );
            Ok(Redirect::to(&url).into_response())
        }
        Err(UniverseError::Expression(e)) => {
            render_page(&state, &caller, form.q, None, Some(e.to_string())).await
        }
        Err(UniverseError::Api(ApiError::BadRequest(m))) => {
            render_page(&state, &caller, form.q, None, Some(m)).await
        }
        Err(UniverseError::Api(e)) => Err(PageRejection::Error(e)),
    }
}

/// Percent-encodes a query-string value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::VoterRecord;
    use votebase_domain::voters::Party;
    use votebase_index::IndexBuilder;

    fn built() -> Built {
        let mut b = IndexBuilder::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        for (id, county, party) in [
            ("A1", "WAKE", Party::Dem),
            ("A2", "WAKE", Party::Rep),
            ("A3", "DURHAM", Party::Dem),
        ] {
            b.add_voter(&VoterRecord {
                state_voter_id: id.into(),
                county_name: county.into(),
                party,
                ..Default::default()
            })
            .unwrap();
        }
        b.add_ballot_status("A3", "accepted").unwrap();
        Built {
            index: b.build(),
            election: NaiveDate::from_ymd_opt(2026, 11, 3),
            seconds: 0.0,
            data_version: String::new(),
            suppressed: Default::default(),
        }
    }

    #[test]
    fn count_reply_breaks_down_and_locates_errors() {
        let b = built();
        let r = count_reply(&b, "", Some("county"), true).unwrap();
        assert_eq!(r.count, 3);
        assert_eq!(r.breakdown[0].label, "WAKE");
        assert_eq!(r.breakdown[0].count, 2);
        match count_reply(&b, "county:WAKE colour:red", None, false) {
            Err(UniverseError::Expression(e)) => {
                assert_eq!(e.code(), "unknown_family");
                assert_eq!(e.span().start, 12);
            }
            other => panic!("{other:?}"),
        }
        match count_reply(&b, "county:WAKE age:", None, false) {
            Err(UniverseError::Expression(e)) => assert_eq!(e.code(), "syntax_error"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urlencode_escapes_reserved_bytes() {
        assert_eq!(
            urlencode("county:WAKE age:18..29"),
            "county%3AWAKE%20age%3A18..29"
        );
    }
}
