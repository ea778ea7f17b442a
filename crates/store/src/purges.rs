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

/// The roll of a snapshot counted while its rows are written, for a backend whose
/// grouping queries cost more than counting in the writer (SQLite sorts a million rows
/// per `GROUP BY`). It counts exactly what the roll query selects: every voter the
/// snapshot leaves present (each id once, as written), active or inactive, by county and
/// status, per party, race, gender, birth year (`""` when unknown) and precinct code.
#[derive(Debug, Default)]
pub struct RollTally {
    /// County, status, party, race, gender, birth year (see [`push_part`]): voters.
    cells: std::collections::HashMap<String, i64>,
    /// County, status, precinct: voters.
    precincts: std::collections::HashMap<String, i64>,
    key: String,
    year: String,
}

impl RollTally {
    /// Counts one voter present in the snapshot.
    pub fn add(&mut self, r: &votebase_domain::VoterRecord) {
        use std::fmt::Write;
        let status = r.status.code();
        if status != "active" && status != "inactive" {
            return;
        }
        self.year.clear();
        if let Some(y) = r.birth_year {
            let _ = write!(self.year, "{y}");
        }
        self.key.clear();
        for part in [
            r.county_name.as_str(),
            status,
            r.party.code(),
            r.race.as_str(),
            r.gender.code(),
            self.year.as_str(),
        ] {
            push_part(&mut self.key, part);
        }
        bump(&mut self.cells, &self.key);
        self.key.clear();
        for part in [r.county_name.as_str(), status, r.precinct_code.as_str()] {
            push_part(&mut self.key, part);
        }
        bump(&mut self.precincts, &self.key);
    }

    /// The roll's rows: (county, status, dimension, value, voters), the dimension one of
    /// `total`, `party`, `race`, `gender`, `birth_year`, `precinct` (total's value "").
    pub fn rows(&self) -> Vec<(String, String, &'static str, String, i64)> {
        let mut sums: std::collections::BTreeMap<(&str, &str, &'static str, &str), i64> =
            Default::default();
        for (key, n) in &self.cells {
            let p = parts(key);
            let (county, status) = (p[0], p[1]);
            for (dimension, value) in [
                ("total", ""),
                ("party", p[2]),
                ("race", p[3]),
                ("gender", p[4]),
                ("birth_year", p[5]),
            ] {
                *sums.entry((county, status, dimension, value)).or_default() += n;
            }
        }
        for (key, n) in &self.precincts {
            let p = parts(key);
            *sums.entry((p[0], p[1], "precinct", p[2])).or_default() += n;
        }
        sums.into_iter()
            .map(|((c, s, d, v), n)| (c.to_string(), s.to_string(), d, v.to_string(), n))
            .collect()
    }
}

/// Appends one part of a key as its byte length, `:`, and the text: any text at all
/// keeps the parts apart.
fn push_part(key: &mut String, part: &str) {
    use std::fmt::Write;
    let _ = write!(key, "{}:", part.len());
    key.push_str(part);
}

/// The parts of a key made by [`push_part`].
fn parts(mut key: &str) -> Vec<&str> {
    let mut out = Vec::new();
    while let Some((len, rest)) = key.split_once(':') {
        let len: usize = len.parse().unwrap_or(rest.len()).min(rest.len());
        out.push(&rest[..len]);
        key = &rest[len..];
    }
    out
}

fn bump(map: &mut std::collections::HashMap<String, i64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::{Party, VoterRecord, VoterStatus};

    #[test]
    fn tally_counts_active_and_inactive_by_each_dimension() {
        let voter = |county: &str, status, race: &str, year, precinct: &str| VoterRecord {
            county_name: county.into(),
            status,
            party: Party::Dem,
            race: race.into(),
            birth_year: year,
            precinct_code: precinct.into(),
            ..Default::default()
        };
        let mut t = RollTally::default();
        t.add(&voter("WAKE", VoterStatus::Active, "W", Some(1980), "01"));
        t.add(&voter("WAKE", VoterStatus::Active, "B:1", None, "01"));
        t.add(&voter("WAKE", VoterStatus::Inactive, "W", Some(1980), "02"));
        t.add(&voter("WAKE", VoterStatus::Removed, "W", Some(1980), "02"));
        t.add(&voter("10:WAKE", VoterStatus::Active, "", Some(1990), ""));
        let rows = t.rows();
        let find = |c: &str, s: &str, d: &str, v: &str| {
            rows.iter()
                .find(|r| (r.0.as_str(), r.1.as_str(), r.2, r.3.as_str()) == (c, s, d, v))
                .map(|r| r.4)
        };
        assert_eq!(find("WAKE", "active", "total", ""), Some(2));
        assert_eq!(find("WAKE", "active", "race", "B:1"), Some(1));
        assert_eq!(find("WAKE", "active", "birth_year", ""), Some(1));
        assert_eq!(find("WAKE", "active", "birth_year", "1980"), Some(1));
        assert_eq!(find("WAKE", "active", "party", "dem"), Some(2));
        assert_eq!(find("WAKE", "inactive", "precinct", "02"), Some(1));
        assert_eq!(find("WAKE", "removed", "total", ""), None);
        assert_eq!(find("10:WAKE", "active", "precinct", ""), Some(1));
        assert_eq!(find("10:WAKE", "active", "race", ""), Some(1));
        // One row per value of each of the six dimensions.
        assert_eq!(rows.len(), 8 + 6 + 6);
    }
}
