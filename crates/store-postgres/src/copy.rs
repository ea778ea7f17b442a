//! Encoding of rows into PostgreSQL's `COPY ... FROM STDIN` text format: fields separated
//! by tabs, rows ended by a newline, `\N` for NULL, and backslash, tab, newline and
//! carriage return escaped. Each batch is written into one reusable buffer, field by
//! field straight from the record, with no per-row allocation except for the JSON of
//! `extra` when a voter has extra columns.

use chrono::{Datelike, NaiveDate};
use votebase_domain::VoteHistoryRecord;
use votebase_store::StagedVoter;

/// Appends a text field, escaped.
#[inline]
pub(crate) fn text(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|&b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        buf.extend_from_slice(bytes);
        return;
    }
    for &b in bytes {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

/// Appends an integer in decimal.
#[inline]
pub(crate) fn int(buf: &mut Vec<u8>, v: i64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Appends an optional integer (`\N` for none).
#[inline]
pub(crate) fn opt_int(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => int(buf, v),
        None => buf.extend_from_slice(b"\\N"),
    }
}

/// Appends a date as ISO `YYYY-MM-DD`, which PostgreSQL reads under any `DateStyle`.
#[inline]
pub(crate) fn date(buf: &mut Vec<u8>, d: NaiveDate) {
    let (y, m, day) = (d.year(), d.month(), d.day());
    if (1000..=9999).contains(&y) {
        int(buf, i64::from(y));
        buf.push(b'-');
        buf.push(b'0' + (m / 10) as u8);
        buf.push(b'0' + (m % 10) as u8);
        buf.push(b'-');
        buf.push(b'0' + (day / 10) as u8);
        buf.push(b'0' + (day % 10) as u8);
    } else {
        // Outside four-digit years: let PostgreSQL judge chrono's rendering.
        text(buf, &d.to_string());
    }
}

/// Appends an optional date (`\N` for none).
#[inline]
pub(crate) fn opt_date(buf: &mut Vec<u8>, d: Option<NaiveDate>) {
    match d {
        Some(d) => date(buf, d),
        None => buf.extend_from_slice(b"\\N"),
    }
}

/// Appends one staged voter as a row of the staging table: the columns of
/// [`votebase_store::columns::VOTER_COLUMNS`] in order, then `row_hash` and `line`.
pub(crate) fn encode_voter(buf: &mut Vec<u8>, v: &StagedVoter) {
    encode_columns(buf, v);
    int(buf, v.line as i64);
    buf.push(b'\n');
}

/// Appends one staged voter as a row of `voters` itself (a first load): the columns of
/// [`votebase_store::columns::VOTER_COLUMNS`] in order, then `row_hash`, `present` (true)
/// and `first_snapshot`.
pub(crate) fn encode_voter_present(buf: &mut Vec<u8>, v: &StagedVoter, snapshot_id: i64) {
    encode_columns(buf, v);
    buf.extend_from_slice(b"t\t");
    int(buf, snapshot_id);
    buf.push(b'\n');
}

/// The voter's columns and `row_hash`, each followed by a tab.
fn encode_columns(buf: &mut Vec<u8>, v: &StagedVoter) {
    let r = &v.record;
    let a = &r.address;
    let leading: [&str; 26] = [
        &r.state_voter_id,
        &r.county_code,
        &r.county_name,
        &r.local_voter_id,
        r.status.code(),
        &r.status_reason,
        &r.first_name,
        &r.middle_name,
        &r.last_name,
        &r.name_suffix,
        &r.raw_name,
        &a.raw,
        &a.house_number,
        &a.pre_direction,
        &a.street_name,
        &a.street_suffix,
        &a.post_direction,
        &a.unit_type,
        &a.unit,
        &a.city,
        &a.state,
        &a.zip5,
        &a.zip4,
        &r.mail_address,
        &r.phone.raw,
        &r.phone.e164,
    ];
    for s in leading {
        text(buf, s);
        buf.push(b'\t');
    }
    opt_int(buf, r.birth_year.map(i64::from));
    buf.push(b'\t');
    opt_date(buf, r.birth_date);
    buf.push(b'\t');
    for s in [
        r.gender.code(),
        &r.race,
        &r.ethnicity,
        r.party.code(),
        &r.party_code,
    ] {
        text(buf, s);
        buf.push(b'\t');
    }
    opt_date(buf, r.registration_date);
    buf.push(b'\t');
    for s in [
        &r.precinct_code,
        &r.precinct_name,
        &r.congressional_district,
        &r.state_senate_district,
        &r.state_house_district,
        &r.municipality,
    ] {
        text(buf, s);
        buf.push(b'\t');
    }
    // Same text as `voter_values`: the JSON of the map, made by the importer.
    text(buf, &v.extra_json);
    buf.push(b'\t');
    int(buf, v.row_hash);
    buf.push(b'\t');
}

/// Appends one vote-history row: voter, election date, description, method, party,
/// county, precinct.
pub(crate) fn encode_history(buf: &mut Vec<u8>, h: &VoteHistoryRecord) {
    text(buf, &h.state_voter_id);
    buf.push(b'\t');
    date(buf, h.election_date);
    for s in [
        &h.election_desc,
        &h.voting_method,
        &h.voted_party,
        &h.county_name,
        &h.precinct,
    ] {
        buf.push(b'\t');
        text(buf, s);
    }
    buf.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_store::columns::{ColumnValue, voter_values};
    use votebase_store::conformance::sample_voter;

    /// The slow, obviously right encoding: through the shared column values.
    fn reference(v: &StagedVoter) -> Vec<u8> {
        let mut buf = Vec::new();
        for value in voter_values(&v.record) {
            match value {
                ColumnValue::Int(None) | ColumnValue::Date(None) => buf.extend_from_slice(b"\\N"),
                other => text(&mut buf, &other.as_text()),
            }
            buf.push(b'\t');
        }
        buf.extend_from_slice(format!("{}\t{}\n", v.row_hash, v.line).as_bytes());
        buf
    }

    #[test]
    fn voter_rows_follow_the_shared_column_order() {
        for i in 0..40 {
            let mut record = sample_voter(i);
            if i % 3 == 0 {
                record.extra.insert("ward".into(), format!("W{i}\t\\x"));
                record.mail_address = "PO BOX 1\nAPT\r2 \\ back".into();
                record.birth_year = None;
                record.registration_date = None;
            }
            let mut staged = StagedVoter::new(i as u64 + 2, record);
            staged.row_hash ^= i64::MIN;
            let mut fast = Vec::new();
            encode_voter(&mut fast, &staged);
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(reference(&staged)).unwrap()
            );
        }
    }

    #[test]
    fn escapes_and_numbers() {
        let mut buf = Vec::new();
        text(&mut buf, "a\\b\tc\nd\re");
        assert_eq!(buf, b"a\\\\b\\tc\\nd\\re");
        for v in [0, 7, -7, 1234567890, i64::MIN, i64::MAX] {
            let mut buf = Vec::new();
            int(&mut buf, v);
            assert_eq!(String::from_utf8(buf).unwrap(), v.to_string());
        }
        let mut buf = Vec::new();
        date(&mut buf, NaiveDate::from_ymd_opt(2024, 2, 9).unwrap());
        assert_eq!(buf, b"2024-02-09");
    }
}
