//! Voters, snapshots, change records and vote history in PostgreSQL. An import streams
//! the file's rows with `COPY` into a temporary staging table, drops later duplicates of
//! a voter id, and computes added, removed and changed voters with set-based SQL, all in
//! one transaction: an abort or a failure rolls back to the previous snapshot exactly. A
//! first load into an empty table COPYs straight into `voters` (its keys rebuilt after),
//! staging only rows whose voter id may repeat.

use crate::copy;
use crate::db;
use chrono::{NaiveDate, Utc};
use futures::TryStreamExt;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_domain::search::prefix_upper_bound;
use votebase_domain::{ChangeKind, FieldChange, SnapshotSummary, VoteHistoryRecord, VoterQuery};
use votebase_store::columns::{ColumnType, VOTER_COLUMNS, record_from_texts};
use votebase_store::purges::RollTally;
use votebase_store::{
    DuplicateRow, HistoryBatch, HistoryOutcome, IMPORT_CUT_SHORT, ImportBatch, ImportOutcome,
    NewSnapshot, StoreError, StoreResult, StoredVoter, VoterSummary,
};

const SNAPSHOT_COLS: &str =
    "id, as_of, source_file, file_sha256, imported_at, voters, added, removed, changed, rejected";

/// Bytes of COPY text buffered before they are sent, within one received batch.
const COPY_CHUNK: usize = 4 << 20;

fn snapshot_from_row(r: &PgRow) -> Result<SnapshotSummary, sqlx::Error> {
    Ok(SnapshotSummary {
        id: r.try_get(0)?,
        as_of: r.try_get(1)?,
        source_file: r.try_get(2)?,
        file_sha256: r.try_get(3)?,
        imported_at: r.try_get(4)?,
        voters: r.try_get(5)?,
        added: r.try_get(6)?,
        removed: r.try_get(7)?,
        changed: r.try_get(8)?,
        rejected: r.try_get(9)?,
    })
}

async fn one_snapshot(
    c: &mut PgConnection,
    sql: String,
    sha: Option<&str>,
) -> StoreResult<Option<SnapshotSummary>> {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if let Some(sha) = sha {
        q = q.bind(sha.to_string());
    }
    let row = q.fetch_optional(c).await.map_err(db)?;
    row.as_ref().map(snapshot_from_row).transpose().map_err(db)
}

pub(crate) async fn snapshot_by_sha(
    c: &mut PgConnection,
    sha: &str,
) -> StoreResult<Option<SnapshotSummary>> {
    one_snapshot(
        c,
        format!("SELECT {SNAPSHOT_COLS} FROM snapshots WHERE file_sha256 = $1"),
        Some(sha),
    )
    .await
}

pub(crate) async fn latest_snapshot(c: &mut PgConnection) -> StoreResult<Option<SnapshotSummary>> {
    one_snapshot(
        c,
        format!("SELECT {SNAPSHOT_COLS} FROM snapshots ORDER BY id DESC LIMIT 1"),
        None,
    )
    .await
}

pub(crate) async fn list_snapshots(c: &mut PgConnection) -> StoreResult<Vec<SnapshotSummary>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SNAPSHOT_COLS} FROM snapshots ORDER BY id"
    )))
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(snapshot_from_row)
        .collect::<Result<_, _>>()
        .map_err(db)
}

