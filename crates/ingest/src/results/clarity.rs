//! Clarity (Scytl) ENR `detail.xml`, streamed with quick-xml: `<ElectionResult>` with
//! `ElectionName`, `ElectionDate` (`M/D/YYYY`) and `Region`, a turnout block, then
//! `<Contest text>` elements holding `<Choice text party totalVotes>`, each broken down
//! by `<VoteType name votes>` and, within it, by `<Precinct name votes>` (a county's
//! file, `Region` being the county) or `<County name votes>` (a state's file, which
//! gives county-level rows).
//!
//! Each (choice, precinct) becomes one row whose `votes` is the sum of its vote types.
//! The totals the file publishes (each choice's `totalVotes`, each vote type's `votes`,
//! and the contest-level `Undervotes`/`Overvotes`) are returned as published figures so
//! the roll-up check compares them with the precinct sums. A contest's `text` is split
//! into office, district and party: `State Representative, District 14 - REP` is office
//! `State Representative`, district `14`, party `REP`; a candidate's `(DEM)` suffix is
//! taken as the party when the choice has no `party` attribute.

use super::{ParsedResults, PublishedFigure, ResultsError, parse_votes, vote_type_key};
use crate::IngestError;
use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use votebase_store::past_results::PastResultRow;

use votebase_normalize::LineCounting;

/// Party words a contest name may end with (`US Senator - REPUBLICAN`).
const PARTY_SUFFIXES: &[&str] = &[
    "REP",
    "DEM",
    "REPUBLICAN",
    "DEMOCRAT",
    "DEMOCRATIC",
    "LIB",
    "LIBERTARIAN",
    "GRE",
    "GREEN",
    "NP",
    "NONPARTISAN",
    "CON",
    "IND",
];

/// Splits a contest's text into office, district and party.
pub fn split_contest(text: &str) -> (String, String, String) {
    let mut rest = text.trim().to_string();
    let mut party = String::new();
    if let Some((head, tail)) = rest.rsplit_once(" - ")
        && PARTY_SUFFIXES.contains(&tail.trim().to_ascii_uppercase().as_str())
    {
        party = tail.trim().to_string();
        rest = head.trim().to_string();
    }
    let mut district = String::new();
    let lower = rest.to_ascii_lowercase();
    if let Some(at) = lower.rfind("district ") {
        let number = rest[at + "district ".len()..].trim();
        let before = rest[..at].trim_end().trim_end_matches(',').trim_end();
        if !number.is_empty()
            && !number.contains(' ')
            && number.chars().any(|c| c.is_ascii_digit())
            && !before.is_empty()
        {
            district = number.to_string();
            rest = before.to_string();
        }
    }
    (rest, district, party)
}

/// Splits `NAME (DEM)` into name and party.
fn split_candidate(text: &str) -> (String, String) {
    let t = text.trim();
    if let Some(open) = t.rfind(" (")
        && t.ends_with(')')
    {
        let party = &t[open + 2..t.len() - 1];
        if !party.is_empty() && party.len() <= 12 && !party.contains(' ') {
            return (t[..open].trim().to_string(), party.to_string());
        }
    }
    (t.to_string(), String::new())
}

/// Display name of a contest-level vote type (`Undervotes` → `Under Votes`).
fn pseudo_candidate(vote_type: &str) -> String {
    match vote_type.trim().to_ascii_lowercase().as_str() {
        "undervotes" | "under votes" => "Under Votes".into(),
        "overvotes" | "over votes" => "Over Votes".into(),
        _ => vote_type.trim().to_string(),
    }
}

#[derive(Default)]
struct Contest {
    office: String,
    district: String,
    party: String,
}

/// One place (precinct or county) of a choice: name, line, votes by vote type.
type Place = (String, u64, Vec<(String, i64)>);

#[derive(Default)]
struct Choice {
    candidate: String,
    party: String,
    /// False for a contest-level vote type (over/under-votes): its votes are the total.
    real: bool,
    /// Places in order of first appearance, with their line and vote types.
    places: Vec<Place>,
    index: HashMap<String, usize>,
}

