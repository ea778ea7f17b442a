//! Volunteers and projects over HTTP, end to end on both stores with `votebase serve` as
//! a child process: the campaign API and pages against every role (route x role), the
//! invitation email delivered to a real local SMTP server carrying the volunteer's signed
//! links (matches, unsubscribe), the volunteer's yes through that link, the campaign's
//! accept, forged and swapped links refused, unsubscribes honoured (no candidate, no
//! invitation, a queued email withheld), and the public sign-up form (EN/ES, its own
//! CSRF cookie, bounded fields, consent wording stored, rate-limited).

mod common;
use common::ok;

use common::{Backend, Reply, SmtpServer, link_in, mail_text, reply};

const VOLUNTEERS: &str = "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,issues\n\
v1,Ana,Lopez,ana@example.org,,53703,WI,python:3;data_engineering:2,10,yes,climate\n\
v2,Wei,Chen,wei@example.org,,27601,NC,python:2;sql:1,5,no,\n\
v3,Sam,Ng,sam@example.org,,53703,WI,email:3,5,no,\n\
v4,Kim,Park,kim@example.org,,53202,Wisconsin,python:2,8,no,climate\n";

const PROJECTS: &str = "id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats,issues\n\
p1,Dems of Dane County,Data pipeline,WI,53703,no,python:2,data_engineering:1,10,2,climate\n\
p2,Raleigh for All,Email program,NC,27601,yes,email:2,,5,1,\n\
p3,Madison Votes,Voter data,WI,53703,yes,python:1,,4,1,\n";

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
    reply(&mut req.call().expect("request"))
}

