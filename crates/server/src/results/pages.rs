//! The results pages: the public live results (no script; refreshes itself), a
//! precinct's history with corrections, the chair's phone page and the hotline keying
//! page (one template, a little plain JS with an offline queue in `localStorage`), and
//! the staff page (readiness, reconciliation, code sheet).

use super::api::{
    CodeSheetRow, ElectionFeed, ReconciliationRow, check_public, describe_entry, feed,
    load_election, make_codes, public_history, reconciliation_rows,
};
use crate::AppState;
use crate::auth::{PageRejection, PageUser};
use crate::error::ApiError;
use crate::pages::{nav, render};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use votebase_app::results::chair_page_url;
use votebase_domain::results::{Election, PrecinctResult, PrecinctStatus};
use votebase_domain::users::Permission;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/results", get(index))
        .route("/results/{election}", get(public_page))
        .route(
            "/results/{election}/precincts/{precinct}",
            get(precinct_page),
        )
        .route("/results/{election}/chair", get(chair_page))
        .route("/results/{election}/chair-sw.js", get(chair_service_worker))
        .route("/results/{election}/hotline", get(hotline_page))
        .route("/results/{election}/admin", get(admin_page))
        .route("/results/{election}/codes", post(codes_sheet))
        .route("/results/{election}/worksheets/{id}", get(worksheet_photo))
}

fn page_err(e: ApiError) -> PageRejection {
    PageRejection::Error(e)
}

#[derive(Template)]
#[template(path = "results_index.html")]
struct IndexPage {
    elections: Vec<votebase_store::results::ElectionSummary>,
}

async fn index(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
) -> Result<Response, PageRejection> {
    check_public(&state, &ext).map_err(page_err)?;
    let elections = state
        .store
        .elections()
        .await
        .map_err(|e| page_err(e.into()))?;
    Ok(render(&IndexPage { elections }))
}

/// A candidate's line on the public page.
struct TotalLine {
    candidate: String,
    votes: u64,
    delegates: u64,
    sde: String,
}

/// A contest on the public page.
struct ContestView {
    key: String,
    office: String,
    caucus: bool,
    reporting: usize,
    total: usize,
    totals: Vec<TotalLine>,
}

/// A precinct line on the public page.
struct PrecinctView {
    id: String,
    county: String,
    name: String,
    contest: String,
    status: String,
    status_code: String,
    corrected: bool,
    summary: String,
}

#[derive(Template)]
#[template(path = "results_public.html")]
struct PublicPage {
    slug: String,
    name: String,
    date: String,
    generated_at: String,
    contests: Vec<ContestView>,
    precincts: Vec<PrecinctView>,
}

fn status_words(s: PrecinctStatus) -> &'static str {
    match s {
        PrecinctStatus::NotReported => "not reported",
        PrecinctStatus::NeedsCorrection => "being corrected",
        PrecinctStatus::AwaitingSecondEntry => "awaiting second entry",
        PrecinctStatus::Disagreement => "under review",
        PrecinctStatus::Published => "reported",
    }
}

fn public_view(f: &ElectionFeed) -> PublicPage {
    let contests = f
        .contests
        .iter()
        .map(|c| {
            let caucus = f
                .rows
                .iter()
                .any(|r| r.office == c.office && r.county_delegates.is_some());
            ContestView {
                key: c.contest.clone(),
                office: c.office.clone(),
                caucus,
                reporting: c.precincts_reporting,
                total: c.precincts_total,
                totals: c
                    .totals
                    .iter()
                    .map(|t| TotalLine {
                        candidate: t.candidate.clone(),
                        votes: t.votes,
                        delegates: t.county_delegates,
                        sde: format!("{:.4}", t.sde),
                    })
                    .collect(),
            }
        })
        .collect();
    let precincts = f
        .precincts
        .iter()
        .map(|p| {
            let rows: Vec<String> = f
                .rows
                .iter()
                .filter(|r| r.precinct == p.precinct_name && r.county == p.county)
                .filter(|r| {
                    f.contests
                        .iter()
                        .any(|c| c.contest == p.contest && c.office == r.office)
                })
                .filter(|r| r.votes > 0 || r.county_delegates.unwrap_or(0) > 0)
                .map(|r| match r.county_delegates {
                    Some(d) => format!("{} {} ({} del.)", r.candidate, r.votes, d),
                    None => format!("{} {}", r.candidate, r.votes),
                })
                .collect();
            PrecinctView {
                id: p.precinct.clone(),
                county: p.county.clone(),
                name: p.precinct_name.clone(),
                contest: p.contest.clone(),
                status: status_words(p.status).into(),
                status_code: p.status.code().into(),
                corrected: p.corrected,
                summary: rows.join(", "),
            }
        })
        .collect();
    PublicPage {
        slug: f.election.clone(),
        name: f.name.clone(),
        date: f.date.to_string(),
        generated_at: f.generated_at.format("%H:%M:%S UTC").to_string(),
        contests,
        precincts,
    }
}

