//! The public tip form (`/tip`, `/tip?lang=es`): no account, English or Spanish, a link
//! and/or what the person saw, an optional screenshot (PNG, JPEG, GIF or WebP by its
//! magic bytes, at most 2 MB). Its own pre-session CSRF cookie, rate-limited per client
//! address, the whole request bounded ([`MAX_TIP_BODY`]). A tip is clustered like any
//! post and joins its narrative.

use super::*;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

/// The form's words in one language.
pub(super) struct TipText {
    lang: &'static str,
    title: &'static str,
    intro: &'static str,
    what: &'static str,
    link: &'static str,
    screenshot: &'static str,
    send: &'static str,
    thanks: &'static str,
    other_lang: &'static str,
    other_href: &'static str,
}

static EN: TipText = TipText {
    lang: "en",
    title: "Report false or misleading election information",
    intro: "Saw a post, message or flyer with wrong information about voting (where, when or how to vote)? Tell us. No account needed; we do not ask who you are.",
    what: "What did it say?",
    link: "Link to the post (optional)",
    screenshot: "Screenshot (optional: PNG, JPEG, GIF or WebP, at most 2 MB)",
    send: "Send tip",
    thanks: "Thank you. Your tip was received; the team will look at it.",
    other_lang: "En español",
    other_href: "/tip?lang=es",
};

static ES: TipText = TipText {
    lang: "es",
    title: "Reporte información electoral falsa o engañosa",
    intro: "¿Vio una publicación, mensaje o volante con información equivocada sobre cómo, cuándo o dónde votar? Díganos. No necesita cuenta; no le preguntamos quién es.",
    what: "¿Qué decía?",
    link: "Enlace a la publicación (opcional)",
    screenshot: "Captura de pantalla (opcional: PNG, JPEG, GIF o WebP, máximo 2 MB)",
    send: "Enviar",
    thanks: "Gracias. Recibimos su reporte; el equipo lo revisará.",
    other_lang: "In English",
    other_href: "/tip",
};

fn text_of(lang: &str) -> &'static TipText {
    if lang.trim().eq_ignore_ascii_case("es") {
        &ES
    } else {
        &EN
    }
}

#[derive(Template)]
#[template(path = "disinfo_tip.html")]
pub(super) struct TipPage {
    t: &'static TipText,
    csrf: String,
    error: Option<String>,
    received: bool,
    text: String,
    link: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct TipQuery {
    lang: String,
}

/// What the form sent back, to show again after a refusal.
#[derive(Debug, Default)]
struct Sent {
    text: String,
    link: String,
}

fn tip_form(
    jar: CookieJar,
    lang: &str,
    error: Option<String>,
    received: bool,
    sent: Sent,
    status: StatusCode,
) -> Response {
    let csrf = crate::auth::new_secret();
    let cookie = Cookie::build((TIP_CSRF_COOKIE, csrf.clone()))
        .path("/tip")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (
        status,
        jar.add(cookie),
        crate::pages::render(&TipPage {
            t: text_of(lang),
            csrf,
            error,
            received,
            text: sent.text,
            link: sent.link,
        }),
    )
        .into_response()
}

pub(super) async fn tip_page(jar: CookieJar, Query(q): Query<TipQuery>) -> Response {
    tip_form(jar, &q.lang, None, false, Sent::default(), StatusCode::OK)
}

/// The fields of a tip form.
#[derive(Debug, Default)]
struct TipFields {
    csrf: String,
    lang: String,
    text: String,
    link: String,
    screenshot: Option<Vec<u8>>,
}

/// Reads the multipart form (fields beyond these are ignored; text must be UTF-8).
async fn read_fields(mut form: axum::extract::Multipart) -> Result<TipFields, ApiError> {
    let mut f = TipFields::default();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("the form did not arrive whole: {e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|e| {
            ApiError::PayloadTooLarge(format!(
                "the form could not be read ({e}): a screenshot is at most 2 MB"
            ))
        })?;
        if name == "screenshot" {
            f.screenshot = Some(bytes.to_vec());
            continue;
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::InvalidUtf8(format!("the form field {name:?} is not valid UTF-8"))
        })?;
        match name.as_str() {
            "csrf" => f.csrf = text,
            "lang" => f.lang = text,
            "text" => f.text = text,
            "link" => f.link = text,
            _ => {}
        }
    }
    Ok(f)
}

pub(super) async fn tip_submit(
    State(state): State<AppState>,
    extensions: Extensions,
    jar: CookieJar,
    Query(q): Query<TipQuery>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let lang = q.lang.clone();
    if state
        .limits
        .tip
        .check(crate::auth::client_ip(&extensions))
        .is_err()
    {
        let mut r = tip_form(
            jar,
            &lang,
            Some(ApiError::RateLimited.to_string()),
            false,
            Sent::default(),
            StatusCode::TOO_MANY_REQUESTS,
        );
        r.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        return r;
    }
    let fields = match form {
        Ok(form) => read_fields(form).await,
        Err(e) => Err(ApiError::BadRequest(format!(
            "send the tip with the form on this page: {e}"
        ))),
    };
    let fields = match fields {
        Ok(f) => f,
        Err(e) => {
            let status = e.status();
            return tip_form(
                jar,
                &lang,
                Some(e.to_string()),
                false,
                Sent::default(),
                status,
            );
        }
    };
    let lang = if fields.lang.is_empty() {
        lang
    } else {
        fields.lang.clone()
    };
    let expected = jar.get(TIP_CSRF_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| crate::auth::same_secret(&e, &fields.csrf)) {
        return tip_form(
            jar,
            &lang,
            Some(ApiError::CsrfFailed.to_string()),
            false,
            Sent::default(),
            StatusCode::FORBIDDEN,
        );
    }
    let sent = Sent {
        text: fields.text.clone(),
        link: fields.link.clone(),
    };
    let tip = app::Tip {
        text: fields.text,
        link: fields.link,
        screenshot: fields.screenshot,
    };
    match submit(&state, tip).await {
        Ok(()) => tip_form(jar, &lang, None, true, Sent::default(), StatusCode::CREATED),
        Err(ApiError::BadRequest(m)) => {
            tip_form(jar, &lang, Some(m), false, sent, StatusCode::BAD_REQUEST)
        }
        Err(e) => crate::pages::error_page(e),
    }
}

/// Checks and stores a tip through the one ingest lock; alerts go to the live page.
async fn submit(state: &AppState, tip: app::Tip) -> Result<(), ApiError> {
    let hub = &state.disinfo;
    let ctx = hub.context(state).await?;
    let _one_at_a_time = hub.ingest.lock().await;
    let (_, out) = app::submit_tip(state.store.as_ref(), tip, &ctx, Utc::now()).await?;
    publish_alerts(state, &out.alerts).await;
    Ok(())
}