fn post_form(url: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    let mut req = agent().post(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    reply(&mut req.send_form(form.iter().copied()).expect("request"))
}

fn post_json(url: &str, token: &str, body: serde_json::Value) -> Reply {
    let mut resp = agent()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .expect("request");
    reply(&mut resp)
}

fn cookie_value(r: &Reply, name: &str) -> String {
    r.set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .cloned()
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", r.set_cookies))
}

fn hidden(body: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = body
        .find(&key)
        .unwrap_or_else(|| panic!("no {name}: {body}"))
        + key.len();
    body[at..].split('"').next().unwrap().to_string()
}

fn sign_in(base: &str, user: &str) -> String {
    let form = get(&format!("{base}/login"), None, None);
    let csrf_cookie = cookie_value(&form, "vb_login_csrf");
    let ok = post_form(
        &format!("{base}/login"),
        &[
            ("username", user),
            ("password", "a long password 1"),
            ("csrf", &hidden(&form.body, "csrf")),
        ],
        Some(&csrf_cookie),
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    cookie_value(&ok, "vb_session")
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON ({}): {}", r.status, r.body))
}

fn setup(b: &Backend) -> [String; 4] {
    std::fs::write(b.path("volunteers.csv"), VOLUNTEERS).unwrap();
    std::fs::write(b.path("projects.csv"), PROJECTS).unwrap();
    let centroids = common::shared("geo/zcta_2021_census_gazetteer_centroids.csv");
    let z = ["--zip-centroids", centroids.to_str().unwrap()];
    ok(
        b,
        &[&["volunteers", "import", "volunteers.csv"][..], &z].concat(),
    );
    ok(
        b,
        &[&["projects", "import", "projects.csv"][..], &z].concat(),
    );
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
    ["ada", "ola", "val", "dan"].map(|n| ok(b, &["token", "create", n]).trim().to_string())
}

/// Delivers the outbox to the SMTP server; returns the command's summary line.
fn send_email(b: &Backend, smtp: &SmtpServer) -> String {
    ok(
        b,
        &[
            "volunteers",
            "send-email",
            "--smtp",
            &format!("127.0.0.1:{}", smtp.port),
            "--from",
            "Team <team@example.org>",
        ],
    )
}

/// The decoded message delivered to `to` whose text contains `needle`.
fn mail_to(smtp: &SmtpServer, to: &str, needle: &str) -> Option<String> {
    smtp.messages()
        .iter()
        .map(|m| mail_text(m))
        .find(|m| m.starts_with(&format!("To: {to}")) && m.contains(needle))
}

#[test]
fn campaign_api_pages_links_unsubscribe_and_sign_up() {
    for b in Backend::all("vol_http") {
        let [admin, organizer, volunteer, data_manager] = setup(&b);
        let port = common::free_port();
        let public = format!("http://127.0.0.1:{port}");
        let s = common::serve_on(
            &b,
            port,
            &[
                ("VOTEBASE_PUBLIC_URL", public.as_str()),
                ("VOTEBASE_VOLUNTEER_SIGNUP_PER_MINUTE", "4"),
            ],
        );
        let api = format!("{}/api/v1", s.base);

        let doc = json(&get(&format!("{api}/openapi.json"), None, None));
        for path in [
            "/api/v1/projects",
            "/api/v1/projects/{id}/candidates",
            "/api/v1/projects/{id}/matches",
            "/api/v1/projects/{id}/invitations",
            "/api/v1/projects/{id}/decisions",
        ] {
            assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
        }
        assert!(doc["components"]["schemas"]["VolunteerCandidate"].is_object());

        // Route x role: signed out, admin, organizer, volunteer, data manager.
        let who = [
            None,
            Some(admin.as_str()),
            Some(organizer.as_str()),
            Some(volunteer.as_str()),
            Some(data_manager.as_str()),
        ];
        for (route, expected) in [
            ("/projects", [401, 200, 200, 403, 200]),
            ("/projects/p1/candidates", [401, 200, 200, 403, 200]),
            ("/projects/p1/candidates?top=1", [401, 200, 200, 403, 200]),
            ("/projects/p1/matches", [401, 200, 200, 403, 200]),
            ("/projects/nope/candidates", [401, 404, 404, 403, 404]),
            ("/projects/nope/matches", [401, 404, 404, 403, 404]),
        ] {
            for (i, token) in who.iter().enumerate() {
                let r = get(&format!("{api}{route}"), *token, None);
                assert_eq!(
                    r.status, expected[i],
                    "{}: {route} as #{i}: {}",
                    b.name, r.body
                );
            }
        }
        for (route, body) in [
            (
                "/projects/p1/invitations",
                serde_json::json!({"volunteer": "v1"}),
            ),
            (
                "/projects/p1/decisions",
                serde_json::json!({"volunteer": "v1", "accept": true}),
            ),
        ] {
            let r = post_json(&format!("{api}{route}"), &volunteer, body);
            assert_eq!(r.status, 403, "{}: {route} as a volunteer", b.name);
        }
        let top1 = json(&get(
            &format!("{api}/projects/p1/candidates?top=1"),
            Some(&organizer),
            None,
        ));
        assert_eq!(top1.as_array().unwrap().len(), 1);
        assert_eq!(top1[0]["volunteer"], "v1");
        assert!(
            top1[0]["explanation"]
                .as_str()
                .unwrap()
                .starts_with("matches 1/1 required skills"),
            "{top1}"
        );

        // Pages: signed out to the sign-in page; by role.
        let sessions: Vec<String> = ["ada", "ola", "val", "dan"]
            .iter()
            .map(|u| sign_in(&s.base, u))
            .collect();
        for (route, expected) in [
            ("/projects", [303, 200, 200, 403, 200]),
            ("/projects/p1", [303, 200, 200, 403, 200]),
            ("/projects/nope", [303, 404, 404, 403, 404]),
        ] {
            for i in 0..5 {
                let cookie = (i > 0).then(|| sessions[i - 1].as_str());
                let r = get(&format!("{}{route}", s.base), None, cookie);
                assert_eq!(r.status, expected[i], "{}: page {route} as #{i}", b.name);
            }
        }
        let ola = sessions[1].as_str();
        let page = get(&format!("{}/projects/p1", s.base), None, Some(ola));
        assert!(page.body.contains("id=\"invite-v1\""), "{}", page.body);
        assert!(
            page.body
                .contains("grew up in WI, the project&#39;s state; 0 miles away"),
            "explained: {}",
            page.body
        );
        let csrf = hidden(&page.body, "csrf");

        // Invite from the page (the one CSRF rule: no token, refused).
        let refused = post_form(
            &format!("{}/projects/p1/invite", s.base),
            &[("volunteer", "v1")],
            Some(ola),
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        let invited = post_form(
            &format!("{}/projects/p1/invite", s.base),
            &[("csrf", &csrf), ("volunteer", "v1")],
            Some(ola),
        );
        assert_eq!(invited.status, 303, "{}", invited.body);
        // Through the API: once only; a volunteer lacking a required skill is refused.
        let again = post_json(
            &format!("{api}/projects/p1/invitations"),
            &organizer,
            serde_json::json!({"volunteer": "v1"}),
        );
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(json(&again)["created"], false);
        assert_eq!(json(&again)["match"]["state"], "invited");
        let lacking = post_json(
            &format!("{api}/projects/p1/invitations"),
            &organizer,
            serde_json::json!({"volunteer": "v3"}),
        );
        assert_eq!(lacking.status, 400, "{}", lacking.body);
        let unknown = post_json(
            &format!("{api}/projects/p1/invitations"),
            &organizer,
            serde_json::json!({"volunteer": "v404"}),
        );
        assert_eq!(unknown.status, 404, "{}", unknown.body);
        let early = post_json(
            &format!("{api}/projects/p1/decisions"),
            &organizer,
            serde_json::json!({"volunteer": "v1", "accept": true}),
        );
        assert_eq!(
            early.status, 400,
            "accept before the volunteer's yes: {}",
            early.body
        );
        let wei = post_json(
            &format!("{api}/projects/p1/invitations"),
            &admin,
            serde_json::json!({"volunteer": "v2"}),
        );
        assert_eq!(json(&wei)["created"], true, "{}", wei.body);

        let audit = json(&get(&format!("{api}/audit?limit=500"), Some(&admin), None));
        let actions: Vec<(String, String)> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap().to_string(),
                    e["action"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for (actor, action) in [
            ("ola", "project.candidates"),
            ("ola", "match.invite"),
            ("ada", "project.matches"),
        ] {
            let _ = get(&format!("{api}/projects/p1/matches"), Some(&admin), None);
            let audit_now = if actions.iter().any(|(a, x)| a == actor && x == action) {
                true
            } else {
                json(&get(&format!("{api}/audit?limit=500"), Some(&admin), None))
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["actor"] == actor && e["action"] == action)
            };
            assert!(audit_now, "{}: {actor} {action} audited", b.name);
        }

        let kim = post_json(
            &format!("{api}/projects/p1/invitations"),
            &organizer,
            serde_json::json!({"volunteer": "v4"}),
        );
        assert_eq!(json(&kim)["created"], true, "{}", kim.body);

        // The invitations leave through a real SMTP server, each with signed links.
        let Some(smtp) = SmtpServer::start(&b.path("maildir")) else {
            continue;
        };
        let out = send_email(&b, &smtp);
        assert!(out.contains("3 sent"), "{out}");
        let ana = mail_to(&smtp, "ana@example.org", "Data pipeline").expect("Ana's invitation");
        let matches_link = link_in(&ana, &format!("{public}/volunteer/matches?")).expect(&ana);
        let unsubscribe_link =
            link_in(&ana, &format!("{public}/volunteer/unsubscribe?")).expect(&ana);
        assert!(matches_link.contains("v=v1&t="), "{matches_link}");

        // Forged, swapped and cross-purpose links are refused.
        let sig = matches_link.split("t=").nth(1).unwrap().to_string();
        let mut forged = sig.clone();
        forged.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
        for bad in [
            format!("{public}/volunteer/matches?v=v1&t={forged}"),
            format!("{public}/volunteer/matches?v=v4&t={sig}"),
            unsubscribe_link.replace("/unsubscribe?", "/matches?"),
        ] {
            let r = get(&bad, None, None);
            assert_eq!(r.status, 404, "{}: {bad}", b.name);
        }

        // The volunteer's page and their yes.
        let mine = get(&matches_link, None, None);
        assert_eq!(mine.status, 200, "{}", mine.body);
        assert!(mine.body.contains("Data pipeline") && mine.body.contains("id=\"yes-p1\""));
        let answered = post_form(
            &format!("{public}/volunteer/matches/answer"),
            &[
                ("v", "v1"),
                ("t", &sig),
                ("project", "p1"),
                ("answer", "yes"),
            ],
            None,
        );
        assert_eq!(answered.status, 303, "{}", answered.body);
        let twice = post_form(
            &format!("{public}/volunteer/matches/answer"),
            &[
                ("v", "v1"),
                ("t", &sig),
                ("project", "p1"),
                ("answer", "no"),
            ],
            None,
        );
        assert_eq!(twice.status, 400, "a second answer: {}", twice.body);
        let forged_answer = post_form(
            &format!("{public}/volunteer/matches/answer"),
            &[
                ("v", "v2"),
                ("t", &sig),
                ("project", "p1"),
                ("answer", "yes"),
            ],
            None,
        );
        assert_eq!(forged_answer.status, 404);
        // A browser holding a staff session gets the same answer (the link is the
        // credential, not the session).
        let with_session = post_form(
            &format!("{public}/volunteer/matches/answer"),
            &[
                ("v", "v1"),
                ("t", &sig),
                ("project", "p1"),
                ("answer", "yes"),
            ],
            Some(ola),
        );
        assert_eq!(with_session.status, 400, "{}", with_session.body);

        // The campaign sees the yes and accepts; both sides see the state.
        let page = get(&format!("{}/projects/p1", s.base), None, Some(ola));
        assert!(page.body.contains("id=\"accept-v1\""), "{}", page.body);
        let accepted = post_form(
            &format!("{}/projects/p1/decide", s.base),
            &[("csrf", &csrf), ("volunteer", "v1"), ("decision", "accept")],
            Some(ola),
        );
        assert_eq!(accepted.status, 303, "{}", accepted.body);
        let m = json(&get(
            &format!("{api}/projects/p1/matches"),
            Some(&organizer),
            None,
        ));
        let v1 = m
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["volunteer"] == "v1")
            .unwrap();
        assert_eq!(v1["state"], "accepted");
        let mine = get(&matches_link, None, None);
        assert!(
            mine.body
                .contains("Accepted: the campaign will be in touch"),
            "{}",
            mine.body
        );

        // Kim is invited to a second project (queued), then unsubscribes through the
        // link of her first invitation: the link's page changes nothing until the button
        // is pressed; then the queued email is withheld and she is no candidate.
        let second = post_json(
            &format!("{api}/projects/p3/invitations"),
            &organizer,
            serde_json::json!({"volunteer": "v4"}),
        );
        assert_eq!(json(&second)["created"], true, "{}", second.body);
        let kim = mail_to(&smtp, "kim@example.org", "Data pipeline").expect("Kim's invitation");
        let kim_unsubscribe = link_in(&kim, &format!("{public}/volunteer/unsubscribe?")).unwrap();
        let page = get(&kim_unsubscribe, None, None);
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"confirm\""));
        let still = json(&get(
            &format!("{api}/projects/p3/candidates"),
            Some(&organizer),
            None,
        ));
        assert!(
            still
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["volunteer"] == "v4")
        );
        let done = post_form(
            &format!("{public}/volunteer/unsubscribe"),
            &[
                ("v", &hidden(&page.body, "v")),
                ("t", &hidden(&page.body, "t")),
            ],
            None,
        );
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("id=\"unsubscribed\""));
        let out = send_email(&b, &smtp);
        assert!(
            out.contains("0 sent") && out.contains("1 withheld"),
            "{out}"
        );
        assert_eq!(smtp.messages().len(), 3, "nothing more delivered");
        let cands = json(&get(
            &format!("{api}/projects/p3/candidates"),
            Some(&organizer),
            None,
        ));
        assert!(
            cands
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["volunteer"] != "v4"),
            "{cands}"
        );

        // Sign-up: EN and ES, its own CSRF cookie, checked fields, consent stored.
        let form = get(&format!("{}/volunteer/signup?lang=es", s.base), None, None);
        assert_eq!(form.status, 200);
        assert!(form.body.contains("<html lang=\"es\"") && form.body.contains("Inscribirme"));
        let cookie = cookie_value(&form, "vb_signup_csrf");
        let token = hidden(&form.body, "csrf");
        let fields = |email: &str| -> Vec<(String, String)> {
            [
                ("csrf", token.as_str()),
                ("lang", "es"),
                ("first_name", "Rosa"),
                ("last_name", "Díaz"),
                ("email", email),
                ("zip", "53703"),
                ("home_state", "WI"),
                ("skill.python", "3"),
                ("skill.sql", "2"),
                ("hours_per_week", "6"),
                ("remote", "yes"),
                ("consent_email", "yes"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        let send = |f: &[(String, String)], cookie: Option<&str>| {
            let pairs: Vec<(&str, &str)> =
                f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post_form(&format!("{}/volunteer/signup", s.base), &pairs, cookie)
        };
        let no_cookie = send(&fields("rosa@example.org"), None);
        assert_eq!(no_cookie.status, 403, "{}", no_cookie.body);
        let bad_email = send(&fields("rosa-at-example"), Some(&cookie));
        assert_eq!(bad_email.status, 400);
        assert!(bad_email.body.contains("id=\"error\"") && bad_email.body.contains("Díaz"));
        let mut no_consent = fields("rosa@example.org");
        no_consent.retain(|(k, _)| k != "consent_email");
        assert_eq!(send(&no_consent, Some(&cookie)).status, 400);
        let signed = send(&fields("rosa@example.org"), Some(&cookie));
        assert_eq!(signed.status, 201, "{}", signed.body);
        assert!(signed.body.contains("id=\"signed-up\""));
        let limited = send(&fields("rosa2@example.org"), Some(&cookie));
        assert_eq!(limited.status, 429, "the fifth sign-up a minute");

        let list: serde_json::Value =
            serde_json::from_str(&ok(&b, &["volunteers", "list", "--json"])).unwrap();
        let rosa = list
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["person"]["emails"][0] == "rosa@example.org")
            .expect("Rosa is stored");
        assert_eq!(rosa["person"]["source"], "signup");
        assert!(
            rosa["person"]["consent"]["wording"]
                .as_str()
                .unwrap()
                .starts_with("[es] Acepto recibir correos"),
            "{rosa}"
        );
        assert!(rosa["person"]["consent"]["given_at"].is_string());
        assert_eq!(rosa["profile"]["home_state"], "WI");
        let rosa_id = rosa["person"]["external_id"].as_str().unwrap().to_string();
        let cands = json(&get(
            &format!("{api}/projects/p1/candidates"),
            Some(&organizer),
            None,
        ));
        let rosa_rank = cands
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["volunteer"] == rosa_id.as_str())
            .expect("the new volunteer is a candidate");
        assert_eq!(
            rosa_rank, 1,
            "python 3 but no nice-to-have skill: after Ana: {cands}"
        );
        // Her welcome email carries her matches link, which shows no invitation yet.
        let out = send_email(&b, &smtp);
        assert!(out.contains("1 sent"), "{out}");
        assert_eq!(
            smtp.messages().len(),
            4,
            "the welcome only: Kim's stays withheld"
        );
        let welcome = mail_to(&smtp, "rosa@example.org", "Thank you for signing up").unwrap();
        let link = link_in(&welcome, &format!("{public}/volunteer/matches?")).unwrap();
        let page = get(&link, None, None);
        assert!(page.body.contains("id=\"no-matches\""), "{}", page.body);
        assert!(link_in(&welcome, &format!("{public}/volunteer/unsubscribe?")).is_some());
    }
}
