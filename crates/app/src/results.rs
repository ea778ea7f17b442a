//! Election-night results use cases, shared by the HTTP server and the `votebase results`
//! commands: set up an election, issue chair codes (and normalise a typed one), submit an
//! entry and preview its check, rebuild the projection from the log, build the public
//! feed (JSON or CSV) and the reconciliation report. The rules (validation and
//! projection) are the caucus engine's [`ElectionNightRules`]; this module hands them to
//! the store, which applies them inside its transactions. Front ends check permissions,
//! parse their input and render what these functions return.

mod codes;
mod feed;
mod reconcile;

use std::sync::Arc;

use votebase_domain::results::{
    Election, EntryCheck, NewSubmission, ResultRules, SubmissionRequest, check_names,
};
use votebase_store::results::SubmitOutcome;
use votebase_store::{Store, StoreError};

pub use codes::{
    CodeSheetRow, chair_page_path, chair_page_url, issue_codes, new_code, normalize_code,
    plan_codes, store_codes,
};
pub use feed::{
    CandidateTotal, ContestProgress, ElectionFeed, FeedRow, PrecinctLine, build_feed, feed_csv,
};
pub use reconcile::{ReconciliationRow, delegates_in_words, describe_entry, reconciliation_rows};
pub use votebase_caucus::results::{ElectionNightRules, check_entry, project};

/// Why a results use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The election (or what was asked of it) does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be carried out as given; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The election-night rules handed to the store.
pub fn rules() -> Arc<dyn ResultRules> {
    Arc::new(ElectionNightRules)
}

/// One election's definition, or [`ResultsError::NotFound`].
pub async fn load_election(store: &dyn Store, slug: &str) -> Result<Election, ResultsError> {
    store
        .election(slug)
        .await?
        .ok_or_else(|| ResultsError::NotFound(format!("no election {slug:?}")))
}

/// Checks a definition and stores it (creating or, before its first submission,
/// replacing the election).
pub async fn set_up_election(store: &dyn Store, election: &Election) -> Result<(), ResultsError> {
    election
        .check()
        .map_err(|e| ResultsError::Invalid(e.to_string()))?;
    store.put_election(election).await?;
    Ok(())
}

/// Records a submission for `election` (loaded by the caller): names are checked first
/// (refused outright when they are not in the setup), then the store appends it and
/// updates the projection by the rules. A retry of a known client id returns the stored
/// receipt (`replayed`).
pub async fn submit(
    store: &dyn Store,
    election: &Election,
    submission: NewSubmission,
) -> Result<SubmitOutcome, ResultsError> {
    check_names(election, &submission.request).map_err(|e| ResultsError::Invalid(e.to_string()))?;
    Ok(store.submit_result(rules(), submission).await?)
}

/// Validates a request and computes delegates by the rules, storing nothing.
pub fn preview(election: &Election, req: &SubmissionRequest) -> Result<EntryCheck, ResultsError> {
    check_names(election, req).map_err(|e| ResultsError::Invalid(e.to_string()))?;
    Ok(check_entry(
        election,
        &req.precinct,
        &req.contest,
        &req.result,
    ))
}

/// What [`rebuild`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Projection rows written.
    pub rows: usize,
    /// Rows that differed from the live projection before the rebuild.
    pub differing: usize,
}

/// Recomputes the published results of an election from its append-only log and
/// compares them with the live projection they replace.
pub async fn rebuild(store: &dyn Store, slug: &str) -> Result<Rebuilt, ResultsError> {
    load_election(store, slug).await?;
    let before = store.precinct_results(slug).await?;
    let rows = store.rebuild_results(rules(), slug).await?;
    let after = store.precinct_results(slug).await?;
    let differing = after.iter().filter(|r| !before.contains(r)).count()
        + before.len().saturating_sub(after.len());
    Ok(Rebuilt { rows, differing })
}
