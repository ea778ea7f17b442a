//! Voter-protection incidents on SQLite, SQL only: intake runs the caller's prepared
//! triage ([`PreparedIntake`]) inside its transaction and writes what it decides, workflow actions written to the
//! append-only timeline, escalation of untouched incidents, county coverage and the
//! organization's triage rules (one JSON row). Times are stored as fixed-width UTC text.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use votebase_domain::incidents::{
    Coverage, Incident, IncidentAction, IncidentAttachment, IncidentFilter, IncidentLocation,
    IncidentStatus, Neighbour, NewAttachment, PreparedIntake, Reporter, Resolution, SYSTEM_ACTOR,
    Severity, TimelineEntry, TriageRules, next_status, stale_detail,
};
use votebase_store::incidents::{
    AttachOutcome, IncidentImportOutcome, IncidentStore, IntakeOutcome,
};
use votebase_store::{StoreError, StoreResult};

const COLUMNS: &str = "id, created_at, observed_at, category, severity, status, resolution, county,
    precinct, polling_place_id, polling_place, address, place_key, description, reporter_name,
    reporter_phone, reporter_relationship, reporter_voter_id, channel, created_by, assigned_to,
    cluster_id, duplicate_of, first_action_at, last_touched_at, resolved_at";

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        })
}

fn opt_ts(s: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    s.map(|s| parse_ts(&s)).transpose()
}

fn status_of(code: &str) -> rusqlite::Result<IncidentStatus> {
    IncidentStatus::parse(code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("stored incident status {code:?}").into(),
        )
    })
}

fn incident_of(r: &Row) -> rusqlite::Result<Incident> {
    Ok(Incident {
        id: r.get(0)?,
        created_at: parse_ts(&r.get::<_, String>(1)?)?,
        observed_at: parse_ts(&r.get::<_, String>(2)?)?,
        category: r.get(3)?,
        severity: Severity::from_rank(r.get(4)?),
        status: status_of(&r.get::<_, String>(5)?)?,
        resolution: r
            .get::<_, Option<String>>(6)?
            .and_then(|c| Resolution::parse(&c)),
        location: IncidentLocation {
            county: r.get(7)?,
            precinct: r.get(8)?,
            polling_place_id: r.get(9)?,
            polling_place: r.get(10)?,
            address: r.get(11)?,
        },
        place_key: r.get(12)?,
        description: r.get(13)?,
        reporter: Reporter {
            name: r.get(14)?,
            phone: r.get(15)?,
            relationship: r.get(16)?,
            voter_id: r.get(17)?,
        },
        channel: r.get(18)?,
        created_by: r.get(19)?,
        assigned_to: r.get(20)?,
        cluster_id: r.get(21)?,
        duplicate_of: r.get(22)?,
        first_action_at: opt_ts(r.get(23)?)?,
        last_touched_at: parse_ts(&r.get::<_, String>(24)?)?,
        resolved_at: opt_ts(r.get(25)?)?,
    })
}

fn get(c: &Connection, id: i64) -> StoreResult<Option<Incident>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM incidents WHERE id = ?1"),
        [id],
        incident_of,
    )
    .optional()
    .map_err(db)
}

fn load_rules(c: &Connection) -> StoreResult<TriageRules> {
    let json: Option<String> = c
        .query_row(
            "SELECT rules_json FROM incident_rules WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    match json {
        None => Ok(TriageRules::default()),
        Some(j) => serde_json::from_str(&j)
            .map_err(|e| StoreError::Corrupt(format!("incident rules: {e}"))),
    }
}

