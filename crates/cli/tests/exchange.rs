//! End-to-end tests of exchange agreements and the do-not-contact list on both stores:
//! two organizations import the same small voter file (and the publisher one voter more);
//! the publisher records contact outcomes (moved, refused, not home) and a texting reply
//! "ALTO"; the reply suppresses the voter at once (universes and exports leave them out);
//! without an agreement, and with one only proposed, the subscriber gets nothing; once
//! both sides approved one `exchange sync` brings the outcomes and the opt-out over with
//! provenance, only for voters the subscriber holds; a second sync changes nothing; the
//! opt-out removes the voter from the subscriber's later list exports and universes;
//! ending the agreement stops the flow. The same flow with keyed-hash matching and
//! survey answers; and the `suppress` commands (add, import all-or-nothing, remove).

mod common;

use chrono::{Duration, Utc};
use common::{Backend, sign_in};
use std::sync::Arc;
use votebase_domain::OrgName;
use votebase_store::Store;

const HEADER: &str = "county_id\tcounty_desc\tvoter_reg_num\tncid\tlast_name\tfirst_name\tmiddle_name\tname_suffix_lbl\tstatus_cd\treason_cd\tres_street_address\tres_city_desc\tstate_cd\tzip_code\tfull_phone_number\tregistr_dt\trace_code\tethnic_code\tparty_cd\tgender_code\tbirth_year\tage_at_year_end\tprecinct_abbrv\tprecinct_desc\tcong_dist_abbrv\tnc_senate_abbrv\tnc_house_abbrv";

fn row(id: &str, n: u32) -> String {
    format!(
        "1\tALAMANCE\t{n}0\t{id}\tSMITH{n}\tANA\t\t\tA\tAV\t{n} MAIN ST\tBURLINGTON\tNC\t27215\t(336) 226-40{n:02}\t01/02/2000\tW\tNL\tDEM\tF\t1980\t46\t01\tPCT 01\t4\t24\t63"
    )
}

/// Two organizations of one deployment: (args of A, args of B), the backends kept alive.
struct Pair {
    a: Backend,
    b: Backend,
    a_org: String,
    b_org: String,
}

fn org_of(b: &Backend) -> String {
    b.args
        .iter()
        .position(|a| a == "--org")
        .map(|i| b.args[i + 1].clone())
        .unwrap()
}

fn pairs(tag: &str) -> Vec<Pair> {
    let mut out = Vec::new();
    let mut a = Backend::sqlite();
    let mut b = Backend::sqlite();
    b.args = a.args.clone();
    a.args.extend(["--org".to_string(), "alpha".to_string()]);
    b.args.extend(["--org".to_string(), "beta".to_string()]);
    out.push(Pair {
        a_org: "alpha".into(),
        b_org: "beta".into(),
        a,
        b,
    });
    if common::postgres_available() {
        let a = Backend::postgres(&format!("{tag}a"));
        let b = Backend::postgres(&format!("{tag}b"));
        out.push(Pair {
            a_org: org_of(&a),
            b_org: org_of(&b),
            a,
            b,
        });
    }
    out
}

fn arg_after<'a>(b: &'a Backend, flag: &str) -> Option<&'a str> {
    b.args
        .iter()
        .position(|a| a == flag)
        .map(|i| b.args[i + 1].as_str())
}

async fn open_store(b: &Backend) -> Arc<dyn Store> {
    let org = OrgName::parse(arg_after(b, "--org").unwrap()).unwrap();
    match arg_after(b, "--database") {
        Some(url) => Arc::new(
            votebase_store_postgres::PgStore::connect(url, &org)
                .await
                .unwrap(),
        ),
        None => Arc::new(
            votebase_store_sqlite::SqliteStore::open(
                std::path::Path::new(arg_after(b, "--data").unwrap()),
                &org,
            )
            .unwrap(),
        ),
    }
}

