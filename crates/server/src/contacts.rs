//! Contact history in the server: `POST /api/v1/contacts` records a door knock, call,
//! text or ad exposure with survey answers and tags (an `Idempotency-Key` header makes a
//! retry return the same stored answer; the same key with another body is a 422 with
//! code `idempotency_key_reused`), `GET /api/v1/voters/{id}/timeline` returns one
//! timeline of everything known about a voter (voter-file snapshots and changes, vote
//! history, ballots, contacts, survey answers, tags), and [`add_contact_families`] feeds
//! tags, latest survey answers, contact attempts and scores into the universe index.
//! The voter page's "Record a contact" form posts to `POST /voters/{id}/contacts`, which
//! records through the API's code path with a server-generated form token as the source
//! event id (source `web`), so a double-submitted form records once.

use crate::AppState;
use crate::api::audit;
use crate::auth::{Caller, PageRejection, PageUser};
use crate::error::{ApiError, ErrorBody};
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use votebase_domain::contacts::{
    ContactChannel, ContactEvent, ContactResult, SurveyQuestion, normalise_tag,
};
use votebase_domain::users::Permission;
use votebase_index::{FamilyKind, IndexBuilder, IndexError};
use votebase_store::contacts::{ContactFact, IdempotentResponse, StagedContact, VoterScore};
use votebase_store::{Store, StoreError};

/// UI routes: the voter page's "Record a contact" form posts here.
pub fn page_routes() -> Router<AppState> {
    Router::new().route("/voters/{id}/contacts", post(record_contact_form))
}

/// API routes (under `/api/v1`).
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/contacts", post(api_record_contact))
        .route("/voters/{id}/timeline", get(api_timeline))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(
        paths(api_record_contact, api_timeline),
        components(schemas(ContactRequest, ContactReply, Timeline, TimelineEntry, TimelineKind))
    )]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

/// Code of the 422 answered when an idempotency key comes back with another body.
pub const KEY_REUSED: &str = "idempotency_key_reused";

/// What [`add_contact_families`] fed into the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactFamilyStats {
    /// Tags indexed (`tag:KEY`).
    pub tags: u64,
    /// Latest survey answers indexed (`survey:KEY=N`).
    pub answers: u64,
    /// Contact attempts indexed (`contacted:CHANNEL:30d`, `reached:CHANNEL:30d`).
    pub contacts: u64,
    /// Scores indexed (`NAME>=70`).
    pub scores: u64,
    /// Facts about voters not in the latest snapshot (skipped).
    pub unknown_voters: u64,
    /// Contact attempts dated after `today` (skipped: a clock or import error).
    pub future_contacts: u64,
}

