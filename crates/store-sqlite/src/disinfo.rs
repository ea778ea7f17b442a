//! The disinformation watch on SQLite, SQL only: items written with the narrative the
//! application assigned (idempotent by source and source id), narratives' counts and
//! claim links kept up to date in the same transaction, claims, alerts (one per narrative,
//! kind and hour, their emails queued in the outbox in the same transaction), the
//! response workflow on the append-only timeline, the hotline's `misinformation`
//! incidents not yet linked, alert subscriptions and election days. Times are
//! fixed-width UTC text.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
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

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn conv<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(conv)
}

fn status_of(code: &str) -> rusqlite::Result<NarrativeStatus> {
    NarrativeStatus::parse(code).ok_or_else(|| conv(format!("stored narrative status {code:?}")))
}

const NARRATIVE: &str = "SELECT n.id, n.items, n.first_seen, n.last_seen,
    COALESCE(inc.description, i.text, ''), n.claim_id, n.claim_similarity, n.status, n.assigned_to
    FROM disinfo_narratives n
    LEFT JOIN disinfo_items i ON i.id = n.first_item
    LEFT JOIN incidents inc ON inc.id = i.incident_id";

fn narrative_of(r: &Row) -> rusqlite::Result<Narrative> {
    Ok(Narrative {
        id: r.get(0)?,
        items: r.get(1)?,
        first_seen: parse_ts(&r.get::<_, String>(2)?)?,
        last_seen: parse_ts(&r.get::<_, String>(3)?)?,
        label: r.get(4)?,
        claim_id: r.get(5)?,
        claim_similarity: r.get(6)?,
        status: status_of(&r.get::<_, String>(7)?)?,
        assigned_to: r.get(8)?,
    })
}

const ITEM: &str = "SELECT i.id, i.source, i.source_id, COALESCE(inc.description, i.text), i.url,
    i.platform, i.author, i.posted_at, i.reach, i.incident_id, i.lang, i.narrative_id,
    i.claim_id, i.claim_similarity, i.places, i.screenshot_type IS NOT NULL
    FROM disinfo_items i LEFT JOIN incidents inc ON inc.id = i.incident_id";

fn item_of(r: &Row) -> rusqlite::Result<Item> {
    let places: String = r.get(14)?;
    Ok(Item {
        id: r.get(0)?,
        source: r.get(1)?,
        source_id: r.get(2)?,
        text: r.get(3)?,
        url: r.get(4)?,
        platform: r.get(5)?,
        author: r.get(6)?,
        posted_at: parse_ts(&r.get::<_, String>(7)?)?,
        reach: r.get(8)?,
        incident_id: r.get(9)?,
        lang: r.get(10)?,
        narrative_id: r.get(11)?,
        claim_id: r.get(12)?,
        claim_similarity: r.get(13)?,
        places: split_places(&places),
        has_screenshot: r.get(15)?,
    })
}

/// Places are stored joined by `|` (a character no place name holds).
pub(crate) fn split_places(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

const ALERT: &str = "SELECT id, narrative_id, hour, count, baseline, p_value, created_at, kind,
    counties FROM disinfo_alerts";

fn alert_of(r: &Row) -> rusqlite::Result<Alert> {
    let kind: String = r.get(7)?;
    Ok(Alert {
        id: r.get(0)?,
        narrative_id: r.get(1)?,
        kind: AlertKind::parse(&kind).ok_or_else(|| conv(format!("stored alert kind {kind:?}")))?,
        hour: parse_ts(&r.get::<_, String>(2)?)?,
        count: r.get(3)?,
        baseline: r.get(4)?,
        p_value: r.get(5)?,
        counties: split_places(&r.get::<_, String>(8)?),
        created_at: parse_ts(&r.get::<_, String>(6)?)?,
    })
}

fn get_narrative(c: &Connection, id: i64) -> StoreResult<Option<Narrative>> {
    c.query_row(&format!("{NARRATIVE} WHERE n.id = ?1"), [id], narrative_of)
        .optional()
        .map_err(db)
}

#[allow(clippy::too_many_arguments)]
fn event(
    tx: &Transaction,
    id: i64,
    at: DateTime<Utc>,
    actor: &str,
    kind: &str,
    from: NarrativeStatus,
    to: NarrativeStatus,
    detail: &str,
) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO disinfo_events (narrative_id, at, actor, kind, from_status, to_status, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, ts(at), actor, kind, from.code(), to.code(), detail],
    )
    .map_err(db)?;
    Ok(())
}

