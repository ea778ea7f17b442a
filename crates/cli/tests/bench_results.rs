//! End-to-end tests of election night on both stores: a small `votebase bench results`
//! (real server, failure-injecting proxy, hotline double entry) must end with zero lost,
//! zero duplicated and every chair holding a receipt; `votebase demo --election-night`
//! fills the public feeds of the demo caucus and primary through the API.

mod common;

use common::{Backend, http, serve};

#[test]
fn a_small_load_run_loses_and_duplicates_nothing() {
    for b in Backend::all("benchres") {
        let dir = b.path("bench");
        let out = b
            .cmd(&[
                "bench",
                "results",
                "--precincts",
                "60",
                "--window",
                "3",
                "--operators",
                "4",
                "--hotline-share",
                "0.5",
                "--drop-before",
                "0.1",
                "--drop-after",
                "0.2",
                // 30% of connections fail: enough retries that giving up is ~1e-5 likely.
                "--retries",
                "9",
                "--dir",
                dir.to_str().unwrap(),
                "--json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["ok"], true, "{}: {v:#}", b.name);
        assert_eq!(v["lost"], 0);
        assert_eq!(v["duplicated"], 0);
        assert_eq!(v["chairs_with_receipt"], 60);
        assert_eq!(v["published"], 60);
        assert_eq!(v["projection_rebuilt_equal"], true);
        // Failures were injected, after commit too, and retries got the stored receipt.
        assert!(
            v["proxy_dropped_after_commit"].as_u64().unwrap() > 0,
            "{v:#}"
        );
        assert!(v["replayed_receipts"].as_u64().unwrap() > 0, "{v:#}");
        let entries = v["submissions"].as_u64().unwrap();
        assert_eq!(entries, 60 + v["hotline_entries"].as_u64().unwrap());
    }
}

#[test]
fn demo_election_night_fills_the_public_feeds() {
    for b in Backend::all("demonight") {
        b.cmd(&[
            "demo",
            "--voters",
            "3000",
            "--no-serve",
            "--election-night",
            "--night-seconds",
            "3",
            "--bind",
            "127.0.0.1:0",
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("0 failed"));
        let served = serve(&b);
        let agent = http();
        for (slug, contest) in [("demo-caucus", "president"), ("demo-primary", "governor")] {
            let mut resp = agent
                .get(format!(
                    "{}/api/v1/results/{slug}/results.json",
                    served.base
                ))
                .call()
                .unwrap();
            assert_eq!(resp.status(), 200, "{}: {slug}", b.name);
            let feed: serde_json::Value =
                serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
            let c = feed["contests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["contest"] == contest)
                .unwrap_or_else(|| panic!("{slug}: {feed:#}"));
            let total = c["precincts_total"].as_u64().unwrap();
            let reporting = c["precincts_reporting"].as_u64().unwrap();
            assert!(total > 0);
            if slug == "demo-primary" {
                assert_eq!(
                    reporting, total,
                    "{}: every primary precinct reports",
                    b.name
                );
            } else {
                // Double entry: all but the (at most two) hotline typos agree.
                assert!(
                    reporting + 2 >= total && reporting > 0,
                    "{reporting}/{total}"
                );
            }
        }
    }
}
