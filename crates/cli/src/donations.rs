//! `votebase donations import|flags|report|export|review|rules`: contributions from the
//! command line.
//! Imports of an ActBlue export, an FEC itcont file or any tool through a TOML mapping
//! (recognised from the first line when `--layout` is not given; all or nothing with a
//! rejects file; a second import changes nothing), the flags a compliance officer acts
//! on (one per line, then `flags: N`), the itemized Schedule A report of a cycle (text or
//! formula-safe CSV; audited, it lists donors), and the committee's rules. Thin front
//! ends over `votebase_app::donations`.

use crate::options::Global;
use crate::progress::Bar;
use crate::stores;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use votebase_app::donations as app;
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::donations::{
    CALL_LIST_COLUMNS, CallListKind, ComplianceRules, format_cents, parse_cents,
};
use votebase_store::Store;

/// `votebase donations` subcommands.
#[derive(Subcommand, Debug)]
pub enum DonationsCommand {
    /// Import contributions (all or nothing; importing the same file again changes nothing).
    #[command(
        after_help = "Layouts: actblue (the paid-contributions CSV export), fec (bulk itcont.txt), or a mapping .toml.\nThe layout is recognised from the first line when not given.\n\nExamples:\n  votebase donations import actblue-2026-09.csv\n  votebase donations import itcont.txt --layout fec\n  votebase donations import crm-export.csv --layout ./my-crm.toml"
    )]
    Import(ImportArgs),
    /// What needs action: over_limit (with the receipt that crossed the limit and the
    /// amount to refund or redesignate), missing_employer, foreign_address,
    /// possible_duplicate_donor; one per line (tab-separated), then `flags: N`.
    #[command(after_help = "Example: votebase donations flags --cycle 2026")]
    Flags {
        /// Only this cycle (its election year, e.g. 2026).
        #[arg(long)]
        cycle: Option<i32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Itemized contributions of a cycle with the FEC Schedule A fields and each donor's
    /// cycle-to-date aggregate.
    #[command(
        after_help = "Example: votebase donations report --cycle 2026 --format csv > schedule-a.csv"
    )]
    Report {
        /// The cycle (its election year).
        #[arg(long)]
        cycle: i32,
        /// text or csv.
        #[arg(long, default_value = "text", value_parser = ["text", "csv"])]
        format: String,
    },
    /// Donor call lists for the finance team (audited; they list contact details):
    /// lapsed (gave before --since, not since), thank-you (gave on or after --since),
    /// call-time (largest gift, then total, first; donors with room left under the limit).
    #[command(
        after_help = "Defaults: --since one year ago (lapsed) or seven days ago (thank-you); --cycle the current one; --top 100 (call-time).\nDonors on the do-not-contact list (their phone, email or linked voter) are left out unless --include-suppressed.\nColumns: name, email, phone, address, last gift date and amount, gifts, largest gift, cycle total, total, committee, room left for the primary and the general.\n\nExamples:\n  votebase donations export --list lapsed --since 2026-01-01 --format csv > lapsed.csv\n  votebase donations export --list thank-you --since 2026-11-01\n  votebase donations export --list call-time --top 50 --format csv > call-time.csv"
    )]
    Export(ExportArgs),
    /// The review queue of uncertain donor pairs (linkage scores between the review and
    /// acceptance thresholds): list them with what agreed, or decide one. Accepting merges
    /// the incoming donor into the person it resembles; rejecting keeps them apart. A
    /// decided pair is never queued again.
    #[command(
        after_help = "Examples:\n  votebase donations review\n  votebase donations review accept 3\n  votebase donations review reject 4\n  votebase donations review --all --json"
    )]
    Review(ReviewArgs),
    /// Show the compliance rules, or set a committee's rules for a cycle.
    #[command(
        after_help = "Examples:\n  votebase donations rules\n  votebase donations rules --committee C00123456 --cycle 2026 --limit 3500 --itemize-over 200"
    )]
    Rules(RulesArgs),
}

/// Options of `donations import`.
#[derive(Args, Debug, Clone)]
pub struct ImportArgs {
    /// The file (.csv, .txt, .gz or .zip).
    pub file: PathBuf,
    /// actblue, fec, or a mapping .toml (default: recognised from the first line).
    #[arg(long)]
    pub layout: Option<String>,
    /// Where rejected rows go (default: <file>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `donations export`.
#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// lapsed, thank-you or call-time.
    #[arg(long, value_parser = ["lapsed", "thank-you", "call-time"])]
    pub list: String,
    /// The date splitting lapsed from current donors (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<chrono::NaiveDate>,
    /// The cycle of the totals and the room left (its election year).
    #[arg(long)]
    pub cycle: Option<i32>,
    /// Call-time lines.
    #[arg(long)]
    pub top: Option<usize>,
    /// text or csv.
    #[arg(long, default_value = "text", value_parser = ["text", "csv"])]
    pub format: String,
    /// Keep donors on the do-not-contact list (left out by default).
    #[arg(long)]
    pub include_suppressed: bool,
}

