//! Purge watch as use cases: the report (the organization's thresholds, the snapshots,
//! the rolls and removals read from the store, tested by the `votebase-purge` engine,
//! then filtered by date and county), the alert after an import, the counsel list of a
//! flag with its reinstatement count (audited; CSV needs the export permission) and the
//! running count alone for pages, the
//! thresholds, and the report and list written as text, CSV or JSON.

use crate::lists::{ExportForbidden, authorize_export};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use votebase_domain::AuditEntry;
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::purges::{PurgeListRow, Reinstatement};
use votebase_domain::users::Role;
use votebase_purge::report::count;
pub use votebase_purge::report::{
    Breakdown, BreakdownRow, CountyPair, PairReport, PartySkew, TransitionRate, percent,
};
use votebase_purge::thresholds::ThresholdError;
pub use votebase_purge::{Baselines, Flag, FlagId, Report, Thresholds};
use votebase_purge::{SnapshotRef, build_report};
use votebase_store::{Store, StoreError};

/// Why a purge use case failed.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A malformed flag id, county or date from the caller.
    #[error("{0}")]
    Invalid(String),
    /// No snapshot has the flag's date.
    #[error("no snapshot is dated {0}; `votebase snapshots` lists them")]
    NoSnapshot(NaiveDate),
    /// A threshold out of range, or unknown.
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// The caller may not export personal data.
    #[error(transparent)]
    Forbidden(#[from] ExportForbidden),
}

/// What a report covers.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    /// Only pairs whose later snapshot is on or after this date.
    pub since: Option<NaiveDate>,
    /// Only this county (case-insensitive); the tests still compare with every county.
    pub county: Option<String>,
    /// EAC baselines used as the prior of short histories.
    pub baselines: Option<Baselines>,
}

/// Longest county name accepted from a caller.
pub const MAX_COUNTY: usize = votebase_store::purges::MAX_COUNTY;

/// Checks a county name from a caller.
pub fn check_county(county: &str) -> Result<String, PurgeError> {
    let county = county.trim();
    if county.is_empty()
        || county.chars().count() > MAX_COUNTY
        || county.chars().any(char::is_control)
    {
        return Err(PurgeError::Invalid(format!(
            "a county is 1 to {MAX_COUNTY} printable characters"
        )));
    }
    Ok(county.to_string())
}