/// Why the contact families could not be added.
#[derive(Debug, thiserror::Error)]
pub enum ContactFamiliesError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index refused a value (a score outside 0..=100, a family of another kind).
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl From<ContactFamiliesError> for ApiError {
    fn from(e: ContactFamiliesError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Feeds tags (`tag:KEY`), each voter's latest survey answers (`survey:KEY=N`), contact
/// attempts by channel and day (`contacted:door:30d`; `reached:door:30d` for the ones
/// where a conversation took place; `any` for every channel) and scores (`support>=70`)
/// into `builder`, whose voters must already be added. Facts about voters the builder
/// does not hold (removed from the voter file) and contacts dated after `today` are
/// skipped and counted.
pub async fn add_contact_families(
    store: &dyn Store,
    builder: &mut IndexBuilder,
    today: NaiveDate,
) -> Result<ContactFamilyStats, ContactFamiliesError> {
    builder.register_family("reached", FamilyKind::Dated)?;
    let mut stats = ContactFamilyStats::default();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ContactFact>>(4);
    let export = store.export_contact_facts(20_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for fact in &batch {
                let fed = match fact {
                    ContactFact::Tag { voter, tag } => {
                        stats.tags += 1;
                        builder.add_tag(voter, tag)
                    }
                    ContactFact::Answer {
                        voter,
                        question,
                        value,
                    } => {
                        stats.answers += 1;
                        builder.add_survey_answer(voter, question, *value)
                    }
                    ContactFact::Contact {
                        voter,
                        channel,
                        date,
                        reached,
                    } => {
                        if *date > today {
                            stats.future_contacts += 1;
                            continue;
                        }
                        stats.contacts += 1;
                        let r = builder.add_contact(voter, channel.code(), *date);
                        if r.is_ok() && *reached {
                            builder.add_dated("reached", voter, channel.code(), *date)
                        } else {
                            r
                        }
                    }
                    ContactFact::Score { voter, name, value } => {
                        stats.scores += 1;
                        builder.add_score(voter, name, *value)
                    }
                };
                match fed {
                    Ok(()) => {}
                    Err(IndexError::UnknownVoter { .. }) => stats.unknown_voters += 1,
                    Err(e) => return Err(ContactFamiliesError::Index(e)),
                }
            }
        }
        Ok(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    // Counted facts include the skipped ones; keep the per-kind counts as "indexed".
    Ok(stats)
}

/// A contact attempt to record.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// The voter.
    pub state_voter_id: String,
    /// `door`, `phone`, `text` or `ad`.
    pub channel: ContactChannel,
    /// What came of it (`reached`, `not_home`, `refused`, `moved`, `wrong_number`…).
    pub result: ContactResult,
    /// When (local time); default: now.
    #[schema(value_type = Option<String>, example = "2026-10-01T17:30:00")]
    pub contacted_at: Option<NaiveDateTime>,
    /// Who made the contact; default: the caller's user name.
    pub canvasser: Option<String>,
    /// Survey answers by question key, as given (`{"support": "2"}`).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Tags (activist codes) to apply.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The system the event comes from; default `api`.
    pub source: Option<String>,
    /// Its id in that system; default: the `Idempotency-Key`, else a new random id.
    pub source_event_id: Option<String>,
}

/// The recorded contact.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContactReply {
    /// False when the same source event was already stored (it is returned as stored).
    pub created: bool,
    /// The stored event.
    pub event: ContactEvent,
}

fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// Checks a request against the organization's questions and makes the event.
fn event_of(
    req: ContactRequest,
    caller: &Caller,
    questions: &[SurveyQuestion],
    idempotency_key: Option<&str>,
) -> Result<ContactEvent, ApiError> {
    let state_voter_id = req.state_voter_id.trim().to_string();
    if state_voter_id.is_empty() {
        return Err(ApiError::BadRequest("state_voter_id is empty".into()));
    }
    let mut answers = Vec::new();
    for (key, raw) in &req.answers {
        let q = questions.iter().find(|q| &q.key == key).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "unknown survey question {key:?}; known: {}",
                questions
                    .iter()
                    .map(|q| q.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        answers.push(q.answer(raw).map_err(ApiError::BadRequest)?);
    }
    let mut tags: Vec<String> = req
        .tags
        .iter()
        .map(|t| normalise_tag(t))
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    let source = req.source.map(|s| s.trim().to_string()).unwrap_or_default();
    let source_event_id = req
        .source_event_id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| idempotency_key.map(str::to_string))
        .unwrap_or_else(random_id);
    Ok(ContactEvent {
        source: if source.is_empty() {
            "api".into()
        } else {
            source
        },
        source_event_id,
        state_voter_id,
        channel: req.channel,
        contacted_at: req
            .contacted_at
            .unwrap_or_else(|| Utc::now().naive_utc().with_nanosecond_zero()),
        canvasser: req
            .canvasser
            .map(|c| c.trim().to_string())
            .unwrap_or_else(|| caller.user.name.clone()),
        result: req.result,
        answers,
        tags,
    })
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl NoNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// Records one contact from a JSON body and returns (status, reply).
async fn record(
    state: &AppState,
    caller: &Caller,
    body: &[u8],
    idempotency_key: Option<&str>,
) -> Result<(StatusCode, ContactReply), ApiError> {
    let req: ContactRequest = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("request body: {e}")))?;
    record_request(state, caller, req, idempotency_key).await
}

