//! `votebase-narrative`: the disinformation clustering engine. It turns short posts, tips
//! and hotline reports in English and Spanish into *narratives*: text is normalised
//! ([`text`]: accents folded, stopwords dropped, light stemming, a small election lexicon
//! that maps Spanish and English words of the same meaning to one concept), cut into word
//! shingles, summarised by a MinHash signature ([`minhash`]) and assigned incrementally to
//! a narrative through LSH banding ([`cluster`]), in microseconds per item; signatures are
//! plain bytes the caller persists, so a restart resumes from them. It also matches items
//! to the catalogue of known claims ([`claims`]), finds the counties and cities an item
//! names ([`places`]), tests each narrative's hourly volume against its own baseline
//! ([`spikes`]: a Poisson upper tail with a floor, one alert per spike), summarises
//! narratives ([`summary`]) and scores a clustering against labels ([`eval`]). A
//! generator of labelled election-day streams ([`synth`]) feeds the tests, the demo and
//! the benchmark. Pure computation: no database, no HTTP, no file formats.

pub mod claims;
pub mod cluster;
pub mod eval;
pub mod minhash;
pub mod places;
pub mod spikes;
pub mod summary;
pub mod synth;
pub mod text;

pub use claims::{ClaimIndex, ClaimMatch};
pub use cluster::{Assignment, ClusterParams, Clusterer, Prepared};
pub use minhash::{SIGNATURE_LEN, Signature};
pub use places::PlaceMatcher;
pub use spikes::{Spike, SpikeRule};
pub use text::{Lang, Normalised, normalise};
