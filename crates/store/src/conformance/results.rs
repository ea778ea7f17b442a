//! Conformance checks of [`ResultsStore`](crate::results::ResultsStore): setup, chair
//! codes and readiness, idempotent submissions (a retry returns the stored receipt, a
//! reused client id with other numbers is refused), corrections as new versions,
//! double-entry agreement and disagreement, the append-only log, worksheets, and a
//! projection rebuilt from the log equal to the live one.

use chrono::{NaiveDate, Utc};
use std::sync::Arc;
use votebase_domain::results::{
    CaucusEntry, CaucusGroup, Channel, Contest, ContestKind, Election, EntryStatus, NewSubmission,
    Precinct, PrecinctStatus, ResultEntry, ResultRules, SubmissionRequest,
};

use crate::Store;
use crate::results::NewWorksheet;

fn election() -> Election {
    Election {
        slug: "conf-caucus".into(),
        name: "Conformance caucus".into(),
        date: NaiveDate::from_ymd_opt(2020, 2, 3).expect("date"),
        double_entry: false,
        contests: vec![Contest {
            key: "president".into(),
            office: "President".into(),
            district: String::new(),
            party: "DEM".into(),
            kind: ContestKind::Caucus,
            candidates: ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"]
                .map(String::from)
                .to_vec(),
        }],
        precincts: vec![
            Precinct {
                id: "P1".into(),
                county: "Adair".into(),
                name: "4SE ORIENT".into(),
                delegates: 10,
                sde: 0.7843,
                history_turnout: None,
            },
            Precinct {
                id: "P2".into(),
                county: "Adair".into(),
                name: "GREENFIELD".into(),
                delegates: 4,
                sde: 0.5,
                history_turnout: None,
            },
        ],
    }
}

