//! The public self-report form (`/report`): no account, its own CSRF cookie, rate-limited
//! per client address; the form must be valid UTF-8.

use super::*;

#[derive(Template)]
#[template(path = "incidents_report.html")]
pub(super) struct ReportPage {
    csrf: String,
    categories: Vec<CategoryInfo>,
    counties: Vec<String>,
    error: Option<String>,
    reference: Option<i64>,
}

pub(super) async fn report_form(
    state: &AppState,
    jar: CookieJar,
    error: Option<String>,
    reference: Option<i64>,
    status: StatusCode,
) -> Response {
    let categories = match state.store.incident_rules().await {
        Ok(r) => r.categories(),
        Err(e) => return crate::pages::error_page(e.into()),
    };
    let counties: BTreeSet<String> = feed_places(state).into_iter().map(|p| p.county).collect();
    let csrf = auth::new_secret();
    let cookie = Cookie::build((REPORT_CSRF_COOKIE, csrf.clone()))
        .path("/report")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (
        status,
        jar.add(cookie),
        crate::pages::render(&ReportPage {
            csrf,
            categories,
            counties: counties.into_iter().collect(),
            error,
            reference,
        }),
    )
        .into_response()
}

pub(super) async fn report_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    report_form(&state, jar, None, None, StatusCode::OK).await
}

pub(super) async fn report_submit(
    State(state): State<AppState>,
    extensions: Extensions,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if state
        .limits
        .report
        .check(auth::client_ip(&extensions))
        .is_err()
    {
        let mut r = report_form(
            &state,
            jar,
            Some(ApiError::RateLimited.to_string()),
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        r.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        return r;
    }
    let form: IntakeForm = match strict_form(&headers, body).await {
        Ok(form) => form,
        Err(e) => {
            return report_form(&state, jar, Some(e.to_string()), None, e.status()).await;
        }
    };
    let expected = jar.get(REPORT_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| same_secret(&e, &form.csrf)) {
        return report_form(
            &state,
            jar,
            Some(ApiError::CsrfFailed.to_string()),
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let now = Utc::now();
    let mut form = form;
    form.reporter_voter_id.clear();
    form.polling_place_id.clear();
    let result = match form.request(now) {
        Ok(req) => match build_incident(&state, req, "public", "public", now).await {
            Ok(new) => intake(&state, new).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(out) => {
            report_form(
                &state,
                jar,
                None,
                Some(out.incident.id),
                StatusCode::CREATED,
            )
            .await
        }
        Err(ApiError::BadRequest(m)) => {
            report_form(&state, jar, Some(m), None, StatusCode::BAD_REQUEST).await
        }
        Err(e) => crate::pages::error_page(e),
    }
}
