//! Importing a daily absentee / early-vote file: each row becomes a ballot event (a
//! voter may have several), bad rows go to the rejects file, and rows whose voter is not
//! in the voter file go to a review file with the reason: kept, never silently dropped.

use crate::layout::{Layout, LayoutKind};
use crate::progress::Progress;
use crate::rejects::{Reject, RejectWriter};
use crate::rows::{Fields, RowChunks, spawn_reader_until_end};
use crate::{IngestError, input};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use votebase_domain::{BallotCategory, BallotEvent, BallotMethod};
use votebase_normalize::{clean_text, parse_date};
use votebase_store::{BallotBatch, BallotImportOutcome, Batch, NewBallotFile, StagedBallot, Store};

/// What a ballot import did.
#[derive(Debug, Clone)]
pub struct BallotReport {
    /// Data rows read.
    pub read: u64,
    /// What the store did.
    pub outcome: BallotImportOutcome,
    /// Rows rejected as unreadable.
    pub rejected: u64,
    /// Where rejects went.
    pub rejects_path: PathBuf,
    /// Where unmatched rows went (when any).
    pub review_path: PathBuf,
    /// Wall time.
    pub seconds: f64,
}

fn date_field(
    fields: &Fields<'_>,
    field: &str,
    formats: &[&str],
) -> Result<Option<NaiveDate>, Reject> {
    let raw = fields.raw(field);
    // Some states append a time to dates ("10/05/2026 00:00:00").
    let day = raw.split_whitespace().next().unwrap_or("");
    parse_date(day, formats)
        .map_err(|e| fields.reject(field, format!("{}: {e}", field.replace('_', " "))))
}

/// Converts one ballot-file row.
pub fn convert_ballot_row(fields: &Fields<'_>) -> Result<BallotEvent, Reject> {
    let formats: Vec<&str> = fields
        .layout()
        .date_formats
        .iter()
        .map(String::as_str)
        .collect();
    let state_voter_id = fields.clean("state_voter_id");
    let local_voter_id = fields.clean("local_voter_id");
    if state_voter_id.is_empty() && local_voter_id.is_empty() {
        return Err(fields.reject(
            "state_voter_id",
            "no voter id: neither the state id nor the county registration number is given".into(),
        ));
    }
    let election_date = date_field(fields, "election_date", &formats)?
        .ok_or_else(|| fields.reject("election_date", "no election date".into()))?;
    let request_date = date_field(fields, "request_date", &formats)?;
    let send_date = date_field(fields, "send_date", &formats)?;
    let return_date = date_field(fields, "return_date", &formats)?;
    let mut return_status = fields.clean("return_status");
    if return_status.is_empty() {
        // Virginia: an application denied or cancelled before any ballot was issued.
        let app = fields.clean("application_status");
        if app.contains("DENIED") || app.contains("CANCEL") {
            return_status = format!("APPLICATION {app}");
        }
    }
    let method = BallotMethod::from_state_text(&fields.raw("method"));
    let mut category =
        BallotCategory::classify(&return_status, send_date.is_some(), return_date.is_some());
    // An early in-person ballot with no status yet was cast at the site.
    if method == BallotMethod::EarlyInPerson && return_status.is_empty() && return_date.is_some() {
        category = BallotCategory::Accepted;
    }
    let sdr = clean_text(&fields.raw("same_day_registration"));
    Ok(BallotEvent {
        state_voter_id,
        local_voter_id,
        county_name: fields.clean("county_name"),
        election_date,
        method,
        delivery_type: fields.clean("delivery_type"),
        request_date,
        send_date,
        return_date,
        return_status,
        category,
        site_name: fields.clean("site_name"),
        same_day_registration: matches!(sdr.as_str(), "Y" | "YES" | "TRUE" | "1"),
        request_party: fields.clean("request_party"),
    })
}

/// Who a ballot row is about, as the file writes it: read again for the rows whose ids
/// match no voter, so the record-linkage engine can look for them by name, age and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotIdentity {
    /// Line in the source file.
    pub line: u64,
    /// The statewide id the row carried.
    pub state_voter_id: String,
    /// First name.
    pub first_name: String,
    /// Middle name.
    pub middle_name: String,
    /// Last name.
    pub last_name: String,
    /// Birth year, from the age at the election (may be a year late).
    pub birth_year: Option<i32>,
    /// Street address line.
    pub street_address: String,
    /// City.
    pub city: String,
    /// ZIP (5 digits or ZIP+4).
    pub zip: String,
}

