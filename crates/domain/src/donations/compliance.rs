//! Compliance over stored contributions, per person (never per row): aggregates per
//! donor per committee per election and per cycle, net of refunds and chargebacks, memo
//! entries left out; the flags a compliance officer acts on (over the per-election limit,
//! with the receipt that crossed it and the amount to refund or redesignate; itemizable
//! without employer and occupation; a foreign address; one email or phone under several
//! people) and the itemized contributions of FEC Schedule A with each one's
//! cycle-to-date aggregate. Pure functions of the contributions and the rules.

use super::{Contribution, RuleBook, format_cents};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What needs action.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// A donor's net total for one election is over the limit.
    OverLimit,
    /// An itemizable donor without employer and occupation ("best efforts").
    MissingEmployer,
    /// A donor with an address outside the United States.
    ForeignAddress,
    /// The same email or phone under people the linkage engine kept apart.
    PossibleDuplicateDonor,
}

impl FlagKind {
    /// The stable code printed and sent.
    pub fn code(self) -> &'static str {
        match self {
            Self::OverLimit => "over_limit",
            Self::MissingEmployer => "missing_employer",
            Self::ForeignAddress => "foreign_address",
            Self::PossibleDuplicateDonor => "possible_duplicate_donor",
        }
    }
}

/// One flag.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DonationFlag {
    /// What kind.
    pub kind: FlagKind,
    /// The person's external id.
    pub person: String,
    /// The donor's name on the receipt concerned.
    pub name: String,
    /// The donor's email (on the receipt, else the latest one known).
    pub email: String,
    /// The receipt concerned: for `over_limit`, the one that crossed the limit.
    pub receipt_id: String,
    /// The committee.
    pub committee_id: String,
    /// For `over_limit`: what to refund or redesignate, in cents.
    pub amount_cents: Option<i64>,
    /// Why, in words.
    pub detail: String,
}

/// One itemized contribution (FEC Schedule A fields and the aggregate).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleARow {
    /// Receiving committee.
    pub committee_id: String,
    /// Receipt id (the transaction id).
    pub receipt_id: String,
    /// Gift, refund or chargeback.
    pub kind: super::ContributionKind,
    /// Entity type (`IND`…).
    pub entity_type: String,
    /// The person's external id.
    pub person: String,
    /// Contributor's family name (or organization).
    pub last_name: String,
    /// Contributor's given name.
    pub first_name: String,
    /// Street.
    pub street: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP.
    pub zip: String,
    /// Employer.
    pub employer: String,
    /// Occupation.
    pub occupation: String,
    /// Date received.
    pub date: chrono::NaiveDate,
    /// Amount in cents.
    pub amount_cents: i64,
    /// The donor's cycle-to-date aggregate with this committee after it, in cents.
    pub aggregate_cents: i64,
    /// Election designation (`P2026`).
    pub election: String,
}

fn by_person(contribs: &[Contribution], cycle: Option<i32>) -> BTreeMap<&str, Vec<&Contribution>> {
    let mut out: BTreeMap<&str, Vec<&Contribution>> = BTreeMap::new();
    for c in contribs {
        if cycle.is_none_or(|y| c.contribution.cycle() == y) {
            out.entry(c.person.as_str()).or_default().push(c);
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| {
            let (a, b) = (&a.contribution, &b.contribution);
            a.received_on
                .cmp(&b.received_on)
                .then_with(|| a.receipt_id.cmp(&b.receipt_id))
        });
    }
    out
}

fn latest_email(list: &[&Contribution]) -> String {
    list.iter()
        .rev()
        .map(|c| c.contribution.donor.email.as_str())
        .find(|e| !e.is_empty())
        .unwrap_or("")
        .to_string()
}

fn flag(
    kind: FlagKind,
    c: &Contribution,
    list: &[&Contribution],
    amount_cents: Option<i64>,
    detail: String,
) -> DonationFlag {
    let d = &c.contribution.donor;
    DonationFlag {
        kind,
        person: c.person.clone(),
        name: d.display_name(),
        email: if d.email.is_empty() {
            latest_email(list)
        } else {
            d.email.clone()
        },
        receipt_id: c.contribution.receipt_id.clone(),
        committee_id: c.contribution.committee_id.clone(),
        amount_cents,
        detail,
    }
}

