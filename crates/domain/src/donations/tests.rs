use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn gift(person: &str, receipt: &str, on: NaiveDate, cents: i64, election: &str) -> Contribution {
    Contribution {
        person: person.into(),
        contribution: NewContribution {
            source: "test".into(),
            receipt_id: receipt.into(),
            kind: if cents < 0 {
                ContributionKind::Refund
            } else {
                ContributionKind::Gift
            },
            refers_to: String::new(),
            committee_id: "C00000001".into(),
            election: Election::parse(election, on).unwrap(),
            received_on: on,
            amount_cents: cents,
            recurring: false,
            memo: false,
            entity_type: "IND".into(),
            donor: DonorDetails {
                first_name: "Ann".into(),
                last_name: person.into(),
                email: format!("{person}@example.org"),
                employer: "Acme".into(),
                occupation: "Engineer".into(),
                state: "NC".into(),
                ..Default::default()
            },
        },
    }
}

#[test]
fn money_is_exact() {
    assert_eq!(parse_cents("25.00"), Some(2500));
    assert_eq!(parse_cents("25.5"), Some(2550));
    assert_eq!(parse_cents("-2825"), Some(-282500));
    assert_eq!(parse_cents("$1,000.01"), Some(100001));
    assert_eq!(parse_cents("0.1"), Some(10));
    assert_eq!(parse_cents("1.001"), None);
    assert_eq!(parse_cents("abc"), None);
    assert_eq!(parse_cents(""), None);
    assert_eq!(parse_cents("-"), None);
    assert_eq!(format_cents(-282500), "-2825.00");
    assert_eq!(format_cents(5), "0.05");
}

#[test]
fn elections_and_cycles() {
    let on = day(2025, 5, 9);
    assert_eq!(cycle_of(on), 2026);
    assert_eq!(cycle_of(day(2026, 11, 3)), 2026);
    assert_eq!(Election::parse("P", on).unwrap().code(), "P2026");
    assert_eq!(Election::parse("G2024", on).unwrap().code(), "G2024");
    assert_eq!(Election::parse("2026 General", on).unwrap().code(), "G2026");
    assert_eq!(Election::parse("Primary", on).unwrap().code(), "P2026");
    assert_eq!(Election::parse("", on).unwrap().code(), "P2026");
    assert_eq!(Election::parse("runoff", on).unwrap().code(), "O2026");
    assert!(Election::parse("xyz", on).is_none());
    assert!(Election::parse("P20", on).is_none());
}

#[test]
fn addresses_and_best_efforts() {
    let mut d = DonorDetails {
        state: "NC".into(),
        ..Default::default()
    };
    assert!(!d.foreign_address());
    d.state = "ZZ".into();
    assert!(d.foreign_address());
    d.state = String::new();
    d.country = "Canada".into();
    assert!(d.foreign_address());
    d.country = "United States".into();
    assert!(!d.foreign_address());
    d.employer = "INFORMATION REQUESTED".into();
    d.occupation = "TEACHER".into();
    assert!(!d.has_employer_and_occupation());
    d.employer = "SELF".into();
    assert!(d.has_employer_and_occupation());
}

#[test]
fn over_limit_names_the_crossing_receipt_net_of_refunds() {
    let book = RuleBook::default();
    let c = vec![
        gift("a", "r1", day(2025, 1, 5), 200_000, "P"),
        gift("a", "r2", day(2025, 2, 5), 100_000, "P"),
        gift("a", "r3", day(2025, 3, 5), 100_000, "P"), // crosses 3,500: 4,000
        gift("a", "r4", day(2025, 3, 6), 50_000, "G"),  // general is separate
        gift("b", "s1", day(2025, 1, 5), 400_000, "P"),
        gift("b", "s2", day(2025, 1, 9), -50_000, "P"), // refunded back to the limit
    ];
    let f = flags(&c, &book, Some(2026));
    let over: Vec<_> = f.iter().filter(|f| f.kind == FlagKind::OverLimit).collect();
    assert_eq!(over.len(), 1, "{f:?}");
    assert_eq!(over[0].receipt_id, "r3");
    assert_eq!(over[0].amount_cents, Some(50_000));
    assert!(over[0].detail.contains("P2026"), "{}", over[0].detail);
    // A 2018 gift uses the 2018 limit ($2,700).
    let old = vec![gift("c", "t1", day(2017, 9, 1), 280_000, "P")];
    let f = flags(&old, &book, None);
    assert_eq!(f[0].amount_cents, Some(10_000));
    // The organization may change the limit.
    let mut rules = ComplianceRules::federal_default(2026);
    rules.per_election_limit_cents = 500_000;
    let f = flags(&c, &RuleBook::new(vec![rules]), Some(2026));
    assert!(f.iter().all(|f| f.kind != FlagKind::OverLimit), "{f:?}");
}

