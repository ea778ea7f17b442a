//! A voter as votebase keeps it: the state's id, the normalised fields beside the raw
//! values they came from, and the enumerations for status, party and gender. The field
//! list here is the column list of the `voters` table in both stores.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Registration status, as the states report it (NC's `status_cd`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VoterStatus {
    /// A: active.
    Active,
    /// I: inactive (mail returned, no contact); still eligible.
    Inactive,
    /// D: denied.
    Denied,
    /// R: removed from the rolls.
    Removed,
    /// S: temporary (e.g. overseas or military).
    Temporary,
    /// A code the layout did not map.
    #[default]
    Unknown,
}

impl VoterStatus {
    /// All statuses, in display order.
    pub const ALL: [VoterStatus; 6] = [
        Self::Active,
        Self::Inactive,
        Self::Denied,
        Self::Removed,
        Self::Temporary,
        Self::Unknown,
    ];

    /// The stable snake_case code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
            Self::Denied => "denied",
            Self::Removed => "removed",
            Self::Temporary => "temporary",
            Self::Unknown => "unknown",
        }
    }

    /// Parses a stored code; anything else is `Unknown`.
    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or(Self::Unknown)
    }
}

/// Party of registration, reduced to the parties every state knows; the state's own
/// code is kept beside it in [`VoterRecord::party_code`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// Democratic.
    Dem,
    /// Republican.
    Rep,
    /// Libertarian.
    Lib,
    /// Green.
    Green,
    /// Constitution.
    Constitution,
    /// Unaffiliated / no party / independent.
    Unaffiliated,
    /// Any other party.
    Other,
    /// No party value in the file.
    #[default]
    Unknown,
}

impl Party {
    /// All parties, in display order.
    pub const ALL: [Party; 8] = [
        Self::Dem,
        Self::Rep,
        Self::Lib,
        Self::Green,
        Self::Constitution,
        Self::Unaffiliated,
        Self::Other,
        Self::Unknown,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Dem => "dem",
            Self::Rep => "rep",
            Self::Lib => "lib",
            Self::Green => "green",
            Self::Constitution => "constitution",
            Self::Unaffiliated => "unaffiliated",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }

    /// Parses a stored code; anything else is `Unknown`.
    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .unwrap_or(Self::Unknown)
    }
}

/// Gender as the file reports it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// F.
    Female,
    /// M.
    Male,
    /// Another value the state reports (NC: U undesignated).
    Other,
    /// No value.
    #[default]
    Unknown,
}

impl Gender {
    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }

    /// Parses a stored code; anything else is `Unknown`.
    pub fn from_code(code: &str) -> Self {
        match code {
            "female" => Self::Female,
            "male" => Self::Male,
            "other" => Self::Other,
            _ => Self::Unknown,
        }
    }
}

/// A residential address split into USPS parts, with the raw text it came from.
/// Empty strings mean "absent".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// The address line exactly as the file had it.
    pub raw: String,
    /// House number, digits plus any fraction or letter (`123`, `12B`, `7 1/2`).
    pub house_number: String,
    /// Pre-direction, USPS abbreviation (`N`, `SW`).
    pub pre_direction: String,
    /// Street name, upper case (`MAIN`, `MARTIN LUTHER KING JR`).
    pub street_name: String,
    /// Street suffix, USPS abbreviation (`ST`, `AVE`).
    pub street_suffix: String,
    /// Post-direction, USPS abbreviation.
    pub post_direction: String,
    /// Unit designator, USPS abbreviation (`APT`, `STE`, `#`).
    pub unit_type: String,
    /// Unit number (`4B`).
    pub unit: String,
    /// City, upper case.
    pub city: String,
    /// Two-letter state.
    pub state: String,
    /// Five-digit ZIP.
    pub zip5: String,
    /// ZIP+4 extension, four digits.
    pub zip4: String,
}

