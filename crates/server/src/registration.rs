//! The public registration check: name, year of birth and ZIP code give back only the
//! registration status and precinct from the loaded voter file (nothing else about the
//! person), as a page in the visitor's language (`/vote/registered`) and as JSON
//! (`/api/v1/registration`). Rate-limited per client address; queries are not logged.

use crate::AppState;
use crate::lookup::i18n::{Catalog, I18n};
use crate::lookup::{LangLink, lang_links};
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, RETRY_AFTER};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use votebase_domain::VoterStatus;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vote/registered", get(page))
        .route("/api/v1/registration", get(api))
}

/// This feature's OpenAPI paths and schemas (merged by [`crate::api::openapi_document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(api), components(schemas(CheckAnswer)))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}

/// What a visitor gives.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
pub struct CheckParams {
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// Year of birth.
    #[serde(default)]
    pub birth_year: String,
    /// ZIP code (5 digits).
    #[serde(default)]
    pub zip: String,
    /// Page language.
    #[serde(default)]
    pub lang: Option<String>,
}

/// Most characters of a first or last name.
pub const MAX_NAME_CHARS: usize = 100;

/// Is any field over its cap (names 100 characters, year 8, ZIP 16, language 16): such a
/// query is refused with 400 before any work.
fn oversized(p: &CheckParams) -> bool {
    p.first_name.chars().count() > MAX_NAME_CHARS
        || p.last_name.chars().count() > MAX_NAME_CHARS
        || p.birth_year.len() > 8
        || p.zip.len() > 16
        || p.lang.as_deref().is_some_and(|l| l.len() > 16)
}

/// One matching registration: status and precinct only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registration {
    /// `active`, `inactive`, `removed`, …
    pub status: String,
    /// Precinct code.
    pub precinct_code: String,
    /// Precinct name.
    pub precinct_name: String,
    /// County.
    pub county: String,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    /// `found`, `several`, `not_found`.
    pub result: String,
    /// The matching registrations (one when found).
    pub registrations: Vec<Registration>,
}

/// Runs the check; `None` when the input is incomplete.
async fn check(state: &AppState, p: &CheckParams) -> Result<Option<CheckAnswer>, crate::ApiError> {
    use votebase_normalize::{clean_text, normalize_name_part, normalize_zip};
    let first = normalize_name_part(&p.first_name);
    let last = normalize_name_part(&p.last_name);
    let year: Option<i32> = clean_text(&p.birth_year).parse().ok();
    let (zip5, _) = normalize_zip(&p.zip);
    let (Some(year), false, false, false) =
        (year, first.is_empty(), last.is_empty(), zip5.is_empty())
    else {
        return Ok(None);
    };
    // One exact query in the store, whatever the number of voters sharing the name.
    let registrations = state
        .store
        .registration_matches(&last, &first, year, &zip5)
        .await?
        .into_iter()
        .map(|v| {
            let r = &v.record;
            Registration {
                status: if v.present {
                    r.status.code().to_string()
                } else {
                    VoterStatus::Removed.code().to_string()
                },
                precinct_code: r.precinct_code.clone(),
                precinct_name: r.precinct_name.clone(),
                county: r.county_name.clone(),
            }
        })
        .collect::<Vec<_>>();
    let result = match registrations.len() {
        0 => "not_found",
        1 => "found",
        _ => "several",
    };
    Ok(Some(CheckAnswer {
        result: result.into(),
        registrations,
    }))
}

fn limited(json: bool) -> Response {
    let mut r = if json {
        (
            StatusCode::TOO_MANY_REQUESTS,
            Json(serde_json::json!({"error": "rate_limited", "message": "too many checks; wait a minute"})),
        )
            .into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many checks; wait a minute.",
        )
            .into_response()
    };
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

/// Registration status and precinct for a name, year of birth and ZIP code.
#[utoipa::path(get, path = "/api/v1/registration", params(CheckParams),
    responses((status = 200, body = CheckAnswer), (status = 400), (status = 429)))]
pub async fn api(
    State(state): State<AppState>,
    Query(p): Query<CheckParams>,
    extensions: Extensions,
) -> Response {
    if oversized(&p) {
        return crate::ApiError::BadRequest(format!(
            "names are at most {MAX_NAME_CHARS} characters, birth_year 4 digits, zip 5 digits"
        ))
        .into_response();
    }
    if state
        .limits
        .registration
        .check(crate::auth::client_ip(&extensions))
        .is_err()
    {
        return limited(true);
    }
    match check(&state, &p).await {
        Ok(Some(answer)) => Json(answer).into_response(),
        Ok(None) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "bad_request",
                "message": "give first_name, last_name, birth_year and zip"})),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "vote_registered.html")]
struct Page<'a> {
    t: &'a Catalog,
    langs: Vec<LangLink>,
    first_name: String,
    last_name: String,
    birth_year: String,
    zip: String,
    answer: Option<String>,
}

fn status_text(t: &Catalog, status: &str) -> String {
    match status {
        "active" => t.t("reg_status_active").to_string(),
        "inactive" => t.t("reg_status_inactive").to_string(),
        "removed" => t.t("reg_status_removed").to_string(),
        other => t.fmt("reg_status_other", &[("status", other)]),
    }
}

async fn page(
    State(state): State<AppState>,
    Query(p): Query<CheckParams>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    let i18n = I18n::embedded();
    let t = i18n.negotiate(
        p.lang.as_deref(),
        headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
    );
    if oversized(&p) {
        let page = Page {
            t,
            langs: lang_links(i18n, t, "/vote/registered", None),
            first_name: String::new(),
            last_name: String::new(),
            birth_year: String::new(),
            zip: String::new(),
            answer: Some(t.t("reg_too_long").to_string()),
        };
        return match page.render() {
            Ok(html) => (StatusCode::BAD_REQUEST, Html(html)).into_response(),
            Err(e) => crate::ApiError::from(e).into_response(),
        };
    }
    let asked = !(p.first_name.is_empty()
        && p.last_name.is_empty()
        && p.birth_year.is_empty()
        && p.zip.is_empty());
    let answer = if asked {
        if state
            .limits
            .registration
            .check(crate::auth::client_ip(&extensions))
            .is_err()
        {
            return limited(false);
        }
        match check(&state, &p).await {
            Ok(None) => Some(t.t("reg_missing").to_string()),
            Ok(Some(a)) => Some(match a.result.as_str() {
                "found" => {
                    let r = &a.registrations[0];
                    t.fmt(
                        "reg_found",
                        &[
                            ("status", &status_text(t, &r.status)),
                            (
                                "precinct",
                                &format!("{} ({})", r.precinct_name, r.precinct_code),
                            ),
                        ],
                    )
                }
                "several" => t.t("reg_several").to_string(),
                _ => t.t("reg_not_found").to_string(),
            }),
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    let page = Page {
        t,
        langs: lang_links(i18n, t, "/vote/registered", None),
        first_name: p.first_name,
        last_name: p.last_name,
        birth_year: p.birth_year,
        zip: p.zip,
        answer,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}
