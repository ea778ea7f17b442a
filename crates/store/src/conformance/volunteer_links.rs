//! Conformance checks of [`VolunteerLinkStore`](crate::volunteer_links::VolunteerLinkStore):
//! the link key is made once and every later caller gets the same one; an address is
//! unsubscribed only once a person holding it unsubscribed (any of their addresses,
//! any case). Runs after the people checks (it adds its own volunteers).

use super::people::sample_volunteer;
use crate::Store;

/// Every check, in order.
pub async fn run(store: &dyn Store) {
    let first = store.link_key("key-one").await.unwrap();
    assert_eq!(first, "key-one", "no key yet: the candidate is kept");
    assert_eq!(
        store.link_key("key-two").await.unwrap(),
        "key-one",
        "a key exists: it stays"
    );

    let mut v = sample_volunteer(41);
    v.person.external_id = "links-41".into();
    v.person.emails = vec!["links41@example.org".into(), "other41@example.net".into()];
    store.upsert_volunteers(&[v]).await.unwrap();
    assert!(
        !store
            .email_unsubscribed("links41@example.org")
            .await
            .unwrap()
    );
    assert!(
        !store
            .email_unsubscribed("nobody@example.org")
            .await
            .unwrap()
    );
    assert_eq!(store.unsubscribe("OTHER41@example.net").await.unwrap(), 1);
    assert!(
        store
            .email_unsubscribed("links41@example.org")
            .await
            .unwrap()
    );
    assert!(
        store
            .email_unsubscribed(" Links41@Example.org ")
            .await
            .unwrap()
    );
    assert!(
        !store
            .email_unsubscribed("nobody@example.org")
            .await
            .unwrap()
    );
}
