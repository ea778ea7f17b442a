//! Suppressions, agreements, the exchange outbox and cursors on SQLite
//! (`0019_exchange.sql`, `0020_exchange_ballots_signups.sql`: the outbox and the
//! automatic suppressions are written by triggers, in the transaction of the write that
//! publishes), and what was received with its provenance.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use votebase_domain::exchange::{Agreement, NewSuppression, Signature, Suppression};
use votebase_store::exchange::{ExchangeCursor, ExchangeStore, OutboxRecord, ReceivedRecord};
use votebase_store::{StoreError, StoreResult};

fn time(text: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("exchange time {text:?}: {e}")))
}

fn opt_time(text: Option<String>) -> StoreResult<Option<DateTime<Utc>>> {
    text.as_deref().map(time).transpose()
}

fn signature(by: Option<String>, at: Option<String>) -> StoreResult<Option<Signature>> {
    Ok(match (by, opt_time(at)?) {
        (Some(by), Some(at)) => Some(Signature { by, at }),
        _ => None,
    })
}

const SELECT_SUPPRESSION: &str = "SELECT id, state_voter_id, phone, email, channel, reason, source,
    source_key, created_by, created_at, removed_at, removed_by FROM suppressions";

type SuppressionRow = (NewSuppression, i64, String, Option<String>, Option<String>);

