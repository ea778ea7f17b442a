//! The live queue: server-sent events fanned out from the hub to every client in scope,
//! the relay that feeds the hub from the store's change feed when several servers share
//! one PostgreSQL (so an incident taken on one server reaches every server's clients),
//! the catch-up of a client that reconnects with the last event id it saw, and the
//! escalation timer (run by one server of the cluster) that pushes escalated incidents
//! onto the queue.

use super::*;
use votebase_store::cluster::{ChangeFeed, IncidentChange};

/// Starts the escalation timer: every `every`, if this server leads the escalation job,
/// incidents untouched for the rules' `stale_minutes` are escalated and pushed to the
/// live queue.
pub fn spawn_escalator(state: &AppState, every: std::time::Duration) {
    let hub = state.incidents.clone();
    tokio::spawn(votebase_app::cluster::run_periodically(
        state.store.clone(),
        votebase_app::cluster::ESCALATION_JOB,
        every,
        move |store| {
            let hub = hub.clone();
            async move {
                match votebase_app::incidents::escalate(store.as_ref(), Utc::now()).await {
                    Ok(escalated) => escalated.iter().for_each(|i| hub.publish(i)),
                    Err(e) => tracing::warn!(error = %e, "escalation timer"),
                }
            }
        },
    ));
}

/// Feeds the hub from the store's change feed, forever (spawn it): each changed
/// incident is read once per batch and published with its position. The feed reconnects
/// and reads back by itself; an unreachable store is retried every second.
pub async fn relay(
    feed: Box<dyn ChangeFeed>,
    store: Arc<dyn votebase_store::Store>,
    hub: Arc<Hub>,
) {
    // The feed is read by its own task, so that notifications keep arriving while the
    // incidents of the last ones are read: everything that arrived meanwhile is then
    // read with one query (under load the batches grow instead of the delay).
    let (sender, mut received) = tokio::sync::mpsc::channel(RELAY_QUEUE);
    tokio::spawn(read_feed(feed, sender));
    while let Some(first) = received.recv().await {
        let mut changes: Vec<IncidentChange> = first;
        while changes.len() < MAX_RELAY_BATCH {
            match received.try_recv() {
                Ok(more) => changes.extend(more),
                Err(_) => break,
            }
        }
        // The last position per incident, in order of first appearance.
        let mut latest: Vec<(i64, i64)> = Vec::new();
        let mut at: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        for c in changes {
            match at.get(&c.incident_id) {
                Some(&i) => latest[i].1 = latest[i].1.max(c.seq),
                None => {
                    at.insert(c.incident_id, latest.len());
                    latest.push((c.incident_id, c.seq));
                }
            }
        }
        // One read for the whole batch, retried while the store is away (a failover):
        // the changes are committed, so the incidents are there once it answers again.
        let ids: Vec<i64> = latest.iter().map(|(id, _)| *id).collect();
        let mut wait = std::time::Duration::from_millis(100);
        let incidents = loop {
            match store.get_incidents(&ids).await {
                Ok(incidents) => break incidents,
                Err(e) => {
                    tracing::warn!(error = %e, incidents = ids.len(), "live queue relay");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(2));
                }
            }
        };
        let by_id: std::collections::HashMap<i64, &Incident> =
            incidents.iter().map(|i| (i.id, i)).collect();
        // Published in the feed's order; an incident no longer stored is skipped.
        for (id, seq) in latest {
            if let Some(incident) = by_id.get(&id) {
                hub.publish_change(incident, seq);
            }
        }
    }
}

/// Batches of changes the feed's reader may hold for the relay.
const RELAY_QUEUE: usize = 1_024;

/// Most changes the relay reads with one query.
const MAX_RELAY_BATCH: usize = 1_024;