/// Options of `donations review`.
#[derive(Args, Debug, Clone)]
pub struct ReviewArgs {
    /// Decide a pair (none: list the pending pairs).
    #[command(subcommand)]
    pub decision: Option<ReviewDecision>,
    /// List decided pairs too.
    #[arg(long)]
    pub all: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A decision on a queued pair.
#[derive(Subcommand, Debug, Clone)]
pub enum ReviewDecision {
    /// One person: merge the incoming donor into the one it resembles.
    Accept {
        /// The review's id (first column of the list).
        id: i64,
    },
    /// Two people: keep them apart.
    Reject {
        /// The review's id (first column of the list).
        id: i64,
    },
}

/// Options of `donations rules`.
#[derive(Args, Debug, Clone)]
pub struct RulesArgs {
    /// The committee's FEC id, or * for every committee without rules of its own.
    #[arg(long, requires_all = ["cycle", "limit", "itemize_over"])]
    pub committee: Option<String>,
    /// The cycle (its election year).
    #[arg(long)]
    pub cycle: Option<i32>,
    /// Per-individual limit per election, in dollars.
    #[arg(long)]
    pub limit: Option<String>,
    /// Itemize once a donor's cycle aggregate exceeds this, in dollars.
    #[arg(long)]
    pub itemize_over: Option<String>,
}

/// Imports one file into an open store.
pub async fn import_into(
    store: &dyn Store,
    args: &ImportArgs,
) -> anyhow::Result<app::ImportReport> {
    let label = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = app::import_file(
        store,
        &args.file,
        args.layout.as_deref(),
        args.rejects.clone(),
        Arc::new(Bar::new(&label)),
    )
    .await?;
    let o = &report.outcome;
    if o.inserted > 0 {
        crate::voters::cli_audit(
            store,
            "import",
            &label,
            &format!(
                "donations, layout {}, {} new records, {} new donors",
                report.layout, o.inserted, o.new_donors
            ),
        )
        .await?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{label} ({}): read {} rows, {} records ({} refunds, {} chargebacks): {} new, {} already imported; {} new donors",
            report.layout,
            report.rows,
            report.records,
            report.refunds,
            report.chargebacks,
            o.inserted,
            o.unchanged,
            o.new_donors
        );
        if report.joined_known + report.merged_new > 0 {
            println!(
                "donor linkage: {} spellings joined known donors, {} merged with another new one",
                report.joined_known, report.merged_new
            );
        }
        if report.review_pairs > 0 {
            println!(
                "donor linkage: {} uncertain pairs for review (votebase donations review)",
                report.review_pairs
            );
        }
        if let Some(why) = &report.donor_linkage_skipped {
            println!("warning: {why}");
        }
        if let Some(l) = &report.voter_linkage {
            match &l.skipped {
                Some(why) => println!("voter file: not linked ({why})"),
                None => println!(
                    "voter file: {} new donors linked, {} to review, {} not found",
                    l.linked, l.review, l.unmatched
                ),
            }
        }
    }
    Ok(report)
}

fn dollars(text: &str, what: &str) -> anyhow::Result<i64> {
    parse_cents(text).with_context(|| format!("{what} {text:?} is not an amount in dollars"))
}