async fn public_page(
    State(state): State<AppState>,
    Path(election): Path<String>,
    ext: axum::http::Extensions,
) -> Result<Response, PageRejection> {
    check_public(&state, &ext).map_err(page_err)?;
    let f = feed(&state, &election).await.map_err(page_err)?;
    Ok(render(&public_view(&f)))
}

/// One version on the precinct page.
struct VersionView {
    receipt: String,
    channel: String,
    version: u32,
    received_at: String,
    reason: String,
    line: String,
    published: bool,
}

/// One contest on the precinct page.
struct PrecinctContestView {
    contest: String,
    status: String,
    message: String,
    delegates: String,
    versions: Vec<VersionView>,
}

#[derive(Template)]
#[template(path = "results_precinct.html")]
struct PrecinctPage {
    slug: String,
    election_name: String,
    county: String,
    name: String,
    contests: Vec<PrecinctContestView>,
}

fn precinct_view(e: &Election, id: &str, results: Vec<PrecinctResult>) -> Option<PrecinctPage> {
    let p = e.precinct(id)?;
    let contests = e
        .contests
        .iter()
        .map(|c| {
            let r = results.iter().find(|r| r.contest == c.key);
            PrecinctContestView {
                contest: c.office.clone(),
                status: r
                    .map(|r| status_words(r.status))
                    .unwrap_or("not reported")
                    .into(),
                message: r.map(|r| r.status_message.clone()).unwrap_or_default(),
                delegates: r
                    .map(|r| votebase_app::results::delegates_in_words(&r.delegates))
                    .unwrap_or_default(),
                versions: r
                    .map(|r| {
                        r.history
                            .iter()
                            .map(|v| VersionView {
                                receipt: v.receipt_id.clone(),
                                channel: v.channel.code().into(),
                                version: v.version,
                                received_at: v.received_at.format("%H:%M:%S").to_string(),
                                reason: v.reason.clone().unwrap_or_default(),
                                line: describe_entry(v),
                                published: r.published_seq == Some(v.seq),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    Some(PrecinctPage {
        slug: e.slug.clone(),
        election_name: e.name.clone(),
        county: p.county.clone(),
        name: p.name.clone(),
        contests,
    })
}

async fn precinct_page(
    State(state): State<AppState>,
    Path((election, precinct)): Path<(String, String)>,
    ext: axum::http::Extensions,
) -> Result<Response, PageRejection> {
    check_public(&state, &ext).map_err(page_err)?;
    let e = load_election(&state, &election).await.map_err(page_err)?;
    let results: Vec<PrecinctResult> = state
        .store
        .precinct_results(&election)
        .await
        .map_err(|e| page_err(e.into()))?
        .into_iter()
        .filter(|r| r.precinct == precinct)
        .map(public_history)
        .collect();
    let page = precinct_view(&e, &precinct, results)
        .ok_or_else(|| page_err(ApiError::NotFound(format!("no precinct {precinct:?}"))))?;
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "results_chair.html")]
struct ChairPage {
    slug: String,
    name: String,
    /// `chair` or `hotline`.
    mode: String,
    /// Hotline: the session's CSRF token and the election as JSON for the script.
    csrf: String,
    election_json: String,
}

async fn chair_page(
    State(state): State<AppState>,
    Path(election): Path<String>,
) -> Result<Response, PageRejection> {
    let e = load_election(&state, &election).await.map_err(page_err)?;
    Ok(render(&ChairPage {
        slug: e.slug.clone(),
        name: e.name.clone(),
        mode: "chair".into(),
        csrf: String::new(),
        election_json: "null".into(),
    }))
}

/// The chair page's service worker: keeps a copy of the page so that it opens again
/// without a connection (network first, the copy only when offline). Submissions are
/// never intercepted: they wait in the page's own queue.
async fn chair_service_worker(
    State(state): State<AppState>,
    Path(election): Path<String>,
) -> Result<Response, PageRejection> {
    // Only for a set-up election: its slug is lowercase letters, digits and dashes.
    let e = load_election(&state, &election).await.map_err(page_err)?;
    let page = format!("/results/{}/chair", e.slug);
    let script = format!(
        r#""use strict";
var CACHE = "vb-chair-v1";
var PAGE = {page:?};
self.addEventListener("install", function (e) {{
  e.waitUntil(caches.open(CACHE).then(function (c) {{ return c.add(PAGE); }}).then(function () {{ return self.skipWaiting(); }}));
}});
self.addEventListener("activate", function (e) {{ e.waitUntil(self.clients.claim()); }});
self.addEventListener("fetch", function (e) {{
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.pathname !== PAGE) {{ return; }}
  e.respondWith(fetch(e.request).then(function (r) {{
    var copy = r.clone();
    caches.open(CACHE).then(function (c) {{ c.put(PAGE, copy); }});
    return r;
  }}).catch(function () {{ return caches.match(PAGE); }}));
}});
"#
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        script,
    )
        .into_response())
}

async fn hotline_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(election): Path<String>,
) -> Result<Response, PageRejection> {
    caller.require(Permission::KeyResults).map_err(page_err)?;
    let e = load_election(&state, &election).await.map_err(page_err)?;
    let json = serde_json::to_string(&e)
        .map_err(|err| page_err(ApiError::Internal(err.to_string())))?
        .replace('<', "\\u003c");
    Ok(render(&ChairPage {
        slug: e.slug.clone(),
        name: e.name.clone(),
        mode: "hotline".into(),
        csrf: caller.csrf_token.clone().unwrap_or_default(),
        election_json: json,
    }))
}

/// One chair on the readiness list.
struct ReadyView {
    id: String,
    county: String,
    name: String,
    signed_in: String,
}

#[derive(Template)]
#[template(path = "results_admin.html")]
struct AdminPage {
    user_name: String,
    role: String,
    csrf: String,
    slug: String,
    name: String,
    precincts: usize,
    with_code: usize,
    signed_in: usize,
    not_ready: Vec<ReadyView>,
    rows: Vec<ReconciliationRow>,
    flagged: usize,
}

async fn admin_page(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(election): Path<String>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ManageResults)
        .map_err(page_err)?;
    let e = load_election(&state, &election).await.map_err(page_err)?;
    let ready = state
        .store
        .chair_readiness(&election)
        .await
        .map_err(|e| page_err(e.into()))?;
    let rows = reconciliation_rows(&state, &election)
        .await
        .map_err(page_err)?;
    let not_ready = e
        .precincts
        .iter()
        .filter_map(|p| {
            let r = ready.iter().find(|r| r.precinct == p.id);
            if r.is_some_and(|r| r.first_sign_in.is_some()) {
                return None;
            }
            Some(ReadyView {
                id: p.id.clone(),
                county: p.county.clone(),
                name: p.name.clone(),
                signed_in: if r.is_some() {
                    "code issued, never signed in".into()
                } else {
                    "no code issued".into()
                },
            })
        })
        .collect();
    let (user_name, role, csrf) = nav(&caller);
    let flagged = rows
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                PrecinctStatus::Disagreement | PrecinctStatus::NeedsCorrection
            )
        })
        .count();
    Ok(render(&AdminPage {
        user_name,
        role,
        csrf,
        slug: e.slug.clone(),
        name: e.name.clone(),
        precincts: e.precincts.len(),
        with_code: ready.len(),
        signed_in: ready.iter().filter(|r| r.first_sign_in.is_some()).count(),
        not_ready,
        rows,
        flagged,
    }))
}

