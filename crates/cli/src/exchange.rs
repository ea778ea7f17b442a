//! `votebase suppress add|list|import|remove` (the organization's do-not-contact list)
//! and `votebase exchange propose|approve|end|sync|status` (agreements between two
//! organizations of this deployment). The CLI opens the other organization's store by
//! name with the same `--data`/`--database` ([`stores::open`] on a copy of the global
//! options), so it can write both copies of a proposal and move records between them.
//! Thin front ends over `votebase_app::suppression` and `votebase_app::exchange`;
//! everything is audited as `cli:<os user>` unless `--by` names the person.

use crate::options::Global;
use crate::stores;
use crate::voters::{cli_actor, cli_audit};
use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use clap::Subcommand;
use std::path::PathBuf;
use std::sync::Arc;
use votebase_app::exchange::{self as app, Proposal};
use votebase_app::suppression::{self, SuppressionInput};
use votebase_domain::OrgName;
use votebase_domain::exchange::{AgreementTerms, Dataset, Direction, MatchMode};
use votebase_store::Store;

/// `votebase suppress` subcommands.
#[derive(Subcommand, Debug)]
pub enum SuppressCommand {
    /// Put a voter, a phone or an email on the do-not-contact list.
    #[command(
        after_help = "Examples:\n  votebase suppress add --voter NC123456 --reason 'asked at the door'\n  votebase suppress add --phone '(919) 555-0100' --channel text --reason 'replied STOP by hand'"
    )]
    Add {
        /// State voter id.
        #[arg(long)]
        voter: Option<String>,
        /// Phone (any usual writing; stored E.164).
        #[arg(long)]
        phone: Option<String>,
        /// Email.
        #[arg(long)]
        email: Option<String>,
        /// all (default), text, phone, email or door.
        #[arg(long, default_value = "all")]
        channel: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// The list, newest first.
    #[command(after_help = "Example: votebase suppress list --json")]
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Include removed entries.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load a CSV of entries (header: any of state_voter_id, phone, email, channel,
    /// reason); all or nothing, bad rows named by line; a second load changes nothing.
    #[command(after_help = "Example: votebase suppress import dnc.csv --reason 'state DNC list'")]
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Reason for rows without one.
        #[arg(long, default_value = "imported do-not-contact list")]
        reason: String,
    },
    /// Take an entry off the list (the row is kept with who and when).
    #[command(after_help = "Example: votebase suppress remove 12")]
    Remove {
        /// Entry id (see `suppress list`).
        id: i64,
    },
}