fn column_list() -> String {
    VOTER_COLUMNS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one statement (no parameters) with the simple protocol, so that nothing about
/// the per-transaction temporary tables is cached; returns the rows affected.
async fn exec(c: &mut PgConnection, sql: impl Into<String>) -> StoreResult<u64> {
    let sql: String = sql.into();
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        .map_err(db)
}

/// Writes one snapshot; see [`votebase_store::Store::import_voters`].
pub(crate) async fn import_voters(
    pool: &PgPool,
    snapshot: NewSnapshot,
    mut rows: Receiver<ImportBatch>,
) -> StoreResult<ImportOutcome> {
    let mut tx = pool.begin().await.map_err(db)?;
    // One import at a time per organization; readers are not blocked.
    exec(&mut tx, "LOCK TABLE snapshots IN SHARE ROW EXCLUSIVE MODE").await?;
    if let Some(latest) = latest_snapshot(&mut tx).await?
        && snapshot.as_of < latest.as_of
    {
        return Err(StoreError::Refused(format!(
            "this file is as of {}, older than the latest snapshot ({}, as of {}); \
             snapshots must be imported in date order",
            snapshot.as_of, latest.id, latest.as_of
        )));
    }
    if let Some(same) = snapshot_by_sha(&mut tx, &snapshot.file_sha256).await? {
        return Err(StoreError::Refused(format!(
            "this file was already imported as snapshot {}",
            same.id
        )));
    }
    let snapshot_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots")
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let first_load: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM voters)")
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;

    let cols = column_list();
    exec(
        &mut tx,
        format!(
            "SET LOCAL work_mem = '128MB';
             SET LOCAL maintenance_work_mem = '512MB';
             CREATE TEMP TABLE staging ON COMMIT DROP AS
               SELECT {cols}, row_hash, 0::bigint AS line FROM voters WITH NO DATA;"
        ),
    )
    .await?;
    // A first load COPYs straight into `voters`, its keys dropped until the end (see
    // [`FirstLoad`]); only rows whose id hash was seen before go through staging. A
    // refresh stages every row and diffs.
    let first = if first_load {
        Some(FirstLoad::prepare(&mut tx).await?)
    } else {
        None
    };
    let target = if first.is_some() {
        format!("COPY voters ({cols}, row_hash, present, first_snapshot) FROM STDIN")
    } else {
        format!("COPY staging ({cols}, row_hash, line) FROM STDIN")
    };

    // Stream every batch through one COPY.
    let mut copy_in = tx.copy_in_raw(&target).await.map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + (64 << 10));
    // 64-bit hashes of the ids seen: when none repeats, the file has no duplicate ids and
    // the SQL dedupe pass is skipped. A repeat (or a hash collision) runs it; it is exact.
    let mut seen = IdHashes::default();
    let mut maybe_duplicates = false;
    // First load: the rows whose id hash repeats, kept for staging after the COPY.
    let mut repeats: Vec<u8> = Vec::new();
    // The roll, counted as the rows go by: when no id repeats, every row sent is a voter
    // present after the import (see `RollTally`); otherwise it is read back with SQL.
    let mut roll = RollTally::default();
    loop {
        // A channel closed without `End` is a reader that died: roll back.
        let batch = match rows.recv().await {
            Some(ImportBatch::Rows(b)) => b,
            Some(ImportBatch::End) => break,
            None => {
                let why = IMPORT_CUT_SHORT.to_string();
                copy_in.abort(why.clone()).await.map_err(db)?;
                tx.rollback().await.map_err(db)?;
                return Err(StoreError::Aborted(why));
            }
            Some(ImportBatch::Abort(why)) => {
                // The server discards what it received; the rollback undoes the rest.
                copy_in.abort(why.clone()).await.map_err(db)?;
                tx.rollback().await.map_err(db)?;
                return Err(StoreError::Aborted(why));
            }
        };
        for v in &batch {
            roll.add(&v.record);
            let new_id = seen.insert(&v.record.state_voter_id);
            maybe_duplicates |= !new_id;
            if first.is_none() {
                copy::encode_voter(&mut buf, v);
            } else if new_id {
                copy::encode_voter_present(&mut buf, v, snapshot_id);
            } else {
                copy::encode_voter(&mut repeats, v);
            }
            if buf.len() >= COPY_CHUNK {
                copy_in.send(buf.as_slice()).await.map_err(db)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy_in.send(buf.as_slice()).await.map_err(db)?;
            buf.clear();
        }
    }
    drop((buf, seen));
    let received = copy_in.finish().await.map_err(db)? as i64;

    let (staged, mut duplicates, added, removed, changed);
    if let Some(first) = first {
        // The keys first: every id is in `voters` at most once (its first row).
        first.finish(&mut tx).await?;
        // Rows with a repeated id hash: a later line of an id already loaded is a
        // duplicate; the rest (hash collisions) keep their lowest line and are loaded.
        let mut repeated = 0;
        duplicates = Vec::new();
        if !repeats.is_empty() {
            let mut copy_in = tx
                .copy_in_raw(&format!("COPY staging ({cols}, row_hash, line) FROM STDIN"))
                .await
                .map_err(db)?;
            copy_in.send(repeats.as_slice()).await.map_err(db)?;
            repeated = copy_in.finish().await.map_err(db)? as i64;
            duplicates = remove_repeats(&mut tx).await?;
            exec(
                &mut tx,
                format!(
                    "INSERT INTO voters ({cols}, row_hash, present, first_snapshot)
                     SELECT {cols}, row_hash, true, {snapshot_id} FROM staging"
                ),
            )
            .await?;
        }
        staged = received + repeated - duplicates.len() as i64;
        (added, removed, changed) = (staged, 0, 0);
    } else {
        // Statistics for the key only: the joins and the grouping below use nothing
        // else, and a full ANALYZE of 40-odd text columns costs more than it saves.
        exec(&mut tx, "ANALYZE staging (state_voter_id)").await?;
        // Later lines repeating a voter id are refused; the lowest line stays.
        duplicates = if maybe_duplicates {
            remove_duplicates(&mut tx).await?
        } else {
            Vec::new()
        };
        staged = received - duplicates.len() as i64;
        (added, removed, changed) = apply_diff(&mut tx, &cols, snapshot_id).await?;
    }
    duplicates.sort_by(|a, b| (a.line, &a.state_voter_id).cmp(&(b.line, &b.state_voter_id)));

    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO snapshots ({SNAPSHOT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING {SNAPSHOT_COLS}"
    )))
    .bind(snapshot_id)
    .bind(snapshot.as_of)
    .bind(&snapshot.source_file)
    .bind(&snapshot.file_sha256)
    .bind(Utc::now())
    .bind(staged)
    .bind(added)
    .bind(removed)
    .bind(changed)
    .bind(snapshot.rejected + duplicates.len() as i64)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let summary = snapshot_from_row(&row).map_err(db)?;
    // Purge watch: the roll of this snapshot, in the same transaction.
    if maybe_duplicates {
        crate::purges::record_roll(&mut tx, snapshot_id).await?;
    } else {
        crate::purges::record_counted_roll(&mut tx, snapshot_id, &roll).await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(ImportOutcome {
        snapshot: summary,
        duplicates,
    })
}

