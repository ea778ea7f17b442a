//! The donations dashboard's data: a cycle's totals, net amounts by day and by source
//! (the processor or file the records came from), the top donors by net total (per
//! person, so a donor under two spellings is one line) and the flags to act on.

use super::{DonationError, DonationTotals, totals};
use std::collections::{BTreeMap, HashMap};
use votebase_domain::donations::{ContributionKind, DonationFlag, RuleBook};
use votebase_store::Store;

/// Net received on one day from one source.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DonationDay {
    /// The day.
    pub date: chrono::NaiveDate,
    /// Where the records came from (`actblue`, `fec`, a mapping's source).
    pub source: String,
    /// Net of refunds, in cents.
    pub net_cents: i64,
    /// Gifts that day.
    pub gifts: u64,
}

/// A donor by net total.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopDonor {
    /// The person's external id.
    pub person: String,
    /// The name on their latest gift.
    pub name: String,
    /// City and state of their latest gift.
    pub place: String,
    /// Net of refunds, in cents.
    pub net_cents: i64,
    /// Gifts.
    pub gifts: u64,
    /// Part of a recurring series.
    pub recurring: bool,
}

/// Everything the dashboard shows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DonationOverview {
    /// The cycle shown (None: every cycle).
    pub cycle: Option<i32>,
    /// Totals.
    pub totals: DonationTotals,
    /// Net by day and source, by date then source.
    pub by_day: Vec<DonationDay>,
    /// The top donors, largest net first.
    pub top_donors: Vec<TopDonor>,
    /// What needs action.
    pub flags: Vec<DonationFlag>,
}

/// The dashboard of a cycle (every cycle when `None`), with at most `top` donors.
pub async fn overview(
    store: &dyn Store,
    cycle: Option<i32>,
    top: usize,
) -> Result<DonationOverview, DonationError> {
    let book = RuleBook::new(store.donation_rules().await?);
    let contributions = store.contributions(cycle).await?;
    tokio::task::spawn_blocking(move || {
        let mut days: BTreeMap<(chrono::NaiveDate, String), (i64, u64)> = BTreeMap::new();
        let mut people: HashMap<&str, TopDonor> = HashMap::new();
        for c in contributions.iter().filter(|c| c.contribution.counts()) {
            let x = &c.contribution;
            let gift = x.kind == ContributionKind::Gift;
            let day = days.entry((x.received_on, x.source.clone())).or_default();
            day.0 += x.amount_cents;
            day.1 += u64::from(gift);
            let d = people.entry(&c.person).or_insert_with(|| TopDonor {
                person: c.person.clone(),
                name: String::new(),
                place: String::new(),
                net_cents: 0,
                gifts: 0,
                recurring: false,
            });
            d.net_cents += x.amount_cents;
            if gift {
                d.gifts += 1;
                d.recurring |= x.recurring;
                d.name = x.donor.display_name();
                d.place = [x.donor.city.as_str(), x.donor.state.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ");
            }
        }
        let mut top_donors: Vec<TopDonor> = people.into_values().collect();
        top_donors.sort_by(|a, b| {
            b.net_cents
                .cmp(&a.net_cents)
                .then_with(|| a.person.cmp(&b.person))
        });
        top_donors.truncate(top);
        DonationOverview {
            cycle,
            totals: totals(&contributions),
            by_day: days
                .into_iter()
                .map(|((date, source), (net_cents, gifts))| DonationDay {
                    date,
                    source,
                    net_cents,
                    gifts,
                })
                .collect(),
            top_donors,
            flags: votebase_domain::donations::flags(&contributions, &book, cycle),
        }
    })
    .await
    .map_err(|e| DonationError::Invalid(format!("overview task: {e}")))
}
