//! The Iowa Democratic Party's published 2020 precinct results, recomputed. Reads the
//! party's 100%-reporting release (`idp-2020-02-08-release100-full.csv`: first alignment,
//! final alignment and SDEs per candidate) and the precinct sizes
//! (`ipd-precinct-delegates-mapped.csv`: county delegates and SDEs per precinct), turns
//! each precinct's published SDEs back into county delegates, validates the precinct with
//! [`crate::validate`] and gathers the precincts whose published numbers break the rules
//! into a [`Report`], grouped by kind of inconsistency.
//!
//! The published files do not carry the number of attendees signed in, so the larger of
//! the first- and final-alignment totals stands in for it. County total rows are ignored; satellite caucuses
//! and precincts missing from the delegate file are listed as skipped (the file gives no
//! delegate count for them). Precinct names are matched after decoding the HTML entities
//! (`&amp;`, even doubly encoded) that the scrape left in some of them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::CaucusError;
use crate::rules::{Rules, state_delegate_equivalents};
use crate::validate::{Finding, FindingKind, GroupResult, Severity, Submission, validate};

/// File name of the 100% release inside the Iowa 2020 directory.
pub const RELEASE_100: &str = "idp-2020-02-08-release100-full.csv";
/// File name of the precinct sizes joined to the results' precinct names.
pub const PRECINCT_DELEGATES: &str = "ipd-precinct-delegates-mapped.csv";

/// How far (in county delegates) a published SDE may be from a whole number of delegates
/// and still count as that number (SDEs were published to 4 decimals).
const WHOLE_DELEGATE_TOLERANCE: f64 = 0.05;

/// One precinct row of a results file, as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedPrecinct {
    /// County (or satellite region).
    pub county: String,
    /// Precinct name.
    pub precinct: String,
    /// 1-based line in the file.
    pub line: u64,
    /// First-alignment headcount per candidate.
    pub first: Vec<u32>,
    /// Final-alignment headcount per candidate.
    pub final_alignment: Vec<u32>,
    /// SDEs per candidate.
    pub sde: Vec<f64>,
}

/// A results file: the candidates (column order) and the precinct rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedResults {
    /// Candidate names, in column order.
    pub candidates: Vec<String>,
    /// The precinct rows (county total rows included; see [`PublishedPrecinct::is_total`]).
    pub precincts: Vec<PublishedPrecinct>,
}

impl PublishedPrecinct {
    /// True for a county's "Total" row.
    pub fn is_total(&self) -> bool {
        self.precinct.eq_ignore_ascii_case("total")
    }
}

/// A precinct's size: county delegates it elects and its SDEs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrecinctSize {
    /// County convention delegates.
    pub delegates: u32,
    /// State delegate equivalents.
    pub sde: f64,
    /// 1-based line in the delegate file.
    pub line: u64,
}

/// Decodes `&amp;` (repeatedly: some names are encoded twice) and trims.
pub fn normalize_name(s: &str) -> String {
    let mut s = s.trim().to_owned();
    while s.contains("&amp;") {
        s = s.replace("&amp;", "&");
    }
    s
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>, CaucusError> {
    let file = std::fs::File::open(path).map_err(|source| CaucusError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file))
}

fn records(path: &Path) -> Result<Vec<(u64, csv::StringRecord)>, CaucusError> {
    let mut rdr = open(path)?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|source| CaucusError::Csv {
            path: path.to_owned(),
            line: source.position().map_or(0, |p| p.line()),
            source,
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        out.push((line, rec));
    }
    Ok(out)
}

