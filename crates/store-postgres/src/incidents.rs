//! Voter-protection incidents on PostgreSQL, SQL only: intake runs the caller's prepared
//! triage ([`PreparedIntake`]) inside its transaction and writes what it decides (reports
//! of one place serialised by an advisory lock on the place key), workflow actions written to the append-only
//! timeline, escalation of untouched incidents, county coverage and the organization's
//! triage rules (one JSON row).

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};
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

fn status_of(code: &str) -> StoreResult<IncidentStatus> {
    IncidentStatus::parse(code)
        .ok_or_else(|| StoreError::Corrupt(format!("stored incident status {code:?}")))
}

fn incident_of(r: &PgRow) -> StoreResult<Incident> {
    let g = |e: sqlx::Error| db(e);
    Ok(Incident {
        id: r.try_get(0).map_err(g)?,
        created_at: r.try_get(1).map_err(g)?,
        observed_at: r.try_get(2).map_err(g)?,
        category: r.try_get(3).map_err(g)?,
        severity: Severity::from_rank(r.try_get(4).map_err(g)?),
        status: status_of(r.try_get::<&str, _>(5).map_err(g)?)?,
        resolution: r
            .try_get::<Option<String>, _>(6)
            .map_err(g)?
            .and_then(|c| Resolution::parse(&c)),
        location: IncidentLocation {
            county: r.try_get(7).map_err(g)?,
            precinct: r.try_get(8).map_err(g)?,
            polling_place_id: r.try_get(9).map_err(g)?,
            polling_place: r.try_get(10).map_err(g)?,
            address: r.try_get(11).map_err(g)?,
        },
        place_key: r.try_get(12).map_err(g)?,
        description: r.try_get(13).map_err(g)?,
        reporter: Reporter {
            name: r.try_get(14).map_err(g)?,
            phone: r.try_get(15).map_err(g)?,
            relationship: r.try_get(16).map_err(g)?,
            voter_id: r.try_get(17).map_err(g)?,
        },
        channel: r.try_get(18).map_err(g)?,
        created_by: r.try_get(19).map_err(g)?,
        assigned_to: r.try_get(20).map_err(g)?,
        cluster_id: r.try_get(21).map_err(g)?,
        duplicate_of: r.try_get(22).map_err(g)?,
        first_action_at: r.try_get(23).map_err(g)?,
        last_touched_at: r.try_get(24).map_err(g)?,
        resolved_at: r.try_get(25).map_err(g)?,
    })
}

async fn get(c: &mut PgConnection, id: i64) -> StoreResult<Option<Incident>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM incidents WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(c)
    .await
    .map_err(db)?;
    row.as_ref().map(incident_of).transpose()
}

async fn load_rules(c: &mut PgConnection) -> StoreResult<TriageRules> {
    let json: Option<String> =
        sqlx::query_scalar("SELECT rules_json FROM incident_rules WHERE id = 1")
            .fetch_optional(c)
            .await
            .map_err(db)?;
    match json {
        None => Ok(TriageRules::default()),
        Some(j) => serde_json::from_str(&j)
            .map_err(|e| StoreError::Corrupt(format!("incident rules: {e}"))),
    }
}

