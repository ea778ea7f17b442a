//! Cluster coordination on SQLite, where the store belongs to one machine and one server
//! process: there is no cross-process feed (the server fans its own changes out
//! in-process), changes are read back from `incident_events` by id, and leadership of a
//! job is held in-process, one holder per database file and job.

use async_trait::async_trait;
use rusqlite::params;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use votebase_store::StoreResult;
use votebase_store::cluster::{AlertFeed, ChangeFeed, ClusterStore, IncidentChange, Lease};

use crate::{SqliteStore, db};

/// The jobs held in this process: (database file, job).
fn held_jobs() -> &'static Mutex<HashSet<(PathBuf, String)>> {
    static HELD: OnceLock<Mutex<HashSet<(PathBuf, String)>>> = OnceLock::new();
    HELD.get_or_init(|| Mutex::new(HashSet::new()))
}

/// A job held in this process until dropped.
struct LocalLease {
    key: (PathBuf, String),
}

#[async_trait]
impl Lease for LocalLease {
    async fn held(&mut self) -> bool {
        held_jobs()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&self.key)
    }
}

impl Drop for LocalLease {
    fn drop(&mut self) {
        held_jobs()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

#[async_trait]
impl ClusterStore for SqliteStore {
    async fn incident_feed(&self) -> StoreResult<Option<Box<dyn ChangeFeed>>> {
        Ok(None)
    }

    async fn alert_feed(&self) -> StoreResult<Option<Box<dyn AlertFeed>>> {
        Ok(None)
    }

    async fn incident_changes_since(
        &self,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<IncidentChange>> {
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, incident_id FROM incident_events WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .map_err(db)?;
            stmt.query_map(params![after, limit.max(0)], |r| {
                Ok(IncidentChange {
                    seq: r.get(0)?,
                    incident_id: r.get(1)?,
                })
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)
        })
        .await
    }

    async fn latest_incident_change(&self) -> StoreResult<i64> {
        self.with_conn(|c| {
            c.query_row(
                "SELECT COALESCE(max(id), 0) FROM incident_events",
                [],
                |r| r.get(0),
            )
            .map_err(db)
        })
        .await
    }

    async fn try_lead(&self, job: &str) -> StoreResult<Option<Box<dyn Lease>>> {
        let file = std::fs::canonicalize(self.path()).unwrap_or_else(|_| self.path().to_path_buf());
        let key = (file, job.to_string());
        let mut held = held_jobs().lock().unwrap_or_else(|e| e.into_inner());
        if !held.insert(key.clone()) {
            return Ok(None);
        }
        Ok(Some(Box::new(LocalLease { key })))
    }
}
