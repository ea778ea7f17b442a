//! Household-based population of the demo's first snapshot: ages, names, parties, statuses,
//! phones and propensities drawn per person, households placed on street segments (leaving
//! vacant slots for later moves), registration numbers and NCIDs assigned by county.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::delta::second_snapshot;
use super::{
    DemoVoter, Ethnicity, MALFORMED_PHONES, MailKind, NO_NAME, PHONE_MALFORMED_BASE, Party, Reason,
    Status, VoterChange,
};
use crate::geography::{Geography, UnitStyle};
use crate::names::{Group, NameBook, SUFFIX_JR, SUFFIX_NONE, SUFFIX_SR};
use crate::rng::{Draw, MainRng};

/// Output of population: voters, changes and counters.
pub(crate) struct Population {
    pub voters: Vec<DemoVoter>,
    pub first_count: usize,
    pub changes: Vec<VoterChange>,
}

/// Per-county counters for registration numbers and NCIDs.
pub(super) struct Counters {
    pub(super) reg: Vec<u32>,
    pub(super) ncid: Vec<u32>,
}

impl Counters {
    pub(super) fn next_reg(&mut self, rng: &mut MainRng, county: u16) -> u32 {
        let c = &mut self.reg[usize::from(county)];
        *c += 1 + rng.below(3) as u32;
        *c
    }
    /// The NCID number of a new registration in the second snapshot. Numbers ending in 373
    /// are skipped: they mark the first-snapshot voters who re-register under a new NCID in
    /// the refresh ([`crate::reissued`]), and a new registration has no earlier record, so
    /// its files (contacts among them) would name an id the rewritten snapshot no longer has.
    pub(super) fn next_ncid(&mut self, rng: &mut MainRng, county: u16) -> u32 {
        let c = &mut self.ncid[usize::from(county)];
        *c += 1 + rng.below(2) as u32;
        if *c % 1000 == 373 {
            *c += 1;
        }
        *c
    }
}

fn sample_age(rng: &mut MainRng) -> u32 {
    const BANDS: [(u32, u32, u32); 8] = [
        (18, 24, 90),
        (25, 34, 150),
        (35, 44, 150),
        (45, 54, 150),
        (55, 64, 170),
        (65, 74, 160),
        (75, 84, 90),
        (85, 99, 40),
    ];
    let w: Vec<u32> = BANDS.iter().map(|b| b.2).collect();
    let (lo, hi, _) = BANDS[rng.weighted(&w)];
    rng.between(u64::from(lo), u64::from(hi)) as u32
}

fn birth_for_age(rng: &mut MainRng, as_of: NaiveDate, age: u32) -> NaiveDate {
    let base = as_of
        .checked_sub_months(Months::new(12 * age))
        .expect("date");
    base - Days::new(rng.between(1, 364))
}

/// Registration date after the 18th birthday and before `as_of`.
fn registration_date(rng: &mut MainRng, birth: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let eighteen = birth.checked_add_months(Months::new(216)).expect("date");
    let last = as_of - Days::new(1);
    if eighteen >= last {
        return last;
    }
    let span = (last - eighteen).num_days() as u64;
    let back = if rng.chance(0.45) {
        rng.below(span.min(8 * 365) + 1)
    } else {
        rng.below(span + 1)
    };
    let mut d = last - Days::new(back);
    // Registration drives cluster before general elections (September-October of even years).
    if rng.chance(0.25)
        && d.year() % 2 == 0
        && d.month() < 9
        && let Some(x) =
            NaiveDate::from_ymd_opt(d.year(), 9 + rng.below(2) as u32, 1 + rng.below(28) as u32)
        && x > eighteen
        && x < last
    {
        d = x;
    }
    d
}

pub(super) struct HouseholdTraits {
    pub(super) race: u8,
    pub(super) ethnic: Ethnicity,
    pub(super) group: Group,
}

