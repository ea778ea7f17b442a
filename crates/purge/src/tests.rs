//! Scenario tests of the report: a planted mass inactivation in one county among normal
//! churn is flagged with its sentence and breakdowns; statewide maintenance, small
//! counties and big counties' normal churn are not.

use crate::model::{RemovalCell, RollCount, RollDimension, RollStatus, SnapshotRef, Transition};
use crate::{Thresholds, build_report};
use chrono::NaiveDate;

fn snap(id: i64, month: u32) -> SnapshotRef {
    SnapshotRef {
        id,
        as_of: NaiveDate::from_ymd_opt(2026, month, 1).unwrap(),
    }
}

/// The roll of `county` at `snapshot`: active voters, 40% dem, 35% rep, rest unaffiliated.
fn roll(out: &mut Vec<RollCount>, snapshot: i64, county: &str, active: i64, inactive: i64) {
    let mut push = |status, dimension, value: &str, voters| {
        out.push(RollCount {
            snapshot_id: snapshot,
            county: county.into(),
            status,
            dimension,
            value: value.into(),
            voters,
        })
    };
    push(RollStatus::Active, RollDimension::Total, "", active);
    push(RollStatus::Inactive, RollDimension::Total, "", inactive);
    let dem = active * 40 / 100;
    let rep = active * 35 / 100;
    push(RollStatus::Active, RollDimension::Party, "dem", dem);
    push(RollStatus::Active, RollDimension::Party, "rep", rep);
    push(
        RollStatus::Active,
        RollDimension::Party,
        "unaffiliated",
        active - dem - rep,
    );
}

fn cell(
    snapshot: i64,
    county: &str,
    t: Transition,
    party: &str,
    reason: &str,
    voters: i64,
) -> RemovalCell {
    RemovalCell {
        snapshot_id: snapshot,
        county: county.into(),
        transition: t,
        status_before: if t == Transition::Inactivated {
            "active".into()
        } else {
            "inactive".into()
        },
        precinct: "P1".into(),
        reason: reason.into(),
        party: party.into(),
        race: "W".into(),
        gender: "female".into(),
        birth_year: Some(1970),
        last_vote_year: Some(2020),
        voters,
    }
}

const COUNTIES: [(&str, i64); 5] = [
    ("ASHE", 20_000),
    ("BIGTOWN", 900_000),
    ("FOXHALL", 30_000),
    ("TINY", 800),
    ("WAKE", 400_000),
];

/// Six monthly snapshots; 0.3% of active voters inactivated each month everywhere;
/// in month 5 FOXHALL inactivates 4.1%, 61% of them Democrats.
fn scenario(
    purge: bool,
    statewide_maintenance: bool,
) -> (Vec<SnapshotRef>, Vec<RollCount>, Vec<RemovalCell>) {
    let snaps: Vec<SnapshotRef> = (1..=6).map(|i| snap(i, i as u32 + 3)).collect();
    let (mut rolls, mut cells) = (Vec::new(), Vec::new());
    for s in &snaps {
        for (county, active) in COUNTIES {
            roll(&mut rolls, s.id, county, active, active / 10);
            if s.id == 1 {
                continue;
            }
            let normal = active * 3 / 1000;
            let moved = if purge && county == "FOXHALL" && s.id == 5 {
                active * 41 / 1000
            } else {
                normal
            };
            let dem = if moved != normal {
                moved * 61 / 100
            } else {
                moved * 40 / 100
            };
            cells.push(cell(
                s.id,
                county,
                Transition::Inactivated,
                "dem",
                "FAILURE TO VOTE",
                dem,
            ));
            cells.push(cell(
                s.id,
                county,
                Transition::Inactivated,
                "rep",
                "FAILURE TO VOTE",
                moved - dem,
            ));
            // The NVRA biennial removal: every county removes 8% of its inactive voters.
            let removed = if statewide_maintenance && s.id == 4 {
                active / 10 * 8 / 100
            } else {
                active / 10 / 1000
            };
            cells.push(cell(
                s.id,
                county,
                Transition::Removed,
                "rep",
                "REMOVED AFTER 2 FED GENERAL ELECTIONS IN INACTIVE STATUS",
                removed,
            ));
        }
    }
    (snaps, rolls, cells)
}