/// Deletes from staging every row whose voter id appears on a lower line, and returns them.
async fn remove_duplicates(tx: &mut PgConnection) -> StoreResult<Vec<DuplicateRow>> {
    let dup_rows = sqlx::query(
        "WITH d AS (
           SELECT state_voter_id, min(line) AS keep FROM staging
           GROUP BY state_voter_id HAVING count(*) > 1
         )
         DELETE FROM staging s USING d
         WHERE s.state_voter_id = d.state_voter_id AND s.line <> d.keep
         RETURNING s.line, s.state_voter_id",
    )
    .persistent(false)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    dup_rows
        .iter()
        .map(|r| {
            Ok(DuplicateRow {
                line: r.try_get::<i64, _>(0)? as u64,
                state_voter_id: r.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(db)
}

/// A set of 64-bit hashes of voter ids (8 bytes per id, no copies of the strings).
#[derive(Default)]
struct IdHashes(HashSet<u64, BuildHasherDefault<PassThrough>>);

impl IdHashes {
    /// Adds an id; false if its hash was already there.
    fn insert(&mut self, id: &str) -> bool {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write(id.as_bytes());
        self.0.insert(h.finish())
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A first load into an empty `voters` table: the primary key and the secondary indexes
/// are dropped before the rows are COPYed in and rebuilt once at the end (a sort each,
/// faster than maintaining them row by row), all inside the import's transaction.
/// Definitions are read from the catalog, so indexes added by later migrations are kept.
struct FirstLoad {
    primary_key: Option<(String, String)>,
    indexes: Vec<(String, String)>,
}

impl FirstLoad {
    /// Drops the keys of the empty table.
    async fn prepare(tx: &mut PgConnection) -> StoreResult<Self> {
        let primary_key: Option<(String, String)> = sqlx::query_as(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'voters'::regclass AND contype = 'p'",
        )
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.relname::text, pg_get_indexdef(i.oid)
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
             WHERE x.indrelid = 'voters'::regclass AND NOT x.indisprimary AND NOT x.indisunique
             ORDER BY i.relname",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        if let Some((name, _)) = &primary_key {
            exec(
                tx,
                format!("ALTER TABLE voters DROP CONSTRAINT {}", quote_ident(name)),
            )
            .await?;
        }
        for (name, _) in &indexes {
            exec(tx, format!("DROP INDEX {}", quote_ident(name))).await?;
        }
        Ok(Self {
            primary_key,
            indexes,
        })
    }

    /// Builds the keys again over the loaded rows.
    async fn finish(self, tx: &mut PgConnection) -> StoreResult<()> {
        if let Some((name, def)) = &self.primary_key {
            exec(
                tx,
                format!(
                    "ALTER TABLE voters ADD CONSTRAINT {} {def}",
                    quote_ident(name)
                ),
            )
            .await?;
        }
        for (_, def) in &self.indexes {
            exec(tx, def.as_str()).await?;
        }
        Ok(())
    }
}

/// First load: of the rows staged because their id hash repeated, deletes (and returns)
/// those whose id is already in `voters` (loaded from a lower line) or on a lower line
/// of staging; what stays are hash collisions, each id once.
async fn remove_repeats(tx: &mut PgConnection) -> StoreResult<Vec<DuplicateRow>> {
    let dup_rows = sqlx::query(
        "DELETE FROM staging s USING (
           SELECT r.line FROM (
             SELECT line, state_voter_id,
                    row_number() OVER (PARTITION BY state_voter_id ORDER BY line) AS n
             FROM staging) r
           WHERE r.n > 1
              OR EXISTS (SELECT 1 FROM voters v WHERE v.state_voter_id = r.state_voter_id)
         ) d
         WHERE s.line = d.line
         RETURNING s.line, s.state_voter_id",
    )
    .persistent(false)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    dup_rows
        .iter()
        .map(|r| {
            Ok(DuplicateRow {
                line: r.try_get::<i64, _>(0)? as u64,
                state_voter_id: r.try_get(1)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(db)
}

/// An identifier quoted for SQL.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A refresh: records added, removed and changed voters and brings `voters` up to the
/// staged file. Returns (added, removed, changed).
async fn apply_diff(
    tx: &mut PgConnection,
    cols: &str,
    snapshot_id: i64,
) -> StoreResult<(i64, i64, i64)> {
    // Every staged row that needs writing: new, re-appearing, or with another hash.
    exec(
        tx,
        "CREATE TEMP TABLE delta ON COMMIT DROP AS
           SELECT s.*, (v.state_voter_id IS NULL OR NOT v.present) AS is_added
           FROM staging s LEFT JOIN voters v ON v.state_voter_id = s.state_voter_id
           WHERE v.state_voter_id IS NULL OR NOT v.present OR v.row_hash <> s.row_hash;
         ANALYZE delta (state_voter_id);",
    )
    .await?;
    let added = exec(
        tx,
        format!(
            "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
             SELECT {snapshot_id}, state_voter_id, 'added', '', '', '' FROM delta WHERE is_added"
        ),
    )
    .await? as i64;
    let removed = exec(
        tx,
        format!(
            "WITH gone AS (
               UPDATE voters v SET present = false, removed_snapshot = {snapshot_id}
               WHERE v.present AND NOT EXISTS
                 (SELECT 1 FROM staging s WHERE s.state_voter_id = v.state_voter_id)
               RETURNING v.state_voter_id
             )
             INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
             SELECT {snapshot_id}, state_voter_id, 'removed', '', '', '' FROM gone"
        ),
    )
    .await? as i64;
    let changed: i64 = sqlx::query_scalar("SELECT count(*) FROM delta WHERE NOT is_added")
        .persistent(false)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    if changed > 0 {
        // One row per differing field, old and new value as text ('' for NULL).
        let fields = VOTER_COLUMNS
            .iter()
            .skip(1)
            .map(|(n, ty)| {
                let (old, new) = match ty {
                    ColumnType::Text => (format!("v.{n}"), format!("d.{n}")),
                    ColumnType::Int | ColumnType::Date => (
                        format!("COALESCE(v.{n}::text, '') COLLATE \"C\""),
                        format!("COALESCE(d.{n}::text, '') COLLATE \"C\""),
                    ),
                };
                format!("('{n}', {old}, {new}, v.{n} IS DISTINCT FROM d.{n})")
            })
            .collect::<Vec<_>>()
            .join(",\n");
        exec(
            tx,
            format!(
                "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
                 SELECT {snapshot_id}, d.state_voter_id, 'changed', f.field, f.old_value, f.new_value
                 FROM delta d JOIN voters v ON v.state_voter_id = d.state_voter_id
                 CROSS JOIN LATERAL (VALUES {fields}) AS f (field, old_value, new_value, differs)
                 WHERE NOT d.is_added AND f.differs"
            ),
        )
        .await?;
    }
    let updates = VOTER_COLUMNS
        .iter()
        .skip(1)
        .map(|(n, _)| format!("{n} = EXCLUDED.{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    exec(
        tx,
        format!(
            "INSERT INTO voters ({cols}, row_hash, present, first_snapshot)
             SELECT {cols}, row_hash, true, {snapshot_id} FROM delta
             ON CONFLICT (state_voter_id) DO UPDATE SET {updates},
               row_hash = EXCLUDED.row_hash, present = true, removed_snapshot = NULL
             WHERE voters.row_hash <> EXCLUDED.row_hash OR NOT voters.present"
        ),
    )
    .await?;
    Ok((added, removed, changed))
}

pub(crate) async fn count_voters(c: &mut PgConnection) -> StoreResult<i64> {
    // The latest snapshot records how many voters it holds: no scan of the table.
    sqlx::query_scalar(
        "SELECT COALESCE((SELECT voters FROM snapshots ORDER BY id DESC LIMIT 1), 0)",
    )
    .fetch_one(c)
    .await
    .map_err(db)
}

/// Streams present voters ordered by id, in batches (a server-side cursor via `fetch`).
pub(crate) async fn export_voters(
    c: &mut PgConnection,
    batch_size: usize,
    out: tokio::sync::mpsc::Sender<Vec<votebase_domain::VoterRecord>>,
) -> StoreResult<()> {
    let sql = format!(
        "{} WHERE present ORDER BY state_voter_id",
        select_voter_sql()
    );
    stream_batches(c, sql, Vec::new(), batch_size, out, |row| {
        Ok(stored_from_row(row)?.record)
    })
    .await
}

/// Runs `sql` with `args` and sends what `decode` makes of each row, in batches of up
/// to `batch_size` (a server-side cursor via `fetch`); stops early if the receiver is
/// dropped.
pub(crate) async fn stream_batches<T>(
    c: &mut PgConnection,
    sql: String,
    args: Vec<String>,
    batch_size: usize,
    out: Sender<Vec<T>>,
    decode: impl Fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<()> {
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for a in args {
        query = query.bind(a);
    }
    let mut rows = query.fetch(c);
    let size = batch_size.max(1);
    let mut batch = Vec::with_capacity(size);
    while let Some(row) = rows.try_next().await.map_err(db)? {
        batch.push(decode(&row)?);
        if batch.len() >= size && out.send(std::mem::take(&mut batch)).await.is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = out.send(batch).await;
    }
    Ok(())
}

fn select_voter_sql() -> String {
    let cols = VOTER_COLUMNS
        .iter()
        .map(|(n, _)| format!("{n}::text"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {cols}, present, first_snapshot, removed_snapshot FROM voters")
}

fn stored_from_row(r: &PgRow) -> StoreResult<StoredVoter> {
    let n = VOTER_COLUMNS.len();
    let texts = (0..n)
        .map(|i| r.try_get::<Option<String>, _>(i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    let present: bool = r.try_get(n).map_err(db)?;
    let first_snapshot: i64 = r.try_get(n + 1).map_err(db)?;
    let removed_snapshot: Option<i64> = r.try_get(n + 2).map_err(db)?;
    Ok(StoredVoter {
        record: record_from_texts(texts)?,
        present,
        first_snapshot,
        removed_snapshot,
    })
}

pub(crate) async fn get_voter(c: &mut PgConnection, id: &str) -> StoreResult<Option<StoredVoter>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{} WHERE state_voter_id = $1",
        select_voter_sql()
    )))
    .bind(id.to_string())
    .fetch_optional(c)
    .await
    .map_err(db)?;
    row.as_ref().map(stored_from_row).transpose()
}

/// See [`votebase_store::Store::registration_matches`]: the name index narrows, the
/// birth year and ZIP filter in the same query.
pub(crate) async fn registration_matches(
    c: &mut PgConnection,
    last: &str,
    first: &str,
    birth_year: i32,
    zip5: &str,
) -> StoreResult<Vec<StoredVoter>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{} WHERE last_name = $1 AND first_name = $2 AND birth_year = $3 AND zip5 = $4
         ORDER BY present DESC, state_voter_id",
        select_voter_sql()
    )))
    .bind(last.to_string())
    .bind(first.to_string())
    .bind(birth_year)
    .bind(zip5.to_string())
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter().map(stored_from_row).collect()
}

pub(crate) async fn search_voters(
    c: &mut PgConnection,
    q: &VoterQuery,
) -> StoreResult<Vec<VoterSummary>> {
    let mut qb: QueryBuilder<sqlx::Postgres> = QueryBuilder::new(select_voter_sql());
    let mut any = false;
    let mut next = |qb: &mut QueryBuilder<sqlx::Postgres>| {
        qb.push(if any { " OR " } else { " WHERE " });
        any = true;
    };
    if !q.ids.is_empty() {
        next(&mut qb);
        qb.push("state_voter_id = ANY(")
            .push_bind(q.ids.clone())
            .push(") OR local_voter_id = ANY(")
            .push_bind(q.ids.clone())
            .push(")");
    }
    for n in &q.names {
        next(&mut qb);
        qb.push("(last_name >= ")
            .push_bind(n.last_prefix.clone())
            .push(" AND last_name < ")
            .push_bind(prefix_upper_bound(&n.last_prefix));
        if !n.first_prefix.is_empty() {
            qb.push(" AND first_name >= ")
                .push_bind(n.first_prefix.clone())
                .push(" AND first_name < ")
                .push_bind(prefix_upper_bound(&n.first_prefix));
        }
        qb.push(")");
    }
    if let Some(a) = &q.address {
        next(&mut qb);
        qb.push("(street_name >= ")
            .push_bind(a.street_prefix.clone())
            .push(" AND street_name < ")
            .push_bind(prefix_upper_bound(&a.street_prefix));
        if !a.house_number.is_empty() {
            qb.push(" AND house_number = ")
                .push_bind(a.house_number.clone());
        }
        qb.push(")");
    }
    if !any {
        return Ok(Vec::new());
    }
    qb.push(" ORDER BY present DESC, last_name, first_name, state_voter_id LIMIT ")
        .push(q.limit.clamp(1, 1000));
    let rows = qb.build().fetch_all(c).await.map_err(db)?;
    rows.iter()
        .map(|r| stored_from_row(r).map(|v| VoterSummary::of(&v)))
        .collect()
}

fn change_from_row(r: &PgRow) -> Result<FieldChange, sqlx::Error> {
    let kind: String = r.try_get(3)?;
    Ok(FieldChange {
        snapshot_id: r.try_get(0)?,
        as_of: r.try_get::<NaiveDate, _>(1)?,
        state_voter_id: r.try_get(2)?,
        kind: ChangeKind::from_code(&kind).unwrap_or(ChangeKind::Changed),
        field: r.try_get(4)?,
        old_value: r.try_get(5)?,
        new_value: r.try_get(6)?,
    })
}

const CHANGE_SELECT: &str = "SELECT c.snapshot_id, s.as_of, c.state_voter_id, c.kind, c.field, \
    c.old_value, c.new_value FROM voter_changes c JOIN snapshots s ON s.id = c.snapshot_id";

pub(crate) async fn voter_changes(c: &mut PgConnection, id: &str) -> StoreResult<Vec<FieldChange>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{CHANGE_SELECT} WHERE c.state_voter_id = $1 ORDER BY c.snapshot_id, c.id"
    )))
    .bind(id.to_string())
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(change_from_row)
        .collect::<Result<_, _>>()
        .map_err(db)
}

