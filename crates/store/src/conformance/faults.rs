//! A real database error in the middle of an import. Each backend's tests supply a
//! [`StoreFault`] that makes its database fail while a file is being loaded (PostgreSQL:
//! the import's connection is terminated mid-COPY, as in a failover; SQLite: a trigger
//! the test installs raises an error when one row of the file reaches the table). The
//! checks here are the same for both: the import returns a database error, the previous
//! snapshot, its voters and the snapshot list are untouched, the file's hash is not
//! recorded, and once the fault is cleared the same file imports whole.

use async_trait::async_trait;
use chrono::NaiveDate;
use tokio::sync::mpsc;

use super::{sample_voter, staged};
use crate::{ImportBatch, NewSnapshot, StagedVoter, Store, StoreError};
use votebase_domain::VoterRecord;

/// The voter id of the row a trigger-based fault fails on.
pub const FAULT_VOTER_ID: &str = "ZZ999999";

/// How a backend's test makes its database fail during an import.
#[async_trait]
pub trait StoreFault: Send + Sync {
    /// Before the import starts (e.g. install a trigger).
    async fn arm(&self);
    /// Once the import has started and taken its first rows (e.g. kill its connection).
    async fn strike(&self);
    /// After the failed import: the database works normally again.
    async fn clear(&self);
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

/// 40 voters, the fault row among the second half.
fn file_rows() -> Vec<VoterRecord> {
    let mut rows: Vec<VoterRecord> = (0..40).map(sample_voter).collect();
    let mut fault = sample_voter(999);
    fault.state_voter_id = FAULT_VOTER_ID.into();
    rows.insert(30, fault);
    rows
}

/// Sends the first batch, lets the fault strike, then sends the rest and the end marker.
async fn import_with_fault(
    store: &dyn Store,
    fault: &dyn StoreFault,
    as_of: NaiveDate,
    sha: &str,
    rows: &[VoterRecord],
) -> Result<crate::ImportOutcome, StoreError> {
    let staged_rows: Vec<StagedVoter> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| staged(i as u64 + 2, r.clone()))
        .collect();
    let (tx, rx) = mpsc::channel(1);
    let snapshot = NewSnapshot {
        as_of,
        source_file: format!("fault_{sha}.txt"),
        file_sha256: sha.to_string(),
        rejected: 0,
    };
    let feed = async {
        let mut chunks = staged_rows.chunks(5);
        if let Some(first) = chunks.next()
            && tx.send(ImportBatch::Rows(first.to_vec())).await.is_err()
        {
            return;
        }
        fault.strike().await;
        for chunk in chunks {
            if tx.send(ImportBatch::Rows(chunk.to_vec())).await.is_err() {
                return;
            }
        }
        let _ = tx.send(ImportBatch::End).await;
    };
    let (out, ()) = tokio::join!(store.import_voters(snapshot, rx), feed);
    out
}

/// A first load and a refresh, each failing on a database error mid-file, roll back
/// whole and import afterwards.
pub async fn store_error_mid_file_rolls_back(store: &dyn Store, fault: &dyn StoreFault) {
    // A first load that fails leaves the store empty.
    let rows = file_rows();
    fault.arm().await;
    let err = import_with_fault(store, fault, date(2026, 9, 1), "sha-fault-1", &rows).await;
    assert!(
        matches!(err, Err(StoreError::Database(_))),
        "a failing first load must report the database error: {err:?}"
    );
    fault.clear().await;
    assert!(store.list_snapshots().await.unwrap().is_empty());
    assert_eq!(store.count_voters().await.unwrap(), 0);
    assert!(
        store
            .snapshot_by_sha("sha-fault-1")
            .await
            .unwrap()
            .is_none()
    );

    // The same file imports whole once the database is well again.
    let first = super::import(store, date(2026, 9, 1), "sha-fault-1", rows.clone())
        .await
        .expect("the same file imports after the fault is cleared");
    assert_eq!(first.snapshot.id, 1);
    assert_eq!(store.count_voters().await.unwrap(), rows.len() as i64);

    // A refresh that fails leaves snapshot 1, its voters and its counts as they were.
    let before = store.list_snapshots().await.unwrap();
    let before_voter = store.get_voter("AA000001").await.unwrap();
    let mut refresh = rows.clone();
    refresh[1].last_name = "FAULTED".into();
    refresh[30].last_name = "FAULTED".into();
    refresh.push(sample_voter(700));
    fault.arm().await;
    let err = import_with_fault(store, fault, date(2026, 10, 1), "sha-fault-2", &refresh).await;
    assert!(
        matches!(err, Err(StoreError::Database(_))),
        "a failing refresh must report the database error: {err:?}"
    );
    fault.clear().await;
    assert_eq!(store.list_snapshots().await.unwrap(), before);
    assert_eq!(store.get_voter("AA000001").await.unwrap(), before_voter);
    assert!(store.get_voter("AA000700").await.unwrap().is_none());
    assert_eq!(store.count_voters().await.unwrap(), rows.len() as i64);
    assert!(
        store
            .snapshot_by_sha("sha-fault-2")
            .await
            .unwrap()
            .is_none()
    );

    let second = super::import(store, date(2026, 10, 1), "sha-fault-2", refresh)
        .await
        .expect("the refresh imports after the fault is cleared");
    assert_eq!(second.snapshot.id, 2);
    let changed = store.get_voter("AA000001").await.unwrap().unwrap();
    assert_eq!(changed.record.last_name, "FAULTED");
    assert!(store.get_voter("AA000700").await.unwrap().is_some());
}