/// The timeline lines of a voter (summary and detail).
fn timeline(b: &Backend, id: &str) -> Vec<String> {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = open_store(b).await;
        votebase_app::voters::voter_timeline(store.as_ref(), id)
            .await
            .unwrap()
            .entries
            .into_iter()
            .map(|e| format!("{} | {}", e.summary, e.detail))
            .collect()
    })
}

fn stdout(b: &Backend, args: &[&str]) -> String {
    let out = b.cmd(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn json(b: &Backend, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout(b, args)).unwrap()
}

fn write(b: &Backend, name: &str, lines: &[String]) -> String {
    let path = b.path(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_string_lossy().into_owned()
}

fn import_voters(b: &Backend, ids: &[&str]) {
    let mut lines = vec![HEADER.to_string()];
    for (i, id) in ids.iter().enumerate() {
        lines.push(row(id, i as u32 + 1));
    }
    let file = write(b, "ncvoter_20260901.txt", &lines);
    b.cmd(&["import", "voters", &file, "--layout", "ncvoter"])
        .assert()
        .success();
}

fn canvass(b: &Backend, name: &str, rows: &[(&str, &str, &str)]) {
    let mut lines = vec![
        "ContactHistoryID,StateFileID,ContactTypeName,DateCanvassed,CanvassedBy,ResultShortName"
            .to_string(),
    ];
    let day = Utc::now().date_naive().format("%m/%d/%Y");
    for (event, voter, result) in rows {
        lines.push(format!("{event},{voter},Walk,{day} 17:30,carla,{result}"));
    }
    let file = write(b, name, &lines);
    b.cmd(&["import", "contacts", &file]).assert().success();
}

fn count(b: &Backend, expr: &str) -> u64 {
    let v = json(b, &["universe", "count", expr, "--json"]);
    v["count"].as_u64().unwrap()
}

fn export_ids(b: &Backend, args: &[&str]) -> Vec<String> {
    let text = stdout(b, args);
    let mut ids: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sync(b: &Backend) -> serde_json::Value {
    json(b, &["exchange", "sync", "--json"])
}

#[test]
fn outcomes_and_opt_outs_cross_only_under_an_approved_agreement() {
    let today = Utc::now().date_naive();
    let start = (today - Duration::days(1)).to_string();
    let end = (today + Duration::days(30)).to_string();
    for p in pairs("exch") {
        let (a, b) = (&p.a, &p.b);
        let name = a.name;
        import_voters(a, &["EX1", "EX2", "EX3", "EX4", "EX5"]);
        import_voters(b, &["EX1", "EX2", "EX3", "EX4"]);
        // B saves a list of everyone before anything crosses.
        b.cmd(&["list", "save", "everyone", ""]).assert().success();

        canvass(
            a,
            "canvass.csv",
            &[
                ("c1", "EX1", "Moved"),
                ("c2", "EX2", "Refused"),
                ("c3", "EX3", "Not Home"),
                ("c5", "EX5", "Moved"),
            ],
        );
        let texts = write(
            a,
            "texts.csv",
            &[
                "messageId,contact[external_id],sentAt,texter[username],contact[messageStatus],reply".into(),
                format!("m4,EX4,{today} 18:00:00,tex,convo,ALTO"),
                format!("m3,EX3,{today} 18:00:00,tex,convo,Votaré el martes"),
            ],
        );
        a.cmd(&["import", "contacts", &texts, "--mapping", "spoke-texts"])
            .assert()
            .success();

        // The Spanish STOP suppressed EX4 in A at once.
        let list = json(a, &["suppress", "list", "--json"]);
        let entries = list.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{name}: {list}");
        assert_eq!(entries[0]["state_voter_id"], "EX4", "{name}");
        assert_eq!(entries[0]["source"], "text_stop", "{name}");
        assert_eq!(count(a, ""), 4, "{name}: EX4 is left out of A's universes");
        let v = json(
            a,
            &["universe", "count", "", "--include-suppressed", "--json"],
        );
        assert_eq!(v["count"], 5, "{name}");
        assert_eq!(count(a, "suppressed:any"), 0, "{name}");
        let v = json(
            a,
            &[
                "universe",
                "count",
                "suppressed:any",
                "--include-suppressed",
                "--json",
            ],
        );
        assert_eq!(v["count"], 1, "{name}");

        // No agreement: nothing crosses.
        let r = sync(b);
        assert_eq!(r.as_array().unwrap().len(), 0, "{name}");
        assert!(
            !timeline(b, "EX1").iter().any(|l| l.contains("moved")),
            "{name}"
        );

        // Proposed by A, not yet approved by B: still nothing.
        let id = stdout(
            a,
            &[
                "exchange",
                "propose",
                "--from",
                &p.a_org,
                "--to",
                &p.b_org,
                "--datasets",
                "contact_outcomes,opt_outs",
                "--start",
                &start,
                "--end",
                &end,
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
        assert_eq!(id.len(), 36, "{name}: a UUID: {id}");
        let r = sync(b);
        assert_eq!(r[0]["state"], "proposed", "{name}: {r}");
        assert_eq!(r[0]["read"], 0, "{name}");
        assert!(
            !timeline(b, "EX1").iter().any(|l| l.contains("moved")),
            "{name}"
        );
        // Only a side of it may approve, and only its own copy.
        b.cmd(&["exchange", "approve", "not-an-id", "--by", "bob"])
            .assert()
            .failure();
        b.cmd(&["exchange", "approve", &id, "--by", "bob"])
            .assert()
            .success();

        // Approved by both: one sync brings the outcomes and the opt-out for shared voters.
        let r = sync(b);
        assert_eq!(r.as_array().unwrap().len(), 1, "{name}: {r}");
        assert_eq!(r[0]["state"], "active", "{name}");
        assert_eq!(r[0]["from"], p.a_org.as_str(), "{name}");
        assert_eq!(
            (&r[0]["read"], &r[0]["applied"], &r[0]["skipped"]),
            (
                &serde_json::json!(5),
                &serde_json::json!(3),
                &serde_json::json!(2)
            ),
            "{name}: EX1 moved, EX2 refused, EX4 opt-out; EX5 is not B's, EX3's text \
             conversation is not an outcome the agreement carries: {r}"
        );
        let ex1 = timeline(b, "EX1");
        let provenance = format!("from {}, {today}", p.a_org);
        assert!(
            ex1.iter()
                .any(|l| l.contains("door: moved") && l.contains(&provenance)),
            "{name}: {ex1:?}"
        );
        assert!(
            timeline(b, "EX2").iter().any(|l| l.contains("refused")),
            "{name}"
        );
        assert!(
            !timeline(b, "EX3").iter().any(|l| l.contains("not home")),
            "{name}: not home is not an outcome the outbox carries"
        );
        let b_list = json(b, &["suppress", "list", "--json"]);
        let entries = b_list.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{name}: {b_list}");
        assert_eq!(entries[0]["state_voter_id"], "EX4", "{name}");
        assert_eq!(
            entries[0]["source"],
            format!("exchange:{}", p.a_org),
            "{name}"
        );

        // A second sync changes nothing.
        let again = sync(b);
        assert_eq!(
            (&again[0]["read"], &again[0]["applied"]),
            (&serde_json::json!(0), &serde_json::json!(0)),
            "{name}: {again}"
        );
        assert_eq!(
            timeline(b, "EX1")
                .iter()
                .filter(|l| l.contains("moved"))
                .count(),
            1,
            "{name}"
        );

        // The opt-out leaves EX4 out of B's later exports and universes.
        assert_eq!(count(b, ""), 3, "{name}");
        assert_eq!(
            export_ids(b, &["list", "export", "everyone"]),
            ["EX1", "EX2", "EX3"],
            "{name}: the list was saved before the opt-out arrived"
        );
        for format in ["van", "spoke", "nationbuilder", "walk"] {
            let text = stdout(b, &["list", "export", "everyone", "--format", format]);
            assert!(!text.contains("EX4"), "{name}: {format}: {text}");
        }
        assert_eq!(
            export_ids(b, &["universe", "export", ""]),
            ["EX1", "EX2", "EX3"],
            "{name}"
        );
        assert_eq!(
            export_ids(b, &["list", "export", "everyone", "--include-suppressed"]),
            ["EX1", "EX2", "EX3", "EX4"],
            "{name}"
        );

        // Status on either side: active, no lag, the counts.
        let status = json(b, &["exchange", "status", "--json"]);
        assert_eq!(status[0]["state"], "active", "{name}: {status}");
        assert_eq!(status[0]["flows"][0]["lag"], 0, "{name}");
        assert_eq!(status[0]["flows"][0]["cursor"]["applied"], 3, "{name}");
        let status = json(a, &["exchange", "status", "--json"]);
        assert_eq!(status[0]["state"], "active", "{name}: {status}");
        assert!(
            status[0]["agreement"].get("hash_key").is_none(),
            "{name}: the key is never shown"
        );

        // A ends it; a new outcome does not cross.
        canvass(a, "canvass2.csv", &[("c6", "EX2", "Moved")]);
        a.cmd(&["exchange", "end", &id]).assert().success();
        let r = sync(b);
        assert_eq!(r[0]["state"], "ended", "{name}: {r}");
        assert_eq!(r[0]["applied"], 0, "{name}");
        assert!(
            !timeline(b, "EX2").iter().any(|l| l.contains("moved")),
            "{name}"
        );
        let status = json(b, &["exchange", "status", "--json"]);
        assert_eq!(status[0]["state"], "ended", "{name}");
        assert!(
            status[0]["flows"][0]["lag"].as_i64().unwrap() > 0,
            "{name}: {status}"
        );
        b.cmd(&["exchange", "approve", &id]).assert().failure();

        // Both sides audited each batch.
        for (side, action) in [(a, "exchange.publish"), (b, "exchange.receive")] {
            let log = tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async { open_store(side).await.audit_log(200).await.unwrap() });
            assert!(
                log.iter().any(|e| e.action == action && e.subject == id),
                "{name}: {action}"
            );
        }
    }
}

#[test]
fn hashed_matching_carries_survey_answers_and_nothing_for_other_voters() {
    let today = Utc::now().date_naive();
    for p in pairs("exhash") {
        let (a, b) = (&p.a, &p.b);
        let name = a.name;
        import_voters(a, &["HX1", "HX2", "HX3"]);
        import_voters(b, &["HX1", "HX2"]);
        let file = write(
            a,
            "canvass.csv",
            &[
                "ContactHistoryID,StateFileID,ContactTypeName,DateCanvassed,CanvassedBy,ResultShortName,SupportID".into(),
                format!("h1,HX1,Walk,{} 17:30,carla,Canvassed,2", today.format("%m/%d/%Y")),
                format!("h3,HX3,Walk,{} 17:30,carla,Canvassed,1", today.format("%m/%d/%Y")),
            ],
        );
        a.cmd(&["import", "contacts", &file]).assert().success();
        // Proposed by the subscriber, both ways; the publisher approves.
        let id = stdout(
            b,
            &[
                "exchange",
                "propose",
                "--from",
                &p.a_org,
                "--to",
                &p.b_org,
                "--datasets",
                "survey_answers",
                "--questions",
                "support",
                "--match",
                "hashed",
                "--both-ways",
                "--start",
                &today.to_string(),
                "--end",
                &(today + Duration::days(1)).to_string(),
            ],
        )
        .trim()
        .to_string();
        a.cmd(&["exchange", "approve", &id]).assert().success();
        let r = sync(a);
        assert_eq!(r.as_array().unwrap().len(), 2, "{name}: both ways: {r}");
        let forward = r
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["from"] == p.a_org.as_str())
            .unwrap();
        assert_eq!(
            (&forward["read"], &forward["applied"], &forward["skipped"]),
            (
                &serde_json::json!(2),
                &serde_json::json!(1),
                &serde_json::json!(1)
            ),
            "{name}: {r}"
        );
        assert!(
            timeline(b, "HX1")
                .iter()
                .any(|l| l.starts_with("support: 2")),
            "{name}: {:?}",
            timeline(b, "HX1")
        );
        let v = json(b, &["universe", "count", "survey:support=2", "--json"]);
        assert_eq!(v["count"], 1, "{name}");
        let again = sync(b);
        assert!(
            again.as_array().unwrap().iter().all(|f| f["applied"] == 0),
            "{name}: {again}"
        );
    }
}

#[test]
fn suppress_commands_add_import_and_remove() {
    for b in Backend::all("supp") {
        let name = b.name;
        import_voters(&b, &["SX1", "SX2", "SX3", "SX4"]);
        b.cmd(&[
            "suppress",
            "add",
            "--voter",
            "SX1",
            "--reason",
            "asked at the door",
        ])
        .assert()
        .success();
        // A phone in any writing matches the voter whose phone it is (SX2: 226-4002).
        b.cmd(&[
            "suppress",
            "add",
            "--phone",
            "336.226.4002",
            "--channel",
            "phone",
            "--reason",
            "do not call",
        ])
        .assert()
        .success();
        b.cmd(&["suppress", "add", "--phone", "12", "--reason", "x"])
            .assert()
            .failure();
        let bad = write(
            &b,
            "dnc-bad.csv",
            &[
                "state_voter_id,phone,channel".into(),
                "SX3,,all".into(),
                ",,text".into(),
                "SX4,,fax".into(),
            ],
        );
        let out = b.cmd(&["suppress", "import", &bad]).assert().failure();
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(
            err.contains("dnc-bad.csv:3") && err.contains("dnc-bad.csv:4"),
            "{name}: {err}"
        );
        assert_eq!(count(&b, ""), 2, "{name}: nothing from the bad file");
        let good = write(
            &b,
            "dnc.csv",
            &["state_voter_id,reason".into(), "SX3,state list".into()],
        );
        assert!(stdout(&b, &["suppress", "import", &good]).contains("1 added"));
        assert!(stdout(&b, &["suppress", "import", &good]).contains("0 added, 1 already"));
        assert_eq!(count(&b, ""), 1, "{name}");
        let list = json(&b, &["suppress", "list", "--json"]);
        let sx1 = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["state_voter_id"] == "SX1")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        b.cmd(&["suppress", "remove", &sx1.to_string()])
            .assert()
            .success();
        b.cmd(&["suppress", "remove", &sx1.to_string()])
            .assert()
            .failure();
        assert_eq!(count(&b, ""), 2, "{name}: SX1 is back");
        let all = json(&b, &["suppress", "list", "--all", "--json"]);
        assert_eq!(all.as_array().unwrap().len(), 3, "{name}: {all}");
    }
}

fn request(
    method: &str,
    url: &str,
    token: Option<&str>,
    cookie: Option<&str>,
    body: Option<serde_json::Value>,
) -> common::Reply {
    let agent = common::http();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let resp = match body {
        Some(b) => agent.run(
            req.header("Content-Type", "application/json")
                .body(b.to_string())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    };
    common::reply(&mut resp.expect("request"))
}

fn post_form(url: &str, form: &[(&str, &str)], cookie: &str) -> common::Reply {
    let mut resp = common::http()
        .post(url)
        .header("Cookie", cookie)
        .send_form(form.iter().copied())
        .expect("request");
    common::reply(&mut resp)
}

#[test]
fn pages_and_api_by_role_with_csrf_audit_and_openapi() {
    let today = Utc::now().date_naive();
    for p in pairs("exhttp") {
        let (a, b) = (&p.a, &p.b);
        let name = a.name;
        import_voters(a, &["HT1", "HT2"]);
        import_voters(b, &["HT1", "HT2"]);
        canvass(a, "canvass.csv", &[("t1", "HT1", "Moved")]);
        let id = stdout(
            a,
            &[
                "exchange",
                "propose",
                "--from",
                &p.a_org,
                "--to",
                &p.b_org,
                "--datasets",
                "contact_outcomes",
                "--start",
                &today.to_string(),
                "--end",
                &(today + Duration::days(7)).to_string(),
            ],
        )
        .trim()
        .to_string();
        let tokens: Vec<String> = [
            ("ada", "admin"),
            ("ola", "organizer"),
            ("val", "volunteer"),
            ("dan", "data_manager"),
            ("lee", "lawyer"),
        ]
        .iter()
        .map(|(n, r)| common::add_user(b, n, r))
        .collect();
        let served = common::serve(b);
        let api = format!("{}/api/v1", served.base);

        let doc = common::json(&request(
            "GET",
            &format!("{api}/openapi.json"),
            None,
            None,
            None,
        ));
        for path in [
            "/api/v1/exchange",
            "/api/v1/exchange/{id}/approve",
            "/api/v1/exchange/{id}/end",
            "/api/v1/suppression",
            "/api/v1/suppression/{id}",
        ] {
            assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
        }

        // Route x role: signed out, admin, organizer, volunteer, data manager, lawyer.
        let who: Vec<Option<&str>> = std::iter::once(None)
            .chain(tokens.iter().map(|t| Some(t.as_str())))
            .collect();
        for (method, route, body, expected) in [
            (
                "GET",
                "/exchange".to_string(),
                None,
                [401, 200, 403, 403, 200, 403],
            ),
            (
                "GET",
                "/suppression".to_string(),
                None,
                [401, 200, 200, 403, 200, 403],
            ),
            (
                "GET",
                "/suppression?limit=5000&include_removed=true".to_string(),
                None,
                [401, 200, 200, 403, 200, 403],
            ),
            (
                "POST",
                "/suppression".to_string(),
                Some(serde_json::json!({"state_voter_id": "HT2", "reason": "asked"})),
                [401, 200, 200, 200, 200, 403],
            ),
            (
                "POST",
                "/suppression".to_string(),
                Some(serde_json::json!({"reason": "nobody"})),
                [401, 400, 400, 400, 400, 403],
            ),
            (
                "POST",
                "/exchange/nope/approve".to_string(),
                None,
                [401, 404, 403, 403, 403, 403],
            ),
            (
                "POST",
                format!("/exchange/{id}/end"),
                None,
                [401, 0, 403, 403, 403, 403],
            ),
        ] {
            // The admin column of the `end` row is checked below, after approval.
            for (i, token) in who.iter().enumerate() {
                if route.ends_with("/end") && i == 1 {
                    continue;
                }
                let r = request(method, &format!("{api}{route}"), *token, None, body.clone());
                assert_eq!(
                    r.status, expected[i],
                    "{name}: {method} {route} as #{i}: {}",
                    r.body
                );
            }
        }
        let listed = common::json(&request(
            "GET",
            &format!("{api}/suppression"),
            Some(&tokens[0]),
            None,
            None,
        ));
        assert_eq!(
            listed.as_array().unwrap().len(),
            1,
            "{name}: recorded once: {listed}"
        );
        let entry = listed[0]["id"].as_i64().unwrap();
        assert_eq!(
            listed[0]["created_by"], "ada",
            "{name}: the first to record it"
        );

        // Pages by role; the approve button for admins only; forms need the CSRF token.
        let sessions: Vec<String> = ["ada", "ola", "val", "dan", "lee"]
            .iter()
            .map(|u| sign_in(&served.base, u))
            .collect();
        for (route, expected) in [
            ("/exchange", [303, 200, 403, 403, 200, 403]),
            ("/suppression", [303, 200, 200, 403, 200, 403]),
        ] {
            for i in 0..6 {
                let cookie = (i > 0).then(|| sessions[i - 1].as_str());
                let r = request(
                    "GET",
                    &format!("{}{route}", served.base),
                    None,
                    cookie,
                    None,
                );
                assert_eq!(r.status, expected[i], "{name}: page {route} as #{i}");
            }
        }
        let page = request(
            "GET",
            &format!("{}/exchange", served.base),
            None,
            Some(&sessions[0]),
            None,
        );
        assert!(
            page.body.contains(&format!("/exchange/{id}/approve")),
            "{name}: {}",
            page.body
        );
        assert!(page.body.contains("proposed"), "{name}");
        let dm_page = request(
            "GET",
            &format!("{}/exchange", served.base),
            None,
            Some(&sessions[3]),
            None,
        );
        assert!(
            !dm_page.body.contains("/approve"),
            "{name}: data managers do not sign"
        );
        let csrf = common::hidden_field(&page.body, "csrf");
        let approve = format!("{}/exchange/{id}/approve", served.base);
        let refused = post_form(&approve, &[], &sessions[0]);
        assert_eq!(
            refused.status, 403,
            "{name}: no CSRF token: {}",
            refused.body
        );
        let done = post_form(&approve, &[("csrf", &csrf)], &sessions[0]);
        assert_eq!(done.status, 303, "{name}: {}", done.body);

        // Approved on B's side through the web: the CLI sync brings the outcome over.
        let r = sync(b);
        assert_eq!(r[0]["state"], "active", "{name}: {r}");
        assert_eq!(r[0]["applied"], 1, "{name}: {r}");
        let agreements = common::json(&request(
            "GET",
            &format!("{api}/exchange"),
            Some(&tokens[3]),
            None,
            None,
        ));
        assert_eq!(agreements[0]["state"], "active", "{name}: {agreements}");
        assert_eq!(agreements[0]["flows"][0]["applied"], 1, "{name}");
        assert!(
            agreements[0]["agreement"].get("hash_key").is_none(),
            "{name}"
        );

        // Removal: admins only, once; the suppression page's form works with the token.
        let del = format!("{api}/suppression/{entry}");
        assert_eq!(
            request("DELETE", &del, Some(&tokens[3]), None, None).status,
            403,
            "{name}"
        );
        assert_eq!(
            request("DELETE", &del, Some(&tokens[0]), None, None).status,
            204,
            "{name}"
        );
        assert_eq!(
            request("DELETE", &del, Some(&tokens[0]), None, None).status,
            404,
            "{name}"
        );
        let added = post_form(
            &format!("{}/suppression", served.base),
            &[
                (
                    "csrf",
                    &common::hidden_field(
                        &request(
                            "GET",
                            &format!("{}/suppression", served.base),
                            None,
                            Some(&sessions[1]),
                            None,
                        )
                        .body,
                        "csrf",
                    ),
                ),
                ("phone", "(336) 226-4001"),
                ("reason", "called in"),
            ],
            &sessions[1],
        );
        assert_eq!(added.status, 303, "{name}: {}", added.body);
        let bad = post_form(
            &format!("{}/suppression", served.base),
            &[
                (
                    "csrf",
                    &common::hidden_field(
                        &request(
                            "GET",
                            &format!("{}/suppression", served.base),
                            None,
                            Some(&sessions[1]),
                            None,
                        )
                        .body,
                        "csrf",
                    ),
                ),
                ("reason", "nobody"),
            ],
            &sessions[1],
        );
        assert_eq!(bad.status, 400, "{name}");
        assert!(bad.body.contains("id=\"error\""), "{name}: {}", bad.body);

        // Ending through the API (admin), audited.
        assert_eq!(
            request(
                "POST",
                &format!("{api}/exchange/{id}/end"),
                Some(&tokens[0]),
                None,
                None
            )
            .status,
            204,
            "{name}"
        );
        let r = sync(b);
        assert_eq!(r[0]["state"], "ended", "{name}: {r}");
        drop(served);
        let log = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async { open_store(b).await.audit_log(500).await.unwrap() });
        for action in [
            "exchange.read",
            "exchange.approve",
            "exchange.end",
            "suppression.read",
            "suppression.add",
            "suppression.remove",
        ] {
            assert!(
                log.iter().any(|e| e.action == action),
                "{name}: {action} audited"
            );
        }
    }
}