/// Everything that needs action in `cycle` (every cycle when `None`), ordered by kind,
/// then name, then receipt.
pub fn flags(contribs: &[Contribution], book: &RuleBook, cycle: Option<i32>) -> Vec<DonationFlag> {
    let people = by_person(contribs, cycle);
    let mut out = Vec::new();
    for list in people.values() {
        // Over the limit: per committee and election, net of refunds, in date order.
        let mut elections: BTreeMap<(&str, super::Election), Vec<&Contribution>> = BTreeMap::new();
        for c in list {
            let x = &c.contribution;
            if x.counts() && x.individual() {
                elections
                    .entry((x.committee_id.as_str(), x.election))
                    .or_default()
                    .push(c);
            }
        }
        for ((committee, election), records) in &elections {
            let limit = book
                .rules(committee, election.year)
                .per_election_limit_cents;
            let mut total = 0i64;
            let mut crossing: Option<&Contribution> = None;
            for c in records {
                let before = total;
                total += c.contribution.amount_cents;
                if before <= limit && total > limit {
                    crossing = Some(c);
                } else if total <= limit {
                    crossing = None;
                }
            }
            if total > limit
                && let Some(c) = crossing
            {
                out.push(flag(
                    FlagKind::OverLimit,
                    c,
                    list,
                    Some(total - limit),
                    format!(
                        "{election} total {} over the {} limit: refund or redesignate {}",
                        format_cents(total),
                        format_cents(limit),
                        format_cents(total - limit)
                    ),
                ));
            }
        }
        // Itemizable without employer and occupation: per committee and cycle.
        let mut cycles: BTreeMap<(&str, i32), Vec<&Contribution>> = BTreeMap::new();
        for c in list {
            let x = &c.contribution;
            if x.counts() && x.individual() {
                cycles
                    .entry((x.committee_id.as_str(), x.cycle()))
                    .or_default()
                    .push(c);
            }
        }
        for ((committee, year), records) in &cycles {
            let rules = book.rules(committee, *year);
            let total: i64 = records.iter().map(|c| c.contribution.amount_cents).sum();
            if total <= rules.itemize_over_cents {
                continue;
            }
            if records
                .iter()
                .any(|c| c.contribution.donor.has_employer_and_occupation())
            {
                continue;
            }
            if let Some(c) = records
                .iter()
                .rev()
                .find(|c| c.contribution.amount_cents > 0)
            {
                out.push(flag(
                    FlagKind::MissingEmployer,
                    c,
                    list,
                    None,
                    format!(
                        "cycle {year} aggregate {} is over {}: itemized without employer and occupation",
                        format_cents(total),
                        format_cents(rules.itemize_over_cents)
                    ),
                ));
            }
        }
        if let Some(c) = list.iter().find(|c| c.contribution.donor.foreign_address()) {
            let d = &c.contribution.donor;
            out.push(flag(
                FlagKind::ForeignAddress,
                c,
                list,
                None,
                format!(
                    "address outside the United States ({}{}{})",
                    d.state,
                    if d.state.is_empty() || d.country.is_empty() {
                        ""
                    } else {
                        ", "
                    },
                    d.country
                ),
            ));
        }
    }
    // One email or phone under several people.
    let mut shared: HashMap<(&str, String), BTreeSet<&str>> = HashMap::new();
    for (person, list) in &people {
        for c in list {
            let d = &c.contribution.donor;
            if !d.email.is_empty() {
                shared
                    .entry(("email", d.email.to_lowercase()))
                    .or_default()
                    .insert(person);
            }
            let digits: String = d.phone.chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() >= 10 {
                shared
                    .entry(("phone", digits[digits.len() - 10..].to_string()))
                    .or_default()
                    .insert(person);
            }
        }
    }
    let mut flagged: BTreeSet<(&str, &str, String)> = BTreeSet::new();
    let mut keys: Vec<_> = shared.iter().filter(|(_, p)| p.len() > 1).collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for ((what, value), persons) in keys {
        for person in persons {
            if !flagged.insert((person, what, value.clone())) {
                continue;
            }
            let list = &people[person];
            let holds = |c: &&&Contribution| {
                let d = &c.contribution.donor;
                if *what == "email" {
                    d.email.eq_ignore_ascii_case(value)
                } else {
                    d.phone
                        .chars()
                        .filter(|c| c.is_ascii_digit())
                        .collect::<String>()
                        .ends_with(value.as_str())
                }
            };
            let Some(c) = list.iter().rev().find(holds) else {
                continue;
            };
            let others: Vec<String> = persons
                .iter()
                .filter(|p| *p != person)
                .map(|p| {
                    let l = &people[p];
                    l.last()
                        .map(|c| c.contribution.donor.display_name())
                        .unwrap_or_default()
                })
                .collect();
            out.push(flag(
                FlagKind::PossibleDuplicateDonor,
                c,
                list,
                None,
                format!(
                    "same {what} as {} (kept apart by linkage: check before aggregating)",
                    others.join(", ")
                ),
            ));
        }
    }
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.receipt_id.cmp(&b.receipt_id))
    });
    out
}

