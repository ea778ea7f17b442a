//! The disinformation watch on PostgreSQL, SQL only: items written with the narrative the
//! application assigned (idempotent by source and source id), narratives' counts and
//! claim links kept up to date in the same transaction, claims, alerts (one per narrative,
//! kind and hour, their emails queued in the outbox in the same transaction, announced
//! to every server by migration 0017's trigger), the response workflow on the
//! append-only timeline, the hotline's `misinformation` incidents not yet linked, alert
//! subscriptions and election days.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};
use votebase_domain::disinfo::{
    Alert, AlertKind, Claim, ElectionDay, Item, MISINFORMATION_CATEGORY, Narrative,
    NarrativeAction, NarrativeEvent, NarrativeStatus, NewClaim, NewItem, Subscription, Verdict,
    next_narrative_status,
};
use votebase_store::disinfo::{
    ClaimImportOutcome, ClusterState, DisinfoStore, ItemImportOutcome, ItemNarrative, PendingAlert,
    UnlinkedReport,
};
use votebase_store::{StoreError, StoreResult};

fn status_of(code: &str) -> StoreResult<NarrativeStatus> {
    NarrativeStatus::parse(code)
        .ok_or_else(|| StoreError::Corrupt(format!("stored narrative status {code:?}")))
}

const NARRATIVE: &str = "SELECT n.id, n.items, n.first_seen, n.last_seen,
    COALESCE(inc.description, i.text, '') AS label, n.claim_id, n.claim_similarity, n.status,
    n.assigned_to
    FROM disinfo_narratives n
    LEFT JOIN disinfo_items i ON i.id = n.first_item
    LEFT JOIN incidents inc ON inc.id = i.incident_id";

fn narrative_of(r: &PgRow) -> StoreResult<Narrative> {
    Ok(Narrative {
        id: r.try_get(0).map_err(db)?,
        items: r.try_get(1).map_err(db)?,
        first_seen: r.try_get(2).map_err(db)?,
        last_seen: r.try_get(3).map_err(db)?,
        label: r.try_get(4).map_err(db)?,
        claim_id: r.try_get(5).map_err(db)?,
        claim_similarity: r.try_get(6).map_err(db)?,
        status: status_of(r.try_get::<&str, _>(7).map_err(db)?)?,
        assigned_to: r.try_get(8).map_err(db)?,
    })
}

const ITEM: &str = "SELECT i.id, i.source, i.source_id, COALESCE(inc.description, i.text) AS text,
    i.url, i.platform, i.author, i.posted_at, i.reach, i.incident_id, i.lang, i.narrative_id,
    i.claim_id, i.claim_similarity, i.places, i.screenshot_type IS NOT NULL AS shot
    FROM disinfo_items i LEFT JOIN incidents inc ON inc.id = i.incident_id";

fn item_of(r: &PgRow) -> StoreResult<Item> {
    let places: String = r.try_get(14).map_err(db)?;
    Ok(Item {
        id: r.try_get(0).map_err(db)?,
        source: r.try_get(1).map_err(db)?,
        source_id: r.try_get(2).map_err(db)?,
        text: r.try_get(3).map_err(db)?,
        url: r.try_get(4).map_err(db)?,
        platform: r.try_get(5).map_err(db)?,
        author: r.try_get(6).map_err(db)?,
        posted_at: r.try_get(7).map_err(db)?,
        reach: r.try_get(8).map_err(db)?,
        incident_id: r.try_get(9).map_err(db)?,
        lang: r.try_get(10).map_err(db)?,
        narrative_id: r.try_get(11).map_err(db)?,
        claim_id: r.try_get(12).map_err(db)?,
        claim_similarity: r.try_get(13).map_err(db)?,
        places: split_places(&places),
        has_screenshot: r.try_get(15).map_err(db)?,
    })
}

const ALERT_COLUMNS: &str =
    "id, narrative_id, hour, count, baseline, p_value, created_at, kind, counties";

const ALERT: &str = "SELECT id, narrative_id, hour, count, baseline, p_value, created_at, kind,
    counties FROM disinfo_alerts";

fn split_places(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

fn alert_of(r: &PgRow) -> StoreResult<Alert> {
    let kind: &str = r.try_get(7).map_err(db)?;
    Ok(Alert {
        id: r.try_get(0).map_err(db)?,
        narrative_id: r.try_get(1).map_err(db)?,
        kind: AlertKind::parse(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("stored alert kind {kind:?}")))?,
        hour: r.try_get(2).map_err(db)?,
        count: r.try_get(3).map_err(db)?,
        baseline: r.try_get(4).map_err(db)?,
        p_value: r.try_get(5).map_err(db)?,
        counties: split_places(r.try_get(8).map_err(db)?),
        created_at: r.try_get(6).map_err(db)?,
    })
}

