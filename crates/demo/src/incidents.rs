//! Demo election-day incidents: a few thousand voter-protection reports against the demo
//! state's polling places on [`demo_election`](crate::demo_election), clustered the way
//! real election days are. About one polling place in twelve becomes a hotspot with one
//! or two bursts (a broken machine, a late opening, ballots running out: three to eight
//! reports within half an hour, one dominant category); the rest are scattered reports
//! weighted by precinct size, peaking before work and after work. Each report carries a
//! handling plan (when someone first acts, when and how it is resolved) so the demo can
//! replay the day through the real workflow. Deterministic for a seed.

use crate::DemoState;
use crate::names::NameBook;
use crate::rng::{Draw, SplitMix};

/// Minutes from opening (06:30) to closing (19:30).
pub const DAY_MINUTES: u32 = 13 * 60;

/// One generated report and how the day handles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoIncident {
    /// Index of the precinct whose polling place it is about (feed id `pl<precinct>`).
    pub precinct: u32,
    /// When observed, in minutes after the polls open (06:30 local).
    pub minute: u32,
    /// Category code.
    pub category: &'static str,
    /// What the caller said.
    pub description: String,
    /// Caller's name.
    pub reporter_name: String,
    /// Caller's phone (10 digits).
    pub reporter_phone: String,
    /// voter, observer or poll_worker.
    pub relationship: &'static str,
    /// Minutes from observation to the hotline entering it.
    pub intake_delay: u32,
    /// Minutes from intake to the first action by a person (`None`: nobody got to it).
    pub first_action_after: Option<u32>,
    /// Minutes from the first action to resolution (`None`: still open at the end).
    pub resolve_after: Option<u32>,
    /// Resolution code when resolved.
    pub resolution: &'static str,
}

/// Background categories with weights.
const CATEGORIES: [(&str, u32); 15] = [
    ("long_lines", 30),
    ("registration_problem", 16),
    ("id_demanded", 10),
    ("provisional_refused", 5),
    ("equipment_failure", 8),
    ("electioneering", 6),
    ("accessibility", 4),
    ("language_assistance", 3),
    ("misinformation", 4),
    ("opened_late", 3),
    ("intimidation", 2),
    ("polling_place_moved", 1),
    ("ballots_ran_out", 1),
    ("polling_place_closed", 1),
    ("other", 6),
];

/// Burst categories at hotspots with weights.
const BURSTS: [(&str, u32); 6] = [
    ("equipment_failure", 30),
    ("long_lines", 30),
    ("opened_late", 12),
    ("ballots_ran_out", 10),
    ("polling_place_closed", 6),
    ("intimidation", 6),
];

const RESOLUTIONS: [(&str, u32); 4] = [
    ("fixed_on_site", 55),
    ("referred_to_officials", 30),
    ("no_action_needed", 12),
    ("litigation", 3),
];

fn describe(category: &str, r: &mut SplitMix) -> String {
    let lines: &[&str] = match category {
        "long_lines" => &[
            "Line out the door, people say two hours and some are leaving.",
            "Wait is over three hours; elderly voters sitting on the curb.",
            "Only two check-in stations open; line around the building.",
        ],
        "registration_problem" => &[
            "Caller says she has voted here for years and is not in the poll book.",
            "Told he was purged; registered at the DMV in the summer.",
            "Poll book shows an old address; poll worker will not update it.",
        ],
        "id_demanded" => &[
            "Poll worker asking every voter for a photo ID.",
            "Voter turned away for not having a driver's license.",
        ],
        "provisional_refused" => &[
            "Voter not on the list asked for a provisional ballot and was refused.",
            "Chief judge says they are out of provisional envelopes.",
        ],
        "equipment_failure" => &[
            "Tabulator jammed; ballots going into the emergency bin.",
            "Both ballot-marking devices are down.",
            "Electronic poll books not connecting; check-in stopped.",
        ],
        "electioneering" => &[
            "Campaign volunteers handing out flyers inside the buffer zone.",
            "Candidate's truck with loudspeaker parked at the entrance.",
        ],
        "accessibility" => &[
            "No curbside voting available; wheelchair user waiting in the car.",
            "Accessible entrance locked.",
        ],
        "language_assistance" => &[
            "Spanish-speaking voter refused help from her daughter.",
            "No interpreter available although one was promised.",
        ],
        "misinformation" => &[
            "Texts telling voters their polling place moved.",
            "Flyer says the election is tomorrow for one party.",
        ],
        "opened_late" => &[
            "Doors still closed at opening time; voters waiting outside.",
            "Poll workers arrived late, opened 40 minutes after the start.",
        ],
        "intimidation" => &[
            "Men filming voters and their license plates in the parking lot.",
            "Armed group standing at the entrance questioning voters.",
        ],
        "polling_place_moved" => {
            &["Sign on the door says the polling place moved, no address given."]
        }
        "ballots_ran_out" => &["Out of ballots for this precinct; voters told to come back later."],
        "polling_place_closed" => &["Building locked, nobody there, no notice posted."],
        _ => &["Caller reports a problem at the polling place."],
    };
    lines[r.index(lines.len())].to_string()
}

