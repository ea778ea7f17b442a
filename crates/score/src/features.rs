//! Features of a voter for scoring: what the voter file and the vote history say, encoded
//! as numbers. The encoder learns its vocabularies (parties, genders, the most common
//! counties, the most common elections) and the means and spreads of numeric features
//! from the training voters, and is stored with the model so that applying it encodes
//! every voter the same way.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use votebase_domain::snapshots::VoteHistoryRecord;
use votebase_domain::voters::VoterRecord;

/// Counties kept as their own one-hot column (the rest share "other").
const TOP_COUNTIES: usize = 40;
/// Elections kept as their own voted/not column.
const TOP_ELECTIONS: usize = 8;

/// What scoring needs to know about one voter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoterFacts {
    /// State voter id (also decides the held-out fifth).
    pub state_voter_id: String,
    /// Birth year.
    pub birth_year: Option<i32>,
    /// Party code (`DEM`, `REP`, `UNA`…).
    pub party: String,
    /// Gender code.
    pub gender: String,
    /// County.
    pub county: String,
    /// Status code (`A` active…).
    pub status: String,
    /// Registration date.
    pub registration_date: Option<NaiveDate>,
    /// Elections voted in, with the party ballot taken in primaries (may be empty).
    pub votes: Vec<(NaiveDate, String)>,
}

impl VoterFacts {
    /// Facts from a voter record and that voter's history rows.
    pub fn new(record: &VoterRecord, history: &[VoteHistoryRecord]) -> Self {
        Self {
            state_voter_id: record.state_voter_id.clone(),
            birth_year: record.birth_year,
            party: record.party.code().to_string(),
            gender: record.gender.code().to_string(),
            county: record.county_name.clone(),
            status: record.status.code().to_string(),
            registration_date: record.registration_date,
            votes: history
                .iter()
                .map(|h| (h.election_date, h.voted_party.trim().to_ascii_uppercase()))
                .collect(),
        }
    }
}

/// Mean and spread of a numeric feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Scale {
    mean: f64,
    sd: f64,
}

impl Scale {
    fn fit(values: impl Iterator<Item = f64>) -> Self {
        let v: Vec<f64> = values.collect();
        if v.is_empty() {
            return Self { mean: 0.0, sd: 1.0 };
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        Self {
            mean,
            sd: if var > 1e-12 { var.sqrt() } else { 1.0 },
        }
    }

    fn z(&self, x: f64) -> f64 {
        (x - self.mean) / self.sd
    }
}

/// Turns [`VoterFacts`] into a feature vector; learned from training voters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureEncoder {
    /// The day ages and years registered are counted at.
    pub reference_date: NaiveDate,
    parties: Vec<String>,
    genders: Vec<String>,
    counties: Vec<String>,
    elections: Vec<NaiveDate>,
    age: Scale,
    registered_years: Scale,
    votes: Scale,
}

fn age(f: &VoterFacts, at: NaiveDate) -> Option<f64> {
    f.birth_year
        .map(|y| f64::from(at.year() - y))
        .filter(|a| (16.0..=120.0).contains(a))
}

fn registered_years(f: &VoterFacts, at: NaiveDate) -> Option<f64> {
    f.registration_date
        .map(|d| (at - d).num_days() as f64 / 365.25)
        .filter(|y| *y >= 0.0)
}

/// Values seen at least once, most frequent first (ties by value), at most `keep`.
fn vocabulary<T: Ord + Clone>(values: impl Iterator<Item = T>, keep: usize) -> Vec<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut by_count: Vec<(T, usize)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by_count.into_iter().take(keep).map(|(v, _)| v).collect()
}

impl FeatureEncoder {
    /// Learns vocabularies and scales from the training voters.
    pub fn fit(voters: &[&VoterFacts], reference_date: NaiveDate) -> Self {
        Self {
            reference_date,
            parties: vocabulary(voters.iter().map(|v| v.party.clone()), 12),
            genders: vocabulary(voters.iter().map(|v| v.gender.clone()), 6),
            counties: vocabulary(voters.iter().map(|v| v.county.clone()), TOP_COUNTIES),
            elections: {
                let mut e = vocabulary(
                    voters.iter().flat_map(|v| v.votes.iter().map(|(d, _)| *d)),
                    TOP_ELECTIONS,
                );
                e.sort();
                e
            },
            age: Scale::fit(voters.iter().filter_map(|v| age(v, reference_date))),
            registered_years: Scale::fit(
                voters
                    .iter()
                    .filter_map(|v| registered_years(v, reference_date)),
            ),
            votes: Scale::fit(voters.iter().map(|v| v.votes.len() as f64)),
        }
    }

