//! The watch's pages for signed-in users: `/disinfo` (live alerts, the response queue of
//! narratives each with its hourly volume as an SVG chart, the claim catalogue), a
//! narrative's page with its action forms, the reader's own subscription to alert emails
//! (a form on `/disinfo`), the live alert feed (server-sent events, with catch-up from
//! `Last-Event-ID`) and a tip's screenshot.

use super::*;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::convert::Infallible;

/// Most narratives the watch page lists.
pub const MAX_LISTED_NARRATIVES: usize = 50;
/// Most alerts the watch page lists (the latest).
const MAX_LISTED_ALERTS: usize = 20;

/// An hourly volume laid out as an SVG polyline.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeChart {
    /// Drawing width.
    pub width: i64,
    /// Drawing height.
    pub height: i64,
    /// `x,y` pairs, one per hour of the window.
    pub points: String,
    /// Highest hourly count in the window.
    pub max: i64,
    /// Hours in the window.
    pub hours: i64,
    /// Items in the window.
    pub total: i64,
    /// Start of the window, for the caption.
    pub from: String,
    /// End of the window.
    pub to: String,
}

/// Lays out `(hour, count)` pairs over every hour from `from` to `to` (hours since the
/// epoch, at most [`MAX_CHART_HOURS`] of them: the latest), hours without items at zero.
pub fn volume_chart(
    series: &[(i64, i64)],
    from: i64,
    to: i64,
    width: i64,
    height: i64,
) -> VolumeChart {
    let to = to.max(from);
    let from = from.max(to - MAX_CHART_HOURS + 1);
    let hours = to - from + 1;
    let by: HashMap<i64, i64> = series
        .iter()
        .filter(|(h, _)| (from..=to).contains(h))
        .copied()
        .collect();
    let max = by.values().copied().max().unwrap_or(0).max(1);
    let (pad, inner_h) = (2, height - 4);
    let x_of = |i: i64| {
        if hours <= 1 {
            width / 2
        } else {
            pad + (width - 2 * pad) * i / (hours - 1)
        }
    };
    let points = (0..hours)
        .map(|i| {
            let c = by.get(&(from + i)).copied().unwrap_or(0);
            format!("{},{}", x_of(i), pad + inner_h - inner_h * c / max)
        })
        .collect::<Vec<_>>()
        .join(" ");
    let stamp = |h: i64| {
        Utc.timestamp_opt(h * 3600, 0)
            .single()
            .map(|t| t.format("%b %d %H:00").to_string())
            .unwrap_or_default()
    };
    VolumeChart {
        width,
        height,
        points,
        max,
        hours,
        total: by.values().sum(),
        from: stamp(from),
        to: stamp(to),
    }
}

/// A narrative row of the watch page.
pub(super) struct QueueLine {
    row: DisinfoNarrativeRow,
    label: String,
    chart: VolumeChart,
}

#[derive(Template)]
#[template(path = "disinfo.html")]
pub(super) struct WatchPage {
    user_name: String,
    role: String,
    csrf: String,
    lines: Vec<QueueLine>,
    total: usize,
    status: String,
    alerts: Vec<DisinfoAlertView>,
    claims: Vec<Claim>,
    /// The reader's alert email address, if subscribed.
    subscribed: Option<String>,
    /// Why the subscription form was refused.
    subscription_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct WatchQuery {
    status: Option<String>,
}

pub(super) async fn watch_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(q): Query<WatchQuery>,
) -> Result<Response, PageRejection> {
    render_watch(&state, &caller, q, None)
        .await
        .map_err(page_err)
}

