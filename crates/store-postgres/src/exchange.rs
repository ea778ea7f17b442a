//! Suppressions, agreements, the exchange outbox and cursors on PostgreSQL
//! (`0019_exchange.sql`, `0020_exchange_ballots_signups.sql`: the outbox and the
//! automatic suppressions are written by triggers, in the transaction of the write that
//! publishes; outbox writers take one advisory lock so seqs are handed out in commit
//! order), and what was received with its provenance.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row};
use votebase_domain::exchange::{Agreement, NewSuppression, Signature, Suppression};
use votebase_store::exchange::{ExchangeCursor, ExchangeStore, OutboxRecord, ReceivedRecord};
use votebase_store::{StoreError, StoreResult};

const SELECT_SUPPRESSION: &str = "SELECT id, state_voter_id, phone, email, channel, reason, source,
    source_key, created_by, created_at, removed_at, removed_by FROM suppressions";

fn suppression_of(r: &PgRow) -> StoreResult<Suppression> {
    Ok(Suppression {
        id: r.try_get(0).map_err(db)?,
        entry: NewSuppression {
            state_voter_id: r.try_get(1).map_err(db)?,
            phone: r.try_get(2).map_err(db)?,
            email: r.try_get(3).map_err(db)?,
            channel: r.try_get(4).map_err(db)?,
            reason: r.try_get(5).map_err(db)?,
            source: r.try_get(6).map_err(db)?,
            source_key: r.try_get(7).map_err(db)?,
            created_by: r.try_get(8).map_err(db)?,
        },
        created_at: r.try_get(9).map_err(db)?,
        removed_at: r.try_get(10).map_err(db)?,
        removed_by: r.try_get(11).map_err(db)?,
    })
}

const SELECT_AGREEMENT: &str = "SELECT id, publisher, subscriber, terms, hash_key, proposed_by_org,
    proposed_by, proposed_at, publisher_approved_by, publisher_approved_at,
    subscriber_approved_by, subscriber_approved_at, ended_by, ended_at, ended_by_org
    FROM exchange_agreements";

fn signature(r: &PgRow, by: usize) -> StoreResult<Option<Signature>> {
    let who: Option<String> = r.try_get(by).map_err(db)?;
    let at: Option<DateTime<Utc>> = r.try_get(by + 1).map_err(db)?;
    Ok(who.zip(at).map(|(by, at)| Signature { by, at }))
}

fn agreement_of(r: &PgRow) -> StoreResult<Agreement> {
    let terms: String = r.try_get(3).map_err(db)?;
    Ok(Agreement {
        id: r.try_get(0).map_err(db)?,
        publisher: r.try_get(1).map_err(db)?,
        subscriber: r.try_get(2).map_err(db)?,
        terms: serde_json::from_str(&terms)
            .map_err(|e| StoreError::Corrupt(format!("agreement terms: {e}")))?,
        hash_key: r.try_get(4).map_err(db)?,
        proposed_by_org: r.try_get(5).map_err(db)?,
        proposed: Signature {
            by: r.try_get(6).map_err(db)?,
            at: r.try_get(7).map_err(db)?,
        },
        publisher_approval: signature(r, 8)?,
        subscriber_approval: signature(r, 10)?,
        ended: signature(r, 12)?,
        ended_by_org: r.try_get(14).map_err(db)?,
    })
}

const SELECT_CURSOR: &str = "SELECT agreement_id, publisher, last_seq, publisher_head, applied,
    skipped, updated_at FROM exchange_cursors WHERE agreement_id = $1 AND publisher = $2";

fn cursor_of(r: &PgRow) -> StoreResult<ExchangeCursor> {
    Ok(ExchangeCursor {
        agreement_id: r.try_get(0).map_err(db)?,
        publisher: r.try_get(1).map_err(db)?,
        last_seq: r.try_get(2).map_err(db)?,
        publisher_head: r.try_get(3).map_err(db)?,
        applied: r.try_get(4).map_err(db)?,
        skipped: r.try_get(5).map_err(db)?,
        updated_at: r.try_get(6).map_err(db)?,
    })
}

