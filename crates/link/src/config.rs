//! The linkage configuration ([`LinkConfig`], read and written as TOML): which CSV column plays
//! which role (first name, surname, date of birth, ...), the blocking rules, the deterministic
//! rules, the match threshold and the training and safety limits. [`infer_config`] builds one
//! from a CSV header alone, so a user can run without a config and save the printed one.

use crate::error::UserError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The default match-probability threshold for pairs and clusters.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

/// Everything that steers a linkage run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// Pairs with a match probability at or above this are written and clustered.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Which column fills which role.
    #[serde(default)]
    pub columns: Columns,
    /// Deterministic rules, applied before the probabilistic model.
    #[serde(default)]
    pub deterministic: Deterministic,
    /// Blocking rules; an empty list means "derive defaults from the columns".
    #[serde(default)]
    pub blocking: Vec<BlockingRule>,
    /// Unsupervised training settings.
    #[serde(default)]
    pub training: Training,
    /// Guards against blocking rules that explode.
    #[serde(default)]
    pub limits: Limits,
}

fn default_threshold() -> f64 {
    DEFAULT_THRESHOLD
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            threshold: DEFAULT_THRESHOLD,
            columns: Columns::default(),
            deterministic: Deterministic::default(),
            blocking: Vec::new(),
            training: Training::default(),
            limits: Limits::default(),
        }
    }
}

/// Column names (as in the CSV header) for each role; `None` means the role is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// A unique row identifier, written in the output (line number if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// First (given) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Middle name or initial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Last name (surname).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Full date of birth (YYYYMMDD, YYYY-MM-DD or MM/DD/YYYY).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Year of birth only (as North Carolina publishes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<String>,
    /// House (street) number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub house_number: Option<String>,
    /// Street address line; a leading house number is split off when no house-number column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Second address line (unit, locality).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    /// City, town or suburb.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// ZIP, ZIP+4 or postcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A person identifier shared across files (state voter id, VANID, SSN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voter_id: Option<String>,
}

/// A matching role, i.e. one of the [`Columns`] fields other than the record id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// First name.
    FirstName,
    /// Middle name.
    MiddleName,
    /// Last name.
    LastName,
    /// Full date of birth.
    BirthDate,
    /// Birth year.
    BirthYear,
    /// House number.
    HouseNumber,
    /// Street.
    Street,
    /// Second address line.
    Address2,
    /// City.
    City,
    /// State.
    State,
    /// ZIP.
    Zip,
    /// Phone.
    Phone,
    /// Email.
    Email,
    /// Shared person identifier.
    VoterId,
}

impl Role {
    /// All roles, in config order.
    pub const ALL: [Role; 14] = [
        Role::FirstName,
        Role::MiddleName,
        Role::LastName,
        Role::BirthDate,
        Role::BirthYear,
        Role::HouseNumber,
        Role::Street,
        Role::Address2,
        Role::City,
        Role::State,
        Role::Zip,
        Role::Phone,
        Role::Email,
        Role::VoterId,
    ];

    /// The config key of the role.
    pub fn key(self) -> &'static str {
        match self {
            Role::FirstName => "first_name",
            Role::MiddleName => "middle_name",
            Role::LastName => "last_name",
            Role::BirthDate => "birth_date",
            Role::BirthYear => "birth_year",
            Role::HouseNumber => "house_number",
            Role::Street => "street",
            Role::Address2 => "address2",
            Role::City => "city",
            Role::State => "state",
            Role::Zip => "zip",
            Role::Phone => "phone",
            Role::Email => "email",
            Role::VoterId => "voter_id",
        }
    }
}

impl Columns {
    /// The column configured for a role.
    pub fn get(&self, role: Role) -> Option<&str> {
        let v = match role {
            Role::FirstName => &self.first_name,
            Role::MiddleName => &self.middle_name,
            Role::LastName => &self.last_name,
            Role::BirthDate => &self.birth_date,
            Role::BirthYear => &self.birth_year,
            Role::HouseNumber => &self.house_number,
            Role::Street => &self.street,
            Role::Address2 => &self.address2,
            Role::City => &self.city,
            Role::State => &self.state,
            Role::Zip => &self.zip,
            Role::Phone => &self.phone,
            Role::Email => &self.email,
            Role::VoterId => &self.voter_id,
        };
        v.as_deref()
    }

