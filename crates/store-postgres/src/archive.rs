//! Organization archives on PostgreSQL (`0018_archive_imports.sql`): the catalog read from
//! `pg_catalog` / `information_schema` for the organization's schema, rows rendered by
//! the server as JSON arrays (instants in UTC, bytes as hex, JSON as its text) and
//! streamed in primary-key order, and the import as one transaction under an advisory
//! lock: each chunk is one `INSERT … SELECT FROM json_populate_recordset` (so the server
//! does every type conversion), identity and serial sequences are advanced past the
//! imported ids before the import's own audit entry is written.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_store::archive::{
    ArchiveChunk, ArchiveColumn, ArchiveImport, ArchiveImportOutcome, ArchiveStore, ArchiveTable,
    CatalogTable, ColumnKind, ExportChunk, ImportPlan, SEEDED_TABLES, archived_tables, convert,
};
use votebase_store::{Batch, StoreError, StoreResult, next_rows};

/// PostgreSQL's limit on function arguments: wider tables are rendered in several arrays.
const MAX_ARGS: usize = 90;

fn kind_of(data_type: &str) -> ColumnKind {
    match data_type {
        "smallint" | "integer" | "bigint" => ColumnKind::Integer,
        "real" | "double precision" | "numeric" => ColumnKind::Real,
        "boolean" => ColumnKind::Boolean,
        "date" => ColumnKind::Date,
        "timestamp with time zone" => ColumnKind::Timestamp,
        "timestamp without time zone" => ColumnKind::LocalTimestamp,
        "bytea" => ColumnKind::Bytes,
        "json" | "jsonb" => ColumnKind::Json,
        _ => ColumnKind::Text,
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL rendering one column for the archive.
fn render(column: &ArchiveColumn) -> String {
    let c = quote(&column.name);
    match column.kind {
        ColumnKind::Timestamp => {
            format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        }
        ColumnKind::LocalTimestamp => format!("to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"),
        ColumnKind::Date => format!("to_char({c}, 'YYYY-MM-DD')"),
        ColumnKind::Bytes => format!("encode({c}, 'hex')"),
        ColumnKind::Json | ColumnKind::Text => format!("{c}::text"),
        ColumnKind::Integer | ColumnKind::Real | ColumnKind::Boolean => c,
    }
}

/// Drops a zero fraction of a second, so whole-second instants read as SQLite writes them.
fn tidy(value: Value, kind: ColumnKind) -> Value {
    match (kind, value) {
        (ColumnKind::Timestamp, Value::String(s)) => Value::String(s.replace(".000000Z", "Z")),
        (ColumnKind::LocalTimestamp, Value::String(s)) => {
            Value::String(s.strip_suffix(".000000").map(str::to_string).unwrap_or(s))
        }
        (_, v) => v,
    }
}

async fn catalog(c: &mut PgConnection, schema: &str) -> StoreResult<Vec<CatalogTable>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
         ORDER BY c.oid",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let columns = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text
         FROM information_schema.columns
         WHERE table_schema = $1 AND is_generated <> 'ALWAYS'
         ORDER BY table_name, ordinal_position",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let keys = sqlx::query(
        "SELECT c.relname::text, a.attname::text
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, pos) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE n.nspname = $1 AND i.indisprimary
         ORDER BY c.relname, k.pos",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let references = sqlx::query(
        "SELECT DISTINCT c.relname::text, r.relname::text
         FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid
         JOIN pg_class r ON r.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND k.contype = 'f'",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let mut tables: HashMap<String, CatalogTable> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                CatalogTable {
                    name: n.clone(),
                    columns: Vec::new(),
                    primary_key: Vec::new(),
                    references: Vec::new(),
                },
            )
        })
        .collect();
    for r in columns {
        let (table, name, data_type): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        if let Some(t) = tables.get_mut(&table) {
            t.columns.push(ArchiveColumn {
                name,
                kind: kind_of(&data_type),
            });
        }
    }
    for r in keys {
        let (table, column): (String, String) = (r.get(0), r.get(1));
        if let Some(t) = tables.get_mut(&table) {
            t.primary_key.push(column);
        }
    }
    for r in references {
        let (table, target): (String, String) = (r.get(0), r.get(1));
        if let Some(t) = tables.get_mut(&table) {
            t.references.push(target);
        }
    }
    Ok(names.iter().filter_map(|n| tables.remove(n)).collect())
}

