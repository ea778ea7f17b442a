//! The conformance suite: the same behaviour checks run against every backend (each
//! backend's tests call [`run_all`] on a fresh, empty store). A backend passes when
//! snapshots, change records, duplicates, aborts, search, history, users, sessions and
//! the audit log behave as the [`Store`](crate::Store) contract says. [`faults`] holds
//! the checks that need a backend-specific way to make the database fail.

pub mod archive;
mod cluster;
mod contacts;
mod disinfo;
mod donations;
mod events;
mod exchange;
pub mod faults;
mod incidents;
mod lists;
pub mod orgs;
mod past_results;
pub mod people;
pub mod purges;
mod results;
pub mod universes;
mod users;
mod volunteer_links;
pub mod voter_file;

use crate::{
    BallotList, Batch, DuplicateRow, ImportBatch, NewBallotFile, NewSnapshot, PhoneAppend, Relink,
    Session, StagedBallot, StagedVoter, Store, StoreError,
};
use chrono::{Duration, NaiveDate, Utc};
use std::sync::Arc;
use tokio::sync::mpsc;
use votebase_domain::results::ResultRules;
use votebase_domain::{
    Address, AuditEntry, BallotCategory, BallotEvent, BallotMethod, ChangeKind, Gender, NameQuery,
    Party, Phone, Role, User, VoteHistoryRecord, VoterQuery, VoterRecord, VoterStatus,
};

const FIRST: [&str; 8] = [
    "JOHN", "MARY", "JOSE", "LINDA", "WEI", "AISHA", "ROBERT", "ANA",
];
const LAST: [&str; 6] = [
    "SMITH",
    "GARCIA",
    "NGUYEN",
    "JOHNSON",
    "O'NEAL",
    "SMITH-JONES",
];

/// A deterministic, fully populated voter for tests; `i` varies every field.
pub fn sample_voter(i: usize) -> VoterRecord {
    VoterRecord {
        state_voter_id: format!("AA{:06}", i),
        county_code: format!("{}", 1 + i % 3),
        county_name: ["ALAMANCE", "WAKE", "DURHAM"][i % 3].into(),
        local_voter_id: format!("{}", 1000 + i),
        status: if i % 10 == 9 {
            VoterStatus::Inactive
        } else {
            VoterStatus::Active
        },
        status_reason: "AV".into(),
        first_name: FIRST[i % FIRST.len()].into(),
        middle_name: if i.is_multiple_of(2) {
            "Q".into()
        } else {
            String::new()
        },
        last_name: LAST[i % LAST.len()].into(),
        name_suffix: if i.is_multiple_of(7) {
            "JR".into()
        } else {
            String::new()
        },
        raw_name: format!("{} {}", FIRST[i % FIRST.len()], LAST[i % LAST.len()]),
        address: Address {
            raw: format!("{} MAIN STREET", 100 + i),
            house_number: format!("{}", 100 + i),
            pre_direction: if i.is_multiple_of(4) {
                "N".into()
            } else {
                String::new()
            },
            street_name: if i.is_multiple_of(2) {
                "MAIN".into()
            } else {
                "OAK RIDGE".into()
            },
            street_suffix: "ST".into(),
            post_direction: String::new(),
            unit_type: String::new(),
            unit: String::new(),
            city: "BURLINGTON".into(),
            state: "NC".into(),
            zip5: "27215".into(),
            zip4: String::new(),
        },
        mail_address: String::new(),
        phone: Phone {
            raw: format!("919555{:04}", i % 10000),
            e164: format!("+1919555{:04}", i % 10000),
        },
        birth_year: Some(1940 + (i % 60) as i32),
        birth_date: if i.is_multiple_of(5) {
            NaiveDate::from_ymd_opt(1950, 1 + (i % 12) as u32, 1)
        } else {
            None
        },
        gender: [Gender::Female, Gender::Male, Gender::Other][i % 3],
        race: "W".into(),
        ethnicity: "NL".into(),
        party: [Party::Dem, Party::Rep, Party::Unaffiliated][i % 3],
        party_code: ["DEM", "REP", "UNA"][i % 3].into(),
        registration_date: NaiveDate::from_ymd_opt(2000 + (i % 20) as i32, 3, 15),
        precinct_code: format!("P{}", i % 4),
        precinct_name: format!("PRECINCT {}", i % 4),
        congressional_district: "4".into(),
        state_senate_district: "24".into(),
        state_house_district: "63".into(),
        municipality: "BURLINGTON".into(),
        extra: Default::default(),
    }
}

