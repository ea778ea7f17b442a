//! The live queue: server-sent events fanned out from the hub to every client in scope,
//! and the escalation timer that pushes escalated incidents onto it.

use super::*;

/// Starts the escalation timer: every 30 seconds, incidents untouched for the rules'
/// `stale_minutes` are escalated and pushed to the live queue.
pub fn spawn_escalator(state: &AppState) {
    let store = state.store.clone();
    let hub = state.incidents.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            match votebase_app::incidents::escalate(store.as_ref(), Utc::now()).await {
                Ok(escalated) => escalated.iter().for_each(|i| hub.publish(i)),
                Err(e) => tracing::warn!(error = %e, "escalation timer"),
            }
        }
    });
}

/// Most queue rows sent in one event.
pub(super) const MAX_BATCH: usize = 256;

/// The live queue's event stream: `incidents` events, each a JSON array of the
/// [`QueueRow`]s of the incidents that changed in the caller's counties since the last
/// event; `lagged` when the client fell too far behind (it should reload).
pub(super) async fn events(
    State(state): State<AppState>,
    caller: Caller,
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
    let rx = state.incidents.sender.subscribe();
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
            let rows: Vec<&str> = batch
                .iter()
                .filter(|ev| in_scope(&scope, &ev.county))
                .map(|ev| ev.json.as_str())
                .collect();
            if !rows.is_empty() {
                let data = format!("[{}]", rows.join(","));
                let event = Event::default().event("incidents").data(data);
                return Some((Ok(event), (rx, scope)));
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
