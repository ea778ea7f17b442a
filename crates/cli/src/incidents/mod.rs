//! `votebase incidents …`: voter-protection incidents from the command line. `import`
//! loads reports collected elsewhere (CSV; all-or-nothing, rejects with line numbers,
//! idempotent), `list` prints or exports them (audited), `cover` gives lawyers and
//! observers their counties, `rules` shows or sets the triage rules, `escalate` runs the
//! escalation timer once: thin front ends over `votebase_app::incidents`. Also the demo's
//! election day ([`demo`]) and
//! `votebase bench incidents` ([`bench`]): sustained intake over loopback HTTP with live
//! queue clients connected, beside the store's own insert rate.

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use votebase_app::incidents as app;
use votebase_domain::Role;
use votebase_domain::incidents::{IncidentFilter, IncidentStatus, TriageRules};
use votebase_ingest::rejects::RejectWriter;
use votebase_store::Store;

mod bench;
mod demo;

pub use bench::bench;
pub use demo::demo_day;

/// `votebase incidents` subcommands.
#[derive(Subcommand, Debug)]
pub enum IncidentsCommand {
    /// Import reports collected elsewhere from a CSV file (all or nothing; a second
    /// import of the same rows changes nothing).
    #[command(
        after_help = "Columns (header required): reported_at, category, county, polling_place, description,\nreporter_name, reporter_phone; optional: precinct, polling_place_id, address, city, zip,\nreporter_relationship. Times: RFC 3339, or YYYY-MM-DD HH:MM[:SS] in --utc-offset.\n\nExample: votebase incidents import hotline-export.csv --utc-offset -05:00"
    )]
    Import(ImportIncidentsArgs),
    /// List incidents (most severe, then oldest first) as a table, CSV or JSON (audited).
    #[command(
        after_help = "Example: votebase incidents list --county WAKE --status escalated --format csv"
    )]
    List(ListIncidentsArgs),
    /// Give a lawyer or observer their counties (`--lead`: the counties' lead lawyer).
    #[command(after_help = "Example: votebase incidents cover lena WAKE DURHAM --lead")]
    Cover {
        /// User name (role lawyer or observer).
        user: String,
        /// Counties.
        #[arg(required = true)]
        counties: Vec<String>,
        /// Make them the lead lawyer of these counties.
        #[arg(long)]
        lead: bool,
    },
    /// Who covers which county.
    Coverage {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the triage rules as JSON, or replace them from a JSON file.
    #[command(after_help = "Example: votebase incidents rules --set rules.json")]
    Rules {
        /// A JSON file with the new rules (fields: cluster_size, cluster_window_minutes,
        /// duplicate_window_minutes, lead_lawyer_categories, stale_minutes, custom_categories).
        #[arg(long)]
        set: Option<PathBuf>,
    },
    /// Escalate incidents untouched for the rules' stale_minutes now (the server does
    /// this every 30 seconds).
    Escalate,
}

/// `votebase incidents import` options.
#[derive(Args, Debug)]
pub struct ImportIncidentsArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// Offset of times written without one (default +00:00, UTC).
    #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
    pub utc_offset: String,
    /// Where rejected rows go (default: <file>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `votebase incidents list` options.
#[derive(Args, Debug)]
pub struct ListIncidentsArgs {
    /// Only this county.
    #[arg(long)]
    pub county: Option<String>,
    /// Only this status (new, triaged, assigned, escalated, resolved, closed).
    #[arg(long)]
    pub status: Option<String>,
    /// Only this category.
    #[arg(long)]
    pub category: Option<String>,
    /// Only open incidents.
    #[arg(long)]
    pub open: bool,
    /// table, csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Most rows (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: i64,
}

/// `votebase bench incidents` options.
#[derive(Args, Debug)]
pub struct BenchIncidentsArgs {
    /// Seconds of sustained intake.
    #[arg(long, default_value_t = 15)]
    pub seconds: u64,
    /// Target incidents per second.
    #[arg(long, default_value_t = 500)]
    pub rate: u64,
    /// Live-queue (server-sent events) clients connected during the run.
    #[arg(long, default_value_t = 200)]
    pub clients: usize,
    /// Keep-alive connections posting incidents.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Work directory (default: target/bench-incidents).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn incidents(global: &Global, cmd: IncidentsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    match cmd {
        IncidentsCommand::Import(args) => import(global, store.as_ref(), &args).await,
        IncidentsCommand::List(args) => list(store.as_ref(), &args).await,
        IncidentsCommand::Cover {
            user,
            counties,
            lead,
        } => cover(store.as_ref(), &user, &counties, lead).await,
        IncidentsCommand::Coverage { json } => {
            let rows = store.coverage(None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!("{:<20} {:<20} lead", "user", "county");
                for c in rows {
                    println!(
                        "{:<20} {:<20} {}",
                        c.user_name,
                        c.county,
                        if c.lead { "yes" } else { "" }
                    );
                }
            }
            Ok(())
        }
        IncidentsCommand::Rules { set } => {
            if let Some(path) = set {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let rules: TriageRules = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a rules JSON file", path.display()))?;
                app::set_rules(store.as_ref(), &rules).await?;
                crate::voters::cli_audit(
                    store.as_ref(),
                    "incident.rules",
                    &path.display().to_string(),
                    "",
                )
                .await?;
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&app::rules(store.as_ref()).await?)?
            );
            Ok(())
        }
        IncidentsCommand::Escalate => {
            let escalated = app::escalate(store.as_ref(), Utc::now()).await?;
            for i in &escalated {
                println!(
                    "escalated #{} {} {}",
                    i.id,
                    i.category,
                    i.location.display()
                );
            }
            println!("{} incidents escalated", escalated.len());
            Ok(())
        }
    }
}

