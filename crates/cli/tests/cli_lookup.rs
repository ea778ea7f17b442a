//! End-to-end tests of `votebase vip validate` and `votebase lookup` on the real VIP
//! feeds in `shared/data/vip`: the Virginia 5.2 sample (XML), the Alamance County 3.0 CSV
//! set and the validator's fixtures.

mod common;

use common::{Backend, shared};
use predicates::prelude::*;

fn vip(rel: &str) -> String {
    shared("vip").join(rel).to_string_lossy().into_owned()
}

#[test]
fn validate_prints_findings_by_line_and_fails_on_errors() {
    let b = Backend::sqlite();
    b.cmd(&[
        "vip",
        "validate",
        &vip("xml-5.x-fixtures/v5-street-segment-overlaps.xml"),
    ])
    .assert()
    .code(1)
    // An overlap is answered honestly (both precincts and the county's contact): a warning
    // with the addresses concerned; a segment whose precinct does not exist is an error.
    .stdout(predicate::str::contains(
        "v5-street-segment-overlaps.xml:15: warning [overlapping-segments] StreetSegment ss002",
    ))
    .stdout(predicate::str::contains(
        "v5-street-segment-overlaps.xml:8: error [dangling-reference] StreetSegment ss001",
    ));
    let out = b
        .cmd(&[
            "vip",
            "validate",
            "--json",
            &vip("xml-5.x-fixtures/v5-duplicate-ids.xml"),
        ])
        .assert()
        // Two elements that no lookup follows share an id: listed, but no voter is sent
        // to a wrong or missing place, so the feed is not refused.
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["errors"], 0);
    assert_eq!(v["warnings"], 1);
    assert_eq!(v["findings"][0]["rule"], "duplicate-id");
    assert_eq!(v["findings"][0]["id"], "super-duper");
    assert_eq!(v["findings"][0]["line"], 4);
    b.cmd(&[
        "vip",
        "validate",
        &vip("xml-5.x-fixtures/v5-source-vip-id-valid-2-digit-fips.xml"),
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("0 errors"));
}

#[test]
fn validate_reports_a_missing_feed_as_an_error() {
    let b = Backend::sqlite();
    b.cmd(&["vip", "validate", "no-such-feed.xml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no-such-feed.xml"));
}

#[test]
fn lookup_finds_the_polling_place_and_early_sites() {
    let b = Backend::sqlite();
    b.cmd(&[
        "lookup",
        "1800 Lambert Rd, Graham, NC 27253",
        "--feed",
        &vip("csv-3.0-nc-alamance"),
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "Polling place: SALEM UNITED METHODIST CHURCH",
    ))
    .stdout(predicate::str::contains("4924 SALEM CHURCH RD"))
    .stdout(predicate::str::contains("Early voting:"))
    .stdout(predicate::str::contains("Hours: 2012-04-19 to 2012-05-05"));
}

#[test]
fn lookup_answers_mail_only_need_more_and_did_you_mean() {
    let b = Backend::sqlite();
    let sample = vip("spec-5.2/sample_feed.xml");
    b.cmd(&[
        "lookup",
        "10 Chapel Hill Rd, Charlottesville, VA 22901",
        "--feed",
        &sample,
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("votes by mail only"));
    let out = b
        .cmd(&[
            "lookup",
            "10 Chapel Hill Rd, Charlottesville, VA 22901",
            "--feed",
            &sample,
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["status"], "mail-only");
    let alamance = vip("csv-3.0-nc-alamance");
    b.cmd(&["lookup", "101 Main St", "--feed", &alamance])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("Need more"));
    b.cmd(&[
        "lookup",
        "1800 Lambret Rd, Graham, NC 27253",
        "--feed",
        &alamance,
    ])
    .assert()
    .code(2)
    .stdout(predicate::str::contains("Did you mean: LAMBERT RD"));
}
