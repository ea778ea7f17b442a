//! The storage contract for saved lists: a universe frozen as named membership (the
//! voter ids it selected when it was saved), with its expression, the date, who saved it
//! and how many voters were dropped because they had already voted. Also the two small
//! reads list exports and the universe index need: the appended phones of many voters at
//! once, and a cheap "data version" that changes whenever an import writes.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{PhoneAppend, StoreResult};

/// Longest list name accepted.
pub const MAX_LIST_NAME: usize = 100;

/// A list to save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewList {
    /// Unique name (1–100 characters, no control characters).
    pub name: String,
    /// The universe expression it was built from.
    pub expression: String,
    /// Who saved it (user name, or `cli:<os user>`).
    pub created_by: String,
    /// The election whose voted voters were dropped, if any.
    pub voted_election: Option<NaiveDate>,
    /// Voters the expression selected who were dropped because they had already voted.
    pub voted_removed: i64,
    /// The members' state voter ids (duplicates are stored once).
    pub members: Vec<String>,
}

/// A saved list, without its members.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedList {
    /// Unique name.
    pub name: String,
    /// The universe expression.
    pub expression: String,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Who saved it.
    pub created_by: String,
    /// Members frozen at saving.
    pub voters: i64,
    /// The election whose voted voters were dropped, if any.
    pub voted_election: Option<NaiveDate>,
    /// Voters dropped at saving because they had already voted.
    pub voted_removed: i64,
}

/// Checks a list name: what is wrong with it, if anything.
pub fn check_list_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("a list needs a name".into());
    }
    if name.chars().count() > MAX_LIST_NAME {
        return Err(format!(
            "a list name has at most {MAX_LIST_NAME} characters"
        ));
    }
    if name.chars().any(char::is_control) || name != name.trim() {
        return Err(
            "a list name cannot contain control characters or start or end with a space".into(),
        );
    }
    Ok(())
}

/// Storage of saved lists. Part of [`Store`](crate::Store); every method is one
/// transaction.
#[async_trait]
pub trait ListStore: Send + Sync {
    /// Saves a list with its members. Refused ([`crate::StoreError::Refused`]) when the
    /// name is taken or not valid ([`check_list_name`]); nothing is written then.
    async fn save_list(&self, list: &NewList) -> StoreResult<SavedList>;

    /// Every saved list, newest first.
    async fn lists(&self) -> StoreResult<Vec<SavedList>>;

    /// One list by name.
    async fn list(&self, name: &str) -> StoreResult<Option<SavedList>>;

    /// The members of a list (state voter ids, sorted); empty when there is no such list.
    async fn list_members(&self, name: &str) -> StoreResult<Vec<String>>;

    /// Appended phone numbers of many voters at once (most probable first per voter,
    /// voters in id order): what [`crate::Store::voter_phones`] gives for each.
    async fn phones_of(&self, state_voter_ids: &[String]) -> StoreResult<Vec<PhoneAppend>>;

    /// A cheap fingerprint of the data universes are built from (snapshots, history,
    /// ballot files, phones, contacts and anything else imported): it changes whenever
    /// an import writes, and not on reads, sign-ins or audit entries. Compare two values
    /// for equality only.
    async fn data_version(&self) -> StoreResult<String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_list_name("Young Dems, Wake").is_ok());
        assert!(check_list_name("").is_err());
        assert!(check_list_name(" padded").is_err());
        assert!(check_list_name("tab\there").is_err());
        assert!(check_list_name(&"x".repeat(101)).is_err());
    }
}
