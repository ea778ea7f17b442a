//! Contact history as a use case: [`add_contact_families`] feeds tags, latest survey
//! answers, contact attempts and scores into the universe index (what `contacted:`,
//! `reached:`, `tag:`, `survey:` and score filters select).

use chrono::NaiveDate;
use serde::Serialize;
use votebase_index::{FamilyKind, IndexBuilder, IndexError};
use votebase_store::contacts::ContactFact;
use votebase_store::{Store, StoreError};

/// What [`add_contact_families`] fed into the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactFamilyStats {
    /// Tags indexed (`tag:KEY`).
    pub tags: u64,
    /// Latest survey answers indexed (`survey:KEY=N`).
    pub answers: u64,
    /// Contact attempts indexed (`contacted:CHANNEL:30d`, `reached:CHANNEL:30d`).
    pub contacts: u64,
    /// Scores indexed (`NAME>=70`).
    pub scores: u64,
    /// Facts about voters not in the latest snapshot (skipped).
    pub unknown_voters: u64,
    /// Contact attempts dated after `today` (skipped: a clock or import error).
    pub future_contacts: u64,
}

/// Why the contact families could not be added.
#[derive(Debug, thiserror::Error)]
pub enum ContactFamiliesError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index refused a value (a score outside 0..=100, a family of another kind).
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Feeds tags (`tag:KEY`), each voter's latest survey answers (`survey:KEY=N`), contact
/// attempts by channel and day (`contacted:door:30d`; `reached:door:30d` for the ones
/// where a conversation took place; `any` for every channel) and scores (`support>=70`)
/// into `builder`, whose voters must already be added. Facts about voters the builder
/// does not hold (removed from the voter file) and contacts dated after `today` are
/// skipped and counted.
pub async fn add_contact_families(
    store: &dyn Store,
    builder: &mut IndexBuilder,
    today: NaiveDate,
) -> Result<ContactFamilyStats, ContactFamiliesError> {
    builder.register_family("reached", FamilyKind::Dated)?;
    let mut stats = ContactFamilyStats::default();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ContactFact>>(4);
    let export = store.export_contact_facts(20_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for fact in &batch {
                let fed = match fact {
                    ContactFact::Tag { voter, tag } => {
                        stats.tags += 1;
                        builder.add_tag(voter, tag)
                    }
                    ContactFact::Answer {
                        voter,
                        question,
                        value,
                    } => {
                        stats.answers += 1;
                        builder.add_survey_answer(voter, question, *value)
                    }
                    ContactFact::Contact {
                        voter,
                        channel,
                        date,
                        reached,
                    } => {
                        if *date > today {
                            stats.future_contacts += 1;
                            continue;
                        }
                        stats.contacts += 1;
                        let r = builder.add_contact(voter, channel.code(), *date);
                        if r.is_ok() && *reached {
                            builder.add_dated("reached", voter, channel.code(), *date)
                        } else {
                            r
                        }
                    }
                    ContactFact::Score { voter, name, value } => {
                        stats.scores += 1;
                        builder.add_score(voter, name, *value)
                    }
                };
                match fed {
                    Ok(()) => {}
                    Err(IndexError::UnknownVoter { .. }) => stats.unknown_voters += 1,
                    Err(e) => return Err(ContactFamiliesError::Index(e)),
                }
            }
        }
        Ok(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    // Counted facts include the skipped ones; keep the per-kind counts as "indexed".
    Ok(stats)
}

