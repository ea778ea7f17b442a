//! Conformance checks of [`ContactStore`](crate::contacts::ContactStore): idempotent
//! loads keyed on (source, source event id), all-or-nothing refusal of unknown voters,
//! aborts, latest answers, tags kept from their first event, survey questions, scores
//! and models, the facts export, and idempotency keys.

use crate::Store;
use crate::contacts::{ContactBatch, ContactFact, IdempotentResponse, StagedContact};
use chrono::{NaiveDate, NaiveDateTime};
use tokio::sync::mpsc;
use votebase_domain::contacts::{
    ContactChannel, ContactEvent, ContactResult, QuestionKind, SurveyAnswer, SurveyQuestion,
};

fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 10, day)
        .unwrap()
        .and_hms_opt(hour, 15, 0)
        .unwrap()
}

fn event(id: &str, voter: &str, channel: ContactChannel, when: NaiveDateTime) -> ContactEvent {
    ContactEvent {
        source: "van".into(),
        source_event_id: id.into(),
        state_voter_id: voter.into(),
        channel,
        contacted_at: when,
        canvasser: "alice".into(),
        result: ContactResult::NotHome,
        answers: Vec::new(),
        tags: Vec::new(),
    }
}

fn support(v: i64) -> SurveyAnswer {
    SurveyAnswer {
        question: "support".into(),
        answer: v.to_string(),
        value: v,
    }
}

async fn load(
    store: &dyn Store,
    batches: Vec<ContactBatch>,
) -> crate::StoreResult<crate::contacts::ContactImportOutcome> {
    let (tx, rx) = mpsc::channel(4);
    // The batches given, then the end marker (a store that stopped at an abort has
    // dropped its receiver by then).
    let send = async move {
        for b in batches {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        let _ = tx.send(crate::Batch::End).await;
    };
    let (out, ()) = tokio::join!(store.import_contacts(rx), send);
    out
}

fn staged(events: &[ContactEvent]) -> Vec<StagedContact> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| StagedContact {
            line: i as u64 + 2,
            event: e.clone(),
        })
        .collect()
}

