//! End-to-end tests of election-night reporting through the CLI and the HTTP API, on
//! SQLite and PostgreSQL: setup from a definition and a roster (bad rosters go to a
//! rejects file), chair codes and sign-in, validation errors a chair understands, an
//! idempotent retry, a correction as a new version, hotline double entry that disagrees,
//! a third check, public feeds, reconciliation, readiness, and a projection rebuilt from
//! the log equal to the live one.

mod common;

use common::{Backend, http, serve};
use predicates::str::contains;
use serde_json::{Value, json};

const DEFINITION: &str = r#"
slug = "ia-test"
name = "Test County caucus"
date = "2020-02-03"
double_entry = false

[[contests]]
key = "president"
office = "President"
party = "DEM"
kind = "caucus"
candidates = ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"]

[[contests]]
key = "senate"
office = "U.S. Senate"
party = "DEM"
kind = "votes"
candidates = ["Greenfield", "Franken"]
"#;

const ROSTER: &str = "id,county,name,delegates,sde,history_turnout\n\
P1,Adair,4SE ORIENT,10,0.7843,40\n\
P2,Adair,GREENFIELD,4,0.5,20\n\
P3,Adams,CORNING,2,0.25,\n";

struct Reply {
    status: u16,
    body: Value,
    text: String,
    replayed: bool,
}

fn send(method: &str, url: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
    let agent = http();
    let mut resp = match (method, body) {
        ("GET", _) => {
            let mut r = agent.get(url);
            if let Some(t) = token {
                r = r.header("Authorization", &format!("Bearer {t}"));
            }
            r.call().expect("request")
        }
        (_, b) => {
            let mut r = agent.post(url).header("Content-Type", "application/json");
            if let Some(t) = token {
                r = r.header("Authorization", &format!("Bearer {t}"));
            }
            r.send(b.map(|b| b.to_string()).unwrap_or_default())
                .expect("request")
        }
    };
    let replayed = resp
        .headers()
        .get("x-votebase-replayed")
        .is_some_and(|v| v == "true");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
        replayed,
    }
}

fn caucus(
    client_id: &str,
    precinct: &str,
    sizes: [u32; 5],
    delegates: Option<[u32; 5]>,
    reason: Option<&str>,
) -> Value {
    let names = ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"];
    let groups: Vec<Value> = (0..5)
        .filter(|&i| sizes[i] > 0)
        .map(|i| {
            let mut g = json!({"candidate": names[i], "first": sizes[i], "final": sizes[i]});
            if let Some(d) = delegates {
                g["delegates"] = json!(d[i]);
            }
            g
        })
        .collect();
    json!({
        "client_id": client_id, "election": "ia-test", "precinct": precinct,
        "contest": "president", "reason": reason,
        "result": {"caucus": {"attendees": sizes.iter().sum::<u32>(), "groups": groups}}
    })
}

fn delegates_of(receipt: &Value) -> Vec<u64> {
    receipt["check"]["delegates"]
        .as_array()
        .expect("delegates")
        .iter()
        .map(|d| d["delegates"].as_u64().unwrap())
        .collect()
}

