//! Demo contact history: door knocks, calls, texts and ad impressions over the two months
//! before the demo election, written as the exports real tools give, a VAN-style canvass
//! file (doors and calls) and a Spoke-style texting file, so `votebase demo` imports them
//! through `votebase import contacts` with the built-in mappings.
//!
//! About 1.6 attempts per voter (a few hundred thousand for the default 200,000 voters).
//! Reach rates are those field programs report: about one door in four answered, one
//! call in ten, one text in seven replied to. Every voter has a fixed inclination to
//! support, driven by party and age (Democrats and younger voters more supportive), so
//! the support answers (NationBuilder's 1–5 scale: 1 strong support … 5 strong oppose)
//! of the reached voters correlate with party and age as real ones do; supporters are
//! sometimes tagged `volunteer-prospect` or `yard-sign`. Deterministic for a seed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};

use crate::rng::{Draw, SplitMix};
use crate::{DemoState, Party, demo_election};

/// Paths of the files written by [`write_contact_files`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoContactFiles {
    /// VAN-style canvass export (doors and calls), for the `van-canvass` mapping.
    pub canvass: PathBuf,
    /// Spoke-style texting export, for the `spoke-texts` mapping.
    pub texts: PathBuf,
    /// Attempts written, all channels.
    pub attempts: u64,
    /// Ad impressions among them (in the canvass file, channel `Digital`).
    pub ads: u64,
}

/// Days of canvassing, ending the day before the demo election.
const CAMPAIGN_DAYS: u64 = 60;

/// Chance that voter `v` supports the candidate (party and age).
fn support_probability(party: Party, age: i32) -> f64 {
    let base = match party {
        Party::Dem => 0.80,
        Party::Rep => 0.12,
        Party::Una => 0.45,
        Party::Lib => 0.25,
        Party::Gre => 0.70,
    };
    (base + f64::from(45 - age) * 0.007).clamp(0.03, 0.97)
}

/// A support answer on the 1–5 scale for a voter who is (or is not) a supporter.
fn support_answer(rng: &mut SplitMix, supporter: bool) -> u8 {
    if supporter {
        if rng.chance(0.6) { 1 } else { 2 }
    } else {
        [3, 3, 3, 3, 4, 4, 4, 5, 5, 5][rng.index(10)]
    }
}

fn time_on(day: NaiveDate, rng: &mut SplitMix, first_hour: u64, last_hour: u64) -> NaiveDateTime {
    day.and_hms_opt(
        rng.between(first_hour, last_hour) as u32,
        rng.below(60) as u32,
        0,
    )
    .expect("valid time")
}

