//! Conformance of [`UniverseSource`](crate::UniverseSource): the facets of the present
//! voters equal the fields of their whole records, history marks equal the history rows,
//! and the ranges between the split ids cover every voter and every history row exactly
//! once, in id order. Needs a fresh, empty store ([`run`]).

use super::{date, import, sample_voter};
use crate::universes::VoterIdRange;
use crate::{Batch, Store};
use tokio::sync::mpsc;
use votebase_domain::{HistoryMark, VoteHistoryRecord, VoterFacets, VoterRecord};

/// Voters in the file: more than the backends' threshold for reading in parts (1,000).
const VOTERS: usize = 1_500;

async fn collect<T: Send + 'static>(
    export: impl std::future::Future<Output = crate::StoreResult<()>>,
    mut rx: mpsc::Receiver<Vec<T>>,
) -> Vec<T> {
    let collector = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(b) = rx.recv().await {
            all.extend(b);
        }
        all
    });
    export.await.expect("export");
    collector.await.expect("collector")
}

async fn facets(store: &dyn Store, range: VoterIdRange) -> Vec<VoterFacets> {
    let (tx, rx) = mpsc::channel(2);
    collect(store.export_voter_facets(range, 97, tx), rx).await
}

async fn marks(store: &dyn Store, range: VoterIdRange) -> Vec<HistoryMark> {
    let (tx, rx) = mpsc::channel(2);
    collect(store.export_history_marks(range, 89, tx), rx).await
}

/// Runs every check on a fresh, empty store.
pub async fn run(store: &dyn Store) {
    assert!(
        store.latest_snapshot().await.unwrap().is_none(),
        "universe source conformance needs an empty store"
    );
    // Two snapshots: the second drops every 50th voter (not present any more).
    let all: Vec<VoterRecord> = (0..VOTERS).map(sample_voter).collect();
    import(store, date(2026, 9, 1), "universes-1", all.clone())
        .await
        .unwrap();
    let kept: Vec<VoterRecord> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 50 != 0)
        .map(|(_, v)| v.clone())
        .collect();
    import(store, date(2026, 10, 1), "universes-2", kept.clone())
        .await
        .unwrap();
    // History for every seventh voter (removed ones included) in two elections.
    let history: Vec<VoteHistoryRecord> = (0..VOTERS)
        .step_by(7)
        .flat_map(|i| {
            [(2020, "ABSENTEE BY MAIL"), (2022, "IN-PERSON")].map(|(y, m)| VoteHistoryRecord {
                state_voter_id: format!("AA{i:06}"),
                election_date: date(y, 11, if y == 2020 { 3 } else { 8 }),
                election_desc: "GENERAL".into(),
                voting_method: m.into(),
                voted_party: String::new(),
                county_name: "WAKE".into(),
                precinct: "P1".into(),
            })
        })
        .collect();
    let (tx, rx) = mpsc::channel(2);
    tx.send(Batch::Rows(history.clone())).await.unwrap();
    tx.send(Batch::End).await.unwrap();
    drop(tx);
    store
        .import_history("ncvhis.txt", "universes-h", rx)
        .await
        .unwrap();

    // The facets of the whole file are the present voters' fields, in id order.
    let whole = facets(store, VoterIdRange::default()).await;
    let mut want: Vec<VoterFacets> = kept.iter().map(VoterFacets::from).collect();
    want.sort_by(|a, b| a.state_voter_id.cmp(&b.state_voter_id));
    assert_eq!(whole.len(), want.len(), "present voters only");
    assert_eq!(whole, want, "facets equal the records' fields");
    let whole_marks = marks(store, VoterIdRange::default()).await;
    let mut want_marks: Vec<HistoryMark> = history
        .iter()
        .map(|h| HistoryMark {
            state_voter_id: h.state_voter_id.clone(),
            election_date: h.election_date,
            voting_method: h.voting_method.clone(),
        })
        .collect();
    want_marks.sort_by(|a, b| {
        (&a.state_voter_id, a.election_date).cmp(&(&b.state_voter_id, b.election_date))
    });
    assert_eq!(
        whole_marks, want_marks,
        "every history row, by voter then election"
    );

    // Splits: none for one part; for three, ascending distinct ids that cut the file.
    assert!(store.voter_id_splits(1).await.unwrap().is_empty());
    let splits = store.voter_id_splits(3).await.unwrap();
    assert!(
        !splits.is_empty() && splits.len() <= 2,
        "1,500 voters are read in parts: {splits:?}"
    );
    assert!(splits.windows(2).all(|w| w[0] < w[1]), "{splits:?}");
    // Any cut (the store's, or ids of removed voters, or of no voter) partitions both.
    let removed_id = sample_voter(700).state_voter_id;
    for cut in [
        splits,
        vec![removed_id, "AA001000x".to_string()],
        vec!["A".to_string()],
    ] {
        let mut parts = Vec::new();
        let mut part_marks = Vec::new();
        for range in VoterIdRange::partition(&cut) {
            let got = facets(store, range.clone()).await;
            assert!(
                got.iter().all(|f| range
                    .from
                    .as_ref()
                    .is_none_or(|from| f.state_voter_id >= *from)
                    && range
                        .before
                        .as_ref()
                        .is_none_or(|before| f.state_voter_id < *before)),
                "{range:?} holds only its ids"
            );
            parts.extend(got);
            part_marks.extend(marks(store, range).await);
        }
        assert_eq!(parts, whole, "the parts of {cut:?} are the whole, in order");
        assert_eq!(part_marks, whole_marks, "the history parts of {cut:?}");
    }
}