async fn get_narrative(
    c: &mut PgConnection,
    id: i64,
    lock: bool,
) -> StoreResult<Option<Narrative>> {
    let sql = if lock {
        format!("{NARRATIVE} WHERE n.id = $1 FOR UPDATE OF n")
    } else {
        format!("{NARRATIVE} WHERE n.id = $1")
    };
    sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?
        .map(|r| narrative_of(&r))
        .transpose()
}

#[allow(clippy::too_many_arguments)]
async fn event(
    c: &mut PgConnection,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    from: NarrativeStatus,
    to: NarrativeStatus,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO disinfo_events (narrative_id, at, actor, kind, from_status, to_status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .bind(kind)
    .bind(from.code())
    .bind(to.code())
    .bind(detail)
    .execute(&mut *c)
    .await
    .map_err(db)?;
    Ok(())
}

async fn import_items(
    c: &mut PgConnection,
    items: &[NewItem],
    now: DateTime<Utc>,
) -> StoreResult<ItemImportOutcome> {
    // One writer of narratives at a time: two imports must not both create one id.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('votebase-disinfo-items', 0))")
        .execute(&mut *c)
        .await
        .map_err(db)?;
    let mut out = ItemImportOutcome::default();
    for it in items {
        let known: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM disinfo_items WHERE source = $1 AND source_id = $2)",
        )
        .bind(&it.source)
        .bind(&it.source_id)
        .fetch_one(&mut *c)
        .await
        .map_err(db)?;
        if known {
            out.known += 1;
            continue;
        }
        let created = sqlx::query(
            "INSERT INTO disinfo_narratives (id, items, first_seen, last_seen, status, created_at)
             VALUES ($1, 0, $2, $2, 'new', $3) ON CONFLICT (id) DO NOTHING",
        )
        .bind(it.narrative_id)
        .bind(it.posted_at)
        .bind(now)
        .execute(&mut *c)
        .await
        .map_err(db)?
        .rows_affected();
        if created == 0 && it.new_narrative {
            return Err(StoreError::Refused(format!(
                "narrative {} was created by another import meanwhile: nothing written, retry",
                it.narrative_id
            )));
        }
        if created == 1 {
            out.narratives_created += 1;
            event(
                c,
                it.narrative_id,
                now,
                "system",
                "created",
                NarrativeStatus::New,
                NarrativeStatus::New,
                &format!("first item {}:{}", it.source, it.source_id),
            )
            .await?;
        }
        let (claim_id, claim_sim) = it.claim.map_or((None, None), |(c, s)| (Some(c), Some(s)));
        let (shot_type, shot) = it
            .screenshot
            .as_ref()
            .map_or((None, None), |(t, b)| (Some(t.clone()), Some(b.clone())));
        let item_id: i64 = sqlx::query_scalar(
            "INSERT INTO disinfo_items (source, source_id, text, url, platform, author, posted_at,
                posted_hour, reach, incident_id, lang, narrative_id, representative, signature,
                claim_id, claim_similarity, places, screenshot_type, screenshot, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20)
             RETURNING id",
        )
        .bind(&it.source)
        .bind(&it.source_id)
        .bind(&it.text)
        .bind(&it.url)
        .bind(&it.platform)
        .bind(&it.author)
        .bind(it.posted_at)
        .bind(it.posted_at.timestamp().div_euclid(3600))
        .bind(it.reach)
        .bind(it.incident_id)
        .bind(&it.lang)
        .bind(it.narrative_id)
        .bind(it.representative)
        .bind(&it.signature)
        .bind(claim_id)
        .bind(claim_sim)
        .bind(it.places.join("|"))
        .bind(shot_type)
        .bind(shot)
        .bind(now)
        .fetch_one(&mut *c)
        .await
        .map_err(db)?;
        sqlx::query(
            "UPDATE disinfo_narratives SET items = items + 1,
                first_seen = LEAST(first_seen, $2), last_seen = GREATEST(last_seen, $2),
                first_item = COALESCE(first_item, $3),
                claim_id = CASE WHEN $5::float8 IS NOT NULL
                    AND (claim_similarity IS NULL OR $5::float8 > claim_similarity)
                    THEN $4 ELSE claim_id END,
                claim_similarity = CASE WHEN $5::float8 IS NOT NULL
                    AND (claim_similarity IS NULL OR $5::float8 > claim_similarity)
                    THEN $5::float8 ELSE claim_similarity END
             WHERE id = $1",
        )
        .bind(it.narrative_id)
        .bind(it.posted_at)
        .bind(item_id)
        .bind(claim_id)
        .bind(claim_sim)
        .execute(&mut *c)
        .await
        .map_err(db)?;
        out.created += 1;
    }
    Ok(out)
}

