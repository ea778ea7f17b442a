//! Validation of submitted precinct results: one test per kind of finding, checking the
//! kind, the group and that the message speaks to the precinct chair.

use votebase_caucus::{FindingKind, GroupResult, Rules, Severity, Submission, validate};

fn g(name: &str, first: u32, fin: u32, delegates: u32) -> GroupResult {
    GroupResult {
        name: name.into(),
        first,
        final_alignment: fin,
        delegates,
    }
}

fn kinds(sub: &Submission) -> Vec<FindingKind> {
    let mut k: Vec<_> = validate(sub, &Rules::default())
        .findings
        .iter()
        .map(|f| f.kind)
        .collect();
    k.dedup();
    k
}

#[test]
fn a_correct_result_has_no_findings() {
    let sub = Submission {
        delegates: 5,
        attendees: Some(20),
        groups: vec![
            g("Biden", 11, 11, 3),
            g("Sanders", 7, 9, 2),
            g("Yang", 2, 0, 0),
        ],
    };
    let v = validate(&sub, &Rules::default());
    assert!(v.is_ok());
    assert!(v.findings.is_empty(), "{:?}", v.findings);
}

#[test]
fn sums_that_do_not_add_up() {
    let sub = Submission {
        delegates: 5,
        attendees: Some(21),
        groups: vec![g("Biden", 10, 10, 3), g("Sanders", 10, 10, 3)],
    };
    let v = validate(&sub, &Rules::default());
    assert!(v.has(FindingKind::FirstAlignmentNotAttendees));
    assert!(v.has(FindingKind::DelegateTotalWrong));
    let msg = &v.findings[0].message;
    assert!(
        msg.contains("20 people") && msg.contains("21 attendees"),
        "{msg}"
    );
}

#[test]
fn final_alignment_larger_than_the_first() {
    let sub = Submission {
        delegates: 4,
        attendees: None,
        groups: vec![g("Biden", 10, 12, 2), g("Sanders", 10, 10, 2)],
    };
    assert!(kinds(&sub).contains(&FindingKind::FinalLargerThanFirst));
}

#[test]
fn a_viable_group_may_grow_but_not_shrink() {
    // Yang's 3 people (non-viable) join Biden: fine.
    let grow = Submission {
        delegates: 4,
        attendees: Some(23),
        groups: vec![
            g("Biden", 10, 13, 2),
            g("Sanders", 10, 10, 2),
            g("Yang", 3, 0, 0),
        ],
    };
    assert!(validate(&grow, &Rules::default()).findings.is_empty());
    // Sanders (viable) loses two people to Biden: not allowed.
    let shrink = Submission {
        delegates: 4,
        attendees: Some(20),
        groups: vec![g("Biden", 10, 12, 2), g("Sanders", 10, 8, 2)],
    };
    let v = validate(&shrink, &Rules::default());
    let f = v
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::ViableGroupLostMembers)
        .unwrap();
    assert_eq!(f.group.as_deref(), Some("Sanders"));
    assert!(f.message.contains("cannot leave"), "{}", f.message);
}

#[test]
fn a_non_viable_group_in_the_final_alignment_is_a_notice() {
    let sub = Submission {
        delegates: 5,
        attendees: Some(20),
        groups: vec![
            g("Biden", 10, 10, 3),
            g("Sanders", 8, 8, 2),
            g("Yang", 2, 2, 0),
        ],
    };
    let v = validate(&sub, &Rules::default());
    assert!(v.is_ok());
    assert_eq!(v.findings.len(), 1);
    assert_eq!(v.findings[0].kind, FindingKind::NonViableGroupInFinal);
    assert_eq!(v.findings[0].severity, Severity::Notice);
}

#[test]
fn delegates_that_differ_from_the_rules_adair_orient() {
    let sub = Submission {
        delegates: 10,
        attendees: Some(34),
        groups: vec![
            g("Biden", 7, 7, 2),
            g("Buttigieg", 6, 6, 2),
            g("Klobuchar", 6, 6, 2),
            g("Sanders", 6, 6, 1),
            g("Warren", 9, 9, 3),
        ],
    };
    let v = validate(&sub, &Rules::default());
    let f = v
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::DelegatesDifferFromRules)
        .unwrap();
    assert!(f.message.contains("Sanders 2, Warren 2"), "{}", f.message);
    assert!(f.message.contains("Check Sanders, Warren"), "{}", f.message);
    assert!(!v.has(FindingKind::DelegateTotalWrong));
}

#[test]
fn more_votes_fewer_delegates() {
    let sub = Submission {
        delegates: 4,
        attendees: Some(20),
        groups: vec![g("Biden", 11, 11, 1), g("Sanders", 9, 9, 3)],
    };
    let v = validate(&sub, &Rules::default());
    let f = v
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::MoreVotesFewerDelegates)
        .unwrap();
    assert_eq!(f.group.as_deref(), Some("Biden"));
    assert!(f.message.contains("11 to 9"), "{}", f.message);
}

#[test]
fn a_coin_toss_is_accepted_either_way_and_noted() {
    for (biden, sanders) in [(2, 1), (1, 2)] {
        let sub = Submission {
            delegates: 7,
            attendees: Some(21),
            groups: vec![
                g("Biden", 4, 4, biden),
                g("Buttigieg", 3, 3, 0),
                g("Klobuchar", 5, 5, 2),
                g("Sanders", 4, 4, sanders),
                g("Warren", 5, 5, 2),
            ],
        };
        let v = validate(&sub, &Rules::default());
        assert!(v.is_ok(), "{:?}", v.findings);
        let toss = v
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::CoinToss)
            .unwrap();
        assert!(
            toss.message.contains("Biden and Sanders"),
            "{}",
            toss.message
        );
    }
}

#[test]
fn no_viable_group() {
    let sub = Submission {
        delegates: 4,
        attendees: Some(14),
        groups: (0..7).map(|i| g(&format!("C{i}"), 2, 2, 0)).collect(),
    };
    let v = validate(&sub, &Rules::default());
    assert!(v.has(FindingKind::NoViableGroup));
    assert!(!v.has(FindingKind::DelegateTotalWrong));
}
