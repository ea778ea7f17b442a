//! The reconciliation report for results staff: per precinct and contest the chair's,
//! the hotline's and a third check's latest entries in words, the worksheet photos, the
//! delegates by the rules and the status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use votebase_domain::results::{Channel, PrecinctResult, PrecinctStatus, ResultEntry};
use votebase_store::Store;

use super::{ResultsError, load_election};

/// One line of the reconciliation report.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReconciliationRow {
    /// Precinct id.
    pub precinct: String,
    /// County.
    pub county: String,
    /// Precinct name.
    pub precinct_name: String,
    /// Contest key.
    pub contest: String,
    /// Status.
    pub status: PrecinctStatus,
    /// Why.
    pub status_message: String,
    /// The chair's latest entry, in words (empty: none).
    pub chair_entry: String,
    /// The hotline's latest entry, in words.
    pub hotline_entry: String,
    /// A third check's latest entry, in words.
    pub check_entry: String,
    /// Worksheet photos attached (ids).
    pub worksheets: Vec<i64>,
    /// Delegates by the rules of the published entry.
    pub computed_delegates: String,
    /// Versions received.
    pub versions: usize,
}

/// The candidates who won delegates, in words: `Sanders 2 (0.1234 SDE), Warren 1 (…)`.
pub fn delegates_in_words(delegates: &[votebase_domain::results::CandidateDelegates]) -> String {
    delegates
        .iter()
        .filter(|d| d.delegates > 0)
        .map(|d| format!("{} {} ({:.4} SDE)", d.candidate, d.delegates, d.sde))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Describes an entry in one line: "v2 R12-AB01 accepted: attendees 34; Biden 7→7, …".
pub fn describe_entry(v: &votebase_domain::results::VersionSummary) -> String {
    let numbers = match &v.result {
        ResultEntry::Caucus(c) => {
            let groups: Vec<String> = c
                .groups
                .iter()
                .filter(|g| g.first > 0 || g.final_alignment > 0)
                .map(|g| format!("{} {}→{}", g.candidate, g.first, g.final_alignment))
                .collect();
            format!("attendees {}; {}", c.attendees, groups.join(", "))
        }
        ResultEntry::Votes(vs) => {
            let mut per: BTreeMap<&str, u32> = BTreeMap::new();
            for c in &vs.counts {
                *per.entry(&c.candidate).or_default() += c.votes;
            }
            let parts: Vec<String> = per.iter().map(|(n, v)| format!("{n} {v}")).collect();
            parts.join(", ")
        }
    };
    let status = match v.status {
        votebase_domain::results::EntryStatus::Accepted => "accepted",
        votebase_domain::results::EntryStatus::NeedsCorrection => "needs correction",
    };
    format!("v{} {} {status}: {numbers}", v.version, v.receipt_id)
}

/// Builds the reconciliation report: every precinct and contest.
pub async fn reconciliation_rows(
    store: &dyn Store,
    election: &str,
) -> Result<Vec<ReconciliationRow>, ResultsError> {
    let e = load_election(store, election).await?;
    let results = store.precinct_results(election).await?;
    let photos = store.worksheets(election, None).await?;
    let by_key: BTreeMap<(&str, &str), &PrecinctResult> = results
        .iter()
        .map(|r| ((r.precinct.as_str(), r.contest.as_str()), r))
        .collect();
    let mut rows = Vec::new();
    for p in &e.precincts {
        for c in &e.contests {
            let r = by_key.get(&(p.id.as_str(), c.key.as_str()));
            let latest = |ch: Channel| {
                r.and_then(|r| r.channel(ch).last())
                    .map(describe_entry)
                    .unwrap_or_default()
            };
            rows.push(ReconciliationRow {
                precinct: p.id.clone(),
                county: p.county.clone(),
                precinct_name: p.name.clone(),
                contest: c.key.clone(),
                status: r.map(|r| r.status).unwrap_or(PrecinctStatus::NotReported),
                status_message: r
                    .map(|r| r.status_message.clone())
                    .unwrap_or_else(|| "No result received yet.".into()),
                chair_entry: latest(Channel::Chair),
                hotline_entry: latest(Channel::Hotline),
                check_entry: latest(Channel::Check),
                worksheets: photos
                    .iter()
                    .filter(|w| w.precinct == p.id)
                    .map(|w| w.id)
                    .collect(),
                computed_delegates: r
                    .map(|r| delegates_in_words(&r.delegates))
                    .unwrap_or_default(),
                versions: r.map(|r| r.history.len()).unwrap_or(0),
            });
        }
    }
    Ok(rows)
}
