//! `votebase-matching`: ranks volunteers for a campaign's project. Must-have skills are a
//! hard filter (every required skill at its minimum level); the score is skill fit first
//! (weight 0.75: how far above the minimum the required skills are, and how many
//! nice-to-have skills are met) then affinity (weight 0.25: grew up in the project's
//! state, distance between ZIP centroids or remote work, shared issues, languages, past
//! engagements), rounded to four decimals and tied by volunteer id. Each result is
//! explained in words. Pure: no store, no I/O; volunteers are indexed once (skills as a
//! dense level array) so thousands of projects re-rank in parallel in well under a second.

use rayon::prelude::*;
use std::collections::HashMap;
use votebase_domain::people::{MAX_LEVEL, NewProject, SkillLevel, Volunteer};

/// Weight of skill fit in the score.
pub const SKILL_WEIGHT: f64 = 0.75;
/// Weight of affinity in the score.
pub const AFFINITY_WEIGHT: f64 = 0.25;
/// Affinity parts: home state, distance/remote, issues, languages, engagement.
pub const AFFINITY_PARTS: [(&str, f64); 5] = [
    ("home_state", 0.35),
    ("distance", 0.25),
    ("issues", 0.15),
    ("languages", 0.15),
    ("engagement", 0.10),
];
/// Within this distance a volunteer counts as local (full distance affinity).
pub const NEAR_MILES: f64 = 25.0;
/// Beyond this distance the distance affinity is zero (linear in between).
pub const FAR_MILES: f64 = 250.0;
/// Past engagements that give the full engagement affinity.
pub const FULL_ENGAGEMENT: u32 = 3;

/// Great-circle distance in miles between two (lat, lon) points in degrees.
pub fn miles(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 3958.8 * h.sqrt().min(1.0).asin()
}

/// The distance affinity of a distance (1 near, 0 far, linear between).
pub fn distance_affinity(d: f64) -> f64 {
    if d <= NEAR_MILES {
        1.0
    } else if d >= FAR_MILES {
        0.0
    } else {
        (FAR_MILES - d) / (FAR_MILES - NEAR_MILES)
    }
}

/// One ranked volunteer.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Index of the volunteer in the slice the [`Matcher`] was built from.
    pub volunteer: usize,
    /// Score in 0..=1 (rounded to four decimals).
    pub score: f64,
    /// Skill fit in 0..=1.
    pub skill_fit: f64,
    /// Affinity in 0..=1.
    pub affinity: f64,
    /// Miles between ZIP centroids, when both are known.
    pub distance_miles: Option<f64>,
}

struct Indexed {
    levels: Vec<u8>,
    home_state: String,
    point: Option<(f64, f64)>,
    remote: bool,
    issues: Vec<String>,
    languages: Vec<String>,
    engagements: u32,
    id: String,
}

/// Volunteers indexed for ranking.
pub struct Matcher<'a> {
    volunteers: &'a [Volunteer],
    skills: HashMap<&'a str, usize>,
    indexed: Vec<Indexed>,
}

struct Need {
    slot: Option<usize>,
    min: u8,
}

impl<'a> Matcher<'a> {
    /// Indexes the volunteers (unsubscribed ones included: the caller filters).
    pub fn new(volunteers: &'a [Volunteer]) -> Self {
        let mut skills: HashMap<&'a str, usize> = HashMap::new();
        for v in volunteers {
            for s in &v.profile.skills {
                let next = skills.len();
                skills.entry(s.skill.as_str()).or_insert(next);
            }
        }
        let width = skills.len();
        let indexed = volunteers
            .iter()
            .map(|v| {
                let mut levels = vec![0u8; width];
                for s in &v.profile.skills {
                    levels[skills[s.skill.as_str()]] = s.level;
                }
                Indexed {
                    levels,
                    home_state: v.profile.home_state.clone(),
                    point: v.profile.lat.zip(v.profile.lon),
                    remote: v.profile.remote,
                    issues: v.profile.issues.clone(),
                    languages: v.profile.languages.clone(),
                    engagements: v.engagements,
                    id: v.person.external_id.clone(),
                }
            })
            .collect();
        Self {
            volunteers,
            skills,
            indexed,
        }
    }

    fn needs(&self, list: &[SkillLevel]) -> Vec<Need> {
        list.iter()
            .map(|s| Need {
                slot: self.skills.get(s.skill.as_str()).copied(),
                min: s.level,
            })
            .collect()
    }

    fn score(&self, p: &NewProject, req: &[Need], nice: &[Need], i: usize) -> Option<Ranked> {
        let v = &self.indexed[i];
        let level = |n: &Need| n.slot.map(|s| v.levels[s]).unwrap_or(0);
        let mut req_fit = 0.0;
        for n in req {
            let l = level(n);
            if l < n.min {
                return None;
            }
            // At the minimum: 0.5; each level above it adds up to the other half.
            let room = (MAX_LEVEL - n.min) as f64;
            req_fit += if room == 0.0 {
                1.0
            } else {
                0.5 + 0.5 * (l - n.min) as f64 / room
            };
        }
        let nice_met = nice.iter().filter(|n| level(n) >= n.min).count();
        let skill_fit = match (req.is_empty(), nice.is_empty()) {
            (true, true) => 1.0,
            (false, true) => req_fit / req.len() as f64,
            (true, false) => nice_met as f64 / nice.len() as f64,
            (false, false) => {
                0.7 * req_fit / req.len() as f64 + 0.3 * nice_met as f64 / nice.len() as f64
            }
        };
        let distance_miles = match (p.lat.zip(p.lon), v.point) {
            (Some(a), Some(b)) => Some(miles(a, b)),
            _ => None,
        };
        let parts = [
            (!p.state.is_empty() && v.home_state == p.state) as u8 as f64,
            if p.remote && v.remote {
                1.0
            } else {
                distance_miles.map(distance_affinity).unwrap_or(0.0)
            },
            overlap(&p.issues, &v.issues),
            overlap(&p.languages, &v.languages),
            v.engagements.min(FULL_ENGAGEMENT) as f64 / FULL_ENGAGEMENT as f64,
        ];
        let affinity: f64 = parts
            .iter()
            .zip(AFFINITY_PARTS)
            .map(|(x, (_, w))| x * w)
            .sum();
        let score = round4(SKILL_WEIGHT * skill_fit + AFFINITY_WEIGHT * affinity);
        Some(Ranked {
            volunteer: i,
            score,
            skill_fit,
            affinity,
            distance_miles,
        })
    }