    /// Names of the features, in vector order.
    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = [
            "age",
            "age^2",
            "age_unknown",
            "years_registered",
            "registration_unknown",
            "elections_voted",
            "dem_primaries",
            "rep_primaries",
            "active",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        n.extend(self.parties.iter().map(|p| format!("party={p}")));
        n.extend(self.genders.iter().map(|g| format!("gender={g}")));
        n.extend(self.counties.iter().map(|c| format!("county={c}")));
        n.extend(self.elections.iter().map(|e| format!("voted={e}")));
        n
    }

    /// Number of features.
    pub fn width(&self) -> usize {
        9 + self.parties.len() + self.genders.len() + self.counties.len() + self.elections.len()
    }

    /// The feature vector of one voter (appended to `out`).
    pub fn encode_into(&self, f: &VoterFacts, out: &mut Vec<f64>) {
        let at = self.reference_date;
        match age(f, at) {
            Some(a) => {
                let z = self.age.z(a);
                out.extend([z, z * z, 0.0]);
            }
            None => out.extend([0.0, 0.0, 1.0]),
        }
        match registered_years(f, at) {
            Some(y) => out.extend([self.registered_years.z(y), 0.0]),
            None => out.extend([0.0, 1.0]),
        }
        out.push(self.votes.z(f.votes.len() as f64));
        let primaries = |p: &str| f.votes.iter().filter(|(_, v)| v == p).count().min(5) as f64;
        out.push(primaries("DEM"));
        out.push(primaries("REP"));
        out.push(
            if f.status == "A" || f.status.eq_ignore_ascii_case("active") {
                1.0
            } else {
                0.0
            },
        );
        let one_hot = |vocab: &[String], v: &str, out: &mut Vec<f64>| {
            out.extend(vocab.iter().map(|x| if x == v { 1.0 } else { 0.0 }));
        };
        one_hot(&self.parties, &f.party, out);
        one_hot(&self.genders, &f.gender, out);
        one_hot(&self.counties, &f.county, out);
        out.extend(self.elections.iter().map(|e| {
            if f.votes.iter().any(|(d, _)| d == e) {
                1.0
            } else {
                0.0
            }
        }));
    }

    /// The feature vector of one voter.
    pub fn encode(&self, f: &VoterFacts) -> Vec<f64> {
        let mut v = Vec::with_capacity(self.width());
        self.encode_into(f, &mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_and_unknown_values() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let a = VoterFacts {
            state_voter_id: "A".into(),
            birth_year: Some(1990),
            party: "DEM".into(),
            gender: "F".into(),
            county: "WAKE".into(),
            status: "A".into(),
            registration_date: Some(d(2010, 1, 1)),
            votes: vec![
                (d(2024, 3, 5), "DEM".into()),
                (d(2024, 11, 5), String::new()),
            ],
        };
        let b = VoterFacts {
            state_voter_id: "B".into(),
            party: "REP".into(),
            county: "DURHAM".into(),
            ..Default::default()
        };
        let enc = FeatureEncoder::fit(&[&a, &b], d(2026, 10, 1));
        assert_eq!(enc.names().len(), enc.width());
        let va = enc.encode(&a);
        let vb = enc.encode(&b);
        assert_eq!(va.len(), enc.width());
        assert_eq!(va[2], 0.0);
        assert_eq!(vb[2], 1.0, "age unknown");
        assert_eq!(va[6], 1.0, "one DEM primary");
        let names = enc.names();
        let party_dem = names.iter().position(|n| n == "party=DEM").unwrap();
        assert_eq!((va[party_dem], vb[party_dem]), (1.0, 0.0));
        let unseen = VoterFacts {
            county: "NOWHERE".into(),
            ..b.clone()
        };
        assert_eq!(enc.encode(&unseen).len(), enc.width());
    }
}