/// Runs the contacts checks on a store that already holds the suite's voters.
pub async fn run(store: &dyn Store) {
    // The built-in support question, and an organization's own question.
    let qs = store.survey_questions().await.unwrap();
    assert_eq!(qs, vec![SurveyQuestion::support()]);
    let volunteer = SurveyQuestion {
        key: "volunteer".into(),
        text: "Will you volunteer?".into(),
        kind: QuestionKind::Choice {
            choices: vec!["Yes".into(), "No".into()],
        },
    };
    store.put_survey_question(&volunteer).await.unwrap();
    store.put_survey_question(&volunteer).await.unwrap();
    assert_eq!(store.survey_questions().await.unwrap().len(), 2);

    let mut reached = event("e2", "AA000001", ContactChannel::Door, at(2, 17));
    reached.result = ContactResult::Reached;
    reached.answers = vec![support(2), volunteer.answer("yes").unwrap()];
    reached.tags = vec!["volunteer-prospect".into()];
    let mut later = event("e3", "AA000001", ContactChannel::Phone, at(5, 18));
    later.result = ContactResult::Reached;
    later.answers = vec![support(1)];
    later.tags = vec!["volunteer-prospect".into(), "yard-sign".into()];
    let events = vec![
        event("e1", "AA000001", ContactChannel::Door, at(1, 10)),
        reached.clone(),
        later.clone(),
        event("e4", "AA000002", ContactChannel::Text, at(3, 12)),
    ];

    // An unknown voter anywhere in the load: nothing is written, every such row listed.
    let mut bad = events.clone();
    bad.push(event("e5", "ZZ999999", ContactChannel::Door, at(3, 9)));
    let out = load(store, vec![crate::Batch::Rows(staged(&bad))])
        .await
        .unwrap();
    assert_eq!(out.unknown_voters.len(), 1);
    assert_eq!(out.unknown_voters[0].line, 6);
    assert_eq!(out.unknown_voters[0].state_voter_id, "ZZ999999");
    assert_eq!(out.inserted, 0);
    assert!(store.voter_contacts("AA000001").await.unwrap().is_empty());

    // An aborted load writes nothing.
    let aborted = load(
        store,
        vec![
            crate::Batch::Rows(staged(&events)),
            crate::Batch::Abort("reader failed".into()),
        ],
    )
    .await;
    assert!(
        matches!(aborted, Err(crate::StoreError::Aborted(_))),
        "{aborted:?}"
    );
    assert!(store.voter_contacts("AA000001").await.unwrap().is_empty());

    // A load, a repeat within the file, and a second load: no change.
    let mut with_repeat = events.clone();
    with_repeat.push(events[0].clone());
    let out = load(store, vec![crate::Batch::Rows(staged(&with_repeat))])
        .await
        .unwrap();
    assert!(out.unknown_voters.is_empty());
    assert_eq!(
        (out.inserted, out.unchanged, out.answers, out.new_tags),
        (4, 1, 3, 2)
    );
    let again = load(store, vec![crate::Batch::Rows(staged(&events))])
        .await
        .unwrap();
    assert_eq!(
        (
            again.inserted,
            again.unchanged,
            again.answers,
            again.new_tags
        ),
        (0, 4, 0, 0)
    );

    let timeline = store.voter_contacts("AA000001").await.unwrap();
    assert_eq!(timeline.len(), 3);
    assert_eq!(timeline[0], later, "newest first, read back identical");
    assert_eq!(timeline[1], reached);
    assert_eq!(
        store.contact_event("van", "e2").await.unwrap(),
        Some(reached.clone())
    );
    assert_eq!(store.contact_event("spoke", "e2").await.unwrap(), None);
    let tags = store.voter_tags("AA000001").await.unwrap();
    let tag_names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
    assert_eq!(tag_names, ["volunteer-prospect", "yard-sign"]);
    assert_eq!(tags[0].applied_at, at(2, 17), "kept from the first event");
    assert_eq!(
        store.latest_answers("support").await.unwrap(),
        vec![("AA000001".to_string(), 1)]
    );

    // Scores replace the previous run of the same name; models read back.
    store
        .replace_scores(
            "support",
            "{\"v\":1}",
            &[("AA000001".into(), 90), ("AA000002".into(), 10)],
        )
        .await
        .unwrap();
    store
        .replace_scores("support", "{\"v\":2}", &[("AA000001".into(), 80)])
        .await
        .unwrap();
    assert!(
        store
            .replace_scores("support", "{}", &[("AA000001".into(), 101)])
            .await
            .is_err()
    );
    let scores = store.voter_scores("AA000001").await.unwrap();
    assert_eq!((scores.len(), scores[0].value), (1, 80));
    assert!(store.voter_scores("AA000002").await.unwrap().is_empty());
    assert_eq!(
        store
            .score_model("support")
            .await
            .unwrap()
            .unwrap()
            .model_json,
        "{\"v\":2}"
    );
    assert!(store.score_model("turnout").await.unwrap().is_none());
    store.put_score_model("turnout", "{}").await.unwrap();
    assert!(store.score_model("turnout").await.unwrap().is_some());

    // The facts the index needs.
    let (tx, mut rx) = mpsc::channel(2);
    let export = store.export_contact_facts(2, tx);
    let collect = async {
        let mut all = Vec::new();
        while let Some(b) = rx.recv().await {
            assert!(b.len() <= 2);
            all.extend(b);
        }
        all
    };
    let (done, facts) = tokio::join!(export, collect);
    done.unwrap();
    let count = |f: fn(&ContactFact) -> bool| facts.iter().filter(|x| f(x)).count();
    assert_eq!(count(|f| matches!(f, ContactFact::Tag { .. })), 2);
    assert_eq!(count(|f| matches!(f, ContactFact::Contact { .. })), 4);
    assert_eq!(count(|f| matches!(f, ContactFact::Score { .. })), 1);
    assert!(facts.contains(&ContactFact::Answer {
        voter: "AA000001".into(),
        question: "support".into(),
        value: 1
    }));
    assert!(facts.contains(&ContactFact::Answer {
        voter: "AA000001".into(),
        question: "volunteer".into(),
        value: 1
    }));
    assert_eq!(
        count(|f| matches!(f, ContactFact::Answer { .. })),
        2,
        "latest per question"
    );
    assert!(facts.contains(&ContactFact::Contact {
        voter: "AA000001".into(),
        channel: ContactChannel::Door,
        date: NaiveDate::from_ymd_opt(2026, 10, 2).unwrap(),
        reached: true
    }));

    // Idempotency keys: the first stored answer wins, per user.
    assert!(
        store
            .idempotent_response("alice", "k1")
            .await
            .unwrap()
            .is_none()
    );
    let first = IdempotentResponse {
        request_sha256: "aa".into(),
        status: 201,
        body: "{}".into(),
    };
    assert_eq!(
        store
            .put_idempotent_response("alice", "k1", &first)
            .await
            .unwrap(),
        first
    );
    let second = IdempotentResponse {
        request_sha256: "bb".into(),
        status: 201,
        body: "{\"x\":1}".into(),
    };
    assert_eq!(
        store
            .put_idempotent_response("alice", "k1", &second)
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        store
            .put_idempotent_response("bob", "k1", &second)
            .await
            .unwrap(),
        second
    );
    assert_eq!(
        store.idempotent_response("alice", "k1").await.unwrap(),
        Some(first)
    );
}
