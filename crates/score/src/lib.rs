//! `votebase-score`: support (or any yes/no) scores from the voter file. It turns a
//! voter's record and vote history into features ([`features`]: age, party, gender,
//! county, years registered, status, turnout and party-primary history), fits a
//! logistic regression with linfa-logistic's L-BFGS solver (argmin) on voters with a known answer,
//! holding out a fifth chosen by a seeded hash of the voter id, and reports the AUC and
//! a calibration table (deciles of predicted vs observed) on that fifth
//! ([`train`]). The fitted [`Model`] is plain data (JSON): applying it needs no
//! solver, and the same examples and seed always give the same model. Pure computation:
//! no store, no I/O.

pub mod features;
pub mod metrics;
mod model;

pub use features::{FeatureEncoder, VoterFacts};
pub use metrics::{CalibrationRow, auc, calibration};
pub use model::{Model, Prepared, ScoreError, TrainOptions, TrainReport, prepare, train};
