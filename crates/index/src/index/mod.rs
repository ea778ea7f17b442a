//! The immutable universe index and its evaluator.
//!
//! Voters get dense `u32` ordinals in the order they were added; every attribute value
//! owns one [`RoaringBitmap`] of ordinals (county, precinct, districts, ZIP, city,
//! municipality, party, status, gender, each birth year, birth and registration dates by
//! day and by month, each election voted, each voting method per election, the number of
//! elections voted, and every key of every keyed family). A query is resolved to typed
//! predicates, each predicate becomes a borrowed bitmap or a union of a few, clauses are
//! intersected smallest first and negated clauses subtracted. [`UniverseIndex::count`]
//! avoids materialising the last intersection.
//!
//! Updating on import: the index is rebuilt from scratch ("fast rebuild") rather than
//! patched. A rebuild is one pass over the snapshot's records and history (3–4 s per
//! million voters with ~4.5 history rows each in release builds on the project's 2-core
//! machine, see `docs/BENCHMARKS.md`), it keeps ordinals dense, and the old index keeps
//! serving queries until the new one is swapped in (hold it in an `Arc`).

pub(crate) mod builder;
pub(crate) mod dates;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use roaring::{MultiOps, RoaringBitmap};

use crate::families::CatField;
use crate::parser::parse;
use crate::query::{Pred, Query, QueryError};
pub use builder::{IndexBuilder, IndexError};
pub use dates::DateIndex;

/// Adds `ordinal`. (`RoaringBitmap::insert` rather than `try_push`: pushing into a dense
/// bitmap container scans it for its maximum on every call.)
pub(crate) fn push(bm: &mut RoaringBitmap, ordinal: u32) {
    bm.insert(ordinal);
}

/// Appends `from`'s ordinals shifted up by `offset` to `into`, whose ordinals are all
/// below `offset` (a part built over other voters, see `IndexBuilder::absorb`).
pub(crate) fn append_shifted(into: &mut RoaringBitmap, from: &RoaringBitmap, offset: u32) {
    into.append(from.iter().map(|o| o + offset))
        .expect("a part's ordinals, shifted, follow the whole's");
}

/// The hasher of the maps from short text (a voter id, a county, a precinct, a voting
/// method) that the builder looks up once per voter or history row: foldhash, fast on
/// short keys with well-mixed low bits. (A hand-written FxHash used before mixed the low
/// bits so poorly that voter ids sharing a prefix fell into a few buckets: most of the
/// build's time went to probing them.)
pub(crate) type FastBuild = foldhash::fast::RandomState;

/// A map from short text to `V`, hashed with [`FastBuild`].
pub(crate) type FastMap<V> = HashMap<String, V, FastBuild>;

/// Values of one name in a numeric family: value → voters.
pub(crate) type NumericValues = BTreeMap<i64, RoaringBitmap>;

/// The data of one keyed family.
#[derive(Debug, Clone)]
pub(crate) enum Family {
    Set(HashMap<String, RoaringBitmap>),
    Numeric(BTreeMap<String, NumericValues>),
    Dated(BTreeMap<String, DateIndex>),
}

impl Family {
    /// True when nothing was added to the family.
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Family::Set(m) => m.is_empty(),
            Family::Numeric(m) => m.is_empty(),
            Family::Dated(m) => m.is_empty(),
        }
    }

    pub(crate) fn kind(&self) -> crate::FamilyKind {
        match self {
            Family::Set(_) => crate::FamilyKind::Set,
            Family::Numeric(_) => crate::FamilyKind::Numeric,
            Family::Dated(_) => crate::FamilyKind::Dated,
        }
    }
}

/// Ordinal → state voter id, packed in one buffer, with a sorted permutation for the
/// reverse lookup (4 bytes per voter instead of a hash map of strings).
#[derive(Debug, Clone, Default)]
pub(crate) struct IdTable {
    bytes: String,
    ends: Vec<usize>,
    sorted: Vec<u32>,
}

