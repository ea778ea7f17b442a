//! Results of past elections: parsers for OpenElections CSV ([`openelections`]) and
//! Clarity/Scytl ENR detail XML ([`clarity`]) into one row model
//! ([`PastResultRow`]), the roll-up check that precinct sums equal the published totals
//! ([`roll_up`]), and [`import_results_file`], which parses, checks and stores a file in
//! one all-or-nothing transaction keyed by its SHA-256.
//!
//! Published totals come from the file itself (a Clarity file carries each choice's
//! total and per-vote-type totals beside the precinct figures) or from a county-level
//! totals file given with `--totals` (an OpenElections county CSV, or a state-level Clarity
//! file whose breakdown is by county). Names are compared by
//! [`match_key`](votebase_store::past_results::match_key) (case and punctuation
//! ignored), and a published candidate with no exact match takes the one candidate of the
//! same contest whose name contains all its words (`G.T. THOMPSON` and
//! `GLENN GT THOMPSON`); each such pairing is listed.

pub mod clarity;
pub mod openelections;

use crate::IngestError;
use crate::input::{date_from_file_name, sha256_file};
use crate::rejects::{Reject, RejectWriter};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use votebase_store::past_results::{
    NewPastResultsFile, PastImportOutcome, PastResultRow, PublishedTotal, match_key,
};
use votebase_store::{Store, StoreError};

/// Why reading or importing a results file failed. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The CSV header lacks a column the format needs.
    #[error(
        "{file}: the header has no {missing} column (found: {found}).\nAn OpenElections file needs county, precinct (not for county files), office, candidate and votes (or vote-type columns); fix the header or pick the right --format."
    )]
    Header {
        /// The file.
        file: String,
        /// The missing column.
        missing: String,
        /// The columns found.
        found: String,
    },
    /// The XML is malformed or not a Clarity detail file.
    #[error("{file}:{line}: {message}")]
    Xml {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// What is wrong and what to do.
        message: String,
    },
    /// The election day is not in the file or its name.
    #[error("{file}: no election date in the file or its name; pass --election YYYY-MM-DD")]
    NoElectionDate {
        /// The file.
        file: String,
    },
    /// No usable result row.
    #[error("{file}: no result rows could be read{hint}")]
    Empty {
        /// The file.
        file: String,
        /// Where the rejects went, if any.
        hint: String,
    },
    /// A totals file with precinct rows.
    #[error(
        "{file}: a totals file must be county-level (no precinct column, or a state-level Clarity file); this one has precinct rows"
    )]
    TotalsNotCountyLevel {
        /// The file.
        file: String,
    },
    /// Reading a file failed.
    #[error(transparent)]
    Input(#[from] IngestError),
    /// The store failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The two supported formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultsFormat {
    /// OpenElections CSV.
    OpenElections,
    /// Clarity/Scytl ENR detail XML.
    Clarity,
}

impl ResultsFormat {
    /// The name stored and shown (`openelections`, `clarity`).
    pub fn code(self) -> &'static str {
        match self {
            Self::OpenElections => "openelections",
            Self::Clarity => "clarity",
        }
    }

    /// The format a totals file is in, by extension: `.xml` is Clarity, else OpenElections.
    pub fn of_path(path: &Path) -> Self {
        let xml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"));
        if xml {
            Self::Clarity
        } else {
            Self::OpenElections
        }
    }
}

/// A figure the file's publisher gives as a total: of one choice, in one county (empty
/// for a state-wide total), by vote type (`total` for all types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedFigure {
    /// County; empty for state-wide.
    pub county: String,
    /// Office.
    pub office: String,
    /// District.
    pub district: String,
    /// Candidate or choice.
    pub candidate: String,
    /// `total` or a vote type.
    pub vote_type: String,
    /// Votes.
    pub votes: i64,
}

/// One file, parsed.
#[derive(Debug, Clone, Default)]
pub struct ParsedResults {
    /// Result rows, in file order.
    pub rows: Vec<PastResultRow>,
    /// Totals the file itself publishes (Clarity), to check the rows against.
    pub published: Vec<PublishedFigure>,
    /// Rows refused (bad numbers, missing county or office), with line and reason.
    pub rejects: Vec<Reject>,
    /// The election day the file states.
    pub election_date: Option<NaiveDate>,
    /// The election name the file states.
    pub election_name: String,
    /// True when the rows are by county (no precinct).
    pub county_level: bool,
    /// Columns read as vote types (CSV) or vote-type names seen (XML).
    pub vote_types: Vec<String>,
    /// Columns not understood and ignored.
    pub ignored_columns: Vec<String>,
}

