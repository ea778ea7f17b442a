//! The column list of the `voters` table, shared by both backends so that they store,
//! compare and read back exactly the same fields, and the row hash the importer uses
//! to tell a changed voter from an unchanged one without comparing every field.

use crate::{StoreError, StoreResult};
use chrono::NaiveDate;
use votebase_domain::{Address, Gender, Party, Phone, VoterRecord, VoterStatus};

/// How a column is typed in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text, never NULL (empty string for absent).
    Text,
    /// Integer, NULL for absent.
    Int,
    /// Date (ISO text in SQLite, DATE in PostgreSQL), NULL for absent.
    Date,
}

/// A voter column, in table order. `state_voter_id` is first and is the key.
pub const VOTER_COLUMNS: &[(&str, ColumnType)] = &[
    ("state_voter_id", ColumnType::Text),
    ("county_code", ColumnType::Text),
    ("county_name", ColumnType::Text),
    ("local_voter_id", ColumnType::Text),
    ("status", ColumnType::Text),
    ("status_reason", ColumnType::Text),
    ("first_name", ColumnType::Text),
    ("middle_name", ColumnType::Text),
    ("last_name", ColumnType::Text),
    ("name_suffix", ColumnType::Text),
    ("raw_name", ColumnType::Text),
    ("address_raw", ColumnType::Text),
    ("house_number", ColumnType::Text),
    ("pre_direction", ColumnType::Text),
    ("street_name", ColumnType::Text),
    ("street_suffix", ColumnType::Text),
    ("post_direction", ColumnType::Text),
    ("unit_type", ColumnType::Text),
    ("unit", ColumnType::Text),
    ("city", ColumnType::Text),
    ("state", ColumnType::Text),
    ("zip5", ColumnType::Text),
    ("zip4", ColumnType::Text),
    ("mail_address", ColumnType::Text),
    ("phone_raw", ColumnType::Text),
    ("phone_e164", ColumnType::Text),
    ("birth_year", ColumnType::Int),
    ("birth_date", ColumnType::Date),
    ("gender", ColumnType::Text),
    ("race", ColumnType::Text),
    ("ethnicity", ColumnType::Text),
    ("party", ColumnType::Text),
    ("party_code", ColumnType::Text),
    ("registration_date", ColumnType::Date),
    ("precinct_code", ColumnType::Text),
    ("precinct_name", ColumnType::Text),
    ("congressional_district", ColumnType::Text),
    ("state_senate_district", ColumnType::Text),
    ("state_house_district", ColumnType::Text),
    ("municipality", ColumnType::Text),
    ("extra", ColumnType::Text),
];

/// One column's value, borrowed from a record.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValue<'a> {
    /// A text column.
    Text(&'a str),
    /// An owned text column (e.g. the JSON of `extra`).
    OwnedText(String),
    /// An integer column.
    Int(Option<i64>),
    /// A date column.
    Date(Option<NaiveDate>),
}

impl ColumnValue<'_> {
    /// The value as text, as change records and hashes see it (dates ISO, NULL empty).
    pub fn as_text(&self) -> String {
        match self {
            Self::Text(s) => (*s).to_string(),
            Self::OwnedText(s) => s.clone(),
            Self::Int(v) => v.map(|v| v.to_string()).unwrap_or_default(),
            Self::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// The record's values in [`VOTER_COLUMNS`] order.
pub fn voter_values(r: &VoterRecord) -> Vec<ColumnValue<'_>> {
    let mut values = values_without_extra(r);
    values.push(ColumnValue::OwnedText(extra_json(r)));
    values
}

/// The record's values in [`VOTER_COLUMNS`] order, with the `extra` column's text
/// already made ([`extra_json`]).
pub fn voter_values_with<'a>(r: &'a VoterRecord, extra_json: &'a str) -> Vec<ColumnValue<'a>> {
    let mut values = values_without_extra(r);
    values.push(ColumnValue::Text(extra_json));
    values
}

/// The `extra` column's text: the JSON of the map, empty when the map is.
pub fn extra_json(r: &VoterRecord) -> String {
    if r.extra.is_empty() {
        String::new()
    } else {
        serde_json::to_string(&r.extra).unwrap_or_default()
    }
}

/// Every value but the last (`extra`), in [`VOTER_COLUMNS`] order.
fn values_without_extra(r: &VoterRecord) -> Vec<ColumnValue<'_>> {
    use ColumnValue::*;
    let a = &r.address;
    vec![
        Text(&r.state_voter_id),
        Text(&r.county_code),
        Text(&r.county_name),
        Text(&r.local_voter_id),
        Text(r.status.code()),
        Text(&r.status_reason),
        Text(&r.first_name),
        Text(&r.middle_name),
        Text(&r.last_name),
        Text(&r.name_suffix),
        Text(&r.raw_name),
        Text(&a.raw),
        Text(&a.house_number),
        Text(&a.pre_direction),
        Text(&a.street_name),
        Text(&a.street_suffix),
        Text(&a.post_direction),
        Text(&a.unit_type),
        Text(&a.unit),
        Text(&a.city),
        Text(&a.state),
        Text(&a.zip5),
        Text(&a.zip4),
        Text(&r.mail_address),
        Text(&r.phone.raw),
        Text(&r.phone.e164),
        Int(r.birth_year.map(i64::from)),
        Date(r.birth_date),
        Text(r.gender.code()),
        Text(&r.race),
        Text(&r.ethnicity),
        Text(r.party.code()),
        Text(&r.party_code),
        Date(r.registration_date),
        Text(&r.precinct_code),
        Text(&r.precinct_name),
        Text(&r.congressional_district),
        Text(&r.state_senate_district),
        Text(&r.state_house_district),
        Text(&r.municipality),
    ]
}

