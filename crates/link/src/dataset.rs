//! In-memory datasets: [`PersonRecord`] is the owned input record (what a CSV row or a voter
//! record becomes), and [`Dataset`] stores records compactly, each field normalised and interned
//! to a `u32` (0 = missing), so a million records take tens of megabytes. Normalisation lives
//! here too: names lower-cased and stripped of punctuation, street suffixes abbreviated, dates
//! parsed to `YYYYMMDD`, ZIP split into ZIP5 and ZIP+4, phones reduced to ten digits.

use crate::error::UserError;
use ahash::AHashMap;

/// One person record as given by the caller; empty strings mean "missing".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRecord {
    /// Unique row identifier, written in the output.
    pub record_id: String,
    /// First name.
    pub first_name: String,
    /// Middle name or initial.
    pub middle_name: String,
    /// Last name.
    pub last_name: String,
    /// Date of birth (YYYYMMDD, YYYY-MM-DD or MM/DD/YYYY).
    pub birth_date: String,
    /// Birth year, when only the year is known.
    pub birth_year: String,
    /// House number.
    pub house_number: String,
    /// Street (may start with the house number when `house_number` is empty).
    pub street: String,
    /// Second address line.
    pub address2: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP, ZIP+4 or postcode.
    pub zip: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
    /// Shared person identifier (state voter id, VANID, ...).
    pub voter_id: String,
}

pub(crate) const F_FIRST: usize = 0;
pub(crate) const F_MIDDLE: usize = 1;
pub(crate) const F_LAST: usize = 2;
pub(crate) const F_DOB: usize = 3;
pub(crate) const F_YEAR: usize = 4;
pub(crate) const F_HOUSE: usize = 5;
pub(crate) const F_STREET: usize = 6;
pub(crate) const F_ADDR2: usize = 7;
pub(crate) const F_CITY: usize = 8;
pub(crate) const F_STATE: usize = 9;
pub(crate) const F_ZIP5: usize = 10;
pub(crate) const F_ZIP4: usize = 11;
pub(crate) const F_PHONE: usize = 12;
pub(crate) const F_EMAIL: usize = 13;
pub(crate) const F_ID: usize = 14;
/// Number of interned fields per record.
pub(crate) const NF: usize = 15;

/// A compact record: one interned value id per field, 0 = missing.
pub(crate) type Row = [u32; NF];

/// String interner: id 0 is the empty (missing) value.
#[derive(Debug, Clone)]
pub(crate) struct Interner {
    map: AHashMap<Box<str>, u32>,
    strs: Vec<Box<str>>,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            map: AHashMap::new(),
            strs: vec!["".into()],
        }
    }
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.strs.len() as u32;
        self.strs.push(s.into());
        self.map.insert(s.into(), id);
        id
    }
    pub(crate) fn get(&self, id: u32) -> &str {
        &self.strs[id as usize]
    }
    pub(crate) fn len(&self) -> usize {
        self.strs.len()
    }
}

/// A set of records to dedupe or link, stored compactly.
#[derive(Debug, Clone)]
pub struct Dataset {
    name: String,
    pub(crate) rows: Vec<Row>,
    pub(crate) vocab: Vec<Interner>,
    ids: String,
    id_ends: Vec<usize>,
    scratch: PersonRecord,
}

impl Dataset {
    /// An empty dataset; `name` appears in reports and cluster output (e.g. the file name).
    pub fn new(name: impl Into<String>) -> Self {
        Dataset {
            name: name.into(),
            rows: Vec::new(),
            vocab: (0..NF).map(|_| Interner::default()).collect(),
            ids: String::new(),
            id_ends: Vec::new(),
            scratch: PersonRecord::default(),
        }
    }

    /// Builds a dataset from records.
    pub fn from_records<I>(name: impl Into<String>, records: I) -> Result<Self, UserError>
    where
        I: IntoIterator<Item = PersonRecord>,
    {
        let mut d = Dataset::new(name);
        for r in records {
            d.push(&r)?;
        }
        Ok(d)
    }

