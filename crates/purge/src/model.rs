//! The engine's input types live in `votebase_domain::purges` (the stores produce them);
//! re-exported here so engine users need one import.

pub use votebase_domain::purges::*;
