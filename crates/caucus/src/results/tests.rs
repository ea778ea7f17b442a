//! Tests of entry validation and of the projection (the Adair 4SE Orient worksheet).

use super::*;
use chrono::{NaiveDate, Utc};
use votebase_domain::results::{
    CaucusEntry, CaucusGroup, ContestKind, EntryError, NewSubmission, Receipt, SubmissionRequest,
    VoteCount, VotesEntry, check_names, receipt_id,
};

fn election(double_entry: bool) -> Election {
    Election {
        slug: "ia-test".into(),
        name: "Test caucus".into(),
        date: NaiveDate::from_ymd_opt(2020, 2, 3).unwrap(),
        double_entry,
        contests: vec![
            Contest {
                key: "president".into(),
                office: "President".into(),
                district: String::new(),
                party: "DEM".into(),
                kind: ContestKind::Caucus,
                candidates: ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"]
                    .map(String::from)
                    .to_vec(),
            },
            Contest {
                key: "senate".into(),
                office: "U.S. Senate".into(),
                district: String::new(),
                party: "DEM".into(),
                kind: ContestKind::Votes,
                candidates: vec!["Greenfield".into(), "Franken".into()],
            },
        ],
        precincts: vec![Precinct {
            id: "ADAIR-4SE".into(),
            county: "Adair".into(),
            name: "4SE ORIENT".into(),
            delegates: 10,
            sde: 0.7843,
            history_turnout: Some(40),
        }],
    }
}

fn orient(delegates: Option<[u32; 5]>) -> ResultEntry {
    let sizes = [7, 6, 6, 6, 9];
    let names = ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"];
    ResultEntry::Caucus(CaucusEntry {
        attendees: 34,
        groups: (0..5)
            .map(|i| CaucusGroup {
                candidate: names[i].into(),
                first: sizes[i],
                final_alignment: sizes[i],
                delegates: delegates.map(|d| d[i]),
            })
            .collect(),
        coin_toss_winners: Vec::new(),
    })
}

fn logged(seq: i64, channel: Channel, result: ResultEntry, e: &Election) -> LogEntry {
    let check = check_entry(e, "ADAIR-4SE", "president", &result);
    let client_id = format!("c{seq}");
    LogEntry {
        seq,
        submission: NewSubmission {
            request: SubmissionRequest {
                client_id: client_id.clone(),
                election: e.slug.clone(),
                precinct: "ADAIR-4SE".into(),
                contest: "president".into(),
                reason: None,
                result,
            },
            channel,
            actor: "t".into(),
            received_at: Utc::now(),
        },
        receipt: Receipt {
            receipt_id: receipt_id(seq, &client_id),
            client_id,
            seq,
            election: e.slug.clone(),
            precinct: "ADAIR-4SE".into(),
            contest: "president".into(),
            channel,
            version: 1,
            received_at: Utc::now(),
            check,
        },
    }
}

#[test]
fn rules_delegates_and_sdes_for_adair_orient() {
    let e = election(false);
    let c = check_entry(&e, "ADAIR-4SE", "president", &orient(None));
    assert_eq!(c.status, EntryStatus::Accepted, "{:?}", c.findings);
    let d: Vec<u32> = c.delegates.iter().map(|d| d.delegates).collect();
    assert_eq!(d, vec![2, 2, 2, 2, 2]);
    assert!((c.delegates[0].sde - 0.1569).abs() < 1e-9);
    // The published 2020 numbers (Sanders 1, Warren 3) break the rules.
    let c = check_entry(&e, "ADAIR-4SE", "president", &orient(Some([2, 2, 2, 1, 3])));
    assert_eq!(c.status, EntryStatus::NeedsCorrection);
    assert!(
        c.findings
            .iter()
            .any(|f| f.code == "delegates_differ_from_rules")
    );
}

#[test]
fn chair_messages_for_broken_worksheets() {
    let e = election(false);
    let mut entry = orient(None);
    if let ResultEntry::Caucus(c) = &mut entry {
        c.groups[4].final_alignment = 20; // final larger than first
        c.groups[0].final_alignment = 5; // viable group lost members
        c.attendees = 30; // first alignment does not match
    }
    let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
    let codes: Vec<&str> = c.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(
        codes.contains(&"first_alignment_not_attendees"),
        "{codes:?}"
    );
    assert!(codes.contains(&"final_larger_than_first"), "{codes:?}");
    assert!(codes.contains(&"viable_group_lost_members"), "{codes:?}");
    assert!(c.findings.iter().all(|f| !f.message.is_empty()));
}

#[test]
fn far_from_history_is_a_notice_not_an_error() {
    let e = election(false);
    let entry = ResultEntry::Caucus(CaucusEntry {
        attendees: 200,
        groups: vec![CaucusGroup {
            candidate: "Biden".into(),
            first: 200,
            final_alignment: 200,
            delegates: None,
        }],
        coin_toss_winners: vec![],
    });
    let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
    assert_eq!(c.status, EntryStatus::Accepted);
    assert!(
        c.findings
            .iter()
            .any(|f| f.code == "far_from_history" && !f.is_error())
    );
}

