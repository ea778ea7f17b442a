//! The storage contract for organization archives (`votebase org export` / `org import`):
//! generic over the schema, so a table added by a later migration is archived without a
//! code change. A backend lists its tables and columns from its own catalog
//! (`sqlite_master` / `pg_catalog`), streams each table's rows as JSON values in primary
//! key order, and restores an archive in ONE transaction (inserts only, so the triggers
//! that refuse updates and deletes on append-only tables never fire; PostgreSQL sequences
//! are advanced past the imported ids). What an archive never holds — secrets and
//! transient queues — is decided here, in [`EXCLUDED_TABLES`] and [`EXCLUDED_COLUMNS`],
//! and nowhere else.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_domain::AuditEntry;

use crate::{Batch, StoreResult};

/// Tables an archive never holds, with the reason (the single deny-list of tables).
pub const EXCLUDED_TABLES: &[(&str, &str)] = &[
    (
        "sessions",
        "sign-in sessions: secrets (hashes) of live cookies",
    ),
    ("api_tokens", "API tokens: secrets (hashes); reissue them"),
    (
        "archive_restoring",
        "a marker that exists only inside an archive import's transaction",
    ),
    (
        "results_chair_codes",
        "precinct chair codes: secrets (hashes)",
    ),
    (
        "results_chair_tokens",
        "precinct chair sessions: secrets (hashes)",
    ),
    ("volunteer_link_key", "the key that signs volunteer links"),
    (
        "idempotency_keys",
        "a replay cache of API responses, transient",
    ),
    (
        "email_outbox",
        "a delivery queue, transient (would send twice)",
    ),
    ("data_changes", "the change counter of the index, transient"),
    (
        "archive_imports",
        "imports into this organization, not its data",
    ),
    (
        "schema_migrations",
        "the migration ledger of the schema itself",
    ),
    (
        crate::voter_file::SOURCE_TABLE,
        "a voter file subscription: wiring of one deployment; subscribe again where the archive is imported",
    ),
];

/// Columns an archive never holds, with the value an import writes instead (the single
/// deny-list of columns).
pub const EXCLUDED_COLUMNS: &[(&str, &str, ImportFill)] = &[
    (
        "users",
        "password_hash",
        // No argon2 hash parses from the empty string: nobody can sign in until an admin
        // sets a password (`votebase user passwd NAME`).
        ImportFill::Text(""),
    ),
    (
        "exchange_agreements",
        "hash_key",
        // The key both sides hash voter ids with is the agreement's secret; a restored
        // organization is another organization and needs a new agreement to exchange.
        ImportFill::Text(""),
    ),
];

/// Columns an import overwrites whatever the archive says.
pub const IMPORT_OVERRIDES: &[(&str, &str, ImportFill)] = &[(
    "users",
    "disabled",
    // Imported users are disabled until an admin resets their password and enables them.
    ImportFill::Bool(true),
)];

/// Tables the migrations fill with defaults: an import replaces their rows instead of
/// requiring them to be empty.
pub const SEEDED_TABLES: &[&str] = &["survey_questions"];

/// A value an import writes in place of an excluded or overridden column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFill {
    /// A text value.
    Text(&'static str),
    /// A boolean (0/1 on SQLite).
    Bool(bool),
}

impl ImportFill {
    /// The fill as an archive value.
    pub fn value(self) -> Value {
        match self {
            ImportFill::Text(t) => Value::String(t.to_string()),
            ImportFill::Bool(b) => Value::Bool(b),
        }
    }
}

/// The kind of a column, as far as an archive needs it to move a value between backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Integers of any width (JSON numbers).
    Integer,
    /// Floating point (JSON numbers).
    Real,
    /// Text (JSON strings).
    Text,
    /// Booleans (JSON `true`/`false`; `0`/`1` from SQLite).
    Boolean,
    /// Dates, `YYYY-MM-DD`.
    Date,
    /// Instants, RFC 3339 in UTC (`2026-10-12T14:03:00Z`, microseconds when not zero).
    Timestamp,
    /// Wall-clock date-times without a zone, `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
    LocalTimestamp,
    /// Bytes, as lowercase hexadecimal strings.
    Bytes,
    /// JSON documents, as their text.
    Json,
}

/// One column of an archived table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveColumn {
    /// Column name.
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
}