/// Runs a `donations` subcommand.
pub async fn donations(global: &Global, cmd: DonationsCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let store = store.as_ref();
    match cmd {
        DonationsCommand::Import(args) => {
            import_into(store, &args).await?;
        }
        DonationsCommand::Flags { cycle, json } => {
            let flags = app::flags(store, cycle).await?;
            crate::voters::cli_audit(
                store,
                "read",
                "donations:flags",
                &format!("{} flags listed", flags.len()),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string(&flags)?);
                return Ok(());
            }
            for f in &flags {
                let mut line = format!(
                    "{}\t{}\t{}\t{}",
                    f.kind.code(),
                    f.name,
                    f.email,
                    f.receipt_id
                );
                if let Some(a) = f.amount_cents {
                    line.push_str(&format!("\trefund {}", format_cents(a)));
                }
                line.push_str(&format!("\t{}", f.detail));
                println!("{}", line.replace(['\n', '\r'], " "));
            }
            println!("flags: {}", flags.len());
        }
        DonationsCommand::Report { cycle, format } => {
            let rows = app::schedule_a(store, cycle).await?;
            crate::voters::cli_audit(
                store,
                "export",
                &format!("donations:schedule-a:{cycle}"),
                &format!("{} itemized contributions ({format})", rows.len()),
            )
            .await?;
            let totals = app::cycle_totals(store, Some(cycle)).await?;
            if format == "csv" {
                let mut w = SafeWriter::from_writer(std::io::stdout().lock());
                w.write_record([
                    "committee_id",
                    "receipt_id",
                    "kind",
                    "entity_type",
                    "contributor_last_name",
                    "contributor_first_name",
                    "contributor_street",
                    "contributor_city",
                    "contributor_state",
                    "contributor_zip",
                    "contributor_employer",
                    "contributor_occupation",
                    "contribution_date",
                    "contribution_amount",
                    "contribution_aggregate",
                    "election",
                ])?;
                for r in &rows {
                    w.write_record([
                        r.committee_id.as_str(),
                        &r.receipt_id,
                        r.kind.code(),
                        &r.entity_type,
                        &r.last_name,
                        &r.first_name,
                        &r.street,
                        &r.city,
                        &r.state,
                        &r.zip,
                        &r.employer,
                        &r.occupation,
                        &r.date.to_string(),
                        &format_cents(r.amount_cents),
                        &format_cents(r.aggregate_cents),
                        &r.election,
                    ])?;
                }
                w.flush()?;
            } else {
                println!(
                    "cycle {cycle}: {} gifts from {} donors, gross {}, net of {} refunds {}",
                    totals.gifts,
                    totals.donors,
                    format_cents(totals.gross_cents),
                    totals.refunds,
                    format_cents(totals.net_cents)
                );
                println!("itemized (Schedule A): {} contributions", rows.len());
                for r in &rows {
                    println!(
                        "{}  {:<10} {:>10} {:>10}  {} {}, {}, {} {} {}  {} / {}  {}",
                        r.date,
                        r.committee_id,
                        format_cents(r.amount_cents),
                        format_cents(r.aggregate_cents),
                        r.last_name,
                        r.first_name,
                        r.street,
                        r.city,
                        r.state,
                        r.zip,
                        r.employer,
                        r.occupation,
                        r.receipt_id
                    );
                }
            }
        }
        DonationsCommand::Export(args) => export(store, &args).await?,
        DonationsCommand::Review(args) => review(store, &args).await?,
        DonationsCommand::Rules(args) => {
            if let (Some(committee), Some(cycle), Some(limit), Some(itemize)) =
                (args.committee, args.cycle, args.limit, args.itemize_over)
            {
                let rules = ComplianceRules {
                    committee_id: committee.trim().to_ascii_uppercase(),
                    cycle,
                    per_election_limit_cents: dollars(&limit, "--limit")?,
                    itemize_over_cents: dollars(&itemize, "--itemize-over")?,
                };
                app::set_rules(store, &rules).await?;
                crate::voters::cli_audit(
                    store,
                    "donations.rules",
                    &rules.committee_id,
                    &format!(
                        "cycle {cycle}: limit {} per election, itemize over {}",
                        format_cents(rules.per_election_limit_cents),
                        format_cents(rules.itemize_over_cents)
                    ),
                )
                .await?;
            }
            let rules = app::rules(store).await?;
            println!("committee\tcycle\tlimit per election\titemize over");
            for r in &rules {
                println!(
                    "{}\t{}\t{}\t{}",
                    r.committee_id,
                    r.cycle,
                    format_cents(r.per_election_limit_cents),
                    format_cents(r.itemize_over_cents)
                );
            }
            let d = ComplianceRules::federal_default(2026);
            println!(
                "otherwise the federal defaults (2026: {} per election, itemize over {})",
                format_cents(d.per_election_limit_cents),
                format_cents(d.itemize_over_cents)
            );
        }
    }
    Ok(())
}

