//! Baselines from the EAC's Election Administration and Voting Survey (EAVS, Section A,
//! county level; `../shared/data/purge/eavs_county_removals/`): each county's normal
//! yearly removal rate (`total_voters_removed / total_reg`) and confirmation-notice rate
//! (`confirmation_notices_sent / total_reg`, the NVRA path that leads to inactive
//! status), averaged over the survey years that report them. Used as the prior of a
//! county's own history when an organization has few snapshots yet.
//!
//! Each survey covers about two years (close of registration for one federal general to
//! the next), so a rate per day is the cycle's rate over 730 days. A 0 in 2020/2022 may
//! be "not reported" coerced to 0: a zero is not used as a rate.

use crate::model::Transition;
use std::collections::HashMap;
use std::io::Read;

/// Days an EAVS reporting period covers.
pub const EAVS_PERIOD_DAYS: f64 = 730.0;

/// Per-county rates for one state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Baselines {
    /// County key (upper case, without " COUNTY") → (removed per day, notices per day).
    rates: HashMap<String, (Option<f64>, Option<f64>)>,
}

/// A baseline file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The CSV is malformed or lacks a column.
    #[error("{file}: line {line}: {reason}")]
    Format {
        /// The file.
        file: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// The county key: upper case, spaces collapsed, without a trailing " COUNTY"/" PARISH".
pub fn county_key(name: &str) -> String {
    let upper = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    for suffix in [" COUNTY", " PARISH", " BOROUGH"] {
        if let Some(s) = upper.strip_suffix(suffix) {
            return s.to_string();
        }
    }
    upper
}

#[derive(Default)]
struct Sums {
    removed: Vec<f64>,
    notices: Vec<f64>,
}

impl Baselines {
    /// Reads EAVS county files (one per survey year) and keeps the counties of `state`
    /// (two-letter abbreviation). `files` are (name for messages, reader).
    pub fn from_eavs<R: Read>(files: Vec<(String, R)>, state: &str) -> Result<Self, BaselineError> {
        let mut sums: HashMap<String, Sums> = HashMap::new();
        for (file, reader) in files {
            let mut csv = csv::ReaderBuilder::new()
                .flexible(false)
                .from_reader(reader);
            let bad = |line: u64, reason: String| BaselineError::Format {
                file: file.clone(),
                line,
                reason,
            };
            let headers = csv.headers().map_err(|e| bad(1, e.to_string()))?.clone();
            let col = |name: &str| {
                headers
                    .iter()
                    .position(|h| h == name)
                    .ok_or_else(|| bad(1, format!("no column {name}")))
            };
            let (st, county, reg, removed, notices) = (
                col("state_abbr")?,
                col("county_name")?,
                col("total_reg")?,
                col("total_voters_removed")?,
                col("confirmation_notices_sent")?,
            );
            for (i, row) in csv.records().enumerate() {
                let line = i as u64 + 2;
                let row = row.map_err(|e| bad(line, e.to_string()))?;
                if !row.get(st).unwrap_or("").eq_ignore_ascii_case(state) {
                    continue;
                }
                let num = |c: usize| -> Option<f64> {
                    row.get(c)?
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v > 0.0)
                };
                let Some(total) = num(reg) else { continue };
                let entry = sums
                    .entry(county_key(row.get(county).unwrap_or("")))
                    .or_default();
                if let Some(r) = num(removed) {
                    entry.removed.push(r / total / EAVS_PERIOD_DAYS);
                }
                if let Some(n) = num(notices) {
                    entry.notices.push(n / total / EAVS_PERIOD_DAYS);
                }
            }
        }
        let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        Ok(Self {
            rates: sums
                .into_iter()
                .map(|(k, s)| (k, (mean(&s.removed), mean(&s.notices))))
                .collect(),
        })
    }

    /// Counties with a baseline.
    pub fn len(&self) -> usize {
        self.rates.len()
    }

    /// Whether no county has a baseline.
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// The county's normal rate per day of a transition: removals for `Removed`,
    /// confirmation notices for `Inactivated`; none for `Disappeared` (EAVS does not
    /// count records dropped from the file).
    pub fn rate_per_day(&self, county: &str, t: Transition) -> Option<f64> {
        let (removed, notices) = self.rates.get(&county_key(county))?;
        match t {
            Transition::Removed => *removed,
            Transition::Inactivated => *notices,
            Transition::Disappeared => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "fips,election_year,state,county,state_abbr,county_name,total_reg,total_voters_removed,confirmation_notices_sent\n";

    #[test]
    fn rates_are_per_day_averaged_over_years_and_zeros_are_not_rates() {
        let a = format!(
            "{HEAD}37001,2020,37,1,NC,ALAMANCE COUNTY,100000,7300,0\n1001,2020,1,1,AL,AUTAUGA COUNTY,10,10,10\n"
        );
        let b = format!("{HEAD}37001,2022,37,1,NC,Alamance County,100000,14600,7300\n");
        let base = Baselines::from_eavs(
            vec![
                ("a".to_string(), a.as_bytes()),
                ("b".to_string(), b.as_bytes()),
            ],
            "NC",
        )
        .unwrap();
        assert_eq!(base.len(), 1);
        let r = base.rate_per_day("alamance", Transition::Removed).unwrap();
        assert!((r - (0.073 + 0.146) / 2.0 / 730.0).abs() < 1e-12);
        let n = base
            .rate_per_day("ALAMANCE", Transition::Inactivated)
            .unwrap();
        assert!((n - 0.073 / 730.0).abs() < 1e-12);
        assert_eq!(base.rate_per_day("ALAMANCE", Transition::Disappeared), None);
        assert_eq!(base.rate_per_day("AUTAUGA", Transition::Removed), None);
    }

    #[test]
    fn a_missing_column_names_the_file() {
        let err = Baselines::from_eavs(vec![("x.csv".to_string(), "a,b\n1,2\n".as_bytes())], "NC")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("x.csv: line 1: no column state_abbr"),
            "{err}"
        );
    }
}
