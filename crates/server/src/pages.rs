//! The web UI: sign-in and sign-out (CSRF-protected, rate-limited), voter search, the
//! voter page with every field, vote history and snapshot changes, and the snapshot
//! list. Pages are rendered on the server and work without JavaScript.

use crate::AppState;
use crate::api::{audit, load_voter};
use crate::auth::{
    self, Caller, LOGIN_CSRF_COOKIE, PageRejection, PageUser, SESSION_COOKIE, same_secret,
    sha256_hex,
};
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{Duration, Utc};
use serde::Deserialize;
use votebase_domain::users::Permission;
use votebase_domain::{FieldChange, SnapshotSummary};
use votebase_store::{Session, VoterSummary};

/// The UI's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(search_page))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/voters/{id}", get(voter_page))
        .route("/snapshots", get(snapshots_page))
        .route("/snapshots/{id}", get(snapshot_page))
}

/// Renders an error as a page.
pub fn error_page(e: ApiError) -> Response {
    #[derive(Template)]
    #[template(path = "error.html")]
    struct ErrorPage {
        title: String,
        message: String,
    }
    let status = e.status();
    if let ApiError::Internal(detail) = &e {
        tracing::error!(detail = %detail, "page error");
    }
    let page = ErrorPage {
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        message: e.to_string(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, e.to_string()).into_response(),
    }
}

/// Renders a template, or an error page.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(ApiError::from(e)),
    }
}

/// Runs a voter search for a caller and audits it.
pub async fn run_search(
    state: &AppState,
    caller: &Caller,
    text: &str,
    limit: usize,
    channel: &str,
) -> Result<Vec<VoterSummary>, ApiError> {
    caller.require(Permission::ReadVoters)?;
    let query = votebase_ingest::search::parse_voter_query(text, limit.clamp(1, 1000));
    if query.is_empty() {
        return Err(ApiError::BadRequest(
            "nothing to search for: give a name, an address or a voter id".into(),
        ));
    }
    let found = state.store.search_voters(&query).await?;
    audit(
        state,
        caller,
        "voter.search",
        text,
        &format!("{channel}, {} results", found.len()),
    )
    .await?;
    Ok(found)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    error: Option<String>,
}

fn login_page(jar: CookieJar, error: Option<String>, status: StatusCode) -> Response {
    let csrf = auth::new_secret();
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, csrf.clone()))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (status, jar.add(cookie), render(&LoginPage { csrf, error })).into_response()
}