fn header_error(path: &Path, line: u64, message: impl Into<String>) -> CaucusError {
    CaucusError::Header {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

fn cell_error(
    path: &Path,
    line: u64,
    column: usize,
    name: &str,
    value: &str,
    message: &str,
) -> CaucusError {
    CaucusError::Cell {
        path: path.to_owned(),
        line,
        column: column + 1,
        name: name.to_owned(),
        value: value.to_owned(),
        message: message.to_owned(),
    }
}

/// Reads a party results file (three header rows: measure, candidate, `County,Precinct`).
pub fn read_results(path: &Path) -> Result<PublishedResults, CaucusError> {
    let recs = records(path)?;
    if recs.len() < 3 {
        return Err(header_error(
            path,
            recs.len() as u64 + 1,
            "expected three header rows",
        ));
    }
    let (l0, measures) = &recs[0];
    let (l1, names) = &recs[1];
    let (l2, keys) = &recs[2];
    let width = measures.len();
    if width < 5 || (width - 2) % 3 != 0 {
        return Err(header_error(
            path,
            *l0,
            format!("{width} columns; expected County, Precinct and three blocks of candidates"),
        ));
    }
    let n = (width - 2) / 3;
    for (block, want) in ["First Expression", "Final Expression", "SDE"]
        .iter()
        .enumerate()
    {
        for c in 0..n {
            let got = measures.get(2 + block * n + c).unwrap_or("");
            if got != *want {
                return Err(header_error(
                    path,
                    *l0,
                    format!("column {} is {got:?}, expected {want:?}", 3 + block * n + c),
                ));
            }
        }
    }
    let candidates: Vec<String> = (0..n)
        .map(|c| names.get(2 + c).unwrap_or("").to_owned())
        .collect();
    for block in 1..3 {
        for (c, cand) in candidates.iter().enumerate() {
            let got = names.get(2 + block * n + c).unwrap_or("");
            if got != cand {
                return Err(header_error(
                    path,
                    *l1,
                    format!("candidate columns differ between blocks: {got:?} vs {cand:?}"),
                ));
            }
        }
    }
    if keys.get(0) != Some("County") || keys.get(1) != Some("Precinct") {
        return Err(header_error(path, *l2, "expected County,Precinct"));
    }
    let column_name = |i: usize| -> String {
        match i {
            0 => "County".into(),
            1 => "Precinct".into(),
            _ => format!(
                "{} {}",
                measures.get(i).unwrap_or(""),
                names.get(i).unwrap_or("")
            ),
        }
    };
    let mut precincts = Vec::new();
    for (line, rec) in &recs[3..] {
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rec.len() != width {
            return Err(header_error(
                path,
                *line,
                format!("{} columns, the header has {width}", rec.len()),
            ));
        }
        let count = |i: usize| -> Result<u32, CaucusError> {
            let v = rec[i].trim();
            v.parse::<u32>().map_err(|_| {
                cell_error(
                    path,
                    *line,
                    i,
                    &column_name(i),
                    v,
                    "not a whole number of people",
                )
            })
        };
        let sde = |i: usize| -> Result<f64, CaucusError> {
            let v = rec[i].trim();
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
                _ => Err(cell_error(
                    path,
                    *line,
                    i,
                    &column_name(i),
                    v,
                    "not a non-negative number",
                )),
            }
        };
        precincts.push(PublishedPrecinct {
            county: normalize_name(&rec[0]),
            precinct: normalize_name(&rec[1]),
            line: *line,
            first: (0..n).map(|c| count(2 + c)).collect::<Result<_, _>>()?,
            final_alignment: (0..n).map(|c| count(2 + n + c)).collect::<Result<_, _>>()?,
            sde: (0..n)
                .map(|c| sde(2 + 2 * n + c))
                .collect::<Result<_, _>>()?,
        });
    }
    Ok(PublishedResults {
        candidates,
        precincts,
    })
}

/// Reads the precinct sizes (`County,Precinct,…,County Delegates,Precinct SDE (IDP)`),
/// keyed by normalized (county, precinct).
pub fn read_precinct_sizes(
    path: &Path,
) -> Result<HashMap<(String, String), PrecinctSize>, CaucusError> {
    let recs = records(path)?;
    let Some((hl, header)) = recs.first() else {
        return Err(header_error(path, 1, "empty file"));
    };
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| header_error(path, *hl, format!("no {name:?} column")))
    };
    let (ci, pi, di, si) = (
        find("County")?,
        find("Precinct")?,
        find("County Delegates")?,
        find("Precinct SDE (IDP)")?,
    );
    let mut out = HashMap::new();
    for (line, rec) in &recs[1..] {
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let delegates = get(di).parse::<u32>().map_err(|_| {
            cell_error(
                path,
                *line,
                di,
                "County Delegates",
                get(di),
                "not a whole number",
            )
        })?;
        let sde = match get(si).parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => x,
            _ => {
                return Err(cell_error(
                    path,
                    *line,
                    si,
                    "Precinct SDE (IDP)",
                    get(si),
                    "not a non-negative number",
                ));
            }
        };
        let key = (normalize_name(get(ci)), normalize_name(get(pi)));
        if key.1.is_empty() {
            // Rows without a precinct name (Lee county has two, electing no delegates)
            // cannot be matched to a result.
            continue;
        }
        if out.contains_key(&key) {
            return Err(cell_error(
                path,
                *line,
                pi,
                "Precinct",
                get(pi),
                "precinct listed twice",
            ));
        }
        out.insert(
            key,
            PrecinctSize {
                delegates,
                sde,
                line: *line,
            },
        );
    }
    Ok(out)
}

