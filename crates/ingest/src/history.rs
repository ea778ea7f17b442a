//! Importing vote history (one row per voter per election, NC's ncvhis): rows are read
//! under a history layout, bad rows go to the rejects file, and the store keeps one row
//! per voter and election date, so loading the same file twice changes nothing.

use crate::layout::{Layout, LayoutKind};
use crate::progress::Progress;
use crate::rejects::{Reject, RejectWriter};
use crate::rows::{Fields, RowChunks, spawn_reader_until_end};
use crate::{IngestError, input};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use votebase_domain::VoteHistoryRecord;
use votebase_domain::snapshots::normalise_voting_method;
use votebase_normalize::parse_date;
use votebase_store::{HistoryOutcome, Store};

/// What a history import did.
#[derive(Debug, Clone)]
pub struct HistoryReport {
    /// Rows read.
    pub read: u64,
    /// New and unchanged rows, as the store counted them.
    pub outcome: HistoryOutcome,
    /// Rows rejected.
    pub rejected: u64,
    /// Where rejects went.
    pub rejects_path: PathBuf,
    /// Wall time.
    pub seconds: f64,
}

/// Converts one history row.
pub fn convert_history_row(fields: &Fields<'_>) -> Result<VoteHistoryRecord, Reject> {
    let id = fields.clean("state_voter_id");
    if id.is_empty() {
        return Err(fields.reject("state_voter_id", "no voter id".into()));
    }
    let formats: Vec<&str> = fields
        .layout()
        .date_formats
        .iter()
        .map(String::as_str)
        .collect();
    let election_date = parse_date(&fields.raw("election_date"), &formats)
        .map_err(|e| fields.reject("election_date", format!("election date: {e}")))?
        .ok_or_else(|| fields.reject("election_date", "no election date".into()))?;
    Ok(VoteHistoryRecord {
        state_voter_id: id,
        election_date,
        election_desc: fields.clean("election_desc"),
        voting_method: normalise_voting_method(&fields.raw("voting_method")),
        voted_party: fields.clean("voted_party"),
        county_name: fields.clean("county_name"),
        precinct: fields.clean("precinct"),
    })
}

/// Imports one history file in one transaction.
pub async fn import_history_file(
    store: &dyn Store,
    path: &Path,
    layout: &Layout,
    rejects_path: Option<PathBuf>,
    progress: Arc<dyn Progress>,
) -> Result<HistoryReport, IngestError> {
    let started = Instant::now();
    if layout.kind != LayoutKind::History {
        return Err(IngestError::WrongKind {
            layout: layout.name.clone(),
            actual: layout.kind.name().into(),
            wanted: "history".into(),
        });
    }
    // A subscriber reads another organization's voter file: refused before reading.
    votebase_store::voter_file::refuse_writes(store.voter_file_source())?;
    let rejects_path = rejects_path.unwrap_or_else(|| RejectWriter::default_path(path));
    let chunks = RowChunks::open(path, layout)?;
    let sha = input::sha256_file(path)?;
    progress.start(chunks.plain_size);
    let (tx, rx) = mpsc::channel::<votebase_store::HistoryBatch>(4);
    let reject_file = rejects_path.clone();
    let reader_progress = progress.clone();
    let reader = spawn_reader_until_end(
        chunks,
        reject_file,
        reader_progress,
        convert_history_row,
        tx,
        votebase_store::Batch::Rows,
        votebase_store::Batch::Abort,
        || votebase_store::Batch::End,
        false,
    );
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stored = store.import_history(&name, &sha, rx).await;
    let (read, rejects) = reader
        .await
        .map_err(|e| IngestError::Internal(format!("reader thread: {e}")))??;
    let rejected = rejects.finish()?;
    let outcome = stored?;
    progress.finishing("committed");
    Ok(HistoryReport {
        read,
        outcome,
        rejected,
        rejects_path,
        seconds: started.elapsed().as_secs_f64(),
    })
}
