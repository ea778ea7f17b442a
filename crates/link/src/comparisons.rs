//! Field comparisons, each with ordered agreement levels (exact, nickname, Jaro-Winkler bands,
//! Double Metaphone, Damerau-Levenshtein within one edit, first/last name swapped, transposed
//! day/month, off-by-one year, birth-year-only, house-number distance, address token overlap,
//! ZIP5 versus ZIP+4). A pair's comparison vector gives one level per comparison; level 0 means a
//! value is missing on a side, which carries no evidence.

use crate::config::Role;
use crate::dataset::{
    F_ADDR2, F_CITY, F_DOB, F_EMAIL, F_FIRST, F_HOUSE, F_ID, F_LAST, F_MIDDLE, F_PHONE, F_STATE,
    F_STREET, F_YEAR, F_ZIP4, F_ZIP5, Row,
};
use crate::prepare::Prepared;

/// Maximum number of comparisons in a model.
pub const MAX_COMPARISONS: usize = 13;

/// One comparison vector: a level per active comparison (0 = missing).
pub type Gamma = [u8; MAX_COMPARISONS];

/// A field comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Middle name.
    MiddleName,
    /// Date of birth or birth year.
    BirthDate,
    /// House number.
    HouseNumber,
    /// Street.
    Street,
    /// Second address line.
    Address2,
    /// City.
    City,
    /// State.
    State,
    /// ZIP.
    Zip,
    /// Phone.
    Phone,
    /// Email.
    Email,
    /// Voter id.
    VoterId,
    /// The whole address (house number, street, ZIP, city) as one comparison, so that the
    /// correlated address fields are not counted four times; the default model uses this
    /// instead of the atomic `HouseNumber`, `Street`, `City` and `Zip` comparisons.
    Address,
}

impl Comparison {
    /// The comparisons of the default model, in output order (those whose columns are
    /// present on both sides are used).
    pub const ALL: [Comparison; 10] = [
        Comparison::FirstName,
        Comparison::LastName,
        Comparison::MiddleName,
        Comparison::BirthDate,
        Comparison::Address,
        Comparison::Address2,
        Comparison::State,
        Comparison::Phone,
        Comparison::Email,
        Comparison::VoterId,
    ];

