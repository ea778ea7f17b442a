//! The incident routes under `/api/v1/incidents`: intake, list, one incident with its
//! timeline, actions, categories, caller lookup, dashboard and export (OpenAPI-documented).

use super::*;

/// What an intake did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IntakeReply {
    /// The incident as stored (after triage).
    pub incident: Incident,
    /// Other incidents the triage rules changed (joined a cluster).
    pub changed: Vec<i64>,
}

/// Report an incident (hotline operators, observers, coordinators, scripts). With an
/// `Idempotency-Key` header a retry stores nothing new: the report first stored under
/// the caller's key comes back with 200.
#[utoipa::path(post, path = "/api/v1/incidents", request_body = IntakeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the caller's report first stored under this key is returned")),
    security(("bearer" = [])),
    responses((status = 201, body = IntakeReply, description = "Stored"),
        (status = 200, body = IntakeReply, description = "Already stored under this Idempotency-Key"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(super) async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<IntakeReply>), ApiError> {
    caller.require(Permission::IncidentIntake)?;
    let req: IntakeRequest = strict_json(&headers, body).await?;
    let retry_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let raw = v
                .to_str()
                .map_err(|_| ApiError::BadRequest("Idempotency-Key must be ASCII".into()))?;
            Some(votebase_app::incidents::retry_key(&caller.user.name, raw)?)
        }
    };
    let mut new = build_incident(&state, req, "api", &caller.user.name, Utc::now()).await?;
    new.external_key = retry_key;
    let out = intake(&state, new).await?;
    Ok((
        if out.replayed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(IntakeReply {
            incident: shown(&caller, out.incident),
            changed: out.changed,
        }),
    ))
}

/// Incidents in the caller's counties, most severe then oldest first (audited).
#[utoipa::path(get, path = "/api/v1/incidents", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = [Incident]), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<Incident>>, ApiError> {
    Ok(Json(
        list_for(&state, &caller, &p, 1000, "incident.list", "api").await?,
    ))
}

/// An incident with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentDetail {
    /// The incident.
    pub incident: Incident,
    /// Every change, note and action, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Photos, in the order attached (bytes at `/incidents/{id}/attachments/{n}`).
    pub attachments: Vec<IncidentAttachment>,
}

/// One incident with its timeline (audited).
#[utoipa::path(get, path = "/api/v1/incidents/{id}", params(("id" = i64, Path, description = "Incident id")),
    security(("bearer" = [])),
    responses((status = 200, body = IncidentDetail), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let (incident, timeline) = load_incident(&state, &caller, id, "api").await?;
    let attachments = state.store.incident_attachments(id).await?;
    Ok(Json(IncidentDetail {
        incident,
        timeline,
        attachments,
    }))
}

/// Triage, assign, escalate, resolve, close, reopen or add a note.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/actions", request_body = IncidentAction,
    params(("id" = i64, Path, description = "Incident id")), security(("bearer" = [])),
    responses((status = 200, body = Incident), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn api_act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Json(action): Json<IncidentAction>,
) -> Result<Json<Incident>, ApiError> {
    Ok(Json(act(&state, &caller, id, &action).await?))
}

/// The organization's incident categories.
#[utoipa::path(get, path = "/api/v1/incidents/categories", security(("bearer" = [])),
    responses((status = 200, body = [CategoryInfo]), (status = 403, body = ErrorBody)))]
pub(super) async fn api_categories(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CategoryInfo>>, ApiError> {
    if !caller.user.role.allows(Permission::IncidentIntake) {
        caller.require(Permission::IncidentRead)?;
    }
    Ok(Json(state.store.incident_rules().await?.categories()))
}

/// Caller lookup parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallerLookupParams {
    /// The caller's name ("Smith John" or "Smith, John").
    pub name: String,
    /// ZIP code.
    pub zip: String,
}

/// A voter matching a caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CallerMatch {
    /// State voter id.
    pub state_voter_id: String,
    /// Name.
    pub name: String,
    /// Address with city and ZIP.
    pub address: String,
    /// County.
    pub county_name: String,
    /// Status code.
    pub status: String,
}

/// Finds a caller in the voter file by name and ZIP (audited as a voter search).
pub async fn caller_lookup(
    state: &AppState,
    caller: &Caller,
    name: &str,
    zip: &str,
) -> Result<Vec<CallerMatch>, ApiError> {
    caller.require(Permission::CallerLookup)?;
    let zip5: String = zip.chars().filter(|c| c.is_ascii_digit()).take(5).collect();
    if zip5.len() != 5 {
        return Err(ApiError::BadRequest("give a five-digit ZIP code".into()));
    }
    let query = votebase_ingest::search::parse_voter_query(name, 500);
    if query.names.is_empty() {
        return Err(ApiError::BadRequest(
            "give the caller's name, last name first or \"Last, First\"".into(),
        ));
    }
    let found = state.store.search_voters(&query).await?;
    let matches: Vec<CallerMatch> = found
        .into_iter()
        .filter(|v| v.present && v.address.ends_with(&zip5))
        .take(10)
        .map(|v| CallerMatch {
            state_voter_id: v.state_voter_id,
            name: v.name,
            address: v.address,
            county_name: v.county_name,
            status: v.status,
        })
        .collect();
    audit(
        state,
        caller,
        "voter.search",
        &format!("{name} {zip5}"),
        &format!("incident caller lookup, {} results", matches.len()),
    )
    .await?;
    Ok(matches)
}

/// Finds a caller in the voter file by name and ZIP (audited).
#[utoipa::path(get, path = "/api/v1/incidents/caller-lookup", params(CallerLookupParams),
    security(("bearer" = [])),
    responses((status = 200, body = [CallerMatch]), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub(super) async fn api_caller_lookup(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<CallerLookupParams>,
) -> Result<Json<Vec<CallerMatch>>, ApiError> {
    Ok(Json(caller_lookup(&state, &caller, &p.name, &p.zip).await?))
}

/// Counts by county, category, status and hour; top places; response-time percentiles.
#[utoipa::path(get, path = "/api/v1/incidents/dashboard", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = IncidentDashboard), (status = 403, body = ErrorBody)))]
pub(super) async fn api_dashboard(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<IncidentDashboard>, ApiError> {
    let rows = list_for(&state, &caller, &p, 0, "incident.dashboard", "api").await?;
    Ok(Json(dashboard(&rows, 10)))
}

/// The filtered incidents as CSV (default) or JSON, for the legal team (audited).
#[utoipa::path(get, path = "/api/v1/incidents/export", params(ListParams), security(("bearer" = [])),
    responses((status = 200, description = "CSV or JSON file"), (status = 403, body = ErrorBody)))]
pub(super) async fn api_export(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ListParams>,
) -> Result<Response, ApiError> {
    export(&state, &caller, &p, "api").await
}