    /// The volunteers with every required skill, best first (score, then id), at most
    /// `top` (all with None). `skip` leaves volunteers out (e.g. unsubscribed).
    pub fn rank(
        &self,
        project: &NewProject,
        top: Option<usize>,
        skip: &dyn Fn(&Volunteer) -> bool,
    ) -> Vec<Ranked> {
        let req = self.needs(&project.required_skills);
        let nice = self.needs(&project.nice_skills);
        let mut out: Vec<Ranked> = (0..self.indexed.len())
            .filter(|&i| !skip(&self.volunteers[i]))
            .filter_map(|i| self.score(project, &req, &nice, i))
            .collect();
        let key = |r: &Ranked| {
            (
                std::cmp::Reverse(score_key(r.score)),
                self.indexed[r.volunteer].id.as_str(),
            )
        };
        match top {
            Some(n) if n < out.len() => {
                out.select_nth_unstable_by(n, |a, b| key(a).cmp(&key(b)));
                out.truncate(n);
                out.sort_by(|a, b| key(a).cmp(&key(b)));
            }
            _ => out.sort_by(|a, b| key(a).cmp(&key(b))),
        }
        out
    }

    /// Re-ranks every project in parallel, each keeping its `top`.
    pub fn rank_all(&self, projects: &[NewProject], top: usize) -> Vec<Vec<Ranked>> {
        projects
            .par_iter()
            .map(|p| self.rank(p, Some(top), &|_| false))
            .collect()
    }

    /// The volunteer a result refers to.
    pub fn volunteer(&self, r: &Ranked) -> &'a Volunteer {
        &self.volunteers[r.volunteer]
    }

    /// The result in words: "matches 2/2 required skills (python 3 ≥ 2, sql 2 ≥ 1); 1/2
    /// nice-to-have skills; grew up in WI, the project's state; 12 miles away; …".
    pub fn explain(&self, project: &NewProject, r: &Ranked) -> String {
        let v = self.volunteer(r);
        let level = |skill: &str| {
            v.profile
                .skills
                .iter()
                .find(|s| s.skill == skill)
                .map(|s| s.level)
                .unwrap_or(0)
        };
        let mut parts = Vec::new();
        let req = &project.required_skills;
        if req.is_empty() {
            parts.push("no required skills".to_string());
        } else {
            let detail: Vec<String> = req
                .iter()
                .map(|s| format!("{} {} ≥ {}", s.skill, level(&s.skill), s.level))
                .collect();
            parts.push(format!(
                "matches {n}/{n} required skills ({})",
                detail.join(", "),
                n = req.len()
            ));
        }
        if !project.nice_skills.is_empty() {
            let met: Vec<&str> = project
                .nice_skills
                .iter()
                .filter(|s| level(&s.skill) >= s.level)
                .map(|s| s.skill.as_str())
                .collect();
            parts.push(if met.is_empty() {
                format!("0/{} nice-to-have skills", project.nice_skills.len())
            } else {
                format!(
                    "{}/{} nice-to-have skills ({})",
                    met.len(),
                    project.nice_skills.len(),
                    met.join(", ")
                )
            });
        }
        if !project.state.is_empty() && v.profile.home_state == project.state {
            parts.push(format!("grew up in {}, the project's state", project.state));
        }
        if project.remote && v.profile.remote {
            parts.push("works remotely, as the project allows".into());
        }
        if let Some(d) = r.distance_miles {
            parts.push(format!("{} miles away", d.round() as i64));
        }
        let shared = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|x| b.contains(x)).cloned().collect()
        };
        let issues = shared(&project.issues, &v.profile.issues);
        if !issues.is_empty() {
            parts.push(format!("cares about {}", issues.join(", ")));
        }
        let languages = shared(&project.languages, &v.profile.languages);
        if !languages.is_empty() {
            parts.push(format!("speaks {}", languages.join(", ")));
        }
        match v.engagements {
            0 => {}
            1 => parts.push("1 past project".into()),
            n => parts.push(format!("{n} past projects")),
        }
        parts.join("; ")
    }
}

/// The share of `wanted` that `have` covers (0 when nothing is wanted).
fn overlap(wanted: &[String], have: &[String]) -> f64 {
    if wanted.is_empty() {
        return 0.0;
    }
    wanted.iter().filter(|w| have.contains(w)).count() as f64 / wanted.len() as f64
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn score_key(score: f64) -> i64 {
    (score * 10_000.0).round() as i64
}

#[cfg(test)]
mod tests;
