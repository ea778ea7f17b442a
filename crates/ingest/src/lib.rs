//! Getting files into votebase: declared file layouts (built-in for North Carolina,
//! Ohio and Florida, or any state through a TOML file), reading plain, `.gz` and `.zip`
//! inputs in any encoding, normalising names, addresses, phones and dates, and importing
//! voter files as dated snapshots and vote history, with every rejected row written to a
//! rejects file with its line and reason. Also the parser of free-text voter searches
//! (the demo-state generator is its own crate, `votebase-demo`).

pub mod ballots;
pub mod contacts;
pub mod donations;
pub mod error;
pub mod exports;
pub mod history;
pub mod input;
pub mod layout;
pub mod progress;
pub mod rejects;
pub mod results;
pub mod rows;
pub mod search;
pub mod voters;

pub use error::IngestError;
pub use layout::{Layout, LayoutKind};
pub use progress::{NoProgress, Progress};