fn worksheet(sizes: [u32; 5], delegates: Option<[u32; 5]>) -> ResultEntry {
    let names = ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"];
    ResultEntry::Caucus(CaucusEntry {
        attendees: sizes.iter().sum(),
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

fn submission(
    client_id: &str,
    precinct: &str,
    channel: Channel,
    reason: Option<&str>,
    result: ResultEntry,
) -> NewSubmission {
    NewSubmission {
        request: SubmissionRequest {
            client_id: client_id.into(),
            election: "conf-caucus".into(),
            precinct: precinct.into(),
            contest: "president".into(),
            reason: reason.map(str::to_owned),
            result,
        },
        channel,
        actor: format!("{}:{precinct}", channel.code()),
        received_at: Utc::now(),
    }
}

/// Runs the results checks on a store that already holds the suite's voters.
pub async fn run(store: &dyn Store, rules: Arc<dyn ResultRules>) {
    let mut e = election();
    store.put_election(&e).await.expect("setup");
    assert_eq!(
        store.election("conf-caucus").await.expect("read"),
        Some(e.clone())
    );
    assert!(store.election("nope").await.expect("read").is_none());
    // Setup may change until the first submission.
    e.double_entry = true;
    store.put_election(&e).await.expect("changed setup");
    e.double_entry = false;
    store.put_election(&e).await.expect("changed back");

    // Chair codes, sign-in and readiness.
    let now = Utc::now();
    store
        .set_chair_codes(
            "conf-caucus",
            &[
                ("P1".into(), "code-sha-1".into()),
                ("P2".into(), "code-sha-2".into()),
            ],
            now,
        )
        .await
        .expect("codes");
    assert!(
        store
            .set_chair_codes("conf-caucus", &[("P9".into(), "x".into())], now)
            .await
            .is_err()
    );
    assert_eq!(
        store
            .chair_sign_in("conf-caucus", "wrong", "tok-0", now)
            .await
            .expect("sign in"),
        None
    );
    assert_eq!(
        store
            .chair_sign_in("conf-caucus", "code-sha-1", "tok-1", now)
            .await
            .expect("sign in")
            .as_deref(),
        Some("P1")
    );
    let session = store
        .chair_for_token("tok-1")
        .await
        .expect("token")
        .expect("session");
    assert_eq!(
        (session.election.as_str(), session.precinct.as_str()),
        ("conf-caucus", "P1")
    );
    let ready = store
        .chair_readiness("conf-caucus")
        .await
        .expect("readiness");
    assert_eq!(ready.len(), 2);
    assert_eq!(ready[0].sign_ins, 1);
    assert!(ready[0].first_sign_in.is_some() && ready[1].first_sign_in.is_none());

    // Adair 4SE ORIENT as published (Sanders 1, Warren 3): kept, but needs correction.
    let wrong = worksheet([7, 6, 6, 6, 9], Some([2, 2, 2, 1, 3]));
    let first = store
        .submit_result(
            rules.clone(),
            submission("c-1", "P1", Channel::Chair, None, wrong.clone()),
        )
        .await
        .expect("submit");
    assert!(!first.replayed);
    assert_eq!(first.receipt.version, 1);
    assert_eq!(first.receipt.check.status, EntryStatus::NeedsCorrection);
    // The retry returns the very same receipt and writes nothing.
    let again = store
        .submit_result(
            rules.clone(),
            submission("c-1", "P1", Channel::Chair, None, wrong.clone()),
        )
        .await
        .expect("retry");
    assert!(again.replayed);
    assert_eq!(again.receipt, first.receipt);
    // The same id with other numbers is refused.
    assert!(
        store
            .submit_result(
                rules.clone(),
                submission(
                    "c-1",
                    "P1",
                    Channel::Chair,
                    None,
                    worksheet([7, 6, 6, 6, 8], None)
                )
            )
            .await
            .is_err()
    );
    let results = store
        .precinct_results("conf-caucus")
        .await
        .expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].status, PrecinctStatus::NeedsCorrection);

    // The correction: version 2, published with the rules' delegates.
    let fixed = store
        .submit_result(
            rules.clone(),
            submission(
                "c-2",
                "P1",
                Channel::Chair,
                Some("delegates recomputed by the rules"),
                worksheet([7, 6, 6, 6, 9], None),
            ),
        )
        .await
        .expect("correction");
    assert_eq!(fixed.receipt.version, 2);
    assert!(fixed.receipt.seq > first.receipt.seq);
    let results = store
        .precinct_results("conf-caucus")
        .await
        .expect("results");
    let p1 = &results[0];
    assert_eq!(p1.status, PrecinctStatus::Published);
    assert_eq!(
        p1.delegates.iter().map(|d| d.delegates).collect::<Vec<_>>(),
        vec![2, 2, 2, 2, 2]
    );
    assert_eq!(p1.history.len(), 2);
    assert_eq!(
        p1.history[1].reason.as_deref(),
        Some("delegates recomputed by the rules")
    );

    // Setup is frozen now.
    e.name = "Renamed".into();
    assert!(store.put_election(&e).await.is_err());
    e.name = "Conformance caucus".into();
    store
        .put_election(&e)
        .await
        .expect("unchanged setup is fine");

    // P2: chair and hotline disagree → flagged; a third check settles it.
    store
        .submit_result(
            rules.clone(),
            submission(
                "c-3",
                "P2",
                Channel::Chair,
                None,
                worksheet([5, 5, 0, 10, 0], None),
            ),
        )
        .await
        .expect("chair");
    let hot = store
        .submit_result(
            rules.clone(),
            submission(
                "h-1",
                "P2",
                Channel::Hotline,
                None,
                worksheet([5, 5, 0, 9, 1], None),
            ),
        )
        .await
        .expect("hotline");
    assert_eq!(hot.receipt.channel, Channel::Hotline);
    assert_eq!(hot.receipt.version, 1);
    let p2 = store
        .precinct_results("conf-caucus")
        .await
        .expect("results")[1]
        .clone();
    assert_eq!(p2.status, PrecinctStatus::Disagreement);
    assert!(p2.published.is_none());
    store
        .submit_result(
            rules.clone(),
            submission(
                "k-1",
                "P2",
                Channel::Check,
                Some("worksheet photo"),
                worksheet([5, 5, 0, 10, 0], None),
            ),
        )
        .await
        .expect("check");

    // Worksheets: stored once per client id.
    let photo = NewWorksheet {
        election: "conf-caucus".into(),
        precinct: "P1".into(),
        client_id: "w-1".into(),
        content_type: "image/png".into(),
        bytes: vec![137, 80, 78, 71, 1, 2, 3],
        sha256: "abc".into(),
        actor: "chair:P1".into(),
        received_at: Utc::now(),
    };
    let (w, replayed) = store.add_worksheet(photo.clone()).await.expect("photo");
    assert!(!replayed);
    let (w2, replayed) = store
        .add_worksheet(photo.clone())
        .await
        .expect("photo again");
    assert!(replayed);
    assert_eq!(w, w2);
    assert_eq!(
        store
            .worksheets("conf-caucus", Some("P1"))
            .await
            .expect("list")
            .len(),
        1
    );
    let (meta, bytes) = store
        .worksheet_bytes("conf-caucus", w.id)
        .await
        .expect("bytes")
        .expect("found");
    assert_eq!((meta, bytes), (w, photo.bytes.clone()));

    // The log holds every entry, and the projection rebuilt from it equals the live one.
    let log = store.result_log("conf-caucus", None).await.expect("log");
    assert_eq!(log.len(), 5);
    assert_eq!(
        store
            .result_log("conf-caucus", Some("P2"))
            .await
            .expect("log")
            .len(),
        3
    );
    let live = store.precinct_results("conf-caucus").await.expect("live");
    assert_eq!(live[1].status, PrecinctStatus::Published);
    assert_eq!(
        store
            .rebuild_results(rules.clone(), "conf-caucus")
            .await
            .expect("rebuild"),
        2
    );
    let rebuilt = store
        .precinct_results("conf-caucus")
        .await
        .expect("rebuilt");
    assert_eq!(live, rebuilt);
    let listed = store.elections().await.expect("elections");
    assert!(
        listed
            .iter()
            .any(|s| s.slug == "conf-caucus" && s.submissions == 5 && s.precincts == 2)
    );
}
