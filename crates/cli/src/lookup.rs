//! `votebase vip validate PATH [--json]` and `votebase lookup "ADDRESS" --feed PATH
//! [--json]`: the Voting Information Project engine (`votebase-vip`) on the command line.
//! Validation prints every finding by file, line, element and id and exits non-zero when
//! there are errors; a lookup prints the polling place with its address and hours, the
//! early-vote sites and drop boxes, or says the precinct votes by mail, what is missing,
//! or which streets were probably meant. No database is involved.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use votebase_vip::{Answer, Index, Place, Severity, load, validate as validate_feed};

/// Validates the feed at `path`; `Ok(true)` when it has no errors.
pub fn validate(path: &Path, json: bool) -> anyhow::Result<bool> {
    let feed =
        load(path).with_context(|| format!("cannot read the VIP feed {}", path.display()))?;
    let report = validate_feed(&feed);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(report.is_ok());
    }
    let (precincts, places, segments) = feed.counts();
    writeln!(
        out,
        "{}: VIP {} ({:?}), {precincts} precincts, {places} polling locations, {segments} street segments",
        path.display(),
        feed.schema_version,
        feed.format
    )?;
    for f in &report.findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let id = if f.id.is_empty() { "(no id)" } else { &f.id };
        writeln!(
            out,
            "{}:{}: {sev} [{}] {} {id}: {}",
            f.origin.file,
            f.origin.line,
            f.rule.code(),
            f.element,
            f.message
        )?;
    }
    let counts: Vec<String> = report
        .counts()
        .iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect();
    writeln!(
        out,
        "{} errors, {} warnings{}{}",
        report.errors,
        report.warnings,
        if counts.is_empty() { "" } else { ": " },
        counts.join(", ")
    )?;
    out.flush()?;
    Ok(report.is_ok())
}

fn write_place(out: &mut impl Write, p: &Place, indent: &str) -> std::io::Result<()> {
    writeln!(out, "{indent}{}", p.name)?;
    for line in &p.address {
        writeln!(out, "{indent}  {line}")?;
    }
    for h in &p.hours {
        writeln!(out, "{indent}  Hours: {h}")?;
    }
    Ok(())
}

/// Looks up `address` in the feed at `feed`; `Ok(true)` when a polling place (or
/// mail-only precinct) was found.
pub fn lookup(address: &str, feed: &Path, json: bool) -> anyhow::Result<bool> {
    let loaded =
        load(feed).with_context(|| format!("cannot read the VIP feed {}", feed.display()))?;
    let index = Index::build(&loaded);
    let answer = index.lookup(address);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let ok = matches!(answer, Answer::Found { .. } | Answer::MailOnly { .. });
    if json {
        serde_json::to_writer_pretty(&mut out, &answer)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ok);
    }
    match &answer {
        Answer::Found { precinct, .. } => {
            let split = if precinct.split.is_empty() {
                String::new()
            } else {
                format!(" ({})", precinct.split)
            };
            writeln!(out, "Precinct: {}{split}", precinct.name)?;
            if precinct.polling_places.is_empty() {
                writeln!(out, "Polling place: none in the feed")?;
            }
            for p in &precinct.polling_places {
                write!(out, "Polling place: ")?;
                write_place(&mut out, p, "")?;
            }
            if !precinct.early_vote.is_empty() {
                writeln!(out, "Early voting:")?;
                for p in &precinct.early_vote {
                    write_place(&mut out, p, "  ")?;
                }
            }
            if !precinct.drop_boxes.is_empty() {
                writeln!(out, "Drop boxes:")?;
                for p in &precinct.drop_boxes {
                    write_place(&mut out, p, "  ")?;
                }
            }
        }
        Answer::MailOnly { precinct, .. } => {
            writeln!(out, "Precinct: {}", precinct.name)?;
            writeln!(
                out,
                "This precinct votes by mail only: there is no polling place."
            )?;
        }
        Answer::NeedMore { missing, options } => {
            let what: Vec<&str> = missing.iter().map(|m| m.label()).collect();
            writeln!(
                out,
                "Need more: the address matches several precincts; add the {}.",
                what.join(" and ")
            )?;
            if !options.is_empty() {
                writeln!(out, "One of: {}", options.join(", "))?;
            }
        }
        Answer::Conflict {
            precincts,
            segments,
            contact,
        } => {
            let names: Vec<String> = precincts
                .iter()
                .map(|p| format!("{} ({})", p.name, p.id))
                .collect();
            writeln!(
                out,
                "Conflict in the feed: this address is in overlapping street segments {} of precincts {}.",
                segments.join(", "),
                names.join(", ")
            )?;
            for p in precincts {
                for place in &p.polling_places {
                    writeln!(
                        out,
                        "  {}: {}, {}",
                        p.name,
                        place.name,
                        place.address.join(", ")
                    )?;
                }
            }
            if let Some(c) = contact {
                let reach: Vec<&str> = [c.name.as_str(), &c.phone, &c.email]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                writeln!(out, "Ask: {}", reach.join(", "))?;
            }
        }
        Answer::DidYouMean {
            street,
            suggestions,
        } => {
            writeln!(out, "No street {street:?} here.")?;
            if !suggestions.is_empty() {
                let s: Vec<String> = suggestions
                    .iter()
                    .map(|s| {
                        if s.zip.is_empty() {
                            s.street.clone()
                        } else {
                            format!("{} ({})", s.street, s.zip)
                        }
                    })
                    .collect();
                writeln!(out, "Did you mean: {}?", s.join(", "))?;
            }
        }
        Answer::NotFound { reason } => writeln!(out, "Not found: {reason}.")?,
    }
    out.flush()?;
    Ok(ok)
}
