//! Conformance checks of [`ExchangeStore`](crate::exchange::ExchangeStore): contact
//! outcomes, survey answers and voter suppressions reach the outbox in the transaction
//! that writes them (and records that came over an exchange do not); an `opted_out`
//! contact and a volunteer's email unsubscribe suppress; suppressions are unique on
//! (source, key), cover voters by id, own phone, appended phone, and removal keeps the
//! row; agreements round-trip whole; cursors only move forward. Ballot events of a voter
//! reach the outbox only while a ballot_status agreement is on file (recording one
//! publishes the events already held, once); volunteers linked to a voter (once per
//! volunteer and voter, without name or contact details) reach the outbox; a ballot
//! event recorded as received first does not; received records are kept once with their provenance. Runs last (it adds
//! contacts, ballots and suppressions the other checks do not expect).

use crate::Store;
use crate::contacts::{ContactBatch, StagedContact};
use crate::exchange::{OutboxRecord, ReceivedRecord};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tokio::sync::mpsc;
use votebase_domain::contacts::{ContactChannel, ContactEvent, ContactResult, SurveyAnswer};
use votebase_domain::exchange::{
    Agreement, AgreementTerms, Dataset, Direction, MatchMode, NewSuppression, Signature,
};
use votebase_domain::{BallotCategory, BallotEvent, BallotMethod};

fn event(source: &str, id: &str, voter: &str, result: ContactResult) -> ContactEvent {
    ContactEvent {
        source: source.into(),
        source_event_id: id.into(),
        state_voter_id: voter.into(),
        channel: ContactChannel::Text,
        contacted_at: NaiveDate::from_ymd_opt(2026, 10, 12)
            .unwrap()
            .and_hms_opt(18, 30, 0)
            .unwrap(),
        canvasser: "tex".into(),
        result,
        answers: Vec::new(),
        tags: Vec::new(),
    }
}

async fn load(store: &dyn Store, events: Vec<ContactEvent>) {
    let (tx, rx) = mpsc::channel::<ContactBatch>(2);
    let rows = events
        .into_iter()
        .map(|event| StagedContact { line: 2, event })
        .collect();
    tx.send(crate::Batch::Rows(rows)).await.unwrap();
    tx.send(crate::Batch::End).await.unwrap();
    let out = store.import_contacts(rx).await.unwrap();
    assert!(out.unknown_voters.is_empty());
}

fn all_datasets() -> Vec<String> {
    Dataset::ALL.map(|d| d.code().to_string()).to_vec()
}

fn at(second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, second).unwrap()
}

fn manual(voter: &str, phone: &str) -> NewSuppression {
    NewSuppression {
        state_voter_id: voter.into(),
        phone: phone.into(),
        email: String::new(),
        channel: "all".into(),
        reason: "asked in person".into(),
        source: "manual".into(),
        source_key: String::new(),
        created_by: "ann".into(),
    }
    .validate()
    .unwrap()
}

/// Every check, in order.
pub async fn run(store: &dyn Store) {
    let org = store.organization();
    assert!(
        !org.is_empty() && !org.starts_with("vb_"),
        "the store names its organization: {org:?}"
    );
    outbox_and_automatic_suppressions(store).await;
    suppression_list(store).await;
    agreements_and_cursors(store).await;
    ballots_and_signups(store).await;
}

async fn import_ballot(store: &dyn Store, sha: &str, event: BallotEvent) -> u64 {
    let (tx, rx) = mpsc::channel(2);
    tx.send(crate::Batch::Rows(vec![crate::StagedBallot::new(2, event)]))
        .await
        .unwrap();
    tx.send(crate::Batch::End).await.unwrap();
    drop(tx);
    store
        .import_ballots(
            crate::NewBallotFile {
                as_of: NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
                source_file: format!("{sha}.csv"),
                file_sha256: sha.into(),
            },
            rx,
        )
        .await
        .unwrap()
        .new_events as u64
}

