//! Volunteers and projects for the demo and `votebase bench match`: a Tech-for-Campaigns
//! shaped pool (skills with levels from the built-in taxonomy, home state, current ZIP
//! with its centroid, hours, remote, issues, languages) and campaign projects needing a
//! few of those skills, deterministic for a seed. Written as the built-in CSV layouts so
//! the real importers load them.

use crate::rng::{Draw, MainRng};
use std::path::Path;
use votebase_domain::people::{
    NewPerson, NewProject, NewVolunteer, SkillLevel, VolunteerProfile, render_skill_list,
};

/// Skills the generator draws from (all in the built-in taxonomy), most common first.
const SKILLS: [&str; 16] = [
    "email",
    "social_media",
    "data_analysis",
    "digital_ads",
    "websites",
    "texting",
    "python",
    "sql",
    "copywriting",
    "graphic_designer",
    "data_engineering",
    "javascript",
    "video",
    "translation",
    "project_manager",
    "ux_designer",
];

/// Places: ZIP, state, centroid (Census ZCTA internal points).
pub const PLACES: [(&str, &str, f64, f64); 12] = [
    ("53703", "WI", 43.077, -89.383),
    ("53202", "WI", 43.045, -87.899),
    ("27601", "NC", 35.773, -78.634),
    ("28202", "NC", 35.227, -80.843),
    ("85004", "AZ", 33.451, -112.069),
    ("30303", "GA", 33.752, -84.390),
    ("48226", "MI", 42.332, -83.048),
    ("19107", "PA", 39.951, -75.159),
    ("89101", "NV", 36.172, -115.122),
    ("10001", "NY", 40.750, -73.997),
    ("94103", "CA", 37.773, -122.411),
    ("78701", "TX", 30.271, -97.743),
];

const ISSUES: [&str; 6] = [
    "climate",
    "voting rights",
    "health care",
    "education",
    "housing",
    "immigration",
];
const LANGUAGES: [&str; 4] = ["es", "zh", "vi", "fr"];
const FIRST: [&str; 12] = [
    "Ana", "Wei", "Sam", "Maria", "James", "Aisha", "Luis", "Priya", "Noah", "Grace", "Omar",
    "Lena",
];
const LAST: [&str; 10] = [
    "Lopez", "Chen", "Nguyen", "Smith", "Patel", "Johnson", "Garcia", "Kim", "Okafor", "Brown",
];
const ROLES: [&str; 3] = ["team lead", "specialist", "analyst"];

fn skill_index(r: &mut MainRng) -> usize {
    // Skewed: the first skills are far more common.
    let a = r.index(SKILLS.len());
    let b = r.index(SKILLS.len());
    a.min(b)
}

fn some_skills(r: &mut MainRng, n: usize, min_level: u64) -> Vec<SkillLevel> {
    let mut out: Vec<SkillLevel> = Vec::new();
    while out.len() < n {
        let skill = SKILLS[skill_index(r)];
        if out.iter().any(|s| s.skill == skill) {
            continue;
        }
        out.push(SkillLevel {
            skill: skill.into(),
            level: r.between(min_level, 3) as u8,
        });
    }
    out.sort();
    out
}

fn some(r: &mut MainRng, items: &[&str], p: f64) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .filter(|_| r.chance(p))
        .map(|s| s.to_string())
        .collect();
    out.sort();
    out
}