    fn slot(&mut self, role: Role) -> &mut Option<String> {
        match role {
            Role::FirstName => &mut self.first_name,
            Role::MiddleName => &mut self.middle_name,
            Role::LastName => &mut self.last_name,
            Role::BirthDate => &mut self.birth_date,
            Role::BirthYear => &mut self.birth_year,
            Role::HouseNumber => &mut self.house_number,
            Role::Street => &mut self.street,
            Role::Address2 => &mut self.address2,
            Role::City => &mut self.city,
            Role::State => &mut self.state,
            Role::Zip => &mut self.zip,
            Role::Phone => &mut self.phone,
            Role::Email => &mut self.email,
            Role::VoterId => &mut self.voter_id,
        }
    }

    /// Sets the column for a role.
    pub fn set(&mut self, role: Role, column: Option<String>) {
        *self.slot(role) = column;
    }

    /// Whether the role has a column.
    pub fn has(&self, role: Role) -> bool {
        self.get(role).is_some()
    }
}

/// The deterministic rules: a pair passing one is a match whatever the model says, provided the
/// names or birth year corroborate it (so a mistyped id does not join two strangers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deterministic {
    /// Same voter id.
    #[serde(default = "yes")]
    pub voter_id: bool,
    /// Same email address.
    #[serde(default = "yes")]
    pub email: bool,
    /// Same phone number and same last name.
    #[serde(default = "yes")]
    pub phone_last_name: bool,
}

fn yes() -> bool {
    true
}

impl Default for Deterministic {
    fn default() -> Self {
        Deterministic {
            voter_id: true,
            email: true,
            phone_last_name: true,
        }
    }
}

/// A part of a blocking key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKey {
    /// Normalised first name.
    FirstName,
    /// First letter of the first name.
    FirstInitial,
    /// Double Metaphone code of the first name.
    FirstNamePhonetic,
    /// Normalised last name.
    LastName,
    /// Double Metaphone code of the last name.
    LastNamePhonetic,
    /// Full date of birth.
    BirthDate,
    /// Birth year.
    BirthYear,
    /// House number.
    HouseNumber,
    /// Street.
    Street,
    /// City.
    City,
    /// ZIP5 (or postcode).
    Zip,
    /// Phone.
    Phone,
    /// Email.
    Email,
    /// Voter id.
    VoterId,
    /// Double Metaphone codes of first and last name as an unordered pair (catches swapped
    /// names, with or without typos).
    NamesUnordered,
}

impl BlockKey {
    /// Whether the key describes the person rather than the place (address or a shared phone):
    /// only rules with such a key are used to train m, since blocks keyed on the place alone
    /// are full of household members who agree on everything but name and age.
    pub fn identifies_person(self) -> bool {
        !matches!(
            self,
            BlockKey::HouseNumber
                | BlockKey::Street
                | BlockKey::City
                | BlockKey::Zip
                | BlockKey::Phone
        )
    }

    /// The role the key reads.
    pub fn role(self) -> Role {
        match self {
            BlockKey::FirstName | BlockKey::FirstInitial | BlockKey::FirstNamePhonetic => {
                Role::FirstName
            }
            BlockKey::LastName | BlockKey::LastNamePhonetic => Role::LastName,
            BlockKey::BirthDate => Role::BirthDate,
            BlockKey::BirthYear => Role::BirthYear,
            BlockKey::HouseNumber => Role::HouseNumber,
            BlockKey::Street => Role::Street,
            BlockKey::City => Role::City,
            BlockKey::Zip => Role::Zip,
            BlockKey::Phone => Role::Phone,
            BlockKey::Email => Role::Email,
            BlockKey::VoterId => Role::VoterId,
            BlockKey::NamesUnordered => Role::LastName,
        }
    }
}

