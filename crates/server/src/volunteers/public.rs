//! The volunteers' public pages, no account needed: the sign-up form in English and
//! Spanish (`?lang=es`; its own CSRF cookie; rate-limited per client address; bounded
//! fields; the consent wording shown is the one stored), "my matches" through the signed
//! link of an email (answer yes or no), and unsubscribe (a page with a button: a mail
//! scanner that opens the link changes nothing).

use super::*;
use crate::auth::{self, client_ip, same_secret};
use crate::universes::urlencode;
use askama::Template;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use votebase_app::people::ZipCentroids;
use votebase_app::people::links::{self as volunteer_links, LinkPurpose};
use votebase_app::people::signup::{self, SignupRequest};
use votebase_domain::people::BUILTIN_SKILLS;

/// The sign-up page's words in one language.
pub struct SignupTexts {
    lang: &'static str,
    other_lang: &'static str,
    other_lang_name: &'static str,
    title: &'static str,
    intro: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    phone: &'static str,
    zip: &'static str,
    home_state: &'static str,
    home_town: &'static str,
    skills: &'static str,
    skills_hint: &'static str,
    levels: [&'static str; 4],
    hours: &'static str,
    remote: &'static str,
    issues: &'static str,
    languages: &'static str,
    /// The consent to email, as shown and stored.
    consent_email: &'static str,
    /// The consent to text, as shown and stored.
    consent_text: &'static str,
    submit: &'static str,
    thanks: &'static str,
}

const ENGLISH: SignupTexts = SignupTexts {
    lang: "en",
    other_lang: "es",
    other_lang_name: "Español",
    title: "Volunteer with us",
    intro: "Tell us what you can do. When a campaign needs your skills we email you an invitation; you say yes or no, then the campaign confirms.",
    first_name: "First name",
    last_name: "Last name",
    email: "Email",
    phone: "Phone (optional)",
    zip: "ZIP code where you live now",
    home_state: "State you grew up in (optional)",
    home_town: "Town you grew up in (optional)",
    skills: "Your skills",
    skills_hint: "Pick a level for each skill you have.",
    levels: ["—", "Beginner", "Practised", "Expert"],
    hours: "Hours a week you can give",
    remote: "I can work remotely",
    issues: "Issues you care about (separate with ;)",
    languages: "Languages you speak (separate with ;)",
    consent_email: "I agree to receive email about volunteer projects from this organization. I can unsubscribe at any time with the link in every email.",
    consent_text: "I agree to receive text messages about volunteer projects. Message and data rates may apply; reply STOP to stop.",
    submit: "Sign up",
    thanks: "Thank you for signing up. We emailed you a link to your matches page: invitations will show there.",
};

const SPANISH: SignupTexts = SignupTexts {
    lang: "es",
    other_lang: "en",
    other_lang_name: "English",
    title: "Sea voluntario con nosotros",
    intro: "Cuéntenos qué sabe hacer. Cuando una campaña necesite sus habilidades le enviaremos una invitación por correo; usted dice sí o no y luego la campaña confirma.",
    first_name: "Nombre",
    last_name: "Apellido",
    email: "Correo electrónico",
    phone: "Teléfono (opcional)",
    zip: "Código postal donde vive ahora",
    home_state: "Estado donde creció (opcional)",
    home_town: "Ciudad donde creció (opcional)",
    skills: "Sus habilidades",
    skills_hint: "Elija un nivel para cada habilidad que tenga.",
    levels: ["—", "Principiante", "Con práctica", "Experto"],
    hours: "Horas por semana que puede dar",
    remote: "Puedo trabajar a distancia",
    issues: "Temas que le importan (separe con ;)",
    languages: "Idiomas que habla (separe con ;)",
    consent_email: "Acepto recibir correos electrónicos sobre proyectos de voluntariado de esta organización. Puedo darme de baja en cualquier momento con el enlace que viene en cada correo.",
    consent_text: "Acepto recibir mensajes de texto sobre proyectos de voluntariado. Pueden aplicarse tarifas de mensajes y datos; responda STOP para dejar de recibirlos.",
    submit: "Inscribirme",
    thanks: "Gracias por inscribirse. Le enviamos por correo un enlace a su página de invitaciones: allí aparecerán.",
};

/// The texts of a language code (English unless `es`).
pub fn texts(lang: Option<&str>) -> &'static SignupTexts {
    match lang.map(|l| l.trim().to_ascii_lowercase()) {
        Some(l) if l.starts_with("es") => &SPANISH,
        _ => &ENGLISH,
    }
}

