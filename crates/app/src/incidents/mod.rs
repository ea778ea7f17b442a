//! Voter protection's use cases, for the server and the CLI alike: take a report (checked
//! and normalised, its county and precinct validated against the organization's voter
//! file and VIP feed, then triaged by the store inside its transaction under the stored
//! rules), import a hotline CSV, escalate untouched incidents, read and replace the triage
//! rules, act on an incident, and export incidents as CSV. Front ends parse their input,
//! check who may do what, and render what these return.

mod import;
mod intake;
mod places;
#[cfg(test)]
mod tests;

pub use import::{HotlineCsv, parse_offset, parse_time, read_hotline_csv};
pub use intake::{IntakeInput, RELATIONSHIPS, build_incident, clean, normalized_address};
pub use places::{FeedPlace, KnownPlaces, feed_places, known_places, place_name};

use chrono::{DateTime, Utc};
use votebase_domain::incidents::{
    INCIDENT_CSV_HEADER, Incident, IncidentAction, NewIncident, PreparedIntake, TriageRules,
    incident_csv_record,
};
use votebase_store::incidents::{IncidentImportOutcome, IntakeOutcome};
use votebase_store::{Store, StoreError};

/// Why an incident use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// The report or request is not acceptable (the message says why): a 400.
    #[error("{0}")]
    Invalid(String),
    /// No such incident.
    #[error("{0}")]
    NotFound(String),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores a report under the organization's current rules (read now, so a change made
/// with `votebase incidents rules --set` applies to the next report); the store applies
/// the triage inside its intake transaction.
pub async fn take(
    store: &dyn Store,
    new: &NewIncident,
    now: DateTime<Utc>,
) -> Result<IntakeOutcome, IncidentError> {
    let rules = store.incident_rules().await?;
    take_with(store, &rules, new, now).await
}

/// The external key of a report sent with an `Idempotency-Key` (1 to 200 characters):
/// scoped to the sending user, so one user's key never matches another's report.
pub fn retry_key(user: &str, raw: &str) -> Result<String, IncidentError> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(IncidentError::Invalid(
            "Idempotency-Key must be 1 to 200 characters".into(),
        ));
    }
    Ok(format!("api:{user}:{key}"))
}

/// Stores a report under the given rules (the caller read them).
pub async fn take_with(
    store: &dyn Store,
    rules: &TriageRules,
    new: &NewIncident,
    now: DateTime<Utc>,
) -> Result<IntakeOutcome, IncidentError> {
    let prepared =
        PreparedIntake::new(rules, new).map_err(|e| IncidentError::Invalid(e.to_string()))?;
    Ok(store.create_incident(&prepared, now).await?)
}

/// Stores many reports in one transaction, oldest first, each triaged like an intake;
/// rows already imported (same external key) are skipped; an unknown category refuses
/// the lot (naming its row, from 1).
pub async fn import(
    store: &dyn Store,
    rows: &[NewIncident],
    now: DateTime<Utc>,
) -> Result<IncidentImportOutcome, IncidentError> {
    let rules = store.incident_rules().await?;
    let prepared = PreparedIntake::all(&rules, rows)
        .map_err(|(i, e)| IncidentError::Invalid(format!("row {}: {e}", i + 1)))?;
    Ok(store.import_incidents(&prepared, now).await?)
}

/// Escalates every incident untouched for the rules' `stale_minutes` as of `now` (the
/// server's timer calls this every 30 seconds; `votebase incidents escalate` once).
pub async fn escalate(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<Vec<Incident>, IncidentError> {
    let rules = store.incident_rules().await?;
    Ok(store
        .escalate_stale_incidents(rules.stale_minutes, now)
        .await?)
}

/// The organization's triage rules.
pub async fn rules(store: &dyn Store) -> Result<TriageRules, IncidentError> {
    Ok(store.incident_rules().await?)
}

/// Replaces the triage rules (refused when they do not validate).
pub async fn set_rules(store: &dyn Store, rules: &TriageRules) -> Result<(), IncidentError> {
    rules.validate().map_err(IncidentError::Invalid)?;
    Ok(store.put_incident_rules(rules).await?)
}

/// Applies a workflow action by `actor`; refusals of the workflow come back as
/// [`IncidentError::Invalid`], a missing incident as [`IncidentError::NotFound`].
pub async fn act(
    store: &dyn Store,
    id: i64,
    actor: &str,
    action: &IncidentAction,
    now: DateTime<Utc>,
) -> Result<Incident, IncidentError> {
    match store.act_on_incident(id, actor, action, now).await {
        Ok(Some(i)) => Ok(i),
        Ok(None) => Err(IncidentError::NotFound(format!("no incident #{id}"))),
        Err(StoreError::Refused(m)) => Err(IncidentError::Invalid(m)),
        Err(e) => Err(e.into()),
    }
}

/// Incidents as CSV (the legal team's export): the header, then one row each.
pub fn to_csv<W: std::io::Write>(out: W, rows: &[Incident]) -> Result<W, csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(INCIDENT_CSV_HEADER)?;
    for r in rows {
        w.write_record(incident_csv_record(r))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
