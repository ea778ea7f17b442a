//! `votebase demo --no-serve` runs to completion on SQLite for the seeds and sizes that once
//! failed (issue 13, row 15: seed 7 with 20,000 voters wrote contact rows for a new voter
//! whose NCID the refresh had rewritten, so the whole canvass file was refused) and for a
//! small other seed; the demo's other organizations, Camp A's voter file subscription and
//! the agreement are in place.

mod common;

use common::Backend;
use predicates::str::contains;

fn demo_completes(voters: &str, seed: &str) {
    let b = Backend::sqlite();
    b.cmd(&["demo", "--voters", voters, "--seed", seed, "--no-serve"])
        .assert()
        .success()
        .stdout(contains("contact history:"))
        .stdout(contains("support score: trained on"))
        .stdout(contains("demo ready in"))
        .stdout(contains("records crossed"));
    // The state-file organization and two campaigns, registered beside the default one.
    let list = b.cmd(&["org", "list"]).assert().success();
    let list = String::from_utf8_lossy(&list.get_output().stdout).to_string();
    for org in ["default", "state_file", "camp_a", "camp_b"] {
        assert!(
            list.lines().any(|l| l.starts_with(&format!("{org}\t"))),
            "{org}: {list}"
        );
    }
    // Camp A reads the state file organization's voter file (imported once), Camp B its own.
    let line = |org: &str| {
        list.lines()
            .find(|l| l.starts_with(&format!("{org}\t")))
            .unwrap()
            .to_string()
    };
    assert!(
        line("camp_a").ends_with("voter file of state_file"),
        "{list}"
    );
    assert!(line("camp_b").ends_with("own voter file"), "{list}");
    let count = |org: &str| -> u64 {
        let out = b
            .cmd(&[
                "--org",
                org,
                "universe",
                "count",
                "",
                "--include-voted",
                "--include-suppressed",
            ])
            .assert()
            .success();
        common::last_number(&String::from_utf8_lossy(&out.get_output().stdout))
    };
    assert_eq!(
        count("camp_a"),
        count("state_file"),
        "Camp A counts the state file"
    );
    assert!(count("camp_a") > 2_000);
    // One agreement, active, with records applied on Camp A's side and nothing waiting.
    let status = b
        .cmd(&["--org", "camp_a", "exchange", "status"])
        .assert()
        .success();
    let status = String::from_utf8_lossy(&status.get_output().stdout).to_string();
    assert!(status.contains("default -> camp_a [active]"), "{status}");
    let applied: u64 = status
        .split("applied ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no applied count in {status}"));
    assert!(applied > 0, "{status}");
    assert!(status.contains("lag 0"), "{status}");
}

#[test]
fn demo_seed_7_with_20000_voters_completes() {
    demo_completes("20000", "7");
}

#[test]
fn demo_small_other_seed_completes() {
    demo_completes("2500", "3");
}