/// ZIP centroids for distances of sign-ups: the file named by `VOTEBASE_ZIP_CENTROIDS`,
/// read once (none: sign-ups get no distance until re-imported with centroids).
fn centroids() -> &'static ZipCentroids {
    static CENTROIDS: OnceLock<ZipCentroids> = OnceLock::new();
    CENTROIDS.get_or_init(|| {
        std::env::var_os("VOTEBASE_ZIP_CENTROIDS")
            .and_then(|p| {
                ZipCentroids::load(std::path::Path::new(&p))
                    .map_err(|e| tracing::warn!("sign-up ZIP centroids: {e}"))
                    .ok()
            })
            .unwrap_or_default()
    })
}

/// A skill as the form offers it, with the level picked.
struct SkillChoice {
    name: String,
    label: String,
    level: u8,
}

#[derive(Template)]
#[template(path = "volunteers_signup.html")]
struct SignupPage {
    t: &'static SignupTexts,
    csrf: String,
    skills: Vec<SkillChoice>,
    values: BTreeMap<String, String>,
    error: Option<String>,
    done: bool,
}

impl SignupPage {
    fn value(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    fn checked(&self, key: &str) -> bool {
        self.values.get(key).is_some_and(|v| !v.is_empty())
    }
}

#[derive(Deserialize)]
pub(super) struct LangParams {
    lang: Option<String>,
}

async fn skill_choices(
    state: &AppState,
    picked: &BTreeMap<String, String>,
) -> Result<Vec<SkillChoice>, ApiError> {
    let mut all: BTreeMap<String, String> = BUILTIN_SKILLS
        .iter()
        .map(|(n, l)| (n.to_string(), l.to_string()))
        .collect();
    for s in state.store.skills().await? {
        all.insert(s.name, s.label);
    }
    let mut out: Vec<SkillChoice> = all
        .into_iter()
        .map(|(name, label)| SkillChoice {
            level: picked
                .get(&format!("skill.{name}"))
                .and_then(|l| l.parse().ok())
                .unwrap_or(0),
            name,
            label,
        })
        .collect();
    out.sort_by_key(|s| s.label.to_lowercase());
    Ok(out)
}

async fn signup_form(
    state: &AppState,
    jar: CookieJar,
    t: &'static SignupTexts,
    values: BTreeMap<String, String>,
    error: Option<String>,
    done: bool,
    status: StatusCode,
) -> Response {
    let skills = match skill_choices(state, &values).await {
        Ok(s) => s,
        Err(e) => return crate::pages::error_page(e),
    };
    let csrf = auth::new_secret();
    let cookie = Cookie::build((SIGNUP_CSRF_COOKIE, csrf.clone()))
        .path("/volunteer/signup")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    (
        status,
        jar.add(cookie),
        crate::pages::render(&SignupPage {
            t,
            csrf,
            skills,
            values,
            error,
            done,
        }),
    )
        .into_response()
}

pub(super) async fn signup_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(p): Query<LangParams>,
) -> Response {
    signup_form(
        &state,
        jar,
        texts(p.lang.as_deref()),
        BTreeMap::new(),
        None,
        false,
        StatusCode::OK,
    )
    .await
}

/// Most fields a sign-up form may carry (the skills, the person's fields, the token).
const MAX_FORM_FIELDS: usize = 400;

/// The fields of a urlencoded form; None when a field is not valid UTF-8 or there are
/// too many.
fn form_fields(body: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') || out.len() >= MAX_FORM_FIELDS {
            return None;
        }
        out.insert(k.into_owned(), v.into_owned());
    }
    Some(out)
}

