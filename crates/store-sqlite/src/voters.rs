//! Voters, snapshots, change records and vote history in SQLite. An import stages the
//! file's rows in a temporary table and computes added, removed and changed voters with
//! set-based SQL inside one transaction, so memory stays flat and a crash leaves the
//! previous snapshot exactly as it was.

use crate::db;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_domain::search::prefix_upper_bound;
use votebase_domain::{ChangeKind, FieldChange, SnapshotSummary, VoteHistoryRecord, VoterQuery};
use votebase_store::columns::{ColumnValue, VOTER_COLUMNS, record_from_texts, voter_values_with};
use votebase_store::purges::RollTally;
use votebase_store::{
    DuplicateRow, HistoryBatch, HistoryOutcome, IMPORT_CUT_SHORT, ImportBatch, ImportOutcome,
    NewSnapshot, StagedVoter, StoreError, StoreResult, StoredVoter, VoterSummary,
};

const SNAPSHOT_COLS: &str =
    "id, as_of, source_file, file_sha256, imported_at, voters, added, removed, changed, rejected";

fn snapshot_from_row(r: &Row<'_>) -> rusqlite::Result<SnapshotSummary> {
    let as_of: String = r.get(1)?;
    let imported: String = r.get(4)?;
    Ok(SnapshotSummary {
        id: r.get(0)?,
        as_of: NaiveDate::parse_from_str(&as_of, "%Y-%m-%d").unwrap_or_default(),
        source_file: r.get(2)?,
        file_sha256: r.get(3)?,
        imported_at: DateTime::parse_from_rfc3339(&imported)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default(),
        voters: r.get(5)?,
        added: r.get(6)?,
        removed: r.get(7)?,
        changed: r.get(8)?,
        rejected: r.get(9)?,
    })
}

pub(crate) fn snapshot_by_sha(c: &Connection, sha: &str) -> StoreResult<Option<SnapshotSummary>> {
    c.query_row(
        &format!("SELECT {SNAPSHOT_COLS} FROM snapshots WHERE file_sha256 = ?1"),
        [sha],
        snapshot_from_row,
    )
    .optional()
    .map_err(db)
}

pub(crate) fn latest_snapshot(c: &Connection) -> StoreResult<Option<SnapshotSummary>> {
    c.query_row(
        &format!("SELECT {SNAPSHOT_COLS} FROM snapshots ORDER BY id DESC LIMIT 1"),
        [],
        snapshot_from_row,
    )
    .optional()
    .map_err(db)
}