fn suppression_row(r: &Row<'_>) -> rusqlite::Result<SuppressionRow> {
    Ok((
        NewSuppression {
            state_voter_id: r.get(1)?,
            phone: r.get(2)?,
            email: r.get(3)?,
            channel: r.get(4)?,
            reason: r.get(5)?,
            source: r.get(6)?,
            source_key: r.get(7)?,
            created_by: r.get(8)?,
        },
        r.get(0)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

const SELECT_AGREEMENT: &str = "SELECT id, publisher, subscriber, terms, hash_key, proposed_by_org,
    proposed_by, proposed_at, publisher_approved_by, publisher_approved_at,
    subscriber_approved_by, subscriber_approved_at, ended_by, ended_at, ended_by_org
    FROM exchange_agreements";

type AgreementRow = [Option<String>; 15];

fn agreement_row(r: &Row<'_>) -> rusqlite::Result<AgreementRow> {
    let mut out: AgreementRow = Default::default();
    for (i, cell) in out.iter_mut().enumerate() {
        *cell = r.get(i)?;
    }
    Ok(out)
}

fn agreement_of(row: AgreementRow) -> StoreResult<Agreement> {
    let [
        id,
        publisher,
        subscriber,
        terms,
        hash_key,
        proposed_by_org,
        proposed_by,
        proposed_at,
        pub_by,
        pub_at,
        sub_by,
        sub_at,
        end_by,
        end_at,
        ended_by_org,
    ] = row;
    let terms = serde_json::from_str(terms.as_deref().unwrap_or_default())
        .map_err(|e| StoreError::Corrupt(format!("agreement terms: {e}")))?;
    Ok(Agreement {
        id: id.unwrap_or_default(),
        publisher: publisher.unwrap_or_default(),
        subscriber: subscriber.unwrap_or_default(),
        terms,
        hash_key: hash_key.unwrap_or_default(),
        proposed_by_org: proposed_by_org.unwrap_or_default(),
        proposed: Signature {
            by: proposed_by.unwrap_or_default(),
            at: time(proposed_at.as_deref().unwrap_or_default())?,
        },
        publisher_approval: signature(pub_by, pub_at)?,
        subscriber_approval: signature(sub_by, sub_at)?,
        ended: signature(end_by, end_at)?,
        ended_by_org,
    })
}

fn cursor_row(r: &Row<'_>) -> rusqlite::Result<(ExchangeCursor, String)> {
    Ok((
        ExchangeCursor {
            agreement_id: r.get(0)?,
            publisher: r.get(1)?,
            last_seq: r.get(2)?,
            publisher_head: r.get(3)?,
            applied: r.get(4)?,
            skipped: r.get(5)?,
            updated_at: Utc::now(),
        },
        r.get(6)?,
    ))
}

const SELECT_CURSOR: &str = "SELECT agreement_id, publisher, last_seq, publisher_head, applied,
    skipped, updated_at FROM exchange_cursors WHERE agreement_id = ?1 AND publisher = ?2";

#[async_trait]
impl ExchangeStore for SqliteStore {
    async fn add_suppression(&self, entry: &NewSuppression) -> StoreResult<bool> {
        let e = entry.clone();
        self.with_conn(move |c| {
            let n = c
                .execute(
                    "INSERT INTO suppressions (state_voter_id, phone, email, channel, reason, source,
                       source_key, created_at, created_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (source, source_key) DO NOTHING",
                    params![
                        e.state_voter_id,
                        e.phone,
                        e.email,
                        e.channel,
                        e.reason,
                        e.source,
                        e.source_key,
                        Utc::now().to_rfc3339(),
                        e.created_by
                    ],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn suppressions(
        &self,
        limit: i64,
        include_removed: bool,
    ) -> StoreResult<Vec<Suppression>> {
        self.with_conn(move |c| {
            let sql = format!(
                "{SELECT_SUPPRESSION} WHERE ?1 OR removed_at IS NULL ORDER BY id DESC LIMIT ?2"
            );
            let mut st = c.prepare(&sql).map_err(db)?;
            let rows = st
                .query_map(params![include_removed, limit], suppression_row)
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (entry, id, created_at, removed_at, removed_by) = row.map_err(db)?;
                out.push(Suppression {
                    id,
                    entry,
                    created_at: time(&created_at)?,
                    removed_at: opt_time(removed_at)?,
                    removed_by,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn remove_suppression(&self, id: i64, by: &str) -> StoreResult<bool> {
        let by = by.to_string();
        self.with_conn(move |c| {
            let n = c
                .execute(
                    "UPDATE suppressions SET removed_at = ?2, removed_by = ?3
                     WHERE id = ?1 AND removed_at IS NULL",
                    params![id, Utc::now().to_rfc3339(), by],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn suppressed_voter_ids(&self) -> StoreResult<Vec<String>> {
        self.with_conn(|c| {
            // Matching phones to voters reads every voter row (there is no index on a
            // voter's phone, and SQLite drives the join from the voters): that part
            // runs only when a phone is on the list, which is rare.
            let phones_listed: bool = c
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM suppressions
                                    WHERE removed_at IS NULL AND phone <> '')",
                    [],
                    |r| r.get(0),
                )
                .map_err(db)?;
            let voter_phones = if phones_listed {
                "UNION SELECT v.state_voter_id FROM suppressions s
                   JOIN voters v ON v.phone_e164 = s.phone
                   WHERE s.removed_at IS NULL AND s.phone <> ''"
            } else {
                ""
            };
            let mut st = c
                .prepare(&format!(
                    "SELECT state_voter_id FROM suppressions
                       WHERE removed_at IS NULL AND state_voter_id <> ''
                     {voter_phones}
                     UNION SELECT p.state_voter_id FROM suppressions s
                       JOIN voter_phones p ON p.phone_e164 = s.phone
                       WHERE s.removed_at IS NULL AND s.phone <> ''
                     UNION SELECT l.state_voter_id FROM suppressions s
                       JOIN person_emails e ON e.email = s.email
                       JOIN person_links l ON l.person_id = e.person_id
                         AND l.status IN ('linked', 'confirmed')
                       WHERE s.removed_at IS NULL AND s.email <> ''
                     ORDER BY 1"
                ))
                .map_err(db)?;
            let ids = st
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db)?;
            Ok(ids)
        })
        .await
    }

    async fn record_received(&self, records: &[ReceivedRecord]) -> StoreResult<u64> {
        let records = records.to_vec();
        self.with_conn(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(db)?;
            let now = Utc::now().to_rfc3339();
            let mut added = 0u64;
            {
                let mut st = tx
                    .prepare_cached(
                        "INSERT INTO exchange_received (source, source_key, dataset,
                           state_voter_id, item_key, summary, payload, published_at,
                           received_at, received_by)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                         ON CONFLICT (source, source_key) DO NOTHING",
                    )
                    .map_err(db)?;
                for r in &records {
                    added += st
                        .execute(params![
                            r.source,
                            r.source_key,
                            r.dataset,
                            r.state_voter_id,
                            r.item_key,
                            r.summary,
                            r.payload,
                            r.published_at.to_rfc3339(),
                            now,
                            r.received_by
                        ])
                        .map_err(db)? as u64;
                }
            }
            tx.commit().map_err(db)?;
            Ok(added)
        })
        .await
    }

    async fn received_of_voter(&self, state_voter_id: &str) -> StoreResult<Vec<ReceivedRecord>> {
        let id = state_voter_id.to_string();
        self.with_conn(move |c| {
            let mut st = c
                .prepare(
                    "SELECT source, source_key, dataset, state_voter_id, item_key, summary,
                       payload, published_at, received_by
                     FROM exchange_received WHERE state_voter_id = ?1
                     ORDER BY published_at DESC, source, source_key",
                )
                .map_err(db)?;
            let rows = st
                .query_map([&id], |r| {
                    Ok((
                        ReceivedRecord {
                            source: r.get(0)?,
                            source_key: r.get(1)?,
                            dataset: r.get(2)?,
                            state_voter_id: r.get(3)?,
                            item_key: r.get(4)?,
                            summary: r.get(5)?,
                            payload: r.get(6)?,
                            published_at: DateTime::<Utc>::MIN_UTC,
                            received_by: r.get(8)?,
                        },
                        r.get::<_, String>(7)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (mut rec, at) = row.map_err(db)?;
                rec.published_at = time(&at)?;
                out.push(rec);
            }
            Ok(out)
        })
        .await
    }

    async fn held_voter_ids(&self, ids: &[String]) -> StoreResult<Vec<String>> {
        let ids = ids.to_vec();
        self.with_conn(move |c| {
            let mut st = c
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM voters WHERE state_voter_id = ?1)")
                .map_err(db)?;
            let mut out = Vec::new();
            for id in ids {
                if st.query_row([&id], |r| r.get::<_, bool>(0)).map_err(db)? {
                    out.push(id);
                }
            }
            out.sort();
            out.dedup();
            Ok(out)
        })
        .await
    }

    async fn put_agreement(&self, a: &Agreement) -> StoreResult<()> {
        let a = a.clone();
        let terms = serde_json::to_string(&a.terms)
            .map_err(|e| StoreError::Corrupt(format!("agreement terms: {e}")))?;
        self.with_conn(move |c| {
            let by = |s: &Option<Signature>| s.as_ref().map(|s| s.by.clone());
            let at = |s: &Option<Signature>| s.as_ref().map(|s| s.at.to_rfc3339());
            c.execute(
                "INSERT INTO exchange_agreements (id, publisher, subscriber, terms, hash_key,
                   proposed_by_org, proposed_by, proposed_at, publisher_approved_by,
                   publisher_approved_at, subscriber_approved_by, subscriber_approved_at,
                   ended_by, ended_at, ended_by_org)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
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
                params![
                    a.id,
                    a.publisher,
                    a.subscriber,
                    terms,
                    a.hash_key,
                    a.proposed_by_org,
                    a.proposed.by,
                    a.proposed.at.to_rfc3339(),
                    by(&a.publisher_approval),
                    at(&a.publisher_approval),
                    by(&a.subscriber_approval),
                    at(&a.subscriber_approval),
                    by(&a.ended),
                    at(&a.ended),
                    a.ended_by_org,
                ],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn agreement(&self, id: &str) -> StoreResult<Option<Agreement>> {
        let id = id.to_string();
        self.with_conn(move |c| {
            c.query_row(
                &format!("{SELECT_AGREEMENT} WHERE id = ?1"),
                [id],
                agreement_row,
            )
            .optional()
            .map_err(db)?
            .map(agreement_of)
            .transpose()
        })
        .await
    }

    async fn agreements(&self) -> StoreResult<Vec<Agreement>> {
        self.with_conn(|c| {
            let mut st = c
                .prepare(&format!("{SELECT_AGREEMENT} ORDER BY proposed_at DESC, id"))
                .map_err(db)?;
            let rows = st.query_map([], agreement_row).map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                out.push(agreement_of(row.map_err(db)?)?);
            }
            Ok(out)
        })
        .await
    }

    async fn outbox_after(
        &self,
        after_seq: i64,
        datasets: &[String],
        limit: i64,
    ) -> StoreResult<Vec<OutboxRecord>> {
        let datasets = serde_json::to_string(datasets)
            .map_err(|e| StoreError::Corrupt(format!("datasets: {e}")))?;
        self.with_conn(move |c| {
            let mut st = c
                .prepare(
                    "SELECT seq, dataset, state_voter_id, payload, recorded_at FROM exchange_outbox
                     WHERE seq > ?1 AND dataset IN (SELECT value FROM json_each(?2))
                     ORDER BY seq LIMIT ?3",
                )
                .map_err(db)?;
            let rows = st
                .query_map(params![after_seq, datasets, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, dataset, state_voter_id, payload, at) = row.map_err(db)?;
                out.push(OutboxRecord {
                    seq,
                    dataset,
                    state_voter_id,
                    payload,
                    recorded_at: time(&at)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn outbox_head(&self) -> StoreResult<i64> {
        self.with_conn(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(seq), 0) FROM exchange_outbox",
                [],
                |r| r.get(0),
            )
            .map_err(db)
        })
        .await
    }

    async fn exchange_cursor(
        &self,
        agreement_id: &str,
        publisher: &str,
    ) -> StoreResult<Option<ExchangeCursor>> {
        let (a, p) = (agreement_id.to_string(), publisher.to_string());
        self.with_conn(move |c| {
            match c
                .query_row(SELECT_CURSOR, params![a, p], cursor_row)
                .optional()
                .map_err(db)?
            {
                Some((mut cursor, at)) => {
                    cursor.updated_at = time(&at)?;
                    Ok(Some(cursor))
                }
                None => Ok(None),
            }
        })
        .await
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
        let (a, p) = (agreement_id.to_string(), publisher.to_string());
        self.with_conn(move |c| {
            let tx = c.transaction().map_err(db)?;
            tx.execute(
                "INSERT INTO exchange_cursors (agreement_id, publisher, last_seq, publisher_head,
                   applied, skipped, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (agreement_id, publisher) DO UPDATE SET
                   last_seq = MAX(last_seq, excluded.last_seq),
                   publisher_head = MAX(publisher_head, excluded.publisher_head),
                   applied = applied + excluded.applied,
                   skipped = skipped + excluded.skipped,
                   updated_at = excluded.updated_at",
                params![
                    a,
                    p,
                    last_seq,
                    publisher_head,
                    applied,
                    skipped,
                    Utc::now().to_rfc3339()
                ],
            )
            .map_err(db)?;
            let (mut cursor, at) = tx
                .query_row(SELECT_CURSOR, params![a, p], cursor_row)
                .map_err(db)?;
            cursor.updated_at = time(&at)?;
            tx.commit().map_err(db)?;
            Ok(cursor)
        })
        .await
    }
}
