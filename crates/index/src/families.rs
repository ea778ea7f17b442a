//! Attribute families: the names a clause can start with, and how values are normalised.
//!
//! There are two sorts. *Built-in* families come from the voter file and the vote history
//! and are indexed by [`crate::IndexBuilder::add_voter`] and
//! [`crate::IndexBuilder::add_history`]: geography (`county`, `precinct`, `cd`, `sd`,
//! `hd`, `zip`, `city`, `municipality`), demographics (`party`, `status`, `gender`, `age`,
//! `registered`) and history (`voted`, `method`, `votes`). *Keyed* families are fed by
//! other modules through the builder's generic API and come in three [`FamilyKind`]s:
//! sets of keys (`tag:volunteer-prospect`, `ballot:requested`), named numeric values
//! (`score:support>=60`, `survey:support=5`) and dated keys (`contacted:door:30d`,
//! `status_change:active>inactive@2026-10-01`, `purged:2026-10-01`). `tag`, `ballot`,
//! `score`, `survey`, `contacted`, `status_change` and `purged` are registered in every
//! index;
//! any other name can be registered with [`crate::IndexBuilder::register_family`].
//! Values are compared after normalisation: text upper-cased and trimmed, district
//! numbers without leading zeros, party/status/gender through their aliases, keyed
//! family keys and names lower-cased.

use std::borrow::Cow;
use std::fmt;

use votebase_domain::voters::{Gender, Party, VoterStatus};

/// How a keyed family stores its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FamilyKind {
    /// A set of keys per voter: `tag:X`, `ballot:X`.
    Set,
    /// Integer values under names: `score:NAME>=N`, `score:NAME:lo..hi`, or the
    /// shorthand `NAME>=N`.
    Numeric,
    /// Dates under keys: `contacted:CHANNEL:30d`, `contacted:CHANNEL:2024-01-01..`.
    Dated,
}

impl fmt::Display for FamilyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FamilyKind::Set => "set",
            FamilyKind::Numeric => "numeric",
            FamilyKind::Dated => "dated",
        })
    }
}

/// The keyed families every index knows, with their kinds. `status_change` (keys
/// `FROM>TO`, dated by snapshot) and `purged` (keys `inactivated`, `removed`,
/// `disappeared`, dated by snapshot) are fed by
/// [`crate::IndexBuilder::add_status_move`] and have their own syntax
/// (`status_change:active>inactive@2026-10-01`, `purged:2026-10-01`).
pub const DEFAULT_KEYED_FAMILIES: [(&str, FamilyKind); 7] = [
    ("tag", FamilyKind::Set),
    ("ballot", FamilyKind::Set),
    ("score", FamilyKind::Numeric),
    ("survey", FamilyKind::Numeric),
    ("contacted", FamilyKind::Dated),
    (STATUS_CHANGE, FamilyKind::Dated),
    (PURGED, FamilyKind::Dated),
];

/// The family of status changes between snapshots: `status_change:FROM>TO@DATE`.
pub const STATUS_CHANGE: &str = "status_change";

/// The family of moves off the roll as purge watch counts them: `purged:DATE`.
pub const PURGED: &str = "purged";

/// The status a `status_change:` clause names after `>` for a record gone from the file.
pub const ABSENT: &str = "absent";

/// A categorical voter-file field: one bitmap per distinct value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CatField {
    /// County name.
    County,
    /// Precinct code (also matched as `COUNTY/CODE`).
    Precinct,
    /// Congressional district.
    Congressional,
    /// State senate district.
    Senate,
    /// State house district.
    House,
    /// Five-digit ZIP.
    Zip,
    /// Postal city.
    City,
    /// Municipality.
    Municipality,
    /// Party code.
    Party,
    /// Status code.
    Status,
    /// Gender code.
    Gender,
}

impl CatField {
    /// Every categorical field, in index order.
    pub const ALL: [CatField; 11] = [
        CatField::County,
        CatField::Precinct,
        CatField::Congressional,
        CatField::Senate,
        CatField::House,
        CatField::Zip,
        CatField::City,
        CatField::Municipality,
        CatField::Party,
        CatField::Status,
        CatField::Gender,
    ];

