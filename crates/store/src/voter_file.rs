//! A voter file shared read-only between organizations of one deployment: a campaign
//! that subscribes to a "state file" organization reads that organization's snapshots,
//! voters, field changes, vote history and purge rolls instead of importing the same
//! state file again. The subscription is recorded in the subscriber's own store (table
//! `voter_file_source`) and applied when the store is opened: SQLite attaches the source's
//! file read-only and shadows these tables with per-connection views; PostgreSQL puts a
//! schema of views over the source's tables (writes refused by `INSTEAD OF` triggers)
//! first on the subscriber's `search_path`. Everything else (contacts, lists, tags,
//! scores, ballots, phones, people, …) stays the subscriber's own. One source per
//! subscriber; a source cannot itself read another's file.

use crate::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use votebase_domain::OrgName;

/// The tables a subscriber reads from its source: the voter file and what its imports
/// derive (field changes, purge rolls), and vote history.
pub const SHARED_VOTER_FILE_TABLES: &[&str] = &[
    "snapshots",
    "voters",
    "voter_changes",
    "vote_history",
    "history_files",
    "purge_rolls",
];

/// The table recording the subscription (wiring of one deployment: archives leave it
/// out, an organization imported elsewhere subscribes again there).
pub const SOURCE_TABLE: &str = "voter_file_source";

/// A recorded subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoterFileSource {
    /// The organization whose voter file is read.
    pub source: OrgName,
    /// When the subscription was recorded.
    pub since: DateTime<Utc>,
}

/// The refusal of a write to a shared voter file (imports of voter files and vote
/// history, relinks) in a subscriber.
pub fn read_only(source: &OrgName) -> StoreError {
    StoreError::Refused(format!(
        "this organization's voter file is read-only: it is shared by organization {source}; \
         import voter files and vote history into {source} (`votebase --org {source} import …`), \
         or end the subscription with `votebase org unsubscribe`"
    ))
}

/// Refuses a write to the voter file (imports of voter files and vote history, relinks)
/// when the store reads `source`'s file; the one check every backend and importer calls.
pub fn refuse_writes(source: Option<&OrgName>) -> crate::StoreResult<()> {
    match source {
        Some(source) => Err(read_only(source)),
        None => Ok(()),
    }
}

/// The refusal of a subscription while the subscriber still holds a voter file of its own.
pub fn holds_own_file(snapshots: i64, history_files: i64) -> StoreError {
    StoreError::Refused(format!(
        "this organization holds a voter file of its own ({snapshots} snapshot(s), \
         {history_files} vote history file(s)); a subscriber reads its source's file \
         instead, so subscribe an organization that has imported none \
         (e.g. a new one: `votebase org create NAME`)"
    ))
}

/// Refuses a chain: `source` (the organization a subscriber reads) itself records
/// `upstream`, a subscription of its own.
pub fn refuse_chain(source: &OrgName, upstream: Option<VoterFileSource>) -> crate::StoreResult<()> {
    match upstream {
        Some(next) => Err(not_a_source(
            source,
            &format!("it reads the voter file of {} itself", next.source),
        )),
        None => Ok(()),
    }
}

/// The refusal of opening a subscriber whose source cannot be read.
pub fn source_missing(source: &OrgName, where_: &str) -> StoreError {
    StoreError::Refused(format!(
        "this organization reads the voter file of organization {source}, which cannot be \
         opened ({where_}); restore {source} or end the subscription with \
         `votebase org unsubscribe`"
    ))
}

/// The refusal of a chain (the source itself reads another organization's file) or of
/// an organization reading its own file.
pub fn not_a_source(source: &OrgName, why: &str) -> StoreError {
    StoreError::Refused(format!(
        "organization {source} cannot share its voter file here: {why}"
    ))
}
