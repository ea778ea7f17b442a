//! Conformance checks of [`ListStore`](crate::lists::ListStore): saving freezes the
//! members with the expression, author and voted-removed count; names are unique and
//! checked; members come back sorted; phones of many voters at once match the one-voter
//! call; the data version moves on imports and not on list saves or audit entries.

use crate::lists::NewList;
use crate::{PhoneAppend, Store, StoreError};
use chrono::{NaiveDate, Utc};
use votebase_domain::AuditEntry;

/// Runs the lists checks on a store that already holds the suite's voters.
pub async fn run(store: &dyn Store) {
    let version_before = store.data_version().await.unwrap();
    let new = NewList {
        name: "Young Dems, Wake".into(),
        expression: "county:WAKE party:DEM age:18..29".into(),
        created_by: "alice".into(),
        voted_election: NaiveDate::from_ymd_opt(2026, 11, 3),
        voted_removed: 3,
        members: vec!["AA000004".into(), "AA000001".into(), "AA000004".into()],
    };
    let saved = store.save_list(&new).await.unwrap();
    assert_eq!(saved.name, new.name);
    assert_eq!(saved.expression, new.expression);
    assert_eq!(saved.created_by, "alice");
    assert_eq!(saved.voters, 2, "duplicates stored once");
    assert_eq!(saved.voted_removed, 3);
    assert_eq!(saved.voted_election, new.voted_election);
    assert!((Utc::now() - saved.created_at).num_minutes().abs() < 5);
    assert_eq!(
        store.list_members(&new.name).await.unwrap(),
        vec!["AA000001".to_string(), "AA000004".to_string()]
    );
    assert_eq!(store.list(&new.name).await.unwrap(), Some(saved.clone()));
    assert_eq!(store.list("no such list").await.unwrap(), None);
    assert!(store.list_members("no such list").await.unwrap().is_empty());

    // The same name again is refused and writes nothing.
    let again = store
        .save_list(&NewList {
            members: vec!["AA000002".into()],
            ..new.clone()
        })
        .await;
    assert!(matches!(again, Err(StoreError::Refused(_))), "{again:?}");
    assert_eq!(store.list_members(&new.name).await.unwrap().len(), 2);
    let bad = store
        .save_list(&NewList {
            name: " ".into(),
            ..new.clone()
        })
        .await;
    assert!(matches!(bad, Err(StoreError::Refused(_))), "{bad:?}");

    // An empty list is a list; newest first.
    let empty = store
        .save_list(&NewList {
            name: "nobody".into(),
            expression: "county:NOWHERE".into(),
            created_by: "cli:bob".into(),
            voted_election: None,
            voted_removed: 0,
            members: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(empty.voters, 0);
    let all = store.lists().await.unwrap();
    assert_eq!(
        all.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["nobody", "Young Dems, Wake"]
    );

    // Saving lists and auditing are not data changes.
    store
        .audit(&AuditEntry {
            at: Utc::now(),
            actor: "alice".into(),
            action: "export".into(),
            subject: "list".into(),
            detail: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(store.data_version().await.unwrap(), version_before);

    // Phones of many voters: the same as one voter at a time.
    let ids: Vec<String> = (0..6).map(|i| format!("AA{i:06}")).collect();
    let many = store.phones_of(&ids).await.unwrap();
    let mut one_by_one = Vec::new();
    for id in &ids {
        one_by_one.extend(store.voter_phones(id).await.unwrap());
    }
    assert_eq!(many, one_by_one);
    assert!(!many.is_empty(), "the suite appended phones earlier");

    // An import moves the data version.
    store
        .append_phones(&[PhoneAppend {
            state_voter_id: "AA000005".into(),
            phone_e164: "+19195550199".into(),
            source: "lists.csv".into(),
            probability: 0.9,
            shared_across_households: false,
        }])
        .await
        .unwrap();
    assert_ne!(store.data_version().await.unwrap(), version_before);
}
