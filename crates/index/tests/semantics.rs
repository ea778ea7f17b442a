//! Resolution errors and hand-checked counts on a small synthetic index.

use chrono::NaiveDate;
use votebase_index::synth;
use votebase_index::{Dimension, FamilyKind, IndexBuilder, IndexError, QueryError, Span};

fn small() -> votebase_index::UniverseIndex {
    let mut b = IndexBuilder::new(synth::reference_date());
    let n = 3000;
    let voters: Vec<_> = (0..n).map(|i| synth::voter(7, i, n)).collect();
    for v in &voters {
        b.add_voter(&v.record).unwrap();
    }
    for v in &voters {
        for h in &v.history {
            b.add_history(h);
        }
        synth::feed_keyed(&mut b, v).unwrap();
    }
    b.build()
}

#[test]
fn unknown_family_names_the_known_ones() {
    let ix = small();
    let e = ix.count_str("county:WAKE colour:red").unwrap_err();
    let QueryError::UnknownFamily { name, span, known } = &e else {
        panic!("{e}")
    };
    assert_eq!(name, "colour");
    assert_eq!(*span, Span::new(12, 18));
    for k in [
        "county",
        "precinct",
        "voted",
        "tag",
        "ballot",
        "score",
        "contacted",
        "support",
    ] {
        assert!(known.contains(k), "{known}");
    }
    assert!(
        e.to_string().starts_with(
            "unknown family `colour` at byte 12; known families: county, precinct, cd,"
        )
    );
    // A comparison on an unknown name is an unknown family too.
    assert!(matches!(
        ix.count_str("turnout>=3"),
        Err(QueryError::UnknownFamily { .. })
    ));
}

#[test]
fn semantic_errors_point_at_values() {
    let ix = small();
    let e = ix.count_str("party:WHIG").unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { span, .. } if *span == Span::new(6, 10)),
        "{e}"
    );
    let e = ix.count_str("voted:2021-11-02").unwrap_err();
    assert!(
        matches!(&e, QueryError::UnknownElection { span, .. } if span.start == 6),
        "{e}"
    );
    assert!(e.to_string().contains("loaded: 2012-11-06"));
    let e = ix.count_str("method:early@2020-13-01").unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { span, .. } if span.start == 13),
        "{e}"
    );
    let e = ix.count_str("score:turnout>=3").unwrap_err();
    assert!(
        matches!(&e, QueryError::UnknownName { known, .. } if known == "support"),
        "{e}"
    );
    let e = ix.count_str("age:young").unwrap_err();
    assert!(e.to_string().contains("expected a whole number"), "{e}");
    let e = ix.count_str("county>=3").unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { span, .. } if *span == Span::new(6, 8)),
        "{e}"
    );
    let e = ix.count_str("contacted:door:soon").unwrap_err();
    assert!(matches!(e, QueryError::InvalidValue { .. }));
    assert!(matches!(ix.count_str("county:"), Err(QueryError::Parse(p)) if p.offset == 7));
}

#[test]
fn counts_are_consistent() {
    let ix = small();
    let all = ix.len();
    assert_eq!(ix.count_str("").unwrap(), all);
    let dem = ix.count_str("party:DEM").unwrap();
    assert_eq!(dem + ix.count_str("!party:DEM").unwrap(), all);
    assert_eq!(
        ix.count_str("party:DEM,REP").unwrap(),
        dem + ix.count_str("party:REP").unwrap()
    );
    assert_eq!(
        ix.count_str("age>=65").unwrap(),
        ix.count_str("age:65..").unwrap()
    );
    assert_eq!(
        ix.count_str("support>=60").unwrap(),
        ix.count_str("score:support:60..100").unwrap()
    );
    assert_eq!(ix.count_str("votes:0..").unwrap(), all);
    let county = ix
        .breakdown(
            &votebase_index::parse("party:DEM").unwrap(),
            Dimension::County,
        )
        .unwrap();
    assert_eq!(county.iter().map(|r| r.1).sum::<u64>(), dem);
    assert_eq!(county[0].0, "WAKE");
    // Ordinals map back to voter ids.
    let m = ix
        .members(&votebase_index::parse("tag:volunteer-prospect").unwrap())
        .unwrap();
    let first = m.min().unwrap();
    let id = ix.voter_id(first).unwrap().to_string();
    assert_eq!(ix.ordinal(&id), Some(first));
}