fn staged(line: u64, record: VoterRecord) -> StagedVoter {
    StagedVoter::new(line, record)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

/// Sends `rows` as one snapshot in batches of 3 and returns the outcome.
pub async fn import(
    store: &dyn Store,
    as_of: NaiveDate,
    sha: &str,
    rows: Vec<VoterRecord>,
) -> Result<crate::ImportOutcome, StoreError> {
    let (tx, rx) = mpsc::channel(4);
    let staged_rows: Vec<StagedVoter> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| staged(i as u64 + 2, r))
        .collect();
    let sender = tokio::spawn(async move {
        for chunk in staged_rows.chunks(3) {
            if tx.send(ImportBatch::Rows(chunk.to_vec())).await.is_err() {
                return;
            }
        }
        let _ = tx.send(ImportBatch::End).await;
    });
    let snapshot = NewSnapshot {
        as_of,
        source_file: format!("ncvoter_{sha}.txt"),
        file_sha256: sha.to_string(),
        rejected: 0,
    };
    let out = store.import_voters(snapshot, rx).await;
    sender.await.expect("sender task");
    out
}

/// Runs every check in order on a fresh, empty store; panics naming the failed check.
/// `rules` are the election-night rules the results checks hand to the store (the
/// caucus engine's `ElectionNightRules` in the backends' tests).
pub async fn run_all(store: &dyn Store, rules: Arc<dyn ResultRules>) {
    snapshots_and_changes(store).await;
    aborted_import_writes_nothing(store).await;
    search_finds_by_id_name_and_address(store).await;
    export_streams_present_voters(store).await;
    history_is_idempotent(store).await;
    ballots_settle_in_any_order(store).await;
    phones_and_relinks(store).await;
    users::users_tokens_sessions_and_audit(store).await;
    contacts::run(store).await;
    lists::run(store).await;
    incidents::run(store).await;
    cluster::run(store).await;
    disinfo::run(store).await;
    disinfo::alert_feed_delivers_new_alerts(store).await;
    results::run(store, rules).await;
    past_results::run(store).await;
    people::run(store).await;
    volunteer_links::run(store).await;
    events::run(store).await;
    // Last: it adds a snapshot the checks above do not expect.
    import_cut_short_writes_nothing(store).await;
    registration_match_is_exact(store).await;
    donations::run(store).await;
    exchange::run(store).await;
}

