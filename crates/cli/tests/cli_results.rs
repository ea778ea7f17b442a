//! End-to-end test of `votebase results check-caucus` on the real Iowa 2020 files.

mod common;

use common::{Backend, shared};
use predicates::str::contains;

#[test]
fn iowa_check_lists_adair_orient_and_totals() {
    let b = Backend::sqlite();
    let dir = shared("results/iowa2020");
    b.cmd(&["results", "check-caucus", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(contains("Adair / 4SE ORIENT"))
        .stdout(contains(
            "published Sanders 1, Warren 3; rules Sanders 2, Warren 2",
        ))
        .stdout(contains("delegates differ from the rules"));
    let out = b
        .cmd(&["results", "check-caucus", dir.to_str().unwrap(), "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("JSON report");
    assert!(v.to_string().contains("ORIENT"));
    b.cmd(&["results", "check-caucus", "/nonexistent"])
        .assert()
        .failure();
}
