//! Donors and donations: a contribution as a processor export or an FEC file gives it
//! (receipt id, committee, election, date, amount in cents, the donor's name, address,
//! employer and occupation), refunds and chargebacks as records of their own (negative
//! amounts, never an edit of the gift), elections (`P2026`, `G2026`) and two-year
//! cycles, money parsed and printed exactly in cents, and the compliance rules of a
//! committee (per-election limit, itemization threshold) with the federal defaults of
//! each cycle. The compliance computations over stored contributions live in
//! [`compliance`]. Pure types and rules; the stores keep them.

pub mod calls;
pub mod compliance;
#[cfg(test)]
mod tests;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

pub use calls::{CALL_LIST_COLUMNS, CallListKind, CallListQuery, CallListRow, call_list};
pub use compliance::{DonationFlag, FlagKind, ScheduleARow, election_totals, flags, schedule_a};

/// What a contribution record is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionKind {
    /// Money received.
    Gift,
    /// Money given back to the donor (a negative amount).
    Refund,
    /// Money taken back by the card network (a negative amount).
    Chargeback,
}

impl ContributionKind {
    /// The stable code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            Self::Gift => "gift",
            Self::Refund => "refund",
            Self::Chargeback => "chargeback",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Gift, Self::Refund, Self::Chargeback]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Primary, general or another election (runoff, special, convention, recount).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionKind {
    /// The primary.
    Primary,
    /// The general election.
    General,
    /// A runoff, special election, convention or recount: its own election.
    Other,
}

impl ElectionKind {
    /// The stable code stored (`primary`, `general`, `other`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::General => "general",
            Self::Other => "other",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Primary, Self::General, Self::Other]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// The election a contribution is designated for: a kind and the cycle's year.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Election {
    /// Primary, general or other.
    pub kind: ElectionKind,
    /// The election year (the even year closing the cycle for federal elections).
    pub year: i32,
}

impl Election {
    /// `P2026`, `G2026`, `O2026` (the FEC's notation).
    pub fn code(&self) -> String {
        let k = match self.kind {
            ElectionKind::Primary => 'P',
            ElectionKind::General => 'G',
            ElectionKind::Other => 'O',
        };
        format!("{k}{}", self.year)
    }

    /// Reads an election designation: FEC codes (`P`, `G2026`, `R`, `S`, `C`, `E`, `O`)
    /// or words (`primary`, `2026 General`, `General Election`), with `received_on`'s
    /// cycle when no year is given. An empty text designates the primary (the next
    /// election in a cycle that has not had it). `None` when unreadable.
    pub fn parse(text: &str, received_on: NaiveDate) -> Option<Self> {
        let t = text.trim().to_ascii_lowercase();
        let year_in = |s: &str| -> Option<i32> {
            let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
            match digits.len() {
                0 => Some(cycle_of(received_on)),
                4 => digits.parse().ok(),
                _ => None,
            }
        };
        if t.is_empty() {
            return Some(Self {
                kind: ElectionKind::Primary,
                year: cycle_of(received_on),
            });
        }
        let kind = if t.contains("primary") || t.starts_with('p') {
            ElectionKind::Primary
        } else if t.contains("general") || t.starts_with('g') {
            ElectionKind::General
        } else if ["runoff", "special", "convention", "recount", "other"]
            .iter()
            .any(|w| t.contains(w))
            || matches!(t.as_bytes()[0], b'r' | b's' | b'c' | b'e' | b'o')
        {
            ElectionKind::Other
        } else {
            return None;
        };
        let rest: String = t
            .chars()
            .filter(|c| !c.is_ascii_alphabetic() && !c.is_whitespace())
            .collect();
        Some(Self {
            kind,
            year: year_in(&rest)?,
        })
    }
}

impl fmt::Display for Election {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// The two-year federal cycle a date falls in, named by its even year (2025-03-01 and
/// 2026-11-03 are both in cycle 2026).
pub fn cycle_of(date: NaiveDate) -> i32 {
    let y = date.year();
    if y % 2 == 0 { y } else { y + 1 }
}

/// Parses a money amount exactly into cents: `25`, `25.5`, `25.00`, `-2825`, `$1,000.00`.
/// More than two decimals, or no digit, is refused.
pub fn parse_cents(text: &str) -> Option<i64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '$' && *c != ' ')
        .collect();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 13
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let cents = whole * 100 + frac;
    Some(if negative { -cents } else { cents })
}

/// Cents as dollars with two decimals: `-2825.00`, `25.50`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// The donor as a contribution record names them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DonorDetails {
    /// Given name (and middle name or initial, as given).
    pub first_name: String,
    /// Family name, or an organization's name.
    pub last_name: String,
    /// Street address line(s).
    pub address: String,
    /// City.
    pub city: String,
    /// State or province as given (two letters for US addresses).
    pub state: String,
    /// ZIP (five digits when it normalises) or postcode.
    pub zip: String,
    /// Country as given (empty: the United States).
    pub country: String,
    /// Email, lowercased (may be empty).
    pub email: String,
    /// Phone as given or in E.164 (may be empty).
    pub phone: String,
    /// Employer as reported.
    pub employer: String,
    /// Occupation as reported.
    pub occupation: String,
}

