//! Ballot commands: `import ballots` (daily absentee / early-vote files), `ballots
//! status` (voters per category and how many count as voted) and `ballots list chase|cure`
//! (who to chase to return a ballot, who must cure a problem), as a table, CSV or JSON.

use crate::options::{Global, ImportArgs};
use crate::progress::Bar;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::bail;
use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use serde_json::json;
use std::sync::Arc;
use votebase_app::ballots::{self as app, BallotsError};
use votebase_domain::AuditEntry;
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::users::Role;
use votebase_ingest::Layout;
use votebase_ingest::ballots::{BallotIdentity, import_ballots_file, read_identities};
use votebase_store::Store;

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
    let (linked, links_path) = link_report(store, &args.file, &layout, &report).await?;
    if args.json {
        println!(
            "{}",
            json!({"read": report.read, "already_imported": o.already_imported,
                "new_events": o.new_events, "known_events": o.known_events,
                "unmatched": o.unmatched.len(), "rejected": report.rejected,
                "linked": linked.len(),
                "links_file": (!linked.is_empty()).then_some(&links_path),
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
        if !linked.is_empty() {
            println!(
                "  {} of the unmatched rows link to a voter by name, age and address (probability >= {LINK_THRESHOLD}): see {}",
                linked.len(),
                links_path.display()
            );
        }
    }
    Ok(())
}

/// Runs a ballot import's unmatched rows through the record-linkage engine and writes the
/// rows it links to a voter to `<file>.links.csv` (when there are any); returns them and
/// that path.
pub async fn link_report(
    store: &dyn Store,
    file: &std::path::Path,
    layout: &Layout,
    report: &votebase_ingest::ballots::BallotReport,
) -> anyhow::Result<(Vec<LinkedBallot>, std::path::PathBuf)> {
    let links_path = std::path::PathBuf::from(format!(
        "{}.links.csv",
        report
            .review_path
            .to_string_lossy()
            .trim_end_matches(".review.csv")
    ));
    if report.outcome.unmatched.is_empty() {
        return Ok((Vec::new(), links_path));
    }
    let lines = report.outcome.unmatched.iter().map(|u| u.line).collect();
    let rows = read_identities(file, layout, &lines)?;
    let linked = link_unmatched(store, rows).await?;
    if !linked.is_empty() {
        write_links(&links_path, &linked)?;
    }
    Ok((linked, links_path))
}

/// Match probability from which an unmatched ballot row is reported as linked.
const LINK_THRESHOLD: f64 = 0.9;

/// A ballot row whose ids match no voter, linked to one by the record-linkage engine.
#[derive(Debug, Clone)]
pub struct LinkedBallot {
    identity: BallotIdentity,
    state_voter_id: String,
    voter_name: String,
    voter_address: String,
    probability: f64,
}

/// Runs the unmatched rows through the record-linkage engine against the voter file
/// (name, birth year from the age, address) and keeps each row's best voter above
/// [`LINK_THRESHOLD`].
async fn link_unmatched(
    store: &dyn Store,
    rows: Vec<BallotIdentity>,
) -> anyhow::Result<Vec<LinkedBallot>> {
    let rows: Vec<BallotIdentity> = rows
        .into_iter()
        .filter(|r| !r.last_name.is_empty() && !r.first_name.is_empty())
        .collect();
    if rows.is_empty() || store.latest_snapshot().await?.is_none() {
        return Ok(Vec::new());
    }
    let voter_records = crate::link::all_voters(store).await?;
    let mut voters = votebase_link::Dataset::new("voters");
    for v in &voter_records {
        voters.push(&crate::link::voter_to_person(v))?;
    }
    let mut ballots = votebase_link::Dataset::new("ballots");
    for r in &rows {
        ballots.push(&votebase_link::PersonRecord {
            record_id: r.line.to_string(),
            first_name: r.first_name.clone(),
            middle_name: r.middle_name.clone(),
            last_name: r.last_name.clone(),
            birth_year: r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            street: r.street_address.clone(),
            city: r.city.clone(),
            zip: r.zip.clone(),
            ..Default::default()
        })?;
    }
    let mut config = votebase_link::infer_config(&[
        "record_id",
        "first_name",
        "middle_name",
        "last_name",
        "birth_year",
        "street",
        "city",
        "zip",
    ]);
    config.threshold = LINK_THRESHOLD;
    config.validate()?;
    let pairs = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<(u32, u32, f64)>> {
        let mut sink = votebase_link::CollectPairs::default();
        votebase_link::link(
            &ballots,
            &voters,
            &config,
            &mut sink,
            &votebase_link::NoProgress,
        )?;
        Ok(sink.0)
    })
    .await??;
    let mut best: std::collections::BTreeMap<u32, (u32, f64)> = Default::default();
    for (a, b, p) in pairs {
        let slot = best.entry(a).or_insert((b, p));
        if p > slot.1 {
            *slot = (b, p);
        }
    }
    Ok(best
        .into_iter()
        .filter(|(_, (_, p))| *p >= LINK_THRESHOLD)
        .map(|(a, (b, p))| {
            let v = &voter_records[b as usize];
            let summary = votebase_store::VoterSummary::of(&votebase_store::StoredVoter {
                record: v.clone(),
                present: true,
                first_snapshot: 0,
                removed_snapshot: None,
            });
            LinkedBallot {
                identity: rows[a as usize].clone(),
                state_voter_id: v.state_voter_id.clone(),
                voter_name: summary.name,
                voter_address: summary.address,
                probability: p,
            }
        })
        .collect())
}

/// Writes the linked rows: line, the id the file gave, the voter found and how sure.
fn write_links(path: &std::path::Path, linked: &[LinkedBallot]) -> anyhow::Result<()> {
    let mut w = SafeWriter::from_path(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    w.write_record([
        "line",
        "file_state_voter_id",
        "file_name",
        "file_address",
        "linked_state_voter_id",
        "linked_name",
        "linked_address",
        "probability",
    ])?;
    for l in linked {
        let i = &l.identity;
        w.write_record([
            i.line.to_string(),
            i.state_voter_id.clone(),
            format!("{} {} {}", i.first_name, i.middle_name, i.last_name)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            format!("{}, {} {}", i.street_address, i.city, i.zip),
            l.state_voter_id.clone(),
            l.voter_name.clone(),
            l.voter_address.clone(),
            format!("{:.4}", l.probability),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A ballot use case's error, with the CLI's hint when no ballot file is loaded.
fn explain(e: BallotsError) -> anyhow::Error {
    match e {
        BallotsError::NoBallots => anyhow::anyhow!(
            "no ballot file imported yet: `votebase import ballots FILE --layout nc-absentee`"
        ),
        other => other.into(),
    }
}

async fn pick_election(
    store: &dyn Store,
    election: Option<NaiveDate>,
) -> anyhow::Result<NaiveDate> {
    app::election_or_latest(store, election)
        .await
        .map_err(explain)
}

pub async fn ballots(global: &Global, cmd: BallotsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        BallotsCommand::Status { election, json } => {
            let (election, counts) = app::status(store.as_ref(), election)
                .await
                .map_err(explain)?;
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
            include_suppressed,
        } => {
            if !matches!(format.as_str(), "json" | "csv") {
                bail!("unknown --format {format:?}: use csv or json");
            }
            let list = match kind {
                BallotListKind::Chase => "chase",
                BallotListKind::Cure => "cure",
            };
            // The CLI runs with the store's own credentials: its operator is an admin.
            let (election, rows) = app::chase_cure_list(
                store.as_ref(),
                Role::Admin,
                &app::ListQuery {
                    kind: list,
                    min_days: Some(min_days),
                    election,
                    as_of: as_of.unwrap_or_else(|| Utc::now().date_naive()),
                    limit,
                    include_suppressed,
                },
            )
            .await
            .map_err(explain)?;
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
                    let mut out = app::write_list_csv(&rows, std::io::stdout())?;
                    std::io::Write::flush(&mut out)?;
                }
                other => bail!("unknown --format {other:?}: use csv or json"),
            }
            Ok(())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum BallotsCommand {
    /// Voters per ballot status (each voter once, in their most settled status) and how
    /// many count as voted.
    #[command(after_help = "Example: votebase ballots status --election 2026-11-03")]
    Status {
        /// Election date (default: the latest with ballots).
        #[arg(long)]
        election: Option<chrono::NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Voters who voted, by county, party, age band or method.
    #[command(after_help = "Example: votebase ballots turnout --by age")]
    Turnout {
        /// county, party, age or method.
        #[arg(long, default_value = "county")]
        by: String,
        /// Election date (default: the latest with ballots).
        #[arg(long)]
        election: Option<chrono::NaiveDate>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A chase list (requested or sent, not returned) or a cure list (returned with a
    /// curable problem).
    #[command(
        after_help = "Examples:\n  votebase ballots list chase --min-days 7 --format csv > chase.csv\n  votebase ballots list cure --format json"
    )]
    List {
        /// chase or cure.
        #[arg(value_enum)]
        kind: BallotListKind,
        /// Election date (default: the latest with ballots).
        #[arg(long)]
        election: Option<chrono::NaiveDate>,
        /// Chase only voters waiting at least this many days since the ballot was sent.
        #[arg(long, default_value_t = 0)]
        min_days: i64,
        /// The day to count days to (default: today).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Most rows.
        #[arg(long, default_value_t = 100_000)]
        limit: i64,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Keep voters on the do-not-contact list (left out by default).
        #[arg(long)]
        include_suppressed: bool,
    },
}

/// The built-in ballot lists.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum BallotListKind {
    /// Requested or sent, not yet returned.
    Chase,
    /// Returned with a curable problem.
    Cure,
}
