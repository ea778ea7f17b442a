//! The joint view of the data being linked: one vocabulary per field shared by both datasets (so
//! equal values have equal ids on both sides), the second dataset's rows re-mapped into it, and
//! per-value features computed once in parallel (Double Metaphone codes, nickname groups, parsed
//! dates and house numbers, term frequencies). Comparisons and blocking read only this.

use crate::dataset::{
    Dataset, F_ADDR2, F_CITY, F_DOB, F_FIRST, F_HOUSE, F_LAST, F_MIDDLE, F_STREET, Interner, NF,
    Row,
};

/// The fields compared by Jaro-Winkler (their values get a [`Letters`] profile).
const JW_FIELDS: [usize; 5] = [F_FIRST, F_LAST, F_STREET, F_CITY, F_ADDR2];
use crate::nicknames;
use crate::tf::TermFreq;
use rayon::prelude::*;
use rphonetic::DoubleMetaphone;
use std::borrow::Cow;

/// Per-value features of a name field.
#[derive(Debug, Default)]
pub(crate) struct NameFeatures {
    /// Double Metaphone primary and alternate codes, hashed (0 = none).
    pub dm: Vec<[u64; 2]>,
    /// Nickname groups.
    pub nick: Vec<&'static [u16]>,
}

/// Both sides of a run over one joint vocabulary.
pub(crate) struct Prepared<'a> {
    pub vocab: Cow<'a, [Interner]>,
    pub a: &'a [Row],
    pub b: Cow<'a, [Row]>,
    /// True when deduplicating one dataset (b is a).
    pub dedupe: bool,
    pub first: NameFeatures,
    pub last: NameFeatures,
    pub middle_initial: Vec<u8>,
    /// Parsed (year, month, day) of each date value.
    pub dob: Vec<Option<(u16, u8, u8)>>,
    /// Numeric house numbers.
    pub house: Vec<Option<u32>>,
    /// Term frequencies per field.
    pub tf: Vec<TermFreq>,
    /// Letter profiles of the values of the fields compared by Jaro-Winkler (empty for others).
    pub letters: Vec<Vec<Letters>>,
}

/// What bounds the Jaro-Winkler similarity of two values from above without computing it: the
/// set of character classes present (a–z, digits, space, other), the length and the number of
/// repeated characters. Matching characters are at most the shared classes plus the fewer
/// repeats, and at most the shorter length.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Letters {
    mask: u32,
    len: u8,
    repeats: u8,
    /// False when the value is not plain ASCII of at most 64 bytes (no bound is used).
    bounded: bool,
}

impl Letters {
    pub(crate) fn of(s: &str) -> Self {
        let b = s.as_bytes();
        if !s.is_ascii() || b.len() > 64 {
            return Letters::default();
        }
        let mut mask = 0u32;
        for &c in b {
            mask |= 1
                << match c {
                    b'a'..=b'z' => (c - b'a') as u32,
                    b'A'..=b'Z' => (c - b'A') as u32,
                    b'0'..=b'9' => 26,
                    b' ' => 27,
                    _ => 28,
                };
        }
        // Upper and lower case share a class; a class holding distinct characters (digits,
        // other) only makes the bound looser, never wrong.
        Letters {
            mask,
            len: b.len() as u8,
            repeats: (b.len() as u32 - mask.count_ones()) as u8,
            bounded: true,
        }
    }

    /// An upper bound of `jaro_winkler(x, y)` for the values profiled as `self` and `o`, whose
    /// common prefix (up to 4 bytes) is `prefix`; `None` when no bound applies.
    #[inline]
    pub(crate) fn jw_upper_bound(self, o: Letters, prefix: usize) -> Option<f64> {
        if !self.bounded || !o.bounded || self.len == 0 || o.len == 0 {
            return None;
        }
        let m = ((self.mask & o.mask).count_ones() + self.repeats.min(o.repeats) as u32)
            .min(self.len.min(o.len) as u32);
        if m == 0 {
            return Some(0.0);
        }
        let m = m as f64;
        let jaro = (m / self.len as f64 + m / o.len as f64 + 1.0) / 3.0;
        let jw = if jaro > 0.7 {
            jaro + 0.1 * prefix as f64 * (1.0 - jaro)
        } else {
            jaro
        };
        Some(jw + 1e-9)
    }
}

