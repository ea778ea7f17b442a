//! Cluster coordination on PostgreSQL: the incident change feed is `LISTEN` on the
//! organization's channel (`<schema>:incidents`, fed by the trigger of migration 0013 at
//! every commit of a timeline entry) on a dedicated connection that is re-opened when it
//! is lost, after which the changes committed meanwhile are read back from
//! `incident_events`; leadership of a job is a session-level advisory lock held on a
//! dedicated connection, so that it ends the moment its holder's process or connection
//! dies (and a failed-over primary holds no lock at all).

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::collections::BTreeSet;
use std::time::Duration;
use votebase_store::cluster::{ChangeFeed, ClusterStore, IncidentChange, Lease};
use votebase_store::{StoreError, StoreResult};

use crate::{PgStore, db};

/// How long a feed waits for a notification before it checks its connection.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// How long a connection check or a reconnection may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// How far before its position a feed re-reads after a reconnection: entries are
/// numbered when written but committed in any order, so one numbered just below the
/// last delivered may commit later. Changes already delivered are not delivered again.
const CATCH_UP_SLACK: i64 = 1_000;

/// Most changes read back per query while catching up.
const CATCH_UP_BATCH: i64 = 5_000;

/// The notification channel of an organization's schema.
fn channel(schema: &str) -> String {
    format!("{schema}:incidents")
}

/// The advisory-lock key text of a job.
fn job_key(schema: &str, job: &str) -> String {
    format!("votebase-job:{schema}:{job}")
}

/// Parses a notification payload `<entry id> <incident id>`.
fn parse_payload(payload: &str) -> Option<IncidentChange> {
    let (seq, incident) = payload.split_once(' ')?;
    Some(IncidentChange {
        seq: seq.parse().ok()?,
        incident_id: incident.parse().ok()?,
    })
}

async fn changes_since(
    pool: &PgPool,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<IncidentChange>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, incident_id FROM incident_events WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit.max(0))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(seq, incident_id)| IncidentChange { seq, incident_id })
        .collect())
}

/// The incident change feed of one organization.
struct PgFeed {
    options: PgConnectOptions,
    /// The store's pool, for reading back.
    pool: PgPool,
    channel: String,
    listener: Option<PgListener>,
    /// Highest entry id delivered.
    position: i64,
    /// Entry ids delivered within [`CATCH_UP_SLACK`] of `position` (not delivered twice).
    recent: BTreeSet<i64>,
    /// True after the connection was lost: read back before waiting again.
    behind: bool,
}

impl PgFeed {
    async fn listen(options: &PgConnectOptions, channel: &str) -> StoreResult<PgListener> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(CHECK_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        let mut listener = PgListener::connect_with(&pool).await.map_err(db)?;
        // Told of a lost connection at once (then re-opened here, with a read-back).
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        tokio::time::timeout(CHECK_TIMEOUT, listener.listen(channel))
            .await
            .map_err(|_| StoreError::Database("LISTEN timed out".into()))?
            .map_err(db)?;
        Ok(listener)
    }

    /// Keeps the changes not yet delivered, in order, and records them as delivered.
    fn fresh(&mut self, changes: impl IntoIterator<Item = IncidentChange>) -> Vec<IncidentChange> {
        let mut out: Vec<IncidentChange> = changes
            .into_iter()
            .filter(|c| c.seq > self.position - CATCH_UP_SLACK && !self.recent.contains(&c.seq))
            .collect();
        out.sort();
        out.dedup();
        for c in &out {
            self.recent.insert(c.seq);
            self.position = self.position.max(c.seq);
        }
        let floor = self.position - CATCH_UP_SLACK;
        self.recent = self.recent.split_off(&floor);
        out
    }

