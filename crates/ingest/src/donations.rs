//! Reading contribution files: a *donation mapping* (TOML, like the contact mappings;
//! built in: `actblue` for ActBlue's paid-contributions CSV, `fec` for the FEC's bulk
//! `itcont.txt`) says which column holds the receipt id, the date, the amount, the donor's
//! name (or one "LAST, FIRST" column), address, email, employer and occupation, the
//! committee, the election and the refund or chargeback of a gift. [`detect_layout`]
//! recognises the two built-in layouts from the first line. Each row becomes its gift
//! plus, when the row says so, a refund and a chargeback record of their own (negative
//! amounts). Rows that cannot be read, and a receipt id already seen earlier in the file,
//! go to the rejects file with their line and reason; the caller writes nothing then.

use crate::IngestError;
use crate::layout::{FieldSpec, Layout, LayoutKind};
use crate::rejects::{Reject, RejectWriter};
use crate::rows::{Fields, RowChunks, read_converted};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use votebase_domain::donations::{
    ContributionKind, DonorDetails, Election, NewContribution, parse_cents,
};

/// Built-in donation mappings: (name, TOML text).
pub const BUILT_IN_MAPPINGS: &[(&str, &str)] = &[
    ("actblue", include_str!("../layouts/actblue.toml")),
    ("fec", include_str!("../layouts/fec.toml")),
];

/// Fields a donation mapping may map under `[fields]`.
pub const DONATION_FIELDS: &[&str] = &[
    "receipt_id",
    "received_at",
    "amount",
    "kind",
    "refers_to",
    "full_name",
    "first_name",
    "last_name",
    "address",
    "address2",
    "city",
    "state",
    "zip",
    "country",
    "email",
    "phone",
    "employer",
    "occupation",
    "committee_id",
    "election",
    "recurring",
    "recurrence",
    "memo",
    "entity_type",
    "transaction_type",
    "refund_id",
    "refund_date",
    "chargeback_id",
    "chargeback_date",
];

/// How a `full_name` column orders the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameOrder {
    /// "First Middle Last".
    #[default]
    FirstLast,
    /// "LAST, FIRST MIDDLE" (the FEC's).
    LastCommaFirst,
}

/// A donation mapping, as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DonationMapping {
    /// Short name.
    pub name: String,
    /// One line for people.
    #[serde(default)]
    pub description: String,
    /// The system the file comes from: with the receipt id it identifies a record.
    pub source: String,
    /// Field delimiter, one character.
    #[serde(default = "comma")]
    pub delimiter: String,
    /// Whether `"` quotes fields.
    #[serde(default = "yes")]
    pub quoting: bool,
    /// Field encoding.
    #[serde(default)]
    pub encoding: crate::input::Encoding,
    /// Whether the first line is a header.
    #[serde(default = "yes")]
    pub header: bool,
    /// Column names, in order, for files without a header.
    #[serde(default)]
    pub columns: Vec<String>,
    /// chrono formats for dates, tried in order (date-times, then dates).
    #[serde(default = "default_date_formats")]
    pub date_formats: Vec<String>,
    /// How a `full_name` column orders the name.
    #[serde(default)]
    pub name_order: NameOrder,
    /// Mapped fields a file may lack.
    #[serde(default)]
    pub optional_fields: Vec<String>,
    /// Field name to source column(s).
    pub fields: BTreeMap<String, FieldSpec>,
}

fn comma() -> String {
    ",".into()
}

fn yes() -> bool {
    true
}

