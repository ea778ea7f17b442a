//! The thresholds of the purge test, one set per organization (stored by the
//! organization's store, changed with `votebase purges thresholds --set NAME=VALUE`).
//! A (county, transition) is flagged for a pair of snapshots only when all hold:
//!
//! * the Benjamini–Hochberg q-value of its test, across every county × transition of
//!   that pair, is at most `fdr` (default 0.001);
//! * at least `min_voters` voters left (default 25);
//! * its rate is at least `min_ratio` times the expected rate (default 3), and at least
//!   `min_excess_points` percentage points above it (default 0.5).
//!
//! The expected rate is the larger of the county's own history (up to `history_pairs`
//! earlier pairs, default 12, shrunk toward the prior by `prior_weight` refreshes' worth
//! of voters, default 1) and the state's other counties in the same pair: a county is
//! flagged only when it stands out from both.

use serde::{Deserialize, Serialize};

/// The thresholds of the purge test.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// False-discovery rate across the counties × transitions of one pair.
    pub fdr: f64,
    /// Fewest voters moved for a flag.
    pub min_voters: i64,
    /// Smallest ratio of the observed to the expected rate.
    pub min_ratio: f64,
    /// Smallest excess over the expected rate, in percentage points.
    pub min_excess_points: f64,
    /// Earlier pairs of the county's own history used.
    pub history_pairs: i64,
    /// Weight of the prior in the county's history, in refreshes' worth of voters.
    pub prior_weight: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            fdr: 0.001,
            min_voters: 25,
            min_ratio: 3.0,
            min_excess_points: 0.5,
            history_pairs: 12,
            prior_weight: 1.0,
        }
    }
}

/// A threshold that could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ThresholdError(pub String);

impl Thresholds {
    /// The names `set` accepts, with what each means.
    pub const NAMES: [(&'static str, &'static str); 6] = [
        (
            "fdr",
            "false-discovery rate across counties x transitions, 0 < fdr < 1",
        ),
        ("min_voters", "fewest voters moved for a flag, >= 1"),
        ("min_ratio", "observed / expected rate, >= 1"),
        (
            "min_excess_points",
            "percentage points above the expected rate, >= 0",
        ),
        (
            "history_pairs",
            "earlier snapshot pairs of the county's history, 1..=100",
        ),
        (
            "prior_weight",
            "refreshes' worth of prior in the history, 0..=100",
        ),
    ];

    /// Every threshold as (name, value), in `NAMES` order.
    pub fn entries(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("fdr", self.fdr),
            ("min_voters", self.min_voters as f64),
            ("min_ratio", self.min_ratio),
            ("min_excess_points", self.min_excess_points),
            ("history_pairs", self.history_pairs as f64),
            ("prior_weight", self.prior_weight),
        ]
    }

    /// Sets one threshold by name, checking its range.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ThresholdError> {
        let bad = |why: &str| Err(ThresholdError(format!("{name} = {value}: {why}")));
        if !value.is_finite() {
            return bad("not a finite number");
        }
        let whole = value.fract() == 0.0;
        match name {
            "fdr" if value > 0.0 && value < 1.0 => self.fdr = value,
            "fdr" => return bad("must be between 0 and 1"),
            "min_voters" if whole && (1.0..=1e9).contains(&value) => self.min_voters = value as i64,
            "min_voters" => return bad("must be a whole number >= 1"),
            "min_ratio" if (1.0..=1e6).contains(&value) => self.min_ratio = value,
            "min_ratio" => return bad("must be >= 1"),
            "min_excess_points" if (0.0..=100.0).contains(&value) => self.min_excess_points = value,
            "min_excess_points" => return bad("must be between 0 and 100"),
            "history_pairs" if whole && (1.0..=100.0).contains(&value) => {
                self.history_pairs = value as i64
            }
            "history_pairs" => return bad("must be a whole number from 1 to 100"),
            "prior_weight" if (0.0..=100.0).contains(&value) => self.prior_weight = value,
            "prior_weight" => return bad("must be between 0 and 100"),
            _ => {
                return Err(ThresholdError(format!(
                    "unknown threshold {name:?}; known: {}",
                    Self::NAMES.map(|(n, _)| n).join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Parses `NAME=VALUE` and sets it.
    pub fn set_text(&mut self, text: &str) -> Result<(), ThresholdError> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(ThresholdError(format!(
                "{text:?}: expected NAME=VALUE, e.g. fdr=0.001"
            )));
        };
        let name = name.trim();
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| ThresholdError(format!("{name}: {:?} is not a number", value.trim())))?;
        self.set(name, value)
    }

    /// Builds thresholds from stored (name, value) pairs over the defaults; an unknown or
    /// out-of-range stored value is an error naming it.
    pub fn from_entries(entries: &[(String, f64)]) -> Result<Self, ThresholdError> {
        let mut t = Self::default();
        for (name, value) in entries {
            t.set(name, *value)?;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_checks_names_and_ranges() {
        let mut t = Thresholds::default();
        t.set_text("fdr=0.01").unwrap();
        t.set_text(" min_voters = 40 ").unwrap();
        assert_eq!((t.fdr, t.min_voters), (0.01, 40));
        assert!(t.set_text("fdr=1").is_err());
        assert!(t.set_text("min_voters=2.5").is_err());
        assert!(t.set_text("min_ratio=0.5").is_err());
        assert!(
            t.set_text("nonsense=1")
                .unwrap_err()
                .0
                .contains("known: fdr")
        );
        assert!(t.set_text("fdr").is_err());
        assert!(t.set_text("fdr=abc").is_err());
        assert!(t.set_text("fdr=NaN").is_err());
        let back = Thresholds::from_entries(
            &t.entries()
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!(back, t);
    }
}
