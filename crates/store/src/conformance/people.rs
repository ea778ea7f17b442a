//! Conformance checks of [`PeopleStore`](crate::people::PeopleStore): the taxonomy is
//! extendable and unknown skills are refused with nothing written; volunteers and
//! projects read back identical and re-imports are idempotent by import id (changed
//! rows updated, same rows untouched); voter links keep probability and explanation,
//! reviewers' decisions survive a re-link; one invitation per volunteer per project with
//! its email queued once in the same transaction; the double opt-in refuses stale steps;
//! accepted matches count as engagements; unsubscribes; the outbox never repeats a key
//! and keeps a message until it is marked sent.

use crate::people::{OutgoingEmail, Skill, UpsertOutcome};
use crate::{Store, StoreError};
use chrono::{NaiveDate, TimeZone, Utc};
use votebase_domain::people::{
    Consent, LinkStatus, MatchState, NewPerson, NewProject, NewVolunteer, PersonLink, SkillLevel,
    VolunteerProfile,
};

fn skill(name: &str, level: u8) -> SkillLevel {
    SkillLevel {
        skill: name.into(),
        level,
    }
}

/// A fully populated volunteer; `i` varies the fields.
pub fn sample_volunteer(i: usize) -> NewVolunteer {
    NewVolunteer {
        person: NewPerson {
            external_id: format!("v{i}"),
            source: "volunteers.csv".into(),
            first_name: ["Ana", "Wei", "Sam"][i % 3].into(),
            last_name: format!("Lopez-{i}"),
            emails: vec![format!("v{i}@example.org"), format!("alt{i}@example.net")],
            phones: vec![format!("+1919555{:04}", i)],
            address: format!("{} Main St", 100 + i),
            zip: "27601".into(),
            consent: Consent {
                email: true,
                text: i.is_multiple_of(2),
                given_at: Some(Utc.with_ymd_and_hms(2026, 8, 1, 12, 0, 0).unwrap()),
                wording: "You may email me about volunteering.".into(),
            },
        },
        profile: VolunteerProfile {
            skills: vec![
                skill("data_engineering", 2),
                skill("python", 1 + (i % 3) as u8),
            ],
            home_state: ["WI", "NC", "TX"][i % 3].into(),
            home_town: "Madison".into(),
            lat: Some(35.78 + i as f64 / 100.0),
            lon: Some(-78.64),
            hours_per_week: if i % 4 == 3 { None } else { Some(5 + i as u32) },
            remote: i % 2 == 1,
            issues: vec!["climate".into(), "voting rights".into()],
            languages: vec!["en".into(), "es".into()],
        },
    }
}

/// A fully populated project.
pub fn sample_project(i: usize) -> NewProject {
    NewProject {
        external_id: format!("p{i}"),
        organization: format!("Campaign {i}"),
        title: "Build the volunteer data pipeline".into(),
        role: "specialist".into(),
        state: "WI".into(),
        zip: "53703".into(),
        lat: Some(43.07),
        lon: Some(-89.38),
        remote: true,
        required_skills: vec![skill("python", 2)],
        nice_skills: vec![skill("data_engineering", 1), skill("sql", 2)],
        hours_per_week: Some(10),
        seats: 2,
        starts_on: NaiveDate::from_ymd_opt(2026, 9, 1),
        deadline: NaiveDate::from_ymd_opt(2026, 11, 3),
        issues: vec!["climate".into()],
        languages: vec!["es".into()],
    }
}

/// Runs the people checks on any store.
pub async fn run(store: &dyn Store) {
    taxonomy_and_upserts(store).await;
    links(store).await;
    matches_and_outbox(store).await;
}