pub(crate) async fn snapshot_changes(
    c: &mut PgConnection,
    snapshot_id: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<FieldChange>> {
    // As in SQLite: a negative limit means no limit, a negative offset means none.
    let limit = (limit >= 0).then_some(limit);
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{CHANGE_SELECT} WHERE c.snapshot_id = $1
         ORDER BY c.state_voter_id, c.field LIMIT $2 OFFSET $3"
    )))
    .bind(snapshot_id)
    .bind(limit)
    .bind(offset.max(0))
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(change_from_row)
        .collect::<Result<_, _>>()
        .map_err(db)
}

/// Loads vote history: every batch is streamed with `COPY` into a staging table, then
/// one `INSERT ... ON CONFLICT DO NOTHING` keeps the first row per (voter, election)
/// in file order; rows already stored count as unchanged. An `Err` batch aborts the
/// COPY and rolls back: nothing is written.
pub(crate) async fn import_history(
    pool: &PgPool,
    source_file: &str,
    file_sha256: &str,
    mut rows: Receiver<HistoryBatch>,
) -> StoreResult<HistoryOutcome> {
    const HISTORY_COLS: &str = "state_voter_id, election_date, election_desc, voting_method, \
                                voted_party, county_name, precinct";
    let mut tx = pool.begin().await.map_err(db)?;
    exec(
        &mut tx,
        format!(
            "SET LOCAL work_mem = '128MB';
             CREATE TEMP TABLE history_staging ON COMMIT DROP AS
               SELECT {HISTORY_COLS} FROM vote_history WITH NO DATA;"
        ),
    )
    .await?;
    let mut copy_in = tx
        .copy_in_raw(&format!("COPY history_staging ({HISTORY_COLS}) FROM STDIN"))
        .await
        .map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + (64 << 10));
    loop {
        let batch = match votebase_store::next_rows(rows.recv().await) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(why) => {
                copy_in.abort(why.clone()).await.map_err(db)?;
                tx.rollback().await.map_err(db)?;
                return Err(StoreError::Aborted(why));
            }
        };
        for h in &batch {
            copy::encode_history(&mut buf, h);
            if buf.len() >= COPY_CHUNK {
                copy_in.send(buf.as_slice()).await.map_err(db)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy_in.send(buf.as_slice()).await.map_err(db)?;
            buf.clear();
        }
    }
    let total = copy_in.finish().await.map_err(db)? as i64;
    // Temporary tables are never scanned in parallel or with synchronised scans, so the
    // scan returns rows in the order they were copied: the first row of a pair wins.
    let inserted = exec(
        &mut tx,
        format!(
            "INSERT INTO vote_history ({HISTORY_COLS})
             SELECT {HISTORY_COLS} FROM history_staging
             ON CONFLICT (state_voter_id, election_date) DO NOTHING"
        ),
    )
    .await? as i64;
    sqlx::query(
        "INSERT INTO history_files (file_sha256, source_file, imported_at, inserted)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (file_sha256) DO NOTHING",
    )
    .bind(file_sha256.to_string())
    .bind(source_file.to_string())
    .bind(Utc::now())
    .bind(inserted)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(HistoryOutcome {
        inserted,
        unchanged: total - inserted,
    })
}