fn weighted(table: &[(&'static str, u32)], r: &mut SplitMix) -> &'static str {
    let weights: Vec<u32> = table.iter().map(|(_, w)| *w).collect();
    table[r.weighted(&weights)].0
}

/// A time of day with the morning and after-work peaks (minutes after opening).
fn minute_of_day(r: &mut SplitMix) -> u32 {
    let centre: f64 = match r.below(10) {
        0..=3 => 60.0,  // 07:30
        4..=5 => 330.0, // 12:00
        _ => 660.0,     // 17:30
    };
    let m = centre + r.normalish() * 75.0;
    m.clamp(0.0, f64::from(DAY_MINUTES - 1)) as u32
}

/// Generates about `count` incidents (bursts at hotspots, the rest scattered), sorted by
/// minute. Precincts without a polling place are never used.
pub fn demo_incidents(state: &DemoState, count: usize) -> Vec<DemoIncident> {
    let mut r = SplitMix::new(state.options.seed, 0x1c1d);
    let places: Vec<u32> = (0..state.precincts.len() as u32)
        .filter(|&p| {
            let prec = &state.precincts[p as usize];
            !prec.polling_place.name.is_empty() && prec.streets.contains(&prec.polling_place.street)
        })
        .collect();
    if places.is_empty() || count == 0 {
        return Vec::new();
    }
    let sizes: Vec<u32> = places
        .iter()
        .map(|&p| state.precincts[p as usize].planned_voters.max(1))
        .collect();
    let names = NameBook::get();
    let mut out = Vec::with_capacity(count + 16);
    let person = |r: &mut SplitMix, precinct: u32, minute: u32, category: &'static str| {
        let county = &state.counties[state.precincts[precinct as usize].county as usize];
        let area = county.area_codes[r.index(county.area_codes.len())];
        let relationship = match r.below(10) {
            0..=6 => "voter",
            7..=8 => "observer",
            _ => "poll_worker",
        };
        let first_action_after = (!r.chance(0.06)).then(|| match category {
            "polling_place_closed" | "intimidation" | "ballots_ran_out" => r.between(1, 6) as u32,
            _ => r.between(2, 40) as u32,
        });
        let resolve_after =
            first_action_after.and_then(|_| (!r.chance(0.12)).then(|| r.between(5, 150) as u32));
        DemoIncident {
            precinct,
            minute,
            category,
            description: describe(category, r),
            reporter_name: format!(
                "{} {}",
                names.given(r.below(names.given_len() as u64) as u16),
                names.surname(r.below(names.surname_len() as u64) as u16)
            ),
            reporter_phone: format!("{area}555{:04}", r.below(10_000)),
            relationship,
            intake_delay: r.between(1, 8) as u32,
            first_action_after,
            resolve_after,
            resolution: weighted(&RESOLUTIONS, r),
        }
    };
    // Hotspots: one in twelve polling places, each with one or two bursts.
    let hotspots = (places.len() / 12).max(1);
    for _ in 0..hotspots {
        let p = places[r.index(places.len())];
        for _ in 0..r.between(1, 2) {
            let category = weighted(&BURSTS, &mut r);
            let start = minute_of_day(&mut r).min(DAY_MINUTES - 31);
            for _ in 0..r.between(3, 8) {
                let minute = start + r.below(30) as u32;
                let c = if r.chance(0.75) {
                    category
                } else {
                    weighted(&CATEGORIES, &mut r)
                };
                out.push(person(&mut r, p, minute, c));
            }
        }
    }
    // Scattered reports, weighted by precinct size.
    while out.len() < count {
        let p = places[r.weighted(&sizes)];
        let category = weighted(&CATEGORIES, &mut r);
        let minute = minute_of_day(&mut r);
        out.push(person(&mut r, p, minute, category));
    }
    out.sort_by_key(|i| (i.minute, i.precinct));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoOptions, build_state};
    use std::collections::HashMap;

    #[test]
    fn incidents_are_clustered_deterministic_and_at_real_places() {
        let state = build_state(&DemoOptions {
            voters: 20_000,
            seed: 3,
            ..Default::default()
        });
        let a = demo_incidents(&state, 1500);
        assert_eq!(a, demo_incidents(&state, 1500));
        assert!(a.len() >= 1500);
        assert!(a.windows(2).all(|w| w[0].minute <= w[1].minute));
        assert!(a.iter().all(|i| i.minute < DAY_MINUTES));
        assert!(a.iter().all(|i| {
            let p = &state.precincts[i.precinct as usize];
            !p.polling_place.name.is_empty()
        }));
        // Some place has at least three reports within 30 minutes.
        let mut by_place: HashMap<u32, Vec<u32>> = HashMap::new();
        for i in &a {
            by_place.entry(i.precinct).or_default().push(i.minute);
        }
        let clustered = by_place
            .values()
            .filter(|ms| ms.windows(3).any(|w| w[2] - w[0] <= 30))
            .count();
        assert!(clustered >= 2, "{clustered} clustered places");
        let categories: std::collections::HashSet<_> = a.iter().map(|i| i.category).collect();
        assert!(categories.len() >= 10, "{categories:?}");
    }
}