async fn snapshots_and_changes(store: &dyn Store) {
    assert!(store.latest_snapshot().await.unwrap().is_none());
    let first: Vec<VoterRecord> = (0..20).map(sample_voter).collect();
    // The first load (into an empty table, the backends' fast path) repeats voter 7 on a
    // later line with other content: the first line is kept, the repeat reported.
    let mut with_repeat = first.clone();
    let mut repeat = sample_voter(7);
    repeat.address.unit = "REPEAT".into();
    with_repeat.push(repeat);
    let out = import(store, date(2026, 9, 1), "sha-1", with_repeat)
        .await
        .expect("first import");
    assert_eq!(out.snapshot.id, 1);
    assert_eq!(out.snapshot.voters, 20);
    assert_eq!(out.snapshot.added, 20);
    assert_eq!((out.snapshot.removed, out.snapshot.changed), (0, 0));
    assert_eq!(
        out.duplicates,
        vec![DuplicateRow {
            line: 22,
            state_voter_id: "AA000007".into()
        }]
    );
    assert_eq!(store.count_voters().await.unwrap(), 20);
    let got = store.get_voter("AA000007").await.unwrap().expect("voter 7");
    assert_eq!(got.record, first[7], "stored record reads back identical");
    assert!(got.present);
    assert_eq!(got.first_snapshot, 1);

    // Same content, another file: a snapshot with no changes.
    let out = import(store, date(2026, 9, 8), "sha-2", first.clone())
        .await
        .unwrap();
    assert_eq!(out.snapshot.id, 2);
    assert_eq!(
        (
            out.snapshot.added,
            out.snapshot.removed,
            out.snapshot.changed
        ),
        (0, 0, 0)
    );
    assert!(store.snapshot_changes(2, 100, 0).await.unwrap().is_empty());

    // Refresh: voter 3 moves and changes party, voter 4 removed, voter 20 new, and a duplicate row.
    let mut second = first.clone();
    second[3].address.house_number = "999".into();
    second[3].address.raw = "999 MAIN STREET".into();
    second[3].party = Party::Lib;
    second.remove(4);
    second.push(sample_voter(20));
    second.push(sample_voter(20));
    let out = import(store, date(2026, 10, 1), "sha-3", second)
        .await
        .unwrap();
    assert_eq!(out.snapshot.voters, 20);
    assert_eq!(
        (
            out.snapshot.added,
            out.snapshot.removed,
            out.snapshot.changed
        ),
        (1, 1, 1)
    );
    assert_eq!(out.duplicates.len(), 1);
    assert_eq!(out.duplicates[0].state_voter_id, "AA000020");
    assert_eq!(
        out.duplicates[0].line, 22,
        "the later line is the duplicate"
    );
    assert_eq!(store.count_voters().await.unwrap(), 20);

    let changes = store.voter_changes("AA000003").await.unwrap();
    let fields: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| (c.field.as_str(), c.old_value.as_str(), c.new_value.as_str()))
        .collect();
    assert!(
        fields.contains(&("house_number", "103", "999")),
        "{fields:?}"
    );
    assert!(fields.contains(&("party", "dem", "lib")), "{fields:?}");
    assert!(fields.contains(&("address_raw", "103 MAIN STREET", "999 MAIN STREET")));
    assert!(
        changes
            .iter()
            .all(|c| c.kind == ChangeKind::Changed && c.snapshot_id == 3)
    );

    let removed = store.get_voter("AA000004").await.unwrap().expect("kept");
    assert!(!removed.present);
    assert_eq!(removed.removed_snapshot, Some(3));
    let kinds: Vec<ChangeKind> = store
        .snapshot_changes(3, 100, 0)
        .await
        .unwrap()
        .iter()
        .map(|c| c.kind)
        .collect();
    assert!(kinds.contains(&ChangeKind::Added) && kinds.contains(&ChangeKind::Removed));

    // The removed voter comes back: added again.
    let mut third: Vec<VoterRecord> = (0..21).map(sample_voter).collect();
    third[3] = store.get_voter("AA000003").await.unwrap().unwrap().record;
    let out = import(store, date(2026, 11, 1), "sha-4", third)
        .await
        .unwrap();
    assert_eq!(
        (
            out.snapshot.added,
            out.snapshot.removed,
            out.snapshot.changed
        ),
        (1, 0, 0)
    );
    assert!(store.get_voter("AA000004").await.unwrap().unwrap().present);

    // Older than the latest: refused, nothing written.
    let err = import(store, date(2026, 1, 1), "sha-old", first.clone()).await;
    assert!(matches!(err, Err(StoreError::Refused(_))), "{err:?}");
    assert_eq!(store.list_snapshots().await.unwrap().len(), 4);
    let by_sha = store.snapshot_by_sha("sha-3").await.unwrap().unwrap();
    assert_eq!(by_sha.id, 3);
    assert_eq!(store.latest_snapshot().await.unwrap().unwrap().id, 4);
}

async fn aborted_import_writes_nothing(store: &dyn Store) {
    let before = store.list_snapshots().await.unwrap();
    let before_voter = store.get_voter("AA000001").await.unwrap();
    let (tx, rx) = mpsc::channel(4);
    let mut changed = sample_voter(1);
    changed.last_name = "CHANGED".into();
    tx.send(ImportBatch::Rows(vec![
        staged(2, changed),
        staged(3, sample_voter(500)),
    ]))
    .await
    .unwrap();
    tx.send(ImportBatch::Abort("disk full in test".into()))
        .await
        .unwrap();
    drop(tx);
    let snapshot = NewSnapshot {
        as_of: date(2026, 12, 1),
        source_file: "aborted.txt".into(),
        file_sha256: "sha-abort".into(),
        rejected: 0,
    };
    let err = store.import_voters(snapshot, rx).await;
    assert!(matches!(err, Err(StoreError::Aborted(_))), "{err:?}");
    assert_eq!(store.list_snapshots().await.unwrap(), before);
    assert_eq!(store.get_voter("AA000001").await.unwrap(), before_voter);
    assert!(store.get_voter("AA000500").await.unwrap().is_none());
}