/// `votebase exchange` subcommands.
#[derive(Subcommand, Debug)]
pub enum ExchangeCommand {
    /// Propose an agreement; it is written into both organizations and counts as the
    /// proposing side's approval (the proposing side is --org when it is one of the two,
    /// else the publisher).
    #[command(
        after_help = "Example: votebase exchange propose --from party --to campaign --datasets contact_outcomes,opt_outs --start 2026-09-01 --end 2026-11-04 --by ana"
    )]
    Propose {
        /// Publishing organization.
        #[arg(long)]
        from: String,
        /// Subscribing organization.
        #[arg(long)]
        to: String,
        /// contact_outcomes, survey_answers, opt_outs, ballot_status, volunteer_signups
        /// (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        datasets: Vec<String>,
        /// Results carried by contact_outcomes (default moved,wrong_number,refused,deceased).
        #[arg(long, value_delimiter = ',')]
        results: Vec<String>,
        /// Question keys carried by survey_answers.
        #[arg(long, value_delimiter = ',')]
        questions: Vec<String>,
        /// voter_id, or hashed (HMAC-SHA256 of the id under the agreement's key).
        #[arg(long = "match", default_value = "voter_id")]
        match_mode: String,
        /// Flow both ways under the same terms.
        #[arg(long)]
        both_ways: bool,
        /// First day records may flow.
        #[arg(long)]
        start: NaiveDate,
        /// First day they no longer flow.
        #[arg(long)]
        end: NaiveDate,
        /// Who proposes.
        #[arg(long)]
        by: Option<String>,
    },
    /// Approve an agreement for --org (its own copy).
    #[command(after_help = "Example: votebase exchange approve 3f2a… --org campaign --by ben")]
    Approve {
        /// Agreement id.
        id: String,
        /// Who approves.
        #[arg(long)]
        by: Option<String>,
    },
    /// End an agreement for --org: nothing flows from the next sync on.
    #[command(after_help = "Example: votebase exchange end 3f2a… --org party")]
    End {
        /// Agreement id.
        id: String,
        /// Who ends it.
        #[arg(long)]
        by: Option<String>,
    },
    /// Move records under every agreement of --org, in batches, both copies reconciled first.
    #[command(after_help = "Example: votebase exchange sync --org campaign")]
    Sync {
        /// Records read at a time.
        #[arg(long, default_value_t = app::sync::DEFAULT_BATCH)]
        batch: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every agreement of --org with its state, lag (outbox head - cursor) and counts.
    #[command(after_help = "Example: votebase exchange status --org campaign --json")]
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

async fn open_org(global: &Global, org: &str) -> anyhow::Result<Arc<dyn Store>> {
    OrgName::parse(org)?;
    let mut other = global.clone();
    other.org = org.to_string();
    stores::open(&other).await
}

pub async fn suppress(global: &Global, cmd: SuppressCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let actor = cli_actor();
    match cmd {
        SuppressCommand::Add {
            voter,
            phone,
            email,
            channel,
            reason,
        } => {
            let input = SuppressionInput {
                state_voter_id: voter.unwrap_or_default(),
                phone: phone.unwrap_or_default(),
                email: email.unwrap_or_default(),
                channel,
                reason,
            };
            let (entry, added) = suppression::add(store.as_ref(), &input, &actor).await?;
            cli_audit(
                store.as_ref(),
                "suppression.add",
                &entry.audit_subject(),
                &entry.reason,
            )
            .await?;
            println!(
                "{}",
                if added {
                    "added to the do-not-contact list"
                } else {
                    "already on the do-not-contact list"
                }
            );
        }
        SuppressCommand::List { limit, all, json } => {
            let list = suppression::list(store.as_ref(), limit, all).await?;
            cli_audit(
                store.as_ref(),
                "suppression.list",
                "suppressions",
                &format!("{} entries", list.len()),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for s in &list {
                    let e = &s.entry;
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}{}",
                        s.id,
                        e.state_voter_id,
                        e.phone,
                        e.email,
                        e.channel,
                        e.source,
                        e.reason,
                        s.created_at.format("%Y-%m-%d"),
                        s.removed_at
                            .map(|t| format!("\tremoved {}", t.format("%Y-%m-%d")))
                            .unwrap_or_default()
                    );
                }
                println!("suppressions: {}", list.len());
            }
        }
        SuppressCommand::Import { file, reason } => {
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let outcome = suppression::import(store.as_ref(), &name, reader, &reason, &actor)
                .await
                .map_err(|e| match e {
                    suppression::ImportFailure::Rows(rows) => anyhow::anyhow!(
                        "{} bad rows, nothing written:\n{}",
                        rows.len(),
                        rows.iter()
                            .map(|r| format!("  {}:{}: {}", file.display(), r.line, r.message))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                    other => other.into(),
                })?;
            cli_audit(
                store.as_ref(),
                "suppression.import",
                &name,
                &format!("{} added, {} already", outcome.added, outcome.already),
            )
            .await?;
            println!(
                "{} added, {} already on the list",
                outcome.added, outcome.already
            );
        }
        SuppressCommand::Remove { id } => {
            if !suppression::remove(store.as_ref(), id, &actor).await? {
                bail!("no live suppression with id {id}: see `votebase suppress list`");
            }
            cli_audit(store.as_ref(), "suppression.remove", &id.to_string(), "").await?;
            println!("suppression {id} removed");
        }
    }
    Ok(())
}