fn token_for(b: &Backend, name: &str, role: &str) -> String {
    b.cmd(&["user", "add", name, "--role", role])
        .write_stdin("a long password 1\n")
        .assert()
        .success();
    let out = b.cmd(&["token", "create", name]).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

fn setup(b: &Backend) -> Vec<(String, String)> {
    std::fs::write(b.path("caucus.toml"), DEFINITION).unwrap();
    // A roster with a bad row: nothing is set up and the row goes to the rejects file.
    std::fs::write(
        b.path("bad.csv"),
        format!("{ROSTER}P4,Adams,NODAK,two,0.1,\n"),
    )
    .unwrap();
    b.cmd(&["results", "setup", "caucus.toml", "--precincts", "bad.csv"])
        .assert()
        .failure()
        .stderr(contains("line 5"))
        .stderr(contains("delegates \"two\" is not a number"));
    let rejects = std::fs::read_to_string(b.path("bad.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("5,"), "{rejects}");
    b.cmd(&["results", "status", "ia-test"]).assert().failure();

    std::fs::write(b.path("roster.csv"), ROSTER).unwrap();
    b.cmd(&[
        "results",
        "setup",
        "caucus.toml",
        "--precincts",
        "roster.csv",
    ])
    .assert()
    .success()
    .stdout(contains("2 contests, 3 precincts"));
    // Again: unchanged, fine.
    b.cmd(&[
        "results",
        "setup",
        "caucus.toml",
        "--precincts",
        "roster.csv",
    ])
    .assert()
    .success();
    b.cmd(&["results", "codes", "ia-test", "--out", "codes.csv"])
        .assert()
        .success()
        .stdout(contains("3 chair codes"));
    let mut r = csv::Reader::from_path(b.path("codes.csv")).unwrap();
    r.records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[3].to_string())
        })
        .collect()
}