fn import_items(
    conn: &mut Connection,
    items: &[NewItem],
    now: DateTime<Utc>,
) -> StoreResult<ItemImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut out = ItemImportOutcome::default();
    for it in items {
        let known: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM disinfo_items WHERE source = ?1 AND source_id = ?2)",
                params![it.source, it.source_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        if known {
            out.known += 1;
            continue;
        }
        let posted = ts(it.posted_at);
        let created = tx
            .execute(
                "INSERT INTO disinfo_narratives (id, items, first_seen, last_seen, status, created_at)
                 VALUES (?1, 0, ?2, ?2, 'new', ?3) ON CONFLICT (id) DO NOTHING",
                params![it.narrative_id, posted, ts(now)],
            )
            .map_err(db)?;
        if created == 0 && it.new_narrative {
            return Err(StoreError::Refused(format!(
                "narrative {} was created by another import meanwhile: nothing written, retry",
                it.narrative_id
            )));
        }
        if created == 1 {
            out.narratives_created += 1;
            event(
                &tx,
                it.narrative_id,
                now,
                "system",
                "created",
                NarrativeStatus::New,
                NarrativeStatus::New,
                &format!("first item {}:{}", it.source, it.source_id),
            )?;
        }
        let (claim_id, claim_sim) = it.claim.map_or((None, None), |(c, s)| (Some(c), Some(s)));
        let (shot_type, shot) = it.screenshot.as_ref().map_or((None, None), |(t, b)| {
            (Some(t.as_str()), Some(b.as_slice()))
        });
        tx.execute(
            "INSERT INTO disinfo_items (source, source_id, text, url, platform, author, posted_at,
                posted_hour, reach, incident_id, lang, narrative_id, representative, signature,
                claim_id, claim_similarity, places, screenshot_type, screenshot, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20)",
            params![
                it.source,
                it.source_id,
                it.text,
                it.url,
                it.platform,
                it.author,
                posted,
                it.posted_at.timestamp().div_euclid(3600),
                it.reach,
                it.incident_id,
                it.lang,
                it.narrative_id,
                it.representative,
                it.signature,
                claim_id,
                claim_sim,
                it.places.join("|"),
                shot_type,
                shot,
                ts(now),
            ],
        )
        .map_err(db)?;
        let item_id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE disinfo_narratives SET items = items + 1,
                first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?2),
                first_item = COALESCE(first_item, ?3),
                claim_id = CASE WHEN ?5 IS NOT NULL AND (claim_similarity IS NULL OR ?5 > claim_similarity)
                    THEN ?4 ELSE claim_id END,
                claim_similarity = CASE WHEN ?5 IS NOT NULL AND (claim_similarity IS NULL OR ?5 > claim_similarity)
                    THEN ?5 ELSE claim_similarity END
             WHERE id = ?1",
            params![it.narrative_id, posted, item_id, claim_id, claim_sim],
        )
        .map_err(db)?;
        out.created += 1;
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn cluster_state(c: &Connection) -> StoreResult<ClusterState> {
    let max_narrative: i64 = c
        .query_row(
            "SELECT COALESCE(MAX(id), 0) FROM disinfo_narratives",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    let mut stmt = c
        .prepare(
            "SELECT narrative_id, signature FROM disinfo_items WHERE representative = 1 ORDER BY id",
        )
        .map_err(db)?;
    let representatives = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?;
    Ok(ClusterState {
        max_narrative,
        representatives,
    })
}

fn act(
    conn: &mut Connection,
    id: i64,
    actor: &str,
    action: &NarrativeAction,
    now: DateTime<Utc>,
) -> StoreResult<Option<Narrative>> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let Some(current) = get_narrative(&tx, id)? else {
        return Ok(None);
    };
    let (to, kind, detail) =
        next_narrative_status(current.status, action).map_err(StoreError::Refused)?;
    if let NarrativeAction::Assign { .. } = action {
        tx.execute(
            "UPDATE disinfo_narratives SET status = ?2, assigned_to = ?3 WHERE id = ?1",
            params![id, to.code(), detail],
        )
        .map_err(db)?;
    } else {
        tx.execute(
            "UPDATE disinfo_narratives SET status = ?2 WHERE id = ?1",
            params![id, to.code()],
        )
        .map_err(db)?;
    }
    event(&tx, id, now, actor, kind, current.status, to, &detail)?;
    let out = get_narrative(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(out)
}

fn record_alerts(
    conn: &mut Connection,
    alerts: &[PendingAlert],
    now: DateTime<Utc>,
) -> StoreResult<Vec<Alert>> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut out = Vec::new();
    for PendingAlert { alert: a, emails } in alerts {
        let n = tx
            .execute(
                "INSERT INTO disinfo_alerts
                   (narrative_id, kind, hour, count, baseline, p_value, counties, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (narrative_id, kind, hour) DO NOTHING",
                params![
                    a.narrative_id,
                    a.kind.code(),
                    ts(a.hour),
                    a.count,
                    a.baseline,
                    a.p_value,
                    a.counties.join("|"),
                    ts(now)
                ],
            )
            .map_err(db)?;
        if n == 0 {
            continue;
        }
        let id = tx.last_insert_rowid();
        let status: String = tx
            .query_row(
                "SELECT status FROM disinfo_narratives WHERE id = ?1",
                [a.narrative_id],
                |r| r.get(0),
            )
            .map_err(db)?;
        let status = status_of(&status).map_err(db)?;
        event(
            &tx,
            a.narrative_id,
            now,
            "system",
            "alert",
            status,
            status,
            &a.describe(),
        )?;
        for e in emails {
            crate::people::enqueue(&tx, e)?;
        }
        out.push(
            tx.query_row(&format!("{ALERT} WHERE id = ?1"), [id], alert_of)
                .map_err(db)?,
        );
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn narrative_places(c: &Connection, ids: &[i64]) -> StoreResult<Vec<(i64, Vec<String>)>> {
    let json = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let mut stmt = c
        .prepare(
            "SELECT DISTINCT narrative_id, places FROM disinfo_items
             WHERE narrative_id IN (SELECT value FROM json_each(?1)) AND places <> ''
             ORDER BY narrative_id",
        )
        .map_err(db)?;
    let rows: Vec<(i64, String)> = stmt
        .query_map([json], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?
        .collect::<Result<_, _>>()
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

fn import_claims(conn: &mut Connection, claims: &[NewClaim]) -> StoreResult<ClaimImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut out = ClaimImportOutcome::default();
    for c in claims {
        let n = tx
            .execute(
                "INSERT INTO disinfo_claims (key, verdict, claim_en, claim_es, counter_en, counter_es, source)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO NOTHING",
                params![
                    c.key,
                    c.verdict.code(),
                    c.claim_en,
                    c.claim_es,
                    c.counter_en,
                    c.counter_es,
                    c.source
                ],
            )
            .map_err(db)?;
        if n == 1 {
            out.created += 1;
        } else {
            out.known += 1;
        }
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

fn list_claims(c: &Connection) -> StoreResult<Vec<Claim>> {
    let mut stmt = c
        .prepare(
            "SELECT id, key, verdict, claim_en, claim_es, counter_en, counter_es, source
             FROM disinfo_claims ORDER BY id",
        )
        .map_err(db)?;
    stmt.query_map([], |r| {
        let verdict: String = r.get(2)?;
        Ok(Claim {
            id: r.get(0)?,
            claim: NewClaim {
                key: r.get(1)?,
                verdict: Verdict::parse(&verdict)
                    .ok_or_else(|| conv(format!("stored verdict {verdict:?}")))?,
                claim_en: r.get(3)?,
                claim_es: r.get(4)?,
                counter_en: r.get(5)?,
                counter_es: r.get(6)?,
                source: r.get(7)?,
            },
        })
    })
    .map_err(db)?
    .collect::<Result<_, _>>()
    .map_err(db)
}

fn hourly(c: &Connection, ids: Option<Vec<i64>>) -> StoreResult<Vec<(i64, i64, i64)>> {
    let sql = "SELECT narrative_id, posted_hour, COUNT(*) FROM disinfo_items
               WHERE (?1 IS NULL OR narrative_id IN (SELECT value FROM json_each(?1)))
               GROUP BY narrative_id, posted_hour ORDER BY narrative_id, posted_hour";
    let json = ids.map(|v| {
        format!(
            "[{}]",
            v.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        )
    });
    let mut stmt = c.prepare(sql).map_err(db)?;
    stmt.query_map([json], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)
}

#[async_trait]
impl DisinfoStore for SqliteStore {
    async fn known_items(&self, keys: &[(String, String)]) -> StoreResult<Vec<(String, String)>> {
        let keys = keys.to_vec();
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM disinfo_items WHERE source = ?1 AND source_id = ?2)",
                )
                .map_err(db)?;
            let mut out = Vec::new();
            for (s, id) in keys {
                let known: bool = stmt.query_row(params![s, id], |r| r.get(0)).map_err(db)?;
                if known {
                    out.push((s, id));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn cluster_state(&self) -> StoreResult<ClusterState> {
        self.with_conn(|c| cluster_state(c)).await
    }

    async fn import_items(
        &self,
        items: &[NewItem],
        now: DateTime<Utc>,
    ) -> StoreResult<ItemImportOutcome> {
        let items = items.to_vec();
        self.with_conn(move |c| import_items(c, &items, now)).await
    }

    async fn list_narratives(&self, since: Option<DateTime<Utc>>) -> StoreResult<Vec<Narrative>> {
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "{NARRATIVE} WHERE (?1 IS NULL OR n.last_seen >= ?1) ORDER BY n.items DESC, n.id"
                ))
                .map_err(db)?;
            stmt.query_map([since.map(ts)], narrative_of)
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)
        })
        .await
    }

    async fn get_narrative(&self, id: i64) -> StoreResult<Option<Narrative>> {
        self.with_conn(move |c| get_narrative(c, id)).await
    }

    async fn narrative_items(&self, id: i64, limit: i64) -> StoreResult<Vec<Item>> {
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "{ITEM} WHERE i.narrative_id = ?1 ORDER BY i.posted_at, i.id
                     LIMIT CASE WHEN ?2 > 0 THEN ?2 ELSE -1 END"
                ))
                .map_err(db)?;
            stmt.query_map(params![id, limit], item_of)
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)
        })
        .await
    }

    async fn item_narratives(&self) -> StoreResult<Vec<ItemNarrative>> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare("SELECT source, source_id, narrative_id FROM disinfo_items ORDER BY id")
                .map_err(db)?;
            stmt.query_map([], |r| {
                Ok(ItemNarrative {
                    source: r.get(0)?,
                    source_id: r.get(1)?,
                    narrative_id: r.get(2)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)
        })
        .await
    }

    async fn narrative_hourly(&self, ids: Option<&[i64]>) -> StoreResult<Vec<(i64, i64, i64)>> {
        let ids = ids.map(<[i64]>::to_vec);
        self.with_conn(move |c| hourly(c, ids)).await
    }

    async fn item_screenshot(&self, item_id: i64) -> StoreResult<Option<(String, Vec<u8>)>> {
        self.with_conn(move |c| {
            c.query_row(
                "SELECT screenshot_type, screenshot FROM disinfo_items
                 WHERE id = ?1 AND screenshot IS NOT NULL",
                [item_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn record_alerts(
        &self,
        alerts: &[PendingAlert],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Alert>> {
        let alerts = alerts.to_vec();
        self.with_conn(move |c| record_alerts(c, &alerts, now))
            .await
    }

    async fn list_alerts(&self) -> StoreResult<Vec<Alert>> {
        self.with_conn(|c| {
            let mut stmt = c.prepare(&format!("{ALERT} ORDER BY id")).map_err(db)?;
            stmt.query_map([], alert_of)
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)
        })
        .await
    }

    async fn import_claims(&self, claims: &[NewClaim]) -> StoreResult<ClaimImportOutcome> {
        let claims = claims.to_vec();
        self.with_conn(move |c| import_claims(c, &claims)).await
    }

    async fn list_claims(&self) -> StoreResult<Vec<Claim>> {
        self.with_conn(|c| list_claims(c)).await
    }

    async fn act_on_narrative(
        &self,
        id: i64,
        actor: &str,
        action: &NarrativeAction,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Narrative>> {
        let (actor, action) = (actor.to_string(), action.clone());
        self.with_conn(move |c| act(c, id, &actor, &action, now))
            .await
    }

    async fn narrative_timeline(&self, id: i64) -> StoreResult<Vec<NarrativeEvent>> {
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT id, narrative_id, at, actor, kind, from_status, to_status, detail
                     FROM disinfo_events WHERE narrative_id = ?1 ORDER BY id",
                )
                .map_err(db)?;
            stmt.query_map([id], |r| {
                Ok(NarrativeEvent {
                    id: r.get(0)?,
                    narrative_id: r.get(1)?,
                    at: parse_ts(&r.get::<_, String>(2)?)?,
                    actor: r.get(3)?,
                    kind: r.get(4)?,
                    from_status: status_of(&r.get::<_, String>(5)?)?,
                    to_status: status_of(&r.get::<_, String>(6)?)?,
                    detail: r.get(7)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)
        })
        .await
    }

    async fn unlinked_misinformation(&self) -> StoreResult<Vec<UnlinkedReport>> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT inc.id, inc.description, inc.observed_at, inc.county FROM incidents inc
                     WHERE inc.category = ?1
                       AND NOT EXISTS (SELECT 1 FROM disinfo_items i WHERE i.incident_id = inc.id)
                     ORDER BY inc.observed_at, inc.id",
                )
                .map_err(db)?;
            stmt.query_map([MISINFORMATION_CATEGORY], |r| {
                Ok(UnlinkedReport {
                    incident_id: r.get(0)?,
                    description: r.get(1)?,
                    observed_at: parse_ts(&r.get::<_, String>(2)?)?,
                    county: r.get(3)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)
        })
        .await
    }

    async fn narrative_places(&self, ids: &[i64]) -> StoreResult<Vec<(i64, Vec<String>)>> {
        let ids = ids.to_vec();
        self.with_conn(move |c| narrative_places(c, &ids)).await
    }

    async fn disinfo_subscribe(
        &self,
        user: &str,
        email: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (user, email) = (user.to_string(), email.to_string());
        self.with_conn(move |c| {
            let known: bool = c
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                    [&user],
                    |r| r.get(0),
                )
                .map_err(db)?;
            if !known {
                return Err(StoreError::Refused(format!("no user {user:?}")));
            }
            Ok(c.execute(
                "INSERT INTO disinfo_subscriptions (user_name, email, created_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_name) DO UPDATE SET email = excluded.email
                 WHERE disinfo_subscriptions.email <> excluded.email",
                params![user, email, ts(now)],
            )
            .map_err(db)?
                == 1)
        })
        .await
    }

    async fn disinfo_unsubscribe(&self, user: &str) -> StoreResult<bool> {
        let user = user.to_string();
        self.with_conn(move |c| {
            Ok(c.execute(
                "DELETE FROM disinfo_subscriptions WHERE user_name = ?1",
                [user],
            )
            .map_err(db)?
                == 1)
        })
        .await
    }

    async fn disinfo_subscriptions(&self) -> StoreResult<Vec<Subscription>> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT user_name, email, created_at FROM disinfo_subscriptions
                     ORDER BY user_name",
                )
                .map_err(db)?;
            stmt.query_map([], |r| {
                Ok(Subscription {
                    user: r.get(0)?,
                    email: r.get(1)?,
                    created_at: parse_ts(&r.get::<_, String>(2)?)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)
        })
        .await
    }

    async fn set_disinfo_election_day(&self, day: &ElectionDay) -> StoreResult<bool> {
        let day = *day;
        self.with_conn(move |c| {
            Ok(c.execute(
                "INSERT INTO disinfo_election_days (date, utc_offset_minutes) VALUES (?1, ?2)
                 ON CONFLICT (date) DO UPDATE SET utc_offset_minutes = excluded.utc_offset_minutes
                 WHERE disinfo_election_days.utc_offset_minutes <> excluded.utc_offset_minutes",
                params![day.date.to_string(), day.utc_offset_minutes],
            )
            .map_err(db)?
                == 1)
        })
        .await
    }

    async fn remove_disinfo_election_day(&self, date: NaiveDate) -> StoreResult<bool> {
        self.with_conn(move |c| {
            Ok(c.execute(
                "DELETE FROM disinfo_election_days WHERE date = ?1",
                [date.to_string()],
            )
            .map_err(db)?
                == 1)
        })
        .await
    }

    async fn disinfo_election_days(&self) -> StoreResult<Vec<ElectionDay>> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare("SELECT date, utc_offset_minutes FROM disinfo_election_days ORDER BY date")
                .map_err(db)?;
            stmt.query_map([], |r| {
                let date: String = r.get(0)?;
                Ok(ElectionDay {
                    date: date.parse().map_err(conv)?,
                    utc_offset_minutes: r.get(1)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)
        })
        .await
    }
}
