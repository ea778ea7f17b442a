//! Events and attendance as use cases: the Mobilize-style attendance export (one row per
//! person and timeslot, columns by name, case and spacing ignored: `event_id`,
//! `event_title`/`event_name`, `timeslot_id`, `timeslot_start`, `email` or `user_id`,
//! `status`, optional `attended`, `event_type`, `organization`, `location`, `zip`,
//! `timeslot_end`, `capacity`, `first_name`, `last_name`, `phone`), imported all or
//! nothing with rejects by line and column; people found by email (a known volunteer
//! keeps their record) or added; RSVPs and check-in; and the universe families of
//! volunteers who are voters: `attended:FROM..TO` (any kind) or `attended:KIND:30d`,
//! `rsvp_no_show:N..` (shifts registered for and missed) and `volunteer_skill:SKILL`.

use super::PeopleError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use votebase_domain::people::events::{AttendanceStatus, NewEvent, NewShift};
use votebase_domain::people::{Consent, LinkStatus, NewPerson, normalize_email};
use votebase_index::{FamilyKind, IndexBuilder, IndexError};
use votebase_ingest::rejects::{Reject, RejectWriter};
use votebase_store::Store;
use votebase_store::people::UpsertOutcome;

/// Columns an attendance export must have (after normalising the header: lowercase,
/// spaces and `-` as `_`).
pub const ATTENDANCE_COLUMNS: [&str; 5] = [
    "event_id",
    "timeslot_id",
    "timeslot_start",
    "email",
    "status",
];

/// Longest text kept from a field.
const MAX_FIELD: usize = 300;

/// What an attendance import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AttendanceImport {
    /// Rows read.
    pub rows: u64,
    /// Events written.
    pub events: UpsertOutcome,
    /// People new to the store.
    pub people_added: u64,
    /// Attendance rows written.
    pub attendance: u64,
}

fn norm_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

/// A time as exports write it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC), or Unix seconds.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc());
        }
    }
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() <= 12 {
        return DateTime::from_timestamp(t.parse().ok()?, 0);
    }
    None
}

