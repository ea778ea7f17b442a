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
            ("/ballots/lists/chase", [401, 200, 200, 403]),
            ("/ballots/lists/cure", [401, 200, 200, 403]),
            ("/ballots/lists/nope", [401, 404, 404, 403]),
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
        let csv = get(
            &format!("{}/ballots/lists/cure.csv", s.base),
            None,
            Some(&session),
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

/// Signs in through the login form; returns the reply (303 and a session cookie on success).
fn sign_in(base: &str, user: &str, password: &str) -> Reply {
    let form = get(&format!("{base}/login"), None, None);
    let csrf_cookie = cookie_value(&form, "vb_login_csrf");
    let csrf = hidden_csrf(&form.body);
    post_form(
        &format!("{base}/login"),
        &[("username", user), ("password", password), ("csrf", &csrf)],
        Some(&csrf_cookie),
    )
}

fn error_code(r: &Reply) -> String {
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
        assert_eq!(error_code(&expired), "token_expired", "{}", expired.body);

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

        let ada = cookie_value(&sign_in(&s.base, "ada", "a long password 1"), "vb_session");
        let page = get(&format!("{}/admin/users", s.base), None, Some(&ada));
        assert!(page.body.contains("id=\"user-ola\""), "{}", page.body);
        let csrf = hidden_csrf(&page.body);
        let ola_login = sign_in(&s.base, "ola", "a long password 1");
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
        assert_eq!(error_code(&refused), "unauthorized");
        assert_eq!(sign_in(&s.base, "ola", "a long password 1").status, 401);
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
        assert_eq!(sign_in(&s.base, "ola", "a long password 1").status, 401);
        assert_eq!(sign_in(&s.base, "ola", &password).status, 303);
        drop(s);

        // Per account: 5 failures per 15 minutes lock the name, not the address.
        let s = start(&b);
        for _ in 0..5 {
            assert_eq!(sign_in(&s.base, "dan", "not the password").status, 401);
        }
        let locked = sign_in(&s.base, "dan", "a long password 1");
        assert_eq!(
            locked.status, 429,
            "{}: the right password is refused too",
            b.name
        );
        let other = sign_in(&s.base, "val", "a long password 1");
        assert_eq!(
            other.status, 303,
            "{}: other accounts still sign in",
            b.name
        );
        // Unknown names get the same answer as a wrong password (the last attempts this
        // minute that the per-address limit of 10 allows).
        for _ in 0..3 {
            let r = sign_in(&s.base, "nobody", "x");
            assert_eq!(r.status, 401);
            assert!(r.body.contains("wrong user name or password"));
        }
    }
}