async fn cover(
    store: &dyn Store,
    user: &str,
    counties: &[String],
    lead: bool,
) -> anyhow::Result<()> {
    let Some((u, _)) = store.user_with_password(user).await? else {
        bail!("no user {user:?}: add them first with `votebase user add {user} --role lawyer`");
    };
    match u.role {
        Role::Lawyer => {}
        Role::Observer if !lead => {}
        Role::Observer => {
            bail!("{user} is an observer: only a lawyer can be a county's lead lawyer")
        }
        other => bail!(
            "{user} is {other}: only lawyers and observers are limited to counties (coordinators and admins see every county)"
        ),
    }
    store.set_coverage(user, counties, lead).await?;
    crate::voters::cli_audit(store, "incident.cover", user, &counties.join(" ")).await?;
    let now: Vec<String> = store
        .coverage(Some(user))
        .await?
        .into_iter()
        .map(|c| {
            if c.lead {
                format!("{} (lead)", c.county)
            } else {
                c.county
            }
        })
        .collect();
    println!("{user} covers {}", now.join(", "));
    Ok(())
}

/// The installed VIP feed's index, when there is one that loads.
fn installed_feed(global: &Global) -> Option<std::sync::Arc<votebase_vip::Index>> {
    let path = crate::vip_import::feed_dir(global)
        .and_then(|d| d.current().map_err(|e| anyhow::anyhow!("{e}")))
        .ok()??;
    let feed = votebase_vip::load(&path).ok()?;
    Some(votebase_vip::Index::build(&feed))
}

/// What an import did.
#[derive(Debug, serde::Serialize)]
struct ImportSummary {
    file: String,
    rows: usize,
    created: i64,
    known: i64,
    rejected: u64,
}

async fn import(
    global: &Global,
    store: &dyn Store,
    args: &ImportIncidentsArgs,
) -> anyhow::Result<()> {
    let offset = app::parse_offset(&args.utc_offset)?;
    let rules = app::rules(store).await?;
    let feed = installed_feed(global);
    let feed = feed.map(|i| app::feed_places(&i)).unwrap_or_default();
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| RejectWriter::default_path(&args.file));
    let mut rejects = RejectWriter::new(rejects_path.clone());
    let read = app::read_hotline_csv(
        &args.file,
        &rules,
        &feed,
        offset,
        &cli_actor(),
        &mut rejects,
    )?;
    drop(rejects);
    if read.rejected > 0 {
        bail!(
            "{} row(s) rejected (line numbers and reasons in {}); nothing was imported: fix them and import the file again",
            read.rejected,
            rejects_path.display()
        );
    }
    let rows = read.rows;
    let outcome = app::import(store, &rows, Utc::now()).await?;
    let file = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    crate::voters::cli_audit(
        store,
        "import",
        &file,
        &format!(
            "incidents: {} new, {} known",
            outcome.created, outcome.known
        ),
    )
    .await?;
    let summary = ImportSummary {
        file,
        rows: rows.len(),
        created: outcome.created,
        known: outcome.known,
        rejected: read.rejected,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "{}: {} rows, {} new incidents, {} already imported",
            summary.file, summary.rows, summary.created, summary.known
        );
    }
    Ok(())
}

async fn list(store: &dyn Store, args: &ListIncidentsArgs) -> anyhow::Result<()> {
    let status = match &args.status {
        None => None,
        Some(s) => Some(IncidentStatus::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown status {s:?}: use new, triaged, assigned, escalated, resolved or closed"
            )
        })?),
    };
    let category = match &args.category {
        None => None,
        Some(c) => Some(store.incident_rules().await?.category(c)?.code),
    };
    let filter = IncidentFilter {
        counties: args.county.as_ref().map(|c| vec![c.to_ascii_uppercase()]),
        status,
        category,
        open_only: args.open,
        limit: args.limit.max(0),
    };
    let rows = store.list_incidents(&filter).await?;
    crate::voters::cli_audit(
        store,
        "incident.export",
        "incidents",
        &format!("cli {}, {} incidents", args.format, rows.len()),
    )
    .await?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
        "csv" => {
            use std::io::Write;
            app::to_csv(std::io::stdout().lock(), &rows)?.flush()?;
        }
        "table" => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:>6} {:<9} {:<9} {:<22} {:<12} {:>7} {:<16} where",
                "id", "severity", "status", "category", "county", "cluster", "observed"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:>6} {:<9} {:<9} {:<22} {:<12} {:>7} {:<16} {}",
                    r.id,
                    r.severity.code(),
                    r.status.code(),
                    r.category,
                    r.location.county,
                    r.cluster_id.map(|c| format!("#{c}")).unwrap_or_default(),
                    r.observed_at.format("%Y-%m-%d %H:%M"),
                    r.location.display()
                )?;
            }
            writeln!(out, "{} incidents", rows.len())?;
        }
        other => bail!("unknown --format {other:?}: use table, csv or json"),
    }
    Ok(())
}