/// One blocking rule: records whose keys are all present and equal become candidate pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockingRule {
    /// A name for the report.
    pub name: String,
    /// The key parts, all of which must agree.
    pub keys: Vec<BlockKey>,
}

/// Unsupervised training settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    /// Random pairs drawn to estimate u probabilities.
    #[serde(default = "d_u_pairs")]
    pub u_sample_pairs: u64,
    /// Blocked pairs sampled per EM session.
    #[serde(default = "d_em_pairs")]
    pub em_sample_pairs: u64,
    /// EM iterations at most.
    #[serde(default = "d_em_iter")]
    pub em_iterations: u32,
    /// Seed for sampling.
    #[serde(default)]
    pub seed: u64,
    /// Term-frequency adjustment on exact name and city agreement.
    #[serde(default = "yes")]
    pub term_frequency: bool,
}

fn d_u_pairs() -> u64 {
    2_000_000
}
fn d_em_pairs() -> u64 {
    1_000_000
}
fn d_em_iter() -> u32 {
    40
}

impl Default for Training {
    fn default() -> Self {
        Training {
            u_sample_pairs: d_u_pairs(),
            em_sample_pairs: d_em_pairs(),
            em_iterations: d_em_iter(),
            seed: 0,
            term_frequency: true,
        }
    }
}

/// Guards against blocking rules that explode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A block producing more pairs than this is skipped (and reported).
    #[serde(default = "d_block")]
    pub max_block_pairs: u64,
    /// A rule producing more pairs than this in total is skipped (and reported).
    #[serde(default = "d_rule")]
    pub max_rule_pairs: u64,
}

fn d_block() -> u64 {
    1_000_000
}
fn d_rule() -> u64 {
    400_000_000
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_block_pairs: d_block(),
            max_rule_pairs: d_rule(),
        }
    }
}