/// `n` volunteers for `seed` (ids `v1`…).
pub fn volunteers(n: usize, seed: u64) -> Vec<NewVolunteer> {
    let mut r = MainRng::new(seed, 0x766f_6c75);
    (1..=n)
        .map(|i| {
            let (zip, _, lat, lon) = *r.pick(&PLACES);
            let home = r.pick(&PLACES).1;
            let first = *r.pick(&FIRST);
            let last = *r.pick(&LAST);
            let k = 1 + r.index(4);
            NewVolunteer {
                person: NewPerson {
                    external_id: format!("v{i}"),
                    source: "demo".into(),
                    first_name: first.into(),
                    last_name: last.into(),
                    emails: vec![format!(
                        "{}.{}{i}@example.org",
                        first.to_lowercase(),
                        last.to_lowercase()
                    )],
                    phones: Vec::new(),
                    address: String::new(),
                    zip: zip.into(),
                    consent: Default::default(),
                },
                profile: VolunteerProfile {
                    skills: some_skills(&mut r, k, 1),
                    home_state: home.into(),
                    home_town: String::new(),
                    lat: Some(lat),
                    lon: Some(lon),
                    hours_per_week: Some(r.between(2, 20) as u32),
                    remote: r.chance(0.7),
                    issues: some(&mut r, &ISSUES, 0.3),
                    languages: some(&mut r, &LANGUAGES, 0.1),
                },
            }
        })
        .collect()
}

/// `n` projects for `seed` (ids `p1`…).
pub fn projects(n: usize, seed: u64) -> Vec<NewProject> {
    let mut r = MainRng::new(seed, 0x7072_6f6a);
    (1..=n)
        .map(|i| {
            let (zip, state, lat, lon) = *r.pick(&PLACES);
            let n = 1 + r.index(3);
            let all = some_skills(&mut r, n, 1);
            let required: Vec<SkillLevel> = all
                .iter()
                .take(1 + r.index(2))
                .map(|s| SkillLevel {
                    skill: s.skill.clone(),
                    level: s.level.min(2),
                })
                .collect();
            let nice: Vec<SkillLevel> = all
                .into_iter()
                .filter(|s| !required.iter().any(|q| q.skill == s.skill))
                .collect();
            let skill_title = required[0].skill.replace('_', " ");
            NewProject {
                external_id: format!("p{i}"),
                organization: format!(
                    "{} for {state} House District {}",
                    r.pick(&LAST),
                    1 + r.index(100)
                ),
                title: format!("{skill_title} help"),
                role: r.pick(&ROLES).to_string(),
                state: state.into(),
                zip: zip.into(),
                lat: Some(lat),
                lon: Some(lon),
                remote: r.chance(0.6),
                required_skills: required,
                nice_skills: nice,
                hours_per_week: Some(r.between(3, 15) as u32),
                seats: r.between(1, 4) as u32,
                starts_on: None,
                deadline: None,
                issues: some(&mut r, &ISSUES, 0.2),
                languages: some(&mut r, &LANGUAGES, 0.05),
            }
        })
        .collect()
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn hours(h: Option<u32>) -> String {
    h.map(|h| h.to_string()).unwrap_or_default()
}

/// Writes volunteers in the built-in layout.
pub fn write_volunteers_csv(path: &Path, list: &[NewVolunteer]) -> csv::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "zip",
        "home_state",
        "skills",
        "hours_per_week",
        "remote",
        "issues",
        "languages",
    ])?;
    for v in list {
        let p = &v.profile;
        w.write_record([
            v.person.external_id.as_str(),
            &v.person.first_name,
            &v.person.last_name,
            &v.person.emails.join(";"),
            &v.person.phones.join(";"),
            &v.person.zip,
            &p.home_state,
            &render_skill_list(&p.skills),
            &hours(p.hours_per_week),
            yes(p.remote),
            &p.issues.join(";"),
            &p.languages.join(";"),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes projects in the built-in layout.
pub fn write_projects_csv(path: &Path, list: &[NewProject]) -> csv::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "id",
        "organization",
        "title",
        "role",
        "state",
        "zip",
        "remote",
        "required_skills",
        "nice_skills",
        "hours_per_week",
        "seats",
        "issues",
        "languages",
    ])?;
    for p in list {
        w.write_record([
            p.external_id.as_str(),
            &p.organization,
            &p.title,
            &p.role,
            &p.state,
            &p.zip,
            yes(p.remote),
            &render_skill_list(&p.required_skills),
            &render_skill_list(&p.nice_skills),
            &hours(p.hours_per_week),
            &p.seats.to_string(),
            &p.issues.join(";"),
            &p.languages.join(";"),
        ])?;
    }
    w.flush()?;
    Ok(())
}