fn truthy(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// One good row of an attendance export.
#[derive(Debug, Clone)]
struct Row {
    event: NewEvent,
    shift: NewShift,
    person: NewPerson,
    email: String,
    status: AttendanceStatus,
}

type Bad = (&'static str, String);

fn status_of(
    status: &str,
    attended: Option<bool>,
    ends: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<AttendanceStatus, Bad> {
    if attended == Some(true) {
        return Ok(AttendanceStatus::Attended);
    }
    let s = status.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    match s.as_str() {
        "cancelled" | "canceled" => Ok(AttendanceStatus::Cancelled),
        "attended" | "checked_in" => Ok(AttendanceStatus::Attended),
        "no_show" | "noshow" => Ok(AttendanceStatus::NoShow),
        "registered" | "confirmed" | "rsvp" | "rsvped" => {
            // Registered, the shift is over and the export says they did not come.
            if attended == Some(false) && ends < now {
                Ok(AttendanceStatus::NoShow)
            } else {
                Ok(AttendanceStatus::Registered)
            }
        }
        _ => Err((
            "status",
            format!("{status:?}: REGISTERED, CONFIRMED, CANCELLED, ATTENDED or NO_SHOW"),
        )),
    }
}

fn parse_row(get: &dyn Fn(&str) -> String, now: DateTime<Utc>) -> Result<Row, Bad> {
    let event_id = get("event_id");
    if event_id.is_empty() {
        return Err(("event_id", "event_id is empty".into()));
    }
    let shift_id = get("timeslot_id");
    if shift_id.is_empty() {
        return Err(("timeslot_id", "timeslot_id is empty".into()));
    }
    let starts = parse_time(&get("timeslot_start")).ok_or((
        "timeslot_start",
        "a time: 2026-09-05T14:00:00Z, 2026-09-05 14:00 or Unix seconds".to_string(),
    ))?;
    let ends_text = get("timeslot_end");
    let ends = if ends_text.is_empty() {
        None
    } else {
        Some(parse_time(&ends_text).ok_or((
            "timeslot_end",
            "a time: 2026-09-05T17:00:00Z, 2026-09-05 17:00 or Unix seconds".to_string(),
        ))?)
    };
    if ends.is_some_and(|e| e < starts) {
        return Err(("timeslot_end", "the timeslot ends before it starts".into()));
    }
    let capacity_text = get("capacity");
    let capacity = if capacity_text.is_empty() {
        None
    } else {
        Some(
            capacity_text
                .parse::<u32>()
                .map_err(|_| ("capacity", format!("{capacity_text:?}: a whole number")))?,
        )
    };
    let email_text = get("email");
    let email = if email_text.is_empty() {
        String::new()
    } else {
        normalize_email(&email_text)
            .ok_or(("email", format!("{email_text:?} is not an email address")))?
    };
    let user_id = get("user_id");
    if email.is_empty() && user_id.is_empty() {
        return Err(("email", "a row needs an email or a user_id".into()));
    }
    let mut phones = Vec::new();
    let phone = get("phone");
    if !phone.is_empty() {
        let p = votebase_normalize::normalize_phone(&phone);
        if !p.e164.is_empty() {
            phones.push(p.e164);
        }
    }
    let attended_text = get("attended");
    let attended = truthy(&attended_text);
    if attended.is_none() && !attended_text.is_empty() {
        return Err(("attended", format!("{attended_text:?}: true or false")));
    }
    let status = status_of(&get("status"), attended, ends.unwrap_or(starts), now)?;
    let title = [get("event_title"), get("event_name")]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or_else(|| format!("Event {event_id}"));
    let kind = get("event_type")
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    Ok(Row {
        event: NewEvent {
            external_id: format!("mobilize:{event_id}"),
            source: "mobilize".into(),
            title,
            kind: if kind.is_empty() {
                "event".into()
            } else {
                kind
            },
            organization: [get("organization"), get("sponsor")]
                .into_iter()
                .find(|t| !t.is_empty())
                .unwrap_or_default(),
            location: get("location"),
            zip: get("event_zip"),
            shifts: Vec::new(),
        },
        shift: NewShift {
            external_id: shift_id,
            starts_at: starts,
            ends_at: ends,
            capacity,
        },
        person: NewPerson {
            external_id: if user_id.is_empty() {
                format!("mobilize:{email}")
            } else {
                format!("mobilize:{user_id}")
            },
            source: "mobilize".into(),
            first_name: get("first_name"),
            last_name: get("last_name"),
            emails: if email.is_empty() {
                Vec::new()
            } else {
                vec![email.clone()]
            },
            phones,
            address: String::new(),
            zip: get("zip"),
            consent: Consent::default(),
        },
        email,
        status,
    })
}

/// Imports a Mobilize-style attendance export, all or nothing: any rejected row and
/// nothing is written (every bad row in `rejects` with line, column and reason).
pub async fn import_attendance(
    store: &dyn Store,
    path: &Path,
    rejects: &mut RejectWriter,
    now: DateTime<Utc>,
) -> Result<AttendanceImport, PeopleError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| PeopleError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| PeopleError::Invalid(format!("{}: no header line ({e})", path.display())))?
        .iter()
        .map(norm_header)
        .collect();
    let has = |c: &str| header.iter().any(|h| h == c);
    let missing: Vec<&str> = ATTENDANCE_COLUMNS
        .iter()
        .copied()
        .filter(|c| !has(c))
        .collect();
    if !missing.is_empty() {
        return Err(PeopleError::Invalid(format!(
            "{}: missing column(s) {}; the header must have {}",
            path.display(),
            missing.join(", "),
            ATTENDANCE_COLUMNS.join(",")
        )));
    }
    let source = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut rows: Vec<Row> = Vec::new();
    let mut rejected = 0u64;
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record
            .map_err(|e| PeopleError::Invalid(format!("{}: line {line}: {e}", path.display())))?;
        let get = |name: &str| -> String {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|c| record.get(c))
                .unwrap_or("")
                .trim()
                .chars()
                .take(MAX_FIELD)
                .collect()
        };
        match parse_row(&get, now) {
            Ok(r) => rows.push(r),
            Err((column, reason)) => {
                rejected += 1;
                rejects
                    .write(&Reject {
                        line,
                        column: column.into(),
                        reason,
                        raw: record
                            .iter()
                            .collect::<Vec<_>>()
                            .join(",")
                            .chars()
                            .take(500)
                            .collect(),
                    })
                    .map_err(|e| PeopleError::Invalid(e.to_string()))?;
            }
        }
    }
    if rejected > 0 {
        return Err(PeopleError::Invalid(format!(
            "{}: {rejected} row(s) refused, nothing imported; see {} (line, column, reason)",
            path.display(),
            rejects.path().display()
        )));
    }
    // Events with their shifts (first row of an event gives its fields).
    let mut events: BTreeMap<String, NewEvent> = BTreeMap::new();
    for r in &rows {
        let e = events
            .entry(r.event.external_id.clone())
            .or_insert_with(|| r.event.clone());
        if !e
            .shifts
            .iter()
            .any(|s| s.external_id == r.shift.external_id)
        {
            e.shifts.push(r.shift.clone());
        }
    }
    // People: a known address is that person; otherwise the export's own id.
    let mut who: HashMap<String, String> = HashMap::new();
    let mut new_people: BTreeMap<String, NewPerson> = BTreeMap::new();
    for r in &rows {
        let key = r.person.external_id.clone();
        if who.contains_key(&key) {
            continue;
        }
        let known = if r.email.is_empty() {
            None
        } else {
            store.person_by_email(&r.email).await?
        };
        match known {
            Some(id) => {
                who.insert(key, id);
            }
            None => {
                who.insert(key.clone(), key.clone());
                new_people.insert(key, r.person.clone());
            }
        }
    }
    let events: Vec<NewEvent> = events.into_values().collect();
    let outcome = store.upsert_events(&events).await?;
    let people: Vec<NewPerson> = new_people.into_values().collect();
    let people_added = store.add_people_if_absent(&people).await?;
    let attendance: Vec<_> = rows
        .iter()
        .map(|r| votebase_domain::people::events::Attendance {
            event: r.event.external_id.clone(),
            shift: r.shift.external_id.clone(),
            person: who[&r.person.external_id].clone(),
            status: r.status,
            source: source.clone(),
        })
        .collect();
    let written = store.record_attendance(&attendance).await?;
    Ok(AttendanceImport {
        rows: rows.len() as u64,
        events: outcome,
        people_added,
        attendance: written,
    })
}

