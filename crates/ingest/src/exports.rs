//! List exports in the formats campaign tools read, as pure formatting over voter records
//! (no store, no I/O beyond the writer it is given):
//!
//! - `csv`: votebase's own columns.
//! - `van`: a VAN-style voter export (`Voter File VANID`, names, address, home and cell
//!   phones, county, precinct, districts).
//! - `spoke`: Spoke's contact upload (`firstName,lastName,cell,zip` and custom fields).
//!   `cell` holds only numbers known to be mobile: the cells appended to the voter (phone
//!   appends are cell numbers). The voter file's own phone has no line type, so it is
//!   never used there; voters without a known, valid US cell are left out and counted
//!   ([`ExportSummary::without_cell`]). Each number once: when several voters share a
//!   cell, the first (in export order) gets the row and the others fall back to another
//!   cell of theirs, or are left out.
//! - `nationbuilder`: NationBuilder's people-import columns, with its codes: `sex` as
//!   `M`, `F` or `O` (blank when unknown), `party` as one character (see
//!   [`nationbuilder_party`]), `born_at` only when the full birth date is known (the
//!   voter file usually gives only the year: then it is blank, not a made-up January 1),
//!   and `tag_list` the list name.
//! - `walk`: a canvassing walk list, one row per household (everyone at the same address
//!   and unit together), grouped by precinct and street, ordered by street name, then
//!   odd side before even side, then house number, then unit.
//!
//! Feed voters with [`ExportWriter::push`] (each with the cell numbers appended to it,
//! most probable first) and call [`ExportWriter::finish`]: rows stream out as they come,
//! except the walk list, which is sorted at the end. Every cell goes through
//! [`votebase_domain::csv_safe::SafeWriter`], so no cell opens as a formula.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Write;
use std::str::FromStr;

use votebase_domain::VoterRecord;
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::voters::{Gender, Party};

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// votebase's own columns.
    Csv,
    /// VAN-style voter export.
    Van,
    /// Spoke contact CSV.
    Spoke,
    /// NationBuilder people import.
    NationBuilder,
    /// Walk list, one row per household.
    Walk,
}

impl ExportFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Csv,
        ExportFormat::Van,
        ExportFormat::Spoke,
        ExportFormat::NationBuilder,
        ExportFormat::Walk,
    ];

    /// The name used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Van => "van",
            ExportFormat::Spoke => "spoke",
            ExportFormat::NationBuilder => "nationbuilder",
            ExportFormat::Walk => "walk",
        }
    }

    /// The header row of the format.
    pub fn header(self) -> &'static [&'static str] {
        match self {
            ExportFormat::Csv => &CSV_HEADER,
            ExportFormat::Van => &VAN_HEADER,
            ExportFormat::Spoke => &SPOKE_HEADER,
            ExportFormat::NationBuilder => &NATIONBUILDER_HEADER,
            ExportFormat::Walk => &WALK_HEADER,
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown export format {0:?}: use csv, van, spoke, nationbuilder or walk")]
pub struct UnknownFormat(pub String);

impl FromStr for ExportFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        Ok(match norm.as_str() {
            "csv" => ExportFormat::Csv,
            "van" | "votebuilder" => ExportFormat::Van,
            "spoke" => ExportFormat::Spoke,
            "nationbuilder" | "nb" => ExportFormat::NationBuilder,
            "walk" | "walklist" => ExportFormat::Walk,
            _ => return Err(UnknownFormat(s.to_string())),
        })
    }
}

/// votebase's own columns.
pub const CSV_HEADER: [&str; 13] = [
    "state_voter_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "address",
    "city",
    "zip",
    "phone",
    "county",
    "precinct",
    "party",
    "birth_year",
];

/// VAN-style voter export columns.
pub const VAN_HEADER: [&str; 21] = [
    "Voter File VANID",
    "LastName",
    "FirstName",
    "MiddleName",
    "Suffix",
    "Address",
    "City",
    "State",
    "Zip5",
    "Zip4",
    "Home Phone",
    "Cell Phone",
    "Party",
    "Sex",
    "Age",
    "CountyName",
    "PrecinctName",
    "CD",
    "SD",
    "HD",
    "LocalID",
];