impl IdTable {
    pub(crate) fn new(ids: Vec<Box<str>>) -> Self {
        let mut t = IdTable {
            bytes: String::with_capacity(ids.iter().map(|s| s.len()).sum()),
            ends: Vec::with_capacity(ids.len()),
            sorted: (0..ids.len() as u32).collect(),
        };
        for id in &ids {
            t.bytes.push_str(id);
            t.ends.push(t.bytes.len());
        }
        t.sorted
            .sort_unstable_by(|&a, &b| ids[a as usize].cmp(&ids[b as usize]));
        t
    }
    pub(crate) fn get(&self, ordinal: u32) -> Option<&str> {
        let i = ordinal as usize;
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..end])
    }
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        self.sorted
            .binary_search_by(|&o| self.get(o).expect("in range").cmp(id))
            .ok()
            .map(|i| self.sorted[i])
    }
    fn size_bytes(&self) -> usize {
        self.bytes.len() + self.ends.len() * 8 + self.sorted.len() * 4
    }
}

/// The built index: immutable, `Send + Sync`, cheap to query from many threads.
#[derive(Debug, Clone)]
pub struct UniverseIndex {
    pub(crate) reference_date: NaiveDate,
    pub(crate) ids: IdTable,
    pub(crate) all: RoaringBitmap,
    pub(crate) cats: Vec<FastMap<RoaringBitmap>>,
    pub(crate) precinct_qualified: FastMap<RoaringBitmap>,
    pub(crate) birth_years: BTreeMap<i32, RoaringBitmap>,
    /// Birth year → voters born that year or later: an age range is one difference.
    pub(crate) birth_years_from: BTreeMap<i32, RoaringBitmap>,
    pub(crate) birth_dates: DateIndex,
    pub(crate) registered: DateIndex,
    pub(crate) voted: BTreeMap<NaiveDate, RoaringBitmap>,
    pub(crate) methods: FastMap<BTreeMap<NaiveDate, RoaringBitmap>>,
    pub(crate) method_any: HashMap<String, RoaringBitmap>,
    pub(crate) votes_exact: Vec<RoaringBitmap>,
    /// `votes_from[n]`: voters who voted in at least `n` loaded elections.
    pub(crate) votes_from: Vec<RoaringBitmap>,
    pub(crate) families: BTreeMap<String, Family>,
}

/// Sizes of an index, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    /// Voters indexed.
    pub voters: u64,
    /// Distinct bitmaps.
    pub bitmaps: usize,
    /// Bytes of all bitmaps, serialised (close to their heap size).
    pub bitmap_bytes: usize,
    /// Bytes of the ordinal ↔ voter id table.
    pub id_bytes: usize,
    /// Elections in the loaded history.
    pub elections: usize,
}

impl UniverseIndex {
    /// Number of voters indexed.
    pub fn len(&self) -> u64 {
        self.all.len()
    }

    /// True when no voter was indexed.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// The date ages and relative windows (`contacted:door:30d`) are computed at.
    pub fn reference_date(&self) -> NaiveDate {
        self.reference_date
    }

    /// The state voter id of an ordinal.
    pub fn voter_id(&self, ordinal: u32) -> Option<&str> {
        self.ids.get(ordinal)
    }

    /// The ordinal of a state voter id.
    pub fn ordinal(&self, state_voter_id: &str) -> Option<u32> {
        self.ids.find(state_voter_id)
    }

    /// The loaded elections, oldest first.
    pub fn elections(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.voted.keys().copied()
    }

