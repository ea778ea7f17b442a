//! What a validation finding does to the lookup, which decides its severity: a feed is
//! refused only for what would send a voter to a wrong polling place or leave an address
//! that the feed covers without any answer, and every such error says how many addresses
//! it affects. Everything else (a dangling reference the feed still resolves through its
//! join tables, a boundary house number claimed by two precincts, which the lookup answers
//! with both and the county's contact, a bad e-mail address) is a warning: the feed
//! installs and the warnings are listed.

use crate::model::{Feed, Parity, StreetSegment};
use crate::validate::{Rule, Severity};
use std::collections::{HashMap, HashSet};

/// Elements whose ids a lookup follows from an address to a polling place: a duplicate
/// id among them may send a voter to the wrong place.
const ON_LOOKUP_PATH: &[&str] = &[
    "Precinct",
    "PrecinctSplit",
    "PollingLocation",
    "EarlyVoteSite",
];

impl Rule {
    /// The severity of a per-element finding of this rule on `element`'s `field`: an
    /// error only when the lookup would answer wrongly or not at all for addresses the
    /// feed covers. Dangling references and overlapping segments depend on the feed and
    /// are decided by [`crate::validate::validate`].
    pub fn severity_on(self, element: &str, field: &str) -> Severity {
        let segment = element == "StreetSegment";
        let parity_field = field.eq_ignore_ascii_case("OddEvenBoth") || field == "odd_even_both";
        let error = match self {
            // The index skips such a segment: its addresses get no answer.
            Rule::InvalidHouseNumber | Rule::SegmentWithoutPrecinct => true,
            Rule::InvalidEnum | Rule::MissingRequired => segment && parity_field,
            // A voter sent to a place without an address cannot find it.
            Rule::MissingAddress => true,
            Rule::DuplicateId => ON_LOOKUP_PATH.contains(&element),
            Rule::DanglingReference | Rule::OverlappingSegments => true,
            _ => false,
        };
        if error {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

/// How many house numbers a segment covers on its side of the street; `None` when it
/// covers every address (or its range is unusable).
pub fn segment_addresses(s: &StreetSegment) -> Option<u64> {
    if s.includes_all_addresses || s.includes_all_streets {
        return None;
    }
    let (lo, hi) = (s.start?, s.end?);
    if lo > hi {
        return None;
    }
    Some(count_on_side(lo, hi, s.parity.unwrap_or(Parity::Both)))
}

/// House numbers in `lo..=hi` on side `p`.
pub fn count_on_side(lo: u32, hi: u32, p: Parity) -> u64 {
    if lo > hi {
        return 0;
    }
    let all = u64::from(hi - lo) + 1;
    match p {
        Parity::Both => all,
        // Numbers of lo's parity: ceil(all / 2); of the other: floor(all / 2).
        p if p.admits(lo) => all.div_ceil(2),
        _ => all / 2,
    }
}

/// The shared addresses of two overlapping segments: numbers in both ranges and on both
/// sides.
pub fn shared_addresses(lo: u32, hi: u32, a: Parity, b: Parity) -> u64 {
    match (a, b) {
        (Parity::Both, p) | (p, Parity::Both) => count_on_side(lo, hi, p),
        (a, b) if a == b => count_on_side(lo, hi, a),
        _ => 0,
    }
}

/// The feed's segments by the precinct they name, for counting the addresses a finding
/// affects.
pub struct Impact<'f> {
    feed: &'f Feed,
    by_precinct: HashMap<&'f str, Vec<usize>>,
    by_id: HashMap<&'f str, usize>,
    precinct_ids: HashSet<&'f str>,
}

impl<'f> Impact<'f> {
    /// Indexes `feed`'s segments.
    pub fn new(feed: &'f Feed) -> Self {
        let mut by_precinct: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::with_capacity(feed.street_segments.len());
        for (i, s) in feed.street_segments.iter().enumerate() {
            by_precinct
                .entry(s.precinct_id.as_str())
                .or_default()
                .push(i);
            by_id.entry(s.id.as_str()).or_insert(i);
        }
        Impact {
            feed,
            by_precinct,
            by_id,
            precinct_ids: feed.precincts.iter().map(|p| p.id.as_str()).collect(),
        }
    }

    /// True when a segment's precinct (or split) is in the feed, so the lookup answers it.
    pub fn segment_resolves(&self, segment_id: &str) -> bool {
        self.by_id.get(segment_id).is_some_and(|&i| {
            self.precinct_ids
                .contains(self.feed.street_segments[i].precinct_id.as_str())
        })
    }

    /// The segment of an id.
    pub fn segment(&self, segment_id: &str) -> Option<usize> {
        self.by_id.get(segment_id).copied()
    }

    /// The segments a precinct answers: its own, and its splits' that have no polling
    /// place of their own (they inherit the precinct's).
    pub fn segments_of_precinct(&self, precinct_id: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .by_precinct
            .get(precinct_id)
            .cloned()
            .unwrap_or_default();
        for p in &self.feed.precincts {
            if p.parent_id.as_deref() == Some(precinct_id) && p.polling_location_ids.is_empty() {
                out.extend(self.by_precinct.get(p.id.as_str()).into_iter().flatten());
            }
        }
        out
    }

    /// The segments whose precinct lists polling location `place_id`.
    pub fn segments_of_place(&self, place_id: &str) -> Vec<usize> {
        let mut out = Vec::new();
        for p in &self.feed.precincts {
            if p.polling_location_ids.iter().any(|id| id == place_id) {
                out.extend(self.segments_of_precinct(&p.id));
            }
        }
        out
    }

    /// The addresses of some segments (a segment covering a whole street counts as one).
    pub fn addresses(&self, segments: &[usize]) -> u64 {
        let unique: HashSet<usize> = segments.iter().copied().collect();
        unique
            .into_iter()
            .map(|i| segment_addresses(&self.feed.street_segments[i]).unwrap_or(1))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_house_numbers_on_a_side() {
        assert_eq!(count_on_side(1, 99, Parity::Odd), 50);
        assert_eq!(count_on_side(1, 99, Parity::Even), 49);
        assert_eq!(count_on_side(2, 98, Parity::Even), 49);
        assert_eq!(count_on_side(1, 10, Parity::Both), 10);
        assert_eq!(count_on_side(5, 5, Parity::Odd), 1);
        assert_eq!(count_on_side(5, 5, Parity::Even), 0);
        assert_eq!(count_on_side(0, u32::MAX, Parity::Both), 1 << 32);
        assert_eq!(shared_addresses(100, 100, Parity::Even, Parity::Even), 1);
        assert_eq!(shared_addresses(100, 100, Parity::Odd, Parity::Both), 0);
        assert_eq!(shared_addresses(1, 9, Parity::Odd, Parity::Even), 0);
    }

    #[test]
    fn only_lookup_breaking_rules_are_errors() {
        let e = |r: Rule, el: &str, f: &str| r.severity_on(el, f) == Severity::Error;
        assert!(e(
            Rule::InvalidHouseNumber,
            "StreetSegment",
            "StartHouseNumber"
        ));
        assert!(e(Rule::InvalidEnum, "StreetSegment", "OddEvenBoth"));
        assert!(!e(Rule::InvalidEnum, "Candidate", "PreElectionStatus"));
        assert!(!e(Rule::InvalidEmail, "Person", "ContactInformation/Email"));
        assert!(e(Rule::DuplicateId, "PollingLocation", ""));
        assert!(!e(Rule::DuplicateId, "Candidate", ""));
        assert!(!e(Rule::MissingRequired, "StreetSegment", "State"));
        assert!(!e(Rule::PrecinctWithoutPollingPlace, "Precinct", ""));
    }
}
