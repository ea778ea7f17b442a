//! Demo voters: the compact [`DemoVoter`] record (about 64 bytes, names and addresses stored as
//! indices into the name book and the street list), the code tables of the ncvoter layout
//! (status, reason, party, ethnicity), household-based population of the first snapshot, and the
//! one-month delta that produces the second snapshot ([`VoterChange`]: moves, removals, party,
//! status and name changes; new registrations are appended voters).

use chrono::{Datelike, Days, Months, NaiveDate};

use super::geography::{Geography, UnitStyle};
use super::names::{Group, NameBook, SUFFIX_JR, SUFFIX_NONE, SUFFIX_SR};
use super::rng::{Draw, MainRng};

/// Marker for "no name" in a name index field.
pub const NO_NAME: u16 = u16::MAX;

/// Registration status (`status_cd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `A` ACTIVE.
    Active,
    /// `I` INACTIVE.
    Inactive,
    /// `R` REMOVED.
    Removed,
    /// `D` DENIED.
    Denied,
    /// `S` TEMPORARY (military and overseas).
    Temporary,
}

impl Status {
    /// `status_cd` value.
    pub fn code(self) -> &'static str {
        match self {
            Status::Active => "A",
            Status::Inactive => "I",
            Status::Removed => "R",
            Status::Denied => "D",
            Status::Temporary => "S",
        }
    }

    /// `voter_status_desc` value.
    pub fn desc(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::Inactive => "INACTIVE",
            Status::Removed => "REMOVED",
            Status::Denied => "DENIED",
            Status::Temporary => "TEMPORARY",
        }
    }
}

/// Registration status reason (`reason_cd`, `voter_status_reason_desc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `AV` VERIFIED (active).
    Verified,
    /// `IN` CONFIRMATION NOT RETURNED (inactive).
    ConfirmationNotReturned,
    /// `IU` CONFIRMATION RETURNED UNDELIVERABLE (inactive).
    ConfirmationUndeliverable,
    /// `RL` MOVED FROM COUNTY (removed).
    MovedFromCounty,
    /// `RD` DECEASED (removed).
    Deceased,
    /// `RS` MOVED FROM STATE (removed).
    MovedFromState,
    /// `RF` FELONY CONVICTION (removed).
    Felony,
    /// `RM` REMOVED AFTER 2 FED GENERAL ELECTIONS IN INACTIVE STATUS (removed).
    InactiveTwoElections,
    /// `R2` DUPLICATE (removed).
    Duplicate,
    /// `DI` UNAVAILABLE ESSENTIAL INFORMATION (denied).
    MissingInformation,
    /// `DU` VERIFICATION RETURNED UNDELIVERABLE (denied).
    VerificationUndeliverable,
    /// `SM` MILITARY (temporary).
    Military,
    /// `SO` OVERSEAS CITIZEN (temporary).
    Overseas,
}

impl Reason {
    /// `reason_cd` value.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Verified => "AV",
            Reason::ConfirmationNotReturned => "IN",
            Reason::ConfirmationUndeliverable => "IU",
            Reason::MovedFromCounty => "RL",
            Reason::Deceased => "RD",
            Reason::MovedFromState => "RS",
            Reason::Felony => "RF",
            Reason::InactiveTwoElections => "RM",
            Reason::Duplicate => "R2",
            Reason::MissingInformation => "DI",
            Reason::VerificationUndeliverable => "DU",
            Reason::Military => "SM",
            Reason::Overseas => "SO",
        }
    }

    /// `voter_status_reason_desc` value.
    pub fn desc(self) -> &'static str {
        match self {
            Reason::Verified => "VERIFIED",
            Reason::ConfirmationNotReturned => "CONFIRMATION NOT RETURNED",
            Reason::ConfirmationUndeliverable => "CONFIRMATION RETURNED UNDELIVERABLE",
            Reason::MovedFromCounty => "MOVED FROM COUNTY",
            Reason::Deceased => "DECEASED",
            Reason::MovedFromState => "MOVED FROM STATE",
            Reason::Felony => "FELONY CONVICTION",
            Reason::InactiveTwoElections => {
                "REMOVED AFTER 2 FED GENERAL ELECTIONS IN INACTIVE STATUS"
            }
            Reason::Duplicate => "DUPLICATE",
            Reason::MissingInformation => "UNAVAILABLE ESSENTIAL INFORMATION",
            Reason::VerificationUndeliverable => "VERIFICATION RETURNED UNDELIVERABLE",
            Reason::Military => "MILITARY",
            Reason::Overseas => "OVERSEAS CITIZEN",
        }
    }
}

/// Registered party (`party_cd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// `DEM`.
    Dem,
    /// `REP`.
    Rep,
    /// `UNA` unaffiliated.
    Una,
    /// `LIB`.
    Lib,
    /// `GRE`.
    Gre,
}

impl Party {
    /// All parties, in code order used by weight tables.
    pub const ALL: [Party; 5] = [Party::Dem, Party::Rep, Party::Una, Party::Lib, Party::Gre];

