//! The other shared feeds: the Virginia 5.2 sample (XML), the 5.2 CSV set of the VIP
//! data-processor and its intentionally bad street segments, and Maricopa's 6.0 feed
//! (vote centers: precincts without polling places, no street segments).

use std::path::{Path, PathBuf};
use votebase_vip::{Answer, FeedFormat, Index, Rule, load, validate};

fn vip(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vip")
        .join(rel)
}

#[test]
fn virginia_sample_feed() {
    let feed = load(&vip("spec-5.2/sample_feed.xml")).unwrap();
    assert_eq!(feed.format, FeedFormat::Xml);
    assert_eq!(feed.schema_version, "5.2");
    assert_eq!(
        (
            feed.precincts.len(),
            feed.polling_locations.len(),
            feed.street_segments.len()
        ),
        (32, 27, 13)
    );
    let index = Index::build(&feed);
    assert!(matches!(
        index.lookup("10 Chapel Hill Rd, Charlottesville, VA 22901"),
        Answer::MailOnly { .. }
    ));
    // Hours from HoursOpen reach the answer.
    let with_hours = index
        .precincts()
        .iter()
        .flat_map(|p| p.polling_places.iter().chain(&p.early_vote))
        .any(|pl| pl.hours.iter().any(|h| h.contains("2013-11-05")));
    assert!(with_hours);
}

#[test]
fn csv_5_2_set_and_its_bad_segments() {
    let feed = load(&vip("csv-5.2-data-processor")).unwrap();
    assert_eq!(feed.format, FeedFormat::Csv5);
    assert_eq!(feed.street_segments.len(), 2);
    let report = validate(&feed);
    assert_eq!(
        report.of(Rule::DanglingReference).count(),
        0,
        "{:?}",
        report.findings
    );
    let index = Index::build(&feed);
    match index.lookup("101 NW Delaware St N, Washington, DC 20001") {
        Answer::Found { precinct, .. } => assert_eq!(precinct.id, "pre90113"),
        other => panic!("{other:?}"),
    }
    let bad = validate(&load(&vip("csv-5.2-data-processor/bad-street-segments")).unwrap());
    let missing: Vec<(&str, &str, u64)> = bad
        .of(Rule::MissingRequired)
        .map(|f| (f.id.as_str(), f.field.as_str(), f.origin.line))
        .collect();
    assert!(missing.contains(&("ss000001", "City", 2)), "{missing:?}");
    assert!(
        missing.contains(&("ss000002", "OddEvenBoth", 3)),
        "{missing:?}"
    );
}

#[test]
fn maricopa_vote_centers() {
    let feed = load(&vip("spec-6.0/vipfeed-04013-2020-11-03.xml")).unwrap();
    assert_eq!(
        (feed.precincts.len(), feed.polling_locations.len()),
        (748, 560)
    );
    let report = validate(&feed);
    assert_eq!(report.errors, 0);
    assert_eq!(report.of(Rule::PrecinctWithoutPollingPlace).count(), 748);
}
