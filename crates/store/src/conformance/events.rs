//! Conformance checks of [`EventStore`](crate::events::EventStore): events and shifts read
//! back as written and re-imports are idempotent; attendance is all or nothing (an
//! unknown shift or person writes nothing); head counts; an RSVP past capacity is
//! refused; check-in; a person's attendance and the attendance of people linked to
//! voters; people added only when absent; a person found by email. Runs after the
//! people checks (it uses their volunteers and links).

use crate::{Store, StoreError};
use chrono::{TimeZone, Utc};
use votebase_domain::people::events::{Attendance, AttendanceStatus, NewEvent, NewShift};
use votebase_domain::people::{LinkStatus, NewPerson, PersonLink};

fn event(id: &str, capacity: Option<u32>) -> NewEvent {
    NewEvent {
        external_id: id.into(),
        source: "mobilize".into(),
        title: format!("Canvass {id}"),
        kind: "canvass".into(),
        organization: "Dems of Dane County".into(),
        location: "1 Main St, Madison, WI".into(),
        zip: "53703".into(),
        shifts: vec![
            NewShift {
                external_id: "s1".into(),
                starts_at: Utc.with_ymd_and_hms(2026, 9, 5, 14, 0, 0).unwrap(),
                ends_at: Some(Utc.with_ymd_and_hms(2026, 9, 5, 17, 0, 0).unwrap()),
                capacity,
            },
            NewShift {
                external_id: "s2".into(),
                starts_at: Utc.with_ymd_and_hms(2026, 9, 6, 14, 0, 0).unwrap(),
                ends_at: None,
                capacity: None,
            },
        ],
    }
}

fn attendance(event: &str, shift: &str, person: &str, status: AttendanceStatus) -> Attendance {
    Attendance {
        event: event.into(),
        shift: shift.into(),
        person: person.into(),
        status,
        source: "test".into(),
    }
}

