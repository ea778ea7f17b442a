//! The storage contract for results of past elections imported from OpenElections CSV and
//! Clarity XML, by precinct, with the published county totals they were checked against.
//!
//! A file is imported whole or not at all, keyed by the SHA-256 of its bytes: importing
//! the same file again changes nothing. Reads answer the question election-night
//! validation asks: "what did this precinct do for this office before?"
//! ([`PastResultsStore::precinct_history`]), so a number far from history can be flagged.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::StoreResult;

/// The file being imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPastResultsFile {
    /// File name, for display.
    pub source_file: String,
    /// SHA-256 of the file's bytes (hex): the idempotency key.
    pub file_sha256: String,
    /// `openelections` or `clarity`.
    pub format: String,
    /// Election day.
    pub election_date: NaiveDate,
    /// The election's name when the file gives one (Clarity's `ElectionName`), else empty.
    pub election_name: String,
}

/// One result row: votes of one choice in one precinct (or, for county-level files, one
/// county with an empty precinct) for one office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastResultRow {
    /// Line in the source file (1-based; for XML the line of the element).
    pub line: u64,
    /// County as written in the file.
    pub county: String,
    /// Precinct as written in the file; empty for county-level rows.
    pub precinct: String,
    /// Office (e.g. `President`, or a pseudo-office such as `Ballots Cast`).
    pub office: String,
    /// District, empty when statewide.
    pub district: String,
    /// Party as written (`DEM`, `Democrat`, empty).
    pub party: String,
    /// Candidate or choice (including pseudo-candidates such as `Over Votes`).
    pub candidate: String,
    /// Total votes.
    pub votes: i64,
    /// Votes by vote type where the file has them (`election_day`, `mail`, …), in file order.
    pub vote_types: Vec<(String, i64)>,
}

/// A published total the precinct rows were checked against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedTotal {
    /// County (empty for a state-wide total).
    pub county: String,
    /// Office.
    pub office: String,
    /// District.
    pub district: String,
    /// Candidate or choice.
    pub candidate: String,
    /// Vote type (`total` for the grand total).
    pub vote_type: String,
    /// Published votes.
    pub published: i64,
    /// Sum of the file's precinct rows.
    pub precinct_sum: i64,
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastImportOutcome {
    /// True when this very file (same SHA-256) was imported before: nothing changed.
    pub already_imported: bool,
    /// The file's id.
    pub file_id: i64,
    /// Result rows stored by this import (0 when already imported).
    pub rows: i64,
}

/// An imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastResultsFile {
    /// Id.
    pub id: i64,
    /// File name.
    pub source_file: String,
    /// SHA-256.
    pub file_sha256: String,
    /// `openelections` or `clarity`.
    pub format: String,
    /// Election day.
    pub election_date: NaiveDate,
    /// Election name, if the file had one.
    pub election_name: String,
    /// Result rows.
    pub rows: i64,
    /// Published totals checked.
    pub totals_checked: i64,
    /// Of them, not equal to the precinct sum.
    pub mismatches: i64,
    /// When it was imported.
    pub imported_at: DateTime<Utc>,
}

/// One choice in a precinct's past contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastChoice {
    /// Party as written.
    pub party: String,
    /// Candidate or choice as written.
    pub candidate: String,
    /// Votes.
    pub votes: i64,
}

/// One past contest of one precinct for one office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastContest {
    /// Election day.
    pub election_date: NaiveDate,
    /// Election name, if known.
    pub election_name: String,
    /// File it came from.
    pub source_file: String,
    /// County as written.
    pub county: String,
    /// Precinct as written.
    pub precinct: String,
    /// Office as written.
    pub office: String,
    /// District.
    pub district: String,
    /// Votes for real choices: candidates, write-ins, yes/no; not over- or under-votes
    /// (see [`is_tally_choice`]).
    pub total_votes: i64,
    /// Every choice, pseudo-candidates included, in file order.
    pub choices: Vec<PastChoice>,
}

/// False for the pseudo-candidates that are not votes for anyone: over-votes,
/// under-votes, blank ballots and OpenElections' `Not Assigned`.
pub fn is_tally_choice(candidate: &str) -> bool {
    let k = match_key(candidate);
    !matches!(
        k.as_str(),
        "OVER VOTES"
            | "OVERVOTES"
            | "UNDER VOTES"
            | "UNDERVOTES"
            | "NOT ASSIGNED"
            | "BLANK"
            | "BLANKS"
            | "BALLOTS CAST BLANK"
    )
}

