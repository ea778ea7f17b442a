//! Purge watch, the pure engine: from the roll of each snapshot and the voters who left
//! it between consecutive snapshots (both read by the stores with `GROUP BY`), the rate
//! of each way off the roll per county, a stated test of each rate against the county's
//! own history and the state's other counties (one-sided Poisson, Benjamini–Hochberg
//! across counties × transitions, effect-size floors), breakdowns, a sentence per flag,
//! EAC baselines as a prior, and reinstatement counts. No database, no HTTP.

pub mod baseline;
pub mod flag_id;
pub mod model;
pub mod report;
pub mod stats;
pub mod thresholds;

pub use baseline::Baselines;
pub use flag_id::FlagId;
pub use model::{RemovalCell, RollCount, RollDimension, RollStatus, SnapshotRef, Transition};
pub use report::{Flag, PairReport, Report, build_report};
pub use thresholds::Thresholds;

#[cfg(test)]
mod tests;
