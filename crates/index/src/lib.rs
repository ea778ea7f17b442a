//! `votebase-index`: the universe engine. A campaign builds lists ("universes") from
//! filters such as `county:WAKE,DURHAM party:DEM age:18..29 !voted:2022-11-08`; this
//! crate parses that language ([`parser`], [`expr`]), resolves it against the known
//! attribute families ([`families`], [`query`]), and answers counts, member lists and
//! breakdowns ([`breakdown`]) from an in-memory index of roaring bitmaps
//! ([`UniverseIndex`], built with [`IndexBuilder`]). It is pure computation: feed it
//! voter records, history and keyed data (tags, scores, ballot statuses, contacts) from
//! whatever store holds them.
//!
//! ```
//! use chrono::NaiveDate;
//! use votebase_domain::voters::{Party, VoterRecord};
//! use votebase_index::{Dimension, IndexBuilder, parse};
//!
//! let mut b = IndexBuilder::new(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
//! for (id, county, party) in [("A1", "WAKE", Party::Dem), ("A2", "DURHAM", Party::Rep)] {
//!     let v = VoterRecord {
//!         state_voter_id: id.into(),
//!         county_name: county.into(),
//!         party,
//!         birth_year: Some(2000),
//!         ..Default::default()
//!     };
//!     b.add_voter(&v).unwrap();
//! }
//! b.add_tag("A1", "volunteer-prospect").unwrap();
//! let index = b.build();
//! let expr = parse("county:WAKE,DURHAM age:18..29 !party:REP").unwrap();
//! assert_eq!(index.count(&expr).unwrap(), 1);
//! assert_eq!(index.count_str("tag:volunteer-prospect").unwrap(), 1);
//! assert_eq!(index.breakdown(&expr, Dimension::County).unwrap(), vec![("WAKE".to_string(), 1)]);
//! let err = index.count_str("colour:red").unwrap_err();
//! assert!(err.to_string().starts_with("unknown family `colour` at byte 0; known families: county,"));
//! ```

pub mod breakdown;
pub mod expr;
pub mod families;
mod index;
pub mod parser;
pub mod query;
pub mod scan;
pub mod synth;

pub use breakdown::{Dimension, UnknownDimension};
pub use expr::{Expr, Span};
pub use families::FamilyKind;
pub use index::{DateIndex, IndexBuilder, IndexError, IndexStats, UniverseIndex};
pub use parser::{ParseError, parse};
pub use query::{Pred, Query, QueryError};
