//! Donors and donations as use cases: importing a contribution file (ActBlue, FEC or a
//! TOML mapping, recognised from its first line when not named) all or nothing with a
//! rejects file, idempotent by receipt id; resolving each contribution's donor to a
//! person with the linkage engine ([`resolve`]) and the new donors to the voter file
//! (the people feature's linkage and review queue); the committee's compliance rules;
//! the flags to act on and the itemized Schedule A report of a cycle; donor call lists
//! ([`calls`]); the review queue of uncertain donor pairs; a person's gifts for the
//! timeline.

pub mod calls;
pub mod overview;
pub mod resolve;
pub mod universe;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use votebase_domain::donations::{
    ComplianceRules, Contribution, ContributionKind, DonationFlag, RuleBook, ScheduleARow,
};
use votebase_ingest::IngestError;
use votebase_ingest::donations::{DonationMapping, detect_layout, read_donations_file};
use votebase_store::donations::{DonationImport, DonationImportOutcome, DonorReview};
use votebase_store::{Store, StoreError};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum DonationError {
    /// The user's input is wrong (file, arguments): the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// What was named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Reading the file or its mapping failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The storage layer failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The people feature's linkage failed.
    #[error(transparent)]
    People(#[from] crate::people::PeopleError),
    /// The universe index refused a donation family.
    #[error("building the universe index: {0}")]
    Index(#[from] votebase_index::IndexError),
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// The mapping used (`actblue`, `fec`, or the mapping file's name).
    pub layout: String,
    /// Data rows read.
    pub rows: u64,
    /// Records made from them (gifts, refunds, chargebacks).
    pub records: u64,
    /// Refund records among them.
    pub refunds: u64,
    /// Chargeback records among them.
    pub chargebacks: u64,
    /// What the store did.
    pub outcome: DonationImportOutcome,
    /// New donor spellings that joined a person already known.
    pub joined_known: u64,
    /// New donor spellings merged with another into one new person.
    pub merged_new: u64,
    /// Uncertain donor pairs found (queued for review unless already queued or decided).
    pub review_pairs: u64,
    /// Why donor linkage did not run, if it did not.
    pub donor_linkage_skipped: Option<String>,
    /// The new donors' links to the voter file.
    pub voter_linkage: Option<crate::people::linkage::LinkageReport>,
    /// Where rejects went.
    pub rejects_path: PathBuf,
}

/// The mapping a file is read with: `layout` (a built-in name or a `.toml` path), else the
/// one its first line shows.
pub fn mapping_for(path: &Path, layout: Option<&str>) -> Result<DonationMapping, DonationError> {
    let name = match layout {
        Some(l) => l.to_string(),
        None => detect_layout(path)?
            .ok_or_else(|| {
                DonationError::Invalid(format!(
                    "{}: not an ActBlue export (no Receipt ID / Donor Last Name header) nor an FEC itcont file (21 |-separated fields); name the layout with --layout actblue|fec|MAPPING.toml",
                    path.display()
                ))
            })?
            .to_string(),
    };
    Ok(DonationMapping::load(&name)?)
}

/// Imports one contribution file, all or nothing: any rejected row writes nothing.
pub async fn import_file(
    store: &dyn Store,
    path: &Path,
    layout: Option<&str>,
    rejects: Option<PathBuf>,
    progress: Arc<dyn votebase_ingest::Progress>,
) -> Result<ImportReport, DonationError> {
    let mapping = mapping_for(path, layout)?;
    let file = path.to_path_buf();
    let reading_mapping = mapping.clone();
    let read = tokio::task::spawn_blocking(move || {
        read_donations_file(&file, &reading_mapping, rejects, progress.as_ref())
    })
    .await
    .map_err(|e| DonationError::Invalid(format!("reader thread: {e}")))??;
    if read.rejected > 0 {
        return Err(DonationError::Invalid(format!(
            "{}: {} row(s) refused, nothing imported; see {} (line, column, reason)",
            path.display(),
            read.rejected,
            read.rejects_path.display()
        )));
    }
    let contributions: Vec<_> = read.records.into_iter().map(|(_, c)| c).collect();
    let known = store.donor_identities().await?;
    let known_keys: std::collections::HashSet<&str> =
        known.iter().map(|i| i.key.as_str()).collect();
    let mut new = BTreeMap::new();
    for c in &contributions {
        let key = c.donor.identity_key();
        if !known_keys.contains(key.as_str()) {
            new.entry(key).or_insert_with(|| {
                let mut d = c.donor.clone();
                d.employer.clear();
                d.occupation.clear();
                d
            });
        }
    }
    let resolution = tokio::task::spawn_blocking(move || resolve::resolve(&known, new))
        .await
        .map_err(|e| DonationError::Invalid(format!("donor linkage task: {e}")))?;
    let mut report = ImportReport {
        layout: mapping.name.clone(),
        rows: read.rows,
        records: contributions.len() as u64,
        refunds: count(&contributions, ContributionKind::Refund),
        chargebacks: count(&contributions, ContributionKind::Chargeback),
        joined_known: resolution.joined_known,
        merged_new: resolution.merged_new,
        review_pairs: resolution.reviews.len() as u64,
        donor_linkage_skipped: resolution.skipped,
        rejects_path: read.rejects_path,
        ..Default::default()
    };
    let new_people: Vec<votebase_link::PersonRecord> = resolution
        .donors
        .iter()
        .map(|d| votebase_link::PersonRecord {
            record_id: d.external_id.clone(),
            first_name: d.details.first_name.clone(),
            last_name: d.details.last_name.clone(),
            street: d.details.address.clone(),
            zip: d.details.zip.clone(),
            phone: d.details.phone.clone(),
            email: d.details.email.clone(),
            ..Default::default()
        })
        .collect();
    report.outcome = store
        .import_donations(&DonationImport {
            donors: resolution.donors,
            identities: resolution.identities,
            contributions,
            reviews: resolution.reviews,
        })
        .await?;
    if !new_people.is_empty() {
        report.voter_linkage = Some(crate::people::linkage::link_records(store, new_people).await?);
    }
    Ok(report)
}

fn count(list: &[votebase_domain::donations::NewContribution], kind: ContributionKind) -> u64 {
    list.iter().filter(|c| c.kind == kind).count() as u64
}

/// The review queue of uncertain donor pairs (only the pending ones when asked).
pub async fn reviews(
    store: &dyn Store,
    pending_only: bool,
) -> Result<Vec<DonorReview>, DonationError> {
    Ok(store.donor_reviews(pending_only).await?)
}

/// Decides a queued pair: `accept` merges the incoming donor into the person it resembles
/// (their gifts then count together), otherwise they stay two people. A review decided
/// already, or unknown, is a mistake of the caller's.
pub async fn decide_review(
    store: &dyn Store,
    id: i64,
    accept: bool,
    decided_by: &str,
) -> Result<DonorReview, DonationError> {
    match store.decide_donor_review(id, accept, decided_by).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err(DonationError::NotFound(format!("no donor review {id}"))),
        Err(StoreError::Refused(why)) => Err(DonationError::Invalid(why)),
        Err(e) => Err(e.into()),
    }
}

/// The rules book: the organization's rules over the federal defaults.
pub async fn rule_book(store: &dyn Store) -> Result<RuleBook, DonationError> {
    Ok(RuleBook::new(store.donation_rules().await?))
}

/// The organization's own rules, by committee then cycle.
pub async fn rules(store: &dyn Store) -> Result<Vec<ComplianceRules>, DonationError> {
    Ok(store.donation_rules().await?)
}

/// Sets a committee's (or, with `*`, every committee's) rules for a cycle.
pub async fn set_rules(store: &dyn Store, rules: &ComplianceRules) -> Result<(), DonationError> {
    if rules.committee_id.trim().is_empty() {
        return Err(DonationError::Invalid(
            "name the committee (its FEC id) or * for every committee".into(),
        ));
    }
    if rules.cycle % 2 != 0 || !(2000..=2100).contains(&rules.cycle) {
        return Err(DonationError::Invalid(format!(
            "cycle {} is not an even year (a cycle is named by its election year, e.g. 2026)",
            rules.cycle
        )));
    }
    if rules.per_election_limit_cents <= 0 || rules.itemize_over_cents < 0 {
        return Err(DonationError::Invalid(
            "the limit must be positive and the itemization threshold not negative".into(),
        ));
    }
    Ok(store.put_donation_rules(rules).await?)
}

/// Everything to act on in a cycle (every cycle when `None`).
pub async fn flags(
    store: &dyn Store,
    cycle: Option<i32>,
) -> Result<Vec<DonationFlag>, DonationError> {
    let book = rule_book(store).await?;
    let contributions = store.contributions(cycle).await?;
    tokio::task::spawn_blocking(move || {
        votebase_domain::donations::flags(&contributions, &book, cycle)
    })
    .await
    .map_err(|e| DonationError::Invalid(format!("flags task: {e}")))
}

/// The itemized contributions of a cycle (FEC Schedule A fields and the aggregate).
pub async fn schedule_a(store: &dyn Store, cycle: i32) -> Result<Vec<ScheduleARow>, DonationError> {
    let book = rule_book(store).await?;
    let contributions = store.contributions(Some(cycle)).await?;
    Ok(votebase_domain::donations::schedule_a(
        &contributions,
        &book,
        cycle,
    ))
}

/// Per-election aggregates of every contribution and the over-limit flags (what `votebase
/// bench donations` checks against plain SQL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ElectionAggregates {
    /// (person, committee, election) groups.
    pub groups: u64,
    /// Their net total, in cents.
    pub net_cents: i64,
    /// Groups over the limit (`over_limit` flags).
    pub over_limit: u64,
    /// Flags of every kind.
    pub flags: u64,
}

