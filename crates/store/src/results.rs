//! The storage contract for election-night results: elections (one JSON definition each),
//! per-precinct chair codes and the chair sessions they open, the append-only submission
//! log (no row is ever updated or deleted; both backends enforce it with triggers), the
//! projection of that log (one row per precinct and contest, always equal to the
//! caller's [`ResultRules::project`] over the log; rebuildable), and the photos of
//! signed worksheets. The rules (validation, projection) are not the store's: the caller
//! hands them in with every submission and rebuild, and the store applies them inside
//! its transaction. The helpers here ([`prepare_submission`]) are the part both backends
//! share, so a receipt means the same on SQLite and PostgreSQL.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use votebase_domain::results::{
    Election, LogEntry, NewSubmission, PrecinctResult, Receipt, ResultRules, receipt_id,
};

use crate::{StoreError, StoreResult};

/// An election in the list of elections.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionSummary {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Election day.
    pub date: NaiveDate,
    /// Precincts in the roster.
    pub precincts: i64,
    /// Submissions in the log.
    pub submissions: i64,
}

/// A chair's readiness: whether the code was issued and used before election night.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChairReadiness {
    /// Precinct id.
    pub precinct: String,
    /// When the current code was issued.
    pub code_issued_at: Option<DateTime<Utc>>,
    /// First sign-in with it.
    pub first_sign_in: Option<DateTime<Utc>>,
    /// Latest sign-in.
    pub last_sign_in: Option<DateTime<Utc>>,
    /// Sign-ins so far.
    pub sign_ins: i64,
}

/// Whom a chair session token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChairSession {
    /// Election slug.
    pub election: String,
    /// Precinct id.
    pub precinct: String,
}

/// What [`ResultsStore::submit_result`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOutcome {
    /// The receipt (the stored one when `replayed`).
    pub receipt: Receipt,
    /// True when this client id was already in the log: nothing was written.
    pub replayed: bool,
}

/// A photo of a signed worksheet on its way in.
#[derive(Debug, Clone)]
pub struct NewWorksheet {
    /// Election slug.
    pub election: String,
    /// Precinct id.
    pub precinct: String,
    /// Client-generated id (a retry stores nothing new).
    pub client_id: String,
    /// `image/jpeg`, `image/png`, …
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// SHA-256 of the bytes, hex (computed by the caller).
    pub sha256: String,
    /// Who.
    pub actor: String,
    /// When.
    pub received_at: DateTime<Utc>,
}

/// A stored worksheet photo (without its bytes).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worksheet {
    /// Id.
    pub id: i64,
    /// Election slug.
    pub election: String,
    /// Precinct id.
    pub precinct: String,
    /// Client id.
    pub client_id: String,
    /// Media type.
    pub content_type: String,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Size.
    pub byte_len: i64,
    /// Who.
    pub actor: String,
    /// When.
    pub received_at: DateTime<Utc>,
}

/// Storage of election-night results: elections, contests, precincts, chair credentials, and the append-only submission log with its projection. Part of [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait ResultsStore: Send + Sync {
    /// Creates or replaces an election definition. Refused once the election has
    /// submissions, unless the definition is unchanged (then nothing happens). Codes of
    /// precincts no longer in the roster are dropped.
    async fn put_election(&self, election: &Election) -> StoreResult<()>;

    /// One election's definition.
    async fn election(&self, slug: &str) -> StoreResult<Option<Election>>;

    /// Every election, newest first.
    async fn elections(&self) -> StoreResult<Vec<ElectionSummary>>;

    /// Stores chair codes (precinct id, SHA-256 of the code), replacing the precincts'
    /// earlier codes and ending their chair sessions.
    async fn set_chair_codes(
        &self,
        election: &str,
        codes: &[(String, String)],
        issued_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Signs a chair in with the SHA-256 of their code: records the sign-in, stores the
    /// session token's SHA-256, and returns the precinct (None for an unknown code).
    async fn chair_sign_in(
        &self,
        election: &str,
        code_sha256: &str,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>>;

    /// The chair a session token belongs to.
    async fn chair_for_token(&self, token_sha256: &str) -> StoreResult<Option<ChairSession>>;

    /// Readiness of every precinct with a code, by precinct id.
    async fn chair_readiness(&self, election: &str) -> StoreResult<Vec<ChairReadiness>>;

    /// Appends a submission to the log and updates the projection of its precinct's
    /// contest, in one transaction: the entry is judged with `rules.check` and the
    /// projection recomputed with `rules.project`. The caller checked names with
    /// [`check_names`](votebase_domain::results::check_names). A client id already in
    /// the election's log returns the stored receipt (`replayed`) when the request is
    /// the same, and is refused when it differs.
    async fn submit_result(
        &self,
        rules: Arc<dyn ResultRules>,
        submission: NewSubmission,
    ) -> StoreResult<SubmitOutcome>;

    /// The log of an election (one precinct, or all), oldest first.
    async fn result_log(
        &self,
        election: &str,
        precinct: Option<&str>,
    ) -> StoreResult<Vec<LogEntry>>;

    /// The projection: every precinct and contest with at least one submission.
    async fn precinct_results(&self, election: &str) -> StoreResult<Vec<PrecinctResult>>;

    /// Throws the projection away and recomputes it from the log with `rules.project`;
    /// returns the rows written.
    async fn rebuild_results(
        &self,
        rules: Arc<dyn ResultRules>,
        election: &str,
    ) -> StoreResult<usize>;

    /// Stores a worksheet photo (a known client id returns the stored one, `true`).
    async fn add_worksheet(&self, worksheet: NewWorksheet) -> StoreResult<(Worksheet, bool)>;

    /// Worksheet photos of an election (one precinct, or all), oldest first.
    async fn worksheets(
        &self,
        election: &str,
        precinct: Option<&str>,
    ) -> StoreResult<Vec<Worksheet>>;

    /// One photo with its bytes.
    async fn worksheet_bytes(
        &self,
        election: &str,
        id: i64,
    ) -> StoreResult<Option<(Worksheet, Vec<u8>)>>;
}

/// The fingerprint of a request: equal requests, equal hash (a retry); a client id
/// reused with another request is refused.
pub fn request_hash(submission: &NewSubmission) -> String {
    let json = serde_json::to_vec(&submission.request).unwrap_or_default();
    format!(
        "{:016x}{}",
        xxhash_rust::xxh3::xxh3_64(&json),
        submission.channel.code()
    )
}

/// The receipt of a new log entry at `seq`, `version` within its channel: validation by
/// the election's rules (`rules.check`) included.
pub fn prepare_submission(
    rules: &dyn ResultRules,
    election: &Election,
    submission: &NewSubmission,
    seq: i64,
    version: u32,
) -> Receipt {
    let r = &submission.request;
    Receipt {
        receipt_id: receipt_id(seq, &r.client_id),
        client_id: r.client_id.clone(),
        seq,
        election: r.election.clone(),
        precinct: r.precinct.clone(),
        contest: r.contest.clone(),
        channel: submission.channel,
        version,
        received_at: submission.received_at,
        check: rules.check(election, &r.precinct, &r.contest, &r.result),
    }
}

/// The refusal for a client id reused with another request.
pub fn reused_client_id(client_id: &str) -> StoreError {
    StoreError::Refused(format!(
        "client_id {client_id:?} was already used for a different result: generate a new id for every new entry or correction"
    ))
}

/// JSON decoding of stored documents, as a store error.
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// JSON encoding for storage.
pub fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(format!("encode: {e}")))
}
