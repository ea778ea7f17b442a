//! `votebase disinfo …`: the disinformation watch from the command line. `import` loads a
//! monitoring export (CSV or JSON lines; all or nothing, bad rows listed with their line
//! numbers, idempotent) and brings in the hotline's `misinformation` incidents, then
//! clusters, matches claims and raises alerts; `narratives`, `items` and `alerts` print
//! what the watch knows (exports are audited and written formula-safe); `claims import`
//! loads the claim catalogue; `act` moves a narrative through the response workflow;
//! `subscribe` / `unsubscribe` a user to alert emails (queued in the outbox, delivered by
//! `votebase volunteers send-email`); `election-day` sets the organization's election
//! days (a county named that day alerts); `eval` scores the clustering on the generated
//! labelled stream. Thin front ends over
//! `votebase_app::disinfo`; `votebase bench disinfo` lives in [`bench`].

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use votebase_app::disinfo::{self as app, DisinfoError};
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::disinfo::{NarrativeAction, ResponseKind};
use votebase_store::Store;

pub mod bench;

/// `votebase disinfo` subcommands.
#[derive(Subcommand, Debug)]
pub enum DisinfoCommand {
    /// Import posts from a monitoring export (CSV or JSON lines), cluster them into
    /// narratives, link known claims and raise alerts (all or nothing; a second import of
    /// the same posts changes nothing). Hotline misinformation reports are brought in too.
    #[command(
        after_help = "Columns (CSV header or JSON keys): id, text, url, platform, author, posted_at (RFC 3339);\noptional: reach. --place adds city names to the voter file's counties.\n\nExample: votebase disinfo import monitoring-export.csv --place Raleigh --place Durham"
    )]
    Import(ImportArgs),
    /// Narratives, one per line: id, items, first seen, peak per hour, linked claim.
    #[command(
        after_help = "Example: votebase disinfo narratives --since 2026-11-03T00:00:00Z --format csv"
    )]
    Narratives {
        /// Only narratives seen at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// table or csv.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Every item's source id and its narrative id (CSV with a header; audited).
    #[command(after_help = "Example: votebase disinfo items --format csv > items.csv")]
    Items {
        /// csv (the only format).
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// Alerts, one per line naming the narrative, then `alerts: N`.
    #[command(after_help = "Example: votebase disinfo alerts")]
    Alerts,
    /// Send a user the watch's alerts by email (queued in the outbox with each new alert;
    /// `votebase volunteers send-email` delivers them). A second call changes the address.
    #[command(
        after_help = "Example: votebase disinfo subscribe ana --email ana@example.org\nthen, e.g. every minute: votebase volunteers send-email --smtp 127.0.0.1:25 --from \"Watch <watch@example.org>\""
    )]
    Subscribe {
        /// User name (a role that reads the watch).
        user: String,
        /// Where the alerts go.
        #[arg(long)]
        email: String,
    },
    /// Stop a user's alert emails.
    #[command(after_help = "Example: votebase disinfo unsubscribe ana")]
    Unsubscribe {
        /// User name.
        user: String,
    },
    /// The users subscribed to alert emails.
    #[command(after_help = "Example: votebase disinfo subscriptions")]
    Subscriptions,
    /// Set (or with --remove, unset) an election day; without a date, list them. On an
    /// election day, a narrative that names one of the organization's counties alerts
    /// (once per day), even below the spike test. Results elections' dates count too.
    #[command(
        after_help = "Example: votebase disinfo election-day 2026-11-03 --utc-offset -05:00\n         votebase disinfo election-day"
    )]
    ElectionDay {
        /// The day (YYYY-MM-DD).
        date: Option<String>,
        /// The day's local offset from UTC (-05:00 for US Eastern standard time).
        #[arg(long, default_value = "Z", allow_hyphen_values = true)]
        utc_offset: String,
        /// Remove the day.
        #[arg(long)]
        remove: bool,
    },
    /// The claim catalogue.
    #[command(subcommand)]
    Claims(ClaimsCommand),
    /// Move a narrative through the response workflow.
    #[command(
        after_help = "Actions: triage | assign USER | respond counter_message|platform_report|hotline_script [DETAIL] |\nclose [NOTE] | reopen | note TEXT\n\nExample: votebase disinfo act 12 respond counter_message \"posted on X and Facebook\""
    )]
    Act {
        /// Narrative id.
        id: i64,
        /// The action and its arguments.
        #[arg(required = true, num_args = 1..)]
        action: Vec<String>,
    },
    /// Cluster the generated labelled stream (EN + ES election rumours planted in chatter)
    /// into this organization's store and report purity, recall, alerts and claim links.
    /// Use an empty organization (e.g. --org disinfo-eval).
    #[command(after_help = "Example: votebase --org disinfo-eval disinfo eval --chatter 5000")]
    Eval {
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Unrelated posts around the planted ones.
        #[arg(long, default_value_t = 3000)]
        chatter: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `votebase disinfo claims` subcommands.
#[derive(Subcommand, Debug)]
pub enum ClaimsCommand {
    /// Import claims (CSV or JSON lines; all or nothing; known keys are skipped).
    #[command(
        after_help = "Columns: key, verdict (false|misleading|true|unverified), claim_en, claim_es, counter_en,\ncounter_es, source.\n\nExample: votebase disinfo claims import claims.csv"
    )]
    Import {
        /// The file.
        file: PathBuf,
    },
    /// List the catalogue.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `votebase disinfo import` options.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file (`.jsonl`/`.ndjson` or a first character `{`: JSON lines; else CSV).
    pub file: PathBuf,
    /// A city (or other place) to look for besides the voter file's counties.
    #[arg(long = "place")]
    pub places: Vec<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// The server's public URL, for the links of alert emails.
    #[arg(long, env = "VOTEBASE_PUBLIC_URL")]
    pub public_url: Option<String>,
}

