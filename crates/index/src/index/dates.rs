//! A date index with three levels: one bitmap per day, one per calendar month, and, once
//! [`DateIndex::optimize`] has run, one cumulative bitmap per year holding every ordinal
//! dated that year or later. A range query takes its whole years from the cumulative
//! level (one difference, or no work at all for an open end), and only the partial years
//! at its ends from the month and day levels: `registered:2016-01-01..` is one stored
//! bitmap, and a range over ten years touches at most two cumulative bitmaps, 22 month
//! bitmaps and 62 day bitmaps instead of 3,650 days.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use roaring::{MultiOps, RoaringBitmap};

/// Day and month bitmaps for one date attribute.
#[derive(Debug, Clone, Default)]
pub struct DateIndex {
    days: BTreeMap<NaiveDate, RoaringBitmap>,
    months: BTreeMap<i32, RoaringBitmap>,
    /// Year → ordinals dated that year or later (built by [`DateIndex::optimize`]).
    years_from: BTreeMap<i32, RoaringBitmap>,
}

fn month_key(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

fn month_bounds(key: i32) -> (NaiveDate, NaiveDate) {
    let (y, m0) = (key.div_euclid(12), key.rem_euclid(12) as u32);
    let first = NaiveDate::from_ymd_opt(y, m0 + 1, 1).expect("valid month");
    let next = if m0 == 11 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m0 + 2, 1)
    }
    .expect("valid month");
    (first, next.pred_opt().expect("not the first day ever"))
}

impl DateIndex {
    /// Records `ordinal` on `date`.
    pub fn insert(&mut self, date: NaiveDate, ordinal: u32) {
        super::push(self.days.entry(date).or_default(), ordinal);
        super::push(self.months.entry(month_key(date)).or_default(), ordinal);
    }

    /// Appends `other`'s dates with its ordinals shifted up by `offset` (all above this
    /// index's); before [`DateIndex::optimize`].
    pub(crate) fn absorb(&mut self, other: DateIndex, offset: u32) {
        for (d, bm) in other.days {
            super::append_shifted(self.days.entry(d).or_default(), &bm, offset);
        }
        for (m, bm) in other.months {
            super::append_shifted(self.months.entry(m).or_default(), &bm, offset);
        }
    }

