//! Property tests of the caucus math over random precincts: delegates always add up to the
//! precinct's total when a group is viable, non-viable groups get nothing, a group with
//! more people never ends with fewer delegates than a smaller one (in every way the coin
//! tosses can fall), no viable group loses its only delegate when there are enough
//! delegates to go round, and a result computed by the rules always validates.

use proptest::prelude::*;
use votebase_caucus::{GroupResult, Rules, Submission, allocate, validate};

/// A precinct: delegates to elect, final alignment, and extra attendees who left.
fn precinct() -> impl Strategy<Value = (u32, Vec<u32>, u32)> {
    (
        1u32..=30,
        prop::collection::vec(prop_oneof![Just(0u32), 0u32..60, 0u32..400], 1..=14),
        prop_oneof![Just(0u32), 0u32..40],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn delegates_add_up_and_stay_with_viable_groups((d, groups, left) in precinct()) {
        let attendees = groups.iter().sum::<u32>() + left;
        let a = allocate(d, attendees, &groups, &Rules::default());
        let any_viable = a.viable.iter().any(|&v| v);
        for outcome in a.outcomes() {
            let total: u32 = outcome.iter().sum();
            prop_assert_eq!(total, if any_viable { d } else { 0 });
            for (g, &n) in outcome.iter().enumerate() {
                if !a.viable[g] {
                    prop_assert_eq!(n, 0, "non-viable group {} got {}", g, n);
                }
            }
            prop_assert!(a.admits(&outcome));
        }
    }

    #[test]
    fn more_people_never_means_fewer_delegates((d, groups, left) in precinct()) {
        let attendees = groups.iter().sum::<u32>() + left;
        let a = allocate(d, attendees, &groups, &Rules::default());
        for outcome in a.outcomes() {
            for i in 0..groups.len() {
                for j in 0..groups.len() {
                    if groups[i] > groups[j] {
                        prop_assert!(outcome[i] >= outcome[j],
                            "{:?} → {:?}", groups, outcome);
                    }
                }
            }
        }
    }

    #[test]
    fn viable_groups_keep_a_delegate_when_there_are_enough((d, groups, left) in precinct()) {
        let attendees = groups.iter().sum::<u32>() + left;
        let a = allocate(d, attendees, &groups, &Rules::default());
        let viable = a.viable.iter().filter(|&&v| v).count() as u32;
        if viable <= d {
            for outcome in a.outcomes() {
                for (g, &n) in outcome.iter().enumerate() {
                    if a.viable[g] {
                        prop_assert!(n >= 1, "{:?} → {:?}", groups, outcome);
                    }
                }
            }
        }
    }

    #[test]
    fn rounding_moves_each_group_at_most_one_delegate((d, groups) in (2u32..=30,
        prop::collection::vec(0u32..300, 1..=14))) {
        // With everyone in a viable group (no one left, no non-viable group), adjusting
        // the rounded numbers moves a group by at most one delegate.
        let attendees: u32 = groups.iter().sum();
        let a = allocate(d, attendees, &groups, &Rules::default());
        if a.viable.iter().zip(&groups).all(|(&v, &n)| v || n == 0) {
            for outcome in a.outcomes() {
                for (g, &n) in outcome.iter().enumerate() {
                    prop_assert!(n.abs_diff(a.rounded[g]) <= 1);
                }
            }
        }
    }

    #[test]
    fn a_result_computed_by_the_rules_validates((d, groups, left) in precinct()) {
        let attendees = groups.iter().sum::<u32>() + left;
        let a = allocate(d, attendees, &groups, &Rules::default());
        let outcome = a.first_outcome();
        let sub = Submission {
            delegates: d,
            attendees: None,
            groups: groups.iter().enumerate().map(|(i, &n)| GroupResult {
                name: format!("G{i}"),
                first: if i == 0 { n + left } else { n },
                final_alignment: n,
                delegates: outcome[i],
            }).collect(),
        };
        let v = validate(&sub, &Rules::default());
        // Group 0 may have been viable in the first alignment and lost the people who left.
        let errors: Vec<_> = v.findings.iter()
            .filter(|f| f.severity == votebase_caucus::Severity::Error
                && f.kind != votebase_caucus::FindingKind::ViableGroupLostMembers
                && f.kind != votebase_caucus::FindingKind::NoViableGroup)
            .collect();
        prop_assert!(errors.is_empty(), "{:?}", errors);
    }
}