/// A table as a backend's catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTable {
    /// Table name.
    pub name: String,
    /// Every column, in table order.
    pub columns: Vec<ArchiveColumn>,
    /// Primary-key columns in key order (empty: none).
    pub primary_key: Vec<String>,
    /// Tables this one references by foreign key.
    pub references: Vec<String>,
}

/// A table an archive holds: the catalog table minus the excluded columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveTable {
    /// Table name.
    pub name: String,
    /// Archived columns, in table order; rows are JSON arrays in this order.
    pub columns: Vec<ArchiveColumn>,
    /// Primary-key columns (the row order).
    pub primary_key: Vec<String>,
}

/// Rows of one table on their way into an import.
#[derive(Debug, Clone)]
pub struct ArchiveChunk {
    /// The table as the archive describes it.
    pub table: std::sync::Arc<ArchiveTable>,
    /// Rows: one JSON value per archived column.
    pub rows: Vec<Vec<Value>>,
}

/// What an import tells the store about the archive.
#[derive(Debug, Clone)]
pub struct ArchiveImport {
    /// SHA-256 of the archive file: the import happens once per archive.
    pub archive_sha256: String,
    /// The organization the archive came from.
    pub source_org: String,
    /// `sqlite` or `postgres`.
    pub source_backend: String,
    /// The audit entry written in the import's transaction.
    pub audit: AuditEntry,
}

/// Result of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveImportOutcome {
    /// Written: rows per table, in import order.
    Imported(Vec<(String, u64)>),
    /// This archive was imported before (at that time); nothing was written.
    AlreadyImported(DateTime<Utc>),
}

/// A piece of a snapshot export ([`ArchiveStore::export_snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ExportChunk {
    /// The rows that follow are of the table at this index of the tables asked for.
    Table(usize),
    /// Rows of the current table.
    Rows(Vec<Vec<Value>>),
}

/// Storage of organization archives. Part of [`Store`](crate::Store).
#[async_trait]
pub trait ArchiveStore: Send + Sync {
    /// The organization this store holds (the SQLite file's stem, the PostgreSQL schema
    /// without its `vb_` prefix): the name archives record and the side an exchange
    /// server signs for.
    fn organization(&self) -> String;

    /// How many migrations the organization's schema has applied.
    async fn schema_version(&self) -> StoreResult<i64>;

    /// The tables an archive holds ([`archived_tables`] over the catalog).
    async fn archive_tables(&self) -> StoreResult<Vec<ArchiveTable>>;

    /// Streams every row of every table of `tables`, in that order, each in primary-key
    /// order, `batch_size` rows at a time (one value per column of the table's
    /// `columns`), each table announced by [`ExportChunk::Table`] before its rows. All of
    /// it is read in one read-only transaction (SQLite: one `BEGIN`; PostgreSQL:
    /// `REPEATABLE READ READ ONLY`), so an export taken while others write is one
    /// consistent snapshot. Returns the number of rows of each table.
    async fn export_snapshot(
        &self,
        tables: &[ArchiveTable],
        batch_size: usize,
        out: Sender<ExportChunk>,
    ) -> StoreResult<Vec<u64>>;

    /// When the archive with this SHA-256 was imported here, if it was.
    async fn archive_imported(&self, archive_sha256: &str) -> StoreResult<Option<DateTime<Utc>>>;

    /// Restores an archive in one transaction: refuses an organization that already
    /// holds data (other than [`SEEDED_TABLES`], whose rows are replaced), writes every
    /// chunk (columns by name; [`EXCLUDED_COLUMNS`] filled, [`IMPORT_OVERRIDES`]
    /// applied), advances sequences, records the archive and the audit entry, and commits
    /// only on [`Batch::End`]. An archive imported before writes nothing.
    async fn import_archive(
        &self,
        import: ArchiveImport,
        rows: Receiver<Batch<ArchiveChunk>>,
    ) -> StoreResult<ArchiveImportOutcome>;
}

/// Whether a table is left out of archives.
pub fn table_excluded(name: &str) -> bool {
    EXCLUDED_TABLES.iter().any(|(t, _)| *t == name)
}

/// The fill for an excluded column, if `table.column` is one.
pub fn excluded_column(table: &str, column: &str) -> Option<ImportFill> {
    EXCLUDED_COLUMNS
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
        .map(|(_, _, f)| *f)
}