fn household_traits(rng: &mut MainRng, geo: &Geography, county: u16) -> HouseholdTraits {
    let c = &geo.counties[usize::from(county)];
    let u = rng.unit();
    let mut acc = c.hispanic_share;
    if u < acc {
        let race = [b'W', b'O', b'U', b'W', b'O'][rng.index(5)];
        let ethnic = if rng.chance(0.9) {
            Ethnicity::Hispanic
        } else {
            Ethnicity::Undesignated
        };
        let group = if ethnic == Ethnicity::Hispanic {
            Group::Hispanic
        } else {
            Group::General
        };
        return HouseholdTraits {
            race,
            ethnic,
            group,
        };
    }
    let eth = |rng: &mut MainRng| {
        if rng.chance(0.72) {
            Ethnicity::NotHispanic
        } else {
            Ethnicity::Undesignated
        }
    };
    acc += c.asian_share;
    if u < acc {
        return HouseholdTraits {
            race: b'A',
            ethnic: eth(rng),
            group: Group::Asian,
        };
    }
    acc += c.black_share;
    if u < acc {
        return HouseholdTraits {
            race: b'B',
            ethnic: eth(rng),
            group: Group::General,
        };
    }
    acc += c.indian_share;
    if u < acc {
        return HouseholdTraits {
            race: b'I',
            ethnic: eth(rng),
            group: Group::General,
        };
    }
    let race = match rng.index(1000) {
        0..=24 => b'M',
        25..=54 => b'O',
        55..=56 => b'P',
        57..=119 => b'U',
        _ => b'W',
    };
    HouseholdTraits {
        race,
        ethnic: eth(rng),
        group: Group::General,
    }
}

fn sample_party(rng: &mut MainRng, lean: f64, race: u8, ethnic: Ethnicity, age: u32) -> Party {
    let (mut d, mut r, mut u, l, g) = if race == b'B' {
        (76.0, 4.0, 19.0, 0.5, 0.2)
    } else if ethnic == Ethnicity::Hispanic {
        (35.0, 16.0, 48.0, 0.8, 0.2)
    } else if race == b'A' {
        (33.0, 14.0, 52.0, 0.6, 0.2)
    } else {
        (20.0 + 18.0 * lean, 42.0 - 18.0 * lean, 37.0, 1.0, 0.1)
    };
    if age < 30 {
        u += 18.0;
        d *= 0.85;
        r *= 0.8;
    } else if age >= 65 {
        u *= 0.7;
    }
    let w = [d, r, u, l, g].map(|x: f64| (x.max(0.1) * 10.0) as u32);
    Party::ALL[rng.weighted(&w)]
}

fn sample_status(rng: &mut MainRng) -> (Status, Reason) {
    match rng.index(1000) {
        0..=862 => (Status::Active, Reason::Verified),
        863..=962 => {
            if rng.chance(0.75) {
                (Status::Inactive, Reason::ConfirmationNotReturned)
            } else {
                (Status::Inactive, Reason::ConfirmationUndeliverable)
            }
        }
        963..=988 => {
            let r = [
                Reason::MovedFromCounty,
                Reason::Deceased,
                Reason::MovedFromState,
                Reason::InactiveTwoElections,
                Reason::Felony,
                Reason::Duplicate,
            ][rng.weighted(&[35, 25, 15, 15, 5, 5])];
            (Status::Removed, r)
        }
        989..=994 => {
            let r = if rng.chance(0.6) {
                Reason::MissingInformation
            } else {
                Reason::VerificationUndeliverable
            };
            (Status::Denied, r)
        }
        _ => {
            let r = if rng.chance(0.5) {
                Reason::Military
            } else {
                Reason::Overseas
            };
            (Status::Temporary, r)
        }
    }
}

fn sample_phone(rng: &mut MainRng, area_codes: &[u16]) -> u64 {
    if rng.chance(0.03) {
        return PHONE_MALFORMED_BASE + rng.index(MALFORMED_PHONES.len()) as u64;
    }
    let area = u64::from(*rng.pick(area_codes));
    let exchange = loop {
        let e = rng.between(200, 999);
        if e % 100 != 11 && e != 555 {
            break e;
        }
    };
    area * 10_000_000 + exchange * 10_000 + rng.below(10_000)
}

fn propensity(rng: &mut MainRng, age: u32, party: Party, status: Status) -> u8 {
    let mut p = 0.25 + (age.min(80) as f64 - 18.0) / 62.0 * 0.45;
    p += match party {
        Party::Dem | Party::Rep => 0.08,
        Party::Una => -0.06,
        _ => -0.02,
    };
    if status == Status::Inactive {
        p -= 0.3;
    }
    p += rng.normalish() * 0.15;
    (p.clamp(0.0, 1.0) * 100.0) as u8
}

/// Everything needed to create one person.
pub(super) struct PersonSpec {
    pub(super) age: u32,
    pub(super) female: bool,
    pub(super) last: u16,
    pub(super) last2: u16,
    pub(super) suffix: u8,
    pub(super) first: Option<u16>,
    pub(super) party: Option<Party>,
}

