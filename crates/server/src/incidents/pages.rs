//! The incident pages for signed-in users: the live queue, the hotline intake form, the
//! incident page with its timeline and action forms, the dashboard and the export link.

use super::*;

#[derive(Template)]
#[template(path = "incidents_queue.html")]
pub(super) struct QueuePage {
    user_name: String,
    role: String,
    csrf: String,
    rows: Vec<QueueRow>,
    scope_note: String,
    can_intake: bool,
}

pub(super) async fn queue_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    let p = ListParams {
        open: Some(true),
        ..Default::default()
    };
    let rows = list_for(&state, &caller, &p, 2000, "incident.list", "web queue")
        .await
        .map_err(page_err)?;
    let scope_note = match scope(&state, &caller).await.map_err(page_err)? {
        None => "all counties".to_string(),
        Some(cs) if cs.is_empty() => "no counties yet: ask a coordinator to add yours".into(),
        Some(cs) => cs.join(", "),
    };
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    Ok(crate::pages::render(&QueuePage {
        user_name,
        role,
        csrf,
        rows: rows.iter().map(QueueRow::of).collect(),
        scope_note,
        can_intake: caller.user.role.allows(Permission::IncidentIntake),
    }))
}

#[derive(Template)]
#[template(path = "incidents_new.html")]
pub(super) struct IntakePage {
    user_name: String,
    role: String,
    csrf: String,
    categories: Vec<CategoryInfo>,
    places: Vec<PlaceOption>,
    counties: Vec<String>,
    created: Option<i64>,
    error: Option<String>,
    can_lookup: bool,
}

#[derive(Deserialize)]
pub(super) struct IntakeQuery {
    created: Option<i64>,
}

pub(super) async fn render_intake(
    state: &AppState,
    caller: &Caller,
    created: Option<i64>,
    error: Option<String>,
) -> Result<Response, ApiError> {
    caller.require(Permission::IncidentIntake)?;
    let categories = state.store.incident_rules().await?.categories();
    let places = feed_places(state);
    let counties: BTreeSet<String> = places.iter().map(|p| p.county.clone()).collect();
    let (user_name, role, csrf) = crate::pages::nav(caller);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = crate::pages::render(&IntakePage {
        user_name,
        role,
        csrf,
        categories,
        places,
        counties: counties.into_iter().collect(),
        created,
        error,
        can_lookup: caller.user.role.allows(Permission::CallerLookup),
    });
    Ok((status, page).into_response())
}

pub(super) async fn intake_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(q): Query<IntakeQuery>,
) -> Result<Response, PageRejection> {
    render_intake(&state, &caller, q.created, None)
        .await
        .map_err(page_err)
}

pub(super) async fn intake_submit(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::IncidentIntake)
        .map_err(page_err)?;
    let form: IntakeForm = strict_form(&headers, body).await.map_err(page_err)?;
    let now = Utc::now();
    let built = match form.request(now) {
        Ok(req) => build_incident(&state, req, "hotline", &caller.user.name, now).await,
        Err(e) => Err(e),
    };
    let result = match built {
        Ok(new) => intake(&state, new).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => Ok(
            Redirect::to(&format!("/incidents/new?created={}", out.incident.id)).into_response(),
        ),
        Err(ApiError::BadRequest(message)) => render_intake(&state, &caller, None, Some(message))
            .await
            .map_err(page_err),
        Err(e) => Err(page_err(e)),
    }
}

#[derive(Template)]
#[template(path = "incidents_show.html")]
pub(super) struct IncidentPage {
    user_name: String,
    role: String,
    csrf: String,
    incident: Incident,
    timeline: Vec<TimelineEntry>,
    attachments: Vec<IncidentAttachment>,
    can_attach: bool,
    can_work: bool,
    can_manage: bool,
    assignees: Vec<String>,
    resolutions: Vec<&'static str>,
    severities: Vec<&'static str>,
    error: Option<String>,
}

pub(super) async fn render_incident(
    state: &AppState,
    caller: &Caller,
    id: i64,
    error: Option<String>,
) -> Result<Response, ApiError> {
    let (incident, timeline) = load_incident(state, caller, id, "web").await?;
    let attachments = state.store.incident_attachments(id).await?;
    let can_manage = caller.user.role.allows(Permission::IncidentManage);
    let assignees = if can_manage {
        state
            .store
            .coverage(None)
            .await?
            .into_iter()
            .filter(|c| c.county == incident.location.county)
            .map(|c| c.user_name)
            .collect()
    } else {
        vec![caller.user.name.clone()]
    };
    let (user_name, role, csrf) = crate::pages::nav(caller);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = crate::pages::render(&IncidentPage {
        user_name,
        role,
        csrf,
        incident,
        timeline,
        attachments,
        can_attach: caller.user.role.allows(Permission::IncidentIntake)
            || caller.user.role.allows(Permission::IncidentWork),
        can_work: caller.user.role.allows(Permission::IncidentWork),
        can_manage,
        assignees,
        resolutions: Resolution::ALL.iter().map(|r| r.code()).collect(),
        severities: Severity::ALL.iter().map(|s| s.code()).collect(),
        error,
    });
    Ok((status, page).into_response())
}

