//! The public feed of an election: per contest the precincts reporting and the totals
//! per candidate (votes or final alignment, county delegates, SDEs), every precinct's
//! status, and the published rows with OpenElections columns, as a value (JSON) or as
//! CSV. Built from the election and its projection; nothing here reads the store.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use votebase_domain::results::{
    ContestKind, Election, PrecinctResult, PrecinctStatus, ResultEntry, VoteType,
};

/// One row of the OpenElections-style feed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedRow {
    /// County.
    pub county: String,
    /// Precinct name.
    pub precinct: String,
    /// Office.
    pub office: String,
    /// District.
    pub district: String,
    /// Party.
    pub party: String,
    /// Candidate.
    pub candidate: String,
    /// Votes (caucus: final alignment).
    pub votes: u32,
    /// Votes by type (votes contests).
    pub election_day: Option<u32>,
    /// Early in-person votes.
    pub early: Option<u32>,
    /// Absentee votes.
    pub absentee: Option<u32>,
    /// Provisional votes.
    pub provisional: Option<u32>,
    /// Caucus: first alignment.
    pub first_alignment: Option<u32>,
    /// Caucus: county delegates by the rules.
    pub county_delegates: Option<u32>,
    /// Caucus: state delegate equivalents.
    pub sde: Option<f64>,
}

impl FeedRow {
    /// CSV header (OpenElections columns first).
    pub const HEADER: [&'static str; 14] = [
        "county",
        "precinct",
        "office",
        "district",
        "party",
        "candidate",
        "votes",
        "election_day",
        "early",
        "absentee",
        "provisional",
        "first_alignment",
        "county_delegates",
        "sde",
    ];

    /// The row as CSV fields, in [`FeedRow::HEADER`] order.
    pub fn record(&self) -> Vec<String> {
        let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        vec![
            self.county.clone(),
            self.precinct.clone(),
            self.office.clone(),
            self.district.clone(),
            self.party.clone(),
            self.candidate.clone(),
            self.votes.to_string(),
            n(self.election_day),
            n(self.early),
            n(self.absentee),
            n(self.provisional),
            n(self.first_alignment),
            n(self.county_delegates),
            self.sde.map(|v| format!("{v:.4}")).unwrap_or_default(),
        ]
    }
}

/// Reporting progress of one contest.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContestProgress {
    /// Contest key.
    pub contest: String,
    /// Office.
    pub office: String,
    /// Precincts published.
    pub precincts_reporting: usize,
    /// Precincts in the roster.
    pub precincts_total: usize,
    /// Totals per candidate: votes (or final alignment), county delegates, SDEs.
    pub totals: Vec<CandidateTotal>,
}

/// A candidate's total over published precincts.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CandidateTotal {
    /// Candidate.
    pub candidate: String,
    /// Votes (caucus: final alignment).
    pub votes: u64,
    /// County delegates (caucus).
    pub county_delegates: u64,
    /// State delegate equivalents (caucus).
    pub sde: f64,
}

/// A precinct's public status.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrecinctLine {
    /// Precinct id.
    pub precinct: String,
    /// County.
    pub county: String,
    /// Name.
    pub precinct_name: String,
    /// Contest key.
    pub contest: String,
    /// Status code.
    pub status: PrecinctStatus,
    /// Versions received (more than one: corrected; see the precinct's history).
    pub versions: usize,
    /// True when the published numbers replace earlier ones.
    pub corrected: bool,
}

/// The public feed.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ElectionFeed {
    /// Slug.
    pub election: String,
    /// Name.
    pub name: String,
    /// Date.
    pub date: chrono::NaiveDate,
    /// When the feed was built.
    pub generated_at: chrono::DateTime<Utc>,
    /// Per contest: precincts reporting and totals.
    pub contests: Vec<ContestProgress>,
    /// Every precinct and contest with its status.
    pub precincts: Vec<PrecinctLine>,
    /// Published rows, OpenElections columns.
    pub rows: Vec<FeedRow>,
}

