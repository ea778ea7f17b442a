//! Parsers and the roll-up check on the real files in `../shared/data/results/`.

use super::*;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/results")
        .join(rel);
    assert!(p.exists(), "test data missing: {}", p.display());
    p
}

fn pa(county: &str) -> PathBuf {
    data(&format!(
        "openelections-pa-2020-general/20201103__pa__general__{county}__precinct.csv"
    ))
}

fn sum(rows: &[PastResultRow], office: &str, candidate: &str) -> i64 {
    rows.iter()
        .filter(|r| r.office == office && r.candidate == candidate)
        .map(|r| r.votes)
        .sum()
}

#[test]
fn openelections_files_parse_by_header_name() {
    // (county, rows, precincts, vote types)
    for (county, rows, precincts, types) in [
        (
            "adams",
            1500,
            50,
            vec!["election_day", "mail", "provisional"],
        ),
        (
            "centre",
            4591,
            87,
            vec!["election_day", "mail", "provisional", "federal"],
        ),
        (
            "allegheny",
            35281,
            1323,
            vec!["provisional", "absentee", "election_day"],
        ),
        ("dauphin", 4303, 159, vec![]),
        ("cameron", 440, 10, vec![]),
    ] {
        let p = parse(&pa(county), ResultsFormat::OpenElections).unwrap();
        assert!(p.rejects.is_empty(), "{county}: {:?}", p.rejects.first());
        assert_eq!(p.rows.len(), rows, "{county} rows");
        let distinct: HashSet<&str> = p.rows.iter().map(|r| r.precinct.as_str()).collect();
        assert_eq!(distinct.len(), precincts, "{county} precincts");
        assert_eq!(p.vote_types, types, "{county} vote types");
        assert!(!p.county_level);
    }
}

#[test]
fn swapped_columns_quoted_commas_and_thousands_separators() {
    // Cameron: candidate before party.
    let p = parse(&pa("cameron"), ResultsFormat::OpenElections).unwrap();
    let biden = p
        .rows
        .iter()
        .find(|r| r.candidate.contains("Biden"))
        .expect("a Biden row");
    assert_eq!(biden.party, "DEM");
    // Dauphin: precinct names with commas, quoted.
    let p = parse(&pa("dauphin"), ResultsFormat::OpenElections).unwrap();
    assert_eq!(
        p.rows[1].precinct,
        "HARRISBURG CITY--1ST WARD, 2ND PRECINCT"
    );
    assert_eq!(p.rows[1].votes, 565);
    // Adams: "1,135" in a vote-type column.
    let p = parse(&pa("adams"), ResultsFormat::OpenElections).unwrap();
    assert!(
        p.rows
            .iter()
            .any(|r| r.vote_types.contains(&("election_day".into(), 1135)))
    );
}

#[test]
fn centre_precinct_sums_match_the_published_county_totals() {
    let p = parse(&pa("centre"), ResultsFormat::OpenElections).unwrap();
    assert_eq!(sum(&p.rows, "President", "Joseph R. Biden"), 40055);
    assert_eq!(sum(&p.rows, "President", "Donald J. Trump"), 36372);
    let totals = totals_from_file(&data(
        "openelections-pa-2020-general/20201103__pa__general__county.csv",
    ))
    .unwrap();
    let r = roll_up(&p.rows, &totals);
    let biden = r
        .checked
        .iter()
        .find(|t| t.candidate == "Joseph R. Biden" && t.vote_type == "total")
        .unwrap();
    assert_eq!((biden.published, biden.precinct_sum), (40055, 40055));
    let mismatches: Vec<_> = r.mismatches().collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // Totals of the 12 other counties are not compared.
    assert!(r.published_elsewhere > 400);
    assert!(r.counties_without_totals.is_empty());
    // Names spelt differently are paired and listed (the file writes names in capitals).
    let variants: Vec<(&str, &str)> = r
        .name_variants
        .iter()
        .map(|v| (v.published.as_str(), v.in_file.as_str()))
        .collect();
    assert!(
        variants.contains(&("G.T. Thompson", "GLENN GT THOMPSON")),
        "{variants:?}"
    );
    assert!(r.without_total.iter().any(|w| w.3 == "Not Assigned"));
}