#[allow(clippy::too_many_arguments)]
fn event(
    tx: &Transaction,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    from: IncidentStatus,
    to: IncidentStatus,
    detail: &str,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO incident_events (incident_id, at, actor, kind, from_status, to_status, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .map_err(db)?
    .execute(params![
        id,
        ts(at),
        actor,
        kind,
        from.code(),
        to.code(),
        detail
    ])
    .map_err(db)?;
    Ok(())
}

/// The county's lead lawyer, if one is set.
fn lead_of(tx: &Transaction, county: &str) -> StoreResult<Option<String>> {
    tx.query_row(
        "SELECT user_name FROM incident_coverage WHERE county = ?1 AND lead = 1
         ORDER BY user_name LIMIT 1",
        [county],
        |r| r.get(0),
    )
    .optional()
    .map_err(db)
}

/// Inserts one prepared report and writes what its triage decides; returns its id and
/// the other ids changed.
fn intake(
    tx: &Transaction,
    p: &PreparedIntake,
    now: DateTime<Utc>,
) -> StoreResult<(i64, Vec<i64>)> {
    let new = &p.report;
    let location = &new.location;
    let neighbours: Vec<Neighbour> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT id, observed_at, category, severity, cluster_id, duplicate_of
                 FROM incidents WHERE place_key = ?1 AND observed_at >= ?2 AND observed_at <= ?3",
            )
            .map_err(db)?;
        stmt.query_map(
            params![p.place_key, ts(p.window_start), ts(p.window_end)],
            |r| {
                Ok(Neighbour {
                    id: r.get(0)?,
                    observed_at: parse_ts(&r.get::<_, String>(1)?)?,
                    category: r.get(2)?,
                    severity: Severity::from_rank(r.get(3)?),
                    cluster_id: r.get(4)?,
                    duplicate_of: r.get(5)?,
                })
            },
        )
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?
    };
    let decision = p.decide(&neighbours);
    tx.prepare_cached(
        "INSERT INTO incidents (created_at, observed_at, category, severity, status, county,
           precinct, polling_place_id, polling_place, address, place_key, description,
           reporter_name, reporter_phone, reporter_relationship, reporter_voter_id, channel,
           created_by, cluster_id, duplicate_of, last_touched_at, external_key)
         VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
           ?17, ?18, ?19, ?1, ?20)",
    )
    .map_err(db)?
    .execute(params![
        ts(now),
        ts(new.observed_at),
        new.category,
        decision.severity.rank(),
        location.county,
        location.precinct,
        location.polling_place_id,
        location.polling_place,
        location.address,
        p.place_key,
        new.description,
        new.reporter.name,
        new.reporter.phone,
        new.reporter.relationship,
        new.reporter.voter_id,
        new.channel,
        new.created_by,
        decision.cluster_id,
        decision.duplicate_of,
        new.external_key,
    ])
    .map_err(db)?;
    let id = tx.last_insert_rowid();
    let cluster = decision.cluster_of(id);
    if let Some(cluster) = cluster {
        tx.execute(
            "UPDATE incidents SET cluster_id = ?2 WHERE id = ?1",
            params![id, cluster],
        )
        .map_err(db)?;
    }
    for e in p.opening_entries(id, &decision) {
        event(
            tx,
            id,
            now,
            &e.actor,
            e.kind,
            IncidentStatus::New,
            e.to,
            &e.detail,
        )?;
    }
    let mut changed = Vec::new();
    if let Some(cluster) = cluster {
        for (other, severity) in &decision.raise {
            let status: String = tx
                .query_row(
                    "UPDATE incidents SET cluster_id = ?2, severity = MAX(severity, ?3)
                     WHERE id = ?1 RETURNING status",
                    params![other, cluster, severity.rank()],
                    |r| r.get(0),
                )
                .map_err(db)?;
            let status = status_of(&status).map_err(db)?;
            let detail = PreparedIntake::joined_detail(cluster, id, *severity);
            event(
                tx,
                *other,
                now,
                SYSTEM_ACTOR,
                "clustered",
                status,
                status,
                &detail,
            )?;
            changed.push(*other);
        }
    }
    if decision.route_to_lead {
        let route = p.routing(lead_of(tx, &location.county)?);
        tx.execute(
            "UPDATE incidents SET status = ?2, assigned_to = ?3 WHERE id = ?1",
            params![id, route.status.code(), route.assigned_to],
        )
        .map_err(db)?;
        let e = &route.entry;
        event(
            tx,
            id,
            now,
            &e.actor,
            e.kind,
            IncidentStatus::New,
            e.to,
            &e.detail,
        )?;
    }
    Ok((id, changed))
}

fn create(
    conn: &mut Connection,
    p: &PreparedIntake,
    now: DateTime<Utc>,
) -> StoreResult<IntakeOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    // The write lock is held from here: a retry that arrives at once waits, then finds it.
    if let Some(key) = &p.report.external_key {
        let known: Option<i64> = tx
            .query_row(
                "SELECT id FROM incidents WHERE external_key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        if let Some(id) = known {
            let incident =
                get(&tx, id)?.ok_or_else(|| StoreError::Database("incident vanished".into()))?;
            tx.commit().map_err(db)?;
            return Ok(IntakeOutcome {
                incident,
                changed: Vec::new(),
                replayed: true,
            });
        }
    }
    let (id, changed) = intake(&tx, p, now)?;
    let incident = get(&tx, id)?
        .ok_or_else(|| StoreError::Database("incident vanished after insert".into()))?;
    tx.commit().map_err(db)?;
    Ok(IntakeOutcome {
        incident,
        changed,
        replayed: false,
    })
}