/// The override of `table.column` on import, if any.
pub fn import_override(table: &str, column: &str) -> Option<ImportFill> {
    IMPORT_OVERRIDES
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
        .map(|(_, _, f)| *f)
}

/// The archived tables of a catalog: excluded tables and columns dropped, ordered so that
/// a table comes after every table it references (catalog order otherwise).
pub fn archived_tables(catalog: Vec<CatalogTable>) -> Vec<ArchiveTable> {
    let kept: Vec<CatalogTable> = catalog
        .into_iter()
        .filter(|t| !table_excluded(&t.name))
        .collect();
    let names: BTreeSet<String> = kept.iter().map(|t| t.name.clone()).collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut pending = kept;
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        // The first table whose references are all placed (self-references and tables
        // outside the archive do not count); a cycle falls back to catalog order.
        let ready = pending
            .iter()
            .position(|t| {
                t.references
                    .iter()
                    .all(|r| *r == t.name || !names.contains(r) || placed.contains(r))
            })
            .unwrap_or(0);
        let t = pending.remove(ready);
        placed.insert(t.name.clone());
        ordered.push(ArchiveTable {
            columns: t
                .columns
                .into_iter()
                .filter(|c| excluded_column(&t.name, &c.name).is_none())
                .collect(),
            name: t.name,
            primary_key: t.primary_key,
        });
    }
    ordered
}

/// How an import maps an archived table onto the target's table of the same name: the
/// target column of each archived column, and the columns it fills itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    /// Column names written, in statement order.
    pub columns: Vec<String>,
    /// Kind of each written column in the target.
    pub kinds: Vec<ColumnKind>,
    /// For each written column: the archive column it reads, or the fill it writes.
    pub sources: Vec<PlanSource>,
    /// Archived columns the target does not have (left out).
    pub skipped: Vec<String>,
}

/// Where an import takes one written column's value from.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanSource {
    /// The archived column at this position.
    Archive(usize),
    /// A fixed value.
    Fill(Value),
}

impl ImportPlan {
    /// Plans the import of `archived` into `target`.
    pub fn new(archived: &ArchiveTable, target: &CatalogTable) -> Self {
        let kinds: HashMap<&str, ColumnKind> = target
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        let mut plan = ImportPlan {
            columns: Vec::new(),
            kinds: Vec::new(),
            sources: Vec::new(),
            skipped: Vec::new(),
        };
        for (i, c) in archived.columns.iter().enumerate() {
            // A column the target lacks is one the other backend keeps for itself (the
            // surrogate `voter_changes.id` of PostgreSQL, where SQLite has its rowid):
            // archives of a newer schema never get here (the schema version is checked
            // first), so it is left out.
            let Some(kind) = kinds.get(c.name.as_str()) else {
                plan.skipped.push(c.name.clone());
                continue;
            };
            let source = match import_override(&archived.name, &c.name) {
                Some(fill) => PlanSource::Fill(fill.value()),
                None => PlanSource::Archive(i),
            };
            plan.columns.push(c.name.clone());
            plan.kinds.push(*kind);
            plan.sources.push(source);
        }
        for c in &target.columns {
            if plan.columns.contains(&c.name) {
                continue;
            }
            let fill = excluded_column(&target.name, &c.name)
                .or_else(|| import_override(&target.name, &c.name));
            if let Some(fill) = fill {
                plan.columns.push(c.name.clone());
                plan.kinds.push(c.kind);
                plan.sources.push(PlanSource::Fill(fill.value()));
            }
        }
        plan
    }

    /// The values of one archived row, in [`ImportPlan::columns`] order.
    pub fn values<'a>(&'a self, row: &'a [Value]) -> impl Iterator<Item = &'a Value> + 'a {
        self.sources.iter().map(move |s| match s {
            PlanSource::Archive(i) => row.get(*i).unwrap_or(&Value::Null),
            PlanSource::Fill(v) => v,
        })
    }
}