/// Parses a file in `format`.
pub fn parse(path: &Path, format: ResultsFormat) -> Result<ParsedResults, ResultsError> {
    match format {
        ResultsFormat::OpenElections => openelections::parse(path),
        ResultsFormat::Clarity => clarity::parse(path),
    }
}

/// The published figures a county-level totals file gives: every row (and, for Clarity,
/// every figure it publishes by county) as a county total.
pub fn totals_from_file(path: &Path) -> Result<Vec<PublishedFigure>, ResultsError> {
    let parsed = parse(path, ResultsFormat::of_path(path))?;
    if !parsed.county_level {
        return Err(ResultsError::TotalsNotCountyLevel {
            file: path.display().to_string(),
        });
    }
    let mut out = Vec::new();
    for r in parsed.rows {
        out.push(PublishedFigure {
            county: r.county.clone(),
            office: r.office.clone(),
            district: r.district.clone(),
            candidate: r.candidate.clone(),
            vote_type: "total".into(),
            votes: r.votes,
        });
        for (t, v) in r.vote_types {
            out.push(PublishedFigure {
                county: r.county.clone(),
                office: r.office.clone(),
                district: r.district.clone(),
                candidate: r.candidate.clone(),
                vote_type: t,
                votes: v,
            });
        }
    }
    Ok(out)
}

/// A published candidate name matched to another spelling in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameVariant {
    /// County.
    pub county: String,
    /// Office.
    pub office: String,
    /// District.
    pub district: String,
    /// As published.
    pub published: String,
    /// As in the precinct rows.
    pub in_file: String,
}

/// The roll-up check: every published total compared with the sum of the file's rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RollUp {
    /// Every published total compared, with the precinct sum (equal or not).
    pub checked: Vec<PublishedTotal>,
    /// Published names matched to another spelling.
    pub name_variants: Vec<NameVariant>,
    /// Choices in the file (county, office, district, candidate) with no published total
    /// although their county has totals (e.g. `Not Assigned`).
    pub without_total: Vec<(String, String, String, String)>,
    /// Counties in the file with no published totals at all (not checked).
    pub counties_without_totals: Vec<String>,
    /// Published figures for counties or contests not in the file (not compared).
    pub published_elsewhere: usize,
}

impl RollUp {
    /// The totals not equal to their precinct sum.
    pub fn mismatches(&self) -> impl Iterator<Item = &PublishedTotal> {
        self.checked
            .iter()
            .filter(|t| t.published != t.precinct_sum)
    }

    /// Number of mismatches.
    pub fn mismatch_count(&self) -> usize {
        self.mismatches().count()
    }
}

fn district_key(d: &str) -> String {
    let k = match_key(d);
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
        let t = k.trim_start_matches('0');
        if t.is_empty() { "0".into() } else { t.into() }
    } else {
        k
    }
}

/// Normalised vote-type name: lower case, words joined by `_` (`Absentee by Mail` →
/// `absentee_by_mail`), a `_votes` suffix dropped.
pub fn vote_type_key(name: &str) -> String {
    let k = match_key(name).to_lowercase().replace([' ', '-', '/'], "_");
    k.strip_suffix("_votes").map(str::to_string).unwrap_or(k)
}

type ContestKey = (String, String, String);