#[test]
fn the_planted_mass_inactivation_is_the_only_flag_and_reads_as_a_sentence() {
    let (snaps, rolls, cells) = scenario(true, true);
    let report = build_report(&snaps, &rolls, &cells, &Thresholds::default(), None);
    assert_eq!(report.pairs.len(), 5);
    assert!(report.skipped.is_empty());
    let ids: Vec<&str> = report.flags.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        ["2026-08-01:FOXHALL:inactivated"],
        "{:#?}",
        report.flags
    );
    let f = &report.flags[0];
    assert_eq!((f.moved, f.base), (1_230, 30_000));
    assert_eq!(f.history_pairs, 3);
    assert!(f.p_value < 1e-100 && f.q_value < 1e-100);
    assert_eq!(
        f.sentence,
        "FOXHALL moved 4.1% of its active voters (1,230 of 30,000) to inactive between \
         2026-07-01 and 2026-08-01, 100.0% of them for FAILURE TO VOTE; over the last 3 \
         refreshes it averaged 0.3%, and the state's other counties 0.3% this time; 61.0% of \
         those moved are Democrats against 40.0% of the county's active voters."
    );
    let party = f
        .breakdowns
        .iter()
        .find(|b| b.dimension == "party")
        .unwrap();
    assert_eq!(party.rows[0].value, "dem");
    assert_eq!(party.rows[0].base, Some(12_000));
    let skew = f.party_skew.as_ref().unwrap();
    assert!(skew.p_value < 1e-10);
    let age = f
        .breakdowns
        .iter()
        .find(|b| b.dimension == "age_band")
        .unwrap();
    assert_eq!(age.rows[0].value, "50-64");
    let vote = f
        .breakdowns
        .iter()
        .find(|b| b.dimension == "last_vote")
        .unwrap();
    assert_eq!(vote.rows[0].value, "4-7 years since last vote");
}

#[test]
fn normal_churn_and_statewide_maintenance_raise_nothing() {
    let (snaps, rolls, cells) = scenario(false, true);
    let report = build_report(&snaps, &rolls, &cells, &Thresholds::default(), None);
    assert!(report.flags.is_empty(), "{:#?}", report.flags);
    // The maintenance month is visible in the numbers all the same.
    let pair = report.pairs.iter().find(|p| p.to.id == 4).unwrap();
    let wake = pair.counties.iter().find(|c| c.county == "WAKE").unwrap();
    let removed = wake
        .transitions
        .iter()
        .find(|t| t.transition == Transition::Removed)
        .unwrap();
    assert_eq!(removed.moved, 3_200);
}

#[test]
fn thresholds_govern_the_flag() {
    let (snaps, rolls, cells) = scenario(true, false);
    let mut strict = Thresholds::default();
    strict.set("min_ratio", 20.0).unwrap();
    assert!(
        build_report(&snaps, &rolls, &cells, &strict, None)
            .flags
            .is_empty()
    );
    let mut few = Thresholds::default();
    few.set("min_voters", 5_000.0).unwrap();
    assert!(
        build_report(&snaps, &rolls, &cells, &few, None)
            .flags
            .is_empty()
    );
}

#[test]
fn the_first_pair_compares_with_the_state_and_a_missing_roll_skips_a_pair() {
    let (snaps, mut rolls, cells) = scenario(true, false);
    // Drop the rolls of snapshots 1–3: only pairs 4→5 and 5→6 remain, with no history.
    rolls.retain(|r| r.snapshot_id >= 4);
    let report = build_report(&snaps, &rolls, &cells, &Thresholds::default(), None);
    assert_eq!(report.pairs.len(), 2);
    assert_eq!(report.skipped.len(), 3);
    assert_eq!(report.flags.len(), 1);
    assert!(
        report.flags[0]
            .sentence
            .contains("no earlier refresh on record")
    );
}

#[test]
fn filtering_keeps_the_tests_of_the_whole_state() {
    let (snaps, rolls, cells) = scenario(true, false);
    let report = build_report(&snaps, &rolls, &cells, &Thresholds::default(), None);
    let one = report.clone().filtered(None, Some("foxhall"));
    assert_eq!(one.flags.len(), 1);
    assert!(one.pairs.iter().all(|p| p.counties.len() == 1));
    assert!(report.clone().filtered(None, Some("WAKE")).flags.is_empty());
    let later = NaiveDate::from_ymd_opt(2026, 8, 2).unwrap();
    assert!(report.filtered(Some(later), None).flags.is_empty());
}

#[test]
fn a_lone_county_without_history_or_baseline_is_not_tested() {
    // One county, two snapshots: nothing to compare the rates with, so no flag (an
    // expected rate of 0 would make every removal "significant").
    let snaps = vec![snap(1, 4), snap(2, 5)];
    let mut rolls = Vec::new();
    roll(&mut rolls, 1, "HYDE", 2_646, 371);
    roll(&mut rolls, 2, "HYDE", 2_755, 279);
    let cells = vec![cell(2, "HYDE", Transition::Inactivated, "dem", "IN", 266)];
    let report = build_report(&snaps, &rolls, &cells, &Thresholds::default(), None);
    assert!(report.flags.is_empty(), "{:#?}", report.flags);
    let t = &report.pairs[0].counties[0].transitions[0];
    assert_eq!((t.moved, t.base, t.p_value), (266, 2_646, 1.0));
    // A second county gives a comparison: the same numbers are tested.
    roll(&mut rolls, 1, "TYRRELL", 2_000, 200);
    roll(&mut rolls, 2, "TYRRELL", 2_000, 200);
    let mut cells = cells;
    cells.push(cell(2, "TYRRELL", Transition::Inactivated, "dem", "IN", 6));
    let report = build_report(&snaps, &rolls, &cells, &Thresholds::default(), None);
    assert_eq!(report.flags.len(), 1);
}