pub async fn disinfo(global: &Global, cmd: DisinfoCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let store = store.as_ref();
    match cmd {
        DisinfoCommand::Import(args) => import(store, &args).await,
        DisinfoCommand::Narratives { since, format } => narratives(store, since, &format).await,
        DisinfoCommand::Items { format } => items(store, &format).await,
        DisinfoCommand::Alerts => {
            let alerts = store.list_alerts().await?;
            for a in &alerts {
                println!(
                    "narrative {} [{}]: {}",
                    a.narrative_id,
                    a.kind.code(),
                    a.describe()
                );
            }
            println!("alerts: {}", alerts.len());
            Ok(())
        }
        DisinfoCommand::Subscribe { user, email } => {
            let changed = app::alerts::subscribe(store, &user, &email, Utc::now()).await?;
            crate::voters::cli_audit(store, "disinfo.subscribe", &user, "").await?;
            println!(
                "{user}: alert emails to {}{}",
                email.trim(),
                if changed { "" } else { " (unchanged)" }
            );
            Ok(())
        }
        DisinfoCommand::Unsubscribe { user } => {
            let was = app::alerts::unsubscribe(store, &user).await?;
            crate::voters::cli_audit(store, "disinfo.unsubscribe", &user, "").await?;
            println!(
                "{user}: {}",
                if was {
                    "no more alert emails"
                } else {
                    "was not subscribed"
                }
            );
            Ok(())
        }
        DisinfoCommand::Subscriptions => {
            let subs = store.disinfo_subscriptions().await?;
            crate::voters::cli_audit(store, "disinfo.subscriptions", "subscriptions", "").await?;
            for s in &subs {
                println!(
                    "{} {} since {}",
                    s.user,
                    s.email,
                    s.created_at.format("%Y-%m-%d")
                );
            }
            println!("subscriptions: {}", subs.len());
            Ok(())
        }
        DisinfoCommand::ElectionDay {
            date,
            utc_offset,
            remove,
        } => election_day(store, date, &utc_offset, remove).await,
        DisinfoCommand::Claims(ClaimsCommand::Import { file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let claims = app::read_claims(&file.display().to_string(), &bytes).map_err(explain)?;
            let out = app::import_claims(store, &claims).await?;
            println!("claims: {} new, {} already known", out.created, out.known);
            Ok(())
        }
        DisinfoCommand::Claims(ClaimsCommand::List { json }) => {
            let claims = store.list_claims().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&claims)?);
            } else {
                for c in claims {
                    println!(
                        "{} {} [{}] {}",
                        c.id,
                        c.claim.key,
                        c.claim.verdict.code(),
                        c.claim.claim_en
                    );
                }
            }
            Ok(())
        }
        DisinfoCommand::Act { id, action } => {
            let action = parse_action(&action)?;
            let n = app::act(store, id, &cli_actor(), &action, Utc::now()).await?;
            println!(
                "narrative {} is {}{}",
                n.id,
                n.status.code(),
                n.assigned_to
                    .map(|a| format!(" (assigned to {a})"))
                    .unwrap_or_default()
            );
            Ok(())
        }
        DisinfoCommand::Eval {
            seed,
            chatter,
            json,
        } => {
            let r = app::evaluate(store, seed, chatter, Utc::now()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "posts {}  planted {} in {} narratives  purity {:.3}  recall {:.3}  chatter in planted clusters {}",
                    r.posts,
                    r.scores.items,
                    r.scores.clusters,
                    r.scores.purity,
                    r.scores.recall,
                    r.scores.chatter_leaks
                );
                println!(
                    "claim links: {} of {} planted posts linked to a claim got their own",
                    r.claim_links.0, r.claim_links.1
                );
                for (n, label) in &r.alerts {
                    println!(
                        "alert: narrative {n} ({})",
                        label.as_deref().unwrap_or("chatter")
                    );
                }
                println!("alerts: {}", r.alerts.len());
            }
            Ok(())
        }
    }
}