pub(crate) fn list_snapshots(c: &Connection) -> StoreResult<Vec<SnapshotSummary>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {SNAPSHOT_COLS} FROM snapshots ORDER BY id"
        ))
        .map_err(db)?;
    let rows = stmt.query_map([], snapshot_from_row).map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn column_list() -> String {
    VOTER_COLUMNS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn bind_value(
    stmt: &mut rusqlite::Statement<'_>,
    index: usize,
    v: &ColumnValue<'_>,
) -> rusqlite::Result<()> {
    match v {
        ColumnValue::Text(s) => stmt.raw_bind_parameter(index, *s),
        ColumnValue::OwnedText(s) => stmt.raw_bind_parameter(index, s.as_str()),
        ColumnValue::Int(i) => stmt.raw_bind_parameter(index, *i),
        ColumnValue::Date(d) => stmt.raw_bind_parameter(index, d.map(|d| d.to_string())),
    }
}

/// Writes one snapshot; see [`votebase_store::Store::import_voters`].
pub(crate) fn import_voters(
    conn: &mut Connection,
    snapshot: NewSnapshot,
    rows: Receiver<ImportBatch>,
) -> StoreResult<ImportOutcome> {
    // A larger page cache (256 MiB) while importing keeps the index builds in memory;
    // memory stays bounded by it whatever the file's size. The sorter may use a second
    // thread: the index builds run after the file is read, when the reader's core is
    // free. Both set back afterwards.
    conn.execute_batch("PRAGMA cache_size = -262144; PRAGMA threads = 2;")
        .map_err(db)?;
    let result = import_voters_tx(conn, snapshot, rows);
    conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA threads = 0;")
        .map_err(db)?;
    result
}

fn import_voters_tx(
    conn: &mut Connection,
    snapshot: NewSnapshot,
    mut rows: Receiver<ImportBatch>,
) -> StoreResult<ImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    if let Some(latest) = latest_snapshot(&tx)?
        && snapshot.as_of < latest.as_of
    {
        return Err(StoreError::Refused(format!(
            "this file is as of {}, older than the latest snapshot ({}, as of {}); \
                 snapshots must be imported in date order",
            snapshot.as_of, latest.id, latest.as_of
        )));
    }
    if let Some(same) = snapshot_by_sha(&tx, &snapshot.file_sha256)? {
        return Err(StoreError::Refused(format!(
            "this file was already imported as snapshot {}",
            same.id
        )));
    }
    let snapshot_id: i64 = tx
        .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots", [], |r| {
            r.get(0)
        })
        .map_err(db)?;
    let first_load: bool = tx
        .query_row("SELECT NOT EXISTS (SELECT 1 FROM voters)", [], |r| r.get(0))
        .map_err(db)?;

    let cols = column_list();
    let placeholders = (0..VOTER_COLUMNS.len() + 2)
        .map(|i| format!("?{}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    tx.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.staging;
         CREATE TEMP TABLE staging AS SELECT {cols}, row_hash, 0 AS line FROM voters WHERE 0;
         CREATE UNIQUE INDEX temp.staging_id ON staging (state_voter_id);"
    ))
    .map_err(db)?;
    if first_load {
        // An empty table: secondary indexes are rebuilt once at the end, faster than
        // maintaining them row by row.
        tx.execute_batch(
            "DROP INDEX IF EXISTS voters_name; DROP INDEX IF EXISTS voters_street;
             DROP INDEX IF EXISTS voters_local_id; DROP INDEX IF EXISTS voters_id;",
        )
        .map_err(db)?;
    }
    let mut duplicates = Vec::new();
    let mut staged = 0i64;
    // Every row written is a voter present after the import (a first load writes the
    // file's rows, a refresh brings `voters` to the staged rows): the roll is counted
    // here rather than by sorting the table twice at the end.
    let mut roll = RollTally::default();
    {
        let target = if first_load {
            format!(
                "INSERT OR IGNORE INTO voters ({cols}, row_hash, first_snapshot, present) \
                 VALUES ({placeholders}, 1)"
            )
        } else {
            format!(
                "INSERT OR IGNORE INTO staging ({cols}, row_hash, line) VALUES ({placeholders})"
            )
        };
        let mut insert = tx.prepare(&target).map_err(db)?;
        let mut waited = std::time::Duration::ZERO;
        let mut inserting = std::time::Duration::ZERO;
        // Written batches are freed on another thread: the rows were allocated by the
        // reader's workers, and freeing a million records' strings is work the single
        // writer need not do.
        let (freed, to_free) = std::sync::mpsc::sync_channel::<Vec<StagedVoter>>(4);
        let freer = std::thread::spawn(move || to_free.into_iter().for_each(drop));
        let result = (|| -> StoreResult<()> {
            loop {
                let t0 = std::time::Instant::now();
                // A channel closed without `End` is a reader that died: roll back.
                let Some(batch) = rows.blocking_recv() else {
                    return Err(StoreError::Aborted(IMPORT_CUT_SHORT.into()));
                };
                waited += t0.elapsed();
                let t1 = std::time::Instant::now();
                let batch = match batch {
                    ImportBatch::Rows(b) => b,
                    ImportBatch::End => break,
                    ImportBatch::Abort(why) => return Err(StoreError::Aborted(why)),
                };
                for StagedVoter {
                    line,
                    row_hash,
                    record,
                    extra_json,
                } in &batch
                {
                    let values = voter_values_with(record, extra_json);
                    for (i, v) in values.iter().enumerate() {
                        bind_value(&mut insert, i + 1, v).map_err(db)?;
                    }
                    let n_cols = values.len();
                    insert
                        .raw_bind_parameter(n_cols + 1, *row_hash)
                        .map_err(db)?;
                    insert
                        .raw_bind_parameter(
                            n_cols + 2,
                            if first_load {
                                snapshot_id
                            } else {
                                *line as i64
                            },
                        )
                        .map_err(db)?;
                    let n = insert.raw_execute().map_err(db)?;
                    if n == 1 {
                        roll.add(record);
                    }
                    if n == 0 {
                        duplicates.push(DuplicateRow {
                            line: *line,
                            state_voter_id: record.state_voter_id.clone(),
                        });
                    } else {
                        staged += 1;
                    }
                }
                inserting += t1.elapsed();
                // A freer that is gone only means freeing here.
                let _ = freed.send(batch);
            }
            Ok(())
        })();
        drop(freed);
        let _ = freer.join();
        result?;
        tracing::debug!(?waited, ?inserting, staged, "sqlite import: rows staged");
    }
    let diff_started = std::time::Instant::now();

    let (added, removed, changed);
    if first_load {
        tx.execute_batch(
            "CREATE INDEX voters_name ON voters (last_name, first_name);
             CREATE INDEX voters_street ON voters (street_name, house_number);
             CREATE INDEX voters_local_id ON voters (local_voter_id);
             CREATE INDEX voters_id ON voters (state_voter_id);",
        )
        .map_err(db)?;
        (added, removed, changed) = (staged, 0, 0);
    } else {
        added = tx
            .execute(
                "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
                 SELECT ?1, s.state_voter_id, 'added', '', '', '' FROM staging s
                 LEFT JOIN voters v ON v.state_voter_id = s.state_voter_id
                 WHERE v.state_voter_id IS NULL OR v.present = 0",
                [snapshot_id],
            )
            .map_err(db)? as i64;
        removed = tx
            .execute(
                "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
                 SELECT ?1, v.state_voter_id, 'removed', '', '', '' FROM voters v
                 WHERE v.present = 1 AND NOT EXISTS
                   (SELECT 1 FROM staging s WHERE s.state_voter_id = v.state_voter_id)",
                [snapshot_id],
            )
            .map_err(db)? as i64;
        tx.execute(
            "UPDATE voters SET present = 0, removed_snapshot = ?1
             WHERE present = 1 AND NOT EXISTS
               (SELECT 1 FROM staging s WHERE s.state_voter_id = voters.state_voter_id)",
            [snapshot_id],
        )
        .map_err(db)?;
        tx.execute_batch(
            "DROP TABLE IF EXISTS temp.changed_ids;
             CREATE TEMP TABLE changed_ids AS
               SELECT s.state_voter_id FROM staging s
               JOIN voters v ON v.state_voter_id = s.state_voter_id
               WHERE v.present = 1 AND v.row_hash <> s.row_hash;",
        )
        .map_err(db)?;
        changed = tx
            .query_row("SELECT COUNT(*) FROM changed_ids", [], |r| r.get(0))
            .map_err(db)?;
        for (name, _) in VOTER_COLUMNS.iter().skip(1) {
            tx.execute(
                &format!(
                    "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
                     SELECT ?1, c.state_voter_id, 'changed', '{name}',
                            COALESCE(CAST(v.{name} AS TEXT), ''), COALESCE(CAST(s.{name} AS TEXT), '')
                     FROM changed_ids c
                     JOIN staging s ON s.state_voter_id = c.state_voter_id
                     JOIN voters v ON v.state_voter_id = c.state_voter_id
                     WHERE v.{name} IS NOT s.{name}"
                ),
                [snapshot_id],
            )
            .map_err(db)?;
        }
        let updates = VOTER_COLUMNS
            .iter()
            .skip(1)
            .map(|(n, _)| format!("{n} = excluded.{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        tx.execute(
            &format!(
                "INSERT INTO voters ({cols}, row_hash, present, first_snapshot)
                 SELECT {cols}, row_hash, 1, ?1 FROM staging WHERE true
                 ON CONFLICT (state_voter_id) DO UPDATE SET {updates},
                   row_hash = excluded.row_hash, present = 1, removed_snapshot = NULL
                 WHERE voters.row_hash <> excluded.row_hash OR voters.present = 0"
            ),
            [snapshot_id],
        )
        .map_err(db)?;
        tx.execute_batch("DROP TABLE temp.changed_ids;")
            .map_err(db)?;
    }
    tracing::debug!(elapsed = ?diff_started.elapsed(), "sqlite import: indexes and diff");
    tx.execute_batch("DROP TABLE temp.staging;").map_err(db)?;
    // Present before, plus added, minus removed: no scan of the table.
    let present_before = latest_snapshot(&tx)?.map(|s| s.voters).unwrap_or(0);
    let voters = present_before + added - removed;
    let imported_at = Utc::now();
    tx.execute(
        &format!("INSERT INTO snapshots ({SNAPSHOT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            snapshot_id,
            snapshot.as_of.to_string(),
            snapshot.source_file,
            snapshot.file_sha256,
            imported_at.to_rfc3339(),
            voters,
            added,
            removed,
            changed,
            snapshot.rejected + duplicates.len() as i64,
        ],
    )
    .map_err(db)?;
    // Purge watch: the roll of this snapshot, in the same transaction.
    crate::purges::record_counted_roll(&tx, snapshot_id, &roll)?;
    let summary = snapshot_by_sha(&tx, &snapshot.file_sha256)?
        .ok_or_else(|| StoreError::Database("snapshot vanished".into()))?;
    let commit_started = std::time::Instant::now();
    tx.commit().map_err(db)?;
    tracing::debug!(elapsed = ?commit_started.elapsed(), "sqlite import: commit");
    Ok(ImportOutcome {
        snapshot: summary,
        duplicates,
    })
}

