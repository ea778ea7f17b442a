//! End-to-end tests of ballots on both stores: the demo's 30 daily absentee files, loaded
//! in date order by `demo` on one store and in reverse order, twice, on another (and on
//! a fresh store of the same kind), give identical status counts, chase and cure lists;
//! unmatched rows go to the review file.

mod common;

use common::{Backend, postgres_available};
use predicates::str::contains;
use std::path::PathBuf;

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn outputs(b: &Backend) -> (String, String, String) {
    let status = text(
        &b.cmd(&["ballots", "status", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    let chase = text(
        &b.cmd(&[
            "ballots",
            "list",
            "chase",
            "--min-days",
            "5",
            "--as-of",
            "2026-11-02",
        ])
        .assert()
        .success()
        .get_output()
        .stdout,
    );
    let cure = text(
        &b.cmd(&[
            "ballots",
            "list",
            "cure",
            "--as-of",
            "2026-11-02",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout,
    );
    (status, chase, cure)
}

#[test]
fn daily_files_in_any_order_twice_give_identical_lists() {
    // Reference: the demo imports voters, history and the 30 files in date order.
    let reference = Backend::sqlite();
    reference
        .cmd(&["demo", "--voters", "3000", "--seed", "5", "--no-serve"])
        .assert()
        .success()
        .stdout(contains("ballots: 30 daily files"));
    let expected = outputs(&reference);
    let status: serde_json::Value = serde_json::from_str(&expected.0).unwrap();
    let accepted = status["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "accepted")
        .expect("some voters voted")
        .clone();
    assert!(accepted["voted"].as_i64().unwrap() > 0);
    assert!(
        expected.1.lines().count() > 1,
        "a chase list: {}",
        expected.1
    );

    let data = PathBuf::from(&reference.args[1]);
    let files = data.join("demo-files");
    let mut ballots: Vec<PathBuf> = std::fs::read_dir(files.join("ballots"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("absentee_") && name.matches('.').count() == 1
        })
        .collect();
    ballots.sort();
    assert_eq!(
        ballots.len(),
        31,
        "30 daily files and the previous election's"
    );
    ballots.reverse();

    let mut others = vec![Backend::sqlite()];
    if postgres_available() {
        others.push(Backend::postgres("ballots"));
    }
    for b in others {
        for f in ["ncvoter_20260901.txt", "ncvoter_20261001.txt"] {
            b.cmd(&[
                "import",
                "voters",
                files.join(f).to_str().unwrap(),
                "--layout",
                "ncvoter",
                "--rejects",
                b.path("r.csv").to_str().unwrap(),
            ])
            .assert()
            .success();
        }
        for round in 0..2 {
            for f in &ballots {
                let review = b.path("review.csv");
                b.cmd(&[
                    "import",
                    "ballots",
                    f.to_str().unwrap(),
                    "--layout",
                    "nc-absentee",
                    "--rejects",
                    b.path("rejects.csv").to_str().unwrap(),
                ])
                .assert()
                .success()
                .stdout(contains(if round == 0 {
                    "new events"
                } else {
                    "already imported"
                }))
                .stdout(contains(
                    if round == 0 && f.ends_with("absentee_20261102.csv") {
                        // The demo's six voters whose county keyed a wrong id.
                        "6 of the unmatched rows link to a voter by name, age and address"
                    } else {
                        ""
                    },
                ));
                let _ = review;
            }
        }
        assert_eq!(
            outputs(&b),
            expected,
            "{}: same counts and lists in any order",
            b.name
        );
    }
}

#[test]
fn unmatched_rows_go_to_review_and_bad_rows_to_rejects() {
    for b in Backend::all("review") {
        let path = b.path("absentee_20261005.csv");
        std::fs::write(
            &path,
            "county_desc,voter_reg_num,ncid,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status\n\
             WAKE,1,NOPE1,11/03/2026,MAIL,09/01/2026,09/03/2026,,\n\
             WAKE,2,NOPE2,99/99/2026,MAIL,09/01/2026,,,\n",
        )
        .unwrap();
        b.cmd(&[
            "import",
            "ballots",
            path.to_str().unwrap(),
            "--layout",
            "nc-absentee",
        ])
        .assert()
        .success()
        .stdout(contains("unmatched 1"))
        .stdout(contains("rejected 1"));
        let review = std::fs::read_to_string(b.path("absentee_20261005.csv.review.csv")).unwrap();
        assert!(
            review.contains("2,ncid,voter NOPE1 is not in the voter file"),
            "{review}"
        );
        let rejects = std::fs::read_to_string(b.path("absentee_20261005.csv.rejects.csv")).unwrap();
        assert!(rejects.contains("3,election_dt"), "{rejects}");
        b.cmd(&[
            "import",
            "ballots",
            path.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .failure()
        .stderr(contains("not ballots"));
    }
}

#[test]
fn lists_built_after_ballots_drop_voted_voters_and_say_so() {
    for b in Backend::all("universe") {
        b.cmd(&["demo", "--voters", "3000", "--seed", "9", "--no-serve"])
            .assert()
            .success();
        let count = |args: &[&str]| -> serde_json::Value {
            // The demo's texting opt-outs are on the do-not-contact list: kept here, so the
            // counts differ only by who voted.
            let mut all = vec!["universe", "count", "--include-suppressed"];
            all.extend(args);
            serde_json::from_slice(&b.cmd(&all).assert().success().get_output().stdout).unwrap()
        };
        let kept = count(&["status:active", "--include-voted", "--json"]);
        let dropped = count(&["status:active", "--json", "--by", "county"]);
        let voted = count(&["status:active ballot:accepted", "--include-voted", "--json"]);
        let removed = dropped["voted_removed"].as_u64().unwrap();
        assert!(removed > 0, "{}: {dropped}", b.name);
        assert_eq!(removed, voted["count"].as_u64().unwrap(), "{}", b.name);
        assert_eq!(
            dropped["count"].as_u64().unwrap() + removed,
            kept["count"].as_u64().unwrap(),
            "{}",
            b.name
        );
        let by_county: u64 = dropped["breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_u64().unwrap())
            .sum();
        assert_eq!(by_county, dropped["count"].as_u64().unwrap());
        // Turnout breakdowns add up to the voters counted as voted.
        let status: serde_json::Value = serde_json::from_slice(
            &b.cmd(&["ballots", "status", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        )
        .unwrap();
        let voted: i64 = status["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["voted"].as_i64().unwrap())
            .sum();
        for by in ["party", "age", "method", "county"] {
            let t: serde_json::Value = serde_json::from_slice(
                &b.cmd(&["ballots", "turnout", "--by", by, "--json"])
                    .assert()
                    .success()
                    .get_output()
                    .stdout,
            )
            .unwrap();
            let sum: i64 = t["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g[1].as_i64().unwrap())
                .sum();
            assert_eq!(sum, voted, "{}: turnout by {by}", b.name);
        }
        b.cmd(&["universe", "count", "status:active"])
            .assert()
            .success()
            .stderr(contains(
                "voters removed: they already voted in the 2026-11-03 election",
            ));
        b.cmd(&["universe", "count", "party:DEM age:18..29,"])
            .assert()
            .failure()
            .stderr(contains("syntax error at byte 21"));
        let csv = text(
            &b.cmd(&[
                "universe",
                "export",
                "status:active party:DEM",
                "--include-suppressed",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        let dem = count(&["status:active party:DEM", "--json"]);
        assert_eq!(
            csv.lines().count() as u64 - 1,
            dem["count"].as_u64().unwrap(),
            "{}",
            b.name
        );
    }
}

#[test]
fn virginia_layout_reads_app_and_ballot_status() {
    let b = Backend::sqlite();
    let nc = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
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
    let path = b.path("Daily_Absentee_List_20261010.csv");
    std::fs::write(
        &path,
        "ELECTION_NAME,ELECTION_DATE,LOCALITY_NAME,PRECINCT_CODE,LAST_NAME,FIRST_NAME,APP_RECIEPT_DATE,APP_STATUS,BALLOT_SENT_DATE,BALLOT_RECEIPT_DATE,BALLOT_STATUS,BALLOT_TYPE,identification_number\n\
         2026 November General,11/03/2026,FAIRFAX COUNTY,101,LANDRY,MASON,09/10/2026,Approved,09/20/2026,10/05/2026,Marked,Mail,DU994065\n\
         2026 November General,11/03/2026,FAIRFAX COUNTY,101,DOE,JANE,09/10/2026,Denied,,,,Mail,NOPE77\n",
    )
    .unwrap();
    b.cmd(&[
        "import",
        "ballots",
        path.to_str().unwrap(),
        "--layout",
        "virginia-absentee",
    ])
    .assert()
    .success()
    .stdout(contains("new events 2"))
    .stdout(contains("unmatched 1"));
    let status = text(
        &b.cmd(&["ballots", "status"])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert!(
        status.contains("accepted"),
        "a Marked ballot was cast: {status}"
    );
    let total = status
        .lines()
        .find(|l| l.starts_with("total"))
        .unwrap_or("");
    assert_eq!(
        total.split_whitespace().collect::<Vec<_>>(),
        ["total", "1", "1"],
        "{status}"
    );
}

/// `votebase bench ballots` at a small size on both stores: both sides run and the
/// equal-work checks pass (the same unknown rows and voters who voted, on each store).
#[test]
fn the_ballots_benchmark_checks_equal_work_on_both_stores() {
    let stores = if postgres_available() {
        "both"
    } else {
        "sqlite"
    };
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("bench");
    let out = assert_cmd::Command::cargo_bin("votebase")
        .unwrap()
        .args([
            "bench",
            "ballots",
            "--voters",
            "3000",
            "--ballots",
            "800",
            "--stores",
            stores,
            "--postgres",
            &common::postgres_url(),
            "--dir",
            work.to_str().unwrap(),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = text(&out);
    let checks = out.lines().filter(|l| l.starts_with("check: ")).count();
    assert_eq!(checks, if stores == "both" { 4 } else { 2 }, "{out}");
    assert!(out.contains("votebase import ballots (SQLite)"), "{out}");
    assert!(
        !work.exists(),
        "the work directory is removed without --keep"
    );
}
