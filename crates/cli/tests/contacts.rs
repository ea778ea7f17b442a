//! End-to-end tests of contact history and scores on both stores: the demo's contact
//! exports imported a second time change nothing; a file with bad rows or unknown voters
//! is refused whole with a rejects file; `POST /api/v1/contacts` honours
//! `Idempotency-Key`; the timeline shows the contact; `score train` gives the same model
//! for the same seed with an AUC well above chance; and `universe count` with tag,
//! contact, survey and score clauses agrees with a brute-force computation from the
//! exported files and the stored scores on random expressions.

mod common;

use chrono::{Days, NaiveDate, NaiveDateTime, Utc};
use common::{Backend, hidden_field, http, postgres_url, serve, sign_in};
use predicates::str::contains;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

fn stdout(b: &Backend, args: &[&str]) -> String {
    let out = b.cmd(args).assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

fn json(b: &Backend, args: &[&str]) -> serde_json::Value {
    let text = stdout(b, args);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// What the brute force knows about one voter.
#[derive(Default, Debug)]
struct Facts {
    tags: HashSet<String>,
    /// (channel, day, reached)
    contacts: Vec<(String, NaiveDate, bool)>,
    support: Option<i64>,
    score: Option<i64>,
}

fn csv_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn norm_tag(t: &str) -> String {
    t.trim().to_lowercase().replace(' ', "-")
}

/// Reads the demo's two exports the way the mappings describe them, independently of
/// the importer.
fn facts_from_files(dir: &Path) -> HashMap<String, Facts> {
    let mut all: HashMap<String, Facts> = HashMap::new();
    for row in csv_rows(&dir.join("canvass.csv")) {
        let f = all.entry(row["StateFileID"].clone()).or_default();
        let channel = match row["ContactTypeName"].as_str() {
            "Walk" => "door",
            "Phone" => "phone",
            "Digital" => "ad",
            other => panic!("channel {other}"),
        };
        let at = NaiveDateTime::parse_from_str(&row["DateCanvassed"], "%m/%d/%Y %H:%M").unwrap();
        let reached = matches!(row["ResultShortName"].as_str(), "Canvassed" | "Refused");
        f.contacts.push((channel.into(), at.date(), reached));
        if !row["SupportID"].is_empty() {
            f.support = Some(row["SupportID"].parse().unwrap());
        }
        for t in row["ActivistCodes"].split(';').filter(|t| !t.is_empty()) {
            f.tags.insert(norm_tag(t));
        }
    }
    for row in csv_rows(&dir.join("texts.csv")) {
        let f = all.entry(row["contact[external_id]"].clone()).or_default();
        let at = NaiveDateTime::parse_from_str(&row["sentAt"], "%Y-%m-%d %H:%M:%S").unwrap();
        let reached = row["contact[messageStatus]"] == "convo";
        f.contacts.push(("text".into(), at.date(), reached));
        if !row["question[support]"].is_empty() {
            f.support = Some(row["question[support]"].parse().unwrap());
        }
        for t in row["tags"].split(';').filter(|t| !t.is_empty()) {
            f.tags.insert(norm_tag(t));
        }
    }
    all
}

/// Stored support scores, read with the database's own client.
fn stored_scores(b: &Backend) -> HashMap<String, i64> {
    let sql =
        "SELECT state_voter_id || ',' || value FROM voter_scores WHERE score_name = 'support'";
    let out = if b.name == "sqlite" {
        std::process::Command::new("sqlite3")
            .arg(b.path("data").join("default.sqlite3"))
            .arg(sql)
            .output()
            .unwrap()
    } else {
        let org = &b.args[3];
        std::process::Command::new("psql")
            .args([
                &postgres_url(),
                "-qtAc",
                &format!("SET search_path TO vb_{org}; {sql}"),
            ])
            .output()
            .unwrap()
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(','))
        .map(|(id, v)| (id.to_string(), v.trim().parse().unwrap()))
        .collect()
}

/// One clause of the brute force.
#[derive(Clone, Debug)]
enum Clause {
    Tag(&'static str),
    Contacted(&'static str, NaiveDate, Option<NaiveDate>),
    Reached(&'static str, NaiveDate, Option<NaiveDate>),
    Support(i64, i64),
    Score(i64),
}

impl Clause {
    fn text(&self) -> String {
        let range = |lo: &NaiveDate, hi: &Option<NaiveDate>| match hi {
            Some(h) => format!("{lo}..{h}"),
            None => format!("{lo}.."),
        };
        match self {
            Clause::Tag(t) => format!("tag:{t}"),
            Clause::Contacted(c, lo, hi) => format!("contacted:{c}:{}", range(lo, hi)),
            Clause::Reached(c, lo, hi) => format!("reached:{c}:{}", range(lo, hi)),
            Clause::Support(lo, hi) => format!("survey:support:{lo}..{hi}"),
            Clause::Score(n) => format!("support>={n}"),
        }
    }

    fn holds(&self, f: Option<&Facts>) -> bool {
        let Some(f) = f else { return false };
        let within = |c: &str, d: &NaiveDate, lo: &NaiveDate, hi: &Option<NaiveDate>, ch: &str| {
            (c == "any" || c == ch) && d >= lo && hi.is_none_or(|h| *d <= h)
        };
        match self {
            Clause::Tag(t) => f.tags.contains(*t),
            Clause::Contacted(c, lo, hi) => {
                f.contacts.iter().any(|(ch, d, _)| within(c, d, lo, hi, ch))
            }
            Clause::Reached(c, lo, hi) => f
                .contacts
                .iter()
                .any(|(ch, d, r)| *r && within(c, d, lo, hi, ch)),
            Clause::Support(lo, hi) => f.support.is_some_and(|s| (*lo..=*hi).contains(&s)),
            Clause::Score(n) => f.score.is_some_and(|s| s >= *n),
        }
    }
}

fn clause_pool() -> Vec<Clause> {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let thirty = Utc::now().date_naive() - Days::new(30);
    vec![
        Clause::Tag("volunteer-prospect"),
        Clause::Tag("yard-sign"),
        Clause::Contacted("door", d(10, 15), None),
        Clause::Contacted("door", thirty, None),
        Clause::Contacted("phone", d(9, 10), Some(d(10, 20))),
        Clause::Contacted("text", d(9, 1), None),
        Clause::Contacted("any", d(10, 25), None),
        Clause::Contacted("ad", d(9, 20), Some(d(10, 10))),
        Clause::Reached("door", d(9, 1), None),
        Clause::Reached("any", d(10, 1), Some(d(10, 31))),
        Clause::Support(1, 2),
        Clause::Support(5, 5),
        Clause::Score(70),
        Clause::Score(40),
    ]
}

#[test]
fn contacts_scores_and_universes_on_both_stores() {
    for b in Backend::all("contacts") {
        eprintln!("--- {}", b.name);
        b.cmd(&["demo", "--voters", "3000", "--seed", "5", "--no-serve"])
            .assert()
            .success()
            .stdout(contains("contact history:"))
            .stdout(contains("support score: trained on"));
        // Demo files go under --data (SQLite) or the default ./votebase-data (PostgreSQL).
        let data = b.path(if b.name == "sqlite" {
            "data"
        } else {
            "votebase-data"
        });
        let dir = data.join("demo-files").join("contacts");

        // A second import of the same files changes nothing.
        for (file, mapping) in [("canvass.csv", "van-canvass"), ("texts.csv", "spoke-texts")] {
            let again = json(
                &b,
                &[
                    "import",
                    "contacts",
                    dir.join(file).to_str().unwrap(),
                    "--mapping",
                    mapping,
                    "--json",
                ],
            );
            assert_eq!(again["inserted"], 0, "{file}: {again}");
            assert_eq!(again["unchanged"], again["read"], "{file}: {again}");
            assert!(again["read"].as_i64().unwrap() > 100);
        }

        // Universe counts with contact, tag, survey and score clauses against a brute force.
        let mut facts = facts_from_files(&dir);
        for (id, s) in stored_scores(&b) {
            facts.entry(id).or_default().score = Some(s);
        }
        let export = stdout(
            &b,
            &[
                "universe",
                "export",
                "",
                "--include-voted",
                "--include-suppressed",
            ],
        );
        let voters: Vec<String> = export
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        assert!(voters.len() > 2900, "{} voters", voters.len());
        let scored = voters
            .iter()
            .filter(|v| facts.get(*v).is_some_and(|f| f.score.is_some()))
            .count();
        assert_eq!(
            scored,
            voters.len(),
            "every voter of the latest snapshot is scored"
        );
        let pool = clause_pool();
        let mut seed: u64 = 0x5eed;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as usize) % n
        };
        let mut exprs: Vec<Vec<(bool, Clause)>> =
            pool.iter().map(|c| vec![(false, c.clone())]).collect();
        for _ in 0..25 {
            let k = 1 + next(4);
            exprs.push(
                (0..k)
                    .map(|_| (next(4) == 0, pool[next(pool.len())].clone()))
                    .collect(),
            );
        }
        let mut nonzero = 0;
        for e in &exprs {
            let text = e
                .iter()
                .map(|(neg, c)| format!("{}{}", if *neg { "!" } else { "" }, c.text()))
                .collect::<Vec<_>>()
                .join(" ");
            let expected = voters
                .iter()
                .filter(|v| e.iter().all(|(neg, c)| c.holds(facts.get(*v)) != *neg))
                .count();
            let got = json(
                &b,
                &[
                    "universe",
                    "count",
                    &text,
                    "--include-voted",
                    "--include-suppressed",
                    "--json",
                ],
            );
            assert_eq!(
                got["count"].as_u64().unwrap() as usize,
                expected,
                "{} {text}",
                b.name
            );
            if expected > 0 {
                nonzero += 1;
            }
        }
        assert!(nonzero > exprs.len() / 2, "most expressions select someone");

        // Scores: same seed, same model; AUC well above chance on demo-like data.
        let train = |seed: &str| {
            let mut v = json(
                &b,
                &[
                    "score",
                    "train",
                    "--target",
                    "survey:support",
                    "--name",
                    "support2",
                    "--seed",
                    seed,
                    "--json",
                ],
            );
            v.as_object_mut().unwrap().remove("seconds");
            v
        };
        let first = train("9");
        assert_eq!(first, train("9"), "same seed, same model");
        assert_ne!(
            first["auc"],
            train("10")["auc"],
            "another seed holds out other voters"
        );
        let auc = first["auc"].as_f64().unwrap();
        assert!(auc > 0.7, "AUC {auc}");
        assert_eq!(first["calibration"].as_array().unwrap().len(), 10);
        let applied = json(&b, &["score", "apply", "--name", "support2", "--json"]);
        assert_eq!(applied["voters"].as_u64().unwrap() as usize, voters.len());
        b.cmd(&["score", "apply", "--name", "nope"])
            .assert()
            .failure()
            .stderr(contains("no model named \"nope\""));
        b.cmd(&[
            "score",
            "train",
            "--target",
            "survey:colour=1",
            "--name",
            "x",
        ])
        .assert()
        .failure()
        .stderr(contains("no survey question \"colour\""));

        rejects_and_api(&b, &voters);
    }
}

fn rejects_and_api(b: &Backend, voters: &[String]) {
    let (v1, v2) = (&voters[0], &voters[1]);
    let header = "ContactHistoryID,StateFileID,ContactTypeName,DateCanvassed,CanvassedBy,ResultShortName,SupportID,ActivistCodes\n";
    // Bad rows: the whole file is refused, rejects say line and reason.
    let bad = b.path("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}T1,{v1},Walk,10/02/2026 17:30,zoe,Canvassed,2,Volunteer Prospect\n\
             T2,{v1},Fax,10/02/2026 17:31,zoe,Canvassed,,\n\
             T3,{v2},Phone,10/02/2026 17:32,zoe,Canvassed,7,\n\
             T4,{v2},Phone,yesterday,zoe,Not Home,,\n"
        ),
    )
    .unwrap();
    b.cmd(&["import", "contacts", bad.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(contains("3 of 4 rows rejected"))
        .stderr(contains("nothing was imported"));
    let rejects = std::fs::read_to_string(b.path("bad.csv.rejects.csv")).unwrap();
    let lines: BTreeSet<&str> = rejects
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(lines, BTreeSet::from(["3", "4", "5"]), "{rejects}");
    assert!(
        rejects.contains("Fax\"\" is not door, phone, text or ad"),
        "{rejects}"
    );
    assert!(rejects.contains("outside 1–5"), "{rejects}");
    assert!(rejects.contains("matches none of the formats"), "{rejects}");
    // An unknown voter: refused whole too.
    let unknown = b.path("unknown.csv");
    std::fs::write(
        &unknown,
        format!(
            "{header}T1,{v1},Walk,10/02/2026 17:30,zoe,Canvassed,2,Volunteer Prospect\n\
             T5,ZZ99999999,Walk,10/02/2026 17:35,zoe,Not Home,,\n"
        ),
    )
    .unwrap();
    b.cmd(&["import", "contacts", unknown.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(contains("1 of 2 rows rejected"));
    let rejects = std::fs::read_to_string(b.path("unknown.csv.rejects.csv")).unwrap();
    assert!(
        rejects.contains("3,state_voter_id")
            && rejects.contains("ZZ99999999 is not in the voter file"),
        "{rejects}"
    );
    // The good row was not written by either refused file: it is new now.
    let good = b.path("good.csv");
    std::fs::write(
        &good,
        format!("{header}T1,{v1},Walk,10/02/2026 17:30,zoe,Canvassed,2,Volunteer Prospect\n"),
    )
    .unwrap();
    let ok = json(b, &["import", "contacts", good.to_str().unwrap(), "--json"]);
    assert_eq!(
        (ok["inserted"].as_i64(), ok["answers"].as_i64()),
        (Some(1), Some(1)),
        "{ok}"
    );

    // The API: idempotency keys, role checks, the timeline.
    for (name, role) in [("ada", "admin"), ("val", "volunteer"), ("obs", "observer")] {
        b.cmd(&["user", "add", name, "--role", role])
            .write_stdin("a long password 1\n")
            .assert()
            .success();
    }
    let token = |name: &str| stdout(b, &["token", "create", name]).trim().to_string();
    let (ada, val, obs) = (token("ada"), token("val"), token("obs"));
    let server = serve(b);
    let api = format!("{}/api/v1", server.base);
    let post = |token: &str, key: Option<&str>, body: &str| {
        let mut req = http()
            .post(&format!("{api}/contacts"))
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json");
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let mut resp = req.send(body).unwrap();
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap(),
        )
    };
    let body = format!(
        r#"{{"state_voter_id":"{v2}","channel":"door","result":"reached","contacted_at":"2026-10-05T18:20:00","answers":{{"support":"1"}},"tags":["Yard Sign"]}}"#
    );
    let (s1, b1) = post(&val, Some("knock-1"), &body);
    assert_eq!(s1, 201, "{b1}");
    let reply: serde_json::Value = serde_json::from_str(&b1).unwrap();
    assert_eq!(reply["created"], true);
    assert_eq!(reply["event"]["canvasser"], "val");
    assert_eq!(reply["event"]["tags"][0], "yard-sign");
    assert_eq!(reply["event"]["source_event_id"], "knock-1");
    let (s2, b2) = post(&val, Some("knock-1"), &body);
    assert_eq!((s2, &b2), (201, &b1), "a retry gets the same stored answer");
    let (s3, b3) = post(&val, Some("knock-1"), &body.replace("\"1\"", "\"2\""));
    assert_eq!(s3, 422, "{b3}");
    assert!(b3.contains("\"idempotency_key_reused\""), "{b3}");
    let (s4, b4) = post(&val, None, &body.replace("\"1\"", "\"9\""));
    assert_eq!(s4, 400, "{b4}");
    assert!(b4.contains("outside 1–5"), "{b4}");
    let (s5, _) = post(&obs, Some("k-obs"), &body);
    assert_eq!(s5, 403, "observers cannot record contacts");
    let (s6, b6) = post(&ada, None, &body.replace(v2.as_str(), "ZZ99999999"));
    assert_eq!(s6, 404, "{b6}");
    // The same source event through another key: already recorded, not duplicated.
    let (s7, b7) = post(
        &ada,
        Some("other-key"),
        &body.replace("\"tags\"", "\"source_event_id\":\"knock-1\",\"tags\""),
    );
    assert_eq!(s7, 200, "{b7}");
    assert!(b7.contains("\"created\":false"), "{b7}");

    let mut resp = http()
        .get(&format!("{api}/voters/{v2}/timeline"))
        .header("Authorization", &format!("Bearer {ada}"))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let timeline: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    let entries = timeline["entries"].as_array().unwrap();
    let kinds: HashSet<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains("contact") && kinds.contains("survey") && kinds.contains("tag"),
        "{kinds:?}"
    );
    assert!(kinds.contains("voter_file"), "{kinds:?}");
    let knocks = entries
        .iter()
        .filter(|e| e["kind"] == "contact" && e["detail"].as_str().unwrap().contains("api knock-1"))
        .count();
    assert_eq!(knocks, 1, "recorded once");
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(
        timeline["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "yard-sign")
    );
    // The voter page shows the same single timeline.
    let page = voter_page(&server.base, v2);
    assert!(page.contains("<table id=\"timeline\">"), "{page}");
    assert!(
        page.contains("door: reached") && page.contains("support: 1"),
        "{page}"
    );
    assert!(
        page.contains("Tagged yard-sign") && page.contains("Vote history"),
        "{page}"
    );
    let mut resp = http()
        .get(&format!("{api}/voters/{v2}/timeline"))
        .header("Authorization", &format!("Bearer {val}"))
        .call()
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        403,
        "{}",
        resp.body_mut().read_to_string().unwrap()
    );
    contact_form(b, &server.base, &ada, v1);
}

/// Signs in as `ada` through the login form and returns the voter page's HTML.
fn voter_page(base: &str, id: &str) -> String {
    let session = sign_in(base, "ada");
    let (status, page) = get_page(base, &session, &format!("/voters/{id}"));
    assert_eq!(status, 200, "{page}");
    page
}

/// GETs a page with a session cookie: (status, HTML).
fn get_page(base: &str, session: &str, path: &str) -> (u16, String) {
    let mut page = http()
        .get(&format!("{base}{path}"))
        .header("Cookie", session)
        .call()
        .unwrap();
    (
        page.status().as_u16(),
        page.body_mut().read_to_string().unwrap(),
    )
}

/// POSTs a form with a session cookie: (status, Location header, body).
fn post_form(
    base: &str,
    session: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let mut resp = http()
        .post(&format!("{base}{path}"))
        .header("Cookie", session)
        .send_form(form.iter().copied())
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        resp.status().as_u16(),
        location,
        resp.body_mut().read_to_string().unwrap(),
    )
}

/// The voter page's "Record a contact" form: signed in through /login, CSRF-checked,
/// recorded once however often the same form is posted, errors re-shown on the page,
/// audited; roles without `RecordContacts` get no form and a 403.
fn contact_form(b: &Backend, base: &str, admin_token: &str, voter: &str) {
    let ada = sign_in(base, "ada");
    let (status, page) = get_page(base, &ada, &format!("/voters/{voter}"));
    assert_eq!(status, 200, "{page}");
    let action = format!("<form method=\"post\" action=\"/voters/{voter}/contacts\"");
    assert!(page.contains(&action), "{page}");
    let csrf = hidden_field(&page, "csrf");
    let token = hidden_field(&page, "form_token");
    let marker = format!("web form-{token}");
    assert!(!page.contains(&marker));
    let path = format!("/voters/{voter}/contacts");
    let form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("form_token", &token),
        ("channel", "phone"),
        ("result", "left_message"),
        ("support", "3"),
        ("tags", "Phone Bank, call back ,"),
    ];
    // Without the CSRF token: refused, nothing recorded.
    let no_csrf: Vec<(&str, &str)> = form.iter().copied().filter(|(k, _)| *k != "csrf").collect();
    let (s, _, body) = post_form(base, &ada, &path, &no_csrf);
    assert_eq!(s, 403, "{body}");
    // Bad input: the page again, with the message and the values given.
    let bad: Vec<(&str, &str)> = form
        .iter()
        .map(|&(k, v)| if k == "result" { (k, "") } else { (k, v) })
        .collect();
    let (s, _, body) = post_form(base, &ada, &path, &bad);
    assert_eq!(s, 400, "{body}");
    assert!(
        body.contains("choose a result") && body.contains("id=\"contact-form\""),
        "{body}"
    );
    assert!(body.contains("value=\"Phone Bank, call back ,\""), "{body}");
    assert_eq!(
        hidden_field(&body, "form_token"),
        token,
        "the same form, the same token"
    );
    // Posted twice (a double click): recorded once, back to the voter page.
    for _ in 0..2 {
        let (s, location, body) = post_form(base, &ada, &path, &form);
        assert_eq!(
            (s, location.as_str()),
            (303, format!("/voters/{voter}#timeline").as_str()),
            "{body}"
        );
    }
    let (_, page) = get_page(base, &ada, &format!("/voters/{voter}"));
    assert_eq!(page.matches(&marker).count(), 1, "recorded once: {page}");
    assert!(page.contains("phone: left message"), "{page}");
    assert!(page.contains("support: 3"), "{page}");
    assert!(
        page.contains("Tagged phone-bank") && page.contains("Tagged call-back"),
        "{page}"
    );
    assert!(page.contains("by ada"), "{page}");
    assert_ne!(
        hidden_field(&page, "form_token"),
        token,
        "a new form gets a new token"
    );
    // The API sees the same single event; the recording is audited like the API's.
    let mut resp = http()
        .get(&format!("{base}/api/v1/voters/{voter}/timeline"))
        .header("Authorization", &format!("Bearer {admin_token}"))
        .call()
        .unwrap();
    let timeline = resp.body_mut().read_to_string().unwrap();
    assert_eq!(timeline.matches(&marker).count(), 1, "{timeline}");
    let mut resp = http()
        .get(&format!("{base}/api/v1/audit?limit=500"))
        .header("Authorization", &format!("Bearer {admin_token}"))
        .call()
        .unwrap();
    let log: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    let recorded: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"] == "contact.record"
                && e["actor"] == "ada"
                && e["subject"] == voter
                && e.to_string().contains(&format!("form-{token}"))
        })
        .collect();
    assert_eq!(recorded.len(), 2, "{}: both posts audited: {log}", b.name);
    // An observer (no RecordContacts, no voter pages): no page, no form, 403 on POST
    // even with a valid CSRF token.
    let obs = sign_in(base, "obs");
    let (s, page) = get_page(base, &obs, &format!("/voters/{voter}"));
    assert_eq!(s, 403, "{page}");
    assert!(!page.contains("contact-form"));
    let (s, page) = get_page(base, &obs, "/incidents/new");
    assert_eq!(s, 200, "{page}");
    let obs_csrf = hidden_field(&page, "csrf");
    let obs_form: Vec<(&str, &str)> = form
        .iter()
        .map(|&(k, v)| {
            if k == "csrf" {
                (k, obs_csrf.as_str())
            } else {
                (k, v)
            }
        })
        .collect();
    let (s, _, body) = post_form(base, &obs, &path, &obs_form);
    assert_eq!(s, 403, "{body}");
}