    /// The column name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::FirstName => "first_name",
            Comparison::LastName => "last_name",
            Comparison::MiddleName => "middle_name",
            Comparison::BirthDate => "birth_date",
            Comparison::HouseNumber => "house_number",
            Comparison::Street => "street",
            Comparison::Address2 => "address2",
            Comparison::City => "city",
            Comparison::State => "state",
            Comparison::Zip => "zip",
            Comparison::Phone => "phone",
            Comparison::Email => "email",
            Comparison::VoterId => "voter_id",
            Comparison::Address => "address",
        }
    }

    /// Labels of levels 1..=k, best agreement first; the last is always "else" (disagree).
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Comparison::FirstName => &[
                "exact", "swapped", "nickname", "jw>=0.92", "phonetic", "jw>=0.80", "initial",
                "else",
            ],
            Comparison::LastName => &[
                "exact",
                "swapped",
                "jw>=0.92",
                "phonetic",
                "shared_token",
                "jw>=0.80",
                "else",
            ],
            Comparison::MiddleName => &["exact", "initial", "else"],
            Comparison::BirthDate => &[
                "exact",
                "transposed_or_typo",
                "year_only_equal",
                "year_off_by_one",
                "same_year",
                "else",
            ],
            Comparison::HouseNumber => &["exact", "near", "else"],
            Comparison::Street => &["exact", "jw>=0.90", "tokens>=0.5", "else"],
            Comparison::Address2 => &["exact", "jw>=0.90", "else"],
            Comparison::City => &["exact", "jw>=0.90", "else"],
            Comparison::State => &["exact", "else"],
            Comparison::Zip => &["zip+4", "zip5", "one_typo", "else"],
            Comparison::Phone => &["exact", "near", "else"],
            Comparison::Email => &["exact", "near", "else"],
            Comparison::VoterId => &["exact", "one_typo", "else"],
            Comparison::Address => &[
                "same_address_zip+4",
                "same_address",
                "near_house_same_street",
                "same_street",
                "same_zip5",
                "near_zip_or_same_city",
                "else",
            ],
        }
    }

    /// Number of non-null levels.
    pub fn n_levels(self) -> usize {
        self.levels().len()
    }

    /// The roles a comparison reads (used to leave it out of EM sessions blocked on them).
    pub fn roles(self) -> &'static [Role] {
        match self {
            Comparison::FirstName => &[Role::FirstName],
            Comparison::LastName => &[Role::LastName],
            Comparison::MiddleName => &[Role::MiddleName],
            Comparison::BirthDate => &[Role::BirthDate, Role::BirthYear],
            Comparison::HouseNumber => &[Role::HouseNumber],
            Comparison::Street => &[Role::Street],
            Comparison::Address2 => &[Role::Address2],
            Comparison::City => &[Role::City],
            Comparison::State => &[Role::State],
            Comparison::Zip => &[Role::Zip],
            Comparison::Phone => &[Role::Phone],
            Comparison::Email => &[Role::Email],
            Comparison::VoterId => &[Role::VoterId],
            Comparison::Address => &[Role::HouseNumber, Role::Street, Role::City, Role::Zip],
        }
    }

    /// The field whose exact agreement gets a term-frequency adjustment.
    pub(crate) fn tf_field(self) -> Option<usize> {
        match self {
            Comparison::FirstName => Some(F_FIRST),
            Comparison::LastName => Some(F_LAST),
            _ => None,
        }
    }

    /// The fields any of which, present on both sides, enables the comparison.
    pub(crate) fn fields(self) -> &'static [usize] {
        match self {
            Comparison::Address => &[F_HOUSE, F_STREET, F_CITY, F_ZIP5],
            Comparison::BirthDate => &[F_YEAR, F_DOB],
            _ => std::slice::from_ref(match self {
                Comparison::FirstName => &F_FIRST,
                Comparison::LastName => &F_LAST,
                Comparison::MiddleName => &F_MIDDLE,
                Comparison::HouseNumber => &F_HOUSE,
                Comparison::Street => &F_STREET,
                Comparison::Address2 => &F_ADDR2,
                Comparison::City => &F_CITY,
                Comparison::State => &F_STATE,
                Comparison::Zip => &F_ZIP5,
                Comparison::Phone => &F_PHONE,
                Comparison::Email => &F_EMAIL,
                _ => &F_ID,
            }),
        }
    }

    /// The main field, whose presence on both sides enables the comparison.
    pub(crate) fn field(self) -> usize {
        match self {
            Comparison::Address => F_ZIP5,
            Comparison::FirstName => F_FIRST,
            Comparison::LastName => F_LAST,
            Comparison::MiddleName => F_MIDDLE,
            Comparison::BirthDate => F_YEAR,
            Comparison::HouseNumber => F_HOUSE,
            Comparison::Street => F_STREET,
            Comparison::Address2 => F_ADDR2,
            Comparison::City => F_CITY,
            Comparison::State => F_STATE,
            Comparison::Zip => F_ZIP5,
            Comparison::Phone => F_PHONE,
            Comparison::Email => F_EMAIL,
            Comparison::VoterId => F_ID,
        }
    }
}

/// Jaro-Winkler similarity (as `strsim::jaro_winkler`), allocation-free for strings up to
/// 64 bytes.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (lx, ly) = (x.len(), y.len());
    if lx > 64 || ly > 64 || !a.is_ascii() || !b.is_ascii() {
        return strsim::jaro_winkler(a, b);
    }
    if lx == 0 && ly == 0 {
        return 1.0;
    }
    if lx == 0 || ly == 0 {
        return 0.0;
    }
    let range = (lx.max(ly) / 2).saturating_sub(1);
    let (mut fx, mut fy) = ([false; 64], [false; 64]);
    let mut m = 0usize;
    for i in 0..lx {
        let lo = i.saturating_sub(range);
        let hi = (i + range + 1).min(ly);
        for j in lo..hi {
            if !fy[j] && x[i] == y[j] {
                fx[i] = true;
                fy[j] = true;
                m += 1;
                break;
            }
        }
    }
    if m == 0 {
        return 0.0;
    }
    let (mut k, mut t) = (0usize, 0usize);
    for i in 0..lx {
        if fx[i] {
            while !fy[k] {
                k += 1;
            }
            if x[i] != y[k] {
                t += 1;
            }
            k += 1;
        }
    }
    let m = m as f64;
    let jaro = (m / lx as f64 + m / ly as f64 + (m - (t / 2) as f64) / m) / 3.0;
    if jaro > 0.7 {
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}

