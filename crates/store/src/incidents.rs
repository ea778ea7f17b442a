//! The storage contract for voter-protection incidents: intake with the organization's
//! triage rules (prepared by the caller) applied in the same transaction (duplicates linked, clusters formed,
//! lead-lawyer routing), the workflow actions, escalation of untouched incidents, who
//! covers which county, and the rules themselves. Incidents are append-only: every
//! change, note and assignment is a timeline entry with who and when, and nothing is ever
//! deleted (both backends refuse deletes with a trigger).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use votebase_domain::incidents::{
    Coverage, Incident, IncidentAction, IncidentAttachment, IncidentFilter, NewAttachment,
    PreparedIntake, TimelineEntry, TriageRules,
};

use crate::StoreResult;

/// What an intake did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeOutcome {
    /// The new incident as stored (after triage and routing).
    pub incident: Incident,
    /// Other incidents the rules changed (joined the cluster, severity raised).
    pub changed: Vec<i64>,
    /// True when a report with the same `external_key` was already stored: `incident`
    /// is that report and nothing was written (a client's retry).
    pub replayed: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IncidentImportOutcome {
    /// Rows stored as new incidents.
    pub created: i64,
    /// Rows already stored by an earlier import (same external key): unchanged.
    pub known: i64,
    /// Ids of the new incidents.
    pub ids: Vec<i64>,
}

/// What attaching a photo did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachOutcome {
    /// The stored photo (the earlier one when the same bytes were already attached).
    pub attachment: IncidentAttachment,
    /// False when the incident already had these bytes: nothing was written.
    pub created: bool,
}

/// Storage of voter-protection incidents. Part of [`Store`](crate::Store); every method is
/// one transaction. Times are passed in (`now`) so that tests and imports control them.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Records a report prepared under the organization's rules and applies them in the
    /// same transaction: reads the earlier reports of the same place within the prepared
    /// look-back window, asks [`PreparedIntake::decide`], and writes what it decides (a
    /// linked duplicate; a cluster whose members' severity is raised; a lead-lawyer
    /// category assigned to the county's lead lawyer, or escalated when the county has
    /// none), each effect a timeline entry by `system`. Reports of one place are
    /// serialised so that two at once see each other. A report whose `external_key` is
    /// already stored (a retry, even a concurrent one) writes nothing and returns the
    /// stored incident with `replayed` set.
    async fn create_incident(
        &self,
        intake: &PreparedIntake,
        now: DateTime<Utc>,
    ) -> StoreResult<IntakeOutcome>;

    /// Records many prepared reports in one transaction, in the order given (oldest first
    /// from [`PreparedIntake::all`]), each triaged as by [`IncidentStore::create_incident`].
    /// Rows whose `external_key` is already stored are skipped, so importing the same file
    /// twice changes nothing. Any failure writes nothing.
    async fn import_incidents(
        &self,
        rows: &[PreparedIntake],
        now: DateTime<Utc>,
    ) -> StoreResult<IncidentImportOutcome>;

    /// One incident.
    async fn get_incident(&self, id: i64) -> StoreResult<Option<Incident>>;

    /// Several incidents at once, in no particular order (ids not stored are left out):
    /// the live queue's relay reads a batch of changes with one query.
    async fn get_incidents(&self, ids: &[i64]) -> StoreResult<Vec<Incident>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.get_incident(*id).await?);
        }
        Ok(out)
    }

    /// An incident's timeline, oldest first.
    async fn incident_timeline(&self, id: i64) -> StoreResult<Vec<TimelineEntry>>;

    /// Incidents passing the filter, most severe first, then oldest observed first.
    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<Incident>>;

    /// Applies a workflow action by `actor` (refused with the reason when the workflow
    /// does not allow it, or when an assignee does not cover the incident's county);
    /// `None` when there is no such incident.
    async fn act_on_incident(
        &self,
        id: i64,
        actor: &str,
        action: &IncidentAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Incident>>;

    /// Escalates every new, triaged or assigned incident untouched for `stale_minutes` (the
    /// rules' setting, passed in) as of `now`; returns them as escalated.
    async fn escalate_stale_incidents(
        &self,
        stale_minutes: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Incident>>;

    /// The counties and precincts of the present voters in the voter file: distinct
    /// (county name, precinct code, precinct name), as stored. Intake checks reported
    /// places against them.
    async fn voter_file_precincts(&self) -> StoreResult<Vec<(String, String, String)>>;

    /// Gives a user these counties (added to what they cover; `lead` marks them the
    /// counties' lead lawyer). Counties are stored upper case. Idempotent.
    async fn set_coverage(
        &self,
        user_name: &str,
        counties: &[String],
        lead: bool,
    ) -> StoreResult<()>;

    /// Who covers what: one user's counties, or everyone's; ordered by user, then county.
    async fn coverage(&self, user_name: Option<&str>) -> StoreResult<Vec<Coverage>>;

    /// The organization's triage rules (the defaults until some are stored).
    async fn incident_rules(&self) -> StoreResult<TriageRules>;

    /// Replaces the triage rules (refused when they do not validate).
    async fn put_incident_rules(&self, rules: &TriageRules) -> StoreResult<()>;

    /// Attaches a photo by `actor`, numbered from 1 per incident, with a timeline entry
    /// `attachment`. The same bytes (by SHA-256) attached again to the same incident are
    /// not stored twice: the earlier attachment comes back with `created` false.
    /// `None` when there is no such incident.
    async fn attach_to_incident(
        &self,
        id: i64,
        actor: &str,
        photo: &NewAttachment,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AttachOutcome>>;

    /// An incident's photos (without their bytes), in the order attached.
    async fn incident_attachments(&self, id: i64) -> StoreResult<Vec<IncidentAttachment>>;

    /// One photo of an incident with its bytes.
    async fn incident_attachment(
        &self,
        id: i64,
        n: i64,
    ) -> StoreResult<Option<(IncidentAttachment, Vec<u8>)>>;
}