/// Records one contact (the API's and the web form's one code path: checks, store,
/// audit `contact.record`, index rebuild) and returns (status, reply).
async fn record_request(
    state: &AppState,
    caller: &Caller,
    req: ContactRequest,
    idempotency_key: Option<&str>,
) -> Result<(StatusCode, ContactReply), ApiError> {
    let questions = state.store.survey_questions().await?;
    let event = event_of(req, caller, &questions, idempotency_key)?;
    if state
        .store
        .get_voter(&event.state_voter_id)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "no voter with id {}",
            event.state_voter_id
        )));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(Ok(vec![StagedContact {
        line: 0,
        event: event.clone(),
    }]))
    .await
    .map_err(|_| ApiError::Internal("contact channel closed".into()))?;
    drop(tx);
    let outcome = state.store.import_contacts(rx).await?;
    if !outcome.unknown_voters.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no voter with id {}",
            event.state_voter_id
        )));
    }
    let stored = state
        .store
        .contact_event(&event.source, &event.source_event_id)
        .await?
        .ok_or_else(|| ApiError::Internal("recorded contact not found".into()))?;
    let created = outcome.inserted == 1;
    audit(
        state,
        caller,
        "contact.record",
        &stored.state_voter_id,
        &format!(
            "{} {} ({} {}){}",
            stored.channel.code(),
            stored.result.code(),
            stored.source,
            stored.source_event_id,
            if created { "" } else { ", already recorded" }
        ),
    )
    .await?;
    if created {
        state.universes.rebuild_in_background(state.store.clone());
    }
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        ContactReply {
            created,
            event: stored,
        },
    ))
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// Records a contact attempt (door, phone, text, ad) with survey answers and tags.
/// With an `Idempotency-Key` header, a retry of the same body returns the stored answer
/// (same status and body) and the same key with another body is a 422
/// (`idempotency_key_reused`). Events are also unique on (source, source_event_id).
#[utoipa::path(post, path = "/api/v1/contacts", request_body = ContactRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body return the first answer")),
    security(("bearer" = [])),
    responses((status = 201, body = ContactReply, description = "Recorded"),
        (status = 200, body = ContactReply, description = "Already recorded under this source event id"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Idempotency key reused with another body")))]
pub async fn api_record_contact(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    crate::csrf::JsonBytes(body): crate::csrf::JsonBytes,
) -> Result<Response, ApiError> {
    caller.require(Permission::RecordContacts)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| ApiError::BadRequest("Idempotency-Key must be ASCII".into()))?
                .trim()
                .to_string();
            if k.is_empty() || k.len() > 200 {
                return Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 200 characters".into(),
                ));
            }
            Some(k)
        }
    };
    let Some(key) = key else {
        let (status, reply) = record(&state, &caller, &body, None).await?;
        return Ok((status, Json(reply)).into_response());
    };
    let sha = hex::encode(Sha256::digest(&body));
    let user = caller.user.name.clone();
    if let Some(prior) = state.store.idempotent_response(&user, &key).await? {
        return Ok(replay(prior, &sha));
    }
    let (status, reply) = record(&state, &caller, &body, Some(&key)).await?;
    let text = serde_json::to_string(&reply).map_err(|e| ApiError::Internal(e.to_string()))?;
    let kept = state
        .store
        .put_idempotent_response(
            &user,
            &key,
            &IdempotentResponse {
                request_sha256: sha.clone(),
                status: status.as_u16(),
                body: text,
            },
        )
        .await?;
    Ok(replay(kept, &sha))
}

/// The stored answer to a key, or the 422 when the body differs.
fn replay(prior: IdempotentResponse, sha: &str) -> Response {
    if prior.request_sha256 != sha {
        let body = ErrorBody {
            error: KEY_REUSED.into(),
            message: "this Idempotency-Key was already used with another request body; use a new key for a new request".into(),
            request_id: None,
        };
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
    }
    json_response(
        StatusCode::from_u16(prior.status).unwrap_or(StatusCode::OK),
        prior.body,
    )
}

/// What a timeline entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// A voter-file snapshot added, removed, changed or relinked the record.
    VoterFile,
    /// Voted in an election.
    Vote,
    /// An absentee or early-vote ballot event.
    Ballot,
    /// A contact attempt.
    Contact,
    /// A survey answer.
    Survey,
    /// A tag (activist code) first applied.
    Tag,
}