#[test]
fn itemization_best_efforts_and_shared_emails() {
    let mut a = gift("a", "r1", day(2025, 1, 5), 15_000, "P");
    a.contribution.donor.employer.clear();
    let mut a2 = a.clone();
    a2.contribution.receipt_id = "r2".into();
    a2.contribution.amount_cents = 10_000;
    let mut b = gift("b", "s1", day(2025, 1, 5), 100, "P");
    b.contribution.donor.email = "a@example.org".into();
    let small = gift("z", "z1", day(2025, 1, 5), 20_000, "P");
    let c = vec![a.clone(), a2, b, small];
    let book = RuleBook::default();
    let f = flags(&c, &book, Some(2026));
    let kinds: Vec<_> = f
        .iter()
        .map(|f| (f.kind.code(), f.receipt_id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("missing_employer", "r2"),
            ("possible_duplicate_donor", "r2"),
            ("possible_duplicate_donor", "s1"),
        ]
    );
    let rows = schedule_a(&c, &book, 2026);
    // a is over $200 (itemized, aggregate running); z at exactly $200 is not.
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].aggregate_cents, 25_000);
}

#[test]
fn call_lists_split_lapsed_from_current_and_rank_capacity_with_room() {
    let mut ann2 = gift("ann", "A2", day(2026, 5, 1), 100_000, "P2026");
    ann2.contribution.donor.phone = "+19195550101".into();
    let contribs = vec![
        gift("ann", "A1", day(2025, 3, 1), 250_000, "P2026"),
        ann2,
        gift("bob", "B1", day(2025, 6, 1), 5_000, "P2026"),
        gift("bob", "B2", day(2025, 7, 1), 7_000, "G2026"),
        gift("cat", "C1", day(2026, 2, 1), 350_000, "P2026"),
        gift("cat", "C2", day(2026, 2, 2), 350_000, "G2026"),
        gift("dan", "D1", day(2026, 6, 1), 40_000, "P2026"),
        gift("dan", "D2", day(2026, 6, 9), -40_000, "P2026"),
    ];
    let book = RuleBook::default();
    let q = |kind| CallListQuery {
        kind,
        since: day(2026, 1, 1),
        cycle: 2026,
        top: 10,
    };
    let people = |rows: Vec<CallListRow>| rows.into_iter().map(|r| r.person).collect::<Vec<_>>();
    assert_eq!(
        people(call_list(&contribs, &book, &q(CallListKind::Lapsed))),
        ["bob"]
    );
    let thanks = call_list(&contribs, &book, &q(CallListKind::ThankYou));
    assert_eq!(
        people(thanks.clone()),
        ["dan", "ann", "cat"],
        "latest gift first"
    );
    let ann = &thanks[1];
    assert_eq!(ann.last_gift_cents, 100_000);
    assert_eq!(ann.phone, "+19195550101");
    assert_eq!(ann.cycle_total_cents, 350_000);
    assert_eq!(ann.room_primary_cents, 0, "3,500 given for the primary");
    assert_eq!(ann.room_general_cents, 350_000);
    assert_eq!(thanks[0].total_cents, 0, "a refunded gift nets to nothing");
    assert_eq!(thanks[0].room_primary_cents, 350_000);
    // Cat is at the limit in both elections: not on call time.
    assert_eq!(
        people(call_list(&contribs, &book, &q(CallListKind::CallTime))),
        ["ann", "dan", "bob"]
    );
    let top1 = CallListQuery {
        top: 1,
        ..q(CallListKind::CallTime)
    };
    assert_eq!(people(call_list(&contribs, &book, &top1)), ["ann"]);
    assert_eq!(
        CallListKind::parse("thank-you"),
        Some(CallListKind::ThankYou)
    );
    assert_eq!(CallListKind::parse("nope"), None);
}
