//! Conformance checks of [`DisinfoStore`](crate::disinfo::DisinfoStore): claims imported
//! once by key; items idempotent by source and source id, all-or-nothing, with the
//! narratives' counts, first/last seen and best claim kept in step; a narrative id taken
//! by another import refused rather than merged; the saved clustering state; hourly
//! volumes; alerts once per narrative and hour; the workflow with its refusals on an
//! append-only timeline; hotline `misinformation` incidents linked, not copied.

use crate::disinfo::PendingAlert;
use crate::people::OutgoingEmail;
use crate::{Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use votebase_domain::disinfo::{
    AlertKind, ElectionDay, NarrativeAction, NarrativeStatus, NewAlert, NewClaim, NewItem,
    ResponseKind, Verdict, sources,
};
use votebase_domain::incidents::{IncidentLocation, NewIncident, PreparedIntake, Reporter};
use votebase_domain::users::{Role, User};

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 10, 0, 0).unwrap() + Duration::minutes(min)
}

fn claim(key: &str) -> NewClaim {
    NewClaim {
        key: key.into(),
        verdict: Verdict::False,
        claim_en: format!("{key} in English"),
        claim_es: format!("{key} en español"),
        counter_en: "Check the state board".into(),
        counter_es: "Consulte la junta".into(),
        source: "State Board".into(),
    }
}

fn item(id: &str, narrative: i64, new: bool, min: i64) -> NewItem {
    NewItem {
        source: sources::IMPORT.into(),
        source_id: id.into(),
        text: format!("post {id}: polls moved"),
        url: format!("https://x.example/{id}"),
        platform: "x".into(),
        author: "someone".into(),
        posted_at: t(min),
        reach: Some(10),
        incident_id: None,
        lang: "en".into(),
        narrative_id: narrative,
        new_narrative: new,
        representative: new,
        signature: vec![narrative as u8; 256],
        claim: None,
        places: vec![],
        screenshot: None,
    }
}

