//! What a server does so that several of them can run over one store behind a load
//! balancer: it feeds its live incident queue and its disinformation live page from the
//! store's feeds (PostgreSQL `LISTEN/NOTIFY`; with SQLite both stay in-process, one
//! machine) and runs the
//! periodic jobs (incident escalation) only while it leads them
//! ([`votebase_app::cluster`]). Everything else a request needs — sessions, tokens,
//! idempotency keys, receipts, audit — already lives in the store; rate-limit state stays
//! per process (see `docs/DEPLOY.md`).

use crate::{AppState, ServeError, disinfo, incidents};
use std::time::Duration;

/// How often the escalation job runs when `VOTEBASE_ESCALATION_SECONDS` is unset.
pub const DEFAULT_ESCALATION_EVERY: Duration = Duration::from_secs(30);

/// The escalation period from `VOTEBASE_ESCALATION_SECONDS` (whole seconds, at least 1).
pub fn escalation_every_from_env() -> Result<Option<Duration>, String> {
    match std::env::var("VOTEBASE_ESCALATION_SECONDS") {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(Some(Duration::from_secs(n))),
            _ => Err(format!(
                "VOTEBASE_ESCALATION_SECONDS must be a whole number of seconds, at least 1 (got {v:?})"
            )),
        },
    }
}

/// Starts the cluster duties of a server: the live queue's and the disinformation live
/// page's relays from the store's feeds when the store has them (listening when this
/// returns) and the escalation job every `escalation_every`.
pub async fn start(state: &AppState, escalation_every: Duration) -> Result<(), ServeError> {
    let feed = state
        .store
        .incident_feed()
        .await
        .map_err(|e| ServeError::Config(format!("cannot listen for incident changes: {e}")))?;
    if let Some(feed) = feed {
        state.incidents.relay_from_store();
        tokio::spawn(incidents::relay(
            feed,
            state.store.clone(),
            state.incidents.clone(),
        ));
    }
    let alerts =
        state.store.alert_feed().await.map_err(|e| {
            ServeError::Config(format!("cannot listen for disinformation alerts: {e}"))
        })?;
    if let Some(feed) = alerts {
        state.disinfo.relay_from_store();
        tokio::spawn(disinfo::relay(feed, state.clone()));
    }
    incidents::spawn_escalator(state, escalation_every);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use votebase_app::cluster::{Leadership, run_periodically};
    use votebase_domain::OrgName;
    use votebase_store::Store;

    fn sqlite(dir: &tempfile::TempDir, org: &str) -> Arc<dyn Store> {
        Arc::new(
            votebase_store_sqlite::SqliteStore::open(dir.path(), &OrgName::parse(org).unwrap())
                .unwrap(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_leader_per_job_until_it_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite(&dir, "lead");
        let (mut a, mut b) = (Leadership::new("job"), Leadership::new("job"));
        assert!(a.lead(store.as_ref()).await);
        assert!(!b.lead(store.as_ref()).await, "a holds it");
        assert!(a.lead(store.as_ref()).await, "still a's");
        assert!(Leadership::new("other").lead(store.as_ref()).await);
        drop(a);
        assert!(b.lead(store.as_ref()).await, "b takes over");
        assert!(b.is_leader());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rounds_run_only_while_leading() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite(&dir, "rounds");
        let spawn = |count: Arc<AtomicUsize>| {
            tokio::spawn(run_periodically(
                store.clone(),
                "tick",
                Duration::from_millis(20),
                move |_| {
                    count.fetch_add(1, Ordering::SeqCst);
                    async {}
                },
            ))
        };
        let (first, second) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let h1 = spawn(first.clone());
        tokio::time::sleep(Duration::from_millis(60)).await;
        let h2 = spawn(second.clone());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(first.load(Ordering::SeqCst) >= 3);
        assert_eq!(second.load(Ordering::SeqCst), 0, "not the leader");
        h1.abort();
        let _ = h1.await; // the leader's task ends: its lease is dropped
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(second.load(Ordering::SeqCst) >= 3, "took over");
        h2.abort();
    }
}