/// A rejected file's rows, each with its line, as the error message.
fn explain(e: DisinfoError) -> anyhow::Error {
    match e {
        DisinfoError::Rejected { file, errors } => {
            let mut msg = format!("{file}: {} bad row(s), nothing stored:", errors.len());
            for e in errors.iter().take(app::MAX_LISTED) {
                msg.push_str(&format!("\n  line {}: {}", e.line, e.reason));
            }
            if errors.len() > app::MAX_LISTED {
                msg.push_str(&format!(
                    "\n  … and {} more",
                    errors.len() - app::MAX_LISTED
                ));
            }
            anyhow::anyhow!(msg)
        }
        other => other.into(),
    }
}

fn parse_action(words: &[String]) -> anyhow::Result<NarrativeAction> {
    let rest = words[1..].join(" ");
    Ok(match words[0].as_str() {
        "triage" => NarrativeAction::Triage,
        "assign" if !rest.is_empty() => NarrativeAction::Assign { to: rest },
        "respond" if words.len() >= 2 => {
            let kind = match words[1].as_str() {
                "counter_message" => ResponseKind::CounterMessage,
                "platform_report" => ResponseKind::PlatformReport,
                "hotline_script" => ResponseKind::HotlineScript,
                other => bail!(
                    "unknown response {other:?}: counter_message, platform_report or hotline_script"
                ),
            };
            NarrativeAction::Respond {
                kind,
                detail: words[2..].join(" "),
            }
        }
        "close" => NarrativeAction::Close { note: rest },
        "reopen" => NarrativeAction::Reopen,
        "note" if !rest.is_empty() => NarrativeAction::Note { text: rest },
        other => bail!("unknown or incomplete action {other:?} (see --help)"),
    })
}

async fn import(store: &dyn Store, args: &ImportArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {name}"))?;
    let posts = app::read_posts(&name, &bytes).map_err(explain)?;
    let ctx = app::WatchContext::load(store, &args.places, args.public_url.as_deref()).await?;
    let now = Utc::now();
    let hotline = app::sync_hotline(store, &ctx, now).await?;
    let out = app::ingest(store, posts, &ctx, now).await?;
    let mut alerts = hotline.alerts.clone();
    alerts.extend(out.alerts.iter().cloned());
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "created": out.stored.created,
                "known": out.stored.known,
                "narratives_created": out.stored.narratives_created,
                "hotline_linked": hotline.stored.created,
                "alerts": alerts,
            })
        );
    } else {
        println!(
            "{name}: {} new items, {} already known; {} new narratives; {} hotline reports linked",
            out.stored.created,
            out.stored.known,
            out.stored.narratives_created,
            hotline.stored.created
        );
        for a in &alerts {
            println!("alert: narrative {} {}", a.narrative_id, a.describe());
        }
    }
    Ok(())
}

