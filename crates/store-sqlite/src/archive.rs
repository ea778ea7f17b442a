//! Organization archives on SQLite (`0018_archive_imports.sql`): the catalog read from
//! `sqlite_master` and the `pragma_table_info` / `pragma_foreign_key_list` functions,
//! rows streamed in primary-key order (bytes as hex), and the import as one immediate
//! transaction with foreign keys checked at commit (`defer_foreign_keys`), so a killed
//! import leaves nothing behind. AUTOINCREMENT counters follow the inserted ids by
//! themselves.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params_from_iter};
use serde_json::Value;
use std::collections::HashMap;
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_store::archive::{
    ArchiveChunk, ArchiveColumn, ArchiveImport, ArchiveImportOutcome, ArchiveStore, ArchiveTable,
    CatalogTable, ColumnKind, ExportChunk, ImportPlan, SEEDED_TABLES, archived_tables,
};
use votebase_store::{Batch, StoreError, StoreResult, next_rows};

/// The kind of a column from its declared type (SQLite's affinity rules, plus the
/// boolean and date names some schemas use).
fn kind_of(declared: &str) -> ColumnKind {
    let t = declared.to_ascii_uppercase();
    if t.contains("BOOL") {
        ColumnKind::Boolean
    } else if t.contains("INT") {
        ColumnKind::Integer
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        ColumnKind::Real
    } else if t.contains("BLOB") {
        ColumnKind::Bytes
    } else {
        ColumnKind::Text
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn catalog(c: &Connection) -> StoreResult<Vec<CatalogTable>> {
    let names: Vec<String> = c
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY rowid",
        )
        .map_err(db)?
        .query_map([], |r| r.get(0))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let mut stmt = c
            .prepare("SELECT name, type, pk FROM pragma_table_info(?1, 'main') ORDER BY cid")
            .map_err(db)?;
        let cols: Vec<(String, String, i64)> = stmt
            .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        let mut key: Vec<(i64, String)> = cols
            .iter()
            .filter(|(_, _, pk)| *pk > 0)
            .map(|(n, _, pk)| (*pk, n.clone()))
            .collect();
        key.sort();
        let references: Vec<String> = c
            .prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1, 'main')")
            .map_err(db)?
            .query_map([&name], |r| r.get(0))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        tables.push(CatalogTable {
            columns: cols
                .into_iter()
                .map(|(n, t, _)| ArchiveColumn {
                    name: n,
                    kind: kind_of(&t),
                })
                .collect(),
            primary_key: key.into_iter().map(|(_, n)| n).collect(),
            references,
            name,
        });
    }
    Ok(tables)
}

fn to_json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::String(hex::encode(b)),
    }
}

fn to_sql(v: &Value, kind: ColumnKind, column: &str) -> StoreResult<SqlValue> {
    Ok(match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) if kind != ColumnKind::Real => SqlValue::Integer(i),
            _ => SqlValue::Real(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) if kind == ColumnKind::Bytes => {
            SqlValue::Blob(hex::decode(s).map_err(|e| {
                StoreError::Refused(format!("column {column}: bytes are not hex: {e}"))
            })?)
        }
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    })
}

/// Every table of `tables` in one deferred transaction: its first read fixes the
/// snapshot every later read sees (WAL readers are not blocked by writers, nor block them).
fn export_snapshot(
    c: &mut Connection,
    tables: &[ArchiveTable],
    batch_size: usize,
    out: &Sender<ExportChunk>,
) -> StoreResult<Vec<u64>> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(db)?;
    let mut counts = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        if out.blocking_send(ExportChunk::Table(i)).is_err() {
            return Err(StoreError::Aborted("archive writer stopped".into()));
        }
        counts.push(export_table(&tx, table, batch_size, out)?);
    }
    tx.commit().map_err(db)?;
    Ok(counts)
}

fn export_table(
    c: &Connection,
    table: &ArchiveTable,
    batch_size: usize,
    out: &Sender<ExportChunk>,
) -> StoreResult<u64> {
    let columns: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    let order = if table.primary_key.is_empty() {
        "rowid".to_string()
    } else {
        let key: Vec<String> = table.primary_key.iter().map(|k| quote(k)).collect();
        key.join(", ")
    };
    let sql = format!(
        "SELECT {} FROM main.{} ORDER BY {order}",
        columns.join(", "),
        quote(&table.name)
    );
    let mut stmt = c.prepare(&sql).map_err(db)?;
    let mut rows = stmt.query([]).map_err(db)?;
    let mut batch = Vec::with_capacity(batch_size);
    let mut count = 0u64;
    while let Some(r) = rows.next().map_err(db)? {
        let mut row = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            row.push(to_json(r.get_ref(i).map_err(db)?));
        }
        batch.push(row);
        count += 1;
        if batch.len() >= batch_size
            && out
                .blocking_send(ExportChunk::Rows(std::mem::take(&mut batch)))
                .is_err()
        {
            return Err(StoreError::Aborted("archive writer stopped".into()));
        }
    }
    if !batch.is_empty() && out.blocking_send(ExportChunk::Rows(batch)).is_err() {
        return Err(StoreError::Aborted("archive writer stopped".into()));
    }
    Ok(count)
}