async fn taxonomy_and_upserts(store: &dyn Store) {
    let builtin = [
        Skill {
            name: "python".into(),
            label: "Python".into(),
        },
        Skill {
            name: "data_engineering".into(),
            label: "Data engineering".into(),
        },
    ];
    assert_eq!(store.add_skills(&builtin).await.unwrap(), 2);
    assert_eq!(store.add_skills(&builtin).await.unwrap(), 0, "idempotent");

    // `sql` (a nice skill of the sample project) is not in the taxonomy yet: refused,
    // and neither the volunteers nor the projects are written.
    let refused = store.upsert_projects(&[sample_project(1)]).await;
    assert!(
        matches!(refused, Err(StoreError::Refused(ref m)) if m.contains("sql")),
        "{refused:?}"
    );
    let mut odd = sample_volunteer(9);
    odd.profile
        .skills
        .push(skill("underwater_basket_weaving", 1));
    let refused = store.upsert_volunteers(&[sample_volunteer(8), odd]).await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );
    assert!(
        store.volunteers().await.unwrap().is_empty(),
        "all or nothing"
    );
    assert!(store.projects().await.unwrap().is_empty());

    store
        .add_skills(&[Skill {
            name: "sql".into(),
            label: "SQL".into(),
        }])
        .await
        .unwrap();
    let names: Vec<String> = store
        .skills()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["data_engineering", "python", "sql"]);

    let first: Vec<NewVolunteer> = (0..4).map(sample_volunteer).collect();
    let out = store.upsert_volunteers(&first).await.unwrap();
    assert_eq!(
        out,
        UpsertOutcome {
            inserted: 4,
            updated: 0,
            unchanged: 0
        }
    );
    let got = store.volunteers().await.unwrap();
    assert_eq!(got.len(), 4);
    for (g, want) in got.iter().zip(&first) {
        assert_eq!(&g.person, &want.person, "person reads back identical");
        assert_eq!(&g.profile, &want.profile, "profile reads back identical");
        assert!(!g.unsubscribed);
        assert_eq!(g.engagements, 0);
    }
    // Again: unchanged. One changed (new skill level, one email fewer): updated.
    let mut second = first.clone();
    second[2].profile.skills = vec![skill("python", 3)];
    second[2].person.emails.pop();
    let out = store.upsert_volunteers(&second).await.unwrap();
    assert_eq!(
        out,
        UpsertOutcome {
            inserted: 0,
            updated: 1,
            unchanged: 3
        }
    );
    let v2 = store.volunteer("v2").await.unwrap().expect("v2");
    assert_eq!(v2.profile, second[2].profile);
    assert_eq!(v2.person.emails, vec!["v2@example.org".to_string()]);
    assert_eq!(store.volunteer("nobody").await.unwrap(), None);

    let projects: Vec<NewProject> = (1..=2).map(sample_project).collect();
    let out = store.upsert_projects(&projects).await.unwrap();
    assert_eq!(
        out,
        UpsertOutcome {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let mut changed = projects.clone();
    changed[1].seats = 5;
    changed[1].nice_skills.clear();
    changed[1].starts_on = None;
    let out = store.upsert_projects(&changed).await.unwrap();
    assert_eq!(
        out,
        UpsertOutcome {
            inserted: 0,
            updated: 1,
            unchanged: 1
        }
    );
    let all = store.projects().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.project.clone()).collect::<Vec<_>>(),
        changed
    );
    assert_eq!(
        store.project("p2").await.unwrap().unwrap().project,
        changed[1]
    );
    assert_eq!(store.project("p9").await.unwrap(), None);
}

async fn links(store: &dyn Store) {
    let link = |person: &str, voter: &str, p: f64, status| PersonLink {
        person: person.into(),
        state_voter_id: voter.into(),
        probability: p,
        explanation: format!("first name agrees; last name agrees; p={p}"),
        status,
    };
    store
        .record_person_links(&[
            link("v0", "AA000001", 0.99, LinkStatus::Linked),
            link("v1", "AA000002", 0.7, LinkStatus::Review),
            link("v1", "AA000003", 0.6, LinkStatus::Review),
        ])
        .await
        .unwrap();
    let queue = store.person_links(LinkStatus::Review).await.unwrap();
    assert_eq!(
        queue
            .iter()
            .map(|l| l.state_voter_id.as_str())
            .collect::<Vec<_>>(),
        ["AA000002", "AA000003"],
        "most probable first"
    );
    assert_eq!(
        queue[0].explanation,
        "first name agrees; last name agrees; p=0.7"
    );
    assert!(
        store
            .decide_person_link("v1", "AA000002", LinkStatus::Confirmed)
            .await
            .unwrap()
    );
    assert!(
        !store
            .decide_person_link("v1", "ZZ", LinkStatus::Confirmed)
            .await
            .unwrap()
    );
    // Linking again replaces the machine's candidates but keeps the reviewer's decision.
    store
        .record_person_links(&[link("v1", "AA000002", 0.75, LinkStatus::Review)])
        .await
        .unwrap();
    let v1 = store.links_of_person("v1").await.unwrap();
    assert_eq!(v1.len(), 1, "{v1:?}");
    assert_eq!(v1[0].status, LinkStatus::Confirmed);
    assert!(
        store
            .person_links(LinkStatus::Review)
            .await
            .unwrap()
            .is_empty()
    );
    let unknown = store
        .record_person_links(&[
            link("v0", "AA000009", 0.9, LinkStatus::Linked),
            link("ghost", "AA1", 0.9, LinkStatus::Linked),
        ])
        .await;
    assert!(
        matches!(unknown, Err(StoreError::Refused(_))),
        "{unknown:?}"
    );
    assert_eq!(
        store.links_of_person("v0").await.unwrap()[0].state_voter_id,
        "AA000001",
        "refused: nothing written"
    );
}