fn default_date_formats() -> Vec<String> {
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
        "%Y-%m-%d",
        "%m/%d/%Y",
        "%m%d%Y",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

impl DonationMapping {
    /// A built-in mapping by name, or a mapping file by path.
    pub fn load(name_or_path: &str) -> Result<Self, IngestError> {
        Self::parse(
            &crate::layout::built_in_or_file(name_or_path, BUILT_IN_MAPPINGS)?,
            name_or_path,
        )
    }

    /// Parses and checks a mapping's TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, IngestError> {
        let err = |offset: usize, message: String| {
            crate::layout::toml_error(text, origin, offset, message)
        };
        let m: DonationMapping = crate::layout::from_toml(text, origin)?;
        crate::layout::check_mapping_delimiter(text, origin, &m.delimiter)?;
        let at = |key: &str| text.find(key).unwrap_or(0);
        if m.source.trim().is_empty() {
            return Err(err(
                at("source"),
                "source must name the tool (actblue, fec…)".into(),
            ));
        }
        if !m.header && m.columns.is_empty() {
            return Err(err(
                at("header"),
                "a mapping without a header must list its columns".into(),
            ));
        }
        for name in m.fields.keys().chain(m.optional_fields.iter()) {
            if !DONATION_FIELDS.contains(&name.as_str()) {
                return Err(err(
                    at(name),
                    format!(
                        "unknown donation field {name:?}; known fields: {}",
                        DONATION_FIELDS.join(", ")
                    ),
                ));
            }
        }
        for r in ["receipt_id", "received_at", "amount"] {
            if !m.fields.contains_key(r) {
                return Err(err(at("[fields]"), format!("field {r:?} must be mapped")));
            }
        }
        if !m.fields.contains_key("full_name") && !m.fields.contains_key("last_name") {
            return Err(err(
                at("[fields]"),
                "map last_name (and first_name) or full_name".into(),
            ));
        }
        Ok(m)
    }

    /// The row-reading layout of this mapping.
    fn layout(&self) -> Layout {
        Layout {
            name: self.name.clone(),
            description: self.description.clone(),
            kind: LayoutKind::Donations,
            delimiter: self.delimiter.clone(),
            quoting: self.quoting,
            encoding: self.encoding,
            header: self.header,
            columns: self.columns.clone(),
            state: String::new(),
            date_formats: self.date_formats.clone(),
            keep_extra: false,
            drop_columns: Vec::new(),
            optional_fields: self.optional_fields.clone(),
            fields: self.fields.clone(),
            codes: Default::default(),
        }
    }

    fn parse_date(&self, raw: &str) -> Option<NaiveDate> {
        for f in &self.date_formats {
            if let Ok(t) = NaiveDateTime::parse_from_str(raw, f) {
                return Some(t.date());
            }
            if let Ok(d) = NaiveDate::parse_from_str(raw, f) {
                return Some(d);
            }
        }
        None
    }

    fn date(&self, fields: &Fields<'_>, field: &str) -> Result<NaiveDate, Reject> {
        let raw = fields.raw(field);
        self.parse_date(&raw).ok_or_else(|| {
            fields.reject(
                field,
                format!(
                    "date {raw:?} matches none of the formats {}",
                    self.date_formats.join(", ")
                ),
            )
        })
    }

    fn donor(&self, fields: &Fields<'_>) -> Result<DonorDetails, Reject> {
        let (first_name, last_name) = if !fields.raw("full_name").is_empty() {
            split_name(&fields.raw("full_name"), self.name_order)
        } else {
            (
                fields.raw("first_name").to_string(),
                fields.raw("last_name").to_string(),
            )
        };
        let email_raw = fields.raw("email");
        let email = if email_raw.is_empty() {
            String::new()
        } else {
            votebase_domain::people::normalize_email(&email_raw).ok_or_else(|| {
                fields.reject("email", format!("{email_raw:?} is not an email address"))
            })?
        };
        let phone_raw = fields.raw("phone");
        let phone = if phone_raw.is_empty() {
            String::new()
        } else {
            let p = votebase_normalize::normalize_phone(&phone_raw);
            if p.e164.is_empty() {
                phone_raw.to_string()
            } else {
                p.e164
            }
        };
        let address = [fields.raw("address"), fields.raw("address2")]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(DonorDetails {
            first_name,
            last_name,
            address,
            city: fields.raw("city").to_string(),
            state: fields.raw("state").to_ascii_uppercase(),
            zip: zip5(&fields.raw("zip")),
            country: fields.raw("country").to_string(),
            email,
            phone,
            employer: fields.raw("employer").to_string(),
            occupation: fields.raw("occupation").to_string(),
        })
    }

    /// Converts one row into its gift and any refund or chargeback it records, or a
    /// reject saying why not.
    pub fn convert(&self, fields: &Fields<'_>) -> Result<Vec<NewContribution>, Reject> {
        let receipt_id = fields.raw("receipt_id").to_string();
        if receipt_id.is_empty() {
            return Err(fields.reject(
                "receipt_id",
                "no receipt id: every record needs its source's id, so that a second import changes nothing".into(),
            ));
        }
        let received_on = self.date(fields, "received_at")?;
        let amount_raw = fields.raw("amount");
        let amount_cents = parse_cents(&amount_raw).ok_or_else(|| {
            fields.reject(
                "amount",
                format!("amount {amount_raw:?} is not a sum of money (e.g. 25.00)"),
            )
        })?;
        let election_raw = fields.raw("election");
        let election = Election::parse(&election_raw, received_on).ok_or_else(|| {
            fields.reject(
                "election",
                format!(
                    "election {election_raw:?} is not P, G, primary, general (with a year) or other"
                ),
            )
        })?;
        let kind_raw = fields.raw("kind").to_ascii_lowercase();
        let transaction_type = fields.raw("transaction_type").to_ascii_uppercase();
        let kind = if !kind_raw.is_empty() {
            ContributionKind::parse(&kind_raw).ok_or_else(|| {
                fields.reject(
                    "kind",
                    format!("kind {kind_raw:?} is not gift, refund or chargeback"),
                )
            })?
        } else if amount_cents < 0 || transaction_type.starts_with("22") {
            ContributionKind::Refund
        } else {
            ContributionKind::Gift
        };
        let amount_cents = match kind {
            ContributionKind::Gift => amount_cents,
            _ => -amount_cents.abs(),
        };
        let recurring = truthy(&fields.raw("recurring"))
            || fields.raw("recurrence").parse::<u32>().is_ok_and(|n| n > 1);
        let memo = truthy(&fields.raw("memo"));
        let gift = NewContribution {
            source: self.source.clone(),
            receipt_id: receipt_id.clone(),
            kind,
            refers_to: fields.raw("refers_to").to_string(),
            committee_id: fields.raw("committee_id").to_ascii_uppercase(),
            election,
            received_on,
            amount_cents,
            recurring,
            memo,
            entity_type: fields.raw("entity_type").to_ascii_uppercase(),
            donor: self.donor(fields)?,
        };
        if gift.kind == ContributionKind::Gift && gift.donor.display_name().is_empty() {
            let field = if self.fields.contains_key("full_name") {
                "full_name"
            } else {
                "last_name"
            };
            return Err(fields.reject(
                field,
                "no donor name (only a refund may come without one)".into(),
            ));
        }
        let mut out = Vec::with_capacity(1);
        for (kind, id_field, date_field, prefix) in [
            (
                ContributionKind::Refund,
                "refund_id",
                "refund_date",
                "refund",
            ),
            (
                ContributionKind::Chargeback,
                "chargeback_id",
                "chargeback_date",
                "chargeback",
            ),
        ] {
            let id = fields.raw(id_field);
            if id.is_empty() {
                continue;
            }
            if gift.kind != ContributionKind::Gift {
                return Err(fields.reject(
                    id_field,
                    "a refund or chargeback of a record that is not a gift".into(),
                ));
            }
            out.push(NewContribution {
                receipt_id: format!("{prefix}:{id}"),
                kind,
                refers_to: receipt_id.clone(),
                received_on: self.date(fields, date_field)?,
                amount_cents: -gift.amount_cents,
                recurring: false,
                ..gift.clone()
            });
        }
        out.insert(0, gift);
        Ok(out)
    }
}