#[allow(clippy::too_many_arguments)]
async fn event(
    c: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    from: IncidentStatus,
    to: IncidentStatus,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO incident_events (incident_id, at, actor, kind, from_status, to_status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(at)
    .bind(actor.to_string())
    .bind(kind.to_string())
    .bind(from.code())
    .bind(to.code())
    .bind(detail.to_string())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

/// Inserts one prepared report and writes what its triage decides; returns its id and
/// the other ids changed.
async fn intake(
    c: &mut PgConnection,
    p: &PreparedIntake,
    now: DateTime<Utc>,
) -> StoreResult<(i64, Vec<i64>)> {
    let new = &p.report;
    let location = &new.location;
    // Two reports of one place at once must see each other: serialise them.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
        .bind(format!("incident-place:{}", p.place_key))
        .execute(&mut *c)
        .await
        .map_err(db)?;
    let rows = sqlx::query(
        "SELECT id, observed_at, category, severity, cluster_id, duplicate_of
         FROM incidents WHERE place_key = $1 AND observed_at >= $2 AND observed_at <= $3",
    )
    .bind(&p.place_key)
    .bind(p.window_start)
    .bind(p.window_end)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let neighbours = rows
        .iter()
        .map(|r| {
            Ok(Neighbour {
                id: r.try_get(0)?,
                observed_at: r.try_get(1)?,
                category: r.try_get(2)?,
                severity: Severity::from_rank(r.try_get(3)?),
                cluster_id: r.try_get(4)?,
                duplicate_of: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(db)?;
    let decision = p.decide(&neighbours);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (created_at, observed_at, category, severity, status, county,
           precinct, polling_place_id, polling_place, address, place_key, description,
           reporter_name, reporter_phone, reporter_relationship, reporter_voter_id, channel,
           created_by, cluster_id, duplicate_of, last_touched_at, external_key)
         VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
           $17, $18, $19, $1, $20)
         RETURNING id",
    )
    .bind(now)
    .bind(new.observed_at)
    .bind(&new.category)
    .bind(decision.severity.rank())
    .bind(&location.county)
    .bind(&location.precinct)
    .bind(&location.polling_place_id)
    .bind(&location.polling_place)
    .bind(&location.address)
    .bind(&p.place_key)
    .bind(&new.description)
    .bind(&new.reporter.name)
    .bind(&new.reporter.phone)
    .bind(&new.reporter.relationship)
    .bind(&new.reporter.voter_id)
    .bind(&new.channel)
    .bind(&new.created_by)
    .bind(decision.cluster_id)
    .bind(decision.duplicate_of)
    .bind(&new.external_key)
    .fetch_one(&mut *c)
    .await
    .map_err(db)?;
    let cluster = decision.cluster_of(id);
    if let Some(cluster) = cluster {
        sqlx::query("UPDATE incidents SET cluster_id = $2 WHERE id = $1")
            .bind(id)
            .bind(cluster)
            .execute(&mut *c)
            .await
            .map_err(db)?;
    }
    for e in p.opening_entries(id, &decision) {
        let new_status = IncidentStatus::New;
        event(c, id, now, &e.actor, e.kind, new_status, e.to, &e.detail).await?;
    }
    let mut changed = Vec::new();
    if let Some(cluster) = cluster {
        for (other, severity) in &decision.raise {
            let status: String = sqlx::query_scalar(
                "UPDATE incidents SET cluster_id = $2, severity = GREATEST(severity, $3)
                 WHERE id = $1 RETURNING status",
            )
            .bind(other)
            .bind(cluster)
            .bind(severity.rank())
            .fetch_one(&mut *c)
            .await
            .map_err(db)?;
            let status = status_of(&status)?;
            let detail = PreparedIntake::joined_detail(cluster, id, *severity);
            event(
                c,
                *other,
                now,
                SYSTEM_ACTOR,
                "clustered",
                status,
                status,
                &detail,
            )
            .await?;
            changed.push(*other);
        }
    }
    if decision.route_to_lead {
        let lead: Option<String> = sqlx::query_scalar(
            "SELECT user_name FROM incident_coverage WHERE county = $1 AND lead
             ORDER BY user_name LIMIT 1",
        )
        .bind(&location.county)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
        let route = p.routing(lead);
        sqlx::query("UPDATE incidents SET status = $2, assigned_to = $3 WHERE id = $1")
            .bind(id)
            .bind(route.status.code())
            .bind(&route.assigned_to)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        let e = &route.entry;
        let new_status = IncidentStatus::New;
        event(c, id, now, &e.actor, e.kind, new_status, e.to, &e.detail).await?;
    }
    Ok((id, changed))
}

async fn list(c: &mut PgConnection, filter: &IncidentFilter) -> StoreResult<Vec<Incident>> {
    if filter.counties.as_ref().is_some_and(|cs| cs.is_empty()) {
        return Ok(Vec::new());
    }
    let counties: Option<Vec<String>> = filter
        .counties
        .as_ref()
        .map(|cs| cs.iter().map(|c| c.trim().to_ascii_uppercase()).collect());
    let limit = if filter.limit > 0 {
        format!(" LIMIT {}", filter.limit)
    } else {
        String::new()
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM incidents
         WHERE ($1::text[] IS NULL OR county = ANY($1))
           AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR category = $3)
           AND (NOT $4 OR status NOT IN ('resolved', 'closed'))
         ORDER BY severity DESC, observed_at, id{limit}"
    )))
    .bind(counties)
    .bind(filter.status.map(|s| s.code()))
    .bind(filter.category.clone())
    .bind(filter.open_only)
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter().map(incident_of).collect()
}

async fn timeline(c: &mut PgConnection, id: i64) -> StoreResult<Vec<TimelineEntry>> {
    let rows = sqlx::query(
        "SELECT incident_id, at, actor, kind, from_status, to_status, detail
         FROM incident_events WHERE incident_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(TimelineEntry {
                incident_id: r.try_get(0).map_err(db)?,
                at: r.try_get(1).map_err(db)?,
                actor: r.try_get(2).map_err(db)?,
                kind: r.try_get(3).map_err(db)?,
                from_status: status_of(r.try_get::<&str, _>(4).map_err(db)?)?,
                to_status: status_of(r.try_get::<&str, _>(5).map_err(db)?)?,
                detail: r.try_get(6).map_err(db)?,
            })
        })
        .collect()
}

