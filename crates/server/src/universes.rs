//! Universes and saved lists over HTTP, and the glue between the store and the universe
//! index that the CLI uses too: [`build_index`] streams the organization's store into a
//! fresh [`UniverseIndex`] (voters of the latest snapshot, vote history, each voter's
//! ballot status in the latest election with ballots, and the contact families of
//! [`crate::contacts::add_contact_families`]: tags, survey answers, contacts, scores);
//! [`Universes`] keeps one in memory for the server and rebuilds it in the background
//! when the store's data version changes (checked at most every few seconds; the old
//! index answers meanwhile); [`select`] evaluates an expression and drops voters who
//! already voted; [`write_export`] streams members out in any [`ExportFormat`].
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
use chrono::{Datelike, NaiveDate, Utc};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use votebase_domain::VoterRecord;
use votebase_domain::users::Permission;
use votebase_index::{Dimension, IndexBuilder, IndexError, QueryError, UniverseIndex, parse};
use votebase_ingest::exports::{ExportFormat, ExportSummary, ExportWriter};
use votebase_store::lists::{NewList, SavedList};
use votebase_store::{Store, StoreError};

/// The index, and the election whose voted voters lists drop.
pub struct Built {
    /// The index.
    pub index: UniverseIndex,
    /// The latest election with ballot files, if any.
    pub election: Option<NaiveDate>,
    /// Seconds to build.
    pub seconds: f64,
    /// The store's data version the index was built from.
    pub data_version: String,
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store's data did not fit the index (a duplicated voter id, say).
    #[error("building the universe index: {0}")]
    Index(#[from] IndexError),
    /// Contact history, tags, answers or scores could not be added.
    #[error("building the universe index: {0}")]
    Contacts(#[from] crate::contacts::ContactFamiliesError),
}

impl From<BuildError> for ApiError {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Store(s) => s.into(),
            BuildError::Index(i) => ApiError::Internal(i.to_string()),
            BuildError::Contacts(c) => c.into(),
        }
    }
}

/// Streams the store into a fresh index.
pub async fn build_index(store: &dyn Store) -> Result<Built, BuildError> {
    let started = Instant::now();
    let data_version = store.data_version().await?;
    let today = Utc::now().date_naive();
    let mut builder =
        IndexBuilder::with_capacity(today, store.count_voters().await?.max(0) as usize);
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_voters(10_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for v in &batch {
                builder.add_voter(v)?;
            }
        }
        Ok::<_, BuildError>(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_vote_history(50_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for h in &batch {
                builder.add_history(h);
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported?;
    let election = store.ballot_elections().await?.first().copied();
    if let Some(e) = election {
        for (voter, category) in store.ballot_statuses(e).await? {
            builder.add_ballot_status(&voter, category.code())?;
        }
    }
    crate::contacts::add_contact_families(store, &mut builder, today).await?;
    Ok(Built {
        index: builder.build(),
        election,
        seconds: started.elapsed().as_secs_f64(),
        data_version,
    })
}

/// What an expression selects, once voters who already voted are dropped.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Members (index ordinals).
    pub members: RoaringBitmap,
    /// Voters the expression selected who were dropped because they already voted.
    pub voted_removed: u64,
}

/// Members of `expr_text`, without voters who already voted (an accepted ballot in the
/// latest election with ballots) unless `include_voted`.
pub fn select(
    built: &Built,
    expr_text: &str,
    include_voted: bool,
) -> Result<Selection, QueryError> {
    let mut members = built.index.members(&parse(expr_text)?)?;
    let mut voted_removed = 0;
    if !include_voted && built.election.is_some() {
        let voted = built.index.members(&parse("ballot:accepted")?)?;
        voted_removed = members.intersection_len(&voted);
        members -= voted;
    }
    Ok(Selection {
        members,
        voted_removed,
    })
}

/// The members' state voter ids, sorted.
pub fn member_ids(built: &Built, members: &RoaringBitmap) -> Vec<String> {
    let mut ids: Vec<String> = members
        .iter()
        .filter_map(|o| built.index.voter_id(o).map(str::to_string))
        .collect();
    ids.sort_unstable();
    ids
}

/// The explanation printed or shown beside a count.
pub fn voted_note(
    election: Option<NaiveDate>,
    removed: u64,
    include_voted: bool,
) -> Option<String> {
    match (election, include_voted) {
        (Some(e), false) => Some(format!(
            "{removed} voters removed: they already voted in the {e} election (add --include-voted to keep them)"
        )),
        (Some(e), true) => Some(format!(
            "voters who already voted in the {e} election are included"
        )),
        (None, _) => None,
    }
}

/// What [`write_export`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOutcome {
    /// Rows, voters, and Spoke's left-out counts.
    pub summary: ExportSummary,
    /// Members no longer in the voter file's latest snapshot, exported from their last
    /// known record.
    pub no_longer_in_file: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] votebase_ingest::exports::ExportError),
}