/// An RSVP (refused with the reason when the shift is full or unknown).
pub async fn rsvp(
    store: &dyn Store,
    event: &str,
    shift: &str,
    person: &str,
) -> Result<(), PeopleError> {
    if store.event(event).await?.is_none() {
        return Err(PeopleError::NotFound(format!("no event {event:?}")));
    }
    store
        .rsvp(event, shift, person, "rsvp")
        .await
        .map_err(|e| match e {
            votebase_store::StoreError::Refused(m) => PeopleError::Invalid(m),
            e => e.into(),
        })
}

/// Check-in (or undo it: back to `registered`): walk-ins included.
pub async fn check_in(
    store: &dyn Store,
    event: &str,
    shift: &str,
    person: &str,
    present: bool,
) -> Result<(), PeopleError> {
    let status = if present {
        AttendanceStatus::Attended
    } else {
        AttendanceStatus::Registered
    };
    store
        .set_attendance(event, shift, person, status, "check-in")
        .await
        .map_err(|e| match e {
            votebase_store::StoreError::Refused(m) => PeopleError::NotFound(m),
            e => e.into(),
        })
}

/// What the volunteer families added to a universe index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VolunteerFamilyStats {
    /// Shifts attended by voters.
    pub attended: u64,
    /// Voters with missed shifts.
    pub no_show_voters: u64,
    /// Skills of voters.
    pub skills: u64,
    /// Facts about voters not in the latest snapshot (skipped).
    pub unknown_voters: u64,
}

