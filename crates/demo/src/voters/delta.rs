//! The one-month delta between the demo's two snapshots: purged records, household moves
//! (within and across counties), removals, party, status and name changes, and the new
//! registrations appended as voters (young adults in existing households and newcomers at
//! vacant addresses).

use chrono::{Days, Months, NaiveDate};

use super::population::{
    Builder, Counters, HouseholdTraits, PersonSpec, date_between, vacant_address,
};
use super::{Change, DemoVoter, Ethnicity, NO_NAME, Party, Reason, Status, VoterChange};
use crate::geography::UnitStyle;
use crate::names::{Group, NameBook, SUFFIX_NONE};
use crate::rng::{Draw, MainRng};

/// Derives the second snapshot from the first: returns the changes, sorted by voter, and
/// appends the new registrations to `b.voters`.
pub(super) fn second_snapshot(
    b: &mut Builder<'_>,
    counters: &mut Counters,
    first: NaiveDate,
    second: NaiveDate,
) -> Vec<VoterChange> {
    b.rng = MainRng::new(b.rng.next_raw(), 3);
    let n1 = b.voters.len();
    let mut changed = vec![false; n1];
    let mut changes: Vec<VoterChange> = Vec::new();
    let n_counties = b.geo.counties.len() as u16;

    // 1. Old removed records purged from the file (oldest registrations first).
    let mut removed: Vec<u32> = (0..n1 as u32)
        .filter(|&i| b.voters[i as usize].status == Status::Removed)
        .collect();
    removed.sort_unstable_by_key(|&i| (b.voters[i as usize].registr_dt, i));
    for &i in removed.iter().take(n1 * 2 / 1000) {
        changed[i as usize] = true;
        changes.push(VoterChange {
            voter: i,
            change: Change::Dropped,
        });
    }

    // 2. Household moves (~2% of voters).
    let mut households: Vec<(u32, u32)> = Vec::new(); // (start, end) voter ranges
    let mut s = 0usize;
    while s < n1 {
        let mut e = s + 1;
        while e < n1 && b.voters[e].household == b.voters[s].household {
            e += 1;
        }
        households.push((s as u32, e as u32));
        s = e;
    }
    let target_moves = n1 * 2 / 100;
    let mut moved = 0usize;
    let mut guard = 0;
    while moved < target_moves && guard < households.len() * 4 {
        guard += 1;
        let (hs, he) = households[b.rng.index(households.len())];
        let members = hs as usize..he as usize;
        if members
            .clone()
            .any(|i| changed[i] || matches!(b.voters[i].status, Status::Removed | Status::Denied))
        {
            continue;
        }
        let old_county = b.voters[hs as usize].county;
        let county = if n_counties > 1 && b.rng.chance(0.3) {
            let mut c = b.rng.below(u64::from(n_counties)) as u16;
            if c == old_county {
                c = (c + 1) % n_counties;
            }
            c
        } else {
            old_county
        };
        let (street, house_number, unit) = vacant_address(b, county);
        let move_date = date_between(&mut b.rng, first, second);
        for i in members {
            let v = b.voters[i];
            let (reg_num, registr_dt) = if county == old_county {
                (v.reg_num, v.registr_dt)
            } else {
                (counters.next_reg(&mut b.rng, county), move_date)
            };
            changed[i] = true;
            changes.push(VoterChange {
                voter: i as u32,
                change: Change::Moved {
                    county,
                    reg_num,
                    street,
                    house_number,
                    unit,
                    registr_dt,
                },
            });
            moved += 1;
        }
    }

    // 3. Removals (~0.5%).
    let target_removed = n1 * 5 / 1000;
    let mut done = 0;
    while done < target_removed {
        let i = b.rng.index(n1);
        let v = b.voters[i];
        if changed[i] || !matches!(v.status, Status::Active | Status::Inactive) {
            continue;
        }
        let age = v.age_on(first);
        let reason = if v.status == Status::Inactive && b.rng.chance(0.4) {
            Reason::InactiveTwoElections
        } else if b.rng.chance(if age > 70 { 0.7 } else { 0.15 }) {
            Reason::Deceased
        } else if b.rng.chance(0.6) {
            Reason::MovedFromCounty
        } else {
            Reason::MovedFromState
        };
        changed[i] = true;
        changes.push(VoterChange {
            voter: i as u32,
            change: Change::Removed(reason),
        });
        done += 1;
    }

    // 4. Other changes (~1%): party switches, status changes, marriage name changes.
    let book = NameBook::get();
    let target_other = n1 / 100;
    let mut done = 0;
    while done < target_other {
        let i = b.rng.index(n1);
        let v = b.voters[i];
        if changed[i] || !matches!(v.status, Status::Active | Status::Inactive) {
            continue;
        }
        let age = v.age_on(first);
        let change = match b.rng.index(100) {
            0..=39 => {
                let p = match v.party {
                    Party::Dem | Party::Rep => Party::Una,
                    Party::Una => {
                        if b.rng.chance(0.5) {
                            Party::Rep
                        } else {
                            Party::Dem
                        }
                    }
                    _ => Party::Una,
                };
                Change::PartySwitch(p)
            }
            40..=79 => {
                if v.status == Status::Active {
                    Change::StatusChange(Status::Inactive, Reason::ConfirmationNotReturned)
                } else {
                    Change::StatusChange(Status::Active, Reason::Verified)
                }
            }
            _ => {
                if !v.female || !(20..=45).contains(&age) || v.last2 != NO_NAME {
                    continue;
                }
                let new_last = book.last_name(&mut b.rng, Group::General);
                if b.rng.chance(0.15) {
                    Change::NameChange {
                        last: v.last,
                        last2: new_last,
                    }
                } else {
                    Change::NameChange {
                        last: new_last,
                        last2: NO_NAME,
                    }
                }
            }
        };
        changed[i] = true;
        changes.push(VoterChange {
            voter: i as u32,
            change,
        });
        done += 1;
    }

    // 5. New registrations (~1.5%): young voters joining their parents' household, and
    // newcomers at vacant addresses.
    let target_new = n1 * 15 / 1000;
    let mut added = 0usize;
    let mut household_size: std::collections::HashMap<u32, usize> =
        std::collections::HashMap::new();
    for &(hs, he) in &households {
        household_size.insert(b.voters[hs as usize].household, (he - hs) as usize);
    }
    b.as_of = second;
    while added < target_new {
        if b.rng.chance(0.35) {
            let (hs, he) = households[b.rng.index(households.len())];
            let parent = b.voters[hs as usize];
            let sz = household_size.get(&parent.household).copied().unwrap_or(1);
            if sz >= 5
                || (hs..he).any(|i| changed[i as usize])
                || parent.status != Status::Active
                || parent.age_on(first) < 40
                || parent.confidential
            {
                continue;
            }
            household_size.insert(parent.household, sz + 1);
            let t = HouseholdTraits {
                race: parent.race,
                ethnic: parent.ethnic,
                group: match (parent.ethnic, parent.race) {
                    (Ethnicity::Hispanic, _) => Group::Hispanic,
                    (_, b'A') => Group::Asian,
                    _ => Group::General,
                },
            };
            let spec = PersonSpec {
                age: 18,
                female: b.rng.chance(0.5),
                last: parent.last,
                last2: parent.last2,
                suffix: SUFFIX_NONE,
                first: None,
                party: None,
            };
            let addr = (parent.street, parent.house_number, parent.unit);
            let mut v = b.person(&spec, &t, parent.county, addr, parent.household);
            // Born so that the 18th birthday falls before the registration date.
            v.birth_date = first.checked_sub_months(Months::new(216)).expect("date")
                - Days::new(b.rng.between(1, 200));
            v.registr_dt = date_between(&mut b.rng, first, second);
            finish_new(b, counters, &mut v);
            b.voters.push(v);
            added += 1;
        } else {
            let county = b.voters[b.rng.index(n1)].county;
            let addr = vacant_address(b, county);
            let apt = b.geo.streets[addr.0 as usize].unit_style != UnitStyle::None;
            let start = b.voters.len();
            b.household(county, addr, (target_new - added).max(1), apt);
            for i in start..b.voters.len() {
                let mut v = b.voters[i];
                v.registr_dt = date_between(&mut b.rng, first, second);
                finish_new(b, counters, &mut v);
                b.voters[i] = v;
            }
            added += b.voters.len() - start;
        }
    }
    changes.sort_unstable_by_key(|c| c.voter);
    changes
}

fn finish_new(b: &mut Builder<'_>, counters: &mut Counters, v: &mut DemoVoter) {
    let c = v.county;
    v.status = Status::Active;
    v.reason = Reason::Verified;
    v.reg_num = counters.next_reg(&mut b.rng, c);
    v.ncid_num = counters.next_ncid(&mut b.rng, c);
    v.ncid_prefix = b.geo.counties[usize::from(c)].ncid_prefix;
    // Never before the 18th birthday.
    let eighteen = v
        .birth_date
        .checked_add_months(Months::new(216))
        .expect("date");
    v.registr_dt = v.registr_dt.max(eighteen);
    // A newcomer's propensity history starts now.
    v.propensity = v.propensity.min(60);
}