impl TimelineKind {
    /// Label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::VoterFile => "Voter file",
            Self::Vote => "Vote history",
            Self::Ballot => "Ballot",
            Self::Contact => "Contact",
            Self::Survey => "Survey answer",
            Self::Tag => "Tag",
        }
    }

    /// Stable code (CSS class, JSON).
    pub fn code(self) -> &'static str {
        match self {
            Self::VoterFile => "voter_file",
            Self::Vote => "vote",
            Self::Ballot => "ballot",
            Self::Contact => "contact",
            Self::Survey => "survey",
            Self::Tag => "tag",
        }
    }
}

/// One entry of a voter's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// When (midnight for events known by day only).
    #[schema(value_type = String, example = "2026-10-01T17:30:00")]
    pub at: NaiveDateTime,
    /// True when only the day is known.
    pub day_only: bool,
    /// What it is about.
    pub kind: TimelineKind,
    /// One line.
    pub summary: String,
    /// More (who, source, values); may be empty.
    pub detail: String,
}

impl TimelineEntry {
    /// The time as shown: the day, plus hour and minute when known.
    pub fn when(&self) -> String {
        if self.day_only {
            self.at.format("%Y-%m-%d").to_string()
        } else {
            self.at.format("%Y-%m-%d %H:%M").to_string()
        }
    }
}

/// A voter's timeline with their current tags and scores.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Timeline {
    /// The voter.
    pub state_voter_id: String,
    /// Tags now on the voter.
    pub tags: Vec<String>,
    /// Scores now on the voter.
    pub scores: Vec<VoterScore>,
    /// Everything, newest first.
    pub entries: Vec<TimelineEntry>,
}

