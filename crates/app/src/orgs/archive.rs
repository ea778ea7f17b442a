//! Organization archives: `votebase org export` writes everything an organization holds
//! into one versioned, checksummed zip file, and `votebase org import` restores it as
//! another organization, on the same deployment or another, on either backend. The
//! archive is generic over the schema (the store lists its tables from its catalog,
//! [`votebase_store::archive`]) and read in one read-only transaction, so an archive
//! taken while others write is one consistent snapshot; secrets are never in it (the
//! deny-lists there). An
//! import verifies every file's SHA-256 and row count before it writes anything, refuses
//! an archive of a newer schema, writes all tables in one transaction, and happens once
//! per archive file: importing it again changes nothing. Both sides audit the transfer
//! with the archive's SHA-256. The format is documented in `docs/ARCHIVE.md` and in the
//! `README.txt` inside every archive.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;
use votebase_domain::AuditEntry;
use votebase_store::archive::{
    ArchiveChunk, ArchiveImport, ArchiveImportOutcome, ArchiveTable, EXCLUDED_COLUMNS,
    EXCLUDED_TABLES, ExportChunk,
};
use votebase_store::{Batch, Store, StoreError};

/// The `format` field of every manifest.
pub const FORMAT: &str = "votebase-org-archive";
/// The archive layout's version; bumped when the layout (not the schema) changes.
pub const FORMAT_VERSION: u32 = 1;
/// Rows per batch between the store and the archive file.
const BATCH_ROWS: usize = 2_000;
/// The README written into every archive.
const README: &str = include_str!("archive_readme.txt");

/// Why an export or import failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The archive is not a readable zip, or a file in it does not match the manifest.
    #[error("archive {archive} is damaged: {file}: {why}")]
    Damaged {
        /// The archive file.
        archive: PathBuf,
        /// The file inside the archive (or the archive itself).
        file: String,
        /// What is wrong.
        why: String,
    },
    /// The archive was made by a newer votebase.
    #[error(
        "archive {archive} has schema version {found}, newer than this deployment's {here}: upgrade votebase first"
    )]
    Newer {
        /// The archive file.
        archive: PathBuf,
        /// The archive's schema version.
        found: i64,
        /// This store's schema version.
        here: i64,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One table's entry in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTable {
    /// The table as archived (name, columns and their kinds, primary key).
    #[serde(flatten)]
    pub table: ArchiveTable,
    /// Its file inside the archive.
    pub file: String,
    /// Rows in the file.
    pub rows: u64,
    /// SHA-256 of the file's bytes (hex).
    pub sha256: String,
}

/// `manifest.json`: what the archive holds and how to check it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Migrations the source schema had applied.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub source_backend: String,
    /// The exported organization.
    pub organization: String,
    /// When the export finished.
    pub created_at: DateTime<Utc>,
    /// The votebase version that wrote it.
    pub votebase_version: String,
    /// Tables in import order (a table after those it references).
    pub tables: Vec<ManifestTable>,
    /// Tables never archived, with the reason.
    pub excluded_tables: Vec<(String, String)>,
    /// Columns never archived (`table.column`).
    pub excluded_columns: Vec<String>,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    /// SHA-256 of the archive file: what both audit logs record.
    pub sha256: String,
    /// The manifest written into it.
    pub manifest: Manifest,
    /// Size in bytes.
    pub bytes: u64,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// SHA-256 of the archive file.
    pub sha256: String,
    /// The organization it came from (from the manifest; absent when the archive was
    /// recognised as already imported before it was opened).
    pub source_org: Option<String>,
    /// Rows written per table, or when it was imported before.
    pub outcome: ArchiveImportOutcome,
}

/// What the export sends its writer thread.
enum ToWriter {
    Table(ArchiveTable),
    Rows(Vec<Vec<Value>>),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String, ArchiveError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn zip_io(path: &Path) -> impl FnOnce(zip::result::ZipError) -> ArchiveError + '_ {
    move |e| ArchiveError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    }
}

