//! OpenElections CSV: one row per (county, precinct, office, district, party, candidate)
//! with `votes` and, in many files, vote-type columns. Columns are bound by header name,
//! never by position: real files swap `party` and `candidate` (Cameron County, PA), add
//! `election_day,mail,provisional` in varying order, or carry only vote-type columns
//! (`election_day_votes,advanced_votes,…` in Georgia, where `votes` is their sum). A file
//! without a `precinct` column is county-level (one row per county and choice).
//!
//! Counts may carry thousands separators (`"1,135"`). A row with an unreadable count, or
//! no county or office, is refused with its line and reason; every other row is kept.

use super::{ParsedResults, ResultsError, parse_votes, vote_type_key};
use crate::IngestError;
use crate::rejects::Reject;
use std::path::Path;
use votebase_store::past_results::PastResultRow;

/// Vote-type columns known by name (besides any column ending in `_votes`).
const VOTE_TYPE_COLUMNS: &[&str] = &[
    "election_day",
    "early_voting",
    "early",
    "early_vote",
    "mail",
    "absentee",
    "absentee_by_mail",
    "advanced",
    "advance",
    "provisional",
    "federal",
    "military",
    "overseas",
    "one_stop",
    "in_person",
    "polling",
];

struct Columns {
    county: usize,
    precinct: Option<usize>,
    office: usize,
    district: Option<usize>,
    party: Option<usize>,
    candidate: usize,
    votes: Option<usize>,
    vote_types: Vec<(usize, String)>,
}

/// Reads an OpenElections CSV file.
pub fn parse(path: &Path) -> Result<ParsedResults, ResultsError> {
    let file = std::fs::File::open(path).map_err(|e| IngestError::input(path, e))?;
    parse_reader(std::io::BufReader::new(file), &path.display().to_string())
}

/// Reads OpenElections CSV from `source`; `file` names it in errors.
pub fn parse_reader<R: std::io::Read>(
    source: R,
    file: &str,
) -> Result<ParsedResults, ResultsError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(source);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IngestError::Input {
            path: file.into(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        find(name).ok_or_else(|| ResultsError::Header {
            file: file.into(),
            missing: name.into(),
            found: header.join(","),
        })
    };
    let mut cols = Columns {
        county: need("county")?,
        precinct: find("precinct"),
        office: need("office")?,
        district: find("district"),
        party: find("party"),
        candidate: need("candidate")?,
        votes: find("votes"),
        vote_types: Vec::new(),
    };
    let mut ignored = Vec::new();
    let known = [
        "county",
        "precinct",
        "office",
        "district",
        "party",
        "candidate",
        "votes",
    ];
    for (i, h) in header.iter().enumerate() {
        if known.contains(&h.as_str()) {
            continue;
        }
        if VOTE_TYPE_COLUMNS.contains(&h.as_str()) || h.ends_with("_votes") {
            cols.vote_types.push((i, vote_type_key(h)));
        } else {
            ignored.push(h.clone());
        }
    }
    if cols.votes.is_none() && cols.vote_types.is_empty() {
        return Err(ResultsError::Header {
            file: file.into(),
            missing: "votes".into(),
            found: header.join(","),
        });
    }
    let mut out = ParsedResults {
        county_level: cols.precinct.is_none(),
        vote_types: cols.vote_types.iter().map(|(_, n)| n.clone()).collect(),
        ignored_columns: ignored,
        ..Default::default()
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.rejects.push(Reject {
                    line,
                    column: String::new(),
                    reason: format!("unreadable CSV: {e}"),
                    raw: String::new(),
                });
                continue;
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        match row(&cols, &record, line) {
            Ok(Some(r)) => out.rows.push(r),
            Ok(None) => {}
            Err((column, reason)) => {
                let mut raw = record.iter().collect::<Vec<_>>().join(",");
                raw.truncate(500);
                out.rejects.push(Reject {
                    line,
                    column,
                    reason,
                    raw,
                });
            }
        }
    }
    Ok(out)
}

fn row(
    cols: &Columns,
    record: &csv::StringRecord,
    line: u64,
) -> Result<Option<PastResultRow>, (String, String)> {
    if record.iter().all(|f| f.trim().is_empty()) {
        return Ok(None);
    }
    let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
    let county = get(Some(cols.county));
    if county.is_empty() {
        return Err(("county".into(), "no county".into()));
    }
    let office = get(Some(cols.office));
    if office.is_empty() {
        return Err(("office".into(), "no office".into()));
    }
    let mut vote_types = Vec::new();
    for (i, name) in &cols.vote_types {
        let v = get(Some(*i));
        if v.is_empty() {
            continue;
        }
        let n = parse_votes(v).map_err(|e| (name.clone(), e))?;
        vote_types.push((name.clone(), n));
    }
    let votes_text = get(cols.votes);
    let votes = if votes_text.is_empty() {
        if vote_types.is_empty() {
            return Err(("votes".into(), "no votes and no vote-type counts".into()));
        }
        vote_types.iter().map(|(_, v)| v).sum()
    } else {
        parse_votes(votes_text).map_err(|e| ("votes".to_string(), e))?
    };
    Ok(Some(PastResultRow {
        line,
        county: county.into(),
        precinct: get(cols.precinct).into(),
        office: office.into(),
        district: get(cols.district).into(),
        party: get(cols.party).into(),
        candidate: get(Some(cols.candidate)).into(),
        votes,
        vote_types,
    }))
}
