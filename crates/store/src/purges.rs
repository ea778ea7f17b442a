//! The storage contract for purge watch: the roll of every snapshot (active and inactive
//! voters per county by party, race, gender, birth year and precinct: recorded by the
//! import, inside its transaction, into `purge_rolls`), the voters who left the roll
//! between snapshots as read from the change records every import already writes
//! (`voter_changes`: status changes and records gone from the file), grouped in SQL; the
//! counsel list of one (snapshot, county, transition); reinstatements; every status
//! change (for the universe language's `status_change:` and `purged:`); and the
//! organization's thresholds. Business rules (bands, tests, flags) are the engine's.

use async_trait::async_trait;
use votebase_domain::purges::{
    PurgeListRow, Reinstatement, RemovalCell, RollCount, StatusMove, Transition,
};

use crate::StoreResult;

/// Longest county name a purge query accepts.
pub const MAX_COUNTY: usize = 100;

#[async_trait]
pub trait PurgeStore {
    /// Records the roll of the latest snapshot if it has none (data imported before purge
    /// watch); true when it recorded one. Imports record their roll themselves.
    async fn record_latest_roll(&self) -> StoreResult<bool>;

    /// The roll of every snapshot with id >= `from_snapshot`.
    async fn purge_rolls(&self, from_snapshot: i64) -> StoreResult<Vec<RollCount>>;

    /// Voters who left the active/inactive roll in snapshots with id > `after_snapshot`,
    /// grouped by snapshot, county, transition, status before, precinct, reason, party,
    /// race, gender, birth year and year of last vote.
    async fn purge_removals(&self, after_snapshot: i64) -> StoreResult<Vec<RemovalCell>>;

    /// Every voter who left the roll in `snapshot_id` from `county` by `transition`,
    /// ordered by id.
    async fn purge_list(
        &self,
        snapshot_id: i64,
        county: &str,
        transition: Transition,
    ) -> StoreResult<Vec<PurgeListRow>>;

    /// Of the voters of that list, how many each later snapshot made active again (by
    /// status change or by reappearing, in later snapshots; or through a relinked new id,
    /// from `snapshot_id` on), one row per snapshot from `snapshot_id` on, with a running
    /// total.
    async fn purge_reinstatements(
        &self,
        snapshot_id: i64,
        county: &str,
        transition: Transition,
    ) -> StoreResult<Vec<Reinstatement>>;

    /// The organization's stored thresholds (name, value); defaults are not stored.
    async fn purge_thresholds(&self) -> StoreResult<Vec<(String, f64)>>;

    /// Stores one threshold (the caller has checked name and range).
    async fn set_purge_threshold(&self, name: &str, value: f64) -> StoreResult<()>;

    /// Every status change of every snapshot (from `voter_changes`), and every record
    /// gone from the file whose last status was active or inactive (`after` = `absent`),
    /// ordered by snapshot and voter id.
    async fn status_moves(&self) -> StoreResult<Vec<StatusMove>>;
}
