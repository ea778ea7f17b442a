//! The naive alternative: a straight scan over a `Vec` of compact per-voter structs,
//! evaluating the same resolved [`Query`] row by row. It exists as the reference the
//! property tests check the bitmap index against, and as the baseline the benchmark
//! prints beside it. Text fields are interned to `u32` ids once (query values are
//! looked up once per query, not per row), so the baseline is a fair, straightforward
//! implementation rather than a strawman comparing strings per row.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use votebase_domain::snapshots::{VoteHistoryRecord, normalise_voting_method};
use votebase_domain::voters::VoterRecord;

use crate::families::{CatField, norm_key, norm_text, qualified_precinct};
use crate::query::{Pred, Query};

#[derive(Debug, Default, Clone)]
struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: String) -> u32 {
        let n = self.ids.len() as u32;
        *self.ids.entry(s).or_insert(n)
    }
    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// One voter as the scan sees it.
#[derive(Debug, Clone)]
struct Row {
    cats: [u32; CatField::ALL.len()],
    precinct_q: u32,
    birth_year: Option<i32>,
    birth_date: Option<NaiveDate>,
    registered: Option<NaiveDate>,
    /// (election, method id), one per history row.
    votes: Vec<(NaiveDate, u32)>,
    /// (family+key id) for set families.
    keys: Vec<u32>,
    /// (family+name id, value).
    numbers: Vec<(u32, i64)>,
    /// (family id, key id, date).
    dates: Vec<(u32, u32, NaiveDate)>,
}

/// A table of voters scanned row by row.
#[derive(Debug, Default, Clone)]
pub struct ScanTable {
    rows: Vec<Row>,
    strings: Interner,
    by_id: HashMap<String, u32>,
}

enum ScanPred {
    Never,
    Cat(usize, u32),
    PrecinctQ(u32),
    Age(Option<i32>, Option<i32>),
    Registered(Option<NaiveDate>, Option<NaiveDate>),
    Voted(Option<NaiveDate>, Option<NaiveDate>),
    Method(u32, Option<NaiveDate>),
    Votes(Option<u32>, Option<u32>),
    Key(u32),
    Number(u32, Option<i64>, Option<i64>),
    Dated(u32, Option<u32>, Option<NaiveDate>, Option<NaiveDate>),
}

fn within<T: PartialOrd>(v: T, lo: &Option<T>, hi: &Option<T>) -> bool {
    lo.as_ref().is_none_or(|l| v >= *l) && hi.as_ref().is_none_or(|h| v <= *h)
}