async fn act(
    c: &mut PgConnection,
    id: i64,
    actor: &str,
    action: &NarrativeAction,
    now: DateTime<Utc>,
) -> StoreResult<Option<Narrative>> {
    let Some(current) = get_narrative(c, id, true).await? else {
        return Ok(None);
    };
    let (to, kind, detail) =
        next_narrative_status(current.status, action).map_err(StoreError::Refused)?;
    if let NarrativeAction::Assign { .. } = action {
        sqlx::query("UPDATE disinfo_narratives SET status = $2, assigned_to = $3 WHERE id = $1")
            .bind(id)
            .bind(to.code())
            .bind(&detail)
            .execute(&mut *c)
            .await
            .map_err(db)?;
    } else {
        sqlx::query("UPDATE disinfo_narratives SET status = $2 WHERE id = $1")
            .bind(id)
            .bind(to.code())
            .execute(&mut *c)
            .await
            .map_err(db)?;
    }
    event(c, id, now, actor, kind, current.status, to, &detail).await?;
    get_narrative(c, id, false).await
}

async fn record_alerts(
    c: &mut PgConnection,
    alerts: &[PendingAlert],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Alert>> {
    let mut out = Vec::new();
    for PendingAlert { alert: a, emails } in alerts {
        let row = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO disinfo_alerts
               (narrative_id, kind, hour, count, baseline, p_value, counties, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (narrative_id, kind, hour) DO NOTHING
             RETURNING {ALERT_COLUMNS}"
        )))
        .bind(a.narrative_id)
        .bind(a.kind.code())
        .bind(a.hour)
        .bind(a.count)
        .bind(a.baseline)
        .bind(a.p_value)
        .bind(a.counties.join("|"))
        .bind(now)
        .fetch_optional(&mut *c)
        .await
        .map_err(db)?;
        let Some(row) = row else { continue };
        let status: String =
            sqlx::query_scalar("SELECT status FROM disinfo_narratives WHERE id = $1")
                .bind(a.narrative_id)
                .fetch_one(&mut *c)
                .await
                .map_err(db)?;
        let status = status_of(&status)?;
        event(
            c,
            a.narrative_id,
            now,
            "system",
            "alert",
            status,
            status,
            &a.describe(),
        )
        .await?;
        for e in emails {
            crate::people::enqueue(c, e).await?;
        }
        out.push(alert_of(&row)?);
    }
    Ok(out)
}

#[async_trait]
impl DisinfoStore for PgStore {
    async fn known_items(&self, keys: &[(String, String)]) -> StoreResult<Vec<(String, String)>> {
        let (sources, ids): (Vec<String>, Vec<String>) = keys.iter().cloned().unzip();
        let rows = sqlx::query(
            "SELECT k.s, k.i FROM unnest($1::text[], $2::text[]) AS k (s, i)
             WHERE EXISTS (SELECT 1 FROM disinfo_items d WHERE d.source = k.s AND d.source_id = k.i)",
        )
        .bind(sources)
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .collect()
    }

    async fn cluster_state(&self) -> StoreResult<ClusterState> {
        let max_narrative: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0)::BIGINT FROM disinfo_narratives")
                .fetch_one(self.pool())
                .await
                .map_err(db)?;
        let rows = sqlx::query(
            "SELECT narrative_id, signature FROM disinfo_items WHERE representative ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let representatives = rows
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .collect::<StoreResult<_>>()?;
        Ok(ClusterState {
            max_narrative,
            representatives,
        })
    }