/// `donations export`: one call list, audited, as text or formula-safe CSV.
async fn export(store: &dyn Store, args: &ExportArgs) -> anyhow::Result<()> {
    let kind = CallListKind::parse(&args.list).context("unknown list")?;
    let query = app::calls::query(
        kind,
        args.since,
        args.cycle,
        args.top,
        chrono::Utc::now().date_naive(),
    )?;
    let list = app::calls::call_list(store, query, args.include_suppressed).await?;
    let rows = list.rows;
    crate::voters::cli_audit(
        store,
        "export",
        &format!("donations:{}", kind.code()),
        &format!(
            "{} donors (since {}, cycle {}, {}; {} on the do-not-contact list left out)",
            rows.len(),
            query.since,
            query.cycle,
            args.format,
            list.suppressed_removed
        ),
    )
    .await?;
    if let Some(note) =
        votebase_app::suppression::removed_note(list.suppressed_removed, args.include_suppressed)
    {
        eprintln!("{note}");
    }
    if args.format == "csv" {
        let mut w = SafeWriter::from_writer(std::io::stdout().lock());
        w.write_record(CALL_LIST_COLUMNS)?;
        for r in &rows {
            w.write_record(r.csv_cells())?;
        }
        w.flush()?;
        return Ok(());
    }
    for r in &rows {
        let line = format!(
            "{} {}\t{}\t{}\tlast gift {} {}\tcycle {} {}\troom P {} G {}",
            r.first_name,
            r.last_name,
            r.email,
            r.phone,
            r.last_gift_date,
            format_cents(r.last_gift_cents),
            query.cycle,
            format_cents(r.cycle_total_cents),
            format_cents(r.room_primary_cents),
            format_cents(r.room_general_cents)
        );
        println!("{}", line.replace(['\n', '\r'], " "));
    }
    println!("donors: {}", rows.len());
    Ok(())
}

fn who(d: &votebase_domain::donations::DonorDetails) -> String {
    let place = [d.address.as_str(), &d.city, &d.state, &d.zip]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    format!("{} <{}> {}", d.display_name(), d.email, place)
}

/// `donations review`: the queue, or one decision (audited).
async fn review(store: &dyn Store, args: &ReviewArgs) -> anyhow::Result<()> {
    if let Some(decision) = &args.decision {
        let (id, accept) = match decision {
            ReviewDecision::Accept { id } => (*id, true),
            ReviewDecision::Reject { id } => (*id, false),
        };
        let r = app::decide_review(store, id, accept, &crate::voters::cli_actor()).await?;
        crate::voters::cli_audit(
            store,
            "donations.review",
            &format!("donor review {id}"),
            &format!("{}: {} / {}", r.status.code(), r.person, r.other_person),
        )
        .await?;
        if args.json {
            println!("{}", serde_json::to_string(&r)?);
        } else if accept {
            println!(
                "review {id} accepted: {} is now one person with {} ({})",
                r.details.display_name(),
                r.other_details.display_name(),
                r.other_person
            );
        } else {
            println!(
                "review {id} rejected: {} and {} stay two people",
                r.details.display_name(),
                r.other_details.display_name()
            );
        }
        return Ok(());
    }
    let reviews = app::reviews(store, !args.all).await?;
    crate::voters::cli_audit(
        store,
        "read",
        "donations:reviews",
        &format!("{} donor pairs listed", reviews.len()),
    )
    .await?;
    if args.json {
        println!("{}", serde_json::to_string(&reviews)?);
        return Ok(());
    }
    for r in &reviews {
        let line = format!(
            "{}\t{}\t{:.2}\t{}\t{}\t{}",
            r.id,
            r.status.code(),
            r.probability,
            who(&r.details),
            who(&r.other_details),
            r.explanation
        );
        println!("{}", line.replace(['\n', '\r'], " "));
    }
    println!("reviews: {}", reviews.len());
    Ok(())
}

/// Donors shown in the demo.
const DEMO_DONORS: usize = 600;

/// The demo's giving history: an ActBlue export drawn from the state's voters, imported
/// like any file; prints what it planted and what the flags and the review queue found.
pub async fn demo_donations(
    store: &dyn Store,
    state: &Arc<votebase_demo::DemoState>,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let file = dir.join("actblue-contributions.csv");
    let (gen_state, path) = (state.clone(), file.clone());
    let planted = tokio::task::spawn_blocking(move || {
        votebase_demo::write_demo_donations(&gen_state, &path, DEMO_DONORS)
    })
    .await?
    .context("writing the demo contributions")?;
    let report = import_into(
        store,
        &ImportArgs {
            file,
            layout: None,
            rejects: None,
            json: false,
        },
    )
    .await?;
    let flags = app::flags(store, None).await?;
    let reviews = app::reviews(store, true).await?;
    println!(
        "donations: {} gifts from {} donors ({} refunded, {} planted over the limit, {} under a second spelling, {} namesakes of another donor); {} records imported, {} flags, {} donor pairs to review; see /donations",
        planted.rows,
        planted.donors,
        planted.refunds,
        planted.over_limit.len(),
        planted.variants,
        planted.namesakes,
        report.outcome.inserted,
        flags.len(),
        reviews.len()
    );
    Ok(())
}
