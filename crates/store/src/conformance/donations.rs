//! Conformance checks of [`DonationStore`](crate::donations::DonationStore): an import
//! creates people for new donors (with email and phone) and maps identities; contributions
//! read back identical with their person, by date, filtered by cycle, newest first per
//! person; a second import of the same records changes nothing; a contribution of an
//! unknown identity refuses the whole import with nothing written; donors are people the
//! voter-link review queue accepts and not volunteers; rules are set and replaced; the
//! donor review queue keeps one entry per pair, decides once, and an accepted pair moves
//! the incoming person's identities and gifts to the other person.

use crate::donations::{
    DonationImport, DonationImportOutcome, DonorIdentity, NewDonor, NewDonorReview, ReviewStatus,
};
use crate::{Store, StoreError};
use chrono::NaiveDate;
use votebase_domain::donations::{
    ComplianceRules, ContributionKind, DonorDetails, Election, ElectionKind, NewContribution,
};
use votebase_domain::people::{LinkStatus, PersonLink};

fn donor(first: &str, last: &str, email: &str) -> DonorDetails {
    DonorDetails {
        first_name: first.into(),
        last_name: last.into(),
        address: "12 Oak St".into(),
        city: "Raleigh".into(),
        state: "NC".into(),
        zip: "27601".into(),
        country: String::new(),
        email: email.into(),
        phone: "+19195550100".into(),
        employer: String::new(),
        occupation: String::new(),
    }
}

fn gift(receipt: &str, d: &DonorDetails, on: (i32, u32, u32), cents: i64) -> NewContribution {
    let day = NaiveDate::from_ymd_opt(on.0, on.1, on.2).unwrap();
    NewContribution {
        source: "conformance".into(),
        receipt_id: receipt.into(),
        kind: if cents < 0 {
            ContributionKind::Refund
        } else {
            ContributionKind::Gift
        },
        refers_to: if cents < 0 {
            "r1".into()
        } else {
            String::new()
        },
        committee_id: "C00000001".into(),
        election: Election {
            kind: ElectionKind::Primary,
            year: votebase_domain::donations::cycle_of(day),
        },
        received_on: day,
        amount_cents: cents,
        recurring: receipt == "r2",
        memo: receipt == "r4",
        entity_type: "IND".into(),
        donor: DonorDetails {
            employer: "Acme, Inc.\tTab".into(),
            occupation: "Engineer".into(),
            ..d.clone()
        },
    }
}

fn identity(person: &str, d: &DonorDetails) -> DonorIdentity {
    DonorIdentity {
        key: d.identity_key(),
        person: person.into(),
        details: d.clone(),
    }
}

/// Runs the checks on a store without donations.
pub async fn run(store: &dyn Store) {
    assert!(store.donor_identities().await.unwrap().is_empty());
    assert!(store.contributions(None).await.unwrap().is_empty());
    let bob = donor("Bob", "Smith", "bob@example.org");
    let robert = donor("Robert", "Smith", "bob@example.org");
    let ann = donor("Ann", "Lee", "");
    let batch = DonationImport {
        donors: vec![
            NewDonor {
                external_id: "donor:bob".into(),
                details: bob.clone(),
            },
            NewDonor {
                external_id: "donor:ann".into(),
                details: ann.clone(),
            },
        ],
        identities: vec![
            identity("donor:bob", &bob),
            identity("donor:bob", &robert),
            identity("donor:ann", &ann),
        ],
        contributions: vec![
            gift("r1", &bob, (2025, 3, 1), 250_000),
            gift("r2", &robert, (2025, 4, 1), 150_000),
            gift("r3", &bob, (2025, 5, 1), -50_000),
            gift("r4", &ann, (2023, 5, 1), 1_000),
        ],
        reviews: vec![],
    };
    let out = store.import_donations(&batch).await.unwrap();
    assert_eq!(
        out,
        DonationImportOutcome {
            inserted: 4,
            unchanged: 0,
            new_donors: 2
        }
    );
    let all = store.contributions(None).await.unwrap();
    let receipts: Vec<&str> = all
        .iter()
        .map(|c| c.contribution.receipt_id.as_str())
        .collect();
    assert_eq!(receipts, ["r4", "r1", "r2", "r3"], "by date");
    assert_eq!(all[1].person, "donor:bob");
    assert_eq!(
        all[2].person, "donor:bob",
        "a second identity of one person"
    );
    assert_eq!(all[2].contribution, batch.contributions[1], "reads back");
    assert_eq!(
        all[0].contribution, batch.contributions[3],
        "memo reads back"
    );
    assert_eq!(all[3].contribution.kind, ContributionKind::Refund);
    let cycle = store.contributions(Some(2026)).await.unwrap();
    assert_eq!(cycle.len(), 3);
    let bobs = store.contributions_of_person("donor:bob").await.unwrap();
    let receipts: Vec<&str> = bobs
        .iter()
        .map(|c| c.contribution.receipt_id.as_str())
        .collect();
    assert_eq!(receipts, ["r3", "r2", "r1"], "newest first");
    let ids = store.donor_identities().await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.contains(&identity("donor:bob", &robert)));

    // The same file again changes nothing.
    let again = store.import_donations(&batch).await.unwrap();
    assert_eq!(
        again,
        DonationImportOutcome {
            inserted: 0,
            unchanged: 4,
            new_donors: 0
        }
    );
    assert_eq!(store.contributions(None).await.unwrap(), all);

    // An unknown identity refuses everything, including the new donor.
    let stranger = donor("Zed", "Quinn", "zed@example.org");
    let bad = DonationImport {
        donors: vec![NewDonor {
            external_id: "donor:zed".into(),
            details: stranger.clone(),
        }],
        identities: vec![identity("donor:zed", &stranger)],
        contributions: vec![
            gift("r5", &stranger, (2025, 6, 1), 100),
            gift("r6", &donor("No", "Body", ""), (2025, 6, 1), 100),
        ],
        reviews: vec![],
    };
    match store.import_donations(&bad).await {
        Err(StoreError::Refused(m)) => assert!(m.contains("r6"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.contributions(None).await.unwrap().len(), 4);
    assert_eq!(store.donor_identities().await.unwrap().len(), 3);
    let orphan = DonationImport {
        identities: vec![identity("donor:nobody", &stranger)],
        ..Default::default()
    };
    assert!(matches!(
        store.import_donations(&orphan).await,
        Err(StoreError::Refused(_))
    ));

    // Donors are people: the voter-link review queue takes them; they are no volunteers.
    store
        .record_person_links(&[PersonLink {
            person: "donor:bob".into(),
            state_voter_id: "AA000001".into(),
            probability: 0.7,
            explanation: "conformance".into(),
            status: LinkStatus::Review,
        }])
        .await
        .unwrap();
    assert_eq!(store.links_of_person("donor:bob").await.unwrap().len(), 1);
    assert!(store.volunteer("donor:bob").await.unwrap().is_none());

    // Rules.
    assert!(store.donation_rules().await.unwrap().is_empty());
    let mut rules = ComplianceRules::federal_default(2026);
    rules.committee_id = "C00000001".into();
    store.put_donation_rules(&rules).await.unwrap();
    rules.per_election_limit_cents = 500_000;
    store.put_donation_rules(&rules).await.unwrap();
    store
        .put_donation_rules(&ComplianceRules::federal_default(2024))
        .await
        .unwrap();
    let stored = store.donation_rules().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1], rules, "replaced, ordered by committee");

    reviews(store, &ann).await;
}