#[test]
fn reporting_end_to_end_on_both_stores() {
    for b in Backend::all("results_reporting") {
        eprintln!("reporting on {}", b.name);
        let codes = setup(&b);
        assert_eq!(codes.len(), 3);
        let code = |p: &str| codes.iter().find(|(id, _)| id == p).unwrap().1.clone();
        let hotline = token_for(&b, "hank", "hotline_operator");
        let admin = token_for(&b, "ada", "admin");
        let organizer = token_for(&b, "ola", "organizer");
        let server = serve(&b);
        let api = format!("{}/api/v1/results", server.base);

        // Sign-in: a wrong code is refused; the code works typed loosely.
        let bad = send(
            "POST",
            &format!("{api}/ia-test/sign-in"),
            None,
            Some(&json!({"code": "AAAA-BBBB-CCCC"})),
        );
        assert_eq!(bad.status, 401, "{}", b.name);
        let loose = code("P1").to_lowercase().replace('-', " ");
        let chair = send(
            "POST",
            &format!("{api}/ia-test/sign-in"),
            None,
            Some(&json!({"code": loose})),
        );
        assert_eq!(chair.status, 200, "{}", chair.text);
        assert_eq!(chair.body["precinct"], "P1");
        let t1 = chair.body["token"].as_str().unwrap().to_string();
        let t2 = send(
            "POST",
            &format!("{api}/ia-test/sign-in"),
            None,
            Some(&json!({"code": code("P2")})),
        )
        .body["token"]
            .as_str()
            .unwrap()
            .to_string();

        // Adair 4SE ORIENT as the party published it: kept, needs correction, in words.
        let submit = format!("{api}/submissions");
        let wrong = caucus(
            "orient-1",
            "P1",
            [7, 6, 6, 6, 9],
            Some([2, 2, 2, 1, 3]),
            None,
        );
        let first = send("POST", &submit, Some(&t1), Some(&wrong));
        assert_eq!(first.status, 201, "{}", first.text);
        assert_eq!(first.body["check"]["status"], "needs_correction");
        assert!(
            first.text.contains("By the rules the delegates are"),
            "{}",
            first.text
        );
        assert_eq!(first.body["version"], 1);
        // The retry: the very same receipt, nothing new.
        let retry = send("POST", &submit, Some(&t1), Some(&wrong));
        assert_eq!(retry.status, 200);
        assert!(retry.replayed);
        assert_eq!(retry.body, first.body);
        // The same id with other numbers is refused.
        let reused = send(
            "POST",
            &submit,
            Some(&t1),
            Some(&caucus("orient-1", "P1", [7, 6, 6, 6, 8], None, None)),
        );
        assert_eq!(reused.status, 400);
        assert!(reused.text.contains("already used"), "{}", reused.text);
        // A precinct not in the roster, and another precinct's chair.
        let mut stray = caucus("stray-1", "P9", [7, 6, 6, 6, 9], None, None);
        let hot_stray = send("POST", &submit, Some(&hotline), Some(&stray));
        assert_eq!(hot_stray.status, 400);
        assert!(
            hot_stray.text.contains("not in the roster"),
            "{}",
            hot_stray.text
        );
        stray["precinct"] = json!("P2");
        assert_eq!(send("POST", &submit, Some(&t1), Some(&stray)).status, 403);
        // No token, an organizer's token.
        assert_eq!(send("POST", &submit, None, Some(&wrong)).status, 401);
        assert_eq!(
            send("POST", &submit, Some(&organizer), Some(&stray)).status,
            403
        );
        // Final larger than the first, in words.
        let mut grew = caucus("p3-1", "P3", [3, 3, 0, 0, 0], None, None);
        grew["result"]["caucus"]["groups"][0]["final"] = json!(5);
        let t3 = send(
            "POST",
            &format!("{api}/ia-test/sign-in"),
            None,
            Some(&json!({"code": code("P3")})),
        )
        .body["token"]
            .as_str()
            .unwrap()
            .to_string();
        let grew = send("POST", &submit, Some(&t3), Some(&grew));
        assert!(
            grew.text
                .contains("nobody can join after the first alignment"),
            "{}",
            grew.text
        );

        // Preview computes the delegates without storing.
        let pv = send(
            "POST",
            &format!("{api}/preview"),
            Some(&t1),
            Some(&caucus("x", "P1", [7, 6, 6, 6, 9], None, None)),
        );
        assert_eq!(
            delegates_of(&json!({"check": pv.body})),
            vec![2, 2, 2, 2, 2]
        );

        // Public feed: P1 not published yet.
        let feed = send("GET", &format!("{api}/ia-test/results.json"), None, None);
        assert_eq!(
            feed.body["contests"][0]["precincts_reporting"], 0,
            "{}",
            feed.text
        );

        // The correction: version 2, published with the rules' delegates.
        let fixed = send(
            "POST",
            &submit,
            Some(&t1),
            Some(&caucus(
                "orient-2",
                "P1",
                [7, 6, 6, 6, 9],
                None,
                Some("delegates by the rules"),
            )),
        );
        assert_eq!(fixed.status, 201);
        assert_eq!(fixed.body["version"], 2);
        assert_eq!(fixed.body["check"]["status"], "accepted");
        assert_eq!(delegates_of(&fixed.body), vec![2, 2, 2, 2, 2]);
        let receipts = send("GET", &format!("{api}/ia-test/receipts"), Some(&t1), None);
        assert_eq!(receipts.body.as_array().unwrap().len(), 2);

        // Hotline double entry for P2 that disagrees with the chair: flagged, not published.
        let c2 = send(
            "POST",
            &submit,
            Some(&t2),
            Some(&caucus("gf-1", "P2", [5, 5, 0, 10, 0], None, None)),
        );
        assert_eq!(c2.body["check"]["status"], "accepted", "{}", c2.text);
        let h2 = send(
            "POST",
            &submit,
            Some(&hotline),
            Some(&caucus("hot-gf-1", "P2", [5, 5, 0, 9, 1], None, None)),
        );
        assert_eq!(h2.status, 201, "{}", h2.text);
        assert_eq!(h2.body["channel"], "hotline");
        let history = send("GET", &format!("{api}/ia-test/precincts/P2"), None, None);
        assert_eq!(
            history.body[0]["status"], "disagreement",
            "{}",
            history.text
        );
        assert!(
            !history.text.contains("hank"),
            "public history must not name operators"
        );
        let recon = send(
            "GET",
            &format!("{api}/ia-test/reconciliation"),
            Some(&admin),
            None,
        );
        assert_eq!(recon.status, 200);
        let p2 = recon
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["precinct"] == "P2" && r["contest"] == "president")
            .unwrap()
            .clone();
        assert_eq!(p2["status"], "disagreement");
        assert!(
            p2["chair_entry"]
                .as_str()
                .unwrap()
                .contains("Sanders 10→10")
        );
        assert!(
            p2["hotline_entry"]
                .as_str()
                .unwrap()
                .contains("Sanders 9→9")
        );
        assert_eq!(
            send(
                "GET",
                &format!("{api}/ia-test/reconciliation"),
                Some(&hotline),
                None
            )
            .status,
            403
        );
        b.cmd(&["results", "status", "ia-test"])
            .assert()
            .success()
            .stdout(contains("1 of 3 precincts reporting"))
            .stdout(contains("flagged P2 / president"));
        // The third check (results staff) settles it from the worksheet.
        let check = send(
            "POST",
            &format!("{submit}?channel=check"),
            Some(&admin),
            Some(&caucus(
                "check-gf-1",
                "P2",
                [5, 5, 0, 10, 0],
                None,
                Some("worksheet photo"),
            )),
        );
        assert_eq!(check.body["channel"], "check", "{}", check.text);
        assert_eq!(
            send(
                "POST",
                &format!("{submit}?channel=check"),
                Some(&hotline),
                Some(&caucus("check-gf-2", "P2", [5, 5, 0, 10, 0], None, None))
            )
            .status,
            403
        );

        // A primary contest with votes by type.
        let votes = json!({"client_id": "sen-1", "election": "ia-test", "precinct": "P1", "contest": "senate",
            "result": {"votes": {"ballots_cast": 40, "counts": [
                {"candidate": "Greenfield", "vote_type": "election_day", "votes": 20},
                {"candidate": "Greenfield", "vote_type": "absentee", "votes": 5},
                {"candidate": "Franken", "vote_type": "early", "votes": 12}]}}});
        let v = send("POST", &submit, Some(&t1), Some(&votes));
        assert_eq!(v.body["check"]["status"], "accepted", "{}", v.text);

        // Worksheet photo.
        let photo = http()
            .post(&format!("{api}/ia-test/worksheet?client_id=ws-1"))
            .header("Authorization", &format!("Bearer {t1}"))
            .header("Content-Type", "image/png")
            .send(&b"\x89PNG\r\n\x1a\nfake"[..])
            .expect("upload");
        assert_eq!(photo.status().as_u16(), 201);

        // Feeds: OpenElections columns, precincts reporting, delegates.
        let feed = send("GET", &format!("{api}/ia-test/results.json"), None, None);
        assert_eq!(
            feed.body["contests"][0]["precincts_reporting"], 2,
            "{}",
            feed.text
        );
        let csv = send("GET", &format!("{api}/ia-test/results.csv"), None, None).text;
        assert!(
            csv.starts_with("county,precinct,office,district,party,candidate,votes,"),
            "{csv}"
        );
        assert!(
            csv.contains("Adair,4SE ORIENT,President,,DEM,Sanders,6,,,,,6,2,0.1569"),
            "{csv}"
        );
        assert!(
            csv.contains("Adair,4SE ORIENT,U.S. Senate,,DEM,Greenfield,25,20,0,5,0,,,"),
            "{csv}"
        );
        let page = send(
            "GET",
            &format!("{}/results/ia-test", server.base),
            None,
            None,
        )
        .text;
        assert!(
            page.contains("2</strong> of 3 precincts reporting"),
            "{page}"
        );
        assert!(page.contains("corrected"), "{page}");
        let pp = send(
            "GET",
            &format!("{}/results/ia-test/precincts/P1", server.base),
            None,
            None,
        )
        .text;
        assert!(
            pp.contains("delegates by the rules") && pp.contains("Sanders 2"),
            "{pp}"
        );

        // Readiness: two of three chairs signed in... P3 too; all three.
        let ready = send(
            "GET",
            &format!("{api}/ia-test/readiness"),
            Some(&admin),
            None,
        );
        assert_eq!(
            ready
                .body
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| !r["first_sign_in"].is_null())
                .count(),
            3
        );

        // The projection rebuilt from the log equals the live one.
        let live = send("GET", &format!("{api}/ia-test/results.json"), None, None).body;
        b.cmd(&["results", "rebuild", "ia-test"])
            .assert()
            .success()
            .stdout(contains("identical to the live projection"));
        let rebuilt = send("GET", &format!("{api}/ia-test/results.json"), None, None).body;
        assert_eq!(live["rows"], rebuilt["rows"]);
        assert_eq!(live["precincts"], rebuilt["precincts"]);
        // Setup is frozen once results came in.
        std::fs::write(
            b.path("caucus2.toml"),
            DEFINITION.replace("Test County caucus", "Renamed"),
        )
        .unwrap();
        b.cmd(&[
            "results",
            "setup",
            "caucus2.toml",
            "--precincts",
            "roster.csv",
        ])
        .assert()
        .failure()
        .stderr(contains("can no longer change"));
        b.cmd(&["results", "status", "ia-test", "--json"])
            .assert()
            .success()
            .stdout(contains("\"chairs_signed_in\": 3"));

        // Double entry configured: the chair alone is not published; an agreeing
        // hotline entry publishes it.
        let dbl = DEFINITION
            .replace("ia-test", "ia-dbl")
            .replace("double_entry = false", "double_entry = true");
        std::fs::write(b.path("dbl.toml"), dbl).unwrap();
        b.cmd(&["results", "setup", "dbl.toml", "--precincts", "roster.csv"])
            .assert()
            .success()
            .stdout(contains("double entry required"));
        b.cmd(&[
            "results",
            "codes",
            "ia-dbl",
            "--precinct",
            "P1",
            "--out",
            "dbl.csv",
        ])
        .assert()
        .success()
        .stdout(contains("1 chair codes"));
        let mut r = csv::Reader::from_path(b.path("dbl.csv")).unwrap();
        let dbl_code = r.records().next().unwrap().unwrap()[3].to_string();
        let td = send(
            "POST",
            &format!("{api}/ia-dbl/sign-in"),
            None,
            Some(&json!({"code": dbl_code})),
        )
        .body["token"]
            .as_str()
            .unwrap()
            .to_string();
        let mut entry = caucus("dbl-1", "P1", [7, 6, 6, 6, 9], None, None);
        entry["election"] = json!("ia-dbl");
        assert_eq!(send("POST", &submit, Some(&td), Some(&entry)).status, 201);
        let feed = send("GET", &format!("{api}/ia-dbl/results.json"), None, None).body;
        assert_eq!(feed["contests"][0]["precincts_reporting"], 0);
        assert_eq!(feed["precincts"][0]["status"], "awaiting_second_entry");
        entry["client_id"] = json!("hot-dbl-1");
        // The operator keys the delegates from the worksheet too: they agree with the rules.
        for g in entry["result"]["caucus"]["groups"].as_array_mut().unwrap() {
            g["delegates"] = json!(2);
        }
        assert_eq!(
            send("POST", &submit, Some(&hotline), Some(&entry)).status,
            201
        );
        let feed = send("GET", &format!("{api}/ia-dbl/results.json"), None, None).body;
        assert_eq!(feed["contests"][0]["precincts_reporting"], 1);
        assert_eq!(feed["precincts"][0]["status"], "published");
    }
}

