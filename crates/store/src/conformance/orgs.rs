//! Conformance of [`OrgRegistry`]: creating, listing, refusing a second creation, opening
//! only registered organizations, and each opened store holding only its own data.

use crate::{OrgRegistry, StoreError};
use votebase_domain::{OrgName, Role, User};

/// Runs the registry checks on a fresh, empty registry; `a` and `b` are names no other
/// test uses (PostgreSQL schemas are shared by every test of the database).
pub async fn run(registry: &dyn OrgRegistry, a: &OrgName, b: &OrgName) {
    assert!(registry.list_orgs().await.unwrap().is_empty());
    assert!(
        matches!(registry.open_org(a).await, Err(StoreError::Refused(_))),
        "an unregistered organization does not open"
    );
    let created = registry.create_org(a, "Camp A").await.expect("create a");
    assert_eq!(
        (&created.name, created.display_name.as_str()),
        (a, "Camp A")
    );
    registry.create_org(b, "Camp B").await.expect("create b");
    assert!(
        matches!(
            registry.create_org(a, "again").await,
            Err(StoreError::Refused(_))
        ),
        "a second creation is refused"
    );
    let listed = registry.list_orgs().await.unwrap();
    let mut names: Vec<&OrgName> = vec![a, b];
    names.sort();
    assert_eq!(
        listed.iter().map(|o| &o.name).collect::<Vec<_>>(),
        names,
        "listed by name"
    );
    assert_eq!(
        listed.iter().find(|o| &o.name == a).unwrap().display_name,
        "Camp A"
    );

    // Each opened store is the organization's own.
    let store_a = registry.open_org(a).await.expect("open a");
    let store_b = registry.open_org(b).await.expect("open b");
    let ola = User {
        name: "ola".into(),
        role: Role::Organizer,
    };
    store_a.put_user(&ola, "hash").await.unwrap();
    assert!(store_a.account("ola").await.unwrap().is_some());
    assert!(store_b.account("ola").await.unwrap().is_none());
    // Reopening finds what was written.
    let again = registry.open_org(a).await.expect("reopen a");
    assert!(again.account("ola").await.unwrap().is_some());
}