/// Reads a Clarity detail XML file.
pub fn parse(path: &Path) -> Result<ParsedResults, ResultsError> {
    let file = std::fs::File::open(path).map_err(|e| IngestError::input(path, e))?;
    parse_reader(
        std::io::BufReader::with_capacity(1 << 16, file),
        &path.display().to_string(),
    )
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => Some(
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).trim().to_string()),
        ),
        _ => None,
    }
}

/// Reads Clarity detail XML from `source`; `file` names it in errors.
pub fn parse_reader<R: BufRead>(source: R, file: &str) -> Result<ParsedResults, ResultsError> {
    let mut reader = Reader::from_reader(LineCounting {
        inner: source,
        newlines: 0,
    });
    let mut buf = Vec::with_capacity(4096);
    let mut out = ParsedResults::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text_target: Option<String> = None;
    let mut region = String::new();
    let mut contest = Contest::default();
    let mut choice: Option<Choice> = None;
    let mut vote_type = String::new();
    let mut seen_root = false;
    // Ballots cast per precinct from the turnout block.
    let mut turnout: Vec<(String, u64, i64)> = Vec::new();
    let mut turnout_total: Option<i64> = None;
    loop {
        let event = reader.read_event_into(&mut buf);
        let line = reader.get_ref().newlines + 1;
        let err = |message: String| ResultsError::Xml {
            file: file.into(),
            line,
            message,
        };
        let event = event.map_err(|e| err(format!("not well-formed XML: {e}")))?;
        let votes_of = |e: &BytesStart, name: &str| -> Result<i64, ResultsError> {
            let v = attr(e, name).unwrap_or_default();
            parse_votes(&v).map_err(|why| {
                err(format!(
                    "<{}> attribute {name}: {why}",
                    String::from_utf8_lossy(e.local_name().as_ref())
                ))
            })
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let start_line = line - e.iter().filter(|&&b| b == b'\n').count() as u64;
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let parent = stack.last().map(String::as_str).unwrap_or("");
                match (parent, name.as_str()) {
                    ("", "ElectionResult") => seen_root = true,
                    ("", other) => {
                        return Err(err(format!(
                            "root element is <{other}>, not <ElectionResult>: not a Clarity detail.xml file"
                        )));
                    }
                    ("ElectionResult", "ElectionName" | "ElectionDate" | "Region") => {
                        text_target = Some(name.clone());
                    }
                    ("ElectionResult", "VoterTurnout") => {
                        turnout_total = attr(e, "ballotsCast").and_then(|v| parse_votes(&v).ok());
                    }
                    ("Precincts", "Precinct") => {
                        if let Some(n) = attr(e, "name") {
                            turnout.push((n, start_line, votes_of(e, "ballotsCast")?));
                        }
                    }
                    ("ElectionResult", "Contest") => {
                        let (office, district, party) =
                            split_contest(&attr(e, "text").unwrap_or_default());
                        contest = Contest {
                            office,
                            district,
                            party,
                        };
                    }
                    ("Contest", "Choice") => {
                        let (candidate, party) =
                            split_candidate(&attr(e, "text").unwrap_or_default());
                        let party = attr(e, "party").filter(|p| !p.is_empty()).unwrap_or(
                            if party.is_empty() {
                                contest.party.clone()
                            } else {
                                party
                            },
                        );
                        let total = votes_of(e, "totalVotes")?;
                        out.published.push(PublishedFigure {
                            county: String::new(),
                            office: contest.office.clone(),
                            district: contest.district.clone(),
                            candidate: candidate.clone(),
                            vote_type: "total".into(),
                            votes: total,
                        });
                        choice = Some(Choice {
                            candidate,
                            party,
                            real: true,
                            ..Default::default()
                        });
                    }
                    ("Contest", "VoteType") => {
                        let vt = attr(e, "name").unwrap_or_default();
                        if vt.to_ascii_lowercase().starts_with("number of precincts") {
                            choice = None;
                        } else {
                            let candidate = pseudo_candidate(&vt);
                            out.published.push(PublishedFigure {
                                county: String::new(),
                                office: contest.office.clone(),
                                district: contest.district.clone(),
                                candidate: candidate.clone(),
                                vote_type: "total".into(),
                                votes: votes_of(e, "votes")?,
                            });
                            choice = Some(Choice {
                                candidate,
                                real: false,
                                ..Default::default()
                            });
                        }
                        vote_type = vote_type_key(&vt);
                    }
                    ("Choice", "VoteType") => {
                        let vt = attr(e, "name").unwrap_or_default();
                        vote_type = vote_type_key(&vt);
                        if !out.vote_types.contains(&vote_type) {
                            out.vote_types.push(vote_type.clone());
                        }
                        if let Some(c) = &choice {
                            out.published.push(PublishedFigure {
                                county: String::new(),
                                office: contest.office.clone(),
                                district: contest.district.clone(),
                                candidate: c.candidate.clone(),
                                vote_type: vote_type.clone(),
                                votes: votes_of(e, "votes")?,
                            });
                        }
                    }
                    ("VoteType", "Precinct" | "County") => {
                        out.county_level = name == "County";
                        let place = attr(e, "name")
                            .ok_or_else(|| err(format!("<{name}> without a name attribute")))?;
                        let votes = votes_of(e, "votes")?;
                        if let Some(c) = choice.as_mut() {
                            let i = match c.index.get(&place) {
                                Some(i) => *i,
                                None => {
                                    c.places.push((place.clone(), start_line, Vec::new()));
                                    c.index.insert(place, c.places.len() - 1);
                                    c.places.len() - 1
                                }
                            };
                            c.places[i].2.push((vote_type.clone(), votes));
                        }
                    }
                    _ => {}
                }
                if !empty {
                    stack.push(name);
                }
            }
            Event::Text(ref t) => {
                if let Some(target) = &text_target {
                    let text = t
                        .decode()
                        .map_err(|e| err(format!("unreadable text: {e}")))?
                        .trim()
                        .to_string();
                    match target.as_str() {
                        "ElectionName" => out.election_name.push_str(&text),
                        "Region" => region.push_str(&text),
                        _ => {
                            out.election_date = NaiveDate::parse_from_str(&text, "%m/%d/%Y")
                                .ok()
                                .or_else(|| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
                        }
                    }
                }
            }
            Event::End(ref e) => {
                text_target = None;
                let name = stack.pop().unwrap_or_default();
                let _ = e;
                if (name == "Choice"
                    || (name == "VoteType" && stack.last().is_some_and(|p| p == "Contest")))
                    && let Some(c) = choice.take()
                {
                    for (place, place_line, types) in c.places {
                        let votes = types.iter().map(|(_, v)| v).sum();
                        let (county, precinct) = if out.county_level {
                            (place, String::new())
                        } else {
                            (String::new(), place)
                        };
                        out.rows.push(PastResultRow {
                            line: place_line,
                            county,
                            precinct,
                            office: contest.office.clone(),
                            district: contest.district.clone(),
                            party: c.party.clone(),
                            candidate: c.candidate.clone(),
                            votes,
                            vote_types: if c.real { types } else { Vec::new() },
                        });
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if let Some(open) = stack.last() {
        return Err(ResultsError::Xml {
            file: file.into(),
            line: reader.get_ref().newlines + 1,
            message: format!("the file ends inside <{open}>: it is cut short; download it again"),
        });
    }
    if !seen_root {
        return Err(ResultsError::Xml {
            file: file.into(),
            line: 1,
            message: "no <ElectionResult> root element: not a Clarity detail.xml file".into(),
        });
    }
    // Ballots cast per precinct, as OpenElections files carry them.
    if !out.county_level && !turnout.is_empty() {
        for (precinct, line, cast) in turnout {
            out.rows.push(PastResultRow {
                line,
                county: String::new(),
                precinct,
                office: "Ballots Cast".into(),
                district: String::new(),
                party: String::new(),
                candidate: String::new(),
                votes: cast,
                vote_types: Vec::new(),
            });
        }
        if let Some(total) = turnout_total {
            out.published.push(PublishedFigure {
                county: String::new(),
                office: "Ballots Cast".into(),
                district: String::new(),
                candidate: String::new(),
                vote_type: "total".into(),
                votes: total,
            });
        }
    }
    // A county's file: every row and total is in the region's county. A state's file:
    // rows are by county and the totals are state-wide (county empty).
    if !out.county_level {
        for r in &mut out.rows {
            r.county = region.clone();
        }
        for p in &mut out.published {
            p.county = region.clone();
        }
    }
    Ok(out)
}
