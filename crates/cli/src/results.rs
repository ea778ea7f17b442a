//! `votebase results check-caucus DIR [--json]`: recomputes every precinct of the Iowa
//! Democratic Party's published 2020 caucus results by the party's own rules and lists the
//! precincts whose published numbers are internally inconsistent, grouped by kind of
//! inconsistency with totals (or the whole report as JSON). The math lives in
//! `votebase-caucus`; this module only prints.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use votebase_caucus::{Severity, check_caucus_dir};

/// Checks the Iowa 2020 results in `dir` and prints the flagged precincts, one line each,
/// grouped by kind with totals; with `json`, prints the report as JSON instead.
pub async fn check_caucus(dir: &Path, json: bool) -> anyhow::Result<()> {
    let report = check_caucus_dir(dir)
        .with_context(|| format!("cannot check the caucus results in {}", dir.display()))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{}: {} precincts recomputed, {} break the rules, {} not checked",
        report.source.display(),
        report.precincts_checked,
        report.flagged.len(),
        report.skipped.len()
    )?;
    for (kind, precincts) in report.by_kind() {
        writeln!(out, "\n{} ({} precincts)", kind.label(), precincts.len())?;
        for p in precincts {
            let what: Vec<&str> = p
                .findings
                .iter()
                .filter(|f| f.kind == kind)
                .map(|f| f.message.as_str())
                .collect();
            writeln!(
                out,
                "  {} / {}: {} | {}",
                p.county,
                p.precinct,
                what.join(" "),
                p.delegates_summary()
            )?;
        }
    }
    writeln!(out, "\nTotals (precincts per kind):")?;
    for t in &report.totals {
        let tag = match t.severity {
            Severity::Error => "error",
            Severity::Notice => "notice, allowed by the rules",
        };
        writeln!(out, "  {:>5}  {} ({tag})", t.precincts, t.label)?;
    }
    Ok(())
}
