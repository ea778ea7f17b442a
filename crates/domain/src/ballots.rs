//! Absentee and early-vote ballots: one event per row of a state's daily ballot file,
//! the small set of categories every state's statuses map to, which categories count as
//! "voted", and how settled each is, so that the most settled event decides a voter's
//! status whatever order the daily files arrive in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How the ballot is cast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BallotMethod {
    /// By mail (civilian, military, overseas).
    Mail,
    /// Early in person (NC "ONE-STOP").
    EarlyInPerson,
    /// Anything else the state reports.
    Other,
}

impl BallotMethod {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Mail => "mail",
            Self::EarlyInPerson => "early_in_person",
            Self::Other => "other",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Self {
        match code {
            "mail" => Self::Mail,
            "early_in_person" => Self::EarlyInPerson,
            _ => Self::Other,
        }
    }

    /// From a state's request type text (`MAIL`, `ONE-STOP`, …).
    pub fn from_state_text(raw: &str) -> Self {
        let up = raw.trim().to_ascii_uppercase();
        if up.contains("ONE-STOP")
            || up.contains("ONE STOP")
            || up.contains("EARLY")
            || up.contains("IN PERSON")
        {
            Self::EarlyInPerson
        } else if up.contains("MAIL") || up.contains("ABSENTEE") || up.is_empty() {
            Self::Mail
        } else {
            Self::Other
        }
    }
}

/// Where a ballot stands, reduced to the categories every state has. Ordered from least
/// to most settled: a voter's status is their most settled event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BallotCategory {
    /// Request cancelled (by the voter or the county).
    Cancelled,
    /// Requested, not yet sent.
    Requested,
    /// Sent to the voter, not yet back.
    Sent,
    /// Spoiled or replaced: the voter may vote another way.
    Spoiled,
    /// Received, not yet decided.
    Returned,
    /// Rejected for a reason that cannot be cured.
    Rejected,
    /// Returned with a curable problem (witness information, signature…).
    Curable,
    /// Accepted: the voter has voted.
    Accepted,
}

impl BallotCategory {
    /// All categories, least settled first.
    pub const ALL: [BallotCategory; 8] = [
        Self::Cancelled,
        Self::Requested,
        Self::Sent,
        Self::Spoiled,
        Self::Returned,
        Self::Rejected,
        Self::Curable,
        Self::Accepted,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Cancelled => "cancelled",
            Self::Requested => "requested",
            Self::Sent => "sent",
            Self::Spoiled => "spoiled",
            Self::Returned => "returned",
            Self::Rejected => "rejected",
            Self::Curable => "curable",
            Self::Accepted => "accepted",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// How settled (0 least): stored, so the database can take the maximum.
    pub fn rank(self) -> i64 {
        Self::ALL.iter().position(|c| *c == self).unwrap_or(0) as i64
    }

    /// The category of a rank.
    pub fn from_rank(rank: i64) -> Self {
        Self::ALL
            .get(usize::try_from(rank).unwrap_or(0))
            .copied()
            .unwrap_or(Self::Cancelled)
    }

    /// Whether a voter in this category has voted (and drops out of contact lists).
    pub fn voted(self) -> bool {
        self == Self::Accepted
    }

    /// The category of a state's return status, given which dates the row has.
    pub fn classify(return_status: &str, sent: bool, returned: bool) -> Self {
        let up = return_status.trim().to_ascii_uppercase();
        let has = |w: &str| up.contains(w);
        // NC: ACCEPTED, ACCEPTED - CURED. Virginia: "Marked" (the ballot was cast and
        // recorded), "On Machine" (early in person), "Pre-Processed".
        if has("ACCEPTED")
            || has("VOTED") && !has("NOT VOTED")
            || has("MARKED")
            || has("ON MACHINE")
            || has("PRE-PROCESSED")
        {
            Self::Accepted
        } else if has("WITNESS")
            || has("SIGNATURE")
            || has("CURE")
            || has("INCOMPLETE")
            || has("ID REQUIRED")
            || has("MISSING")
        {
            Self::Curable
        } else if has("SPOIL") || has("REISSUE") || has("REPLACE") {
            Self::Spoiled
        } else if has("CANCEL")
            || has("WITHDRAWN")
            || has("NOT VOTED")
            || has("DELETED")
            || has("NOT ISSUED")
            || has("DENIED")
        {
            Self::Cancelled
        } else if has("REJECT")
            || has("LATE")
            || has("UNDELIVERABLE")
            || has("DECEASED")
            || has("NOT ELIGIBLE")
            || has("INELIGIBLE")
        {
            Self::Rejected
        } else if has("PENDING") || has("RECEIVED") || has("RETURNED") || returned {
            Self::Returned
        } else if sent {
            Self::Sent
        } else {
            Self::Requested
        }
    }
}

/// One row of a ballot file, matched (or not yet) to a voter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BallotEvent {
    /// Statewide voter id (may be empty when the file only has the county id).
    pub state_voter_id: String,
    /// County-level registration number.
    pub local_voter_id: String,
    /// County name, upper case.
    pub county_name: String,
    /// Election date.
    pub election_date: NaiveDate,
    /// Mail or early in person.
    pub method: BallotMethod,
    /// Delivery type as the state reports it (`MAIL`, `EMAIL`, `FAX`…).
    pub delivery_type: String,
    /// Request date.
    pub request_date: Option<NaiveDate>,
    /// Date the ballot was sent.
    pub send_date: Option<NaiveDate>,
    /// Date the ballot came back (or was cast early).
    pub return_date: Option<NaiveDate>,
    /// Return status as the state reports it, verbatim.
    pub return_status: String,
    /// Our category.
    pub category: BallotCategory,
    /// Early-vote site.
    pub site_name: String,
    /// Same-day registration.
    pub same_day_registration: bool,
    /// Party ballot requested (primaries).
    pub request_party: String,
}