/// The code-sheet form (its `csrf` field is checked by the server's one CSRF rule).
#[derive(Deserialize)]
struct CodesForm {
    /// Precinct ids separated by commas or spaces (empty: all).
    #[serde(default)]
    precincts: String,
}

#[derive(Template)]
#[template(path = "results_codes.html")]
struct CodesPage {
    name: String,
    /// The chair page's link: the configured public URL + path, or the path alone.
    link: String,
    /// False when no public URL is configured (the sheet says so).
    public_url_set: bool,
    rows: Vec<CodeSheetRow>,
}

/// Issues codes and shows them as a printable sheet (one block per precinct).
async fn codes_sheet(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path(election): Path<String>,
    Form(form): Form<CodesForm>,
) -> Result<Response, PageRejection> {
    let only: Vec<String> = form
        .precincts
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let e = load_election(&state, &election).await.map_err(page_err)?;
    let rows = make_codes(&state, &caller, &election, &only)
        .await
        .map_err(page_err)?;
    // Links come from the configured public URL, never from the request's Host header
    // (which a client chooses): a printed sheet must not send chairs elsewhere.
    let public_url = state.public_url.as_deref();
    let mut response = render(&CodesPage {
        name: e.name.clone(),
        link: chair_page_url(public_url, &e.slug),
        public_url_set: public_url.is_some(),
        rows,
    });
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

async fn worksheet_photo(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Path((election, id)): Path<(String, i64)>,
) -> Result<Response, PageRejection> {
    caller
        .require(Permission::ManageResults)
        .map_err(page_err)?;
    let (w, bytes) = state
        .store
        .worksheet_bytes(&election, id)
        .await
        .map_err(|e| page_err(e.into()))?
        .ok_or_else(|| page_err(ApiError::NotFound(format!("no worksheet {id}"))))?;
    Ok(([(header::CONTENT_TYPE, w.content_type)], bytes).into_response())
}
