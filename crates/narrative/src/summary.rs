//! Per-narrative summaries built from its items: first and last seen, volume per hour,
//! the platforms and places (counties, cities) it appeared on and named, and a few
//! representative texts. The stores keep the same facts in SQL; this is the in-memory
//! form the benchmark and the evaluation use.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Seconds in an hour.
pub const HOUR: i64 = 3600;

/// The hour (since the Unix epoch) a time falls in.
pub fn hour_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(HOUR)
}

/// What is known of one narrative.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NarrativeSummary {
    /// Items in it.
    pub items: u64,
    /// Earliest item.
    pub first_seen: Option<DateTime<Utc>>,
    /// Latest item.
    pub last_seen: Option<DateTime<Utc>>,
    /// Items per hour (hours since the epoch).
    pub hourly: BTreeMap<i64, u32>,
    /// Items per platform.
    pub platforms: BTreeMap<String, u32>,
    /// Items naming each place.
    pub places: BTreeMap<String, u32>,
    /// The first few texts, as representatives.
    pub representatives: Vec<String>,
}

impl NarrativeSummary {
    /// How many representative texts are kept.
    pub const REPRESENTATIVES: usize = 3;

    /// Adds one item.
    pub fn add(&mut self, at: DateTime<Utc>, platform: &str, places: &[String], text: &str) {
        self.items += 1;
        self.first_seen = Some(self.first_seen.map_or(at, |f| f.min(at)));
        self.last_seen = Some(self.last_seen.map_or(at, |l| l.max(at)));
        *self.hourly.entry(hour_of(at)).or_default() += 1;
        if !platform.is_empty() {
            *self.platforms.entry(platform.to_string()).or_default() += 1;
        }
        for p in places {
            *self.places.entry(p.clone()).or_default() += 1;
        }
        if self.representatives.len() < Self::REPRESENTATIVES
            && !self.representatives.iter().any(|r| r == text)
        {
            self.representatives.push(text.to_string());
        }
    }

    /// The highest hourly count.
    pub fn peak_per_hour(&self) -> u32 {
        self.hourly.values().copied().max().unwrap_or(0)
    }

    /// The hourly counts as `(hour, count)` pairs, oldest first.
    pub fn hourly_pairs(&self) -> Vec<(i64, u32)> {
        self.hourly.iter().map(|(h, c)| (*h, *c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_hours_platforms_and_places() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let mut n = NarrativeSummary::default();
        n.add(t("2026-11-03T10:05:00Z"), "x", &["WAKE".into()], "a");
        n.add(t("2026-11-03T10:55:00Z"), "x", &[], "a");
        n.add(t("2026-11-03T09:00:00Z"), "tiktok", &["WAKE".into()], "b");
        assert_eq!(n.items, 3);
        assert_eq!(n.first_seen, Some(t("2026-11-03T09:00:00Z")));
        assert_eq!(n.peak_per_hour(), 2);
        assert_eq!(n.platforms["x"], 2);
        assert_eq!(n.places["WAKE"], 2);
        assert_eq!(n.representatives, vec!["a", "b"]);
        assert_eq!(hour_of(t("1970-01-01T00:59:59Z")), 0);
    }
}
