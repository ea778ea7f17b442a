//! Snapshots of the voter file: each import of a state file is one dated snapshot, and a
//! refresh records per voter what was added, removed or changed, field by field. Vote
//! history rows (one per voter per election) live here too.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One imported snapshot and what it changed against the one before it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSummary {
    /// Sequence number, 1 for the first import.
    pub id: i64,
    /// The date the file describes.
    pub as_of: NaiveDate,
    /// File name it came from.
    pub source_file: String,
    /// SHA-256 of the file's bytes, hex: the same file is never imported twice.
    pub file_sha256: String,
    /// When it was imported.
    pub imported_at: DateTime<Utc>,
    /// Voters present in this snapshot.
    pub voters: i64,
    /// Voters new in this snapshot.
    pub added: i64,
    /// Voters present before and absent from this file.
    pub removed: i64,
    /// Voters with at least one changed field.
    pub changed: i64,
    /// Rows sent to the rejects file.
    pub rejected: i64,
}

/// What happened to a voter in a snapshot.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// First seen in this snapshot.
    Added,
    /// Was in the previous snapshot, absent from this one.
    Removed,
    /// Present in both, with this field changed.
    Changed,
    /// Linked to a record of another id: the same person under a new state id (the
    /// field says which way, the values hold the two ids).
    Relinked,
}

impl ChangeKind {
    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
            Self::Relinked => "relinked",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "added" => Some(Self::Added),
            "removed" => Some(Self::Removed),
            "changed" => Some(Self::Changed),
            "relinked" => Some(Self::Relinked),
            _ => None,
        }
    }
}

/// One recorded change to one voter in one snapshot. For `Changed`, one row per field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The snapshot that recorded the change.
    pub snapshot_id: i64,
    /// That snapshot's as-of date.
    pub as_of: NaiveDate,
    /// The voter.
    pub state_voter_id: String,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The column that changed (empty for added/removed).
    pub field: String,
    /// Value before (empty for added).
    pub old_value: String,
    /// Value after (empty for removed).
    pub new_value: String,
}

/// One voter's participation in one election (NC's ncvhis row).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteHistoryRecord {
    /// The voter.
    pub state_voter_id: String,
    /// Election date.
    pub election_date: NaiveDate,
    /// The state's label for the election (`11/03/2020`, `2020 GENERAL`…).
    pub election_desc: String,
    /// How they voted: `in_person`, `early`, `absentee`, `provisional`, or the state's text.
    pub voting_method: String,
    /// Party ballot in a primary (state code), else empty.
    pub voted_party: String,
    /// County where the vote was cast.
    pub county_name: String,
    /// Precinct label where the vote was cast.
    pub precinct: String,
}

/// The part of a vote-history row that universes select on (`voted:`, `method:`):
/// read from the store without the election's label, party and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryMark {
    /// The voter.
    pub state_voter_id: String,
    /// Election date.
    pub election_date: NaiveDate,
    /// How they voted, as stored (normalised by the index).
    pub voting_method: String,
}

/// Normalises a state's voting-method text into a small set of codes.
pub fn normalise_voting_method(raw: &str) -> String {
    let up = raw.trim().to_ascii_uppercase();
    let code = if up.contains("PROVISIONAL") {
        "provisional"
    } else if up.contains("ONE-STOP") || up.contains("ONE STOP") || up.contains("EARLY") {
        "early"
    } else if up.contains("ABSENTEE") || up.contains("MAIL") {
        "absentee"
    } else if up.contains("IN-PERSON") || up.contains("IN PERSON") || up.contains("ELECTION DAY") {
        "in_person"
    } else if up.contains("CURBSIDE") {
        "curbside"
    } else if up.contains("TRANSFER") {
        "transfer"
    } else if up.is_empty() {
        "unknown"
    } else {
        return up.to_ascii_lowercase();
    };
    code.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voting_methods_map_to_small_set() {
        assert_eq!(normalise_voting_method("ABSENTEE ONESTOP"), "absentee");
        assert_eq!(normalise_voting_method("ABSENTEE ONE-STOP"), "early");
        assert_eq!(normalise_voting_method("IN-PERSON"), "in_person");
        assert_eq!(normalise_voting_method("ABSENTEE BY MAIL"), "absentee");
        assert_eq!(normalise_voting_method("PROVISIONAL"), "provisional");
        assert_eq!(normalise_voting_method(""), "unknown");
    }

    #[test]
    fn change_kind_codes_round_trip() {
        for k in [
            ChangeKind::Added,
            ChangeKind::Removed,
            ChangeKind::Changed,
            ChangeKind::Relinked,
        ] {
            assert_eq!(ChangeKind::from_code(k.code()), Some(k));
        }
        assert_eq!(ChangeKind::from_code("x"), None);
    }
}