async fn render_watch(
    state: &AppState,
    caller: &Caller,
    q: WatchQuery,
    subscription_error: Option<String>,
) -> Result<Response, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let params = NarrativeParams {
        status: q.status.clone(),
        ..Default::default()
    };
    let (_, status) = params.parsed()?;
    let all = narrative_list(state, caller, None, status, usize::MAX, "web").await?;
    // The queue: open narratives unless a status is asked for.
    let rows: Vec<DisinfoNarrativeRow> = all
        .into_iter()
        .filter(|r| status.is_some() || r.narrative.status != NarrativeStatus::Closed)
        .collect();
    let total = rows.len();
    let rows: Vec<DisinfoNarrativeRow> = rows.into_iter().take(MAX_LISTED_NARRATIVES).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.narrative.id).collect();
    let hourly = hourly_of(state, &ids).await?;
    let last = hourly
        .values()
        .flat_map(|s| s.iter().map(|(h, _)| *h))
        .max()
        .unwrap_or(0);
    let first = hourly
        .values()
        .flat_map(|s| s.iter().map(|(h, _)| *h))
        .min()
        .unwrap_or(last);
    let lines: Vec<QueueLine> = rows
        .into_iter()
        .map(|row| QueueLine {
            label: cut(&row.narrative.label, 160),
            chart: volume_chart(
                hourly.get(&row.narrative.id).map_or(&[][..], Vec::as_slice),
                first,
                last,
                240,
                40,
            ),
            row,
        })
        .collect();
    let mut alerts = Vec::new();
    for a in state
        .store
        .list_alerts()
        .await?
        .iter()
        .rev()
        .take(MAX_LISTED_ALERTS)
    {
        alerts.push(view_of(a, alert_label(state, a.narrative_id).await?));
    }
    let claims = state.store.list_claims().await?;
    let subscribed = state
        .store
        .disinfo_subscriptions()
        .await?
        .into_iter()
        .find(|s| s.user == caller.user.name)
        .map(|s| s.email);
    let (user_name, role, csrf) = crate::pages::nav(caller);
    let status = if subscription_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = crate::pages::render(&WatchPage {
        user_name,
        role,
        csrf,
        lines,
        total,
        status: q.status.unwrap_or_default(),
        alerts,
        claims,
        subscribed,
        subscription_error,
    });
    Ok((status, page).into_response())
}

/// The subscription form: `action` is `subscribe` (with `email`) or `unsubscribe`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct SubscriptionForm {
    action: String,
    email: String,
}

/// Subscribes or unsubscribes the signed-in reader to alert emails (audited), then back
/// to `/disinfo`; a refused address shows the page again with the reason.
pub(super) async fn subscription_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Form(form): Form<SubscriptionForm>,
) -> Result<Response, PageRejection> {
    caller.require(Permission::IncidentRead).map_err(page_err)?;
    let store = state.store.as_ref();
    let result = match form.action.as_str() {
        "subscribe" => app::alerts::subscribe(store, &caller.user.name, &form.email, Utc::now())
            .await
            .map(|_| "disinfo.subscribe"),
        "unsubscribe" => app::alerts::unsubscribe(store, &caller.user.name)
            .await
            .map(|_| "disinfo.unsubscribe"),
        other => Err(DisinfoError::Invalid(format!("unknown action {other:?}"))),
    };
    match result {
        Ok(action) => {
            audit(&state, &caller, action, &caller.user.name, "web")
                .await
                .map_err(page_err)?;
            Ok(Redirect::to("/disinfo").into_response())
        }
        Err(DisinfoError::Invalid(message)) => {
            render_watch(&state, &caller, WatchQuery::default(), Some(message))
                .await
                .map_err(page_err)
        }
        Err(e) => Err(page_err(e.into())),
    }
}

#[derive(Template)]
#[template(path = "disinfo_narrative.html")]
pub(super) struct NarrativePage {
    user_name: String,
    role: String,
    csrf: String,
    d: DisinfoNarrativeDetail,
    chart: VolumeChart,
    can_work: bool,
    can_manage: bool,
    error: Option<String>,
}

async fn render_narrative(
    state: &AppState,
    caller: &Caller,
    id: i64,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let d = narrative_detail(state, caller, id, "web").await?;
    let series: Vec<(i64, i64)> = d
        .hourly
        .iter()
        .map(|h| (h.hour.timestamp().div_euclid(3600), h.count))
        .collect();
    let from = series.first().map_or(0, |s| s.0);
    let to = series.last().map_or(from, |s| s.0);
    let (user_name, role, csrf) = crate::pages::nav(caller);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = crate::pages::render(&NarrativePage {
        user_name,
        role,
        csrf,
        chart: volume_chart(&series, from, to, 720, 160),
        d,
        can_work: caller.user.role.allows(Permission::IncidentWork),
        can_manage: caller.user.role.allows(Permission::IncidentManage),
        error,
    });
    Ok((status, page).into_response())
}

