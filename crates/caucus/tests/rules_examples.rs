//! Worked examples, one per rule of the Iowa 2020 caucus math, with the arithmetic in the
//! comments so a reader can check each one by hand.

use votebase_caucus::{
    Note, Rules, SingleDelegateRule, TossEffect, allocate, state_delegate_equivalents,
    viability_threshold,
};

fn rules() -> Rules {
    Rules::default()
}

#[test]
fn threshold_is_15_percent_for_four_or_more_delegates_rounded_up() {
    assert_eq!(viability_threshold(20, 4), 3); // 3.0 exactly
    assert_eq!(viability_threshold(21, 4), 4); // 3.15 → 4
    assert_eq!(viability_threshold(34, 10), 6); // 5.1 → 6
    assert_eq!(viability_threshold(100, 24), 15);
}

#[test]
fn threshold_is_one_sixth_for_three_delegates() {
    assert_eq!(viability_threshold(12, 3), 2);
    assert_eq!(viability_threshold(13, 3), 3); // 2.17 → 3
}

#[test]
fn threshold_is_25_percent_for_two_delegates() {
    assert_eq!(viability_threshold(8, 2), 2);
    assert_eq!(viability_threshold(9, 2), 3); // 2.25 → 3
}

#[test]
fn threshold_is_a_majority_for_one_delegate() {
    assert_eq!(viability_threshold(10, 1), 6);
    assert_eq!(viability_threshold(11, 1), 6);
    assert_eq!(viability_threshold(0, 0), 0);
}

#[test]
fn non_viable_groups_get_nothing() {
    // 5 delegates, 20 attendees, threshold 3: the group of 2 is not viable.
    let a = allocate(5, 20, &[10, 8, 2], &rules());
    assert_eq!(a.viable, vec![true, true, false]);
    // 10×5/20 = 2.5 → 3, 8×5/20 = 2.0 → 2.
    assert_eq!(a.delegates, vec![3, 2, 0]);
}

#[test]
fn one_half_rounds_up() {
    // 10 delegates, 40 attendees: shares 1.5, 2.25, 2.25, 4.0 → 2, 2, 2, 4 = 10.
    let a = allocate(10, 40, &[6, 9, 9, 16], &rules());
    assert_eq!(a.rounded, vec![2, 2, 2, 4]);
    assert_eq!(a.delegates, a.rounded);
    assert!(a.is_settled() && a.notes.is_empty());
}

#[test]
fn too_many_the_smallest_decimal_rounded_up_gives_one_back() {
    // Adair 4SE ORIENT: 10 delegates, 34 attendees. 2.06, 1.76, 1.76, 1.76, 2.65 round to
    // 2, 2, 2, 2, 3 = 11; the smallest decimal that was rounded up is .65 (Warren).
    let a = allocate(10, 34, &[7, 6, 6, 6, 9], &rules());
    assert_eq!(a.rounded, vec![2, 2, 2, 2, 3]);
    assert_eq!(a.delegates, vec![2, 2, 2, 2, 2]);
    assert!(a.is_settled());
}

#[test]
fn too_few_the_largest_decimal_rounded_down_gains_one() {
    // Adair 3SW FONTANELLE: 9 delegates, 34 attendees, 3 left in a non-viable group.
    // 9×9/34 = 2.38 → 2, 7×9/34 = 1.85 → 2, 15×9/34 = 3.97 → 4: 8, one short; the only
    // decimal rounded down is Biden's .38.
    let a = allocate(9, 34, &[9, 7, 15, 3], &rules());
    assert_eq!(a.rounded, vec![2, 2, 4, 0]);
    assert_eq!(a.delegates, vec![3, 2, 4, 0]);
}

#[test]
fn no_viable_group_loses_its_only_delegate() {
    // 4 delegates, 19 attendees, threshold 3: 0.63 → 1, 0.84 → 1, 0.84 → 1, 1.68 → 2 = 5.
    // The smallest decimal rounded up is .63, but that group holds its only delegate: the
    // group of 8 (.68, two delegates) gives one back instead.
    let a = allocate(4, 19, &[3, 4, 4, 8], &rules());
    assert_eq!(a.rounded, vec![1, 1, 1, 2]);
    assert_eq!(a.delegates, vec![1, 1, 1, 1]);
    assert!(a.is_settled());
}

