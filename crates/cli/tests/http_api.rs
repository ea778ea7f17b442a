//! End-to-end tests of the HTTP server on both stores: `votebase serve` runs as a child
//! process; the tests sign in through the login form (CSRF, wrong password, rate limit),
//! use API tokens, check every API route against every role, and check that reading a
//! voter is audited.

mod common;

use common::{Backend, Reply, reply, shared};

fn start(b: &Backend) -> common::Served {
    common::serve(b)
}

fn agent() -> ureq::Agent {
    common::http()
}

fn get(url: &str, token: Option<&str>, cookie: Option<&str>) -> Reply {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let mut resp = req.call().expect("request");
    reply(&mut resp)
}

fn post_form(url: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    let mut req = agent().post(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let mut resp = req.send_form(form.iter().copied()).expect("request");
    reply(&mut resp)
}

fn cookie_value(r: &Reply, name: &str) -> String {
    r.set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .cloned()
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", r.set_cookies))
}

fn hidden_csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    body[at..at + 64].to_string()
}

fn setup(b: &Backend) -> (String, String, String) {
    let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
    b.cmd(&[
        "import",
        "voters",
        nc.to_str().unwrap(),
        "--layout",
        "ncvoter",
        "--as-of",
        "2026-09-01",
    ])
    .assert()
    .success();
    let ballots = b.path("absentee_20261005.csv");
    std::fs::write(
        &ballots,
        "county_desc,voter_reg_num,ncid,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status\n\
         JONESTOWN,71556617,DU994065,11/03/2026,MAIL,09/01/2026,09/03/2026,10/01/2026,ACCEPTED\n",
    )
    .unwrap();
    b.cmd(&[
        "import",
        "ballots",
        ballots.to_str().unwrap(),
        "--layout",
        "nc-absentee",
    ])
    .assert()
    .success();
    // The final file of the previous general election: the dashboard compares with it.
    let previous = b.path("absentee_final_20241105.csv");
    std::fs::write(
        &previous,
        "county_desc,voter_reg_num,ncid,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status\n\
         JONESTOWN,71556617,DU994065,11/05/2024,MAIL,09/01/2024,09/03/2024,10/02/2024,ACCEPTED\n",
    )
    .unwrap();
    b.cmd(&[
        "import",
        "ballots",
        previous.to_str().unwrap(),
        "--layout",
        "nc-absentee",
    ])
    .assert()
    .success();
    b.cmd(&["list", "save", "everyone", ""]).assert().success();
    for (name, role) in [
        ("ada", "admin"),
        ("ola", "organizer"),
        ("val", "volunteer"),
        ("dan", "data_manager"),
    ] {
        b.cmd(&["user", "add", name, "--role", role])
            .write_stdin("a long password 1\n")
            .assert()
            .success();
    }
    let token = |name: &str| {
        String::from_utf8(
            b.cmd(&["token", "create", name])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap()
        .trim()
        .to_string()
    };
    (token("ada"), token("ola"), token("val"))
}

#[test]
fn api_roles_audit_and_openapi() {
    for b in Backend::all("api") {
        let (admin, organizer, volunteer) = setup(&b);
        let s = start(&b);
        let api = format!("{}/api/v1", s.base);

        let health = get(&format!("{api}/health"), None, None);
        assert_eq!(health.status, 200, "{}", b.name);
        assert!(health.body.contains(b.name));
        let doc = get(&format!("{api}/openapi.json"), None, None);
        assert_eq!(doc.status, 200);
        let doc: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
        for path in [
            "/api/v1/voters",
            "/api/v1/voters/{id}",
            "/api/v1/snapshots",
            "/api/v1/audit",
            "/api/v1/ballots/status",
            "/api/v1/lookup",
            "/api/v1/registration",
            "/api/v1/universes/count",
            "/api/v1/lists",
            "/api/v1/contacts",
            "/api/v1/incidents",
            "/api/v1/results/submissions",
        ] {
            assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
        }

        // Route x role matrix: expected status per (route, role).
        let routes = [
            ("/voters?q=LANDRY", [401, 200, 200, 403]),
            ("/voters/DU994065", [401, 200, 200, 403]),
            ("/snapshots", [401, 200, 200, 403]),
            ("/snapshots/1/changes", [401, 200, 403, 403]),
            ("/audit", [401, 200, 403, 403]),
            ("/ballots/elections", [401, 200, 200, 403]),
            ("/ballots/status", [401, 200, 200, 403]),
            ("/ballots/turnout", [401, 200, 200, 403]),
            // Chase and cure lists and list exports are bulk exports of personal
            // data: the import/export permission (admin, data manager), not organizers.
            ("/ballots/lists/chase", [401, 200, 403, 403]),
            ("/ballots/lists/cure", [401, 200, 403, 403]),
            ("/ballots/lists/nope", [401, 404, 403, 403]),
            ("/lists", [401, 200, 200, 403]),
            ("/lists/everyone/export", [401, 200, 403, 403]),
            ("/lists/everyone/export?format=csv", [401, 200, 403, 403]),
            ("/lists/everyone/export?format=van", [401, 200, 403, 403]),
            ("/lists/everyone/export?format=spoke", [401, 200, 403, 403]),
            (
                "/lists/everyone/export?format=nationbuilder",
                [401, 200, 403, 403],
            ),
            ("/lists/everyone/export?format=walk", [401, 200, 403, 403]),
            ("/lists/nope/export", [401, 404, 403, 403]),
        ];
        for (route, expected) in routes {
            for (i, who) in [
                None,
                Some(admin.as_str()),
                Some(organizer.as_str()),
                Some(volunteer.as_str()),
            ]
            .iter()
            .enumerate()
            {
                let r = get(&format!("{api}{route}"), *who, None);
                assert_eq!(
                    r.status, expected[i],
                    "{}: {route} as role #{i}: {}",
                    b.name, r.body
                );
                if r.status >= 400 {
                    let e: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                    let code = e["error"].as_str().unwrap();
                    assert!(
                        ["unauthorized", "forbidden", "not_found"].contains(&code),
                        "{code}"
                    );
                }
            }
        }
        let bad = get(&format!("{api}/voters"), Some("not-a-token"), None);
        assert_eq!(bad.status, 401);
        let missing = get(&format!("{api}/voters/NOPE123"), Some(&organizer), None);
        assert_eq!(missing.status, 404);
        assert!(missing.body.contains("not_found"));
        let empty = get(&format!("{api}/voters?q=%2C%2C"), Some(&organizer), None);
        assert_eq!(empty.status, 400);

        let found = get(
            &format!("{api}/voters?q=795%20Johnson%20Club"),
            Some(&organizer),
            None,
        );
        let list: serde_json::Value = serde_json::from_str(&found.body).unwrap();
        assert_eq!(list[0]["state_voter_id"], "DU994065");

        let status = get(&format!("{api}/ballots/status"), Some(&organizer), None);
        let status: serde_json::Value = serde_json::from_str(&status.body).unwrap();
        assert_eq!(status["categories"][0]["category"], "accepted", "{status}");
        assert_eq!(status["categories"][0]["voted"], 1);
        let detail = get(&format!("{api}/voters/DU994065"), Some(&organizer), None);
        assert!(detail.body.contains("\"ballots\":[{"), "{}", detail.body);

        let audit = get(&format!("{api}/audit?limit=500"), Some(&admin), None);
        let log: serde_json::Value = serde_json::from_str(&audit.body).unwrap();
        assert!(
            log.as_array().unwrap().iter().any(|e| e["actor"] == "ola"
                && e["action"] == "voter.read"
                && e["subject"] == "DU994065"),
            "{}: the organizer's read is audited: {log}",
            b.name
        );
    }
}

#[test]
fn login_form_csrf_session_and_rate_limit() {
    for b in Backend::all("web") {
        setup(&b);
        let s = start(&b);
        // Pages redirect to the sign-in form when signed out.
        let home = get(&format!("{}/", s.base), None, None);
        assert_eq!(home.status, 303);

        let form = get(&format!("{}/login", s.base), None, None);
        assert_eq!(form.status, 200);
        let csrf_cookie = cookie_value(&form, "vb_login_csrf");
        let csrf = hidden_csrf(&form.body);

        let no_csrf = post_form(
            &format!("{}/login", s.base),
            &[
                ("username", "ola"),
                ("password", "a long password 1"),
                ("csrf", "x"),
            ],
            Some(&csrf_cookie),
        );
        assert_eq!(no_csrf.status, 403, "{}", b.name);
        let wrong = post_form(
            &format!("{}/login", s.base),
            &[("username", "ola"), ("password", "wrong"), ("csrf", &csrf)],
            Some(&csrf_cookie),
        );
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("wrong user name or password"));
        let ok = post_form(
            &format!("{}/login", s.base),
            &[
                ("username", "ola"),
                ("password", "a long password 1"),
                ("csrf", &csrf),
            ],
            Some(&csrf_cookie),
        );
        assert_eq!(ok.status, 303, "{}: {}", b.name, ok.body);
        let session = cookie_value(&ok, "vb_session");

        let search = get(&format!("{}/?q=Landry", s.base), None, Some(&session));
        assert_eq!(search.status, 200);
        assert!(search.body.contains("DU994065"), "{}", search.body);
        let voter = get(&format!("{}/voters/DU994065", s.base), None, Some(&session));
        assert_eq!(voter.status, 200);
        assert!(voter.body.contains("Vote history") && voter.body.contains("JOHNSON"));
        let snaps = get(&format!("{}/snapshots", s.base), None, Some(&session));
        assert!(snaps.body.contains("nc.csv"));
        let dash = get(&format!("{}/ballots", s.base), None, Some(&session));
        assert_eq!(dash.status, 200);
        assert!(
            dash.body.contains("By party") && dash.body.contains("By age"),
            "{}",
            dash.body
        );
        assert!(
            dash.body.contains("<svg id=\"turnout-chart\"")
                && dash.body.contains("1</strong> voters have voted"),
            "{}",
            dash.body
        );
        // 2026-10-01 is 33 days before the election; 33 days before 2024-11-05 the voter
        // had already voted (2024-10-02), so the earlier line stands at 1 that day.
        assert!(
            dash.body.contains("id=\"previous-line\"")
                && dash
                    .body
                    .contains("By the same day before the 2024-11-05 election, <strong>1</strong>"),
            "{}",
            dash.body
        );
        // The cure list is a bulk export of personal data: not for an organizer.
        for kind in ["cure", "chase"] {
            let csv = get(
                &format!("{}/ballots/lists/{kind}.csv", s.base),
                None,
                Some(&session),
            );
            assert_eq!(csv.status, 403, "{}: {kind} as organizer", b.name);
        }
        let form = get(&format!("{}/login", s.base), None, None);
        let admin_ok = post_form(
            &format!("{}/login", s.base),
            &[
                ("username", "ada"),
                ("password", "a long password 1"),
                ("csrf", &hidden_csrf(&form.body)),
            ],
            Some(&cookie_value(&form, "vb_login_csrf")),
        );
        assert_eq!(admin_ok.status, 303, "{}: {}", b.name, admin_ok.body);
        let csv = get(
            &format!("{}/ballots/lists/cure.csv", s.base),
            None,
            Some(&cookie_value(&admin_ok, "vb_session")),
        );
        assert_eq!(csv.status, 200);
        assert!(csv.body.starts_with("state_voter_id,name,address"));
        let snap = get(&format!("{}/snapshots/1", s.base), None, Some(&session));
        assert_eq!(snap.status, 200);
        assert!(snap.body.contains("What changed"), "{}", snap.body);

        // Sign-out needs the session's CSRF token.
        let bad_logout = post_form(
            &format!("{}/logout", s.base),
            &[("csrf", "nope")],
            Some(&session),
        );
        assert_eq!(bad_logout.status, 403);
        let token = hidden_csrf(&search.body);
        let out = post_form(
            &format!("{}/logout", s.base),
            &[("csrf", &token)],
            Some(&session),
        );
        assert_eq!(out.status, 303);
        assert_eq!(
            get(&format!("{}/", s.base), None, Some(&session)).status,
            303,
            "session ended"
        );

        // Volunteers may sign in but not search.
        let vol = post_form(
            &format!("{}/login", s.base),
            &[
                ("username", "val"),
                ("password", "a long password 1"),
                ("csrf", &csrf),
            ],
            Some(&csrf_cookie),
        );
        let vol_session = cookie_value(&vol, "vb_session");
        assert_eq!(
            get(&format!("{}/?q=Landry", s.base), None, Some(&vol_session)).status,
            403
        );

        // Ten attempts a minute per address, then 429 with Retry-After.
        let mut limited = false;
        for _ in 0..12 {
            let r = post_form(
                &format!("{}/login", s.base),
                &[("username", "ola"), ("password", "bad"), ("csrf", &csrf)],
                Some(&csrf_cookie),
            );
            if r.status == 429 {
                limited = true;
                break;
            }
        }
        assert!(limited, "{}: sign-in attempts are rate-limited", b.name);
    }
}