    /// `party_cd` value.
    pub fn code(self) -> &'static str {
        match self {
            Party::Dem => "DEM",
            Party::Rep => "REP",
            Party::Una => "UNA",
            Party::Lib => "LIB",
            Party::Gre => "GRE",
        }
    }

    /// Party name as in ncvhis `voted_party_desc`.
    pub fn desc(self) -> &'static str {
        match self {
            Party::Dem => "DEMOCRATIC",
            Party::Rep => "REPUBLICAN",
            Party::Una => "UNAFFILIATED",
            Party::Lib => "LIBERTARIAN",
            Party::Gre => "GREEN",
        }
    }
}

/// Ethnicity (`ethnic_code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ethnicity {
    /// `HL` HISPANIC or LATINO.
    Hispanic,
    /// `NL` NOT HISPANIC or NOT LATINO.
    NotHispanic,
    /// `UN` UNDESIGNATED.
    Undesignated,
}

impl Ethnicity {
    /// `ethnic_code` value.
    pub fn code(self) -> &'static str {
        match self {
            Ethnicity::Hispanic => "HL",
            Ethnicity::NotHispanic => "NL",
            Ethnicity::Undesignated => "UN",
        }
    }
}

/// Mailing-address kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// Mailing address equals the residence.
    Residence,
    /// A post-office box in the residence city (`PO BOX n`, number in `DemoVoter::po_box`).
    PoBox,
    /// No mailing address (all mail columns blank).
    Blank,
}

/// Birth states written in `birth_state` (index 0 = blank).
pub const BIRTH_STATES: [&str; 22] = [
    "", "NC", "VA", "SC", "NY", "PA", "FL", "GA", "OH", "NJ", "CA", "TX", "MD", "MI", "IL", "TN",
    "WV", "MA", "DC", "KY", "AL", "OC",
];

const MALFORMED_PHONES: [&str; 7] = [
    "555",
    "000000000",
    "0000000000",
    "9195551",
    "1234567890",
    "99999999999",
    "336555",
];
const PHONE_MALFORMED_BASE: u64 = 1 << 60;

/// One demo registration, compact (about 64 bytes). Names are indices into [`NameBook`], the
/// address is a street index plus house number and unit code. Values describe the first
/// snapshot; the second snapshot applies [`VoterChange`]s (see `DemoState::second_snapshot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoVoter {
    /// NCID prefix letters (county of first registration).
    pub ncid_prefix: [u8; 2],
    /// NCID number; written zero-padded to at least 6 digits after the prefix.
    pub ncid_num: u32,
    /// Index of the county of registration.
    pub county: u16,
    /// `voter_reg_num` (unique within the county), written zero-padded to 12 digits.
    pub reg_num: u32,
    /// Household id: voters sharing it live at the same address.
    pub household: u32,
    /// Index into `DemoState::streets`.
    pub street: u32,
    /// House number (within the street's range).
    pub house_number: u32,
    /// Unit code (0 = none), rendered with [`super::Street::unit_text`].
    pub unit: u16,
    /// First name (given-name index).
    pub first: u16,
    /// Middle name (given-name index) or [`NO_NAME`].
    pub middle: u16,
    /// Last name (surname index).
    pub last: u16,
    /// Second part of a hyphenated last name, or [`NO_NAME`].
    pub last2: u16,
    /// Suffix code, see [`NameBook::suffix`].
    pub suffix: u8,
    /// Whether only the middle initial is recorded.
    pub middle_initial_only: bool,
    /// Sex used to draw the names (true = female).
    pub female: bool,
    /// `gender_code` as ASCII (`F`, `M`, `U`).
    pub gender: u8,
    /// `race_code` as ASCII (`W`, `B`, `A`, `I`, `M`, `O`, `P`, `U`).
    pub race: u8,
    /// Ethnicity.
    pub ethnic: Ethnicity,
    /// Party.
    pub party: Party,
    /// Status.
    pub status: Status,
    /// Status reason.
    pub reason: Reason,
    /// Date of birth (not written; drives `birth_year`, `age_at_year_end`, `registr_dt`).
    pub birth_date: NaiveDate,
    /// `registr_dt`.
    pub registr_dt: NaiveDate,
    /// Index into [`BIRTH_STATES`].
    pub birth_state: u8,
    /// `drivers_lic` Y/N.
    pub drivers_lic: bool,
    /// `confidential_ind` Y: address columns are suppressed in the files.
    pub confidential: bool,
    /// Mailing-address kind.
    pub mail: MailKind,
    /// PO box number when `mail` is `PoBox`.
    pub po_box: u16,
    /// Encoded phone: 0 none, a 10-digit number, or a malformed entry (see [`DemoVoter::phone`]).
    pub phone_code: u64,
    /// Turnout propensity 0..=100 (drives vote history; reusable by later generators).
    pub propensity: u8,
}

impl DemoVoter {
    /// The NCID, e.g. `AC031245`.
    pub fn ncid(&self) -> String {
        format!(
            "{}{}{:06}",
            self.ncid_prefix[0] as char, self.ncid_prefix[1] as char, self.ncid_num
        )
    }

