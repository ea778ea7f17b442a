//! The storage contract for contact history (door knocks, calls, texts, ad exposures),
//! survey questions and answers, tags (activist codes), support scores and their models,
//! and the idempotency keys of the contacts API.
//!
//! Events are unique on (source, source event id): a second load of the same file, or a
//! retried API call, changes nothing. A load is one transaction and all-or-nothing: when
//! any event names a voter who was never in the voter file, nothing is written and the
//! outcome lists them. [`ContactStore::export_contact_facts`] streams what the universe
//! index needs (tags, latest survey answers, contact dates, scores).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_domain::contacts::{ContactChannel, ContactEvent, SurveyQuestion};

use crate::StoreResult;

/// One contact row on its way in.
#[derive(Debug, Clone)]
pub struct StagedContact {
    /// Line in the source file (0 for API calls).
    pub line: u64,
    /// The event.
    pub event: ContactEvent,
}

/// A message of [`ContactStore::import_contacts`]: events, an abort (nothing is written),
/// or the end of the file (only [`crate::Batch::End`] commits).
pub type ContactBatch = crate::Batch<StagedContact>;

/// A row the store refused (its voter is not in the voter file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnknownContactVoter {
    /// Line in the source file.
    pub line: u64,
    /// The voter id the row carried.
    pub state_voter_id: String,
}

/// What a contact load did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactImportOutcome {
    /// Events new to the store.
    pub inserted: i64,
    /// Events already stored under the same source and source event id (left as they were).
    pub unchanged: i64,
    /// Survey answers written with the new events.
    pub answers: i64,
    /// Tags newly applied to voters.
    pub new_tags: i64,
    /// Rows whose voter is not in the voter file. When not empty, nothing was written.
    pub unknown_voters: Vec<UnknownContactVoter>,
}

/// A tag (activist code) on a voter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoterTag {
    /// The tag key.
    pub tag: String,
    /// When it was first applied (the contact's time).
    pub applied_at: chrono::NaiveDateTime,
    /// Source of the event that applied it.
    pub source: String,
}

/// A voter's score under one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoterScore {
    /// Score name (`support`).
    pub name: String,
    /// 0–100.
    pub value: i64,
}

/// A trained scoring model as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredModel {
    /// Score name.
    pub name: String,
    /// The model, serialised by the score crate (JSON).
    pub model_json: String,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
}

/// One fact the universe index needs, as streamed by
/// [`ContactStore::export_contact_facts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactFact {
    /// A tag on a voter: `tag:KEY`.
    Tag {
        /// Voter.
        voter: String,
        /// Tag key.
        tag: String,
    },
    /// The latest answer of a voter to a question: `survey:KEY=N`.
    Answer {
        /// Voter.
        voter: String,
        /// Question key.
        question: String,
        /// Numeric value.
        value: i64,
    },
    /// A contact attempt: `contacted:CHANNEL:30d` (and `reached:CHANNEL:30d` when reached).
    Contact {
        /// Voter.
        voter: String,
        /// Channel.
        channel: ContactChannel,
        /// Day of the attempt.
        date: NaiveDate,
        /// Whether a conversation took place.
        reached: bool,
    },
    /// A score: `NAME>=70`.
    Score {
        /// Voter.
        voter: String,
        /// Score name.
        name: String,
        /// 0–100.
        value: i64,
    },
}

/// The stored answer to a request made with an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// SHA-256 (hex) of the request body that produced it.
    pub request_sha256: String,
    /// HTTP status sent.
    pub status: u16,
    /// Body sent (JSON).
    pub body: String,
}

/// Storage of contact history, survey questions and answers, tags and scores. Part of
/// [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// The organization's survey questions, by key (the built-in `support` included).
    async fn survey_questions(&self) -> StoreResult<Vec<SurveyQuestion>>;

    /// Defines a survey question, or replaces the text and kind of an existing one.
    async fn put_survey_question(&self, question: &SurveyQuestion) -> StoreResult<()>;

    /// Loads contact events in one transaction: new (source, source event id) pairs are
    /// inserted with their answers and tags, known ones are left unchanged. Any row whose
    /// voter is not in the voter file makes the whole load write nothing (see
    /// [`ContactImportOutcome::unknown_voters`]); an `Err` batch aborts it.
    async fn import_contacts(
        &self,
        rows: Receiver<ContactBatch>,
    ) -> StoreResult<ContactImportOutcome>;

    /// One stored event by its source and source event id.
    async fn contact_event(
        &self,
        source: &str,
        source_event_id: &str,
    ) -> StoreResult<Option<ContactEvent>>;

    /// Every contact event of one voter (answers and tags included), newest first.
    async fn voter_contacts(&self, state_voter_id: &str) -> StoreResult<Vec<ContactEvent>>;

    /// Tags of one voter, by tag.
    async fn voter_tags(&self, state_voter_id: &str) -> StoreResult<Vec<VoterTag>>;

    /// Scores of one voter, by name.
    async fn voter_scores(&self, state_voter_id: &str) -> StoreResult<Vec<VoterScore>>;

    /// Each voter's latest answer to a question, as (voter, value), ordered by voter.
    async fn latest_answers(&self, question: &str) -> StoreResult<Vec<(String, i64)>>;

    /// Replaces every score under `name` with `scores` (voter, 0–100) and stores the
    /// model that produced them, in one transaction.
    async fn replace_scores(
        &self,
        name: &str,
        model_json: &str,
        scores: &[(String, i64)],
    ) -> StoreResult<()>;

    /// Stores a trained model under its score name (replacing the previous one).
    async fn put_score_model(&self, name: &str, model_json: &str) -> StoreResult<()>;

    /// The stored model of a score name.
    async fn score_model(&self, name: &str) -> StoreResult<Option<StoredModel>>;

    /// Streams tags, latest survey answers, contact attempts and scores in batches (any
    /// order); stops early when the receiver is dropped.
    async fn export_contact_facts(
        &self,
        batch_size: usize,
        out: Sender<Vec<ContactFact>>,
    ) -> StoreResult<()>;

    /// The stored answer to an earlier request with this idempotency key by this user.
    async fn idempotent_response(
        &self,
        user: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>>;

    /// Stores the answer to a request with an idempotency key; when another request
    /// stored one first, keeps that one and returns it.
    async fn put_idempotent_response(
        &self,
        user: &str,
        key: &str,
        response: &IdempotentResponse,
    ) -> StoreResult<IdempotentResponse>;
}
