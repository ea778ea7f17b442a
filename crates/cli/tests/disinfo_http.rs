//! End-to-end tests of the disinformation watch over HTTP on both stores: a planted
//! election-day rumour arrives through the public tip form (Spanish, with a screenshot
//! checked by its magic bytes), a hotline `misinformation` report and an API import of a
//! generated stream (EN + ES paraphrases in chatter); it clusters together, is matched
//! to its known claim, raises exactly one alert (pushed to the live feed) while chatter
//! raises none; the response workflow, audited views, a rejected batch with its line
//! numbers, the tip form's CSRF, limits and bounds, the OpenAPI document, and a reader's
//! subscription to alert emails on the watch page (CSRF, a refused address, audited).

mod common;
use common::{add_user, json, sign_in};

use common::{Backend, Reply, http, reply};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use votebase_narrative::synth::{CLAIMS, StreamSpec, stream};

fn get(url: &str, token: &str) -> Reply {
    let mut req = http().get(url);
    if !token.is_empty() {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    reply(&mut req.call().expect("request"))
}

fn post_json(url: &str, token: &str, body: &serde_json::Value) -> Reply {
    let mut resp = http()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .expect("request");
    reply(&mut resp)
}

/// The tip form's CSRF cookie and token.
fn tip_csrf(base: &str, lang: &str) -> (String, String, String) {
    let form = get(&format!("{base}/tip?lang={lang}"), "");
    assert_eq!(form.status, 200);
    let cookie = form
        .set_cookies
        .iter()
        .find(|c| c.starts_with("vb_tip_csrf="))
        .unwrap()
        .clone();
    let at = form.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    (cookie, form.body[at..at + 64].to_string(), form.body)
}

/// Posts the tip form as a browser does (multipart).
fn post_tip(base: &str, cookie: &str, fields: &[(&str, &str)], screenshot: Option<&[u8]>) -> Reply {
    let boundary = "----votebasetestboundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    if let Some(bytes) = screenshot {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"screenshot\"; filename=\"shot.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    let mut req = http().post(&format!("{base}/tip")).header(
        "Content-Type",
        &format!("multipart/form-data; boundary={boundary}"),
    );
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    reply(&mut req.send(&body[..]).expect("request"))
}

/// A PNG's first bytes (the magic number and the start of its header).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

fn open_alerts(base: &str, token: &str) -> BufReader<std::net::TcpStream> {
    common::open_event_stream(
        base,
        "/disinfo/events",
        token,
        None,
        std::time::Duration::from_secs(60),
    )
}

/// Reads the live feed until an alert arrives; returns its JSON.
fn next_alert(stream: &mut BufReader<std::net::TcpStream>) -> serde_json::Value {
    let mut line = String::new();
    let mut is_alert = false;
    loop {
        line.clear();
        let n = stream.read_line(&mut line).expect("event stream");
        assert!(n > 0, "live feed closed before an alert arrived");
        if line.starts_with("event: alert") {
            is_alert = true;
        } else if is_alert && let Some(data) = line.strip_prefix("data: ") {
            return serde_json::from_str(data.trim()).unwrap();
        }
    }
}