/// Reads the identity fields of the rows at `lines` (a sorted set) of a ballot file. Rows
/// the layout gives no name for come back with empty names.
pub fn read_identities(
    path: &Path,
    layout: &Layout,
    lines: &std::collections::BTreeSet<u64>,
) -> Result<Vec<BallotIdentity>, IngestError> {
    let mut chunks = RowChunks::open(path, layout)?;
    let mut out = Vec::with_capacity(lines.len());
    let Some(&last) = lines.last() else {
        return Ok(out);
    };
    if matches!(
        chunks.bound.source("last_name"),
        crate::layout::Source::Absent
    ) {
        // The file has no names: nothing to link by.
        return Ok(out);
    }
    'read: loop {
        let chunk = chunks.next_chunk(4096)?;
        if chunk.is_empty() {
            break;
        }
        for row in &chunk {
            if row.line > last {
                break 'read;
            }
            if !lines.contains(&row.line) {
                continue;
            }
            let Ok(fields) = Fields::new(&chunks.bound, row) else {
                continue;
            };
            let election_year = convert_ballot_row(&fields)
                .ok()
                .map(|e| chrono::Datelike::year(&e.election_date));
            let age: Option<i32> = fields.raw("age").parse().ok();
            out.push(BallotIdentity {
                line: row.line,
                state_voter_id: fields.clean("state_voter_id"),
                first_name: fields.clean("first_name"),
                middle_name: fields.clean("middle_name"),
                last_name: fields.clean("last_name"),
                birth_year: election_year.zip(age).map(|(y, a)| y - a),
                street_address: fields.clean("street_address"),
                city: fields.clean("city"),
                zip: fields.clean("zip"),
            });
        }
    }
    Ok(out)
}

/// Imports one ballot file in one transaction. `as_of` (default: from the file name,
/// else its date) is the day its events are first seen.
pub async fn import_ballots_file(
    store: &dyn Store,
    path: &Path,
    layout: &Layout,
    as_of: Option<NaiveDate>,
    rejects_path: Option<PathBuf>,
    progress: Arc<dyn Progress>,
) -> Result<BallotReport, IngestError> {
    let started = Instant::now();
    if layout.kind != LayoutKind::Ballots {
        return Err(IngestError::WrongKind {
            layout: layout.name.clone(),
            actual: layout.kind.name().into(),
            wanted: "ballots".into(),
        });
    }
    let rejects_path = rejects_path.unwrap_or_else(|| RejectWriter::default_path(path));
    let review_path = {
        let name = rejects_path
            .to_string_lossy()
            .replace(".rejects.csv", ".review.csv");
        if name == rejects_path.to_string_lossy() {
            PathBuf::from(format!("{name}.review.csv"))
        } else {
            PathBuf::from(name)
        }
    };
    let chunks = RowChunks::open(path, layout)?;
    let sha = input::sha256_file(path)?;
    let as_of = as_of.unwrap_or_else(|| input::default_as_of(path));
    progress.start(chunks.plain_size);
    let (tx, rx) = mpsc::channel::<BallotBatch>(2);
    let reject_file = rejects_path.clone();
    let reader_progress = progress.clone();
    let reader = spawn_reader_until_end(
        chunks,
        reject_file,
        reader_progress,
        |fields| Ok(StagedBallot::new(fields.line, convert_ballot_row(fields)?)),
        tx,
        Batch::Rows,
        Batch::Abort,
        || Batch::End,
        false,
    );
    let file = NewBallotFile {
        as_of,
        source_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_sha256: sha,
    };
    let stored = store.import_ballots(file, rx).await;
    let (read, rejects) = reader
        .await
        .map_err(|e| IngestError::Internal(format!("reader thread: {e}")))??;
    let rejected = rejects.finish()?;
    let outcome = stored?;
    progress.finishing("committed");
    let mut review = RejectWriter::new(review_path.clone());
    for u in &outcome.unmatched {
        review.write(&Reject {
            line: u.line,
            column: if u.state_voter_id.is_empty() {
                "voter_reg_num".into()
            } else {
                "ncid".into()
            },
            reason: if u.state_voter_id.is_empty() {
                format!(
                    "no voter with registration number {} in {} county in the voter file",
                    u.local_voter_id, u.county_name
                )
            } else {
                format!(
                    "voter {} is not in the voter file (kept: it will match after a voter-file refresh that has them)",
                    u.state_voter_id
                )
            },
            raw: String::new(),
        })?;
    }
    review.finish()?;
    Ok(BallotReport {
        read,
        outcome,
        rejected,
        rejects_path,
        review_path,
        seconds: started.elapsed().as_secs_f64(),
    })
}