/// Whether two byte strings are within one edit (insert, delete, substitute or transpose
/// adjacent), without allocating.
pub(crate) fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if p == la && p == lb {
        return true;
    }
    if la == lb {
        // substitution or adjacent transposition
        if a[p + 1..] == b[p + 1..] {
            return true;
        }
        return p + 1 < la && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..];
    }
    if la > lb {
        a[p + 1..] == b[p..]
    } else {
        a[p..] == b[p + 1..]
    }
}

fn shares_token(a: &str, b: &str) -> bool {
    if !a.contains(' ') && !b.contains(' ') {
        return false;
    }
    a.split(' ')
        .any(|t| t.len() > 1 && b.split(' ').any(|u| u == t))
}

fn token_overlap(a: &str, b: &str) -> f64 {
    let (mut inter, mut na, mut nb) = (0usize, 0usize, 0usize);
    for t in a.split(' ') {
        na += 1;
        if b.split(' ').any(|u| u == t) {
            inter += 1;
        }
    }
    for _ in b.split(' ') {
        nb += 1;
    }
    let union = na + nb - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

impl Prepared<'_> {
    /// The level of one comparison for records `x` (side a) and `y` (side b).
    pub(crate) fn level(&self, c: Comparison, x: &Row, y: &Row) -> u8 {
        match c {
            Comparison::FirstName => self.name_level(x, y, true),
            Comparison::LastName => self.name_level(x, y, false),
            Comparison::MiddleName => {
                let (p, q) = (x[F_MIDDLE], y[F_MIDDLE]);
                if p == 0 || q == 0 {
                    0
                } else if p == q {
                    1
                } else if self.middle_initial[p as usize] == self.middle_initial[q as usize] {
                    2
                } else {
                    3
                }
            }
            Comparison::BirthDate => self.dob_level(x, y),
            Comparison::HouseNumber => {
                let (p, q) = (x[F_HOUSE], y[F_HOUSE]);
                if p == 0 || q == 0 {
                    return 0;
                }
                if p == q {
                    return 1;
                }
                let near_num = match (self.house[p as usize], self.house[q as usize]) {
                    (Some(a), Some(b)) => a.abs_diff(b) <= 2,
                    _ => false,
                };
                let (sp, sq) = (self.s(F_HOUSE, p), self.s(F_HOUSE, q));
                if near_num || within_one_edit(sp.as_bytes(), sq.as_bytes()) {
                    2
                } else {
                    3
                }
            }
            Comparison::Street => {
                let (p, q) = (x[F_STREET], y[F_STREET]);
                if p == 0 || q == 0 {
                    return 0;
                }
                if p == q {
                    return 1;
                }
                let (sp, sq) = (self.s(F_STREET, p), self.s(F_STREET, q));
                if self.jw_at_least(F_STREET, p, q, 0.90) >= 0.90 {
                    2
                } else if token_overlap(sp, sq) >= 0.5 {
                    3
                } else {
                    4
                }
            }
            Comparison::Address2 => self.simple_jw(F_ADDR2, x, y),
            Comparison::City => self.simple_jw(F_CITY, x, y),
            Comparison::State => {
                let (p, q) = (x[F_STATE], y[F_STATE]);
                if p == 0 || q == 0 {
                    0
                } else if p == q {
                    1
                } else {
                    2
                }
            }
            Comparison::Zip => {
                let (p, q) = (x[F_ZIP5], y[F_ZIP5]);
                if p == 0 || q == 0 {
                    return 0;
                }
                if p == q {
                    let (p4, q4) = (x[F_ZIP4], y[F_ZIP4]);
                    return if p4 != 0 && p4 == q4 { 1 } else { 2 };
                }
                if within_one_edit(self.s(F_ZIP5, p).as_bytes(), self.s(F_ZIP5, q).as_bytes()) {
                    3
                } else {
                    4
                }
            }
            Comparison::Phone => {
                let (p, q) = (x[F_PHONE], y[F_PHONE]);
                if p == 0 || q == 0 {
                    return 0;
                }
                if p == q {
                    return 1;
                }
                let (sp, sq) = (self.s(F_PHONE, p), self.s(F_PHONE, q));
                fn last7(s: &str) -> &[u8] {
                    &s.as_bytes()[s.len().saturating_sub(7)..]
                }
                if last7(sp) == last7(sq) || within_one_edit(sp.as_bytes(), sq.as_bytes()) {
                    2
                } else {
                    3
                }
            }
            Comparison::Email => {
                let (p, q) = (x[F_EMAIL], y[F_EMAIL]);
                if p == 0 || q == 0 {
                    return 0;
                }
                if p == q {
                    return 1;
                }
                let (sp, sq) = (self.s(F_EMAIL, p), self.s(F_EMAIL, q));
                fn user(s: &str) -> &str {
                    s.split('@').next().unwrap_or("")
                }
                if (user(sp) == user(sq) && user(sp).len() > 3)
                    || within_one_edit(sp.as_bytes(), sq.as_bytes())
                {
                    2
                } else {
                    3
                }
            }
            Comparison::Address => {
                let h = self.level(Comparison::HouseNumber, x, y);
                let s = self.level(Comparison::Street, x, y);
                let z = self.level(Comparison::Zip, x, y);
                let c = self.level(Comparison::City, x, y);
                let street = matches!(s, 1..=3);
                if h == 1 && street {
                    if z == 1 { 1 } else { 2 }
                } else if h == 2 && street {
                    3
                } else if street && (matches!(z, 1 | 2) || c == 1 || (z == 0 && c == 0)) {
                    4
                } else if matches!(z, 1 | 2) {
                    5
                } else if z == 3 || c == 1 || c == 2 {
                    6
                } else if h == 0 && s == 0 && z == 0 && c == 0 {
                    0
                } else {
                    7
                }
            }
            Comparison::VoterId => {
                let (p, q) = (x[F_ID], y[F_ID]);
                if p == 0 || q == 0 {
                    0
                } else if p == q {
                    1
                } else if within_one_edit(self.s(F_ID, p).as_bytes(), self.s(F_ID, q).as_bytes()) {
                    2
                } else {
                    3
                }
            }
        }
    }

    fn simple_jw(&self, f: usize, x: &Row, y: &Row) -> u8 {
        let (p, q) = (x[f], y[f]);
        if p == 0 || q == 0 {
            0
        } else if p == q {
            1
        } else if self.jw_at_least(f, p, q, 0.90) >= 0.90 {
            2
        } else {
            3
        }
    }

    fn name_level(&self, x: &Row, y: &Row, first: bool) -> u8 {
        let (f, other) = if first {
            (F_FIRST, F_LAST)
        } else {
            (F_LAST, F_FIRST)
        };
        let (p, q) = (x[f], y[f]);
        if p == 0 || q == 0 {
            return 0;
        }
        if p == q {
            return 1;
        }
        let (sp, sq) = (self.s(f, p), self.s(f, q));
        // Swap: this field of x equals the other field of y, and vice versa.
        let (po, qo) = (x[other], y[other]);
        if po != 0 && qo != 0 && sp == self.s(other, qo) && sq == self.s(other, po) {
            return 2;
        }
        let feats = if first { &self.first } else { &self.last };
        if first {
            let (np, nq) = (feats.nick[p as usize], feats.nick[q as usize]);
            if np.iter().any(|g| nq.contains(g)) {
                return 3;
            }
        }
        let jw = self.jw_at_least(f, p, q, 0.80);
        let dm_p = feats.dm[p as usize];
        let dm_q = feats.dm[q as usize];
        let phon = dm_p[0] != 0 && (dm_p[0] == dm_q[0] || dm_p[0] == dm_q[1] || dm_p[1] == dm_q[0]);
        if first {
            if jw >= 0.92 {
                4
            } else if phon {
                5
            } else if jw >= 0.80 {
                6
            } else if (sp.len() == 1 || sq.len() == 1) && sp.as_bytes()[0] == sq.as_bytes()[0] {
                7
            } else {
                8
            }
        } else if jw >= 0.92 {
            3
        } else if phon {
            4
        } else if shares_token(sp, sq) {
            5
        } else if jw >= 0.80 {
            6
        } else {
            7
        }
    }

    fn dob_level(&self, x: &Row, y: &Row) -> u8 {
        let (dp, dq) = (x[F_DOB], y[F_DOB]);
        if dp != 0 && dq != 0 {
            if dp == dq {
                return 1;
            }
            let (pa, pb) = (self.dob[dp as usize], self.dob[dq as usize]);
            let (sa, sb) = (self.s(F_DOB, dp), self.s(F_DOB, dq));
            if let (Some((ya, ma, da)), Some((yb, mb, db))) = (pa, pb) {
                if ya == yb && ma == db && da == mb {
                    return 2;
                }
                if within_one_edit(sa.as_bytes(), sb.as_bytes()) {
                    return 2;
                }
                if ma == mb && da == db && ya.abs_diff(yb) == 1 {
                    return 4;
                }
                if ya == yb {
                    return 5;
                }
                return 6;
            }
            // At least one corrupted date: fall back to string similarity.
            if within_one_edit(sa.as_bytes(), sb.as_bytes()) {
                return 2;
            }
            return 6;
        }
        let (yp, yq) = (x[F_YEAR], y[F_YEAR]);
        if yp == 0 || yq == 0 {
            return 0;
        }
        if yp == yq {
            return 3;
        }
        let (a, b) = (self.s(F_YEAR, yp), self.s(F_YEAR, yq));
        match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) if a.abs_diff(b) == 1 => 4,
            _ => 6,
        }
    }

    /// The comparison vector of a pair for the active comparisons.
    #[inline]
    pub(crate) fn gamma(&self, comps: &[Comparison], x: &Row, y: &Row) -> Gamma {
        let mut g = [0u8; MAX_COMPARISONS];
        for (k, &c) in comps.iter().enumerate() {
            g[k] = self.level(c, x, y);
        }
        g
    }
}