impl ScanTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a voter (row number = the index ordinal when fed in the same order).
    pub fn add_voter(&mut self, v: &VoterRecord) {
        let mut cats = [0u32; CatField::ALL.len()];
        for f in CatField::ALL {
            cats[f.index()] = self.strings.intern(f.value_of(v));
        }
        let pq = qualified_precinct(&norm_text(&v.county_name), &norm_text(&v.precinct_code));
        let row = Row {
            cats,
            precinct_q: self.strings.intern(pq),
            birth_year: v.birth_year,
            birth_date: v.birth_date,
            registered: v.registration_date,
            votes: Vec::new(),
            keys: Vec::new(),
            numbers: Vec::new(),
            dates: Vec::new(),
        };
        self.by_id
            .insert(v.state_voter_id.clone(), self.rows.len() as u32);
        self.rows.push(row);
    }

    fn row_mut(&mut self, voter: &str) -> Option<&mut Row> {
        let i = *self.by_id.get(voter)?;
        self.rows.get_mut(i as usize)
    }

    /// Adds a history row (ignored for unknown voters).
    pub fn add_history(&mut self, h: &VoteHistoryRecord) {
        let m = self.strings.intern(format!(
            "method\0{}",
            normalise_voting_method(&h.voting_method)
        ));
        if let Some(r) = self.row_mut(&h.state_voter_id) {
            r.votes.push((h.election_date, m));
        }
    }

    /// Adds a key of a set family.
    pub fn add_keyed(&mut self, family: &str, voter: &str, key: &str) {
        let k = self
            .strings
            .intern(format!("{}\0{}", norm_key(family), norm_key(key)));
        if let Some(r) = self.row_mut(voter) {
            r.keys.push(k);
        }
    }

    /// Adds a value of a numeric family.
    pub fn add_numeric(&mut self, family: &str, voter: &str, name: &str, value: i64) {
        let k = self
            .strings
            .intern(format!("{}\0{}", norm_key(family), norm_key(name)));
        if let Some(r) = self.row_mut(voter) {
            r.numbers.push((k, value));
        }
    }

    /// Adds a date of a dated family.
    pub fn add_dated(&mut self, family: &str, voter: &str, key: &str, date: NaiveDate) {
        let f = self.strings.intern(format!("family\0{}", norm_key(family)));
        let k = self
            .strings
            .intern(format!("{}\0{}", norm_key(family), norm_key(key)));
        if let Some(r) = self.row_mut(voter) {
            r.dates.push((f, k, date));
        }
    }

    fn compile(&self, p: &Pred) -> ScanPred {
        let id = |s: String| self.strings.get(&s);
        let or_never = |o: Option<ScanPred>| o.unwrap_or(ScanPred::Never);
        match p {
            Pred::Category { field, value } => {
                if *field == CatField::Precinct && value.contains('/') {
                    or_never(id(value.clone()).map(ScanPred::PrecinctQ))
                } else {
                    or_never(id(value.clone()).map(|v| ScanPred::Cat(field.index(), v)))
                }
            }
            Pred::Age { lo, hi } => ScanPred::Age(*lo, *hi),
            Pred::Registered { lo, hi } => ScanPred::Registered(*lo, *hi),
            Pred::Voted { lo, hi } => ScanPred::Voted(*lo, *hi),
            Pred::Method { method, election } => {
                or_never(id(format!("method\0{method}")).map(|m| ScanPred::Method(m, *election)))
            }
            Pred::Votes { lo, hi } => ScanPred::Votes(*lo, *hi),
            Pred::Keyed { family, key } => {
                or_never(id(format!("{family}\0{key}")).map(ScanPred::Key))
            }
            Pred::Numeric {
                family,
                name,
                lo,
                hi,
            } => or_never(id(format!("{family}\0{name}")).map(|k| ScanPred::Number(k, *lo, *hi))),
            Pred::Dated {
                family,
                key,
                lo,
                hi,
            } => {
                let Some(f) = id(format!("family\0{family}")) else {
                    return ScanPred::Never;
                };
                match key {
                    None => ScanPred::Dated(f, None, *lo, *hi),
                    Some(k) => or_never(
                        id(format!("{family}\0{k}")).map(|k| ScanPred::Dated(f, Some(k), *lo, *hi)),
                    ),
                }
            }
        }
    }

    fn matches(r: &Row, p: &ScanPred, reference: NaiveDate) -> bool {
        match p {
            ScanPred::Never => false,
            ScanPred::Cat(f, v) => r.cats[*f] == *v,
            ScanPred::PrecinctQ(v) => r.precinct_q == *v,
            ScanPred::Age(lo, hi) => {
                let age = match (r.birth_date, r.birth_year) {
                    (Some(b), _) => {
                        let mut a = reference.year() - b.year();
                        if (reference.month(), reference.day()) < (b.month(), b.day()) {
                            a -= 1;
                        }
                        a
                    }
                    (None, Some(y)) => reference.year() - y,
                    (None, None) => return false,
                };
                within(age, lo, hi)
            }
            ScanPred::Registered(lo, hi) => r.registered.is_some_and(|d| within(d, lo, hi)),
            ScanPred::Voted(lo, hi) => r.votes.iter().any(|(d, _)| within(*d, lo, hi)),
            ScanPred::Method(m, e) => r
                .votes
                .iter()
                .any(|(d, vm)| vm == m && e.is_none_or(|e| e == *d)),
            ScanPred::Votes(lo, hi) => {
                let mut ds: Vec<NaiveDate> = r.votes.iter().map(|(d, _)| *d).collect();
                ds.sort_unstable();
                ds.dedup();
                within(ds.len() as u32, lo, hi)
            }
            ScanPred::Key(k) => r.keys.contains(k),
            ScanPred::Number(k, lo, hi) => {
                r.numbers.iter().any(|(n, v)| n == k && within(*v, lo, hi))
            }
            ScanPred::Dated(f, k, lo, hi) => r
                .dates
                .iter()
                .any(|(rf, rk, d)| rf == f && k.is_none_or(|k| k == *rk) && within(*d, lo, hi)),
        }
    }

    fn compiled(&self, q: &Query) -> Vec<(bool, Vec<ScanPred>)> {
        q.clauses
            .iter()
            .map(|c| {
                (
                    c.negated,
                    c.any_of.iter().map(|p| self.compile(p)).collect(),
                )
            })
            .collect()
    }

    fn row_matches(r: &Row, clauses: &[(bool, Vec<ScanPred>)], reference: NaiveDate) -> bool {
        clauses
            .iter()
            .all(|(neg, any)| any.iter().any(|p| Self::matches(r, p, reference)) != *neg)
    }

    /// Number of rows matching `q`.
    pub fn count(&self, q: &Query) -> u64 {
        let c = self.compiled(q);
        self.rows
            .iter()
            .filter(|r| Self::row_matches(r, &c, q.reference_date))
            .count() as u64
    }

    /// Row numbers matching `q`.
    pub fn members(&self, q: &Query) -> Vec<u32> {
        let c = self.compiled(q);
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| Self::row_matches(r, &c, q.reference_date))
            .map(|(i, _)| i as u32)
            .collect()
    }

    /// Count of rows matching `q` per county name (one pass, hash-map group-by).
    pub fn count_by_county(&self, q: &Query) -> Vec<(String, u64)> {
        let c = self.compiled(q);
        let mut by: HashMap<u32, u64> = HashMap::new();
        for r in &self.rows {
            if Self::row_matches(r, &c, q.reference_date) {
                *by.entry(r.cats[CatField::County.index()]).or_default() += 1;
            }
        }
        let names: HashMap<u32, &str> = self
            .strings
            .ids
            .iter()
            .map(|(s, i)| (*i, s.as_str()))
            .collect();
        let mut rows: Vec<(String, u64)> = by
            .into_iter()
            .map(|(k, n)| {
                let s = names[&k];
                (
                    if s.is_empty() {
                        "(none)".to_string()
                    } else {
                        s.to_string()
                    },
                    n,
                )
            })
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows
    }
}
