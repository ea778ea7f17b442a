//! File layouts: a TOML declaration of how a state's file is laid out (delimiter,
//! quoting, encoding, header or column list) and which source column feeds which
//! votebase field, with date formats and code tables. Built-in layouts ship for North
//! Carolina (`ncvoter`, `ncvhis`), Ohio (`ohio`) and Florida (`florida`, headerless);
//! any other state is one TOML file away. Binding a layout to a file's header finds
//! every column by name (case-insensitive), never by position.

use crate::IngestError;
use crate::input::Encoding;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Built-in layouts: (name, TOML text).
pub const BUILT_IN: &[(&str, &str)] = &[
    ("ncvoter", include_str!("../layouts/ncvoter.toml")),
    ("ncvhis", include_str!("../layouts/ncvhis.toml")),
    ("ohio", include_str!("../layouts/ohio.toml")),
    ("florida", include_str!("../layouts/florida.toml")),
    ("nc-absentee", include_str!("../layouts/nc-absentee.toml")),
    (
        "virginia-absentee",
        include_str!("../layouts/virginia-absentee.toml"),
    ),
];

/// Fields a ballots layout may map.
pub const BALLOT_FIELDS: &[&str] = &[
    "state_voter_id",
    "local_voter_id",
    "county_name",
    "election_date",
    "method",
    "delivery_type",
    "request_date",
    "send_date",
    "return_date",
    "return_status",
    "application_status",
    "site_name",
    "same_day_registration",
    "request_party",
    "first_name",
    "middle_name",
    "last_name",
    "age",
    "street_address",
    "city",
    "zip",
];

/// Fields a voters layout may map.
pub const VOTER_FIELDS: &[&str] = &[
    "state_voter_id",
    "county_code",
    "county_name",
    "local_voter_id",
    "status",
    "status_reason",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "full_name",
    "address_line",
    "city",
    "state",
    "zip",
    "zip4",
    "mail_address",
    "phone",
    "birth_year",
    "birth_date",
    "age",
    "gender",
    "race",
    "ethnicity",
    "party",
    "registration_date",
    "precinct_code",
    "precinct_name",
    "congressional_district",
    "state_senate_district",
    "state_house_district",
    "municipality",
];

/// Fields a history layout may map.
pub const HISTORY_FIELDS: &[&str] = &[
    "state_voter_id",
    "election_date",
    "election_desc",
    "voting_method",
    "voted_party",
    "county_name",
    "precinct",
];

/// What a layout's files hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayoutKind {
    /// A voter registration file.
    Voters,
    /// Vote history.
    History,
    /// Absentee and early-vote ballot events.
    Ballots,
    /// Contact history (read through a [`crate::contacts::ContactMapping`]).
    Contacts,
    /// Contributions (read through a [`crate::donations::DonationMapping`]).
    Donations,
}

impl LayoutKind {
    /// `voters` or `history`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Voters => "voters",
            Self::History => "history",
            Self::Ballots => "ballots",
            Self::Contacts => "contacts",
            Self::Donations => "donations",
        }
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    /// One column.
    Column(String),
    /// The first of these columns the file has.
    Alternatives(Vec<String>),
    /// Several columns joined with spaces (blank ones skipped).
    Join {
        /// Columns to join, in order.
        join: Vec<String>,
    },
}

/// Code tables: the state's code (upper case) to votebase's code.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    /// Status codes to `active`, `inactive`, `denied`, `removed`, `temporary`.
    #[serde(default)]
    pub status: BTreeMap<String, String>,
    /// Party codes to `dem`, `rep`, `lib`, `green`, `constitution`, `unaffiliated`, `other`.
    #[serde(default)]
    pub party: BTreeMap<String, String>,
    /// Gender codes to `female`, `male`, `other`.
    #[serde(default)]
    pub gender: BTreeMap<String, String>,
}

fn default_true() -> bool {
    true
}

