//! The storage contract of the disinformation watch: items (idempotent by source and
//! source id, with their MinHash signatures so that clustering resumes after a restart),
//! the narratives the application assigned them to, the claim catalogue, spike alerts
//! (one per narrative and spike start) and the response workflow, whose timeline is
//! append-only (both backends refuse deletes and updates with triggers). Hotline
//! incidents of category `misinformation` are linked by id, never copied. Users'
//! subscriptions to alert emails (the emails of a new alert are queued in the volunteers'
//! outbox in the alert's own transaction, so an alert is mailed once) and the
//! organization's election days. The stores hold no clustering or alerting rule: the
//! application (over the `narrative` engine) decides, the store writes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use votebase_domain::disinfo::{
    Alert, Claim, ElectionDay, Item, Narrative, NarrativeAction, NarrativeEvent, NewAlert,
    NewClaim, NewItem, Subscription,
};

use crate::StoreResult;
use crate::people::OutgoingEmail;

/// An alert to record, with the emails to queue in the outbox if it is new.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingAlert {
    /// The alert.
    pub alert: NewAlert,
    /// One email per subscriber (queued only when the alert is new; keys are unique).
    pub emails: Vec<OutgoingEmail>,
}

/// What an item import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemImportOutcome {
    /// Items stored.
    pub created: i64,
    /// Items already stored (same source and source id): unchanged.
    pub known: i64,
    /// Narratives created.
    pub narratives_created: i64,
}

/// What a claim import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClaimImportOutcome {
    /// Claims stored.
    pub created: i64,
    /// Claims whose key was already stored: unchanged.
    pub known: i64,
}

/// What the clustering needs to resume: every stored representative signature with its
/// narrative, and the largest narrative id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterState {
    /// Largest narrative id (0 when there is none).
    pub max_narrative: i64,
    /// `(narrative, signature bytes)` of every representative, oldest first.
    pub representatives: Vec<(i64, Vec<u8>)>,
}

/// A hotline report not yet in the watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlinkedReport {
    /// Incident id.
    pub incident_id: i64,
    /// Its description.
    pub description: String,
    /// When it was observed.
    pub observed_at: DateTime<Utc>,
    /// Its county.
    pub county: String,
}

/// One row of `disinfo items`: the source id and its narrative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemNarrative {
    /// `import`, `tip` or `hotline`.
    pub source: String,
    /// The source's id.
    pub source_id: String,
    /// Narrative.
    pub narrative_id: i64,
}

/// Storage of the disinformation watch. Part of [`Store`](crate::Store); every method is
/// one transaction.
#[async_trait]
pub trait DisinfoStore: Send + Sync {
    /// Of these `(source, source id)` pairs, the ones already stored.
    async fn known_items(&self, keys: &[(String, String)]) -> StoreResult<Vec<(String, String)>>;

    /// The clustering's saved state.
    async fn cluster_state(&self) -> StoreResult<ClusterState>;

    /// Stores items in one transaction, in order: each new narrative id is created with
    /// status `new` and a `created` timeline entry; each narrative's count, first and
    /// last seen are updated, and its claim becomes the best-matching one of its items.
    /// Items already stored (same source and source id) are skipped. Any failure writes
    /// nothing.
    async fn import_items(
        &self,
        items: &[NewItem],
        now: DateTime<Utc>,
    ) -> StoreResult<ItemImportOutcome>;

    /// Narratives seen at or after `since` (all when `None`), most items first, then id.
    async fn list_narratives(&self, since: Option<DateTime<Utc>>) -> StoreResult<Vec<Narrative>>;

    /// One narrative.
    async fn get_narrative(&self, id: i64) -> StoreResult<Option<Narrative>>;

    /// A narrative's items, oldest first, at most `limit` (0: all).
    async fn narrative_items(&self, id: i64, limit: i64) -> StoreResult<Vec<Item>>;

    /// Every item's source, source id and narrative, in item order.
    async fn item_narratives(&self) -> StoreResult<Vec<ItemNarrative>>;

    /// Items per narrative and hour: `(narrative, hour since the epoch, count)`, of the
    /// given narratives (all when `None`), ordered by narrative and hour.
    async fn narrative_hourly(&self, ids: Option<&[i64]>) -> StoreResult<Vec<(i64, i64, i64)>>;

    /// A tip's screenshot: content type and bytes.
    async fn item_screenshot(&self, item_id: i64) -> StoreResult<Option<(String, Vec<u8>)>>;

    /// Records alerts in one transaction; one per narrative, kind and hour (a repeat is
    /// skipped, its emails not queued). Each new alert is also an `alert` entry on its
    /// narrative's timeline (detail: [`NewAlert::describe`]) and its emails are queued
    /// in the outbox. Returns the new ones.
    async fn record_alerts(
        &self,
        alerts: &[PendingAlert],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Alert>>;

    /// Every alert, oldest first.
    async fn list_alerts(&self) -> StoreResult<Vec<Alert>>;

    /// The distinct places named by the items of each of these narratives:
    /// `(narrative, places)`, by narrative, places sorted.
    async fn narrative_places(&self, ids: &[i64]) -> StoreResult<Vec<(i64, Vec<String>)>>;

    /// Subscribes a user to alert emails at `email` (a second call replaces the address).
    /// Unknown user: [`crate::StoreError::Refused`]. True when something changed.
    async fn disinfo_subscribe(
        &self,
        user: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Ends a user's subscription; false when there was none.
    async fn disinfo_unsubscribe(&self, user: &str) -> StoreResult<bool>;

    /// Every subscription, by user.
    async fn disinfo_subscriptions(&self) -> StoreResult<Vec<Subscription>>;

    /// Sets an election day (a known date gets the new offset). True when something
    /// changed.
    async fn set_disinfo_election_day(&self, day: &ElectionDay) -> StoreResult<bool>;

    /// Removes an election day; false when it was not set.
    async fn remove_disinfo_election_day(&self, date: chrono::NaiveDate) -> StoreResult<bool>;

    /// The election days set, by date.
    async fn disinfo_election_days(&self) -> StoreResult<Vec<ElectionDay>>;

    /// Adds claims in one transaction; keys already stored are skipped.
    async fn import_claims(&self, claims: &[NewClaim]) -> StoreResult<ClaimImportOutcome>;

    /// The catalogue, by id.
    async fn list_claims(&self) -> StoreResult<Vec<Claim>>;

    /// Applies a workflow action by `actor` (refused with the reason when the workflow
    /// does not allow it); `None` when there is no such narrative.
    async fn act_on_narrative(
        &self,
        id: i64,
        actor: &str,
        action: &NarrativeAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Narrative>>;

    /// A narrative's timeline, oldest first.
    async fn narrative_timeline(&self, id: i64) -> StoreResult<Vec<NarrativeEvent>>;

    /// Incidents of category `misinformation` not yet linked to an item, oldest first.
    async fn unlinked_misinformation(&self) -> StoreResult<Vec<UnlinkedReport>>;
}
