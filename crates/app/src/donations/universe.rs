//! Donors in the universe index: each donor linked to a voter (a `linked` or reviewer-
//! `confirmed` voter link) gives that voter `donated:DATE..` (the dates of their gifts,
//! dated family `donated`, key `gift`), `donation_total>=N` and `max_gift>=N` (whole
//! dollars, net of refunds, memo entries left out; numeric family `donation`) and
//! `recurring:yes|no` (set family `recurring`). Donors who are not voters are not in the
//! index (it is an index of the voter file).

use super::DonationError;
use std::collections::HashMap;
use votebase_domain::donations::ContributionKind;
use votebase_domain::people::LinkStatus;
use votebase_index::{FamilyKind, IndexBuilder, IndexError};
use votebase_store::Store;

/// What [`add_donation_families`] fed into the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DonationFamilyStats {
    /// Voters with at least one gift.
    pub donors: u64,
    /// Gifts indexed.
    pub gifts: u64,
    /// Donor links to voters not in the latest snapshot (skipped).
    pub unknown_voters: u64,
}

#[derive(Default)]
struct Giving {
    net_cents: i64,
    max_gift_cents: i64,
    recurring: bool,
    dates: Vec<chrono::NaiveDate>,
}

/// Feeds the donation families of every donor who is a voter.
pub async fn add_donation_families(
    store: &dyn Store,
    builder: &mut IndexBuilder,
) -> Result<DonationFamilyStats, DonationError> {
    builder.register_family("donated", FamilyKind::Dated)?;
    builder.register_family("donation", FamilyKind::Numeric)?;
    builder.register_family("recurring", FamilyKind::Set)?;
    let mut voter_of: HashMap<String, String> = HashMap::new();
    for status in [LinkStatus::Linked, LinkStatus::Confirmed] {
        for l in store.person_links(status).await? {
            voter_of.insert(l.person, l.state_voter_id);
        }
    }
    let mut stats = DonationFamilyStats::default();
    if voter_of.is_empty() {
        return Ok(stats);
    }
    let mut by_voter: HashMap<String, Giving> = HashMap::new();
    for c in store.contributions(None).await? {
        let Some(voter) = voter_of.get(&c.person) else {
            continue;
        };
        let x = &c.contribution;
        if !x.counts() {
            continue;
        }
        let g = by_voter.entry(voter.clone()).or_default();
        g.net_cents += x.amount_cents;
        if x.kind == ContributionKind::Gift {
            g.max_gift_cents = g.max_gift_cents.max(x.amount_cents);
            g.recurring |= x.recurring;
            g.dates.push(x.received_on);
        }
    }
    let mut voters: Vec<_> = by_voter.into_iter().collect();
    voters.sort_by(|a, b| a.0.cmp(&b.0));
    for (voter, g) in voters {
        if g.dates.is_empty() {
            continue;
        }
        let mut fed = || -> Result<(), IndexError> {
            for d in &g.dates {
                builder.add_dated("donated", &voter, "gift", *d)?;
            }
            builder.add_numeric("donation", &voter, "donation_total", g.net_cents / 100)?;
            builder.add_numeric("donation", &voter, "max_gift", g.max_gift_cents / 100)?;
            builder.add_keyed("recurring", &voter, if g.recurring { "yes" } else { "no" })
        };
        match fed() {
            Ok(()) => {
                stats.donors += 1;
                stats.gifts += g.dates.len() as u64;
            }
            Err(IndexError::UnknownVoter { .. }) => stats.unknown_voters += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(stats)
}
