//! Organization names: each organization's data lives in its own database (a SQLite
//! file or a PostgreSQL schema), so its name must be safe as a file stem and a schema.
//! One deployment serves many organizations, each at its own host name
//! (`<label>.<base domain>`): names use `_`, host labels `-`, and [`OrgName::host_label`] /
//! [`OrgName::from_host_label`] map one to the other. [`Organization`] is an entry of the
//! platform's registry.

use chrono::{DateTime, Utc};
use std::fmt;

/// A validated organization name: 1–40 characters of `a-z`, `0-9` and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OrgName(String);

/// Why an organization name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid organization name {0:?}: use 1-40 lowercase letters, digits or '_', starting with a letter"
)]
pub struct InvalidOrgName(pub String);

impl OrgName {
    /// Checks and wraps an organization name.
    pub fn parse(name: &str) -> Result<Self, InvalidOrgName> {
        let ok = !name.is_empty()
            && name.len() <= 40
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(name.to_string()))
        } else {
            Err(InvalidOrgName(name.to_string()))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The organization's DNS label (`camp_a` → `camp-a`): host names cannot hold `_`.
    pub fn host_label(&self) -> String {
        self.0.replace('_', "-")
    }

    /// The organization a DNS label names (`camp-a` → `camp_a`), case-insensitively; `None`
    /// for a label no organization name maps to (`_` is refused: only [`Self::host_label`]
    /// forms are accepted, so each organization has exactly one label).
    pub fn from_host_label(label: &str) -> Option<Self> {
        let label = label.to_ascii_lowercase();
        if label.contains('_') {
            return None;
        }
        Self::parse(&label.replace('-', "_")).ok()
    }
}

/// An organization of the platform's registry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Organization {
    /// Its name (file stem, schema suffix, host label with `-`).
    pub name: OrgName,
    /// The name people read ("Camp A for Senate").
    pub display_name: String,
    /// When the platform admin created it.
    pub created_at: DateTime<Utc>,
}

/// Most characters of an organization's display name.
pub const MAX_DISPLAY_NAME: usize = 100;

/// Why a display name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid display name: use 1-{MAX_DISPLAY_NAME} characters without control characters")]
pub struct InvalidDisplayName;

/// Checks a display name: trimmed, 1–[`MAX_DISPLAY_NAME`] characters, no control characters.
pub fn display_name(text: &str) -> Result<String, InvalidDisplayName> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 || n > MAX_DISPLAY_NAME || text.chars().any(char::is_control) {
        return Err(InvalidDisplayName);
    }
    Ok(text.to_string())
}

impl fmt::Display for OrgName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names_and_refuses_injection() {
        assert!(OrgName::parse("default").is_ok());
        assert!(OrgName::parse("nc_dems_2026").is_ok());
        assert!(OrgName::parse("").is_err());
        assert!(OrgName::parse("9lives").is_err());
        assert!(OrgName::parse("a;drop schema x").is_err());
        assert!(OrgName::parse("../etc").is_err());
        assert!(OrgName::parse(&"a".repeat(41)).is_err());
    }

    #[test]
    fn host_labels_map_both_ways() {
        let org = OrgName::parse("camp_a").unwrap();
        assert_eq!(org.host_label(), "camp-a");
        assert_eq!(OrgName::from_host_label("camp-a"), Some(org.clone()));
        assert_eq!(OrgName::from_host_label("CAMP-A"), Some(org));
        assert_eq!(OrgName::from_host_label("camp_a"), None);
        assert_eq!(OrgName::from_host_label("9-lives"), None);
        assert_eq!(OrgName::from_host_label(""), None);
    }

    #[test]
    fn display_names_are_checked() {
        assert_eq!(display_name("  Camp A  ").unwrap(), "Camp A");
        assert!(display_name(" ").is_err());
        assert!(display_name("a\nb").is_err());
        assert!(display_name(&"x".repeat(101)).is_err());
    }
}
