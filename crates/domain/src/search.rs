//! The parsed form of a free-text voter search ("SMITH JOHN", "123 Main St", an id).
//! Parsing lives in `votebase-ingest` (it needs the address normaliser); both stores
//! execute this structure with the same meaning, so their answers agree.

use serde::{Deserialize, Serialize};

/// A voter search as alternatives: a voter matches if any id, any name or the address matches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VoterQuery {
    /// The text the user typed.
    pub text: String,
    /// Exact state or county voter ids.
    pub ids: Vec<String>,
    /// Name alternatives (e.g. both "FIRST LAST" and "LAST FIRST").
    pub names: Vec<NameQuery>,
    /// A street address.
    pub address: Option<AddressQuery>,
    /// The most rows to return.
    pub limit: usize,
}

/// Surname (prefix) and optionally a given-name prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameQuery {
    /// Surname prefix, normalised.
    pub last_prefix: String,
    /// Given-name prefix, normalised; empty for any.
    pub first_prefix: String,
}

/// House number and normalised street name (prefix), as the voters table stores them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressQuery {
    /// House number, exact; empty for any.
    pub house_number: String,
    /// Street name prefix (without suffix or directions).
    pub street_prefix: String,
}

impl VoterQuery {
    /// True when there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.names.is_empty() && self.address.is_none()
    }
}

/// The smallest string greater than every string starting with `prefix`, so that
/// `col >= prefix AND col < upper` is a prefix match an index can serve.
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Empty prefix (or all chars at char::MAX): no upper bound; use the max char.
    char::MAX.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bound_is_just_past_the_prefix() {
        assert_eq!(prefix_upper_bound("SMITH"), "SMITI");
        assert_eq!(prefix_upper_bound("A"), "B");
        assert!("SMITHSON" < prefix_upper_bound("SMITH").as_str());
        assert!("SMITI" >= prefix_upper_bound("SMITH").as_str());
    }
}