impl LinkConfig {
    /// Parses a TOML config.
    pub fn from_toml(text: &str) -> Result<Self, UserError> {
        let cfg: LinkConfig = toml::from_str(text).map_err(|e| UserError::Config {
            path: None,
            message: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads a TOML config file.
    pub fn from_file(path: &Path) -> Result<Self, UserError> {
        let text = std::fs::read_to_string(path).map_err(|e| UserError::Open {
            path: path.to_owned(),
            source: e,
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            UserError::Config { message, .. } => UserError::Config {
                path: Some(path.to_owned()),
                message,
            },
            other => other,
        })
    }

    /// The config as TOML, for the user to save and edit.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Checks values that TOML types cannot.
    pub fn validate(&self) -> Result<(), UserError> {
        let bad = |message: String| UserError::Config {
            path: None,
            message,
        };
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(bad(format!(
                "threshold must be between 0 and 1 (exclusive), got {}",
                self.threshold
            )));
        }
        for r in &self.blocking {
            if r.keys.is_empty() {
                return Err(bad(format!("blocking rule `{}` has no keys", r.name)));
            }
        }
        Ok(())
    }

    /// The blocking rules to use: the configured ones, or defaults derived from the columns.
    pub fn effective_blocking(&self) -> Vec<BlockingRule> {
        if self.blocking.is_empty() {
            default_blocking(&self.columns)
        } else {
            self.blocking.clone()
        }
    }
}

/// Default blocking rules for the available columns.
pub fn default_blocking(c: &Columns) -> Vec<BlockingRule> {
    use BlockKey::*;
    let has_year = c.has(Role::BirthYear) || c.has(Role::BirthDate);
    let candidates: Vec<(&str, Vec<BlockKey>, bool)> = vec![
        ("voter_id", vec![VoterId], c.has(Role::VoterId)),
        ("email", vec![Email], c.has(Role::Email)),
        ("phone", vec![Phone], c.has(Role::Phone)),
        (
            "last_name+birth_year",
            vec![LastName, BirthYear],
            c.has(Role::LastName) && has_year,
        ),
        (
            "first_name+zip",
            vec![FirstName, Zip],
            c.has(Role::FirstName) && c.has(Role::Zip),
        ),
        (
            "last_name_phonetic+house_number",
            vec![LastNamePhonetic, HouseNumber],
            c.has(Role::LastName) && c.has(Role::HouseNumber),
        ),
        ("birth_date", vec![BirthDate], c.has(Role::BirthDate)),
        (
            "zip+house_number",
            vec![Zip, HouseNumber],
            c.has(Role::Zip) && c.has(Role::HouseNumber),
        ),
        (
            "names_phonetic_unordered",
            vec![NamesUnordered],
            c.has(Role::FirstName) && c.has(Role::LastName),
        ),
        (
            "street+house_number",
            vec![Street, HouseNumber],
            c.has(Role::Street) && c.has(Role::HouseNumber),
        ),
    ];
    candidates
        .into_iter()
        .filter(|(_, _, ok)| *ok)
        .map(|(n, keys, _)| BlockingRule {
            name: n.to_string(),
            keys,
        })
        .collect()
}

fn norm_header(h: &str) -> String {
    h.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Guesses column roles from header names (first/given name, last/surname, middle, dob/birth
/// date, birth year, street number, address, city/suburb, state, zip/postcode, phone, email,
/// id) and returns a full config with default blocking rules, ready to print as TOML.
pub fn infer_config<S: AsRef<str>>(headers: &[S]) -> LinkConfig {
    let normed: Vec<String> = headers.iter().map(|h| norm_header(h.as_ref())).collect();
    // (role, exact names, substrings); `None` role = record id.
    let table: Vec<(Option<Role>, &[&str], &[&str])> = vec![
        (
            None,
            &[
                "recid",
                "recordid",
                "id",
                "rowid",
                "uid",
                "personid",
                "contactid",
            ],
            &[],
        ),
        (
            Some(Role::VoterId),
            &[
                "ncid",
                "voterid",
                "vanid",
                "ssn",
                "socsecid",
                "stateid",
                "statefileid",
            ],
            &[
                "voterid",
                "socsec",
                "statevoter",
                "voterregnum",
                "ncid",
                "vanid",
            ],
        ),
        (
            Some(Role::FirstName),
            &[
                "first",
                "firstname",
                "givenname",
                "given",
                "fname",
                "forename",
                "first_name",
            ],
            &["firstname", "givenname", "forename"],
        ),
        (
            Some(Role::MiddleName),
            &["middle", "middlename", "mname", "middleinitial", "mi"],
            &["middle"],
        ),
        (
            Some(Role::LastName),
            &["last", "lastname", "surname", "lname", "familyname"],
            &["lastname", "surname", "familyname"],
        ),
        (
            Some(Role::BirthDate),
            &["dob", "birthdate", "dateofbirth", "birthday", "bdate"],
            &["birthdate", "dateofbirth", "dob"],
        ),
        (
            Some(Role::BirthYear),
            &["birthyear", "yob", "yearofbirth", "byear", "birthyr"],
            &["birthyear", "yearofbirth"],
        ),
        (
            Some(Role::HouseNumber),
            &[
                "streetnumber",
                "housenumber",
                "houseno",
                "streetno",
                "housenum",
                "streetnum",
            ],
            &["housenum", "streetnum", "houseno", "streetno"],
        ),
        (
            Some(Role::Address2),
            &[
                "address2",
                "addressline2",
                "addr2",
                "unit",
                "apt",
                "apartment",
            ],
            &["address2", "addressline2", "addr2"],
        ),
        (
            Some(Role::Street),
            &[
                "address",
                "address1",
                "addressline1",
                "addr",
                "addr1",
                "street",
                "streetaddress",
                "streetname",
            ],
            &[
                "streetaddress",
                "address1",
                "streetname",
                "address",
                "street",
            ],
        ),
        (
            Some(Role::City),
            &["city", "suburb", "town", "locality", "municipality"],
            &["city", "suburb", "town"],
        ),
        (
            Some(Role::State),
            &[
                "state",
                "st",
                "stateabbrv",
                "statecd",
                "statecode",
                "province",
                "region",
            ],
            &[],
        ),
        (
            Some(Role::Zip),
            &["zip", "zipcode", "postcode", "postalcode", "zip5", "zip4"],
            &["zip", "postcode", "postalcode"],
        ),
        (
            Some(Role::Phone),
            &["phone", "cell", "mobile", "telephone", "tel"],
            &["phone", "cell", "mobile"],
        ),
        (
            Some(Role::Email),
            &["email", "emailaddress", "mail"],
            &["email"],
        ),
    ];
    let mut used = vec![false; headers.len()];
    let mut cfg = LinkConfig::default();
    // Two passes: exact names first, then substrings, so `address_1` does not steal `street`.
    for pass in 0..2 {
        for (role, exact, subs) in &table {
            let taken = match role {
                None => cfg.columns.record_id.is_some(),
                Some(r) => cfg.columns.has(*r),
            };
            if taken {
                continue;
            }
            let found = normed.iter().enumerate().find(|(i, h)| {
                !used[*i]
                    && if pass == 0 {
                        exact.contains(&h.as_str())
                    } else {
                        subs.iter().any(|s| h.contains(s))
                    }
            });
            if let Some((i, _)) = found {
                used[i] = true;
                let name = Some(headers[i].as_ref().to_string());
                match role {
                    None => cfg.columns.record_id = name,
                    Some(r) => cfg.columns.set(*r, name),
                }
            }
        }
    }
    cfg.blocking = default_blocking(&cfg.columns);
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_febrl_header() {
        let h = [
            "rec_id",
            "given_name",
            "surname",
            "street_number",
            "address_1",
            "address_2",
            "suburb",
            "postcode",
            "state",
            "date_of_birth",
            "soc_sec_id",
        ];
        let c = infer_config(&h).columns;
        assert_eq!(c.record_id.as_deref(), Some("rec_id"));
        assert_eq!(c.first_name.as_deref(), Some("given_name"));
        assert_eq!(c.last_name.as_deref(), Some("surname"));
        assert_eq!(c.house_number.as_deref(), Some("street_number"));
        assert_eq!(c.street.as_deref(), Some("address_1"));
        assert_eq!(c.address2.as_deref(), Some("address_2"));
        assert_eq!(c.city.as_deref(), Some("suburb"));
        assert_eq!(c.zip.as_deref(), Some("postcode"));
        assert_eq!(c.state.as_deref(), Some("state"));
        assert_eq!(c.birth_date.as_deref(), Some("date_of_birth"));
        assert_eq!(c.voter_id.as_deref(), Some("soc_sec_id"));
    }

    #[test]
    fn infers_nc_voter_header() {
        let h = [
            "ncid",
            "last_name",
            "first_name",
            "middle_name",
            "res_street_address",
            "res_city_desc",
            "state_cd",
            "zip_code",
            "full_phone_number",
            "birth_year",
        ];
        let c = infer_config(&h).columns;
        assert_eq!(c.voter_id.as_deref(), Some("ncid"));
        assert_eq!(c.street.as_deref(), Some("res_street_address"));
        assert_eq!(c.city.as_deref(), Some("res_city_desc"));
        assert_eq!(c.zip.as_deref(), Some("zip_code"));
        assert_eq!(c.phone.as_deref(), Some("full_phone_number"));
        assert_eq!(c.birth_year.as_deref(), Some("birth_year"));
        assert_eq!(c.birth_date, None);
    }

    #[test]
    fn toml_round_trip() {
        let cfg = infer_config(&["id", "first", "last", "dob", "zip"]);
        let text = cfg.to_toml();
        let back = LinkConfig::from_toml(&text).unwrap();
        assert_eq!(cfg, back);
        assert!(!back.blocking.is_empty());
    }

    #[test]
    fn rejects_bad_threshold_and_unknown_keys() {
        assert!(LinkConfig::from_toml("threshold = 1.5").is_err());
        assert!(LinkConfig::from_toml("bogus = 1").is_err());
        assert!(LinkConfig::from_toml("threshold = 0.8").is_ok());
    }
}