/// Signs `user` in through the form: the session cookie and the session's CSRF token.
fn sign_in(base: &str, user: &str) -> (String, String) {
    let form = get(&format!("{base}/login"), None, None);
    let csrf_cookie = cookie_value(&form, "vb_login_csrf");
    let ok = post_form(
        &format!("{base}/login"),
        &[
            ("username", user),
            ("password", "a long password 1"),
            ("csrf", &hidden_csrf(&form.body)),
        ],
        Some(&csrf_cookie),
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let session = cookie_value(&ok, "vb_session");
    let home = get(&format!("{base}/"), None, Some(&session));
    (session, hidden_csrf(&home.body))
}

/// A POST with the given headers and body.
fn post_with(url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = agent().post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.send(body.as_bytes()).expect("request");
    reply(&mut resp)
}

fn error_code(r: &Reply) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.body));
    assert!(v["request_id"].is_string(), "{}", r.body);
    v["error"].as_str().unwrap_or_default().to_string()
}

#[test]
fn one_csrf_rule_for_forms_and_json_with_security_headers() {
    let b = Backend::sqlite();
    let (_, ola_token, _) = setup(&b);
    let s = start(&b);
    let (session, csrf) = sign_in(&s.base, "ola");
    let port: u16 = s.base.rsplit(':').next().unwrap().parse().unwrap();
    let other = format!("http://127.0.0.1:{}", port.wrapping_add(1).max(1));
    let contact = r#"{"state_voter_id":"DU994065","channel":"door","result":"reached"}"#;
    let api = format!("{}/api/v1/contacts", s.base);
    let json = ("Content-Type", "application/json");

    // Cross-origin (another port) cookie requests are refused, JSON and form alike.
    let r = post_with(
        &api,
        &[("Cookie", &session), ("Origin", &other), json],
        contact,
    );
    assert_eq!((r.status, error_code(&r).as_str()), (403, "csrf_failed"));
    let r = post_with(
        &format!("{}/voters/DU994065/contacts", s.base),
        &[
            ("Cookie", &session),
            ("Origin", &other),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        "form_token=0123456789abcdef0123456789abcdef&channel=door&result=reached",
    );
    assert_eq!(r.status, 403, "{}", r.body);
    // A cross-site "simple" text/plain body never reaches the JSON route.
    let r = post_with(
        &api,
        &[("Cookie", &session), ("Content-Type", "text/plain")],
        contact,
    );
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (415, "unsupported_media_type")
    );
    // The same origin with the session's token passes (header for JSON, field for forms).
    let r = post_with(
        &api,
        &[
            ("Cookie", &session),
            ("Origin", &s.base),
            ("X-CSRF-Token", &csrf),
            json,
        ],
        contact,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post_with(
        &format!("{}/voters/DU994065/contacts", s.base),
        &[
            ("Cookie", &session),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!(
            "csrf={csrf}&form_token=0123456789abcdef0123456789abcdef&channel=door&result=reached"
        ),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // Bearer requests are exempt from the CSRF rule, but not from the JSON rule.
    let bearer = format!("Bearer {ola_token}");
    let r = post_with(
        &api,
        &[("Authorization", &bearer), ("Origin", &other), json],
        contact,
    );
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    let r = post_with(
        &api,
        &[("Authorization", &bearer), ("Content-Type", "text/plain")],
        contact,
    );
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (415, "unsupported_media_type")
    );

    // Framework rejections answer the JSON error body.
    let r = get(&format!("{}/api/v1/voters", s.base), Some(&ola_token), None);
    assert_eq!((r.status, error_code(&r).as_str()), (400, "bad_request"));
    let r = get(
        &format!("{}/api/v1/snapshots/x/changes", s.base),
        Some(&ola_token),
        None,
    );
    assert_eq!((r.status, error_code(&r).as_str()), (400, "bad_request"));
    let r = get(&format!("{}/no/such/page", s.base), None, None);
    assert_eq!((r.status, error_code(&r).as_str()), (404, "not_found"));
    let r = post_with(&format!("{}/api/v1/health", s.base), &[json], "{}");
    assert_eq!(
        (r.status, error_code(&r).as_str()),
        (405, "method_not_allowed")
    );
    let r = post_with(&api, &[("Authorization", &bearer), json], "{not json");
    assert_eq!((r.status, error_code(&r).as_str()), (400, "bad_request"));
    // A body over the limit is refused from its Content-Length, before it is read.
    let raw = {
        use std::io::{Read, Write};
        let mut tcp = std::net::TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
        write!(
            tcp,
            "POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: {bearer}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            2 << 20
        )
        .unwrap();
        let mut text = String::new();
        let _ = tcp.read_to_string(&mut text);
        text
    };
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{raw}"));
    assert_eq!(v["error"], "payload_too_large");

    // Security headers on pages; no-store on authenticated answers.
    let resp = agent()
        .get(&format!("{}/", s.base))
        .header("Cookie", &session)
        .call()
        .unwrap();
    let h = resp.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"));
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.contains_key("x-request-id"));
    let login = agent().get(&format!("{}/login", s.base)).call().unwrap();
    assert!(
        login
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().contains("Secure")),
        "plain HTTP: no Secure cookies"
    );
}