#[test]
fn when_every_group_holds_one_delegate_a_coin_toss_takes_one() {
    // 5 delegates, 100 attendees, threshold 15: five groups of 15 (0.75 → 1) and one of 25
    // (1.25 → 1) = 6. Everyone holds one delegate; the smallest decimal rounded up (.75) is
    // shared by five groups: a coin toss picks which loses it. The largest group keeps its.
    let a = allocate(5, 100, &[15, 15, 15, 15, 15, 25], &rules());
    assert_eq!(a.delegates, vec![1; 6]);
    assert_eq!(a.coin_tosses.len(), 1);
    let toss = &a.coin_tosses[0];
    assert_eq!(toss.effect, TossEffect::LoseOne);
    assert_eq!(toss.among, vec![0, 1, 2, 3, 4]);
    assert_eq!(toss.count, 1);
    assert!(a.notes.contains(&Note::OnlyDelegateLost { group: 0 }));
    assert_eq!(a.resolve(&[3]).unwrap(), vec![1, 1, 1, 0, 1, 1]);
}

#[test]
fn equal_decimals_are_a_recorded_coin_toss_not_a_random_choice() {
    // Adams 2: 7 delegates, 21 attendees, threshold 4; Buttigieg's 3 are not viable.
    // 4×7/21 = 1.33 → 1 (twice), 5×7/21 = 1.67 → 2 (twice): 6, one short, and the two
    // .33 decimals tie.
    let a = allocate(7, 21, &[4, 3, 5, 4, 5], &rules());
    assert_eq!(a.delegates, vec![1, 0, 2, 1, 2]);
    assert_eq!(a.coin_tosses.len(), 1);
    assert_eq!(a.coin_tosses[0].effect, TossEffect::GainOne);
    assert_eq!(a.coin_tosses[0].among, vec![0, 3]);
    assert_eq!(a.outcomes(), vec![vec![2, 0, 2, 1, 2], vec![1, 0, 2, 2, 2]]);
    assert!(a.admits(&[1, 0, 2, 2, 2]));
    assert!(a.admits(&[2, 0, 2, 1, 2]));
    assert!(!a.admits(&[2, 0, 2, 2, 1]));
    assert!(!a.admits(&[1, 1, 2, 1, 2])); // Adams 2 as published
    assert!(a.resolve(&[1]).is_err()); // Buttigieg was not in the toss
    assert!(a.resolve(&[0, 3]).is_err()); // one winner, not two
    assert_eq!(a.first_outcome(), vec![2, 0, 2, 1, 2]);
}

#[test]
fn one_delegate_goes_to_a_majority() {
    let a = allocate(1, 10, &[6, 4], &rules());
    assert_eq!(a.delegates, vec![1, 0]);
    assert!(a.notes.is_empty());
}

#[test]
fn one_delegate_without_a_majority_goes_to_the_largest_group() {
    let a = allocate(1, 13, &[4, 3, 6], &rules());
    assert_eq!(a.delegates, vec![0, 0, 1]);
    assert_eq!(a.notes, vec![Note::SingleDelegateToLargestGroup]);
    let tie = allocate(1, 8, &[4, 4], &rules());
    assert_eq!(tie.coin_tosses[0].among, vec![0, 1]);
    assert_eq!(tie.outcomes(), vec![vec![1, 0], vec![0, 1]]);
    let strict = Rules {
        single_delegate: SingleDelegateRule::MajorityOnly,
    };
    let none = allocate(1, 13, &[4, 3, 6], &strict);
    assert_eq!(none.delegates, vec![0, 0, 0]);
    assert_eq!(none.notes, vec![Note::NoViableGroup]);
}

#[test]
fn no_viable_group_awards_nothing() {
    // 4 delegates, 14 attendees, threshold 3: seven groups of 2.
    let a = allocate(4, 14, &[2; 7], &rules());
    assert_eq!(a.delegates, vec![0; 7]);
    assert_eq!(a.notes, vec![Note::NoViableGroup]);
    assert_eq!(
        allocate(3, 0, &[0, 0], &rules()).notes,
        vec![Note::NoViableGroup]
    );
    assert!(allocate(0, 10, &[10], &rules()).notes.is_empty());
}

#[test]
fn people_left_in_non_viable_groups_do_not_leave_delegates_unassigned() {
    // 10 delegates, 100 attendees, threshold 15: one viable group of 16 (1.6 → 2) and six
    // groups of 14 that stayed put. All ten delegates go to the viable group.
    let mut groups = vec![16];
    groups.extend([14; 6]);
    let a = allocate(10, 100, &groups, &rules());
    assert_eq!(a.delegates[0], 10);
    assert!(a.notes.contains(&Note::SecondAdjustment { group: 0 }));
}

#[test]
fn state_delegate_equivalents_follow_the_precinct_weight() {
    // Adair 4SE ORIENT: 10 delegates, 0.7843 SDEs, so 0.07843 per delegate.
    let sde = state_delegate_equivalents(&[2, 2, 2, 2, 2], 10, 0.784_313_725_490_196_1);
    for x in &sde {
        assert!((x - 0.156_862_745).abs() < 1e-8);
    }
    assert_eq!(state_delegate_equivalents(&[1, 0], 0, 1.0), vec![0.0, 0.0]);
}