impl From<ExportFailure> for ApiError {
    fn from(e: ExportFailure) -> Self {
        match e {
            ExportFailure::Store(s) => s.into(),
            ExportFailure::Write(w) => ApiError::Internal(w.to_string()),
        }
    }
}

/// Writes the voters whose ids are in `members` (sorted, as [`member_ids`] and
/// [`votebase_store::ListStore::list_members`] give them) in `format`: one ordered pass
/// over the voter file plus one phone query per batch of members, never one query per
/// voter. `tag` fills NationBuilder's `tag_list`.
pub async fn write_export<W: std::io::Write>(
    store: &dyn Store,
    members: &[String],
    format: ExportFormat,
    tag: &str,
    out: W,
) -> Result<ExportOutcome, ExportFailure> {
    let year = Utc::now().year();
    let mut writer = ExportWriter::new(format, out, year, tag)?;
    let needs_phones = format != ExportFormat::Csv;
    let mut found = vec![false; members.len()];
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<VoterRecord>>(4);
    let export = store.export_voters(10_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            let selected: Vec<&VoterRecord> = batch
                .iter()
                .filter(|v| match members.binary_search(&v.state_voter_id) {
                    Ok(i) => {
                        found[i] = true;
                        true
                    }
                    Err(_) => false,
                })
                .collect();
            push_all(store, &mut writer, &selected, needs_phones).await?;
        }
        Ok::<_, ExportFailure>(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    let mut gone = Vec::new();
    for (id, _) in members.iter().zip(&found).filter(|(_, f)| !**f) {
        if let Some(v) = store.get_voter(id).await? {
            gone.push(v.record);
        }
    }
    let gone_refs: Vec<&VoterRecord> = gone.iter().collect();
    push_all(store, &mut writer, &gone_refs, needs_phones).await?;
    Ok(ExportOutcome {
        summary: writer.finish()?,
        no_longer_in_file: gone.len() as u64,
    })
}

async fn push_all<W: std::io::Write>(
    store: &dyn Store,
    writer: &mut ExportWriter<W>,
    voters: &[&VoterRecord],
    needs_phones: bool,
) -> Result<(), ExportFailure> {
    let mut cells: HashMap<String, Vec<String>> = HashMap::new();
    if needs_phones && !voters.is_empty() {
        let ids: Vec<String> = voters.iter().map(|v| v.state_voter_id.clone()).collect();
        for p in store.phones_of(&ids).await? {
            cells
                .entry(p.state_voter_id)
                .or_default()
                .push(p.phone_e164);
        }
    }
    for v in voters {
        let appended = cells
            .get(&v.state_voter_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        writer.push(v, appended)?;
    }
    Ok(())
}

/// How often the server asks the store whether its data changed.
const VERSION_CHECK_EVERY: Duration = Duration::from_secs(3);

#[derive(Default)]
struct CacheState {
    current: Option<Arc<Built>>,
    checked_at: Option<Instant>,
    rebuilding: bool,
}

/// The server's in-memory universe index: built on first use, rebuilt in the background
/// when the store's data version changes, the old index serving queries meanwhile.
#[derive(Default)]
pub struct Universes {
    state: Mutex<CacheState>,
    first_build: tokio::sync::Mutex<()>,
}

impl Universes {
    /// An empty cache (the index is built on first use).
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current index. The first call builds it (others wait for that build); later
    /// calls return at once, and at most every few seconds one of them compares the
    /// store's data version and, when it moved, starts a rebuild in the background.
    pub async fn current(self: &Arc<Self>, store: &Arc<dyn Store>) -> Result<Arc<Built>, ApiError> {
        let existing = self.lock().current.clone();
        let Some(built) = existing else {
            let _guard = self.first_build.lock().await;
            if let Some(b) = self.lock().current.clone() {
                return Ok(b);
            }
            let built = Arc::new(build_index(store.as_ref()).await?);
            let mut s = self.lock();
            s.current = Some(built.clone());
            s.checked_at = Some(Instant::now());
            return Ok(built);
        };
        let due = {
            let mut s = self.lock();
            let due = !s.rebuilding
                && s.checked_at
                    .is_none_or(|t| t.elapsed() >= VERSION_CHECK_EVERY);
            if due {
                s.checked_at = Some(Instant::now());
            }
            due
        };
        if due {
            let version = store.data_version().await?;
            if version != built.data_version {
                self.rebuild_in_background(store.clone());
            }
        }
        Ok(built)
    }

    /// Builds the first index in the background, so the first list page does not wait.
    pub fn warm_up(self: &Arc<Self>, store: Arc<dyn Store>) {
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.current(&store).await {
                tracing::error!(error = %e, "universe index build failed");
            }
        });
    }

    /// Starts a rebuild unless one is running; the new index replaces the old when done.
    pub fn rebuild_in_background(self: &Arc<Self>, store: Arc<dyn Store>) {
        {
            let mut s = self.lock();
            if s.rebuilding {
                return;
            }
            s.rebuilding = true;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let result = build_index(store.as_ref()).await;
            let mut s = me.lock();
            s.rebuilding = false;
            s.checked_at = Some(Instant::now());
            match result {
                Ok(b) => {
                    tracing::info!(
                        voters = b.index.len(),
                        seconds = b.seconds,
                        "universe index rebuilt"
                    );
                    s.current = Some(Arc::new(b));
                }
                Err(e) => tracing::error!(error = %e, "universe index rebuild failed"),
            }
        });
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
    /// Byte offset of the offending token.
    pub offset: usize,
    /// Byte offset just past it (equal to `offset` at the end of the input).
    pub end: usize,
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
                        offset: span.start,
                        end: span.end,
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
    let selection = select(&built, &req.expression, req.include_voted)?;
    let members = member_ids(&built, &selection.members);
    let saved = state
        .store
        .save_list(&NewList {
            name: req.name.trim().to_string(),
            expression: req.expression.clone(),
            created_by: caller.user.name.clone(),
            voted_election: if req.include_voted {
                None
            } else {
                built.election
            },
            voted_removed: selection.voted_removed as i64,
            members,
        })
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
}