/// Spoke contact upload columns: the four Spoke requires, then custom fields.
pub const SPOKE_HEADER: [&str; 8] = [
    "firstName",
    "lastName",
    "cell",
    "zip",
    "external_id",
    "county",
    "precinct",
    "party",
];

/// NationBuilder people-import columns.
pub const NATIONBUILDER_HEADER: [&str; 22] = [
    "state_file_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "born_at",
    "sex",
    "party",
    "registered_at",
    "phone_number",
    "mobile_number",
    "registered_address1",
    "registered_address2",
    "registered_city",
    "registered_state",
    "registered_zip",
    "county_district",
    "precinct_name",
    "federal_district",
    "state_upper_district",
    "state_lower_district",
    "tag_list",
];

/// Walk list columns: one row per household.
pub const WALK_HEADER: [&str; 13] = [
    "precinct",
    "street",
    "side",
    "house_number",
    "unit",
    "address",
    "city",
    "zip",
    "voters",
    "names",
    "state_voter_ids",
    "parties",
    "phone",
];

/// An export failure: the writer failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing the CSV failed.
    #[error("cannot write the export: {0}")]
    Write(#[from] csv::Error),
    /// Flushing the output failed.
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Voters fed in.
    pub voters: u64,
    /// Data rows written (households for a walk list).
    pub rows: u64,
    /// Spoke: voters left out for want of a known cell number of their own (no valid
    /// appended cell; the voter file's phone, of unknown line type, does not count).
    pub without_cell: u64,
    /// Spoke: voters left out because their only cells were already on another row.
    pub shared_cell: u64,
}

/// True for a valid US mobile-capable number in E.164: `+1`, then an area code and an
/// exchange that both start with 2–9 and are not N11 service codes.
pub fn is_valid_us_cell(e164: &str) -> bool {
    let Some(digits) = e164.strip_prefix("+1") else {
        return false;
    };
    let b = digits.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n11 = |i: usize| b[i + 1] == b'1' && b[i + 2] == b'1';
    b[0] >= b'2' && b[3] >= b'2' && !n11(0) && !n11(3)
}