fn truthy(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    !s.is_empty() && !matches!(s.as_str(), "0" | "f" | "false" | "no" | "n")
}

/// Five digits for a US ZIP or ZIP+4 (`995167541` → `99516`), else the text as given.
fn zip5(raw: &str) -> String {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let only_zip = raw
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    if only_zip && (digits.len() == 5 || digits.len() == 9) {
        digits[..5].to_string()
    } else {
        raw.trim().to_string()
    }
}

/// Splits a full name into (first, last).
fn split_name(full: &str, order: NameOrder) -> (String, String) {
    let full = full.trim();
    match order {
        NameOrder::LastCommaFirst => match full.split_once(',') {
            Some((last, first)) => (first.trim().to_string(), last.trim().to_string()),
            None => (String::new(), full.to_string()),
        },
        NameOrder::FirstLast => match full.rsplit_once(' ') {
            Some((first, last)) => (first.trim().to_string(), last.trim().to_string()),
            None => (String::new(), full.to_string()),
        },
    }
}

/// The built-in mapping a file's first line says it is: ActBlue's header, or 21
/// pipe-separated FEC fields. `None` when neither.
pub fn detect_layout(path: &Path) -> Result<Option<&'static str>, IngestError> {
    let input = crate::input::open(path)?;
    let mut reader = std::io::BufReader::new(input.reader);
    let mut first = Vec::new();
    reader
        .read_until(b'\n', &mut first)
        .map_err(|e| IngestError::input(path, e))?;
    let line = String::from_utf8_lossy(&first);
    let line = line.trim_start_matches('\u{feff}').trim_end();
    if line.contains("Receipt ID") && line.contains("Donor Last Name") {
        return Ok(Some("actblue"));
    }
    if line.split('|').count() == 21 {
        return Ok(Some("fec"));
    }
    Ok(None)
}