/// The key names are compared by: upper case, punctuation other than `-`, `&` and `/`
/// dropped, runs of spaces made one. `"Richard L. Weiss"` and `"RICHARD L WEISS"` have the
/// same key. Stored alongside county, precinct and office so history lookups match the
/// same place written two ways.
pub fn match_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_alphanumeric() || matches!(c, '-' | '&' | '/') {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_uppercase());
        } else if c.is_whitespace() || matches!(c, ',' | '_') {
            space = true;
        }
    }
    out
}

/// A stored row read back for history: the fields [`group_history`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// Election day.
    pub election_date: NaiveDate,
    /// Election name.
    pub election_name: String,
    /// File.
    pub source_file: String,
    /// The row.
    pub row: PastResultRow,
}

/// Groups rows (ordered by election, file, line) into one [`PastContest`] per election,
/// file, precinct, office and district. Both backends read the rows and call this.
pub fn group_history(rows: Vec<HistoryRow>) -> Vec<PastContest> {
    let mut out: Vec<PastContest> = Vec::new();
    for h in rows {
        let r = h.row;
        let same = out.last().is_some_and(|c| {
            c.election_date == h.election_date
                && c.source_file == h.source_file
                && c.precinct == r.precinct
                && c.county == r.county
                && c.office == r.office
                && c.district == r.district
        });
        if !same {
            out.push(PastContest {
                election_date: h.election_date,
                election_name: h.election_name,
                source_file: h.source_file,
                county: r.county.clone(),
                precinct: r.precinct.clone(),
                office: r.office.clone(),
                district: r.district.clone(),
                total_votes: 0,
                choices: Vec::new(),
            });
        }
        let c = out.last_mut().expect("pushed above");
        if is_tally_choice(&r.candidate) {
            c.total_votes += r.votes;
        }
        c.choices.push(PastChoice {
            party: r.party,
            candidate: r.candidate,
            votes: r.votes,
        });
    }
    out
}

/// Encodes vote types as stored (`name=votes;name=votes`).
pub fn encode_vote_types(types: &[(String, i64)]) -> String {
    types
        .iter()
        .map(|(n, v)| format!("{}={v}", n.replace(['=', ';'], " ")))
        .collect::<Vec<_>>()
        .join(";")
}

/// Decodes [`encode_vote_types`]; unreadable parts are skipped.
pub fn decode_vote_types(s: &str) -> Vec<(String, i64)> {
    s.split(';')
        .filter_map(|p| {
            let (n, v) = p.split_once('=')?;
            Some((n.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// Storage of results of past elections imported from OpenElections CSV and Clarity XML,
/// by precinct, with the published county totals they were checked against. Part of
/// [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait PastResultsStore: Send + Sync {
    /// Stores a whole file (its rows and the published totals it was checked against) in
    /// one transaction, or nothing. A file whose SHA-256 is already stored changes
    /// nothing and comes back with `already_imported`.
    async fn import_past_results(
        &self,
        file: NewPastResultsFile,
        rows: Vec<PastResultRow>,
        totals: Vec<PublishedTotal>,
    ) -> StoreResult<PastImportOutcome>;

    /// Every imported file, newest election first.
    async fn past_results_files(&self) -> StoreResult<Vec<PastResultsFile>>;

    /// The published totals stored with a file, in the order they were checked.
    async fn past_results_totals(&self, file_id: i64) -> StoreResult<Vec<PublishedTotal>>;

    /// The history of one precinct for one office: every past contest of that precinct
    /// (county, precinct and office compared by [`match_key`], so `"1-Bellefonte North"`
    /// finds `"1-BELLEFONTE NORTH"`), newest election first, each with its choices and
    /// its total of real votes. Election-night validation compares a submitted total with
    /// these (e.g. flag when it is more than twice or less than half the largest recent
    /// `total_votes`); an empty answer means no history, nothing to compare.
    async fn precinct_history(
        &self,
        county: &str,
        precinct: &str,
        office: &str,
    ) -> StoreResult<Vec<PastContest>>;
}
