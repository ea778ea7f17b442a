//! Events end to end on both stores: a Mobilize-style attendance export imported with
//! `votebase events import` (all or nothing with a rejects file, idempotent; known
//! volunteers matched by email, newcomers added), capacity refusing an RSVP, check-in
//! from the command line and the API, the universe clauses `attended:FROM..TO`,
//! `attended:KIND:…`, `rsvp_no_show:N..` and `volunteer_skill:SKILL` over volunteers who
//! are voters, the check-in page by role, and shifts on the voter's timeline.

mod common;
use common::{fails, ok};

use common::{Backend, reply};
use std::collections::HashMap;

fn find_file(dir: &std::path::Path, prefix: &str, found: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            find_file(&p, prefix, found);
        } else if p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        {
            found.push(p);
        }
    }
}

fn count(b: &Backend, expr: &str) -> u64 {
    let out = ok(
        b,
        &[
            "universe",
            "count",
            expr,
            "--include-voted",
            "--include-suppressed",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["count"].as_u64().unwrap()
}

const ATTENDANCE_HEADER: &str = "Event ID,Event Title,Event Type,Organization,Timeslot ID,Timeslot Start,Timeslot End,Capacity,User ID,First Name,Last Name,Email,Status,Attended\n";

#[test]
fn attendance_capacity_check_in_universes_and_timeline() {
    for b in Backend::all("vol_events") {
        ok(
            &b,
            &["demo", "--voters", "3000", "--seed", "5", "--no-serve"],
        );
        ok(&b, &["volunteers", "skills", "add", "event_testing"]);
        // Six active voters of the latest file volunteer (their names and addresses).
        let mut files = Vec::new();
        find_file(b.dir.path(), "ncvoter_", &mut files);
        files.sort();
        let latest = files.last().expect("the demo wrote ncvoter files");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .from_path(latest)
            .unwrap();
        let header = reader.headers().unwrap().clone();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let (first, last, street, zip, status) = (
            col("first_name"),
            col("last_name"),
            col("res_street_address"),
            col("zip_code"),
            col("status_cd"),
        );
        let title = |s: &str| {
            let mut c = s.to_lowercase().chars().collect::<Vec<_>>();
            if let Some(f) = c.first_mut() {
                *f = f.to_ascii_uppercase();
            }
            c.into_iter().collect::<String>()
        };
        let mut volunteers = String::from(
            "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,address\n",
        );
        for (i, row) in reader
            .records()
            .map(|r| r.unwrap())
            .filter(|r| &r[status] == "A")
            .step_by(89)
            .take(6)
            .enumerate()
        {
            let skills = if i < 3 {
                "python:1;event_testing:2"
            } else {
                "python:1"
            };
            volunteers.push_str(&format!(
                "ev{i},{},{},ev{i}@example.org,,{},NC,{skills},2,no,\"{}\"\n",
                title(&row[first]),
                title(&row[last]),
                &row[zip],
                &row[street]
            ));
        }
        std::fs::write(b.path("ev-volunteers.csv"), volunteers).unwrap();
        ok(
            &b,
            &[
                "volunteers",
                "import",
                "ev-volunteers.csv",
                "--zip-centroids",
                common::shared("geo/zcta_2021_census_gazetteer_centroids.csv")
                    .to_str()
                    .unwrap(),
            ],
        );
        let links: serde_json::Value =
            serde_json::from_str(&ok(&b, &["volunteers", "link", "--json"])).unwrap();
        let voter_of: HashMap<String, String> = links["linked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["person"].as_str().unwrap().to_string(),
                    l["state_voter_id"].as_str().unwrap().to_string(),
                )
            })
            .filter(|(p, _)| p.starts_with("ev"))
            .collect();
        assert!(voter_of.len() >= 3, "most volunteers link: {voter_of:?}");
        let linked =
            |ids: &[&str]| ids.iter().filter(|i| voter_of.contains_key(**i)).count() as u64;

        let before = [
            count(&b, "attended:2025-06-01..2025-06-30"),
            count(&b, "rsvp_no_show:2.."),
            count(&b, "volunteer_skill:event_testing"),
        ];
        assert_eq!(before[0], 0);
        assert_eq!(before[2], linked(&["ev0", "ev1", "ev2"]));

        // A bad row: nothing imported, the rejects file says where and why.
        let rows = "501,Canvass Durham,CANVASS,Dems,9001,2025-06-07 14:00,2025-06-07 17:00,3,,,,ev0@example.org,REGISTERED,true\n\
501,Canvass Durham,CANVASS,Dems,9001,2025-06-07 14:00,2025-06-07 17:00,3,,,,ev1@example.org,CONFIRMED,false\n\
501,Canvass Durham,CANVASS,Dems,9002,2025-06-08 14:00,2025-06-08 17:00,,,,,ev1@example.org,REGISTERED,false\n\
501,Canvass Durham,CANVASS,Dems,9002,2025-06-08 14:00,2025-06-08 17:00,,,,,ev2@example.org,REGISTERED,true\n\
501,Canvass Durham,CANVASS,Dems,9001,2025-06-07 14:00,2025-06-07 17:00,3,777,Nia,Obi,nia@example.org,CANCELLED,\n\
502,Phone bank,PHONE_BANK,Dems,9101,2027-01-10 18:00,2027-01-10 20:00,1,,,,ev3@example.org,REGISTERED,\n";
        std::fs::write(
            b.path("bad-attendance.csv"),
            format!("{ATTENDANCE_HEADER}{rows}501,Canvass Durham,CANVASS,Dems,9001,2025-06-07 14:00,,3,,,,ev4@example.org,MAYBE,\n"),
        )
        .unwrap();
        let err = fails(&b, &["events", "import", "bad-attendance.csv"]);
        assert!(err.contains("1 row(s) refused, nothing imported"), "{err}");
        let rejects = std::fs::read_to_string(b.path("bad-attendance.csv.rejects.csv")).unwrap();
        assert!(rejects.contains("8,status,"), "{rejects}");
        assert!(!ok(&b, &["events", "list", "--json"]).contains("mobilize:501"));

        std::fs::write(
            b.path("attendance.csv"),
            format!("{ATTENDANCE_HEADER}{rows}"),
        )
        .unwrap();
        let out = ok(&b, &["events", "import", "attendance.csv"]);
        assert!(
            out.contains("6 rows: 2 events (2 new, 0 updated, 0 unchanged), 1 new people, 6 attendance records"),
            "{out}"
        );
        let out = ok(&b, &["events", "import", "attendance.csv"]);
        assert!(
            out.contains("2 events (0 new, 0 updated, 2 unchanged), 0 new people"),
            "idempotent: {out}"
        );
        let events: serde_json::Value =
            serde_json::from_str(&ok(&b, &["events", "list", "--json"])).unwrap();
        let canvass = events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["external_id"] == "mobilize:501")
            .unwrap();
        assert_eq!(canvass["kind"], "canvass");
        let s9001 = &canvass["shifts"][0];
        assert_eq!(
            (
                s9001["external_id"].as_str(),
                s9001["attended"].as_u64(),
                s9001["no_show"].as_u64()
            ),
            (Some("9001"), Some(1), Some(1)),
            "{canvass}"
        );
        let attendance: serde_json::Value =
            serde_json::from_str(&ok(&b, &["events", "attendance", "mobilize:501", "--json"]))
                .unwrap();
        let status_of = |person: &str, shift: &str| {
            attendance
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["person"] == person && a["shift"] == shift)
                .map(|a| a["status"].as_str().unwrap().to_string())
        };
        assert_eq!(status_of("ev0", "9001").as_deref(), Some("attended"));
        assert_eq!(status_of("ev1", "9001").as_deref(), Some("no_show"));
        assert_eq!(
            status_of("mobilize:777", "9001").as_deref(),
            Some("cancelled")
        );

        // Universes: volunteers who are voters.
        let attended = linked(&["ev0", "ev2"]);
        assert_eq!(count(&b, "attended:2025-06-01..2025-06-30"), attended);
        assert_eq!(
            count(&b, "attended:canvass:2025-06-01..2025-06-30"),
            attended
        );
        assert_eq!(count(&b, "attended:phone_bank:2025-06-01..2025-06-30"), 0);
        assert_eq!(
            count(&b, "attended:2025-06-08..2025-06-30"),
            linked(&["ev2"])
        );
        assert_eq!(count(&b, "rsvp_no_show:2..") - before[1], linked(&["ev1"]));
        assert_eq!(
            count(&b, "volunteer_skill:event_testing attended:2025-06-01.."),
            linked(&["ev0", "ev2"])
        );

        // Capacity 1: the second RSVP is refused; a walk-in checks in all the same.
        let full = fails(&b, &["events", "rsvp", "mobilize:502", "9101", "ev4"]);
        assert!(full.contains("full"), "{full}");
        ok(&b, &["events", "check-in", "mobilize:502", "9101", "ev4"]);
        fails(&b, &["events", "check-in", "mobilize:502", "9999", "ev4"]);

        // Over HTTP: the check-in page and API by role, shifts on the voter's timeline.
        for (name, role) in [("ola", "organizer"), ("val", "volunteer")] {
            b.cmd(&["user", "add", name, "--role", role])
                .write_stdin("a long password 1\n")
                .assert()
                .success();
        }
        let organizer = ok(&b, &["token", "create", "ola"]).trim().to_string();
        let volunteer = ok(&b, &["token", "create", "val"]).trim().to_string();
        let s = common::serve(&b);
        let http = common::http();
        let get = |path: &str, token: Option<&str>| {
            let mut req = http.get(&format!("{}{path}", s.base));
            if let Some(t) = token {
                req = req.header("Authorization", &format!("Bearer {t}"));
            }
            reply(&mut req.call().unwrap())
        };
        for (path, expected) in [
            ("/api/v1/events", [401, 200, 403]),
            ("/api/v1/events/mobilize:501/attendance", [401, 200, 403]),
            ("/api/v1/events/mobilize:404/attendance", [401, 404, 403]),
        ] {
            for (i, token) in [None, Some(organizer.as_str()), Some(volunteer.as_str())]
                .iter()
                .enumerate()
            {
                assert_eq!(
                    get(path, *token).status,
                    expected[i],
                    "{}: {path} #{i}",
                    b.name
                );
            }
        }
        let post = |path: &str, token: &str, body: serde_json::Value| {
            let mut resp = http
                .post(&format!("{}{path}", s.base))
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes())
                .unwrap();
            reply(&mut resp)
        };
        let body = serde_json::json!({"shift": "9001", "person": "ev1"});
        assert_eq!(
            post(
                "/api/v1/events/mobilize:501/check-in",
                &volunteer,
                body.clone()
            )
            .status,
            403
        );
        assert_eq!(
            post("/api/v1/events/mobilize:501/check-in", &organizer, body).status,
            204
        );
        let full = post(
            "/api/v1/events/mobilize:502/rsvps",
            &organizer,
            serde_json::json!({"shift": "9101", "person": "ev5"}),
        );
        assert_eq!(full.status, 400, "{}", full.body);
        let list = get("/api/v1/events/mobilize:501/attendance", Some(&organizer));
        let list: serde_json::Value = serde_json::from_str(&list.body).unwrap();
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|a| a["person"] == "ev1" && a["shift"] == "9001" && a["status"] == "attended"),
            "{list}"
        );
        if let Some(voter) = voter_of.get("ev0") {
            let t = get(
                &format!("/api/v1/voters/{voter}/timeline"),
                Some(&organizer),
            );
            assert_eq!(t.status, 200, "{}", t.body);
            assert!(
                t.body.contains("\"kind\":\"volunteer\"")
                    && t.body.contains("Canvass Durham: attended"),
                "{}",
                t.body
            );
        }
    }
}