/// Locks one incident's row for the rest of the transaction and reads it (`None` when
/// there is no such incident).
async fn lock_incident(c: &mut PgConnection, id: i64) -> StoreResult<Option<Incident>> {
    let locked = sqlx::query("SELECT id FROM incidents WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
    if locked.is_none() {
        return Ok(None);
    }
    get(c, id).await
}

async fn act(
    c: &mut PgConnection,
    id: i64,
    actor: &str,
    action: &IncidentAction,
    now: DateTime<Utc>,
) -> StoreResult<Option<Incident>> {
    let Some(current) = lock_incident(c, id).await? else {
        return Ok(None);
    };
    let to = next_status(current.status, action, current.assigned_to.is_some())
        .map_err(|e| StoreError::Refused(e.to_string()))?;
    match action {
        IncidentAction::Triage {
            severity: Some(s), ..
        } => {
            sqlx::query("UPDATE incidents SET severity = $2 WHERE id = $1")
                .bind(id)
                .bind(s.rank())
                .execute(&mut *c)
                .await
                .map_err(db)?;
        }
        IncidentAction::Assign { to: user } => {
            let covers: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM incident_coverage WHERE user_name = $1 AND county = $2)",
            )
            .bind(user)
            .bind(&current.location.county)
            .fetch_one(&mut *c)
            .await
            .map_err(db)?;
            if !covers {
                return Err(StoreError::Refused(format!(
                    "{user} does not cover {}: give them the county first (votebase incidents cover {user} {})",
                    current.location.county, current.location.county
                )));
            }
            sqlx::query("UPDATE incidents SET assigned_to = $2 WHERE id = $1")
                .bind(id)
                .bind(user)
                .execute(&mut *c)
                .await
                .map_err(db)?;
        }
        IncidentAction::Resolve { resolution, .. } | IncidentAction::Close { resolution, .. } => {
            sqlx::query(
                "UPDATE incidents SET resolution = $2, resolved_at = COALESCE(resolved_at, $3)
                 WHERE id = $1",
            )
            .bind(id)
            .bind(resolution.code())
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(db)?;
        }
        IncidentAction::Reopen { .. } => {
            sqlx::query("UPDATE incidents SET resolution = NULL, resolved_at = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(db)?;
        }
        _ => {}
    }
    sqlx::query(
        "UPDATE incidents SET status = $2, last_touched_at = $3,
           first_action_at = CASE WHEN $4 THEN COALESCE(first_action_at, $3) ELSE first_action_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(to.code())
    .bind(now)
    .bind(actor != SYSTEM_ACTOR)
    .execute(&mut *c)
    .await
    .map_err(db)?;
    event(
        c,
        id,
        now,
        actor,
        action.kind(),
        current.status,
        to,
        &action.detail(),
    )
    .await?;
    get(c, id).await
}

async fn escalate_stale(
    c: &mut PgConnection,
    stale_minutes: i64,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Incident>> {
    let cutoff = now - Duration::minutes(stale_minutes);
    let stale: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, status::text FROM incidents
         WHERE status IN ('new', 'triaged', 'assigned') AND last_touched_at <= $1
         ORDER BY id FOR UPDATE",
    )
    .bind(cutoff)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(stale.len());
    for (id, status) in stale {
        let from = status_of(&status)?;
        // Guarded on the state read: with several servers, an incident another
        // transaction escalated (or touched) meanwhile is left alone, so it is escalated
        // once whatever runs the timer.
        let updated = sqlx::query(
            "UPDATE incidents SET status = 'escalated', last_touched_at = $2
             WHERE id = $1 AND status IN ('new', 'triaged', 'assigned') AND last_touched_at <= $3",
        )
        .bind(id)
        .bind(now)
        .bind(cutoff)
        .execute(&mut *c)
        .await
        .map_err(db)?;
        if updated.rows_affected() != 1 {
            continue;
        }
        event(
            c,
            id,
            now,
            SYSTEM_ACTOR,
            "escalated",
            from,
            IncidentStatus::Escalated,
            &stale_detail(stale_minutes),
        )
        .await?;
        if let Some(i) = get(c, id).await? {
            out.push(i);
        }
    }
    Ok(out)
}

const ATTACHMENT_COLUMNS: &str =
    "incident_id, n, sha256::text, content_type::text, size, uploaded_by::text, uploaded_at";

fn attachment_of(r: &PgRow) -> StoreResult<IncidentAttachment> {
    Ok(IncidentAttachment {
        incident_id: r.try_get(0).map_err(db)?,
        n: r.try_get(1).map_err(db)?,
        sha256: r.try_get(2).map_err(db)?,
        content_type: r.try_get(3).map_err(db)?,
        size: r.try_get(4).map_err(db)?,
        uploaded_by: r.try_get(5).map_err(db)?,
        uploaded_at: r.try_get(6).map_err(db)?,
    })
}

async fn attach(
    c: &mut PgConnection,
    id: i64,
    actor: &str,
    photo: &NewAttachment,
    now: DateTime<Utc>,
) -> StoreResult<Option<AttachOutcome>> {
    let Some(current) = lock_incident(c, id).await? else {
        return Ok(None);
    };
    let known = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM incident_attachments
         WHERE incident_id = $1 AND sha256 = $2"
    )))
    .bind(id)
    .bind(photo.sha256.clone())
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?;
    if let Some(row) = known {
        return Ok(Some(AttachOutcome {
            attachment: attachment_of(&row)?,
            created: false,
        }));
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(n), 0) + 1 FROM incident_attachments WHERE incident_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *c)
    .await
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
    sqlx::query(
        "INSERT INTO incident_attachments
           (incident_id, n, sha256, content_type, size, uploaded_by, uploaded_at, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(n)
    .bind(attachment.sha256.clone())
    .bind(attachment.content_type.clone())
    .bind(attachment.size)
    .bind(actor.to_string())
    .bind(now)
    .bind(photo.bytes.clone())
    .execute(&mut *c)
    .await
    .map_err(db)?;
    event(
        c,
        id,
        now,
        actor,
        "attachment",
        current.status,
        current.status,
        &attachment.timeline_detail(),
    )
    .await?;
    Ok(Some(AttachOutcome {
        attachment,
        created: true,
    }))
}

#[async_trait]
impl IncidentStore for PgStore {
    async fn create_incident(
        &self,
        intake: &PreparedIntake,
        now: DateTime<Utc>,
    ) -> StoreResult<IntakeOutcome> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        if let Some(key) = &intake.report.external_key {
            // Two retries at once: the second waits here, then finds the first's report.
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('incident-key:' || $1, 0))")
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            let known: Option<i64> =
                sqlx::query_scalar("SELECT id FROM incidents WHERE external_key = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            if let Some(id) = known {
                let incident = get(&mut tx, id)
                    .await?
                    .ok_or_else(|| StoreError::Database("incident vanished".into()))?;
                tx.commit().await.map_err(db)?;
                return Ok(IntakeOutcome {
                    incident,
                    changed: Vec::new(),
                    replayed: true,
                });
            }
        }
        let (id, changed) = self::intake(&mut tx, intake, now).await?;
        let incident = get(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Database("incident vanished after insert".into()))?;
        tx.commit().await.map_err(db)?;
        Ok(IntakeOutcome {
            incident,
            changed,
            replayed: false,
        })
    }

    async fn import_incidents(
        &self,
        rows: &[PreparedIntake],
        now: DateTime<Utc>,
    ) -> StoreResult<IncidentImportOutcome> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        sqlx::query("LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let mut out = IncidentImportOutcome::default();
        for row in rows {
            if let Some(key) = &row.report.external_key {
                let known: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM incidents WHERE external_key = $1)",
                )
                .bind(key)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
                if known {
                    out.known += 1;
                    continue;
                }
            }
            let (id, _) = intake(&mut tx, row, now).await?;
            out.created += 1;
            out.ids.push(id);
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn get_incident(&self, id: i64) -> StoreResult<Option<Incident>> {
        get(&mut *self.pool().acquire().await.map_err(db)?, id).await
    }

    async fn get_incidents(&self, ids: &[i64]) -> StoreResult<Vec<Incident>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM incidents WHERE id = ANY($1)"
        )))
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(incident_of).collect()
    }

    async fn incident_timeline(&self, id: i64) -> StoreResult<Vec<TimelineEntry>> {
        timeline(&mut *self.pool().acquire().await.map_err(db)?, id).await
    }

    async fn list_incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<Incident>> {
        list(&mut *self.pool().acquire().await.map_err(db)?, filter).await
    }

    async fn act_on_incident(
        &self,
        id: i64,
        actor: &str,
        action: &IncidentAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Incident>> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let out = act(&mut tx, id, actor, action, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn escalate_stale_incidents(
        &self,
        stale_minutes: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Incident>> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let out = escalate_stale(&mut tx, stale_minutes, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn voter_file_precincts(&self) -> StoreResult<Vec<(String, String, String)>> {
        sqlx::query_as(
            "SELECT DISTINCT county_name, precinct_code, precinct_name FROM voters
             WHERE present ORDER BY 1, 2, 3",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)
    }

    async fn set_coverage(
        &self,
        user_name: &str,
        counties: &[String],
        lead: bool,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        for county in counties {
            sqlx::query(
                "INSERT INTO incident_coverage (user_name, county, lead) VALUES ($1, $2, $3)
                 ON CONFLICT (user_name, county)
                 DO UPDATE SET lead = incident_coverage.lead OR EXCLUDED.lead",
            )
            .bind(user_name)
            .bind(county.trim().to_ascii_uppercase())
            .bind(lead)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn coverage(&self, user_name: Option<&str>) -> StoreResult<Vec<Coverage>> {
        let rows: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT user_name::text, county::text, lead FROM incident_coverage
             WHERE $1::text IS NULL OR user_name = $1 ORDER BY user_name, county",
        )
        .bind(user_name.map(|u| u.to_string()))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(user_name, county, lead)| Coverage {
                user_name,
                county,
                lead,
            })
            .collect())
    }

    async fn incident_rules(&self) -> StoreResult<TriageRules> {
        load_rules(&mut *self.pool().acquire().await.map_err(db)?).await
    }

    async fn put_incident_rules(&self, rules: &TriageRules) -> StoreResult<()> {
        rules.validate().map_err(StoreError::Refused)?;
        let json = serde_json::to_string(rules)
            .map_err(|e| StoreError::Database(format!("rules to JSON: {e}")))?;
        sqlx::query(
            "INSERT INTO incident_rules (id, rules_json) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET rules_json = EXCLUDED.rules_json",
        )
        .bind(json)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn attach_to_incident(
        &self,
        id: i64,
        actor: &str,
        photo: &NewAttachment,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AttachOutcome>> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let out = attach(&mut tx, id, actor, photo, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn incident_attachments(&self, id: i64) -> StoreResult<Vec<IncidentAttachment>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM incident_attachments WHERE incident_id = $1 ORDER BY n"
        )))
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(attachment_of).collect()
    }

    async fn incident_attachment(
        &self,
        id: i64,
        n: i64,
    ) -> StoreResult<Option<(IncidentAttachment, Vec<u8>)>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ATTACHMENT_COLUMNS}, bytes FROM incident_attachments
             WHERE incident_id = $1 AND n = $2"
        )))
        .bind(id)
        .bind(n)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((attachment_of(&r)?, r.try_get(7).map_err(db)?))),
        }
    }
}
