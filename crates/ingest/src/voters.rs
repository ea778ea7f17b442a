//! Importing a voter file as a dated snapshot: rows are read under a layout, normalised
//! in parallel, rejected rows go to the rejects file with line, column and reason, and
//! the good rows stream to the store, which writes the whole snapshot in one
//! transaction (all or nothing). A file already imported (same SHA-256) changes nothing.

use crate::layout::{Layout, LayoutKind};
use crate::progress::Progress;
use crate::rejects::{Reject, RejectWriter};
use crate::rows::{Fields, RowChunks, spawn_reader_until_end};
use crate::{IngestError, input};
use chrono::{Datelike, NaiveDate};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use votebase_domain::{Gender, Party, SnapshotSummary, VoterRecord, VoterStatus};
use votebase_normalize::{
    normalize_address, normalize_name_part, normalize_phone, normalize_suffix, parse_date,
    parse_year, split_full_name,
};
use votebase_store::{ImportBatch, NewSnapshot, StagedVoter, Store};

/// Rows per chunk converted in parallel and sent to the store.
pub const CHUNK_ROWS: usize = 4_096;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The date the file describes (default: from the file name, else its mtime).
    pub as_of: Option<NaiveDate>,
    /// Where rejects go (default `<input>.rejects.csv`).
    pub rejects_path: Option<PathBuf>,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// The snapshot written, or the earlier one when the file was already imported.
    pub snapshot: SnapshotSummary,
    /// True when the file had been imported before and nothing changed.
    pub already_imported: bool,
    /// Data rows read.
    pub read: u64,
    /// Rows in the snapshot.
    pub imported: u64,
    /// Rows rejected (including duplicates).
    pub rejected: u64,
    /// Where rejects were written (when any).
    pub rejects_path: PathBuf,
    /// Wall time.
    pub seconds: f64,
}

/// Converts one row to a voter record, or says why not.
pub fn convert_row(fields: &Fields<'_>, as_of: NaiveDate) -> Result<VoterRecord, Reject> {
    let layout = &fields_layout(fields);
    let id = fields.clean("state_voter_id");
    if id.is_empty() {
        return Err(fields.reject(
            "state_voter_id",
            "no voter id: the row cannot be keyed".into(),
        ));
    }
    let mut r = VoterRecord {
        state_voter_id: id,
        county_code: fields.clean("county_code"),
        county_name: fields.clean("county_name"),
        local_voter_id: fields.clean("local_voter_id"),
        status_reason: fields.clean("status_reason"),
        first_name: normalize_name_part(&fields.raw("first_name")),
        middle_name: normalize_name_part(&fields.raw("middle_name")),
        last_name: normalize_name_part(&fields.raw("last_name")),
        name_suffix: normalize_suffix(&fields.raw("name_suffix")),
        ..Default::default()
    };
    let full = fields.raw("full_name");
    if r.last_name.is_empty() && !full.is_empty() {
        let p = split_full_name(&full);
        r.first_name = p.first;
        r.middle_name = p.middle;
        r.last_name = p.last;
        if r.name_suffix.is_empty() {
            r.name_suffix = p.suffix;
        }
        r.raw_name = full.to_string();
    } else {
        r.raw_name = ["first_name", "middle_name", "last_name", "name_suffix"]
            .iter()
            .map(|f| fields.raw(f))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
    }
    if r.last_name.is_empty() && r.first_name.is_empty() {
        return Err(fields.reject(
            "last_name",
            "no name: both first and last name are blank".into(),
        ));
    }

    let state = fields.raw("state");
    let state = if state.is_empty() {
        layout.state.as_str().into()
    } else {
        state
    };
    r.address = normalize_address(
        &fields.raw("address_line"),
        &fields.raw("city"),
        &state,
        &fields.raw("zip"),
    );
    let zip4 = fields.clean("zip4");
    if r.address.zip4.is_empty() && zip4.len() == 4 && zip4.bytes().all(|b| b.is_ascii_digit()) {
        r.address.zip4 = zip4;
    }
    r.mail_address = fields.clean("mail_address");
    r.phone = normalize_phone(&fields.raw("phone"));

    let formats: Vec<&str> = layout.date_formats.iter().map(String::as_str).collect();
    r.birth_date = parse_date(&fields.raw("birth_date"), &formats)
        .map_err(|e| fields.reject("birth_date", format!("birth date: {e}")))?;
    r.birth_year = parse_year(&fields.raw("birth_year"))
        .map_err(|e| fields.reject("birth_year", format!("birth year: {e}")))?
        .or(r.birth_date.map(|d| d.year()));
    if r.birth_year.is_none() {
        let age = fields.clean("age");
        if !age.is_empty() {
            let years: i32 = age.parse().map_err(|_| {
                fields.reject("age", format!("age {age:?} is not a whole number of years"))
            })?;
            if !(0..=130).contains(&years) {
                return Err(fields.reject("age", format!("age {years} is not a possible age")));
            }
            r.birth_year = Some(as_of.year() - years);
        }
    }
    r.registration_date = parse_date(&fields.raw("registration_date"), &formats)
        .map_err(|e| fields.reject("registration_date", format!("registration date: {e}")))?;

    let status_raw = fields.clean("status");
    r.status = map_status(layout, &status_raw);
    if r.status == VoterStatus::Unknown && !status_raw.is_empty() {
        r.extra.insert("status_code".into(), status_raw);
    }
    r.party_code = fields.clean("party");
    r.party = map_party(layout, &r.party_code);
    r.gender = map_gender(layout, &fields.clean("gender"));
    r.race = fields.clean("race");
    r.ethnicity = fields.clean("ethnicity");
    r.precinct_code = fields.clean("precinct_code");
    r.precinct_name = fields.clean("precinct_name");
    r.congressional_district = fields.clean("congressional_district");
    r.state_senate_district = fields.clean("state_senate_district");
    r.state_house_district = fields.clean("state_house_district");
    r.municipality = fields.clean("municipality");
    if layout.keep_extra {
        r.extra.extend(fields.extra());
    }
    Ok(r)
}

