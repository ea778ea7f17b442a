//! Security headers on every response, in one place ([`apply`], called by the context
//! middleware): a Content-Security-Policy that allows only this server's own scripts (the
//! templates' static inline scripts by their SHA-256 hashes, computed from the template
//! sources at build time), `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` with
//! `frame-ancestors 'none'`, `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`
//! on every response to an authenticated request (session cookie or Bearer token) that
//! did not set its own, and, when served over HTTPS (public URL https, or a trusted proxy's
//! `X-Forwarded-Proto: https`), `Secure` on every cookie and `Strict-Transport-Security`.
//! A handler that sets its own CSP (the public lookup pages) keeps it. A JSON answer (the
//! API's answers and every JSON error) is never a page or a script, so it gets the
//! strictest policy, `default-src 'none'; frame-ancestors 'none'` ([`JSON_CSP`]): nothing
//! it could load or run, and ~40 bytes on every API answer instead of the pages' ~700.
//! Every other response keeps the pages' policy: a script's own response carries the
//! policy of a worker it starts (the results chair page's offline worker must connect).

use crate::auth::SESSION_COOKIE;
use crate::context::RequestContext;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// Templates whose inline scripts and event handlers the CSP allows by hash. A template
/// with an inline script must be listed here (a test checks it).
const TEMPLATES_WITH_SCRIPTS: &[(&str, &str)] = &[
    (
        "incidents_new.html",
        include_str!("../templates/incidents_new.html"),
    ),
    (
        "incidents_queue.html",
        include_str!("../templates/incidents_queue.html"),
    ),
    (
        "universes.html",
        include_str!("../templates/universes.html"),
    ),
    (
        "results_codes.html",
        include_str!("../templates/results_codes.html"),
    ),
    (
        "results_chair.html",
        include_str!("../templates/results_chair.html"),
    ),
    ("disinfo.html", include_str!("../templates/disinfo.html")),
];

/// The bodies of a template's inline `<script>` elements and `on...="..."` handlers.
pub fn inline_scripts(template: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("<script>") {
        let after = &rest[start + "<script>".len()..];
        let Some(end) = after.find("</script>") else {
            break;
        };
        found.push(after[..end].to_string());
        rest = &after[end..];
    }
    let bytes = template.as_bytes();
    let mut i = 0;
    while let Some(pos) = template[i..].find(" on") {
        let at = i + pos + 3;
        let name_len = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        let value_at = at + name_len;
        if name_len > 0 && template[value_at..].starts_with("=\"") {
            let body = &template[value_at + 2..];
            if let Some(end) = body.find('"') {
                found.push(body[..end].to_string());
            }
        }
        i = at;
    }
    found
}

fn hash_source(script: &str) -> String {
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
    )
}

const CSP_REST: &str = "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
    connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The policy of every page.
pub static CSP: LazyLock<String> = LazyLock::new(|| {
    let mut hashes: Vec<String> = TEMPLATES_WITH_SCRIPTS
        .iter()
        .flat_map(|(_, t)| inline_scripts(t))
        .map(|s| hash_source(&s))
        .collect();
    hashes.sort();
    hashes.dedup();
    format!(
        "default-src 'self'; script-src 'self' 'unsafe-hashes' {}; {CSP_REST}",
        hashes.join(" ")
    )
});

/// Does the request carry credentials (a session cookie or an Authorization header).
pub fn is_authenticated(headers: &HeaderMap) -> bool {
    headers.contains_key(axum::http::header::AUTHORIZATION)
        || axum_extra::extract::CookieJar::from_headers(headers)
            .get(SESSION_COOKIE)
            .is_some()
}

/// [`CSP`] as a header value, built once (a clone shares its bytes).
static CSP_HEADER: LazyLock<Option<HeaderValue>> =
    LazyLock::new(|| HeaderValue::from_str(CSP.as_str()).ok());

fn set_if_absent(headers: &mut HeaderMap, name: axum::http::HeaderName, value: &HeaderValue) {
    if !headers.contains_key(&name) {
        headers.insert(name, value.clone());
    }
}

