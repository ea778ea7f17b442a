//! Tests of the layers every route shares ([`crate::protect`]): the CSRF rule, JSON
//! errors for rejections and panics, security headers, the request context.

use super::*;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use tower::ServiceExt;
use votebase_domain::User;
use votebase_domain::users::Role;

const CSRF: &str = "a-session-csrf-token";

async fn state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = votebase_store_sqlite::SqliteStore::open_file(&dir.path().join("t.sqlite3"))
        .expect("store");
    let state = AppState::new(Arc::new(store));
    let user = User {
        name: "ola".into(),
        role: Role::Organizer,
    };
    state.store.put_user(&user, "x").await.unwrap();
    state
        .store
        .create_session(
            &auth::sha256_hex("the-session"),
            &votebase_store::Session {
                user,
                csrf_token: CSRF.into(),
                expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
            },
        )
        .await
        .unwrap();
    (state, dir)
}

async fn changed() -> &'static str {
    "changed"
}

#[derive(serde::Deserialize)]
struct Needs {
    #[allow(dead_code)]
    n: u32,
}

async fn query(axum::extract::Query(_): axum::extract::Query<Needs>) -> &'static str {
    "ok"
}

async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html("<p>a page</p>")
}

async fn boom() -> &'static str {
    panic!("a secret voter name")
}

fn app(state: &AppState) -> axum::Router {
    let routes = axum::Router::new()
        .route("/form", post(changed))
        .route("/api/v1/thing", post(changed).get(query))
        .route("/boom", get(boom))
        .route("/page", get(page))
        .route("/login", post(changed))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1024));
    protect(routes, state).with_state(state.clone())
}

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let r = app(state).oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn post_req(path: &str) -> axum::http::request::Builder {
    Request::post(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, "vb_session=the-session")
}

fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{body}"));
    assert!(
        v["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    assert!(v["message"].is_string(), "{body}");
    v["error"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn cookie_posts_need_the_token_or_the_same_origin() {
    let (state, _dir) = state().await;
    let form = "application/x-www-form-urlencoded";
    // Another port is another origin: refused, form or JSON.
    let (s, _, body) = send(
        &state,
        post_req("/form")
            .header(header::ORIGIN, "http://127.0.0.1:9999")
            .header(header::CONTENT_TYPE, form)
            .body(Body::from("x=1"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _, body) = send(
        &state,
        post_req("/api/v1/thing")
            .header(header::ORIGIN, "http://127.0.0.1:9999")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "csrf_failed");
    // Cross-origin, but with the session's token: in the form, or in the header.
    let (s, _, body) = send(
        &state,
        post_req("/form")
            .header(header::ORIGIN, "http://127.0.0.1:9999")
            .header(header::CONTENT_TYPE, form)
            .body(Body::from(format!("x=1&csrf={CSRF}")))
            .unwrap(),
    )
    .await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "changed"));
    let (s, _, _) = send(
        &state,
        post_req("/api/v1/thing")
            .header("x-csrf-token", CSRF)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // A wrong token is refused; a form with no token and no Origin too.
    let (s, _, _) = send(
        &state,
        post_req("/form")
            .header(header::CONTENT_TYPE, form)
            .body(Body::from("csrf=nope"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The same origin (host and port) passes without a token.
    let (s, _, _) = send(
        &state,
        post_req("/form")
            .header(header::ORIGIN, "http://127.0.0.1:8080")
            .header(header::CONTENT_TYPE, form)
            .body(Body::from("x=1"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Bearer requests are exempt (the route authenticates the token).
    let (s, _, _) = send(
        &state,
        post_req("/api/v1/thing")
            .header(header::ORIGIN, "http://evil.example")
            .header(header::AUTHORIZATION, "Bearer whatever")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // The public sign-in form keeps its own pre-session token.
    let (s, _, _) = send(
        &state,
        post_req("/login")
            .header(header::ORIGIN, "http://evil.example")
            .header(header::CONTENT_TYPE, form)
            .body(Body::from("x=1"))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // Multipart forms carry the token as a field.
    let multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n".to_string()
        + CSRF
        + "\r\n--XyZ--\r\n";
    let (s, _, _) = send(
        &state,
        post_req("/form")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ")
            .body(Body::from(multipart))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn json_routes_refuse_other_bodies() {
    let (state, _dir) = state().await;
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let (s, _, body) = send(
            &state,
            post_req("/api/v1/thing")
                .header("x-csrf-token", CSRF)
                .header(header::CONTENT_TYPE, ct)
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert_eq!(error_code(&body), "unsupported_media_type");
    }
}

#[tokio::test]
async fn rejections_and_panics_answer_the_json_error_body() {
    let (state, _dir) = state().await;
    let get_req = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let (s, h, body) = send(&state, get_req("/boom")).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error_code(&body), "internal");
    assert!(
        !body.contains("secret"),
        "the panic message is not sent: {body}"
    );
    assert!(body.contains(h["x-request-id"].to_str().unwrap()));
    let (s, _, body) = send(&state, get_req("/nowhere")).await;
    assert_eq!(
        (s, error_code(&body).as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (s, _, body) = send(&state, get_req("/form")).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&body), "method_not_allowed");
    let (s, _, body) = send(&state, get_req("/api/v1/thing?n=many")).await;
    assert_eq!(
        (s, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (s, _, body) = send(
        &state,
        Request::post("/api/v1/thing")
            .header(header::AUTHORIZATION, "Bearer t")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, "4096")
            .body(Body::from(vec![b' '; 4096]))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(error_code(&body), "payload_too_large");
}

#[tokio::test]
async fn every_response_has_the_security_headers() {
    let (state, _dir) = state().await;
    let (_, h, _) = send(
        &state,
        Request::get("/nowhere")
            .header(header::COOKIE, "vb_session=the-session")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    // A JSON answer (the 404) may load and run nothing.
    assert_eq!(h[header::CONTENT_SECURITY_POLICY], crate::headers::JSON_CSP);
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    // A page gets the pages' policy: this server's scripts, by hash, nothing inline.
    let (status, h, body) = send(&state, Request::get("/page").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(
        !csp.contains("'unsafe-inline' ;") && !csp.contains("script-src 'self' 'unsafe-inline'")
    );
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
}

#[tokio::test]
async fn https_and_the_client_come_from_trusted_proxies_only() {
    let (state, _dir) = state().await;
    let peer: std::net::IpAddr = "10.0.0.7".parse().unwrap();
    let mut h = axum::http::HeaderMap::new();
    h.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
    h.insert("x-forwarded-proto", "https".parse().unwrap());
    h.insert(header::HOST, "votes.example.org".parse().unwrap());
    let ctx = context::resolve(&state, peer, &h);
    assert_eq!((ctx.client_ip, ctx.https), (peer, false));
    assert_eq!(ctx.origin.as_deref(), Some("http://votes.example.org"));
    let trusted = state.clone().with_options(&ServeOptions {
        trusted_proxies: TrustedProxies::parse(&["10.0.0.0/8"]).unwrap(),
        ..ServeOptions::default()
    });
    let ctx = context::resolve(&trusted, peer, &h);
    assert_eq!(
        ctx.client_ip,
        "203.0.113.9".parse::<std::net::IpAddr>().unwrap()
    );
    assert!(ctx.https);
    assert_eq!(ctx.origin.as_deref(), Some("https://votes.example.org"));
    let public = state.with_options(&ServeOptions {
        public_url: Some("https://vb.example.org/".into()),
        ..ServeOptions::default()
    });
    let ctx = context::resolve(&public, peer, &h);
    assert!(ctx.https);
    assert_eq!(ctx.origin.as_deref(), Some("https://vb.example.org"));
}
