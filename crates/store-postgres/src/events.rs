//! Events, shifts and attendance on PostgreSQL (`0014_volunteer_events.sql`): head counts
//! grouped in SQL; the RSVP locks the shift row (`FOR UPDATE`) so its capacity check and
//! insert cannot race another RSVP for the last place.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use votebase_domain::people::NewPerson;
use votebase_domain::people::events::{
    Attendance, AttendanceRecord, AttendanceStatus, Event, NewEvent, NewShift, Shift,
};
use votebase_store::events::EventStore;
use votebase_store::people::UpsertOutcome;
use votebase_store::{StoreError, StoreResult};

/// An event's stored fields: source, title, kind, organization, location, zip.
type EventRow = (String, String, String, String, String, String);
/// A shift's stored times and capacity.
type ShiftRow = (DateTime<Utc>, Option<DateTime<Utc>>, Option<i32>);

async fn upsert_events(store: &PgStore, list: &[NewEvent]) -> StoreResult<UpsertOutcome> {
    let mut tx = store.pool().begin().await.map_err(db)?;
    let now = Utc::now();
    let mut out = UpsertOutcome::default();
    for e in list {
        let known: Option<EventRow> = sqlx::query_as(
            "SELECT source, title, kind, organization, location, zip FROM events
             WHERE external_id = $1",
        )
        .bind(&e.external_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO events (external_id, source, title, kind, organization, location, zip,
               created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             ON CONFLICT (external_id) DO UPDATE SET source = excluded.source,
               title = excluded.title, kind = excluded.kind,
               organization = excluded.organization, location = excluded.location,
               zip = excluded.zip, updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(&e.external_id)
        .bind(&e.source)
        .bind(&e.title)
        .bind(&e.kind)
        .bind(&e.organization)
        .bind(&e.location)
        .bind(&e.zip)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let mut changed = known.as_ref().is_none_or(|k| {
            k != &(
                e.source.clone(),
                e.title.clone(),
                e.kind.clone(),
                e.organization.clone(),
                e.location.clone(),
                e.zip.clone(),
            )
        });
        for s in &e.shifts {
            let before: Option<ShiftRow> = sqlx::query_as(
                "SELECT starts_at, ends_at, capacity FROM event_shifts
                     WHERE event_id = $1 AND external_id = $2",
            )
            .bind(id)
            .bind(&s.external_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            let after = (
                s.starts_at,
                s.ends_at,
                s.capacity.map(|c| c.min(i32::MAX as u32) as i32),
            );
            if before != Some(after) {
                changed = true;
                sqlx::query(
                    "INSERT INTO event_shifts (event_id, external_id, starts_at, ends_at, capacity)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (event_id, external_id) DO UPDATE SET
                       starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                       capacity = excluded.capacity",
                )
                .bind(id)
                .bind(&s.external_id)
                .bind(after.0)
                .bind(after.1)
                .bind(after.2)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
        match (known.is_some(), changed) {
            (false, _) => out.inserted += 1,
            (true, true) => out.updated += 1,
            (true, false) => out.unchanged += 1,
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(out)
}

async fn events(store: &PgStore, only: Option<&str>) -> StoreResult<Vec<Event>> {
    let counts: HashMap<(i64, String), u32> = sqlx::query(
        "SELECT shift_id, status, COUNT(*)::bigint FROM event_attendance GROUP BY 1, 2",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db)?
    .into_iter()
    .map(|r| {
        (
            (r.get::<i64, _>(0), r.get::<String, _>(1)),
            r.get::<i64, _>(2) as u32,
        )
    })
    .collect();
    let mut shifts: HashMap<i64, Vec<Shift>> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, event_id, external_id, starts_at, ends_at, capacity FROM event_shifts
         ORDER BY event_id, starts_at, external_id",
    )
    .fetch_all(store.pool())
    .await
    .map_err(db)?
    {
        let id: i64 = r.get(0);
        let n = |s: &str| counts.get(&(id, s.to_string())).copied().unwrap_or(0);
        let capacity: Option<i32> = r.get(5);
        shifts.entry(r.get(1)).or_default().push(Shift {
            shift: NewShift {
                external_id: r.get(2),
                starts_at: r.get(3),
                ends_at: r.get(4),
                capacity: capacity.map(|c| c.max(0) as u32),
            },
            registered: n("registered"),
            attended: n("attended"),
            no_show: n("no_show"),
        });
    }
    let rows = sqlx::query(
        "SELECT id, external_id, source, title, kind, organization, location, zip FROM events
         WHERE $1::text IS NULL OR external_id = $1",
    )
    .bind(only)
    .fetch_all(store.pool())
    .await
    .map_err(db)?;
    let mut out: Vec<Event> = rows
        .into_iter()
        .map(|r| Event {
            shifts: shifts.remove(&r.get::<i64, _>(0)).unwrap_or_default(),
            external_id: r.get(1),
            source: r.get(2),
            title: r.get(3),
            kind: r.get(4),
            organization: r.get(5),
            location: r.get(6),
            zip: r.get(7),
        })
        .collect();
    out.sort_by(|a, b| {
        let first = |e: &Event| e.shifts.first().map(|s| s.shift.starts_at);
        first(b)
            .cmp(&first(a))
            .then_with(|| a.external_id.cmp(&b.external_id))
    });
    Ok(out)
}

/// The shift's and the person's row ids, or why not; `lock` takes the shift row for the
/// transaction.
async fn ids(
    tx: &mut PgConnection,
    event: &str,
    shift: &str,
    person: &str,
    lock: bool,
) -> StoreResult<(i64, i64)> {
    let sql = format!(
        "SELECT s.id FROM event_shifts s JOIN events e ON e.id = s.event_id
         WHERE e.external_id = $1 AND s.external_id = $2{}",
        if lock { " FOR UPDATE OF s" } else { "" }
    );
    let shift_id: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(event)
        .bind(shift)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let Some(shift_id) = shift_id else {
        return Err(StoreError::Refused(format!(
            "no shift {shift:?} of event {event:?}"
        )));
    };
    let person_id: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE external_id = $1")
        .bind(person)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let Some(person_id) = person_id else {
        return Err(StoreError::Refused(format!("no person {person:?}")));
    };
    Ok((shift_id, person_id))
}

async fn put(
    tx: &mut PgConnection,
    shift_id: i64,
    person_id: i64,
    status: AttendanceStatus,
    source: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO event_attendance (shift_id, person_id, status, source, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (shift_id, person_id) DO UPDATE SET status = excluded.status,
           source = excluded.source, updated_at = excluded.updated_at",
    )
    .bind(shift_id)
    .bind(person_id)
    .bind(status.code())
    .bind(source)
    .bind(Utc::now())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    Ok(())
}

const RECORD: &str = "e.external_id, s.external_id, p.external_id, a.status, a.source,
       e.title, e.kind, s.starts_at, a.updated_at
     FROM event_attendance a JOIN event_shifts s ON s.id = a.shift_id
     JOIN events e ON e.id = s.event_id JOIN people p ON p.id = a.person_id";

fn record(r: &sqlx::postgres::PgRow, at: usize) -> StoreResult<AttendanceRecord> {
    let status: String = r.get(at + 3);
    Ok(AttendanceRecord {
        attendance: Attendance {
            event: r.get(at),
            shift: r.get(at + 1),
            person: r.get(at + 2),
            status: AttendanceStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("attendance status {status:?}")))?,
            source: r.get(at + 4),
        },
        title: r.get(at + 5),
        kind: r.get(at + 6),
        starts_at: r.get(at + 7),
        updated_at: r.get(at + 8),
    })
}

async fn records(store: &PgStore, tail: &str, arg: &str) -> StoreResult<Vec<AttendanceRecord>> {
    sqlx::query(AssertSqlSafe(format!("SELECT {RECORD} {tail}")))
        .bind(arg)
        .fetch_all(store.pool())
        .await
        .map_err(db)?
        .iter()
        .map(|r| record(r, 0))
        .collect()
}

#[async_trait]
impl EventStore for PgStore {
    async fn upsert_events(&self, list: &[NewEvent]) -> StoreResult<UpsertOutcome> {
        upsert_events(self, list).await
    }

    async fn events(&self) -> StoreResult<Vec<Event>> {
        events(self, None).await
    }

    async fn event(&self, external_id: &str) -> StoreResult<Option<Event>> {
        Ok(events(self, Some(external_id)).await?.pop())
    }

    async fn add_people_if_absent(&self, people: &[NewPerson]) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let now = Utc::now();
        let mut added = 0;
        for p in people {
            let known: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM people WHERE external_id = $1)")
                    .bind(&p.external_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
            if !known {
                crate::people::upsert_person(&mut tx, p, "attendee", now).await?;
                added += 1;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    async fn person_by_email(&self, email: &str) -> StoreResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT p.external_id FROM person_emails e JOIN people p ON p.id = e.person_id
             WHERE e.email = $1 ORDER BY p.id LIMIT 1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_optional(self.pool())
        .await
        .map_err(db)
    }

    async fn record_attendance(&self, rows: &[Attendance]) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        for a in rows {
            let (shift_id, person_id) = ids(&mut tx, &a.event, &a.shift, &a.person, false).await?;
            put(&mut tx, shift_id, person_id, a.status, &a.source).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(rows.len() as u64)
    }

    async fn rsvp(&self, event: &str, shift: &str, person: &str, source: &str) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let (shift_id, person_id) = ids(&mut tx, event, shift, person, true).await?;
        let (capacity, taken): (Option<i32>, i64) = sqlx::query_as(
            "SELECT s.capacity, (SELECT COUNT(*) FROM event_attendance a
               WHERE a.shift_id = s.id AND a.person_id <> $2
                 AND a.status IN ('registered', 'attended'))
             FROM event_shifts s WHERE s.id = $1",
        )
        .bind(shift_id)
        .bind(person_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if capacity.is_some_and(|cap| taken >= i64::from(cap)) {
            return Err(StoreError::Refused(format!(
                "shift {shift:?} of event {event:?} is full"
            )));
        }
        put(
            &mut tx,
            shift_id,
            person_id,
            AttendanceStatus::Registered,
            source,
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn set_attendance(
        &self,
        event: &str,
        shift: &str,
        person: &str,
        status: AttendanceStatus,
        source: &str,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let (shift_id, person_id) = ids(&mut tx, event, shift, person, false).await?;
        put(&mut tx, shift_id, person_id, status, source).await?;
        tx.commit().await.map_err(db)
    }

    async fn attendance_of_event(&self, event: &str) -> StoreResult<Vec<AttendanceRecord>> {
        records(
            self,
            "WHERE e.external_id = $1 ORDER BY s.starts_at, s.external_id, p.last_name,
               p.first_name, p.external_id",
            event,
        )
        .await
    }

    async fn attendance_of_person(&self, person: &str) -> StoreResult<Vec<AttendanceRecord>> {
        records(
            self,
            "WHERE p.external_id = $1 ORDER BY s.starts_at DESC",
            person,
        )
        .await
    }

    async fn voter_attendance(&self) -> StoreResult<Vec<(String, AttendanceRecord)>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT l.state_voter_id, {RECORD} JOIN person_links l ON l.person_id = p.id
             WHERE l.status IN ('linked', 'confirmed') ORDER BY l.state_voter_id, s.starts_at"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(db)?
        .iter()
        .map(|r| Ok((r.get::<String, _>(0), record(r, 1)?)))
        .collect()
    }

    async fn people_of_voter(&self, state_voter_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT p.external_id FROM person_links l JOIN people p ON p.id = l.person_id
             WHERE l.state_voter_id = $1 AND l.status IN ('linked', 'confirmed')
             ORDER BY p.external_id",
        )
        .bind(state_voter_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)
    }
}