/// The leading number of a house number (`12B` → 12, `7 1/2` → 7), if any.
pub fn house_number_value(house_number: &str) -> Option<u64> {
    let digits: String = house_number
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The street of an address without house number or unit: `N MAIN ST`.
fn street_of(v: &VoterRecord) -> String {
    let a = &v.address;
    [
        a.pre_direction.as_str(),
        &a.street_name,
        &a.street_suffix,
        &a.post_direction,
    ]
    .iter()
    .filter(|p| !p.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" ")
}

fn unit_of(v: &VoterRecord) -> String {
    let a = &v.address;
    [a.unit_type.as_str(), &a.unit]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Age at the end of the reference year, as text.
fn age_text(v: &VoterRecord, year: i32) -> String {
    v.age_at_year_end(year)
        .map(|a| a.to_string())
        .unwrap_or_default()
}

/// Walk-list ordering key of a household: precinct, street, side (odd 0, even 1, no
/// number 2), house number, house number text, unit, ZIP.
type WalkKey = (String, String, u8, u64, String, String, String);

#[derive(Debug, Default)]
struct Household {
    address: String,
    city: String,
    names: Vec<String>,
    ids: Vec<String>,
    parties: Vec<String>,
    phone: String,
}

/// Streams voters into one export format.
pub struct ExportWriter<W: Write> {
    format: ExportFormat,
    out: SafeWriter<W>,
    reference_year: i32,
    tag: String,
    used_cells: HashSet<String>,
    households: BTreeMap<WalkKey, Household>,
    summary: ExportSummary,
}

impl<W: Write> ExportWriter<W> {
    /// A writer of `format` into `out`; the header is written at once. Ages are counted
    /// at the end of `reference_year`; `tag` goes into NationBuilder's `tag_list` (the
    /// list name, say; empty for none).
    pub fn new(
        format: ExportFormat,
        out: W,
        reference_year: i32,
        tag: &str,
    ) -> Result<Self, ExportError> {
        let mut out = SafeWriter::from_writer(out);
        out.write_record(format.header())?;
        Ok(Self {
            format,
            out,
            reference_year,
            tag: tag.to_string(),
            used_cells: HashSet::new(),
            households: BTreeMap::new(),
            summary: ExportSummary::default(),
        })
    }

    /// Adds one voter, with the cell numbers appended to them (E.164, most probable
    /// first).
    pub fn push(&mut self, v: &VoterRecord, appended_cells: &[String]) -> Result<(), ExportError> {
        self.summary.voters += 1;
        let cell = appended_cells.first().cloned().unwrap_or_default();
        match self.format {
            ExportFormat::Csv => {
                self.out.write_record([
                    v.state_voter_id.as_str(),
                    &v.first_name,
                    &v.middle_name,
                    &v.last_name,
                    &v.name_suffix,
                    &v.address.line1(),
                    &v.address.city,
                    &v.address.zip5,
                    &v.phone.e164,
                    &v.county_name,
                    &v.precinct_code,
                    v.party.code(),
                    &v.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                ])?;
                self.summary.rows += 1;
            }
            ExportFormat::Van => {
                self.out.write_record([
                    v.state_voter_id.as_str(),
                    &v.last_name,
                    &v.first_name,
                    &v.middle_name,
                    &v.name_suffix,
                    &v.address.line1(),
                    &v.address.city,
                    &v.address.state,
                    &v.address.zip5,
                    &v.address.zip4,
                    &v.phone.e164,
                    &cell,
                    &v.party_code_or_normalised(),
                    v.gender.code(),
                    &age_text(v, self.reference_year),
                    &v.county_name,
                    &precinct_label(v),
                    &v.congressional_district,
                    &v.state_senate_district,
                    &v.state_house_district,
                    &v.local_voter_id,
                ])?;
                self.summary.rows += 1;
            }
            ExportFormat::Spoke => {
                let candidates = appended_cells
                    .iter()
                    .map(String::as_str)
                    .filter(|c| is_valid_us_cell(c));
                let mut any_valid = false;
                let mut chosen = None;
                for c in candidates {
                    any_valid = true;
                    if !self.used_cells.contains(c) {
                        chosen = Some(c.to_string());
                        break;
                    }
                }
                match chosen {
                    Some(c) => {
                        self.out.write_record([
                            v.first_name.as_str(),
                            &v.last_name,
                            &c,
                            &v.address.zip5,
                            &v.state_voter_id,
                            &v.county_name,
                            &v.precinct_code,
                            v.party.code(),
                        ])?;
                        self.used_cells.insert(c);
                        self.summary.rows += 1;
                    }
                    None if any_valid => self.summary.shared_cell += 1,
                    None => self.summary.without_cell += 1,
                }
            }
            ExportFormat::NationBuilder => {
                let born = v.birth_date.map(|d| d.to_string()).unwrap_or_default();
                let unit = unit_of(v);
                let line1 = if unit.is_empty() {
                    v.address.line1()
                } else {
                    v.address.line1().trim_end_matches(&unit).trim().to_string()
                };
                self.out.write_record([
                    v.state_voter_id.as_str(),
                    &v.first_name,
                    &v.middle_name,
                    &v.last_name,
                    &v.name_suffix,
                    &born,
                    nationbuilder_sex(v.gender),
                    nationbuilder_party(v.party),
                    &v.registration_date
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    &v.phone.e164,
                    &cell,
                    &line1,
                    &unit,
                    &v.address.city,
                    &v.address.state,
                    &v.address.zip5,
                    &v.county_name,
                    &precinct_label(v),
                    &v.congressional_district,
                    &v.state_senate_district,
                    &v.state_house_district,
                    &self.tag,
                ])?;
                self.summary.rows += 1;
            }
            ExportFormat::Walk => {
                let number = house_number_value(&v.address.house_number);
                let side = match number {
                    Some(n) if n % 2 == 1 => 0,
                    Some(_) => 1,
                    None => 2,
                };
                let key = (
                    format!("{}/{}", v.county_name, v.precinct_code),
                    street_of(v),
                    side,
                    number.unwrap_or(0),
                    v.address.house_number.clone(),
                    unit_of(v),
                    v.address.zip5.clone(),
                );
                let h = self.households.entry(key).or_default();
                if h.ids.is_empty() {
                    h.address = v.address.line1();
                    h.city = v.address.city.clone();
                }
                if h.phone.is_empty() {
                    h.phone = if v.phone.e164.is_empty() {
                        cell
                    } else {
                        v.phone.e164.clone()
                    };
                }
                let age = age_text(v, self.reference_year);
                h.names.push(if age.is_empty() {
                    v.display_name()
                } else {
                    format!("{} ({age})", v.display_name())
                });
                h.ids.push(v.state_voter_id.clone());
                h.parties.push(v.party.code().to_string());
            }
        }
        Ok(())
    }

    /// Writes what is buffered (the walk list), flushes, and says what was written.
    pub fn finish(mut self) -> Result<ExportSummary, ExportError> {
        let households = std::mem::take(&mut self.households);
        for ((precinct, street, side, _, number, unit, zip), h) in households {
            let side = ["odd", "even", ""][side as usize];
            self.out.write_record([
                precinct.as_str(),
                &street,
                side,
                &number,
                &unit,
                &h.address,
                &h.city,
                &zip,
                &h.ids.len().to_string(),
                &h.names.join("; "),
                &h.ids.join(";"),
                &h.parties.join(";"),
                &h.phone,
            ])?;
            self.summary.rows += 1;
        }
        self.out.flush()?;
        Ok(self.summary)
    }
}

/// NationBuilder's `sex`: `M`, `F`, `O`, or blank when the file gave none.
pub fn nationbuilder_sex(g: Gender) -> &'static str {
    match g {
        Gender::Male => "M",
        Gender::Female => "F",
        Gender::Other => "O",
        Gender::Unknown => "",
    }
}

/// NationBuilder's one-character `party` code: `D` Democratic, `R` Republican, `L`
/// Libertarian, `G` Green, `C` Constitution, `U` unaffiliated, `O` any other party,
/// blank when the file gave none.
pub fn nationbuilder_party(p: Party) -> &'static str {
    match p {
        Party::Dem => "D",
        Party::Rep => "R",
        Party::Lib => "L",
        Party::Green => "G",
        Party::Constitution => "C",
        Party::Unaffiliated => "U",
        Party::Other => "O",
        Party::Unknown => "",
    }
}