#[test]
fn a_changed_precinct_figure_is_listed_as_a_mismatch() {
    let mut p = parse(&pa("centre"), ResultsFormat::OpenElections).unwrap();
    let totals = totals_from_file(&data(
        "openelections-pa-2020-general/20201103__pa__general__county.csv",
    ))
    .unwrap();
    let row = p
        .rows
        .iter_mut()
        .find(|r| r.office == "President" && r.candidate == "Donald J. Trump")
        .unwrap();
    row.votes += 7;
    let r = roll_up(&p.rows, &totals);
    let m: Vec<_> = r.mismatches().collect();
    assert_eq!(m.len(), 1, "{m:#?}");
    assert_eq!(m[0].candidate, "Donald J. Trump");
    assert_eq!((m[0].published, m[0].precinct_sum), (36372, 36379));
}

#[test]
fn georgia_precinct_files_roll_up_to_the_county_csv_and_the_clarity_state_file() {
    let mut rows = Vec::new();
    for c in ["henry", "newton", "rockdale"] {
        let p = parse(
            &data(&format!(
                "openelections-ga-2018-clarity/20180109__ga__special__general__{c}__precinct.csv"
            )),
            ResultsFormat::OpenElections,
        )
        .unwrap();
        rows.extend(p.rows);
    }
    let csv_totals = totals_from_file(&data(
        "openelections-ga-2018-clarity/20180109__ga__special.csv",
    ))
    .unwrap();
    let r = roll_up(&rows, &csv_totals);
    assert_eq!(r.checked.len(), 16);
    assert_eq!(
        r.mismatch_count(),
        0,
        "{:#?}",
        r.mismatches().collect::<Vec<_>>()
    );

    // The state-level Clarity file gives the same county totals, by vote type too.
    let xml_totals = totals_from_file(&data(
        "openelections-ga-2018-clarity/20180109__ga__special.xml",
    ))
    .unwrap();
    let r = roll_up(&rows, &xml_totals);
    let totals: Vec<_> = r
        .checked
        .iter()
        .filter(|t| t.vote_type == "total")
        .collect();
    assert_eq!(totals.len(), 16, "{totals:#?}");
    assert!(
        totals.iter().all(|t| t.published == t.precinct_sum),
        "{totals:#?}"
    );
}

#[test]
fn clarity_precinct_file_matches_the_openelections_ground_truth() {
    let truth = parse(
        &data("openelections-ga-2018-clarity/20181218__ga__house__14__special.csv"),
        ResultsFormat::OpenElections,
    )
    .unwrap();
    assert_eq!(truth.rows.len(), 52);
    let mut rows = Vec::new();
    for f in ["detail_bartow.xml", "detail_floyd.xml"] {
        let p = parse(
            &data(&format!("openelections-ga-2018-clarity/{f}")),
            ResultsFormat::Clarity,
        )
        .unwrap();
        assert_eq!(p.election_date, NaiveDate::from_ymd_opt(2018, 12, 18));
        assert!(!p.county_level);
        let r = roll_up(&p.rows, &p.published);
        assert_eq!(
            r.mismatch_count(),
            0,
            "{f}: {:#?}",
            r.mismatches().collect::<Vec<_>>()
        );
        assert!(r.checked.len() > 16);
        rows.extend(p.rows.into_iter().filter(|r| r.office != "Ballots Cast"));
    }
    assert_eq!(rows.len(), 52);
    let first = &rows[0];
    assert_eq!(
        (
            first.office.as_str(),
            first.district.as_str(),
            first.party.as_str()
        ),
        ("State Representative", "14", "REP")
    );
    for t in &truth.rows {
        let r = rows
            .iter()
            .find(|r| {
                r.county == t.county && r.precinct == t.precinct && r.candidate == t.candidate
            })
            .unwrap_or_else(|| panic!("no Clarity row for {t:?}"));
        assert_eq!(r.votes, t.votes, "{t:?}");
        let by =
            |rows: &[(String, i64)], k: &str| rows.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
        assert_eq!(
            by(&r.vote_types, "election_day"),
            by(&t.vote_types, "election_day")
        );
        assert_eq!(
            by(&r.vote_types, "advance_in_person"),
            by(&t.vote_types, "advanced")
        );
        assert_eq!(
            by(&r.vote_types, "absentee_by_mail"),
            by(&t.vote_types, "absentee_by_mail")
        );
    }
}

