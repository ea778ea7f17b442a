//! The public "Where do I vote?" service: no sign-in, no JavaScript, no third-party
//! assets, English and Spanish (see [`i18n`]).
//!
//! * `GET /vote` — the address form.
//! * `GET /vote/where?address=…&lang=en|es` — the answer page: polling place with address
//!   and hours, early-vote sites and drop boxes, or the mail-only, need-more, did-you-mean,
//!   conflict or not-found message; a shareable link (the page's own URL), an "add to
//!   calendar" link and the feed's date.
//! * `GET /vote/where.ics?address=…` — election day at the polling place as an iCalendar file.
//! * `GET /api/v1/lookup?address=…` — the engine's answer as JSON, with the feed's dates.
//!
//! [`LookupService`] holds the index of the organization's current VIP feed (installed by
//! `votebase import vip` under `<data>/<org>.vip/`, see [`votebase_vip::store`]). It loads
//! the feed at start and polls the `current` pointer file every few seconds; a new pointer
//! is loaded and indexed on a blocking thread and swapped in atomically, so lookups go on
//! answering from the old index during a reload, and a feed that fails to load leaves the
//! old one in service.
//!
//! Overload: each client address has its own rate limit (429 with `Retry-After`), and the
//! whole service sheds load with 503 and `Retry-After` instead of queueing without bound,
//! when too many lookups are in flight or when the runtime's scheduling delay (measured by
//! a ticking task) shows that requests are already waiting too long.
//!
//! Privacy: addresses are never logged. Pages send `Referrer-Policy: no-referrer` so the
//! address in the URL does not leak, and a Content-Security-Policy that forbids scripts.

pub mod i18n;
mod service;