/// A stable 64-bit hash of every stored field: two records with the same hash are
/// stored identically (up to hash collisions, 1 in 2^64 per pair).
pub fn row_hash(r: &VoterRecord) -> i64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for v in values_without_extra(r) {
        match v {
            ColumnValue::Text(s) => h.update(s.as_bytes()),
            ColumnValue::OwnedText(s) => h.update(s.as_bytes()),
            other => h.update(other.as_text().as_bytes()),
        }
        h.update(&[0x1f]);
    }
    // The extra fields, hashed directly rather than through their JSON (same content,
    // same hash: the map is ordered).
    for (k, v) in &r.extra {
        h.update(k.as_bytes());
        h.update(&[0x1e]);
        h.update(v.as_bytes());
        h.update(&[0x1d]);
    }
    h.digest() as i64
}

/// A date column read back as text (ISO `YYYY-MM-DD`, a time after it ignored); empty
/// is no date.
pub fn stored_date(s: &str) -> StoreResult<Option<NaiveDate>> {
    if s.is_empty() {
        return Ok(None);
    }
    s.get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt(format!("bad stored date {s:?}")))
}

/// The birth-year column read back as text; empty is no year.
pub fn stored_year(s: &str) -> StoreResult<Option<i32>> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("bad stored birth_year: {e}")))
}

/// Rebuilds a record from column values read back as text (NULL as `None`), in
/// [`VOTER_COLUMNS`] order. Both backends select every column cast to text. The texts
/// are moved into the record, not copied.
pub fn record_from_texts(mut texts: Vec<Option<String>>) -> StoreResult<VoterRecord> {
    if texts.len() != VOTER_COLUMNS.len() {
        return Err(StoreError::Corrupt(format!(
            "expected {} voter columns, read {}",
            VOTER_COLUMNS.len(),
            texts.len()
        )));
    }
    let date = |i: usize| stored_date(texts[i].as_deref().unwrap_or_default());
    let birth_year = stored_year(texts[26].as_deref().unwrap_or_default())?;
    let birth_date = date(27)?;
    let registration_date = date(33)?;
    let mut t = |i: usize| texts[i].take().unwrap_or_default();
    let extra_text = t(40);
    let extra = if extra_text.is_empty() {
        Default::default()
    } else {
        serde_json::from_str(&extra_text)
            .map_err(|e| StoreError::Corrupt(format!("bad stored extra JSON: {e}")))?
    };
    Ok(VoterRecord {
        state_voter_id: t(0),
        county_code: t(1),
        county_name: t(2),
        local_voter_id: t(3),
        status: VoterStatus::from_code(&t(4)),
        status_reason: t(5),
        first_name: t(6),
        middle_name: t(7),
        last_name: t(8),
        name_suffix: t(9),
        raw_name: t(10),
        address: Address {
            raw: t(11),
            house_number: t(12),
            pre_direction: t(13),
            street_name: t(14),
            street_suffix: t(15),
            post_direction: t(16),
            unit_type: t(17),
            unit: t(18),
            city: t(19),
            state: t(20),
            zip5: t(21),
            zip4: t(22),
        },
        mail_address: t(23),
        phone: Phone {
            raw: t(24),
            e164: t(25),
        },
        birth_year,
        birth_date,
        gender: Gender::from_code(&t(28)),
        race: t(29),
        ethnicity: t(30),
        party: Party::from_code(&t(31)),
        party_code: t(32),
        registration_date,
        precinct_code: t(34),
        precinct_name: t(35),
        congressional_district: t(36),
        state_senate_district: t(37),
        state_house_district: t(38),
        municipality: t(39),
        extra,
    })
}

/// Index of a column by name.
pub fn column_index(name: &str) -> Option<usize> {
    VOTER_COLUMNS.iter().position(|(n, _)| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::sample_voter;

    #[test]
    fn values_round_trip_through_text() {
        let mut v = sample_voter(7);
        v.extra.insert("ward_abbrv".into(), "W2".into());
        let texts: Vec<Option<String>> = voter_values(&v)
            .iter()
            .map(|c| match c {
                ColumnValue::Int(None) | ColumnValue::Date(None) => None,
                other => Some(other.as_text()),
            })
            .collect();
        assert_eq!(record_from_texts(texts).unwrap(), v);
    }

    #[test]
    fn stored_dates_and_years_parse_or_say_what_is_corrupt() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(stored_date("2024-02-29").unwrap(), d(2024, 2, 29));
        assert_eq!(stored_date("2023-12-31T00:00:00").unwrap(), d(2023, 12, 31));
        assert_eq!(stored_date("").unwrap(), None);
        for bad in [
            "2023-02-29",
            "20240101",
            "2024-1-01",
            "abcd-ef-gh",
            "2024-13-01",
        ] {
            assert!(
                matches!(stored_date(bad), Err(StoreError::Corrupt(_))),
                "{bad}"
            );
        }
        assert_eq!(stored_year("1961").unwrap(), Some(1961));
        assert_eq!(stored_year("").unwrap(), None);
        assert!(matches!(stored_year("19x1"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn hash_changes_with_any_field() {
        let v = sample_voter(1);
        let mut w = v.clone();
        assert_eq!(row_hash(&v), row_hash(&w));
        w.address.unit = "2".into();
        assert_ne!(row_hash(&v), row_hash(&w));
        let mut x = v.clone();
        x.first_name = format!("{}{}", v.first_name, "");
        x.middle_name.push('X');
        assert_ne!(row_hash(&v), row_hash(&x));
    }

    #[test]
    fn column_list_matches_values() {
        assert_eq!(VOTER_COLUMNS.len(), voter_values(&sample_voter(0)).len());
        assert_eq!(column_index("state_voter_id"), Some(0));
        assert_eq!(column_index("extra"), Some(40));
    }
}