/// Builds the public feed from the election and its projection.
pub fn build_feed(e: &Election, results: &[PrecinctResult]) -> ElectionFeed {
    let by_key: BTreeMap<(&str, &str), &PrecinctResult> = results
        .iter()
        .map(|r| ((r.precinct.as_str(), r.contest.as_str()), r))
        .collect();
    let mut rows = Vec::new();
    let mut precincts = Vec::new();
    let mut contests = Vec::new();
    for c in &e.contests {
        let mut totals: Vec<CandidateTotal> = c
            .candidates
            .iter()
            .map(|n| CandidateTotal {
                candidate: n.clone(),
                votes: 0,
                county_delegates: 0,
                sde: 0.0,
            })
            .collect();
        let mut reporting = 0;
        for p in &e.precincts {
            let r = by_key.get(&(p.id.as_str(), c.key.as_str()));
            precincts.push(PrecinctLine {
                precinct: p.id.clone(),
                county: p.county.clone(),
                precinct_name: p.name.clone(),
                contest: c.key.clone(),
                status: r.map(|r| r.status).unwrap_or(PrecinctStatus::NotReported),
                versions: r.map(|r| r.history.len()).unwrap_or(0),
                corrected: r.is_some_and(|r| r.corrected()),
            });
            let Some(r) = r else { continue };
            let Some(published) = &r.published else {
                continue;
            };
            reporting += 1;
            let base = |candidate: &str| FeedRow {
                county: p.county.clone(),
                precinct: p.name.clone(),
                office: c.office.clone(),
                district: c.district.clone(),
                party: c.party.clone(),
                candidate: candidate.to_owned(),
                votes: 0,
                election_day: None,
                early: None,
                absentee: None,
                provisional: None,
                first_alignment: None,
                county_delegates: None,
                sde: None,
            };
            for (i, name) in c.candidates.iter().enumerate() {
                let mut row = base(name);
                match published {
                    ResultEntry::Caucus(entry) => {
                        let g = entry.groups.iter().find(|g| &g.candidate == name);
                        let d = r.delegates.iter().find(|d| &d.candidate == name);
                        row.votes = g.map(|g| g.final_alignment).unwrap_or(0);
                        row.first_alignment = Some(g.map(|g| g.first).unwrap_or(0));
                        row.county_delegates = Some(d.map(|d| d.delegates).unwrap_or(0));
                        row.sde = Some(d.map(|d| d.sde).unwrap_or(0.0));
                    }
                    ResultEntry::Votes(entry) => {
                        let of = |t: VoteType| {
                            entry
                                .counts
                                .iter()
                                .filter(|v| &v.candidate == name && v.vote_type == t)
                                .map(|v| v.votes)
                                .sum::<u32>()
                        };
                        row.election_day = Some(of(VoteType::ElectionDay));
                        row.early = Some(of(VoteType::Early));
                        row.absentee = Some(of(VoteType::Absentee));
                        row.provisional = Some(of(VoteType::Provisional));
                        row.votes = VoteType::ALL.into_iter().map(of).sum();
                    }
                }
                totals[i].votes += u64::from(row.votes);
                totals[i].county_delegates += u64::from(row.county_delegates.unwrap_or(0));
                totals[i].sde += row.sde.unwrap_or(0.0);
                rows.push(row);
            }
        }
        for t in &mut totals {
            t.sde = (t.sde * 10_000.0).round() / 10_000.0;
        }
        if c.kind == ContestKind::Caucus {
            totals.sort_by(|a, b| b.sde.total_cmp(&a.sde).then(b.votes.cmp(&a.votes)));
        } else {
            totals.sort_by_key(|t| std::cmp::Reverse(t.votes));
        }
        contests.push(ContestProgress {
            contest: c.key.clone(),
            office: c.office.clone(),
            precincts_reporting: reporting,
            precincts_total: e.precincts.len(),
            totals,
        });
    }
    ElectionFeed {
        election: e.slug.clone(),
        name: e.name.clone(),
        date: e.date,
        generated_at: Utc::now(),
        contests,
        precincts,
        rows,
    }
}

/// The published rows of a feed as CSV (header first, OpenElections columns).
pub fn feed_csv(feed: &ElectionFeed) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(FeedRow::HEADER)?;
    for r in &feed.rows {
        w.write_record(r.record())?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
