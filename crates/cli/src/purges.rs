//! `votebase purges …`: purge watch from the command line. `report` prints one line per
//! flag and `flagged: N` (or CSV / JSON), `list FLAG` writes the counsel list (audited;
//! the CLI is fully trusted, so it may export), `thresholds` shows or sets the
//! organization's thresholds; and the alert `import voters` prints when the new snapshot
//! raised a flag. Thin front ends over `votebase_app::purges`.

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;
use votebase_app::purges::{self as app, ListAccess, ReportRequest};
use votebase_domain::Role;
use votebase_store::Store;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PurgeFormat {
    /// One line per flag, then `flagged: N`.
    Text,
    /// CSV.
    Csv,
    /// JSON.
    Json,
}

/// `votebase purges` subcommands.
#[derive(Subcommand, Debug)]
pub enum PurgesCommand {
    /// The removals off the roll that deserve a lawyer's look, one line per flag, then
    /// `flagged: N`.
    #[command(
        after_help = "Each pair of consecutive snapshots is tested per county and transition\n(inactivated, removed, disappeared) against the county's own history and the state's\nother counties (see `votebase purges thresholds`).\n\nExamples:\n  votebase purges report\n  votebase purges report --since 2026-10-01 --county FOXHALL --format json\n  votebase purges report --baselines ../shared/data/purge/eavs_county_removals --state NC"
    )]
    Report {
        /// Only refreshes dated on or after this date (YYYY-MM-DD).
        #[arg(long)]
        since: Option<NaiveDate>,
        /// Only this county (the test still compares it with every county).
        #[arg(long)]
        county: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: PurgeFormat,
        /// A folder of EAC EAVS county files (stg_eavs_county_reg_union_*.csv): each
        /// county's normal removal rate is the prior of a short history.
        #[arg(long)]
        baselines: Option<PathBuf>,
        /// The state of the baselines (two letters).
        #[arg(long, default_value = "NC")]
        state: String,
    },
    /// The counsel list of a flag: every voter with id, name, address, status before and
    /// after, reason, registration date, last vote and ballots this cycle (audited).
    #[command(
        after_help = "FLAG is DATE:COUNTY:TRANSITION as `purges report` prints it.\n\nExample: votebase purges list 2026-10-22:FOXHALL:inactivated --format csv > foxhall.csv"
    )]
    List {
        /// The flag id.
        flag: String,
        /// Output format (text: one voter a line, then the reinstatement count).
        #[arg(long, value_enum, default_value = "csv")]
        format: PurgeFormat,
    },
    /// Show the organization's thresholds, or set some (`--set fdr=0.001 --set min_ratio=3`).
    #[command(after_help = "Example: votebase purges thresholds --set min_voters=50")]
    Thresholds {
        /// NAME=VALUE to store (all or nothing).
        #[arg(long)]
        set: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn purges(global: &Global, cmd: PurgesCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        PurgesCommand::Report {
            since,
            county,
            format,
            baselines,
            state,
        } => {
            let baselines = baselines
                .map(|dir| app::load_baselines(&dir, &state))
                .transpose()?;
            let report = app::report(
                store.as_ref(),
                &ReportRequest {
                    since,
                    county,
                    baselines,
                },
            )
            .await?;
            match format {
                PurgeFormat::Text => {
                    for s in &report.skipped {
                        eprintln!("note: {s}");
                    }
                    print!("{}", app::report_text(&report));
                }
                PurgeFormat::Csv => print!("{}", app::report_csv(&report)?),
                PurgeFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(())
        }
        PurgesCommand::List { flag, format } => {
            let access = if format == PurgeFormat::Csv {
                ListAccess::Export
            } else {
                ListAccess::Read
            };
            let list =
                app::counsel_list(store.as_ref(), &flag, &cli_actor(), Role::Admin, access).await?;
            match format {
                PurgeFormat::Csv => print!("{}", app::list_csv(&list)?),
                PurgeFormat::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                PurgeFormat::Text => {
                    match &list.flag {
                        Some(f) => println!("{}", f.sentence),
                        None => println!("{}: not flagged by the report", list.id),
                    }
                    for v in &list.voters {
                        println!(
                            "{}  {}  {}  {} -> {}  {}",
                            v.state_voter_id,
                            v.name,
                            v.address,
                            v.status_before,
                            v.status_after,
                            v.reason
                        );
                    }
                    let back = list
                        .reinstatements
                        .last()
                        .map(|r| r.running_total)
                        .unwrap_or(0);
                    println!("voters: {}, reinstated since: {back}", list.voters.len());
                }
            }
            Ok(())
        }
        PurgesCommand::Thresholds { set, json } => {
            let t = if set.is_empty() {
                app::thresholds(store.as_ref()).await?
            } else {
                app::set_thresholds(store.as_ref(), &set).await?
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                for ((name, value), (_, meaning)) in
                    t.entries().into_iter().zip(app::Thresholds::NAMES)
                {
                    println!("{name} = {value}    ({meaning})");
                }
            }
            Ok(())
        }
    }
}

/// Prints the alert for the latest snapshot's flags after `import voters` (on standard
/// error when the import prints JSON, so its output stays one JSON document).
pub async fn alert_after_import(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let flags = app::alerts_for_latest(store).await?;
    if let Some(text) = app::alert_text(&flags) {
        if json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
    }
    Ok(())
}

/// The demo's purge-watch refreshes: writes them after the second snapshot, imports them
/// through the ncvoter importer (each prints its line, and the alert when it raises a
/// flag), then prints the planted purge and what the report flags.
pub async fn demo_refreshes(
    store: &dyn Store,
    second: &std::path::Path,
    dir: &std::path::Path,
    seed: u64,
    refreshes: usize,
) -> anyhow::Result<()> {
    let base_as_of = store
        .latest_snapshot()
        .await?
        .map(|s| s.as_of)
        .ok_or_else(|| anyhow::anyhow!("the demo's snapshots are not imported"))?;
    let (second, dir2) = (second.to_path_buf(), dir.to_path_buf());
    let made = tokio::task::spawn_blocking(move || {
        votebase_demo::write_purge_refreshes(&second, base_as_of, &dir2, seed, refreshes)
    })
    .await??;
    for file in &made.files {
        crate::voters::import_voters(
            store,
            &crate::options::ImportArgs {
                file: file.clone(),
                layout: "ncvoter".into(),
                as_of: None,
                rejects: None,
                json: false,
            },
        )
        .await?;
    }
    let report = app::report(store, &ReportRequest::default()).await?;
    println!(
        "purge watch: {} weekly refreshes; planted: {} ({} voters); flagged: {} (votebase purges report)",
        made.files.len(),
        made.planted.flag_id(),
        made.planted.voters,
        report.flags.len()
    );
    Ok(())
}