fn default_date_formats() -> Vec<String> {
    votebase_normalize::date::COMMON_DATE_FORMATS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// A declared file layout.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Short name.
    pub name: String,
    /// One line for people.
    #[serde(default)]
    pub description: String,
    /// Voters or history.
    pub kind: LayoutKind,
    /// Field delimiter, one character (`"\t"`, `","`, `"|"`).
    pub delimiter: String,
    /// Whether `"` quotes fields.
    #[serde(default = "default_true")]
    pub quoting: bool,
    /// Field encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// Whether the first line is a header.
    #[serde(default = "default_true")]
    pub header: bool,
    /// Column names, in order, for files without a header.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Two-letter state for addresses without one.
    #[serde(default)]
    pub state: String,
    /// chrono formats for dates, tried in order.
    #[serde(default = "default_date_formats")]
    pub date_formats: Vec<String>,
    /// Keep unmapped non-blank columns as extra fields.
    #[serde(default)]
    pub keep_extra: bool,
    /// Unmapped columns not worth keeping as extra fields (descriptions that repeat a
    /// code, unused columns), by name.
    #[serde(default)]
    pub drop_columns: Vec<String>,
    /// Mapped fields a file may lack.
    #[serde(default)]
    pub optional_fields: Vec<String>,
    /// Field name to source column(s).
    pub fields: BTreeMap<String, FieldSpec>,
    /// Code tables.
    #[serde(default)]
    pub codes: Codes,
}

/// A field's source resolved against a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Not in this file.
    Absent,
    /// One column index.
    Column(usize),
    /// Several column indexes, joined.
    Join(Vec<usize>),
}

/// A layout bound to one file's columns.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The layout.
    pub layout: Layout,
    /// The file's column names.
    pub columns: Vec<String>,
    /// Field name to its source.
    pub sources: BTreeMap<String, Source>,
    /// Columns no field uses (kept as extra when the layout says so).
    pub unmapped: Vec<usize>,
}

impl Bound {
    /// The source of a field (`Absent` when unmapped).
    pub fn source(&self, field: &str) -> &Source {
        self.sources.get(field).unwrap_or(&Source::Absent)
    }
}

/// A TOML error at a byte offset of `text` (from `origin`), with its line and column.
pub(crate) fn toml_error(text: &str, origin: &str, offset: usize, message: String) -> IngestError {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    IngestError::Layout {
        file: origin.to_string(),
        line,
        column,
        message,
    }
}

/// Deserialises a layout or mapping's TOML text; a syntax or type error points at its
/// line and column in `origin`.
pub(crate) fn from_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, IngestError> {
    toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        toml_error(text, origin, offset, e.message().to_string())
    })
}

/// A mapping's `delimiter` must be one byte; else an error pointing at the key.
pub(crate) fn check_mapping_delimiter(
    text: &str,
    origin: &str,
    delimiter: &str,
) -> Result<(), IngestError> {
    if delimiter.len() == 1 {
        return Ok(());
    }
    Err(toml_error(
        text,
        origin,
        text.find("delimiter").unwrap_or(0),
        "delimiter must be one single-byte character".into(),
    ))
}

/// The TOML text of a built-in entry by name, or of a file by path; an unknown name lists
/// the built-in ones.
pub(crate) fn built_in_or_file(
    name_or_path: &str,
    built_in: &[(&str, &'static str)],
) -> Result<std::borrow::Cow<'static, str>, IngestError> {
    if let Some((_, text)) = built_in.iter().find(|(n, _)| *n == name_or_path) {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let path = Path::new(name_or_path);
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| IngestError::input(path, e))?;
        return Ok(std::borrow::Cow::Owned(text));
    }
    Err(IngestError::UnknownLayout(
        name_or_path.to_string(),
        built_in
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    ))
}

impl Layout {
    /// A built-in layout by name, or a layout file by path.
    pub fn load(name_or_path: &str) -> Result<Self, IngestError> {
        Self::parse(&built_in_or_file(name_or_path, BUILT_IN)?, name_or_path)
    }