#[test]
fn builder_refuses_bad_input() {
    let mut b = IndexBuilder::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    let v = synth::voter(1, 0, 10);
    b.add_voter(&v.record).unwrap();
    assert!(matches!(
        b.add_voter(&v.record),
        Err(IndexError::DuplicateVoter(_))
    ));
    let id = v.record.state_voter_id.as_str();
    assert!(matches!(
        b.add_score(id, "support", 101),
        Err(IndexError::ScoreOutOfRange { .. })
    ));
    assert!(matches!(
        b.add_tag("nobody", "x"),
        Err(IndexError::UnknownVoter { .. })
    ));
    assert!(matches!(
        b.add_keyed("county", id, "x"),
        Err(IndexError::ReservedFamily(_))
    ));
    assert!(matches!(
        b.add_keyed("score", id, "x"),
        Err(IndexError::KindMismatch { .. })
    ));
    b.register_family("event", FamilyKind::Dated).unwrap();
    b.add_dated(
        "event",
        id,
        "rally",
        NaiveDate::from_ymd_opt(2025, 12, 20).unwrap(),
    )
    .unwrap();
    b.add_keyed("language", id, "es").unwrap();
    let mut h = v
        .history
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("voter 0 has history"));
    h.state_voter_id = "nobody".into();
    assert!(!b.add_history(&h));
    assert_eq!(b.unmatched_history(), 1);
    let ix = b.build();
    assert_eq!(ix.count_str("event:rally:14d").unwrap(), 1);
    assert_eq!(ix.count_str("event:rally:7d").unwrap(), 0);
    assert_eq!(ix.count_str("language:ES").unwrap(), 1);
    assert!(
        ix.keyed_families()
            .any(|(n, k)| n == "event" && k == FamilyKind::Dated)
    );
}

/// Four voters and their status changes over two refreshes: `status_change:` and
/// `purged:` select them by transition and date, with and without negation.
#[test]
fn status_changes_and_purges() {
    use votebase_domain::purges::StatusMove;
    use votebase_domain::voters::{VoterRecord, VoterStatus};
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let mut b = IndexBuilder::new(d(12, 1));
    for (id, county, status) in [
        ("A1", "WAKE", VoterStatus::Active),
        ("A2", "WAKE", VoterStatus::Removed),
        ("A3", "DURHAM", VoterStatus::Inactive),
        ("A4", "DURHAM", VoterStatus::Active),
    ] {
        b.add_voter(&VoterRecord {
            state_voter_id: id.into(),
            county_name: county.into(),
            status,
            ..Default::default()
        })
        .unwrap();
    }
    let moves = [
        ("A1", d(10, 1), "active", "inactive"),
        ("A2", d(10, 1), "inactive", "removed"),
        ("A3", d(10, 1), "active", "inactive"),
        ("A1", d(11, 1), "inactive", "active"),
        ("A4", d(11, 1), "active", "absent"),
        ("A4", d(11, 15), "denied", "active"),
    ];
    for (id, as_of, before, after) in moves {
        b.add_status_move(&StatusMove {
            state_voter_id: id.into(),
            as_of,
            before: before.into(),
            after: after.into(),
        })
        .unwrap();
    }
    let err = b.add_status_move(&StatusMove {
        state_voter_id: "NOBODY".into(),
        as_of: d(10, 1),
        before: "active".into(),
        after: "inactive".into(),
    });
    assert!(matches!(err, Err(IndexError::UnknownVoter { .. })));
    let ix = b.build();
    let ids = |q: &str| -> Vec<String> {
        let mut v: Vec<String> = ix
            .member_ids(&votebase_index::parse(q).unwrap())
            .unwrap()
            .into_iter()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        ids("status_change:active>inactive@2026-10-01"),
        ["A1", "A3"]
    );
    assert_eq!(ids("status_change:A>I@2026-10-01 county:WAKE"), ["A1"]);
    assert_eq!(
        ids("status_change:active>inactive@2026-11-01"),
        [] as [&str; 0]
    );
    assert_eq!(ids("status_change:active>inactive"), ["A1", "A3"]);
    assert_eq!(ids("status_change:inactive>active"), ["A1"]);
    assert_eq!(ids("status_change:active>absent@2026-11-01"), ["A4"]);
    assert_eq!(
        ids("status_change:active>inactive@2026-10-01 !status_change:inactive>active"),
        ["A3"],
        "moved to inactive and not back"
    );
    // purged: every way off the roll at that snapshot; by transition; over a range.
    assert_eq!(ids("purged:2026-10-01"), ["A1", "A2", "A3"]);
    assert_eq!(ids("purged:2026-10-01:inactivated"), ["A1", "A3"]);
    assert_eq!(ids("purged:2026-10-01:removed"), ["A2"]);
    assert_eq!(ids("purged:2026-11-01"), ["A4"]);
    assert_eq!(
        ids("purged:2026-10-01..2026-11-30:any"),
        ["A1", "A2", "A3", "A4"]
    );
    assert_eq!(
        ids("purged:2026-11-15"),
        [] as [&str; 0],
        "denied > active is no purge"
    );
    assert_eq!(ids("!purged:2026-10-01..2026-11-30"), [] as [&str; 0]);
    assert_eq!(
        ids("purged:2026-10-01,2026-11-01 county:DURHAM"),
        ["A3", "A4"]
    );

    // Mistakes point at the value.
    let e = ix.count_str("purged:2026-13-01").unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { span, .. } if *span == Span::new(7, 17)),
        "{e}"
    );
    let e = ix.count_str("purged:2026-10-01:vanished").unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { value, span, .. }
            if value == "vanished" && span.start == 18),
        "{e}"
    );
    let e = ix
        .count_str("status_change:active>sleeping@2026-10-01")
        .unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { value, span, .. }
            if value == "sleeping" && *span == Span::new(21, 29)),
        "{e}"
    );
    let e = ix
        .count_str("status_change:active>inactive@2026-10-32")
        .unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { span, .. } if *span == Span::new(30, 40)),
        "{e}"
    );
    let e = ix.count_str("status_change:active").unwrap_err();
    assert!(e.to_string().contains("FROM>TO"), "{e}");
    let e = ix.count_str("status_change:active=inactive").unwrap_err();
    assert!(
        matches!(&e, QueryError::InvalidValue { span, .. } if span.start == 20),
        "{e}"
    );
    let e = ix.count_str("status_change:absent>active").unwrap_err();
    assert!(matches!(&e, QueryError::InvalidValue { .. }), "{e}");
    assert!(
        ix.keyed_families()
            .any(|(n, k)| n == "purged" && k == FamilyKind::Dated)
    );
}