    /// Reads back what was committed while the feed was not listening.
    async fn catch_up(&mut self) -> StoreResult<Vec<IncidentChange>> {
        let mut out = Vec::new();
        let mut after = self.position - CATCH_UP_SLACK;
        loop {
            let batch = changes_since(&self.pool, after, CATCH_UP_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = last.seq;
            let full = batch.len() as i64 == CATCH_UP_BATCH;
            out.extend(self.fresh(batch));
            if !full {
                break;
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl ChangeFeed for PgFeed {
    async fn next(&mut self) -> StoreResult<Vec<IncidentChange>> {
        loop {
            let Some(listener) = self.listener.as_mut() else {
                self.listener = Some(Self::listen(&self.options, &self.channel).await?);
                self.behind = true;
                continue;
            };
            if self.behind {
                let missed = self.catch_up().await?;
                self.behind = false;
                if !missed.is_empty() {
                    return Ok(missed);
                }
                continue;
            }
            match tokio::time::timeout(HEARTBEAT, listener.try_recv()).await {
                Ok(Ok(Some(first))) => {
                    let mut got: Vec<IncidentChange> =
                        parse_payload(first.payload()).into_iter().collect();
                    while let Some(n) = listener.next_buffered() {
                        got.extend(parse_payload(n.payload()));
                    }
                    let fresh = self.fresh(got);
                    if !fresh.is_empty() {
                        return Ok(fresh);
                    }
                }
                // The connection was lost (or failed): re-open it, then read back.
                Ok(Ok(None)) | Ok(Err(_)) => self.listener = None,
                // Quiet: check the connection is still there.
                Err(_) => {
                    let alive = tokio::time::timeout(
                        CHECK_TIMEOUT,
                        sqlx::query("SELECT 1").execute(&mut *listener),
                    )
                    .await;
                    if !matches!(alive, Ok(Ok(_))) {
                        self.listener = None;
                    }
                }
            }
        }
    }

    fn position(&self) -> i64 {
        self.position
    }
}

/// A job's leadership: the advisory lock held by the session of `conn`.
struct PgLease {
    conn: Option<PgConnection>,
}

#[async_trait]
impl Lease for PgLease {
    async fn held(&mut self) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return false;
        };
        let check = tokio::time::timeout(
            CHECK_TIMEOUT,
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pg_locks
                 WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted",
            )
            .fetch_one(&mut *conn),
        )
        .await;
        let held = matches!(check, Ok(Ok(n)) if n > 0);
        if !held {
            // Never ask this connection again: a new try opens a new one.
            self.conn = None;
        }
        held
    }
}

#[async_trait]
impl ClusterStore for PgStore {
    async fn incident_feed(&self) -> StoreResult<Option<Box<dyn ChangeFeed>>> {
        let options = (*self.pool().connect_options()).clone();
        let channel = channel(self.schema());
        let listener = PgFeed::listen(&options, &channel).await?;
        // Listening first, then the position: a change committed in between is both
        // notified and above the position, and the feed delivers it once.
        let position = self.latest_incident_change().await?;
        Ok(Some(Box::new(PgFeed {
            options,
            pool: self.pool().clone(),
            channel,
            listener: Some(listener),
            position,
            recent: BTreeSet::new(),
            behind: false,
        })))
    }

    async fn incident_changes_since(
        &self,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<IncidentChange>> {
        changes_since(self.pool(), after, limit).await
    }

    async fn latest_incident_change(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COALESCE(max(id), 0) FROM incident_events")
            .fetch_one(self.pool())
            .await
            .map_err(db)
    }

    async fn try_lead(&self, job: &str) -> StoreResult<Option<Box<dyn Lease>>> {
        let options = (*self.pool().connect_options()).clone();
        let mut conn = tokio::time::timeout(CHECK_TIMEOUT, options.connect())
            .await
            .map_err(|_| StoreError::Database("connecting timed out".into()))?
            .map_err(db)?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
            .bind(job_key(self.schema(), job))
            .fetch_one(&mut conn)
            .await
            .map_err(db)?;
        if got {
            Ok(Some(Box::new(PgLease { conn: Some(conn) })))
        } else {
            conn.close().await.ok();
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse_or_are_ignored() {
        assert_eq!(
            parse_payload("12 7"),
            Some(IncidentChange {
                seq: 12,
                incident_id: 7
            })
        );
        assert_eq!(parse_payload("12"), None);
        assert_eq!(parse_payload("x 7"), None);
        assert_eq!(parse_payload(""), None);
    }
}
