//! Validation of a feed, reported by element id, file and line. Two kinds of rule: the
//! per-element rules ([`check_element`]) run while an element streams past (required
//! fields, enumerations, booleans, e-mail addresses, colours, times and dates, lat/long,
//! FIPS codes in `VipId`, house numbers), and the whole-feed rules ([`validate`]) that need
//! every element (duplicate ids, dangling references, overlapping street segments, odd/even
//! aware, segments with no precinct, precincts with no polling place that are not
//! mail-only). The rule set follows the VIP project's own data-processor validations, whose
//! test feeds (`xml-5.x-fixtures`) each produce their finding here. What makes a finding
//! an error (the feed is refused) rather than a warning is what it does to a lookup; see
//! [`crate::impact`].

use crate::element::RawElement;
use crate::impact::{Impact, shared_addresses};
use crate::index::{StreetKey, street_key};
use crate::model::{Feed, Origin, Parity, StreetSegment};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use votebase_normalize::{clean_text, normalize_zip};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Lookups would send voters to a wrong polling place, or leave addresses the feed
    /// covers without an answer: the feed is not installed (unless forced).
    Error,
    /// Wrong or suspicious, but every lookup still answers honestly: the feed installs
    /// and the warning is listed.
    Warning,
}

/// The rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A top-level element without an `id`.
    MissingId,
    /// Two elements share an id.
    DuplicateId,
    /// A reference to an id no element has.
    DanglingReference,
    /// A required field is missing or empty.
    MissingRequired,
    /// A value outside its enumeration.
    InvalidEnum,
    /// A boolean that is not `true`, `false`, `1` or `0`.
    InvalidBoolean,
    /// An e-mail address without a user, `@` and domain.
    InvalidEmail,
    /// A colour that is not six hex digits.
    InvalidColor,
    /// A time that is not `hh:mm:ss` with a zone.
    InvalidTime,
    /// A date that is not a real `YYYY-MM-DD` day.
    InvalidDate,
    /// Latitude/longitude missing half, not a number or out of range.
    InvalidCoordinates,
    /// A `VipId` that is not a state (2-digit) or county (5-digit) FIPS code.
    InvalidFips,
    /// A house number that is not a number, or a range that ends before it starts.
    InvalidHouseNumber,
    /// A second `Source` or `Election`.
    MoreThanOne,
    /// Two street segments share addresses.
    OverlappingSegments,
    /// A street segment that names no precinct.
    SegmentWithoutPrecinct,
    /// A precinct, not mail-only, with no polling place.
    PrecinctWithoutPollingPlace,
    /// A polling location without an address.
    MissingAddress,
}

impl Rule {
    /// The kebab-case code (`dangling-reference`).
    pub fn code(self) -> &'static str {
        match self {
            Rule::MissingId => "missing-id",
            Rule::DuplicateId => "duplicate-id",
            Rule::DanglingReference => "dangling-reference",
            Rule::MissingRequired => "missing-required",
            Rule::InvalidEnum => "invalid-enum",
            Rule::InvalidBoolean => "invalid-boolean",
            Rule::InvalidEmail => "invalid-email",
            Rule::InvalidColor => "invalid-color",
            Rule::InvalidTime => "invalid-time",
            Rule::InvalidDate => "invalid-date",
            Rule::InvalidCoordinates => "invalid-coordinates",
            Rule::InvalidFips => "invalid-fips",
            Rule::InvalidHouseNumber => "invalid-house-number",
            Rule::MoreThanOne => "more-than-one",
            Rule::OverlappingSegments => "overlapping-segments",
            Rule::SegmentWithoutPrecinct => "segment-without-precinct",
            Rule::PrecinctWithoutPollingPlace => "precinct-without-polling-place",
            Rule::MissingAddress => "missing-address",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The rule.
    pub rule: Rule,
    /// Element name (`StreetSegment`).
    pub element: String,
    /// Element id (empty when it has none).
    pub id: String,
    /// Field concerned (`LatLng/Latitude`), empty for the whole element.
    pub field: String,
    /// File and line.
    #[serde(flatten)]
    pub origin: Origin,
    /// Human explanation.
    pub message: String,
    /// How many addresses the finding touches, when known (the house numbers of the
    /// street segments concerned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<u64>,
}

impl Finding {
    /// A finding on a raw element.
    pub fn new(
        severity: Severity,
        rule: Rule,
        el: &RawElement,
        field: &str,
        message: String,
    ) -> Finding {
        let line = el
            .nodes
            .iter()
            .find(|n| !field.is_empty() && n.path == field)
            .map_or(el.origin.line, |n| n.line);
        Finding {
            severity,
            rule,
            element: el.tag.clone(),
            id: el.id_str().to_string(),
            field: field.to_string(),
            origin: Origin {
                file: el.origin.file.clone(),
                line,
            },
            message,
            addresses: None,
        }
    }

