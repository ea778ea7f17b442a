//! Volunteers, projects and matching, as use cases: importing the built-in volunteer and
//! project CSV layouts all or nothing (rejects with line and reason, idempotent by the
//! file's `id`), the organization's skills taxonomy (built-in skills plus its own),
//! ranking a project's candidates with the matching engine, and the double opt-in
//! (invite with an email queued in the outbox, the volunteer's yes or no, the
//! campaign's accept or decline).

pub mod geo;
pub mod import;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::Path;
use votebase_domain::people::{BUILTIN_SKILLS, normalize_skill_name};
use votebase_ingest::rejects::RejectWriter;
use votebase_store::people::{Skill, UpsertOutcome};
use votebase_store::{Store, StoreError};

pub use geo::ZipCentroids;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The user's input is wrong (file, arguments): the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// Something that should exist does not.
    #[error("{0}")]
    NotFound(String),
    /// The storage layer failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Rows read.
    pub rows: u64,
    /// What the store did.
    pub outcome: UpsertOutcome,
}

/// Makes sure the built-in skills are in the taxonomy, and returns the whole taxonomy.
pub async fn taxonomy(store: &dyn Store) -> Result<BTreeSet<String>, PeopleError> {
    let builtin: Vec<Skill> = BUILTIN_SKILLS
        .iter()
        .map(|(name, label)| Skill {
            name: (*name).into(),
            label: (*label).into(),
        })
        .collect();
    store.add_skills(&builtin).await?;
    Ok(store.skills().await?.into_iter().map(|s| s.name).collect())
}

/// Adds an organization's own skill; returns its canonical name.
pub async fn add_skill(store: &dyn Store, name: &str, label: &str) -> Result<String, PeopleError> {
    let canonical = normalize_skill_name(name).ok_or_else(|| {
        PeopleError::Invalid(format!(
            "{name:?}: a skill name has letters, digits, '_' or '-' only (at most 64)"
        ))
    })?;
    let label = if label.trim().is_empty() {
        name.trim().to_string()
    } else {
        label.trim().chars().take(100).collect()
    };
    taxonomy(store).await?;
    store
        .add_skills(&[Skill {
            name: canonical.clone(),
            label,
        }])
        .await?;
    Ok(canonical)
}

fn refuse(path: &Path, rejected: u64, rejects: &RejectWriter) -> PeopleError {
    PeopleError::Invalid(format!(
        "{}: {rejected} row(s) refused, nothing imported; see {} (line, column, reason)",
        path.display(),
        rejects.path().display()
    ))
}

/// Imports a volunteers file: all or nothing.
pub async fn import_volunteers(
    store: &dyn Store,
    path: &Path,
    centroids: &ZipCentroids,
    rejects: &mut RejectWriter,
) -> Result<ImportReport, PeopleError> {
    let taxonomy = taxonomy(store).await?;
    let source = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed = import::read_volunteers_csv(path, &taxonomy, centroids, &source, rejects)?;
    if parsed.rejected > 0 {
        return Err(refuse(path, parsed.rejected, rejects));
    }
    let rows: Vec<_> = parsed.rows.into_iter().map(|(_, v)| v).collect();
    let outcome = store.upsert_volunteers(&rows).await?;
    Ok(ImportReport {
        rows: rows.len() as u64,
        outcome,
    })
}

/// Imports a projects file: all or nothing.
pub async fn import_projects(
    store: &dyn Store,
    path: &Path,
    centroids: &ZipCentroids,
    rejects: &mut RejectWriter,
) -> Result<ImportReport, PeopleError> {
    let taxonomy = taxonomy(store).await?;
    let parsed = import::read_projects_csv(path, &taxonomy, centroids, rejects)?;
    if parsed.rejected > 0 {
        return Err(refuse(path, parsed.rejected, rejects));
    }
    let rows: Vec<_> = parsed.rows.into_iter().map(|(_, p)| p).collect();
    let outcome = store.upsert_projects(&rows).await?;
    Ok(ImportReport {
        rows: rows.len() as u64,
        outcome,
    })
}