    /// True when no date was recorded.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Ordinals with a date in `lo..=hi` (open ends allowed).
    pub fn range(&self, lo: Option<NaiveDate>, hi: Option<NaiveDate>) -> RoaringBitmap {
        let (Some(first), Some(last)) = (self.days.keys().next(), self.days.keys().next_back())
        else {
            return RoaringBitmap::new();
        };
        let lo = lo.map_or(*first, |d| d.max(*first));
        let hi = hi.map_or(*last, |d| d.min(*last));
        if lo > hi {
            return RoaringBitmap::new();
        }
        let (ylo, yhi) = (lo.year(), hi.year());
        if ylo == yhi || self.years_from.is_empty() {
            return self.months_and_days(lo, hi);
        }
        // Whole years from the cumulative level, the partial first and last years from
        // the months and days.
        let jan1 = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).expect("valid date");
        let dec31 = |y: i32| NaiveDate::from_ymd_opt(y, 12, 31).expect("valid date");
        let first_full = if lo == jan1(ylo) || lo == *first {
            ylo
        } else {
            ylo + 1
        };
        let last_full = if hi == dec31(yhi) || hi == *last {
            yhi
        } else {
            yhi - 1
        };
        let from = |y: i32| self.years_from.range(y..).next().map(|(_, b)| b);
        let mut out = match (first_full <= last_full)
            .then(|| from(first_full))
            .flatten()
        {
            Some(start) => match from(last_full + 1) {
                Some(after) => start - after,
                None => start.clone(),
            },
            None => RoaringBitmap::new(),
        };
        if first_full > ylo {
            out |= self.months_and_days(lo, dec31(ylo));
        }
        if last_full < yhi {
            out |= self.months_and_days(jan1(yhi), hi);
        }
        out
    }

    /// [`DateIndex::range`] from the month and day levels only.
    fn months_and_days(&self, lo: NaiveDate, hi: NaiveDate) -> RoaringBitmap {
        let (mlo, mhi) = (month_key(lo), month_key(hi));
        let mut parts: Vec<&RoaringBitmap> = Vec::new();
        for (&m, bm) in self.months.range(mlo..=mhi) {
            let (start, end) = month_bounds(m);
            if lo <= start && end <= hi {
                parts.push(bm);
            } else {
                parts.extend(self.days.range(start.max(lo)..=end.min(hi)).map(|(_, b)| b));
            }
        }
        parts.into_iter().union()
    }

    /// Bytes the bitmaps take serialised (an estimate of their heap size).
    pub fn size_bytes(&self) -> usize {
        self.days
            .values()
            .chain(self.months.values())
            .chain(self.years_from.values())
            .map(|b| b.serialized_size())
            .sum()
    }

    /// Runs [`RoaringBitmap::optimize`] on every bitmap and builds the cumulative year
    /// level that [`DateIndex::range`] takes whole years from.
    pub fn optimize(&mut self) {
        for b in self.days.values_mut().chain(self.months.values_mut()) {
            b.optimize();
        }
        let mut by_year: BTreeMap<i32, Vec<&RoaringBitmap>> = BTreeMap::new();
        for (m, b) in &self.months {
            by_year.entry(m.div_euclid(12)).or_default().push(b);
        }
        self.years_from.clear();
        let mut acc = RoaringBitmap::new();
        for (y, months) in by_year.into_iter().rev() {
            acc |= months.into_iter().union();
            let mut b = acc.clone();
            b.optimize();
            self.years_from.insert(y, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_matches_days() {
        let mut ix = DateIndex::default();
        let start = NaiveDate::from_ymd_opt(2019, 12, 20).unwrap();
        let dates: Vec<NaiveDate> = (0..500u32)
            .map(|i| start + chrono::Days::new(u64::from(i * 7 % 400)))
            .collect();
        for (i, d) in dates.iter().enumerate() {
            ix.insert(*d, i as u32);
        }
        let probes = [
            (None, None),
            (Some(start), None),
            (None, Some(NaiveDate::from_ymd_opt(2020, 2, 29).unwrap())),
            (
                Some(NaiveDate::from_ymd_opt(2020, 1, 15).unwrap()),
                Some(NaiveDate::from_ymd_opt(2020, 9, 1).unwrap()),
            ),
            (
                Some(NaiveDate::from_ymd_opt(2020, 3, 1).unwrap()),
                Some(NaiveDate::from_ymd_opt(2020, 3, 31).unwrap()),
            ),
            (
                Some(NaiveDate::from_ymd_opt(2021, 3, 1).unwrap()),
                Some(NaiveDate::from_ymd_opt(2020, 3, 31).unwrap()),
            ),
        ];
        let mut optimized = ix.clone();
        optimized.optimize();
        let mut probes = probes.to_vec();
        probes.extend([
            (
                Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()),
                Some(NaiveDate::from_ymd_opt(2020, 12, 31).unwrap()),
            ),
            (Some(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()), None),
            (None, Some(NaiveDate::from_ymd_opt(2020, 12, 31).unwrap())),
            (
                Some(NaiveDate::from_ymd_opt(2019, 12, 25).unwrap()),
                Some(NaiveDate::from_ymd_opt(2021, 1, 3).unwrap()),
            ),
            (
                Some(NaiveDate::from_ymd_opt(2020, 6, 2).unwrap()),
                Some(NaiveDate::from_ymd_opt(2021, 1, 1).unwrap()),
            ),
        ]);
        for (lo, hi) in probes {
            let want: RoaringBitmap = dates
                .iter()
                .enumerate()
                .filter(|(_, d)| lo.is_none_or(|l| **d >= l) && hi.is_none_or(|h| **d <= h))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(ix.range(lo, hi), want, "{lo:?}..{hi:?}");
            assert_eq!(optimized.range(lo, hi), want, "optimized {lo:?}..{hi:?}");
        }
    }
}