#[test]
fn clarity_files_from_kentucky_and_arkansas() {
    let p = parse(&data("clarity-enr/precinct.xml"), ResultsFormat::Clarity).unwrap();
    assert_eq!(p.election_name, "2014 Primary Election");
    assert_eq!(p.rows[0].county, "Greenup");
    assert_eq!(
        sum(&p.rows, "US Senator", "Mitch McCONNELL"),
        1135,
        "contest `US Senator - REPUBLICAN`"
    );
    assert!(p.rows.iter().any(|r| r.candidate == "Under Votes"));
    let r = roll_up(&p.rows, &p.published);
    assert!(r.checked.len() >= 12);
    for m in r.mismatches() {
        assert_eq!(m.office, "Ballots Cast", "only turnout may differ: {m:?}");
    }

    let p = parse(&data("clarity-enr/county.xml"), ResultsFormat::Clarity).unwrap();
    assert!(p.county_level);
    assert_eq!(
        p.rows
            .iter()
            .map(|r| r.county.as_str())
            .collect::<HashSet<_>>()
            .len(),
        75
    );
    // The file's own figures disagree: Tom Cotton's totalVotes (477,734) is not the sum
    // of his four vote types (462,123), which the county figures do add up to.
    assert_eq!(sum(&p.rows, "U.S. Senate", "Tom Cotton"), 462123);
    let r = roll_up(&p.rows, &p.published);
    let m: Vec<_> = r.mismatches().collect();
    assert_eq!(m.len(), 1, "{m:#?}");
    assert_eq!(
        (m[0].vote_type.as_str(), m[0].published, m[0].precinct_sum),
        ("total", 477734, 462123)
    );
    assert_eq!(r.checked.len(), 5, "the total and four vote types");
}

#[test]
fn bad_rows_are_refused_with_line_and_reason() {
    let csv = "county,precinct,office,district,party,candidate,votes\n\
               Adams,North,President,,DEM,A,12\n\
               Adams,North,President,,REP,B,twelve\n\
               ,South,President,,DEM,A,3\n\
               Adams,South,President,,REP,B,-4\n\
               Adams,South,President,,REP,C,\"1,204\"\n";
    let p = openelections::parse_reader(csv.as_bytes(), "t.csv").unwrap();
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[1].votes, 1204);
    let got: Vec<(u64, &str)> = p
        .rejects
        .iter()
        .map(|r| (r.line, r.column.as_str()))
        .collect();
    assert_eq!(got, vec![(3, "votes"), (4, "county"), (5, "votes")]);
    assert!(p.rejects[0].reason.contains("twelve"));
}

#[test]
fn a_header_without_votes_or_office_is_refused_before_anything() {
    let e = openelections::parse_reader("county,precinct,candidate,votes\n".as_bytes(), "x.csv")
        .unwrap_err();
    assert!(e.to_string().contains("no office column"), "{e}");
    let e = openelections::parse_reader(
        "county,precinct,office,candidate,winner\n".as_bytes(),
        "x.csv",
    )
    .unwrap_err();
    assert!(e.to_string().contains("no votes column"), "{e}");
}

#[test]
fn malformed_xml_names_file_and_line() {
    let xml = "<?xml version=\"1.0\"?>\n<ElectionResult>\n<Contest text=\"A\">\n<Choice text=\"X\" totalVotes=\"abc\">\n</Choice></Contest></ElectionResult>\n";
    let e = clarity::parse_reader(xml.as_bytes(), "d.xml").unwrap_err();
    assert!(e.to_string().starts_with("d.xml:4:"), "{e}");
    assert!(e.to_string().contains("totalVotes"), "{e}");
    let e = clarity::parse_reader("<VipObject/>".as_bytes(), "v.xml").unwrap_err();
    assert!(e.to_string().contains("not a Clarity"), "{e}");
    let e = clarity::parse_reader("<ElectionResult><Contest>".as_bytes(), "t.xml")
        .map(|_| ())
        .unwrap_err();
    assert!(e.to_string().contains("t.xml:"), "{e}");
}

#[test]
fn contest_names_split_into_office_district_party() {
    assert_eq!(
        clarity::split_contest("State Representative, District 14 - REP"),
        ("State Representative".into(), "14".into(), "REP".into())
    );
    assert_eq!(
        clarity::split_contest("US Senator - REPUBLICAN"),
        ("US Senator".into(), "".into(), "REPUBLICAN".into())
    );
    assert_eq!(
        clarity::split_contest("Soil District Supervisor"),
        ("Soil District Supervisor".into(), "".into(), "".into())
    );
}
