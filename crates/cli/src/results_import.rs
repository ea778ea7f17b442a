//! `votebase results import FILE --format openelections|clarity [--election DATE]
//! [--totals FILE]...`: imports the precinct results of a past election (OpenElections CSV
//! or Clarity/Scytl detail XML) into the organization's store, all or nothing and once
//! per file, and prints the roll-up check: every published total compared with the sum
//! of the file's precinct rows, each mismatch on its own line.

use crate::options::Global;
use crate::stores;
use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use votebase_ingest::results::{ResultsFormat, ResultsImportReport, import_results_file};

/// The file formats `results import` reads.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    /// OpenElections CSV (county,precinct,office,district,party,candidate,votes[,vote types]).
    Openelections,
    /// Clarity/Scytl ENR detail.xml.
    Clarity,
}

/// Arguments of `votebase results import`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase results import 20201103__pa__general__centre__precinct.csv --format openelections --totals 20201103__pa__general__county.csv\n  votebase results import detail_bartow.xml --format clarity\n  votebase results import 20180109__ga__special__general__henry__precinct.csv --format openelections --totals 20180109__ga__special.xml --json\n\nClarity files publish their own totals; for OpenElections precinct files pass the county-level file (CSV, or a state-level Clarity XML) with --totals. The import goes on when totals do not match: the mismatches are findings about the published data, listed one per line."
)]
pub struct ResultsImportArgs {
    /// The results file.
    pub file: PathBuf,
    /// Its format.
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Election day (YYYY-MM-DD); default: the file's ElectionDate (Clarity) or the date in its name.
    #[arg(long)]
    pub election: Option<NaiveDate>,
    /// County-level totals to check the precinct sums against (repeatable).
    #[arg(long)]
    pub totals: Vec<PathBuf>,
    /// Where refused rows go (default: <FILE>.rejects.csv).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `votebase results import`.
pub async fn import(global: &Global, args: ResultsImportArgs) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let format = match args.format {
        FormatArg::Openelections => ResultsFormat::OpenElections,
        FormatArg::Clarity => ResultsFormat::Clarity,
    };
    let report = import_results_file(
        store.as_ref(),
        &args.file,
        format,
        args.election,
        &args.totals,
        args.rejects.clone(),
    )
    .await
    .with_context(|| format!("importing {}", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

/// The human-readable report.
pub fn render(r: &ResultsImportReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} election of {}{}",
        r.file.display(),
        r.format.code(),
        r.election_date,
        if r.election_name.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.election_name)
        }
    );
    if r.outcome.already_imported {
        let _ = writeln!(
            s,
            "already imported (same SHA-256, file #{}): nothing changed",
            r.outcome.file_id
        );
    } else {
        let _ = writeln!(
            s,
            "imported {} rows from {} {} as file #{}",
            r.rows,
            r.precincts,
            if r.county_level {
                "counties"
            } else {
                "precincts"
            },
            r.outcome.file_id
        );
    }
    if let Some(path) = &r.rejects_file {
        let _ = writeln!(
            s,
            "{} rows refused, listed in {}",
            r.rejected,
            path.display()
        );
    }
    if !r.ignored_columns.is_empty() {
        let _ = writeln!(s, "columns ignored: {}", r.ignored_columns.join(", "));
    }
    let u = &r.roll_up;
    let mismatches = u.mismatch_count();
    let _ = writeln!(
        s,
        "roll-up check: {} published totals compared, {} equal, {} mismatches",
        u.checked.len(),
        u.checked.len() - mismatches,
        mismatches
    );
    if u.checked.is_empty() {
        let _ = writeln!(
            s,
            "  no published totals to compare with: pass the county-level file with --totals"
        );
    }
    for m in u.mismatches() {
        let place = if m.county.is_empty() {
            "state-wide".to_string()
        } else {
            m.county.clone()
        };
        let district = if m.district.is_empty() {
            String::new()
        } else {
            format!(" district {}", m.district)
        };
        let _ = writeln!(
            s,
            "  MISMATCH {place} | {}{district} | {} | {}: published {}, {} sum to {} ({:+})",
            m.office,
            if m.candidate.is_empty() {
                "-"
            } else {
                &m.candidate
            },
            m.vote_type,
            m.published,
            if r.county_level {
                "counties"
            } else {
                "precincts"
            },
            m.precinct_sum,
            m.precinct_sum - m.published
        );
    }
    for v in &u.name_variants {
        let _ = writeln!(
            s,
            "  name variant {} | {}: published {:?} matched {:?} in the file",
            v.county, v.office, v.published, v.in_file
        );
    }
    if !u.counties_without_totals.is_empty() {
        let _ = writeln!(
            s,
            "  not checked (no published totals): {}",
            u.counties_without_totals.join(", ")
        );
    }
    if !u.without_total.is_empty() {
        let shown: Vec<String> = u
            .without_total
            .iter()
            .take(5)
            .map(|(_, office, _, cand)| format!("{office} / {cand}"))
            .collect();
        let _ = writeln!(
            s,
            "  {} choices in the file have no published total (e.g. {})",
            u.without_total.len(),
            shown.join("; ")
        );
    }
    s
}

/// Arguments of `votebase results history`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: votebase results history --county Centre --precinct \"1-BELLEFONTE NORTH\" --office President\n\nNames are compared without regard to case or punctuation. This is the query election-night validation uses to flag numbers far from a precinct's history."
)]
pub struct ResultsHistoryArgs {
    /// County.
    #[arg(long)]
    pub county: String,
    /// Precinct.
    #[arg(long)]
    pub precinct: String,
    /// Office (e.g. President).
    #[arg(long)]
    pub office: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `votebase results history`: the imported past results of one precinct for one office.
pub async fn history(global: &Global, args: ResultsHistoryArgs) -> anyhow::Result<()> {
    let store = stores::open(global).await?;
    let contests = store
        .precinct_history(&args.county, &args.precinct, &args.office)
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&contests)?);
        return Ok(());
    }
    if contests.is_empty() {
        println!(
            "no past results for {} / {} / {}: import some with `votebase results import`",
            args.county, args.precinct, args.office
        );
        return Ok(());
    }
    for c in &contests {
        let district = if c.district.is_empty() {
            String::new()
        } else {
            format!(" district {}", c.district)
        };
        println!(
            "{} {}{district} in {} / {}: {} votes ({})",
            c.election_date, c.office, c.county, c.precinct, c.total_votes, c.source_file
        );
        for ch in &c.choices {
            let party = if ch.party.is_empty() {
                String::new()
            } else {
                format!(" ({})", ch.party)
            };
            println!("  {:>8}  {}{party}", ch.votes, ch.candidate);
        }
    }
    Ok(())
}
