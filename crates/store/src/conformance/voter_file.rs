//! Conformance of a shared voter file ([`crate::voter_file`]): a subscriber opened after
//! subscribing reads its source's voters and snapshots, sees the source's next snapshot
//! (counts and the index's data version), refuses imports with the source named, keeps
//! writing its own data; a store holding its own file cannot subscribe; ending the
//! subscription gives the subscriber its own (empty) file back on its next opening.

use super::{date, import, sample_voter};
use crate::{PhoneAppend, Store, StoreError};
use std::future::Future;
use std::sync::Arc;
use votebase_domain::OrgName;

/// Runs the checks. `source` is a fresh store of the organization `source_name`;
/// `subscriber` a fresh store of another organization of the same deployment opened
/// without its subscription; `reopen` opens that organization again (applying its
/// subscription), as a new process would.
pub async fn run<F, Fut>(
    source: &dyn Store,
    source_name: &OrgName,
    subscriber: &dyn Store,
    reopen: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let first: Vec<_> = (0..3).map(sample_voter).collect();
    import(source, date(2026, 9, 1), "vf-1", first)
        .await
        .expect("source import");
    assert_eq!(subscriber.recorded_voter_file_source().await.unwrap(), None);
    subscriber
        .set_voter_file_source(Some(source_name))
        .await
        .expect("subscribe");
    assert_eq!(
        subscriber
            .recorded_voter_file_source()
            .await
            .unwrap()
            .map(|s| s.source),
        Some(source_name.clone())
    );
    assert_eq!(
        subscriber.voter_file_source(),
        None,
        "applied only when opened again"
    );

    let shared = reopen().await;
    assert_eq!(shared.voter_file_source(), Some(source_name));
    assert_eq!(
        shared.count_voters().await.unwrap(),
        3,
        "the source's voters"
    );
    assert_eq!(shared.list_snapshots().await.unwrap().len(), 1);
    let id = sample_voter(1).state_voter_id;
    assert!(shared.get_voter(&id).await.unwrap().is_some());
    let before = shared.data_version().await.unwrap();

    // Imports are refused, naming the source; nothing is written anywhere.
    match import(
        shared.as_ref(),
        date(2026, 10, 1),
        "vf-x",
        vec![sample_voter(7)],
    )
    .await
    {
        Err(StoreError::Refused(m)) => {
            assert!(
                m.contains("read-only") && m.contains(source_name.as_str()),
                "{m}"
            )
        }
        other => panic!("an import into a subscriber must be refused: {other:?}"),
    }
    assert_eq!(source.count_voters().await.unwrap(), 3);

    // The subscriber's own data is its own.
    let phone = PhoneAppend {
        state_voter_id: id.clone(),
        phone_e164: "+13365550100".into(),
        source: "cells.csv".into(),
        probability: 0.9,
        shared_across_households: false,
    };
    assert_eq!(shared.append_phones(&[phone]).await.expect("own phones"), 1);
    assert_eq!(shared.voter_phones(&id).await.unwrap().len(), 1);
    assert!(source.voter_phones(&id).await.unwrap().is_empty());

    // The source's next snapshot is seen at once, and moves the data version.
    let second: Vec<_> = (0..5).map(sample_voter).collect();
    import(source, date(2026, 10, 1), "vf-2", second)
        .await
        .expect("second source import");
    assert_eq!(shared.count_voters().await.unwrap(), 5);
    assert_ne!(shared.data_version().await.unwrap(), before);

    // A store holding its own file cannot subscribe.
    match source.set_voter_file_source(Some(source_name)).await {
        Err(StoreError::Refused(m)) => assert!(m.contains("of its own"), "{m}"),
        other => panic!("a store with its own file must not subscribe: {other:?}"),
    }

    // Ending the subscription: the own (empty) file again when opened next.
    shared.set_voter_file_source(None).await.expect("end");
    let own = reopen().await;
    assert_eq!(own.voter_file_source(), None);
    assert_eq!(own.count_voters().await.unwrap(), 0);
    assert_eq!(
        own.voter_phones(&id).await.unwrap().len(),
        1,
        "its own data kept"
    );
}