/// The built-in readers of other tools' API responses, on the shared fixtures: a Mobilize
/// events page (a real public event, and private addresses) and Action Network / OSDI
/// people (the fixture's impossible date ignored, its unsubscribed address honoured).
#[test]
fn mobilize_events_and_osdi_people_from_api_responses() {
    let fixtures = common::shared("people");
    for b in Backend::all("vol_sources") {
        let events = fixtures.join("mobilize_api_fixtures/events.json");
        let out = ok(&b, &["events", "import-mobilize", events.to_str().unwrap()]);
        assert!(out.contains("1 events: 1 new"), "{out}");
        let org = fixtures.join("mobilize_api_fixtures/events_organization.json");
        let out = ok(&b, &["events", "import-mobilize", org.to_str().unwrap()]);
        assert!(out.contains("2 events: 2 new"), "{out}");
        let out = ok(&b, &["events", "import-mobilize", events.to_str().unwrap()]);
        assert!(out.contains("1 unchanged"), "idempotent: {out}");
        let list: serde_json::Value =
            serde_json::from_str(&ok(&b, &["events", "list", "--json"])).unwrap();
        let training = list
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["external_id"] == "mobilize:86738")
            .expect("the real event");
        assert_eq!(training["title"], "Student Voter Initiative Training");
        assert_eq!(training["organization"], "Battleground Texas");
        assert_eq!(training["kind"], "training");
        assert_eq!(training["shifts"][0]["external_id"], "526226");
        assert_eq!(training["shifts"][0]["starts_at"], "2019-01-12T22:00:00Z");
        let bad = b.path("not-events.json");
        std::fs::write(&bad, "{\"people\": []}").unwrap();
        let err = fails(&b, &["events", "import-mobilize", bad.to_str().unwrap()]);
        assert!(err.contains("no `data` array"), "{err}");

        let people = fixtures.join("action_network_osdi_fixtures/fake_person.json");
        let out = ok(
            &b,
            &["events", "import-osdi-people", people.to_str().unwrap()],
        );
        assert!(
            out.contains("1 people: 1 new, 1 addresses unsubscribed"),
            "{out}"
        );
        let out = ok(
            &b,
            &["events", "import-osdi-people", people.to_str().unwrap()],
        );
        assert!(out.contains("1 people: 0 new"), "{out}");
    }
}