/// Runs the disinformation checks on a store that already holds the suite's voters.
pub async fn run(store: &dyn Store) {
    subscriptions_and_election_days(store).await;
    // Claims: once per key, all in one transaction.
    let out = store
        .import_claims(&[claim("polls-moved"), claim("vote-by-text")])
        .await
        .unwrap();
    assert_eq!((out.created, out.known), (2, 0));
    let out = store
        .import_claims(&[claim("polls-moved"), claim("vote-wednesday")])
        .await
        .unwrap();
    assert_eq!((out.created, out.known), (1, 1));
    let claims = store.list_claims().await.unwrap();
    assert_eq!(
        claims
            .iter()
            .map(|c| c.claim.key.as_str())
            .collect::<Vec<_>>(),
        vec!["polls-moved", "vote-by-text", "vote-wednesday"]
    );
    assert_eq!(claims[0].claim, claim("polls-moved"));
    let (c1, c2) = (claims[0].id, claims[1].id);

    // Items: two narratives; narrative 1 matches claim 1 best at 0.7.
    assert_eq!(store.cluster_state().await.unwrap().max_narrative, 0);
    let mut a = item("a", 1, true, 0);
    a.claim = Some((c2, 0.4));
    a.places = vec!["WAKE".into(), "New Hanover".into()];
    let mut b = item("b", 1, false, 70);
    b.claim = Some((c1, 0.7));
    b.representative = true;
    let mut c = item("c", 2, true, 5);
    c.screenshot = Some(("image/png".into(), vec![0x89, b'P', b'N', b'G', 1, 2]));
    let mut d = item("d", 1, false, -30);
    d.claim = Some((c2, 0.5));
    let out = store.import_items(&[a, b, c, d], t(100)).await.unwrap();
    assert_eq!((out.created, out.known, out.narratives_created), (4, 0, 2));
    let ns = store.list_narratives(None).await.unwrap();
    assert_eq!(
        ns.iter().map(|n| (n.id, n.items)).collect::<Vec<_>>(),
        vec![(1, 3), (2, 1)]
    );
    let n1 = &ns[0];
    assert_eq!((n1.first_seen, n1.last_seen), (t(-30), t(70)));
    assert_eq!((n1.claim_id, n1.claim_similarity), (Some(c1), Some(0.7)));
    assert_eq!(
        n1.label, "post a: polls moved",
        "label is the first stored item"
    );
    assert_eq!(n1.status, NarrativeStatus::New);
    assert_eq!(ns[1].claim_id, None);

    // Re-import: nothing changes.
    let out = store
        .import_items(&[item("a", 1, true, 0), item("c", 2, true, 5)], t(101))
        .await
        .unwrap();
    assert_eq!((out.created, out.known, out.narratives_created), (0, 2, 0));
    assert_eq!(store.list_narratives(None).await.unwrap(), ns);
    let known = store
        .known_items(&[
            (sources::IMPORT.into(), "a".into()),
            (sources::TIP.into(), "a".into()),
            (sources::IMPORT.into(), "zz".into()),
        ])
        .await
        .unwrap();
    assert_eq!(known, vec![(sources::IMPORT.to_string(), "a".to_string())]);

    // A narrative id another import created meanwhile: refused, and nothing of the batch
    // is written.
    let err = store
        .import_items(&[item("e", 3, true, 10), item("f", 2, true, 10)], t(102))
        .await;
    assert!(matches!(err, Err(StoreError::Refused(_))), "{err:?}");
    assert_eq!(store.list_narratives(None).await.unwrap().len(), 2);
    assert!(
        store
            .known_items(&[(sources::IMPORT.into(), "e".into())])
            .await
            .unwrap()
            .is_empty()
    );

    // The saved clustering state: representatives in item order.
    let state = store.cluster_state().await.unwrap();
    assert_eq!(state.max_narrative, 2);
    assert_eq!(
        state.representatives,
        vec![
            (1, vec![1u8; 256]),
            (1, vec![1u8; 256]),
            (2, vec![2u8; 256])
        ]
    );

    // Items, in time order, with places and screenshot; the id → narrative listing.
    let items = store.narrative_items(1, 0).await.unwrap();
    assert_eq!(
        items
            .iter()
            .map(|i| i.source_id.as_str())
            .collect::<Vec<_>>(),
        vec!["d", "a", "b"]
    );
    assert_eq!(items[1].places, vec!["WAKE", "New Hanover"]);
    assert_eq!(items[1].reach, Some(10));
    assert_eq!(
        (items[2].claim_id, items[2].claim_similarity),
        (Some(c1), Some(0.7))
    );
    assert_eq!(store.narrative_items(1, 2).await.unwrap().len(), 2);
    let with_shot = &store.narrative_items(2, 0).await.unwrap()[0];
    assert!(with_shot.has_screenshot && !items[0].has_screenshot);
    assert_eq!(
        store.item_screenshot(with_shot.id).await.unwrap(),
        Some(("image/png".to_string(), vec![0x89, b'P', b'N', b'G', 1, 2]))
    );
    assert_eq!(store.item_screenshot(items[0].id).await.unwrap(), None);
    let listing = store.item_narratives().await.unwrap();
    assert_eq!(
        listing
            .iter()
            .map(|i| (i.source_id.as_str(), i.narrative_id))
            .collect::<Vec<_>>(),
        vec![("a", 1), ("b", 1), ("c", 2), ("d", 1)]
    );

    // Hourly volume.
    let h0 = t(0).timestamp() / 3600;
    assert_eq!(
        store.narrative_hourly(None).await.unwrap(),
        vec![(1, h0 - 1, 1), (1, h0, 1), (1, h0 + 1, 1), (2, h0, 1)]
    );
    assert_eq!(
        store.narrative_hourly(Some(&[2])).await.unwrap(),
        vec![(2, h0, 1)]
    );
    assert!(store.narrative_hourly(Some(&[])).await.unwrap().is_empty());

    // Since: narratives last seen at or after.
    let recent = store.list_narratives(Some(t(60))).await.unwrap();
    assert_eq!(recent.iter().map(|n| n.id).collect::<Vec<_>>(), vec![1]);

    // Alerts: once per narrative, kind and hour, each on the timeline, its emails queued
    // with it (and only with it).
    let alert = NewAlert {
        narrative_id: 1,
        kind: AlertKind::Spike,
        hour: t(0),
        count: 30,
        baseline: 0.5,
        p_value: 1e-20,
        counties: vec![],
    };
    let mail = |key: &str| OutgoingEmail {
        key: key.into(),
        to: "ana@example.org".into(),
        subject: "Disinformation alert".into(),
        body: "narrative 1".into(),
    };
    let pending = |a: &NewAlert, key: &str| PendingAlert {
        alert: a.clone(),
        emails: vec![mail(key)],
    };
    let first = store
        .record_alerts(&[pending(&alert, "disinfo-alert:1:spike")], t(103))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (
            first[0].narrative_id,
            first[0].kind,
            first[0].hour,
            first[0].count
        ),
        (1, AlertKind::Spike, t(0), 30)
    );
    assert!(
        store
            .record_alerts(&[pending(&alert, "disinfo-alert:1:spike-again")], t(104))
            .await
            .unwrap()
            .is_empty()
    );
    // Another kind at the same hour is another alert; its counties come back.
    let county_alert = NewAlert {
        kind: AlertKind::ElectionDayCounty,
        count: 3,
        baseline: 0.0,
        p_value: 1.0,
        counties: vec!["New Hanover".into(), "WAKE".into()],
        ..alert.clone()
    };
    let second = store
        .record_alerts(&[pending(&county_alert, "disinfo-alert:1:day")], t(105))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].counties, vec!["New Hanover", "WAKE"]);
    assert_eq!(second[0].kind, AlertKind::ElectionDayCounty);
    let all = store.list_alerts().await.unwrap();
    assert_eq!(all, [first.clone(), second.clone()].concat());
    let queued = store.emails_with_prefix("disinfo-alert:").await.unwrap();
    assert_eq!(
        queued
            .iter()
            .map(|q| q.email.key.as_str())
            .collect::<Vec<_>>(),
        vec!["disinfo-alert:1:spike", "disinfo-alert:1:day"],
        "a repeated alert queues nothing"
    );
    for q in &queued {
        // Sent, so that the people checks find the outbox as they expect it.
        store.mark_email_sent(q.id).await.unwrap();
    }
    let timeline = store.narrative_timeline(1).await.unwrap();
    assert!(
        timeline
            .iter()
            .any(|e| e.kind == "alert" && e.detail == county_alert.describe()),
        "{timeline:?}"
    );

    // Places named by a narrative's items, distinct and sorted.
    assert_eq!(
        store.narrative_places(&[1, 2, 99]).await.unwrap(),
        vec![(1, vec!["New Hanover".to_string(), "WAKE".to_string()])]
    );
    assert!(store.narrative_places(&[]).await.unwrap().is_empty());

    // Workflow.
    let respond = NarrativeAction::Respond {
        kind: ResponseKind::CounterMessage,
        detail: "posted the counter-message".into(),
    };
    assert!(matches!(
        store.act_on_narrative(1, "ana", &respond, t(105)).await,
        Err(StoreError::Refused(_))
    ));
    assert_eq!(
        store
            .act_on_narrative(99, "ana", &NarrativeAction::Triage, t(105))
            .await
            .unwrap(),
        None
    );
    let n = store
        .act_on_narrative(1, "ana", &NarrativeAction::Triage, t(105))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.status, NarrativeStatus::Triaged);
    let n = store
        .act_on_narrative(
            1,
            "ana",
            &NarrativeAction::Assign { to: "ben".into() },
            t(106),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (n.status, n.assigned_to.as_deref()),
        (NarrativeStatus::Assigned, Some("ben"))
    );
    store
        .act_on_narrative(1, "ben", &respond, t(107))
        .await
        .unwrap()
        .unwrap();
    let n = store
        .act_on_narrative(
            1,
            "ben",
            &NarrativeAction::Close {
                note: "done".into(),
            },
            t(108),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.status, NarrativeStatus::Closed);
    assert!(matches!(
        store.act_on_narrative(1, "ben", &respond, t(109)).await,
        Err(StoreError::Refused(_))
    ));
    let timeline = store.narrative_timeline(1).await.unwrap();
    assert_eq!(
        timeline
            .iter()
            .map(|e| (e.kind.as_str(), e.actor.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("created", "system"),
            ("alert", "system"),
            ("alert", "system"),
            ("triaged", "ana"),
            ("assigned", "ana"),
            ("counter_message", "ben"),
            ("closed", "ben"),
        ]
    );
    assert_eq!(timeline[5].detail, "posted the counter-message");
    assert_eq!(timeline[6].at, t(108));
    assert_eq!(
        (timeline[6].from_status, timeline[6].to_status),
        (NarrativeStatus::Responding, NarrativeStatus::Closed)
    );

    // Hotline: a misinformation incident is offered until an item links it; the item
    // reads its text from the incident.
    let (county, _, _) = store.voter_file_precincts().await.unwrap()[0].clone();
    let report = NewIncident {
        observed_at: t(20),
        category: "misinformation".into(),
        description: "Caller got a text saying polls moved".into(),
        location: IncidentLocation {
            county: county.clone(),
            polling_place_id: "DISINFO-1".into(),
            polling_place: "DISINFO SCHOOL".into(),
            ..Default::default()
        },
        reporter: Reporter {
            name: "ANA GARCIA".into(),
            phone: "+19195550100".into(),
            relationship: "voter".into(),
            voter_id: String::new(),
        },
        channel: "hotline".into(),
        created_by: "olive".into(),
        external_key: None,
    };
    let rules = store.incident_rules().await.unwrap();
    let prepared = PreparedIntake::new(&rules, &report).unwrap();
    let incident = store
        .create_incident(&prepared, t(21))
        .await
        .unwrap()
        .incident;
    let mut other = report.clone();
    other.category = "long_lines".into();
    other.location.polling_place_id = "DISINFO-2".into();
    store
        .create_incident(&PreparedIntake::new(&rules, &other).unwrap(), t(22))
        .await
        .unwrap();
    let unlinked = store.unlinked_misinformation().await.unwrap();
    assert_eq!(unlinked.len(), 1, "{unlinked:?}");
    assert_eq!(unlinked[0].incident_id, incident.id);
    assert_eq!(unlinked[0].description, report.description);
    assert_eq!(unlinked[0].county, county);
    let mut h = item(&format!("incident-{}", incident.id), 1, false, 20);
    h.source = sources::HOTLINE.into();
    h.text = String::new();
    h.incident_id = Some(incident.id);
    store.import_items(&[h], t(110)).await.unwrap();
    assert!(store.unlinked_misinformation().await.unwrap().is_empty());
    let linked = store
        .narrative_items(1, 0)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.source == sources::HOTLINE)
        .unwrap();
    assert_eq!(linked.text, report.description);
    assert_eq!(linked.incident_id, Some(incident.id));
}