#[test]
fn planted_rumour_through_tip_hotline_and_api_alerts_once() {
    for b in Backend::all("disinfo_http") {
        let coord = add_user(&b, "cora", "coordinator");
        let lawyer = add_user(&b, "lena", "lawyer");
        let organizer = add_user(&b, "olga", "organizer");
        let s = common::serve(&b);
        let api = format!("{}/api/v1", s.base);

        // The claim catalogue through the API (coordinators import; others cannot).
        let claims: Vec<serde_json::Value> = CLAIMS
            .iter()
            .map(|c| {
                serde_json::json!({"key": c.key, "verdict": c.verdict, "claim_en": c.claim_en,
                    "claim_es": c.claim_es, "counter_en": c.counter_en, "counter_es": c.counter_es,
                    "source": c.source})
            })
            .collect();
        let body = serde_json::Value::Array(claims);
        let r = post_json(&format!("{api}/disinfo/claims"), &lawyer, &body);
        assert_eq!(r.status, 403, "{}", r.body);
        let r = post_json(&format!("{api}/disinfo/claims"), &coord, &body);
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(json(&r)["created"], 5);
        let r = post_json(&format!("{api}/disinfo/claims"), &coord, &body);
        assert_eq!(
            (json(&r)["created"].clone(), json(&r)["known"].clone()),
            (0.into(), 5.into())
        );

        // The public tip form, in Spanish, with a screenshot.
        let (cookie, csrf, page) = tip_csrf(&s.base, "es");
        assert!(page.contains("Reporte información electoral"), "{page}");
        let tip_text = "Me dijeron que las casillas se cambiaron a una nueva ubicación hoy";
        let r = post_tip(
            &s.base,
            &cookie,
            &[
                ("csrf", &csrf),
                ("lang", "es"),
                ("text", tip_text),
                ("link", "https://example.org/p/1"),
            ],
            Some(PNG),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(r.body.contains("Recibimos su reporte"), "{}", r.body);
        // Without the form's token: refused; a screenshot that is not an image: refused,
        // the text kept in the form.
        let r = post_tip(&s.base, "", &[("csrf", &csrf), ("text", "x")], None);
        assert_eq!(r.status, 403, "{}", r.body);
        let (cookie2, csrf2, _) = tip_csrf(&s.base, "en");
        let r = post_tip(
            &s.base,
            &cookie2,
            &[("csrf", &csrf2), ("text", "the polls moved")],
            Some(b"<script>alert(1)</script>"),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            r.body.contains("not a PNG, JPEG, GIF or WebP"),
            "{}",
            r.body
        );
        assert!(r.body.contains("the polls moved"), "{}", r.body);
        let r = post_tip(&s.base, &cookie2, &[("csrf", &csrf2), ("text", " ")], None);
        assert_eq!(r.status, 400, "{}", r.body);
        let big = "x".repeat(2_001);
        let r = post_tip(&s.base, &cookie2, &[("csrf", &csrf2), ("text", &big)], None);
        assert_eq!(r.status, 400, "{}", r.body);

        // A hotline report of the rumour: it joins the watch when it is taken.
        let r = post_json(
            &format!("{api}/incidents"),
            &coord,
            &serde_json::json!({"category": "misinformation", "county": "WAKE",
                "description": "caller says the polling place has moved to a new location today"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let incident = json(&r)["incident"]["id"].as_i64().unwrap();

        // The live feed, open before the import.
        let mut feed = open_alerts(&s.base, &lawyer);

        // The monitored stream through the API.
        let mut labels: HashMap<String, Option<&'static str>> = HashMap::new();
        let posts: Vec<serde_json::Value> = stream(&StreamSpec::election_day(1, 1_500))
            .into_iter()
            .map(|p| {
                labels.insert(p.id.clone(), p.label);
                serde_json::json!({"id": p.id, "text": p.text, "url": p.url, "platform": p.platform,
                    "author": p.author, "posted_at": p.posted_at.to_rfc3339()})
            })
            .collect();
        let body = serde_json::Value::Array(posts.clone());
        assert_eq!(
            post_json(&format!("{api}/disinfo/items"), &lawyer, &body).status,
            403
        );
        let r = post_json(&format!("{api}/disinfo/items"), &coord, &body);
        assert_eq!(r.status, 201, "{}", r.body);
        let out = json(&r);
        assert_eq!(out["stored"]["created"], labels.len(), "{out}");
        assert_eq!(out["alerts"].as_array().unwrap().len(), 1, "{out}");
        let planted = out["alerts"][0]["narrative_id"].as_i64().unwrap();

        // The alert reached the live feed.
        let pushed = next_alert(&mut feed);
        assert_eq!(pushed["narrative_id"], planted, "{pushed}");
        drop(feed);

        // The planted narrative: the tip, the hotline report and the EN + ES posts.
        let r = get(&format!("{api}/disinfo/narratives/{planted}"), &coord);
        assert_eq!(r.status, 200, "{}", r.body);
        let d = json(&r);
        assert_eq!(d["claim"]["key"], "polls-moved", "{}", d["claim"]);
        let items = d["items"].as_array().unwrap();
        let tip = items
            .iter()
            .find(|i| i["source"] == "tip")
            .expect("the tip");
        assert_eq!(tip["has_screenshot"], true);
        assert_eq!(tip["lang"], "es");
        let hot = items
            .iter()
            .find(|i| i["source"] == "hotline")
            .expect("the hotline report");
        assert_eq!(hot["incident_id"], incident);
        assert!(
            hot["text"]
                .as_str()
                .unwrap()
                .contains("polling place has moved")
        );
        let planted_posts = items
            .iter()
            .filter(|i| {
                labels
                    .get(i["source_id"].as_str().unwrap())
                    .copied()
                    .flatten()
                    == Some("polls-moved")
            })
            .count();
        assert!(planted_posts >= 30, "{planted_posts}");
        // Generated chatter shares words with the rumour ("polling place", "today"): a
        // few chatter posts may join, far fewer than the rumour's own.
        let chatter: Vec<&str> = items
            .iter()
            .filter(|i| labels.get(i["source_id"].as_str().unwrap()) == Some(&None))
            .map(|i| i["text"].as_str().unwrap())
            .collect();
        assert!(
            chatter.len() * 5 <= planted_posts,
            "{planted_posts} planted, chatter: {chatter:?}"
        );
        assert!(items.iter().any(|i| i["lang"] == "en"));
        assert_eq!(d["alerts"].as_array().unwrap().len(), 1);
        // The peak hour is the spike's (at least the rule's floor of 10).
        let peak = d["peak_per_hour"].as_i64().unwrap();
        assert!(
            peak >= 10 && peak >= d["alerts"][0]["count"].as_i64().unwrap(),
            "{peak}"
        );
        // Lawyers see only their counties' incidents: the hotline text is withheld.
        let as_lawyer = json(&get(
            &format!("{api}/disinfo/narratives/{planted}"),
            &lawyer,
        ));
        let hot = as_lawyer["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["source"] == "hotline")
            .unwrap()
            .clone();
        assert_eq!(hot["text"], "");
        assert!(
            !as_lawyer["narrative"]["label"]
                .as_str()
                .unwrap()
                .contains("caller says"),
            "{}",
            as_lawyer["narrative"]
        );

        // One alert in all: chatter raised none. A second import changes nothing.
        let alerts = json(&get(&format!("{api}/disinfo/alerts"), &lawyer));
        assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
        let r = post_json(&format!("{api}/disinfo/items"), &coord, &body);
        assert_eq!(json(&r)["stored"]["created"], 0);
        assert_eq!(json(&r)["alerts"].as_array().unwrap().len(), 0);

        // The list: the planted narrative first (most items), with its claim key.
        let list = json(&get(&format!("{api}/disinfo/narratives?limit=5"), &lawyer));
        assert_eq!(list[0]["narrative"]["id"], planted, "{list}");
        assert_eq!(list[0]["claim_key"], "polls-moved");
        assert_eq!(
            get(&format!("{api}/disinfo/narratives?status=bogus"), &lawyer).status,
            400
        );
        assert_eq!(
            get(&format!("{api}/disinfo/narratives"), &organizer).status,
            403
        );

        // A bad batch is refused whole, naming the post.
        let bad = serde_json::json!([
            {"id": "n1", "text": "polls moved", "url": "", "platform": "x", "author": "a", "posted_at": "2026-11-03T10:00:00Z"},
            {"id": "n2", "text": "vote by text", "url": "", "platform": "x", "author": "a", "posted_at": "yesterday"}
        ]);
        let r = post_json(&format!("{api}/disinfo/items"), &coord, &bad);
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(
            r.body.contains("line 2") && r.body.contains("RFC 3339"),
            "{}",
            r.body
        );

        // The workflow: triage, assign (someone else: managers only), respond, close.
        let act = |token: &str, action: serde_json::Value| {
            post_json(
                &format!("{api}/disinfo/narratives/{planted}/actions"),
                token,
                &action,
            )
        };
        let r = act(
            &lawyer,
            serde_json::json!({"action": "respond", "kind": "counter_message"}),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(
            act(&lawyer, serde_json::json!({"action": "triage"})).status,
            200
        );
        assert_eq!(
            act(
                &lawyer,
                serde_json::json!({"action": "assign", "to": "cora"})
            )
            .status,
            403
        );
        assert_eq!(
            act(&organizer, serde_json::json!({"action": "triage"})).status,
            403
        );
        let r = act(
            &coord,
            serde_json::json!({"action": "assign", "to": "lena"}),
        );
        assert_eq!(json(&r)["assigned_to"], "lena", "{}", r.body);
        let r = act(
            &lawyer,
            serde_json::json!({"action": "respond", "kind": "counter_message", "detail": "posted on X"}),
        );
        assert_eq!(json(&r)["status"], "responding", "{}", r.body);
        let r = act(
            &lawyer,
            serde_json::json!({"action": "close", "note": "done"}),
        );
        assert_eq!(json(&r)["status"], "closed", "{}", r.body);
        let d = json(&get(&format!("{api}/disinfo/narratives/{planted}"), &coord));
        let kinds: Vec<&str> = d["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "created",
                "alert",
                "triaged",
                "assigned",
                "counter_message",
                "closed"
            ],
            "{kinds:?}"
        );

        // The pages and the screenshot (served as checked, nosniff, audited).
        let page = get(&format!("{}/disinfo?status=closed", s.base), &coord);
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(&format!("id=\"narrative-{planted}\"")),
            "{}",
            page.body
        );
        assert!(page.body.contains("<polyline"), "{}", page.body);
        assert!(page.body.contains("polls-moved"));
        let page = get(&format!("{}/disinfo/narratives/{planted}", s.base), &coord);
        assert!(
            page.body.contains("Las casillas no se movieron"),
            "{}",
            page.body
        );
        let tip_id = tip["id"].as_i64().unwrap();
        let mut resp = http()
            .get(&format!("{}/disinfo/items/{tip_id}/screenshot", s.base))
            .header("Authorization", &format!("Bearer {coord}"))
            .call()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.headers()["content-type"], "image/png");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert_eq!(resp.body_mut().read_to_vec().unwrap(), PNG);

        let admin = add_user(&b, "ada", "admin");
        let audit = get(&format!("{api}/audit?limit=500"), &admin).body;
        for action in [
            "disinfo.narrative.read",
            "disinfo.narrative.list",
            "disinfo.screenshot.read",
            "disinfo.alerts.watch",
            "disinfo.items.import",
        ] {
            assert!(audit.contains(action), "{action} not audited: {audit}");
        }

        // OpenAPI.
        let doc: serde_json::Value =
            serde_json::from_str(&get(&format!("{api}/openapi.json"), "").body).unwrap();
        for path in [
            "/api/v1/disinfo/narratives",
            "/api/v1/disinfo/narratives/{id}",
            "/api/v1/disinfo/narratives/{id}/actions",
            "/api/v1/disinfo/claims",
            "/api/v1/disinfo/alerts",
            "/api/v1/disinfo/items",
        ] {
            assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
        }
        assert!(doc["components"]["schemas"].get("DisinfoItem").is_some());
    }
}

#[test]
fn tip_form_is_rate_limited_and_bounded() {
    let b = Backend::sqlite();
    let s = common::serve_with(&b, &[("VOTEBASE_TIP_PER_MINUTE", "2")]);
    let (cookie, csrf, _) = tip_csrf(&s.base, "en");
    let fields = [
        ("csrf", csrf.as_str()),
        ("text", "they say you can vote by text"),
    ];
    assert_eq!(post_tip(&s.base, &cookie, &fields, None).status, 201);
    assert_eq!(post_tip(&s.base, &cookie, &fields, None).status, 201);
    let r = post_tip(&s.base, &cookie, &fields, None);
    assert_eq!(r.status, 429, "{}", r.body);
    // A request over the bound is refused from its Content-Length, before it is read.
    let s = common::serve(&b);
    let (cookie, _, _) = tip_csrf(&s.base, "en");
    let addr = s.base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "POST /tip HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n",
        3 * 1024 * 1024
    )
    .unwrap();
    let mut status = String::new();
    BufReader::new(conn).read_line(&mut status).unwrap();
    assert!(status.contains(" 413 "), "{status}");
}

/// The watch page as a signed-in browser sees it: (status, body, its CSRF token).
fn watch_page(base: &str, session: &str) -> (u16, String, String) {
    let r = reply(
        &mut http()
            .get(&format!("{base}/disinfo"))
            .header("Cookie", session)
            .call()
            .unwrap(),
    );
    let at = r.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = r.body[at..at + r.body[at..].find('"').unwrap()].to_string();
    (r.status, r.body, csrf)
}

fn post_subscription(base: &str, session: &str, fields: &[(&str, &str)]) -> Reply {
    reply(
        &mut http()
            .post(&format!("{base}/disinfo/subscription"))
            .header("Cookie", session)
            .send_form(fields.iter().copied())
            .unwrap(),
    )
}

#[test]
fn readers_subscribe_to_alert_emails_on_the_watch_page() {
    for b in Backend::all("disinfo_sub") {
        let admin = add_user(&b, "root", "admin");
        add_user(&b, "lena", "lawyer");
        let s = common::serve(&b);
        let session = sign_in(&s.base, "lena");
        let (status, page, csrf) = watch_page(&s.base, &session);
        assert_eq!(status, 200);
        assert!(page.contains("id=\"subscribe\""), "{page}");

        // The one CSRF rule: a cookie post without the token (or same origin) is refused.
        let refused = post_subscription(
            &s.base,
            &session,
            &[("action", "subscribe"), ("email", "lena@example.org")],
        );
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            common::ok(&b, &["disinfo", "subscriptions"]).ends_with("subscriptions: 0\n"),
            "nothing subscribed"
        );
        let bad = post_subscription(
            &s.base,
            &session,
            &[
                ("csrf", &csrf),
                ("action", "subscribe"),
                ("email", "not an address"),
            ],
        );
        assert_eq!(bad.status, 400);
        assert!(bad.body.contains("is not an email address"), "{}", bad.body);
        let done = post_subscription(
            &s.base,
            &session,
            &[
                ("csrf", &csrf),
                ("action", "subscribe"),
                ("email", "lena@example.org"),
            ],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        let (_, page, csrf) = watch_page(&s.base, &session);
        assert!(
            page.contains("<strong id=\"subscribed-email\">lena@example.org</strong>"),
            "{page}"
        );
        let subs = common::ok(&b, &["disinfo", "subscriptions"]);
        assert!(subs.contains("lena lena@example.org"), "{subs}");

        let done = post_subscription(
            &s.base,
            &session,
            &[("csrf", &csrf), ("action", "unsubscribe")],
        );
        assert_eq!(done.status, 303, "{}", done.body);
        assert!(common::ok(&b, &["disinfo", "subscriptions"]).ends_with("subscriptions: 0\n"));

        let log = json(&get(&format!("{}/api/v1/audit?limit=500", s.base), &admin));
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == "lena")
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert!(
            actions.contains(&"disinfo.subscribe") && actions.contains(&"disinfo.unsubscribe"),
            "{actions:?}"
        );
    }
}