impl DonorDetails {
    /// "First Last".
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }

    /// The key of this exact spelling of a donor (names, address, ZIP, email, phone;
    /// case-insensitive): every contribution with the same key is the same identity, and
    /// identities are what the linkage engine groups into people.
    pub fn identity_key(&self) -> String {
        let text = [
            &self.first_name,
            &self.last_name,
            &self.address,
            &self.city,
            &self.state,
            &self.zip,
            &self.country,
            &self.email,
            &self.phone,
        ]
        .iter()
        .map(|s| s.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}");
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
    }

    /// True when the address is outside the United States: a country other than the US,
    /// the FEC's foreign state code `ZZ`, or a state that is no US state, territory or
    /// military post office.
    pub fn foreign_address(&self) -> bool {
        let country = self.country.trim().to_ascii_uppercase();
        if !country.is_empty()
            && !matches!(
                country.as_str(),
                "US" | "USA" | "U.S." | "U.S.A." | "UNITED STATES" | "UNITED STATES OF AMERICA"
            )
        {
            return true;
        }
        let state = self.state.trim().to_ascii_uppercase();
        !state.is_empty() && !US_STATE_CODES.contains(&state.as_str())
    }

    /// True when employer and occupation are both reported ("information requested"
    /// is not an answer).
    pub fn has_employer_and_occupation(&self) -> bool {
        let answered = |s: &str| {
            let u = s.trim().to_ascii_uppercase();
            !u.is_empty()
                && !u.starts_with("INFORMATION REQUESTED")
                && !matches!(u.as_str(), "N/A" | "NA" | "REQUESTED" | "UNKNOWN")
        };
        answered(&self.employer) && answered(&self.occupation)
    }
}

/// US states, DC, territories and military post offices.
pub const US_STATE_CODES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP", "AA", "AE", "AP",
];

/// One contribution record as an import gives it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContribution {
    /// Where it comes from (`actblue`, `fec`, a mapping's source): with the receipt id,
    /// the key of idempotent re-imports.
    pub source: String,
    /// The source's id of this record (a refund has its own).
    pub receipt_id: String,
    /// Gift, refund or chargeback.
    pub kind: ContributionKind,
    /// For a refund or chargeback: the receipt id of the gift it takes back (may be empty).
    pub refers_to: String,
    /// The receiving committee's id (FEC `C########`, may be empty).
    pub committee_id: String,
    /// The election it counts toward.
    pub election: Election,
    /// When it was received (or refunded).
    pub received_on: NaiveDate,
    /// Amount in cents; negative for refunds and chargebacks.
    pub amount_cents: i64,
    /// Part of a recurring series.
    pub recurring: bool,
    /// A memo entry (FEC `MEMO_CD = X`): reported, never counted in totals.
    pub memo: bool,
    /// `IND` for an individual (limits apply), else the FEC entity type (`ORG`, `PAC`…).
    pub entity_type: String,
    /// Who gave.
    pub donor: DonorDetails,
}

impl NewContribution {
    /// True when the record counts toward aggregates and limits.
    pub fn counts(&self) -> bool {
        !self.memo
    }

    /// True when per-individual limits apply.
    pub fn individual(&self) -> bool {
        self.entity_type.is_empty() || self.entity_type.eq_ignore_ascii_case("IND")
    }

    /// The cycle it falls in (its election's year).
    pub fn cycle(&self) -> i32 {
        self.election.year
    }
}

/// A stored contribution with the person it resolved to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The person's external id (`donor:…`).
    pub person: String,
    /// The record.
    #[serde(flatten)]
    pub contribution: NewContribution,
}

/// The committee's compliance rules for one cycle.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceRules {
    /// The committee (`*`: every committee without rules of its own).
    pub committee_id: String,
    /// The cycle (its even year).
    pub cycle: i32,
    /// What one individual may give per election, in cents.
    pub per_election_limit_cents: i64,
    /// A donor's contributions are itemized once their cycle aggregate exceeds this.
    pub itemize_over_cents: i64,
}

/// The committee id standing for every committee.
pub const ANY_COMMITTEE: &str = "*";

impl ComplianceRules {
    /// The federal candidate-committee defaults of a cycle: the per-election limit on
    /// individuals as indexed by the FEC ($2,700 through 2018, $2,800 in 2020, $2,900 in
    /// 2022, $3,300 in 2024, $3,500 in 2026 and later until changed here), itemization
    /// over $200.
    pub fn federal_default(cycle: i32) -> Self {
        let dollars = match cycle {
            ..=2018 => 2_700,
            2019..=2020 => 2_800,
            2021..=2022 => 2_900,
            2023..=2024 => 3_300,
            _ => 3_500,
        };
        Self {
            committee_id: ANY_COMMITTEE.into(),
            cycle,
            per_election_limit_cents: dollars * 100,
            itemize_over_cents: 20_000,
        }
    }
}

/// The organization's rules with the federal defaults behind them.
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    rules: Vec<ComplianceRules>,
}

impl RuleBook {
    /// A book over the organization's stored rules.
    pub fn new(rules: Vec<ComplianceRules>) -> Self {
        Self { rules }
    }

    /// The rules of a committee in a cycle: its own, else the organization's rules for
    /// every committee, else the federal default.
    pub fn rules(&self, committee_id: &str, cycle: i32) -> ComplianceRules {
        let find = |c: &str| {
            self.rules
                .iter()
                .find(|r| r.committee_id == c && r.cycle == cycle)
                .cloned()
        };
        find(committee_id)
            .or_else(|| find(ANY_COMMITTEE))
            .unwrap_or_else(|| ComplianceRules::federal_default(cycle))
    }
}