    /// Registered keyed families and their kinds.
    pub fn keyed_families(&self) -> impl Iterator<Item = (&str, crate::FamilyKind)> + '_ {
        self.families.iter().map(|(n, f)| (n.as_str(), f.kind()))
    }

    /// Parses and resolves `text`.
    pub fn query(&self, text: &str) -> Result<Query, QueryError> {
        self.resolve(&parse(text)?)
    }

    /// Number of voters matching `expr`.
    pub fn count(&self, expr: &crate::Expr) -> Result<u64, QueryError> {
        Ok(self.count_query(&self.resolve(expr)?))
    }

    /// Parses `text` and counts the voters matching it.
    pub fn count_str(&self, text: &str) -> Result<u64, QueryError> {
        Ok(self.count_query(&self.query(text)?))
    }

    /// The ordinals of the voters matching `expr` (map them with
    /// [`UniverseIndex::voter_id`]).
    pub fn members(&self, expr: &crate::Expr) -> Result<RoaringBitmap, QueryError> {
        Ok(self.members_query(&self.resolve(expr)?))
    }

    /// The state voter ids of the voters matching `expr`, in ordinal order.
    pub fn member_ids(&self, expr: &crate::Expr) -> Result<Vec<&str>, QueryError> {
        Ok(self
            .members(expr)?
            .iter()
            .filter_map(|o| self.voter_id(o))
            .collect())
    }

    /// Evaluates clauses: each positive clause as its alternatives' bitmaps (smallest
    /// clause first, by the sum of its alternatives), and every alternative of every
    /// negated clause as one bitmap to subtract.
    fn clause_sets<'a>(
        &'a self,
        q: &Query,
    ) -> (
        Vec<Vec<Cow<'a, RoaringBitmap>>>,
        Vec<Cow<'a, RoaringBitmap>>,
    ) {
        let mut pos = Vec::new();
        let mut neg = Vec::new();
        for c in &q.clauses {
            // A closed count of votes is one cumulative bitmap minus another: keep both
            // stored bitmaps (the second joins the subtractions) instead of building
            // their difference, which at 10M voters is most of the voter file.
            if let (false, [Pred::Votes { lo, hi: Some(hi) }]) = (c.negated, c.any_of.as_slice()) {
                let (lo, hi) = (lo.unwrap_or(0) as usize, *hi as usize);
                if lo <= hi
                    && let (Some(from), Some(after)) = (
                        self.votes_from.get(lo),
                        self.votes_from.get(hi.saturating_add(1)),
                    )
                {
                    pos.push(vec![Cow::Borrowed(from)]);
                    neg.push(Cow::Borrowed(after));
                    continue;
                }
            }
            let sets = c.any_of.iter().map(|p| self.pred_set(p, q.reference_date));
            if c.negated {
                neg.extend(sets);
            } else {
                pos.push(sets.collect::<Vec<_>>());
            }
        }
        pos.sort_by_key(|alts: &Vec<Cow<'a, RoaringBitmap>>| {
            alts.iter().map(|b| b.len()).sum::<u64>()
        });
        (pos, neg)
    }

    /// Intersects the positive clauses (the first one materialised, each later one
    /// intersected alternative by alternative, so a wide `party:DEM,UNA` costs as much as
    /// the voters still selected, not as its two big bitmaps) and subtracts the negated
    /// alternatives.
    fn intersect(
        &self,
        pos: Vec<Vec<Cow<'_, RoaringBitmap>>>,
        neg: Vec<Cow<'_, RoaringBitmap>>,
    ) -> RoaringBitmap {
        let mut it = pos.into_iter();
        let mut acc = match it.next() {
            Some(mut alts) if alts.len() == 1 => alts.pop().expect("one").into_owned(),
            Some(alts) => alts.iter().map(|b| b.as_ref()).union(),
            None => self.all.clone(),
        };
        for alts in it {
            if acc.is_empty() {
                return acc;
            }
            acc = if alts.len() == 1 {
                acc &= alts[0].as_ref();
                acc
            } else {
                alts.iter().map(|b| &acc & b.as_ref()).union()
            };
        }
        for n in neg {
            if acc.is_empty() {
                break;
            }
            acc -= n.as_ref();
        }
        acc
    }

    /// Voters matching a resolved query.
    pub fn members_query(&self, q: &Query) -> RoaringBitmap {
        let (pos, neg) = self.clause_sets(q);
        self.intersect(pos, neg)
    }

    /// Count of a resolved query; the last set operation only counts.
    pub fn count_query(&self, q: &Query) -> u64 {
        let (mut pos, mut neg) = self.clause_sets(q);
        match (pos.len(), neg.len()) {
            (0, 0) => return self.all.len(),
            (0, 1) => return self.all.difference_len(&neg[0]),
            (1, 0) if pos[0].len() == 1 => return pos[0][0].len(),
            _ => {}
        }
        // Keep one operation back to finish with a counting operation.
        if let Some(last) = neg.pop() {
            return self.intersect(pos, neg).difference_len(&last);
        }
        if pos.len() > 1 && pos.last().is_some_and(|alts| alts.len() == 1) {
            let last = pos.pop().expect("one").pop().expect("one");
            return self.intersect(pos, neg).intersection_len(&last);
        }
        self.intersect(pos, neg).len()
    }

    fn pred_set<'a>(&'a self, p: &Pred, reference: NaiveDate) -> Cow<'a, RoaringBitmap> {
        let empty = || Cow::Owned(RoaringBitmap::new());
        let borrowed = |b: Option<&'a RoaringBitmap>| b.map_or_else(empty, Cow::Borrowed);
        match p {
            Pred::Category { field, value } => {
                if *field == CatField::Precinct && value.contains('/') {
                    borrowed(self.precinct_qualified.get(value))
                } else {
                    borrowed(self.cats[field.index()].get(value))
                }
            }
            Pred::Age { lo, hi } => Cow::Owned(self.age_range(reference, *lo, *hi)),
            Pred::Registered { lo, hi } => Cow::Owned(self.registered.range(*lo, *hi)),
            Pred::Voted { lo, hi } => {
                if lo.is_some() && lo == hi {
                    return borrowed(self.voted.get(&lo.expect("some")));
                }
                Cow::Owned(range_union(&self.voted, *lo, *hi))
            }
            Pred::Method { method, election } => match election {
                None => borrowed(self.method_any.get(method)),
                Some(d) => borrowed(self.methods.get(method).and_then(|m| m.get(d))),
            },
            Pred::Votes { lo, hi } => {
                let lo = lo.unwrap_or(0) as usize;
                let hi = hi.map_or(usize::MAX, |h| h as usize);
                if lo > hi || lo >= self.votes_from.len() {
                    return empty();
                }
                match self.votes_from.get(hi.saturating_add(1)) {
                    Some(after) => Cow::Owned(&self.votes_from[lo] - after),
                    None => Cow::Borrowed(&self.votes_from[lo]),
                }
            }
            Pred::Keyed { family, key } => match self.families.get(family) {
                Some(Family::Set(m)) => borrowed(m.get(key)),
                _ => empty(),
            },
            Pred::Numeric {
                family,
                name,
                lo,
                hi,
            } => match self.families.get(family) {
                Some(Family::Numeric(m)) => match m.get(name) {
                    Some(values) => Cow::Owned(range_union(values, *lo, *hi)),
                    None => empty(),
                },
                _ => empty(),
            },
            Pred::Dated {
                family,
                key,
                lo,
                hi,
            } => match self.families.get(family) {
                Some(Family::Dated(m)) => match key {
                    Some(k) => m
                        .get(k)
                        .map_or_else(empty, |d| Cow::Owned(d.range(*lo, *hi))),
                    None => Cow::Owned(m.values().map(|d| d.range(*lo, *hi)).union()),
                },
                _ => empty(),
            },
        }
    }

    /// Voters whose age at `reference` is within `lo..=hi`. With a full birth date the
    /// age is exact; with a birth year only it is `reference.year - birth_year`.
    pub(crate) fn age_range(
        &self,
        reference: NaiveDate,
        lo: Option<i32>,
        hi: Option<i32>,
    ) -> RoaringBitmap {
        if let (Some(l), Some(h)) = (lo, hi)
            && l > h
        {
            return RoaringBitmap::new();
        }
        let year = reference.year();
        // Birth years: age = year - by, so by in [year - hi, year - lo].
        let by_lo = hi.map(|h| year.saturating_sub(h));
        let by_hi = lo.map(|l| year.saturating_sub(l));
        let from_years = suffix_range(&self.birth_years_from, by_lo, by_hi);
        if self.birth_dates.is_empty() {
            return from_years;
        }
        // Birth dates: age >= l  <=> born on or before reference - l years;
        //              age <= h  <=> born after reference - (h + 1) years.
        let sub_years = |n: i32| -> Option<NaiveDate> {
            if n < 0 {
                reference.checked_add_months(Months::new(n.unsigned_abs().checked_mul(12)?))
            } else {
                reference.checked_sub_months(Months::new((n as u32).checked_mul(12)?))
            }
        };
        let d_hi = match lo {
            Some(l) => match sub_years(l) {
                Some(d) => Some(d),
                None => return from_years,
            },
            None => None,
        };
        let d_lo = hi
            .and_then(|h| sub_years(h.saturating_add(1)))
            .and_then(|d| d.succ_opt());
        from_years | self.birth_dates.range(d_lo, d_hi)
    }

    /// Sizes, for reports.
    pub fn stats(&self) -> IndexStats {
        let mut bitmaps: Vec<&RoaringBitmap> = Vec::new();
        for m in &self.cats {
            bitmaps.extend(m.values());
        }
        bitmaps.extend(self.precinct_qualified.values());
        bitmaps.extend(self.birth_years.values());
        bitmaps.extend(self.birth_years_from.values());
        bitmaps.extend(self.voted.values());
        for m in self.methods.values() {
            bitmaps.extend(m.values());
        }
        bitmaps.extend(self.method_any.values());
        bitmaps.extend(self.votes_exact.iter());
        bitmaps.extend(self.votes_from.iter());
        let mut date_bytes = self.birth_dates.size_bytes() + self.registered.size_bytes();
        for f in self.families.values() {
            match f {
                Family::Set(m) => bitmaps.extend(m.values()),
                Family::Numeric(m) => {
                    for v in m.values() {
                        bitmaps.extend(v.values());
                    }
                }
                Family::Dated(m) => date_bytes += m.values().map(|d| d.size_bytes()).sum::<usize>(),
            }
        }
        IndexStats {
            voters: self.all.len(),
            bitmaps: bitmaps.len(),
            bitmap_bytes: bitmaps.iter().map(|b| b.serialized_size()).sum::<usize>() + date_bytes,
            id_bytes: self.ids.size_bytes(),
            elections: self.voted.len(),
        }
    }
}

