//! `votebase-link`: record linkage for campaign data. Deduplicates one file or links two
//! (e.g. a contact list against the voter file) with a Fellegi–Sunter model trained without
//! labels (u from random pairs, m by EM), deterministic rules first (same voter id, same email,
//! same phone and last name), term-frequency adjustment, several unioned blocking rules with a
//! guard against explosion, and explainable output: each pair carries its match probability,
//! match weight and every comparison's contribution; pairs above the threshold form clusters.
//!
//! ```no_run
//! use votebase_link::*;
//! let headers = read_headers("a.csv".as_ref())?;
//! let config = infer_config(&headers);
//! println!("{}", config.to_toml());
//! let a = read_csv("a.csv".as_ref(), &config)?;
//! let mut out = CsvPairWriter::new(std::fs::File::create("pairs.csv")?);
//! let outcome = dedupe(&a, &config, &mut out, &NoProgress)?;
//! outcome.clusters.write_csv(std::fs::File::create("clusters.csv")?, &a, None, 1)?;
//! eprintln!("{}", outcome.report);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blocking;
pub mod clusters;
pub mod comparisons;
pub mod config;
pub mod dataset;
mod early;
pub mod engine;
pub mod error;
pub mod eval;
pub mod io;
pub mod model;
pub mod nicknames;
mod prepare;
pub mod synth;
mod tf;

pub use clusters::{Clusters, Member};
pub use comparisons::Comparison;
pub use config::{BlockKey, BlockingRule, Columns, LinkConfig, Role, infer_config};
pub use dataset::{Dataset, PersonRecord};
pub use engine::{
    CollectPairs, LinkOutcome, LinkReport, NoProgress, PairContext, PairSink, Progress, RuleReport,
    ScoredPair, Stage, dedupe, link,
};
pub use error::{InternalError, LinkError, UserError};
pub use io::{CsvPairWriter, read_csv, read_csv_from, read_headers};
pub use model::Model;
