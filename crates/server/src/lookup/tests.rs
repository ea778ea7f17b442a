//! Unit tests of the lookup pages' helpers (URLs, hours, iCalendar, re-queries).

use super::*;

#[test]
fn percent_encodes_query_values() {
    assert_eq!(
        encode("1800 Lambert Rd, Graham & Co/é"),
        "1800%20Lambert%20Rd%2C%20Graham%20%26%20Co%2F%C3%A9"
    );
}

#[test]
fn reads_election_day_hours_from_engine_lines() {
    let h = vec!["2013-11-05 06:00-12:00, 13:00-19:00".to_string()];
    assert_eq!(
        election_hours(&h, "2013-11-05"),
        Some(("060000".into(), "190000".into()))
    );
    let plain = vec!["06:30-19:30".to_string()];
    assert_eq!(
        election_hours(&plain, "2013-11-05"),
        Some(("063000".into(), "193000".into()))
    );
    let other_day = vec!["2013-11-01 to 2013-11-02 08:00-17:00".to_string()];
    assert_eq!(election_hours(&other_day, "2013-11-05"), None);
    assert_eq!(
        election_hours(&["07:30 to 03:30".into()], "2013-11-05"),
        None
    );
}

#[test]
fn ics_is_escaped_folded_and_all_day_without_hours() {
    let i = I18n::load().unwrap();
    let t = i.get("en").unwrap();
    let place = Place {
        id: "pl1".into(),
        name: "SALEM UNITED METHODIST CHURCH; HALL".into(),
        address: vec!["4924 SALEM CHURCH RD".into(), "GRAHAM, NC 27253".into()],
        directions: String::new(),
        latitude: None,
        longitude: None,
        hours: vec![],
    };
    let body = ics(t, &place, "20120508", "2012-05-08", "v1");
    assert!(body.contains("DTSTART;VALUE=DATE:20120508\r\n"));
    assert!(body.contains("DTEND;VALUE=DATE:20120509\r\n"));
    assert!(body.contains("SUMMARY:Vote at SALEM UNITED METHODIST CHURCH\\; HALL"));
    assert!(body.lines().all(|l| l.len() <= 76), "{body}");
    assert!(body.ends_with("END:VCALENDAR\r\n"));
}

#[test]
fn requery_rebuilds_the_address_with_a_choice() {
    let q = VipQuery {
        house_number: "101".into(),
        number: Some(101),
        name: "MAIN".into(),
        suffix: "ST".into(),
        ..Default::default()
    };
    assert_eq!(
        requery(&q, |q| q.zip = "27217".into()),
        "101 MAIN ST, 27217"
    );
    assert_eq!(
        requery(&q, |q| {
            q.name = "LAMBERT RD".into();
            q.suffix.clear();
            q.city = "GRAHAM".into();
        }),
        "101 LAMBERT RD, GRAHAM"
    );
}

/// The answer with the feed appended is what `#[serde(flatten)]` of both writes, for
/// every kind of answer the sample feed gives.
#[test]
fn answer_json_is_the_flattened_answer_and_feed() {
    #[derive(Serialize)]
    struct Flattened<'a> {
        #[serde(flatten)]
        answer: &'a Answer<'a>,
        feed: serde_json::Value,
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vip/spec-5.2/sample_feed.xml");
    let feed = votebase_vip::load(&path).unwrap();
    let index = votebase_vip::Index::build(&feed);
    let loaded = LoadedFeed::new(
        index.clone(),
        "v1".into(),
        "Election \"A\"".into(),
        "2013-11-05".into(),
        "Source".into(),
        String::new(),
    );
    let feed_value: serde_json::Value = serde_json::from_str(&loaded.info_json).unwrap();
    assert_eq!(feed_value["election_name"], "Election \"A\"");
    let mut kinds = std::collections::BTreeSet::new();
    for text in [
        "",
        "12 Nowhere Lane",
        "Main St",
        "xyzzy",
        "1 Misty Mountain Rd, Greenwood, VA 22943",
        "1 Misty Mountin Rd, Greenwood, VA 22943",
        "5 Any Street, Charlottesville, VA",
    ] {
        let answer = index.lookup(text);
        let ours: serde_json::Value =
            serde_json::from_slice(&answer_json(&answer, &loaded).unwrap()).unwrap();
        let flattened = serde_json::to_value(Flattened {
            answer: &answer,
            feed: feed_value.clone(),
        })
        .unwrap();
        assert_eq!(ours, flattened, "{text}");
        kinds.insert(ours["status"].as_str().unwrap().to_string());
    }
    assert!(kinds.len() >= 2, "{kinds:?}");
}

/// The precincts' JSON kept per loaded feed gives, byte for byte, what serialising the
/// answer gives, for the start address of every street segment of a real county feed.
#[test]
fn cached_precinct_json_writes_the_same_bytes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vip/csv-3.0-nc-alamance");
    let feed = votebase_vip::load(&path).unwrap();
    let index = votebase_vip::Index::build(&feed);
    let new = || {
        LoadedFeed::new(
            index.clone(),
            "v1".into(),
            "General".into(),
            "2024-11-05".into(),
            "NC".into(),
            String::new(),
        )
    };
    let cached = new();
    let mut serialised = new();
    serialised.precinct_json.clear();
    assert_eq!(cached.precinct_json.len(), index.precincts().len());
    let mut found = 0;
    for s in &feed.street_segments {
        let Some(start) = s.start else { continue };
        let text = format!(
            "{start} {} {} {}, {}, {} {}",
            s.pre_direction, s.street_name, s.street_suffix, s.city, s.state, s.zip
        );
        let answer = index.lookup(&text);
        if matches!(answer, Answer::Found { .. } | Answer::MailOnly { .. }) {
            found += 1;
        }
        assert_eq!(
            String::from_utf8(answer_json(&answer, &cached).unwrap()).unwrap(),
            String::from_utf8(answer_json(&answer, &serialised).unwrap()).unwrap(),
            "{text}"
        );
    }
    assert!(found > 10_000, "{found}");
}