/// Reads the store's change feed until the relay stops (an unreachable store is retried
/// every second; the feed reconnects and reads back by itself).
async fn read_feed(
    mut feed: Box<dyn ChangeFeed>,
    sender: tokio::sync::mpsc::Sender<Vec<IncidentChange>>,
) {
    loop {
        match feed.next().await {
            Ok(changes) => {
                if sender.send(changes).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live queue feed");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// Most queue rows sent in one event.
pub(super) const MAX_BATCH: usize = 256;

/// The live queue's event stream: `incidents` events, each a JSON array of the
/// [`QueueRow`]s of the incidents that changed in the caller's counties since the last
/// event; `lagged` when the client fell too far behind (it should reload).
pub(super) async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let scope = scope(&state, &caller).await?;
    audit(
        &state,
        &caller,
        "incident.queue.watch",
        "incidents",
        "live queue",
    )
    .await?;
    // Subscribed before reading back, so that nothing falls in between (a change may
    // then come twice; the queue replaces a row by its id).
    let rx = state.incidents.sender.subscribe();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|v| *v >= 0);
    let missed = match last_seen {
        Some(after) => catch_up(&state, &scope, after).await?,
        None => None,
    };
    let stream = futures::stream::unfold((rx, scope), |(mut rx, scope)| async move {
        use broadcast::error::{RecvError, TryRecvError};
        let lagged = |n: u64| Event::default().event("lagged").data(n.to_string());
        loop {
            // Wait for one update, then take every update already queued (up to
            // MAX_BATCH): one event per wake-up keeps up with bursts without adding delay.
            let mut batch = match rx.recv().await {
                Ok(ev) => vec![ev],
                Err(RecvError::Lagged(n)) => return Some((Ok(lagged(n)), (rx, scope))),
                Err(RecvError::Closed) => return None,
            };
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(ev) => batch.push(ev),
                    Err(TryRecvError::Lagged(n)) => return Some((Ok(lagged(n)), (rx, scope))),
                    Err(_) => break,
                }
            }
            let shown: Vec<&QueueEvent> = batch
                .iter()
                .filter(|ev| in_scope(&scope, &ev.county))
                .map(|ev| ev.as_ref())
                .collect();
            if !shown.is_empty() {
                let rows: Vec<&str> = shown.iter().map(|ev| ev.json.as_str()).collect();
                let data = format!("[{}]", rows.join(","));
                // The id first: a client reading line by line knows it with the rows.
                let mut event = Event::default().event("incidents");
                if let Some(seq) = shown.iter().filter_map(|ev| ev.seq).max() {
                    event = event.id(seq.to_string());
                }
                return Some((Ok(event.data(data)), (rx, scope)));
            }
        }
    });
    let stream = futures::StreamExt::chain(
        futures::stream::iter(missed.map(Ok::<Event, Infallible>)),
        stream,
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Most changes a reconnecting client is sent back; further behind, it is told it lagged
/// (it reloads the queue).
const MAX_CATCH_UP: i64 = 4_096;

/// The event a client reconnecting with `Last-Event-ID: after` missed: the queue rows of
/// the incidents in its scope changed since, with the latest position as the event id;
/// `lagged` when it missed too much; nothing when nothing changed.
async fn catch_up(
    state: &AppState,
    scope: &Option<Vec<String>>,
    after: i64,
) -> Result<Option<Event>, ApiError> {
    let changes = state
        .store
        .incident_changes_since(after, MAX_CATCH_UP + 1)
        .await?;
    if changes.len() as i64 > MAX_CATCH_UP {
        return Ok(Some(
            Event::default()
                .event("lagged")
                .data(MAX_CATCH_UP.to_string()),
        ));
    }
    let Some(last) = changes.last().map(|c| c.seq) else {
        return Ok(None);
    };
    let mut ids: Vec<i64> = changes.iter().map(|c| c.incident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut incidents = state.store.get_incidents(&ids).await?;
    incidents.sort_unstable_by_key(|i| i.id);
    let mut rows = Vec::with_capacity(ids.len());
    for i in incidents {
        if in_scope(scope, &i.location.county) {
            rows.push(
                serde_json::to_string(&QueueRow::of(&i))
                    .map_err(|e| ApiError::Internal(format!("queue row: {e}")))?,
            );
        }
    }
    let event = Event::default()
        .event("incidents")
        .id(last.to_string())
        .data(format!("[{}]", rows.join(",")));
    Ok(Some(event))
}