    /// `full_phone_number` as written (None when blank). Mostly valid NANP numbers, a few
    /// deliberately malformed ones.
    pub fn phone(&self) -> Option<String> {
        match self.phone_code {
            0 => None,
            c if c >= PHONE_MALFORMED_BASE => {
                Some(MALFORMED_PHONES[(c - PHONE_MALFORMED_BASE) as usize].to_string())
            }
            c => Some(format!("{c:010}")),
        }
    }

    /// Birth year.
    pub fn birth_year(&self) -> i32 {
        self.birth_date.year()
    }

    /// Age on `date`.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        date.years_since(self.birth_date).unwrap_or(0)
    }

    /// Last name as written (hyphenated when `last2` is set).
    pub fn last_name(&self) -> String {
        let b = NameBook::get();
        if self.last2 == NO_NAME {
            b.surname(self.last).to_string()
        } else {
            format!("{}-{}", b.surname(self.last), b.surname(self.last2))
        }
    }
}

/// A change between the first and the second snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Moved to a new address (the whole household moves together). When `county` differs from
    /// the old county the voter has a new `reg_num` and `registr_dt` in the new county; the NCID
    /// is kept (it is statewide).
    Moved {
        /// New county index.
        county: u16,
        /// `voter_reg_num` in the new county (unchanged for moves within the county).
        reg_num: u32,
        /// New street.
        street: u32,
        /// New house number.
        house_number: u32,
        /// New unit code.
        unit: u16,
        /// Registration date (new for cross-county moves).
        registr_dt: NaiveDate,
    },
    /// Status set to REMOVED with this reason.
    Removed(Reason),
    /// No longer in the file (an old removed record purged).
    Dropped,
    /// Party switch.
    PartySwitch(Party),
    /// Status change (e.g. ACTIVE to INACTIVE).
    StatusChange(Status, Reason),
    /// Last name changed (marriage): new surname index and hyphen part.
    NameChange {
        /// New surname index.
        last: u16,
        /// Hyphenated second part or [`NO_NAME`].
        last2: u16,
    },
}

/// A change applied to one voter of the first snapshot (at most one per voter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoterChange {
    /// Index into `DemoState::voters`.
    pub voter: u32,
    /// What changed.
    pub change: Change,
}

impl VoterChange {
    /// The voter after the change, or None if the record left the file.
    pub fn apply(&self, v: &DemoVoter) -> Option<DemoVoter> {
        let mut v = *v;
        match self.change {
            Change::Moved {
                county,
                reg_num,
                street,
                house_number,
                unit,
                registr_dt,
            } => {
                if county != v.county {
                    v.status = Status::Active;
                    v.reason = Reason::Verified;
                }
                v.county = county;
                v.reg_num = reg_num;
                v.street = street;
                v.house_number = house_number;
                v.unit = unit;
                v.registr_dt = registr_dt;
            }
            Change::Removed(r) => {
                v.status = Status::Removed;
                v.reason = r;
            }
            Change::Dropped => return None,
            Change::PartySwitch(p) => v.party = p,
            Change::StatusChange(s, r) => {
                v.status = s;
                v.reason = r;
            }
            Change::NameChange { last, last2 } => {
                v.last = last;
                v.last2 = last2;
            }
        }
        Some(v)
    }
}

/// Output of population: voters, changes and counters.
pub(crate) struct Population {
    pub voters: Vec<DemoVoter>,
    pub first_count: usize,
    pub changes: Vec<VoterChange>,
}

/// Per-county counters for registration numbers and NCIDs.
struct Counters {
    reg: Vec<u32>,
    ncid: Vec<u32>,
}

impl Counters {
    fn next_reg(&mut self, rng: &mut MainRng, county: u16) -> u32 {
        let c = &mut self.reg[usize::from(county)];
        *c += 1 + rng.below(3) as u32;
        *c
    }
    fn next_ncid(&mut self, rng: &mut MainRng, county: u16) -> u32 {
        let c = &mut self.ncid[usize::from(county)];
        *c += 1 + rng.below(2) as u32;
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

struct HouseholdTraits {
    race: u8,
    ethnic: Ethnicity,
    group: Group,
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
struct PersonSpec {
    age: u32,
    female: bool,
    last: u16,
    last2: u16,
    suffix: u8,
    first: Option<u16>,
    party: Option<Party>,
}

struct Builder<'a> {
    geo: &'a mut Geography,
    rng: MainRng,
    as_of: NaiveDate,
    voters: Vec<DemoVoter>,
    next_household: u32,
}

impl Builder<'_> {
    fn person(
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
    fn household(
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
    fn take_slot(&mut self, s: u32) -> Option<(u32, u32, u16)> {
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
fn vacant_address(b: &mut Builder<'_>, county: u16) -> (u32, u32, u16) {
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

fn date_between(rng: &mut MainRng, a: NaiveDate, b: NaiveDate) -> NaiveDate {
    let span = (b - a).num_days().max(2) as u64;
    a + Days::new(rng.between(1, span - 1))
}

fn second_snapshot(
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