    /// Parses and checks a layout's TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, IngestError> {
        let err = |offset: usize, message: String| toml_error(text, origin, offset, message);
        let layout: Layout = from_toml(text, origin)?;
        let at = |key: &str| text.find(key).unwrap_or(0);
        if layout.delimiter.len() != 1 {
            return Err(err(
                at("delimiter"),
                format!(
                    "delimiter must be one single-byte character, got {:?}",
                    layout.delimiter
                ),
            ));
        }
        if !layout.header && layout.columns.is_empty() {
            return Err(err(
                at("header"),
                "a layout without a header must list its columns".into(),
            ));
        }
        let known = match layout.kind {
            LayoutKind::Voters => VOTER_FIELDS,
            LayoutKind::History => HISTORY_FIELDS,
            LayoutKind::Ballots => BALLOT_FIELDS,
            LayoutKind::Contacts => crate::contacts::CONTACT_FIELDS,
            LayoutKind::Donations => crate::donations::DONATION_FIELDS,
        };
        for name in layout.fields.keys().chain(layout.optional_fields.iter()) {
            if !known.contains(&name.as_str()) {
                return Err(err(
                    at(name),
                    format!(
                        "unknown {} field {name:?}; known fields: {}",
                        layout.kind.name(),
                        known.join(", ")
                    ),
                ));
            }
        }
        let required: &[&str] = match layout.kind {
            LayoutKind::Voters => &["state_voter_id"],
            LayoutKind::History => &["state_voter_id", "election_date"],
            LayoutKind::Ballots => &["election_date", "county_name"],
            LayoutKind::Contacts => &["source_event_id", "state_voter_id", "contacted_at"],
            LayoutKind::Donations => &["receipt_id", "received_at", "amount"],
        };
        for r in required {
            if !layout.fields.contains_key(*r) {
                return Err(err(at("[fields]"), format!("field {r:?} must be mapped")));
            }
        }
        if layout.kind == LayoutKind::Voters
            && !layout.fields.contains_key("last_name")
            && !layout.fields.contains_key("full_name")
        {
            return Err(err(
                at("[fields]"),
                "map last_name (and first_name) or full_name".into(),
            ));
        }
        let checks: [(&BTreeMap<String, String>, &[&str], &str); 3] = [
            (
                &layout.codes.status,
                &["active", "inactive", "denied", "removed", "temporary"],
                "status",
            ),
            (
                &layout.codes.party,
                &[
                    "dem",
                    "rep",
                    "lib",
                    "green",
                    "constitution",
                    "unaffiliated",
                    "other",
                ],
                "party",
            ),
            (&layout.codes.gender, &["female", "male", "other"], "gender"),
        ];
        for (table, allowed, what) in checks {
            for (code, value) in table {
                if !allowed.contains(&value.as_str()) {
                    return Err(err(
                        at(&format!("{code} = \"{value}\"")),
                        format!(
                            "{what} code {code:?} maps to {value:?}; use one of {}",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(layout)
    }

    /// The delimiter byte.
    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.as_bytes()[0]
    }

    /// Binds the layout to a file's column names (its header, or the layout's own
    /// column list). Fails, naming expected and found columns, when a non-optional
    /// field finds none of its columns.
    pub fn bind(&self, file: &str, header: Option<&[String]>) -> Result<Bound, IngestError> {
        let columns: Vec<String> = match header {
            Some(h) => h
                .iter()
                .map(|c| c.trim_start_matches('\u{feff}').trim().to_string())
                .collect(),
            None => self.columns.clone(),
        };
        let find = |name: &str| columns.iter().position(|c| c.eq_ignore_ascii_case(name));
        let mut sources = BTreeMap::new();
        let mut missing = Vec::new();
        let mut used = HashSet::new();
        for (field, spec) in &self.fields {
            let source = match spec {
                FieldSpec::Column(c) => find(c).map(Source::Column),
                FieldSpec::Alternatives(cs) => cs.iter().find_map(|c| find(c)).map(Source::Column),
                FieldSpec::Join { join } => {
                    let found: Vec<usize> = join.iter().filter_map(|c| find(c)).collect();
                    (!found.is_empty()).then_some(Source::Join(found))
                }
            };
            match source {
                Some(s) => {
                    match &s {
                        Source::Column(i) => {
                            used.insert(*i);
                        }
                        Source::Join(is) => used.extend(is.iter().copied()),
                        Source::Absent => {}
                    }
                    sources.insert(field.clone(), s);
                }
                None if self.optional_fields.contains(field) => {}
                None => missing.push(format!("{field} ({})", describe(spec))),
            }
        }
        if !missing.is_empty() {
            return Err(IngestError::HeaderMismatch {
                file: file.to_string(),
                layout: self.name.clone(),
                missing,
                expected: self
                    .fields
                    .iter()
                    .map(|(f, s)| format!("{f}={}", describe(s)))
                    .collect::<Vec<_>>()
                    .join(", "),
                found: columns.join(", "),
            });
        }
        let dropped = |i: &usize| {
            self.drop_columns
                .iter()
                .any(|d| d.eq_ignore_ascii_case(&columns[*i]))
        };
        let unmapped = (0..columns.len())
            .filter(|i| !used.contains(i) && !dropped(i))
            .collect();
        Ok(Bound {
            layout: self.clone(),
            columns,
            sources,
            unmapped,
        })
    }
}

fn describe(spec: &FieldSpec) -> String {
    match spec {
        FieldSpec::Column(c) => c.clone(),
        FieldSpec::Alternatives(cs) => cs.join("|"),
        FieldSpec::Join { join } => join.join("+"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_layouts_parse() {
        for (name, _) in BUILT_IN {
            let l = Layout::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&l.name, name);
        }
    }

    #[test]
    fn layout_errors_point_at_line_and_column() {
        let text = "name = \"x\"\nkind = \"voters\"\ndelimiter = \",\"\n[fields]\nstate_voter_id = \"id\"\nlast_name = \"ln\"\nshoe_size = \"s\"\n";
        match Layout::parse(text, "x.toml") {
            Err(IngestError::Layout { line, message, .. }) => {
                assert_eq!(line, 7);
                assert!(message.contains("shoe_size"), "{message}");
            }
            other => panic!("expected a layout error, got {other:?}"),
        }
        let bad_toml = "name = \"x\"\nkind = \"voters\"\ndelimiter = ,\n";
        match Layout::parse(bad_toml, "y.toml") {
            Err(IngestError::Layout { line, .. }) => assert_eq!(line, 3),
            other => panic!("expected a layout error, got {other:?}"),
        }
        assert!(matches!(
            Layout::load("no-such-layout"),
            Err(IngestError::UnknownLayout(..))
        ));
    }

    #[test]
    fn binds_by_header_name_in_any_order_and_case() {
        let l = Layout::load("ncvhis").unwrap();
        let header: Vec<String> = [
            "PCT_LABEL",
            "ncid",
            "election_lbl",
            "voting_method",
            "county_desc",
            "junk",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let b = l.bind("h.txt", Some(&header)).unwrap();
        assert_eq!(b.source("state_voter_id"), &Source::Column(1));
        assert_eq!(b.source("precinct"), &Source::Column(0));
        assert_eq!(b.source("county_name"), &Source::Column(4));
        assert_eq!(b.source("voted_party"), &Source::Absent);
    }

    #[test]
    fn header_mismatch_names_missing_and_found() {
        let l = Layout::load("ncvoter").unwrap();
        let header: Vec<String> = ["ncid", "last_name"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match l.bind("v.txt", Some(&header)) {
            Err(IngestError::HeaderMismatch { missing, found, .. }) => {
                assert!(missing.iter().any(|m| m.starts_with("county_code")));
                assert_eq!(found, "ncid, last_name");
            }
            other => panic!("expected mismatch, got {other:?}"),
        }
    }
}
