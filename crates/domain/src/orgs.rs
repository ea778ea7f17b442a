//! Organization names: each organization's data lives in its own database (a SQLite
//! file or a PostgreSQL schema), so its name must be safe as a file stem and a schema.

use std::fmt;

/// A validated organization name: 1–40 characters of `a-z`, `0-9` and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
}