fn import(
    conn: &mut Connection,
    rows: &[PreparedIntake],
    now: DateTime<Utc>,
) -> StoreResult<IncidentImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut out = IncidentImportOutcome::default();
    for row in rows {
        if let Some(key) = &row.report.external_key {
            let known: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM incidents WHERE external_key = ?1)",
                    [key],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if known {
                out.known += 1;
                continue;
            }
        }
        let (id, _) = intake(&tx, row, now)?;
        out.created += 1;
        out.ids.push(id);
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn voter_file_precincts(c: &Connection) -> StoreResult<Vec<(String, String, String)>> {
    let mut stmt = c
        .prepare(
            "SELECT DISTINCT county_name, precinct_code, precinct_name FROM voters
             WHERE present = 1 ORDER BY 1, 2, 3",
        )
        .map_err(db)?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)
}

fn list(c: &Connection, filter: &IncidentFilter) -> StoreResult<Vec<Incident>> {
    let mut sql = format!("SELECT {COLUMNS} FROM incidents WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(counties) = &filter.counties {
        if counties.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(" AND county IN (");
        for (i, county) in counties.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('?');
            args.push(county.trim().to_ascii_uppercase().into());
        }
        sql.push(')');
    }
    if let Some(s) = filter.status {
        sql.push_str(" AND status = ?");
        args.push(s.code().to_string().into());
    }
    if let Some(cat) = &filter.category {
        sql.push_str(" AND category = ?");
        args.push(cat.clone().into());
    }
    if filter.open_only {
        sql.push_str(" AND status NOT IN ('resolved', 'closed')");
    }
    sql.push_str(" ORDER BY severity DESC, observed_at, id");
    if filter.limit > 0 {
        sql.push_str(&format!(" LIMIT {}", filter.limit));
    }
    let mut stmt = c.prepare(&sql).map_err(db)?;
    stmt.query_map(rusqlite::params_from_iter(args), incident_of)
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)
}

fn timeline(c: &Connection, id: i64) -> StoreResult<Vec<TimelineEntry>> {
    let mut stmt = c
        .prepare(
            "SELECT incident_id, at, actor, kind, from_status, to_status, detail
             FROM incident_events WHERE incident_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    stmt.query_map([id], |r| {
        Ok(TimelineEntry {
            incident_id: r.get(0)?,
            at: parse_ts(&r.get::<_, String>(1)?)?,
            actor: r.get(2)?,
            kind: r.get(3)?,
            from_status: status_of(&r.get::<_, String>(4)?)?,
            to_status: status_of(&r.get::<_, String>(5)?)?,
            detail: r.get(6)?,
        })
    })
    .map_err(db)?
    .collect::<Result<_, _>>()
    .map_err(db)
}

fn act(
    conn: &mut Connection,
    id: i64,
    actor: &str,
    action: &IncidentAction,
    now: DateTime<Utc>,
) -> StoreResult<Option<Incident>> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let Some(current) = get(&tx, id)? else {
        return Ok(None);
    };
    let to = next_status(current.status, action, current.assigned_to.is_some())
        .map_err(|e| StoreError::Refused(e.to_string()))?;
    match action {
        IncidentAction::Triage {
            severity: Some(s), ..
        } => {
            tx.execute(
                "UPDATE incidents SET severity = ?2 WHERE id = ?1",
                params![id, s.rank()],
            )
            .map_err(db)?;
        }
        IncidentAction::Assign { to: user } => {
            let covers: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM incident_coverage WHERE user_name = ?1 AND county = ?2)",
                    params![user, current.location.county],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if !covers {
                return Err(StoreError::Refused(format!(
                    "{user} does not cover {}: give them the county first (votebase incidents cover {user} {})",
                    current.location.county, current.location.county
                )));
            }
            tx.execute(
                "UPDATE incidents SET assigned_to = ?2 WHERE id = ?1",
                params![id, user],
            )
            .map_err(db)?;
        }
        IncidentAction::Resolve { resolution, .. } | IncidentAction::Close { resolution, .. } => {
            tx.execute(
                "UPDATE incidents SET resolution = ?2, resolved_at = COALESCE(resolved_at, ?3)
                 WHERE id = ?1",
                params![id, resolution.code(), ts(now)],
            )
            .map_err(db)?;
        }
        IncidentAction::Reopen { .. } => {
            tx.execute(
                "UPDATE incidents SET resolution = NULL, resolved_at = NULL WHERE id = ?1",
                [id],
            )
            .map_err(db)?;
        }
        _ => {}
    }
    let human = actor != SYSTEM_ACTOR;
    tx.execute(
        "UPDATE incidents SET status = ?2, last_touched_at = ?3,
           first_action_at = CASE WHEN ?4 THEN COALESCE(first_action_at, ?3) ELSE first_action_at END
         WHERE id = ?1",
        params![id, to.code(), ts(now), human],
    )
    .map_err(db)?;
    event(
        &tx,
        id,
        now,
        actor,
        action.kind(),
        current.status,
        to,
        &action.detail(),
    )?;
    let updated = get(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(updated)
}