impl Address {
    /// The normalised first line: `123 N MAIN ST APT 4`.
    pub fn line1(&self) -> String {
        [
            self.house_number.as_str(),
            &self.pre_direction,
            &self.street_name,
            &self.street_suffix,
            &self.post_direction,
            &self.unit_type,
            &self.unit,
        ]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// A phone number: the raw text, and its E.164 form when the number is possible.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Phone {
    /// As the file had it.
    pub raw: String,
    /// `+19195551234`, or empty when the number is not a valid one.
    pub e164: String,
}

impl Phone {
    /// True when the raw value was present but could not be made E.164: flagged, kept.
    pub fn is_invalid(&self) -> bool {
        !self.raw.trim().is_empty() && self.e164.is_empty()
    }
}

/// One voter's registration as of one snapshot, normalised.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VoterRecord {
    /// The statewide voter id (NC: `ncid`). The key across snapshots.
    pub state_voter_id: String,
    /// County id as the state numbers counties (NC: 1–100).
    pub county_code: String,
    /// County name, upper case.
    pub county_name: String,
    /// County-level registration number (NC: `voter_reg_num`).
    pub local_voter_id: String,
    /// Normalised status.
    pub status: VoterStatus,
    /// The state's status reason code (NC: `reason_cd`), verbatim.
    pub status_reason: String,
    /// Given name, normalised (NFC, upper case, trimmed).
    pub first_name: String,
    /// Middle name(s), normalised.
    pub middle_name: String,
    /// Surname, normalised.
    pub last_name: String,
    /// Suffix, normalised (`JR`, `SR`, `II`, `III`, `IV`).
    pub name_suffix: String,
    /// The name parts joined exactly as the file had them.
    pub raw_name: String,
    /// Residential address.
    pub address: Address,
    /// Mailing address, joined lines as given.
    pub mail_address: String,
    /// Phone.
    pub phone: Phone,
    /// Birth year (NC publishes the year only).
    pub birth_year: Option<i32>,
    /// Full birth date where the state publishes it.
    pub birth_date: Option<NaiveDate>,
    /// Gender.
    pub gender: Gender,
    /// Race code as the state reports it.
    pub race: String,
    /// Ethnicity code as the state reports it.
    pub ethnicity: String,
    /// Party, normalised.
    pub party: Party,
    /// The state's own party code (`DEM`, `UNA`, …).
    pub party_code: String,
    /// Registration date.
    pub registration_date: Option<NaiveDate>,
    /// Precinct code.
    pub precinct_code: String,
    /// Precinct name.
    pub precinct_name: String,
    /// Congressional district.
    pub congressional_district: String,
    /// State senate district.
    pub state_senate_district: String,
    /// State house district.
    pub state_house_district: String,
    /// Municipality.
    pub municipality: String,
    /// Every other column the layout keeps, by source column name.
    pub extra: BTreeMap<String, String>,
}

impl VoterRecord {
    /// "FIRST MIDDLE LAST SUFFIX", for display.
    pub fn display_name(&self) -> String {
        [
            self.first_name.as_str(),
            &self.middle_name,
            &self.last_name,
            &self.name_suffix,
        ]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// Age at the end of `year`, from the birth date or birth year.
    pub fn age_at_year_end(&self, year: i32) -> Option<i32> {
        self.birth_date
            .map(|d| chrono::Datelike::year(&d))
            .or(self.birth_year)
            .map(|b| year - b)
    }
}

/// The fields of a voter that universes select on (geography, party, status, gender,
/// birth and registration dates), read from the store without the rest of the record:
/// what the universe index is built from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VoterFacets {
    /// The statewide voter id.
    pub state_voter_id: String,
    /// County name.
    pub county_name: String,
    /// Precinct code.
    pub precinct_code: String,
    /// Congressional district.
    pub congressional_district: String,
    /// State senate district.
    pub state_senate_district: String,
    /// State house district.
    pub state_house_district: String,
    /// Five-digit ZIP of the residence.
    pub zip5: String,
    /// Postal city of the residence.
    pub city: String,
    /// Municipality.
    pub municipality: String,
    /// Party.
    pub party: Party,
    /// Registration status.
    pub status: VoterStatus,
    /// Gender.
    pub gender: Gender,
    /// Birth year, when only the year is known (or as well as the date).
    pub birth_year: Option<i32>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Registration date.
    pub registration_date: Option<NaiveDate>,
}

impl From<&VoterRecord> for VoterFacets {
    fn from(v: &VoterRecord) -> Self {
        VoterFacets {
            state_voter_id: v.state_voter_id.clone(),
            county_name: v.county_name.clone(),
            precinct_code: v.precinct_code.clone(),
            congressional_district: v.congressional_district.clone(),
            state_senate_district: v.state_senate_district.clone(),
            state_house_district: v.state_house_district.clone(),
            zip5: v.address.zip5.clone(),
            city: v.address.city.clone(),
            municipality: v.municipality.clone(),
            party: v.party,
            status: v.status,
            gender: v.gender,
            birth_year: v.birth_year,
            birth_date: v.birth_date,
            registration_date: v.registration_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in VoterStatus::ALL {
            assert_eq!(VoterStatus::from_code(s.code()), s);
        }
        for p in Party::ALL {
            assert_eq!(Party::from_code(p.code()), p);
        }
        for g in [Gender::Female, Gender::Male, Gender::Other, Gender::Unknown] {
            assert_eq!(Gender::from_code(g.code()), g);
        }
        assert_eq!(VoterStatus::from_code("nonsense"), VoterStatus::Unknown);
    }

    #[test]
    fn address_line_skips_empty_parts() {
        let a = Address {
            house_number: "12".into(),
            pre_direction: "N".into(),
            street_name: "MAIN".into(),
            street_suffix: "ST".into(),
            unit_type: "APT".into(),
            unit: "4".into(),
            ..Default::default()
        };
        assert_eq!(a.line1(), "12 N MAIN ST APT 4");
    }

    #[test]
    fn invalid_phone_is_flagged_not_dropped() {
        let p = Phone {
            raw: "555-0000".into(),
            e164: String::new(),
        };
        assert!(p.is_invalid());
        assert!(!Phone::default().is_invalid());
    }
}