/// A channel that closes without [`ImportBatch::End`] (a reader that panicked or was
/// killed) rolls back like an abort: the previous snapshot stays, the file's hash is not
/// recorded, and the same file imports fine afterwards.
async fn import_cut_short_writes_nothing(store: &dyn Store) {
    let before = store.list_snapshots().await.unwrap();
    let before_voter = store.get_voter("AA000001").await.unwrap();
    let before_count = store.count_voters().await.unwrap();
    let mut rows: Vec<VoterRecord> = (0..21).map(sample_voter).collect();
    rows[1].last_name = "CUT".into();
    rows.push(sample_voter(600));
    let staged_rows: Vec<StagedVoter> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| staged(i as u64 + 2, r.clone()))
        .collect();
    let (tx, rx) = mpsc::channel(4);
    let first_half = staged_rows[..10].to_vec();
    let sender = tokio::spawn(async move {
        tx.send(ImportBatch::Rows(first_half)).await.unwrap();
        // Dropped here without `End`: as when the reader thread dies mid-file.
    });
    let snapshot = NewSnapshot {
        as_of: date(2026, 12, 2),
        source_file: "cut.txt".into(),
        file_sha256: "sha-cut".into(),
        rejected: 0,
    };
    let err = store.import_voters(snapshot, rx).await;
    sender.await.unwrap();
    assert!(matches!(err, Err(StoreError::Aborted(_))), "{err:?}");
    assert_eq!(store.list_snapshots().await.unwrap(), before);
    assert_eq!(store.get_voter("AA000001").await.unwrap(), before_voter);
    assert_eq!(store.count_voters().await.unwrap(), before_count);
    assert!(store.snapshot_by_sha("sha-cut").await.unwrap().is_none());

    // The whole file, with its end marker, imports afterwards.
    let out = import(store, date(2026, 12, 2), "sha-cut", rows)
        .await
        .expect("re-import after a cut-short import");
    assert_eq!(out.snapshot.id, before.last().map_or(0, |s| s.id) + 1);
    assert_eq!(
        store
            .get_voter("AA000001")
            .await
            .unwrap()
            .unwrap()
            .record
            .last_name,
        "CUT"
    );
    assert!(store.get_voter("AA000600").await.unwrap().is_some());
}

/// The registration check finds a true match wherever it sorts among more than 1,000
/// voters sharing the name, and only exact matches of name, birth year and ZIP.
async fn registration_match_is_exact(store: &dyn Store) {
    let (tx, mut rx) = mpsc::channel(4);
    store.export_voters(1_000, tx).await.unwrap();
    let mut rows = Vec::new();
    while let Some(batch) = rx.recv().await {
        rows.extend(batch);
    }
    for i in 0..1_200 {
        let mut v = sample_voter(i);
        v.state_voter_id = format!("ZZ{i:06}");
        v.local_voter_id = format!("Z{i}");
        v.last_name = "SAMENAME".into();
        v.first_name = "PAT".into();
        v.birth_year = Some(1960 + (i % 30) as i32);
        v.address.zip5 = "27215".into();
        match i {
            // The only match, past the first 1,000 same-name voters in every order.
            1_150 => (v.birth_year, v.address.zip5) = (Some(1999), "27999".into()),
            // Same name and year, other ZIP; same name and ZIP, other year.
            1_151 => (v.birth_year, v.address.zip5) = (Some(1999), "27998".into()),
            1_152 => (v.birth_year, v.address.zip5) = (Some(1998), "27999".into()),
            // Two voters sharing everything: both are returned.
            3 | 1_190 => (v.birth_year, v.address.zip5) = (Some(1977), "27777".into()),
            _ => {}
        }
        rows.push(v);
    }
    // A prefix of the name is not the name.
    let mut longer = sample_voter(2_000);
    longer.state_voter_id = "ZZ999999".into();
    (longer.last_name, longer.first_name) = ("SAMENAMES".into(), "PAT".into());
    (longer.birth_year, longer.address.zip5) = (Some(1999), "27999".into());
    rows.push(longer);
    let latest = store.latest_snapshot().await.unwrap().unwrap();
    import(
        store,
        latest.as_of + Duration::days(1),
        "sha-samename",
        rows,
    )
    .await
    .expect("same-name import");

    let one = store
        .registration_matches("SAMENAME", "PAT", 1999, "27999")
        .await
        .unwrap();
    let ids: Vec<&str> = one
        .iter()
        .map(|v| v.record.state_voter_id.as_str())
        .collect();
    assert_eq!(ids, ["ZZ001150"]);
    assert!(one[0].present);
    let two = store
        .registration_matches("SAMENAME", "PAT", 1977, "27777")
        .await
        .unwrap();
    let ids: Vec<&str> = two
        .iter()
        .map(|v| v.record.state_voter_id.as_str())
        .collect();
    assert_eq!(ids, ["ZZ000003", "ZZ001190"]);
    for (last, first, year, zip) in [
        ("SAMENAME", "PAT", 1999, "27000"),
        ("SAMENAME", "PA", 1999, "27999"),
        ("SAMENAM", "PAT", 1999, "27999"),
        ("SAMENAME", "PAT", 1900, "27999"),
    ] {
        assert!(
            store
                .registration_matches(last, first, year, zip)
                .await
                .unwrap()
                .is_empty(),
            "{last} {first} {year} {zip}"
        );
    }
}