pub(super) async fn incident_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageRejection> {
    render_incident(&state, &caller, id, None)
        .await
        .map_err(page_err)
}

/// An action form: `action` names it, the other fields carry its parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActForm {
    csrf: String,
    action: String,
    severity: String,
    to: String,
    resolution: String,
    text: String,
}

impl ActForm {
    fn action(&self) -> Result<IncidentAction, ApiError> {
        let resolution = || {
            Resolution::parse(&self.resolution).ok_or_else(|| {
                ApiError::BadRequest(
                    "pick a resolution: fixed_on_site, referred_to_officials, litigation or no_action_needed"
                        .into(),
                )
            })
        };
        let text = self.text.trim().to_string();
        Ok(match self.action.as_str() {
            "triage" => IncidentAction::Triage {
                severity: Severity::parse(&self.severity),
            },
            "assign" => IncidentAction::Assign {
                to: self.to.trim().to_string(),
            },
            "escalate" => IncidentAction::Escalate { reason: text },
            "resolve" => IncidentAction::Resolve {
                resolution: resolution()?,
                note: text,
            },
            "close" => IncidentAction::Close {
                resolution: resolution()?,
                note: text,
            },
            "reopen" => IncidentAction::Reopen { reason: text },
            "note" => IncidentAction::Note { text },
            other => {
                return Err(ApiError::BadRequest(format!("unknown action {other:?}")));
            }
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
        Ok(_) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(ApiError::BadRequest(message)) => render_incident(&state, &caller, id, Some(message))
            .await
            .map_err(page_err),
        Err(e) => Err(page_err(e)),
    }
}

/// A duration in seconds as "4 min" / "1 h 05 min".
pub(super) fn minutes_text(seconds: Option<i64>) -> String {
    match seconds {
        None => "–".into(),
        Some(s) if s < 3600 => format!("{} min", (s + 30) / 60),
        Some(s) => format!("{} h {:02} min", s / 3600, (s % 3600 + 30) / 60),
    }
}

#[derive(Template)]
#[template(path = "incidents_dashboard.html")]
pub(super) struct DashboardPage {
    user_name: String,
    role: String,
    csrf: String,
    d: IncidentDashboard,
    county: String,
    status: String,
    category: String,
    query: String,
    first_p50: String,
    first_p90: String,
    resolution_p50: String,
    resolution_p90: String,
    max_hour: usize,
    can_export: bool,
}

pub(super) async fn dashboard_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageRejection> {
    let rows = list_for(&state, &caller, &p, 0, "incident.dashboard", "web")
        .await
        .map_err(page_err)?;
    let d = dashboard(&rows, 10);
    let (user_name, role, csrf) = crate::pages::nav(&caller);
    let query = serde_urlencoded_pairs(&p);
    Ok(crate::pages::render(&DashboardPage {
        user_name,
        role,
        csrf,
        first_p50: minutes_text(d.time_to_first_action.p50_seconds),
        first_p90: minutes_text(d.time_to_first_action.p90_seconds),
        resolution_p50: minutes_text(d.time_to_resolution.p50_seconds),
        resolution_p90: minutes_text(d.time_to_resolution.p90_seconds),
        max_hour: d.by_hour.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1),
        county: p.county.clone().unwrap_or_default(),
        status: p.status.clone().unwrap_or_default(),
        category: p.category.clone().unwrap_or_default(),
        query,
        can_export: caller.user.role.allows(Permission::IncidentExport),
        d,
    }))
}

/// The filter as a query string (for the export links).
pub(super) fn serde_urlencoded_pairs(p: &ListParams) -> String {
    let mut out = Vec::new();
    for (k, v) in [
        ("county", &p.county),
        ("status", &p.status),
        ("category", &p.category),
    ] {
        if let Some(v) = empty_none(v) {
            let enc: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            out.push(format!("{k}={enc}"));
        }
    }
    out.join("&")
}

pub(super) async fn export_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(p): Query<ListParams>,
) -> Result<Response, PageRejection> {
    export(&state, &caller, &p, "web").await.map_err(page_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse_places_and_minutes() {
        let now = Utc::now();
        let form = IntakeForm {
            minutes_ago: "10".into(),
            polling_place: "OAK GROVE SCHOOL [pl12]".into(),
            ..Default::default()
        };
        let req = form.request(now).unwrap();
        assert_eq!(req.polling_place_id, "pl12");
        assert_eq!(req.polling_place, "OAK GROVE SCHOOL");
        assert_eq!(req.observed_at, Some(now - Duration::minutes(10)));
        let bad = IntakeForm {
            minutes_ago: "soon".into(),
            ..Default::default()
        };
        assert!(bad.request(now).is_err());
        let act = ActForm {
            action: "resolve".into(),
            resolution: "litigation".into(),
            text: "filed".into(),
            ..Default::default()
        };
        assert_eq!(
            act.action().unwrap(),
            IncidentAction::Resolve {
                resolution: Resolution::Litigation,
                note: "filed".into()
            }
        );
        assert!(
            ActForm {
                action: "close".into(),
                ..Default::default()
            }
            .action()
            .is_err()
        );
        assert_eq!(minutes_text(Some(3900)), "1 h 05 min");
        assert_eq!(minutes_text(None), "–");
    }
}