pub(crate) fn hash_str(s: &str) -> u64 {
    // FNV-1a, then a finaliser; stable across runs (cluster ids and sampling depend on it).
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    mix(h)
}

pub(crate) fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

fn name_features(v: &Interner) -> NameFeatures {
    let dm = (0..v.len() as u32)
        .into_par_iter()
        .map_init(DoubleMetaphone::default, |enc, id| {
            let s = v.get(id);
            if s.is_empty() {
                return [0, 0];
            }
            let r = enc.double_metaphone(s);
            let p = r.primary();
            let a = r.alternate();
            let hp = if p.is_empty() { 0 } else { hash_str(&p) | 1 };
            let ha = if a.is_empty() { hp } else { hash_str(&a) | 1 };
            [hp, ha]
        })
        .collect();
    let nick = (0..v.len() as u32)
        .map(|id| nicknames::groups(v.get(id)))
        .collect();
    NameFeatures { dm, nick }
}

impl<'a> Prepared<'a> {
    /// Joint view of one dataset (deduplication).
    pub(crate) fn dedupe(a: &'a Dataset) -> Self {
        Self::build(
            Cow::Borrowed(&a.vocab),
            &a.rows,
            Cow::Borrowed(&a.rows),
            true,
        )
    }

    /// Joint view of two datasets (linkage): b's values are re-mapped into a's vocabulary.
    pub(crate) fn link(a: &'a Dataset, b: &'a Dataset) -> Self {
        let mut vocab: Vec<Interner> = a.vocab.clone();
        let mut remap: Vec<Vec<u32>> = Vec::with_capacity(NF);
        for (f, v) in vocab.iter_mut().enumerate() {
            let bv = &b.vocab[f];
            remap.push(
                (0..bv.len() as u32)
                    .map(|id| v.intern(bv.get(id)))
                    .collect(),
            );
        }
        let rows: Vec<Row> = b
            .rows
            .par_iter()
            .map(|r| {
                let mut o = [0u32; NF];
                for f in 0..NF {
                    o[f] = remap[f][r[f] as usize];
                }
                o
            })
            .collect();
        Self::build(Cow::Owned(vocab), &a.rows, Cow::Owned(rows), false)
    }