/// One file read: its records with their lines, and the rejects.
pub struct ReadDonations {
    /// Data rows read.
    pub rows: u64,
    /// Every record (a row's gift, refund and chargeback) with the row's line.
    pub records: Vec<(u64, NewContribution)>,
    /// Rows rejected (written to the rejects file).
    pub rejected: u64,
    /// Where rejects went.
    pub rejects_path: PathBuf,
}

/// Reads a whole contribution file under `mapping` (blocking): rows converted in
/// parallel, rejects written with line and reason, a receipt id seen on an earlier line
/// rejected too.
pub fn read_donations_file(
    path: &Path,
    mapping: &DonationMapping,
    rejects_path: Option<PathBuf>,
    progress: &dyn crate::Progress,
) -> Result<ReadDonations, IngestError> {
    let rejects_path = rejects_path.unwrap_or_else(|| RejectWriter::default_path(path));
    let _ = std::fs::remove_file(&rejects_path);
    let layout = mapping.layout();
    let mut chunks = RowChunks::open(path, &layout)?;
    progress.start(chunks.plain_size);
    let mut rejects = RejectWriter::new(rejects_path.clone());
    let mut records: Vec<(u64, NewContribution)> = Vec::new();
    let rows = read_converted(
        &mut chunks,
        &mut rejects,
        progress,
        |fields| {
            let line = fields.line;
            mapping
                .convert(fields)
                .map(|list| list.into_iter().map(|c| (line, c)).collect::<Vec<_>>())
        },
        |good| {
            records.extend(good.into_iter().flatten());
            true
        },
    )?;
    let mut seen: HashMap<&str, u64> = HashMap::with_capacity(records.len());
    let mut repeated = Vec::new();
    for (line, c) in &records {
        if let Some(first) = seen.get(c.receipt_id.as_str()) {
            if first != line {
                repeated.push(Reject {
                    line: *line,
                    column: "receipt_id".into(),
                    reason: format!(
                        "receipt id {} is already on line {first}: each record once per file",
                        c.receipt_id
                    ),
                    raw: String::new(),
                });
            }
        } else {
            seen.insert(&c.receipt_id, *line);
        }
    }
    drop(seen);
    for r in &repeated {
        rejects.write(r)?;
    }
    let rejected = rejects.finish()?;
    progress.finishing(if rejected == 0 { "read" } else { "rejected" });
    Ok(ReadDonations {
        rows,
        records,
        rejected,
        rejects_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_mappings_parse() {
        for (name, _) in BUILT_IN_MAPPINGS {
            let m = DonationMapping::load(name).unwrap();
            assert_eq!(&m.name, name);
        }
    }

    #[test]
    fn mapping_errors_point_at_the_line() {
        let text = "name = \"x\"\nsource = \"crm\"\n[fields]\nreceipt_id = \"id\"\nreceived_at = \"d\"\namount = \"a\"\nshoe = \"s\"\n";
        let e = DonationMapping::parse(text, "x.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("layout x.toml:7:1:"), "{e}");
        assert!(e.contains("shoe"), "{e}");
    }

    #[test]
    fn names_and_zips() {
        assert_eq!(
            split_name("BALDINO, MEGAN L", NameOrder::LastCommaFirst),
            ("MEGAN L".to_string(), "BALDINO".to_string())
        );
        assert_eq!(
            split_name("Ann Marie Lee", NameOrder::FirstLast),
            ("Ann Marie".to_string(), "Lee".to_string())
        );
        assert_eq!(zip5("995167541"), "99516");
        assert_eq!(zip5("27601-1234"), "27601");
        assert_eq!(zip5("SW1A 1AA"), "SW1A 1AA");
    }
}
