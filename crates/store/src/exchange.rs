//! The storage contract of exchange agreements and the do-not-contact list: the
//! organization's suppression list (entries unique on source and source key; removal
//! keeps the row), its copy of each agreement it is a side of, the append-only outbox of
//! what it publishes, and the cursors of what it applied from each publisher.
//!
//! The outbox is written by the backend in the same transaction as the publishing write
//! (a contact outcome, a survey answer, a suppression with a voter id, a ballot event of
//! a voter, a volunteer linked to a voter — once per volunteer and voter), and never for
//! records that themselves came over an exchange (a received ballot status is recorded
//! in `exchange_received` before its event, which the trigger checks); a contact event with the result
//! `opted_out` adds a suppression in the same transaction, and so does a volunteer's
//! email unsubscribe. Seqs are handed out in commit order, so a reader that has seen seq
//! `n` will never later find a smaller one committed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use votebase_domain::exchange::{Agreement, NewSuppression, Suppression};

use crate::StoreResult;

/// One published record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxRecord {
    /// Position in the publisher's outbox.
    pub seq: i64,
    /// Dataset code (`contact_outcomes`, `survey_answers`, `opt_outs`, `ballot_status`,
    /// `volunteer_signups`).
    pub dataset: String,
    /// The publisher's state voter id.
    pub state_voter_id: String,
    /// The record (JSON).
    pub payload: String,
    /// When it was published.
    pub recorded_at: DateTime<Utc>,
}

/// A record received over an agreement and kept with its provenance (ballot statuses,
/// which also become ballot events, and volunteer sign-ups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceivedRecord {
    /// `exchange:ORG`, the publisher.
    pub source: String,
    /// `AGREEMENT:SEQ`: with `source`, unique.
    pub source_key: String,
    /// Dataset code (`ballot_status`, `volunteer_signups`).
    pub dataset: String,
    /// The receiver's state voter id.
    pub state_voter_id: String,
    /// The ballot event's content key, or the publisher's volunteer id.
    pub item_key: String,
    /// One line for the timeline.
    pub summary: String,
    /// The record as published (JSON).
    pub payload: String,
    /// When the publisher published it.
    pub published_at: DateTime<Utc>,
    /// Who ran the sync that received it.
    pub received_by: String,
}

/// Where a subscriber stands with one publisher under one agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeCursor {
    /// The agreement.
    pub agreement_id: String,
    /// The publishing organization.
    pub publisher: String,
    /// Last outbox seq applied.
    pub last_seq: i64,
    /// The publisher's outbox head when last synced (the lag is `head - last_seq`).
    pub publisher_head: i64,
    /// Records applied so far.
    pub applied: i64,
    /// Records read and not applied (filtered out, or for a voter not held here).
    pub skipped: i64,
    /// When it last moved.
    pub updated_at: DateTime<Utc>,
}

/// Storage of suppressions, agreements, the outbox and the cursors. Part of
/// [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait ExchangeStore: Send + Sync {
    /// Records a suppression (already validated); false when (source, source key) was
    /// recorded before (nothing changes).
    async fn add_suppression(&self, entry: &NewSuppression) -> StoreResult<bool>;

    /// Suppressions, newest first, at most `limit`; removed ones only when asked.
    async fn suppressions(
        &self,
        limit: i64,
        include_removed: bool,
    ) -> StoreResult<Vec<Suppression>>;

    /// Marks a suppression removed (it no longer suppresses); false when there is no such
    /// live entry.
    async fn remove_suppression(&self, id: i64, by: &str) -> StoreResult<bool>;

    /// The voters a live suppression covers, sorted and distinct: by voter id, by a phone
    /// that is the voter's own or appended to them, by an email of a volunteer linked to
    /// them.
    async fn suppressed_voter_ids(&self) -> StoreResult<Vec<String>>;

    /// Keeps records received over an agreement with their provenance, in one
    /// transaction; a record whose (source, source key) is already kept changes nothing.
    /// Returns how many were new. Recording a ballot status before its ballot event is
    /// what keeps the event out of this organization's own outbox.
    async fn record_received(&self, records: &[ReceivedRecord]) -> StoreResult<u64>;

    /// The records received for one voter, newest first.
    async fn received_of_voter(&self, state_voter_id: &str) -> StoreResult<Vec<ReceivedRecord>>;

    /// Of `ids`, those in the voter file (present or not), sorted.
    async fn held_voter_ids(&self, ids: &[String]) -> StoreResult<Vec<String>>;

    /// Writes this organization's copy of an agreement (inserted, or replaced whole).
    async fn put_agreement(&self, agreement: &Agreement) -> StoreResult<()>;

    /// This organization's copy of one agreement.
    async fn agreement(&self, id: &str) -> StoreResult<Option<Agreement>>;

    /// Every agreement this organization holds a copy of, newest first.
    async fn agreements(&self) -> StoreResult<Vec<Agreement>>;

    /// Published records after `after_seq` in the given datasets, by seq, at most `limit`.
    async fn outbox_after(
        &self,
        after_seq: i64,
        datasets: &[String],
        limit: i64,
    ) -> StoreResult<Vec<OutboxRecord>>;

    /// The newest outbox seq (0 when empty).
    async fn outbox_head(&self) -> StoreResult<i64>;

    /// The cursor of an agreement for one publisher.
    async fn exchange_cursor(
        &self,
        agreement_id: &str,
        publisher: &str,
    ) -> StoreResult<Option<ExchangeCursor>>;

    /// Moves a cursor forward to `last_seq`, adding `applied` and `skipped`; never moves
    /// it back (a smaller `last_seq` keeps the stored one).
    async fn advance_cursor(
        &self,
        agreement_id: &str,
        publisher: &str,
        last_seq: i64,
        publisher_head: i64,
        applied: i64,
        skipped: i64,
    ) -> StoreResult<ExchangeCursor>;
}