/// Reads the EAC EAVS county files (`*.csv`) of a folder for one state.
pub fn load_baselines(dir: &std::path::Path, state: &str) -> Result<Baselines, PurgeError> {
    let unreadable =
        |e: std::io::Error| PurgeError::Invalid(format!("cannot read {}: {e}", dir.display()));
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(PurgeError::Invalid(format!(
            "no .csv files in {}",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    for path in paths {
        let file = std::fs::File::open(&path).map_err(unreadable)?;
        files.push((path.display().to_string(), file));
    }
    Baselines::from_eavs(files, state).map_err(|e| PurgeError::Invalid(e.to_string()))
}

/// The organization's thresholds (stored values over the defaults).
pub async fn thresholds(store: &dyn Store) -> Result<Thresholds, PurgeError> {
    Ok(Thresholds::from_entries(&store.purge_thresholds().await?)?)
}

/// Sets thresholds from `NAME=VALUE` texts, all or nothing; returns the new set.
pub async fn set_thresholds(store: &dyn Store, texts: &[String]) -> Result<Thresholds, PurgeError> {
    let mut t = thresholds(store).await?;
    for text in texts {
        t.set_text(text)?;
    }
    for (name, value) in t.entries() {
        store.set_purge_threshold(name, value).await?;
    }
    Ok(t)
}

/// Builds the report over every snapshot, then keeps what the request asks for.
pub async fn report(store: &dyn Store, request: &ReportRequest) -> Result<Report, PurgeError> {
    if let Some(c) = &request.county {
        check_county(c)?;
    }
    // Data imported before purge watch: the latest snapshot's roll can still be read.
    store.record_latest_roll().await?;
    let thresholds = thresholds(store).await?;
    let snapshots: Vec<SnapshotRef> = store
        .list_snapshots()
        .await?
        .iter()
        .map(|s| SnapshotRef {
            id: s.id,
            as_of: s.as_of,
        })
        .collect();
    let rolls = store.purge_rolls(0).await?;
    let removals = store.purge_removals(0).await?;
    let report = build_report(
        &snapshots,
        &rolls,
        &removals,
        &thresholds,
        request.baselines.as_ref(),
    );
    Ok(report.filtered(request.since, request.county.as_deref()))
}

/// The flags the latest snapshot raised: the alert printed after `import voters`.
pub async fn alerts_for_latest(store: &dyn Store) -> Result<Vec<Flag>, PurgeError> {
    let Some(latest) = store.latest_snapshot().await? else {
        return Ok(Vec::new());
    };
    let report = report(store, &ReportRequest::default()).await?;
    Ok(report
        .flags
        .into_iter()
        .filter(|f| f.snapshot_id == latest.id)
        .collect())
}

/// A counsel list: the voters of one (date, county, transition), whether it is flagged,
/// and the reinstatements since.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CounselList {
    /// The flag id (county spelled as stored).
    pub id: String,
    /// The flag, when the report flags it.
    pub flag: Option<Flag>,
    /// The voters.
    pub voters: Vec<PurgeListRow>,
    /// Voters made active again, per snapshot from the flag's on, with a running total.
    pub reinstatements: Vec<Reinstatement>,
}

/// How the list leaves the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListAccess {
    /// Read on a page or as JSON (the front end has checked the read permission).
    Read,
    /// A bulk export (CSV): needs the export permission.
    Export,
}

/// Reads the counsel list of a flag id, checks the export permission for exports, and
/// audits the read (who, which flag, how many voters).
pub async fn counsel_list(
    store: &dyn Store,
    flag_id: &str,
    actor: &str,
    role: Role,
    access: ListAccess,
) -> Result<CounselList, PurgeError> {
    if access == ListAccess::Export {
        authorize_export(role)?;
    }
    let id = FlagId::parse(flag_id).map_err(PurgeError::Invalid)?;
    let snapshot = store
        .list_snapshots()
        .await?
        .into_iter()
        .find(|s| s.as_of == id.date)
        .ok_or(PurgeError::NoSnapshot(id.date))?;
    let report = report(store, &ReportRequest::default()).await?;
    // The county as the roll spells it (case-insensitive match).
    let county = report
        .pairs
        .iter()
        .find(|p| p.to.id == snapshot.id)
        .and_then(|p| {
            p.counties
                .iter()
                .find(|c| c.county.eq_ignore_ascii_case(&id.county))
        })
        .map(|c| c.county.clone())
        .unwrap_or_else(|| id.county.clone());
    let id = FlagId { county, ..id };
    let voters = store
        .purge_list(snapshot.id, &id.county, id.transition)
        .await?;
    let reinstatements = store
        .purge_reinstatements(snapshot.id, &id.county, id.transition)
        .await?;
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: actor.to_string(),
            action: match access {
                ListAccess::Read => "purge.list",
                ListAccess::Export => "export",
            }
            .into(),
            subject: format!("purge list {id}"),
            detail: format!("{} voters", voters.len()),
        })
        .await?;
    Ok(CounselList {
        flag: report.flag(&id).cloned(),
        id: id.to_string(),
        voters,
        reinstatements,
    })
}

/// How many of a flag's voters are back on the active roll now (by status, by
/// reappearing, or re-registered under a new id the linkage engine tied to the old one):
/// the running count of [`CounselList::reinstatements`], without reading the list.
pub async fn reinstated_so_far(store: &dyn Store, flag: &Flag) -> Result<i64, PurgeError> {
    Ok(store
        .purge_reinstatements(flag.snapshot_id, &flag.county, flag.transition)
        .await?
        .last()
        .map_or(0, |r| r.running_total))
}

/// The universe expression selecting a list's voters who are still in the file, so that
/// organizers can build a contact list from them: `status_change:active>inactive@DATE`
/// or `purged:DATE:removed`, with the county. None for records gone from the file (the
/// index holds no one to contact there).
pub fn universe_expression(flag_id: &str) -> Option<String> {
    let id = FlagId::parse(flag_id).ok()?;
    let county = id.county.replace('"', "");
    let clause = match id.transition {
        votebase_domain::purges::Transition::Inactivated => {
            format!("status_change:active>inactive@{}", id.date)
        }
        votebase_domain::purges::Transition::Removed => format!("purged:{}:removed", id.date),
        votebase_domain::purges::Transition::Disappeared => return None,
    };
    Some(format!("{clause} county:\"{county}\""))
}

