//! A store error mid-file on PostgreSQL: the import's own connection is terminated while
//! it streams the file into COPY (what a failover or a crashed backend does to it), and
//! the conformance checks in `votebase_store::conformance::faults` follow.

use super::{database_reachable, test_url, unique_org};
use crate::{PgStore, drop_org};
use async_trait::async_trait;
use sqlx::{Connection, PgConnection};
use std::time::{Duration, Instant};
use votebase_store::conformance::faults::{StoreFault, store_error_mid_file_rolls_back};

/// Terminates the backend that holds the import lock on the schema's `snapshots` table.
struct KillImportConnection {
    url: String,
    schema: String,
}

#[async_trait]
impl StoreFault for KillImportConnection {
    async fn arm(&self) {}

    async fn strike(&self) {
        let mut conn = PgConnection::connect(&self.url)
            .await
            .expect("side connection");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Only the import takes SHARE ROW EXCLUSIVE on snapshots, and only in this
            // test's schema: no other test's connection can match.
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(l.pid)
                   FROM pg_locks l
                   JOIN pg_class c ON c.oid = l.relation
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = $1 AND c.relname = 'snapshots'
                    AND l.mode = 'ShareRowExclusiveLock' AND l.granted",
            )
            .bind(&self.schema)
            .fetch_all(&mut conn)
            .await
            .expect("terminate the import's backend");
            if killed.iter().any(|k| *k) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the import never took its lock on {}.snapshots",
                self.schema
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        conn.close().await.ok();
    }

    async fn clear(&self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_copy_rolls_the_import_back() {
    if !database_reachable().await {
        return;
    }
    let (url, org) = (test_url(), unique_org("fault"));
    let store = PgStore::connect(&url, &org).await.expect("connect");
    let fault = KillImportConnection {
        url: url.clone(),
        schema: store.schema().to_string(),
    };
    store_error_mid_file_rolls_back(&store, &fault).await;
    store.close().await;
    drop_org(&url, &org).await.expect("drop schema");
}
