//! A voter file shared read-only on SQLite (`votebase_store::voter_file`): a subscriber's
//! every pooled connection attaches the source organization's database file read-only
//! (`mode=ro`) as `voter_file` and creates TEMP views named after the shared tables, which
//! SQLite resolves before the subscriber's own (empty) tables of the same names. Writes
//! fail twice over: a view cannot be written and the attachment is read-only. Triggers and
//! views of the subscriber's own schema never see the views (SQLite binds them to their
//! own schema), and none of them reads the voter file.

use crate::db;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use votebase_domain::OrgName;
use votebase_store::voter_file::{
    SHARED_VOTER_FILE_TABLES, SOURCE_TABLE, VoterFileSource, holds_own_file,
};
use votebase_store::{StoreError, StoreResult};

/// The schema name the source's file is attached under.
pub const ATTACHED: &str = "voter_file";

/// The subscription recorded in this database, if any (always the database's own table).
pub fn recorded(c: &Connection) -> StoreResult<Option<VoterFileSource>> {
    let row: Option<(String, String)> = c
        .query_row(
            &format!("SELECT source, since FROM main.{SOURCE_TABLE} WHERE id = 1"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    row.map(|(source, since)| {
        Ok(VoterFileSource {
            source: OrgName::parse(&source)
                .map_err(|e| StoreError::Corrupt(format!("{SOURCE_TABLE}.source: {e}")))?,
            since: DateTime::parse_from_rfc3339(&since)
                .map_err(|e| StoreError::Corrupt(format!("{SOURCE_TABLE}.since: {e}")))?
                .with_timezone(&Utc),
        })
    })
    .transpose()
}

/// Records (or ends) the subscription; refused while the database holds a voter file of
/// its own (its own tables, not the views).
pub fn set(c: &mut Connection, source: Option<&OrgName>) -> StoreResult<()> {
    let tx = c.transaction().map_err(db)?;
    match source {
        None => {
            tx.execute(&format!("DELETE FROM main.{SOURCE_TABLE}"), [])
                .map_err(db)?;
        }
        Some(source) => {
            let (snapshots, history): (i64, i64) = tx
                .query_row(
                    "SELECT (SELECT COUNT(*) FROM main.snapshots),
                            (SELECT COUNT(*) FROM main.history_files)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(db)?;
            if snapshots > 0 || history > 0 {
                return Err(holds_own_file(snapshots, history));
            }
            tx.execute(
                &format!(
                    "INSERT INTO main.{SOURCE_TABLE} (id, source, since) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET source = excluded.source, since = excluded.since"
                ),
                params![source.as_str(), Utc::now().to_rfc3339()],
            )
            .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

/// The database file of `source`, beside the subscriber's file.
pub fn source_path(subscriber: &Path, source: &OrgName) -> PathBuf {
    subscriber
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("{source}.sqlite3"))
}

/// The read-only URI SQLite attaches (`file:///…?mode=ro`, the path percent-encoded).
pub fn read_only_uri(path: &Path) -> StoreResult<String> {
    let absolute = std::fs::canonicalize(path)
        .map_err(|e| StoreError::Refused(format!("cannot resolve {}: {e}", path.display())))?;
    let url = url::Url::from_file_path(&absolute).map_err(|()| {
        StoreError::Refused(format!("not an absolute path: {}", absolute.display()))
    })?;
    Ok(format!("{url}?mode=ro"))
}

/// Shared tables with a rowid the store's queries read (`voter_changes` is ordered by
/// it, `history_files` watched by its maximum): their views carry it as a column.
const ROWID_TABLES: &[&str] = &["voter_changes", "history_files"];

/// What each subscriber connection runs after attaching: one TEMP view per shared table.
pub fn views_sql() -> String {
    SHARED_VOTER_FILE_TABLES
        .iter()
        .map(|t| {
            let rowid = if ROWID_TABLES.contains(t) {
                "rowid AS rowid, "
            } else {
                ""
            };
            format!("CREATE TEMP VIEW {t} AS SELECT {rowid}* FROM {ATTACHED}.{t};\n")
        })
        .collect()
}

/// Attaches the source read-only and shadows the shared tables (a connection's init). The
/// attached file gets the page cache and memory map of the connection's own file.
pub fn attach(c: &Connection, uri: &str) -> rusqlite::Result<()> {
    c.execute(&format!("ATTACH DATABASE ?1 AS {ATTACHED}"), [uri])?;
    c.execute_batch(&format!(
        "PRAGMA {ATTACHED}.cache_size = -65536;
         PRAGMA {ATTACHED}.mmap_size = 1073741824;
         {}",
        views_sql()
    ))
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use std::sync::Arc;
    use votebase_domain::OrgName;
    use votebase_store::Store;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shared_voter_file_conformance_and_read_only_connections() {
        let data = std::env::temp_dir().join(format!("vb-voter-file-{}", std::process::id()));
        std::fs::remove_dir_all(&data).ok();
        let (state, camp) = (
            OrgName::parse("state_file").unwrap(),
            OrgName::parse("camp").unwrap(),
        );
        let source = SqliteStore::open(&data, &state).unwrap();
        let subscriber = SqliteStore::open_file_unshared(&data.join("camp.sqlite3")).unwrap();
        let reopen = || {
            let (data, camp) = (data.clone(), camp.clone());
            async move { Arc::new(SqliteStore::open(&data, &camp).unwrap()) as Arc<dyn Store> }
        };
        votebase_store::conformance::voter_file::run(&source, &state, &subscriber, reopen).await;

        // Inside the database: a subscriber's connection can write neither the views nor
        // the attached file, whatever SQL it runs.
        subscriber
            .set_voter_file_source(Some(&state))
            .await
            .unwrap();
        let shared = SqliteStore::open(&data, &camp).unwrap();
        let before = source.count_voters().await.unwrap();
        let conn = shared.conn().unwrap();
        for sql in [
            "DELETE FROM voters",
            "UPDATE snapshots SET voters = 0",
            "DELETE FROM voter_file.voters",
            "INSERT INTO voter_file.history_files VALUES ('x', 'x', 'x', 0)",
        ] {
            let e = conn.execute(sql, []).expect_err(sql).to_string();
            assert!(
                e.contains("view") || e.contains("readonly") || e.contains("read-only"),
                "{sql}: {e}"
            );
        }
        assert_eq!(source.count_voters().await.unwrap(), before);

        // A missing source is named; a chain is refused.
        std::fs::copy(data.join("camp.sqlite3"), data.join("orphan.sqlite3")).unwrap();
        let orphan = SqliteStore::open_file_unshared(&data.join("orphan.sqlite3")).unwrap();
        orphan
            .set_voter_file_source(Some(&OrgName::parse("gone").unwrap()))
            .await
            .unwrap();
        let e = SqliteStore::open_file(&data.join("orphan.sqlite3"))
            .err()
            .expect("a missing source")
            .to_string();
        assert!(
            e.contains("organization gone") && e.contains("no file"),
            "{e}"
        );
        orphan.set_voter_file_source(Some(&camp)).await.unwrap();
        let e = SqliteStore::open_file(&data.join("orphan.sqlite3"))
            .err()
            .expect("a chain")
            .to_string();
        assert!(
            e.contains("reads the voter file of state_file itself"),
            "{e}"
        );
        drop((source, subscriber, shared, orphan));
        std::fs::remove_dir_all(&data).ok();
    }
}