impl BallotEvent {
    /// A stable key for the event: the same row in two daily files is one event. It is
    /// the 128-bit xxh3 hash (hex) of the fields that identify the event.
    pub fn event_key(&self) -> String {
        let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let text = [
            self.state_voter_id.as_str(),
            &self.county_name,
            &self.local_voter_id,
            &self.election_date.to_string(),
            self.method.code(),
            &d(self.request_date),
            &d(self.send_date),
            &d(self.return_date),
            &self.return_status,
            &self.site_name,
        ]
        .join("\u{1f}");
        format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nc_statuses_map_to_categories() {
        use BallotCategory::*;
        let c = BallotCategory::classify;
        assert_eq!(c("ACCEPTED", true, true), Accepted);
        assert_eq!(c("ACCEPTED - CURED", true, true), Accepted);
        assert_eq!(c("WITNESS INFO INCOMPLETE", true, true), Curable);
        assert_eq!(c("PENDING CURE", true, true), Curable);
        assert_eq!(c("SPOILED", true, false), Spoiled);
        assert_eq!(c("RETURNED UNDELIVERABLE", true, false), Rejected);
        assert_eq!(c("NOT VOTED", true, false), Cancelled);
        assert_eq!(c("CANCELLED", false, false), Cancelled);
        assert_eq!(c("", true, false), Sent);
        assert_eq!(c("", false, false), Requested);
        assert_eq!(c("", true, true), Returned);
        assert_eq!(c("Marked", true, true), Accepted, "Virginia");
        assert_eq!(c("On Machine", true, true), Accepted, "Virginia");
        assert_eq!(c("Deleted", true, false), Cancelled, "Virginia");
        assert_eq!(c("APPLICATION DENIED", false, false), Cancelled);
    }

    #[test]
    fn ranks_order_by_settledness_and_round_trip() {
        for cat in BallotCategory::ALL {
            assert_eq!(BallotCategory::from_rank(cat.rank()), cat);
            assert_eq!(BallotCategory::from_code(cat.code()), Some(cat));
        }
        assert!(BallotCategory::Accepted.rank() > BallotCategory::Curable.rank());
        assert!(BallotCategory::Sent.rank() > BallotCategory::Requested.rank());
        assert!(BallotCategory::Accepted.voted() && !BallotCategory::Curable.voted());
    }

    #[test]
    fn methods_from_state_text() {
        assert_eq!(
            BallotMethod::from_state_text("ONE-STOP"),
            BallotMethod::EarlyInPerson
        );
        assert_eq!(BallotMethod::from_state_text("MAIL"), BallotMethod::Mail);
        assert_eq!(BallotMethod::from_code("mail"), BallotMethod::Mail);
    }
}