/// The writing side of an export, on a blocking thread: `README.txt`, one `.jsonl` entry
/// per table (each line hashed as written), then `manifest.json` — `manifest` with its
/// tables filled in.
fn write_archive(
    path: &Path,
    mut input: mpsc::Receiver<ToWriter>,
    mut manifest: Manifest,
) -> Result<Manifest, ArchiveError> {
    let file = File::create(path).map_err(io(path))?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("README.txt", options)
        .map_err(zip_io(path))?;
    zip.write_all(README.as_bytes()).map_err(io(path))?;
    let mut hasher: Option<Sha256> = None;
    let mut line = Vec::new();
    while let Some(message) = input.blocking_recv() {
        match message {
            ToWriter::Table(table) => {
                if let (Some(last), Some(h)) = (manifest.tables.last_mut(), hasher.take()) {
                    last.sha256 = hex::encode(h.finalize());
                }
                let file_name = format!(
                    "tables/{:03}_{}.jsonl",
                    manifest.tables.len() + 1,
                    table.name
                );
                zip.start_file(file_name.as_str(), options)
                    .map_err(zip_io(path))?;
                manifest.tables.push(ManifestTable {
                    table,
                    file: file_name,
                    rows: 0,
                    sha256: String::new(),
                });
                hasher = Some(Sha256::new());
            }
            ToWriter::Rows(rows) => {
                let (Some(h), Some(t)) = (hasher.as_mut(), manifest.tables.last_mut()) else {
                    continue;
                };
                for row in &rows {
                    line.clear();
                    serde_json::to_writer(&mut line, row).map_err(|e| ArchiveError::Io {
                        path: path.to_path_buf(),
                        source: std::io::Error::other(e),
                    })?;
                    line.push(b'\n');
                    h.update(&line);
                    zip.write_all(&line).map_err(io(path))?;
                }
                t.rows += rows.len() as u64;
            }
        }
    }
    if let (Some(last), Some(h)) = (manifest.tables.last_mut(), hasher.take()) {
        last.sha256 = hex::encode(h.finalize());
    }
    manifest.created_at = Utc::now();
    zip.start_file("manifest.json", options.large_file(false))
        .map_err(zip_io(path))?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(|e| ArchiveError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    zip.finish()
        .map_err(zip_io(path))?
        .flush()
        .map_err(io(path))?;
    Ok(manifest)
}

/// Exports the organization `org` held by `store` into the archive `out` (written under a
/// temporary name and renamed when complete), then records the export with the archive's
/// SHA-256 in the organization's audit log as `org.export`.
pub async fn export(
    store: &dyn Store,
    org: &str,
    out: &Path,
    actor: &str,
) -> Result<ExportSummary, ArchiveError> {
    let schema_version = store.schema_version().await?;
    let tables = store.archive_tables().await?;
    let base = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version,
        source_backend: store.backend().into(),
        organization: org.into(),
        created_at: Utc::now(),
        votebase_version: env!("CARGO_PKG_VERSION").into(),
        tables: Vec::new(),
        excluded_tables: EXCLUDED_TABLES
            .iter()
            .map(|(t, why)| (t.to_string(), why.to_string()))
            .collect(),
        excluded_columns: EXCLUDED_COLUMNS
            .iter()
            .map(|(t, c, _)| format!("{t}.{c}"))
            .collect(),
    };
    let partial = out.with_extension("partial");
    let (tx, rx) = mpsc::channel::<ToWriter>(4);
    let writer_path = partial.clone();
    let writer = tokio::task::spawn_blocking(move || write_archive(&writer_path, rx, base));
    // One read transaction for every table: an archive taken during writes is consistent.
    let (chunks_tx, mut chunks_rx) = mpsc::channel(4);
    let forward = async {
        while let Some(chunk) = chunks_rx.recv().await {
            let message = match chunk {
                ExportChunk::Table(i) => ToWriter::Table(tables[i].clone()),
                ExportChunk::Rows(rows) => ToWriter::Rows(rows),
            };
            if tx.send(message).await.is_err() {
                break;
            }
        }
        drop(tx);
    };
    let (exported, ()) = tokio::join!(
        store.export_snapshot(&tables, BATCH_ROWS, chunks_tx),
        forward
    );
    let failure = exported.err();
    let written = writer.await.map_err(|e| ArchiveError::Io {
        path: partial.clone(),
        source: std::io::Error::other(e),
    })?;
    let manifest = match (written, failure) {
        (Ok(m), None) => m,
        (Err(e), _) => {
            std::fs::remove_file(&partial).ok();
            return Err(e);
        }
        (Ok(_), Some(e)) => {
            std::fs::remove_file(&partial).ok();
            return Err(e.into());
        }
    };
    std::fs::rename(&partial, out).map_err(io(out))?;
    let sha256 = sha256_file(out)?;
    let bytes = std::fs::metadata(out).map_err(io(out))?.len();
    let rows: u64 = manifest.tables.iter().map(|t| t.rows).sum();
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: actor.into(),
            action: "org.export".into(),
            subject: org.into(),
            detail: format!(
                "sha256={sha256} tables={} rows={rows} schema_version={schema_version}",
                manifest.tables.len()
            ),
        })
        .await?;
    Ok(ExportSummary {
        sha256,
        manifest,
        bytes,
    })
}

