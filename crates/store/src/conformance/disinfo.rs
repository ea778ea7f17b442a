//! Conformance checks of [`DisinfoStore`](crate::disinfo::DisinfoStore): claims imported
//! once by key; items idempotent by source and source id, all-or-nothing, with the
//! narratives' counts, first/last seen and best claim kept in step; a narrative id taken
//! by another import refused rather than merged; the saved clustering state; hourly
//! volumes; alerts once per narrative and hour; the workflow with its refusals on an
//! append-only timeline; hotline `misinformation` incidents linked, not copied.

use crate::{Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use votebase_domain::disinfo::{
    NarrativeAction, NarrativeStatus, NewAlert, NewClaim, NewItem, ResponseKind, Verdict, sources,
};
use votebase_domain::incidents::{IncidentLocation, NewIncident, PreparedIntake, Reporter};

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

    // Alerts: once per narrative and hour, each on the timeline.
    let alert = NewAlert {
        narrative_id: 1,
        hour: t(0),
        count: 30,
        baseline: 0.5,
        p_value: 1e-20,
    };
    let first = store
        .record_alerts(std::slice::from_ref(&alert), t(103))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].narrative_id, first[0].hour, first[0].count),
        (1, t(0), 30)
    );
    assert!(
        store
            .record_alerts(std::slice::from_ref(&alert), t(104))
            .await
            .unwrap()
            .is_empty()
    );
    let all = store.list_alerts().await.unwrap();
    assert_eq!(all, first);

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
            ("triaged", "ana"),
            ("assigned", "ana"),
            ("counter_message", "ben"),
            ("closed", "ben"),
        ]
    );
    assert_eq!(timeline[4].detail, "posted the counter-message");
    assert_eq!(timeline[5].at, t(108));
    assert_eq!(
        (timeline[5].from_status, timeline[5].to_status),
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