/// Packs a comparison vector into a u64 (4 bits per comparison).
pub(crate) fn pack(g: &Gamma) -> u64 {
    g.iter()
        .enumerate()
        .fold(0u64, |acc, (k, &l)| acc | ((l as u64) << (4 * k)))
}

/// Unpacks a comparison vector.
pub(crate) fn unpack(p: u64) -> Gamma {
    let mut g = [0u8; MAX_COMPARISONS];
    for (k, l) in g.iter_mut().enumerate() {
        *l = ((p >> (4 * k)) & 0xf) as u8;
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Dataset, PersonRecord};

    fn pair(a: PersonRecord, b: PersonRecord) -> (Dataset, Dataset) {
        (
            Dataset::from_records("a", [a]).unwrap(),
            Dataset::from_records("b", [b]).unwrap(),
        )
    }

    fn lvl(c: Comparison, a: PersonRecord, b: PersonRecord) -> &'static str {
        let (da, db) = pair(a, b);
        let p = Prepared::link(&da, &db);
        let l = p.level(c, &p.a[0], &p.b[0]);
        if l == 0 {
            "null"
        } else {
            c.levels()[l as usize - 1]
        }
    }

    fn person(first: &str, last: &str, dob: &str) -> PersonRecord {
        PersonRecord {
            first_name: first.into(),
            last_name: last.into(),
            birth_date: dob.into(),
            ..Default::default()
        }
    }

    #[test]
    fn jaro_winkler_matches_strsim() {
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
            "",
            "johnson",
            "jonson",
            "abcdefghijklmnop",
            "ponmlkjihgfedcba",
            "aaa",
            "aa",
        ];
        for x in words {
            for y in words {
                let (ours, theirs) = (jaro_winkler(x, y), strsim::jaro_winkler(x, y));
                assert!((ours - theirs).abs() < 1e-9, "{x} {y}: {ours} vs {theirs}");
            }
        }
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit(b"smith", b"smith"));
        assert!(within_one_edit(b"smith", b"smyth"));
        assert!(within_one_edit(b"smith", b"msith"));
        assert!(within_one_edit(b"smith", b"smth"));
        assert!(within_one_edit(b"smth", b"smith"));
        assert!(!within_one_edit(b"smith", b"jones"));
        assert!(!within_one_edit(b"ab", b"ba c"));
    }

    #[test]
    fn name_levels() {
        use Comparison::*;
        let p = |f: &str, l: &str| person(f, l, "");
        assert_eq!(lvl(FirstName, p("Robert", "x"), p("ROBERT", "y")), "exact");
        assert_eq!(lvl(FirstName, p("Bob", "x"), p("Robert", "y")), "nickname");
        assert_eq!(
            lvl(FirstName, p("John", "Smith"), p("Smith", "John")),
            "swapped"
        );
        assert_eq!(
            lvl(LastName, p("John", "Smith"), p("Smith", "John")),
            "swapped"
        );
        assert_eq!(
            lvl(FirstName, p("Jonathon", "x"), p("Jonathan", "y")),
            "jw>=0.92"
        );
        assert_eq!(
            lvl(LastName, p("a", "Johnson"), p("a", "Jonson")),
            "jw>=0.92"
        );
        assert_eq!(
            lvl(LastName, p("a", "Smith-Jones"), p("a", "Jones")),
            "shared_token"
        );
        assert_eq!(lvl(LastName, p("a", "Smith"), p("a", "Okafor")), "else");
        assert_eq!(lvl(FirstName, p("J", "x"), p("John", "y")), "initial");
        assert_eq!(lvl(FirstName, p("", "x"), p("John", "y")), "null");
    }

    #[test]
    fn date_levels() {
        use Comparison::BirthDate;
        let d = |s: &str| person("a", "b", s);
        assert_eq!(lvl(BirthDate, d("19610307"), d("1961-03-07")), "exact");
        assert_eq!(
            lvl(BirthDate, d("19610307"), d("19610703")),
            "transposed_or_typo"
        );
        assert_eq!(
            lvl(BirthDate, d("19610307"), d("19610308")),
            "transposed_or_typo"
        );
        assert_eq!(
            lvl(BirthDate, d("19610307"), d("19620307")),
            "transposed_or_typo"
        );
        assert_eq!(
            lvl(BirthDate, d("19600307"), d("19590307")),
            "year_off_by_one"
        );
        assert_eq!(lvl(BirthDate, d("19610307"), d("19611225")), "same_year");
        assert_eq!(lvl(BirthDate, d("19610307"), d("19800101")), "else");
        let y = |s: &str| PersonRecord {
            birth_year: s.into(),
            ..Default::default()
        };
        assert_eq!(lvl(BirthDate, d("19610307"), y("1961")), "year_only_equal");
        assert_eq!(lvl(BirthDate, y("1962"), y("1961")), "year_off_by_one");
        assert_eq!(lvl(BirthDate, y("1962"), d("")), "null");
    }

    #[test]
    fn address_levels() {
        use Comparison::*;
        let a = |h: &str, st: &str, z: &str| PersonRecord {
            house_number: h.into(),
            street: st.into(),
            zip: z.into(),
            ..Default::default()
        };
        assert_eq!(lvl(HouseNumber, a("12", "", ""), a("12", "", "")), "exact");
        assert_eq!(lvl(HouseNumber, a("12", "", ""), a("14", "", "")), "near");
        assert_eq!(lvl(HouseNumber, a("12", "", ""), a("120", "", "")), "near");
        assert_eq!(lvl(HouseNumber, a("12", "", ""), a("980", "", "")), "else");
        assert_eq!(
            lvl(Street, a("", "Main Street", ""), a("", "main st", "")),
            "exact"
        );
        assert_eq!(
            lvl(Street, a("", "oak hill road", ""), a("", "hill oak rd", "")),
            "tokens>=0.5"
        );
        assert_eq!(
            lvl(Zip, a("", "", "27601-1234"), a("", "", "276011234")),
            "zip+4"
        );
        assert_eq!(
            lvl(Zip, a("", "", "27601-1234"), a("", "", "27601")),
            "zip5"
        );
        assert_eq!(lvl(Zip, a("", "", "27601"), a("", "", "27610")), "one_typo");
        assert_eq!(lvl(Zip, a("", "", "27601"), a("", "", "90210")), "else");
    }

    #[test]
    fn pack_round_trip() {
        let mut g = [0u8; MAX_COMPARISONS];
        g[0] = 8;
        g[12] = 3;
        g[5] = 15;
        assert_eq!(unpack(pack(&g)), g);
    }
}
