//! Cluster coordination on PostgreSQL: the incident change feed is `LISTEN` on the
//! organization's channel (`<schema>:incidents`, fed by the trigger of migration 0013 at
//! every commit of a timeline entry) on a dedicated connection that is re-opened when it
//! is lost, after which the changes committed meanwhile are read back from
//! `incident_events`; leadership of a job is a session-level advisory lock held on a
//! dedicated connection, so that it ends the moment its holder's process or connection
//! dies (and a failed-over primary holds no lock at all). The disinformation alert feed is
//! the same machinery on `<schema>:disinfo_alerts` (migration 0017), read back from
//! `disinfo_alerts`.

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::collections::BTreeSet;
use std::time::Duration;
use votebase_store::cluster::{AlertFeed, ChangeFeed, ClusterStore, IncidentChange, Lease};
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

/// The alert notification channel of an organization's schema.
fn alert_channel(schema: &str) -> String {
    format!("{schema}:disinfo_alerts")
}

/// Reads incident changes back: `(timeline entry id, incident id)` after a position.
const INCIDENT_READ_BACK: &str =
    "SELECT id, incident_id FROM incident_events WHERE id > $1 ORDER BY id LIMIT $2";

/// Reads alerts back: `(alert id, narrative id)` after a position.
const ALERT_READ_BACK: &str =
    "SELECT id, narrative_id FROM disinfo_alerts WHERE id > $1 ORDER BY id LIMIT $2";

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

async fn changes_since(pool: &PgPool, after: i64, limit: i64) -> StoreResult<Vec<IncidentChange>> {
    read_back(pool, INCIDENT_READ_BACK, after, limit).await
}

