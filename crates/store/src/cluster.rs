//! The storage contract for running several `votebase serve` processes over one store:
//! the feed of committed incident changes that every process sharing the store sees (the
//! live incident queue's fan-out across servers) and its twin for disinformation alerts, reading those changes back from a
//! position (how a listener or a live-queue client that lost its connection catches up),
//! and leadership of periodic jobs so that a job runs in one process of the cluster at a
//! time. The contract is backend-neutral: PostgreSQL implements the feed with
//! `LISTEN/NOTIFY` and leadership with a session-level advisory lock held on a dedicated
//! connection; SQLite (one machine, one process) has no cross-process feed (the server
//! fans out in-process) and holds leadership in-process.

use async_trait::async_trait;

use crate::StoreResult;

/// One committed change of an incident: an entry of its timeline. `seq` is the timeline
/// entry's id, increasing across the organization; several changes may share an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IncidentChange {
    /// The timeline entry's id: a position in the organization's change history.
    pub seq: i64,
    /// The incident that changed.
    pub incident_id: i64,
}

/// A live feed of incident changes committed by any process sharing the store.
#[async_trait]
pub trait ChangeFeed: Send {
    /// Waits for the next changes, oldest first (never an empty batch). A feed whose
    /// connection was lost reconnects by itself and then returns the changes committed
    /// while it was away (read back from the store), so nothing committed is skipped;
    /// a change may come twice. Errors only when the store cannot be reached at all;
    /// the caller waits and calls again.
    async fn next(&mut self) -> StoreResult<Vec<IncidentChange>>;

    /// The position up to which this feed has delivered changes.
    fn position(&self) -> i64;
}

/// A live feed of disinformation alerts recorded by any process sharing the store (the
/// `/disinfo` live page's fan-out across servers); the same guarantees as
/// [`ChangeFeed`].
#[async_trait]
pub trait AlertFeed: Send {
    /// Waits for the next alerts' ids, oldest first (never an empty batch); after a lost
    /// connection, the alerts recorded meanwhile are read back. An id may come twice.
    async fn next(&mut self) -> StoreResult<Vec<i64>>;
}

/// A held leadership of one job (see [`ClusterStore::try_lead`]); dropping it gives the
/// job up.
#[async_trait]
pub trait Lease: Send + Sync {
    /// Whether the lease is still held: PostgreSQL checks that the connection holding
    /// the lock is alive (a leader whose connection died may have been replaced).
    async fn held(&mut self) -> bool;
}

/// Cluster coordination over the store. Part of [`Store`](crate::Store).
#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// Opens a feed of the incident changes committed from now on by every process
    /// sharing this store, or `None` when no other process can share it (SQLite: the
    /// server publishes its own changes in-process). The feed is listening when this
    /// returns: a change committed afterwards is delivered.
    async fn incident_feed(&self) -> StoreResult<Option<Box<dyn ChangeFeed>>>;

    /// The incident changes with `seq > after`, oldest first, at most `limit`.
    async fn incident_changes_since(
        &self,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<IncidentChange>>;

    /// The latest change's position (0 when there is none).
    async fn latest_incident_change(&self) -> StoreResult<i64>;

    /// Opens a feed of the disinformation alerts recorded from now on by every process
    /// sharing this store, or `None` when no other process can share it (SQLite).
    /// Listening when this returns.
    async fn alert_feed(&self) -> StoreResult<Option<Box<dyn AlertFeed>>>;

    /// Tries to become the one holder of `job` among every process sharing the store:
    /// `Some` lease when this caller now holds it, `None` when someone else does. A
    /// holder that dies (its process or its connection) loses the job and another
    /// caller's next try succeeds.
    async fn try_lead(&self, job: &str) -> StoreResult<Option<Box<dyn Lease>>>;
}