    /// A finding on a modelled element.
    pub fn at(
        severity: Severity,
        rule: Rule,
        element: &str,
        id: &str,
        field: &str,
        origin: &Origin,
        message: String,
    ) -> Finding {
        Finding {
            severity,
            rule,
            element: element.to_string(),
            id: id.to_string(),
            field: field.to_string(),
            origin: origin.clone(),
            message,
            addresses: None,
        }
    }

    /// The same finding, saying how many addresses it touches.
    pub fn affecting(mut self, addresses: u64) -> Finding {
        self.addresses = Some(addresses);
        self
    }
}

/// All findings of a feed, sorted by file and line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Addresses that errors leave without an answer or with a wrong one (each counted
    /// once; a segment covering a whole street counts as one).
    pub affected_addresses: u64,
    /// Every finding.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when there is no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.errors == 0
    }

    /// Findings of one rule.
    pub fn of(&self, rule: Rule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// Counts per rule code, for summaries.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let mut m: HashMap<&'static str, usize> = HashMap::new();
        for f in &self.findings {
            *m.entry(f.rule.code()).or_default() += 1;
        }
        let mut v: Vec<_> = m.into_iter().collect();
        v.sort();
        v
    }
}

/// Required child fields per element (data-processor's "missing" rules).
const REQUIRED: &[(&str, &[&str])] = &[
    ("Source", &["Name", "DateTime", "VipId"]),
    ("Election", &["Date", "StateId"]),
    ("State", &["Name"]),
    ("Locality", &["Name", "StateId", "Type"]),
    ("Precinct", &["Name", "LocalityId"]),
    ("ElectoralDistrict", &["Name", "Type"]),
    ("CandidateContest", &["ElectoralDistrictId"]),
    ("BallotMeasureContest", &["ElectoralDistrictId"]),
    ("RetentionContest", &["CandidateId"]),
    ("OrderedContest", &["ContestId"]),
    ("PartySelection", &["PartyIds"]),
    ("Candidate", &["BallotName"]),
    ("Office", &["Name"]),
    ("StreetSegment", &["OddEvenBoth", "City", "State", "Zip"]),
];

const DISTRICT_TYPES: &[&str] = &[
    "borough",
    "city",
    "city-council",
    "congressional",
    "county",
    "county-council",
    "judicial",
    "municipality",
    "national",
    "school",
    "special",
    "state",
    "state-house",
    "state-senate",
    "town",
    "township",
    "utility",
    "village",
    "ward",
    "water",
    "other",
];

/// (element, path ending, allowed values) enumerations of the 5.x schema.
const ENUMS: &[(&str, &str, &[&str])] = &[
    ("StreetSegment", "OddEvenBoth", &["odd", "even", "both"]),
    ("Locality", "Type", DISTRICT_TYPES),
    ("ElectoralDistrict", "Type", DISTRICT_TYPES),
    (
        "BallotMeasureContest",
        "Type",
        &["ballot-measure", "initiative", "referendum", "other"],
    ),
    (
        "Candidate",
        "PreElectionStatus",
        &["filed", "qualified", "withdrawn", "write-in"],
    ),
    (
        "Candidate",
        "PostElectionStatus",
        &[
            "advanced-to-runoff",
            "projected-winner",
            "winner",
            "withdrawn",
        ],
    ),
    (
        "*",
        "VoterService/Type",
        &[
            "absentee-ballots",
            "overseas-voting",
            "polling-places",
            "voter-registration",
            "other",
        ],
    ),
    ("Office", "Term/Type", &["full-term", "unexpired-term"]),
    (
        "*",
        "ExternalIdentifier/Type",
        &[
            "fips",
            "local-level",
            "national-level",
            "ocd-id",
            "state-level",
            "other",
        ],
    ),
];