fn escalate_stale(
    conn: &mut Connection,
    stale_minutes: i64,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Incident>> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let cutoff = now - Duration::minutes(stale_minutes);
    let stale: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id, status FROM incidents
                 WHERE status IN ('new', 'triaged', 'assigned') AND last_touched_at <= ?1
                 ORDER BY id",
            )
            .map_err(db)?;
        stmt.query_map([ts(cutoff)], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?
    };
    let mut out = Vec::with_capacity(stale.len());
    for (id, status) in stale {
        let from = status_of(&status).map_err(db)?;
        // Guarded on the state read, as on PostgreSQL: an incident is escalated once.
        let updated = tx
            .execute(
                "UPDATE incidents SET status = 'escalated', last_touched_at = ?2
                 WHERE id = ?1 AND status IN ('new', 'triaged', 'assigned')
                   AND last_touched_at <= ?3",
                params![id, ts(now), ts(cutoff)],
            )
            .map_err(db)?;
        if updated != 1 {
            continue;
        }
        event(
            &tx,
            id,
            now,
            SYSTEM_ACTOR,
            "escalated",
            from,
            IncidentStatus::Escalated,
            &stale_detail(stale_minutes),
        )?;
        if let Some(i) = get(&tx, id)? {
            out.push(i);
        }
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn set_coverage(
    conn: &mut Connection,
    user: &str,
    counties: &[String],
    lead: bool,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(db)?;
    for county in counties {
        tx.execute(
            "INSERT INTO incident_coverage (user_name, county, lead) VALUES (?1, ?2, ?3)
             ON CONFLICT (user_name, county) DO UPDATE SET lead = MAX(lead, excluded.lead)",
            params![user, county.trim().to_ascii_uppercase(), lead],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)
}

fn coverage(c: &Connection, user: Option<&str>) -> StoreResult<Vec<Coverage>> {
    let mut stmt = c
        .prepare(
            "SELECT user_name, county, lead FROM incident_coverage
             WHERE ?1 IS NULL OR user_name = ?1 ORDER BY user_name, county",
        )
        .map_err(db)?;
    stmt.query_map([user], |r| {
        Ok(Coverage {
            user_name: r.get(0)?,
            county: r.get(1)?,
            lead: r.get(2)?,
        })
    })
    .map_err(db)?
    .collect::<Result<_, _>>()
    .map_err(db)
}

const ATTACHMENT_COLUMNS: &str =
    "incident_id, n, sha256, content_type, size, uploaded_by, uploaded_at";

fn attachment_of(r: &Row) -> rusqlite::Result<IncidentAttachment> {
    Ok(IncidentAttachment {
        incident_id: r.get(0)?,
        n: r.get(1)?,
        sha256: r.get(2)?,
        content_type: r.get(3)?,
        size: r.get(4)?,
        uploaded_by: r.get(5)?,
        uploaded_at: parse_ts(&r.get::<_, String>(6)?)?,
    })
}

fn attach(
    conn: &mut Connection,
    id: i64,
    actor: &str,
    photo: &NewAttachment,
    now: DateTime<Utc>,
) -> StoreResult<Option<AttachOutcome>> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let Some(current) = get(&tx, id)? else {
        return Ok(None);
    };
    let known = tx
        .query_row(
            &format!(
                "SELECT {ATTACHMENT_COLUMNS} FROM incident_attachments
                 WHERE incident_id = ?1 AND sha256 = ?2"
            ),
            params![id, photo.sha256],
            attachment_of,
        )
        .optional()
        .map_err(db)?;
    if let Some(attachment) = known {
        return Ok(Some(AttachOutcome {
            attachment,
            created: false,
        }));
    }
    let n: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM incident_attachments WHERE incident_id = ?1",
            [id],
            |r| r.get(0),
        )
        .map_err(db)?;
    let attachment = IncidentAttachment {
        incident_id: id,
        n,
        sha256: photo.sha256.clone(),
        content_type: photo.content_type.to_string(),
        size: photo.bytes.len() as i64,
        uploaded_by: actor.to_string(),
        uploaded_at: now,
    };
    tx.execute(
        "INSERT INTO incident_attachments
           (incident_id, n, sha256, content_type, size, uploaded_by, uploaded_at, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            n,
            attachment.sha256,
            attachment.content_type,
            attachment.size,
            actor,
            ts(now),
            photo.bytes
        ],
    )
    .map_err(db)?;
    event(
        &tx,
        id,
        now,
        actor,
        "attachment",
        current.status,
        current.status,
        &attachment.timeline_detail(),
    )?;
    tx.commit().map_err(db)?;
    Ok(Some(AttachOutcome {
        attachment,
        created: true,
    }))
}