pub async fn exchange(global: &Global, cmd: ExchangeCommand) -> anyhow::Result<()> {
    let org = global.org.clone();
    let today = Utc::now().date_naive();
    match cmd {
        ExchangeCommand::Propose {
            from,
            to,
            datasets,
            results,
            questions,
            match_mode,
            both_ways,
            start,
            end,
            by,
        } => {
            let datasets = datasets
                .iter()
                .map(|d| Dataset::parse(d))
                .collect::<Result<Vec<_>, _>>()?;
            let terms = AgreementTerms {
                datasets,
                results,
                questions,
                match_mode: MatchMode::parse(&match_mode)?,
                direction: if both_ways {
                    Direction::Both
                } else {
                    Direction::OneWay
                },
                starts_on: start,
                ends_on: end,
            };
            let publisher = open_org(global, &from).await?;
            let subscriber = open_org(global, &to).await?;
            let proposing_org = if org == to { to.clone() } else { from.clone() };
            let a = app::propose(
                publisher.as_ref(),
                subscriber.as_ref(),
                Proposal {
                    publisher: from,
                    subscriber: to,
                    terms,
                    proposing_org,
                    by: by.unwrap_or_else(cli_actor),
                },
            )
            .await?;
            println!("{}", a.id);
            eprintln!(
                "proposed by {}; waiting for {}'s approval: votebase exchange approve {} --org {}",
                a.proposed_by_org,
                if a.proposed_by_org == a.publisher {
                    &a.subscriber
                } else {
                    &a.publisher
                },
                a.id,
                if a.proposed_by_org == a.publisher {
                    &a.subscriber
                } else {
                    &a.publisher
                },
            );
        }
        ExchangeCommand::Approve { id, by } => {
            let store = stores::open(global).await?;
            let a = app::approve(store.as_ref(), &org, &id, &by.unwrap_or_else(cli_actor)).await?;
            let state = mirror(global, &org, store.as_ref(), &a.id).await?;
            println!("{} approved by {org}: {state}", a.id);
        }
        ExchangeCommand::End { id, by } => {
            let store = stores::open(global).await?;
            let a = app::end(store.as_ref(), &org, &id, &by.unwrap_or_else(cli_actor)).await?;
            let state = mirror(global, &org, store.as_ref(), &a.id).await?;
            println!("{} ended by {org}: {state}", a.id);
        }
        ExchangeCommand::Sync { batch, json } => {
            let store = stores::open(global).await?;
            let mut reports = Vec::new();
            for a in store.agreements().await? {
                let other_org = if a.publisher == org {
                    &a.subscriber
                } else {
                    &a.publisher
                };
                let other = open_org(global, other_org).await?;
                reports.extend(
                    app::sync(
                        (&org, store.as_ref()),
                        (other_org, other.as_ref()),
                        &a.id,
                        &cli_actor(),
                        today,
                        batch,
                    )
                    .await?,
                );
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                for r in &reports {
                    println!(
                        "{} {} -> {} ({}): {} read, {} applied, {} already, {} skipped; cursor {} of {}",
                        r.agreement_id,
                        r.from,
                        r.to,
                        r.state,
                        r.read,
                        r.applied,
                        r.already,
                        r.skipped,
                        r.cursor,
                        r.head
                    );
                }
                println!("agreements synced: {}", reports.len());
            }
        }
        ExchangeCommand::Status { json } => {
            let store = stores::open(global).await?;
            let mut out = Vec::new();
            for a in store.agreements().await? {
                let other_org = if a.publisher == org {
                    a.subscriber.clone()
                } else {
                    a.publisher.clone()
                };
                let other = open_org(global, &other_org).await?;
                out.push(app::status(&org, store.as_ref(), Some(other.as_ref()), a, today).await?);
            }
            cli_audit(
                store.as_ref(),
                "exchange.status",
                "agreements",
                &format!("{} agreements", out.len()),
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for s in &out {
                    let a = &s.agreement;
                    println!(
                        "{} {} -> {} [{}] {} {}..{}",
                        a.id,
                        a.publisher,
                        a.subscriber,
                        s.state.code(),
                        a.terms
                            .datasets
                            .iter()
                            .map(|d| d.code())
                            .collect::<Vec<_>>()
                            .join(","),
                        a.terms.starts_on,
                        a.terms.ends_on
                    );
                    for f in &s.flows {
                        let (applied, skipped) =
                            f.cursor.as_ref().map_or((0, 0), |c| (c.applied, c.skipped));
                        println!(
                            "  {} -> {}: lag {}, applied {applied}, skipped {skipped}",
                            f.from, f.to, f.lag
                        );
                    }
                }
                println!("agreements: {}", out.len());
            }
        }
    }
    Ok(())
}

/// Writes the merged agreement into both organizations' copies (so `status` on either
/// side shows both approvals) and returns its state today.
async fn mirror(global: &Global, org: &str, own: &dyn Store, id: &str) -> anyhow::Result<String> {
    let a = own
        .agreement(id)
        .await?
        .with_context(|| format!("no agreement {id}"))?;
    let other_org = if a.publisher == org {
        &a.subscriber
    } else {
        &a.publisher
    };
    let other = open_org(global, other_org).await?;
    let (p, s) = if a.publisher == org {
        (own, other.as_ref())
    } else {
        (other.as_ref(), own)
    };
    let merged = app::reconcile(p, s, id).await?;
    Ok(merged.state(Utc::now().date_naive()).code().to_string())
}
