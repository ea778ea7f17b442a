//! Hostile input on election-night results (issue 13, row 11): a worksheet "photo" is
//! judged by its bytes, never by the declared Content-Type (a page sent as `image/png`
//! gets 415); printed chair-code links come from the configured public URL
//! (`--public-url` / `VOTEBASE_PUBLIC_URL`), never from the request's `Host` header, and
//! without one the sheet says so and shows the path only.

mod common;

use common::{Backend, http, serve, serve_with};
use serde_json::{Value, json};
use std::io::{Read, Write};

const DEFINITION: &str = r#"
slug = "ia-test"
name = "Test County caucus"
date = "2020-02-03"

[[contests]]
key = "president"
office = "President"
party = "DEM"
kind = "caucus"
candidates = ["Biden", "Sanders"]
"#;

const ROSTER: &str = "id,county,name,delegates,sde,history_turnout\n\
P1,Adair,4SE ORIENT,10,0.7843,40\n\
P2,Adair,GREENFIELD,4,0.5,20\n";

/// Sets the election up and issues codes with the CLI; returns (precinct, code, url).
fn setup(b: &Backend, env: &[(&str, &str)], extra: &[&str]) -> Vec<(String, String, String)> {
    std::fs::write(b.path("caucus.toml"), DEFINITION).unwrap();
    std::fs::write(b.path("roster.csv"), ROSTER).unwrap();
    b.cmd(&[
        "results",
        "setup",
        "caucus.toml",
        "--precincts",
        "roster.csv",
    ])
    .assert()
    .success();
    let mut args = vec!["results", "codes", "ia-test", "--out", "codes.csv"];
    args.extend_from_slice(extra);
    let mut cmd = b.cmd(&args);
    cmd.env_remove("VOTEBASE_PUBLIC_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.assert().success();
    let mut r = csv::Reader::from_path(b.path("codes.csv")).unwrap();
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[3].to_string(), row[4].to_string())
        })
        .collect()
}

fn sign_in(api: &str, code: &str) -> String {
    let mut resp = http()
        .post(&format!("{api}/ia-test/sign-in"))
        .header("Content-Type", "application/json")
        .send(json!({ "code": code }).to_string())
        .expect("sign in");
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    body["token"].as_str().unwrap().to_string()
}

fn upload(api: &str, token: &str, client_id: &str, declared: &str, bytes: &[u8]) -> (u16, Value) {
    let mut resp = http()
        .post(&format!("{api}/ia-test/worksheet?client_id={client_id}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", declared)
        .send(bytes)
        .expect("upload");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn worksheet_photos_are_judged_by_their_magic_bytes() {
    let b = Backend::sqlite();
    let codes = setup(&b, &[], &[]);
    let server = serve(&b);
    let api = format!("{}/api/v1/results", server.base);
    let token = sign_in(&api, &codes[0].1);

    // A page declared as a PNG: refused, nothing stored.
    let (status, body) = upload(
        &api,
        &token,
        "ws-html",
        "image/png",
        b"<html><script>alert(document.cookie)</script></html>",
    );
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"], "unsupported_media_type", "{body}");
    // A PDF declared as a JPEG: refused too.
    let (status, _) = upload(&api, &token, "ws-pdf", "image/jpeg", b"%PDF-1.7\n...");
    assert_eq!(status, 415);

    // A real PNG whatever its declared type: stored with the type its bytes say.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
    let (status, body) = upload(&api, &token, "ws-png", "application/octet-stream", png);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["content_type"], "image/png", "{body}");
    // A JPEG declared as a PNG is stored as a JPEG.
    let jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01";
    let (status, body) = upload(&api, &token, "ws-jpg", "image/png", jpeg);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["content_type"], "image/jpeg", "{body}");

    // A retry of a refused client id is still refused: nothing was stored under it.
    let (status, _) = upload(&api, &token, "ws-html", "image/png", b"not an image");
    assert_eq!(status, 415);
}