fn attachments(c: &Connection, id: i64) -> StoreResult<Vec<IncidentAttachment>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM incident_attachments WHERE incident_id = ?1 ORDER BY n"
        ))
        .map_err(db)?;
    let rows = stmt.query_map([id], attachment_of).map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
}

fn attachment(
    c: &Connection,
    id: i64,
    n: i64,
) -> StoreResult<Option<(IncidentAttachment, Vec<u8>)>> {
    c.query_row(
        &format!(
            "SELECT {ATTACHMENT_COLUMNS}, bytes FROM incident_attachments
             WHERE incident_id = ?1 AND n = ?2"
        ),
        [id, n],
        |r| Ok((attachment_of(r)?, r.get::<_, Vec<u8>>(7)?)),
    )
    .optional()
    .map_err(db)
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn create_incident(
        &self,
        intake: &PreparedIntake,
        now: DateTime<Utc>,
    ) -> StoreResult<IntakeOutcome> {
        let intake = intake.clone();
        self.with_conn(move |c| create(c, &intake, now)).await
    }

    async fn import_incidents(
        &self,
        rows: &[PreparedIntake],
        now: DateTime<Utc>,
    ) -> StoreResult<IncidentImportOutcome> {
        let rows = rows.to_vec();
        self.with_conn(move |c| import(c, &rows, now)).await
    }

    async fn get_incident(&self, id: i64) -> StoreResult<Option<Incident>> {
        self.with_conn(move |c| get(c, id)).await
    }

    async fn incident_timeline(&self, id: i64) -> StoreResult<Vec<TimelineEntry>> {
        self.with_conn(move |c| timeline(c, id)).await
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<Incident>> {
        let filter = filter.clone();
        self.with_conn(move |c| list(c, &filter)).await
    }

    async fn act_on_incident(
        &self,
        id: i64,
        actor: &str,
        action: &IncidentAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Incident>> {
        let (actor, action) = (actor.to_string(), action.clone());
        self.with_conn(move |c| act(c, id, &actor, &action, now))
            .await
    }

    async fn escalate_stale_incidents(
        &self,
        stale_minutes: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Incident>> {
        self.with_conn(move |c| escalate_stale(c, stale_minutes, now))
            .await
    }

    async fn voter_file_precincts(&self) -> StoreResult<Vec<(String, String, String)>> {
        self.with_conn(|c| voter_file_precincts(c)).await
    }

    async fn set_coverage(
        &self,
        user_name: &str,
        counties: &[String],
        lead: bool,
    ) -> StoreResult<()> {
        let (user, counties) = (user_name.to_string(), counties.to_vec());
        self.with_conn(move |c| set_coverage(c, &user, &counties, lead))
            .await
    }

    async fn coverage(&self, user_name: Option<&str>) -> StoreResult<Vec<Coverage>> {
        let user = user_name.map(|u| u.to_string());
        self.with_conn(move |c| coverage(c, user.as_deref())).await
    }

    async fn incident_rules(&self) -> StoreResult<TriageRules> {
        self.with_conn(|c| load_rules(c)).await
    }

    async fn put_incident_rules(&self, rules: &TriageRules) -> StoreResult<()> {
        rules.validate().map_err(StoreError::Refused)?;
        let json = serde_json::to_string(rules)
            .map_err(|e| StoreError::Database(format!("rules to JSON: {e}")))?;
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO incident_rules (id, rules_json) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET rules_json = excluded.rules_json",
                [json],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn attach_to_incident(
        &self,
        id: i64,
        actor: &str,
        photo: &NewAttachment,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AttachOutcome>> {
        let actor = actor.to_string();
        let photo = photo.clone();
        self.with_conn(move |c| attach(c, id, &actor, &photo, now))
            .await
    }

    async fn incident_attachments(&self, id: i64) -> StoreResult<Vec<IncidentAttachment>> {
        self.with_conn(move |c| attachments(c, id)).await
    }

    async fn incident_attachment(
        &self,
        id: i64,
        n: i64,
    ) -> StoreResult<Option<(IncidentAttachment, Vec<u8>)>> {
        self.with_conn(move |c| attachment(c, id, n)).await
    }
}