fn request_of(f: &BTreeMap<String, String>, t: &SignupTexts) -> Result<SignupRequest, ApiError> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut skills = Vec::new();
    for (k, v) in f {
        if let Some(name) = k.strip_prefix("skill.")
            && !v.is_empty()
            && v != "0"
        {
            let level: u8 = v
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("skills: {name}: level 1, 2 or 3")))?;
            skills.push((name.to_string(), level));
        }
    }
    let hours = get("hours_per_week");
    let hours_per_week = if hours.trim().is_empty() {
        None
    } else {
        Some(hours.trim().parse().map_err(|_| {
            ApiError::BadRequest("hours_per_week: a whole number from 0 to 80".into())
        })?)
    };
    let consent_text = !get("consent_text").is_empty();
    let mut wording = t.consent_email.to_string();
    if consent_text {
        wording.push(' ');
        wording.push_str(t.consent_text);
    }
    Ok(SignupRequest {
        first_name: get("first_name"),
        last_name: get("last_name"),
        email: get("email"),
        phone: get("phone"),
        zip: get("zip"),
        home_state: get("home_state"),
        home_town: get("home_town"),
        skills,
        hours_per_week,
        remote: !get("remote").is_empty(),
        issues: get("issues"),
        languages: get("languages"),
        consent_email: !get("consent_email").is_empty(),
        consent_text,
        consent_wording: format!("[{}] {wording}", t.lang),
    })
}

