//! The party's published 2020 results, recomputed: the Adair 4SE ORIENT finding and the
//! totals per kind of inconsistency over the whole 100% release. The totals were set after
//! hand-checking flagged precincts (see the report in the crate docs).

mod common;

use votebase_caucus::{FindingKind, check_caucus_dir, iowa, read_results};

#[test]
fn adair_4se_orient_gave_warren_sanders_delegate() {
    let Some(dir) = common::iowa_dir() else {
        return;
    };
    let report = check_caucus_dir(&dir).unwrap();
    let p = report.find("Adair", "4SE ORIENT").expect("flagged");
    assert_eq!(p.error_kinds(), vec![FindingKind::DelegatesDifferFromRules]);
    assert_eq!(p.delegates, 10);
    let get = |name: &str| p.candidates.iter().find(|c| c.candidate == name).unwrap();
    assert_eq!((get("Sanders").published, get("Sanders").computed), (1, 2));
    assert_eq!((get("Warren").published, get("Warren").computed), (3, 2));
    for name in ["Biden", "Buttigieg", "Klobuchar"] {
        assert_eq!((get(name).published, get(name).computed), (2, 2));
    }
    assert!(!p.coin_toss);
    assert_eq!(
        p.delegates_summary(),
        "published Sanders 1, Warren 3; rules Sanders 2, Warren 2"
    );
}

#[test]
fn totals_per_kind_on_the_100_percent_release() {
    let Some(dir) = common::iowa_dir() else {
        return;
    };
    let report = check_caucus_dir(&dir).unwrap();
    let totals: Vec<(FindingKind, usize)> = report
        .totals
        .iter()
        .map(|t| (t.kind, t.precincts))
        .collect();
    assert_eq!(
        totals,
        vec![
            (FindingKind::FinalLargerThanFirst, 83),
            (FindingKind::ViableGroupLostMembers, 73),
            (FindingKind::NoViableGroup, 3),
            (FindingKind::DelegateTotalWrong, 42),
            (FindingKind::DelegatesDifferFromRules, 127),
            (FindingKind::MoreVotesFewerDelegates, 22),
            (FindingKind::NonViableGroupInFinal, 507),
            (FindingKind::CoinToss, 144),
        ]
    );
    assert_eq!(report.precincts_checked, 1678);
    assert_eq!(report.flagged.len(), 261);
    assert_eq!(report.skipped.len(), 87);
}

#[test]
fn bad_files_are_reported_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("caucus-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(iowa::RELEASE_100);
    let header = "First Expression,Final Expression,SDE";
    let measures: Vec<&str> = header.split(',').collect();
    std::fs::write(
        &path,
        format!(
            ",,{m0},{m1},{m2}\n,,Biden,Biden,Biden\nCounty,Precinct,,,\nAdair,X,3,three,0.1\n",
            m0 = measures[0],
            m1 = measures[1],
            m2 = measures[2]
        ),
    )
    .unwrap();
    let err = read_results(&path).unwrap_err().to_string();
    assert!(
        err.contains(":4: column 4 (Final Expression Biden)"),
        "{err}"
    );
    assert!(err.contains("\"three\""), "{err}");
    std::fs::write(&path, ",,Oops\n,,Biden\nCounty,Precinct\n").unwrap();
    let err = read_results(&path).unwrap_err().to_string();
    assert!(err.contains(":1: unexpected header"), "{err}");
    let missing = check_caucus_dir(&dir).unwrap_err().to_string();
    assert!(missing.contains(iowa::RELEASE_100) || missing.contains(iowa::PRECINCT_DELEGATES));
    std::fs::remove_dir_all(&dir).unwrap();
}
