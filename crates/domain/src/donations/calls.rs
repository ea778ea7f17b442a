//! Donor call lists for a finance team, per person (a donor under two spellings is one
//! line): `lapsed` donors (gave before a date, not since), `thank-you` (gave on or after
//! a date) and `call-time` (the donors with the largest capacity — largest single gift,
//! then largest total — who still have room under the limit). Each line carries what a
//! caller needs: the name, email and phone known, the address of the latest gift, the
//! latest gift's date and amount, the cycle's net total and the room left under the
//! per-election limit for the cycle's primary and general with the committee of the
//! latest gift. Pure functions of the contributions and the rules; memo entries are left
//! out, refunds and chargebacks count against totals and room.

use super::{Contribution, ContributionKind, Election, ElectionKind, RuleBook};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which call list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallListKind {
    /// Gave before `since`, not on or after it.
    Lapsed,
    /// Gave on or after `since`.
    ThankYou,
    /// Largest capacity first (largest gift, then total), with room left under the limit.
    CallTime,
}

impl CallListKind {
    /// Every list, in the order shown.
    pub const ALL: [Self; 3] = [Self::Lapsed, Self::ThankYou, Self::CallTime];

    /// The stable name (`lapsed`, `thank-you`, `call-time`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Lapsed => "lapsed",
            Self::ThankYou => "thank-you",
            Self::CallTime => "call-time",
        }
    }

    /// Parses a name.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// One donor on a call list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallListRow {
    /// The person's external id.
    pub person: String,
    /// Given name on the latest gift.
    pub first_name: String,
    /// Family name on the latest gift.
    pub last_name: String,
    /// The latest email known (may be empty).
    pub email: String,
    /// The latest phone known (may be empty).
    pub phone: String,
    /// Street of the latest gift.
    pub address: String,
    /// City of the latest gift.
    pub city: String,
    /// State of the latest gift.
    pub state: String,
    /// ZIP of the latest gift.
    pub zip: String,
    /// Date of the latest gift.
    pub last_gift_date: NaiveDate,
    /// Amount of the latest gift, in cents.
    pub last_gift_cents: i64,
    /// Gifts ever.
    pub gifts: u64,
    /// The largest single gift, in cents.
    pub max_gift_cents: i64,
    /// Net given in the list's cycle (all committees), in cents.
    pub cycle_total_cents: i64,
    /// Net given ever, in cents.
    pub total_cents: i64,
    /// The committee of the latest gift (the room is with it).
    pub committee_id: String,
    /// Room left under the limit for the cycle's primary, in cents (never negative).
    pub room_primary_cents: i64,
    /// Room left under the limit for the cycle's general, in cents (never negative).
    pub room_general_cents: i64,
}

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallListQuery {
    /// Which list.
    pub kind: CallListKind,
    /// The date splitting lapsed from current donors (lapsed, thank-you).
    pub since: NaiveDate,
    /// The cycle of the totals and the room.
    pub cycle: i32,
    /// At most this many lines (call-time); the other lists are whole.
    pub top: usize,
}