fn fields_layout<'a>(fields: &'a Fields<'_>) -> &'a Layout {
    fields.layout()
}

fn map_status(layout: &Layout, raw: &str) -> VoterStatus {
    if let Some(code) = layout.codes.status.get(raw) {
        return VoterStatus::from_code(code);
    }
    match raw {
        "ACTIVE" => VoterStatus::Active,
        "INACTIVE" => VoterStatus::Inactive,
        "REMOVED" | "CANCELLED" | "CANCELED" | "PURGED" => VoterStatus::Removed,
        "DENIED" => VoterStatus::Denied,
        "TEMPORARY" => VoterStatus::Temporary,
        _ => VoterStatus::Unknown,
    }
}

fn map_party(layout: &Layout, raw: &str) -> Party {
    if let Some(code) = layout.codes.party.get(raw) {
        return Party::from_code(code);
    }
    match raw {
        "" => Party::Unknown,
        "DEM" | "DEMOCRAT" | "DEMOCRATIC" | "D" => Party::Dem,
        "REP" | "REPUBLICAN" | "R" => Party::Rep,
        "LIB" | "LIBERTARIAN" | "L" => Party::Lib,
        "GRE" | "GREEN" | "G" => Party::Green,
        "UNA" | "UNAFFILIATED" | "NPA" | "NON" | "IND" | "INDEPENDENT" => Party::Unaffiliated,
        _ => Party::Other,
    }
}

fn map_gender(layout: &Layout, raw: &str) -> Gender {
    if let Some(code) = layout.codes.gender.get(raw) {
        return Gender::from_code(code);
    }
    match raw {
        "" => Gender::Unknown,
        "F" | "FEMALE" | "W" | "WOMAN" => Gender::Female,
        "M" | "MALE" | "MAN" => Gender::Male,
        _ => Gender::Other,
    }
}

/// Imports one voter file into `store` as a snapshot.
pub async fn import_voters_file(
    store: &dyn Store,
    path: &Path,
    layout: &Layout,
    options: &ImportOptions,
    progress: Arc<dyn Progress>,
) -> Result<ImportReport, IngestError> {
    let started = Instant::now();
    if layout.kind != LayoutKind::Voters {
        return Err(IngestError::WrongKind {
            layout: layout.name.clone(),
            actual: layout.kind.name().into(),
            wanted: "voters".into(),
        });
    }
    // A subscriber reads another organization's voter file: refused before reading.
    votebase_store::voter_file::refuse_writes(store.voter_file_source())?;
    let rejects_path = options
        .rejects_path
        .clone()
        .unwrap_or_else(|| RejectWriter::default_path(path));
    // Header first: a file that does not fit stops here, before anything is written.
    let chunks = RowChunks::open(path, layout)?;
    let sha = input::sha256_file(path)?;
    if let Some(existing) = store.snapshot_by_sha(&sha).await? {
        return Ok(ImportReport {
            snapshot: existing,
            already_imported: true,
            read: 0,
            imported: 0,
            rejected: 0,
            rejects_path,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let as_of = options.as_of.unwrap_or_else(|| input::default_as_of(path));
    if let Some(latest) = store.latest_snapshot().await?
        && as_of < latest.as_of
    {
        return Err(votebase_store::StoreError::Refused(format!(
            "{} is as of {as_of}, older than the latest snapshot {} (as of {}); \
                 import refreshes in date order, or pass --as-of",
            path.display(),
            latest.id,
            latest.as_of
        ))
        .into());
    }
    progress.start(chunks.plain_size);

    let (tx, rx) = mpsc::channel::<ImportBatch>(2);
    let reject_file = rejects_path.clone();
    let reader_progress = progress.clone();
    let reader = spawn_reader_until_end(
        chunks,
        reject_file,
        reader_progress,
        move |fields| {
            let record = convert_row(fields, as_of)?;
            Ok(StagedVoter::new(fields.line, record))
        },
        tx,
        ImportBatch::Rows,
        ImportBatch::Abort,
        || ImportBatch::End,
        false,
    );
    let snapshot = NewSnapshot {
        as_of,
        source_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_sha256: sha,
        rejected: 0,
    };
    let stored = store.import_voters(snapshot, rx).await;
    let read_result = reader
        .await
        .map_err(|e| IngestError::Internal(format!("reader thread: {e}")))?;
    let (read, mut rejects) = read_result?;
    let outcome = stored?;
    progress.finishing("committed");
    for d in &outcome.duplicates {
        rejects.write(&Reject {
            line: d.line,
            column: match layout.fields.get("state_voter_id") {
                Some(crate::layout::FieldSpec::Column(c)) => c.clone(),
                _ => "state_voter_id".to_string(),
            },
            reason: format!(
                "duplicate voter id {}: an earlier line of this file has it; the first one was kept",
                d.state_voter_id
            ),
            raw: String::new(),
        })?;
    }
    let rejected = rejects.finish()?;
    Ok(ImportReport {
        imported: read.saturating_sub(rejected),
        snapshot: outcome.snapshot,
        already_imported: false,
        read,
        rejected,
        rejects_path,
        seconds: started.elapsed().as_secs_f64(),
    })
}