fn day(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// Builds one voter's timeline from the store (not audited: callers audit the read).
pub async fn voter_timeline(store: &dyn Store, id: &str) -> Result<Timeline, StoreError> {
    let mut entries = Vec::new();
    let changes = store.voter_changes(id).await?;
    if let Some(v) = store.get_voter(id).await?
        && !changes
            .iter()
            .any(|c| c.snapshot_id == v.first_snapshot && c.kind.code() == "added")
        && let Some(first) = store
            .list_snapshots()
            .await?
            .into_iter()
            .find(|s| s.id == v.first_snapshot)
    {
        entries.push(TimelineEntry {
            at: day(first.as_of),
            day_only: true,
            kind: TimelineKind::VoterFile,
            summary: format!("In the voter file (first seen in snapshot {})", first.id),
            detail: format!("{} as of {}", first.source_file, first.as_of),
        });
    }
    for c in changes {
        let summary = match c.kind.code() {
            "added" => format!("Added to the voter file (snapshot {})", c.snapshot_id),
            "removed" => format!("Removed from the voter file (snapshot {})", c.snapshot_id),
            "changed" => format!(
                "{}: {} → {}",
                c.field.replace('_', " "),
                if c.old_value.is_empty() {
                    "(blank)"
                } else {
                    &c.old_value
                },
                if c.new_value.is_empty() {
                    "(blank)"
                } else {
                    &c.new_value
                }
            ),
            other => format!("{other}: {} → {}", c.old_value, c.new_value),
        };
        entries.push(TimelineEntry {
            at: day(c.as_of),
            day_only: true,
            kind: TimelineKind::VoterFile,
            summary,
            detail: format!("snapshot {} as of {}", c.snapshot_id, c.as_of),
        });
    }
    for h in store.voter_history(id).await? {
        entries.push(TimelineEntry {
            at: day(h.election_date),
            day_only: true,
            kind: TimelineKind::Vote,
            summary: format!(
                "Voted in {} ({})",
                if h.election_desc.is_empty() {
                    h.election_date.to_string()
                } else {
                    h.election_desc.clone()
                },
                if h.voting_method.is_empty() {
                    "method unknown"
                } else {
                    &h.voting_method
                }
            ),
            detail: [
                h.voted_party.as_str(),
                h.county_name.as_str(),
                h.precinct.as_str(),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" · "),
        });
    }
    for b in store.voter_ballots(id).await? {
        let when = b
            .return_date
            .or(b.send_date)
            .or(b.request_date)
            .unwrap_or(b.election_date);
        entries.push(TimelineEntry {
            at: day(when),
            day_only: true,
            kind: TimelineKind::Ballot,
            summary: format!(
                "{} ballot for {}: {}",
                b.method.code().replace('_', " "),
                b.election_date,
                b.category.code().replace('_', " ")
            ),
            detail: [
                b.return_status.clone(),
                b.site_name.clone(),
                b.request_date
                    .map(|d| format!("requested {d}"))
                    .unwrap_or_default(),
                b.send_date.map(|d| format!("sent {d}")).unwrap_or_default(),
                b.return_date
                    .map(|d| format!("returned {d}"))
                    .unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        });
    }
    for e in store.voter_contacts(id).await? {
        let mut detail = vec![format!("{} {}", e.source, e.source_event_id)];
        if !e.canvasser.is_empty() {
            detail.insert(0, format!("by {}", e.canvasser));
        }
        if !e.tags.is_empty() {
            detail.push(format!("tags: {}", e.tags.join(", ")));
        }
        entries.push(TimelineEntry {
            at: e.contacted_at,
            day_only: false,
            kind: TimelineKind::Contact,
            summary: format!("{}: {}", e.channel.code(), e.result.label()),
            detail: detail.join(" · "),
        });
        for a in &e.answers {
            entries.push(TimelineEntry {
                at: e.contacted_at,
                day_only: false,
                kind: TimelineKind::Survey,
                summary: format!("{}: {}", a.question, a.answer),
                detail: format!("{} contact, value {}", e.channel.code(), a.value),
            });
        }
    }
    let tags = store.voter_tags(id).await?;
    for t in &tags {
        entries.push(TimelineEntry {
            at: t.applied_at,
            day_only: false,
            kind: TimelineKind::Tag,
            summary: format!("Tagged {}", t.tag),
            detail: format!("from {}", t.source),
        });
    }
    // Newest first; on the same instant, the order above (stable sort).
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(Timeline {
        state_voter_id: id.to_string(),
        tags: tags.into_iter().map(|t| t.tag).collect(),
        scores: store.voter_scores(id).await?,
        entries,
    })
}

/// Loads a voter's timeline for a caller, checking the role and auditing the read.
pub async fn load_timeline(
    state: &AppState,
    caller: &Caller,
    id: &str,
    channel: &str,
) -> Result<Timeline, ApiError> {
    caller.require(Permission::ReadVoters)?;
    if state.store.get_voter(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no voter with id {id}")));
    }
    let timeline = voter_timeline(state.store.as_ref(), id).await?;
    audit(state, caller, "voter.timeline", id, channel).await?;
    Ok(timeline)
}

/// One timeline of everything known about a voter, newest first (audited).
#[utoipa::path(get, path = "/api/v1/voters/{id}/timeline",
    params(("id" = String, Path, description = "State voter id")),
    security(("bearer" = [])),
    responses((status = 200, body = Timeline), (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn api_timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, ApiError> {
    Ok(Json(load_timeline(&state, &caller, &id, "api").await?))
}

/// Source of contacts recorded through the web form.
pub const WEB_FORM_SOURCE: &str = "web";

/// One option of a select box on the contact form.
#[derive(Debug, Clone)]
pub struct FormOption {
    /// Submitted value.
    pub value: String,
    /// Shown text.
    pub label: String,
    /// Preselected.
    pub selected: bool,
}

/// The "Record a contact" form as shown on the voter page (fresh, or re-shown with an
/// error and the values given).
#[derive(Debug, Clone)]
pub struct ContactFormView {
    /// Server-generated token: the recorded event's source event id.
    pub token: String,
    /// What went wrong with the last submission.
    pub error: Option<String>,
    /// Channels (door, phone, text).
    pub channels: Vec<FormOption>,
    /// Result codes.
    pub results: Vec<FormOption>,
    /// Support answers ("" for none, then 1–5).
    pub supports: Vec<FormOption>,
    /// Tags as typed.
    pub tags: String,
}

impl ContactFormView {
    /// A blank form with a new token.
    pub fn fresh() -> Self {
        Self::with_values(random_id(), None, &ContactForm::default())
    }

    fn with_values(token: String, error: Option<String>, form: &ContactForm) -> Self {
        let channels = [
            ContactChannel::Door,
            ContactChannel::Phone,
            ContactChannel::Text,
        ]
        .into_iter()
        .map(|c| FormOption {
            value: c.code().into(),
            label: c.code().into(),
            selected: c.code() == form.channel,
        })
        .collect();
        let results = ContactResult::ALL
            .into_iter()
            .map(|r| FormOption {
                value: r.code().into(),
                label: r.label().into(),
                selected: r.code() == form.result,
            })
            .collect();
        let supports = std::iter::once(("", "no answer".to_string()))
            .chain(
                [
                    ("1", "strong support"),
                    ("2", "weak support"),
                    ("3", "undecided"),
                    ("4", "weak oppose"),
                    ("5", "strong oppose"),
                ]
                .map(|(v, meaning)| (v, format!("{v} {meaning}"))),
            )
            .map(|(v, label)| FormOption {
                value: v.into(),
                label,
                selected: v == form.support.trim(),
            })
            .collect();
        Self {
            token,
            error,
            channels,
            results,
            supports,
            tags: form.tags.clone(),
        }
    }
}

/// What the contact form submits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    form_token: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    support: String,
    #[serde(default)]
    tags: String,
}

/// A form token as [`ContactFormView::fresh`] makes them: 32 hex digits.
fn valid_form_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Turns the form into an API request (channel and result checked here, the rest by the
/// shared code path).
fn form_request(id: &str, form: &ContactForm) -> Result<ContactRequest, ApiError> {
    let token = form.form_token.trim();
    if !valid_form_token(token) {
        return Err(ApiError::BadRequest(
            "the form token is missing or malformed: reload the voter page and try again".into(),
        ));
    }
    let channel = ContactChannel::parse(&form.channel)
        .filter(|c| *c != ContactChannel::Ad)
        .ok_or_else(|| ApiError::BadRequest("choose a channel: door, phone or text".into()))?;
    let result = ContactResult::from_code(form.result.trim())
        .ok_or_else(|| ApiError::BadRequest("choose a result".into()))?;
    let mut answers = BTreeMap::new();
    if !form.support.trim().is_empty() {
        answers.insert(
            votebase_domain::contacts::SUPPORT_QUESTION.to_string(),
            form.support.trim().to_string(),
        );
    }
    Ok(ContactRequest {
        state_voter_id: id.to_string(),
        channel,
        result,
        contacted_at: None,
        canvasser: None,
        answers,
        tags: form.tags.split(',').map(str::to_string).collect(),
        source: Some(WEB_FORM_SOURCE.into()),
        source_event_id: Some(format!("form-{token}")),
    })
}

/// `POST /voters/{id}/contacts`: records the voter page's form (CSRF-checked by
/// [`crate::csrf`], role
/// `RecordContacts`) and redirects back to the voter page; bad input re-renders the page
/// with the message and the values given.
async fn record_contact_form(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::RecordContacts)
        .map_err(PageRejection::Error)?;
    let recorded = match form_request(&id, &form) {
        Ok(req) => record_request(&state, &caller, req, None).await,
        Err(e) => Err(e),
    };
    match recorded {
        Ok(_) => {
            Ok(Redirect::to(&format!("/voters/{}#timeline", encode_segment(&id))).into_response())
        }
        Err(e @ (ApiError::BadRequest(_) | ApiError::NotFound(_))) => {
            let status = e.status();
            let token = if valid_form_token(form.form_token.trim()) {
                form.form_token.trim().to_string()
            } else {
                random_id()
            };
            let view = ContactFormView::with_values(token, Some(e.to_string()), &form);
            let page = crate::pages::voter_page_with(&state, &caller, &id, Some(view)).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(PageRejection::Error(e)),
    }
}

/// Percent-encodes a path segment.
fn encode_segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
