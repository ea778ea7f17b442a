//! Purge watch's vocabulary: the snapshots in order, the roll (active and inactive voters
//! per county at each snapshot, by one dimension at a time), the removal cells (voters
//! who left the roll between two snapshots, grouped by everything a breakdown needs), the
//! counsel list's rows, and the bands breakdowns use. The stores produce rolls and cells
//! with `GROUP BY`; the engine (`votebase-purge`) tests them. Nothing here knows SQL.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// One snapshot of the voter file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRef {
    /// The snapshot's sequence number.
    pub id: i64,
    /// The date its file describes.
    pub as_of: NaiveDate,
}

/// A way off the active roll between two snapshots.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Active → inactive.
    Inactivated,
    /// Active or inactive → removed.
    Removed,
    /// Active or inactive in one snapshot, absent from the next file.
    Disappeared,
}

impl Transition {
    /// Every transition, in report order.
    pub const ALL: [Transition; 3] = [Self::Inactivated, Self::Removed, Self::Disappeared];

    /// The stable code (flag ids, CSV, API).
    pub fn code(self) -> &'static str {
        match self {
            Self::Inactivated => "inactivated",
            Self::Removed => "removed",
            Self::Disappeared => "disappeared",
        }
    }

    /// Parses a code; also accepts the universe spelling `active>inactive`.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "inactivated" | "active>inactive" => Some(Self::Inactivated),
            "removed" => Some(Self::Removed),
            "disappeared" => Some(Self::Disappeared),
            _ => None,
        }
    }

    /// Whether inactive voters count in the base (the roll the voters left).
    pub fn includes_inactive(self) -> bool {
        !matches!(self, Self::Inactivated)
    }

    /// Words for a sentence: "moved … to inactive".
    pub fn verb_phrase(self) -> (&'static str, &'static str) {
        match self {
            Self::Inactivated => ("moved", "to inactive"),
            Self::Removed => ("removed", "from the rolls"),
            Self::Disappeared => ("dropped", "from the file without a status change"),
        }
    }

    /// The roll the base counts: "active voters" or "active and inactive voters".
    pub fn base_words(self) -> &'static str {
        if self.includes_inactive() {
            "active and inactive voters"
        } else {
            "active voters"
        }
    }
}

/// The status a roll count is of.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollStatus {
    /// Active voters.
    Active,
    /// Inactive voters.
    Inactive,
}

impl RollStatus {
    /// The stored code (the voters table's status code).
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

/// The dimension a roll count is broken down by.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollDimension {
    /// The county's whole roll (value empty).
    Total,
    /// Party code.
    Party,
    /// Race code.
    Race,
    /// Gender code.
    Gender,
    /// Birth year (empty when unknown).
    BirthYear,
    /// Precinct code.
    Precinct,
}

impl RollDimension {
    /// Every dimension, in the order the stores write them.
    pub const ALL: [RollDimension; 6] = [
        Self::Total,
        Self::Party,
        Self::Race,
        Self::Gender,
        Self::BirthYear,
        Self::Precinct,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::Party => "party",
            Self::Race => "race",
            Self::Gender => "gender",
            Self::BirthYear => "birth_year",
            Self::Precinct => "precinct",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
}

/// Voters of one status in one county at one snapshot with one value of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollCount {
    /// The snapshot.
    pub snapshot_id: i64,
    /// County name.
    pub county: String,
    /// Active or inactive.
    pub status: RollStatus,
    /// The breakdown.
    pub dimension: RollDimension,
    /// The value (empty for `Total`).
    pub value: String,
    /// Voters.
    pub voters: i64,
}

