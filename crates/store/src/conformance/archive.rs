//! Conformance of [`ArchiveStore`](crate::ArchiveStore): a populated store (the one the
//! rest of the suite filled) is exported as one snapshot and imported into a fresh store of
//! the same backend; every table's rows must come back equal (users disabled, the import's
//! own audit entry added), no secret may appear in the export, a second import of the
//! same archive must change nothing, and a store that holds data must refuse an import.

use crate::archive::{
    ArchiveChunk, ArchiveImport, ArchiveImportOutcome, ArchiveTable, ExportChunk,
};
use crate::{Batch, Store, StoreError};
use chrono::{Duration, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use votebase_domain::{AuditEntry, Role, User};

/// Every archived table of `store` with its rows, read as one snapshot.
pub async fn dump(store: &dyn Store) -> Vec<(ArchiveTable, Vec<Vec<Value>>)> {
    let tables = store.archive_tables().await.expect("archive tables");
    let (tx, mut rx) = mpsc::channel(4);
    let collect = async {
        let mut out: Vec<(ArchiveTable, Vec<Vec<Value>>)> = Vec::new();
        while let Some(chunk) = rx.recv().await {
            match chunk {
                ExportChunk::Table(i) => {
                    assert_eq!(i, out.len(), "tables in order");
                    out.push((tables[i].clone(), Vec::new()));
                }
                ExportChunk::Rows(rows) => {
                    assert!(rows.len() <= 7, "batches of at most 7");
                    out.last_mut().expect("a table first").1.extend(rows);
                }
            }
        }
        out
    };
    let (counts, out) = tokio::join!(store.export_snapshot(&tables, 7, tx), collect);
    let counts = counts.expect("export snapshot");
    assert_eq!(out.len(), tables.len());
    for ((_, rows), count) in out.iter().zip(&counts) {
        assert_eq!(*count as usize, rows.len());
    }
    out
}

fn import_of(sha: &str) -> ArchiveImport {
    ArchiveImport {
        archive_sha256: sha.into(),
        source_org: "conf".into(),
        source_backend: "test".into(),
        audit: AuditEntry {
            at: Utc::now(),
            actor: "cli:test".into(),
            action: "org.import".into(),
            subject: "conf".into(),
            detail: format!("sha256={sha}"),
        },
    }
}

async fn import(
    store: &dyn Store,
    sha: &str,
    tables: &[(ArchiveTable, Vec<Vec<Value>>)],
) -> Result<ArchiveImportOutcome, StoreError> {
    let (tx, rx) = mpsc::channel(4);
    let send = async move {
        for (table, rows) in tables {
            let table = Arc::new(table.clone());
            for part in rows.chunks(5) {
                let chunk = ArchiveChunk {
                    table: table.clone(),
                    rows: part.to_vec(),
                };
                if tx.send(Batch::Rows(vec![chunk])).await.is_err() {
                    return;
                }
            }
        }
        tx.send(Batch::End).await.ok();
    };
    let (_, outcome) = tokio::join!(send, store.import_archive(import_of(sha), rx));
    outcome
}

/// Runs the round trip from `source` (populated) into `fresh` (just migrated).
pub async fn round_trip(source: &dyn Store, fresh: &dyn Store) {
    let secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$SECRET-ARCHIVE-HASH";
    let user = User {
        name: "archivist".into(),
        role: Role::Admin,
    };
    source.put_user(&user, secret_hash).await.unwrap();
    source
        .create_token(
            "archivist",
            "SECRET-ARCHIVE-TOKEN-SHA",
            "ci",
            Utc::now() + Duration::days(3),
        )
        .await
        .unwrap();
    source
        .create_session(
            "SECRET-ARCHIVE-SESSION-SHA",
            &crate::Session {
                user: user.clone(),
                csrf_token: "SECRET-ARCHIVE-CSRF".into(),
                expires_at: Utc::now() + Duration::hours(1),
            },
        )
        .await
        .unwrap();

    let tables = dump(source).await;
    let text = serde_json::to_string(
        &tables
            .iter()
            .map(|(t, rows)| (t.name.clone(), rows.clone()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!text.contains("SECRET"), "an archive never holds a secret");
    let names: Vec<&str> = tables.iter().map(|(t, _)| t.name.as_str()).collect();
    for absent in ["sessions", "api_tokens", "volunteer_link_key"] {
        assert!(!names.contains(&absent), "{absent} is never archived");
    }
    for present in [
        "voters",
        "users",
        "audit_log",
        "contact_events",
        "saved_lists",
    ] {
        assert!(names.contains(&present), "{present} is archived");
    }
    let rows_of = |dump: &[(ArchiveTable, Vec<Vec<Value>>)], name: &str| {
        dump.iter()
            .find(|(t, _)| t.name == name)
            .map(|(_, r)| r.len())
            .unwrap_or(0)
    };
    assert!(rows_of(&tables, "voters") > 0 && rows_of(&tables, "audit_log") > 0);

    // An import cut short (the reader stops before `End`, as a killed process would)
    // writes nothing, and the same archive imports afterwards.
    let empty = dump(fresh).await;
    let (tx, rx) = mpsc::channel(2);
    let (first, first_rows) = tables
        .iter()
        .find(|(_, rows)| !rows.is_empty())
        .expect("a table with rows");
    tx.send(Batch::Rows(vec![ArchiveChunk {
        table: Arc::new(first.clone()),
        rows: first_rows.clone(),
    }]))
    .await
    .unwrap();
    drop(tx);
    let cut = fresh.import_archive(import_of("sha-one"), rx).await;
    assert!(matches!(cut, Err(StoreError::Aborted(_))), "{cut:?}");
    assert_eq!(
        dump(fresh).await,
        empty,
        "a cut-short import writes nothing"
    );
    assert!(fresh.archive_imported("sha-one").await.unwrap().is_none());

    let outcome = import(fresh, "sha-one", &tables).await.expect("import");
    let ArchiveImportOutcome::Imported(counts) = outcome else {
        panic!("first import writes: {outcome:?}")
    };
    let written: BTreeMap<String, u64> = counts.into_iter().collect();
    for (table, rows) in &tables {
        if !rows.is_empty() {
            assert_eq!(written[&table.name], rows.len() as u64, "{}", table.name);
        }
    }

    let copy = dump(fresh).await;
    assert_eq!(copy.len(), tables.len(), "same tables");
    for ((table, rows), (copied, copied_rows)) in tables.iter().zip(&copy) {
        assert_eq!(table, copied, "table {} described the same", table.name);
        match table.name.as_str() {
            "audit_log" => {
                assert_eq!(copied_rows.len(), rows.len() + 1, "the import is audited");
                assert_eq!(&copied_rows[..rows.len()], &rows[..], "audit_log rows");
            }
            "users" => {
                assert_eq!(copied_rows.len(), rows.len());
                let disabled = table.columns.iter().position(|c| c.name == "disabled");
                for (a, b) in rows.iter().zip(copied_rows) {
                    for (i, (x, y)) in a.iter().zip(b).enumerate() {
                        if Some(i) == disabled {
                            assert!(matches!(y, Value::Bool(true)) || y == &Value::from(1));
                        } else {
                            assert_eq!(x, y, "users column {i}");
                        }
                    }
                }
            }
            _ => assert_eq!(rows, copied_rows, "rows of {}", table.name),
        }
    }
    assert!(
        fresh
            .user_with_password("archivist")
            .await
            .unwrap()
            .is_none(),
        "a disabled user cannot sign in"
    );
    let account = fresh.account("archivist").await.unwrap().unwrap();
    assert!(account.disabled, "imported users are disabled");
    assert_eq!(account.user, user);
    fresh.set_user_disabled("archivist", false).await.unwrap();
    let (_, hash) = fresh
        .user_with_password("archivist")
        .await
        .unwrap()
        .unwrap();
    assert!(hash.is_empty(), "imported users have no password");
    assert!(fresh.list_tokens().await.unwrap().is_empty());
    assert_eq!(
        source.count_voters().await.unwrap(),
        fresh.count_voters().await.unwrap()
    );

    // Sequences were advanced: new rows get fresh ids.
    fresh
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: "cli:test".into(),
            action: "after".into(),
            subject: String::new(),
            detail: String::new(),
        })
        .await
        .expect("audit after import");
    assert_eq!(fresh.audit_log(1).await.unwrap()[0].action, "after");

    assert!(fresh.archive_imported("sha-one").await.unwrap().is_some());
    let again = import(fresh, "sha-one", &tables)
        .await
        .expect("second import");
    assert!(
        matches!(again, ArchiveImportOutcome::AlreadyImported(_)),
        "{again:?}"
    );
    assert_eq!(
        rows_of(&dump(fresh).await, "voters"),
        rows_of(&tables, "voters")
    );

    let before = dump(source).await;
    let refused = import(source, "sha-two", &tables).await;
    assert!(
        matches!(&refused, Err(StoreError::Refused(m)) if m.contains("already holds data")),
        "{refused:?}"
    );
    assert_eq!(
        dump(source).await,
        before,
        "a refused import writes nothing"
    );
    export_is_one_snapshot(source).await;
}

/// An export reads one snapshot: an audit entry committed after the export read its first
/// table is not in the export's audit log, though the export reads that table later.
async fn export_is_one_snapshot(store: &dyn Store) {
    let tables = store.archive_tables().await.unwrap();
    let audit = tables
        .iter()
        .position(|t| t.name == "audit_log")
        .expect("the audit log is archived");
    assert!(audit >= 1, "the audit log is not the first table read");
    // Room for one message: the export waits on us between its reads.
    let (tx, mut rx) = mpsc::channel(1);
    let export = store.export_snapshot(&tables, 1, tx);
    let marker = "SNAPSHOT-MARKER-written-during-the-export";
    let during = async {
        assert_eq!(rx.recv().await, Some(ExportChunk::Table(0)));
        // The next message comes after the first table was read: the snapshot is taken.
        let mut chunks = vec![ExportChunk::Table(0), rx.recv().await.unwrap()];
        store
            .audit(&AuditEntry {
                at: Utc::now(),
                actor: "cli:test".into(),
                action: "conformance".into(),
                subject: marker.into(),
                detail: "written while an export reads".into(),
            })
            .await
            .unwrap();
        while let Some(chunk) = rx.recv().await {
            chunks.push(chunk);
        }
        chunks
    };
    let (counts, chunks) = tokio::join!(export, during);
    counts.unwrap();
    let text = serde_json::to_string(
        &chunks
            .iter()
            .map(|c| match c {
                ExportChunk::Table(i) => Value::String(tables[*i].name.clone()),
                ExportChunk::Rows(rows) => {
                    Value::Array(rows.iter().cloned().map(Value::Array).collect())
                }
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(
        text.contains("audit_log") && !text.contains(marker),
        "the entry written during the export is not in it"
    );
    let after = serde_json::to_string(&dump(store).await).unwrap();
    assert!(after.contains(marker), "the next export has it");
}