/// Aggregates every stored contribution per person, committee and election, net of
/// refunds, and computes the flags.
pub async fn election_aggregates(store: &dyn Store) -> Result<ElectionAggregates, DonationError> {
    let book = rule_book(store).await?;
    let contributions = store.contributions(None).await?;
    tokio::task::spawn_blocking(move || {
        let totals = votebase_domain::donations::election_totals(&contributions);
        let flags = votebase_domain::donations::flags(&contributions, &book, None);
        ElectionAggregates {
            groups: totals.len() as u64,
            net_cents: totals.values().sum(),
            over_limit: flags
                .iter()
                .filter(|f| f.kind == votebase_domain::donations::FlagKind::OverLimit)
                .count() as u64,
            flags: flags.len() as u64,
        }
    })
    .await
    .map_err(|e| DonationError::Invalid(format!("aggregation task: {e}")))
}

/// Totals of a cycle (every cycle when `None`): counted records, net amount, donors.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DonationTotals {
    /// Gifts counted (memo entries left out).
    pub gifts: u64,
    /// Refunds and chargebacks counted.
    pub refunds: u64,
    /// Gross of gifts, in cents.
    pub gross_cents: i64,
    /// Net of refunds and chargebacks, in cents.
    pub net_cents: i64,
    /// People who gave.
    pub donors: u64,
}