pub(crate) async fn voter_history(
    c: &mut PgConnection,
    id: &str,
) -> StoreResult<Vec<VoteHistoryRecord>> {
    let rows = sqlx::query(
        "SELECT state_voter_id, election_date, election_desc, voting_method, voted_party,
                county_name, precinct
         FROM vote_history WHERE state_voter_id = $1 ORDER BY election_date DESC",
    )
    .bind(id.to_string())
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(history_from_row)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db)
}

fn history_from_row(r: &PgRow) -> Result<VoteHistoryRecord, sqlx::Error> {
    Ok(VoteHistoryRecord {
        state_voter_id: r.try_get(0)?,
        election_date: r.try_get(1)?,
        election_desc: r.try_get(2)?,
        voting_method: r.try_get(3)?,
        voted_party: r.try_get(4)?,
        county_name: r.try_get(5)?,
        precinct: r.try_get(6)?,
    })
}

/// Streams every vote-history row in batches, ordered by voter then election.
pub(crate) async fn export_vote_history(
    c: &mut PgConnection,
    batch_size: usize,
    out: tokio::sync::mpsc::Sender<Vec<VoteHistoryRecord>>,
) -> StoreResult<()> {
    stream_batches(
        c,
        "SELECT state_voter_id, election_date, election_desc, voting_method, voted_party,
                county_name, precinct
         FROM vote_history ORDER BY state_voter_id, election_date"
            .to_string(),
        Vec::new(),
        batch_size,
        out,
        |row| history_from_row(row).map_err(db),
    )
    .await
}