/// Published and computed county delegates of one candidate in a flagged precinct.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateDelegates {
    /// Candidate.
    pub candidate: String,
    /// Final-alignment headcount.
    pub final_alignment: u32,
    /// County delegates as published (from the SDEs).
    pub published: u32,
    /// County delegates by the rules (first coin-toss outcome where there is a toss).
    pub computed: u32,
    /// SDEs as published.
    pub published_sde: f64,
    /// SDEs by the rules.
    pub computed_sde: f64,
}

/// A precinct whose published numbers break the rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlaggedPrecinct {
    /// County.
    pub county: String,
    /// Precinct.
    pub precinct: String,
    /// 1-based line in the results file.
    pub line: u64,
    /// County delegates the precinct elects.
    pub delegates: u32,
    /// Precinct SDEs.
    pub precinct_sde: f64,
    /// First- and final-alignment totals.
    pub first_total: u32,
    /// Final-alignment total.
    pub final_total: u32,
    /// Every finding, errors and notices.
    pub findings: Vec<Finding>,
    /// Candidates with a group or a delegate, published vs computed.
    pub candidates: Vec<CandidateDelegates>,
    /// True when a coin toss is part of the computed result (the published result is
    /// accepted if it matches any way the toss could fall).
    pub coin_toss: bool,
}

impl FlaggedPrecinct {
    /// The distinct error kinds of this precinct.
    pub fn error_kinds(&self) -> Vec<FindingKind> {
        let mut k: Vec<FindingKind> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.kind)
            .collect();
        k.dedup();
        k
    }

    /// "published Sanders 1, Warren 3; rules Sanders 2, Warren 2" (differing candidates
    /// only; every candidate with a delegate when none differ).
    pub fn delegates_summary(&self) -> String {
        let differ: Vec<&CandidateDelegates> = self
            .candidates
            .iter()
            .filter(|c| c.published != c.computed)
            .collect();
        let shown: Vec<&CandidateDelegates> = if differ.is_empty() {
            self.candidates
                .iter()
                .filter(|c| c.published > 0 || c.computed > 0)
                .collect()
        } else {
            differ
        };
        let list = |f: fn(&CandidateDelegates) -> u32| {
            shown
                .iter()
                .map(|c| format!("{} {}", c.candidate, f(c)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "published {}; rules {}{}",
            list(|c| c.published),
            list(|c| c.computed),
            if self.coin_toss {
                " (a coin toss decides part of it)"
            } else {
                ""
            }
        )
    }
}

/// A precinct that was not checked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedPrecinct {
    /// County.
    pub county: String,
    /// Precinct.
    pub precinct: String,
    /// Why it was not checked.
    pub reason: String,
}

/// Number of precincts showing one kind of finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindTotal {
    /// The kind.
    pub kind: FindingKind,
    /// Its heading.
    pub label: String,
    /// Error or notice.
    pub severity: Severity,
    /// Precincts with at least one finding of this kind.
    pub precincts: usize,
}

/// The result of checking a whole results file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The results file checked.
    pub source: PathBuf,
    /// Precincts recomputed.
    pub precincts_checked: usize,
    /// Precincts with at least one error (the rest may still have notices).
    pub flagged: Vec<FlaggedPrecinct>,
    /// Per kind (errors, then notices), the number of precincts showing it; kinds that
    /// never occur are left out.
    pub totals: Vec<KindTotal>,
    /// Precincts not checked (no delegate count: satellites, unmatched names; or no
    /// delegates to elect).
    pub skipped: Vec<SkippedPrecinct>,
}

impl Report {
    /// The number of precincts showing `kind` (0 when none).
    pub fn total(&self, kind: FindingKind) -> usize {
        self.totals
            .iter()
            .find(|t| t.kind == kind)
            .map_or(0, |t| t.precincts)
    }

    /// Flagged precincts grouped by error kind (a precinct appears under each of its kinds).
    pub fn by_kind(&self) -> BTreeMap<FindingKind, Vec<&FlaggedPrecinct>> {
        let mut out: BTreeMap<FindingKind, Vec<&FlaggedPrecinct>> = BTreeMap::new();
        for p in &self.flagged {
            for k in p.error_kinds() {
                out.entry(k).or_default().push(p);
            }
        }
        out
    }

    /// The flagged precinct with this county and precinct name, if any.
    pub fn find(&self, county: &str, precinct: &str) -> Option<&FlaggedPrecinct> {
        self.flagged
            .iter()
            .find(|p| p.county == county && p.precinct == precinct)
    }
}

