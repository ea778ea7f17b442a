//! Saved lists and bulk exports as use cases: [`save_list`] freezes what a universe
//! expression selects today under a name; [`write_export`] streams voters out in any
//! [`ExportFormat`] (one ordered pass over the voter file, phones fetched per batch),
//! leaving out voters on the do-not-contact list unless asked not to (the list is read
//! when the export runs, so an opt-out recorded after a list was saved still holds);
//! [`export_list`] exports a saved list. Exports of personal data in bulk (lists in every
//! format, ballot chase and cure lists) need [`Permission::ImportExport`]: every such use
//! case calls [`authorize_export`], the one place that rule lives.

use crate::universes::{Built, Selection, member_ids, select};
use chrono::{Datelike, Utc};
use std::collections::HashMap;
use votebase_domain::VoterRecord;
use votebase_domain::users::{Permission, Role};
use votebase_index::QueryError;
use votebase_ingest::exports::{ExportFormat, ExportSummary, ExportWriter};
use votebase_store::lists::{NewList, SavedList};
use votebase_store::{Store, StoreError};

/// The caller's role does not allow bulk exports of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("exporting personal data needs the import/export permission (data manager or admin)")]
pub struct ExportForbidden;

/// The one check every bulk export of personal data goes through: the role must hold
/// [`Permission::ImportExport`].
pub fn authorize_export(role: Role) -> Result<(), ExportForbidden> {
    if role.allows(Permission::ImportExport) {
        Ok(())
    } else {
        Err(ExportForbidden)
    }
}

/// Why a list could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveListError {
    /// The expression does not parse or names something unknown.
    #[error(transparent)]
    Expression(#[from] QueryError),
    /// The store failed (a duplicate name, say).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a list to save is.
#[derive(Debug, Clone)]
pub struct ListToSave<'a> {
    /// Unique name (as given: front ends trim it if they want to).
    pub name: &'a str,
    /// The filter expression.
    pub expression: &'a str,
    /// Keep voters who already voted (dropped by default).
    pub include_voted: bool,
    /// Who saves it.
    pub created_by: &'a str,
}

/// Saves what `list.expression` selects in `built` now as a named list (frozen
/// membership, with how many voted voters were dropped), and returns it with the
/// selection.
pub async fn save_list(
    store: &dyn Store,
    built: &Built,
    list: &ListToSave<'_>,
) -> Result<(SavedList, Selection), SaveListError> {
    let selection = select(built, list.expression, list.include_voted)?;
    let saved = store
        .save_list(&NewList {
            name: list.name.to_string(),
            expression: list.expression.to_string(),
            created_by: list.created_by.to_string(),
            voted_election: if list.include_voted {
                None
            } else {
                built.election
            },
            voted_removed: selection.voted_removed as i64,
            members: member_ids(built, &selection.members),
        })
        .await?;
    Ok((saved, selection))
}

/// What [`write_export`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOutcome {
    /// Rows, voters, and Spoke's left-out counts.
    pub summary: ExportSummary,
    /// Members no longer in the voter file's latest snapshot, exported from their last
    /// known record.
    pub no_longer_in_file: u64,
    /// Members left out because they are on the do-not-contact list.
    pub suppressed: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportFailure {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] votebase_ingest::exports::ExportError),
}

/// Why a saved list could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ListExportError {
    /// The caller may not export personal data.
    #[error(transparent)]
    Forbidden(#[from] ExportForbidden),
    /// No list has that name.
    #[error("no list named {0:?}")]
    NotFound(String),
    /// Reading or writing failed.
    #[error(transparent)]
    Failure(#[from] ExportFailure),
}

impl From<StoreError> for ListExportError {
    fn from(e: StoreError) -> Self {
        Self::Failure(e.into())
    }
}

/// Exports the saved list `name` in `format` into `out` for a caller of `role` (who
/// must hold [`Permission::ImportExport`]; checked before anything is read). Returns the
/// list and what was written; the front end audits it.
pub async fn export_list<W: std::io::Write>(
    store: &dyn Store,
    role: Role,
    name: &str,
    format: ExportFormat,
    include_suppressed: bool,
    out: W,
) -> Result<(SavedList, ExportOutcome), ListExportError> {
    authorize_export(role)?;
    let list = store
        .list(name)
        .await?
        .ok_or_else(|| ListExportError::NotFound(name.to_string()))?;
    let members = store.list_members(name).await?;
    let outcome =
        write_export(store, &members, format, &list.name, include_suppressed, out).await?;
    Ok((list, outcome))
}

/// Writes the voters whose ids are in `members` (sorted, as [`member_ids`] and
/// [`votebase_store::ListStore::list_members`] give them) in `format`: one ordered pass
/// over the voter file plus one phone query per batch of members, never one query per
/// voter. `tag` fills NationBuilder's `tag_list`. Voters on the do-not-contact list
/// are left out (and counted) unless `include_suppressed`.
pub async fn write_export<W: std::io::Write>(
    store: &dyn Store,
    members: &[String],
    format: ExportFormat,
    tag: &str,
    include_suppressed: bool,
    out: W,
) -> Result<ExportOutcome, ExportFailure> {
    let kept: Vec<String>;
    let mut suppressed = 0;
    let members = if include_suppressed {
        members
    } else {
        let set = crate::suppression::suppressed_set(store).await?;
        kept = members
            .iter()
            .filter(|m| !set.contains(*m))
            .cloned()
            .collect();
        suppressed = (members.len() - kept.len()) as u64;
        &kept[..]
    };
    let year = Utc::now().year();
    let mut writer = ExportWriter::new(format, out, year, tag)?;
    let needs_phones = format != ExportFormat::Csv;
    let mut found = vec![false; members.len()];
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<VoterRecord>>(4);
    let export = store.export_voters(10_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            let selected: Vec<&VoterRecord> = batch
                .iter()
                .filter(|v| match members.binary_search(&v.state_voter_id) {
                    Ok(i) => {
                        found[i] = true;
                        true
                    }
                    Err(_) => false,
                })
                .collect();
            push_all(store, &mut writer, &selected, needs_phones).await?;
        }
        Ok::<_, ExportFailure>(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    let mut gone = Vec::new();
    for (id, _) in members.iter().zip(&found).filter(|(_, f)| !**f) {
        if let Some(v) = store.get_voter(id).await? {
            gone.push(v.record);
        }
    }
    let gone_refs: Vec<&VoterRecord> = gone.iter().collect();
    push_all(store, &mut writer, &gone_refs, needs_phones).await?;
    Ok(ExportOutcome {
        summary: writer.finish()?,
        no_longer_in_file: gone.len() as u64,
        suppressed,
    })
}

async fn push_all<W: std::io::Write>(
    store: &dyn Store,
    writer: &mut ExportWriter<W>,
    voters: &[&VoterRecord],
    needs_phones: bool,
) -> Result<(), ExportFailure> {
    let mut cells: HashMap<String, Vec<String>> = HashMap::new();
    if needs_phones && !voters.is_empty() {
        let ids: Vec<String> = voters.iter().map(|v| v.state_voter_id.clone()).collect();
        for p in store.phones_of(&ids).await? {
            cells
                .entry(p.state_voter_id)
                .or_default()
                .push(p.phone_e164);
        }
    }
    for v in voters {
        let appended = cells
            .get(&v.state_voter_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        writer.push(v, appended)?;
    }
    Ok(())
}