/// Writes `canvass.csv` and `texts.csv` into `dir`.
pub fn write_contact_files(state: &DemoState, dir: &Path) -> std::io::Result<DemoContactFiles> {
    std::fs::create_dir_all(dir)?;
    let canvass_path = dir.join("canvass.csv");
    let texts_path = dir.join("texts.csv");
    let mut canvass = BufWriter::new(File::create(&canvass_path)?);
    let mut texts = BufWriter::new(File::create(&texts_path)?);
    writeln!(
        canvass,
        "ContactHistoryID,StateFileID,ContactTypeName,DateCanvassed,CanvassedBy,ResultShortName,SupportID,ActivistCodes"
    )?;
    writeln!(
        texts,
        "messageId,contact[external_id],sentAt,texter[username],contact[messageStatus],question[support],question[volunteer],tags"
    )?;
    let last_day = demo_election() - Days::new(1);
    let first_day = last_day - Days::new(CAMPAIGN_DAYS - 1);
    let seed = state.options.seed;
    let (mut attempts, mut ads, mut event_no) = (0u64, 0u64, 0u64);
    let canvassers = [
        "maria", "james", "aisha", "tom", "li", "keisha", "raj", "ana",
    ];
    let texters = ["texter01", "texter02", "texter03", "texter04"];
    for (i, v) in state.second_snapshot() {
        let mut rng = SplitMix::new(seed, 0xC0_7AC7 ^ u64::from(i));
        let age = last_day.year() - v.birth_date.year();
        let supporter = rng.chance(support_probability(v.party, age));
        let id = v.ncid();
        let mut answered = false;
        let mut line = |rng: &mut SplitMix,
                        out: &mut BufWriter<File>,
                        channel: &str,
                        reach: f64,
                        misses: &[(&str, u32)]|
         -> std::io::Result<()> {
            event_no += 1;
            let day = first_day + Days::new(rng.below(CAMPAIGN_DAYS));
            let at = time_on(day, rng, 10, 19);
            let who = canvassers[rng.index(canvassers.len())];
            let (result, support, tags) = if rng.chance(reach) {
                let support = if !answered && rng.chance(0.85) {
                    answered = true;
                    support_answer(rng, supporter).to_string()
                } else {
                    String::new()
                };
                let mut tags = Vec::new();
                if supporter && rng.chance(0.15) {
                    tags.push("Volunteer Prospect");
                }
                if supporter && channel == "Walk" && rng.chance(0.10) {
                    tags.push("Yard Sign");
                }
                (
                    if rng.chance(0.08) {
                        "Refused"
                    } else {
                        "Canvassed"
                    },
                    support,
                    tags.join(";"),
                )
            } else {
                let w: Vec<u32> = misses.iter().map(|m| m.1).collect();
                (misses[rng.weighted(&w)].0, String::new(), String::new())
            };
            let (support, tags) = if result == "Refused" {
                (String::new(), String::new())
            } else {
                (support, tags)
            };
            writeln!(
                out,
                "VH{event_no:09},{id},{channel},{},{who},{result},{support},{tags}",
                at.format("%m/%d/%Y %H:%M")
            )
        };
        if rng.chance(0.35) {
            for _ in 0..rng.between(1, 2) {
                line(
                    &mut rng,
                    &mut canvass,
                    "Walk",
                    0.26,
                    &[
                        ("Not Home", 80),
                        ("Moved", 6),
                        ("Inaccessible", 6),
                        ("Come Back", 8),
                    ],
                )?;
                attempts += 1;
            }
        }
        if v.phone_code != 0 && rng.chance(0.45) {
            for _ in 0..rng.between(1, 2) {
                line(
                    &mut rng,
                    &mut canvass,
                    "Phone",
                    0.10,
                    &[
                        ("No Answer", 55),
                        ("Left Message", 28),
                        ("Wrong Number", 12),
                        ("Deceased", 1),
                        ("Busy", 4),
                    ],
                )?;
                attempts += 1;
            }
        }
        if rng.chance(0.20) {
            event_no += 1;
            let day = first_day + Days::new(rng.below(CAMPAIGN_DAYS));
            writeln!(
                canvass,
                "AD{event_no:09},{id},Digital,{},,Delivered,,",
                time_on(day, &mut rng, 0, 23).format("%m/%d/%Y %H:%M")
            )?;
            attempts += 1;
            ads += 1;
        }
        if v.phone_code != 0 && rng.chance(0.45) {
            event_no += 1;
            let day = first_day + Days::new(rng.below(CAMPAIGN_DAYS));
            let at = time_on(day, &mut rng, 10, 20);
            let texter = texters[rng.index(texters.len())];
            let (status, support, volunteer, tags) = if rng.chance(0.15) {
                // The last attempt of this voter: no later one needs to know it was answered.
                let support = if !answered && rng.chance(0.7) {
                    support_answer(&mut rng, supporter).to_string()
                } else {
                    String::new()
                };
                let volunteer = if supporter && rng.chance(0.3) {
                    ["Yes", "No", "Maybe"][rng.index(3)]
                } else {
                    ""
                };
                let tags = if volunteer == "Yes" {
                    "volunteer-prospect"
                } else {
                    ""
                };
                ("convo", support, volunteer, tags)
            } else if rng.chance(0.05) {
                ("optedOut", String::new(), "", "")
            } else {
                ("messaged", String::new(), "", "")
            };
            writeln!(
                texts,
                "SP{event_no:09},{id},{},{texter},{status},{support},{volunteer},{tags}",
                at.format("%Y-%m-%d %H:%M:%S")
            )?;
            attempts += 1;
        }
    }
    canvass.flush()?;
    texts.flush()?;
    Ok(DemoContactFiles {
        canvass: canvass_path,
        texts: texts_path,
        attempts,
        ads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_follows_party_and_age() {
        assert!(support_probability(Party::Dem, 25) > support_probability(Party::Dem, 70));
        assert!(support_probability(Party::Dem, 50) > support_probability(Party::Una, 50));
        assert!(support_probability(Party::Una, 50) > support_probability(Party::Rep, 50));
    }

    #[test]
    fn files_are_deterministic_and_sized() {
        let opts = crate::DemoOptions {
            voters: 3_000,
            seed: 5,
            ..Default::default()
        };
        let state = crate::build_state(&opts);
        let dir = std::env::temp_dir().join(format!("vb-demo-contacts-{}", std::process::id()));
        let a = write_contact_files(&state, &dir.join("a")).unwrap();
        let b = write_contact_files(&state, &dir.join("b")).unwrap();
        assert_eq!(
            std::fs::read(&a.canvass).unwrap(),
            std::fs::read(&b.canvass).unwrap()
        );
        assert_eq!(
            std::fs::read(&a.texts).unwrap(),
            std::fs::read(&b.texts).unwrap()
        );
        let per_voter = a.attempts as f64 / 3_000.0;
        assert!(
            (1.0..2.5).contains(&per_voter),
            "{per_voter} attempts per voter"
        );
        let canvass = std::fs::read_to_string(&a.canvass).unwrap();
        let doors = canvass.lines().filter(|l| l.contains(",Walk,")).count() as f64;
        let reached = canvass
            .lines()
            .filter(|l| {
                l.contains(",Walk,") && (l.contains(",Canvassed,") || l.contains(",Refused,"))
            })
            .count() as f64;
        assert!(
            (0.18..0.34).contains(&(reached / doors)),
            "door reach {}",
            reached / doors
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