fn damaged(archive: &Path, file: &str, why: impl ToString) -> ArchiveError {
    ArchiveError::Damaged {
        archive: archive.to_path_buf(),
        file: file.to_string(),
        why: why.to_string(),
    }
}

type Zip = zip::ZipArchive<BufReader<File>>;

fn open_zip(path: &Path) -> Result<Zip, ArchiveError> {
    let file = File::open(path).map_err(io(path))?;
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        damaged(
            path,
            "(the zip file itself)",
            format!("not a readable archive: {e}"),
        )
    })
}

/// Reads and checks the manifest of an archive.
pub fn read_manifest(path: &Path) -> Result<Manifest, ArchiveError> {
    let mut zip = open_zip(path)?;
    let entry = zip
        .by_name("manifest.json")
        .map_err(|e| damaged(path, "manifest.json", e))?;
    let manifest: Manifest = serde_json::from_reader(entry)
        .map_err(|e| damaged(path, "manifest.json", format!("unreadable: {e}")))?;
    if manifest.format != FORMAT {
        return Err(damaged(
            path,
            "manifest.json",
            format!("format is {:?}, not {FORMAT}", manifest.format),
        ));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(damaged(
            path,
            "manifest.json",
            format!(
                "format version {} is newer than this votebase reads ({FORMAT_VERSION})",
                manifest.format_version
            ),
        ));
    }
    Ok(manifest)
}

/// Checks every table file against the manifest: SHA-256 and row count. The first
/// mismatch is named.
pub fn verify(path: &Path, manifest: &Manifest) -> Result<(), ArchiveError> {
    let mut zip = open_zip(path)?;
    for t in &manifest.tables {
        let entry = zip
            .by_name(&t.file)
            .map_err(|e| damaged(path, &t.file, e))?;
        let mut reader = BufReader::new(entry);
        let mut hasher = Sha256::new();
        let mut lines = 0u64;
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| damaged(path, &t.file, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&line);
            lines += 1;
        }
        if hex::encode(hasher.finalize()) != t.sha256 {
            return Err(damaged(
                path,
                &t.file,
                "SHA-256 does not match the manifest",
            ));
        }
        if lines != t.rows {
            return Err(damaged(
                path,
                &t.file,
                format!("{lines} rows, the manifest says {}", t.rows),
            ));
        }
    }
    Ok(())
}

/// The reading side of an import, on a blocking thread: every table's rows in manifest
/// order, then `End` (or `Abort` naming the file that failed).
fn read_rows(path: &Path, manifest: &Manifest, out: mpsc::Sender<Batch<ArchiveChunk>>) {
    let send_all = || -> Result<(), String> {
        let mut zip = open_zip(path).map_err(|e| e.to_string())?;
        for t in &manifest.tables {
            let table = Arc::new(t.table.clone());
            let entry = zip
                .by_name(&t.file)
                .map_err(|e| damaged(path, &t.file, e).to_string())?;
            let mut rows = Vec::with_capacity(BATCH_ROWS);
            for (i, line) in BufReader::new(entry).lines().enumerate() {
                let line = line.map_err(|e| damaged(path, &t.file, e).to_string())?;
                let row: Vec<Value> = serde_json::from_str(&line).map_err(|e| {
                    damaged(path, &t.file, format!("line {}: {e}", i + 1)).to_string()
                })?;
                rows.push(row);
                if rows.len() >= BATCH_ROWS {
                    let chunk = ArchiveChunk {
                        table: table.clone(),
                        rows: std::mem::take(&mut rows),
                    };
                    out.blocking_send(Batch::Rows(vec![chunk]))
                        .map_err(|_| "the store stopped reading".to_string())?;
                }
            }
            let chunk = ArchiveChunk { table, rows };
            out.blocking_send(Batch::Rows(vec![chunk]))
                .map_err(|_| "the store stopped reading".to_string())?;
        }
        Ok(())
    };
    let last = match send_all() {
        Ok(()) => Batch::End,
        Err(why) => Batch::Abort(why),
    };
    let _ = out.blocking_send(last);
}

