//! `votebase universe count|export "EXPR"`: builds the in-memory universe index from the
//! organization's store (voters of the latest snapshot, vote history, and each voter's
//! ballot status in the latest election with ballots), then counts, breaks down or
//! exports the voters an expression selects. Voters who already voted (an accepted
//! ballot) are dropped by default, and the output says how many and why.

use crate::args::{Global, UniverseCommand};
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use serde_json::json;
use std::str::FromStr;
use std::time::Instant;
use votebase_domain::AuditEntry;
use votebase_index::{Dimension, IndexBuilder, UniverseIndex, parse};
use votebase_store::Store;

/// The index, and the election whose voted voters lists drop.
pub struct Built {
    /// The index.
    pub index: UniverseIndex,
    /// The latest election with ballot files, if any.
    pub election: Option<NaiveDate>,
    /// Seconds to build.
    pub seconds: f64,
}

/// Streams the store into a fresh index.
pub async fn build_index(store: &dyn Store) -> anyhow::Result<Built> {
    let started = Instant::now();
    let mut builder = IndexBuilder::with_capacity(
        Utc::now().date_naive(),
        store.count_voters().await?.max(0) as usize,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_voters(10_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for v in &batch {
                builder.add_voter(v)?;
            }
        }
        Ok::<_, anyhow::Error>(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_vote_history(50_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for h in &batch {
                builder.add_history(h);
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported?;
    let election = store.ballot_elections().await?.first().copied();
    if let Some(e) = election {
        for (voter, category) in store.ballot_statuses(e).await? {
            builder
                .add_ballot_status(&voter, category.code())
                .with_context(|| format!("ballot status of {voter}"))?;
        }
    }
    Ok(Built {
        index: builder.build(),
        election,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Points at the byte offset of a syntax or meaning error under the expression.
fn caret(expr: &str, offset: usize) -> String {
    format!(
        "  {expr}\n  {}^",
        " ".repeat(expr[..offset.min(expr.len())].chars().count())
    )
}

/// Members of `expr`, without voted voters unless `include_voted`; returns
/// (members, voted voters removed).
pub fn select(
    built: &Built,
    expr_text: &str,
    include_voted: bool,
) -> anyhow::Result<(roaring::RoaringBitmap, u64)> {
    let expr =
        parse(expr_text).map_err(|e| anyhow::anyhow!("{e}\n{}", caret(expr_text, e.offset)))?;
    let mut members = built
        .index
        .members(&expr)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut removed = 0;
    if !include_voted && built.election.is_some() {
        let voted = built
            .index
            .members(&parse("ballot:accepted").map_err(|e| anyhow::anyhow!("{e}"))?)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        removed = members.intersection_len(&voted);
        members -= voted;
    }
    Ok((members, removed))
}

pub async fn universe(global: &Global, cmd: UniverseCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let built = build_index(store.as_ref()).await?;
    match cmd {
        UniverseCommand::Count {
            expr,
            by,
            include_voted,
            json,
        } => {
            let (members, removed) = select(&built, &expr, include_voted)?;
            let breakdown = match &by {
                Some(d) => {
                    let dim = Dimension::from_str(d).map_err(|e| anyhow::anyhow!("{e}"))?;
                    built
                        .index
                        .breakdown_members(&members, built.index.reference_date(), dim)
                }
                None => Vec::new(),
            };
            let note = voted_note(built.election, removed, include_voted);
            if json {
                println!(
                    "{}",
                    json!({"expression": expr, "count": members.len(), "voted_removed": removed,
                        "election": built.election, "breakdown": breakdown,
                        "index_seconds": built.seconds})
                );
            } else {
                for (label, n) in &breakdown {
                    println!("{label:<24} {n:>10}");
                }
                if let Some(note) = note {
                    eprintln!("{note}");
                }
                println!("{}", members.len());
            }
            Ok(())
        }
        UniverseCommand::Export {
            expr,
            include_voted,
        } => {
            let (members, removed) = select(&built, &expr, include_voted)?;
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "state_voter_id",
                "first_name",
                "middle_name",
                "last_name",
                "suffix",
                "address",
                "city",
                "zip",
                "phone",
                "county",
                "precinct",
                "party",
                "birth_year",
            ])?;
            // One ordered pass over the voter file, keeping the members: no per-voter
            // query. Ordinals follow the export's id order, so the output does too.
            let mut written = 0u64;
            let (tx, mut rx) = tokio::sync::mpsc::channel(4);
            let exporter = {
                let store = store.clone();
                tokio::spawn(async move { store.export_voters(10_000, tx).await })
            };
            while let Some(batch) = rx.recv().await {
                for r in &batch {
                    let member = built
                        .index
                        .ordinal(&r.state_voter_id)
                        .is_some_and(|o| members.contains(o));
                    if !member {
                        continue;
                    }
                    w.write_record([
                        r.state_voter_id.as_str(),
                        &r.first_name,
                        &r.middle_name,
                        &r.last_name,
                        &r.name_suffix,
                        &r.address.line1(),
                        &r.address.city,
                        &r.address.zip5,
                        &r.phone.e164,
                        &r.county_name,
                        &r.precinct_code,
                        r.party.code(),
                        &r.birth_year.map(|y| y.to_string()).unwrap_or_default(),
                    ])?;
                    written += 1;
                }
            }
            exporter.await.context("voter export task")??;
            w.flush()?;
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: cli_actor(),
                    action: "export".into(),
                    subject: format!("universe {expr}"),
                    detail: format!("{written} rows, {removed} voted voters removed"),
                })
                .await?;
            if let Some(note) = voted_note(built.election, removed, include_voted) {
                eprintln!("{note}");
            }
            eprintln!("{written} voters exported");
            if written == 0 && members.is_empty() && removed == 0 {
                bail!("no voter matches {expr:?}");
            }
            Ok(())
        }
    }
}

fn voted_note(election: Option<NaiveDate>, removed: u64, include_voted: bool) -> Option<String> {
    match (election, include_voted) {
        (Some(e), false) => Some(format!(
            "{removed} voters removed: they already voted in the {e} election (add --include-voted to keep them)"
        )),
        (Some(e), true) => Some(format!(
            "voters who already voted in the {e} election are included"
        )),
        (None, _) => None,
    }
}