fn archive_imported(c: &Connection, sha: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let at: Option<String> = c
        .query_row(
            "SELECT imported_at FROM archive_imports WHERE archive_sha256 = ?1",
            [sha],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    at.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt(format!("archive import time: {e}")))
    })
    .transpose()
}

fn import_archive(
    c: &mut Connection,
    import: ArchiveImport,
    mut rows: Receiver<Batch<ArchiveChunk>>,
) -> StoreResult<ArchiveImportOutcome> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    if let Some(at) = archive_imported(&tx, &import.archive_sha256)? {
        return Ok(ArchiveImportOutcome::AlreadyImported(at));
    }
    tx.execute_batch("PRAGMA defer_foreign_keys = ON")
        .map_err(db)?;
    // Triggers that derive rows (the exchange outbox, automatic suppressions) skip while
    // this row exists: the archive holds what they derived. Deleted before the commit.
    tx.execute(
        "INSERT INTO archive_restoring (since) VALUES (?1)",
        [Utc::now().to_rfc3339()],
    )
    .map_err(db)?;
    let targets: HashMap<String, CatalogTable> = catalog(&tx)?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    for t in archived_tables(targets.values().cloned().collect()) {
        if SEEDED_TABLES.contains(&t.name.as_str()) {
            tx.execute(&format!("DELETE FROM main.{}", quote(&t.name)), [])
                .map_err(db)?;
            continue;
        }
        let n: i64 = tx
            .query_row(
                &format!("SELECT count(*) FROM main.{}", quote(&t.name)),
                [],
                |r| r.get(0),
            )
            .map_err(db)?;
        if n > 0 {
            return Err(StoreError::Refused(format!(
                "this organization already holds data (table {} has {n} rows): import into a new organization",
                t.name
            )));
        }
    }
    let mut counts: Vec<(String, u64)> = Vec::new();
    let mut plans: HashMap<String, (ImportPlan, String)> = HashMap::new();
    while let Some(chunks) = next_rows(rows.blocking_recv()).map_err(StoreError::Aborted)? {
        for chunk in chunks {
            let name = chunk.table.name.clone();
            if !plans.contains_key(&name) {
                let target = targets.get(&name).ok_or_else(|| {
                    StoreError::Refused(format!(
                        "archived table {name} does not exist in this schema"
                    ))
                })?;
                let plan = ImportPlan::new(&chunk.table, target);
                let cols: Vec<String> = plan.columns.iter().map(|c| quote(c)).collect();
                let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO main.{} ({}) VALUES ({})",
                    quote(&name),
                    cols.join(", "),
                    marks.join(", ")
                );
                plans.insert(name.clone(), (plan, sql));
                counts.push((name.clone(), 0));
            }
            let (plan, sql) = &plans[&name];
            let mut stmt = tx.prepare_cached(sql).map_err(db)?;
            for row in &chunk.rows {
                let values = plan
                    .values(row)
                    .zip(&plan.kinds)
                    .zip(&plan.columns)
                    .map(|((v, k), col)| to_sql(v, *k, col))
                    .collect::<StoreResult<Vec<_>>>()?;
                stmt.execute(params_from_iter(values)).map_err(|e| {
                    StoreError::Refused(format!("table {name}: a row cannot be restored: {e}"))
                })?;
            }
            if let Some(entry) = counts.iter_mut().find(|(t, _)| *t == name) {
                entry.1 += chunk.rows.len() as u64;
            }
        }
    }
    tx.execute(
        "INSERT INTO archive_imports (archive_sha256, source_org, source_backend, imported_at)
         VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![
            import.archive_sha256,
            import.source_org,
            import.source_backend,
            Utc::now().to_rfc3339()
        ],
    )
    .map_err(db)?;
    crate::users::audit(&tx, &import.audit)?;
    tx.execute("DELETE FROM archive_restoring", [])
        .map_err(db)?;
    tx.commit().map_err(|e| {
        StoreError::Refused(format!(
            "the archive's rows do not hold together (foreign keys): {e}"
        ))
    })?;
    Ok(ArchiveImportOutcome::Imported(counts))
}

#[async_trait]
impl ArchiveStore for SqliteStore {
    fn organization(&self) -> String {
        self.path()
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        self.with_conn(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(db)
        })
        .await
    }

    async fn archive_tables(&self) -> StoreResult<Vec<ArchiveTable>> {
        self.with_conn(|c| Ok(archived_tables(catalog(c)?))).await
    }

    async fn export_snapshot(
        &self,
        tables: &[ArchiveTable],
        batch_size: usize,
        out: Sender<ExportChunk>,
    ) -> StoreResult<Vec<u64>> {
        let tables = tables.to_vec();
        self.with_conn(move |c| export_snapshot(c, &tables, batch_size.max(1), &out))
            .await
    }

    async fn archive_imported(&self, archive_sha256: &str) -> StoreResult<Option<DateTime<Utc>>> {
        let sha = archive_sha256.to_string();
        self.with_conn(move |c| archive_imported(c, &sha)).await
    }

    async fn import_archive(
        &self,
        import: ArchiveImport,
        rows: Receiver<Batch<ArchiveChunk>>,
    ) -> StoreResult<ArchiveImportOutcome> {
        self.with_conn(move |c| import_archive(c, import, rows))
            .await
    }
}