pub(crate) fn count_voters(c: &Connection) -> StoreResult<i64> {
    // The latest snapshot records how many voters it holds: no scan of the table.
    Ok(latest_snapshot(c)?.map(|s| s.voters).unwrap_or(0))
}

fn select_voter_sql() -> String {
    let cols = VOTER_COLUMNS
        .iter()
        .map(|(n, _)| format!("CAST({n} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {cols}, present, first_snapshot, removed_snapshot FROM voters")
}

fn stored_from_row(r: &Row<'_>) -> rusqlite::Result<StoreResult<StoredVoter>> {
    let n = VOTER_COLUMNS.len();
    let mut texts = Vec::with_capacity(n);
    for i in 0..n {
        texts.push(r.get::<_, Option<String>>(i)?);
    }
    let present: i64 = r.get(n)?;
    let first_snapshot: i64 = r.get(n + 1)?;
    let removed_snapshot: Option<i64> = r.get(n + 2)?;
    Ok(record_from_texts(texts).map(|record| StoredVoter {
        record,
        present: present == 1,
        first_snapshot,
        removed_snapshot,
    }))
}

pub(crate) fn get_voter(c: &Connection, id: &str) -> StoreResult<Option<StoredVoter>> {
    c.query_row(
        &format!("{} WHERE state_voter_id = ?1", select_voter_sql()),
        [id],
        stored_from_row,
    )
    .optional()
    .map_err(db)?
    .transpose()
}

/// See [`votebase_store::Store::registration_matches`]: the name index narrows, the
/// birth year and ZIP filter in the same query.
pub(crate) fn registration_matches(
    c: &Connection,
    last: &str,
    first: &str,
    birth_year: i32,
    zip5: &str,
) -> StoreResult<Vec<StoredVoter>> {
    let mut stmt = c
        .prepare(&format!(
            "{} WHERE last_name = ?1 AND first_name = ?2 AND birth_year = ?3 AND zip5 = ?4
             ORDER BY present DESC, state_voter_id",
            select_voter_sql()
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params![last, first, birth_year, zip5], stored_from_row)
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row.map_err(db)??);
    }
    Ok(out)
}