/// Voters who left the roll at one snapshot, grouped by every breakdown field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalCell {
    /// The snapshot in which they were seen to leave (compared with the one before it).
    pub snapshot_id: i64,
    /// County name (in the earlier snapshot).
    pub county: String,
    /// How they left.
    pub transition: Transition,
    /// Status code in the earlier snapshot (`active` or `inactive`).
    pub status_before: String,
    /// Precinct code.
    pub precinct: String,
    /// Status reason after the change (before it, for a disappeared record).
    pub reason: String,
    /// Party code.
    pub party: String,
    /// Race code.
    pub race: String,
    /// Gender code.
    pub gender: String,
    /// Birth year, when the file has it.
    pub birth_year: Option<i32>,
    /// Year of the last election voted in before the later snapshot, from vote history.
    pub last_vote_year: Option<i32>,
    /// Voters in the cell.
    pub voters: i64,
}

/// The age band of a birth year at a date.
pub fn age_band(birth_year: Option<i32>, at: NaiveDate) -> &'static str {
    let Some(year) = birth_year else {
        return "unknown";
    };
    match at.year() - year {
        ..18 => "under 18",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=49 => "35-49",
        50..=64 => "50-64",
        _ => "65+",
    }
}

/// The band of years since the last vote at a date.
pub fn last_vote_band(last_vote_year: Option<i32>, at: NaiveDate) -> &'static str {
    let Some(year) = last_vote_year else {
        return "no vote on record";
    };
    match at.year() - year {
        ..2 => "voted in the last 2 years",
        2..=3 => "2-3 years since last vote",
        4..=7 => "4-7 years since last vote",
        _ => "8+ years since last vote",
    }
}

/// How a sentence names the voters of a party code.
pub fn display_party(code: &str) -> String {
    match code {
        "dem" => "Democrats".into(),
        "rep" => "Republicans".into(),
        "unaffiliated" => "unaffiliated voters".into(),
        "lib" => "Libertarians".into(),
        "green" => "Greens".into(),
        "constitution" => "Constitution Party voters".into(),
        "other" => "voters of other parties".into(),
        "" | "unknown" => "voters of unknown party".into(),
        other => format!("voters of party {other}"),
    }
}

/// One voter of a counsel list: who left the roll in a flagged (county, transition).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeListRow {
    /// State voter id.
    pub state_voter_id: String,
    /// First, middle and last name, suffix.
    pub name: String,
    /// Residential address as filed, with city and ZIP.
    pub address: String,
    /// Precinct code.
    pub precinct: String,
    /// Status in the earlier snapshot.
    pub status_before: String,
    /// Status in the later snapshot (`absent` for a record gone from the file).
    pub status_after: String,
    /// Status reason after the change.
    pub reason: String,
    /// Registration date.
    pub registration_date: Option<NaiveDate>,
    /// Last election voted in before the later snapshot.
    pub last_vote: Option<NaiveDate>,
    /// Ballot events on file (requests, returns) for elections on or after the later
    /// snapshot's date.
    pub ballots_this_cycle: i64,
    /// The voter's status now (latest snapshot; `absent` when gone).
    pub status_now: String,
    /// Back on the active roll now, under this id or (`relinked_to`) a new one.
    pub reinstated: bool,
    /// The new state id the linkage engine tied this voter to, if any.
    pub relinked_to: Option<String>,
}

impl PurgeListRow {
    /// The CSV header of a counsel list.
    pub const CSV_HEADER: [&'static str; 13] = [
        "state_voter_id",
        "name",
        "address",
        "precinct",
        "status_before",
        "status_after",
        "reason",
        "registration_date",
        "last_vote",
        "ballots_this_cycle",
        "status_now",
        "reinstated",
        "relinked_to",
    ];

    /// The row's CSV cells, in [`Self::CSV_HEADER`] order (raw: pass through `csv_safe`).
    pub fn csv_record(&self) -> [String; 13] {
        let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        [
            self.state_voter_id.clone(),
            self.name.clone(),
            self.address.clone(),
            self.precinct.clone(),
            self.status_before.clone(),
            self.status_after.clone(),
            self.reason.clone(),
            date(&self.registration_date),
            date(&self.last_vote),
            self.ballots_this_cycle.to_string(),
            self.status_now.clone(),
            if self.reinstated { "yes" } else { "no" }.to_string(),
            self.relinked_to.clone().unwrap_or_default(),
        ]
    }
}

