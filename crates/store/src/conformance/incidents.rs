//! Conformance checks of [`IncidentStore`](crate::incidents::IncidentStore): triage at
//! intake (duplicates linked, clusters raising severity, lead-lawyer routing), the
//! workflow with its refusals, the timeline with who and when, listing filters and order,
//! escalation of untouched incidents, coverage, rules, and all-or-nothing idempotent
//! imports, and photo attachments (numbered, deduplicated by SHA-256, on the timeline).

use crate::incidents::IntakeOutcome;
use crate::{Store, StoreError, StoreResult};
use chrono::{DateTime, Duration, TimeZone, Utc};
use votebase_domain::incidents::{
    CustomCategory, IncidentAction, IncidentFilter, IncidentLocation, IncidentStatus,
    NewAttachment, NewIncident, PreparedIntake, Reporter, Resolution, Severity, TriageRules,
};

pub(super) fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 13, 0, 0).unwrap() + Duration::minutes(min)
}

pub(super) fn report(min: i64, category: &str, county: &str, place: &str) -> NewIncident {
    NewIncident {
        observed_at: t(min),
        category: category.into(),
        description: format!("{category} at {place}"),
        location: IncidentLocation {
            county: county.into(),
            polling_place_id: place.into(),
            polling_place: format!("{place} SCHOOL"),
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
    }
}

/// Intake as the application layer does it: the stored rules prepare the report, the
/// store triages it in its transaction.
pub(super) async fn take(
    store: &dyn Store,
    new: &NewIncident,
    now: DateTime<Utc>,
) -> StoreResult<IntakeOutcome> {
    let rules = store.incident_rules().await?;
    let prepared =
        PreparedIntake::new(&rules, new).map_err(|e| StoreError::Refused(e.to_string()))?;
    store.create_incident(&prepared, now).await
}

/// Runs the incidents checks on a store that already holds the suite's voters.
pub async fn run(store: &dyn Store) {
    // The voter file's places, against which intake checks reported counties.
    let places = store.voter_file_precincts().await.unwrap();
    assert!(!places.is_empty());
    let mut distinct = places.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), places.len(), "distinct places: {places:?}");
    for (county, code, name) in &places {
        assert!(
            ["ALAMANCE", "WAKE", "DURHAM"].contains(&county.as_str()),
            "{county}"
        );
        assert_eq!(name, &format!("PRECINCT {}", &code[1..]));
    }

    // Rules: defaults, then an organization's own category; bad rules are refused.
    let mut rules = store.incident_rules().await.unwrap();
    assert_eq!(rules, TriageRules::default());
    rules.custom_categories.push(CustomCategory {
        code: "voter_caging".into(),
        label: "Voter caging".into(),
        severity: Severity::High,
    });
    store.put_incident_rules(&rules).await.unwrap();
    assert_eq!(store.incident_rules().await.unwrap(), rules);
    let mut bad = rules.clone();
    bad.cluster_size = 1;
    assert!(matches!(
        store.put_incident_rules(&bad).await,
        Err(StoreError::Refused(_))
    ));

    // Coverage.
    store
        .set_coverage("lena", &["alamance".into()], true)
        .await
        .unwrap();
    store
        .set_coverage("lena", &["WAKE".into()], false)
        .await
        .unwrap();
    store
        .set_coverage("oscar", &["WAKE".into()], false)
        .await
        .unwrap();
    store
        .set_coverage("oscar", &["WAKE".into()], false)
        .await
        .unwrap();
    let lena = store.coverage(Some("lena")).await.unwrap();
    assert_eq!(lena.len(), 2);
    assert_eq!((lena[0].county.as_str(), lena[0].lead), ("ALAMANCE", true));
    assert_eq!((lena[1].county.as_str(), lena[1].lead), ("WAKE", false));
    assert_eq!(store.coverage(None).await.unwrap().len(), 3);

    // Three reports from one place within 30 minutes: a cluster; the second is a
    // duplicate of the first (same place and category), linked, not lost.
    let a = take(store, &report(0, "long_lines", "wake", "pl1"), t(1))
        .await
        .unwrap();
    assert_eq!(a.incident.status, IncidentStatus::New);
    assert_eq!(a.incident.severity, Severity::Medium);
    assert_eq!(a.incident.location.county, "WAKE");
    assert_eq!(a.incident.place_key, "vip:pl1");
    assert_eq!(a.incident.cluster_id, None);
    let b = take(store, &report(10, "long_lines", "WAKE", "pl1"), t(11))
        .await
        .unwrap();
    assert_eq!(b.incident.duplicate_of, Some(a.incident.id));
    assert_eq!(b.incident.cluster_id, None);
    let c = take(store, &report(20, "opened_late", "WAKE", "pl1"), t(21))
        .await
        .unwrap();
    let cluster = a.incident.id;
    assert_eq!(c.incident.cluster_id, Some(cluster));
    assert_eq!(c.incident.severity, Severity::High);
    assert_eq!(c.incident.duplicate_of, None);
    let mut changed = c.changed.clone();
    changed.sort();
    assert_eq!(changed, vec![a.incident.id, b.incident.id]);
    let a_now = store.get_incident(a.incident.id).await.unwrap().unwrap();
    assert_eq!(a_now.cluster_id, Some(cluster));
    assert_eq!(a_now.severity, Severity::High);
    // Several at once: the same rows as one by one, unknown ids left out.
    let mut many = store
        .get_incidents(&[c.incident.id, a.incident.id, b.incident.id, 999_999])
        .await
        .unwrap();
    many.sort_by_key(|i| i.id);
    let mut one_by_one = Vec::new();
    for id in [a.incident.id, b.incident.id, c.incident.id] {
        one_by_one.push(store.get_incident(id).await.unwrap().unwrap());
    }
    one_by_one.sort_by_key(|i| i.id);
    assert_eq!(format!("{many:?}"), format!("{one_by_one:?}"));
    assert!(store.get_incidents(&[]).await.unwrap().is_empty());
    let a_line = store.incident_timeline(a.incident.id).await.unwrap();
    let kinds: Vec<&str> = a_line.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["created", "clustered"]);
    assert_eq!(a_line[0].actor, "olive");
    assert_eq!(a_line[0].at, t(1));
    assert_eq!(a_line[1].actor, "system");
    let b_line = store.incident_timeline(b.incident.id).await.unwrap();
    assert!(b_line.iter().any(|e| e.kind == "duplicate"), "{b_line:?}");
    // Another place: no cluster.
    let other = take(store, &report(20, "long_lines", "WAKE", "pl2"), t(21))
        .await
        .unwrap();
    assert_eq!(other.incident.cluster_id, None);
    assert!(other.changed.is_empty());

    // Lead-lawyer categories go straight to the county's lead, or escalate without one.
    let routed = take(store, &report(30, "intimidation", "ALAMANCE", "pl9"), t(31))
        .await
        .unwrap();
    assert_eq!(routed.incident.status, IncidentStatus::Assigned);
    assert_eq!(routed.incident.assigned_to.as_deref(), Some("lena"));
    assert_eq!(routed.incident.severity, Severity::Critical);
    let unrouted = take(
        store,
        &report(30, "polling_place_closed", "DURHAM", "pl8"),
        t(31),
    )
    .await
    .unwrap();
    assert_eq!(unrouted.incident.status, IncidentStatus::Escalated);
    // The organization's own category works; an unknown one is refused.
    let custom = take(store, &report(32, "voter_caging", "DURHAM", "pl7"), t(33))
        .await
        .unwrap();
    assert_eq!(custom.incident.severity, Severity::High);
    assert!(matches!(
        take(store, &report(33, "aliens", "DURHAM", "pl7"), t(34)).await,
        Err(StoreError::Refused(_))
    ));

    // The workflow: triage, assignment to someone covering the county, resolve, reopen.
    let id = other.incident.id;
    let act = |action: IncidentAction, actor: &'static str, at: i64| async move {
        store.act_on_incident(id, actor, &action, t(at)).await
    };
    let triaged = act(
        IncidentAction::Triage {
            severity: Some(Severity::High),
        },
        "cora",
        40,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(triaged.status, IncidentStatus::Triaged);
    assert_eq!(triaged.severity, Severity::High);
    assert_eq!(triaged.first_action_at, Some(t(40)));
    let refused = act(
        IncidentAction::Assign {
            to: "nobody".into(),
        },
        "cora",
        41,
    )
    .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );
    let assigned = act(IncidentAction::Assign { to: "oscar".into() }, "cora", 42)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(assigned.status, IncidentStatus::Assigned);
    assert_eq!(assigned.assigned_to.as_deref(), Some("oscar"));
    assert_eq!(assigned.first_action_at, Some(t(40)));
    let noted = act(
        IncidentAction::Note {
            text: "called the site".into(),
        },
        "oscar",
        43,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(noted.status, IncidentStatus::Assigned);
    let resolved = act(
        IncidentAction::Resolve {
            resolution: Resolution::FixedOnSite,
            note: "second machine opened".into(),
        },
        "oscar",
        50,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(resolved.status, IncidentStatus::Resolved);
    assert_eq!(resolved.resolution, Some(Resolution::FixedOnSite));
    assert_eq!(resolved.resolved_at, Some(t(50)));
    let again = act(
        IncidentAction::Resolve {
            resolution: Resolution::FixedOnSite,
            note: String::new(),
        },
        "oscar",
        51,
    )
    .await;
    assert!(matches!(again, Err(StoreError::Refused(_))));
    let reopened = act(
        IncidentAction::Reopen {
            reason: "lines back".into(),
        },
        "cora",
        52,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(reopened.status, IncidentStatus::Assigned);
    assert_eq!(reopened.resolution, None);
    assert_eq!(reopened.resolved_at, None);
    let line = store.incident_timeline(id).await.unwrap();
    let kinds: Vec<&str> = line.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "created", "triaged", "assigned", "note", "resolved", "reopened"
        ],
        "refused actions leave no entry"
    );
    assert_eq!(line[4].actor, "oscar");
    assert_eq!(line[4].from_status, IncidentStatus::Assigned);
    assert_eq!(line[4].to_status, IncidentStatus::Resolved);
    assert!(line[4].detail.contains("fixed_on_site"));
    assert!(
        store
            .act_on_incident(
                999_999,
                "cora",
                &IncidentAction::Note { text: "x".into() },
                t(53)
            )
            .await
            .unwrap()
            .is_none()
    );

    // Listing: filters and queue order (most severe, then oldest).
    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    for pair in all.windows(2) {
        assert!(
            votebase_domain::incidents::queue_order(&pair[0], &pair[1]).is_le(),
            "{:?} before {:?}",
            pair[0].id,
            pair[1].id
        );
    }
    let wake = store
        .list_incidents(&IncidentFilter {
            counties: Some(vec!["wake".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(wake.len(), 4);
    let none = store
        .list_incidents(&IncidentFilter {
            counties: Some(vec![]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty(), "no counties covered: nothing");
    let escalated = store
        .list_incidents(&IncidentFilter {
            status: Some(IncidentStatus::Escalated),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(escalated.len(), 1);
    let limited = store
        .list_incidents(&IncidentFilter {
            category: Some("long_lines".into()),
            open_only: true,
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);

    // Untouched for 15 minutes: escalated by the system (once).
    let stale = store
        .escalate_stale_incidents(rules.stale_minutes, t(45))
        .await
        .unwrap();
    let stale_ids: Vec<i64> = stale.iter().map(|i| i.id).collect();
    assert!(stale_ids.contains(&a.incident.id), "{stale_ids:?}");
    assert!(!stale_ids.contains(&id), "touched at 52");
    assert!(stale.iter().all(|i| i.status == IncidentStatus::Escalated));
    assert!(
        store
            .escalate_stale_incidents(rules.stale_minutes, t(45))
            .await
            .unwrap()
            .is_empty()
    );
    let a_line = store.incident_timeline(a.incident.id).await.unwrap();
    let last = a_line.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor.as_str()),
        ("escalated", "system")
    );
    assert_eq!(last.from_status, IncidentStatus::New);

    // Imports: idempotent by external key, all-or-nothing.
    let mut rows: Vec<NewIncident> = (0..3)
        .map(|i| {
            let mut r = report(60 + i, "long_lines", "DURHAM", &format!("imp{i}"));
            r.channel = "import".into();
            r.external_key = Some(format!("file-a:{i}"));
            r
        })
        .collect();
    let prepared = PreparedIntake::all(&rules, &rows).unwrap();
    let first = store.import_incidents(&prepared, t(70)).await.unwrap();
    assert_eq!((first.created, first.known, first.ids.len()), (3, 0, 3));
    let second = store.import_incidents(&prepared, t(71)).await.unwrap();
    assert_eq!((second.created, second.known), (0, 3));
    // Imported rows are triaged like any intake: stored oldest first.
    let mut ids = first.ids.clone();
    ids.sort();
    assert_eq!(ids, first.ids);
    // An unknown category refuses the whole file before the store is asked.
    rows.push({
        let mut r = report(65, "aliens", "DURHAM", "imp9");
        r.external_key = Some("file-b:1".into());
        r
    });
    assert_eq!(PreparedIntake::all(&rules, &rows).unwrap_err().0, 3);
    assert_eq!(
        stored_count(store).await,
        10,
        "a refused import writes nothing"
    );

    // An intake with a key already stored (a client's retry) writes nothing and
    // returns the stored report; two retries at once store it once.
    let mut keyed = report(80, "long_lines", "WAKE", "retry1");
    keyed.external_key = Some("api:lena:retry-1".into());
    let stored = take(store, &keyed, t(80)).await.unwrap();
    assert!(!stored.replayed);
    keyed.description = "the same key, a later attempt".into();
    let again = take(store, &keyed, t(81)).await.unwrap();
    assert!(again.replayed && again.changed.is_empty());
    assert_eq!(again.incident, stored.incident);
    let mut racing = report(82, "long_lines", "WAKE", "retry2");
    racing.external_key = Some("api:lena:retry-2".into());
    let (x, y) = tokio::join!(take(store, &racing, t(82)), take(store, &racing, t(82)));
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.incident.id, y.incident.id);
    assert!(
        x.replayed != y.replayed,
        "exactly one of two racing retries writes"
    );
    assert_eq!(stored_count(store).await, 12);

    attachments(store).await;
}

/// How many incidents the store holds.
async fn stored_count(store: &dyn Store) -> usize {
    store
        .list_incidents(&IncidentFilter::default())
        .await
        .unwrap()
        .len()
}

/// Photos: numbered per incident, the same bytes stored once, bytes returned intact, each
/// new photo a timeline entry, and no attaching to a missing incident.
async fn attachments(store: &dyn Store) {
    let id = take(store, &report(200, "other", "WAKE", "photo1"), t(200))
        .await
        .unwrap()
        .incident
        .id;
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend((0..=255u8).cycle().take(70_000));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let first = store
        .attach_to_incident(
            id,
            "lena",
            &NewAttachment::new(jpeg.clone()).unwrap(),
            t(201),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(first.created);
    assert_eq!(
        (first.attachment.n, first.attachment.size),
        (1, jpeg.len() as i64)
    );
    assert_eq!(first.attachment.content_type, "image/jpeg");
    let again = store
        .attach_to_incident(
            id,
            "olive",
            &NewAttachment::new(jpeg.clone()).unwrap(),
            t(202),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        !again.created,
        "the same bytes are stored once per incident"
    );
    assert_eq!(again.attachment, first.attachment);
    let second = store
        .attach_to_incident(
            id,
            "olive",
            &NewAttachment::new(png.clone()).unwrap(),
            t(203),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.attachment.n, second.created), (2, true));
    let listed = store.incident_attachments(id).await.unwrap();
    assert_eq!(
        listed,
        vec![first.attachment.clone(), second.attachment.clone()]
    );
    assert_eq!(listed[0].uploaded_at, t(201));
    assert_eq!(listed[1].uploaded_by, "olive");
    let (meta, bytes) = store.incident_attachment(id, 1).await.unwrap().unwrap();
    assert_eq!((meta, bytes), (first.attachment.clone(), jpeg));
    assert_eq!(
        store.incident_attachment(id, 2).await.unwrap().unwrap().1,
        png
    );
    assert!(store.incident_attachment(id, 3).await.unwrap().is_none());
    let entries: Vec<_> = store
        .incident_timeline(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "attachment")
        .collect();
    assert_eq!(entries.len(), 2, "one timeline entry per stored photo");
    assert_eq!((entries[0].actor.as_str(), entries[0].at), ("lena", t(201)));
    assert!(entries[1].detail.contains("image/png"));
    assert!(
        store
            .attach_to_incident(9_999_999, "lena", &NewAttachment::new(png).unwrap(), t(204))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .incident_attachments(9_999_999)
            .await
            .unwrap()
            .is_empty()
    );
}