    /// The dataset's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The record id of record `i` (insertion order).
    pub fn record_id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] };
        &self.ids[start..self.id_ends[i]]
    }

    /// The normalised record `i`, as stored (for display and tests).
    pub fn normalised(&self, i: usize) -> PersonRecord {
        let r = &self.rows[i];
        let g = |f: usize| self.vocab[f].get(r[f]).to_string();
        let zip = if r[F_ZIP4] != 0 {
            format!("{}-{}", g(F_ZIP5), g(F_ZIP4))
        } else {
            g(F_ZIP5)
        };
        PersonRecord {
            record_id: self.record_id(i).to_string(),
            first_name: g(F_FIRST),
            middle_name: g(F_MIDDLE),
            last_name: g(F_LAST),
            birth_date: g(F_DOB),
            birth_year: g(F_YEAR),
            house_number: g(F_HOUSE),
            street: g(F_STREET),
            address2: g(F_ADDR2),
            city: g(F_CITY),
            state: g(F_STATE),
            zip,
            phone: g(F_PHONE),
            email: g(F_EMAIL),
            voter_id: g(F_ID),
        }
    }

    /// Normalises, interns and appends one record.
    pub fn push(&mut self, rec: &PersonRecord) -> Result<(), UserError> {
        if self.rows.len() >= (u32::MAX - 1) as usize {
            return Err(UserError::TooManyRecords {
                name: self.name.clone(),
                max: (u32::MAX - 1) as u64,
            });
        }
        let mut s = std::mem::take(&mut self.scratch);
        let mut row: Row = [0; NF];
        norm_name_into(&rec.first_name, &mut s.first_name);
        row[F_FIRST] = self.vocab[F_FIRST].intern(&s.first_name);
        norm_name_into(&rec.middle_name, &mut s.middle_name);
        row[F_MIDDLE] = self.vocab[F_MIDDLE].intern(&s.middle_name);
        norm_name_into(&rec.last_name, &mut s.last_name);
        row[F_LAST] = self.vocab[F_LAST].intern(&s.last_name);
        let (dob, year_from_dob) = norm_dob(&rec.birth_date);
        row[F_DOB] = self.vocab[F_DOB].intern(&dob);
        let year = norm_year(&rec.birth_year).or(year_from_dob);
        let ys = year.map(|y| y.to_string()).unwrap_or_default();
        row[F_YEAR] = self.vocab[F_YEAR].intern(&ys);
        let (house, street) = if rec.house_number.trim().is_empty() {
            split_house(&rec.street)
        } else {
            (rec.house_number.as_str(), rec.street.as_str())
        };
        norm_token_into(house, &mut s.house_number);
        row[F_HOUSE] = self.vocab[F_HOUSE].intern(&s.house_number);
        norm_street_into(street, &mut s.street);
        row[F_STREET] = self.vocab[F_STREET].intern(&s.street);
        norm_street_into(&rec.address2, &mut s.address2);
        row[F_ADDR2] = self.vocab[F_ADDR2].intern(&s.address2);
        norm_name_into(&rec.city, &mut s.city);
        row[F_CITY] = self.vocab[F_CITY].intern(&s.city);
        norm_token_into(&rec.state, &mut s.state);
        row[F_STATE] = self.vocab[F_STATE].intern(&s.state);
        let (z5, z4) = norm_zip(&rec.zip);
        row[F_ZIP5] = self.vocab[F_ZIP5].intern(&z5);
        row[F_ZIP4] = self.vocab[F_ZIP4].intern(&z4);
        let phone = norm_phone(&rec.phone);
        row[F_PHONE] = self.vocab[F_PHONE].intern(&phone);
        let email = rec.email.trim().to_ascii_lowercase();
        let email = if email.contains('@') {
            email
        } else {
            String::new()
        };
        row[F_EMAIL] = self.vocab[F_EMAIL].intern(&email);
        norm_token_into(&rec.voter_id, &mut s.voter_id);
        row[F_ID] = self.vocab[F_ID].intern(&s.voter_id);
        self.rows.push(row);
        self.ids.push_str(rec.record_id.trim());
        self.id_ends.push(self.ids.len());
        self.scratch = s;
        Ok(())
    }

    /// Approximate heap bytes used.
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Row>()
            + self.ids.capacity()
            + self.id_ends.capacity() * 8
            + self
                .vocab
                .iter()
                .map(|v| v.strs.iter().map(|s| 2 * s.len() + 48).sum::<usize>())
                .sum::<usize>()
    }
}

/// Lower-case letters, spaces for separators, everything else dropped.
pub(crate) fn norm_name_into(s: &str, out: &mut String) {
    out.clear();
    let mut space = false;
    for c in s.chars() {
        if c.is_alphabetic() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            for l in c.to_lowercase() {
                out.push(l);
            }
        } else if c.is_whitespace() || c == '-' || c == ',' || c == '/' {
            space = true;
        }
    }
}

fn norm_token_into(s: &str, out: &mut String) {
    out.clear();
    for c in s.chars() {
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                out.push(l);
            }
        }
    }
}

fn split_house(street: &str) -> (&str, &str) {
    let t = street.trim_start();
    let end = t.find(|c: char| c.is_whitespace()).unwrap_or(t.len());
    let first = &t[..end];
    if !first.is_empty() && first.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        (first, &t[end..])
    } else {
        ("", street)
    }
}