/// Cumulative bitmaps (key → everything at that key or above) of `lo..=hi`: one
/// difference of two stored bitmaps, or a copy of one for an open upper end.
fn suffix_range(
    from: &BTreeMap<i32, RoaringBitmap>,
    lo: Option<i32>,
    hi: Option<i32>,
) -> RoaringBitmap {
    if let (Some(l), Some(h)) = (lo, hi)
        && l > h
    {
        return RoaringBitmap::new();
    }
    let start = match lo {
        Some(l) => from.range(l..).next(),
        None => from.iter().next(),
    };
    let Some((_, start)) = start else {
        return RoaringBitmap::new();
    };
    match hi
        .and_then(|h| h.checked_add(1))
        .and_then(|after| from.range(after..).next())
    {
        Some((_, after)) => start - after,
        None => start.clone(),
    }
}

/// Cumulative bitmaps of a map: key → union of the bitmaps at that key or above.
pub(crate) fn suffixes(map: &BTreeMap<i32, RoaringBitmap>) -> BTreeMap<i32, RoaringBitmap> {
    let mut acc = RoaringBitmap::new();
    let mut out = BTreeMap::new();
    for (k, b) in map.iter().rev() {
        acc |= b;
        let mut c = acc.clone();
        c.optimize();
        out.insert(*k, c);
    }
    out
}

/// Union of the bitmaps whose keys are in `lo..=hi`.
fn range_union<K: Ord + Copy>(
    map: &BTreeMap<K, RoaringBitmap>,
    lo: Option<K>,
    hi: Option<K>,
) -> RoaringBitmap {
    use std::ops::Bound::{Included, Unbounded};
    if let (Some(l), Some(h)) = (lo, hi)
        && l > h
    {
        return RoaringBitmap::new();
    }
    let lo = lo.map_or(Unbounded, Included);
    let hi = hi.map_or(Unbounded, Included);
    map.range((lo, hi)).map(|(_, b)| b).union()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UniverseIndex>();
    }

    #[test]
    fn id_table_round_trips() {
        let ids: Vec<Box<str>> = ["b", "a", "zz", "c"].iter().map(|s| (*s).into()).collect();
        let t = IdTable::new(ids);
        assert_eq!(t.get(2), Some("zz"));
        assert_eq!(t.find("a"), Some(1));
        assert_eq!(t.find("c"), Some(3));
        assert_eq!(t.find("q"), None);
        assert_eq!(t.get(4), None);
    }
}