/// Voters of a flag back on the active roll, as of one later snapshot.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reinstatement {
    /// The later snapshot.
    pub snapshot_id: i64,
    /// Its date.
    pub as_of: NaiveDate,
    /// Voters made active again in that snapshot.
    pub reinstated: i64,
    /// Running total up to and including it.
    pub running_total: i64,
}

/// One voter's change of status at a snapshot (against the snapshot before it), or a
/// record gone from the file (`after` is [`StatusMove::ABSENT`]; only records that were
/// active or inactive): what the universe language's `status_change:FROM>TO@DATE` and
/// `purged:DATE` clauses select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMove {
    /// State voter id.
    pub state_voter_id: String,
    /// The date of the snapshot where the change was seen.
    pub as_of: NaiveDate,
    /// Status code in the snapshot before.
    pub before: String,
    /// Status code in this snapshot, or `absent`.
    pub after: String,
}

impl StatusMove {
    /// The `after` of a record gone from the file.
    pub const ABSENT: &'static str = "absent";

    /// The way off the roll this change is, as purge watch counts removals (the same
    /// rule as the stores' removal query): active → inactive, active or inactive →
    /// removed, active or inactive → gone from the file. Other changes are none.
    pub fn transition(&self) -> Option<Transition> {
        let on_roll = matches!(self.before.as_str(), "active" | "inactive");
        match self.after.as_str() {
            "inactive" if self.before == "active" => Some(Transition::Inactivated),
            "removed" if on_roll => Some(Transition::Removed),
            Self::ABSENT if on_roll => Some(Transition::Disappeared),
            _ => None,
        }
    }
}

/// A status reason for a sentence: North Carolina's codes (`reason_cd`) with their
/// descriptions from the state's layout; any other text as it is.
pub fn reason_words(code: &str) -> String {
    let described = match code {
        "AV" => "VERIFIED",
        "AL" => "LEGACY DATA",
        "AN" => "UNVERIFIED NEW",
        "A1" => "UNVERIFIED",
        "A2" => "CONFIRMATION PENDING",
        "IN" => "CONFIRMATION NOT RETURNED",
        "IU" => "CONFIRMATION RETURNED UNDELIVERABLE",
        "DU" => "VERIFICATION RETURNED UNDELIVERABLE",
        "RD" => "DECEASED",
        "RL" => "MOVED FROM COUNTY",
        "RS" => "MOVED FROM STATE",
        "RH" => "MOVED WITHIN STATE",
        "RM" => "REMOVED AFTER 2 FED GENERAL ELECTIONS IN INACTIVE STATUS",
        "RF" => "FELONY CONVICTION",
        "RR" => "FELONY SENTENCE COMPLETED",
        "R2" => "DUPLICATE",
        "RA" => "ADMINISTRATIVE",
        _ => return code.to_string(),
    };
    format!("{code} ({described})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_moves_off_the_roll_are_the_purge_transitions() {
        let m = |before: &str, after: &str| StatusMove {
            state_voter_id: "A".into(),
            as_of: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            before: before.into(),
            after: after.into(),
        };
        assert_eq!(
            m("active", "inactive").transition(),
            Some(Transition::Inactivated)
        );
        assert_eq!(
            m("active", "removed").transition(),
            Some(Transition::Removed)
        );
        assert_eq!(
            m("inactive", "removed").transition(),
            Some(Transition::Removed)
        );
        assert_eq!(
            m("inactive", "absent").transition(),
            Some(Transition::Disappeared)
        );
        for (b, a) in [
            ("inactive", "active"),
            ("removed", "active"),
            ("denied", "removed"),
            ("removed", "absent"),
            ("active", "temporary"),
        ] {
            assert_eq!(m(b, a).transition(), None, "{b} > {a}");
        }
    }
}