fn precinct_label(v: &VoterRecord) -> String {
    if v.precinct_name.is_empty() {
        v.precinct_code.clone()
    } else {
        v.precinct_name.clone()
    }
}

trait PartyText {
    fn party_code_or_normalised(&self) -> String;
}

impl PartyText for VoterRecord {
    /// The state's own party code when the file had one, else the normalised code.
    fn party_code_or_normalised(&self) -> String {
        if self.party_code.is_empty() {
            self.party.code().to_string()
        } else {
            self.party_code.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::voters::{Address, Phone};

    fn voter(id: &str, number: &str, street: &str, unit: &str, phone: &str) -> VoterRecord {
        VoterRecord {
            state_voter_id: id.into(),
            first_name: format!("F{id}"),
            last_name: "DOE".into(),
            county_name: "WAKE".into(),
            precinct_code: "01-02".into(),
            party: Party::Dem,
            birth_year: Some(1990),
            address: Address {
                house_number: number.into(),
                street_name: street.into(),
                street_suffix: "ST".into(),
                unit: unit.into(),
                unit_type: if unit.is_empty() { "" } else { "APT" }.into(),
                city: "RALEIGH".into(),
                state: "NC".into(),
                zip5: "27601".into(),
                ..Default::default()
            },
            phone: Phone {
                raw: phone.into(),
                e164: phone.into(),
            },
            ..Default::default()
        }
    }

    fn rows(format: ExportFormat, voters: &[(VoterRecord, Vec<String>)]) -> Vec<Vec<String>> {
        let mut buf = Vec::new();
        let mut w = ExportWriter::new(format, &mut buf, 2026, "my list").unwrap();
        for (v, cells) in voters {
            w.push(v, cells).unwrap();
        }
        w.finish().unwrap();
        let mut r = csv::Reader::from_reader(buf.as_slice());
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            format.header()
        );
        r.records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn formats_parse_by_name() {
        for f in ExportFormat::ALL {
            assert_eq!(f.name().parse::<ExportFormat>().unwrap(), f);
        }
        assert_eq!(
            "Nation-Builder".parse::<ExportFormat>().unwrap(),
            ExportFormat::NationBuilder
        );
        assert!("xls".parse::<ExportFormat>().is_err());
    }

    #[test]
    fn cells_are_checked() {
        assert!(is_valid_us_cell("+19195551234"));
        assert!(!is_valid_us_cell("+11195551234"), "area code starts with 1");
        assert!(!is_valid_us_cell("+19191551234"), "exchange starts with 1");
        assert!(!is_valid_us_cell("+19114551234"), "N11 area code");
        assert!(!is_valid_us_cell("+4915112345678"));
        assert!(!is_valid_us_cell(""));
        assert_eq!(house_number_value("12B"), Some(12));
        assert_eq!(house_number_value("7 1/2"), Some(7));
        assert_eq!(house_number_value("PO"), None);
    }

    #[test]
    fn spoke_keeps_one_row_per_known_cell() {
        let shared = "+19195550101".to_string();
        let voters = vec![
            (voter("A", "1", "OAK", "", ""), vec![shared.clone()]),
            // Same household cell: falls back to another appended cell of their own.
            (
                voter("B", "1", "OAK", "", ""),
                vec![shared.clone(), "+19845550102".into()],
            ),
            // Same number and nothing else: left out.
            (voter("C", "1", "OAK", "", ""), vec![shared.clone()]),
            // No valid number at all.
            (voter("D", "2", "OAK", "", ""), vec!["+1555".into()]),
            // A valid voter-file phone of unknown line type is not a known cell.
            (voter("E", "3", "OAK", "", "+19195550199"), vec![]),
        ];
        let mut buf = Vec::new();
        let mut w = ExportWriter::new(ExportFormat::Spoke, &mut buf, 2026, "").unwrap();
        for (v, cells) in &voters {
            w.push(v, cells).unwrap();
        }
        let summary = w.finish().unwrap();
        assert_eq!((summary.without_cell, summary.shared_cell), (2, 1));
        let got = rows(ExportFormat::Spoke, &voters);
        let cells: Vec<&str> = got.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(cells, ["+19195550101", "+19845550102"]);
        assert_eq!(got[0][..4], ["FA", "DOE", "+19195550101", "27601"]);
        assert_eq!(got[1][4], "B");
    }

    #[test]
    fn nationbuilder_uses_its_own_codes() {
        let mut v = voter("N1", "5", "PINE", "", "");
        v.gender = Gender::Female;
        v.party = Party::Rep;
        v.party_code = "REP".into();
        let nb = rows(ExportFormat::NationBuilder, &[(v.clone(), vec![])]);
        assert_eq!(
            nb[0][5], "",
            "only the birth year is known: born_at is blank"
        );
        assert_eq!((nb[0][6].as_str(), nb[0][7].as_str()), ("F", "R"));
        v.birth_date = chrono::NaiveDate::from_ymd_opt(1990, 4, 2);
        v.gender = Gender::Other;
        v.party = Party::Unaffiliated;
        let nb = rows(ExportFormat::NationBuilder, &[(v.clone(), vec![])]);
        assert_eq!(nb[0][5], "1990-04-02");
        assert_eq!((nb[0][6].as_str(), nb[0][7].as_str()), ("O", "U"));
        v.gender = Gender::Unknown;
        v.party = Party::Unknown;
        let nb = rows(ExportFormat::NationBuilder, &[(v, vec![])]);
        assert_eq!((nb[0][6].as_str(), nb[0][7].as_str()), ("", ""));
        for p in [
            Party::Dem,
            Party::Lib,
            Party::Green,
            Party::Constitution,
            Party::Other,
        ] {
            assert_eq!(nationbuilder_party(p).len(), 1);
        }
        assert_eq!(nationbuilder_sex(Gender::Male), "M");
    }

    #[test]
    fn formula_cells_are_neutralised_in_every_format() {
        let mut v = voter("=ID", "1", "@OAK", "", "");
        v.first_name = "=cmd".into();
        v.last_name = "+SUM(A1)".into();
        let cells = vec!["+19195550101".to_string()];
        for format in ExportFormat::ALL {
            let mut buf = Vec::new();
            let mut w = ExportWriter::new(format, &mut buf, 2026, "=HYPERLINK(\"x\")").unwrap();
            w.push(&v, &cells).unwrap();
            w.finish().unwrap();
            let mut r = csv::Reader::from_reader(buf.as_slice());
            let row: Vec<String> = r
                .records()
                .next()
                .expect("one row")
                .unwrap()
                .iter()
                .map(String::from)
                .collect();
            for cell in &row {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
                        || cell
                            .strip_prefix('+')
                            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit())),
                    "{format}: {cell:?} in {row:?}"
                );
            }
            let text = String::from_utf8(buf).unwrap();
            assert!(text.contains("'=cmd"), "{format}: {text}");
            if format == ExportFormat::NationBuilder {
                assert!(text.contains("'=HYPERLINK"), "{text}");
            }
            if matches!(format, ExportFormat::Spoke | ExportFormat::Van) {
                assert!(
                    text.contains(",+19195550101,"),
                    "a cell number stays a number: {text}"
                );
            }
        }
    }

    #[test]
    fn walk_list_groups_households_in_street_order() {
        let voters: Vec<(VoterRecord, Vec<String>)> = [
            voter("1", "12", "OAK", "", ""),
            voter("2", "3", "OAK", "", ""),
            voter("3", "10", "ELM", "", ""),
            voter("4", "12", "OAK", "", ""),
            voter("5", "1", "OAK", "", "+19195550111"),
            voter("6", "3", "OAK", "2", ""),
            voter("7", "2", "OAK", "", ""),
        ]
        .into_iter()
        .map(|v| (v, Vec::new()))
        .collect();
        let got = rows(ExportFormat::Walk, &voters);
        let order: Vec<(String, String, String, String)> = got
            .iter()
            .map(|r| (r[1].clone(), r[2].clone(), r[3].clone(), r[4].clone()))
            .collect();
        let expect = [
            ("ELM ST", "even", "10", ""),
            ("OAK ST", "odd", "1", ""),
            ("OAK ST", "odd", "3", ""),
            ("OAK ST", "odd", "3", "APT 2"),
            ("OAK ST", "even", "2", ""),
            ("OAK ST", "even", "12", ""),
        ];
        assert_eq!(
            order,
            expect
                .iter()
                .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
                .collect::<Vec<_>>()
        );
        // The two voters at 12 Oak share one row.
        let twelve = got.last().unwrap();
        assert_eq!((twelve[8].as_str(), twelve[10].as_str()), ("2", "1;4"));
        assert_eq!(got[1][12], "+19195550111");
    }

    #[test]
    fn van_and_nationbuilder_have_their_columns() {
        let v = voter("X9", "5", "PINE", "4", "+19195550123");
        let van = rows(
            ExportFormat::Van,
            &[(v.clone(), vec!["+19845550000".into()])],
        );
        assert_eq!(van[0][0], "X9");
        assert_eq!(van[0][10], "+19195550123");
        assert_eq!(van[0][11], "+19845550000");
        assert_eq!(van[0][14], "36");
        let nb = rows(ExportFormat::NationBuilder, &[(v, vec![])]);
        assert_eq!(nb[0][11], "5 PINE ST");
        assert_eq!(nb[0][12], "APT 4");
        assert_eq!(nb[0][21], "my list");
        let plain = rows(ExportFormat::Csv, &[(voter("Q", "1", "A", "", ""), vec![])]);
        assert_eq!(plain[0][0], "Q");
    }
}
