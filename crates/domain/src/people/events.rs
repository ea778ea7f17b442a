//! Events and shifts: an event (canvass, phone bank, training…) with one or more shifts,
//! each with an optional capacity, and each person's attendance of a shift: registered
//! (an RSVP), attended, no-show or cancelled. Mobilize calls shifts timeslots.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A shift as an import or a form gives it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewShift {
    /// The id in the source (Mobilize timeslot id), unique within its event.
    pub external_id: String,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End, when known.
    pub ends_at: Option<DateTime<Utc>>,
    /// Most people it takes (None: no limit).
    pub capacity: Option<u32>,
}

/// An event as an import gives it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The id in the source (`mobilize:86738`): unique, the key of re-imports.
    pub external_id: String,
    /// Where it came from (`mobilize`, a file name).
    pub source: String,
    /// Title.
    pub title: String,
    /// Kind, lowercase (`canvass`, `phone_bank`, `training`, …).
    pub kind: String,
    /// The organization holding it.
    pub organization: String,
    /// Venue and address, one line (may be empty; `virtual` for online events).
    pub location: String,
    /// ZIP (may be empty).
    pub zip: String,
    /// Its shifts.
    pub shifts: Vec<NewShift>,
}

/// A stored shift with its head counts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shift {
    /// The shift as imported.
    #[serde(flatten)]
    pub shift: NewShift,
    /// People registered (not yet checked in).
    pub registered: u32,
    /// People who came.
    pub attended: u32,
    /// People who registered and did not come.
    pub no_show: u32,
}

impl Shift {
    /// Places taken (registered or attended).
    pub fn taken(&self) -> u32 {
        self.registered + self.attended
    }

    /// Whether a new RSVP still fits.
    pub fn has_room(&self) -> bool {
        self.shift.capacity.is_none_or(|c| self.taken() < c)
    }
}

/// A stored event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The id in the source.
    pub external_id: String,
    /// Where it came from.
    pub source: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Organization.
    pub organization: String,
    /// Venue and address.
    pub location: String,
    /// ZIP.
    pub zip: String,
    /// Shifts, by start.
    pub shifts: Vec<Shift>,
}

/// Where a person stands for a shift.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    /// Said they would come.
    Registered,
    /// Came (checked in).
    Attended,
    /// Registered and did not come.
    NoShow,
    /// Cancelled before the shift.
    Cancelled,
}

impl AttendanceStatus {
    /// Every status.
    pub const ALL: [AttendanceStatus; 4] = [
        AttendanceStatus::Registered,
        AttendanceStatus::Attended,
        AttendanceStatus::NoShow,
        AttendanceStatus::Cancelled,
    ];

    /// The stable code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            AttendanceStatus::Registered => "registered",
            AttendanceStatus::Attended => "attended",
            AttendanceStatus::NoShow => "no_show",
            AttendanceStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One person's attendance of one shift.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendance {
    /// The event's external id.
    pub event: String,
    /// The shift's external id.
    pub shift: String,
    /// The person's external id.
    pub person: String,
    /// Where they stand.
    pub status: AttendanceStatus,
    /// Where the record came from (`mobilize-attendance.csv`, `check-in`, `rsvp`).
    pub source: String,
}

/// An attendance with its shift's time and event title (timelines, universes).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceRecord {
    /// The attendance.
    #[serde(flatten)]
    pub attendance: Attendance,
    /// The event's title.
    pub title: String,
    /// The event's kind.
    pub kind: String,
    /// The shift's start.
    pub starts_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