/// The policy of every JSON answer: it may load and run nothing.
pub const JSON_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Is the response JSON (`application/json` in any case, any parameters); also what
/// [`crate::error::normalize`] asks of an error response.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    const JSON: &str = "application/json";
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(..JSON.len()))
        .is_some_and(|t| t.eq_ignore_ascii_case(JSON))
}

/// Adds the security headers to a response (see the module documentation).
pub fn apply(response: &mut Response, ctx: &RequestContext, authenticated: bool) {
    let h = response.headers_mut();
    if is_json(h) {
        set_if_absent(
            h,
            CONTENT_SECURITY_POLICY,
            &HeaderValue::from_static(JSON_CSP),
        );
    } else if let Some(csp) = CSP_HEADER.as_ref() {
        set_if_absent(h, CONTENT_SECURITY_POLICY, csp);
    }
    set_if_absent(h, REFERRER_POLICY, &HeaderValue::from_static("no-referrer"));
    set_if_absent(h, X_FRAME_OPTIONS, &HeaderValue::from_static("DENY"));
    set_if_absent(
        h,
        X_CONTENT_TYPE_OPTIONS,
        &HeaderValue::from_static("nosniff"),
    );
    if authenticated {
        set_if_absent(h, CACHE_CONTROL, &HeaderValue::from_static("no-store"));
    }
    if ctx.https {
        set_if_absent(
            h,
            STRICT_TRANSPORT_SECURITY,
            &HeaderValue::from_static("max-age=31536000"),
        );
        let cookies: Vec<HeaderValue> = h.get_all(SET_COOKIE).iter().cloned().collect();
        if !cookies.is_empty() {
            h.remove(SET_COOKIE);
            for c in cookies {
                let text = c.to_str().unwrap_or_default();
                let secure = text
                    .split(';')
                    .any(|a| a.trim().eq_ignore_ascii_case("secure"));
                let value = if secure || text.is_empty() {
                    c
                } else {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(c)
                };
                h.append(SET_COOKIE, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_found() {
        let t = "<p onclick=\"go()\">x</p><script>var a = 1;</script><a href=\"/on\">";
        assert_eq!(inline_scripts(t), vec!["var a = 1;", "go()"]);
    }

    #[test]
    fn every_inline_script_of_every_template_is_allowed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains("<script ") || text.contains("<script src="),
                "{name}: write inline scripts as a bare <script> so the CSP hash finds them"
            );
            for script in inline_scripts(&text) {
                assert!(
                    !script.contains("{{") && !script.contains("{%"),
                    "{name}: an inline script must be static for its CSP hash"
                );
                assert!(
                    CSP.contains(&hash_source(&script)),
                    "{name}: list it in TEMPLATES_WITH_SCRIPTS so the CSP allows its script"
                );
            }
        }
    }

    #[test]
    fn cookies_get_secure_over_https() {
        let mut r = Response::new(axum::body::Body::empty());
        r.headers_mut()
            .append(SET_COOKIE, HeaderValue::from_static("a=1; Path=/"));
        r.headers_mut()
            .append(SET_COOKIE, HeaderValue::from_static("b=2; Secure"));
        let mut ctx = RequestContext {
            request_id: "r".into(),
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            https: true,
            origin: None,
        };
        apply(&mut r, &ctx, true);
        let c: Vec<_> = r.headers().get_all(SET_COOKIE).iter().collect();
        assert_eq!(c, ["a=1; Path=/; Secure", "b=2; Secure"]);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
        let mut plain = Response::new(axum::body::Body::empty());
        plain
            .headers_mut()
            .append(SET_COOKIE, HeaderValue::from_static("a=1"));
        ctx.https = false;
        apply(&mut plain, &ctx, false);
        assert_eq!(plain.headers()[SET_COOKIE], "a=1");
        assert!(plain.headers().get(CACHE_CONTROL).is_none());
        assert!(
            plain.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
}