/// The itemized contributions of a cycle: every counted record of each donor whose
/// aggregate with a committee in the cycle exceeds the itemization threshold, in date
/// order, each with the donor's cycle-to-date aggregate after it. Ordered by committee,
/// date, receipt.
pub fn schedule_a(contribs: &[Contribution], book: &RuleBook, cycle: i32) -> Vec<ScheduleARow> {
    let people = by_person(contribs, Some(cycle));
    let mut out = Vec::new();
    for list in people.values() {
        let mut committees: BTreeMap<&str, Vec<&Contribution>> = BTreeMap::new();
        for c in list {
            if c.contribution.counts() {
                committees
                    .entry(c.contribution.committee_id.as_str())
                    .or_default()
                    .push(c);
            }
        }
        for (committee, records) in committees {
            let rules = book.rules(committee, cycle);
            let total: i64 = records.iter().map(|c| c.contribution.amount_cents).sum();
            if total <= rules.itemize_over_cents {
                continue;
            }
            let mut aggregate = 0;
            for c in records {
                let x = &c.contribution;
                aggregate += x.amount_cents;
                out.push(ScheduleARow {
                    committee_id: x.committee_id.clone(),
                    receipt_id: x.receipt_id.clone(),
                    kind: x.kind,
                    entity_type: x.entity_type.clone(),
                    person: c.person.clone(),
                    last_name: x.donor.last_name.clone(),
                    first_name: x.donor.first_name.clone(),
                    street: x.donor.address.clone(),
                    city: x.donor.city.clone(),
                    state: x.donor.state.clone(),
                    zip: x.donor.zip.clone(),
                    employer: x.donor.employer.clone(),
                    occupation: x.donor.occupation.clone(),
                    date: x.received_on,
                    amount_cents: x.amount_cents,
                    aggregate_cents: aggregate,
                    election: x.election.code(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.committee_id
            .cmp(&b.committee_id)
            .then_with(|| a.date.cmp(&b.date))
            .then_with(|| a.receipt_id.cmp(&b.receipt_id))
    });
    out
}

/// Net totals per person, committee and election (memo entries left out, refunds and
/// chargebacks netted): the aggregates the limits apply to.
pub fn election_totals(contribs: &[Contribution]) -> HashMap<(&str, &str, super::Election), i64> {
    let mut out: HashMap<(&str, &str, super::Election), i64> = HashMap::new();
    for c in contribs.iter().filter(|c| c.contribution.counts()) {
        let x = &c.contribution;
        *out.entry((c.person.as_str(), x.committee_id.as_str(), x.election))
            .or_default() += x.amount_cents;
    }
    out
}
