use super::*;
use votebase_domain::people::{NewPerson, VolunteerProfile};

fn s(skill: &str, level: u8) -> SkillLevel {
    SkillLevel {
        skill: skill.into(),
        level,
    }
}

fn vol(id: &str, skills: Vec<SkillLevel>, state: &str, point: (f64, f64)) -> Volunteer {
    Volunteer {
        person_id: 0,
        person: NewPerson {
            external_id: id.into(),
            ..Default::default()
        },
        profile: VolunteerProfile {
            skills,
            home_state: state.into(),
            lat: Some(point.0),
            lon: Some(point.1),
            ..Default::default()
        },
        unsubscribed: false,
        engagements: 0,
    }
}

const MADISON: (f64, f64) = (43.07, -89.38);
const MILWAUKEE: (f64, f64) = (43.04, -87.91);
const RALEIGH: (f64, f64) = (35.78, -78.64);

fn project() -> NewProject {
    NewProject {
        external_id: "p1".into(),
        title: "Data lead".into(),
        state: "WI".into(),
        lat: Some(MADISON.0),
        lon: Some(MADISON.1),
        required_skills: vec![s("python", 2), s("sql", 1)],
        nice_skills: vec![s("data_engineering", 2)],
        issues: vec!["climate".into()],
        ..Default::default()
    }
}

#[test]
fn distance_is_great_circle_miles() {
    let d = miles(MADISON, MILWAUKEE);
    assert!((70.0..80.0).contains(&d), "{d}");
    assert_eq!(miles(RALEIGH, RALEIGH), 0.0);
    assert_eq!(distance_affinity(10.0), 1.0);
    assert_eq!(distance_affinity(300.0), 0.0);
}

#[test]
fn required_skills_are_a_hard_filter_and_skill_comes_first() {
    let vols = vec![
        // Missing sql: out whatever the affinity.
        vol("a", vec![s("python", 3)], "WI", MADISON),
        // python below the minimum: out.
        vol("b", vec![s("python", 1), s("sql", 3)], "WI", MADISON),
        // Expert in both, far away, grew up elsewhere.
        vol(
            "c",
            vec![s("python", 3), s("sql", 3), s("data_engineering", 3)],
            "NC",
            RALEIGH,
        ),
        // Just at the minimum, local, home state.
        vol("d", vec![s("python", 2), s("sql", 1)], "WI", MILWAUKEE),
        // Same skills as d, further and not from WI.
        vol("e", vec![s("python", 2), s("sql", 1)], "NC", RALEIGH),
    ];
    let m = Matcher::new(&vols);
    let ranked = m.rank(&project(), None, &|_| false);
    let ids: Vec<&str> = ranked
        .iter()
        .map(|r| m.volunteer(r).person.external_id.as_str())
        .collect();
    assert_eq!(ids, ["c", "d", "e"]);
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(ranked[0].skill_fit, 1.0);
    let explained = m.explain(&project(), &ranked[1]);
    assert!(
        explained.starts_with("matches 2/2 required skills (python 2 ≥ 2, sql 1 ≥ 1)"),
        "{explained}"
    );
    assert!(explained.contains("0/1 nice-to-have skills"), "{explained}");
    assert!(
        explained.contains("grew up in WI, the project's state"),
        "{explained}"
    );
    assert!(explained.contains("miles away"), "{explained}");
    // Top-N equals the head of the full ranking; skip leaves people out.
    let top2 = m.rank(&project(), Some(2), &|_| false);
    assert_eq!(top2, ranked[..2].to_vec());
    let skipped = m.rank(&project(), None, &|v| v.person.external_id == "c");
    assert_eq!(skipped.len(), 2);
    // Affinity breaks skill ties: issues and engagement count.
    let mut tied = vec![
        vol("x", vec![s("python", 2), s("sql", 1)], "NC", RALEIGH),
        vol("y", vec![s("python", 2), s("sql", 1)], "NC", RALEIGH),
    ];
    tied[1].profile.issues = vec!["climate".into()];
    tied[1].engagements = 2;
    let m = Matcher::new(&tied);
    let r = m.rank(&project(), None, &|_| false);
    assert_eq!(m.volunteer(&r[0]).person.external_id, "y");
    let why = m.explain(&project(), &r[0]);
    assert!(
        why.contains("cares about climate") && why.contains("2 past projects"),
        "{why}"
    );
    // Ties break by id.
    tied[1] = tied[0].clone();
    tied[1].person.external_id = "w".into();
    let m = Matcher::new(&tied);
    let r = m.rank(&project(), None, &|_| false);
    assert_eq!(m.volunteer(&r[0]).person.external_id, "w");
}

#[test]
fn remote_projects_reward_remote_volunteers_and_rank_all_agrees() {
    let mut p = project();
    p.remote = true;
    let mut far = vol("far", vec![s("python", 2), s("sql", 1)], "NC", RALEIGH);
    far.profile.remote = true;
    let near = vol("near", vec![s("python", 2), s("sql", 1)], "NC", MADISON);
    let vols = vec![far, near];
    let m = Matcher::new(&vols);
    let r = m.rank(&p, None, &|_| false);
    assert_eq!(r[0].score, r[1].score, "remote counts like local");
    assert!(m.explain(&p, &r[0]).contains("works remotely"));
    let all = m.rank_all(&[p.clone(), project()], 1);
    assert_eq!(all[0], m.rank(&p, Some(1), &|_| false));
    assert_eq!(all[1], m.rank(&project(), Some(1), &|_| false));
}
