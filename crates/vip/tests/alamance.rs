//! The real Alamance County, NC feed (VIP 3.0 CSV, 14,472 street segments): every
//! segment's first and last address must resolve to the segment's own polling location.
//! The first and last address are the range ends moved onto the segment's side (an EVEN
//! segment written `1-199` serves 2 to 198). Where the feed itself gives one address to
//! two segments of different precincts with different polling places (a shared boundary
//! number, reported by validation as overlapping segments), the lookup answers
//! `Conflict`, and that answer must list the segment's own precinct. And where the feed's
//! `precinct_split_polling_location.txt` names a polling location that
//! `polling_location.txt` lacks (5 ids, 185 segments), the answer is the segment's own
//! precinct without a place, and validation reports the dangling reference.

use std::path::Path;
use votebase_vip::model::Parity;
use votebase_vip::{Answer, Index, Rule, load, validate};

fn feed_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vip/csv-3.0-nc-alamance")
}

/// The segment's first and last house numbers on its side of the street.
pub fn ends(start: u32, end: u32, parity: Parity) -> (u32, u32) {
    let fix = |n: u32, up: bool| match parity {
        Parity::Both => n,
        p if p.admits(n) => n,
        _ if up => n + 1,
        _ => n - 1,
    };
    (fix(start, true), fix(end, false))
}

#[test]
fn every_segment_end_resolves_to_its_own_polling_location() {
    let feed = load(&feed_path()).expect("alamance feed");
    assert_eq!(feed.street_segments.len(), 14_472);
    let index = Index::build(&feed);
    assert_eq!(index.stats.segments, 14_472);
    let report = validate(&feed);
    let overlapping: std::collections::HashSet<&str> = report
        .of(Rule::OverlappingSegments)
        .map(|f| f.id.as_str())
        .collect();
    let own_places = |precinct_id: &str| -> Vec<String> {
        let p = index
            .precincts()
            .iter()
            .find(|p| p.id == precinct_id)
            .unwrap();
        p.polling_places.iter().map(|pl| pl.id.clone()).collect()
    };
    let (mut total, mut found, mut conflicts, mut no_place) = (0, 0, 0, 0);
    let mut conflicts_without_place = 0;
    let mut failures = Vec::new();
    for s in &feed.street_segments {
        let (lo, hi) = ends(s.start.unwrap(), s.end.unwrap(), s.parity.unwrap());
        let want = own_places(&s.precinct_id);
        assert!(want.len() <= 1, "segment {} has one polling place", s.id);
        for n in [lo, hi] {
            total += 1;
            let text = format!(
                "{n} {} {} {} {}, {}, {} {}",
                s.pre_direction,
                s.street_name,
                s.street_suffix,
                s.post_direction,
                s.city,
                s.state,
                s.zip
            );
            let Some(want) = want.first() else {
                // The feed's split -> polling location row names a location that
                // polling_location.txt lacks: the answer is the precinct, without a place.
                match index.lookup(&text) {
                    Answer::Found { precinct, .. } if precinct.id == s.precinct_id => no_place += 1,
                    Answer::Conflict { precincts, .. }
                        if precincts.iter().any(|p| p.id == s.precinct_id) =>
                    {
                        no_place += 1;
                        conflicts_without_place += 1;
                    }
                    other => failures.push(format!("{} {text}: {other:?}", s.id)),
                }
                continue;
            };
            match index.lookup(&text) {
                Answer::Found { precinct, .. }
                    if precinct.polling_places.iter().any(|p| &p.id == want) =>
                {
                    found += 1
                }
                Answer::Conflict {
                    precincts,
                    segments,
                } if precincts
                    .iter()
                    .any(|p| p.polling_places.iter().any(|pl| &pl.id == want))
                    && segments.iter().any(|id| overlapping.contains(id)) =>
                {
                    conflicts += 1
                }
                other => failures.push(format!("{} {text}: {other:?}", s.id)),
            }
        }
    }
    println!(
        "Alamance: {total} addresses, {found} resolved to their own polling location, \
         {conflicts} feed conflicts (own place listed), {no_place} whose polling location the feed lacks \
         ({conflicts_without_place} of them in a conflict)"
    );
    // Those segments' polling locations are reported as dangling references.
    assert!(
        report
            .of(Rule::DanglingReference)
            .any(|f| f.field == "polling_location_id" && f.message.contains("230037"))
    );
    assert!(
        failures.is_empty(),
        "{} failures, e.g.\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    assert_eq!(total, 28_944);
    // The conflicts are shared boundary numbers of overlapping segment pairs.
    assert_eq!(conflicts + found + no_place, total);
    assert_eq!((found, conflicts, no_place), (28_457, 117, 370));
}

#[test]
fn alamance_answers_carry_early_vote_sites_and_suggestions() {
    let feed = load(&feed_path()).unwrap();
    let index = Index::build(&feed);
    match index.lookup("1800 Lambert Rd, Graham, NC 27253") {
        Answer::Found { precinct, .. } => {
            assert!(!precinct.polling_places.is_empty());
            assert!(!precinct.early_vote.is_empty(), "{precinct:?}");
            assert!(
                precinct.early_vote[0]
                    .hours
                    .iter()
                    .any(|h| h.contains("a.m."))
            );
        }
        other => panic!("{other:?}"),
    }
    match index.lookup("1800 Lambret Rd, Graham, NC 27253") {
        Answer::DidYouMean { suggestions, .. } => assert_eq!(suggestions[0].street, "LAMBERT RD"),
        other => panic!("{other:?}"),
    }
}