/// Alert subscriptions (one per user, the address replaceable, unknown users refused)
/// and election days (one per date, the offset replaceable); the alert feed, where the
/// backend has one, delivers an alert recorded after it opened.
async fn subscriptions_and_election_days(store: &dyn Store) {
    let user = User {
        name: "disinfo-watcher".into(),
        role: Role::Coordinator,
    };
    store.put_user(&user, "$argon2id$fake").await.unwrap();
    assert!(
        store
            .disinfo_subscribe("disinfo-watcher", "w@example.org", t(0))
            .await
            .unwrap()
    );
    assert!(
        !store
            .disinfo_subscribe("disinfo-watcher", "w@example.org", t(1))
            .await
            .unwrap(),
        "the same address changes nothing"
    );
    assert!(
        store
            .disinfo_subscribe("disinfo-watcher", "w2@example.org", t(2))
            .await
            .unwrap()
    );
    assert!(matches!(
        store
            .disinfo_subscribe("nobody", "n@example.org", t(3))
            .await,
        Err(StoreError::Refused(_))
    ));
    let subs = store.disinfo_subscriptions().await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        (
            subs[0].user.as_str(),
            subs[0].email.as_str(),
            subs[0].created_at
        ),
        ("disinfo-watcher", "w2@example.org", t(0))
    );
    assert!(store.disinfo_unsubscribe("disinfo-watcher").await.unwrap());
    assert!(!store.disinfo_unsubscribe("disinfo-watcher").await.unwrap());
    assert!(store.disinfo_subscriptions().await.unwrap().is_empty());
    assert!(
        store
            .disinfo_subscribe("disinfo-watcher", "w@example.org", t(4))
            .await
            .unwrap()
    );

    let day = |d: u32, offset: i32| ElectionDay {
        date: chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
        utc_offset_minutes: offset,
    };
    assert!(store.disinfo_election_days().await.unwrap().is_empty());
    assert!(store.set_disinfo_election_day(&day(3, -300)).await.unwrap());
    assert!(!store.set_disinfo_election_day(&day(3, -300)).await.unwrap());
    assert!(store.set_disinfo_election_day(&day(3, -360)).await.unwrap());
    assert!(store.set_disinfo_election_day(&day(1, 0)).await.unwrap());
    assert_eq!(
        store.disinfo_election_days().await.unwrap(),
        vec![day(1, 0), day(3, -360)]
    );
    assert!(
        store
            .remove_disinfo_election_day(day(1, 0).date)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_disinfo_election_day(day(1, 0).date)
            .await
            .unwrap()
    );
    assert_eq!(
        store.disinfo_election_days().await.unwrap(),
        vec![day(3, -360)]
    );
}

/// The alert feed (PostgreSQL) delivers an alert recorded after it opened; SQLite has
/// none. Runs after [`run`] (narrative 2 exists).
pub async fn alert_feed_delivers_new_alerts(store: &dyn Store) {
    let Some(mut feed) = store.alert_feed().await.unwrap() else {
        assert_eq!(store.backend(), "sqlite", "only SQLite fans out in-process");
        return;
    };
    let recorded = store
        .record_alerts(
            &[PendingAlert {
                alert: NewAlert {
                    narrative_id: 2,
                    kind: AlertKind::Spike,
                    hour: t(600),
                    count: 12,
                    baseline: 0.1,
                    p_value: 1e-9,
                    counties: vec![],
                },
                emails: vec![],
            }],
            t(601),
        )
        .await
        .unwrap();
    assert_eq!(recorded.len(), 1);
    let mut seen = Vec::new();
    while !seen.contains(&recorded[0].id) {
        let got = tokio::time::timeout(std::time::Duration::from_secs(10), feed.next())
            .await
            .expect("the alert arrives within 10 s")
            .unwrap();
        assert!(!got.is_empty(), "never an empty batch");
        seen.extend(got);
    }
}