/// Every check, in order.
pub async fn run(store: &dyn Store) {
    let first = store
        .upsert_events(&[event("ev1", Some(2)), event("ev2", None)])
        .await
        .unwrap();
    assert_eq!((first.inserted, first.updated, first.unchanged), (2, 0, 0));
    let again = store.upsert_events(&[event("ev1", Some(2))]).await.unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 1));
    let mut moved = event("ev2", None);
    moved.title = "Phone bank".into();
    let changed = store.upsert_events(&[moved]).await.unwrap();
    assert_eq!(changed.updated, 1);
    let ev1 = store.event("ev1").await.unwrap().unwrap();
    assert_eq!(ev1.shifts.len(), 2);
    assert_eq!(ev1.shifts[0].shift, event("ev1", Some(2)).shifts[0]);
    assert_eq!(ev1.shifts[1].shift.ends_at, None);
    assert!(store.event("nope").await.unwrap().is_none());
    assert_eq!(store.events().await.unwrap().len(), 2);

    // People from an attendance export: added when absent, never overwritten.
    let attendee = NewPerson {
        external_id: "mobilize:77".into(),
        source: "mobilize".into(),
        first_name: "Lee".into(),
        last_name: "Ray".into(),
        emails: vec!["lee@example.org".into()],
        ..Default::default()
    };
    let mut v1 = attendee.clone();
    v1.external_id = "v1".into();
    v1.first_name = "Overwritten".into();
    assert_eq!(
        store
            .add_people_if_absent(&[attendee.clone(), v1])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.add_people_if_absent(&[attendee]).await.unwrap(), 0);
    assert_ne!(
        store
            .volunteer("v1")
            .await
            .unwrap()
            .unwrap()
            .person
            .first_name,
        "Overwritten"
    );
    assert_eq!(
        store
            .person_by_email(" LEE@example.org")
            .await
            .unwrap()
            .as_deref(),
        Some("mobilize:77")
    );
    assert_eq!(
        store.person_by_email("nobody@example.org").await.unwrap(),
        None
    );

    // All or nothing: an unknown person or shift writes nothing.
    for bad in [
        attendance("ev1", "s1", "ghost", AttendanceStatus::Attended),
        attendance("ev1", "s9", "v1", AttendanceStatus::Attended),
    ] {
        let r = store
            .record_attendance(&[
                attendance("ev1", "s1", "v2", AttendanceStatus::Attended),
                bad,
            ])
            .await;
        assert!(matches!(r, Err(StoreError::Refused(_))), "{r:?}");
    }
    assert!(store.attendance_of_event("ev1").await.unwrap().is_empty());
    assert_eq!(
        store
            .record_attendance(&[
                attendance("ev1", "s1", "v2", AttendanceStatus::Attended),
                attendance("ev1", "s2", "v2", AttendanceStatus::NoShow),
                attendance("ev2", "s1", "v2", AttendanceStatus::NoShow),
                attendance("ev1", "s2", "mobilize:77", AttendanceStatus::Cancelled),
            ])
            .await
            .unwrap(),
        4
    );

    // Capacity 2 on ev1/s1: v2 attended, one more RSVP fits, then it is full; the same
    // person again is no new place.
    store
        .rsvp("ev1", "s1", "mobilize:77", "rsvp")
        .await
        .unwrap();
    store
        .rsvp("ev1", "s1", "mobilize:77", "rsvp")
        .await
        .unwrap();
    let full = store.rsvp("ev1", "s1", "v1", "rsvp").await;
    assert!(
        matches!(full, Err(StoreError::Refused(ref m)) if m.contains("full")),
        "{full:?}"
    );
    let ev1 = store.event("ev1").await.unwrap().unwrap();
    assert_eq!((ev1.shifts[0].registered, ev1.shifts[0].attended), (1, 1));
    assert!(!ev1.shifts[0].has_room());
    assert_eq!(ev1.shifts[1].no_show, 1);
    // Check-in of the RSVP, and of a walk-in past capacity.
    store
        .set_attendance(
            "ev1",
            "s1",
            "mobilize:77",
            AttendanceStatus::Attended,
            "check-in",
        )
        .await
        .unwrap();
    store
        .set_attendance("ev1", "s1", "v1", AttendanceStatus::Attended, "check-in")
        .await
        .unwrap();
    let ev1 = store.event("ev1").await.unwrap().unwrap();
    assert_eq!((ev1.shifts[0].registered, ev1.shifts[0].attended), (0, 3));
    assert!(
        store
            .set_attendance("ev1", "s1", "ghost", AttendanceStatus::Attended, "check-in")
            .await
            .is_err()
    );

    let of_event = store.attendance_of_event("ev1").await.unwrap();
    assert_eq!(of_event.len(), 5);
    assert_eq!(of_event[0].attendance.shift, "s1");
    let mine = store.attendance_of_person("v2").await.unwrap();
    assert_eq!(mine.len(), 3);
    assert!(mine[0].starts_at >= mine[1].starts_at, "newest first");
    assert_eq!(mine[0].title, "Canvass ev1");

    // Only people linked (or confirmed) to a voter show in the voters' attendance.
    store
        .record_person_links(&[PersonLink {
            person: "v2".into(),
            state_voter_id: "AA000777".into(),
            probability: 0.99,
            explanation: "test".into(),
            status: LinkStatus::Linked,
        }])
        .await
        .unwrap();
    let by_voter = store.voter_attendance().await.unwrap();
    let of = |voter: &str| {
        by_voter
            .iter()
            .filter(|(v, _)| v == voter)
            .map(|(_, r)| r.attendance.person.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(of("AA000777"), ["v2", "v2", "v2"], "{by_voter:?}");
    // v1's link was confirmed by a reviewer (the people checks): the walk-in counts.
    assert_eq!(of("AA000002"), ["v1"], "{by_voter:?}");
    assert_eq!(
        by_voter.len(),
        4,
        "mobilize:77 is linked to no voter: {by_voter:?}"
    );
    assert_eq!(
        store.people_of_voter("AA000777").await.unwrap(),
        vec!["v2".to_string()]
    );
    assert!(store.people_of_voter("AA000778").await.unwrap().is_empty());
}
