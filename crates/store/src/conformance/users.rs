//! Conformance of users, roles, sessions, API tokens (expiry, revocation, last use),
//! disabled accounts, password resets and the audit log, on both backends.

use super::*;

pub(super) async fn users_tokens_sessions_and_audit(store: &dyn Store) {
    let alice = User {
        name: "alice".into(),
        role: Role::Organizer,
    };
    store.put_user(&alice, "$argon2id$fake").await.unwrap();
    let (u, hash) = store.user_with_password("alice").await.unwrap().unwrap();
    assert_eq!((u, hash.as_str()), (alice.clone(), "$argon2id$fake"));
    let promoted = User {
        role: Role::Admin,
        ..alice.clone()
    };
    store.put_user(&promoted, "$argon2id$new").await.unwrap();
    let users = store.list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!((&users[0].user, users[0].disabled), (&promoted, false));
    assert!(store.user_with_password("bob").await.unwrap().is_none());

    store.add_token("alice", "tok-sha", "ci").await.unwrap();
    let tok = store.token("tok-sha").await.unwrap().expect("token");
    assert_eq!(tok.user, promoted);
    assert_eq!((tok.label.as_str(), tok.user_disabled), ("ci", false));
    assert!(tok.revoked_at.is_none() && tok.last_used_at.is_none());
    let lifetime = tok.expires_at.expect("expiry") - Utc::now();
    assert!(lifetime > Duration::days(89) && lifetime <= Duration::days(90));
    assert!(store.token("nope").await.unwrap().is_none());

    let live = Session {
        user: promoted.clone(),
        csrf_token: "csrf".into(),
        expires_at: Utc::now() + Duration::hours(1),
    };
    store.create_session("s1", &live).await.unwrap();
    let got = store.session("s1").await.unwrap().unwrap();
    assert_eq!(
        (got.user, got.csrf_token),
        (promoted.clone(), "csrf".to_string())
    );
    let expired = Session {
        expires_at: Utc::now() - Duration::hours(1),
        ..live.clone()
    };
    store.create_session("s2", &expired).await.unwrap();
    assert!(store.session("s2").await.unwrap().is_none(), "expired");
    store.delete_session("s1").await.unwrap();
    assert!(store.session("s1").await.unwrap().is_none());

    for i in 0..3 {
        store
            .audit(&AuditEntry {
                at: Utc::now(),
                actor: "alice".into(),
                action: "voter.read".into(),
                subject: format!("AA00000{i}"),
                detail: String::new(),
            })
            .await
            .unwrap();
    }
    let log = store.audit_log(2).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].subject, "AA000002", "newest first");

    credentials(store, &promoted).await;
}