async fn search_finds_by_id_name_and_address(store: &dyn Store) {
    let by_id = store
        .search_voters(&VoterQuery {
            text: "AA000005".into(),
            ids: vec!["AA000005".into()],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0].state_voter_id, "AA000005");

    let by_local = store
        .search_voters(&VoterQuery {
            ids: vec!["1006".into()],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_local.len(), 1);
    assert_eq!(by_local[0].state_voter_id, "AA000006");

    let by_name = store
        .search_voters(&VoterQuery {
            names: vec![NameQuery {
                last_prefix: "GARC".into(),
                first_prefix: "MAR".into(),
            }],
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!by_name.is_empty());
    for v in &by_name {
        assert!(
            v.name.contains("GARCIA") && v.name.starts_with("MAR"),
            "{v:?}"
        );
    }
    // Brute force: every voter with first MARY and last GARCIA is found.
    let expected = (0..21)
        .map(sample_voter)
        .filter(|v| v.first_name == "MARY" && v.last_name == "GARCIA")
        .count();
    assert_eq!(by_name.len(), expected);

    let by_address = store
        .search_voters(&VoterQuery {
            address: Some(votebase_domain::AddressQuery {
                house_number: "110".into(),
                street_prefix: "MAI".into(),
            }),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_address.len(), 1);
    assert_eq!(by_address[0].state_voter_id, "AA000010");
    assert!(by_address[0].address.contains("110"));

    let limited = store
        .search_voters(&VoterQuery {
            names: vec![NameQuery {
                last_prefix: "S".into(),
                first_prefix: String::new(),
            }],
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
}

async fn export_streams_present_voters(store: &dyn Store) {
    let (tx, mut rx) = mpsc::channel::<Vec<VoterRecord>>(2);
    let task = {
        let expected = store.count_voters().await.unwrap();
        (
            expected,
            tokio::spawn(async move {
                let mut ids = Vec::new();
                while let Some(batch) = rx.recv().await {
                    assert!(batch.len() <= 4, "batches respect the size");
                    ids.extend(batch.into_iter().map(|v| v.state_voter_id));
                }
                ids
            }),
        )
    };
    store.export_voters(4, tx).await.unwrap();
    let ids = task.1.await.unwrap();
    assert_eq!(ids.len() as i64, task.0);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ordered by id");
    assert!(ids.contains(&"AA000020".to_string()));
}

async fn history_is_idempotent(store: &dyn Store) {
    let rows: Vec<VoteHistoryRecord> = (0..6)
        .map(|i| VoteHistoryRecord {
            state_voter_id: format!("AA{:06}", i % 3),
            election_date: date(2016 + 2 * (i / 3), 11, 8),
            election_desc: "GENERAL".into(),
            voting_method: "in_person".into(),
            voted_party: String::new(),
            county_name: "WAKE".into(),
            precinct: "P1".into(),
        })
        .collect();
    for (round, expect_new) in [(0, 6), (1, 0)] {
        let (tx, rx) = mpsc::channel(2);
        tx.send(Batch::Rows(rows.clone())).await.unwrap();
        tx.send(Batch::End).await.unwrap();
        drop(tx);
        let out = store
            .import_history("ncvhis.txt", &format!("h-{round}"), rx)
            .await
            .unwrap();
        assert_eq!(out.inserted, expect_new, "round {round}");
        assert_eq!(out.inserted + out.unchanged, 6);
    }
    let (tx, rx) = mpsc::channel(2);
    let mut extra = rows.clone();
    extra[0].election_date = date(2024, 11, 5);
    tx.send(Batch::Rows(extra.clone())).await.unwrap();
    tx.send(Batch::Abort("disk full in test".into()))
        .await
        .unwrap();
    drop(tx);
    let aborted = store.import_history("ncvhis.txt", "h-abort", rx).await;
    assert!(
        matches!(aborted, Err(StoreError::Aborted(_))),
        "{aborted:?}"
    );
    // A reader that dies without sending `End` writes nothing either: the extra vote is
    // not there afterwards.
    let (tx, rx) = mpsc::channel(2);
    tx.send(Batch::Rows(extra)).await.unwrap();
    drop(tx);
    let cut = store.import_history("ncvhis.txt", "h-cut", rx).await;
    assert!(matches!(cut, Err(StoreError::Aborted(_))), "{cut:?}");
    let (tx, mut rx) = mpsc::channel::<Vec<VoteHistoryRecord>>(2);
    let collector = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(b) = rx.recv().await {
            all.extend(b);
        }
        all
    });
    store.export_vote_history(4, tx).await.unwrap();
    let all = collector.await.unwrap();
    assert_eq!(all.len(), 6, "every history row streamed once");
    let h = store.voter_history("AA000001").await.unwrap();
    assert_eq!(h.len(), 2);
    assert!(h[0].election_date > h[1].election_date, "newest first");
}

fn ballot(
    id: &str,
    sent: Option<NaiveDate>,
    returned: Option<NaiveDate>,
    status: &str,
) -> BallotEvent {
    BallotEvent {
        state_voter_id: id.into(),
        local_voter_id: String::new(),
        county_name: "WAKE".into(),
        election_date: date(2026, 11, 3),
        method: BallotMethod::Mail,
        delivery_type: "MAIL".into(),
        request_date: Some(date(2026, 9, 1)),
        send_date: sent,
        return_date: returned,
        return_status: status.into(),
        category: BallotCategory::classify(status, sent.is_some(), returned.is_some()),
        site_name: String::new(),
        same_day_registration: false,
        request_party: String::new(),
    }
}

async fn load_ballots(
    store: &dyn Store,
    sha: &str,
    as_of: NaiveDate,
    events: Vec<BallotEvent>,
) -> crate::BallotImportOutcome {
    let (tx, rx) = mpsc::channel(2);
    let staged = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| StagedBallot::new(i as u64 + 2, event))
        .collect();
    tx.send(Batch::Rows(staged)).await.unwrap();
    tx.send(Batch::End).await.unwrap();
    drop(tx);
    store
        .import_ballots(
            NewBallotFile {
                as_of,
                source_file: format!("absentee_{sha}.csv"),
                file_sha256: sha.into(),
            },
            rx,
        )
        .await
        .expect("ballot import")
}

async fn ballots_settle_in_any_order(store: &dyn Store) {
    let sent = Some(date(2026, 9, 20));
    let back = Some(date(2026, 10, 5));
    let mut by_county_id = ballot("", sent, None, "");
    by_county_id.county_name = "DURHAM".into();
    by_county_id.local_voter_id = "1005".into();
    let day1 = vec![
        ballot("AA000001", sent, None, ""),
        ballot("AA000002", sent, back, "ACCEPTED"),
        ballot("AA000003", sent, back, "WITNESS INFO INCOMPLETE"),
        ballot("ZZ999999", sent, None, ""),
        by_county_id,
    ];
    let mut day2 = day1.clone();
    day2[0] = ballot("AA000001", sent, Some(date(2026, 10, 6)), "ACCEPTED");
    day2.push(ballot("AA000006", None, None, ""));

    let out = load_ballots(store, "b-day1", date(2026, 10, 5), day1.clone()).await;
    assert_eq!((out.new_events, out.known_events), (5, 0));
    assert_eq!(out.unmatched.len(), 1, "{:?}", out.unmatched);
    assert_eq!(out.unmatched[0].state_voter_id, "ZZ999999");
    assert_eq!(out.unmatched[0].line, 5);
    let out = load_ballots(store, "b-day2", date(2026, 10, 6), day2.clone()).await;
    assert_eq!((out.new_events, out.known_events), (2, 4));
    let counts_after_day2 = store.ballot_status_counts(date(2026, 11, 3)).await.unwrap();
    let get = |counts: &[crate::BallotStatusCount], c: BallotCategory| {
        counts
            .iter()
            .find(|x| x.category == c)
            .map(|x| (x.voters, x.voted))
            .unwrap_or((0, 0))
    };
    assert_eq!(get(&counts_after_day2, BallotCategory::Accepted), (2, 2));
    assert_eq!(get(&counts_after_day2, BallotCategory::Curable), (1, 0));
    assert_eq!(
        get(&counts_after_day2, BallotCategory::Sent),
        (1, 0),
        "the county-id row matched AA000005"
    );
    assert_eq!(get(&counts_after_day2, BallotCategory::Requested), (1, 0));
    assert_eq!(store.voted_count(date(2026, 11, 3)).await.unwrap(), 2);

    // The same file again, and yesterday's file after today's: nothing changes.
    let again = load_ballots(store, "b-day2", date(2026, 10, 6), day2).await;
    assert!(again.already_imported);
    let late = load_ballots(store, "b-day1-resent", date(2026, 10, 5), day1).await;
    assert_eq!(late.new_events, 0);
    assert_eq!(
        store.ballot_status_counts(date(2026, 11, 3)).await.unwrap(),
        counts_after_day2
    );

    let cure = store
        .ballot_list(date(2026, 11, 3), BallotList::Cure, date(2026, 10, 7), 100)
        .await
        .unwrap();
    assert_eq!(
        cure.iter()
            .map(|r| r.state_voter_id.as_str())
            .collect::<Vec<_>>(),
        vec!["AA000003"]
    );
    assert_eq!(cure[0].return_status, "WITNESS INFO INCOMPLETE");
    let chase = store
        .ballot_list(
            date(2026, 11, 3),
            BallotList::Chase { min_days: 10 },
            date(2026, 10, 7),
            100,
        )
        .await
        .unwrap();
    let ids: Vec<&str> = chase.iter().map(|r| r.state_voter_id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["AA000006", "AA000005"],
        "by county: ALAMANCE then DURHAM"
    );
    assert_eq!(
        chase[0].days_waiting,
        Some(36),
        "requested, never sent: days since request"
    );
    assert_eq!(
        chase[1].days_waiting,
        Some(17),
        "sent 17 days ago, not returned"
    );
    let patient = store
        .ballot_list(
            date(2026, 11, 3),
            BallotList::Chase { min_days: 20 },
            date(2026, 10, 7),
            100,
        )
        .await
        .unwrap();
    assert_eq!(patient.len(), 1);
    let mut statuses = store.ballot_statuses(date(2026, 11, 3)).await.unwrap();
    statuses.sort();
    assert_eq!(
        statuses,
        vec![
            ("AA000001".to_string(), BallotCategory::Accepted),
            ("AA000002".to_string(), BallotCategory::Accepted),
            ("AA000003".to_string(), BallotCategory::Curable),
            ("AA000005".to_string(), BallotCategory::Sent),
            ("AA000006".to_string(), BallotCategory::Requested),
        ]
    );
    let turnout = store.ballot_turnout(date(2026, 11, 3)).await.unwrap();
    let total: i64 = turnout.iter().map(|t| t.voters).sum();
    assert_eq!(total, 2, "{turnout:?}");
    assert!(turnout.iter().any(|t| t.day == date(2026, 10, 5)));
    assert!(turnout.iter().any(|t| t.day == date(2026, 10, 6)));
    use crate::TurnoutBy;
    let by_party = store
        .ballot_turnout_by(date(2026, 11, 3), TurnoutBy::Party)
        .await
        .unwrap();
    // AA000001 (rep, i=1) and AA000002 (unaffiliated, i=2) voted.
    let mut by_party_sorted = by_party.clone();
    by_party_sorted.sort();
    assert_eq!(
        by_party_sorted,
        vec![("rep".to_string(), 1), ("unaffiliated".to_string(), 1)]
    );
    let by_method = store
        .ballot_turnout_by(date(2026, 11, 3), TurnoutBy::Method)
        .await
        .unwrap();
    assert_eq!(by_method, vec![("mail".to_string(), 2)]);
    let by_age = store
        .ballot_turnout_by(date(2026, 11, 3), TurnoutBy::AgeBand)
        .await
        .unwrap();
    // Born 1941 and 1942: 65+ in 2026.
    assert_eq!(by_age, vec![("65+".to_string(), 2)]);
    let by_county: i64 = store
        .ballot_turnout_by(date(2026, 11, 3), TurnoutBy::County)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(by_county, 2);
    let events = store.voter_ballots("AA000001").await.unwrap();
    assert_eq!(events.len(), 2, "yesterday's status stays in history");
    assert_eq!(
        store.ballot_elections().await.unwrap(),
        vec![date(2026, 11, 3)]
    );

    // An aborted ballot load writes nothing.
    let (tx, rx) = mpsc::channel(2);
    tx.send(Batch::Rows(vec![StagedBallot::new(
        2,
        ballot("AA000007", sent, back, "ACCEPTED"),
    )]))
    .await
    .unwrap();
    tx.send(Batch::Abort("disk full in test".into()))
        .await
        .unwrap();
    drop(tx);
    let aborted = store
        .import_ballots(
            NewBallotFile {
                as_of: date(2026, 10, 8),
                source_file: "x.csv".into(),
                file_sha256: "b-abort".into(),
            },
            rx,
        )
        .await;
    assert!(
        matches!(aborted, Err(StoreError::Aborted(_))),
        "{aborted:?}"
    );
    assert_eq!(store.voted_count(date(2026, 11, 3)).await.unwrap(), 2);

    // The same row twice in one file is one event, and an event is known by its content
    // for any voter and election: a primary election's row of a voter already holding a
    // general election's event is new, the general's row again is not.
    let mut primary = ballot("AA000001", sent, None, "");
    primary.election_date = date(2026, 3, 3);
    let twice = vec![
        primary.clone(),
        primary,
        ballot("AA000002", sent, back, "ACCEPTED"),
    ];
    let out = load_ballots(store, "b-twice", date(2026, 10, 9), twice).await;
    assert_eq!((out.new_events, out.known_events), (1, 2));
    let events = store.voter_ballots("AA000001").await.unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0].election_date, date(2026, 11, 3), "newest first");
    assert_eq!(events[2].election_date, date(2026, 3, 3));
    assert_eq!(store.voted_count(date(2026, 11, 3)).await.unwrap(), 2);
}