/// A value converted to what a target column of `kind` stores, for backends whose
/// driver takes JSON (booleans from 0/1 and back, numbers as text for text columns).
pub fn convert(value: &Value, kind: ColumnKind) -> Value {
    match (kind, value) {
        (_, Value::Null) => Value::Null,
        (ColumnKind::Boolean, Value::Number(n)) => Value::Bool(n.as_f64() != Some(0.0)),
        (ColumnKind::Boolean, Value::String(s)) => {
            Value::Bool(matches!(s.as_str(), "1" | "t" | "true"))
        }
        (ColumnKind::Integer, Value::Bool(b)) => Value::from(i64::from(*b)),
        (ColumnKind::Text, Value::Number(n)) => Value::String(n.to_string()),
        (ColumnKind::Timestamp | ColumnKind::LocalTimestamp, Value::String(s)) => {
            Value::String(micros(s))
        }
        (ColumnKind::Json, Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| value.clone())
        }
        _ => value.clone(),
    }
}

/// A date-time's text with its fraction of a second cut to microseconds (SQLite keeps
/// what chrono wrote, up to nanoseconds; PostgreSQL would round, this truncates, so a
/// value read back on either side is the same).
fn micros(text: &str) -> String {
    let Some(dot) = text.find('.') else {
        return text.to_string();
    };
    let digits = text[dot + 1..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits <= 6 {
        return text.to_string();
    }
    format!("{}{}", &text[..dot + 7], &text[dot + 1 + digits..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, references: &[&str]) -> CatalogTable {
        CatalogTable {
            name: name.into(),
            columns: vec![
                ArchiveColumn {
                    name: "id".into(),
                    kind: ColumnKind::Integer,
                },
                ArchiveColumn {
                    name: "password_hash".into(),
                    kind: ColumnKind::Text,
                },
            ],
            primary_key: vec!["id".into()],
            references: references.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn tables_follow_their_references_and_secrets_are_left_out() {
        let order = archived_tables(vec![
            table("b", &["a", "b"]),
            table("sessions", &["users"]),
            table("users", &[]),
            table("a", &["users", "api_tokens"]),
        ]);
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["users", "a", "b"]);
        assert_eq!(
            order[0].columns.len(),
            1,
            "users.password_hash is never archived"
        );
        assert_eq!(order[1].columns.len(), 2, "other tables keep their columns");
    }

    #[test]
    fn import_plan_fills_excluded_columns_and_forces_overrides() {
        let mut users = table("users", &[]);
        users.columns.push(ArchiveColumn {
            name: "disabled".into(),
            kind: ColumnKind::Boolean,
        });
        let archived = archived_tables(vec![users.clone()]).remove(0);
        let plan = ImportPlan::new(&archived, &users);
        assert_eq!(plan.columns, ["id", "disabled", "password_hash"]);
        let row = vec![Value::from(7), Value::from(0)];
        let values: Vec<&Value> = plan.values(&row).collect();
        assert_eq!(
            values,
            [&Value::from(7), &Value::Bool(true), &Value::from("")]
        );

        let mut newer = archived.clone();
        newer.columns.push(ArchiveColumn {
            name: "future".into(),
            kind: ColumnKind::Text,
        });
        let plan = ImportPlan::new(&newer, &users);
        assert_eq!(
            plan.skipped,
            ["future"],
            "a column of the other backend is left out"
        );
        assert_eq!(plan.columns, ["id", "disabled", "password_hash"]);
    }

    #[test]
    fn values_convert_between_backends() {
        assert_eq!(
            convert(&Value::from(1), ColumnKind::Boolean),
            Value::Bool(true)
        );
        assert_eq!(
            convert(&Value::from(0), ColumnKind::Boolean),
            Value::Bool(false)
        );
        assert_eq!(
            convert(&Value::Bool(true), ColumnKind::Integer),
            Value::from(1)
        );
        assert_eq!(
            convert(&Value::from(12), ColumnKind::Text),
            Value::from("12")
        );
        assert_eq!(convert(&Value::Null, ColumnKind::Boolean), Value::Null);
        assert_eq!(
            convert(
                &Value::from("2026-12-07T02:31:37.739484954Z"),
                ColumnKind::Timestamp
            ),
            Value::from("2026-12-07T02:31:37.739484Z")
        );
        assert_eq!(
            convert(
                &Value::from("2026-12-07T02:31:37.5+00:00"),
                ColumnKind::Timestamp
            ),
            Value::from("2026-12-07T02:31:37.5+00:00")
        );
        assert_eq!(
            convert(&Value::from("{\"a\":[1]}"), ColumnKind::Json),
            serde_json::json!({"a": [1]})
        );
    }
}