#[test]
fn cli_code_sheet_links_use_the_public_url_or_the_path_alone() {
    // No public URL: the path alone, and the command says so.
    let b = Backend::sqlite();
    let rows = setup(&b, &[], &[]);
    assert!(
        rows.iter().all(|r| r.2 == "/results/ia-test/chair"),
        "{rows:?}"
    );

    // From VOTEBASE_PUBLIC_URL.
    let b = Backend::sqlite();
    let rows = setup(
        &b,
        &[("VOTEBASE_PUBLIC_URL", "https://results.example.org/")],
        &[],
    );
    assert!(
        rows.iter()
            .all(|r| r.2 == "https://results.example.org/results/ia-test/chair"),
        "{rows:?}"
    );

    // --base-url wins over the environment.
    let b = Backend::sqlite();
    let rows = setup(
        &b,
        &[("VOTEBASE_PUBLIC_URL", "https://results.example.org")],
        &["--base-url", "https://desk.example.org"],
    );
    assert!(
        rows.iter()
            .all(|r| r.2 == "https://desk.example.org/results/ia-test/chair"),
        "{rows:?}"
    );
}

/// Signs in through the login form; returns the session cookie and the desk's CSRF token.
fn login(base: &str, user: &str) -> (String, String) {
    let cookie_of = |resp: &ureq::http::Response<ureq::Body>, name: &str| {
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(name))
            .map(|v| v.split(';').next().unwrap().to_string())
    };
    let mut resp = http()
        .get(&format!("{base}/login"))
        .call()
        .expect("login form");
    let cookie = cookie_of(&resp, "vb_login_csrf=").expect("csrf cookie");
    let body = resp.body_mut().read_to_string().unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = body[at..at + 64].to_string();
    let resp = http()
        .post(&format!("{base}/login"))
        .header("Cookie", &cookie)
        .send_form([
            ("username", user),
            ("password", "a long password 1"),
            ("csrf", &csrf),
        ])
        .expect("login");
    let session = cookie_of(&resp, "vb_session=").expect("session cookie");
    let mut desk = http()
        .get(&format!("{base}/results/ia-test/admin"))
        .header("Cookie", &session)
        .call()
        .expect("desk");
    let desk = desk.body_mut().read_to_string().unwrap();
    let at = desk.find("name=\"csrf\" value=\"").unwrap() + 19;
    (session, desk[at..at + 64].to_string())
}

/// Posts the code-sheet form over a raw connection with a forged `Host` header.
fn code_sheet_with_host(base: &str, host: &str, session: &str, csrf: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    let body = format!("csrf={csrf}&precincts=P2");
    write!(
        s,
        "POST /results/ia-test/codes HTTP/1.1\r\nHost: {host}\r\nCookie: {session}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    out
}

fn admin(b: &Backend) {
    b.cmd(&["user", "add", "ada", "--role", "admin"])
        .write_stdin("a long password 1\n")
        .assert()
        .success();
}

#[test]
fn printed_code_sheets_never_take_links_from_the_host_header() {
    // With a public URL configured: links start with it, whatever Host the request had.
    let b = Backend::sqlite();
    setup(&b, &[], &[]);
    admin(&b);
    let server = serve_with(
        &b,
        &[("VOTEBASE_PUBLIC_URL", "https://results.example.org")],
    );
    let (session, csrf) = login(&server.base, "ada");
    let sheet = code_sheet_with_host(&server.base, "evil.example", &session, &csrf);
    assert!(
        sheet.contains("https://results.example.org/results/ia-test/chair"),
        "{sheet}"
    );
    assert!(!sheet.contains("evil.example"), "{sheet}");
    assert!(!sheet.contains("No public URL is configured"), "{sheet}");

    // Without one: the sheet says so and shows the path only.
    let b = Backend::sqlite();
    setup(&b, &[], &[]);
    admin(&b);
    let server = serve_with(&b, &[("VOTEBASE_PUBLIC_URL", "")]);
    let (session, csrf) = login(&server.base, "ada");
    let sheet = code_sheet_with_host(&server.base, "evil.example", &session, &csrf);
    assert!(!sheet.contains("evil.example"), "{sheet}");
    assert!(sheet.contains("No public URL is configured"), "{sheet}");
    assert!(
        sheet.contains("<strong>/results/ia-test/chair</strong>"),
        "{sheet}"
    );
}
