//! `votebase universe count|export "EXPR"`: builds the universe index from the
//! organization's store (see `votebase_app::universes::build_index`), then counts,
//! breaks down or exports the voters an expression selects, in any export format. Voters
//! who already voted (an accepted ballot) and voters on the do-not-contact list are
//! dropped by default, and the output says how many and why.

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::Utc;
use clap::Subcommand;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use votebase_app::lists::{ExportOutcome, write_export};
use votebase_app::universes::{
    Built, Selection, build_index, member_ids, select_with, suppressed_note, voted_note,
};
use votebase_domain::AuditEntry;
use votebase_index::{Dimension, QueryError};
use votebase_ingest::exports::ExportFormat;
use votebase_store::Store;

/// Points at the offending token of an expression error under the expression.
pub fn caret(expr: &str, e: &QueryError) -> String {
    let span = e.span();
    let start = span.start.min(expr.len());
    let end = span.end.clamp(start, expr.len());
    let width = expr.get(start..end).map_or(1, |t| t.chars().count().max(1));
    format!(
        "{e}\n  {expr}\n  {}^{}",
        " ".repeat(expr.get(..start).map_or(0, |p| p.chars().count())),
        "~".repeat(width - 1)
    )
}

/// [`select`], with the error pointing into the expression.
pub fn select_or_explain(
    built: &Built,
    expr: &str,
    include_voted: bool,
    include_suppressed: bool,
) -> anyhow::Result<Selection> {
    select_with(built, expr, include_voted, include_suppressed)
        .map_err(|e| anyhow::anyhow!("{}", caret(expr, &e)))
}

/// Opens the output of an export: a file, or standard output.
pub fn output(out: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

/// Says on standard error what an export wrote.
pub fn report_export(format: ExportFormat, outcome: &ExportOutcome) {
    let s = outcome.summary;
    match format {
        ExportFormat::Walk => eprintln!("{} households, {} voters exported", s.rows, s.voters),
        ExportFormat::Spoke => {
            eprintln!(
                "{} rows exported ({} voters, {} whose only cell is on another row)",
                s.rows, s.voters, s.shared_cell
            );
            eprintln!(
                "{} voters left out for lack of a known cell number (only appended cells count: the voter file's phones have no line type)",
                s.without_cell
            );
        }
        _ => eprintln!("{} voters exported", s.rows),
    }
    if outcome.suppressed > 0 {
        eprintln!(
            "{} voters left out: they are on the do-not-contact list",
            outcome.suppressed
        );
    }
    if outcome.no_longer_in_file > 0 {
        eprintln!(
            "{} members are no longer in the voter file (exported from their last record)",
            outcome.no_longer_in_file
        );
    }
}

pub async fn universe(global: &Global, cmd: UniverseCommand) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let built = build_index(store.as_ref()).await?;
    match cmd {
        UniverseCommand::Count {
            expr,
            by,
            include_voted,
            include_suppressed,
            json,
        } => {
            let selection = select_or_explain(&built, &expr, include_voted, include_suppressed)?;
            let breakdown = match &by {
                Some(d) => {
                    let dim = Dimension::from_str(d).map_err(|e| anyhow::anyhow!("{e}"))?;
                    built.index.breakdown_members(
                        &selection.members,
                        built.index.reference_date(),
                        dim,
                    )
                }
                None => Vec::new(),
            };
            let note = voted_note(built.election, selection.voted_removed, include_voted);
            if json {
                println!(
                    "{}",
                    json!({"expression": expr, "count": selection.members.len(),
                        "voted_removed": selection.voted_removed,
                        "suppressed_removed": selection.suppressed_removed,
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
                if let Some(note) =
                    suppressed_note(selection.suppressed_removed, include_suppressed)
                {
                    eprintln!("{note}");
                }
                println!("{}", selection.members.len());
            }
            Ok(())
        }
        UniverseCommand::Export {
            expr,
            include_voted,
            include_suppressed,
            format,
            out,
        } => {
            let format = ExportFormat::from_str(&format)?;
            let selection = select_or_explain(&built, &expr, include_voted, include_suppressed)?;
            let ids = member_ids(&built, &selection.members);
            let mut w = output(out.as_deref())?;
            let outcome =
                write_export(store.as_ref(), &ids, format, "", include_suppressed, &mut w).await?;
            w.flush()?;
            audit_export(
                store.as_ref(),
                &format!("universe {expr}"),
                format,
                &outcome,
                selection.voted_removed,
            )
            .await?;
            if let Some(note) = voted_note(built.election, selection.voted_removed, include_voted) {
                eprintln!("{note}");
            }
            if let Some(note) = suppressed_note(selection.suppressed_removed, include_suppressed) {
                eprintln!("{note}");
            }
            report_export(format, &outcome);
            if selection.members.is_empty()
                && selection.voted_removed == 0
                && selection.suppressed_removed == 0
            {
                bail!("no voter matches {expr:?}");
            }
            Ok(())
        }
    }
}

/// Records an export in the audit log.
pub async fn audit_export(
    store: &dyn Store,
    subject: &str,
    format: ExportFormat,
    outcome: &ExportOutcome,
    voted_removed: u64,
) -> anyhow::Result<()> {
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: cli_actor(),
            action: "export".into(),
            subject: subject.to_string(),
            detail: format!(
                "{format}, {} rows for {} voters, {voted_removed} voted voters removed, {} suppressed voters removed",
                outcome.summary.rows, outcome.summary.voters, outcome.suppressed
            ),
        })
        .await?;
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum UniverseCommand {
    /// Count the voters an expression selects (the count alone on the last line).
    #[command(
        after_help = "Examples:\n  votebase universe count 'county:WAKE,DURHAM party:DEM age:18..29 voted:2020-11-03 !voted:2022-11-08'\n  votebase universe count 'status:active' --by county --json"
    )]
    Count {
        /// The filter expression.
        expr: String,
        /// Break down by county, party, age, precinct, gender, status, city, zip, cd, sd, hd or municipality.
        #[arg(long)]
        by: Option<String>,
        /// Keep voters who already voted (dropped by default once ballot files are loaded).
        #[arg(long)]
        include_voted: bool,
        /// Keep voters on the do-not-contact list (dropped by default).
        #[arg(long)]
        include_suppressed: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the selected voters as CSV on standard output (audited).
    #[command(
        after_help = "Examples:\n  votebase universe export 'county:WAKE party:DEM !ballot:returned' > list.csv\n  votebase universe export 'county:WAKE party:DEM' --format walk --out walk.csv"
    )]
    Export {
        /// The filter expression.
        expr: String,
        /// Keep voters who already voted.
        #[arg(long)]
        include_voted: bool,
        /// Keep voters on the do-not-contact list (dropped by default).
        #[arg(long)]
        include_suppressed: bool,
        /// csv, van, spoke (one row per valid cell), nationbuilder or walk (one row per household).
        #[arg(long, default_value = "csv")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}