/// The report's text form: one line per flag (id, then its sentence), then `flagged: N`.
pub fn report_text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.flags {
        out.push_str(&format!("{}  {}\n", f.id, f.sentence));
    }
    out.push_str(&format!("flagged: {}\n", report.flags.len()));
    out
}

/// The CSV header of the report (one row per flag).
pub const REPORT_CSV_HEADER: [&str; 13] = [
    "flag",
    "from",
    "to",
    "county",
    "transition",
    "moved",
    "base",
    "rate",
    "expected_rate",
    "state_rate",
    "p_value",
    "q_value",
    "sentence",
];

/// The report as CSV: one row per flag (no `flagged: N` line, which would break CSV
/// readers: the count is the number of rows).
pub fn report_csv(report: &Report) -> Result<String, PurgeError> {
    let mut w = SafeWriter::from_writer(Vec::new());
    let io = |e: csv::Error| PurgeError::Invalid(format!("writing CSV: {e}"));
    w.write_record(REPORT_CSV_HEADER).map_err(io)?;
    for f in &report.flags {
        w.write_record([
            f.id.clone(),
            f.from.to_string(),
            f.to.to_string(),
            f.county.clone(),
            f.transition.code().to_string(),
            f.moved.to_string(),
            f.base.to_string(),
            format!("{:.6}", f.rate),
            format!("{:.6}", f.expected_rate),
            format!("{:.6}", f.state_rate),
            format!("{:e}", f.p_value),
            format!("{:e}", f.q_value),
            f.sentence.clone(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| PurgeError::Invalid(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| PurgeError::Invalid(format!("writing CSV: {e}")))
}

/// The counsel list as CSV (formula-safe cells).
pub fn list_csv(list: &CounselList) -> Result<String, PurgeError> {
    let mut w = SafeWriter::from_writer(Vec::new());
    let io = |e: csv::Error| PurgeError::Invalid(format!("writing CSV: {e}"));
    w.write_record(PurgeListRow::CSV_HEADER).map_err(io)?;
    for row in &list.voters {
        w.write_record(row.csv_record()).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| PurgeError::Invalid(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| PurgeError::Invalid(format!("writing CSV: {e}")))
}

/// One line for the end of `import voters` when the new snapshot raised flags.
pub fn alert_text(flags: &[Flag]) -> Option<String> {
    if flags.is_empty() {
        return None;
    }
    let mut out = format!(
        "PURGE ALERT: this snapshot raised {} flag{}:\n",
        flags.len(),
        if flags.len() == 1 { "" } else { "s" }
    );
    for f in flags {
        out.push_str(&format!("  {}  {}\n", f.id, f.sentence));
        out.push_str(&format!(
            "  list: votebase purges list {} --format csv > list.csv  ({} voters)\n",
            f.id,
            count(f.moved)
        ));
    }
    Some(out)
}

/// A short summary line of a flag for pages: rate against expected.
pub fn flag_summary(f: &Flag) -> String {
    format!(
        "{} of {} ({}; expected {})",
        count(f.moved),
        count(f.base),
        percent(f.rate),
        percent(f.expected_rate)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn universe_expressions_of_lists() {
        assert_eq!(
            universe_expression("2026-10-15:NEW HANOVER:inactivated").as_deref(),
            Some("status_change:active>inactive@2026-10-15 county:\"NEW HANOVER\"")
        );
        assert_eq!(
            universe_expression("2026-10-15:WAKE:removed").as_deref(),
            Some("purged:2026-10-15:removed county:\"WAKE\"")
        );
        assert_eq!(universe_expression("2026-10-15:WAKE:disappeared"), None);
        assert_eq!(universe_expression("nonsense"), None);
        // The expression parses.
        let e = universe_expression("2026-10-15:NEW HANOVER:inactivated").unwrap();
        assert_eq!(votebase_index::parse(&e).unwrap().clauses.len(), 2);
    }
}