pub(crate) fn export_voters(
    c: &Connection,
    batch_size: usize,
    out: tokio::sync::mpsc::Sender<Vec<votebase_domain::VoterRecord>>,
) -> StoreResult<()> {
    let sql = format!(
        "{} WHERE present = 1 ORDER BY state_voter_id",
        select_voter_sql()
    );
    stream_batches(c, &sql, &[], batch_size, &out, |row| {
        Ok(stored_from_row(row).map_err(db)??.record)
    })
}

/// Runs `sql` with `args` and sends what `decode` makes of each row, in batches of up
/// to `batch_size`; stops early if the receiver is dropped.
pub(crate) fn stream_batches<T>(
    c: &Connection,
    sql: &str,
    args: &[String],
    batch_size: usize,
    out: &Sender<Vec<T>>,
    decode: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<()> {
    let mut stmt = c.prepare(sql).map_err(db)?;
    let mut rows = stmt.query(params_from_iter(args)).map_err(db)?;
    let size = batch_size.max(1);
    let mut batch = Vec::with_capacity(size);
    while let Some(row) = rows.next().map_err(db)? {
        batch.push(decode(row)?);
        if batch.len() >= size && out.blocking_send(std::mem::take(&mut batch)).is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = out.blocking_send(batch);
    }
    Ok(())
}

pub(crate) fn search_voters(c: &Connection, q: &VoterQuery) -> StoreResult<Vec<VoterSummary>> {
    let mut clauses = Vec::new();
    let mut args: Vec<String> = Vec::new();
    if !q.ids.is_empty() {
        let marks = q.ids.iter().map(|_| "?").collect::<Vec<_>>().join(", ");
        clauses.push(format!("state_voter_id IN ({marks})"));
        args.extend(q.ids.iter().cloned());
        clauses.push(format!("local_voter_id IN ({marks})"));
        args.extend(q.ids.iter().cloned());
    }
    for n in &q.names {
        let mut clause = "(last_name >= ? AND last_name < ?".to_string();
        args.push(n.last_prefix.clone());
        args.push(prefix_upper_bound(&n.last_prefix));
        if !n.first_prefix.is_empty() {
            clause.push_str(" AND first_name >= ? AND first_name < ?");
            args.push(n.first_prefix.clone());
            args.push(prefix_upper_bound(&n.first_prefix));
        }
        clause.push(')');
        clauses.push(clause);
    }
    if let Some(a) = &q.address {
        let mut clause = "(street_name >= ? AND street_name < ?".to_string();
        args.push(a.street_prefix.clone());
        args.push(prefix_upper_bound(&a.street_prefix));
        if !a.house_number.is_empty() {
            clause.push_str(" AND house_number = ?");
            args.push(a.house_number.clone());
        }
        clause.push(')');
        clauses.push(clause);
    }
    if clauses.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{} WHERE {} ORDER BY present DESC, last_name, first_name, state_voter_id LIMIT {}",
        select_voter_sql(),
        clauses.join(" OR "),
        q.limit.clamp(1, 1000)
    );
    let mut stmt = c.prepare(&sql).map_err(db)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), stored_from_row)
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(VoterSummary::of(&row.map_err(db)??));
    }
    Ok(out)
}