pub(super) struct Builder<'a> {
    pub(super) geo: &'a mut Geography,
    pub(super) rng: MainRng,
    pub(super) as_of: NaiveDate,
    pub(super) voters: Vec<DemoVoter>,
    pub(super) next_household: u32,
}

impl Builder<'_> {
    pub(super) fn person(
        &mut self,
        spec: &PersonSpec,
        t: &HouseholdTraits,
        county: u16,
        addr: (u32, u32, u16),
        hh: u32,
    ) -> DemoVoter {
        let rng = &mut self.rng;
        let book = NameBook::get();
        let c = &self.geo.counties[usize::from(county)];
        let birth_date = birth_for_age(rng, self.as_of, spec.age);
        let registr_dt = registration_date(rng, birth_date, self.as_of);
        let (status, reason) = sample_status(rng);
        let party = spec
            .party
            .unwrap_or_else(|| sample_party(rng, c.dem_lean, t.race, t.ethnic, spec.age));
        let first = spec
            .first
            .unwrap_or_else(|| book.first_name(rng, spec.female, t.group));
        let middle = if rng.chance(0.88) {
            book.middle_name(rng, spec.female)
        } else {
            NO_NAME
        };
        let gender = if rng.chance(0.035) {
            b'U'
        } else if spec.female {
            b'F'
        } else {
            b'M'
        };
        let birth_state = if rng.chance(0.18) {
            0
        } else if rng.chance(0.55) {
            1
        } else {
            rng.weighted(&[
                0, 0, 12, 10, 12, 8, 8, 7, 6, 6, 5, 5, 5, 4, 4, 4, 3, 3, 2, 2, 2, 6,
            ]) as u8
        };
        let mail = match rng.index(100) {
            0..=87 => MailKind::Residence,
            88..=93 => MailKind::PoBox,
            _ => MailKind::Blank,
        };
        let phone_code = if rng.chance(0.4) {
            sample_phone(rng, &c.area_codes)
        } else {
            0
        };
        let prop = propensity(rng, spec.age, party, status);
        DemoVoter {
            ncid_prefix: c.ncid_prefix,
            ncid_num: 0,
            county,
            reg_num: 0,
            household: hh,
            street: addr.0,
            house_number: addr.1,
            unit: addr.2,
            first,
            middle,
            last: spec.last,
            last2: spec.last2,
            suffix: spec.suffix,
            middle_initial_only: middle != NO_NAME && rng.chance(0.03),
            female: spec.female,
            gender,
            race: t.race,
            ethnic: t.ethnic,
            party,
            status,
            reason,
            birth_date,
            registr_dt,
            birth_state,
            drivers_lic: rng.chance(0.88),
            confidential: rng.chance(0.0004),
            mail,
            po_box: if mail == MailKind::PoBox {
                rng.between(1, 9999) as u16
            } else {
                0
            },
            phone_code,
            propensity: prop,
        }
    }

    /// Generates one household of up to `max` voters at `addr`; returns its voters.
    pub(super) fn household(
        &mut self,
        county: u16,
        addr: (u32, u32, u16),
        max: usize,
        apartment: bool,
    ) -> usize {
        let book = NameBook::get();
        let t = household_traits(&mut self.rng, self.geo, county);
        let rng = &mut self.rng;
        let size = (1 + rng.weighted(if apartment {
            &[52, 33, 10, 4, 1]
        } else {
            &[30, 42, 15, 9, 4]
        }))
        .min(max);
        let hh = self.next_household;
        self.next_household += 1;
        let head_age = if size == 1 {
            sample_age(rng)
        } else {
            sample_age(rng).max(22)
        };
        let head_female = rng.chance(if size == 1 { 0.58 } else { 0.45 });
        let family_last = book.last_name(rng, t.group);
        let mut specs = Vec::with_capacity(size);
        let head_suffix = if head_female {
            SUFFIX_NONE
        } else {
            NameBook::random_suffix(rng)
        };
        specs.push(PersonSpec {
            age: head_age,
            female: head_female,
            last: family_last,
            last2: NO_NAME,
            suffix: head_suffix,
            first: None,
            party: None,
        });
        let roommates =
            size >= 2 && head_age < 35 && rng.chance(if apartment { 0.45 } else { 0.12 });
        if size >= 2 {
            if roommates {
                for _ in 1..size {
                    let age =
                        (head_age as i64 + rng.between(0, 10) as i64 - 5).clamp(18, 40) as u32;
                    let last = book.last_name(rng, t.group);
                    specs.push(PersonSpec {
                        age,
                        female: rng.chance(0.5),
                        last,
                        last2: NO_NAME,
                        suffix: SUFFIX_NONE,
                        first: None,
                        party: None,
                    });
                }
            } else {
                // Partner.
                let age = (head_age as f64 + rng.normalish() * 3.5)
                    .round()
                    .clamp(18.0, 99.0) as u32;
                let female = if rng.chance(0.95) {
                    !head_female
                } else {
                    head_female
                };
                let (last, last2) = match rng.index(100) {
                    0..=81 => (family_last, NO_NAME),
                    82..=85 => (book.last_name(rng, t.group), family_last),
                    _ => (book.last_name(rng, t.group), NO_NAME),
                };
                let suffix = if female {
                    SUFFIX_NONE
                } else {
                    NameBook::random_suffix(rng)
                };
                specs.push(PersonSpec {
                    age,
                    female,
                    last,
                    last2,
                    suffix,
                    first: None,
                    party: None,
                });
                // Adult children or relatives.
                for _ in 2..size {
                    let parent_age = head_age.max(age);
                    let female = rng.chance(0.5);
                    if parent_age >= 40 {
                        let child_age = (parent_age - rng.between(20, 36) as u32).max(18);
                        let father = specs.iter().position(|s| !s.female);
                        let mut spec = PersonSpec {
                            age: child_age,
                            female,
                            last: family_last,
                            last2: NO_NAME,
                            suffix: SUFFIX_NONE,
                            first: None,
                            party: None,
                        };
                        if !female
                            && let Some(f) = father
                            && specs[f].suffix == SUFFIX_NONE
                            && rng.chance(0.25)
                        {
                            spec.first = Some(book.first_name(rng, false, t.group));
                            specs[f].suffix = if rng.chance(0.5) {
                                SUFFIX_SR
                            } else {
                                SUFFIX_NONE
                            };
                            spec.suffix = SUFFIX_JR;
                        }
                        specs.push(spec);
                    } else {
                        // A sibling or parent of the head living with the couple.
                        let age = if rng.chance(0.5) {
                            (head_age + 25).min(95)
                        } else {
                            head_age
                        };
                        specs.push(PersonSpec {
                            age,
                            female,
                            last: family_last,
                            last2: NO_NAME,
                            suffix: SUFFIX_NONE,
                            first: None,
                            party: None,
                        });
                    }
                }
            }
        }
        // Share a landline for some families.
        let shared_phone = !roommates && size > 1 && self.rng.chance(0.3);
        let mut first_phone = 0;
        for (k, spec) in specs.iter().enumerate() {
            let mut v = self.person(spec, &t, county, addr, hh);
            if spec.suffix == SUFFIX_JR && !spec.female {
                // A JR carries the father's first name.
                if let Some(f) = self
                    .voters
                    .iter()
                    .rev()
                    .take(k)
                    .find(|x| !x.female && x.household == hh)
                {
                    v.first = f.first;
                }
            }
            if shared_phone {
                if k == 0 {
                    first_phone = v.phone_code;
                } else if first_phone != 0 && self.rng.chance(0.7) {
                    v.phone_code = first_phone;
                }
            }
            // Spouses tend to share the party.
            if k == 1 && !roommates && self.rng.chance(0.65) {
                let head = self.voters[self.voters.len() - 1];
                v.party = head.party;
            }
            self.voters.push(v);
        }
        specs.len()
    }

    /// Next free address on street `s` (None when full).
    pub(super) fn take_slot(&mut self, s: u32) -> Option<(u32, u32, u16)> {
        let st = &mut self.geo.streets[s as usize];
        if st.used >= st.capacity() {
            return None;
        }
        let (h, u) = st.slot(st.used);
        st.used += 1;
        Some((s, h, u))
    }
}

