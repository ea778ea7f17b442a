//! The storage contract for people who are not (only) voters: the skills taxonomy,
//! volunteers (a person record with a volunteer profile) and projects upserted by their
//! import id in one transaction, candidate links of people to voter records (the review
//! queue), the matches of the double opt-in with one invitation per volunteer per
//! project, and the email outbox (one message per key, so a retried invitation or a
//! restart never sends twice and never loses one).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use votebase_domain::people::{
    LinkStatus, MatchState, NewProject, NewVolunteer, PersonLink, Project, ProjectMatch, Volunteer,
};

use crate::StoreResult;

/// What an upsert by import id did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertOutcome {
    /// Ids new to the store.
    pub inserted: u64,
    /// Known ids whose fields changed.
    pub updated: u64,
    /// Known ids with the same fields: untouched.
    pub unchanged: u64,
}

/// A skill of the organization's taxonomy.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skill {
    /// Canonical name.
    pub name: String,
    /// Label shown.
    pub label: String,
}

/// An email to send through the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Unique key (`invite:<project>:<volunteer>`): the same key is queued once.
    pub key: String,
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// An email waiting in (or gone from) the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    /// Outbox id.
    pub id: i64,
    /// The message.
    pub email: OutgoingEmail,
    /// Failed attempts so far.
    pub attempts: u32,
    /// When it was sent (None: still waiting).
    pub sent_at: Option<DateTime<Utc>>,
    /// The last delivery error, if any.
    pub last_error: String,
}

/// Storage of people, volunteers, projects, matches and the outbox. Part of
/// [`Store`](crate::Store); every method is one transaction.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// The taxonomy, by name.
    async fn skills(&self) -> StoreResult<Vec<Skill>>;

    /// Adds skills to the taxonomy (names already canonical); known names keep their
    /// label. Returns how many were new.
    async fn add_skills(&self, skills: &[Skill]) -> StoreResult<u64>;

    /// Inserts or updates volunteers by `person.external_id`, all or nothing. Every
    /// skill must be in the taxonomy ([`crate::StoreError::Refused`] otherwise, nothing
    /// written).
    async fn upsert_volunteers(&self, volunteers: &[NewVolunteer]) -> StoreResult<UpsertOutcome>;

    /// Inserts or updates projects by `external_id`, all or nothing; skills as above.
    async fn upsert_projects(&self, projects: &[NewProject]) -> StoreResult<UpsertOutcome>;

    /// Every volunteer, by external id, with engagement counts.
    async fn volunteers(&self) -> StoreResult<Vec<Volunteer>>;

    /// One volunteer by external id.
    async fn volunteer(&self, external_id: &str) -> StoreResult<Option<Volunteer>>;

    /// Every project, by external id.
    async fn projects(&self) -> StoreResult<Vec<Project>>;

    /// One project by external id.
    async fn project(&self, external_id: &str) -> StoreResult<Option<Project>>;

    /// Records candidate voter links of people (replacing each named person's earlier
    /// `linked`/`review` candidates; reviewers' `confirmed`/`rejected` decisions stay).
    /// Unknown people are refused, nothing written.
    async fn record_person_links(&self, links: &[PersonLink]) -> StoreResult<()>;

    /// Links of one status (`review`: the review queue), by person then probability.
    async fn person_links(&self, status: LinkStatus) -> StoreResult<Vec<PersonLink>>;

    /// A person's links, most probable first.
    async fn links_of_person(&self, external_id: &str) -> StoreResult<Vec<PersonLink>>;

    /// Sets a reviewer's decision on one candidate link; false if there is no such link.
    async fn decide_person_link(
        &self,
        person: &str,
        state_voter_id: &str,
        status: LinkStatus,
    ) -> StoreResult<bool>;

    /// Invites a volunteer to a project, queueing `email` in the same transaction.
    /// Returns the match and whether it was created now: a second invitation of the
    /// same pair changes nothing and queues nothing. Unknown project or volunteer:
    /// [`crate::StoreError::Refused`].
    async fn invite(
        &self,
        project: &str,
        volunteer: &str,
        score: f64,
        explanation: &str,
        email: Option<&OutgoingEmail>,
    ) -> StoreResult<(ProjectMatch, bool)>;

    /// Moves a match from `from` to `to` (the caller checked the step with
    /// [`MatchState::after`]); [`crate::StoreError::Refused`] when the match is not in
    /// `from` any more (someone answered first) or does not exist.
    async fn set_match_state(
        &self,
        project: &str,
        volunteer: &str,
        from: MatchState,
        to: MatchState,
    ) -> StoreResult<ProjectMatch>;

    /// One match.
    async fn project_match(
        &self,
        project: &str,
        volunteer: &str,
    ) -> StoreResult<Option<ProjectMatch>>;

    /// A project's matches, best score first.
    async fn matches_of_project(&self, project: &str) -> StoreResult<Vec<ProjectMatch>>;

    /// A volunteer's matches, newest first.
    async fn matches_of_volunteer(&self, volunteer: &str) -> StoreResult<Vec<ProjectMatch>>;

    /// Marks every person with this email address unsubscribed; returns how many.
    async fn unsubscribe(&self, email: &str) -> StoreResult<u64>;

    /// Queues an email unless its key was queued before; true if queued now.
    async fn enqueue_email(&self, email: &OutgoingEmail) -> StoreResult<bool>;

    /// Unsent emails, oldest first, at most `limit`.
    async fn pending_emails(&self, limit: u32) -> StoreResult<Vec<QueuedEmail>>;

    /// Marks an email sent (idempotent).
    async fn mark_email_sent(&self, id: i64) -> StoreResult<()>;

    /// Records a failed attempt.
    async fn mark_email_failed(&self, id: i64, error: &str) -> StoreResult<()>;

    /// Every email with this key prefix (sent or not), oldest first: what was sent for a
    /// project (`invite:<project>:`).
    async fn emails_with_prefix(&self, prefix: &str) -> StoreResult<Vec<QueuedEmail>>;
}
