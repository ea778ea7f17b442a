//! Flag ids: `DATE:COUNTY:TRANSITION` (the later snapshot's date), e.g.
//! `2026-10-01:FOXHALL:inactivated`. Stable across runs, so `votebase purges list ID`
//! and the API can name a flag without storing it.

use crate::model::Transition;
use chrono::NaiveDate;
use std::fmt;

/// A parsed flag id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagId {
    /// The later snapshot's date.
    pub date: NaiveDate,
    /// County name.
    pub county: String,
    /// The transition.
    pub transition: Transition,
}

/// Longest flag id accepted.
pub const MAX_FLAG_ID: usize = 200;

impl FlagId {
    /// Parses `DATE:COUNTY:TRANSITION`; the county may itself hold colons.
    pub fn parse(text: &str) -> Result<Self, String> {
        let usage = "a flag id is DATE:COUNTY:TRANSITION, e.g. 2026-10-01:FOXHALL:inactivated";
        if text.chars().count() > MAX_FLAG_ID {
            return Err(format!(
                "flag id longer than {MAX_FLAG_ID} characters; {usage}"
            ));
        }
        let text = text.trim();
        let (date, rest) = text.split_once(':').ok_or_else(|| usage.to_string())?;
        let (county, transition) = rest.rsplit_once(':').ok_or_else(|| usage.to_string())?;
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| format!("{date:?} is not a date (YYYY-MM-DD); {usage}"))?;
        let transition = Transition::parse(transition).ok_or_else(|| {
            format!(
                "{transition:?} is not a transition (inactivated, removed, disappeared); {usage}"
            )
        })?;
        let county = county.trim();
        if county.is_empty() || county.chars().any(char::is_control) {
            return Err(format!("a county name is needed; {usage}"));
        }
        Ok(Self {
            date,
            county: county.to_string(),
            transition,
        })
    }
}

impl fmt::Display for FlagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.date,
            self.county,
            self.transition.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_malformed_ids() {
        let id = FlagId::parse("2026-10-01:FOXHALL:inactivated").unwrap();
        assert_eq!(id.to_string(), "2026-10-01:FOXHALL:inactivated");
        let odd = FlagId::parse("2026-10-01:A:B:removed").unwrap();
        assert_eq!(odd.county, "A:B");
        assert_eq!(
            FlagId::parse("2026-10-01:X:active>inactive")
                .unwrap()
                .transition,
            Transition::Inactivated
        );
        for bad in [
            "",
            "x",
            "2026-10-01:X",
            "2026-13-01:X:removed",
            "2026-10-01::removed",
            "2026-10-01:X:gone",
        ] {
            assert!(FlagId::parse(bad).is_err(), "{bad}");
        }
    }
}