/// The volunteer clauses: a dated family without a key (`attended:FROM..TO` means any
/// kind) and a numeric family holding one name of its own (`rsvp_no_show:2..`).
#[test]
fn keyless_dated_ranges_and_self_named_counts() {
    let mut b = IndexBuilder::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    let voters: Vec<_> = (0..3).map(|i| synth::voter(3, i, 3)).collect();
    for v in &voters {
        b.add_voter(&v.record).unwrap();
    }
    let id = |i: usize| voters[i].record.state_voter_id.clone();
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    b.add_dated("attended", &id(0), "canvass", day(9, 5))
        .unwrap();
    b.add_dated("attended", &id(1), "phone_bank", day(8, 20))
        .unwrap();
    b.add_numeric("rsvp_no_show", &id(1), "rsvp_no_show", 2)
        .unwrap();
    b.add_numeric("rsvp_no_show", &id(2), "rsvp_no_show", 1)
        .unwrap();
    let ix = b.build();
    assert_eq!(ix.count_str("attended:2026-09-01..").unwrap(), 1);
    assert_eq!(ix.count_str("attended:2026-08-01..2026-09-30").unwrap(), 2);
    assert_eq!(ix.count_str("attended:..2026-08-31").unwrap(), 1);
    assert_eq!(ix.count_str("attended:canvass:2026-08-01..").unwrap(), 1);
    assert_eq!(ix.count_str("attended:any:60d").unwrap(), 2);
    assert_eq!(ix.count_str("rsvp_no_show:2..").unwrap(), 1);
    assert_eq!(ix.count_str("rsvp_no_show:1..").unwrap(), 2);
    assert_eq!(ix.count_str("rsvp_no_show:rsvp_no_show>=2").unwrap(), 1);
    assert!(ix.count_str("attended:2026-13-01..").is_err());
}

/// A self-named count family with nothing in it yet counts nobody (no error).
#[test]
fn an_empty_self_named_family_counts_nobody() {
    let mut b = IndexBuilder::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    b.add_voter(&synth::voter(3, 0, 1).record).unwrap();
    b.register_family("rsvp_no_show", FamilyKind::Numeric)
        .unwrap();
    let ix = b.build();
    assert_eq!(ix.count_str("rsvp_no_show:2..").unwrap(), 0);
    assert!(ix.count_str("score:2..").is_err(), "score needs a name");
}

#[test]
fn absorbing_a_part_refuses_keyed_data_and_repeated_voters() {
    let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let (a, b) = (synth::voter(1, 0, 10), synth::voter(1, 1, 10));
    let mut whole = IndexBuilder::new(day);
    whole.add_voter(&a.record).unwrap();
    let mut tagged = IndexBuilder::new(day);
    tagged.add_voter(&b.record).unwrap();
    tagged.add_tag(&b.record.state_voter_id, "x").unwrap();
    assert!(matches!(
        whole.absorb(tagged),
        Err(IndexError::KeyedDataInPart)
    ));
    let mut repeated = IndexBuilder::new(day);
    repeated.add_voter(&a.record).unwrap();
    assert!(matches!(
        whole.absorb(repeated),
        Err(IndexError::DuplicateVoter(_))
    ));
    let mut part = IndexBuilder::new(day);
    part.add_voter(&b.record).unwrap();
    whole.absorb(part).unwrap();
    assert_eq!(whole.voters(), 2);
    let ix = whole.build();
    assert_eq!(ix.ordinal(&b.record.state_voter_id), Some(1));
}