/// Exports a saved list as CSV in a tool's format (audited): `csv`, `van`, `spoke`
/// (only voters with a valid cell, one row per cell), `nationbuilder` or `walk` (one row
/// per household, by precinct, street, side and house number).
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
    caller.require(Permission::ReadVoters)?;
    let format = match p.format.as_deref() {
        None | Some("") => ExportFormat::Csv,
        Some(f) => ExportFormat::from_str(f).map_err(|e| ApiError::BadRequest(e.to_string()))?,
    };
    let list = state
        .store
        .list(&name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no list named {name:?}")))?;
    let members = state.store.list_members(&name).await?;
    let mut body = Vec::new();
    let outcome = write_export(
        state.store.as_ref(),
        &members,
        format,
        &list.name,
        &mut body,
    )
    .await?;
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
    let built = state.universes.current(&state.store).await.map_err(err)?;
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
        formats: ExportFormat::ALL.iter().map(|f| f.name()).collect(),
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
    use votebase_domain::voters::Party;

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
        }
    }

    #[test]
    fn voted_voters_are_dropped_and_counted() {
        let b = built();
        let s = select(&b, "party:DEM", false).unwrap();
        assert_eq!((s.members.len(), s.voted_removed), (1, 1));
        assert_eq!(member_ids(&b, &s.members), ["A1"]);
        let all = select(&b, "party:DEM", true).unwrap();
        assert_eq!((all.members.len(), all.voted_removed), (2, 0));
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