fn abbreviate(tok: &str) -> &str {
    match tok {
        "street" => "st",
        "avenue" | "av" => "ave",
        "road" => "rd",
        "drive" => "dr",
        "lane" => "ln",
        "court" => "ct",
        "place" => "pl",
        "boulevard" => "blvd",
        "circle" => "cir",
        "crescent" => "cres",
        "terrace" => "tce",
        "highway" => "hwy",
        "parkway" => "pkwy",
        "square" => "sq",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "apartment" => "apt",
        "suite" => "ste",
        other => other,
    }
}

fn norm_street_into(s: &str, out: &mut String) {
    out.clear();
    let lower: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else if c == '\'' || c == '.' {
                '\u{0}'
            } else {
                ' '
            }
        })
        .filter(|&c| c != '\u{0}')
        .collect();
    for tok in lower.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(abbreviate(tok));
    }
}

fn plausible_year(y: u32) -> bool {
    (1850..=2100).contains(&y)
}

/// Normalises a date of birth to `YYYYMMDD` (or its raw digits when it does not parse) and
/// returns the birth year when plausible.
pub(crate) fn norm_dob(s: &str) -> (String, Option<u16>) {
    let s = s.trim();
    if s.is_empty() {
        return (String::new(), None);
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let num = |p: &str| p.parse::<u32>().ok();
    if parts.len() == 3 {
        let (y, m, d) = if parts[0].len() == 4 {
            (num(parts[0]), num(parts[1]), num(parts[2]))
        } else {
            (num(parts[2]), num(parts[0]), num(parts[1]))
        };
        if let (Some(y), Some(m), Some(d)) = (y, m, d)
            && plausible_year(y)
            && m <= 99
            && d <= 99
        {
            return (format!("{y:04}{m:02}{d:02}"), Some(y as u16));
        }
    }
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let year = digits
        .get(..4)
        .and_then(|y| y.parse::<u32>().ok())
        .filter(|&y| plausible_year(y))
        .map(|y| y as u16);
    (digits, year)
}

fn norm_year(s: &str) -> Option<u16> {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    d.parse::<u32>()
        .ok()
        .filter(|&y| plausible_year(y))
        .map(|y| y as u16)
}

/// Splits a ZIP into ZIP5 (or a shorter postcode) and the ZIP+4 extension.
pub(crate) fn norm_zip(s: &str) -> (String, String) {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if d.len() >= 9 {
        (d[..5].to_string(), d[5..9].to_string())
    } else if d.len() > 5 {
        (d[..5].to_string(), String::new())
    } else {
        (d, String::new())
    }
}

/// Digits only, leading US country code dropped, last ten digits; fewer than 7 = missing.
pub(crate) fn norm_phone(s: &str) -> String {
    let d: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    if d.len() < 7 {
        return String::new();
    }
    let d = if d.len() == 11 && d.starts_with('1') {
        &d[1..]
    } else {
        &d[..]
    };
    d[d.len().saturating_sub(10)..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_fields() {
        let mut d = Dataset::new("t");
        d.push(&PersonRecord {
            record_id: " r1 ".into(),
            first_name: " Mary-Ann ".into(),
            last_name: "O'Brien".into(),
            birth_date: "3/7/1961".into(),
            street: "12B North Main Street".into(),
            zip: "27601-1234".into(),
            phone: "+1 (919) 555-0100".into(),
            email: " A@B.org".into(),
            ..Default::default()
        })
        .unwrap();
        let n = d.normalised(0);
        assert_eq!(n.record_id, "r1");
        assert_eq!(n.first_name, "mary ann");
        assert_eq!(n.last_name, "obrien");
        assert_eq!(n.birth_date, "19610307");
        assert_eq!(n.birth_year, "1961");
        assert_eq!(n.house_number, "12b");
        assert_eq!(n.street, "n main st");
        assert_eq!(n.zip, "27601-1234");
        assert_eq!(n.phone, "9195550100");
        assert_eq!(n.email, "a@b.org");
    }

    #[test]
    fn dob_formats() {
        assert_eq!(norm_dob("19610307").0, "19610307");
        assert_eq!(norm_dob("1961-03-07"), ("19610307".into(), Some(1961)));
        assert_eq!(norm_dob("19611307").1, Some(1961));
        assert_eq!(norm_dob("").1, None);
        assert_eq!(norm_dob("abc").1, None);
    }

    #[test]
    fn interning_shares_ids() {
        let mut d = Dataset::new("t");
        for _ in 0..3 {
            d.push(&PersonRecord {
                last_name: "Smith".into(),
                ..Default::default()
            })
            .unwrap();
        }
        assert_eq!(d.vocab[F_LAST].len(), 2);
        assert_eq!(d.rows[0][F_LAST], d.rows[2][F_LAST]);
        assert_eq!(d.rows[0][F_FIRST], 0);
    }
}
