//! Demo voters: the compact [`DemoVoter`] record (about 64 bytes, names and addresses stored as
//! indices into the name book and the street list), the code tables of the ncvoter layout
//! (status, reason, party, ethnicity), household-based population of the first snapshot, and the
//! one-month delta that produces the second snapshot ([`VoterChange`]: moves, removals, party,
//! status and name changes; new registrations are appended voters).

mod delta;
mod population;

pub(crate) use population::populate;

use chrono::{Datelike, NaiveDate};

use crate::names::NameBook;

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
    /// Unit code (0 = none), rendered with [`crate::Street::unit_text`].
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
