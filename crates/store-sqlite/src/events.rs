//! Events, shifts and attendance on SQLite (`0014_volunteer_events.sql`): times as
//! RFC 3339 UTC text to the second (so text order is time order); head counts grouped
//! in SQL; the RSVP's capacity check and its insert in one immediate transaction.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::HashMap;
use votebase_domain::people::NewPerson;
use votebase_domain::people::events::{
    Attendance, AttendanceRecord, AttendanceStatus, Event, NewEvent, NewShift, Shift,
};
use votebase_store::events::EventStore;
use votebase_store::people::UpsertOutcome;
use votebase_store::{StoreError, StoreResult};

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn time(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("event time: {e}")))
}

/// An event's stored fields: id, source, title, kind, organization, location, zip.
type EventFields = (i64, String, String, String, String, String, String);
/// A shift's stored times and capacity.
type ShiftFields = (String, Option<String>, Option<i64>);

fn upsert_events(c: &mut Connection, list: &[NewEvent]) -> StoreResult<UpsertOutcome> {
    let tx = c.transaction().map_err(db)?;
    let now = stamp(Utc::now());
    let mut out = UpsertOutcome::default();
    for e in list {
        let known: Option<EventFields> = tx
            .query_row(
                "SELECT id, source, title, kind, organization, location, zip FROM events
                 WHERE external_id = ?1",
                [&e.external_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()
            .map_err(db)?;
        let id: i64 = tx
            .query_row(
                "INSERT INTO events (external_id, source, title, kind, organization, location,
                   zip, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                 ON CONFLICT (external_id) DO UPDATE SET source = excluded.source,
                   title = excluded.title, kind = excluded.kind,
                   organization = excluded.organization, location = excluded.location,
                   zip = excluded.zip, updated_at = excluded.updated_at
                 RETURNING id",
                params![
                    e.external_id,
                    e.source,
                    e.title,
                    e.kind,
                    e.organization,
                    e.location,
                    e.zip,
                    now
                ],
                |r| r.get(0),
            )
            .map_err(db)?;
        let mut changed = match &known {
            None => true,
            Some((_, source, title, kind, org, location, zip)) => {
                (source, title, kind, org, location, zip)
                    != (
                        &e.source,
                        &e.title,
                        &e.kind,
                        &e.organization,
                        &e.location,
                        &e.zip,
                    )
            }
        };
        for s in &e.shifts {
            let before: Option<ShiftFields> = tx
                .query_row(
                    "SELECT starts_at, ends_at, capacity FROM event_shifts
                     WHERE event_id = ?1 AND external_id = ?2",
                    params![id, s.external_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(db)?;
            let after = (
                stamp(s.starts_at),
                s.ends_at.map(stamp),
                s.capacity.map(i64::from),
            );
            if before.as_ref() != Some(&after) {
                changed = true;
                tx.execute(
                    "INSERT INTO event_shifts (event_id, external_id, starts_at, ends_at, capacity)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (event_id, external_id) DO UPDATE SET
                       starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                       capacity = excluded.capacity",
                    params![id, s.external_id, after.0, after.1, after.2],
                )
                .map_err(db)?;
            }
        }
        match (known.is_some(), changed) {
            (false, _) => out.inserted += 1,
            (true, true) => out.updated += 1,
            (true, false) => out.unchanged += 1,
        }
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn events(c: &Connection, only: Option<&str>) -> StoreResult<Vec<Event>> {
    let mut counts: HashMap<(i64, String), u32> = HashMap::new();
    {
        let mut stmt = c
            .prepare("SELECT shift_id, status, COUNT(*) FROM event_attendance GROUP BY 1, 2")
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            counts.insert(
                (r.get(0).map_err(db)?, r.get(1).map_err(db)?),
                r.get(2).map_err(db)?,
            );
        }
    }
    let mut shifts: HashMap<i64, Vec<Shift>> = HashMap::new();
    {
        let mut stmt = c
            .prepare(
                "SELECT id, event_id, external_id, starts_at, ends_at, capacity FROM event_shifts
                 ORDER BY event_id, starts_at, external_id",
            )
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let id: i64 = r.get(0).map_err(db)?;
            let starts: String = r.get(3).map_err(db)?;
            let ends: Option<String> = r.get(4).map_err(db)?;
            let capacity: Option<i64> = r.get(5).map_err(db)?;
            let n = |s: &str| counts.get(&(id, s.to_string())).copied().unwrap_or(0);
            shifts
                .entry(r.get(1).map_err(db)?)
                .or_default()
                .push(Shift {
                    shift: NewShift {
                        external_id: r.get(2).map_err(db)?,
                        starts_at: time(&starts)?,
                        ends_at: ends.as_deref().map(time).transpose()?,
                        capacity: capacity.map(|c| c.max(0) as u32),
                    },
                    registered: n("registered"),
                    attended: n("attended"),
                    no_show: n("no_show"),
                });
        }
    }
    let filter = if only.is_some() {
        "WHERE external_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    };
    let mut stmt = c
        .prepare(&format!(
            "SELECT id, external_id, source, title, kind, organization, location, zip
             FROM events {filter}"
        ))
        .map_err(db)?;
    let mut rows = stmt.query([only]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        let id: i64 = r.get(0).map_err(db)?;
        out.push(Event {
            external_id: r.get(1).map_err(db)?,
            source: r.get(2).map_err(db)?,
            title: r.get(3).map_err(db)?,
            kind: r.get(4).map_err(db)?,
            organization: r.get(5).map_err(db)?,
            location: r.get(6).map_err(db)?,
            zip: r.get(7).map_err(db)?,
            shifts: shifts.remove(&id).unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| {
        let first = |e: &Event| e.shifts.first().map(|s| s.shift.starts_at);
        first(b)
            .cmp(&first(a))
            .then_with(|| a.external_id.cmp(&b.external_id))
    });
    Ok(out)
}

/// The shift's and the person's row ids, or why not.
fn ids(tx: &Transaction<'_>, event: &str, shift: &str, person: &str) -> StoreResult<(i64, i64)> {
    let shift_id: Option<i64> = tx
        .query_row(
            "SELECT s.id FROM event_shifts s JOIN events e ON e.id = s.event_id
             WHERE e.external_id = ?1 AND s.external_id = ?2",
            params![event, shift],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    let Some(shift_id) = shift_id else {
        return Err(StoreError::Refused(format!(
            "no shift {shift:?} of event {event:?}"
        )));
    };
    let person_id: Option<i64> = tx
        .query_row(
            "SELECT id FROM people WHERE external_id = ?1",
            [person],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    let Some(person_id) = person_id else {
        return Err(StoreError::Refused(format!("no person {person:?}")));
    };
    Ok((shift_id, person_id))
}

fn put(
    tx: &Transaction<'_>,
    shift_id: i64,
    person_id: i64,
    status: AttendanceStatus,
    source: &str,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO event_attendance (shift_id, person_id, status, source, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (shift_id, person_id) DO UPDATE SET status = excluded.status,
           source = excluded.source, updated_at = excluded.updated_at",
        params![
            shift_id,
            person_id,
            status.code(),
            source,
            stamp(Utc::now())
        ],
    )
    .map_err(db)?;
    Ok(())
}

const RECORD: &str = "SELECT e.external_id, s.external_id, p.external_id, a.status, a.source,
       e.title, e.kind, s.starts_at, a.updated_at
     FROM event_attendance a JOIN event_shifts s ON s.id = a.shift_id
     JOIN events e ON e.id = s.event_id JOIN people p ON p.id = a.person_id";

fn record(r: &rusqlite::Row<'_>, at: usize) -> StoreResult<AttendanceRecord> {
    let status: String = r.get(at + 3).map_err(db)?;
    let starts: String = r.get(at + 7).map_err(db)?;
    let updated: String = r.get(at + 8).map_err(db)?;
    Ok(AttendanceRecord {
        attendance: Attendance {
            event: r.get(at).map_err(db)?,
            shift: r.get(at + 1).map_err(db)?,
            person: r.get(at + 2).map_err(db)?,
            status: AttendanceStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("attendance status {status:?}")))?,
            source: r.get(at + 4).map_err(db)?,
        },
        title: r.get(at + 5).map_err(db)?,
        kind: r.get(at + 6).map_err(db)?,
        starts_at: time(&starts)?,
        updated_at: time(&updated)?,
    })
}

fn records(
    c: &Connection,
    sql: &str,
    param: Option<&str>,
    voter_first: bool,
) -> StoreResult<Vec<(Option<String>, AttendanceRecord)>> {
    let mut stmt = c.prepare(sql).map_err(db)?;
    let mut rows = stmt.query([param]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(db)? {
        if voter_first {
            out.push((Some(r.get(0).map_err(db)?), record(r, 1)?));
        } else {
            out.push((None, record(r, 0)?));
        }
    }
    Ok(out)
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn upsert_events(&self, list: &[NewEvent]) -> StoreResult<UpsertOutcome> {
        let list = list.to_vec();
        self.with_conn(move |c| upsert_events(c, &list)).await
    }

    async fn events(&self) -> StoreResult<Vec<Event>> {
        self.with_conn(|c| events(c, None)).await
    }

    async fn event(&self, external_id: &str) -> StoreResult<Option<Event>> {
        let id = external_id.to_string();
        self.with_conn(move |c| Ok(events(c, Some(&id))?.pop()))
            .await
    }

    async fn add_people_if_absent(&self, people: &[NewPerson]) -> StoreResult<u64> {
        let people = people.to_vec();
        self.with_conn(move |c| {
            let tx = c.transaction().map_err(db)?;
            let now = Utc::now().to_rfc3339();
            let mut added = 0;
            for p in &people {
                let known: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM people WHERE external_id = ?1)",
                        [&p.external_id],
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                if !known {
                    crate::people::upsert_person(&tx, p, "attendee", &now)?;
                    added += 1;
                }
            }
            tx.commit().map_err(db)?;
            Ok(added)
        })
        .await
    }

    async fn person_by_email(&self, email: &str) -> StoreResult<Option<String>> {
        let email = email.trim().to_lowercase();
        self.with_conn(move |c| {
            c.query_row(
                "SELECT p.external_id FROM person_emails e JOIN people p ON p.id = e.person_id
                 WHERE e.email = ?1 ORDER BY p.id LIMIT 1",
                [email],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn record_attendance(&self, rows: &[Attendance]) -> StoreResult<u64> {
        let rows = rows.to_vec();
        self.with_conn(move |c| {
            let tx = c.transaction().map_err(db)?;
            for a in &rows {
                let (shift_id, person_id) = ids(&tx, &a.event, &a.shift, &a.person)?;
                put(&tx, shift_id, person_id, a.status, &a.source)?;
            }
            tx.commit().map_err(db)?;
            Ok(rows.len() as u64)
        })
        .await
    }

    async fn rsvp(&self, event: &str, shift: &str, person: &str, source: &str) -> StoreResult<()> {
        let (event, shift, person, source) = (
            event.to_string(),
            shift.to_string(),
            person.to_string(),
            source.to_string(),
        );
        self.with_conn(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let (shift_id, person_id) = ids(&tx, &event, &shift, &person)?;
            let (capacity, taken): (Option<i64>, i64) = tx
                .query_row(
                    "SELECT s.capacity, (SELECT COUNT(*) FROM event_attendance a
                       WHERE a.shift_id = s.id AND a.person_id <> ?2
                         AND a.status IN ('registered', 'attended'))
                     FROM event_shifts s WHERE s.id = ?1",
                    params![shift_id, person_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(db)?;
            if capacity.is_some_and(|cap| taken >= cap) {
                return Err(StoreError::Refused(format!(
                    "shift {shift:?} of event {event:?} is full"
                )));
            }
            put(
                &tx,
                shift_id,
                person_id,
                AttendanceStatus::Registered,
                &source,
            )?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn set_attendance(
        &self,
        event: &str,
        shift: &str,
        person: &str,
        status: AttendanceStatus,
        source: &str,
    ) -> StoreResult<()> {
        let (event, shift, person, source) = (
            event.to_string(),
            shift.to_string(),
            person.to_string(),
            source.to_string(),
        );
        self.with_conn(move |c| {
            let tx = c.transaction().map_err(db)?;
            let (shift_id, person_id) = ids(&tx, &event, &shift, &person)?;
            put(&tx, shift_id, person_id, status, &source)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn attendance_of_event(&self, event: &str) -> StoreResult<Vec<AttendanceRecord>> {
        let event = event.to_string();
        self.with_conn(move |c| {
            Ok(records(
                c,
                &format!(
                    "{RECORD} WHERE e.external_id = ?1 ORDER BY s.starts_at, s.external_id,
                       p.last_name, p.first_name, p.external_id"
                ),
                Some(&event),
                false,
            )?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
        })
        .await
    }

    async fn attendance_of_person(&self, person: &str) -> StoreResult<Vec<AttendanceRecord>> {
        let person = person.to_string();
        self.with_conn(move |c| {
            Ok(records(
                c,
                &format!("{RECORD} WHERE p.external_id = ?1 ORDER BY s.starts_at DESC"),
                Some(&person),
                false,
            )?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
        })
        .await
    }

    async fn voter_attendance(&self) -> StoreResult<Vec<(String, AttendanceRecord)>> {
        self.with_conn(move |c| {
            let sql = RECORD.replacen("SELECT ", "SELECT l.state_voter_id, ", 1)
                + " JOIN person_links l ON l.person_id = p.id
                  WHERE l.status IN ('linked', 'confirmed') AND ?1 IS NULL
                  ORDER BY l.state_voter_id, s.starts_at";
            Ok(records(c, &sql, None, true)?
                .into_iter()
                .map(|(v, r)| (v.unwrap_or_default(), r))
                .collect())
        })
        .await
    }

    async fn people_of_voter(&self, state_voter_id: &str) -> StoreResult<Vec<String>> {
        let id = state_voter_id.to_string();
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT p.external_id FROM person_links l JOIN people p ON p.id = l.person_id
                     WHERE l.state_voter_id = ?1 AND l.status IN ('linked', 'confirmed')
                     ORDER BY p.external_id",
                )
                .map_err(db)?;
            stmt.query_map([id], |r| r.get(0))
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)
        })
        .await
    }
}
