//! Training and applying a score: a logistic regression (linfa-logistic, L-BFGS, L2 penalty)
//! on encoded voter features, with a held-out fifth picked by a seeded hash of each
//! voter id, so the same examples and seed always give the same model.

use crate::features::{FeatureEncoder, VoterFacts};
use crate::metrics::{CalibrationRow, auc, calibration};
use chrono::NaiveDate;
use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// Why a score cannot be trained or read.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// Not enough labelled voters, or only one class among them.
    #[error("cannot train: {0}")]
    NotEnoughData(String),
    /// The solver failed.
    #[error("model fit failed: {0}")]
    Fit(String),
    /// A stored model that cannot be read.
    #[error("stored model is not readable: {0}")]
    BadModel(String),
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Seed of the held-out split.
    pub seed: u64,
    /// L2 penalty of the regression.
    pub alpha: f64,
    /// The day ages and years registered are counted at.
    pub reference_date: NaiveDate,
}

/// A fitted score: plain data, applied without the solver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Score name (`support`).
    pub name: String,
    /// What it predicts, for people (`survey:support in 1..2`).
    pub target: String,
    /// Split seed it was trained with.
    pub seed: u64,
    /// The feature encoding.
    pub encoder: FeatureEncoder,
    /// One weight per feature, in [`FeatureEncoder::names`] order.
    pub coefficients: Vec<f64>,
    /// The intercept.
    pub intercept: f64,
    /// AUC on the held-out fifth.
    pub auc: f64,
    /// Calibration on the held-out fifth.
    pub calibration: Vec<CalibrationRow>,
    /// Voters trained on.
    pub trained_on: usize,
    /// Voters held out.
    pub held_out: usize,
    /// Share of positives among all labelled voters.
    pub base_rate: f64,
}

/// What training produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// The model (with its AUC and calibration).
    pub model: Model,
}

/// splitmix64 of a string with a seed: the held-out fifth is `hash % 5 == 0`.
fn split_hash(seed: u64, id: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// Solver iterations at most.
const MAX_ITERATIONS: u64 = 300;
/// Gradient norm at which the solver stops.
const GRADIENT_TOLERANCE: f64 = 1e-4;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Labelled voters split and encoded: what the solver (or any other) is fitted on.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The encoding, learned from the training voters.
    pub encoder: FeatureEncoder,
    /// Training rows, row-major, `encoder.width()` values each.
    pub train_x: Vec<f64>,
    /// Training labels.
    pub train_y: Vec<bool>,
    /// Held-out rows, row-major.
    pub test_x: Vec<f64>,
    /// Held-out labels.
    pub test_y: Vec<bool>,
    /// Share of positives among all labelled voters.
    pub base_rate: f64,
}

/// Splits labelled voters (`true` = positive) into a training set and a held-out fifth
/// (by a seeded hash of the voter id, so input order does not matter) and encodes them.
pub fn prepare(
    examples: &[(VoterFacts, bool)],
    options: TrainOptions,
) -> Result<Prepared, ScoreError> {
    let mut order: Vec<usize> = (0..examples.len()).collect();
    order.sort_by(|&a, &b| {
        examples[a]
            .0
            .state_voter_id
            .cmp(&examples[b].0.state_voter_id)
    });
    let (test, train_idx): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&i| split_hash(options.seed, &examples[i].0.state_voter_id) % 5 == 0);
    let positives = examples.iter().filter(|(_, y)| *y).count();
    if train_idx.len() < 20 || test.len() < 5 {
        return Err(ScoreError::NotEnoughData(format!(
            "{} labelled voters; at least 25 are needed",
            examples.len()
        )));
    }
    let train_pos = train_idx.iter().filter(|&&i| examples[i].1).count();
    if train_pos == 0 || train_pos == train_idx.len() {
        return Err(ScoreError::NotEnoughData(
            "every training voter has the same answer; both outcomes are needed".into(),
        ));
    }
    let facts: Vec<&VoterFacts> = train_idx.iter().map(|&i| &examples[i].0).collect();
    let encoder = FeatureEncoder::fit(&facts, options.reference_date);
    let encode = |idx: &[usize]| {
        let mut flat = Vec::with_capacity(idx.len() * encoder.width());
        for &i in idx {
            encoder.encode_into(&examples[i].0, &mut flat);
        }
        flat
    };
    Ok(Prepared {
        train_x: encode(&train_idx),
        train_y: train_idx.iter().map(|&i| examples[i].1).collect(),
        test_x: encode(&test),
        test_y: test.iter().map(|&i| examples[i].1).collect(),
        base_rate: positives as f64 / examples.len() as f64,
        encoder,
    })
}

/// Trains a score on labelled voters (`true` = positive), holding out a fifth.
pub fn train(
    name: &str,
    target: &str,
    examples: &[(VoterFacts, bool)],
    options: TrainOptions,
) -> Result<TrainReport, ScoreError> {
    let p = prepare(examples, options)?;
    let width = p.encoder.width();
    let rows = p.train_y.len();
    let x = Array2::from_shape_vec((rows, width), p.train_x)
        .map_err(|e| ScoreError::Fit(e.to_string()))?;
    let y: Array1<usize> = p.train_y.iter().map(|&b| usize::from(b)).collect();
    let fitted = LogisticRegression::default()
        .alpha(options.alpha)
        .max_iterations(MAX_ITERATIONS)
        .gradient_tolerance(GRADIENT_TOLERANCE)
        .fit(&Dataset::new(x, y))
        .map_err(|e| ScoreError::Fit(e.to_string()))?;
    // linfa models the larger label (1, a positive) as its positive class.
    let sign = if fitted.labels().pos.class == 1 {
        1.0
    } else {
        -1.0
    };
    let coefficients: Vec<f64> = fitted.params().iter().map(|w| sign * w).collect();
    let intercept = sign * fitted.intercept();
    let held_out = p.test_y.len();
    let probabilities: Vec<f64> = p
        .test_x
        .chunks(width.max(1))
        .take(held_out)
        .map(|row| linear_probability(intercept, &coefficients, row))
        .collect();
    Ok(TrainReport {
        model: Model {
            name: name.to_string(),
            target: target.to_string(),
            seed: options.seed,
            encoder: p.encoder,
            coefficients,
            intercept,
            auc: auc(&probabilities, &p.test_y).unwrap_or(0.5),
            calibration: calibration(&probabilities, &p.test_y),
            trained_on: rows,
            held_out,
            base_rate: p.base_rate,
        },
    })
}

