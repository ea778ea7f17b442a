//! Voter-file commands: `import voters`, `import history`, `snapshots`, `voters find`
//! and `voters show`. Each prints a short table, or JSON with `--json`.

use crate::options::{Global, ImportArgs};
use crate::progress::Bar;
use crate::stores;
use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use serde_json::json;
use std::sync::Arc;
use votebase_domain::AuditEntry;
use votebase_ingest::voters::{ImportOptions, import_voters_file};
use votebase_ingest::{Layout, history::import_history_file};
use votebase_store::Store;

fn label(args: &ImportArgs) -> String {
    args.file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The CLI's audit actor: `cli:<os user>`.
pub fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// Records an audit entry by the CLI's actor.
pub async fn cli_audit(
    store: &dyn Store,
    action: &str,
    subject: &str,
    detail: &str,
) -> anyhow::Result<()> {
    store
        .audit(&votebase_domain::AuditEntry {
            at: chrono::Utc::now(),
            actor: cli_actor(),
            action: action.into(),
            subject: subject.into(),
            detail: detail.into(),
        })
        .await?;
    Ok(())
}

pub async fn import(global: &Global, cmd: ImportCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        ImportCommand::Voters(args) => import_voters(store.as_ref(), &args).await,
        ImportCommand::Ballots(args) => crate::ballots::import(store.as_ref(), &args).await,
        ImportCommand::Phones(args) => crate::phones::import_phones(global, args).await,
        ImportCommand::Vip(args) => crate::vip_import::import(global, args),
        ImportCommand::Contacts(args) => crate::contacts::import_into(store.as_ref(), &args)
            .await
            .map(|_| ()),
        ImportCommand::History(args) => {
            let layout = Layout::load(&args.layout)?;
            let report = import_history_file(
                store.as_ref(),
                &args.file,
                &layout,
                args.rejects.clone(),
                Arc::new(Bar::new(&label(&args))),
            )
            .await?;
            audit_import(store.as_ref(), &args, report.outcome.inserted).await?;
            if args.json {
                println!(
                    "{}",
                    json!({"read": report.read, "inserted": report.outcome.inserted,
                        "unchanged": report.outcome.unchanged, "rejected": report.rejected,
                        "seconds": report.seconds})
                );
            } else {
                println!(
                    "{}: read {}, new {}, unchanged {}, rejected {}{}, {:.1} s",
                    label(&args),
                    report.read,
                    report.outcome.inserted,
                    report.outcome.unchanged,
                    report.rejected,
                    rejects_note(report.rejected, &report.rejects_path),
                    report.seconds
                );
            }
            Ok(())
        }
    }
}

fn rejects_note(rejected: u64, path: &std::path::Path) -> String {
    if rejected > 0 {
        format!(" (see {})", path.display())
    } else {
        String::new()
    }
}

async fn audit_import(store: &dyn Store, args: &ImportArgs, rows: i64) -> anyhow::Result<()> {
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: cli_actor(),
            action: "import".into(),
            subject: label(args),
            detail: format!("layout {}, {rows} rows", args.layout),
        })
        .await?;
    Ok(())
}

/// Imports one voter file and prints the one-line summary.
pub async fn import_voters(store: &dyn Store, args: &ImportArgs) -> anyhow::Result<()> {
    let layout = Layout::load(&args.layout)?;
    let options = ImportOptions {
        as_of: args.as_of,
        rejects_path: args.rejects.clone(),
    };
    let report = import_voters_file(
        store,
        &args.file,
        &layout,
        &options,
        Arc::new(Bar::new(&label(args))),
    )
    .await?;
    let mut relinked = 0;
    if !report.already_imported {
        audit_import(store, args, report.imported as i64).await?;
        if report.snapshot.added > 0 && report.snapshot.removed > 0 {
            relinked = crate::relink::relink_snapshot(store, report.snapshot.id, 0.95).await?;
        }
    }
    let s = &report.snapshot;
    if args.json {
        println!(
            "{}",
            json!({"snapshot": s, "already_imported": report.already_imported,
                "read": report.read, "imported": report.imported, "rejected": report.rejected,
                "rejects_file": report.rejects_path, "seconds": report.seconds, "relinked": relinked,
                "peak_rss_mib": crate::bench::peak_rss_mib()})
        );
    } else if report.already_imported {
        println!(
            "{}: already imported as snapshot {} (as of {}); nothing changed",
            label(args),
            s.id,
            s.as_of
        );
    } else {
        println!(
            "{}: snapshot {} as of {}: read {}, imported {}, rejected {}{}, {:.1} s ({:.0} rows/s); voters {}, added {}, removed {}, changed {}, relinked {relinked}",
            label(args),
            s.id,
            s.as_of,
            report.read,
            report.imported,
            report.rejected,
            rejects_note(report.rejected, &report.rejects_path),
            report.seconds,
            report.read as f64 / report.seconds.max(1e-9),
            s.voters,
            s.added,
            s.removed,
            s.changed
        );
    }
    if !report.already_imported && report.snapshot.id > 1 {
        crate::purges::alert_after_import(store, args.json).await?;
    }
    Ok(())
}

