//! `votebase demo --no-serve` runs to completion on SQLite for the seeds and sizes that once
//! failed (issue 13, row 15: seed 7 with 20,000 voters wrote contact rows for a new voter
//! whose NCID the refresh had rewritten, so the whole canvass file was refused) and for a
//! small other seed.

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
        .stdout(contains("demo ready in"));
}

#[test]
fn demo_seed_7_with_20000_voters_completes() {
    demo_completes("20000", "7");
}

#[test]
fn demo_small_other_seed_completes() {
    demo_completes("2500", "3");
}