/// The call list `query` asks for, from every stored contribution. Lapsed: largest total
/// first; thank-you: latest gift first; call-time: largest gift, then total, first; ties
/// by name then person.
pub fn call_list(
    contribs: &[Contribution],
    book: &RuleBook,
    query: &CallListQuery,
) -> Vec<CallListRow> {
    let mut people: BTreeMap<&str, Vec<&Contribution>> = BTreeMap::new();
    for c in contribs.iter().filter(|c| c.contribution.counts()) {
        people.entry(c.person.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for (person, mut list) in people {
        list.sort_by(|a, b| {
            let (a, b) = (&a.contribution, &b.contribution);
            a.received_on
                .cmp(&b.received_on)
                .then_with(|| a.receipt_id.cmp(&b.receipt_id))
        });
        let gifts: Vec<&&Contribution> = list
            .iter()
            .filter(|c| c.contribution.kind == ContributionKind::Gift)
            .collect();
        let Some(latest) = gifts.last() else {
            continue;
        };
        let latest = &latest.contribution;
        let keep = match query.kind {
            CallListKind::Lapsed => latest.received_on < query.since,
            CallListKind::ThankYou => latest.received_on >= query.since,
            CallListKind::CallTime => true,
        };
        if !keep {
            continue;
        }
        let known = |field: fn(&super::DonorDetails) -> &str| {
            list.iter()
                .rev()
                .map(|c| field(&c.contribution.donor))
                .find(|v| !v.is_empty())
                .unwrap_or("")
                .to_string()
        };
        let limit = book
            .rules(&latest.committee_id, query.cycle)
            .per_election_limit_cents;
        let room = |kind: ElectionKind| {
            let election = Election {
                kind,
                year: query.cycle,
            };
            let given: i64 = list
                .iter()
                .map(|c| &c.contribution)
                .filter(|x| x.committee_id == latest.committee_id && x.election == election)
                .map(|x| x.amount_cents)
                .sum();
            (limit - given.max(0)).max(0)
        };
        let d = &latest.donor;
        let row = CallListRow {
            person: person.to_string(),
            first_name: d.first_name.clone(),
            last_name: d.last_name.clone(),
            email: known(|d| &d.email),
            phone: known(|d| &d.phone),
            address: d.address.clone(),
            city: d.city.clone(),
            state: d.state.clone(),
            zip: d.zip.clone(),
            last_gift_date: latest.received_on,
            last_gift_cents: latest.amount_cents,
            gifts: gifts.len() as u64,
            max_gift_cents: gifts
                .iter()
                .map(|c| c.contribution.amount_cents)
                .max()
                .unwrap_or(0),
            cycle_total_cents: list
                .iter()
                .filter(|c| c.contribution.cycle() == query.cycle)
                .map(|c| c.contribution.amount_cents)
                .sum(),
            total_cents: list.iter().map(|c| c.contribution.amount_cents).sum(),
            committee_id: latest.committee_id.clone(),
            room_primary_cents: room(ElectionKind::Primary),
            room_general_cents: room(ElectionKind::General),
        };
        if query.kind == CallListKind::CallTime
            && row.room_primary_cents == 0
            && row.room_general_cents == 0
        {
            continue;
        }
        out.push(row);
    }
    let by_name = |a: &CallListRow, b: &CallListRow| {
        a.last_name
            .cmp(&b.last_name)
            .then_with(|| a.first_name.cmp(&b.first_name))
            .then_with(|| a.person.cmp(&b.person))
    };
    match query.kind {
        CallListKind::Lapsed => out.sort_by(|a, b| {
            b.total_cents
                .cmp(&a.total_cents)
                .then_with(|| by_name(a, b))
        }),
        CallListKind::ThankYou => out.sort_by(|a, b| {
            b.last_gift_date
                .cmp(&a.last_gift_date)
                .then_with(|| by_name(a, b))
        }),
        CallListKind::CallTime => {
            out.sort_by(|a, b| {
                b.max_gift_cents
                    .cmp(&a.max_gift_cents)
                    .then_with(|| b.total_cents.cmp(&a.total_cents))
                    .then_with(|| by_name(a, b))
            });
            out.truncate(query.top);
        }
    }
    out
}

/// The CSV header of a call list (the order of [`CallListRow::csv_cells`]).
pub const CALL_LIST_COLUMNS: [&str; 18] = [
    "person",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "zip",
    "last_gift_date",
    "last_gift_amount",
    "gifts",
    "max_gift",
    "cycle_total",
    "total",
    "committee_id",
    "room_primary",
    "room_general",
];

impl CallListRow {
    /// The cells of one CSV line, amounts in dollars with two decimals.
    pub fn csv_cells(&self) -> [String; 18] {
        let money = super::format_cents;
        [
            self.person.clone(),
            self.first_name.clone(),
            self.last_name.clone(),
            self.email.clone(),
            self.phone.clone(),
            self.address.clone(),
            self.city.clone(),
            self.state.clone(),
            self.zip.clone(),
            self.last_gift_date.to_string(),
            money(self.last_gift_cents),
            self.gifts.to_string(),
            money(self.max_gift_cents),
            money(self.cycle_total_cents),
            money(self.total_cents),
            self.committee_id.clone(),
            money(self.room_primary_cents),
            money(self.room_general_cents),
        ]
    }
}