pub async fn snapshots(global: &Global, json_out: bool) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let list = store.list_snapshots().await?;
    if json_out {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!(
        "{:>4}  {:<10}  {:>9}  {:>8}  {:>8}  {:>8}  file",
        "id", "as_of", "voters", "added", "removed", "changed"
    );
    for s in list {
        println!(
            "{:>4}  {:<10}  {:>9}  {:>8}  {:>8}  {:>8}  {}",
            s.id, s.as_of, s.voters, s.added, s.removed, s.changed, s.source_file
        );
    }
    Ok(())
}

pub async fn voters(global: &Global, cmd: VotersCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        VotersCommand::Find { query, limit, json } => {
            let q = votebase_ingest::search::parse_voter_query(&query, limit);
            if q.is_empty() {
                bail!("nothing to search for in {query:?}: give a name, an address or a voter id");
            }
            let found = store.search_voters(&q).await?;
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "voter.search".into(),
                    subject: query.clone(),
                    detail: format!("{} results", found.len()),
                })
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                for v in &found {
                    println!(
                        "{:<12}  {:<32}  {:<45}  {:<12} {:<9} {}{}",
                        v.state_voter_id,
                        v.name,
                        v.address,
                        v.county_name,
                        v.status,
                        v.party,
                        if v.present { "" } else { "  (removed)" }
                    );
                }
                println!("{} found", found.len());
            }
            Ok(())
        }
        VotersCommand::Show { id, json } => {
            let Some(v) = store.get_voter(&id).await? else {
                bail!("no voter with id {id:?}");
            };
            let history = store.voter_history(&id).await?;
            let changes = store.voter_changes(&id).await?;
            let ballots = store.voter_ballots(&id).await?;
            let phones = store.voter_phones(&id).await?;
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "voter.read".into(),
                    subject: id.clone(),
                    detail: "cli".into(),
                })
                .await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"voter": v, "history": history, "changes": changes,
                            "ballots": ballots, "appended_phones": phones})
                    )?
                );
            } else {
                let r = &v.record;
                println!("{} {}", r.state_voter_id, r.display_name());
                println!(
                    "  {} {} {}",
                    r.address.line1(),
                    r.address.city,
                    r.address.zip5
                );
                println!(
                    "  {} county, precinct {}, status {}, party {} ({}), born {}",
                    r.county_name,
                    r.precinct_code,
                    r.status.code(),
                    r.party.code(),
                    r.party_code,
                    r.birth_year.map(|y| y.to_string()).unwrap_or_default()
                );
                for p in &phones {
                    println!(
                        "  phone {} from {} (p={:.3}){}",
                        p.phone_e164,
                        p.source,
                        p.probability,
                        if p.shared_across_households {
                            ", also matched at another household"
                        } else {
                            ""
                        }
                    );
                }
                for b in &ballots {
                    println!(
                        "  ballot {} {} {} {}",
                        b.election_date,
                        b.method.code(),
                        b.category.code(),
                        b.return_status
                    );
                }
                for h in &history {
                    println!(
                        "  voted {} {} {}",
                        h.election_date, h.voting_method, h.voted_party
                    );
                }
                for c in &changes {
                    println!(
                        "  snapshot {} ({}): {} {} {:?} -> {:?}",
                        c.snapshot_id,
                        c.as_of,
                        c.kind.code(),
                        c.field,
                        c.old_value,
                        c.new_value
                    );
                }
            }
            Ok(())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import a voter file as a dated snapshot.
    #[command(
        after_help = "Examples:\n  votebase import voters ncvoter_Statewide.zip --layout ncvoter\n  votebase import voters fl_extract.txt --layout florida --as-of 2026-09-01\n  votebase import voters my_state.csv --layout ./my-state.toml"
    )]
    Voters(ImportArgs),
    /// Import a daily absentee / early-vote file (one row per ballot event).
    #[command(
        after_help = "Examples:\n  votebase import ballots absentee_20261020.csv --layout nc-absentee\n  votebase import ballots daily_absentee_list.csv --layout virginia-absentee --as-of 2026-10-20"
    )]
    Ballots(ImportArgs),
    /// Validate a VIP feed and install it for the public "Where do I vote?" pages.
    Vip(crate::vip_import::ImportVipArgs),
    /// Append purchased or collected cell numbers to voters (matched by name and address).
    Phones(crate::phones::PhoneArgs),
    /// Import vote history (one row per voter per election).
    #[command(after_help = "Example: votebase import history ncvhis_Statewide.zip --layout ncvhis")]
    History(ImportArgs),
    /// Import contact history (door knocks, calls, texts, ads) exported from VAN, Spoke or
    /// any tool through a mapping; all-or-nothing, idempotent on the source event id.
    Contacts(crate::contacts::ImportContactsArgs),
}

#[derive(Subcommand, Debug)]
pub enum VotersCommand {
    /// Search by name, address or state/county id.
    #[command(
        after_help = "Examples:\n  votebase voters find \"SMITH JOHN\"\n  votebase voters find \"123 Main St\"\n  votebase voters find AB123456"
    )]
    Find {
        /// What to look for.
        query: String,
        /// Most results.
        #[arg(long, default_value_t = 25)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one voter with history and changes.
    #[command(after_help = "Example: votebase voters show AB123456 --json")]
    Show {
        /// State voter id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