/// State and territory FIPS codes.
const STATE_FIPS: &[u8] = &[
    1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 44, 45, 46, 47, 48, 49, 50, 51, 53, 54,
    55, 56, 60, 66, 69, 72, 78,
];

/// Runs the per-element rules on `el`, appending findings.
pub fn check_element(el: &RawElement, out: &mut Vec<Finding>) {
    let err = |rule: Rule, field: &str, message: String| {
        Finding::new(rule.severity_on(&el.tag, field), rule, el, field, message)
    };
    if let Some((_, fields)) = REQUIRED.iter().find(|(t, _)| *t == el.tag) {
        for field in *fields {
            if el.get(field).is_none_or(|t| t.is_empty())
                && !el
                    .nodes
                    .iter()
                    .any(|n| n.path.starts_with(&format!("{field}/")))
            {
                out.push(err(
                    Rule::MissingRequired,
                    field,
                    format!("{} {} has no {field}", el.tag, el.id_str()),
                ));
            }
        }
    }
    for (i, n) in el.nodes.iter().enumerate() {
        let last = n.path.rsplit('/').next().unwrap_or(&n.path);
        // Groups that need all their parts.
        if !n.leaf || n.text.is_empty() || (last == "Term" && el.tag == "Office") {
            let kids = el.children_of(i);
            let has = |name: &str| {
                kids.iter()
                    .any(|k| k.path == format!("{}/{name}", n.path) && !k.text.is_empty())
            };
            match last {
                "ExternalIdentifier" => {
                    for part in ["Type", "Value"] {
                        if !has(part) {
                            out.push(err(
                                Rule::MissingRequired,
                                &format!("{}/{part}", n.path),
                                format!(
                                    "{} {}: ExternalIdentifier has no {part}",
                                    el.tag,
                                    el.id_str()
                                ),
                            ));
                        }
                    }
                }
                "Term" if el.tag == "Office" && !has("Type") => out.push(err(
                    Rule::MissingRequired,
                    "Term/Type",
                    format!("Office {}: Term has no Type", el.id_str()),
                )),
                "LatLng" => {
                    for part in ["Latitude", "Longitude"] {
                        if !has(part) {
                            out.push(err(
                                Rule::InvalidCoordinates,
                                &format!("LatLng/{part}"),
                                format!("{} {}: LatLng has no {part}", el.tag, el.id_str()),
                            ));
                        }
                    }
                }
                "AddressStructured" => {
                    for part in ["Line1", "City", "State"] {
                        if !has(part) {
                            out.push(err(
                                Rule::MissingRequired,
                                &format!("AddressStructured/{part}"),
                                format!(
                                    "{} {}: AddressStructured has no {part}",
                                    el.tag,
                                    el.id_str()
                                ),
                            ));
                        }
                    }
                }
                _ => {}
            }
            if !n.leaf {
                continue;
            }
        }
        let v = n.text.as_str();
        if v.is_empty() {
            continue;
        }
        for (tag, ending, allowed) in ENUMS {
            let applies = if *tag == "*" {
                n.path == *ending || n.path.ends_with(&format!("/{ending}"))
            } else {
                *tag == el.tag && n.path == *ending
            };
            if applies && !allowed.contains(&v) {
                out.push(err(
                    Rule::InvalidEnum,
                    &n.path,
                    format!(
                        "{} {}: {} {v:?} is not one of {}",
                        el.tag,
                        el.id_str(),
                        n.path,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        let is_bool_name = ["Is", "Has", "Includes"].iter().any(|p| {
            last.starts_with(p) && last[p.len()..].starts_with(|c: char| c.is_ascii_uppercase())
        });
        if is_bool_name && !matches!(v, "true" | "false" | "1" | "0") {
            out.push(err(
                Rule::InvalidBoolean,
                &n.path,
                format!(
                    "{} {}: {} {v:?} is not true, false, 1 or 0",
                    el.tag,
                    el.id_str(),
                    n.path
                ),
            ));
        }
        match last {
            "Email" if !valid_email(v) => out.push(err(
                Rule::InvalidEmail,
                &n.path,
                format!("{} {}: {v:?} is not an e-mail address", el.tag, el.id_str()),
            )),
            "Color" if !(v.len() == 6 && v.bytes().all(|b| b.is_ascii_hexdigit())) => {
                out.push(err(
                    Rule::InvalidColor,
                    &n.path,
                    format!(
                        "{} {}: colour {v:?} is not six hex digits",
                        el.tag,
                        el.id_str()
                    ),
                ))
            }
            "StartTime" | "EndTime" if !valid_time_with_zone(v) => out.push(err(
                Rule::InvalidTime,
                &n.path,
                format!(
                    "{} {}: {v:?} is not a time hh:mm:ss with a zone",
                    el.tag,
                    el.id_str()
                ),
            )),
            "StartDate" | "EndDate" if n.path.starts_with("Schedule") && !valid_date(v) => out
                .push(err(
                    Rule::InvalidDate,
                    &n.path,
                    format!("{} {}: {v:?} is not a date YYYY-MM-DD", el.tag, el.id_str()),
                )),
            "Latitude" | "Longitude" => {
                let limit = if last == "Latitude" { 90.0 } else { 180.0 };
                if !v.parse::<f64>().is_ok_and(|x| x.abs() <= limit) {
                    out.push(err(
                        Rule::InvalidCoordinates,
                        &n.path,
                        format!(
                            "{} {}: {last} {v:?} is not a number within ±{limit}",
                            el.tag,
                            el.id_str()
                        ),
                    ));
                }
            }
            "VipId" if el.tag == "Source" && !valid_fips(v) => out.push(err(
                Rule::InvalidFips,
                &n.path,
                format!(
                    "Source {}: VipId {v:?} is not a state or county FIPS code",
                    el.id_str()
                ),
            )),
            "StartHouseNumber" | "EndHouseNumber"
                if crate::model::parse_house_number(v).is_none() =>
            {
                out.push(err(
                    Rule::InvalidHouseNumber,
                    &n.path,
                    format!(
                        "{} {}: {last} {v:?} is not a whole number",
                        el.tag,
                        el.id_str()
                    ),
                ))
            }
            _ => {}
        }
    }
    if el.tag == "PollingLocation"
        && el.all("AddressLine").all(str::is_empty)
        && el.get("AddressStructured").is_none()
    {
        out.push(err(
            Rule::MissingAddress,
            "",
            format!("PollingLocation {} has no address", el.id_str()),
        ));
    }
    if el.tag == "StreetSegment"
        && let (Some(s), Some(e)) = (
            crate::model::parse_house_number(el.text("StartHouseNumber")),
            crate::model::parse_house_number(el.text("EndHouseNumber")),
        )
        && s > e
    {
        out.push(err(
            Rule::InvalidHouseNumber,
            "EndHouseNumber",
            format!(
                "StreetSegment {}: range {s}-{e} ends before it starts",
                el.id_str()
            ),
        ));
    }
}

/// `user@domain.tld`, without spaces.
fn valid_email(v: &str) -> bool {
    let Some((user, domain)) = v.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && !v.contains(char::is_whitespace)
        && !domain.contains('@')
        && domain
            .split_once('.')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

/// The schema's `TimeWithZone`: `hh:mm:ss` (or `24:00:00`) then `Z` or `±hh:mm`.
fn valid_time_with_zone(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 9 {
        return false;
    }
    let num = |s: &[u8]| -> Option<u32> {
        (s.len() == 2 && s.iter().all(u8::is_ascii_digit))
            .then(|| ((s[0] - b'0') * 10 + (s[1] - b'0')) as u32)
    };
    let (Some(h), Some(m), Some(s)) = (num(&b[0..2]), num(&b[3..5]), num(&b[6..8])) else {
        return false;
    };
    if b[2] != b':' || b[5] != b':' {
        return false;
    }
    let time_ok = (h < 24 && m < 60 && s < 60) || (h, m, s) == (24, 0, 0);
    let zone = &b[8..];
    let zone_ok = zone == b"Z"
        || (zone.len() == 6
            && (zone[0] == b'+' || zone[0] == b'-')
            && zone[3] == b':'
            && num(&zone[1..3]).is_some_and(|zh| zh <= 14)
            && num(&zone[4..6]).is_some_and(|zm| zm < 60));
    time_ok && zone_ok
}

/// A real calendar day `YYYY-MM-DD` (an `xs:date` without zone).
fn valid_date(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (
        parts[0].parse::<u32>(),
        parts[1].parse::<u32>(),
        parts[2].parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A 2-digit state or 5-digit county FIPS code with a real state part.
fn valid_fips(v: &str) -> bool {
    if !(v.len() == 2 || v.len() == 5) || !v.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    v[..2].parse::<u8>().is_ok_and(|s| STATE_FIPS.contains(&s))
}

/// Runs every rule on `feed`: the per-element findings made while reading, then the
/// whole-feed rules. Severities follow what a finding does to lookups
/// ([`Rule::severity_on`]); each error names the addresses it affects and the report
/// totals them.
pub fn validate(feed: &Feed) -> Report {
    let impact = Impact::new(feed);
    // Segment indexes that errors affect, for the report's total.
    let mut broken: Vec<usize> = Vec::new();
    let mut findings: Vec<Finding> = Vec::with_capacity(feed.read_findings.len());
    for f in &feed.read_findings {
        let mut f = f.clone();
        f.severity = f.rule.severity_on(&f.element, &f.field);
        if f.element == "StreetSegment"
            && let Some(i) = impact.segment(&f.id)
        {
            f.addresses = Some(impact.addresses(&[i]));
            if f.severity == Severity::Error {
                broken.push(i);
            }
        }
        findings.push(f);
    }
    // Duplicate ids.
    let mut first: HashMap<&str, &crate::model::Declared> =
        HashMap::with_capacity(feed.declared.len());
    for d in &feed.declared {
        if let Some(prev) = first.get(d.id.as_str()) {
            let mut severity = Rule::DuplicateId.severity_on(&d.element, "");
            if severity == Severity::Warning {
                severity = Rule::DuplicateId.severity_on(&prev.element, "");
            }
            let mut f = Finding::at(
                severity,
                Rule::DuplicateId,
                &d.element,
                &d.id,
                "",
                &d.origin,
                format!(
                    "id {:?} is already used by the {} at line {}",
                    d.id, prev.element, prev.origin.line
                ),
            );
            if severity == Severity::Error {
                let mut touched = impact.segments_of_precinct(&d.id);
                touched.extend(impact.segments_of_place(&d.id));
                f = f.affecting(impact.addresses(&touched));
                broken.extend(touched);
            }
            findings.push(f);
        } else {
            first.insert(&d.id, d);
        }
    }
    dangling_references(feed, &impact, &first, &mut findings, &mut broken);
    for (i, s) in feed.street_segments.iter().enumerate() {
        if s.precinct_id.is_empty() {
            findings.push(
                Finding::at(
                    Severity::Error,
                    Rule::SegmentWithoutPrecinct,
                    "StreetSegment",
                    &s.id,
                    "PrecinctId",
                    &s.origin,
                    format!(
                        "StreetSegment {} names no precinct: its addresses get no answer",
                        s.id
                    ),
                )
                .affecting(impact.addresses(&[i])),
            );
            broken.push(i);
        }
    }
    overlaps(feed, &mut findings);
    precincts_without_places(feed, &impact, &mut findings);
    findings.sort_by(|a, b| {
        (a.origin.file.as_str(), a.origin.line, a.rule.code()).cmp(&(
            b.origin.file.as_str(),
            b.origin.line,
            b.rule.code(),
        ))
    });
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    Report {
        errors,
        warnings: findings.len() - errors,
        affected_addresses: impact.addresses(&broken),
        findings,
    }
}

/// References to ids no element has. One that leaves a street segment without a
/// precinct (so its addresses get no answer) is an error; one the feed resolves anyway
/// (a VIP 3.0 split that only `precinct_split_polling_location.txt` declares) or that
/// only costs a precinct its polling place (the lookup then answers the precinct and the
/// county's contact) is a warning, with the addresses concerned.
fn dangling_references(
    feed: &Feed,
    impact: &Impact<'_>,
    declared: &HashMap<&str, &crate::model::Declared>,
    findings: &mut Vec<Finding>,
    broken: &mut Vec<usize>,
) {
    for r in &feed.references {
        if declared.contains_key(r.target.as_str()) {
            continue;
        }
        let base = format!("{} {:?} names no element", r.field, r.target);
        let at = |severity: Severity, message: String| {
            Finding::at(
                severity,
                Rule::DanglingReference,
                &r.element,
                &r.from_id,
                &r.field,
                &r.origin,
                message,
            )
        };
        let finding = if r.element == "StreetSegment" {
            let seg = impact.segment(&r.from_id);
            let addresses = seg.map_or(0, |i| impact.addresses(&[i]));
            if impact.segment_resolves(&r.from_id) {
                let precinct = seg.map_or("", |i| feed.street_segments[i].precinct_id.as_str());
                at(
                    Severity::Warning,
                    format!(
                        "{base}, but the segment still resolves to precinct {precinct} through the feed's join tables"
                    ),
                )
                .affecting(addresses)
            } else {
                broken.extend(seg);
                at(
                    Severity::Error,
                    format!("{base}: the segment's {addresses} addresses get no answer"),
                )
                .affecting(addresses)
            }
        } else if is_place_field(&r.field) {
            let touched = impact.segments_of_precinct(&r.from_id);
            let addresses = impact.addresses(&touched);
            let message = if touched.is_empty() {
                format!("{base}: no street segment is affected")
            } else {
                format!(
                    "{base}: {addresses} addresses of {} lack that place; where it was their only polling place, the lookup answers their precinct with the county's contact",
                    r.from_id
                )
            };
            at(Severity::Warning, message).affecting(addresses)
        } else {
            at(Severity::Warning, base)
        };
        findings.push(finding);
    }
}

/// True for a reference to a polling location or early-vote site.
fn is_place_field(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    f.contains("polling_location") || f.contains("pollinglocation") || f.contains("early_vote")
}

/// The (street, ZIP or city) a segment is on, normalised as lookups see it.
fn segment_place(s: &StreetSegment) -> (StreetKey, String) {
    let zip = normalize_zip(&s.zip).0;
    let place = if zip.is_empty() {
        clean_text(&s.city)
    } else {
        zip
    };
    (street_key(s), place)
}

/// Overlapping segments on one street: a sweep over ranges sorted by start, odd/even
/// aware. Only segments of different precincts count (an address there has two
/// answers); as in the VIP validator, segments of one precinct may overlap.
fn overlaps(feed: &Feed, out: &mut Vec<Finding>) {
    let mut by_street: HashMap<(StreetKey, String), Vec<usize>> = HashMap::new();
    for (i, s) in feed.street_segments.iter().enumerate() {
        if s.includes_all_streets {
            continue;
        }
        let ranged = s.includes_all_addresses || (s.start.is_some() && s.end.is_some());
        if ranged && s.start.zip(s.end).is_none_or(|(a, b)| a <= b) {
            by_street.entry(segment_place(s)).or_default().push(i);
        }
    }
    let range = |s: &StreetSegment| {
        if s.includes_all_addresses {
            (0, u32::MAX)
        } else {
            (s.start.unwrap_or(0), s.end.unwrap_or(0))
        }
    };
    let mut groups: Vec<_> = by_street.into_values().filter(|v| v.len() > 1).collect();
    groups.sort();
    for mut idx in groups {
        idx.sort_by_key(|&i| (range(&feed.street_segments[i]).0, i));
        for (k, &i) in idx.iter().enumerate() {
            let a = &feed.street_segments[i];
            let (_, a_end) = range(a);
            for &j in &idx[k + 1..] {
                let b = &feed.street_segments[j];
                let (b_start, b_end) = range(b);
                if b_start > a_end {
                    break;
                }
                let pa = a.parity.unwrap_or(Parity::Both);
                let pb = b.parity.unwrap_or(Parity::Both);
                if !pa.meets(pb) || !shares_number(b_start, a_end.min(b_end), pa, pb) {
                    continue;
                }
                // Segments of one precinct may overlap: the answer is the same.
                if a.precinct_id == b.precinct_id {
                    continue;
                }
                let (later, earlier) = if (b.origin.line, j) > (a.origin.line, i) {
                    (b, a)
                } else {
                    (a, b)
                };
                let shared = shared_addresses(b_start, a_end.min(b_end), pa, pb);
                out.push(
                    Finding::at(
                        Severity::Warning,
                        Rule::OverlappingSegments,
                        "StreetSegment",
                        &later.id,
                        "",
                        &later.origin,
                        format!(
                            "StreetSegment {} ({}) overlaps {} ({}) at line {}; precincts {} and {}: \
                             {shared} shared addresses are answered with both precincts and the county's contact",
                            later.id,
                            describe(later),
                            earlier.id,
                            describe(earlier),
                            earlier.origin.line,
                            later.precinct_id,
                            earlier.precinct_id
                        ),
                    )
                    .affecting(shared),
                );
            }
        }
    }
}

/// True when some number in `lo..=hi` is on both sides `a` and `b`.
fn shares_number(lo: u32, hi: u32, a: Parity, b: Parity) -> bool {
    if lo > hi {
        return false;
    }
    let side = if a == Parity::Both { b } else { a };
    match side {
        Parity::Both => true,
        p => (lo..=hi.min(lo.saturating_add(1))).any(|n| p.admits(n)),
    }
}

fn describe(s: &StreetSegment) -> String {
    let range = if s.includes_all_addresses {
        "all".to_string()
    } else {
        format!("{}-{}", s.start.unwrap_or(0), s.end.unwrap_or(0))
    };
    let parity = match s.parity {
        Some(Parity::Odd) => "odd",
        Some(Parity::Even) => "even",
        _ => "both",
    };
    format!("{range} {parity} {}", s.street_name)
}

fn precincts_without_places(feed: &Feed, impact: &Impact<'_>, out: &mut Vec<Finding>) {
    // A VIP 3.0 precinct whose splits have places is served.
    let served_parents: HashSet<&str> = feed
        .precincts
        .iter()
        .filter(|p| !p.polling_location_ids.is_empty())
        .filter_map(|p| p.parent_id.as_deref())
        .collect();
    for p in &feed.precincts {
        if !p.mail_only
            && p.polling_location_ids.is_empty()
            && !served_parents.contains(p.id.as_str())
        {
            let addresses = impact.addresses(&impact.segments_of_precinct(&p.id));
            out.push(
                Finding::at(
                    Severity::Warning,
                    Rule::PrecinctWithoutPollingPlace,
                    "Precinct",
                    &p.id,
                    "PollingLocationIds",
                    &p.origin,
                    format!(
                        "Precinct {} ({}) is not mail-only but has no polling place: its {addresses} addresses are answered with the precinct and the county's contact",
                        p.id, p.name
                    ),
                )
                .affecting(addresses),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_dates_fips_emails() {
        assert!(valid_time_with_zone("09:00:00-06:00"));
        assert!(valid_time_with_zone("24:00:00Z"));
        assert!(!valid_time_with_zone("37:00:00-06:00"));
        assert!(!valid_time_with_zone("09:00:00"));
        assert!(!valid_time_with_zone("09:00"));
        assert!(valid_date("2016-02-29"));
        assert!(!valid_date("2017-02-29"));
        assert!(!valid_date("2016-11-08T08:00:00.000-06:00"));
        assert!(valid_fips("01") && valid_fips("01001"));
        assert!(!valid_fips("99") && !valid_fips("99999") && !valid_fips("the-vip-id"));
        assert!(valid_email("this.is.valid@example.com"));
        assert!(!valid_email("not.a.complete.email") && !valid_email("@missing.a.user"));
    }

    #[test]
    fn parity_aware_sharing() {
        assert!(!shares_number(5, 5, Parity::Even, Parity::Even));
        assert!(shares_number(4, 5, Parity::Even, Parity::Both));
        assert!(shares_number(1, 1, Parity::Odd, Parity::Odd));
    }
}