    /// The family name used in expressions.
    pub fn family(self) -> &'static str {
        match self {
            CatField::County => "county",
            CatField::Precinct => "precinct",
            CatField::Congressional => "cd",
            CatField::Senate => "sd",
            CatField::House => "hd",
            CatField::Zip => "zip",
            CatField::City => "city",
            CatField::Municipality => "municipality",
            CatField::Party => "party",
            CatField::Status => "status",
            CatField::Gender => "gender",
        }
    }

    /// Position in [`CatField::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The normalised value a voter record has for this field.
    pub fn value_of(self, v: &votebase_domain::voters::VoterRecord) -> String {
        self.value_cow(&votebase_domain::voters::VoterFacets::from(v))
            .into_owned()
    }

    /// [`CatField::value_of`], borrowing when the record's value is already normalised.
    pub fn value_cow(self, v: &votebase_domain::voters::VoterFacets) -> Cow<'_, str> {
        fn text(s: &str) -> Cow<'_, str> {
            if s.trim().len() == s.len() && !s.chars().any(char::is_lowercase) {
                Cow::Borrowed(s)
            } else {
                Cow::Owned(norm_text(s))
            }
        }
        fn district(s: &str) -> Cow<'_, str> {
            if !s.starts_with('0') || s.len() < 2 {
                text(s)
            } else {
                Cow::Owned(norm_district(s))
            }
        }
        match self {
            CatField::County => text(&v.county_name),
            CatField::Precinct => text(&v.precinct_code),
            CatField::Congressional => district(&v.congressional_district),
            CatField::Senate => district(&v.state_senate_district),
            CatField::House => district(&v.state_house_district),
            CatField::Zip => text(&v.zip5),
            CatField::City => text(&v.city),
            CatField::Municipality => text(&v.municipality),
            CatField::Party => Cow::Borrowed(v.party.code()),
            CatField::Status => Cow::Borrowed(v.status.code()),
            CatField::Gender => Cow::Borrowed(v.gender.code()),
        }
    }

    /// Normalises a value written in an expression, or says what was expected.
    pub fn normalise_query_value(self, raw: &str) -> Result<String, String> {
        match self {
            CatField::Congressional | CatField::Senate | CatField::House => Ok(norm_district(raw)),
            CatField::Party => party_alias(raw)
                .map(|p| p.code().to_string())
                .ok_or_else(|| {
                    "a party: DEM, REP, LIB, GRE, CST, UNA, OTHER or UNKNOWN".to_string()
                }),
            CatField::Status => status_alias(raw)
                .map(|s| s.code().to_string())
                .ok_or_else(|| {
                    "a status: active (A), inactive (I), denied (D), removed (R), \
                     temporary (S) or unknown"
                        .to_string()
                }),
            CatField::Gender => gender_alias(raw)
                .map(|g| g.code().to_string())
                .ok_or_else(|| "a gender: F, M, U (other) or unknown".to_string()),
            _ => Ok(norm_text(raw)),
        }
    }
}

/// Upper-cased, trimmed text.
pub fn norm_text(s: &str) -> String {
    s.trim().to_uppercase()
}

/// A district number without leading zeros (`04` → `4`); other text as [`norm_text`].
pub fn norm_district(s: &str) -> String {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let z = t.trim_start_matches('0');
        if z.is_empty() { "0".into() } else { z.into() }
    } else {
        norm_text(t)
    }
}

/// Lower-cased, trimmed key or name of a keyed family.
pub fn norm_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// [`norm_key`], borrowing when `s` is already normalised.
pub fn norm_key_cow(s: &str) -> Cow<'_, str> {
    if s.trim().len() == s.len() && !s.chars().any(char::is_uppercase) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(norm_key(s))
    }
}

/// `precinct:COUNTY/CODE`: the qualified precinct label used by breakdowns.
pub fn qualified_precinct(county: &str, precinct: &str) -> String {
    format!("{county}/{precinct}")
}

fn party_alias(raw: &str) -> Option<Party> {
    Some(match raw.trim().to_ascii_lowercase().as_str() {
        "dem" | "democrat" | "democratic" | "d" => Party::Dem,
        "rep" | "republican" | "gop" | "r" => Party::Rep,
        "lib" | "libertarian" => Party::Lib,
        "gre" | "grn" | "green" => Party::Green,
        "cst" | "constitution" => Party::Constitution,
        "una" | "unaffiliated" | "u" => Party::Unaffiliated,
        "oth" | "other" => Party::Other,
        "unknown" => Party::Unknown,
        _ => return None,
    })
}

fn status_alias(raw: &str) -> Option<VoterStatus> {
    let s = raw.trim().to_ascii_lowercase();
    if s.len() == 1 {
        return Some(match s.as_str() {
            "a" => VoterStatus::Active,
            "i" => VoterStatus::Inactive,
            "d" => VoterStatus::Denied,
            "r" => VoterStatus::Removed,
            "s" => VoterStatus::Temporary,
            _ => return None,
        });
    }
    VoterStatus::ALL.into_iter().find(|v| v.code() == s)
}

fn gender_alias(raw: &str) -> Option<Gender> {
    Some(match raw.trim().to_ascii_lowercase().as_str() {
        "f" | "female" => Gender::Female,
        "m" | "male" => Gender::Male,
        "u" | "x" | "o" | "other" => Gender::Other,
        "unknown" => Gender::Unknown,
        _ => return None,
    })
}

/// Built-in families that are not categorical.
pub const RANGE_FAMILIES: [&str; 5] = ["age", "registered", "voted", "method", "votes"];

/// Every built-in family name, in the order error messages list them.
pub fn builtin_names() -> Vec<&'static str> {
    CatField::ALL
        .iter()
        .map(|c| c.family())
        .chain(RANGE_FAMILIES)
        .collect()
}

/// True for a name reserved by a built-in family.
pub fn is_builtin(name: &str) -> bool {
    CatField::ALL.iter().any(|c| c.family() == name) || RANGE_FAMILIES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        assert_eq!(CatField::Party.normalise_query_value("DEM").unwrap(), "dem");
        assert_eq!(
            CatField::Party.normalise_query_value("una").unwrap(),
            "unaffiliated"
        );
        assert!(CatField::Party.normalise_query_value("whig").is_err());
        assert_eq!(
            CatField::Status.normalise_query_value("A").unwrap(),
            "active"
        );
        assert_eq!(
            CatField::Status.normalise_query_value("Removed").unwrap(),
            "removed"
        );
        assert_eq!(
            CatField::Gender.normalise_query_value("F").unwrap(),
            "female"
        );
        assert_eq!(CatField::House.normalise_query_value("063").unwrap(), "63");
        assert_eq!(norm_district("000"), "0");
        assert_eq!(
            CatField::County.normalise_query_value(" wake ").unwrap(),
            "WAKE"
        );
    }
}