async fn phones_and_relinks(store: &dyn Store) {
    let phone = |id: &str, p: f64, shared: bool| PhoneAppend {
        state_voter_id: id.into(),
        phone_e164: "+19195550142".into(),
        source: "cells.csv".into(),
        probability: p,
        shared_across_households: shared,
    };
    assert_eq!(
        store
            .append_phones(&[
                phone("AA000001", 0.97, false),
                phone("AA000002", 0.91, true)
            ])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .append_phones(&[phone("AA000001", 0.99, false)])
            .await
            .unwrap(),
        0,
        "same voter and number: updated"
    );
    let got = store.voter_phones("AA000001").await.unwrap();
    assert_eq!(got.len(), 1);
    assert!((got[0].probability - 0.99).abs() < 1e-9);
    assert!(store.voter_phones("AA000002").await.unwrap()[0].shared_across_households);

    let links = [Relink {
        old_state_voter_id: "AA000004".into(),
        new_state_voter_id: "AA000020".into(),
        probability: 0.98,
    }];
    store.record_relinks(3, &links).await.unwrap();
    store.record_relinks(3, &links).await.unwrap();
    let new_side = store.voter_changes("AA000020").await.unwrap();
    let relinked: Vec<_> = new_side
        .iter()
        .filter(|c| c.kind == ChangeKind::Relinked)
        .collect();
    assert_eq!(relinked.len(), 1, "idempotent: {new_side:?}");
    assert_eq!(relinked[0].field, "previous_state_voter_id");
    assert_eq!(
        (
            relinked[0].old_value.as_str(),
            relinked[0].new_value.as_str()
        ),
        ("AA000004", "AA000020")
    );
    let old_side = store.voter_changes("AA000004").await.unwrap();
    assert!(
        old_side
            .iter()
            .any(|c| c.kind == ChangeKind::Relinked && c.field == "next_state_voter_id")
    );
}