    fn build(vocab: Cow<'a, [Interner]>, a: &'a [Row], b: Cow<'a, [Row]>, dedupe: bool) -> Self {
        let first = name_features(&vocab[F_FIRST]);
        let last = name_features(&vocab[F_LAST]);
        let mv = &vocab[F_MIDDLE];
        let middle_initial = (0..mv.len() as u32)
            .map(|id| mv.get(id).bytes().next().unwrap_or(0))
            .collect();
        let dv = &vocab[F_DOB];
        let dob = (0..dv.len() as u32)
            .map(|id| parse_ymd(dv.get(id)))
            .collect();
        let hv = &vocab[F_HOUSE];
        let house = (0..hv.len() as u32)
            .map(|id| {
                let s = hv.get(id);
                let d: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
                d.parse().ok()
            })
            .collect();
        let tf = (0..NF)
            .into_par_iter()
            .map(|f| {
                let n = vocab[f].len();
                if dedupe {
                    TermFreq::count(n, a.iter().map(|r| &r[f]))
                } else {
                    TermFreq::count(n, a.iter().chain(b.iter()).map(|r| &r[f]))
                }
            })
            .collect();
        let letters = (0..NF)
            .into_par_iter()
            .map(|f| {
                if JW_FIELDS.contains(&f) {
                    let v = &vocab[f];
                    (0..v.len() as u32)
                        .map(|id| Letters::of(v.get(id)))
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        Prepared {
            vocab,
            a,
            b,
            dedupe,
            first,
            last,
            middle_initial,
            dob,
            house,
            tf,
            letters,
        }
    }

    /// `jaro_winkler` of values `p` and `q` of field `f` when it can reach `min`, else 0.0
    /// (a cheap upper bound rules most unrelated values out without computing it).
    #[inline]
    pub(crate) fn jw_at_least(&self, f: usize, p: u32, q: u32, min: f64) -> f64 {
        let (sp, sq) = (self.s(f, p), self.s(f, q));
        if let Some(l) = self.letters.get(f).filter(|l| !l.is_empty()) {
            let prefix = sp
                .bytes()
                .zip(sq.bytes())
                .take(4)
                .take_while(|(x, y)| x == y)
                .count();
            if let Some(ub) = l[p as usize].jw_upper_bound(l[q as usize], prefix)
                && ub < min
            {
                return 0.0;
            }
        }
        crate::comparisons::jaro_winkler(sp, sq)
    }

    /// The string of value `id` in field `f`.
    #[inline]
    pub(crate) fn s(&self, f: usize, id: u32) -> &str {
        self.vocab[f].get(id)
    }

    /// Number of records on side b.
    pub(crate) fn nb(&self) -> usize {
        self.b.len()
    }

    /// Whether field `f` has values on both sides.
    pub(crate) fn field_present(&self, f: usize) -> bool {
        self.a.iter().any(|r| r[f] != 0) && self.b.iter().any(|r| r[f] != 0)
    }
}

fn parse_ymd(s: &str) -> Option<(u16, u8, u8)> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: u16 = s[..4].parse().ok()?;
    let m: u8 = s[4..6].parse().ok()?;
    let d: u8 = s[6..].parse().ok()?;
    if (1..=12).contains(&m) && (1..=31).contains(&d) {
        Some((y, m, d))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::PersonRecord;

    #[test]
    fn link_shares_ids_across_sides() {
        let rec = |l: &str| PersonRecord {
            last_name: l.into(),
            ..Default::default()
        };
        let a = Dataset::from_records("a", [rec("smith"), rec("jones")]).unwrap();
        let b = Dataset::from_records("b", [rec("jones"), rec("brown")]).unwrap();
        let p = Prepared::link(&a, &b);
        assert_eq!(p.a[1][F_LAST], p.b[0][F_LAST]);
        assert_ne!(p.a[0][F_LAST], p.b[1][F_LAST]);
        assert_eq!(p.s(F_LAST, p.b[1][F_LAST]), "brown");
        assert_eq!(p.first.dm.len(), p.vocab[F_FIRST].len());
        assert!(p.last.dm[p.a[0][F_LAST] as usize][0] != 0);
    }

    #[test]
    fn jaro_winkler_upper_bound_holds() {
        let words = [
            "martha",
            "marhta",
            "dwayne",
            "duane",
            "dixon",
            "dicksonx",
            "smith",
            "smyth",
            "a",
            "johnson",
            "jonson",
            "abcdefghijklmnop",
            "ponmlkjihgfedcba",
            "aaa",
            "aa",
            "Ab c",
            "bca",
            "o'neil",
            "oneil",
            "1a2b",
            "sarah jane",
            "jane sarah",
        ];
        let mut tight = 0;
        for x in words {
            for y in words {
                let jw = crate::comparisons::jaro_winkler(x, y);
                let prefix = x
                    .bytes()
                    .zip(y.bytes())
                    .take(4)
                    .take_while(|(a, b)| a == b)
                    .count();
                let ub = Letters::of(x)
                    .jw_upper_bound(Letters::of(y), prefix)
                    .unwrap();
                assert!(ub >= jw, "{x} {y}: bound {ub} < {jw}");
                if ub < 0.8 {
                    tight += 1;
                }
            }
        }
        assert!(tight > 100, "{tight}");
    }

    #[test]
    fn parses_dates() {
        assert_eq!(parse_ymd("19610307"), Some((1961, 3, 7)));
        assert_eq!(parse_ymd("19611307"), None);
        assert_eq!(parse_ymd("1961"), None);
    }
}
