//! Properties of the purge engine: its parsers never panic on arbitrary Unicode, and the
//! report never panics on arbitrary counts, keeps p- and q-values in [0, 1], and flags
//! only what passes every floor of its thresholds.

use chrono::NaiveDate;
use proptest::prelude::*;
use votebase_purge::baseline::county_key;
use votebase_purge::stats::{benjamini_hochberg, poisson_upper_tail};
use votebase_purge::{
    FlagId, RemovalCell, RollCount, RollDimension, RollStatus, SnapshotRef, Thresholds, Transition,
    build_report,
};

proptest! {
    #[test]
    fn parsers_never_panic(text in "\\PC*") {
        if let Ok(id) = FlagId::parse(&text) {
            prop_assert_eq!(FlagId::parse(&id.to_string()).unwrap(), id);
        }
        let mut t = Thresholds::default();
        let _ = t.set_text(&text);
        let _ = Transition::parse(&text);
        let _ = county_key(&text);
    }

    #[test]
    fn poisson_tail_is_a_probability_and_falls_as_the_count_rises(
        x in 0u64..5_000, lambda in 0.0f64..5_000.0,
    ) {
        let p = poisson_upper_tail(x, lambda);
        prop_assert!((0.0..=1.0).contains(&p));
        prop_assert!(poisson_upper_tail(x + 1, lambda) <= p + 1e-9);
    }

    #[test]
    fn q_values_are_probabilities_at_least_their_p(p in proptest::collection::vec(0.0f64..=1.0, 0..50)) {
        let q = benjamini_hochberg(&p);
        for (p, q) in p.iter().zip(&q) {
            prop_assert!((0.0..=1.0).contains(q) && q >= p);
        }
    }

    #[test]
    fn reports_never_panic_and_flags_pass_every_floor(
        snaps in 1usize..6,
        counties in proptest::collection::vec((0i64..50_000, 0i64..5_000), 1..6),
        moved in proptest::collection::vec(0i64..3_000, 0..60),
    ) {
        let snapshots: Vec<SnapshotRef> = (0..snaps)
            .map(|i| SnapshotRef { id: i as i64 + 1, as_of: NaiveDate::from_ymd_opt(2026, 1 + i as u32, 1).unwrap() })
            .collect();
        let mut rolls = Vec::new();
        for s in &snapshots {
            for (c, (active, inactive)) in counties.iter().enumerate() {
                for (status, n) in [(RollStatus::Active, *active), (RollStatus::Inactive, *inactive)] {
                    rolls.push(RollCount { snapshot_id: s.id, county: format!("C{c}"), status,
                        dimension: RollDimension::Total, value: String::new(), voters: n });
                }
            }
        }
        let cells: Vec<RemovalCell> = moved.iter().enumerate().map(|(i, n)| RemovalCell {
            snapshot_id: (i % snaps) as i64 + 1,
            county: format!("C{}", i % counties.len()),
            transition: Transition::ALL[i % 3],
            status_before: "active".into(),
            precinct: String::new(), reason: String::new(), party: "dem".into(),
            race: String::new(), gender: String::new(), birth_year: None, last_vote_year: None,
            voters: *n,
        }).collect();
        let t = Thresholds::default();
        let report = build_report(&snapshots, &rolls, &cells, &t, None);
        prop_assert_eq!(report.pairs.len(), snaps - 1);
        for p in &report.pairs {
            for c in &p.counties {
                for r in &c.transitions {
                    prop_assert!((0.0..=1.0).contains(&r.p_value) && (0.0..=1.0).contains(&r.q_value));
                }
            }
        }
        for f in &report.flags {
            prop_assert!(f.q_value <= t.fdr && f.moved >= t.min_voters);
            prop_assert!(f.rate >= t.min_ratio * f.expected_rate);
            prop_assert!(!f.sentence.is_empty());
        }
    }
}