/// Compares each published figure with the sum of `rows` over the same county (all
/// counties when the figure is state-wide), office, district, candidate and vote type.
/// Figures for counties or contests absent from the rows are not compared; a published
/// candidate absent from a contest that is in the rows is compared with 0.
pub fn roll_up(rows: &[PastResultRow], published: &[PublishedFigure]) -> RollUp {
    // Sums by (county key or "" for state-wide, office, district) → candidate → vote type.
    let mut sums: HashMap<ContestKey, BTreeMap<String, HashMap<String, i64>>> = HashMap::new();
    let mut names: HashMap<(ContestKey, String), String> = HashMap::new();
    let mut file_counties: Vec<String> = Vec::new();
    let mut seen_county: HashSet<String> = HashSet::new();
    for r in rows {
        let ck = match_key(&r.county);
        if seen_county.insert(ck.clone()) {
            file_counties.push(r.county.clone());
        }
        let cand = match_key(&r.candidate);
        for county in [ck.clone(), String::new()] {
            let key = (county, match_key(&r.office), district_key(&r.district));
            names
                .entry((key.clone(), cand.clone()))
                .or_insert_with(|| r.candidate.clone());
            let by_type = sums
                .entry(key)
                .or_default()
                .entry(cand.clone())
                .or_default();
            *by_type.entry("total".into()).or_default() += r.votes;
            for (t, v) in &r.vote_types {
                *by_type.entry(vote_type_key(t)).or_default() += v;
            }
        }
    }
    let mut out = RollUp::default();
    let counties_with_totals: HashSet<String> =
        published.iter().map(|p| match_key(&p.county)).collect();
    // Candidate of each (contest, published name) resolved once.
    let mut resolved: HashMap<(ContestKey, String), Option<String>> = HashMap::new();
    let mut used: HashMap<ContestKey, HashSet<String>> = HashMap::new();
    // Exact matches first, so variants only take what is left.
    for p in published {
        let key = (
            match_key(&p.county),
            match_key(&p.office),
            district_key(&p.district),
        );
        let cand = match_key(&p.candidate);
        if sums.get(&key).is_some_and(|c| c.contains_key(&cand)) {
            used.entry(key).or_default().insert(cand);
        }
    }
    for p in published {
        let key = (
            match_key(&p.county),
            match_key(&p.office),
            district_key(&p.district),
        );
        let Some(contest) = sums.get(&key) else {
            out.published_elsewhere += 1;
            continue;
        };
        let cand = match_key(&p.candidate);
        let found = resolved
            .entry((key.clone(), cand.clone()))
            .or_insert_with(|| {
                if contest.contains_key(&cand) {
                    return Some(cand.clone());
                }
                let words: HashSet<&str> = cand.split(' ').collect();
                let taken = used.get(&key);
                let candidates: Vec<&String> = contest
                    .keys()
                    .filter(|k| !taken.is_some_and(|t| t.contains(*k)))
                    .filter(|k| {
                        let theirs: HashSet<&str> = k.split(' ').collect();
                        !words.is_empty() && (words.is_subset(&theirs) || theirs.is_subset(&words))
                    })
                    .collect();
                if candidates.len() == 1 {
                    let k = candidates[0].clone();
                    used.entry(key.clone()).or_default().insert(k.clone());
                    out.name_variants.push(NameVariant {
                        county: p.county.clone(),
                        office: p.office.clone(),
                        district: p.district.clone(),
                        published: p.candidate.clone(),
                        in_file: names
                            .get(&(key.clone(), k.clone()))
                            .cloned()
                            .unwrap_or_else(|| k.clone()),
                    });
                    Some(k)
                } else {
                    None
                }
            })
            .clone();
        let vt = vote_type_key(&p.vote_type);
        let sum = match &found {
            Some(k) => match contest[k].get(&vt) {
                Some(s) => *s,
                // The file has no such vote type: nothing to compare.
                None if vt != "total" => {
                    out.published_elsewhere += 1;
                    continue;
                }
                None => 0,
            },
            None => 0,
        };
        out.checked.push(PublishedTotal {
            county: p.county.clone(),
            office: p.office.clone(),
            district: p.district.clone(),
            candidate: p.candidate.clone(),
            vote_type: vt,
            published: p.votes,
            precinct_sum: sum,
        });
    }
    // Choices of counties with totals that no published figure named.
    let mut named: HashSet<(ContestKey, String)> = HashSet::new();
    for ((key, cand), found) in &resolved {
        if let Some(k) = found {
            named.insert((key.clone(), k.clone()));
        }
        let _ = cand;
    }
    let mut without: Vec<(String, String, String, String)> = Vec::new();
    let mut seen_without: HashSet<(ContestKey, String)> = HashSet::new();
    for r in rows {
        let ck = match_key(&r.county);
        let state_wide = counties_with_totals.contains("");
        let county = if state_wide {
            String::new()
        } else {
            ck.clone()
        };
        if !counties_with_totals.contains(&county) {
            continue;
        }
        let key = (county, match_key(&r.office), district_key(&r.district));
        let cand = match_key(&r.candidate);
        if !named.contains(&(key.clone(), cand.clone())) && seen_without.insert((key, cand)) {
            without.push((
                if state_wide {
                    String::new()
                } else {
                    r.county.clone()
                },
                r.office.clone(),
                r.district.clone(),
                r.candidate.clone(),
            ));
        }
    }
    out.without_total = without;
    out.counties_without_totals = if counties_with_totals.contains("") {
        Vec::new()
    } else {
        file_counties
            .into_iter()
            .filter(|c| !counties_with_totals.contains(&match_key(c)))
            .collect()
    };
    out
}