#[async_trait]
impl ExchangeStore for PgStore {
    async fn add_suppression(&self, e: &NewSuppression) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO suppressions (state_voter_id, phone, email, channel, reason, source,
               source_key, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
             ON CONFLICT (source, source_key) DO NOTHING",
        )
        .bind(&e.state_voter_id)
        .bind(&e.phone)
        .bind(&e.email)
        .bind(&e.channel)
        .bind(&e.reason)
        .bind(&e.source)
        .bind(&e.source_key)
        .bind(&e.created_by)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn suppressions(
        &self,
        limit: i64,
        include_removed: bool,
    ) -> StoreResult<Vec<Suppression>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT_SUPPRESSION} WHERE $1 OR removed_at IS NULL ORDER BY id DESC LIMIT $2"
        )))
        .bind(include_removed)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(suppression_of).collect()
    }

    async fn remove_suppression(&self, id: i64, by: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE suppressions SET removed_at = now(), removed_by = $2
             WHERE id = $1 AND removed_at IS NULL",
        )
        .bind(id)
        .bind(by)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn suppressed_voter_ids(&self) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT state_voter_id FROM suppressions
               WHERE removed_at IS NULL AND state_voter_id <> ''
             UNION SELECT v.state_voter_id FROM suppressions s
               JOIN voters v ON v.phone_e164 = s.phone
               WHERE s.removed_at IS NULL AND s.phone <> ''
             UNION SELECT p.state_voter_id FROM suppressions s
               JOIN voter_phones p ON p.phone_e164 = s.phone
               WHERE s.removed_at IS NULL AND s.phone <> ''
             UNION SELECT l.state_voter_id FROM suppressions s
               JOIN person_emails e ON e.email = s.email
               JOIN person_links l ON l.person_id = e.person_id
                 AND l.status IN ('linked', 'confirmed')
               WHERE s.removed_at IS NULL AND s.email <> ''
             ORDER BY 1",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)
    }

    async fn record_received(&self, records: &[ReceivedRecord]) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let now = Utc::now();
        let mut added = 0u64;
        for r in records {
            added += sqlx::query(
                "INSERT INTO exchange_received (source, source_key, dataset, state_voter_id,
                   item_key, summary, payload, published_at, received_at, received_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (source, source_key) DO NOTHING",
            )
            .bind(&r.source)
            .bind(&r.source_key)
            .bind(&r.dataset)
            .bind(&r.state_voter_id)
            .bind(&r.item_key)
            .bind(&r.summary)
            .bind(&r.payload)
            .bind(r.published_at)
            .bind(now)
            .bind(&r.received_by)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        }
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    async fn received_of_voter(&self, state_voter_id: &str) -> StoreResult<Vec<ReceivedRecord>> {
        let rows = sqlx::query(
            "SELECT source, source_key, dataset, state_voter_id, item_key, summary, payload,
               published_at, received_by
             FROM exchange_received WHERE state_voter_id = $1
             ORDER BY published_at DESC, source, source_key",
        )
        .bind(state_voter_id)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(ReceivedRecord {
                    source: r.try_get(0).map_err(db)?,
                    source_key: r.try_get(1).map_err(db)?,
                    dataset: r.try_get(2).map_err(db)?,
                    state_voter_id: r.try_get(3).map_err(db)?,
                    item_key: r.try_get(4).map_err(db)?,
                    summary: r.try_get(5).map_err(db)?,
                    payload: r.try_get(6).map_err(db)?,
                    published_at: r.try_get(7).map_err(db)?,
                    received_by: r.try_get(8).map_err(db)?,
                })
            })
            .collect()
    }

    async fn held_voter_ids(&self, ids: &[String]) -> StoreResult<Vec<String>> {
        sqlx::query_scalar(
            "SELECT DISTINCT state_voter_id FROM voters WHERE state_voter_id = ANY($1)
             ORDER BY 1",
        )
        .bind(ids)
        .fetch_all(self.pool())
        .await
        .map_err(db)
    }

    async fn put_agreement(&self, a: &Agreement) -> StoreResult<()> {
        let terms = serde_json::to_string(&a.terms)
            .map_err(|e| StoreError::Corrupt(format!("agreement terms: {e}")))?;
        let by = |s: &Option<Signature>| s.as_ref().map(|s| s.by.clone());
        let at = |s: &Option<Signature>| s.as_ref().map(|s| s.at);
        sqlx::query(
            "INSERT INTO exchange_agreements (id, publisher, subscriber, terms, hash_key,
               proposed_by_org, proposed_by, proposed_at, publisher_approved_by,
               publisher_approved_at, subscriber_approved_by, subscriber_approved_at,
               ended_by, ended_at, ended_by_org)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (id) DO UPDATE SET publisher = excluded.publisher,
               subscriber = excluded.subscriber, terms = excluded.terms,
               hash_key = excluded.hash_key, proposed_by_org = excluded.proposed_by_org,
               proposed_by = excluded.proposed_by, proposed_at = excluded.proposed_at,
               publisher_approved_by = excluded.publisher_approved_by,
               publisher_approved_at = excluded.publisher_approved_at,
               subscriber_approved_by = excluded.subscriber_approved_by,
               subscriber_approved_at = excluded.subscriber_approved_at,
               ended_by = excluded.ended_by, ended_at = excluded.ended_at,
               ended_by_org = excluded.ended_by_org",
        )
        .bind(&a.id)
        .bind(&a.publisher)
        .bind(&a.subscriber)
        .bind(terms)
        .bind(&a.hash_key)
        .bind(&a.proposed_by_org)
        .bind(&a.proposed.by)
        .bind(a.proposed.at)
        .bind(by(&a.publisher_approval))
        .bind(at(&a.publisher_approval))
        .bind(by(&a.subscriber_approval))
        .bind(at(&a.subscriber_approval))
        .bind(by(&a.ended))
        .bind(at(&a.ended))
        .bind(&a.ended_by_org)
        .execute(self.pool())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn agreement(&self, id: &str) -> StoreResult<Option<Agreement>> {
        sqlx::query(AssertSqlSafe(format!("{SELECT_AGREEMENT} WHERE id = $1")))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(agreement_of)
            .transpose()
    }

    async fn agreements(&self) -> StoreResult<Vec<Agreement>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SELECT_AGREEMENT} ORDER BY proposed_at DESC, id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(agreement_of).collect()
    }

    async fn outbox_after(
        &self,
        after_seq: i64,
        datasets: &[String],
        limit: i64,
    ) -> StoreResult<Vec<OutboxRecord>> {
        let rows: Vec<(i64, String, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT seq, dataset, state_voter_id, payload, recorded_at FROM exchange_outbox
             WHERE seq > $1 AND dataset = ANY($2) ORDER BY seq LIMIT $3",
        )
        .bind(after_seq)
        .bind(datasets)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, dataset, state_voter_id, payload, recorded_at)| OutboxRecord {
                    seq,
                    dataset,
                    state_voter_id,
                    payload,
                    recorded_at,
                },
            )
            .collect())
    }

    async fn outbox_head(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM exchange_outbox")
            .fetch_one(self.pool())
            .await
            .map_err(db)
    }

    async fn exchange_cursor(
        &self,
        agreement_id: &str,
        publisher: &str,
    ) -> StoreResult<Option<ExchangeCursor>> {
        sqlx::query(SELECT_CURSOR)
            .bind(agreement_id)
            .bind(publisher)
            .fetch_optional(self.pool())
            .await
            .map_err(db)?
            .as_ref()
            .map(cursor_of)
            .transpose()
    }

    async fn advance_cursor(
        &self,
        agreement_id: &str,
        publisher: &str,
        last_seq: i64,
        publisher_head: i64,
        applied: i64,
        skipped: i64,
    ) -> StoreResult<ExchangeCursor> {
        let row = sqlx::query(
            "INSERT INTO exchange_cursors AS c (agreement_id, publisher, last_seq, publisher_head,
               applied, skipped, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, now())
             ON CONFLICT (agreement_id, publisher) DO UPDATE SET
               last_seq = GREATEST(c.last_seq, excluded.last_seq),
               publisher_head = GREATEST(c.publisher_head, excluded.publisher_head),
               applied = c.applied + excluded.applied,
               skipped = c.skipped + excluded.skipped,
               updated_at = excluded.updated_at
             RETURNING agreement_id, publisher, last_seq, publisher_head, applied, skipped,
               updated_at",
        )
        .bind(agreement_id)
        .bind(publisher)
        .bind(last_seq)
        .bind(publisher_head)
        .bind(applied)
        .bind(skipped)
        .fetch_one(self.pool())
        .await
        .map_err(db)?;
        cursor_of(&row)
    }
}
