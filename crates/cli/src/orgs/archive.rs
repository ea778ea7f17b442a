//! `votebase org export ORG --out FILE` and `votebase org import FILE --as NEW`: the
//! command-line side of organization archives (`votebase_app::orgs::archive`). Each
//! opens the named organization's store with the global `--data` / `--database`, so an
//! archive made from SQLite imports into PostgreSQL by adding `--database` to the import.

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::Context;
use std::path::Path;
use votebase_app::orgs::archive;
use votebase_store::archive::ArchiveImportOutcome;

fn for_org(global: &Global, org: &str) -> Global {
    Global {
        org: org.to_string(),
        ..global.clone()
    }
}

/// `votebase org export`.
pub async fn export(global: &Global, org: &str, out: &Path, json: bool) -> anyhow::Result<()> {
    let store = stores::open(&for_org(global, org)).await?;
    let summary = archive::export(store.as_ref(), org, out, &cli_actor())
        .await
        .with_context(|| format!("cannot export organization {org}"))?;
    let rows: u64 = summary.manifest.tables.iter().map(|t| t.rows).sum();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "organization": org,
                "file": out,
                "sha256": summary.sha256,
                "bytes": summary.bytes,
                "schema_version": summary.manifest.schema_version,
                "tables": summary.manifest.tables.iter()
                    .map(|t| serde_json::json!({"name": t.table.name, "rows": t.rows}))
                    .collect::<Vec<_>>(),
            })
        );
    } else {
        println!(
            "exported organization {org} ({} tables, {rows} rows, {} bytes) to {}",
            summary.manifest.tables.len(),
            summary.bytes,
            out.display()
        );
        println!("sha256 {}", summary.sha256);
        println!("users are exported without passwords, tokens or sessions");
    }
    Ok(())
}

/// `votebase org import`.
pub async fn import(global: &Global, file: &Path, as_org: &str, json: bool) -> anyhow::Result<()> {
    let store = stores::open(&for_org(global, as_org)).await?;
    let summary = archive::import(store.as_ref(), file, as_org, &cli_actor())
        .await
        .with_context(|| format!("cannot import {} as organization {as_org}", file.display()))?;
    match &summary.outcome {
        ArchiveImportOutcome::AlreadyImported(at) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"organization": as_org, "sha256": summary.sha256,
                        "already_imported": at})
                );
            } else {
                println!(
                    "already imported into {as_org} at {}: nothing changed (sha256 {})",
                    at.format("%Y-%m-%d %H:%M UTC"),
                    summary.sha256
                );
            }
        }
        ArchiveImportOutcome::Imported(counts) => {
            let rows: u64 = counts.iter().map(|(_, n)| n).sum();
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "organization": as_org,
                        "from": summary.source_org,
                        "sha256": summary.sha256,
                        "tables": counts.iter()
                            .map(|(t, n)| serde_json::json!({"name": t, "rows": n}))
                            .collect::<Vec<_>>(),
                    })
                );
            } else {
                println!(
                    "imported {rows} rows in {} tables from organization {} as {as_org} (sha256 {})",
                    counts.len(),
                    summary.source_org.as_deref().unwrap_or("?"),
                    summary.sha256
                );
                println!(
                    "imported users are disabled and have no password: `votebase --org {as_org} user passwd NAME`, then enable them"
                );
            }
        }
    }
    Ok(())
}
