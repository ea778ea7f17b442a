//! Conformance of [`PurgeStore`](crate::PurgeStore): the roll each import records, the
//! voters who left the roll (inactivated, removed, gone from the file) grouped with their
//! reason and last vote, the counsel list, reinstatements (by status, by reappearing and
//! through a relinked id), every status change (`status_moves`) and the thresholds.
//! Needs a fresh, empty store ([`run`]).

use super::{date, import, sample_voter};
use crate::{Batch, Relink, Store};
use std::collections::BTreeMap;
use tokio::sync::mpsc;
use votebase_domain::purges::{RollDimension, RollStatus, Transition};
use votebase_domain::{VoteHistoryRecord, VoterRecord, VoterStatus};

/// Runs every purge check on a fresh, empty store.
pub async fn run(store: &dyn Store) {
    assert!(
        store.latest_snapshot().await.unwrap().is_none(),
        "purge conformance needs an empty store"
    );
    assert!(
        !store.record_latest_roll().await.unwrap(),
        "nothing to record yet"
    );
    // Snapshot 1: 30 voters in ALAMANCE (i % 3 == 0), WAKE, DURHAM; every tenth inactive.
    let first: Vec<VoterRecord> = (0..30).map(sample_voter).collect();
    import(store, date(2026, 9, 1), "purge-1", first.clone())
        .await
        .unwrap();
    let rolls = store.purge_rolls(1).await.unwrap();
    let total = |county: &str, status: RollStatus| -> i64 {
        rolls
            .iter()
            .filter(|r| {
                r.county == county && r.status == status && r.dimension == RollDimension::Total
            })
            .map(|r| r.voters)
            .sum()
    };
    // ALAMANCE: 0, 3, …, 27 = 10 voters, of which 9 (i % 10 == 9) is inactive.
    assert_eq!(total("ALAMANCE", RollStatus::Active), 9);
    assert_eq!(total("ALAMANCE", RollStatus::Inactive), 1);
    assert_eq!(
        total("WAKE", RollStatus::Active) + total("WAKE", RollStatus::Inactive),
        10
    );
    for dim in [
        RollDimension::Party,
        RollDimension::Race,
        RollDimension::Gender,
        RollDimension::BirthYear,
        RollDimension::Precinct,
    ] {
        let sum: i64 = rolls
            .iter()
            .filter(|r| {
                r.county == "ALAMANCE" && r.status == RollStatus::Active && r.dimension == dim
            })
            .map(|r| r.voters)
            .sum();
        assert_eq!(sum, 9, "{dim:?} sums to the total");
    }
    let dems = rolls
        .iter()
        .find(|r| {
            r.county == "ALAMANCE"
                && r.status == RollStatus::Active
                && r.dimension == RollDimension::Party
                && r.value == "dem"
        })
        .map(|r| r.voters);
    assert_eq!(dems, Some(9), "i % 3 == 0 are all Democrats");
    assert!(
        !store.record_latest_roll().await.unwrap(),
        "the import recorded it"
    );

    // Vote history: voter 0 last voted in 2022, voter 3 in 2018 and 2026-11 (after).
    let history = vec![
        vote("AA000000", date(2022, 11, 8)),
        vote("AA000003", date(2018, 11, 6)),
        vote("AA000003", date(2026, 11, 3)),
    ];
    let (tx, rx) = mpsc::channel(2);
    tx.send(Batch::Rows(history)).await.unwrap();
    tx.send(Batch::End).await.unwrap();
    drop(tx);
    store
        .import_history("ncvhis.txt", "purge-h", rx)
        .await
        .unwrap();

    // Snapshot 2: 0 → inactive (reason IN), 3 → removed (RD), 9 (inactive) → removed,
    // 6 gone from the file, 19 (WAKE, inactive) gone, 12 gone but re-registered as AB000012.
    let mut second = first.clone();
    second[0].status = VoterStatus::Inactive;
    second[0].status_reason = "IN".into();
    second[3].status = VoterStatus::Removed;
    second[3].status_reason = "RD".into();
    second[9].status = VoterStatus::Removed;
    let mut new_id = first[12].clone();
    new_id.state_voter_id = "AB000012".into();
    second.push(new_id);
    second.retain(|v| !["AA000006", "AA000019", "AA000012"].contains(&v.state_voter_id.as_str()));
    import(store, date(2026, 10, 1), "purge-2", second.clone())
        .await
        .unwrap();
    store
        .record_relinks(
            2,
            &[Relink {
                old_state_voter_id: "AA000012".into(),
                new_state_voter_id: "AB000012".into(),
                probability: 0.99,
            }],
        )
        .await
        .unwrap();

    let cells = store.purge_removals(1).await.unwrap();
    let mut got: BTreeMap<(String, Transition, String), i64> = BTreeMap::new();
    for c in &cells {
        assert_eq!(c.snapshot_id, 2);
        *got.entry((c.county.clone(), c.transition, c.status_before.clone()))
            .or_default() += c.voters;
    }
    let want: BTreeMap<(String, Transition, String), i64> = [
        (("ALAMANCE", Transition::Inactivated, "active"), 1),
        (("ALAMANCE", Transition::Removed, "active"), 1),
        (("ALAMANCE", Transition::Removed, "inactive"), 1),
        (("ALAMANCE", Transition::Disappeared, "active"), 2),
        (("WAKE", Transition::Disappeared, "inactive"), 1),
    ]
    .into_iter()
    .map(|((c, t, s), n)| ((c.to_string(), t, s.to_string()), n))
    .collect();
    assert_eq!(got, want);
    let inactivated = cells
        .iter()
        .find(|c| c.transition == Transition::Inactivated)
        .unwrap();
    assert_eq!(inactivated.reason, "IN", "the reason after the change");
    assert_eq!(inactivated.last_vote_year, Some(2022));
    assert_eq!(
        (inactivated.party.as_str(), inactivated.birth_year),
        ("dem", Some(1940))
    );
    let removed = cells
        .iter()
        .find(|c| c.transition == Transition::Removed && c.status_before == "active")
        .unwrap();
    assert_eq!(
        removed.last_vote_year,
        Some(2018),
        "only votes before the snapshot"
    );
    assert!(store.purge_removals(2).await.unwrap().is_empty());

    let list = store
        .purge_list(2, "ALAMANCE", Transition::Inactivated)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let row = &list[0];
    assert_eq!(row.state_voter_id, "AA000000");
    assert_eq!(row.name, "JOHN Q SMITH JR");
    assert_eq!(row.address, "100 MAIN STREET BURLINGTON 27215");
    assert_eq!(
        (row.status_before.as_str(), row.status_after.as_str()),
        ("active", "inactive")
    );
    assert_eq!(row.reason, "IN");
    assert_eq!(row.registration_date, Some(date(2000, 3, 15)));
    assert_eq!(row.last_vote, Some(date(2022, 11, 8)));
    assert_eq!(
        (row.status_now.as_str(), row.reinstated),
        ("inactive", false)
    );
    let gone = store
        .purge_list(2, "ALAMANCE", Transition::Disappeared)
        .await
        .unwrap();
    let ids: Vec<&str> = gone.iter().map(|r| r.state_voter_id.as_str()).collect();
    assert_eq!(ids, ["AA000006", "AA000012"]);
    assert_eq!(gone[0].status_after, "absent");
    assert_eq!(gone[1].relinked_to.as_deref(), Some("AB000012"));
    assert!(gone[1].reinstated, "re-registered under a new id, active");
    assert!(
        store
            .purge_list(2, "NOWHERE", Transition::Removed)
            .await
            .unwrap()
            .is_empty()
    );

    // Snapshot 3: voter 0 active again, voter 6 back in the file, active.
    let mut third = second.clone();
    third[0].status = VoterStatus::Active;
    third.push(first[6].clone());
    import(store, date(2026, 11, 1), "purge-3", third)
        .await
        .unwrap();
    let back = store
        .purge_reinstatements(2, "ALAMANCE", Transition::Inactivated)
        .await
        .unwrap();
    // From the flag's own snapshot (re-registrations under a new id land there) on.
    let counts = |b: &[votebase_domain::purges::Reinstatement]| {
        b.iter()
            .map(|r| (r.snapshot_id, r.reinstated, r.running_total))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&back), vec![(2, 0, 0), (3, 1, 1)]);
    let back = store
        .purge_reinstatements(2, "ALAMANCE", Transition::Disappeared)
        .await
        .unwrap();
    assert_eq!(counts(&back), vec![(2, 1, 1), (3, 1, 2)]);
    let list = store
        .purge_list(2, "ALAMANCE", Transition::Inactivated)
        .await
        .unwrap();
    assert!(list[0].reinstated && list[0].status_now == "active");
    assert_eq!(
        store
            .purge_rolls(1)
            .await
            .unwrap()
            .iter()
            .map(|r| r.snapshot_id)
            .max(),
        Some(3)
    );

    // Every status change and every record gone from the file, by snapshot and id: the
    // moves off the roll are exactly the removal cells of snapshot 2.
    let moves = store.status_moves().await.unwrap();
    let got: Vec<(&str, chrono::NaiveDate, &str, &str)> = moves
        .iter()
        .map(|m| {
            (
                m.state_voter_id.as_str(),
                m.as_of,
                m.before.as_str(),
                m.after.as_str(),
            )
        })
        .collect();
    let (oct, nov) = (date(2026, 10, 1), date(2026, 11, 1));
    assert_eq!(
        got,
        vec![
            ("AA000000", oct, "active", "inactive"),
            ("AA000003", oct, "active", "removed"),
            ("AA000006", oct, "active", "absent"),
            ("AA000009", oct, "inactive", "removed"),
            ("AA000012", oct, "active", "absent"),
            ("AA000019", oct, "inactive", "absent"),
            ("AA000000", nov, "inactive", "active"),
        ]
    );
    let off_roll = moves.iter().filter(|m| m.transition().is_some()).count() as i64;
    assert_eq!(off_roll, want.values().sum::<i64>());

    // Thresholds: stored per organization, replaced by name.
    assert!(store.purge_thresholds().await.unwrap().is_empty());
    store.set_purge_threshold("fdr", 0.01).await.unwrap();
    store.set_purge_threshold("fdr", 0.02).await.unwrap();
    store.set_purge_threshold("min_voters", 40.0).await.unwrap();
    assert_eq!(
        store.purge_thresholds().await.unwrap(),
        vec![("fdr".to_string(), 0.02), ("min_voters".to_string(), 40.0)]
    );
}

fn vote(id: &str, on: chrono::NaiveDate) -> VoteHistoryRecord {
    VoteHistoryRecord {
        state_voter_id: id.into(),
        election_date: on,
        election_desc: "GENERAL".into(),
        voting_method: "in_person".into(),
        voted_party: String::new(),
        county_name: "ALAMANCE".into(),
        precinct: "P0".into(),
    }
}