/// Populates the first snapshot and derives the second.
pub(crate) fn populate(
    geo: &mut Geography,
    seed: u64,
    first: NaiveDate,
    second: NaiveDate,
) -> Population {
    let mut b = Builder {
        geo,
        rng: MainRng::new(seed, 2),
        as_of: first,
        voters: Vec::new(),
        next_household: 0,
    };
    let n_precincts = b.geo.precincts.len();
    for p in 0..n_precincts {
        let planned = b.geo.precincts[p].planned_voters as usize;
        let county = b.geo.precincts[p].county;
        let muni = b.geo.precincts[p].in_municipality;
        let start = b.geo.streets.len() as u32;
        let mut placed = 0usize;
        let mut house_street: Option<u32> = None;
        let mut apt_street: Option<u32> = None;
        while placed < planned {
            let apartment = muni && b.rng.chance(0.22);
            let slot = loop {
                let cur = if apartment { apt_street } else { house_street };
                if let Some(s) = cur
                    && let Some(slot) = {
                        // Leave about a quarter of each street vacant for later moves.
                        let st = &b.geo.streets[s as usize];
                        if st.used * 4 < st.capacity() * 3 {
                            b.take_slot(s)
                        } else {
                            None
                        }
                    }
                {
                    break slot;
                }
                let hh = if apartment {
                    24 + b.rng.below(90) as u32
                } else {
                    8 + b.rng.below(50) as u32
                };
                let s = b.geo.add_street(&mut b.rng, p as u32, hh);
                if b.geo.streets[s as usize].unit_style == UnitStyle::None {
                    house_street = Some(s);
                    if apartment {
                        apt_street = Some(s);
                    }
                } else {
                    apt_street = Some(s);
                }
            };
            let apt = b.geo.streets[slot.0 as usize].unit_style != UnitStyle::None;
            placed += b.household(county, slot, planned - placed, apt);
        }
        let end = b.geo.streets.len() as u32;
        let prec = &mut b.geo.precincts[p];
        prec.streets = start..end;
    }
    assign_ids(&mut b);
    let first_count = b.voters.len();
    let mut counters = Counters {
        reg: vec![0; b.geo.counties.len()],
        ncid: vec![0; b.geo.counties.len()],
    };
    for v in &b.voters {
        let c = usize::from(v.county);
        counters.reg[c] = counters.reg[c].max(v.reg_num);
    }
    for (c, county) in b.geo.counties.iter().enumerate() {
        counters.ncid[c] = b
            .voters
            .iter()
            .filter(|v| v.ncid_prefix == county.ncid_prefix)
            .map(|v| v.ncid_num)
            .max()
            .unwrap_or(0);
    }
    let changes = second_snapshot(&mut b, &mut counters, first, second);
    Population {
        voters: b.voters,
        first_count,
        changes,
    }
}