    async fn import_items(
        &self,
        items: &[NewItem],
        now: DateTime<Utc>,
    ) -> StoreResult<ItemImportOutcome> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let out = import_items(&mut tx, items, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn list_narratives(&self, since: Option<DateTime<Utc>>) -> StoreResult<Vec<Narrative>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{NARRATIVE} WHERE ($1::timestamptz IS NULL OR n.last_seen >= $1)
             ORDER BY n.items DESC, n.id"
        )))
        .bind(since)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(narrative_of).collect()
    }

    async fn get_narrative(&self, id: i64) -> StoreResult<Option<Narrative>> {
        get_narrative(&mut *self.pool().acquire().await.map_err(db)?, id, false).await
    }

    async fn narrative_items(&self, id: i64, limit: i64) -> StoreResult<Vec<Item>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{ITEM} WHERE i.narrative_id = $1 ORDER BY i.posted_at, i.id
             LIMIT CASE WHEN $2 > 0 THEN $2 END"
        )))
        .bind(id)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(item_of).collect()
    }

    async fn item_narratives(&self) -> StoreResult<Vec<ItemNarrative>> {
        let rows =
            sqlx::query("SELECT source, source_id, narrative_id FROM disinfo_items ORDER BY id")
                .fetch_all(self.pool())
                .await
                .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(ItemNarrative {
                    source: r.try_get(0).map_err(db)?,
                    source_id: r.try_get(1).map_err(db)?,
                    narrative_id: r.try_get(2).map_err(db)?,
                })
            })
            .collect()
    }

    async fn narrative_hourly(&self, ids: Option<&[i64]>) -> StoreResult<Vec<(i64, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT narrative_id, posted_hour, COUNT(*)::BIGINT FROM disinfo_items
             WHERE ($1::bigint[] IS NULL OR narrative_id = ANY ($1))
             GROUP BY narrative_id, posted_hour ORDER BY narrative_id, posted_hour",
        )
        .bind(ids.map(<[i64]>::to_vec))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0).map_err(db)?,
                    r.try_get(1).map_err(db)?,
                    r.try_get(2).map_err(db)?,
                ))
            })
            .collect()
    }

    async fn item_screenshot(&self, item_id: i64) -> StoreResult<Option<(String, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT screenshot_type, screenshot FROM disinfo_items
             WHERE id = $1 AND screenshot IS NOT NULL",
        )
        .bind(item_id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        row.map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .transpose()
    }

    async fn record_alerts(
        &self,
        alerts: &[PendingAlert],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Alert>> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let out = record_alerts(&mut tx, alerts, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn list_alerts(&self) -> StoreResult<Vec<Alert>> {
        let rows = sqlx::query(AssertSqlSafe(format!("{ALERT} ORDER BY id")))
            .fetch_all(self.pool())
            .await
            .map_err(db)?;
        rows.iter().map(alert_of).collect()
    }

    async fn import_claims(&self, claims: &[NewClaim]) -> StoreResult<ClaimImportOutcome> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let mut out = ClaimImportOutcome::default();
        for c in claims {
            let n = sqlx::query(
                "INSERT INTO disinfo_claims (key, verdict, claim_en, claim_es, counter_en, counter_es, source)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&c.key)
            .bind(c.verdict.code())
            .bind(&c.claim_en)
            .bind(&c.claim_es)
            .bind(&c.counter_en)
            .bind(&c.counter_es)
            .bind(&c.source)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
            if n == 1 {
                out.created += 1;
            } else {
                out.known += 1;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn list_claims(&self) -> StoreResult<Vec<Claim>> {
        let rows = sqlx::query(
            "SELECT id, key, verdict, claim_en, claim_es, counter_en, counter_es, source
             FROM disinfo_claims ORDER BY id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                let verdict: String = r.try_get(2).map_err(db)?;
                Ok(Claim {
                    id: r.try_get(0).map_err(db)?,
                    claim: NewClaim {
                        key: r.try_get(1).map_err(db)?,
                        verdict: Verdict::parse(&verdict).ok_or_else(|| {
                            StoreError::Corrupt(format!("stored verdict {verdict:?}"))
                        })?,
                        claim_en: r.try_get(3).map_err(db)?,
                        claim_es: r.try_get(4).map_err(db)?,
                        counter_en: r.try_get(5).map_err(db)?,
                        counter_es: r.try_get(6).map_err(db)?,
                        source: r.try_get(7).map_err(db)?,
                    },
                })
            })
            .collect()
    }

    async fn act_on_narrative(
        &self,
        id: i64,
        actor: &str,
        action: &NarrativeAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Narrative>> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let out = act(&mut tx, id, actor, action, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn narrative_timeline(&self, id: i64) -> StoreResult<Vec<NarrativeEvent>> {
        let rows = sqlx::query(
            "SELECT id, narrative_id, at, actor, kind, from_status, to_status, detail
             FROM disinfo_events WHERE narrative_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(NarrativeEvent {
                    id: r.try_get(0).map_err(db)?,
                    narrative_id: r.try_get(1).map_err(db)?,
                    at: r.try_get(2).map_err(db)?,
                    actor: r.try_get(3).map_err(db)?,
                    kind: r.try_get(4).map_err(db)?,
                    from_status: status_of(r.try_get::<&str, _>(5).map_err(db)?)?,
                    to_status: status_of(r.try_get::<&str, _>(6).map_err(db)?)?,
                    detail: r.try_get(7).map_err(db)?,
                })
            })
            .collect()
    }

    async fn unlinked_misinformation(&self) -> StoreResult<Vec<UnlinkedReport>> {
        let rows = sqlx::query(
            "SELECT inc.id, inc.description, inc.observed_at, inc.county FROM incidents inc
             WHERE inc.category = $1
               AND NOT EXISTS (SELECT 1 FROM disinfo_items i WHERE i.incident_id = inc.id)
             ORDER BY inc.observed_at, inc.id",
        )
        .bind(MISINFORMATION_CATEGORY)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(UnlinkedReport {
                    incident_id: r.try_get(0).map_err(db)?,
                    description: r.try_get(1).map_err(db)?,
                    observed_at: r.try_get(2).map_err(db)?,
                    county: r.try_get(3).map_err(db)?,
                })
            })
            .collect()
    }

    async fn narrative_places(&self, ids: &[i64]) -> StoreResult<Vec<(i64, Vec<String>)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT narrative_id, places FROM disinfo_items
             WHERE narrative_id = ANY($1) AND places <> '' ORDER BY narrative_id",
        )
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        let mut out: Vec<(i64, Vec<String>)> = Vec::new();
        for (n, places) in rows {
            match out.last_mut() {
                Some((last, all)) if *last == n => all.extend(split_places(&places)),
                _ => out.push((n, split_places(&places))),
            }
        }
        for (_, all) in &mut out {
            all.sort();
            all.dedup();
        }
        Ok(out)
    }

    async fn disinfo_subscribe(
        &self,
        user: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let known: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE name = $1)")
            .bind(user)
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        if !known {
            return Err(StoreError::Refused(format!("no user {user:?}")));
        }
        Ok(sqlx::query(
            "INSERT INTO disinfo_subscriptions (user_name, email, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_name) DO UPDATE SET email = excluded.email
             WHERE disinfo_subscriptions.email <> excluded.email",
        )
        .bind(user)
        .bind(email)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected()
            == 1)
    }

    async fn disinfo_unsubscribe(&self, user: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query("DELETE FROM disinfo_subscriptions WHERE user_name = $1")
                .bind(user)
                .execute(self.pool())
                .await
                .map_err(db)?
                .rows_affected()
                == 1,
        )
    }

    async fn disinfo_subscriptions(&self) -> StoreResult<Vec<Subscription>> {
        let rows: Vec<(String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT user_name, email, created_at FROM disinfo_subscriptions ORDER BY user_name",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(user, email, created_at)| Subscription {
                user,
                email,
                created_at,
            })
            .collect())
    }

    async fn set_disinfo_election_day(&self, day: &ElectionDay) -> StoreResult<bool> {
        Ok(sqlx::query(
            "INSERT INTO disinfo_election_days (date, utc_offset_minutes) VALUES ($1, $2)
             ON CONFLICT (date) DO UPDATE SET utc_offset_minutes = excluded.utc_offset_minutes
             WHERE disinfo_election_days.utc_offset_minutes <> excluded.utc_offset_minutes",
        )
        .bind(day.date)
        .bind(day.utc_offset_minutes)
        .execute(self.pool())
        .await
        .map_err(db)?
        .rows_affected()
            == 1)
    }

    async fn remove_disinfo_election_day(&self, date: NaiveDate) -> StoreResult<bool> {
        Ok(
            sqlx::query("DELETE FROM disinfo_election_days WHERE date = $1")
                .bind(date)
                .execute(self.pool())
                .await
                .map_err(db)?
                .rows_affected()
                == 1,
        )
    }

    async fn disinfo_election_days(&self) -> StoreResult<Vec<ElectionDay>> {
        let rows: Vec<(NaiveDate, i32)> = sqlx::query_as(
            "SELECT date, utc_offset_minutes FROM disinfo_election_days ORDER BY date",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(date, utc_offset_minutes)| ElectionDay {
                date,
                utc_offset_minutes,
            })
            .collect())
    }
}