/// Recomputes every precinct of `results` with the sizes in `sizes`.
pub fn check_published(
    source: &Path,
    results: &PublishedResults,
    sizes: &HashMap<(String, String), PrecinctSize>,
    rules: &Rules,
) -> Report {
    let mut flagged = Vec::new();
    let mut skipped = Vec::new();
    let mut counts: BTreeMap<FindingKind, usize> = BTreeMap::new();
    let mut checked = 0usize;
    for p in &results.precincts {
        if p.is_total() {
            continue;
        }
        let skip = |reason: &str| SkippedPrecinct {
            county: p.county.clone(),
            precinct: p.precinct.clone(),
            reason: reason.to_owned(),
        };
        let Some(size) = sizes.get(&(p.county.clone(), p.precinct.clone())) else {
            skipped.push(skip(
                "no delegate count for this precinct in the delegate file",
            ));
            continue;
        };
        if size.delegates == 0 || size.sde <= 0.0 {
            skipped.push(skip("the precinct elects no county delegates"));
            continue;
        }
        checked += 1;
        let Some(flag) = check_one(p, size, &results.candidates, rules) else {
            continue;
        };
        let mut kinds: Vec<FindingKind> = flag.findings.iter().map(|f| f.kind).collect();
        kinds.dedup();
        for k in kinds {
            *counts.entry(k).or_default() += 1;
        }
        if !flag.error_kinds().is_empty() {
            flagged.push(flag);
        }
    }
    let totals = counts
        .into_iter()
        .map(|(kind, precincts)| KindTotal {
            kind,
            label: kind.label().to_owned(),
            severity: kind.severity(),
            precincts,
        })
        .collect();
    Report {
        source: source.to_owned(),
        precincts_checked: checked,
        flagged,
        totals,
        skipped,
    }
}

/// Validates one published precinct; `None` when there is nothing at all to say.
fn check_one(
    p: &PublishedPrecinct,
    size: &PrecinctSize,
    candidates: &[String],
    rules: &Rules,
) -> Option<FlaggedPrecinct> {
    let per_delegate = size.sde / f64::from(size.delegates);
    let mut extra = Vec::new();
    let published: Vec<u32> = p
        .sde
        .iter()
        .zip(candidates)
        .map(|(&s, name)| {
            let x = s / per_delegate;
            let r = x.round();
            if (x - r).abs() > WHOLE_DELEGATE_TOLERANCE {
                extra.push(Finding {
                    kind: FindingKind::SdeNotWholeDelegates,
                    severity: FindingKind::SdeNotWholeDelegates.severity(),
                    group: Some(name.clone()),
                    message: format!(
                        "{name}'s {s} SDEs are {x:.2} county delegates at {per_delegate:.4} \
                         SDEs per delegate, not a whole number."
                    ),
                });
            }
            r as u32
        })
        .collect();
    let sub = Submission {
        delegates: size.delegates,
        attendees: None,
        groups: candidates
            .iter()
            .enumerate()
            .map(|(i, name)| GroupResult {
                name: name.clone(),
                first: p.first[i],
                final_alignment: p.final_alignment[i],
                delegates: published[i],
            })
            .collect(),
    };
    let v = validate(&sub, rules);
    let mut findings = v.findings;
    findings.extend(extra);
    findings.sort_by_key(|f| f.kind);
    if findings.is_empty() {
        return None;
    }
    let computed = v.allocation.first_outcome();
    let computed_sde = state_delegate_equivalents(&computed, size.delegates, size.sde);
    Some(FlaggedPrecinct {
        county: p.county.clone(),
        precinct: p.precinct.clone(),
        line: p.line,
        delegates: size.delegates,
        precinct_sde: size.sde,
        first_total: sub.first_total(),
        final_total: sub.final_total(),
        candidates: candidates
            .iter()
            .enumerate()
            .filter(|&(i, _)| {
                p.first[i] > 0 || p.final_alignment[i] > 0 || published[i] > 0 || computed[i] > 0
            })
            .map(|(i, name)| CandidateDelegates {
                candidate: name.clone(),
                final_alignment: p.final_alignment[i],
                published: published[i],
                computed: computed[i],
                published_sde: p.sde[i],
                computed_sde: computed_sde[i],
            })
            .collect(),
        coin_toss: !v.allocation.is_settled(),
        findings,
    })
}

/// Checks the party's 100% release in an Iowa 2020 directory (see the module docs for
/// the files it reads) under the default rules.
pub fn check_caucus_dir(dir: &Path) -> Result<Report, CaucusError> {
    let results_path = dir.join(RELEASE_100);
    let results = read_results(&results_path)?;
    let sizes = read_precinct_sizes(&dir.join(PRECINCT_DELEGATES))?;
    Ok(check_published(
        &results_path,
        &results,
        &sizes,
        &Rules::default(),
    ))
}