pub(super) async fn narrative_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageRejection> {
    render_narrative(&state, &caller, id, None)
        .await
        .map_err(page_err)
}

/// A narrative's action form: `action` names it, the other fields carry its parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActForm {
    pub(super) action: String,
    pub(super) to: String,
    pub(super) kind: String,
    pub(super) text: String,
}

impl ActForm {
    pub(super) fn action(&self) -> Result<NarrativeAction, ApiError> {
        let text = self.text.trim().to_string();
        Ok(match self.action.as_str() {
            "triage" => NarrativeAction::Triage,
            "assign" => NarrativeAction::Assign {
                to: self.to.trim().to_string(),
            },
            "respond" => NarrativeAction::Respond {
                kind: match self.kind.as_str() {
                    "counter_message" => ResponseKind::CounterMessage,
                    "platform_report" => ResponseKind::PlatformReport,
                    "hotline_script" => ResponseKind::HotlineScript,
                    other => {
                        return Err(ApiError::BadRequest(format!(
                            "unknown response {other:?}: counter_message, platform_report or hotline_script"
                        )));
                    }
                },
                detail: text,
            },
            "close" => NarrativeAction::Close { note: text },
            "reopen" => NarrativeAction::Reopen,
            "note" => NarrativeAction::Note { text },
            other => return Err(ApiError::BadRequest(format!("unknown action {other:?}"))),
        })
    }
}

pub(super) async fn act_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageRejection> {
    let result = match form.action() {
        Ok(action) => act(&state, &caller, id, &action).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/disinfo/narratives/{id}")).into_response()),
        Err(ApiError::BadRequest(message)) => render_narrative(&state, &caller, id, Some(message))
            .await
            .map_err(page_err),
        Err(e) => Err(page_err(e)),
    }
}

/// Most alerts a reconnecting client is sent back.
const MAX_CATCH_UP: usize = 256;

/// The live alert feed: an `alert` event per new alert (a [`DisinfoAlertView`], its id
/// the event id); a client reconnecting with `Last-Event-ID` first gets the alerts it
/// missed; `lagged` when it fell too far behind (it should reload).
pub(super) async fn events(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Permission::IncidentRead)?;
    audit(
        &state,
        &caller,
        "disinfo.alerts.watch",
        "alerts",
        "live page",
    )
    .await?;
    // Subscribed before reading back, so nothing falls in between (an alert may then come
    // twice; the page keeps one per id).
    let rx = state.disinfo.sender.subscribe();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let mut missed = Vec::new();
    if let Some(after) = last_seen {
        let newer: Vec<Alert> = state
            .store
            .list_alerts()
            .await?
            .into_iter()
            .filter(|a| a.id > after)
            .collect();
        if newer.len() > MAX_CATCH_UP {
            missed.push(
                Event::default()
                    .event("lagged")
                    .data(newer.len().to_string()),
            );
        } else {
            for a in newer {
                let label = alert_label(&state, a.narrative_id).await?;
                missed.push(alert_event(&view_of(&a, label)));
            }
        }
    }
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        use broadcast::error::RecvError;
        match rx.recv().await {
            Ok(a) => Some((Ok::<Event, Infallible>(alert_event(&a)), rx)),
            Err(RecvError::Lagged(n)) => {
                Some((Ok(Event::default().event("lagged").data(n.to_string())), rx))
            }
            Err(RecvError::Closed) => None,
        }
    });
    let stream = futures::StreamExt::chain(
        futures::stream::iter(missed.into_iter().map(Ok::<Event, Infallible>)),
        stream,
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

fn alert_event(a: &DisinfoAlertView) -> Event {
    Event::default()
        .event("alert")
        .id(a.id.to_string())
        .data(serde_json::to_string(a).unwrap_or_else(|_| "{}".into()))
}

/// A tip's screenshot, served inline with its checked content type and `nosniff` to
/// roles that read the watch; every view is audited.
pub(super) async fn screenshot_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    caller.require(Permission::IncidentRead)?;
    let (content_type, bytes) = state
        .store
        .item_screenshot(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("item {id} has no screenshot")))?;
    audit(
        &state,
        &caller,
        "disinfo.screenshot.read",
        &format!("item {id}"),
        "http",
    )
    .await?;
    let extension = content_type.trim_start_matches("image/").to_string();
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"tip-{id}.{extension}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