fn linear_probability(intercept: f64, w: &[f64], x: &[f64]) -> f64 {
    sigmoid(intercept + x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>())
}

impl Model {
    /// Probability of the positive outcome for one voter.
    pub fn probability(&self, f: &VoterFacts) -> f64 {
        let mut v = Vec::with_capacity(self.coefficients.len());
        self.encoder.encode_into(f, &mut v);
        sigmoid(
            self.intercept
                + v.iter()
                    .zip(&self.coefficients)
                    .map(|(x, w)| x * w)
                    .sum::<f64>(),
        )
    }

    /// The score 0–100 (the probability in percent, rounded).
    pub fn score(&self, f: &VoterFacts) -> i64 {
        (self.probability(f) * 100.0).round().clamp(0.0, 100.0) as i64
    }

    /// The model as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a model always serialises")
    }

    /// A model from its JSON.
    pub fn from_json(text: &str) -> Result<Self, ScoreError> {
        let m: Model =
            serde_json::from_str(text).map_err(|e| ScoreError::BadModel(e.to_string()))?;
        if m.coefficients.len() != m.encoder.width() {
            return Err(ScoreError::BadModel(format!(
                "{} weights for {} features",
                m.coefficients.len(),
                m.encoder.width()
            )));
        }
        Ok(m)
    }

    /// The largest weights, by absolute value, with their feature names.
    pub fn top_weights(&self, n: usize) -> Vec<(String, f64)> {
        let mut w: Vec<(String, f64)> = self
            .encoder
            .names()
            .into_iter()
            .zip(self.coefficients.iter().copied())
            .collect();
        w.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        w.truncate(n);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Voters whose chance of support depends on party and age, drawn with a tiny LCG.
    fn synthetic(n: usize, seed: u64) -> Vec<(VoterFacts, bool)> {
        let mut s = seed;
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as f64 / (1u64 << 31) as f64
        };
        (0..n)
            .map(|i| {
                let party = ["DEM", "REP", "UNA"][(next() * 3.0) as usize % 3];
                let birth = 1940 + (next() * 65.0) as i32;
                let mut p: f64 = match party {
                    "DEM" => 0.75,
                    "REP" => 0.15,
                    _ => 0.45,
                };
                p += (f64::from(birth) - 1975.0) * 0.006;
                let y = next() < p.clamp(0.02, 0.98);
                let facts = VoterFacts {
                    state_voter_id: format!("V{i:07}"),
                    birth_year: Some(birth),
                    party: party.into(),
                    gender: if next() < 0.5 { "F" } else { "M" }.into(),
                    county: ["WAKE", "DURHAM", "ALAMANCE"][i % 3].into(),
                    status: "A".into(),
                    registration_date: NaiveDate::from_ymd_opt(2000 + (i % 20) as i32, 1, 1),
                    votes: Vec::new(),
                };
                (facts, y)
            })
            .collect()
    }

    fn options(seed: u64) -> TrainOptions {
        TrainOptions {
            seed,
            alpha: 1.0,
            reference_date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        }
    }

    #[test]
    fn same_seed_same_model_and_it_ranks_well() {
        let data = synthetic(4000, 7);
        let a = train("support", "t", &data, options(1)).unwrap().model;
        let mut shuffled = data.clone();
        shuffled.reverse();
        let b = train("support", "t", &shuffled, options(1)).unwrap().model;
        assert_eq!(
            a.to_json(),
            b.to_json(),
            "same seed, same model, whatever the input order"
        );
        let c = train("support", "t", &data, options(2)).unwrap().model;
        assert_ne!(
            a.to_json(),
            c.to_json(),
            "another seed holds out other voters"
        );
        assert!(a.auc > 0.7, "auc {}", a.auc);
        assert_eq!(a.held_out + a.trained_on, 4000);
        assert!(
            (600..1000).contains(&a.held_out),
            "about a fifth: {}",
            a.held_out
        );
        assert_eq!(a.calibration.len(), 10);
        let back = Model::from_json(&a.to_json()).unwrap();
        assert_eq!(back, a);
        let dem = a
            .top_weights(50)
            .into_iter()
            .find(|(n, _)| n == "party=DEM")
            .unwrap();
        let rep = a
            .top_weights(50)
            .into_iter()
            .find(|(n, _)| n == "party=REP")
            .unwrap();
        assert!(dem.1 > rep.1);
        let s = a.score(&data[0].0);
        assert!((0..=100).contains(&s));
    }

    #[test]
    fn refuses_one_class_or_too_few() {
        let mut data = synthetic(200, 3);
        for d in &mut data {
            d.1 = true;
        }
        assert!(matches!(
            train("s", "t", &data, options(1)),
            Err(ScoreError::NotEnoughData(_))
        ));
        assert!(matches!(
            train("s", "t", &synthetic(10, 3), options(1)),
            Err(ScoreError::NotEnoughData(_))
        ));
    }
}
