//! Absentee and early-vote use cases: which election a question is about (the latest
//! with ballot files unless one is named), voters per ballot status, and the chase and
//! cure lists, which are bulk exports of personal data: [`chase_cure_list`] checks the
//! caller's role through [`crate::lists::authorize_export`] before reading anything, and
//! [`write_list_csv`] writes them through the formula-safe CSV writer. Voters on the
//! do-not-contact list are left out of both lists unless the query includes them.

use crate::lists::{ExportForbidden, authorize_export};
use chrono::NaiveDate;
use std::io::Write;
use votebase_domain::csv_safe::SafeWriter;
use votebase_domain::users::Role;
use votebase_store::{BallotList, BallotListRow, BallotStatusCount, Store, StoreError};

/// Why a ballot question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum BallotsError {
    /// The caller may not export personal data (chase and cure lists).
    #[error(transparent)]
    Forbidden(#[from] ExportForbidden),
    /// No ballot file was imported, and no election was named.
    #[error("no ballot file imported yet")]
    NoBallots,
    /// A list other than chase or cure was asked for.
    #[error("no ballot list {0:?}: use chase or cure")]
    UnknownList(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The election asked for, else the latest with ballot files.
pub async fn election_or_latest(
    store: &dyn Store,
    asked: Option<NaiveDate>,
) -> Result<NaiveDate, BallotsError> {
    match asked {
        Some(e) => Ok(e),
        None => store
            .ballot_elections()
            .await?
            .first()
            .copied()
            .ok_or(BallotsError::NoBallots),
    }
}

/// Voters per ballot status (each in their most settled status) in an election.
pub async fn status(
    store: &dyn Store,
    election: Option<NaiveDate>,
) -> Result<(NaiveDate, Vec<BallotStatusCount>), BallotsError> {
    let election = election_or_latest(store, election).await?;
    Ok((election, store.ballot_status_counts(election).await?))
}

/// The list named `kind` (`chase` or `cure`, a trailing `.csv` ignored); the chase list
/// keeps ballots sent at least `min_days` ago (default 0).
pub fn list_kind(kind: &str, min_days: Option<i64>) -> Result<BallotList, BallotsError> {
    match kind.trim_end_matches(".csv") {
        "chase" => Ok(BallotList::Chase {
            min_days: min_days.unwrap_or(0),
        }),
        "cure" => Ok(BallotList::Cure),
        other => Err(BallotsError::UnknownList(other.to_string())),
    }
}

/// Which chase or cure list to read.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// `chase` or `cure` (see [`list_kind`]).
    pub kind: &'a str,
    /// Chase list: minimum days since the ballot was sent (default 0).
    pub min_days: Option<i64>,
    /// The election (default: the latest with ballots).
    pub election: Option<NaiveDate>,
    /// The day days are counted to.
    pub as_of: NaiveDate,
    /// Most rows.
    pub limit: i64,
    /// Keep voters on the do-not-contact list (left out by default).
    pub include_suppressed: bool,
}

/// A chase or cure list for a caller of `role`, who must hold the import/export
/// permission (checked before anything else, so a caller without it learns nothing,
/// not even which lists exist). Returns the election and the rows; the front end audits.
pub async fn chase_cure_list(
    store: &dyn Store,
    role: Role,
    q: &ListQuery<'_>,
) -> Result<(NaiveDate, Vec<BallotListRow>), BallotsError> {
    authorize_export(role)?;
    let list = list_kind(q.kind, q.min_days)?;
    let election = election_or_latest(store, q.election).await?;
    let mut rows = store.ballot_list(election, list, q.as_of, q.limit).await?;
    if !q.include_suppressed {
        let suppressed = crate::suppression::suppressed_set(store).await?;
        rows.retain(|r| !suppressed.contains(&r.state_voter_id));
    }
    Ok((election, rows))
}

/// Writes a chase or cure list as CSV (header, then one row per ballot), every cell
/// formula-safe; returns the writer.
pub fn write_list_csv<W: Write>(rows: &[BallotListRow], out: W) -> Result<W, csv::Error> {
    let mut w = SafeWriter::from_writer(out);
    w.write_record(BallotListRow::CSV_HEADER)?;
    for r in rows {
        w.write_record(r.csv_record())?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_kinds_parse_and_unknown_ones_are_named() {
        assert!(matches!(
            list_kind("chase.csv", Some(3)),
            Ok(BallotList::Chase { min_days: 3 })
        ));
        assert!(matches!(list_kind("cure", None), Ok(BallotList::Cure)));
        assert!(matches!(
            list_kind("other", None),
            Err(BallotsError::UnknownList(k)) if k == "other"
        ));
    }
}