/// The totals of a list of contributions.
pub fn totals(contributions: &[Contribution]) -> DonationTotals {
    let mut t = DonationTotals::default();
    let mut donors = std::collections::HashSet::new();
    for c in contributions.iter().filter(|c| c.contribution.counts()) {
        let x = &c.contribution;
        if x.kind == ContributionKind::Gift {
            t.gifts += 1;
            t.gross_cents += x.amount_cents;
            donors.insert(c.person.as_str());
        } else {
            t.refunds += 1;
        }
        t.net_cents += x.amount_cents;
    }
    t.donors = donors.len() as u64;
    t
}

/// A cycle's totals.
pub async fn cycle_totals(
    store: &dyn Store,
    cycle: Option<i32>,
) -> Result<DonationTotals, DonationError> {
    Ok(totals(&store.contributions(cycle).await?))
}

/// A person's contributions, newest first (the timeline's gifts).
pub async fn gifts_of(store: &dyn Store, person: &str) -> Result<Vec<Contribution>, DonationError> {
    Ok(store.contributions_of_person(person).await?)
}

/// The gifts, refunds and chargebacks of the donors linked to a voter (a `linked` or
/// reviewer-`confirmed` voter link), as timeline entries.
pub async fn timeline_entries(
    store: &dyn Store,
    state_voter_id: &str,
) -> Result<Vec<crate::voters::TimelineEntry>, StoreError> {
    let mut people = Vec::new();
    for status in [
        votebase_domain::people::LinkStatus::Linked,
        votebase_domain::people::LinkStatus::Confirmed,
    ] {
        people.extend(
            store
                .person_links(status)
                .await?
                .into_iter()
                .filter(|l| l.state_voter_id == state_voter_id)
                .map(|l| l.person),
        );
    }
    let mut out = Vec::new();
    for person in people {
        for c in store.contributions_of_person(&person).await? {
            let x = &c.contribution;
            let what = match x.kind {
                ContributionKind::Gift if x.recurring => "Recurring gift",
                ContributionKind::Gift => "Gift",
                ContributionKind::Refund => "Refund",
                ContributionKind::Chargeback => "Chargeback",
            };
            out.push(crate::voters::TimelineEntry {
                at: x.received_on.and_hms_opt(0, 0, 0).expect("midnight exists"),
                day_only: true,
                kind: crate::voters::TimelineKind::Gift,
                summary: format!(
                    "{what} of ${} ({})",
                    votebase_domain::donations::format_cents(x.amount_cents),
                    x.election
                ),
                detail: format!(
                    "{} {} receipt {}{}",
                    x.source,
                    x.committee_id,
                    x.receipt_id,
                    if x.memo { ", memo entry" } else { "" }
                ),
            });
        }
    }
    Ok(out)
}