/// What [`import_results_file`] did.
#[derive(Debug, Clone, Serialize)]
pub struct ResultsImportReport {
    /// The file.
    pub file: PathBuf,
    /// Its format.
    pub format: ResultsFormat,
    /// Election day used.
    pub election_date: NaiveDate,
    /// Election name from the file.
    pub election_name: String,
    /// Rows read and stored.
    pub rows: usize,
    /// Distinct precincts (county-level files: counties).
    pub precincts: usize,
    /// True when the rows are by county, not by precinct.
    pub county_level: bool,
    /// Rows refused.
    pub rejected: usize,
    /// Where the refused rows are listed, if any were.
    pub rejects_file: Option<PathBuf>,
    /// Columns ignored.
    pub ignored_columns: Vec<String>,
    /// The roll-up check.
    pub roll_up: RollUp,
    /// What the store did.
    pub outcome: PastImportOutcome,
}

/// Parses `path`, checks it against the totals it publishes and those of `totals_files`,
/// writes refused rows to `rejects` (default `<file>.rejects.csv`) and stores the rows and
/// the checked totals in one transaction. A file already imported (same SHA-256) changes
/// nothing. `election` overrides the date of the file (or its name).
pub async fn import_results_file(
    store: &dyn Store,
    path: &Path,
    format: ResultsFormat,
    election: Option<NaiveDate>,
    totals_files: &[PathBuf],
    rejects: Option<PathBuf>,
) -> Result<ResultsImportReport, ResultsError> {
    let sha = sha256_file(path)?;
    let parsed = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || parse(&path, format))
            .await
            .map_err(|e| IngestError::Internal(e.to_string()))??
    };
    let mut published = parsed.published.clone();
    for t in totals_files {
        let t = t.clone();
        let figures = tokio::task::spawn_blocking(move || totals_from_file(&t))
            .await
            .map_err(|e| IngestError::Internal(e.to_string()))??;
        published.extend(figures);
    }
    let election_date = election
        .or(parsed.election_date)
        .or_else(|| date_from_file_name(path))
        .ok_or_else(|| ResultsError::NoElectionDate {
            file: path.display().to_string(),
        })?;
    let rejects_path = rejects.unwrap_or_else(|| RejectWriter::default_path(path));
    let mut writer = RejectWriter::new(rejects_path.clone());
    for r in &parsed.rejects {
        writer.write(r)?;
    }
    let rejected = writer.finish()? as usize;
    if parsed.rows.is_empty() {
        return Err(ResultsError::Empty {
            file: path.display().to_string(),
            hint: if rejected > 0 {
                format!("; {rejected} rows refused, see {}", rejects_path.display())
            } else {
                String::new()
            },
        });
    }
    let roll_up = roll_up(&parsed.rows, &published);
    let precincts = parsed
        .rows
        .iter()
        .map(|r| (match_key(&r.county), match_key(&r.precinct)))
        .collect::<HashSet<_>>()
        .len();
    let rows = parsed.rows.len();
    let county_level = parsed.county_level;
    let outcome = store
        .import_past_results(
            NewPastResultsFile {
                source_file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                file_sha256: sha,
                format: format.code().into(),
                election_date,
                election_name: parsed.election_name.clone(),
            },
            parsed.rows,
            roll_up.checked.clone(),
        )
        .await?;
    Ok(ResultsImportReport {
        file: path.to_path_buf(),
        format,
        election_date,
        election_name: parsed.election_name,
        rows,
        precincts,
        county_level,
        rejected,
        rejects_file: (rejected > 0).then_some(rejects_path),
        ignored_columns: parsed.ignored_columns,
        roll_up,
        outcome,
    })
}

/// Parses a vote count as files write it: digits, optionally with thousands separators
/// (`1,135`) and surrounding spaces. Negative or fractional counts are refused.
pub fn parse_votes(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty".into());
    }
    let digits: String = t.chars().filter(|&c| c != ',').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{t:?} is not a whole number of votes"));
    }
    digits
        .parse::<i64>()
        .map_err(|_| format!("{t:?} is too large"))
}

#[cfg(test)]
mod tests;