/// `disinfo election-day`: set, remove or list.
async fn election_day(
    store: &dyn Store,
    date: Option<String>,
    utc_offset: &str,
    remove: bool,
) -> anyhow::Result<()> {
    match (date, remove) {
        (Some(date), false) => {
            let (day, changed) = app::alerts::set_election_day(store, &date, utc_offset).await?;
            println!(
                "election day {} (UTC{}){}",
                day.date,
                day.offset_text(),
                if changed { "" } else { " (unchanged)" }
            );
        }
        (Some(date), true) => {
            let was = app::alerts::remove_election_day(store, &date).await?;
            println!(
                "{}: {}",
                date.trim(),
                if was { "removed" } else { "was not set" }
            );
        }
        (None, true) => bail!("--remove needs the date"),
        (None, false) => {
            let days = app::alerts::election_days(store).await?;
            for d in &days {
                println!("{} UTC{}", d.date, d.offset_text());
            }
            println!("election days: {}", days.len());
        }
    }
    Ok(())
}

fn parse_since(since: Option<String>) -> anyhow::Result<Option<DateTime<Utc>>> {
    since
        .map(|s| {
            DateTime::parse_from_rfc3339(&s)
                .map(|t| t.with_timezone(&Utc))
                .with_context(|| {
                    format!("--since {s:?} is not RFC 3339 (e.g. 2026-11-03T00:00:00Z)")
                })
        })
        .transpose()
}

async fn narratives(store: &dyn Store, since: Option<String>, format: &str) -> anyhow::Result<()> {
    let since = parse_since(since)?;
    let rows = app::narrative_rows(store, since).await?;
    match format {
        "csv" => {
            let mut w = SafeWriter::from_writer(std::io::stdout());
            w.write_record([
                "narrative_id",
                "items",
                "first_seen",
                "peak_per_hour",
                "claim",
                "claim_similarity",
                "status",
                "label",
            ])?;
            for r in &rows {
                w.write_record([
                    r.narrative.id.to_string(),
                    r.narrative.items.to_string(),
                    r.narrative.first_seen.to_rfc3339(),
                    r.peak_per_hour.to_string(),
                    r.claim_key.clone().unwrap_or_default(),
                    r.narrative
                        .claim_similarity
                        .map(|s| format!("{s:.2}"))
                        .unwrap_or_default(),
                    r.narrative.status.code().to_string(),
                    r.narrative.label.clone(),
                ])?;
            }
            w.flush()?;
        }
        "table" => {
            for r in &rows {
                println!(
                    "{:>6} {:>7} {} {:>5} {}",
                    r.narrative.id,
                    r.narrative.items,
                    r.narrative.first_seen.format("%Y-%m-%dT%H:%MZ"),
                    r.peak_per_hour,
                    r.claim_key.as_deref().unwrap_or("-")
                );
            }
            println!("narratives: {}", rows.len());
        }
        other => bail!("--format {other:?}: table or csv"),
    }
    crate::voters::cli_audit(store, "disinfo.narratives", format, &rows.len().to_string()).await
}

async fn items(store: &dyn Store, format: &str) -> anyhow::Result<()> {
    if format != "csv" {
        bail!("--format {format:?}: csv");
    }
    let rows = store.item_narratives().await?;
    let mut w = SafeWriter::from_writer(std::io::stdout());
    w.write_record(["id", "narrative_id", "source"])?;
    for r in &rows {
        w.write_record([
            r.source_id.as_str(),
            &r.narrative_id.to_string(),
            r.source.as_str(),
        ])?;
    }
    w.flush()?;
    crate::voters::cli_audit(
        store,
        "disinfo.items.export",
        "csv",
        &rows.len().to_string(),
    )
    .await
}

/// The demo's disinformation watch: the generated claim catalogue and stream (election
/// rumours in English and Spanish planted in 3,000 chatter posts, "polls moved" bursting)
/// and the hotline's misinformation reports, clustered as an import is. Idempotent.
pub async fn demo_watch(store: &dyn Store) -> anyhow::Result<()> {
    let (posts, claims) = app::labelled_stream(7, 3_000);
    app::import_claims(store, &claims).await?;
    let ctx = app::WatchContext::load(store, &[], None).await?;
    let now = Utc::now();
    let hotline = app::sync_hotline(store, &ctx, now).await?;
    let out = app::ingest(
        store,
        posts.into_iter().map(|(p, _)| p).collect(),
        &ctx,
        now,
    )
    .await?;
    println!(
        "disinfo: {} monitored posts ({} already loaded), {} hotline reports linked, {} new narratives, {} alerts; see /disinfo or `votebase disinfo narratives`",
        out.stored.created,
        out.stored.known,
        hotline.stored.created,
        out.stored.narratives_created + hotline.stored.narratives_created,
        out.alerts.len() + hotline.alerts.len()
    );
    Ok(())
}
