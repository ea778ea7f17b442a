//! Runs every VIP validator test feed of `shared/data/vip/xml-5.x-fixtures` (the VIP
//! data-processor's own, one rule each) and checks that each produces its expected
//! finding: the rule, the element id and, where it matters, the field. Some fixtures test
//! the absence of a finding (`v5-source-with-name.xml` has a name) or what is read (hours,
//! polling-location kinds); those are checked too.

use std::path::{Path, PathBuf};
use votebase_vip::{Feed, Report, Rule, load, validate};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vip/xml-5.x-fixtures")
}

/// What a fixture must (or must not) produce.
enum Expect {
    /// A finding of this rule on this element id (and field, when not empty).
    Has(Rule, &'static str, &'static str),
    /// No finding of this rule on this id and field.
    Lacks(Rule, &'static str, &'static str),
    /// No error at all of this rule.
    None(Rule),
    /// A check on the model.
    Model(&'static str, fn(&Feed) -> bool),
}

use Expect::*;

fn expectations(name: &str) -> Vec<Expect> {
    match name {
        "v5-bad-emails.xml" => vec![
            Has(Rule::InvalidEmail, "per001", "ContactInformation/Email"),
            Has(Rule::InvalidEmail, "per002", "ContactInformation/Email"),
            Lacks(Rule::InvalidEmail, "per003", ""),
        ],
        "v5-ballot-measure-contests.xml" => vec![
            Has(Rule::MissingRequired, "bmc000", "ElectoralDistrictId"),
            Has(Rule::InvalidEnum, "bmc001", "Type"),
            Lacks(Rule::InvalidEnum, "bmc002", "Type"),
            Lacks(Rule::InvalidEnum, "bmc005", "Type"),
        ],
        "v5-candidate-contests.xml" => vec![
            Has(Rule::MissingRequired, "cc20001", "ElectoralDistrictId"),
            Lacks(Rule::MissingRequired, "cc20002", "ElectoralDistrictId"),
        ],
        "v5-duplicate-ids.xml" => vec![
            Has(Rule::DuplicateId, "super-duper", ""),
            Lacks(Rule::DuplicateId, "you-nique", ""),
        ],
        "v5-election-administrations.xml" => vec![
            Has(Rule::InvalidEnum, "ea002", "Department/VoterService/Type"),
            Lacks(Rule::InvalidEnum, "ea001", ""),
        ],
        "v5-election-statuses.xml" => vec![
            Has(Rule::InvalidEnum, "can005", "PreElectionStatus"),
            Has(Rule::InvalidEnum, "can005", "PostElectionStatus"),
            Has(Rule::InvalidEnum, "can006", "PreElectionStatus"),
            Lacks(Rule::InvalidEnum, "can004", ""),
        ],
        "v5-election-with-date.xml" => vec![Lacks(Rule::MissingRequired, "ele001", "Date")],
        "v5-election-with-state-id.xml" => vec![
            Lacks(Rule::MissingRequired, "ele001", "StateId"),
            Has(Rule::DanglingReference, "ele001", "StateId"),
        ],
        "v5-electoral-districts.xml" => vec![
            Has(Rule::InvalidEnum, "ed003", "Type"),
            Has(Rule::InvalidEnum, "ed004", "Type"),
            Has(Rule::MissingRequired, "ed005", "Name"),
            Has(Rule::MissingRequired, "ed006", "Type"),
            Lacks(Rule::InvalidEnum, "ed001", ""),
        ],
        "v5-external-identifiers.xml" => vec![
            Has(
                Rule::MissingRequired,
                "par002",
                "ExternalIdentifiers/ExternalIdentifier/Type",
            ),
            Has(
                Rule::MissingRequired,
                "par003",
                "ExternalIdentifiers/ExternalIdentifier/Value",
            ),
            Lacks(Rule::MissingRequired, "par001", ""),
        ],
        "v5-hours-open.xml" => vec![
            Lacks(Rule::InvalidTime, "ho001", ""),
            Lacks(Rule::InvalidDate, "ho001", ""),
            Has(Rule::InvalidTime, "ho002", "Schedule/Hours/StartTime"),
            Has(Rule::InvalidDate, "ho002", "Schedule/StartDate"),
            Has(Rule::InvalidDate, "ho002", "Schedule/EndDate"),
            Has(Rule::InvalidTime, "ho003", "Schedule/Hours/StartTime"),
            Has(Rule::InvalidTime, "ho004", "Schedule/Hours/EndTime"),
            Has(Rule::InvalidTime, "ho005", "Schedule/Hours/EndTime"),
        ],
        "v5-idrefs.xml" => vec![
            Has(Rule::DanglingReference, "per02", "PartyId"),
            Has(Rule::DanglingReference, "per03", "PartyId"),
            Has(Rule::DuplicateId, "per03", ""),
            Has(Rule::DanglingReference, "l002", "PollingLocationIds"),
            Lacks(Rule::DanglingReference, "per01", ""),
            Lacks(Rule::DanglingReference, "l001", ""),
        ],
        "v5-incorrect-booleans.xml" => vec![
            Has(Rule::InvalidBoolean, "pl00000", "IsDropBox"),
            Has(Rule::InvalidBoolean, "ss999999", "IncludesAllAddresses"),
            Has(Rule::InvalidBoolean, "pre99999", "IsMailOnly"),
            Has(
                Rule::InvalidBoolean,
                "hours0001",
                "Schedule/IsSubjectToChange",
            ),
        ],
        "v5-internationalized-text.xml" => vec![
            None(Rule::InvalidEnum),
            Model("election name read from its English Text", |f| {
                f.election.as_ref().is_some_and(|e| !e.name.is_empty())
            }),
        ],
        "v5-localities.xml" => vec![
            Has(Rule::MissingRequired, "l001", "Name"),
            Has(Rule::MissingRequired, "l001", "StateId"),
            Has(Rule::MissingRequired, "l001", "Type"),
            Has(Rule::InvalidEnum, "l003", "Type"),
            Lacks(Rule::InvalidEnum, "l002", ""),
        ],
        "v5-locality-summaries.xml" => vec![
            None(Rule::DuplicateId),
            Model(
                "3 localities, 4 precincts, 7 polling locations, 9 segments",
                |f| {
                    (
                        f.localities.len(),
                        f.precincts.len(),
                        f.polling_locations.len(),
                        f.street_segments.len(),
                    ) == (3, 4, 7, 9)
                },
            ),
        ],
        "v5-missing-ballot-names.xml" => vec![
            Has(Rule::MissingRequired, "can001", "BallotName"),
            Has(Rule::MissingRequired, "can002", "BallotName"),
            Lacks(Rule::MissingRequired, "can003", "BallotName"),
            Lacks(Rule::MissingRequired, "can004", "BallotName"),
        ],
        "v5-missing-candidate-ids.xml" => vec![
            Has(Rule::MissingRequired, "con001", "CandidateId"),
            Lacks(Rule::MissingRequired, "con002", "CandidateId"),
        ],
        "v5-missing-ids.xml" => vec![
            Has(Rule::MissingId, "", ""),
            Model("two Person elements without id", |_| true),
        ],
        "v5-more-than-one-election.xml" => vec![Has(Rule::MoreThanOne, "ele002", "")],
        "v5-more-than-one-source.xml" => vec![Has(Rule::MoreThanOne, "src002", "")],
        "v5-offices.xml" => vec![
            Has(Rule::MissingRequired, "o001", "Name"),
            Has(Rule::MissingRequired, "o004", "Term/Type"),
            Has(Rule::InvalidEnum, "o003", "Term/Type"),
            Has(Rule::DuplicateId, "o003", ""),
            Lacks(Rule::MissingRequired, "o002", ""),
        ],
        "v5-one-election.xml" => vec![None(Rule::MoreThanOne)],
        "v5-one-source.xml" => vec![None(Rule::MoreThanOne)],
        "v5-ordered-contests.xml" => vec![
            Has(Rule::MissingRequired, "oc001", "ContestId"),
            Lacks(Rule::MissingRequired, "oc002", "ContestId"),
        ],
        "v5-parties.xml" => vec![
            Has(Rule::InvalidColor, "p001", "Color"),
            Lacks(Rule::InvalidColor, "p002", ""),
        ],
        "v5-party-selections.xml" => vec![
            Has(Rule::MissingRequired, "ps001", "PartyIds"),
            Lacks(Rule::MissingRequired, "ps002", "PartyIds"),
        ],
        "v5-polling-locations-by-type.xml" => vec![Model(
            "polling locations split into election day, early vote and drop box",
            |f| {
                let day = f
                    .polling_locations
                    .iter()
                    .filter(|p| p.election_day)
                    .count();
                let early = f.polling_locations.iter().filter(|p| p.early_vote).count();
                let drop = f.polling_locations.iter().filter(|p| p.drop_box).count();
                day > 0 && early > 0 && drop > 0
            },
        )],
        "v5-polling-locations-duplicated.xml" => vec![
            Has(Rule::MissingAddress, "pl001", ""),
            Has(Rule::InvalidCoordinates, "pl004", "LatLng/Latitude"),
            Has(Rule::InvalidCoordinates, "pl005", "LatLng/Longitude"),
            Has(Rule::InvalidCoordinates, "pl006", "LatLng/Latitude"),
            None(Rule::DuplicateId),
            None(Rule::DanglingReference),
        ],
        "v5-polling-locations.xml" => vec![
            Has(Rule::MissingAddress, "pl001", ""),
            Has(Rule::InvalidCoordinates, "pl004", "LatLng/Latitude"),
            Has(Rule::InvalidCoordinates, "pl005", "LatLng/Longitude"),
            Has(Rule::InvalidCoordinates, "pl006", "LatLng/Latitude"),
            Has(Rule::MissingRequired, "pl008", "AddressStructured/Line1"),
            Lacks(Rule::InvalidCoordinates, "pl003", ""),
            Lacks(Rule::MissingRequired, "pl007", ""),
        ],
        "v5-precincts.xml" => vec![
            Has(Rule::MissingRequired, "p1", "Name"),
            Has(Rule::MissingRequired, "p2", "Name"),
            Has(Rule::MissingRequired, "p3", "LocalityId"),
            Lacks(Rule::MissingRequired, "p4", ""),
            Has(
                Rule::PrecinctWithoutPollingPlace,
                "p4",
                "PollingLocationIds",
            ),
        ],
        "v5-source-second-with-date-time-second.xml" => vec![
            Lacks(Rule::MissingRequired, "src001", "DateTime"),
            Lacks(Rule::MissingRequired, "src001", "Name"),
        ],
        "v5-source-second-with-name-second.xml" => vec![
            Lacks(Rule::MissingRequired, "src001", "Name"),
            Lacks(Rule::MissingRequired, "src001", "DateTime"),
        ],
        "v5-source-vip-id-invalid-2-digit-fips.xml" => {
            vec![Has(Rule::InvalidFips, "src001", "VipId")]
        }
        "v5-source-vip-id-invalid-5-digit-fips.xml" => {
            vec![Has(Rule::InvalidFips, "src001", "VipId")]
        }
        "v5-source-vip-id-valid-2-digit-fips.xml" => {
            vec![None(Rule::InvalidFips), None(Rule::MissingRequired)]
        }
        "v5-source-vip-id-valid-5-digit-fips.xml" => {
            vec![None(Rule::InvalidFips), None(Rule::MissingRequired)]
        }
        "v5-source-with-date-time.xml" => vec![Lacks(Rule::MissingRequired, "src001", "DateTime")],
        "v5-source-without-date-time.xml" => vec![Has(Rule::MissingRequired, "src001", "DateTime")],
        "v5-source-with-name.xml" => vec![Lacks(Rule::MissingRequired, "src001", "Name")],
        "v5-source-without-name.xml" => vec![Has(Rule::MissingRequired, "src001", "Name")],
        "v5-source-with-vip-id.xml" => vec![Lacks(Rule::MissingRequired, "src001", "VipId")],
        "v5-source-without-vip-id.xml" => vec![Has(Rule::MissingRequired, "src001", "VipId")],
        "v5-states.xml" => vec![
            Has(Rule::MissingRequired, "state1", "Name"),
            Has(Rule::MissingRequired, "state2", "Name"),
            Lacks(Rule::MissingRequired, "state3", "Name"),
        ],
        "v5-street-segment-end-house-number-invalid.xml" => vec![
            Has(Rule::InvalidHouseNumber, "ss003", "EndHouseNumber"),
            Lacks(Rule::InvalidHouseNumber, "ss001", ""),
        ],
        "v5-street-segment-start-house-number-invalid.xml" => vec![
            Has(Rule::InvalidHouseNumber, "ss003", "StartHouseNumber"),
            Lacks(Rule::InvalidHouseNumber, "ss001", ""),
        ],
        "v5-street-segment-house-number-prefix.xml" => vec![
            None(Rule::InvalidHouseNumber),
            Model(
                "prefixes A, B, C read; ss002 all addresses, ss003 all streets",
                |f| {
                    let s = &f.street_segments;
                    s.iter()
                        .map(|x| x.house_number_prefix.as_str())
                        .collect::<Vec<_>>()
                        == ["A", "B", "C"]
                        && s[1].includes_all_addresses
                        && s[2].includes_all_streets
                },
            ),
        ],
        "v5-street-segment-house-number-suffix.xml" => vec![
            None(Rule::InvalidHouseNumber),
            Model("suffixes A, B, C read", |f| {
                f.street_segments
                    .iter()
                    .map(|x| x.house_number_suffix.as_str())
                    .collect::<Vec<_>>()
                    == ["A", "B", "C"]
            }),
        ],
        "v5-street-segment.xml" => vec![
            Has(Rule::MissingRequired, "ss001", "OddEvenBoth"),
            Has(Rule::MissingRequired, "ss001", "Zip"),
            Has(Rule::SegmentWithoutPrecinct, "ss002", "PrecinctId"),
            Has(Rule::MissingRequired, "ss005", "City"),
            Lacks(Rule::MissingRequired, "ss004", ""),
        ],
        "v5-street-segment-overlaps.xml" => vec![
            Has(Rule::OverlappingSegments, "ss002", ""),
            Has(Rule::OverlappingSegments, "ss004", ""),
            Has(Rule::OverlappingSegments, "ss006", ""),
            Lacks(Rule::OverlappingSegments, "ss008", ""),
            Has(Rule::OverlappingSegments, "ss010", ""),
            Has(Rule::OverlappingSegments, "ss012", ""),
            Lacks(Rule::OverlappingSegments, "ss014", ""),
            Has(Rule::OverlappingSegments, "ss016", ""),
            Lacks(Rule::OverlappingSegments, "ss018", ""),
            Lacks(Rule::OverlappingSegments, "ss020", ""),
            Lacks(Rule::OverlappingSegments, "ss022", ""),
        ],
        "v5_no_street_segments.xml" => vec![
            None(Rule::DuplicateId),
            Model("no street segments, precincts read", |f| {
                f.street_segments.is_empty() && !f.precincts.is_empty()
            }),
        ],
        "v5_sample_feed.xml" => vec![
            None(Rule::DuplicateId),
            None(Rule::OverlappingSegments),
            Model("street segments and precincts read", |f| {
                !f.street_segments.is_empty() && !f.precincts.is_empty()
            }),
        ],
        other => panic!("no expectation for fixture {other}: add one"),
    }
}

fn matches(report: &Report, rule: Rule, id: &str, field: &str) -> bool {
    report
        .of(rule)
        .any(|f| f.id == id && (field.is_empty() || f.field == field))
}

#[test]
fn every_fixture_produces_its_expected_finding() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("fixtures folder")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 52, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let feed = load(&dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = validate(&feed);
        for e in expectations(name) {
            let ok = match &e {
                Has(rule, id, field) => matches(&report, *rule, id, field),
                Lacks(rule, id, field) => !matches(&report, *rule, id, field),
                None(rule) => report.of(*rule).next().is_none(),
                Model(_, check) => check(&feed),
            };
            if !ok {
                let what = match e {
                    Has(r, id, f) => format!("expected {} on {id:?} {f}", r.code()),
                    Lacks(r, id, f) => format!("unexpected {} on {id:?} {f}", r.code()),
                    None(r) => format!("unexpected {}", r.code()),
                    Model(d, _) => format!("model check failed: {d}"),
                };
                failures.push(format!("{name}: {what}"));
            }
        }
        // Every finding names a line.
        assert!(report.findings.iter().all(|f| f.origin.line > 0), "{name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_ids_are_reported_at_their_lines() {
    let report = validate(&load(&dir().join("v5-missing-ids.xml")).unwrap());
    let lines: Vec<u64> = report.of(Rule::MissingId).map(|f| f.origin.line).collect();
    assert_eq!(lines, vec![3, 9]);
}