pub(super) async fn signup_submit(
    State(state): State<AppState>,
    extensions: Extensions,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> Response {
    let Some(fields) = form_fields(&body) else {
        return crate::pages::error_page(ApiError::InvalidUtf8(
            "send the form as UTF-8 text, with at most 400 fields".into(),
        ));
    };
    let t = texts(fields.get("lang").map(String::as_str));
    if state
        .limits
        .volunteer_signup
        .check(client_ip(&extensions))
        .is_err()
    {
        let mut r = signup_form(
            &state,
            jar,
            t,
            fields,
            Some(ApiError::RateLimited.to_string()),
            false,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        r.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        return r;
    }
    let expected = jar.get(SIGNUP_CSRF_COOKIE).map(|c| c.value().to_string());
    let sent = fields.get("csrf").cloned().unwrap_or_default();
    if !expected.is_some_and(|e| same_secret(&e, &sent)) {
        let e = ApiError::CsrfFailed;
        return signup_form(
            &state,
            jar,
            t,
            fields,
            Some(e.to_string()),
            false,
            e.status(),
        )
        .await;
    }
    let outcome = match request_of(&fields, t) {
        Ok(request) => match signer(&state).await {
            Ok(links) => signup::sign_up(state.store.as_ref(), &links, centroids(), &request)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => {
            signup_form(
                &state,
                jar,
                t,
                BTreeMap::new(),
                None,
                true,
                StatusCode::CREATED,
            )
            .await
        }
        Err(ApiError::BadRequest(m)) => {
            signup_form(
                &state,
                jar,
                t,
                fields,
                Some(m),
                false,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => crate::pages::error_page(e),
    }
}

/// A volunteer's link: who and the signature.
#[derive(Deserialize)]
pub(super) struct LinkParams {
    v: String,
    t: String,
    done: Option<String>,
}

/// A match as the volunteer sees it.
struct MatchRow {
    project: String,
    organization: String,
    title: String,
    role: String,
    hours: String,
    remote: bool,
    why: String,
    state: String,
    can_answer: bool,
}

#[derive(Template)]
#[template(path = "volunteers_matches.html")]
struct MatchesPage {
    first_name: String,
    v: String,
    t: String,
    matches: Vec<MatchRow>,
    unsubscribe_url: String,
    unsubscribed: bool,
    notice: Option<String>,
}

fn limited(state: &AppState, extensions: &Extensions) -> Result<(), ApiError> {
    state
        .limits
        .volunteer_links
        .check(client_ip(extensions))
        .map_err(|_| ApiError::RateLimited)
}

fn state_words(code: &str) -> &'static str {
    match code {
        "invited" => "Invited: say yes or no",
        "volunteer_yes" => "You said yes: waiting for the campaign",
        "volunteer_no" => "You said no",
        "accepted" => "Accepted: the campaign will be in touch",
        "declined" => "The campaign went with someone else",
        _ => "",
    }
}

pub(super) async fn matches_page(
    State(state): State<AppState>,
    extensions: Extensions,
    Query(p): Query<LinkParams>,
) -> Response {
    let result = async {
        limited(&state, &extensions)?;
        let links = signer(&state).await?;
        let mine = volunteer_links::my_matches(state.store.as_ref(), &links, &p.v, &p.t).await?;
        Ok::<_, ApiError>((links, mine))
    }
    .await;
    let (links, mine) = match result {
        Ok(x) => x,
        Err(e) => return crate::pages::error_page(e),
    };
    let matches = mine
        .matches
        .iter()
        .map(|m| {
            let p = &m.project.project;
            MatchRow {
                project: p.external_id.clone(),
                organization: p.organization.clone(),
                title: p.title.clone(),
                role: p.role.clone(),
                hours: p.hours_per_week.map(|h| h.to_string()).unwrap_or_default(),
                remote: p.remote,
                why: m.project_match.explanation.clone(),
                state: state_words(m.project_match.state.code()).to_string(),
                can_answer: m.can_answer,
            }
        })
        .collect();
    let notice = p.done.as_deref().and_then(|d| match d {
        "yes" => Some("Thank you: the campaign will confirm.".to_string()),
        "no" => Some("Noted: you said no.".to_string()),
        _ => None,
    });
    crate::pages::render(&MatchesPage {
        first_name: mine.volunteer.person.first_name.clone(),
        unsubscribe_url: links.url(LinkPurpose::Unsubscribe, &p.v),
        unsubscribed: mine.volunteer.unsubscribed,
        v: p.v,
        t: p.t,
        matches,
        notice,
    })
}

#[derive(Deserialize)]
pub(super) struct AnswerForm {
    v: String,
    t: String,
    project: String,
    answer: String,
}

pub(super) async fn answer_submit(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        limited(&state, &extensions)?;
        let form: AnswerForm = crate::incidents::strict_form(&headers, body).await?;
        let yes = match form.answer.as_str() {
            "yes" => true,
            "no" => false,
            _ => return Err(ApiError::BadRequest("answer: yes or no".into())),
        };
        let links = signer(&state).await?;
        volunteer_links::answer(
            state.store.as_ref(),
            &links,
            &form.v,
            &form.t,
            &form.project,
            yes,
        )
        .await?;
        Ok::<String, ApiError>(format!(
            "/volunteer/matches?v={}&t={}&done={}",
            urlencode(&form.v),
            urlencode(&form.t),
            if yes { "yes" } else { "no" }
        ))
    }
    .await;
    match result {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(e) => crate::pages::error_page(e),
    }
}

#[derive(Template)]
#[template(path = "volunteers_unsubscribe.html")]
struct UnsubscribePage {
    v: String,
    t: String,
    first_name: String,
    done: bool,
}

pub(super) async fn unsubscribe_page(
    State(state): State<AppState>,
    extensions: Extensions,
    Query(p): Query<LinkParams>,
) -> Response {
    let result = async {
        limited(&state, &extensions)?;
        let links = signer(&state).await?;
        if !links.verify(LinkPurpose::Unsubscribe, &p.v, &p.t) {
            return Err(ApiError::from(PeopleError::BadLink));
        }
        state
            .store
            .volunteer(&p.v)
            .await?
            .ok_or_else(|| ApiError::from(PeopleError::BadLink))
    }
    .await;
    match result {
        Ok(v) => crate::pages::render(&UnsubscribePage {
            first_name: v.person.first_name,
            done: v.unsubscribed,
            v: p.v,
            t: p.t,
        }),
        Err(e) => crate::pages::error_page(e),
    }
}

#[derive(Deserialize)]
pub(super) struct UnsubscribeForm {
    v: String,
    t: String,
}

pub(super) async fn unsubscribe_submit(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let result = async {
        limited(&state, &extensions)?;
        let form: UnsubscribeForm = crate::incidents::strict_form(&headers, body).await?;
        let links = signer(&state).await?;
        let v =
            volunteer_links::unsubscribe(state.store.as_ref(), &links, &form.v, &form.t).await?;
        Ok::<_, ApiError>((v, form))
    }
    .await;
    match result {
        Ok((v, form)) => crate::pages::render(&UnsubscribePage {
            first_name: v.person.first_name,
            done: true,
            v: form.v,
            t: form.t,
        }),
        Err(e) => crate::pages::error_page(e),
    }
}