/// `(position, subject)` pairs after `after` by one of the read-back queries.
async fn read_back(
    pool: &PgPool,
    sql: &'static str,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<IncidentChange>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql)
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

/// The incident change feed of one organization (and, with the alert channel and
/// read-back query, its alert feed: a change's `incident_id` is then the narrative).
struct PgFeed {
    options: PgConnectOptions,
    /// The store's pool, for reading back.
    pool: PgPool,
    channel: String,
    /// The read-back query (`$1` position, `$2` limit).
    read_back: &'static str,
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
            let batch = read_back(&self.pool, self.read_back, after, CATCH_UP_BATCH).await?;
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

/// The alert feed: the generic feed over the alert channel, yielding alert ids.
struct PgAlertFeed(PgFeed);

#[async_trait]
impl AlertFeed for PgAlertFeed {
    async fn next(&mut self) -> StoreResult<Vec<i64>> {
        Ok(self.0.next().await?.into_iter().map(|c| c.seq).collect())
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
            read_back: INCIDENT_READ_BACK,
            listener: Some(listener),
            position,
            recent: BTreeSet::new(),
            behind: false,
        })))
    }

    async fn alert_feed(&self) -> StoreResult<Option<Box<dyn AlertFeed>>> {
        let options = (*self.pool().connect_options()).clone();
        let channel = alert_channel(self.schema());
        let listener = PgFeed::listen(&options, &channel).await?;
        // Listening first, then the position (as the incident feed).
        let position: i64 = sqlx::query_scalar("SELECT COALESCE(max(id), 0) FROM disinfo_alerts")
            .fetch_one(self.pool())
            .await
            .map_err(db)?;
        Ok(Some(Box::new(PgAlertFeed(PgFeed {
            options,
            pool: self.pool().clone(),
            channel,
            read_back: ALERT_READ_BACK,
            listener: Some(listener),
            position,
            recent: BTreeSet::new(),
            behind: false,
        }))))
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
    use crate::drop_org;
    use crate::tests::{database_reachable, test_url, unique_org};
    use chrono::Utc;
    use votebase_domain::incidents::{IncidentLocation, NewIncident, PreparedIntake, Reporter};
    use votebase_store::IncidentStore;

    async fn take(store: &PgStore, place: &str) -> i64 {
        let rules = store.incident_rules().await.unwrap();
        let new = NewIncident {
            observed_at: Utc::now(),
            category: "long_lines".into(),
            description: format!("long lines at {place}"),
            location: IncidentLocation {
                county: "WAKE".into(),
                polling_place_id: place.into(),
                polling_place: format!("{place} SCHOOL"),
                ..Default::default()
            },
            reporter: Reporter {
                name: "ANA GARCIA".into(),
                phone: "+19195550100".into(),
                relationship: "voter".into(),
                voter_id: String::new(),
            },
            channel: "hotline".into(),
            created_by: "olive".into(),
            external_key: None,
        };
        let prepared = PreparedIntake::new(&rules, &new).unwrap();
        store
            .create_incident(&prepared, Utc::now())
            .await
            .unwrap()
            .incident
            .id
    }

    async fn next_ids(feed: &mut Box<dyn ChangeFeed>) -> Vec<i64> {
        tokio::time::timeout(Duration::from_secs(20), feed.next())
            .await
            .expect("changes within 20 s")
            .unwrap()
            .iter()
            .map(|c| c.incident_id)
            .collect()
    }

    /// Two servers over one schema: B's feed sees A's commits; when B's listening
    /// connection is killed, the changes A commits meanwhile still reach B, once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn feed_crosses_servers_and_catches_up_after_losing_its_connection() {
        if !database_reachable().await {
            return;
        }
        let (url, org) = (test_url(), unique_org("feed"));
        let a = PgStore::connect(&url, &org).await.unwrap();
        let b = PgStore::connect(&url, &org).await.unwrap();
        let mut feed = b
            .incident_feed()
            .await
            .unwrap()
            .expect("PostgreSQL has a feed");
        let first = take(&a, "p1").await;
        assert_eq!(next_ids(&mut feed).await, vec![first]);

        let killed: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1",
        )
        .bind(format!(r#"LISTEN "{}""#, channel(b.schema())))
        .fetch_one(a.pool())
        .await
        .unwrap();
        assert_eq!(killed, 1, "the feed's listening connection");
        let missed: Vec<i64> = vec![take(&a, "p2").await, take(&a, "p3").await];
        let mut got = Vec::new();
        while got.len() < missed.len() {
            got.extend(next_ids(&mut feed).await);
        }
        assert_eq!(got, missed, "read back once each, in order");
        // Listening again: a later change arrives live.
        let later = take(&a, "p4").await;
        assert_eq!(next_ids(&mut feed).await, vec![later]);
        assert_eq!(feed.position(), a.latest_incident_change().await.unwrap());
        a.close().await;
        b.close().await;
        drop_org(&url, &org).await.unwrap();
    }

    /// The leader's connection dies: its lease says so and another server takes over.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn leadership_passes_when_the_leader_connection_dies() {
        if !database_reachable().await {
            return;
        }
        let (url, org) = (test_url(), unique_org("lead"));
        let a = PgStore::connect(&url, &org).await.unwrap();
        let b = PgStore::connect(&url, &org).await.unwrap();
        let mut lease = a.try_lead("escalation").await.unwrap().expect("free");
        assert!(b.try_lead("escalation").await.unwrap().is_none());
        let killed: i64 = sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks
             WHERE locktype = 'advisory' AND objsubid = 1
               AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)",
        )
        .bind(job_key(a.schema(), "escalation"))
        .fetch_one(b.pool())
        .await
        .unwrap();
        assert_eq!(killed, 1);
        assert!(!lease.held().await, "the lease knows it is lost");
        let mut taken = None;
        for _ in 0..50 {
            taken = b.try_lead("escalation").await.unwrap();
            if taken.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(taken.expect("B takes over").held().await);
        a.close().await;
        b.close().await;
        drop_org(&url, &org).await.unwrap();
    }

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