/// Feeds the families of volunteers who are voters (linked or confirmed) into `builder`
/// (voters already added): `attended` (dated, keyed by event kind: `attended:FROM..TO`,
/// `attended:canvass:30d`), `rsvp_no_show` (numeric, `rsvp_no_show:2..`: shifts
/// registered for and missed) and `volunteer_skill` (set: `volunteer_skill:python`).
pub async fn add_volunteer_families(
    store: &dyn Store,
    builder: &mut IndexBuilder,
) -> Result<VolunteerFamilyStats, crate::contacts::ContactFamiliesError> {
    builder.register_family("attended", FamilyKind::Dated)?;
    builder.register_family("rsvp_no_show", FamilyKind::Numeric)?;
    builder.register_family("volunteer_skill", FamilyKind::Set)?;
    let mut stats = VolunteerFamilyStats::default();
    let skip = |r: Result<(), IndexError>, stats: &mut VolunteerFamilyStats| match r {
        Ok(()) => Ok(()),
        Err(IndexError::UnknownVoter { .. }) => {
            stats.unknown_voters += 1;
            Ok(())
        }
        Err(e) => Err(e),
    };
    let mut no_shows: BTreeMap<String, i64> = BTreeMap::new();
    for (voter, r) in store.voter_attendance().await? {
        match r.attendance.status {
            AttendanceStatus::Attended => {
                stats.attended += 1;
                let day: NaiveDate = r.starts_at.date_naive();
                let kind = if r.kind.is_empty() { "event" } else { &r.kind };
                skip(builder.add_dated("attended", &voter, kind, day), &mut stats)?;
            }
            AttendanceStatus::NoShow => *no_shows.entry(voter).or_default() += 1,
            _ => {}
        }
    }
    for (voter, n) in no_shows {
        stats.no_show_voters += 1;
        skip(
            builder.add_numeric("rsvp_no_show", &voter, "rsvp_no_show", n),
            &mut stats,
        )?;
    }
    let volunteers: HashMap<String, votebase_domain::people::Volunteer> = store
        .volunteers()
        .await?
        .into_iter()
        .map(|v| (v.person.external_id.clone(), v))
        .collect();
    for status in [LinkStatus::Linked, LinkStatus::Confirmed] {
        for link in store.person_links(status).await? {
            let Some(v) = volunteers.get(&link.person) else {
                continue;
            };
            for s in &v.profile.skills {
                stats.skills += 1;
                skip(
                    builder.add_keyed("volunteer_skill", &link.state_voter_id, &s.skill),
                    &mut stats,
                )?;
            }
        }
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_times_and_statuses() {
        let t = parse_time("2026-09-05 14:00").unwrap();
        assert_eq!(t, parse_time("2026-09-05T14:00:00Z").unwrap());
        assert_eq!(t, parse_time(&t.timestamp().to_string()).unwrap());
        assert!(parse_time("next tuesday").is_none());
        let now = t + chrono::Duration::days(1);
        let past = t;
        let future = now + chrono::Duration::days(1);
        use AttendanceStatus::*;
        assert_eq!(status_of("REGISTERED", Some(true), past, now), Ok(Attended));
        assert_eq!(status_of("CONFIRMED", Some(false), past, now), Ok(NoShow));
        assert_eq!(
            status_of("CONFIRMED", Some(false), future, now),
            Ok(Registered)
        );
        assert_eq!(status_of("REGISTERED", None, past, now), Ok(Registered));
        assert_eq!(status_of("Cancelled", None, past, now), Ok(Cancelled));
        assert!(status_of("MAYBE", None, past, now).is_err());
    }
}
