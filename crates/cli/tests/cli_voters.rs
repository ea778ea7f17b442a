//! End-to-end tests of the voter-file commands on both stores: the NC sample imports,
//! a second import of the same file changes nothing, a bad header stops before writing,
//! a refresh records changes, rejects name their line, and kill -9 mid-import leaves the
//! previous snapshot exactly as it was.

mod common;

use common::{Backend, shared};
use predicates::str::contains;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON output")
}

#[test]
fn nc_sample_imports_and_reimport_changes_nothing() {
    let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
    for b in Backend::all("nc") {
        let out = b
            .cmd(&[
                "import",
                "voters",
                nc.to_str().unwrap(),
                "--layout",
                "ncvoter",
                "--as-of",
                "2026-09-01",
                "--json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v = json(&out);
        assert_eq!(v["read"], 100, "{}", b.name);
        assert_eq!(
            v["imported"].as_u64().unwrap() + v["rejected"].as_u64().unwrap(),
            100
        );
        assert_eq!(v["snapshot"]["voters"], v["imported"]);

        let again = json(
            &b.cmd(&[
                "import",
                "voters",
                nc.to_str().unwrap(),
                "--layout",
                "ncvoter",
                "--json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        assert_eq!(again["already_imported"], true, "{}", b.name);
        let snaps = json(
            &b.cmd(&["snapshots", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert_eq!(
            snaps.as_array().unwrap().len(),
            1,
            "{}: no second snapshot",
            b.name
        );

        // Searchable by id, name and address.
        b.cmd(&["voters", "find", "DU994065"])
            .assert()
            .success()
            .stdout(contains("LANDRY"));
        b.cmd(&["voters", "find", "Landry, Mason"])
            .assert()
            .success()
            .stdout(contains("DU994065"));
        b.cmd(&["voters", "find", "795 Johnson Club"])
            .assert()
            .success()
            .stdout(contains("DU994065"));
        b.cmd(&["voters", "show", "DU994065", "--json"])
            .assert()
            .success()
            .stdout(contains("JOHNSON"));
    }
}

#[test]
fn bad_header_stops_before_writing() {
    let oh = shared("voterfile/national-voter-file-synthetic/oh.csv");
    for b in Backend::all("hdr") {
        b.cmd(&[
            "import",
            "voters",
            oh.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .failure()
        .stderr(contains("does not fit layout ncvoter"))
        .stderr(contains("state_voter_id (ncid)"))
        .stderr(contains("SOS_VOTERID"));
        let snaps = json(
            &b.cmd(&["snapshots", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert!(snaps.as_array().unwrap().is_empty(), "{}", b.name);
    }
}

const HEADER: &str = "county_id\tcounty_desc\tvoter_reg_num\tncid\tlast_name\tfirst_name\tmiddle_name\tname_suffix_lbl\tstatus_cd\treason_cd\tres_street_address\tres_city_desc\tstate_cd\tzip_code\tfull_phone_number\tregistr_dt\trace_code\tethnic_code\tparty_cd\tgender_code\tbirth_year\tage_at_year_end\tprecinct_abbrv\tprecinct_desc\tcong_dist_abbrv\tnc_senate_abbrv\tnc_house_abbrv";

fn row(id: &str, last: &str, street: &str, party: &str, reg: &str) -> String {
    format!(
        "1\tALAMANCE\t{id}0\t{id}\t{last}\tANA\t\t\tA\tAV\t{street}\tBURLINGTON\tNC\t27215\t(336) 555-2368\t{reg}\tW\tNL\t{party}\tF\t1980\t46\t01\tPCT 01\t4\t24\t63"
    )
}

#[test]
fn refresh_records_changes_and_rejects_name_their_line() {
    for b in Backend::all("ref") {
        let first = b.path("ncvoter_20260901.txt");
        std::fs::write(
            &first,
            [
                HEADER.to_string(),
                row("AA1", "SMITH", "12 MAIN ST", "DEM", "01/02/2000"),
                row("AA2", "JONES", "14 MAIN ST", "REP", "01/02/2000"),
                row("AA3", "LEE", "16 OAK AVE", "UNA", "01/02/2000"),
                row("AA4", "BAD", "18 OAK AVE", "UNA", "13/45/2000"),
                "1\tALAMANCE\tshort row".to_string(),
            ]
            .join("\n"),
        )
        .unwrap();
        let v = json(
            &b.cmd(&[
                "import",
                "voters",
                first.to_str().unwrap(),
                "--layout",
                "ncvoter",
                "--json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        assert_eq!(
            (v["imported"].as_u64(), v["rejected"].as_u64()),
            (Some(3), Some(2)),
            "{}",
            b.name
        );
        assert_eq!(
            v["snapshot"]["as_of"], "2026-09-01",
            "as-of from the file name"
        );
        let rejects = std::fs::read_to_string(b.path("ncvoter_20260901.txt.rejects.csv")).unwrap();
        assert!(
            rejects.contains("5,registr_dt,\"registration date: cannot read \"\"13/45/2000\"\""),
            "{rejects}"
        );
        assert!(
            rejects.contains("6,,\"expected 27 fields, found 3"),
            "{rejects}"
        );

        let second = b.path("ncvoter_20261001.txt");
        std::fs::write(
            &second,
            [
                HEADER.to_string(),
                row("AA1", "SMITH", "99 ELM STREET", "DEM", "01/02/2000"),
                row("AA3", "LEE", "16 OAK AVE", "DEM", "01/02/2000"),
                row("AA5", "NEW", "20 OAK AVE", "DEM", "09/15/2026"),
                row("AA5", "NEW", "20 OAK AVE", "DEM", "09/15/2026"),
            ]
            .join("\n"),
        )
        .unwrap();
        let v = json(
            &b.cmd(&[
                "import",
                "voters",
                second.to_str().unwrap(),
                "--layout",
                "ncvoter",
                "--json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        let s = &v["snapshot"];
        assert_eq!(
            (
                s["voters"].as_i64(),
                s["added"].as_i64(),
                s["removed"].as_i64(),
                s["changed"].as_i64()
            ),
            (Some(3), Some(1), Some(1), Some(2)),
            "{}: {v}",
            b.name
        );
        let dup = std::fs::read_to_string(b.path("ncvoter_20261001.txt.rejects.csv")).unwrap();
        assert!(dup.contains("5,ncid,duplicate voter id AA5"), "{dup}");
        let shown = json(
            &b.cmd(&["voters", "show", "AA1", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let changes = shown["changes"].as_array().unwrap();
        assert!(
            changes.iter().any(|c| c["field"] == "street_name"
                && c["old_value"] == "MAIN"
                && c["new_value"] == "ELM"),
            "{changes:?}"
        );
        assert_eq!(shown["voter"]["record"]["address"]["street_suffix"], "ST");
        assert_eq!(shown["voter"]["record"]["phone"]["e164"], "+13365552368");
        let gone = json(
            &b.cmd(&["voters", "show", "AA2", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert_eq!(gone["voter"]["present"], false);

        // An older file after a newer one is refused with a clear message.
        let older = b.path("ncvoter_20260801.txt");
        std::fs::write(
            &older,
            [
                HEADER.to_string(),
                row("AA9", "OLD", "1 ELM ST", "DEM", "01/02/2000"),
            ]
            .join("\n"),
        )
        .unwrap();
        b.cmd(&[
            "import",
            "voters",
            older.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .failure()
        .stderr(contains("older than the latest snapshot"));
    }
}

/// Writes a demo ncvoter file of `n` voters and returns its path.
fn demo_file(b: &Backend, n: usize) -> std::path::PathBuf {
    let state = votebase_demo::build_state(&votebase_demo::DemoOptions {
        voters: n,
        seed: 3,
        ..Default::default()
    });
    votebase_demo::write_files(&state, b.dir.path()).unwrap();
    let first = b.path("ncvoter_20260901.txt");
    assert!(first.exists());
    first
}

#[test]
fn kill_9_mid_import_leaves_previous_snapshot_intact() {
    for b in Backend::all("kill") {
        let big = demo_file(&b, 120_000);
        let second = b.path("ncvoter_20261001.txt");
        // A small first snapshot: the first 2,000 rows of the second file.
        let text = std::fs::read_to_string(&second).unwrap();
        let small: Vec<&str> = text.lines().take(2001).collect();
        let small_path = b.path("ncvoter_20260815.txt");
        std::fs::write(&small_path, small.join("\n")).unwrap();
        b.cmd(&[
            "import",
            "voters",
            small_path.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();
        let before = b
            .cmd(&["snapshots", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let voter_before = b
            .cmd(&["voters", "show", "AA000001", "--json"])
            .output()
            .unwrap()
            .stdout;

        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"))
            .args(&b.args)
            .args([
                "import",
                "voters",
                big.to_str().unwrap(),
                "--layout",
                "ncvoter",
            ])
            .current_dir(b.dir.path())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until rows are flowing into the store (the first progress line), then kill -9.
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let started = Instant::now();
        let mut saw_progress = false;
        while started.elapsed() < Duration::from_secs(120) {
            match lines.next() {
                Some(Ok(l)) if l.contains("rows read") => {
                    saw_progress = true;
                    break;
                }
                Some(Ok(_)) => continue,
                _ => break,
            }
        }
        assert!(
            saw_progress,
            "{}: the import never reported progress",
            b.name
        );
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "{}: the import must have been killed, not finished",
            b.name
        );

        let after = b
            .cmd(&["snapshots", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(
            json(&before),
            json(&after),
            "{}: snapshots changed after kill -9",
            b.name
        );
        let voter_after = b
            .cmd(&["voters", "show", "AA000001", "--json"])
            .output()
            .unwrap()
            .stdout;
        assert_eq!(voter_before, voter_after, "{}", b.name);
        // And the same file imports cleanly afterwards.
        b.cmd(&[
            "import",
            "voters",
            big.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();
    }
}

#[test]
fn history_import_is_idempotent() {
    for b in Backend::all("his") {
        let path = b.path("ncvhis_20261001.txt");
        std::fs::write(
            &path,
            "county_id\tcounty_desc\tvoter_reg_num\telection_lbl\telection_desc\tvoting_method\tvoted_party_cd\tvoted_party_desc\tpct_label\tpct_description\tncid\tvoted_county_id\tvoted_county_desc\tvtd_label\tvtd_description\n\
             1\tALAMANCE\t10\t11/03/2020\t11/03/2020 GENERAL\tABSENTEE BY MAIL\tDEM\tDEMOCRATIC\t01\tPCT 01\tAA1\t1\tALAMANCE\t01\tPCT 01\n\
             1\tALAMANCE\t10\t11/08/2022\t11/08/2022 GENERAL\tIN-PERSON\tDEM\tDEMOCRATIC\t01\tPCT 01\tAA1\t1\tALAMANCE\t01\tPCT 01\n\
             1\tALAMANCE\t10\t99/99/2022\tBAD\tIN-PERSON\tDEM\tDEMOCRATIC\t01\tPCT 01\tAA1\t1\tALAMANCE\t01\tPCT 01\n",
        )
        .unwrap();
        for expected in [
            "new 2, unchanged 0, rejected 1",
            "new 0, unchanged 2, rejected 1",
        ] {
            b.cmd(&[
                "import",
                "history",
                path.to_str().unwrap(),
                "--layout",
                "ncvhis",
            ])
            .assert()
            .success()
            .stdout(contains(expected));
        }
    }
}

#[test]
fn users_tokens_and_clear_errors() {
    let b = Backend::sqlite();
    b.cmd(&["user", "add", "ann", "--role", "organizer"])
        .write_stdin("long enough pw\n")
        .assert()
        .success();
    b.cmd(&["user", "add", "bob", "--role", "mayor"])
        .write_stdin("long enough pw\n")
        .assert()
        .failure()
        .stderr(contains("unknown role"));
    b.cmd(&["user", "add", "cy", "--role", "admin"])
        .write_stdin("short\n")
        .assert()
        .failure()
        .stderr(contains("at least 10"));
    b.cmd(&["token", "create", "ann"])
        .assert()
        .success()
        .stdout(predicates::str::is_match("^[0-9a-f]{64}\n$").unwrap());
    b.cmd(&["token", "create", "nobody"])
        .assert()
        .failure()
        .stderr(contains("no user"));
    b.cmd(&["import", "voters", "missing.txt", "--layout", "nope"])
        .assert()
        .failure()
        .stderr(contains("unknown layout"));
    b.cmd(&["--org", "Bad Org", "snapshots"])
        .assert()
        .failure()
        .stderr(contains("invalid organization name"));
}

/// `user disable|enable|role|passwd` and `token create|list|revoke` on both stores.
#[test]
fn user_and_token_administration() {
    for b in Backend::all("creds") {
        for (name, role) in [("ann", "admin"), ("bo", "organizer")] {
            b.cmd(&["user", "add", name, "--role", role])
                .write_stdin("long enough pw\n")
                .assert()
                .success();
        }
        let created = b
            .cmd(&[
                "token",
                "create",
                "bo",
                "--label",
                "etl",
                "--expires-in",
                "30d",
            ])
            .assert()
            .success()
            .stderr(contains("expires"))
            .get_output()
            .stdout
            .clone();
        assert_eq!(String::from_utf8(created).unwrap().trim().len(), 64);
        b.cmd(&["token", "create", "bo", "--expires-in", "forever"])
            .assert()
            .failure()
            .stderr(contains("not a lifetime"));
        let tokens = json(
            &b.cmd(&["token", "list", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let t = &tokens[0];
        assert_eq!(
            (&t["user"]["name"], &t["label"]),
            (&"bo".into(), &"etl".into())
        );
        assert!(
            t["revoked_at"].is_null() && t["last_used_at"].is_null(),
            "{t}"
        );
        let expires = chrono::DateTime::parse_from_rfc3339(t["expires_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
        assert!((29.0..=30.0).contains(&days), "{}: {days}", b.name);
        let id = t["id"].as_i64().unwrap().to_string();
        b.cmd(&["token", "list"])
            .assert()
            .success()
            .stdout(contains("\tetl\t"))
            .stdout(contains("\tactive"));
        b.cmd(&["token", "revoke", &id])
            .assert()
            .success()
            .stdout(contains("revoked"));
        b.cmd(&["token", "revoke", &id])
            .assert()
            .failure()
            .stderr(contains("no active token"));
        b.cmd(&["token", "list"])
            .assert()
            .success()
            .stdout(contains("revoked"));

        b.cmd(&["user", "disable", "bo"]).assert().success();
        b.cmd(&["user", "list"])
            .assert()
            .success()
            .stdout(contains("bo\torganizer\tdisabled"));
        b.cmd(&["user", "enable", "bo"]).assert().success();
        b.cmd(&["user", "role", "bo", "data_manager"])
            .assert()
            .success();
        b.cmd(&["user", "role", "bo", "mayor"])
            .assert()
            .failure()
            .stderr(contains("unknown role"));
        b.cmd(&["user", "disable", "nobody"])
            .assert()
            .failure()
            .stderr(contains("no user"));
        // The last enabled admin can be neither disabled nor demoted.
        b.cmd(&["user", "disable", "ann"])
            .assert()
            .failure()
            .stderr(contains("last enabled admin"));
        b.cmd(&["user", "role", "ann", "organizer"])
            .assert()
            .failure()
            .stderr(contains("last enabled admin"));
        let users = json(
            &b.cmd(&["user", "list", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert_eq!(users[1]["user"]["role"], "data_manager", "{users}");
        assert_eq!(users[1]["disabled"], false);

        // A password reset revokes every token of the user.
        b.cmd(&["token", "create", "bo"]).assert().success();
        b.cmd(&["user", "passwd", "bo"])
            .write_stdin("short\n")
            .assert()
            .failure()
            .stderr(contains("at least 10"));
        b.cmd(&["user", "passwd", "bo"])
            .write_stdin("another long pw\n")
            .assert()
            .success()
            .stdout(contains("revoked"));
        let tokens = json(
            &b.cmd(&["token", "list", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert!(
            tokens
                .as_array()
                .unwrap()
                .iter()
                .all(|t| !t["revoked_at"].is_null()),
            "{}: {tokens}",
            b.name
        );
    }
}

#[test]
fn other_states_import_through_their_layouts() {
    for b in Backend::all("states") {
        for (file, layout, id, last) in [
            ("oh.csv", "ohio", "OH0000241161", "MILLER"),
            ("fl.csv", "florida", "8143586746", "GROSS"),
        ] {
            let path = shared(&format!("voterfile/national-voter-file-synthetic/{file}"));
            let org_args: Vec<String> = if b.name == "sqlite" {
                vec!["--org".into(), layout.into()]
            } else {
                vec![]
            };
            let mut args: Vec<&str> = org_args.iter().map(String::as_str).collect();
            let rejects = b.path(&format!("{file}.rejects.csv"));
            args.extend([
                "import",
                "voters",
                path.to_str().unwrap(),
                "--layout",
                layout,
                "--as-of",
                "2026-09-01",
                "--rejects",
                rejects.to_str().unwrap(),
                "--json",
            ]);
            let out = b.cmd(&args).assert().success().get_output().stdout.clone();
            let v = json(&out);
            assert_eq!(v["read"], 100, "{} {file}", b.name);
            assert_eq!(
                v["imported"], 100,
                "{} {file}: every sample row imports",
                b.name
            );
            let mut show: Vec<&str> = org_args.iter().map(String::as_str).collect();
            show.extend(["voters", "show", id, "--json"]);
            let voter = json(&b.cmd(&show).assert().success().get_output().stdout);
            assert_eq!(
                voter["voter"]["record"]["last_name"], last,
                "{} {file}",
                b.name
            );
            if b.name == "postgres" {
                break; // one organization on PostgreSQL: the second file would be an older refresh
            }
        }
    }
}

#[test]
fn demo_builds_two_snapshots_and_history_and_is_searchable() {
    for b in Backend::all("demo") {
        let out = b
            .cmd(&["demo", "--voters", "5000", "--seed", "11", "--no-serve"])
            .assert()
            .success()
            .stdout(contains("sign in as: admin / "))
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("snapshot 2 as of 2026-10-01"),
            "{}: {text}",
            b.name
        );
        let snaps = json(
            &b.cmd(&["snapshots", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let snaps = snaps.as_array().unwrap();
        // Two monthly snapshots, then the weekly refreshes of purge watch.
        assert_eq!(snaps.len(), 2 + votebase_demo::PURGE_REFRESHES);
        let second = &snaps[1];
        assert!(second["added"].as_i64().unwrap() > 0, "{second}");
        assert!(second["removed"].as_i64().unwrap() > 0, "{second}");
        assert!(second["changed"].as_i64().unwrap() > 0, "{second}");
        assert_eq!(snaps[0]["rejected"], 0, "demo rows all import");

        // Pick a voter from the search and find them by id, name and address.
        let found = json(
            &b.cmd(&["voters", "find", "SMITH", "--json", "--limit", "1"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let v = &found[0];
        let id = v["state_voter_id"].as_str().unwrap();
        let shown = json(
            &b.cmd(&["voters", "show", id, "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let r = &shown["voter"]["record"];
        let by_addr = format!(
            "{} {}",
            r["address"]["house_number"].as_str().unwrap(),
            r["address"]["street_name"].as_str().unwrap()
        );
        b.cmd(&["voters", "find", &by_addr, "--limit", "200"])
            .assert()
            .success()
            .stdout(contains(id));
        b.cmd(&["voters", "find", id])
            .assert()
            .success()
            .stdout(contains(id));
        assert!(
            !shown["history"].as_array().unwrap().is_empty()
                || r["registration_date"].as_str().unwrap_or("") > "2024-11-05",
            "{}: most voters have history",
            b.name
        );

        // The demo's polling-place feed is installed: demo addresses resolve.
        let data = b
            .args
            .iter()
            .position(|a| a == "--data")
            .map(|i| std::path::PathBuf::from(&b.args[i + 1]))
            .unwrap_or_else(|| b.path("votebase-data"));
        let second = std::fs::read_to_string(data.join("demo-files/ncvoter_20261001.txt")).unwrap();
        for row in second.lines().skip(1).step_by(997).take(5) {
            let f: Vec<&str> = row.split('\t').collect();
            if f[12].is_empty() {
                continue; // confidential address
            }
            let address = format!("{}, {}, NC {}", f[12], f[13], f[15]);
            b.cmd(&["lookup", &address])
                .assert()
                .success()
                .stdout(contains("Polling place:"));
        }

        // Same seed, same data: a second demo changes nothing (files already imported).
        b.cmd(&["demo", "--voters", "5000", "--seed", "11", "--no-serve"])
            .assert()
            .success()
            .stdout(contains("already imported"));
    }
}