fn form_post(url: &str, form: &[(&str, &str)], cookie: &str) -> (u16, String) {
    let mut resp = http()
        .post(url)
        .header("Cookie", cookie)
        .send_form(form.iter().copied())
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

fn page(url: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = http().get(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let mut resp = req.call().expect("request");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

/// Signs in through the login form; returns the session cookie and its CSRF token.
fn login(base: &str, user: &str) -> (String, String) {
    let mut resp = http()
        .get(&format!("{base}/login"))
        .call()
        .expect("login form");
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vb_login_csrf="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("csrf cookie");
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
    let session = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vb_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("session cookie");
    let (_, home) = page(&format!("{base}/results/ia-test/admin"), Some(&session));
    let at = home.find("name=\"csrf\" value=\"").map(|i| i + 19);
    let csrf = at.map(|i| home[i..i + 64].to_string()).unwrap_or_default();
    (session, csrf)
}

#[test]
fn staff_pages_code_sheet_and_hotline_keying() {
    let b = Backend::sqlite();
    let cli_codes = setup(&b);
    token_for(&b, "ada", "admin");
    token_for(&b, "hank", "hotline_operator");
    let server = serve(&b);
    let base = server.base.clone();

    // Staff pages need a sign-in; public pages do not.
    assert_eq!(page(&format!("{base}/results/ia-test/admin"), None).0, 303);
    let (status, public) = page(&format!("{base}/results/ia-test"), None);
    assert_eq!(status, 200);
    assert!(
        public.contains("0</strong> of 3 precincts reporting"),
        "{public}"
    );
    assert_eq!(page(&format!("{base}/results"), None).0, 200);

    let (session, csrf) = login(&base, "ada");
    let (status, desk) = page(&format!("{base}/results/ia-test/admin"), Some(&session));
    assert_eq!(status, 200, "{desk}");
    assert!(
        desk.contains("0</strong> of 3 chairs have signed in (3 codes issued)"),
        "{desk}"
    );
    assert!(desk.contains("code issued, never signed in"), "{desk}");

    // New codes for P2 through the page: CSRF required; the CLI's old code stops working.
    let url = format!("{base}/results/ia-test/codes");
    assert_eq!(
        form_post(&url, &[("csrf", "x"), ("precincts", "P2")], &session).0,
        403
    );
    let (status, sheet) = form_post(&url, &[("csrf", &csrf), ("precincts", "P2")], &session);
    assert_eq!(status, 200, "{sheet}");
    assert_eq!(sheet.matches("class=\"sheet\"").count(), 1);
    let at = sheet.find("class=\"code\">").unwrap() + 13;
    let new_code = &sheet[at..at + 14];
    let api = format!("{base}/api/v1/results");
    let old = &cli_codes.iter().find(|(p, _)| p == "P2").unwrap().1;
    assert_eq!(
        send(
            "POST",
            &format!("{api}/ia-test/sign-in"),
            None,
            Some(&json!({"code": old}))
        )
        .status,
        401
    );
    let chair = send(
        "POST",
        &format!("{api}/ia-test/sign-in"),
        None,
        Some(&json!({"code": new_code})),
    );
    assert_eq!(chair.status, 200, "{}", chair.text);
    let (_, desk) = page(&format!("{base}/results/ia-test/admin"), Some(&session));
    assert!(
        desk.contains("1</strong> of 3 chairs have signed in"),
        "{desk}"
    );

    // The hotline page, and the API with a browser session: CSRF header required.
    let (hank, hank_csrf) = login(&base, "hank");
    assert!(
        hank_csrf.is_empty(),
        "a hotline operator sees no results desk"
    );
    assert_eq!(
        page(&format!("{base}/results/ia-test/admin"), Some(&hank)).0,
        403
    );
    let (status, keying) = page(&format!("{base}/results/ia-test/hotline"), Some(&hank));
    assert_eq!(status, 200);
    assert!(
        // The page's values sit in data- attributes (HTML-escaped JSON) for its static script.
        keying.contains("&#34;precincts&#34;:[") && keying.contains("GREENFIELD"),
        "{keying}"
    );
    let at = keying.find("data-csrf=\"").unwrap() + 11;
    let hank_page_csrf = keying[at..at + 64].to_string();
    let body = caucus("hk-1", "P2", [5, 5, 0, 10, 0], None, None).to_string();
    let post = |csrf: Option<&str>| {
        let mut r = http()
            .post(&format!("{api}/submissions"))
            .header("Cookie", &hank)
            .header("Content-Type", "application/json");
        if let Some(c) = csrf {
            r = r.header("X-CSRF-Token", c);
        }
        r.send(body.clone()).expect("request").status().as_u16()
    };
    assert_eq!(post(None), 403);
    assert_eq!(post(Some(&hank_page_csrf)), 201);
    let (_, desk) = page(&format!("{base}/results/ia-test/admin"), Some(&session));
    assert!(
        desk.contains("awaiting") || desk.contains("published"),
        "{desk}"
    );
    assert!(desk.contains("Sanders 10→10"), "{desk}");
}
