//! End-to-end tests of voter protection on both stores: `votebase incidents import`
//! (clusters, rejects with line numbers, all-or-nothing, idempotent), `list` and `cover`;
//! the HTTP intake, workflow, county scope, contact redaction, public report form (CSRF,
//! rate limit), live queue events and audited exports; and a route × role test that
//! checks every incident route (and the foundation's routes) for every role.

mod common;
use common::{add_user, json, sign_in};

use common::{Backend, Reply, http, reply, shared};
use std::io::{BufRead, BufReader};

fn get(url: &str, token: &str) -> Reply {
    let mut req = http().get(url);
    if !token.is_empty() {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    reply(&mut req.call().expect("request"))
}

/// Status only (does not read the body: the live queue never ends).
fn status_of(method: &str, url: &str, token: &str, body: &str) -> u16 {
    let agent = http();
    let resp = match method {
        "GET" => {
            let mut req = agent.get(url);
            if !token.is_empty() {
                req = req.header("Authorization", &format!("Bearer {token}"));
            }
            req.call()
        }
        _ => {
            let mut req = agent.post(url);
            if !token.is_empty() {
                req = req.header("Authorization", &format!("Bearer {token}"));
            }
            if body.starts_with('{') || body.starts_with('[') {
                req.header("Content-Type", "application/json")
                    .send(body.as_bytes())
            } else {
                req.header("Content-Type", "application/x-www-form-urlencoded")
                    .send(body.as_bytes())
            }
        }
    };
    resp.expect("request").status().as_u16()
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

fn post_form(url: &str, form: &[(&str, &str)], cookie: &str) -> Reply {
    let mut req = http().post(url);
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    reply(&mut req.send_form(form.iter().copied()).expect("request"))
}

fn stdout(b: &Backend, args: &[&str]) -> String {
    String::from_utf8(b.cmd(args).assert().success().get_output().stdout.clone()).unwrap()
}

const CSV_HEADER: &str =
    "reported_at,category,county,polling_place,description,reporter_name,reporter_phone\n";

#[test]
fn cli_import_list_and_cover() {
    for b in Backend::all("inc_cli") {
        let file = b.path("hotline.csv");
        std::fs::write(
            &file,
            format!(
                "{CSV_HEADER}\
                 2026-11-03 07:05,long_lines,Wake,Oak Grove School,Line around the block,Ana Diaz,(919) 555-2101\n\
                 2026-11-03 07:15,Long Lines,WAKE,OAK GROVE SCHOOL,Two hour wait,,\n\
                 2026-11-03 07:25,equipment_failure,wake,oak grove school,Scanner jammed,Bo Lee,919-555-0102\n\
                 2026-11-03T09:00:00-05:00,intimidation,DURHAM,Hope Church,Men filming voters,,\n"
            ),
        )
        .unwrap();
        let out = stdout(
            &b,
            &[
                "incidents",
                "import",
                file.to_str().unwrap(),
                "--utc-offset",
                "-05:00",
                "--json",
            ],
        );
        let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(summary["created"], 4, "{}: {out}", b.name);
        assert_eq!(summary["known"], 0);
        // The same file again changes nothing.
        let again = stdout(
            &b,
            &["incidents", "import", file.to_str().unwrap(), "--json"],
        );
        let again: serde_json::Value = serde_json::from_str(&again).unwrap();
        assert_eq!(
            (again["created"].as_i64(), again["known"].as_i64()),
            (Some(0), Some(4))
        );

        let listed = stdout(&b, &["incidents", "list", "--format", "json"]);
        let rows: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
        assert_eq!(rows.len(), 4, "{listed}");
        // Severity first: critical reports lead.
        assert_eq!(rows[0]["severity"], "critical");
        let threat = rows
            .iter()
            .find(|r| r["category"] == "intimidation")
            .unwrap();
        assert_eq!(
            threat["status"], "escalated",
            "no lead lawyer for DURHAM yet"
        );
        assert_eq!(threat["observed_at"], "2026-11-03T14:00:00Z");
        let wake: Vec<&serde_json::Value> = rows
            .iter()
            .filter(|r| r["location"]["county"] == "WAKE")
            .collect();
        assert_eq!(wake.len(), 3);
        assert!(
            wake.iter().all(|r| !r["cluster_id"].is_null()),
            "three reports in 20 minutes from one place form a cluster: {listed}"
        );
        assert!(
            wake.iter()
                .all(|r| r["severity"] == "high" || r["severity"] == "critical")
        );
        let dup = wake
            .iter()
            .find(|r| r["description"] == "Two hour wait")
            .unwrap();
        assert!(
            !dup["duplicate_of"].is_null(),
            "same place and category: linked"
        );
        assert_eq!(
            wake.iter()
                .find(|r| r["reporter"]["name"] == "Ana Diaz")
                .unwrap()["reporter"]["phone"],
            "+19195552101"
        );
        assert_eq!(wake[0]["observed_at"].as_str().unwrap().len(), 20);

        let csv = stdout(
            &b,
            &["incidents", "list", "--county", "durham", "--format", "csv"],
        );
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("id,created_at,observed_at,category")
        );
        assert_eq!(lines.count(), 1, "{csv}");
        let escalated = stdout(&b, &["incidents", "list", "--status", "escalated"]);
        assert!(escalated.contains("1 incidents"), "{escalated}");
        b.cmd(&["incidents", "list", "--status", "pending"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("unknown status"));

        // An unknown category: rejected with its line number, nothing imported.
        let bad = b.path("bad.csv");
        std::fs::write(
            &bad,
            format!(
                "{CSV_HEADER}\
                 2026-11-03 10:00,long_lines,WAKE,Elm School,ok row,,\n\
                 2026-11-03 10:05,alien_abduction,WAKE,Elm School,bad row,,\n\
                 yesterday,other,WAKE,Elm School,bad time,,\n"
            ),
        )
        .unwrap();
        b.cmd(&["incidents", "import", bad.to_str().unwrap()])
            .assert()
            .failure()
            .stderr(predicates::str::contains("2 row(s) rejected"))
            .stderr(predicates::str::contains("nothing was imported"));
        let rejects = std::fs::read_to_string(b.path("bad.csv.rejects.csv")).unwrap();
        assert!(rejects.contains("3,category,"), "{rejects}");
        assert!(rejects.contains("alien_abduction"), "{rejects}");
        assert!(rejects.contains("4,reported_at,"), "{rejects}");
        let count: Vec<serde_json::Value> =
            serde_json::from_str(&stdout(&b, &["incidents", "list", "--format", "json"])).unwrap();
        assert_eq!(count.len(), 4, "all or nothing");
        // A header without the required columns stops before anything is read.
        let headless = b.path("headless.csv");
        std::fs::write(&headless, "when,what\n2026-11-03,x\n").unwrap();
        b.cmd(&["incidents", "import", headless.to_str().unwrap()])
            .assert()
            .failure()
            .stderr(predicates::str::contains("missing column(s) reported_at"));

        // Coverage: lawyers and observers only; a lead lawyer gets the routed categories.
        add_user(&b, "lena", "lawyer");
        add_user(&b, "ola", "organizer");
        let covered = stdout(
            &b,
            &["incidents", "cover", "lena", "durham", "wake", "--lead"],
        );
        assert!(covered.contains("DURHAM (lead)"), "{covered}");
        b.cmd(&["incidents", "cover", "ola", "WAKE"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("only lawyers and observers"));
        b.cmd(&["incidents", "cover", "nobody", "WAKE"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("no user"));
        let routed = b.path("routed.csv");
        std::fs::write(
            &routed,
            format!(
                "{CSV_HEADER}2026-11-03 12:00,polling_place_closed,Durham,Ash School,Locked,,\n"
            ),
        )
        .unwrap();
        stdout(&b, &["incidents", "import", routed.to_str().unwrap()]);
        let assigned: Vec<serde_json::Value> = serde_json::from_str(&stdout(
            &b,
            &[
                "incidents",
                "list",
                "--status",
                "assigned",
                "--format",
                "json",
            ],
        ))
        .unwrap();
        assert_eq!(assigned.len(), 1);
        assert_eq!(assigned[0]["assigned_to"], "lena");
        let coverage = stdout(&b, &["incidents", "coverage", "--json"]);
        assert!(coverage.contains("\"lead\": true"), "{coverage}");
        let rules = stdout(&b, &["incidents", "rules"]);
        assert!(rules.contains("\"cluster_size\": 3"), "{rules}");
    }
}

/// Reads the live queue over a raw connection until an event for `id` arrives.
fn wait_for_event(stream: &mut BufReader<std::net::TcpStream>, id: i64, with: &str) -> String {
    let needle = format!("{{\"id\":{id},");
    let mut line = String::new();
    loop {
        line.clear();
        let n = stream.read_line(&mut line).expect("event stream");
        assert!(n > 0, "live queue closed before #{id} arrived");
        if line.starts_with("data: [")
            && let Some(at) = line.find(&needle)
            && line[at..]
                .split("},{")
                .next()
                .is_some_and(|row| row.contains(with))
        {
            return line;
        }
    }
}

fn open_queue(base: &str, token: &str) -> BufReader<std::net::TcpStream> {
    common::open_event_stream(
        base,
        "/incidents/events",
        token,
        None,
        std::time::Duration::from_secs(30),
    )
}

#[test]
fn http_intake_workflow_scope_and_audit() {
    for b in Backend::all("inc_http") {
        let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
        b.cmd(&[
            "import",
            "voters",
            nc.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();
        let admin = add_user(&b, "ada", "admin");
        let hotline = add_user(&b, "hank", "hotline_operator");
        let coord = add_user(&b, "cora", "coordinator");
        let lawyer = add_user(&b, "lena", "lawyer");
        let observer = add_user(&b, "oscar", "observer");
        b.cmd(&["incidents", "cover", "lena", "JONESPORT"])
            .assert()
            .success();
        b.cmd(&["incidents", "cover", "oscar", "LEEBURY"])
            .assert()
            .success();
        let feed = shared("vip/csv-3.0-nc-alamance");
        b.cmd(&["import", "vip", feed.to_str().unwrap(), "--force"])
            .assert()
            .success();
        let s = common::serve_with(&b, &[("VOTEBASE_REPORT_PER_MINUTE", "2")]);
        let api = format!("{}/api/v1", s.base);

        // Polling places come from the loaded VIP feed: the intake form lists them, and a
        // report naming one by id gets its name and county.
        let form = get(&format!("{}/incidents/new", s.base), &hotline);
        assert_eq!(form.status, 200, "{}", b.name);
        let list = &form.body[form.body.find("<datalist id=\"place-list\">").unwrap()..];
        let at = list.find("<option value=\"").expect("a feed place") + 15;
        let option = &list[at..at + list[at..].find('"').unwrap()];
        let (place_name, place_id) = option.trim_end_matches(']').rsplit_once(" [").unwrap();
        let at_place = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({"category": "long_lines", "polling_place_id": place_id,
                "description": "Line to the parking lot"}),
        );
        assert_eq!(at_place.status, 201, "{}", at_place.body);
        let placed = json(&at_place)["incident"]["location"].clone();
        assert_eq!(
            placed["polling_place"].as_str().unwrap(),
            place_name.replace("&amp;", "&").replace("&#x27;", "'")
        );
        assert_eq!(placed["county"], "ALAMANCE", "{placed}");
        let unknown = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({"category": "other", "polling_place_id": "no-such-place",
                "description": "x"}),
        );
        assert_eq!(unknown.status, 400);
        assert!(unknown.body.contains("VIP feed"), "{}", unknown.body);

        let doc = get(&format!("{api}/openapi.json"), "").body;
        for path in [
            "/api/v1/incidents",
            "/api/v1/incidents/{id}/actions",
            "/api/v1/incidents/export",
            "/api/v1/incidents/{id}/attachments",
            "/api/v1/incidents/{id}/attachments/{n}",
        ] {
            assert!(
                doc.contains(&format!("\"{path}\"")),
                "{path} in the OpenAPI document"
            );
        }

        // Caller lookup by name and ZIP.
        let found = json(&get(&format!("{api}/voters?q=Landry,%20Mason"), &admin));
        let address = found[0]["address"].as_str().unwrap().to_string();
        let zip = &address[address.len() - 5..];
        let lookup = get(
            &format!("{api}/incidents/caller-lookup?name=Landry,%20Mason&zip={zip}"),
            &hotline,
        );
        assert_eq!(lookup.status, 200, "{}: {}", b.name, lookup.body);
        assert_eq!(json(&lookup)[0]["state_voter_id"], "DU994065");
        let wrong_zip = json(&get(
            &format!("{api}/incidents/caller-lookup?name=Landry,%20Mason&zip=00000"),
            &hotline,
        ));
        assert_eq!(wrong_zip.as_array().unwrap().len(), 0);

        // The live queue of the coordinator is connected before the call comes in.
        let mut queue = open_queue(&s.base, &coord);
        let mut durham_queue = open_queue(&s.base, &observer);

        let created = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({
                "category": "id_demanded", "county": "jonesport", "polling_place": "Oak Grove School",
                "description": "Poll worker asking everyone for a license",
                "reporter_name": "Mason Landry", "reporter_phone": "919 555 2142",
                "reporter_relationship": "voter", "reporter_voter_id": "DU994065"
            }),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let incident = json(&created)["incident"].clone();
        let id = incident["id"].as_i64().unwrap();
        assert_eq!(incident["reporter"]["phone"], "+19195552142");
        assert_eq!(incident["status"], "new");
        let event = wait_for_event(&mut queue, id, "");
        assert!(event.contains("\"county\":\"JONESPORT\""), "{event}");
        assert!(
            !event.contains("555"),
            "no contact details on the queue: {event}"
        );

        let bad = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({"category": "aliens", "county": "JONESPORT", "description": "x"}),
        );
        assert_eq!(bad.status, 400);
        assert!(
            bad.body.contains("unknown incident category"),
            "{}",
            bad.body
        );
        let no_county = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({"category": "other", "description": "x"}),
        );
        assert_eq!(no_county.status, 400);
        assert!(no_county.body.contains("county"));

        // Scope: the LEEBURY observer does not see the JONESPORT incident; the JONESPORT lawyer does,
        // with contact details; a LEEBURY report reaches the observer without them.
        assert_eq!(get(&format!("{api}/incidents/{id}"), &observer).status, 404);
        let seen = json(&get(&format!("{api}/incidents/{id}"), &lawyer));
        assert_eq!(seen["incident"]["reporter"]["name"], "Mason Landry");
        assert_eq!(seen["timeline"][0]["kind"], "created");
        assert_eq!(seen["timeline"][0]["actor"], "hank");
        let durham = json(&post_json(
            &format!("{api}/incidents"),
            &observer,
            &serde_json::json!({"category": "electioneering", "county": "LEEBURY",
                "description": "Flyers inside the buffer zone", "reporter_name": "Ida Poe",
                "reporter_phone": "9195550199"}),
        ));
        let durham_id = durham["incident"]["id"].as_i64().unwrap();
        assert_eq!(
            durham["incident"]["reporter"]["name"], "",
            "observers see no contact"
        );
        let durham_event = wait_for_event(&mut durham_queue, durham_id, "");
        assert!(durham_event.contains("LEEBURY"));
        let visible = json(&get(&format!("{api}/incidents"), &observer));
        let ids: Vec<i64> = visible
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![durham_id], "only their county");

        // The workflow over the API: the coordinator triages and assigns, the lawyer
        // resolves; a refused transition says why.
        let act = |token: &str, body: serde_json::Value| {
            post_json(&format!("{api}/incidents/{id}/actions"), token, &body)
        };
        let r = act(
            &coord,
            serde_json::json!({"action": "triage", "severity": "critical"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(json(&r)["severity"], "critical");
        let r = act(
            &coord,
            serde_json::json!({"action": "assign", "to": "oscar"}),
        );
        assert_eq!(r.status, 400, "oscar does not cover JONESPORT: {}", r.body);
        assert!(r.body.contains("does not cover JONESPORT"));
        let r = act(
            &lawyer,
            serde_json::json!({"action": "assign", "to": "cora"}),
        );
        assert_eq!(r.status, 403, "a lawyer may only take it herself");
        let r = act(
            &coord,
            serde_json::json!({"action": "assign", "to": "lena"}),
        );
        assert_eq!(json(&r)["status"], "assigned");
        let r = act(
            &lawyer,
            serde_json::json!({"action": "resolve", "resolution": "referred_to_officials", "note": "called the county board"}),
        );
        assert_eq!(json(&r)["status"], "resolved");
        let queued = wait_for_event(&mut queue, id, "\"open\":false");
        assert!(queued.contains("\"open\":false"), "{queued}");
        let r = act(
            &lawyer,
            serde_json::json!({"action": "resolve", "resolution": "litigation"}),
        );
        assert_eq!(r.status, 400);
        assert!(r.body.contains("cannot resolve"), "{}", r.body);
        let r = act(
            &observer,
            serde_json::json!({"action": "note", "text": "x"}),
        );
        assert_eq!(r.status, 404, "not the observer's county");
        let timeline = json(&get(&format!("{api}/incidents/{id}"), &coord))["timeline"].clone();
        let kinds: Vec<&str> = timeline
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["created", "triaged", "assigned", "resolved"]);
        assert_eq!(timeline[3]["actor"], "lena");

        // Dashboard and audited exports.
        let d = json(&get(&format!("{api}/incidents/dashboard"), &coord));
        assert_eq!(d["total"], 3);
        assert_eq!(d["open"], 2);
        assert_eq!(d["time_to_resolution"]["count"], 1);
        let csv = get(&format!("{api}/incidents/export?format=csv"), &lawyer);
        assert_eq!(csv.status, 200);
        assert_eq!(
            csv.body.lines().count(),
            2,
            "the lawyer's county only: {}",
            csv.body
        );
        assert!(csv.body.contains("Mason Landry"));
        let exported = json(&get(
            &format!("{api}/incidents/export?format=json&county=LEEBURY"),
            &coord,
        ));
        assert_eq!(exported.as_array().unwrap().len(), 1);
        assert_eq!(
            get(&format!("{api}/incidents/export?format=xml"), &coord).status,
            400
        );
        let audit = get(&format!("{api}/audit?limit=200"), &admin).body;
        for action in [
            "incident.read",
            "incident.export",
            "incident.list",
            "incident.queue.watch",
        ] {
            assert!(audit.contains(action), "{action} audited");
        }
        assert!(audit.contains("incident caller lookup"));

        // Pages: queue, intake and incident page render for the right roles.
        let page = get(&format!("{}/incidents", s.base), &coord);
        assert_eq!(page.status, 200);
        assert!(page.body.contains(&format!("incident-{durham_id}")));
        assert!(
            !page.body.contains(&format!("incident-{id}\"")),
            "resolved: off the queue"
        );
        let page = get(&format!("{}/incidents/{id}", s.base), &coord);
        assert!(
            page.body.contains("called the county board"),
            "timeline shown"
        );
        let page = get(&format!("{}/incidents/dashboard", s.base), &coord);
        assert!(page.body.contains("referred_to_officials") || page.body.contains("resolved"));

        // The public report form: no account, CSRF, rate-limited.
        let form = get(&format!("{}/report", s.base), "");
        assert_eq!(form.status, 200);
        let cookie = form
            .set_cookies
            .iter()
            .find(|c| c.starts_with("vb_report_csrf="))
            .unwrap()
            .clone();
        let at = form.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = form.body[at..at + 64].to_string();
        let fields = |csrf: &str| {
            vec![
                ("csrf", csrf.to_string()),
                ("category", "long_lines".into()),
                ("county", "Jonesport".into()),
                ("polling_place", "Elm School".into()),
                ("description", "Three hour line".into()),
                ("minutes_ago", "5".into()),
            ]
        };
        let send = |f: Vec<(&str, String)>, cookie: &str| {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&format!("{}/report", s.base), &pairs, cookie)
        };
        let forged = send(fields("0".repeat(64).as_str()), &cookie);
        assert_eq!(forged.status, 403);
        let sent = send(fields(&csrf), &cookie);
        assert_eq!(sent.status, 201, "{}", sent.body);
        assert!(sent.body.contains("reference"), "{}", sent.body);
        let limited = send(fields(&csrf), &cookie);
        assert_eq!(limited.status, 429, "two a minute in this test");
        let public = json(&get(&format!("{api}/incidents?county=JONESPORT"), &coord));
        assert!(
            public
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["channel"] == "public" && i["created_by"] == "public")
        );

        // A retry with the same Idempotency-Key stores nothing new and answers 200 with the
        // first report; another key (or another user's same key) is another report.
        let keyed = |token: &str, key: &str, description: &str| {
            let mut resp = http()
                .post(&format!("{api}/incidents"))
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .send(
                    serde_json::json!({"category": "long_lines", "county": "Jonesport",
                        "polling_place": "Retry School", "description": description})
                    .to_string()
                    .as_bytes(),
                )
                .expect("request");
            reply(&mut resp)
        };
        let first = keyed(&hotline, "call-77", "Line out the door");
        assert_eq!(first.status, 201, "{}", first.body);
        let retried = keyed(&hotline, "call-77", "Line out the door");
        assert_eq!(retried.status, 200, "{}", retried.body);
        let first_id = json(&first)["incident"]["id"].as_i64().unwrap();
        assert_eq!(json(&retried)["incident"]["id"].as_i64(), Some(first_id));
        let other_user = keyed(&coord, "call-77", "Line out the door");
        assert_eq!(other_user.status, 201, "{}", other_user.body);
        assert_ne!(json(&other_user)["incident"]["id"].as_i64(), Some(first_id));
        let too_long = keyed(&hotline, &"k".repeat(201), "x");
        assert_eq!(too_long.status, 400, "{}", too_long.body);
        let stored = json(&get(&format!("{api}/incidents?county=JONESPORT"), &coord));
        let at_retry_school = stored
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["location"]["polling_place"] == "Retry School")
            .count();
        assert_eq!(at_retry_school, 2, "{stored}");
        drop(queue);
        drop(durham_queue);
    }
}

