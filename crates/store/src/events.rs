//! The storage contract for events: events with their shifts upserted by import id (a
//! re-import updates titles and times and adds shifts, never drops one that has
//! attendance), attendance upserted by shift and person all or nothing, an RSVP that
//! the store refuses once the shift is full (checked in the same transaction, so two
//! last-seat RSVPs cannot both pass), check-in, and the reads behind the event pages, a
//! person's timeline and the universe families of volunteers who are voters.

use async_trait::async_trait;
use votebase_domain::people::NewPerson;
use votebase_domain::people::events::{
    Attendance, AttendanceRecord, AttendanceStatus, Event, NewEvent,
};

use crate::StoreResult;
use crate::people::UpsertOutcome;

/// Storage of events, shifts and attendance. Part of [`Store`](crate::Store); every
/// method is one transaction.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Inserts or updates events (and their shifts) by external id, all or nothing.
    async fn upsert_events(&self, events: &[NewEvent]) -> StoreResult<UpsertOutcome>;

    /// Every event with its shifts and head counts, newest first shift first.
    async fn events(&self) -> StoreResult<Vec<Event>>;

    /// One event.
    async fn event(&self, external_id: &str) -> StoreResult<Option<Event>>;

    /// Stores people not known yet by external id (a known id is left as it is: an
    /// attendance export never overwrites a volunteer's record). Returns how many were new.
    async fn add_people_if_absent(&self, people: &[NewPerson]) -> StoreResult<u64>;

    /// The external id of the person holding this email address (lowercased), if any
    /// (the earliest stored when several do).
    async fn person_by_email(&self, email: &str) -> StoreResult<Option<String>>;

    /// Inserts or replaces attendance by (event, shift, person), all or nothing; an
    /// unknown event, shift or person is [`crate::StoreError::Refused`] with nothing
    /// written. Returns how many rows were written.
    async fn record_attendance(&self, rows: &[Attendance]) -> StoreResult<u64>;

    /// An RSVP: registers the person for the shift unless it is full (capacity counts
    /// registered and attended people) — [`crate::StoreError::Refused`] then. An existing
    /// record of the person for the shift becomes `registered` again.
    async fn rsvp(&self, event: &str, shift: &str, person: &str, source: &str) -> StoreResult<()>;

    /// Sets one person's status for a shift (check-in: `attended`, walk-ins included);
    /// unknown event, shift or person: [`crate::StoreError::Refused`].
    async fn set_attendance(
        &self,
        event: &str,
        shift: &str,
        person: &str,
        status: AttendanceStatus,
        source: &str,
    ) -> StoreResult<()>;

    /// Attendance of one event, by shift then person.
    async fn attendance_of_event(&self, event: &str) -> StoreResult<Vec<AttendanceRecord>>;

    /// A person's attendance, newest shift first.
    async fn attendance_of_person(&self, person: &str) -> StoreResult<Vec<AttendanceRecord>>;

    /// Every attendance of every person linked (`linked` or `confirmed`) to a voter, with
    /// the voter's id: the universe families `attended:` and `rsvp_no_show:`.
    async fn voter_attendance(&self) -> StoreResult<Vec<(String, AttendanceRecord)>>;

    /// The people linked (`linked` or `confirmed`) to a voter: their external ids.
    async fn people_of_voter(&self, state_voter_id: &str) -> StoreResult<Vec<String>>;
}
