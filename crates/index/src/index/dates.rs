//! A two-level date index: one bitmap per day and one per calendar month, so that a
//! range query unions whole months from the month level and only the partial months at
//! its ends from the day level (a range over ten years touches about 120 month bitmaps
//! plus at most 62 day bitmaps instead of 3,650).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use roaring::{MultiOps, RoaringBitmap};

/// Day and month bitmaps for one date attribute.
#[derive(Debug, Clone, Default)]
pub struct DateIndex {
    days: BTreeMap<NaiveDate, RoaringBitmap>,
    months: BTreeMap<i32, RoaringBitmap>,
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
            .map(|b| b.serialized_size())
            .sum()
    }

    /// Runs [`RoaringBitmap::optimize`] on every bitmap.
    pub fn optimize(&mut self) {
        for b in self.days.values_mut().chain(self.months.values_mut()) {
            b.optimize();
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
        for (lo, hi) in probes {
            let want: RoaringBitmap = dates
                .iter()
                .enumerate()
                .filter(|(_, d)| lo.is_none_or(|l| **d >= l) && hi.is_none_or(|h| **d <= h))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(ix.range(lo, hi), want, "{lo:?}..{hi:?}");
        }
    }
}