#[test]
fn https_and_client_addresses_from_public_url_and_trusted_proxies() {
    let b = Backend::sqlite();
    setup(&b);
    let secure_cookies = |s: &common::Served, headers: &[(&str, &str)]| {
        let mut req = agent().get(&format!("{}/login", s.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.call().unwrap();
        let cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap().to_string())
            .collect();
        assert!(!cookies.is_empty());
        cookies.iter().all(|c| c.contains("; Secure"))
    };
    // An https public URL: cookies are Secure.
    let s = common::serve_with(
        &b,
        &[("VOTEBASE_PUBLIC_URL", "https://votebase.example.org")],
    );
    assert!(secure_cookies(&s, &[]));
    drop(s);
    // X-Forwarded-Proto counts only from a trusted proxy.
    let s = start(&b);
    assert!(!secure_cookies(&s, &[("X-Forwarded-Proto", "https")]));
    let attempts = |s: &common::Served, forwarded_for: &str| {
        (0..12)
            .map(|_| {
                let mut req = agent().post(&format!("{}/login", s.base));
                req = req.header("X-Forwarded-For", forwarded_for);
                let mut resp = req
                    .send_form([("username", "ola"), ("password", "bad"), ("csrf", "x")])
                    .unwrap();
                reply(&mut resp).status
            })
            .filter(|st| *st == 429)
            .count()
    };
    // Untrusted: X-Forwarded-For is ignored, so changing it does not escape the limit.
    assert!(attempts(&s, "203.0.113.1") > 0);
    assert!(
        attempts(&s, "203.0.113.2") > 0,
        "the forged address is not believed"
    );
    drop(s);
    let s = common::serve_with(&b, &[("VOTEBASE_TRUSTED_PROXIES", "127.0.0.0/8")]);
    assert!(secure_cookies(&s, &[("X-Forwarded-Proto", "https")]));
    assert!(!secure_cookies(&s, &[]));
    // Trusted: each forwarded client has its own allowance.
    assert!(attempts(&s, "203.0.113.1") > 0);
    assert_eq!(
        attempts(&s, "203.0.113.2, 127.0.0.1"),
        2,
        "a fresh client gets 10 of 12"
    );
}

/// Signs in through the login form; returns the reply (303 and a session cookie on success).
fn sign_in_reply(base: &str, user: &str, password: &str) -> Reply {
    let form = get(&format!("{base}/login"), None, None);
    let csrf_cookie = cookie_value(&form, "vb_login_csrf");
    let csrf = hidden_csrf(&form.body);
    post_form(
        &format!("{base}/login"),
        &[("username", user), ("password", password), ("csrf", &csrf)],
        Some(&csrf_cookie),
    )
}

fn error_code_lenient(r: &Reply) -> String {
    let e: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    e["error"].as_str().unwrap_or_default().to_string()
}

#[test]
fn token_expiry_disabled_users_and_the_admin_users_page() {
    for b in Backend::all("creds") {
        let (admin, organizer, volunteer) = setup(&b);
        let short = String::from_utf8(
            b.cmd(&["token", "create", "ola", "--expires-in", "2s"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone(),
        )
        .unwrap()
        .trim()
        .to_string();
        let s = start(&b);
        let api = format!("{}/api/v1", s.base);
        let voters = format!("{api}/voters?q=LANDRY");

        // An expired token: 401 token_expired.
        assert_eq!(get(&voters, Some(&short), None).status, 200, "{}", b.name);
        std::thread::sleep(std::time::Duration::from_millis(2_300));
        let expired = get(&voters, Some(&short), None);
        assert_eq!(expired.status, 401, "{}", b.name);
        assert_eq!(
            error_code_lenient(&expired),
            "token_expired",
            "{}",
            expired.body
        );

        // Route x role matrix of the admin pages (signed out: to the sign-in form).
        for (route, expected) in [("/admin/users", [303, 200, 403, 403])] {
            for (i, who) in [
                None,
                Some(admin.as_str()),
                Some(organizer.as_str()),
                Some(volunteer.as_str()),
            ]
            .iter()
            .enumerate()
            {
                let r = get(&format!("{}{route}", s.base), *who, None);
                assert_eq!(r.status, expected[i], "{}: {route} as role #{i}", b.name);
            }
        }

        let ada = cookie_value(
            &sign_in_reply(&s.base, "ada", "a long password 1"),
            "vb_session",
        );
        let page = get(&format!("{}/admin/users", s.base), None, Some(&ada));
        assert!(page.body.contains("id=\"user-ola\""), "{}", page.body);
        let csrf = hidden_csrf(&page.body);
        let ola_login = sign_in_reply(&s.base, "ola", "a long password 1");
        assert_eq!(ola_login.status, 303);
        let ola = cookie_value(&ola_login, "vb_session");
        assert_eq!(get(&format!("{}/", s.base), None, Some(&ola)).status, 200);

        // Admin forms need the session's CSRF token.
        let forged = post_form(
            &format!("{}/admin/users/ola/disable", s.base),
            &[("csrf", "nope")],
            Some(&ada),
        );
        assert_eq!(forged.status, 403, "{}", b.name);
        // Not an admin: refused.
        let ola_csrf = hidden_csrf(&get(&format!("{}/", s.base), None, Some(&ola)).body);
        let by_organizer = post_form(
            &format!("{}/admin/users/val/disable", s.base),
            &[("csrf", &ola_csrf)],
            Some(&ola),
        );
        assert_eq!(by_organizer.status, 403, "{}", b.name);

        // Disabling stops the user's session and tokens at once, and sign-in.
        let disabled = post_form(
            &format!("{}/admin/users/ola/disable", s.base),
            &[("csrf", &csrf)],
            Some(&ada),
        );
        assert_eq!(disabled.status, 303, "{}: {}", b.name, disabled.body);
        assert_eq!(get(&format!("{}/", s.base), None, Some(&ola)).status, 303);
        let refused = get(&voters, Some(&organizer), None);
        assert_eq!(refused.status, 401);
        assert_eq!(error_code_lenient(&refused), "unauthorized");
        assert_eq!(
            sign_in_reply(&s.base, "ola", "a long password 1").status,
            401
        );
        let page = get(&format!("{}/admin/users", s.base), None, Some(&ada));
        assert!(page.body.contains("user disabled"), "{}", page.body);

        // Enabled again: the token works; a new role applies at once.
        let enabled = post_form(
            &format!("{}/admin/users/ola/enable", s.base),
            &[("csrf", &csrf)],
            Some(&ada),
        );
        assert_eq!(enabled.status, 303);
        assert_eq!(get(&voters, Some(&organizer), None).status, 200);
        let demoted = post_form(
            &format!("{}/admin/users/ola/role", s.base),
            &[("csrf", &csrf), ("role", "volunteer")],
            Some(&ada),
        );
        assert_eq!(demoted.status, 303);
        assert_eq!(get(&voters, Some(&organizer), None).status, 403);
        let bad_role = post_form(
            &format!("{}/admin/users/ola/role", s.base),
            &[("csrf", &csrf), ("role", "mayor")],
            Some(&ada),
        );
        assert_eq!(bad_role.status, 400);

        // A reset shows the new password once, revokes the tokens, ends the sessions.
        let reset = post_form(
            &format!("{}/admin/users/ola/password", s.base),
            &[("csrf", &csrf)],
            Some(&ada),
        );
        assert_eq!(reset.status, 200, "{}", reset.body);
        let at = reset
            .body
            .find("id=\"new-password\">")
            .expect("password shown")
            + 18;
        let password = reset.body[at..at + 24].to_string();
        assert_eq!(get(&voters, Some(&organizer), None).status, 401);
        assert_eq!(
            sign_in_reply(&s.base, "ola", "a long password 1").status,
            401
        );
        assert_eq!(sign_in_reply(&s.base, "ola", &password).status, 303);
        drop(s);

        // Per account: 5 failures per 15 minutes lock the name, not the address.
        let s = start(&b);
        for _ in 0..5 {
            assert_eq!(
                sign_in_reply(&s.base, "dan", "not the password").status,
                401
            );
        }
        let locked = sign_in_reply(&s.base, "dan", "a long password 1");
        assert_eq!(
            locked.status, 429,
            "{}: the right password is refused too",
            b.name
        );
        let other = sign_in_reply(&s.base, "val", "a long password 1");
        assert_eq!(
            other.status, 303,
            "{}: other accounts still sign in",
            b.name
        );
        // Unknown names get the same answer as a wrong password (the last attempts this
        // minute that the per-address limit of 10 allows).
        for _ in 0..3 {
            let r = sign_in_reply(&s.base, "nobody", "x");
            assert_eq!(r.status, 401);
            assert!(r.body.contains("wrong user name or password"));
        }
    }
}