async fn matches_and_outbox(store: &dyn Store) {
    let mail = |v: &str| OutgoingEmail {
        key: format!("invite:p1:{v}"),
        to: format!("{v}@example.org"),
        subject: "A project needs you".into(),
        body: "Say yes or no.".into(),
    };
    let (m, created) = store
        .invite(
            "p1",
            "v0",
            0.9,
            "matches 1/1 required skills",
            Some(&mail("v0")),
        )
        .await
        .unwrap();
    assert!(created);
    assert_eq!(m.state, MatchState::Invited);
    assert_eq!((m.project.as_str(), m.volunteer.as_str()), ("p1", "v0"));
    assert_eq!(m.explanation, "matches 1/1 required skills");
    let (again, created) = store
        .invite("p1", "v0", 0.5, "other", Some(&mail("v0")))
        .await
        .unwrap();
    assert!(!created, "one invitation per volunteer per project");
    assert_eq!(again, m);
    store
        .invite("p1", "v1", 0.8, "x", Some(&mail("v1")))
        .await
        .unwrap();
    store.invite("p2", "v1", 0.7, "y", None).await.unwrap();
    for bad in [("p9", "v0"), ("p1", "ghost")] {
        let r = store.invite(bad.0, bad.1, 0.1, "", None).await;
        assert!(matches!(r, Err(StoreError::Refused(_))), "{r:?}");
    }
    let sent = store.emails_with_prefix("invite:p1:").await.unwrap();
    assert_eq!(sent.len(), 2, "one email per match");
    assert_eq!(sent[0].email, mail("v0"));

    // Double opt-in.
    let yes = store
        .set_match_state("p1", "v0", MatchState::Invited, MatchState::VolunteerYes)
        .await
        .unwrap();
    assert_eq!(yes.state, MatchState::VolunteerYes);
    let stale = store
        .set_match_state("p1", "v0", MatchState::Invited, MatchState::VolunteerNo)
        .await;
    assert!(matches!(stale, Err(StoreError::Refused(_))), "{stale:?}");
    let missing = store
        .set_match_state("p2", "v0", MatchState::Invited, MatchState::VolunteerNo)
        .await;
    assert!(
        matches!(missing, Err(StoreError::Refused(_))),
        "{missing:?}"
    );
    store
        .set_match_state("p1", "v0", MatchState::VolunteerYes, MatchState::Accepted)
        .await
        .unwrap();
    store
        .set_match_state("p1", "v1", MatchState::Invited, MatchState::VolunteerNo)
        .await
        .unwrap();
    let of_p1 = store.matches_of_project("p1").await.unwrap();
    assert_eq!(
        of_p1
            .iter()
            .map(|m| (m.volunteer.as_str(), m.state))
            .collect::<Vec<_>>(),
        [
            ("v0", MatchState::Accepted),
            ("v1", MatchState::VolunteerNo)
        ],
        "best score first"
    );
    let of_v1 = store.matches_of_volunteer("v1").await.unwrap();
    assert_eq!(of_v1.len(), 2);
    assert_eq!(
        store
            .project_match("p2", "v1")
            .await
            .unwrap()
            .unwrap()
            .state,
        MatchState::Invited
    );
    assert_eq!(store.project_match("p2", "v0").await.unwrap(), None);
    assert_eq!(store.volunteer("v0").await.unwrap().unwrap().engagements, 1);
    assert_eq!(store.volunteer("v1").await.unwrap().unwrap().engagements, 0);

    // Unsubscribe by any of a person's addresses.
    assert_eq!(store.unsubscribe(" ALT3@example.net").await.unwrap(), 1);
    assert_eq!(store.unsubscribe("alt3@example.net").await.unwrap(), 0);
    assert!(store.volunteer("v3").await.unwrap().unwrap().unsubscribed);

    // The outbox: pending oldest first, failures counted, sent once.
    let extra = OutgoingEmail {
        key: "notice:1".into(),
        to: "v2@example.org".into(),
        subject: "s".into(),
        body: "b".into(),
    };
    assert!(store.enqueue_email(&extra).await.unwrap());
    assert!(!store.enqueue_email(&extra).await.unwrap(), "same key once");
    let pending = store.pending_emails(10).await.unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|e| e.email.key.as_str())
            .collect::<Vec<_>>(),
        ["invite:p1:v0", "invite:p1:v1", "notice:1"]
    );
    assert_eq!(store.pending_emails(1).await.unwrap().len(), 1);
    store
        .mark_email_failed(pending[0].id, "connection refused")
        .await
        .unwrap();
    let first = &store.pending_emails(1).await.unwrap()[0];
    assert_eq!(
        (first.attempts, first.last_error.as_str()),
        (1, "connection refused")
    );
    store.mark_email_sent(pending[0].id).await.unwrap();
    store.mark_email_sent(pending[0].id).await.unwrap();
    let pending = store.pending_emails(10).await.unwrap();
    assert_eq!(pending.len(), 2);
    let all = store.emails_with_prefix("invite:").await.unwrap();
    assert!(all[0].sent_at.is_some() && all[1].sent_at.is_none());
}