async fn login_form(jar: CookieJar) -> Response {
    login_page(jar, None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    if state
        .limits
        .login
        .check(crate::auth::client_ip(&extensions))
        .is_err()
    {
        return login_page(
            jar,
            Some(ApiError::RateLimited.to_string()),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| same_secret(&e, &form.csrf)) {
        return login_page(
            jar,
            Some(ApiError::CsrfFailed.to_string()),
            StatusCode::FORBIDDEN,
        );
    }
    // Per account too: 5 failures per 15 minutes per name, whichever address they come from.
    let name = form.username.trim();
    let now = std::time::Instant::now();
    if state.login_throttle.retry_after(name, now).is_some() {
        return login_page(
            jar,
            Some(ApiError::RateLimited.to_string()),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let found = match state.store.user_with_password(name).await {
        Ok(f) => f,
        Err(e) => return error_page(e.into()),
    };
    // Unknown (or disabled) names are verified against a dummy hash: equal work, so the
    // time taken does not tell which names exist.
    let verified =
        auth::verify_password_or_dummy(&form.password, found.as_ref().map(|(_, h)| h.as_str()));
    let Some((user, _)) = found.filter(|_| verified) else {
        state.login_throttle.record_failure(name, now);
        return login_page(
            jar,
            Some(ApiError::BadCredentials.to_string()),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.login_throttle.record_success(name);
    let secret = auth::new_secret();
    let session = Session {
        user: user.clone(),
        csrf_token: auth::new_secret(),
        expires_at: Utc::now() + Duration::hours(12),
    };
    if let Err(e) = state
        .store
        .create_session(&sha256_hex(&secret), &session)
        .await
    {
        return error_page(e.into());
    }
    let caller = Caller {
        user,
        csrf_token: None,
    };
    if let Err(e) = audit(&state, &caller, "session.start", &caller.user.name, "").await {
        return error_page(e);
    }
    let cookie = Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    (
        jar.remove(Cookie::from(LOGIN_CSRF_COOKIE)).add(cookie),
        Redirect::to("/"),
    )
        .into_response()
}

/// `POST /logout` (its CSRF token is checked by [`crate::csrf`], like every form's).
async fn logout(
    State(state): State<AppState>,
    PageUser(_caller): PageUser,
    jar: CookieJar,
) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE)
        && let Err(e) = state.store.delete_session(&sha256_hex(c.value())).await
    {
        return error_page(e.into());
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    user_name: String,
    role: String,
    csrf: String,
    query: String,
    voter_count: i64,
    results: Vec<VoterSummary>,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// The signed-in user's name, role and CSRF token, for the navigation bar.
pub fn nav(caller: &Caller) -> (String, String, String) {
    (
        caller.user.name.clone(),
        caller.user.role.code().to_string(),
        caller.csrf_token.clone().unwrap_or_default(),
    )
}

async fn search_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Query(params): Query<SearchQuery>,
) -> Result<Response, PageRejection> {
    let query = params.q.unwrap_or_default().trim().to_string();
    let results = if query.is_empty() {
        caller
            .require(Permission::ReadVoters)
            .map_err(PageRejection::Error)?;
        Vec::new()
    } else {
        run_search(&state, &caller, &query, 100, "web")
            .await
            .map_err(PageRejection::Error)?
    };
    let voter_count = state
        .store
        .count_voters()
        .await
        .map_err(|e| PageRejection::Error(e.into()))?;
    let (user_name, role, csrf) = nav(&caller);
    Ok(render(&SearchPage {
        user_name,
        role,
        csrf,
        query,
        voter_count,
        results,
    }))
}

#[derive(Template)]
#[template(path = "voter.html")]
struct VoterPage {
    user_name: String,
    role: String,
    csrf: String,
    name: String,
    present: bool,
    first_snapshot: i64,
    removed_snapshot: i64,
    fields: Vec<(String, String)>,
    phones: Vec<votebase_store::PhoneAppend>,
    /// One timeline of everything (voter file, votes, ballots, contacts, answers, tags).
    timeline: crate::contacts::Timeline,
    /// The "Record a contact" form, for roles that may record contacts.
    contact_form: Option<crate::contacts::ContactFormView>,
}

async fn voter_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<String>,
) -> Result<Response, PageRejection> {
    voter_page_with(&state, &caller, &id, None).await
}

/// Renders the voter page (audited read); `contact_form` re-shows the contact form with
/// an error, else a fresh form is shown to roles with `RecordContacts`.
pub(crate) async fn voter_page_with(
    state: &AppState,
    caller: &Caller,
    id: &str,
    contact_form: Option<crate::contacts::ContactFormView>,
) -> Result<Response, PageRejection> {
    let detail = load_voter(state, caller, id, "web")
        .await
        .map_err(PageRejection::Error)?;
    let record = &detail.voter.record;
    let mut fields: Vec<(String, String)> = votebase_store::columns::voter_values(record)
        .iter()
        .zip(votebase_store::columns::VOTER_COLUMNS)
        .filter(|(_, (name, _))| *name != "extra")
        .map(|(v, (name, _))| (name.replace('_', " "), v.as_text()))
        .collect();
    fields.extend(record.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let timeline = crate::contacts::voter_timeline(state.store.as_ref(), id)
        .await
        .map_err(|e| PageRejection::Error(e.into()))?;
    let (user_name, role, csrf) = nav(caller);
    Ok(render(&VoterPage {
        user_name,
        role,
        csrf,
        name: record.display_name(),
        present: detail.voter.present,
        first_snapshot: detail.voter.first_snapshot,
        removed_snapshot: detail.voter.removed_snapshot.unwrap_or_default(),
        fields,
        phones: detail.appended_phones,
        timeline,
        contact_form: caller
            .user
            .role
            .allows(Permission::RecordContacts)
            .then(|| contact_form.unwrap_or_else(crate::contacts::ContactFormView::fresh)),
    }))
}

#[derive(Template)]
#[template(path = "snapshots.html")]
struct SnapshotsPage {
    user_name: String,
    role: String,
    csrf: String,
    snapshots: Vec<SnapshotSummary>,
    /// The organization whose voter file this one reads, if any.
    voter_file_source: Option<String>,
}

async fn snapshots_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ReadSnapshots)
        .map_err(PageRejection::Error)?;
    let snapshots = state
        .store
        .list_snapshots()
        .await
        .map_err(|e| PageRejection::Error(e.into()))?;
    let (user_name, role, csrf) = nav(&caller);
    Ok(render(&SnapshotsPage {
        user_name,
        role,
        csrf,
        snapshots,
        voter_file_source: state.store.voter_file_source().map(|s| s.to_string()),
    }))
}

#[derive(Template)]
#[template(path = "snapshot.html")]
struct SnapshotPage {
    user_name: String,
    role: String,
    csrf: String,
    snapshot: SnapshotSummary,
    changes: Vec<FieldChange>,
    offset: i64,
    prev_offset: i64,
    next_offset: i64,
    page_size: usize,
}

#[derive(Deserialize)]
struct OffsetQuery {
    offset: Option<i64>,
}

const CHANGES_PER_PAGE: i64 = 200;

async fn snapshot_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(id): Path<i64>,
    Query(params): Query<OffsetQuery>,
) -> Result<Response, PageRejection> {
    // Change records carry voters' old and new values: personal data, audited.
    caller
        .require(Permission::ReadVoters)
        .map_err(PageRejection::Error)?;
    let snapshot = state
        .store
        .list_snapshots()
        .await
        .map_err(|e| PageRejection::Error(e.into()))?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| PageRejection::Error(ApiError::NotFound(format!("no snapshot {id}"))))?;
    let offset = params.offset.unwrap_or(0).max(0);
    let changes = state
        .store
        .snapshot_changes(id, CHANGES_PER_PAGE, offset)
        .await
        .map_err(|e| PageRejection::Error(e.into()))?;
    audit(
        &state,
        &caller,
        "snapshot.changes.read",
        &format!("snapshot {id}"),
        &format!("web, offset {offset}, {} rows", changes.len()),
    )
    .await
    .map_err(PageRejection::Error)?;
    let (user_name, role, csrf) = nav(&caller);
    Ok(render(&SnapshotPage {
        user_name,
        role,
        csrf,
        snapshot,
        changes,
        offset,
        prev_offset: (offset - CHANGES_PER_PAGE).max(0),
        next_offset: offset + CHANGES_PER_PAGE,
        page_size: CHANGES_PER_PAGE as usize,
    }))
}