/// A purge flag id of a date with no snapshot (purge routes in the role matrix).
const PURGE_FLAG: &str = "2020-01-01:JONESPORT:inactivated";

/// A route under test: method, path, body, roles allowed, status when allowed, status
/// signed out.
type Route<'a> = (&'a str, String, &'a str, &'a [&'a str], u16, u16);

/// Every incident route (and the foundation's routes) for every role.
#[test]
fn route_by_role() {
    const ROLES: [&str; 8] = [
        "admin",
        "data_manager",
        "organizer",
        "volunteer",
        "coordinator",
        "lawyer",
        "observer",
        "hotline_operator",
    ];
    for b in Backend::all("inc_roles") {
        let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
        b.cmd(&[
            "import",
            "voters",
            nc.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();
        let tokens: Vec<(&str, String)> = ROLES
            .iter()
            .map(|role| (*role, add_user(&b, &format!("u_{role}"), role)))
            .collect();
        b.cmd(&["incidents", "cover", "u_lawyer", "JONESPORT"])
            .assert()
            .success();
        b.cmd(&["incidents", "cover", "u_observer", "JONESPORT"])
            .assert()
            .success();
        let s = common::serve(&b);
        let token_of = |role: &str| tokens.iter().find(|(r, _)| *r == role).unwrap().1.clone();
        let created = post_json(
            &format!("{}/api/v1/incidents", s.base),
            &token_of("coordinator"),
            &serde_json::json!({"category": "long_lines", "county": "JONESPORT", "description": "seed"}),
        );
        let id = json(&created)["incident"]["id"].as_i64().unwrap();
        let mut photo = http()
            .post(&format!("{}/api/v1/incidents/{id}/attachments", s.base))
            .header(
                "Authorization",
                &format!("Bearer {}", token_of("coordinator")),
            )
            .header("Content-Type", "image/png")
            .send(&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..])
            .unwrap();
        assert_eq!(
            photo.status().as_u16(),
            201,
            "{:?}",
            photo.body_mut().read_to_string()
        );
        // A narrative in the disinformation watch (its routes are in the matrix too).
        let seeded = post_json(
            &format!("{}/api/v1/disinfo/items", s.base),
            &token_of("coordinator"),
            &serde_json::json!([{"id": "p1", "text": "the polls moved to the library",
                "url": "", "platform": "x", "author": "a", "posted_at": "2026-11-03T10:00:00Z"}]),
        );
        assert_eq!(seeded.status, 201, "{}", seeded.body);
        let narrative = 1;
        let manage = ["admin", "coordinator"];
        let intake = r#"{"category":"other","county":"JONESPORT","description":"role test"}"#;
        let note = r#"{"action":"note","text":"role test"}"#;
        let read = [
            "admin",
            "coordinator",
            "lawyer",
            "observer",
            "hotline_operator",
        ];
        let intake_roles = ["admin", "coordinator", "observer", "hotline_operator"];
        let work = ["admin", "coordinator", "lawyer", "observer"];
        let export = ["admin", "coordinator", "lawyer"];
        let lookup = ["admin", "coordinator", "hotline_operator"];
        let voters = ["admin", "data_manager", "organizer"];
        let audit = ["admin", "data_manager"];
        let export_lists = ["admin", "data_manager"];
        let all = ROLES;
        // (method, path, body, roles allowed, status when allowed, status signed out)
        let routes: Vec<Route> = vec![
            ("GET", "/api/v1/incidents".into(), "", &read, 200, 401),
            (
                "POST",
                "/api/v1/incidents".into(),
                intake,
                &intake_roles,
                201,
                401,
            ),
            (
                "GET",
                format!("/api/v1/incidents/{id}"),
                "",
                &read,
                200,
                401,
            ),
            (
                "POST",
                format!("/api/v1/incidents/{id}/actions"),
                note,
                &work,
                200,
                401,
            ),
            (
                "GET",
                "/api/v1/incidents/categories".into(),
                "",
                &read,
                200,
                401,
            ),
            (
                "GET",
                "/api/v1/incidents/caller-lookup?name=Landry&zip=27000".into(),
                "",
                &lookup,
                200,
                401,
            ),
            (
                "GET",
                "/api/v1/incidents/dashboard".into(),
                "",
                &read,
                200,
                401,
            ),
            (
                "GET",
                "/api/v1/incidents/export?format=json".into(),
                "",
                &export,
                200,
                401,
            ),
            ("GET", "/incidents".into(), "", &read, 200, 303),
            ("GET", "/incidents/new".into(), "", &intake_roles, 200, 303),
            ("GET", "/incidents/dashboard".into(), "", &read, 200, 303),
            (
                "GET",
                "/incidents/export?format=csv".into(),
                "",
                &export,
                200,
                303,
            ),
            ("GET", format!("/incidents/{id}"), "", &read, 200, 303),
            (
                "GET",
                format!("/incidents/{id}/attachments/1"),
                "",
                &read,
                200,
                401,
            ),
            (
                "GET",
                format!("/api/v1/incidents/{id}/attachments/1"),
                "",
                &read,
                200,
                401,
            ),
            // Attaching needs an image body: a form body is refused after the role check.
            (
                "POST",
                format!("/api/v1/incidents/{id}/attachments"),
                "x=1",
                &read,
                415,
                401,
            ),
            // The page forms pass the server's one CSRF rule with an API token (Bearer
            // requests are exempt) and then check the role like every route: a form body that
            // is not a multipart photo is refused after the role check.
            (
                "POST",
                format!("/incidents/{id}/attachments"),
                "x=1",
                &read,
                400,
                303,
            ),
            ("GET", "/incidents/events".into(), "", &read, 200, 401),
            (
                "POST",
                "/incidents/new".into(),
                "category=other",
                &intake_roles,
                400,
                303,
            ),
            (
                "POST",
                format!("/incidents/{id}/act"),
                "action=note&text=x",
                &work,
                303,
                303,
            ),
            ("GET", "/report".into(), "", &all, 200, 200),
            ("GET", "/api/v1/health".into(), "", &all, 200, 200),
            (
                "GET",
                "/api/v1/voters?q=LANDRY".into(),
                "",
                &voters,
                200,
                401,
            ),
            ("GET", "/api/v1/snapshots".into(), "", &voters, 200, 401),
            ("GET", "/api/v1/audit".into(), "", &audit, 200, 401),
            ("GET", "/".into(), "", &voters, 200, 303),
            ("GET", "/snapshots".into(), "", &voters, 200, 303),
            // Purge watch: the report needs the snapshot permission, a list the voter
            // permission, its CSV the export permission (no snapshot of that date: 404).
            ("GET", "/api/v1/purges".into(), "", &voters, 200, 401),
            (
                "GET",
                format!("/api/v1/purges/list?flag={PURGE_FLAG}"),
                "",
                &voters,
                404,
                401,
            ),
            ("GET", "/purges".into(), "", &voters, 200, 303),
            (
                "GET",
                format!("/purges/list?flag={PURGE_FLAG}"),
                "",
                &voters,
                404,
                303,
            ),
            (
                "GET",
                format!("/purges/list.csv?flag={PURGE_FLAG}"),
                "",
                &export_lists,
                404,
                303,
            ), // Disinformation watch: roles as for incidents; importing needs the manage
            // permission (an empty batch is refused after the role check).
            (
                "GET",
                "/api/v1/disinfo/narratives".into(),
                "",
                &read,
                200,
                401,
            ),
            (
                "GET",
                format!("/api/v1/disinfo/narratives/{narrative}"),
                "",
                &read,
                200,
                401,
            ),
            (
                "POST",
                format!("/api/v1/disinfo/narratives/{narrative}/actions"),
                note,
                &work,
                200,
                401,
            ),
            ("GET", "/api/v1/disinfo/claims".into(), "", &read, 200, 401),
            (
                "POST",
                "/api/v1/disinfo/claims".into(),
                "[]",
                &manage,
                200,
                401,
            ),
            ("GET", "/api/v1/disinfo/alerts".into(), "", &read, 200, 401),
            (
                "POST",
                "/api/v1/disinfo/items".into(),
                "[]",
                &manage,
                400,
                401,
            ),
            ("GET", "/disinfo".into(), "", &read, 200, 303),
            ("GET", "/disinfo/events".into(), "", &read, 200, 401),
            (
                "GET",
                format!("/disinfo/narratives/{narrative}"),
                "",
                &read,
                200,
                303,
            ),
            (
                "POST",
                format!("/disinfo/narratives/{narrative}/act"),
                "action=note&text=x",
                &work,
                303,
                303,
            ),
            (
                "POST",
                "/disinfo/subscription".into(),
                "action=unsubscribe",
                &read,
                303,
                303,
            ),
            (
                "GET",
                "/disinfo/items/1/screenshot".into(),
                "",
                &read,
                404,
                401,
            ),
            ("GET", "/tip".into(), "", &all, 200, 200),
            // Volunteers: the campaign side (projects, candidates, invite, decide) and the
            // organizers' events need the volunteer-matching permission (the same roles
            // as the voter permission); the public sign-up answers everyone, and a
            // volunteer's link that does not verify is 404 whoever asks.
            ("GET", "/api/v1/projects".into(), "", &voters, 200, 401),
            (
                "GET",
                "/api/v1/projects/nope/candidates".into(),
                "",
                &voters,
                404,
                401,
            ),
            (
                "GET",
                "/api/v1/projects/nope/matches".into(),
                "",
                &voters,
                404,
                401,
            ),
            (
                "POST",
                "/api/v1/projects/nope/invitations".into(),
                r#"{"volunteer":"v1"}"#,
                &voters,
                404,
                401,
            ),
            (
                "POST",
                "/api/v1/projects/nope/decisions".into(),
                r#"{"volunteer":"v1","accept":true}"#,
                &voters,
                404,
                401,
            ),
            ("GET", "/projects".into(), "", &voters, 200, 303),
            ("GET", "/projects/nope".into(), "", &voters, 404, 303),
            (
                "POST",
                "/projects/nope/invite".into(),
                "volunteer=v1",
                &voters,
                404,
                303,
            ),
            (
                "POST",
                "/projects/nope/decide".into(),
                "volunteer=v1&decision=accept",
                &voters,
                404,
                303,
            ),
            ("GET", "/api/v1/events".into(), "", &voters, 200, 401),
            (
                "GET",
                "/api/v1/events/nope/attendance".into(),
                "",
                &voters,
                404,
                401,
            ),
            (
                "POST",
                "/api/v1/events/nope/check-in".into(),
                r#"{"shift":"1","person":"v1"}"#,
                &voters,
                404,
                401,
            ),
            (
                "POST",
                "/api/v1/events/nope/rsvps".into(),
                r#"{"shift":"1","person":"v1"}"#,
                &voters,
                404,
                401,
            ),
            ("GET", "/events".into(), "", &voters, 200, 303),
            ("GET", "/events/nope".into(), "", &voters, 404, 303),
            (
                "POST",
                "/events/nope/check-in".into(),
                "shift=1&person=v1",
                &voters,
                404,
                303,
            ),
            ("GET", "/volunteer/signup".into(), "", &all, 200, 200),
            (
                "GET",
                "/volunteer/matches?v=v1&t=00".into(),
                "",
                &all,
                404,
                404,
            ),
            (
                "GET",
                "/volunteer/unsubscribe?v=v1&t=00".into(),
                "",
                &all,
                404,
                404,
            ),
            (
                "GET",
                "/api/v1/donations".into(),
                "",
                &export_lists,
                200,
                401,
            ),
            (
                "GET",
                "/api/v1/donations?cycle=1800".into(),
                "",
                &export_lists,
                400,
                401,
            ),
            (
                "GET",
                "/donations?cycle=2026".into(),
                "",
                &export_lists,
                200,
                303,
            ),
            (
                "GET",
                "/api/v1/donations/export?list=lapsed".into(),
                "",
                &export_lists,
                200,
                401,
            ),
            (
                "GET",
                "/api/v1/donations/export?list=nope".into(),
                "",
                &export_lists,
                400,
                401,
            ),
            (
                "GET",
                "/api/v1/donations/reviews".into(),
                "",
                &export_lists,
                200,
                401,
            ),
            (
                "POST",
                "/api/v1/donations/reviews/999".into(),
                r#"{"decision":"accept"}"#,
                &export_lists,
                404,
                401,
            ),
            (
                "POST",
                "/donations/reviews/999".into(),
                "decision=accept",
                &export_lists,
                404,
                303,
            ),
        ];
        let mut failures = Vec::new();
        for (method, path, body, allowed, ok, signed_out) in &routes {
            let url = format!("{}{path}", s.base);
            let got = status_of(method, &url, "", body);
            if got != *signed_out {
                failures.push(format!(
                    "{method} {path} signed out: {got}, want {signed_out}"
                ));
            }
            for (role, token) in &tokens {
                let want = if allowed.contains(role) { *ok } else { 403 };
                let got = status_of(method, &url, token, body);
                if got != want {
                    failures.push(format!("{method} {path} as {role}: {got}, want {want}"));
                }
            }
        }
        assert!(failures.is_empty(), "{}:\n{}", b.name, failures.join("\n"));
    }
}

fn post_bytes(url: &str, token: &str, content_type: &str, bytes: &[u8]) -> Reply {
    let mut resp = http()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", content_type)
        .send(bytes)
        .expect("request");
    reply(&mut resp)
}

/// Fetches a photo: (status, content type, disposition, nosniff, bytes).
fn get_bytes(url: &str, token: &str) -> (u16, String, String, String, Vec<u8>) {
    let mut resp = http()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("request");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (content_type, disposition, nosniff) = (
        header("content-type"),
        header("content-disposition"),
        header("x-content-type-options"),
    );
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_to_vec()
        .unwrap();
    (
        resp.status().as_u16(),
        content_type,
        disposition,
        nosniff,
        bytes,
    )
}

#[test]
fn photo_attachments_upload_list_fetch_and_scope() {
    for b in Backend::all("inc_photos") {
        let admin = add_user(&b, "ada", "admin");
        let coord = add_user(&b, "cora", "coordinator");
        let lawyer = add_user(&b, "lena", "lawyer");
        let outsider = add_user(&b, "otto", "lawyer");
        let hotline = add_user(&b, "hank", "hotline_operator");
        let volunteer = add_user(&b, "vera", "volunteer");
        b.cmd(&["incidents", "cover", "lena", "JONESPORT"])
            .assert()
            .success();
        b.cmd(&["incidents", "cover", "otto", "LEEBURY"])
            .assert()
            .success();
        let s = common::serve(&b);
        let api = format!("{}/api/v1", s.base);
        let created = post_json(
            &format!("{api}/incidents"),
            &coord,
            &serde_json::json!({"category": "intimidation", "county": "JONESPORT",
                "description": "Men with flags at the door"}),
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let id = json(&created)["incident"]["id"].as_i64().unwrap();
        let url = format!("{api}/incidents/{id}/attachments");

        // A 2 MiB JPEG: over the server's global 1 MiB body limit, under the photo limit.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend((0..2_000_000u32).map(|i| (i * 7 % 251) as u8));
        let up = post_bytes(&url, &lawyer, "image/jpeg", &jpeg);
        assert_eq!(up.status, 201, "{}: {}", b.name, up.body);
        let att = json(&up)["attachment"].clone();
        assert_eq!(att["n"], 1);
        assert_eq!(att["size"], jpeg.len() as i64);
        assert_eq!(att["content_type"], "image/jpeg");
        assert_eq!(att["uploaded_by"], "lena");
        let again = post_bytes(&url, &hotline, "image/jpeg", &jpeg);
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(json(&again)["created"], false);
        assert_eq!(json(&again)["attachment"]["n"], 1, "deduplicated by sha256");

        // Not an image (even when it claims to be one), or no image Content-Type: refused.
        for (content_type, body) in [
            (
                "image/png",
                b"<html><script>alert(1)</script></html>".as_slice(),
            ),
            ("text/plain", b"\x89PNG\r\n\x1a\nnot really".as_slice()),
        ] {
            let refused = post_bytes(&url, &coord, content_type, body);
            assert_eq!(refused.status, 415, "{}", refused.body);
            assert_eq!(json(&refused)["error"], "unsupported_media_type");
        }
        // Roles that may not act, and counties outside the caller's, are refused.
        assert_eq!(
            post_bytes(&url, &volunteer, "image/jpeg", &jpeg).status,
            403
        );
        assert_eq!(post_bytes(&url, &outsider, "image/jpeg", &jpeg).status, 404);

        // Listed in the incident JSON, on the timeline, fetched back identical.
        let detail = json(&get(&format!("{api}/incidents/{id}"), &hotline));
        let listed = detail["attachments"].as_array().unwrap();
        assert_eq!(listed.len(), 1, "{detail}");
        assert_eq!(listed[0]["sha256"], att["sha256"]);
        let entries: Vec<_> = detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "attachment")
            .collect();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["actor"], "lena");
        let (status, content_type, disposition, nosniff, bytes) =
            get_bytes(&format!("{}/incidents/{id}/attachments/1", s.base), &lawyer);
        assert_eq!(status, 200);
        assert_eq!(content_type, "image/jpeg");
        assert!(disposition.starts_with("inline"), "{disposition}");
        assert_eq!(nosniff, "nosniff");
        assert!(bytes == jpeg, "the photo comes back byte for byte");
        let photo = format!("{}/incidents/{id}/attachments/1", s.base);
        assert_eq!(get_bytes(&photo, &outsider).0, 404, "outside the county");
        assert_eq!(get_bytes(&photo, &volunteer).0, 403);
        assert_eq!(
            get_bytes(&format!("{}/incidents/{id}/attachments/9", s.base), &coord).0,
            404
        );

        // The incident page lists it and takes a photo by its multipart form (with CSRF).
        let session = sign_in(&s.base, "cora");
        let mut page = http()
            .get(&format!("{}/incidents/{id}", s.base))
            .header("Cookie", &session)
            .call()
            .unwrap();
        let html = page.body_mut().read_to_string().unwrap();
        assert!(
            html.contains(&format!("/incidents/{id}/attachments/1")),
            "photo listed on the page"
        );
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = html[at..at + html[at..].find('"').unwrap()].to_string();
        let multipart = |csrf: &str, photo: &[u8]| {
            let mut body = Vec::new();
            body.extend(b"--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n");
            body.extend(csrf.as_bytes());
            body.extend(b"\r\n--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n");
            body.extend(photo);
            body.extend(b"\r\n--XBOUNDARYX--\r\n");
            http()
                .post(&format!("{}/incidents/{id}/attachments", s.base))
                .header("Cookie", &session)
                .header("Content-Type", "multipart/form-data; boundary=XBOUNDARYX")
                .send(&body[..])
                .unwrap()
                .status()
                .as_u16()
        };
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR page upload".to_vec();
        assert_eq!(multipart("wrong", &png), 403, "CSRF checked");
        assert_eq!(multipart(&csrf, &png), 303);
        assert_eq!(multipart(&csrf, b"MZ not a photo"), 400);
        let detail = json(&get(&format!("{api}/incidents/{id}"), &coord));
        assert_eq!(detail["attachments"].as_array().unwrap().len(), 2);
        assert_eq!(detail["attachments"][1]["content_type"], "image/png");
        let (_, _, _, _, back) = get_bytes(&format!("{api}/incidents/{id}/attachments/2"), &coord);
        assert_eq!(back, png);

        // Every view is audited.
        let audit = get(&format!("{api}/audit?limit=200"), &admin).body;
        assert!(audit.contains("incident.attachment.read"), "{audit}");
        assert!(audit.contains("incident.attach"));
    }
}

fn post_raw(url: &str, token: &str, cookie: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut req = http().post(url).header("Content-Type", content_type);
    if !token.is_empty() {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    reply(&mut req.send(body).expect("request"))
}

/// The public form's CSRF cookie and token.
fn report_csrf(base: &str) -> (String, String) {
    let form = get(&format!("{base}/report"), "");
    let cookie = form
        .set_cookies
        .iter()
        .find(|c| c.starts_with("vb_report_csrf="))
        .unwrap()
        .clone();
    let at = form.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    (cookie, form.body[at..at + 64].to_string())
}

/// Issue 13 row 12: `/report` and `POST /api/v1/incidents` check the county (and the
/// precinct, when given) against the voter file and the feed, refuse invalid UTF-8 with
/// `invalid_utf8` instead of storing U+FFFD, and never read a county as a street
/// (`PINE BARREN` stays `PINE BARREN`). Without a voter file or feed, any well-formed
/// county is taken.
#[test]
fn report_and_api_check_places_and_utf8() {
    for b in Backend::all("inc_places") {
        let hotline = add_user(&b, "hank", "hotline_operator");
        let coord = add_user(&b, "cora", "coordinator");
        let s = common::serve_with(&b, &[("VOTEBASE_REPORT_PER_MINUTE", "100")]);
        let api = format!("{}/api/v1", s.base);
        let count = || {
            json(&get(&format!("{api}/incidents"), &coord))
                .as_array()
                .unwrap()
                .len()
        };
        // No voter file, no feed: any well-formed county, never rewritten.
        let pine = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({"category": "long_lines", "county": "Pine Barren",
                "address": "12 Pine Barren Rd", "description": "Long line"}),
        );
        assert_eq!(pine.status, 201, "{}: {}", b.name, pine.body);
        assert_eq!(json(&pine)["incident"]["location"]["county"], "PINE BARREN");
        let (cookie, csrf) = report_csrf(&s.base);
        let sent = post_form(
            &format!("{}/report", s.base),
            &[
                ("csrf", &csrf),
                ("category", "long_lines"),
                ("county", "Pine Barren"),
                ("description", "Three hour line"),
            ],
            &cookie,
        );
        assert_eq!(sent.status, 201, "{}", sent.body);
        let public = json(&get(
            &format!("{api}/incidents?county=PINE%20BARREN"),
            &coord,
        ));
        assert_eq!(public.as_array().unwrap().len(), 2, "{public}");
        let before = count();
        // Invalid UTF-8 in a form field: a 400 saying so, nothing stored.
        let body = format!("csrf={csrf}&category=long_lines&county=FOX%FFHALL&description=Line");
        let r = post_raw(
            &format!("{}/report", s.base),
            "",
            &cookie,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("not valid UTF-8"), "{}", r.body);
        // Invalid UTF-8 in a JSON body: 400 invalid_utf8.
        let mut raw = br#"{"category":"long_lines","county":"FOX"#.to_vec();
        raw.push(0xFF);
        raw.extend_from_slice(br#"HALL","description":"Line"}"#);
        let r = post_raw(
            &format!("{api}/incidents"),
            &hotline,
            "",
            "application/json",
            &raw,
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(json(&r)["error"], "invalid_utf8", "{}", r.body);
        // U+FFFD sent as text is not a county name.
        let r = post_json(
            &format!("{api}/incidents"),
            &hotline,
            &serde_json::json!({"category": "long_lines", "county": "FOX\u{fffd}HALL",
                "description": "Line"}),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(count(), before, "nothing stored");
        drop(s);

        // With a voter file, counties and precincts are the file's (and the feed's).
        let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
        b.cmd(&[
            "import",
            "voters",
            nc.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();
        let s = common::serve_with(&b, &[("VOTEBASE_REPORT_PER_MINUTE", "100")]);
        let api = format!("{}/api/v1", s.base);
        let send = |county: &str, precinct: &str| {
            post_json(
                &format!("{api}/incidents"),
                &hotline,
                &serde_json::json!({"category": "long_lines", "county": county,
                    "precinct": precinct, "description": "Line"}),
            )
        };
        let known = send("lake jerry", "");
        assert_eq!(known.status, 201, "{}", known.body);
        assert_eq!(json(&known)["incident"]["location"]["county"], "LAKE JERRY");
        assert_eq!(send("Lake Jerry", "08n").status, 201, "precinct by code");
        assert_eq!(
            send("LAKE JERRY", "East Sara").status,
            201,
            "precinct by name"
        );
        let bad = send("LAKE JERRY", "99X");
        assert_eq!(bad.status, 400, "{}", bad.body);
        assert!(bad.body.contains("unknown precinct"), "{}", bad.body);
        let unknown = send("Pine Barren", "");
        assert_eq!(unknown.status, 400, "{}", unknown.body);
        assert!(unknown.body.contains("unknown county"), "{}", unknown.body);
        let (cookie, csrf) = report_csrf(&s.base);
        let r = post_form(
            &format!("{}/report", s.base),
            &[
                ("csrf", &csrf),
                ("category", "long_lines"),
                ("county", "Nowhere"),
                ("description", "Line"),
            ],
            &cookie,
        );
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("unknown county"), "{}", r.body);
    }
}