fn change_from_row(r: &Row<'_>) -> rusqlite::Result<FieldChange> {
    let as_of: String = r.get(1)?;
    let kind: String = r.get(3)?;
    Ok(FieldChange {
        snapshot_id: r.get(0)?,
        as_of: NaiveDate::parse_from_str(&as_of, "%Y-%m-%d").unwrap_or_default(),
        state_voter_id: r.get(2)?,
        kind: ChangeKind::from_code(&kind).unwrap_or(ChangeKind::Changed),
        field: r.get(4)?,
        old_value: r.get(5)?,
        new_value: r.get(6)?,
    })
}

const CHANGE_SELECT: &str = "SELECT c.snapshot_id, s.as_of, c.state_voter_id, c.kind, c.field, \
    c.old_value, c.new_value FROM voter_changes c JOIN snapshots s ON s.id = c.snapshot_id";

pub(crate) fn voter_changes(c: &Connection, id: &str) -> StoreResult<Vec<FieldChange>> {
    let mut stmt = c
        .prepare(&format!(
            "{CHANGE_SELECT} WHERE c.state_voter_id = ?1 ORDER BY c.snapshot_id, c.rowid"
        ))
        .map_err(db)?;
    let rows = stmt.query_map([id], change_from_row).map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(crate) fn snapshot_changes(
    c: &Connection,
    snapshot_id: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<FieldChange>> {
    let mut stmt = c
        .prepare(&format!(
            "{CHANGE_SELECT} WHERE c.snapshot_id = ?1
             ORDER BY c.state_voter_id, c.field LIMIT ?2 OFFSET ?3"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params![snapshot_id, limit, offset], change_from_row)
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(crate) fn import_history(
    conn: &mut Connection,
    source_file: &str,
    file_sha256: &str,
    mut rows: Receiver<HistoryBatch>,
) -> StoreResult<HistoryOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut out = HistoryOutcome::default();
    {
        let mut insert = tx
            .prepare(
                "INSERT OR IGNORE INTO vote_history (state_voter_id, election_date, election_desc,
                   voting_method, voted_party, county_name, precinct)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(db)?;
        while let Some(batch) =
            votebase_store::next_rows(rows.blocking_recv()).map_err(StoreError::Aborted)?
        {
            for h in &batch {
                let n = insert
                    .execute(params![
                        h.state_voter_id,
                        h.election_date.to_string(),
                        h.election_desc,
                        h.voting_method,
                        h.voted_party,
                        h.county_name,
                        h.precinct
                    ])
                    .map_err(db)?;
                if n == 1 {
                    out.inserted += 1;
                } else {
                    out.unchanged += 1;
                }
            }
        }
    }
    tx.execute(
        "INSERT INTO history_files (file_sha256, source_file, imported_at, inserted)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (file_sha256) DO NOTHING",
        params![
            file_sha256,
            source_file,
            Utc::now().to_rfc3339(),
            out.inserted
        ],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(out)
}

pub(crate) fn export_vote_history(
    c: &Connection,
    batch_size: usize,
    out: tokio::sync::mpsc::Sender<Vec<VoteHistoryRecord>>,
) -> StoreResult<()> {
    stream_batches(
        c,
        "SELECT state_voter_id, election_date, election_desc, voting_method, voted_party,
                county_name, precinct
         FROM vote_history ORDER BY state_voter_id, election_date",
        &[],
        batch_size,
        &out,
        |r| history_from_row(r).map_err(db),
    )
}

fn history_from_row(r: &Row<'_>) -> rusqlite::Result<VoteHistoryRecord> {
    let d: String = r.get(1)?;
    Ok(VoteHistoryRecord {
        state_voter_id: r.get(0)?,
        election_date: NaiveDate::parse_from_str(&d, "%Y-%m-%d").unwrap_or_default(),
        election_desc: r.get(2)?,
        voting_method: r.get(3)?,
        voted_party: r.get(4)?,
        county_name: r.get(5)?,
        precinct: r.get(6)?,
    })
}

pub(crate) fn voter_history(c: &Connection, id: &str) -> StoreResult<Vec<VoteHistoryRecord>> {
    let mut stmt = c
        .prepare(
            "SELECT state_voter_id, election_date, election_desc, voting_method, voted_party,
                    county_name, precinct
             FROM vote_history WHERE state_voter_id = ?1 ORDER BY election_date DESC",
        )
        .map_err(db)?;
    let rows = stmt.query_map([id], history_from_row).map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}