/// Imports the archive at `path` into `store` (the organization `as_org`): once per
/// archive file (a second import reports when the first happened and writes nothing),
/// after checking the manifest, the schema version and every file's checksum, in one
/// transaction that also records the import (source organization and SHA-256) in the
/// audit log as `org.import`.
pub async fn import(
    store: &dyn Store,
    path: &Path,
    as_org: &str,
    actor: &str,
) -> Result<ImportSummary, ArchiveError> {
    let file = path.to_path_buf();
    let sha256 = tokio::task::spawn_blocking(move || sha256_file(&file))
        .await
        .map_err(|e| ArchiveError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })??;
    if let Some(at) = store.archive_imported(&sha256).await? {
        return Ok(ImportSummary {
            sha256,
            source_org: None,
            outcome: ArchiveImportOutcome::AlreadyImported(at),
        });
    }
    let file = path.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || {
        let manifest = read_manifest(&file)?;
        verify(&file, &manifest)?;
        Ok::<_, ArchiveError>(manifest)
    })
    .await
    .map_err(|e| ArchiveError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })??;
    let here = store.schema_version().await?;
    if manifest.schema_version > here {
        return Err(ArchiveError::Newer {
            archive: path.to_path_buf(),
            found: manifest.schema_version,
            here,
        });
    }
    let request = ArchiveImport {
        archive_sha256: sha256.clone(),
        source_org: manifest.organization.clone(),
        source_backend: manifest.source_backend.clone(),
        audit: AuditEntry {
            at: Utc::now(),
            actor: actor.into(),
            action: "org.import".into(),
            subject: as_org.into(),
            detail: format!(
                "sha256={sha256} from={} backend={} schema_version={}",
                manifest.organization, manifest.source_backend, manifest.schema_version
            ),
        },
    };
    let (tx, rx) = mpsc::channel(2);
    let (file, read_manifest_) = (path.to_path_buf(), manifest.clone());
    let reader = tokio::task::spawn_blocking(move || read_rows(&file, &read_manifest_, tx));
    let outcome = store.import_archive(request, rx).await;
    reader.await.ok();
    let outcome = outcome.map_err(|e| match e {
        // The reader's own failure names the file: pass it on as it is.
        StoreError::Aborted(why) => ArchiveError::Store(StoreError::Refused(why)),
        other => ArchiveError::Store(other),
    })?;
    Ok(ImportSummary {
        sha256,
        source_org: Some(manifest.organization),
        outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_store::archive::{ArchiveColumn, ColumnKind};

    fn base() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            schema_version: 16,
            source_backend: "sqlite".into(),
            organization: "campaign".into(),
            created_at: Utc::now(),
            votebase_version: "test".into(),
            tables: Vec::new(),
            excluded_tables: Vec::new(),
            excluded_columns: Vec::new(),
        }
    }

    fn written(path: &Path) -> Manifest {
        let (tx, rx) = mpsc::channel(8);
        let table = ArchiveTable {
            name: "tags".into(),
            columns: vec![
                ArchiveColumn {
                    name: "id".into(),
                    kind: ColumnKind::Integer,
                },
                ArchiveColumn {
                    name: "tag".into(),
                    kind: ColumnKind::Text,
                },
            ],
            primary_key: vec!["id".into()],
        };
        tx.try_send(ToWriter::Table(table)).unwrap();
        let rows = vec![
            vec![Value::from(1), Value::from("=cmd|' /C calc'!A0")],
            vec![Value::from(2), Value::from("volunteer\nprospect")],
        ];
        tx.try_send(ToWriter::Rows(rows)).unwrap();
        drop(tx);
        write_archive(path, rx, base()).unwrap()
    }

    #[test]
    fn an_archive_reads_back_and_checks_itself() {
        let dir = std::env::temp_dir().join(format!("vb-archive-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.zip");
        let manifest = written(&path);
        assert_eq!(manifest.tables[0].rows, 2);
        assert_eq!(manifest.tables[0].file, "tables/001_tags.jsonl");
        let read = read_manifest(&path).unwrap();
        assert_eq!(read, manifest);
        verify(&path, &read).unwrap();

        // A manifest that disagrees with a file: refused, naming the file.
        let mut wrong = read.clone();
        wrong.tables[0].rows = 3;
        let err = verify(&path, &wrong).unwrap_err().to_string();
        assert!(
            err.contains("tables/001_tags.jsonl") && err.contains("3"),
            "{err}"
        );
        wrong.tables[0].rows = 2;
        wrong.tables[0].sha256 = "0".repeat(64);
        let err = verify(&path, &wrong).unwrap_err().to_string();
        assert!(err.contains("SHA-256 does not match"), "{err}");

        // Not a zip at all.
        let junk = dir.join("junk.zip");
        std::fs::write(&junk, b"not a zip").unwrap();
        let err = read_manifest(&junk).unwrap_err().to_string();
        assert!(err.contains("damaged") && err.contains("junk.zip"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }
}