async fn export_table(
    c: &mut PgConnection,
    table: &ArchiveTable,
    batch_size: usize,
    out: &Sender<ExportChunk>,
) -> StoreResult<u64> {
    let arrays: Vec<String> = table
        .columns
        .chunks(MAX_ARGS)
        .map(|cols| {
            let exprs: Vec<String> = cols.iter().map(render).collect();
            format!("json_build_array({})::text", exprs.join(", "))
        })
        .collect();
    let order = if table.primary_key.is_empty() {
        format!("{}::text", quote(&table.name))
    } else {
        let key: Vec<String> = table.primary_key.iter().map(|k| quote(k)).collect();
        key.join(", ")
    };
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {order}",
        if arrays.is_empty() {
            "'[]'".to_string()
        } else {
            arrays.join(", ")
        },
        quote(&table.name)
    );
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(&mut *c);
    let mut batch = Vec::with_capacity(batch_size);
    let mut count = 0u64;
    while let Some(r) = rows.try_next().await.map_err(db)? {
        let mut values = Vec::with_capacity(table.columns.len());
        for i in 0..arrays.len() {
            let text: String = r.try_get(i).map_err(db)?;
            match serde_json::from_str(&text) {
                Ok(Value::Array(part)) => values.extend(part),
                _ => return Err(StoreError::Corrupt(format!("row of {}", table.name))),
            }
        }
        let row = values
            .into_iter()
            .zip(&table.columns)
            .map(|(v, col)| tidy(v, col.kind))
            .collect();
        batch.push(row);
        count += 1;
        if batch.len() >= batch_size
            && out
                .send(ExportChunk::Rows(std::mem::take(&mut batch)))
                .await
                .is_err()
        {
            return Err(StoreError::Aborted("archive writer stopped".into()));
        }
    }
    if !batch.is_empty() && out.send(ExportChunk::Rows(batch)).await.is_err() {
        return Err(StoreError::Aborted("archive writer stopped".into()));
    }
    Ok(count)
}

/// Searches the organization's own schema only for the rest of the transaction: a
/// subscriber to another organization's voter file searches that file's views first, and
/// an archive holds (and restores) the organization's own tables, never the shared file.
async fn own_tables_only(c: &mut PgConnection, schema: &str) -> StoreResult<()> {
    sqlx::raw_sql(AssertSqlSafe(format!(
        "SET LOCAL search_path TO \"{schema}\""
    )))
    .execute(&mut *c)
    .await
    .map_err(db)?;
    Ok(())
}

async fn archive_imported(c: &mut PgConnection, sha: &str) -> StoreResult<Option<DateTime<Utc>>> {
    sqlx::query_scalar("SELECT imported_at FROM archive_imports WHERE archive_sha256 = $1")
        .bind(sha)
        .fetch_optional(c)
        .await
        .map_err(db)
}

/// One chunk's rows as the JSON objects `json_populate_recordset` reads.
fn chunk_json(plan: &ImportPlan, rows: &[Vec<Value>]) -> String {
    let objects: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut object = Map::with_capacity(plan.columns.len());
            for ((value, kind), column) in plan.values(row).zip(&plan.kinds).zip(&plan.columns) {
                let value = match (kind, convert(value, *kind)) {
                    (ColumnKind::Bytes, Value::String(hex)) => Value::String(format!("\\x{hex}")),
                    (_, v) => v,
                };
                object.insert(column.clone(), value);
            }
            Value::Object(object)
        })
        .collect();
    Value::Array(objects).to_string()
}

async fn advance_sequences(c: &mut PgConnection, schema: &str) -> StoreResult<()> {
    let sequences = sqlx::query(
        "SELECT c.relname::text, a.attname::text,
                pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                                       a.attname)
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
           AND pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname),
                                      a.attname) IS NOT NULL",
    )
    .bind(schema)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    for r in sequences {
        let (table, column, sequence): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        sqlx::query(AssertSqlSafe(format!(
            "SELECT setval($1, COALESCE((SELECT max({}) FROM {}), 0) + 1, false)",
            quote(&column),
            quote(&table)
        )))
        .bind(sequence)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    }
    Ok(())
}

