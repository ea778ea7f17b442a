//! End-to-end tests of `votebase results import` and `results history` on both stores,
//! on the real OpenElections and Clarity files in `../shared/data/results/`: the roll-up
//! check lists every mismatch, a second import of a file changes nothing, refused rows go
//! to the rejects file with their line, a file with no usable row stores nothing, and the
//! precinct history reads back what was imported.

mod common;

use common::{Backend, shared};
use predicates::str::contains;

fn data(rel: &str) -> String {
    shared(&format!("results/{rel}"))
        .to_string_lossy()
        .into_owned()
}

fn stdout(b: &Backend, args: &[&str]) -> String {
    String::from_utf8_lossy(&b.cmd(args).assert().success().get_output().stdout).into_owned()
}

#[test]
fn centre_county_rolls_up_to_the_published_totals_once() {
    let centre = data("openelections-pa-2020-general/20201103__pa__general__centre__precinct.csv");
    let county = data("openelections-pa-2020-general/20201103__pa__general__county.csv");
    for b in Backend::all("pastres") {
        let args = [
            "results",
            "import",
            &centre,
            "--format",
            "openelections",
            "--totals",
            &county,
        ];
        let out = stdout(&b, &args);
        assert!(
            out.contains("imported 4591 rows from 87 precincts"),
            "{}: {out}",
            b.name
        );
        assert!(out.contains("0 mismatches"), "{}: {out}", b.name);
        assert!(out.contains("election of 2020-11-03"), "{out}");
        assert!(
            out.contains("\"G.T. Thompson\" matched \"GLENN GT THOMPSON\""),
            "{out}"
        );
        // Again: nothing changes.
        let again = stdout(&b, &args);
        assert!(again.contains("already imported"), "{}: {again}", b.name);

        let history = stdout(
            &b,
            &[
                "results",
                "history",
                "--county",
                "centre",
                "--precinct",
                "1-Bellefonte North",
                "--office",
                "PRESIDENT",
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&history).unwrap();
        let contests = v.as_array().unwrap();
        assert_eq!(contests.len(), 1, "{}: one election, stored once", b.name);
        assert_eq!(contests[0]["election_date"], "2020-11-03");
        let total: i64 = contests[0]["choices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                !["Over Votes", "Under Votes", "Not Assigned"]
                    .contains(&c["candidate"].as_str().unwrap())
            })
            .map(|c| c["votes"].as_i64().unwrap())
            .sum();
        assert_eq!(contests[0]["total_votes"].as_i64().unwrap(), total);
        assert!(total > 100, "{history}");
    }
}

