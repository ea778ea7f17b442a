//! People linked to the voter file with the linkage engine (`votebase-link`): the
//! organization's volunteers against the latest snapshot's voters (names, address, ZIP,
//! phone, email), each candidate pair kept with its probability and an explanation
//! (every comparison's level and weight in bits). A person's best pair at or above the
//! acceptance threshold is `linked`; pairs between the review and acceptance thresholds
//! go to the review queue (`review`) for a person to confirm or reject.

use super::PeopleError;
use std::collections::HashMap;
use votebase_domain::VoterRecord;
use votebase_domain::people::{LinkStatus, PersonLink, Volunteer};
use votebase_link::{
    Dataset, LinkConfig, LinkError, NoProgress, PairContext, PairSink, PersonRecord, ScoredPair,
    infer_config,
};
use votebase_store::Store;

/// Pairs at or above this probability link a person to a voter.
pub const ACCEPT: f64 = 0.9;
/// Pairs at or above this (and below [`ACCEPT`]) go to the review queue.
pub const REVIEW: f64 = 0.5;
/// Review candidates kept per person.
const MAX_CANDIDATES: usize = 3;

/// What a linkage run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkageReport {
    /// People linked to a voter.
    pub linked: u64,
    /// People with candidates to review.
    pub review: u64,
    /// People with no candidate.
    pub unmatched: u64,
    /// Why linkage did not run, if it did not (no voter file, too few records).
    pub skipped: Option<String>,
}

fn voter_record(v: &VoterRecord) -> PersonRecord {
    let a = &v.address;
    let street = [
        a.pre_direction.as_str(),
        &a.street_name,
        &a.street_suffix,
        &a.post_direction,
    ]
    .iter()
    .filter(|p| !p.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" ");
    PersonRecord {
        record_id: v.state_voter_id.clone(),
        first_name: v.first_name.clone(),
        middle_name: v.middle_name.clone(),
        last_name: v.last_name.clone(),
        birth_year: v.birth_year.map(|y| y.to_string()).unwrap_or_default(),
        house_number: a.house_number.clone(),
        street,
        city: a.city.clone(),
        state: a.state.clone(),
        zip: a.zip5.clone(),
        phone: v.phone.e164.clone(),
        ..Default::default()
    }
}

fn person_record(v: &Volunteer) -> PersonRecord {
    PersonRecord {
        record_id: v.person.external_id.clone(),
        first_name: v.person.first_name.clone(),
        last_name: v.person.last_name.clone(),
        street: v.person.address.clone(),
        zip: v.person.zip.clone(),
        phone: v.person.phones.first().cloned().unwrap_or_default(),
        email: v.person.emails.first().cloned().unwrap_or_default(),
        ..Default::default()
    }
}

/// Keeps every pair with an explanation in words.
#[derive(Default)]
pub(crate) struct Explained(pub(crate) Vec<(u32, u32, f64, String)>);

impl PairSink for Explained {
    fn pair(&mut self, p: &ScoredPair, ctx: &PairContext<'_>) -> Result<(), LinkError> {
        let mut parts = Vec::new();
        if let Some(rule) = p.rule {
            parts.push(format!("rule {rule}"));
        }
        for (k, c) in ctx.model.comparisons.iter().enumerate() {
            let level = p.levels[k];
            if level == 0 {
                continue;
            }
            parts.push(format!(
                "{}: {} ({:+.1} bits)",
                c.name(),
                c.levels()[level as usize - 1],
                p.contributions[k]
            ));
        }
        self.0.push((p.a, p.b, p.probability, parts.join("; ")));
        Ok(())
    }
}

/// Links every volunteer to the latest voter file and records the candidates.
pub async fn link_people(store: &dyn Store) -> Result<LinkageReport, PeopleError> {
    let volunteers = store.volunteers().await?;
    link_records(store, volunteers.iter().map(person_record).collect()).await
}

/// Links people (their record id is the person's external id) to the latest voter file
/// and records the candidates: a clear best pair at or above [`ACCEPT`] is `linked`, the
/// rest go to the review queue. Donors come through here as volunteers do.
pub async fn link_records(
    store: &dyn Store,
    records: Vec<PersonRecord>,
) -> Result<LinkageReport, PeopleError> {
    if store.latest_snapshot().await?.is_none() {
        return Ok(LinkageReport {
            skipped: Some("no voter file imported".into()),
            ..Default::default()
        });
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<VoterRecord>>(4);
    let mut voters = Dataset::new("voters");
    let reading = async {
        while let Some(batch) = rx.recv().await {
            for v in &batch {
                voters
                    .push(&voter_record(v))
                    .map_err(|e| PeopleError::Invalid(format!("voter record: {e}")))?;
            }
        }
        Ok::<(), PeopleError>(())
    };
    let (exported, read) = tokio::join!(store.export_voters(10_000, tx), reading);
    exported?;
    read?;
    let people = Dataset::from_records("people", records)
        .map_err(|e| PeopleError::Invalid(format!("person record: {e}")))?;
    let config = LinkConfig {
        threshold: REVIEW,
        ..infer_config(&[
            "id",
            "first_name",
            "last_name",
            "address",
            "zip",
            "phone",
            "email",
        ])
    };
    let ran = tokio::task::spawn_blocking(move || {
        let mut sink = Explained::default();
        votebase_link::link(&people, &voters, &config, &mut sink, &NoProgress)
            .map(|_| (sink, people, voters))
    })
    .await
    .map_err(|e| PeopleError::Invalid(format!("linkage task: {e}")))?;
    let (sink, people, voters) = match ran {
        Ok(x) => x,
        Err(e) => {
            return Ok(LinkageReport {
                skipped: Some(format!("linkage did not run: {e}")),
                ..Default::default()
            });
        }
    };
    let mut by_person: HashMap<u32, Vec<(f64, String, String)>> = HashMap::new();
    for (a, b, p, why) in sink.0 {
        by_person
            .entry(a)
            .or_default()
            .push((p, voters.record_id(b as usize).to_string(), why));
    }
    let mut report = LinkageReport::default();
    let mut links = Vec::new();
    for i in 0..people.len() {
        let person = people.record_id(i).to_string();
        let Some(mut candidates) = by_person.remove(&(i as u32)) else {
            report.unmatched += 1;
            continue;
        };
        candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
        let best = candidates[0].0;
        // A sure link needs a clear winner: a second candidate as likely goes to review.
        let clear = candidates.get(1).is_none_or(|second| second.0 < ACCEPT);
        if best >= ACCEPT && clear {
            report.linked += 1;
            let (probability, voter, why) = candidates.swap_remove(0);
            links.push(PersonLink {
                person,
                state_voter_id: voter,
                probability,
                explanation: why,
                status: LinkStatus::Linked,
            });
        } else {
            report.review += 1;
            for (probability, voter, why) in candidates.into_iter().take(MAX_CANDIDATES) {
                links.push(PersonLink {
                    person: person.clone(),
                    state_voter_id: voter,
                    probability,
                    explanation: why,
                    status: LinkStatus::Review,
                });
            }
        }
    }
    store.record_person_links(&links).await?;
    Ok(report)
}