/// Token ids, expiry, last use and revocation; disabling a user (sessions end, the
/// user and their tokens are marked); role changes; a password reset ends sessions and
/// revokes tokens. Leaves `alice` enabled, admin, with no live token.
async fn credentials(store: &dyn Store, alice: &User) {
    let bob = User {
        name: "bob".into(),
        role: Role::Volunteer,
    };
    store.put_user(&bob, "$argon2id$bob").await.unwrap();
    let soon = Utc::now() + Duration::days(2);
    let a1 = store
        .create_token("alice", "a1-sha", "etl", soon)
        .await
        .unwrap();
    let b1 = store
        .create_token("bob", "b1-sha", "phone", Utc::now() - Duration::minutes(1))
        .await
        .unwrap();
    assert!(a1 != b1 && a1 > 0 && b1 > 0, "{a1} {b1}");
    let t = store.token("a1-sha").await.unwrap().unwrap();
    assert_eq!(t.id, a1);
    assert_eq!(t.expires_at.unwrap().timestamp(), soon.timestamp());
    assert!(!t.expired_at(Utc::now()));
    assert!(
        store
            .token("b1-sha")
            .await
            .unwrap()
            .unwrap()
            .expired_at(Utc::now())
    );

    // Last use: recorded, then not rewritten within the minute, then rewritten after it.
    let t0 = Utc::now();
    store.touch_token(a1, t0).await.unwrap();
    let used = store.token("a1-sha").await.unwrap().unwrap().last_used_at;
    assert_eq!(used.map(|u| u.timestamp()), Some(t0.timestamp()));
    store
        .touch_token(a1, t0 + Duration::seconds(30))
        .await
        .unwrap();
    let used = store.token("a1-sha").await.unwrap().unwrap().last_used_at;
    assert_eq!(used.map(|u| u.timestamp()), Some(t0.timestamp()));
    store
        .touch_token(a1, t0 + Duration::minutes(5))
        .await
        .unwrap();
    let used = store.token("a1-sha").await.unwrap().unwrap().last_used_at;
    assert_eq!(
        used.map(|u| u.timestamp()),
        Some((t0 + Duration::minutes(5)).timestamp())
    );

    let listed = store.list_tokens().await.unwrap();
    let ids: Vec<i64> = listed.iter().map(|t| t.id).collect();
    assert!(ids.contains(&a1) && ids.contains(&b1), "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    assert!(store.revoke_token(b1).await.unwrap());
    assert!(!store.revoke_token(b1).await.unwrap(), "already revoked");
    assert!(!store.revoke_token(999_999).await.unwrap());
    assert!(
        store
            .token("b1-sha")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );

    // Disabling: sessions end at once and stay refused, the user cannot sign in, their
    // tokens are marked; enabling restores sign-in (not the ended sessions).
    let live = Session {
        user: bob.clone(),
        csrf_token: "c".into(),
        expires_at: Utc::now() + Duration::hours(1),
    };
    store.create_session("bob-s1", &live).await.unwrap();
    assert!(store.session("bob-s1").await.unwrap().is_some());
    store
        .create_token("bob", "b2-sha", "cli", soon)
        .await
        .unwrap();
    assert!(store.set_user_disabled("bob", true).await.unwrap());
    assert!(store.session("bob-s1").await.unwrap().is_none());
    assert!(store.user_with_password("bob").await.unwrap().is_none());
    let acct = store.account("bob").await.unwrap().unwrap();
    assert!(acct.disabled);
    assert!(store.token("b2-sha").await.unwrap().unwrap().user_disabled);
    // A session created while disabled (a race with sign-in) is refused too.
    store.create_session("bob-s2", &live).await.unwrap();
    assert!(store.session("bob-s2").await.unwrap().is_none());
    assert!(!store.set_user_disabled("nobody", true).await.unwrap());
    assert!(store.set_user_disabled("bob", false).await.unwrap());
    assert!(!store.account("bob").await.unwrap().unwrap().disabled);
    assert!(store.user_with_password("bob").await.unwrap().is_some());
    assert!(!store.token("b2-sha").await.unwrap().unwrap().user_disabled);

    // Role change.
    assert!(store.set_user_role("bob", Role::Organizer).await.unwrap());
    assert_eq!(
        store.account("bob").await.unwrap().unwrap().user.role,
        Role::Organizer
    );
    assert!(!store.set_user_role("nobody", Role::Admin).await.unwrap());

    // Password reset: new hash, sessions ended, every token of the user revoked, others kept.
    store.create_session("bob-s3", &live).await.unwrap();
    assert!(
        store
            .reset_password("bob", "$argon2id$reset")
            .await
            .unwrap()
    );
    assert_eq!(
        store.user_with_password("bob").await.unwrap().unwrap().1,
        "$argon2id$reset"
    );
    assert!(store.session("bob-s3").await.unwrap().is_none());
    assert!(
        store
            .token("b2-sha")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(
        store
            .token("a1-sha")
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none()
    );
    assert!(!store.reset_password("nobody", "x").await.unwrap());
    assert!(store.revoke_token(a1).await.unwrap());
    assert_eq!(
        store.account("alice").await.unwrap().unwrap().user,
        alice.clone()
    );
}