fn early_vote(voter: &str, site: &str) -> BallotEvent {
    let day = NaiveDate::from_ymd_opt(2026, 10, 20);
    BallotEvent {
        state_voter_id: voter.into(),
        local_voter_id: "77".into(),
        county_name: "WAKE".into(),
        election_date: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        method: BallotMethod::EarlyInPerson,
        delivery_type: "IN PERSON".into(),
        request_date: day,
        send_date: None,
        return_date: day,
        return_status: "ACCEPTED".into(),
        category: BallotCategory::classify("ACCEPTED", false, true),
        site_name: site.into(),
        same_day_registration: true,
        request_party: String::new(),
    }
}

async fn ballots_and_signups(store: &dyn Store) {
    let sets = |d: &str| vec![d.to_string()];
    // No agreement that may carry ballot status is on file: a ballot event is not
    // published (a large ballot import pays nothing for the exchange).
    let head = store.outbox_head().await.unwrap();
    assert_eq!(
        import_ballot(store, "ex-ballots-1", early_vote("AA000005", "LIBRARY")).await,
        1
    );
    assert_eq!(
        store.outbox_head().await.unwrap(),
        head,
        "nothing published without a ballot_status agreement"
    );
    // Recording one publishes the events already held, once; later events as they come.
    let mut agreement = store.agreements().await.unwrap()[0].clone();
    agreement.id = "6f1c0c8e-0000-4000-8000-000000000003".into();
    agreement.terms.datasets = vec![Dataset::BallotStatus];
    agreement.ended = None;
    agreement.ended_by_org = None;
    store.put_agreement(&agreement).await.unwrap();
    store.put_agreement(&agreement).await.unwrap();
    let backfilled = store
        .outbox_after(head, &sets("ballot_status"), 100)
        .await
        .unwrap();
    // Every ballot event held (the other checks imported some), each once.
    let keys: std::collections::BTreeSet<String> = backfilled
        .iter()
        .map(|r| {
            let p: serde_json::Value = serde_json::from_str(&r.payload).unwrap();
            p["event_key"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        keys.len(),
        backfilled.len(),
        "each event once: {backfilled:?}"
    );
    let library = early_vote("AA000005", "LIBRARY").event_key();
    assert!(keys.contains(&library), "{backfilled:?}");
    assert_eq!(
        store.outbox_head().await.unwrap(),
        head + backfilled.len() as i64,
        "recording the agreement again publishes nothing more"
    );
    let head = store.outbox_head().await.unwrap();
    assert_eq!(
        import_ballot(
            store,
            "ex-ballots-1b",
            early_vote("AA000005", "MAIN BRANCH")
        )
        .await,
        1
    );
    assert_eq!(
        store
            .outbox_after(head, &sets("ballot_status"), 100)
            .await
            .unwrap()
            .len(),
        1,
        "published in the import's transaction"
    );
    // A ballot event of a voter is published with every field but the voter's id.
    let got: Vec<_> = backfilled
        .into_iter()
        .filter(|r| r.payload.contains(&library))
        .collect();
    assert_eq!(got[0].state_voter_id, "AA000005");
    let p: serde_json::Value = serde_json::from_str(&got[0].payload).unwrap();
    assert_eq!(p["election_date"], "2026-11-03");
    assert_eq!(p["method"], BallotMethod::EarlyInPerson.code());
    assert_eq!(p["category"], early_vote("", "").category.code());
    assert_eq!(p["return_date"], "2026-10-20");
    assert_eq!(p["send_date"], serde_json::Value::Null);
    assert_eq!(p["same_day_registration"], true);
    assert_eq!(p["site_name"], "LIBRARY");
    assert_eq!(
        p["event_key"],
        early_vote("AA000005", "LIBRARY").event_key()
    );

    // A ballot status received over an exchange: its provenance is recorded first, then
    // the event, which is not published again. Recording it twice keeps one row.
    let received_event = early_vote("AA000004", "TOWN HALL");
    let rec = ReceivedRecord {
        source: "exchange:party".into(),
        source_key: "agr-1:17".into(),
        dataset: "ballot_status".into(),
        state_voter_id: "AA000004".into(),
        item_key: received_event.event_key(),
        summary: "early in person ballot for 2026-11-03: accepted".into(),
        payload: "{}".into(),
        published_at: at(9),
        received_by: "cli:ann".into(),
    };
    assert_eq!(
        store
            .record_received(std::slice::from_ref(&rec))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .record_received(std::slice::from_ref(&rec))
            .await
            .unwrap(),
        0
    );
    let head = store.outbox_head().await.unwrap();
    assert_eq!(
        import_ballot(store, "ex-ballots-2", received_event).await,
        1
    );
    assert_eq!(
        store.outbox_head().await.unwrap(),
        head,
        "a received ballot is not published again"
    );
    assert_eq!(
        store.received_of_voter("AA000004").await.unwrap(),
        [rec],
        "kept whole, with its provenance"
    );
    assert!(
        store
            .received_of_voter("AA000005")
            .await
            .unwrap()
            .is_empty()
    );

    // Volunteers linked to a voter by the people checks (v0 linked, v1 confirmed after
    // review) were published once each, relinks notwithstanding; no name or contact.
    let signups = store
        .outbox_after(0, &sets("volunteer_signups"), 1000)
        .await
        .unwrap();
    let pairs = |rows: &[OutboxRecord]| {
        let mut v: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                let p: serde_json::Value = serde_json::from_str(&r.payload).unwrap();
                (
                    r.state_voter_id.clone(),
                    p["volunteer"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let published = pairs(&signups);
    for want in [("AA000001", "v0"), ("AA000002", "v1")] {
        assert_eq!(
            published
                .iter()
                .filter(|(a, b)| a == want.0 && b == want.1)
                .count(),
            1,
            "{want:?} once: {published:?}"
        );
    }
    for r in &signups {
        let p: serde_json::Value = serde_json::from_str(&r.payload).unwrap();
        let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
        for k in &keys {
            assert!(
                [
                    "volunteer",
                    "source",
                    "signed_up_at",
                    "skills",
                    "hours_per_week",
                    "remote"
                ]
                .contains(&k.as_str()),
                "no personal field: {keys:?}"
            );
        }
        assert!(p["skills"].as_str().unwrap().contains("python:"), "{p}");
    }
    // Linking v0 again publishes nothing more.
    let head = store.outbox_head().await.unwrap();
    store
        .record_person_links(&[votebase_domain::people::PersonLink {
            person: "v0".into(),
            state_voter_id: "AA000001".into(),
            probability: 0.99,
            explanation: "again".into(),
            status: votebase_domain::people::LinkStatus::Linked,
        }])
        .await
        .unwrap();
    assert_eq!(store.outbox_head().await.unwrap(), head);
}

async fn outbox_and_automatic_suppressions(store: &dyn Store) {
    let head = store.outbox_head().await.unwrap();
    let mut answered = event("conf-ex", "e4", "AA000005", ContactResult::Reached);
    answered.answers = vec![SurveyAnswer {
        question: "support".into(),
        answer: "2".into(),
        value: 2,
    }];
    let events = vec![
        event("conf-ex", "e1", "AA000003", ContactResult::Moved),
        event("conf-ex", "e2", "AA000003", ContactResult::NotHome),
        event("conf-ex", "e3", "AA000004", ContactResult::OptedOut),
        answered,
        event("exchange:other", "x1", "AA000006", ContactResult::Refused),
        event("exchange:other", "x2", "AA000006", ContactResult::OptedOut),
    ];
    load(store, events.clone()).await;
    let got = store
        .outbox_after(head, &all_datasets(), 100)
        .await
        .unwrap();
    let kinds: Vec<(&str, &str)> = got
        .iter()
        .map(|r| (r.dataset.as_str(), r.state_voter_id.as_str()))
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("contact_outcomes", "AA000003"),
            ("contact_outcomes", "AA000005"),
            ("opt_outs", "AA000004"),
            ("survey_answers", "AA000005"),
        ],
        "outcomes with information, answers and the STOP; nothing that came over an exchange"
    );
    assert!(got.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(got[0].seq > head);
    let moved = got
        .iter()
        .find(|r| r.dataset == "contact_outcomes" && r.state_voter_id == "AA000003")
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&moved.payload).unwrap();
    assert_eq!(payload["result"], "moved");
    assert_eq!(payload["channel"], "text");
    assert_eq!(payload["contacted_at"], "2026-10-12T18:30:00");
    let answer = got.iter().find(|r| r.dataset == "survey_answers").unwrap();
    let payload: serde_json::Value = serde_json::from_str(&answer.payload).unwrap();
    assert_eq!(
        (
            &payload["question"],
            &payload["answer"],
            &payload["value"],
            &payload["contacted_at"]
        ),
        (
            &serde_json::json!("support"),
            &serde_json::json!("2"),
            &serde_json::json!(2),
            &serde_json::json!("2026-10-12T18:30:00")
        )
    );
    let only_outcomes = store
        .outbox_after(head, &["contact_outcomes".to_string()], 1)
        .await
        .unwrap();
    assert_eq!(only_outcomes.len(), 1, "limit and dataset filter");
    assert_eq!(only_outcomes[0].dataset, "contact_outcomes");

    // A second load of the same events publishes nothing more.
    let new_head = store.outbox_head().await.unwrap();
    assert_eq!(new_head, got.last().unwrap().seq);
    load(store, events).await;
    assert_eq!(store.outbox_head().await.unwrap(), new_head);

    // The STOP suppressed its voter, once; the one received over an exchange did not.
    let list = store.suppressions(1000, false).await.unwrap();
    let stops: Vec<_> = list
        .iter()
        .filter(|s| s.entry.source == "text_stop")
        .collect();
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0].entry.state_voter_id, "AA000004");
    assert_eq!(stops[0].entry.channel, "text");
    assert_eq!(stops[0].entry.source_key, "conf-ex:e3");
    let ids = store.suppressed_voter_ids().await.unwrap();
    assert!(ids.contains(&"AA000004".to_string()));
    assert!(!ids.contains(&"AA000006".to_string()));

    // The volunteer-links checks unsubscribed a volunteer: each of their addresses is
    // suppressed on email.
    let emails: Vec<&str> = list
        .iter()
        .filter(|s| s.entry.source == "email_unsubscribe")
        .map(|s| s.entry.email.as_str())
        .collect();
    assert!(emails.contains(&"links41@example.org"), "{emails:?}");
}

async fn suppression_list(store: &dyn Store) {
    let before = store.suppressed_voter_ids().await.unwrap();
    assert!(!before.contains(&"AA000001".to_string()));
    // A phone appended to two voters (see the phones checks) covers both.
    let by_phone = manual("", "+19195550142");
    assert!(store.add_suppression(&by_phone).await.unwrap());
    assert!(
        !store.add_suppression(&by_phone).await.unwrap(),
        "same source and key: one entry"
    );
    let head = store.outbox_head().await.unwrap();
    assert!(
        store
            .add_suppression(&manual("AA000008", ""))
            .await
            .unwrap()
    );
    let published = store.outbox_after(head, &all_datasets(), 10).await.unwrap();
    assert_eq!(published.len(), 1, "an entry with a voter id is published");
    assert_eq!(
        (
            published[0].dataset.as_str(),
            published[0].state_voter_id.as_str()
        ),
        ("opt_outs", "AA000008")
    );
    let mut received = manual("AA000009", "");
    received.source = "exchange:other".into();
    assert!(store.add_suppression(&received).await.unwrap());
    assert_eq!(
        store.outbox_head().await.unwrap(),
        published[0].seq,
        "received opt-outs are not passed on"
    );
    let ids = store.suppressed_voter_ids().await.unwrap();
    for id in ["AA000001", "AA000002", "AA000008", "AA000009"] {
        assert!(ids.contains(&id.to_string()), "{id} in {ids:?}");
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");

    let live = store.suppressions(1000, false).await.unwrap();
    let entry = live
        .iter()
        .find(|s| s.entry.phone == "+19195550142")
        .unwrap();
    assert_eq!(entry.entry.created_by, "ann");
    assert!(entry.removed_at.is_none());
    assert!(store.remove_suppression(entry.id, "admin").await.unwrap());
    assert!(!store.remove_suppression(entry.id, "admin").await.unwrap());
    assert!(!store.remove_suppression(-5, "admin").await.unwrap());
    let ids = store.suppressed_voter_ids().await.unwrap();
    assert!(
        !ids.contains(&"AA000001".to_string()),
        "removed: no longer suppresses"
    );
    assert!(
        !store
            .suppressions(1000, false)
            .await
            .unwrap()
            .iter()
            .any(|s| s.id == entry.id)
    );
    let all = store.suppressions(1000, true).await.unwrap();
    let removed = all.iter().find(|s| s.id == entry.id).unwrap();
    assert_eq!(removed.removed_by.as_deref(), Some("admin"));
    assert!(removed.removed_at.is_some());
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert_eq!(store.suppressions(1, true).await.unwrap().len(), 1);

    assert_eq!(
        store
            .held_voter_ids(&["AA000003".into(), "NOPE".into(), "AA000001".into()])
            .await
            .unwrap(),
        ["AA000001", "AA000003"]
    );
}

async fn agreements_and_cursors(store: &dyn Store) {
    assert!(store.agreements().await.unwrap().is_empty());
    assert!(store.agreement("missing").await.unwrap().is_none());
    let mut a = Agreement {
        id: "6f1c0c8e-0000-4000-8000-000000000001".into(),
        publisher: "alpha".into(),
        subscriber: "beta".into(),
        terms: AgreementTerms {
            datasets: vec![Dataset::ContactOutcomes, Dataset::OptOuts],
            results: vec!["moved".into()],
            questions: vec![],
            match_mode: MatchMode::Hashed,
            direction: Direction::OneWay,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        },
        hash_key: "00ff".into(),
        proposed_by_org: "alpha".into(),
        proposed: Signature {
            by: "ann".into(),
            at: at(1),
        },
        publisher_approval: Some(Signature {
            by: "ann".into(),
            at: at(1),
        }),
        subscriber_approval: None,
        ended: None,
        ended_by_org: None,
    };
    store.put_agreement(&a).await.unwrap();
    assert_eq!(store.agreement(&a.id).await.unwrap().as_ref(), Some(&a));
    a.subscriber_approval = Some(Signature {
        by: "bob".into(),
        at: at(2),
    });
    a.ended = Some(Signature {
        by: "bob".into(),
        at: at(3),
    });
    a.ended_by_org = Some("beta".into());
    store.put_agreement(&a).await.unwrap();
    let mut b = a.clone();
    b.id = "6f1c0c8e-0000-4000-8000-000000000002".into();
    b.proposed.at = at(9);
    b.subscriber_approval = None;
    b.ended = None;
    b.ended_by_org = None;
    store.put_agreement(&b).await.unwrap();
    assert_eq!(store.agreements().await.unwrap(), [b.clone(), a.clone()]);

    assert!(
        store
            .exchange_cursor(&a.id, "alpha")
            .await
            .unwrap()
            .is_none()
    );
    let c = store
        .advance_cursor(&a.id, "alpha", 5, 9, 2, 1)
        .await
        .unwrap();
    assert_eq!(
        (c.last_seq, c.publisher_head, c.applied, c.skipped),
        (5, 9, 2, 1)
    );
    let c = store
        .advance_cursor(&a.id, "alpha", 3, 7, 0, 4)
        .await
        .unwrap();
    assert_eq!(
        (c.last_seq, c.publisher_head, c.applied, c.skipped),
        (5, 9, 2, 5),
        "never moves back"
    );
    assert_eq!(
        store.exchange_cursor(&a.id, "alpha").await.unwrap(),
        Some(c)
    );
    assert!(
        store
            .exchange_cursor(&a.id, "beta")
            .await
            .unwrap()
            .is_none()
    );
}