async fn import_archive(
    store: &PgStore,
    import: ArchiveImport,
    mut rows: Receiver<Batch<ArchiveChunk>>,
) -> StoreResult<ArchiveImportOutcome> {
    let schema = store.schema().to_string();
    let mut tx = store.pool().begin().await.map_err(db)?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("votebase-archive-import:{schema}"))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    own_tables_only(&mut tx, &schema).await?;
    if let Some(at) = archive_imported(&mut tx, &import.archive_sha256).await? {
        return Ok(ArchiveImportOutcome::AlreadyImported(at));
    }
    // Triggers that derive rows (the exchange outbox, automatic suppressions) skip for
    // the rest of this transaction: the archive holds what they derived.
    sqlx::query("SET LOCAL votebase.restoring = 'on'")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let targets: HashMap<String, CatalogTable> = catalog(&mut tx, &schema)
        .await?
        .into_iter()
        .map(|t| (t.name.clone(), t))
        .collect();
    for t in archived_tables(targets.values().cloned().collect()) {
        if SEEDED_TABLES.contains(&t.name.as_str()) {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {}", quote(&t.name))))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            continue;
        }
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            quote(&t.name)
        )))
        .fetch_one(&mut *tx)
        .await
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
    while let Some(chunks) = next_rows(rows.recv().await).map_err(StoreError::Aborted)? {
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
                let sql = format!(
                    "INSERT INTO {t} ({cols}) OVERRIDING SYSTEM VALUE
                     SELECT {cols} FROM json_populate_recordset(NULL::{t}, $1::json)",
                    t = quote(&name),
                    cols = cols.join(", "),
                );
                plans.insert(name.clone(), (plan, sql));
                counts.push((name.clone(), 0));
            }
            if chunk.rows.is_empty() {
                continue;
            }
            let (plan, sql) = &plans[&name];
            sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(chunk_json(plan, &chunk.rows))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    StoreError::Refused(format!("table {name}: rows cannot be restored: {e}"))
                })?;
            if let Some(entry) = counts.iter_mut().find(|(t, _)| *t == name) {
                entry.1 += chunk.rows.len() as u64;
            }
        }
    }
    advance_sequences(&mut tx, &schema).await?;
    sqlx::query(
        "INSERT INTO archive_imports (archive_sha256, source_org, source_backend, imported_at)
         VALUES ($1, $2, $3, now())",
    )
    .bind(&import.archive_sha256)
    .bind(&import.source_org)
    .bind(&import.source_backend)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    crate::users::audit(&mut tx, &import.audit).await?;
    tx.commit().await.map_err(db)?;
    Ok(ArchiveImportOutcome::Imported(counts))
}

#[async_trait]
impl ArchiveStore for PgStore {
    fn organization(&self) -> String {
        let schema = self.schema();
        schema.strip_prefix("vb_").unwrap_or(schema).to_string()
    }

    async fn schema_version(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT count(*) FROM schema_migrations")
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(db)
    }

    async fn archive_tables(&self) -> StoreResult<Vec<ArchiveTable>> {
        Ok(archived_tables(
            catalog(&mut *self.conn().await?, self.schema()).await?,
        ))
    }

    async fn export_snapshot(
        &self,
        tables: &[ArchiveTable],
        batch_size: usize,
        out: Sender<ExportChunk>,
    ) -> StoreResult<Vec<u64>> {
        // One snapshot for every table; dropped unfinished, the transaction rolls back.
        let mut tx = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(db)?;
        own_tables_only(&mut tx, self.schema()).await?;
        let mut counts = Vec::with_capacity(tables.len());
        for (i, table) in tables.iter().enumerate() {
            if out.send(ExportChunk::Table(i)).await.is_err() {
                return Err(StoreError::Aborted("archive writer stopped".into()));
            }
            counts.push(export_table(&mut tx, table, batch_size.max(1), &out).await?);
        }
        tx.commit().await.map_err(db)?;
        Ok(counts)
    }

    async fn archive_imported(&self, archive_sha256: &str) -> StoreResult<Option<DateTime<Utc>>> {
        archive_imported(&mut *self.conn().await?, archive_sha256).await
    }

    async fn import_archive(
        &self,
        import: ArchiveImport,
        rows: Receiver<Batch<ArchiveChunk>>,
    ) -> StoreResult<ArchiveImportOutcome> {
        import_archive(self, import, rows).await
    }
}
