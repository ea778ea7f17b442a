//! Conformance checks of [`ClusterStore`](crate::cluster::ClusterStore): incident changes
//! read back in order from a position, the live feed (where the backend has one)
//! delivering a change committed after it opened, leadership held by one caller at a
//! time and free again once given up, and escalation applied once when two timers run
//! at the same moment.

use super::incidents::{report, t, take};
use crate::Store;
use std::time::Duration;
use votebase_domain::incidents::IncidentStatus;

/// Runs the cluster checks on a store that already holds the incidents suite's data.
pub async fn run(store: &dyn Store) {
    changes_read_back_in_order(store).await;
    feed_delivers_committed_changes(store).await;
    leadership_is_exclusive(store).await;
    escalation_happens_once(store).await;
}

async fn changes_read_back_in_order(store: &dyn Store) {
    let before = store.latest_incident_change().await.unwrap();
    assert!(before > 0, "the incidents suite wrote timeline entries");
    let all = store.incident_changes_since(0, i64::MAX).await.unwrap();
    assert_eq!(all.last().map(|c| c.seq), Some(before));
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "in order");
    let firsts = store.incident_changes_since(0, 3).await.unwrap();
    assert_eq!(firsts, all[..3].to_vec(), "limit keeps the oldest");
    assert!(
        store
            .incident_changes_since(before, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let new = take(store, &report(200, "long_lines", "WAKE", "cl-1"), t(200))
        .await
        .unwrap();
    let after = store.incident_changes_since(before, 100).await.unwrap();
    assert!(!after.is_empty());
    assert!(after.iter().all(|c| c.seq > before));
    assert!(after.iter().any(|c| c.incident_id == new.incident.id));
    assert_eq!(
        store.latest_incident_change().await.unwrap(),
        after.last().unwrap().seq
    );
}

async fn feed_delivers_committed_changes(store: &dyn Store) {
    let Some(mut feed) = store.incident_feed().await.unwrap() else {
        assert_eq!(store.backend(), "sqlite", "only SQLite fans out in-process");
        return;
    };
    assert_eq!(
        feed.position(),
        store.latest_incident_change().await.unwrap()
    );
    let new = take(store, &report(210, "long_lines", "WAKE", "cl-2"), t(210))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|c: &crate::cluster::IncidentChange| c.incident_id == new.incident.id)
    {
        let got = tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .expect("the change arrives within 10 s")
            .unwrap();
        assert!(!got.is_empty(), "never an empty batch");
        seen.extend(got);
    }
    assert_eq!(
        feed.position(),
        store.latest_incident_change().await.unwrap()
    );
}

async fn leadership_is_exclusive(store: &dyn Store) {
    let mut first = store
        .try_lead("conformance")
        .await
        .unwrap()
        .expect("free job");
    assert!(first.held().await);
    assert!(
        store.try_lead("conformance").await.unwrap().is_none(),
        "one holder at a time"
    );
    let other = store.try_lead("conformance-other").await.unwrap();
    assert!(other.is_some(), "jobs are independent");
    drop(first);
    // Giving up may take the backend a moment (PostgreSQL ends the session).
    let mut again = None;
    for _ in 0..50 {
        again = store.try_lead("conformance").await.unwrap();
        if again.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut again = again.expect("free again once given up");
    assert!(again.held().await);
}

async fn escalation_happens_once(store: &dyn Store) {
    let rules = store.incident_rules().await.unwrap();
    let stale = take(store, &report(300, "long_lines", "WAKE", "cl-3"), t(300))
        .await
        .unwrap()
        .incident;
    let now = t(300 + rules.stale_minutes + 1);
    let (a, b) = tokio::join!(
        store.escalate_stale_incidents(rules.stale_minutes, now),
        store.escalate_stale_incidents(rules.stale_minutes, now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let times = a.iter().chain(&b).filter(|i| i.id == stale.id).count();
    assert_eq!(times, 1, "escalated by one of the two timers");
    let line = store.incident_timeline(stale.id).await.unwrap();
    assert_eq!(line.iter().filter(|e| e.kind == "escalated").count(), 1);
    let now_stored = store.get_incident(stale.id).await.unwrap().unwrap();
    assert_eq!(now_stored.status, IncidentStatus::Escalated);
}
