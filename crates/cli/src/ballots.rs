//! Ballot commands: `import ballots` (daily absentee / early-vote files), `ballots
//! status` (voters per category and how many count as voted) and `ballots list chase|cure`
//! (who to chase to return a ballot, who must cure a problem), as a table, CSV or JSON.

use crate::args::{BallotListKind, BallotsCommand, Global, ImportArgs};
use crate::progress::Bar;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::bail;
use chrono::{NaiveDate, Utc};
use serde_json::json;
use std::sync::Arc;
use votebase_domain::AuditEntry;
use votebase_ingest::Layout;
use votebase_ingest::ballots::import_ballots_file;
use votebase_store::{BallotList, BallotListRow, Store};

/// `import ballots FILE --layout nc-absentee`.
pub async fn import(store: &dyn Store, args: &ImportArgs) -> anyhow::Result<()> {
    let layout = Layout::load(&args.layout)?;
    let label = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = import_ballots_file(
        store,
        &args.file,
        &layout,
        args.as_of,
        args.rejects.clone(),
        Arc::new(Bar::new(&label)),
    )
    .await?;
    let o = &report.outcome;
    if !o.already_imported {
        store
            .audit(&AuditEntry {
                at: Utc::now(),
                actor: cli_actor(),
                action: "import".into(),
                subject: label.clone(),
                detail: format!("layout {}, {} new ballot events", args.layout, o.new_events),
            })
            .await?;
    }
    if args.json {
        println!(
            "{}",
            json!({"read": report.read, "already_imported": o.already_imported,
                "new_events": o.new_events, "known_events": o.known_events,
                "unmatched": o.unmatched.len(), "rejected": report.rejected,
                "review_file": report.review_path, "seconds": report.seconds,
                "peak_rss_mib": crate::bench::peak_rss_mib()})
        );
    } else if o.already_imported {
        println!("{label}: already imported; nothing changed");
    } else {
        println!(
            "{label}: read {}, new events {}, already known {}, unmatched {}{}, rejected {}, {:.1} s",
            report.read,
            o.new_events,
            o.known_events,
            o.unmatched.len(),
            if o.unmatched.is_empty() {
                String::new()
            } else {
                format!(" (see {})", report.review_path.display())
            },
            report.rejected,
            report.seconds
        );
    }
    Ok(())
}

async fn pick_election(
    store: &dyn Store,
    election: Option<NaiveDate>,
) -> anyhow::Result<NaiveDate> {
    if let Some(e) = election {
        return Ok(e);
    }
    match store.ballot_elections().await?.first() {
        Some(e) => Ok(*e),
        None => bail!(
            "no ballot file imported yet: `votebase import ballots FILE --layout nc-absentee`"
        ),
    }
}

pub async fn ballots(global: &Global, cmd: BallotsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        BallotsCommand::Status { election, json } => {
            let election = pick_election(store.as_ref(), election).await?;
            let counts = store.ballot_status_counts(election).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"election": election, "categories": counts})
                    )?
                );
                return Ok(());
            }
            println!("election {election}");
            println!("{:<12} {:>10} {:>10}", "status", "voters", "voted");
            let (mut all, mut voted) = (0, 0);
            for c in &counts {
                println!("{:<12} {:>10} {:>10}", c.category.code(), c.voters, c.voted);
                all += c.voters;
                voted += c.voted;
            }
            println!("{:<12} {:>10} {:>10}", "total", all, voted);
            Ok(())
        }
        BallotsCommand::Turnout { by, election, json } => {
            let Some(dimension) = votebase_store::TurnoutBy::parse(&by) else {
                bail!("unknown --by {by:?}: use county, party, age or method");
            };
            let election = pick_election(store.as_ref(), election).await?;
            let rows = store.ballot_turnout_by(election, dimension).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"election": election, "by": dimension, "groups": rows})
                    )?
                );
            } else {
                println!("voted in the {election} election, by {by}");
                for (group, n) in &rows {
                    println!("{group:<24} {n:>10}");
                }
            }
            Ok(())
        }
        BallotsCommand::List {
            kind,
            election,
            min_days,
            as_of,
            limit,
            format,
        } => {
            let election = pick_election(store.as_ref(), election).await?;
            let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
            let list = match kind {
                BallotListKind::Chase => BallotList::Chase { min_days },
                BallotListKind::Cure => BallotList::Cure,
            };
            let rows = store.ballot_list(election, list, as_of, limit).await?;
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "export".into(),
                    subject: format!("ballots {kind:?} list {election}").to_lowercase(),
                    detail: format!("{} rows, {format}", rows.len()),
                })
                .await?;
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
                "csv" => {
                    let mut w = csv::Writer::from_writer(std::io::stdout());
                    w.write_record(BallotListRow::CSV_HEADER)?;
                    for r in &rows {
                        w.write_record(r.csv_record())?;
                    }
                    w.flush()?;
                }
                other => bail!("unknown --format {other:?}: use csv or json"),
            }
            Ok(())
        }
    }
}
