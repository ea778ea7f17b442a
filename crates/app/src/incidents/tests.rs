//! Unit tests of the incident use cases that need no store: place checks and report
//! normalisation.

use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 15, 0, 0).unwrap()
}

fn input(county: &str, precinct: &str) -> IntakeInput {
    IntakeInput {
        category: "long_lines".into(),
        description: "Three hour line".into(),
        county: county.into(),
        precinct: precinct.into(),
        polling_place: "Elm School".into(),
        ..Default::default()
    }
}

fn build(places: &KnownPlaces, req: IntakeInput) -> Result<NewIncident, IncidentError> {
    build_incident(
        &TriageRules::default(),
        places,
        &[],
        req,
        "public",
        "public",
        now(),
    )
}

#[test]
fn counties_and_precincts_are_checked_against_the_organizations_places() {
    let mut places = KnownPlaces::default();
    places.add("WAKE", "01-07");
    places.add("WAKE", "RALEIGH 7");
    places.add("pine  barren", "");
    let ok = build(&places, input(" wake ", "raleigh 7")).unwrap();
    assert_eq!(ok.location.county, "WAKE");
    assert_eq!(
        ok.location.precinct, "raleigh 7",
        "precinct kept as reported"
    );
    assert!(
        build(&places, input("Wake", "")).is_ok(),
        "precinct optional"
    );
    let err = build(&places, input("FOXHALL", ""))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown county \"FOXHALL\""), "{err}");
    let err = build(&places, input("WAKE", "99-99"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown precinct \"99-99\""), "{err}");
    // A county is never read as a street: PINE stays PINE (not the suffix PNE).
    let pine = IntakeInput {
        address: "12 Pine Barren Rd".into(),
        ..input("Pine Barren", "")
    };
    let pine = build(&places, pine).unwrap();
    assert_eq!(pine.location.county, "PINE BARREN");
    assert_eq!(pine.location.place_key(), "place:PINE BARREN:ELM SCHOOL");
}

#[test]
fn without_voter_file_or_feed_any_well_formed_county_is_accepted() {
    let none = KnownPlaces::default();
    assert_eq!(
        build(&none, input("Doña Ana", "anything"))
            .unwrap()
            .location
            .county,
        "DOÑA ANA"
    );
    assert_eq!(
        build(&none, input("St. Mary's", ""))
            .unwrap()
            .location
            .county,
        "ST. MARY'S"
    );
    for bad in [
        "FOX\u{fffd}HALL",
        "WAKE<script>",
        "12",
        &"A".repeat(65),
        "  ",
    ] {
        assert!(
            matches!(build(&none, input(bad, "")), Err(IncidentError::Invalid(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn hotline_times_and_offsets() {
    let off = parse_offset("-05:00").unwrap();
    assert_eq!(
        parse_time("2026-11-03 07:30", off),
        Some(Utc.with_ymd_and_hms(2026, 11, 3, 12, 30, 0).unwrap())
    );
    assert!(parse_offset("5").is_err());
    assert!(parse_time("soon", off).is_none());
}