/// The review queue: queued once per pair, read with both sides, decided once; accepting
/// moves the incoming person's identities (and gifts) to the other person.
async fn reviews(store: &dyn Store, ann: &DonorDetails) {
    assert!(store.donor_reviews(false).await.unwrap().is_empty());
    let anne = donor("Anne", "Lee", "anne@example.org");
    let leigh = donor("Ann", "Leigh", "");
    let review = |d: &DonorDetails, p: f64| NewDonorReview {
        key: d.identity_key(),
        other_key: ann.identity_key(),
        probability: p,
        explanation: "first_name: similar (+3.0 bits)".into(),
    };
    let batch = DonationImport {
        donors: vec![
            NewDonor {
                external_id: "donor:anne".into(),
                details: anne.clone(),
            },
            NewDonor {
                external_id: "donor:leigh".into(),
                details: leigh.clone(),
            },
        ],
        identities: vec![
            identity("donor:anne", &anne),
            identity("donor:leigh", &leigh),
        ],
        contributions: vec![gift("r7", &anne, (2025, 7, 1), 2_000)],
        reviews: vec![review(&anne, 0.75), review(&leigh, 0.6), review(&anne, 0.8)],
    };
    store.import_donations(&batch).await.unwrap();
    let queue = store.donor_reviews(true).await.unwrap();
    assert_eq!(queue.len(), 2, "one per pair: {queue:?}");
    let (first, second) = (&queue[0], &queue[1]);
    assert_eq!(first.key, anne.identity_key());
    assert_eq!(
        (first.person.as_str(), first.other_person.as_str()),
        ("donor:anne", "donor:ann")
    );
    assert_eq!(first.details, anne);
    assert_eq!(first.other_details, *ann);
    assert_eq!(first.probability, 0.75, "the first queued wins");
    assert_eq!(first.explanation, "first_name: similar (+3.0 bits)");
    assert_eq!(first.status, ReviewStatus::Pending);
    assert_eq!(first.decided_by, "");

    let accepted = store
        .decide_donor_review(first.id, true, "ola")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.status, ReviewStatus::Accepted);
    assert_eq!(accepted.decided_by, "ola");
    assert_eq!(accepted.person, "donor:ann", "merged into the other person");
    let gifts = store.contributions_of_person("donor:ann").await.unwrap();
    assert!(
        gifts.iter().any(|c| c.contribution.receipt_id == "r7"),
        "{gifts:?}"
    );
    assert!(
        store
            .contributions_of_person("donor:anne")
            .await
            .unwrap()
            .is_empty()
    );
    match store.decide_donor_review(first.id, false, "ola").await {
        Err(StoreError::Refused(m)) => assert!(m.contains("already accepted"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        store
            .decide_donor_review(9_999, true, "ola")
            .await
            .unwrap()
            .is_none()
    );

    let rejected = store
        .decide_donor_review(second.id, false, "ola")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.status, ReviewStatus::Rejected);
    assert_eq!(
        (rejected.person.as_str(), rejected.other_person.as_str()),
        ("donor:leigh", "donor:ann"),
        "kept apart"
    );
    assert!(store.donor_reviews(true).await.unwrap().is_empty());

    // Importing the same pairs again queues nothing.
    store.import_donations(&batch).await.unwrap();
    assert!(store.donor_reviews(true).await.unwrap().is_empty());
    let all = store.donor_reviews(false).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.status).collect::<Vec<_>>(),
        [ReviewStatus::Accepted, ReviewStatus::Rejected]
    );
}