use askama::Template;
use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::http::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    HeaderMap, HeaderName, HeaderValue, REFERRER_POLICY, RETRY_AFTER,
};
use axum::http::{Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use i18n::{Catalog, I18n};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use votebase_vip::{Answer, Missing, Place, Query as VipQuery, parse_query};

pub use service::{LoadedFeed, LookupConfig, LookupService, ReloadError};

/// The public routes: `/vote`, `/vote/where`, `/vote/where.ics`, `/api/v1/lookup`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<LookupService>: FromRef<S>,
{
    Router::new()
        .route("/vote", get(form_page))
        .route("/vote/where", get(where_page))
        .route("/vote/where.ics", get(where_ics))
        .route("/api/v1/lookup", get(api_lookup))
}

/// This feature's OpenAPI paths (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(api_lookup))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

/// Query of every lookup route.
#[derive(Debug, Deserialize, Default)]
pub struct LookupParams {
    /// The address, free text.
    #[serde(default)]
    pub address: Option<String>,
    /// `en`, `es`.
    #[serde(default)]
    pub lang: Option<String>,
}

pub(super) enum Refusal {
    RateLimited(u64),
    Busy,
}

fn lang<'a>(i18n: &'a I18n, params: &LookupParams, headers: &HeaderMap) -> &'a Catalog {
    i18n.negotiate(
        params.lang.as_deref(),
        headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    )
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn where_url(path: &str, address: &str, lang: &str) -> String {
    format!("{path}?address={}&lang={lang}", encode(address))
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn page_headers(response: &mut Response, cache: &'static str) {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
}

fn html(
    status: StatusCode,
    t: &impl Template,
    cache: &'static str,
    code: &'static str,
) -> Response {
    let mut response = match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "lookup page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    };
    page_headers(&mut response, cache);
    response.headers_mut().insert(
        HeaderName::from_static("content-language"),
        HeaderValue::from_static(code),
    );
    response
}

/// A language the page can switch to.
/// A link to the same page in another language.
pub(crate) struct LangLink {
    pub(crate) code: &'static str,
    pub(crate) name: String,
    pub(crate) href: String,
    pub(crate) current: bool,
}

pub(crate) fn lang_links(
    i18n: &I18n,
    t: &Catalog,
    path: &str,
    address: Option<&str>,
) -> Vec<LangLink> {
    i18n.all()
        .iter()
        .map(|c| LangLink {
            code: c.code(),
            name: c.t("lang_name").to_string(),
            href: match address {
                Some(a) => where_url(path, a, c.code()),
                None => format!("{path}?lang={}", c.code()),
            },
            current: c.code() == t.code(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "vote_form.html")]
struct FormPage<'a> {
    t: &'a Catalog,
    langs: Vec<LangLink>,
    address: String,
    error: Option<String>,
}

/// One place on the answer page.
struct PlaceView {
    name: String,
    address: Vec<String>,
    hours: Vec<String>,
    directions: String,
}

impl PlaceView {
    /// A place with its hours in the page's language.
    fn new(p: &Place, t: &Catalog) -> Self {
        Self {
            name: p.name.clone(),
            address: p.address.clone(),
            hours: p.hours.iter().map(|h| localize_hours(t, h)).collect(),
            directions: p.directions.clone(),
        }
    }
}

/// The engine's hours line ("2026-10-17 to 2026-10-31 08:00-19:30") in the page's
/// language: ISO dates as the catalog writes dates, "to" translated.
fn localize_hours(t: &Catalog, line: &str) -> String {
    line.split(' ')
        .map(|token| {
            // A date may carry punctuation after it ("2012-05-05:").
            let bare = token.trim_end_matches([':', ',', ';']);
            let tail = &token[bare.len()..];
            if token == "to" {
                t.t("range_to").to_string()
            } else if chrono::NaiveDate::parse_from_str(bare, "%Y-%m-%d").is_ok() {
                format!("{}{tail}", t.date(bare))
            } else {
                token.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A link that refines the lookup (a suggested street, a ZIP code to add).
struct Choice {
    label: String,
    href: String,
}

#[derive(Template)]
#[template(path = "vote_where.html")]
struct WherePage<'a> {
    t: &'a Catalog,
    langs: Vec<LangLink>,
    address: String,
    /// `found`, `mail-only`, `need-more`, `conflict`, `did-you-mean`, `not-found`.
    status: &'static str,
    heading: String,
    message: String,
    precinct: String,
    polling: Vec<PlaceView>,
    early: Vec<PlaceView>,
    drop_boxes: Vec<PlaceView>,
    choices: Vec<Choice>,
    share_url: String,
    ics_url: String,
    election_line: String,
    feed_line: String,
}

async fn form_page(
    State(svc): State<Arc<LookupService>>,
    Query(params): Query<LookupParams>,
    headers: HeaderMap,
) -> Response {
    let t = lang(svc.i18n, &params, &headers);
    let page = FormPage {
        t,
        langs: lang_links(svc.i18n, t, "/vote", None),
        address: params.address.unwrap_or_default(),
        error: None,
    };
    html(StatusCode::OK, &page, "public, max-age=300", t.code())
}

fn refused(svc: &LookupService, t: &Catalog, why: Refusal, api: bool) -> Response {
    let (status, retry, key, code) = match why {
        Refusal::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            secs.clamp(1, 3600),
            "rate_limited",
            "rate_limited",
        ),
        Refusal::Busy => (StatusCode::SERVICE_UNAVAILABLE, 1, "busy", "overloaded"),
    };
    let mut response = if api {
        json_error(status, code, svc.i18n.all()[0].t(key))
    } else {
        let page = FormPage {
            t,
            langs: lang_links(svc.i18n, t, "/vote", None),
            address: String::new(),
            error: Some(t.t(key).to_string()),
        };
        html(status, &page, "no-store", t.code())
    };
    response.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from_str(&retry.to_string()).unwrap_or(HeaderValue::from_static("1")),
    );
    response
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (
        status,
        axum::Json(ErrorBody {
            error: code,
            message,
        }),
    )
        .into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The address typed back as a query, with a part replaced by a choice.
fn requery(q: &VipQuery, replace: impl FnOnce(&mut VipQuery)) -> String {
    let mut q = q.clone();
    replace(&mut q);
    let street: Vec<&str> = [
        q.house_number.as_str(),
        q.pre.as_str(),
        q.name.as_str(),
        q.suffix.as_str(),
        q.post.as_str(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect();
    let mut line = street.join(" ");
    if !q.unit.is_empty() {
        line.push_str(&format!(" APT {}", q.unit));
    }
    let place: Vec<&str> = [q.state.as_str(), q.zip.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    for part in [q.city.clone(), place.join(" ")] {
        if !part.is_empty() {
            line.push_str(", ");
            line.push_str(&part);
        }
    }
    line
}

fn missing_label(t: &Catalog, m: Missing) -> &str {
    t.t(match m {
        Missing::HouseNumber => "missing_house_number",
        Missing::Street => "missing_street",
        Missing::Zip => "missing_zip",
        Missing::City => "missing_city",
        Missing::StreetSuffix => "missing_street_suffix",
        Missing::Direction => "missing_direction",
        Missing::Unit => "missing_unit",
    })
}

fn absolute(extensions: &Extensions, path: &str) -> String {
    match extensions
        .get::<crate::context::RequestContext>()
        .and_then(|c| c.origin.clone())
    {
        Some(origin) => format!("{origin}{path}"),
        None => path.to_string(),
    }
}

/// Most characters of an address (longer ones are refused before any work).
pub const MAX_ADDRESS_CHARS: usize = 200;

/// 400 when the address is over [`MAX_ADDRESS_CHARS`] (or the language over 16).
fn too_long(
    svc: &LookupService,
    t: &Catalog,
    params: &LookupParams,
    api: bool,
) -> Option<Response> {
    let address = params.address.as_deref().unwrap_or_default().trim();
    let lang = params.lang.as_deref().unwrap_or_default();
    if address.chars().count() <= MAX_ADDRESS_CHARS && lang.len() <= 16 {
        return None;
    }
    Some(if api {
        json_error(
            StatusCode::BAD_REQUEST,
            "address_too_long",
            svc.i18n.all()[0].t("address_too_long"),
        )
    } else {
        let page = FormPage {
            t,
            langs: lang_links(svc.i18n, t, "/vote", None),
            address: String::new(),
            error: Some(t.t("address_too_long").to_string()),
        };
        html(StatusCode::BAD_REQUEST, &page, "no-store", t.code())
    })
}

/// Runs CPU-heavy lookup work on the blocking pool (the caller holds an in-flight permit,
/// which bounds how many run at once); a panic there goes on as the handler's panic.
async fn off_runtime(work: impl FnOnce() -> Response + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(work).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is shutting down",
        ),
    }
}

async fn where_page(
    State(svc): State<Arc<LookupService>>,
    Query(params): Query<LookupParams>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    let t = lang(svc.i18n, &params, &headers);
    if let Some(r) = too_long(&svc, t, &params, false) {
        return r;
    }
    let _permit = match svc.admit(crate::auth::client_ip(&extensions)) {
        Ok(p) => p,
        Err(why) => return refused(&svc, t, why, false),
    };
    let share_base = absolute(&extensions, "");
    off_runtime(move || where_answer(&svc, t, params, &share_base)).await
}

/// The answer page, off the async workers (parsing and matching cost CPU).
fn where_answer(
    svc: &LookupService,
    t: &'static Catalog,
    params: LookupParams,
    share_base: &str,
) -> Response {
    let address = params.address.unwrap_or_default().trim().to_string();
    let form = |status, error: &str| {
        let page = FormPage {
            t,
            langs: lang_links(svc.i18n, t, "/vote", None),
            address: address.clone(),
            error: Some(error.to_string()),
        };
        html(status, &page, "no-store", t.code())
    };
    if address.is_empty() {
        return form(StatusCode::BAD_REQUEST, t.t("empty_address"));
    }
    let Some(feed) = svc.feed() else {
        return form(StatusCode::SERVICE_UNAVAILABLE, t.t("no_feed"));
    };
    let index = &feed.index;
    let query = parse_query(&address, index);
    let answer = index.lookup_query(&query);
    let self_path = where_url("/vote/where", &address, t.code());
    let mut page = WherePage {
        t,
        langs: lang_links(svc.i18n, t, "/vote/where", Some(&address)),
        address: address.clone(),
        status: "",
        heading: String::new(),
        message: String::new(),
        precinct: String::new(),
        polling: Vec::new(),
        early: Vec::new(),
        drop_boxes: Vec::new(),
        choices: Vec::new(),
        share_url: format!("{share_base}{self_path}"),
        ics_url: String::new(),
        election_line: if feed.election_date.is_empty() {
            String::new()
        } else {
            let date = t.date(&feed.election_date);
            if feed.election_name.is_empty() {
                t.fmt("election_day", &[("date", &date)])
            } else {
                format!(
                    "{} — {}",
                    feed.election_name,
                    t.fmt("election_day", &[("date", &date)])
                )
            }
        },
        feed_line: t.fmt(
            "feed_source",
            &[
                (
                    "source",
                    if feed.source_name.is_empty() {
                        t.t("not_available")
                    } else {
                        &feed.source_name
                    },
                ),
                (
                    "date",
                    &if feed.source_date.is_empty() {
                        t.t("not_available").to_string()
                    } else {
                        t.date(&feed.source_date)
                    },
                ),
            ],
        ),
    };
    match &answer {
        Answer::Found { precinct, .. } => {
            page.status = "found";
            page.heading = t.t("answer_heading").into();
            page.precinct = t.fmt("precinct", &[("name", &precinct.name)]);
            page.polling = precinct
                .polling_places
                .iter()
                .map(|p| PlaceView::new(p, t))
                .collect();
            page.early = precinct
                .early_vote
                .iter()
                .map(|p| PlaceView::new(p, t))
                .collect();
            page.drop_boxes = precinct
                .drop_boxes
                .iter()
                .map(|p| PlaceView::new(p, t))
                .collect();
            if !page.polling.is_empty() && !feed.election_date.is_empty() {
                page.ics_url = where_url("/vote/where.ics", &address, t.code());
            }
        }
        Answer::MailOnly { precinct, .. } => {
            page.status = "mail-only";
            page.heading = t.t("mail_only_heading").into();
            page.message = t.fmt("mail_only", &[("name", &precinct.name)]);
            page.drop_boxes = precinct
                .drop_boxes
                .iter()
                .map(|p| PlaceView::new(p, t))
                .collect();
        }
        Answer::NeedMore { missing, options } => {
            page.status = "need-more";
            page.heading = t.t("need_more_heading").into();
            let what: Vec<&str> = missing.iter().map(|m| missing_label(t, *m)).collect();
            page.message = t.fmt(
                "need_more",
                &[("what", &what.join(&format!(" {} ", t.t("and"))))],
            );
            if let [m] = missing.as_slice() {
                page.choices = options
                    .iter()
                    .map(|o| {
                        let refined = requery(&query, |q| match m {
                            Missing::Zip => q.zip = o.clone(),
                            Missing::City => q.city = o.clone(),
                            Missing::Unit => q.unit = o.clone(),
                            _ => {
                                q.pre.clear();
                                q.suffix.clear();
                                q.post.clear();
                                q.name = o.clone();
                            }
                        });
                        Choice {
                            label: refined.clone(),
                            href: where_url("/vote/where", &refined, t.code()),
                        }
                    })
                    .collect();
            }
        }
        Answer::Conflict {
            precincts, contact, ..
        } => {
            page.status = "conflict";
            page.heading = t.t("conflict_heading").into();
            let names: Vec<&str> = precincts.iter().map(|p| p.name.as_str()).collect();
            page.message = t.fmt("conflict", &[("names", &names.join(", "))]);
            // Every candidate's place, named by its precinct, and whom to ask.
            if let Some(c) = contact {
                let reach: Vec<&str> = [c.name.as_str(), &c.phone, &c.email]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect();
                page.message = format!("{} {}.", page.message, reach.join(", "));
            }
            page.polling = precincts
                .iter()
                .flat_map(|p| {
                    p.polling_places.iter().map(move |place| {
                        let mut view = PlaceView::new(place, t);
                        view.name = format!("{} ({})", view.name, p.name);
                        view
                    })
                })
                .collect();
        }
        Answer::DidYouMean {
            street,
            suggestions,
        } => {
            page.status = "did-you-mean";
            page.heading = t.t("did_you_mean_heading").into();
            page.message = t.fmt("unknown_street", &[("street", street)]);
            if suggestions.is_empty() {
                page.message = format!("{} {}", page.message, t.t("no_suggestions"));
            }
            page.choices = suggestions
                .iter()
                .map(|s| {
                    let refined = requery(&query, |q| {
                        q.pre.clear();
                        q.suffix.clear();
                        q.post.clear();
                        q.name = s.street.clone();
                        if q.zip.is_empty() {
                            q.zip = s.zip.clone();
                        }
                    });
                    Choice {
                        label: refined.clone(),
                        href: where_url("/vote/where", &refined, t.code()),
                    }
                })
                .collect();
        }
        Answer::NotFound { .. } => {
            page.status = "not-found";
            page.heading = t.t("not_found_heading").into();
            page.message = t.t("not_found").into();
        }
    }
    html(StatusCode::OK, &page, "private, max-age=60", t.code())
}

/// The JSON answer, `{"status":…,…,"feed":{…}}`: the engine's answer with the feed's
/// facts, serialised once per loaded feed ([`LoadedFeed::info_json`]) and appended to the
/// answer's object (what `#[serde(flatten)]` would write, without its per-entry detour).
/// A found or mail-only answer takes its precinct's JSON from [`LoadedFeed::precinct_json`]
/// (the fields in the order the derived form writes them).
fn answer_json(answer: &Answer<'_>, feed: &LoadedFeed) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(1024 + feed.info_json.len());
    // (status as the derived form names it, precinct, segment, other precincts).
    let with_precinct = match answer {
        Answer::Found {
            precinct,
            segment,
            also_precincts,
        } => Some(("found", precinct, segment, also_precincts.as_slice())),
        Answer::MailOnly { precinct, segment } => Some(("mail-only", precinct, segment, &[][..])),
        _ => None,
    };
    let cached = with_precinct.and_then(|(status, precinct, segment, also)| {
        let at = feed.index.precinct_position(precinct)?;
        Some((status, feed.precinct_json.get(at)?, segment, also))
    });
    match cached {
        Some((status, json, segment, also_precincts)) => {
            out.extend_from_slice(b"{\"status\":");
            serde_json::to_writer(&mut out, status)?;
            out.extend_from_slice(b",\"precinct\":");
            out.extend_from_slice(json);
            out.extend_from_slice(b",\"segment\":");
            serde_json::to_writer(&mut out, segment)?;
            if !also_precincts.is_empty() {
                out.extend_from_slice(b",\"also_precincts\":");
                serde_json::to_writer(&mut out, also_precincts)?;
            }
        }
        None => {
            serde_json::to_writer(&mut out, answer)?;
            // An answer is an object (its `status` at least): its closing brace makes way.
            if out.pop() != Some(b'}') {
                return Err(serde::ser::Error::custom("the answer is not a JSON object"));
            }
        }
    }
    out.extend_from_slice(b",\"feed\":");
    out.extend_from_slice(feed.info_json.as_bytes());
    out.push(b'}');
    Ok(out)
}

/// Where an address votes: polling place, early-vote sites and drop boxes with hours, or
/// mail only, or what is missing (need more), or similar streets (did you mean).
#[utoipa::path(get, path = "/api/v1/lookup",
    params(("address" = String, Query, description = "Home address, free text"),
           ("lang" = Option<String>, Query, description = "en or es")),
    responses((status = 200, description = "The answer: found, mail_only, need_more, conflict, did_you_mean or not_found, with the feed's date"),
              (status = 400, description = "No address given"),
              (status = 429, description = "Too many lookups from this address; see Retry-After"),
              (status = 503, description = "Overloaded or no feed installed; see Retry-After")))]
pub(crate) async fn api_lookup(
    State(svc): State<Arc<LookupService>>,
    Query(params): Query<LookupParams>,
    // The request itself, read in place: extracting its headers or extensions would copy
    // them for every lookup.
    request: axum::extract::Request,
) -> Response {
    let t = lang(svc.i18n, &params, request.headers());
    if let Some(r) = too_long(&svc, t, &params, true) {
        return r;
    }
    let _permit = match svc.admit(crate::auth::client_ip(request.extensions())) {
        Ok(p) => p,
        Err(why) => return refused(&svc, t, why, true),
    };
    // Every answer but a street-name search is a few hash lookups: answered here, without
    // the hand-off to the blocking pool (which cost more than the lookup itself).
    if let Some(r) = api_answer(&svc, &params, false) {
        return r;
    }
    off_runtime(move || {
        api_answer(&svc, &params, true).unwrap_or_else(|| {
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        })
    })
    .await
}

/// The JSON answer; with `search` false, `None` when answering needs the street-name
/// search (`Index::lookup_without_search`), which runs off the
/// async workers.
fn api_answer(svc: &LookupService, params: &LookupParams, search: bool) -> Option<Response> {
    let address = params.address.as_deref().unwrap_or_default().trim();
    if address.is_empty() {
        return Some(json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "give the address as ?address=",
        ));
    }
    let Some(feed) = svc.feed() else {
        let mut r = json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_feed",
            "no polling-place feed is installed yet",
        );
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("60"));
        return Some(r);
    };
    let answer = if search {
        feed.index.lookup(address)
    } else {
        feed.index.lookup_without_search(address)?
    };
    Some(match answer_json(&answer, &feed) {
        Ok(bytes) => {
            let mut r = (StatusCode::OK, bytes).into_response();
            let h = r.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=60"),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "lookup answer did not serialize");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    })
}

async fn where_ics(
    State(svc): State<Arc<LookupService>>,
    Query(params): Query<LookupParams>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    let t = lang(svc.i18n, &params, &headers);
    if let Some(r) = too_long(&svc, t, &params, false) {
        return r;
    }
    let _permit = match svc.admit(crate::auth::client_ip(&extensions)) {
        Ok(p) => p,
        Err(why) => return refused(&svc, t, why, false),
    };
    off_runtime(move || ics_answer(&svc, t, params)).await
}

/// The calendar file, off the async workers.
fn ics_answer(svc: &LookupService, t: &'static Catalog, params: LookupParams) -> Response {
    let address = params.address.unwrap_or_default().trim().to_string();
    let not_found = |status, key: &str| {
        let page = FormPage {
            t,
            langs: lang_links(svc.i18n, t, "/vote", None),
            address: address.clone(),
            error: Some(t.t(key).to_string()),
        };
        html(status, &page, "no-store", t.code())
    };
    let Some(feed) = svc.feed() else {
        return not_found(StatusCode::SERVICE_UNAVAILABLE, "no_feed");
    };
    let answer = feed.index.lookup(&address);
    let place = match &answer {
        Answer::Found { precinct, .. } => precinct.polling_places.first(),
        _ => None,
    };
    let (Some(place), Some(day)) = (place, ics_date(&feed.election_date)) else {
        return not_found(StatusCode::NOT_FOUND, "ics_not_found");
    };
    let body = ics(t, place, &day, &feed.election_date, &feed.version);
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"election-day.ics\""),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

/// `2012-05-08` -> `20120508`.
fn ics_date(iso: &str) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(iso.get(..10)?, "%Y-%m-%d").ok()?;
    Some(d.format("%Y%m%d").to_string())
}

/// Opening and closing time on election day from the engine's hours lines
/// (`2013-11-05 06:00-12:00, 13:00-19:00` or `06:00-19:00`): first open, last close.
fn election_hours(hours: &[String], election_date: &str) -> Option<(String, String)> {
    let hhmm = |s: &str| -> Option<String> {
        let b = s.as_bytes();
        (b.len() == 5
            && b[2] == b':'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_digit()))
        .then(|| format!("{}{}00", &s[..2], &s[3..]))
    };
    for line in hours {
        let rest = match line.strip_prefix(election_date) {
            Some(r) => r.trim(),
            None if line.starts_with(|c: char| c.is_ascii_digit())
                && line.get(4..5) != Some("-") =>
            {
                line.as_str()
            }
            None => continue,
        };
        let ranges: Vec<(String, String)> = rest
            .split(',')
            .filter_map(|r| {
                let (o, c) = r.trim().split_once('-')?;
                Some((hhmm(o.trim())?, hhmm(c.trim())?))
            })
            .collect();
        if let (Some(first), Some(last)) = (ranges.first(), ranges.last())
            && first.0 < last.1
        {
            return Some((first.0.clone(), last.1.clone()));
        }
    }
    None
}

/// Escapes an iCalendar TEXT value.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn ics(t: &Catalog, place: &Place, day: &str, election_date: &str, version: &str) -> String {
    use sha2::{Digest, Sha256};
    let address = place.address.join(", ");
    let uid = hex::encode(&Sha256::digest(format!("{version}|{}|{day}", place.id))[..12]);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let (start, end) = match election_hours(&place.hours, election_date) {
        Some((open, close)) => (
            format!("DTSTART:{day}T{open}"),
            format!("DTEND:{day}T{close}"),
        ),
        None => {
            let next = chrono::NaiveDate::parse_from_str(day, "%Y%m%d")
                .ok()
                .and_then(|d| d.succ_opt())
                .map(|d| d.format("%Y%m%d").to_string())
                .unwrap_or_else(|| day.to_string());
            (
                format!("DTSTART;VALUE=DATE:{day}"),
                format!("DTEND;VALUE=DATE:{next}"),
            )
        }
    };
    let mut description = t.fmt(
        "ics_description",
        &[("place", &place.name), ("address", &address)],
    );
    if !place.hours.is_empty() {
        description.push_str(&format!("\n{}: {}", t.t("hours"), place.hours.join("; ")));
    }
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//votebase//Where do I vote//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{uid}@votebase"),
        format!("DTSTAMP:{stamp}"),
        start,
        end,
        format!(
            "SUMMARY:{}",
            ics_text(&t.fmt("ics_summary", &[("place", &place.name)]))
        ),
        format!(
            "LOCATION:{}",
            ics_text(&format!("{}, {address}", place.name))
        ),
        format!("DESCRIPTION:{}", ics_text(&description)),
        "TRANSP:TRANSPARENT".into(),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    let mut out = String::new();
    for line in &lines {
        fold(line, &mut out);
    }
    out
}

#[cfg(test)]
mod tests;