#[test]
fn a_doctored_precinct_is_listed_as_a_mismatch() {
    let source = std::fs::read_to_string(data(
        "openelections-pa-2020-general/20201103__pa__general__centre__precinct.csv",
    ))
    .unwrap();
    let county = data("openelections-pa-2020-general/20201103__pa__general__county.csv");
    for b in Backend::all("pastbad") {
        // One precinct's Trump count is 10 higher than published.
        let mut done = false;
        let doctored: String = source
            .lines()
            .map(|l| {
                if !done && l.contains(",President,,REP,Donald J. Trump,") {
                    done = true;
                    let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
                    let v: i64 = f[6].parse().unwrap();
                    f[6] = (v + 10).to_string();
                    f.join(",")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let file = b.path("20201103__centre_doctored.csv");
        std::fs::write(&file, doctored).unwrap();
        let out = stdout(
            &b,
            &[
                "results",
                "import",
                file.to_str().unwrap(),
                "--format",
                "openelections",
                "--totals",
                &county,
            ],
        );
        assert!(out.contains("1 mismatches"), "{}: {out}", b.name);
        assert!(
            out.contains(
                "MISMATCH Centre | President | Donald J. Trump | total: published 36372, precincts sum to 36382 (+10)"
            ),
            "{out}"
        );
    }
}

#[test]
fn clarity_files_check_their_own_totals() {
    for b in Backend::all("pastxml") {
        let out = stdout(
            &b,
            &[
                "results",
                "import",
                &data("openelections-ga-2018-clarity/detail_bartow.xml"),
                "--format",
                "clarity",
            ],
        );
        assert!(out.contains("election of 2018-12-18"), "{out}");
        assert!(out.contains("0 mismatches"), "{}: {out}", b.name);
        let out = stdout(
            &b,
            &[
                "results",
                "import",
                &data("clarity-enr/county.xml"),
                "--format",
                "clarity",
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mismatches: Vec<&serde_json::Value> = v["roll_up"]["checked"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["published"] != t["precinct_sum"])
            .collect();
        assert_eq!(mismatches.len(), 1, "{}: {out}", b.name);
        assert_eq!(mismatches[0]["candidate"], "Tom Cotton");
        assert_eq!(mismatches[0]["published"], 477734);
        assert_eq!(mismatches[0]["precinct_sum"], 462123);
        let history = stdout(
            &b,
            &[
                "results",
                "history",
                "--county",
                "ADAIRSVILLE",
                "--precinct",
                "x",
                "--office",
                "State Representative",
            ],
        );
        assert!(history.contains("no past results"), "{history}");
        let history = stdout(
            &b,
            &[
                "results",
                "history",
                "--county",
                "Bartow",
                "--precinct",
                "adairsville",
                "--office",
                "State Representative",
            ],
        );
        assert!(
            history.contains("2018-12-18 State Representative district 14 in Bartow / ADAIRSVILLE"),
            "{history}"
        );
        assert!(history.contains("KEN COOMER (REP)"), "{history}");
    }
}

#[test]
fn refused_rows_are_listed_and_a_file_without_rows_stores_nothing() {
    for b in Backend::all("pastrej") {
        let good = b.path("20221108__xx__general__precinct.csv");
        std::fs::write(
            &good,
            "county,precinct,office,district,party,candidate,votes\n\
             Adams,North,Governor,,DEM,A,12\n\
             Adams,North,Governor,,REP,B,twelve\n\
             Adams,South,Governor,,DEM,A,\"1,204\"\n",
        )
        .unwrap();
        let out = stdout(
            &b,
            &[
                "results",
                "import",
                good.to_str().unwrap(),
                "--format",
                "openelections",
            ],
        );
        assert!(out.contains("imported 2 rows from 2 precincts"), "{out}");
        assert!(out.contains("1 rows refused"), "{out}");
        let rejects =
            std::fs::read_to_string(b.path("20221108__xx__general__precinct.csv.rejects.csv"))
                .unwrap();
        assert!(rejects.contains("3,votes,"), "{rejects}");
        assert!(rejects.contains("twelve"), "{rejects}");

        let bad = b.path("no_date.csv");
        std::fs::write(
            &bad,
            "county,precinct,office,district,party,candidate,votes\nAdams,East,Governor,,DEM,A,x\n",
        )
        .unwrap();
        b.cmd(&[
            "results",
            "import",
            bad.to_str().unwrap(),
            "--format",
            "openelections",
        ])
        .assert()
        .failure()
        .stderr(contains("pass --election"));
        b.cmd(&[
            "results",
            "import",
            bad.to_str().unwrap(),
            "--format",
            "openelections",
            "--election",
            "2022-11-08",
        ])
        .assert()
        .failure()
        .stderr(contains("no result rows could be read"));
        let history = stdout(
            &b,
            &[
                "results",
                "history",
                "--county",
                "Adams",
                "--precinct",
                "East",
                "--office",
                "Governor",
            ],
        );
        assert!(history.contains("no past results"), "{}: {history}", b.name);
        let history = stdout(
            &b,
            &[
                "results",
                "history",
                "--county",
                "Adams",
                "--precinct",
                "South",
                "--office",
                "Governor",
            ],
        );
        assert!(history.contains("1204  A (DEM)"), "{}: {history}", b.name);

        b.cmd(&[
            "results",
            "import",
            &data("clarity-enr/precinct.xml"),
            "--format",
            "openelections",
        ])
        .assert()
        .failure()
        .stderr(contains("no county column"));
    }
}
