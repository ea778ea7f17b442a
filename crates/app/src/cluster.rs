//! Periodic jobs that run once per cluster: any number of server processes start the same
//! job, and each round only the one holding the job's leadership in the store runs it
//! (PostgreSQL: a session-level advisory lock on a dedicated connection; SQLite: held
//! in-process). A leader that dies loses the lock with its connection and another
//! process takes over at its next round; the jobs themselves are idempotent in SQL, so a
//! round run twice around a takeover changes nothing twice.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use votebase_store::Store;
use votebase_store::cluster::Lease;

/// The job that escalates untouched incidents.
pub const ESCALATION_JOB: &str = "incident-escalation";

/// One process's claim on a job: holds the lease while it has it, tries again each
/// round while someone else does.
pub struct Leadership {
    job: String,
    lease: Option<Box<dyn Lease>>,
}

impl Leadership {
    /// A claim on `job`, not yet tried.
    pub fn new(job: &str) -> Self {
        Self {
            job: job.to_string(),
            lease: None,
        }
    }

    /// The job's name.
    pub fn job(&self) -> &str {
        &self.job
    }

    /// Whether this process holds the job now: checks a held lease is still valid, or
    /// tries to take the job. An unreachable store is "not the leader" this round.
    pub async fn lead(&mut self, store: &dyn Store) -> bool {
        if let Some(lease) = self.lease.as_mut() {
            if lease.held().await {
                return true;
            }
            tracing::warn!(job = %self.job, "lost the job's leadership");
            self.lease = None;
        }
        match store.try_lead(&self.job).await {
            Ok(Some(lease)) => {
                tracing::info!(job = %self.job, pid = std::process::id(), "leading job");
                self.lease = Some(lease);
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(job = %self.job, error = %e, "cannot reach the store to lead");
                false
            }
        }
    }

    /// Whether this process held the job at its last check.
    pub fn is_leader(&self) -> bool {
        self.lease.is_some()
    }
}

/// Runs `round` every `every` while this process leads `job`, forever (spawn it).
pub async fn run_periodically<F, Fut>(
    store: Arc<dyn Store>,
    job: &str,
    every: Duration,
    mut round: F,
) where
    F: FnMut(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut leadership = Leadership::new(job);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if leadership.lead(store.as_ref()).await {
            round(store.clone()).await;
        }
    }
}