/// Assigns registration numbers (ascending with registration date within a county) and NCIDs.
fn assign_ids(b: &mut Builder<'_>) {
    let n_counties = b.geo.counties.len();
    let mut order: Vec<u32> = (0..b.voters.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let v = &b.voters[i as usize];
        (v.county, v.registr_dt, i)
    });
    let mut reg = vec![0u32; n_counties];
    let mut ncid = vec![0u32; n_counties];
    for c in 0..n_counties {
        reg[c] = 1_000 + b.rng.below(20_000) as u32;
        ncid[c] = 1_000 + b.rng.below(9_000) as u32;
    }
    for &i in &order {
        let county = b.voters[i as usize].county;
        let c = usize::from(county);
        reg[c] += 1 + b.rng.below(3) as u32;
        // About one voter in ten was first registered in another county.
        let origin = if b.rng.chance(0.1) {
            b.rng.index(n_counties)
        } else {
            c
        };
        ncid[origin] += 1 + b.rng.below(2) as u32;
        let v = &mut b.voters[i as usize];
        v.reg_num = reg[c];
        v.ncid_num = ncid[origin];
        v.ncid_prefix = b.geo.counties[origin].ncid_prefix;
    }
}

/// A random vacant address in `county`.
pub(super) fn vacant_address(b: &mut Builder<'_>, county: u16) -> (u32, u32, u16) {
    let range = b.geo.counties[usize::from(county)].precincts.clone();
    loop {
        let p = range.start + b.rng.below(u64::from(range.end - range.start)) as u32;
        let streets = b.geo.precincts[p as usize].streets.clone();
        if streets.is_empty() {
            continue;
        }
        let s = streets.start + b.rng.below(u64::from(streets.end - streets.start)) as u32;
        if let Some(slot) = b.take_slot(s) {
            return slot;
        }
    }
}

pub(super) fn date_between(rng: &mut MainRng, a: NaiveDate, b: NaiveDate) -> NaiveDate {
    let span = (b - a).num_days().max(2) as u64;
    a + Days::new(rng.between(1, span - 1))
}