#[test]
fn names_outside_the_setup_are_refused() {
    let e = election(false);
    let mut req = SubmissionRequest {
        client_id: "abc-1".into(),
        election: e.slug.clone(),
        precinct: "NOWHERE".into(),
        contest: "president".into(),
        reason: None,
        result: orient(None),
    };
    assert!(matches!(
        check_names(&e, &req),
        Err(EntryError::UnknownPrecinct(_))
    ));
    req.precinct = "ADAIR-4SE".into();
    assert_eq!(check_names(&e, &req), Ok(()));
    req.contest = "senate".into();
    assert!(matches!(
        check_names(&e, &req),
        Err(EntryError::WrongKind(..))
    ));
    req.client_id = "has space".into();
    assert_eq!(check_names(&e, &req), Err(EntryError::BadClientId));
}

#[test]
fn votes_above_ballots_cast_need_correction() {
    let e = election(false);
    let entry = ResultEntry::Votes(VotesEntry {
        ballots_cast: Some(30),
        counts: vec![
            VoteCount {
                candidate: "Greenfield".into(),
                vote_type: VoteType::ElectionDay,
                votes: 20,
            },
            VoteCount {
                candidate: "Franken".into(),
                vote_type: VoteType::Absentee,
                votes: 15,
            },
        ],
    });
    let c = check_entry(&e, "ADAIR-4SE", "senate", &entry);
    assert_eq!(c.status, EntryStatus::NeedsCorrection);
    assert_eq!(c.findings[0].code, "votes_exceed_ballots");
}

#[test]
fn projection_publishes_latest_valid_and_flags_disagreement() {
    let e = election(false);
    let wrong = logged(1, Channel::Chair, orient(Some([2, 2, 2, 1, 3])), &e);
    let p = project(&e, "ADAIR-4SE", "president", std::slice::from_ref(&wrong));
    assert_eq!(p.status, PrecinctStatus::NeedsCorrection);
    let fixed = logged(2, Channel::Chair, orient(None), &e);
    let p = project(
        &e,
        "ADAIR-4SE",
        "president",
        &[fixed.clone(), wrong.clone()],
    );
    assert_eq!(p.status, PrecinctStatus::Published);
    assert_eq!(p.published_seq, Some(2));
    assert_eq!(p.history.len(), 2);
    // A hotline entry with other numbers: flagged for a third check.
    let mut other = orient(None);
    if let ResultEntry::Caucus(c) = &mut other {
        c.groups[0].first = 8;
        c.groups[0].final_alignment = 8;
        c.groups[1].first = 5;
        c.groups[1].final_alignment = 5;
    }
    let hot = logged(3, Channel::Hotline, other.clone(), &e);
    let p = project(
        &e,
        "ADAIR-4SE",
        "president",
        &[wrong.clone(), fixed.clone(), hot.clone()],
    );
    assert_eq!(p.status, PrecinctStatus::Disagreement);
    assert!(p.published.is_none());
    // The third check settles it.
    let check = logged(4, Channel::Check, other, &e);
    let p = project(&e, "ADAIR-4SE", "president", &[wrong, fixed, hot, check]);
    assert_eq!(p.status, PrecinctStatus::Published);
    assert_eq!(p.published_seq, Some(4));
}

#[test]
fn double_entry_waits_for_the_second_channel() {
    let e = election(true);
    let chair = logged(1, Channel::Chair, orient(None), &e);
    let p = project(&e, "ADAIR-4SE", "president", std::slice::from_ref(&chair));
    assert_eq!(p.status, PrecinctStatus::AwaitingSecondEntry);
    let hot = logged(2, Channel::Hotline, orient(Some([2, 2, 2, 2, 2])), &e);
    let p = project(&e, "ADAIR-4SE", "president", &[chair, hot]);
    assert_eq!(p.status, PrecinctStatus::Published);
    assert_eq!(p.delegates.iter().map(|d| d.delegates).sum::<u32>(), 10);
}

#[test]
fn coin_toss_winners_keep_their_delegate() {
    let e = election(false);
    // 34 attendees, 10 delegates: Buttigieg, Klobuchar, Sanders and Warren all at
    // 1.76 round up to 2; one of them gives a delegate back, decided by a coin toss.
    let mut entry = orient(None);
    if let ResultEntry::Caucus(c) = &mut entry {
        for (g, n) in c.groups.iter_mut().zip([10, 6, 6, 6, 6]) {
            g.first = n;
            g.final_alignment = n;
        }
    }
    let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
    assert_eq!(c.status, EntryStatus::NeedsCorrection);
    assert!(
        c.findings.iter().any(|f| f.code == "coin_toss_needed"),
        "{:?}",
        c.findings
    );
    assert_eq!(
        c.coin_toss,
        vec!["Buttigieg", "Klobuchar", "Sanders", "Warren"]
    );
    if let ResultEntry::Caucus(c) = &mut entry {
        c.coin_toss_winners = vec!["Buttigieg".into(), "Klobuchar".into(), "Warren".into()];
    }
    let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
    assert_eq!(c.status, EntryStatus::Accepted, "{:?}", c.findings);
    let d: Vec<u32> = c.delegates.iter().map(|d| d.delegates).collect();
    assert_eq!(d, vec![3, 2, 2, 1, 2]);
}

#[test]
fn receipt_ids_carry_a_check_from_the_client_id() {
    assert_eq!(receipt_id(7, "x"), receipt_id(7, "x"));
    assert_ne!(receipt_id(7, "x"), receipt_id(7, "y"));
    assert!(receipt_id(12, "x").starts_with("R12-"));
}
