//! The Voting Information Project engine: reads VIP feeds (5.x XML streamed, the 5.x CSV
//! flavour as a folder or zip, and the older 3.0 CSV flavour) into one model, validates
//! them (findings by element id and line), and builds an immutable address lookup index
//! that answers "where do I vote" for a free-text address: precinct, polling place,
//! early-vote sites and drop boxes with hours, or what is missing, or similar streets.
//! Pure computation: no database, no network.
//!
//! ```no_run
//! let feed = votebase_vip::load(std::path::Path::new("feed.xml"))?;
//! let report = votebase_vip::validate(&feed);
//! let index = votebase_vip::Index::build(&feed);
//! let answer = index.lookup("123 Main St, Graham, NC 27253");
//! # Ok::<(), votebase_vip::VipError>(())
//! ```

pub mod csv3;
pub mod csv5;
pub mod element;
pub mod error;
pub mod impact;
pub mod index;
pub mod lookup;
pub mod model;
pub mod store;
pub mod validate;
pub mod xml;

pub use error::{FeedError, Result, VipError};
pub use index::{Contact, Index, IndexStats, Place, PrecinctAnswer};
pub use lookup::{Answer, Missing, Query, Suggestion, parse_query};
pub use model::{Feed, FeedFormat};
pub use validate::{Finding, Report, Rule, Severity, validate};

use std::path::Path;

/// Reads a feed, detecting its flavour: an `.xml` file (5.x), a folder or `.zip` of
/// `.txt` files (5.x CSV, or 3.0 CSV when it has `precinct_split.txt`,
/// `precinct_polling_location.txt` or 3.0 `street_segment.txt` columns), or a zip holding
/// one `.xml`.
pub fn load(path: &Path) -> Result<Feed> {
    let io = |source| FeedError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        let files = csv5::Files::from_dir(path)?;
        return load_files(path, files);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "zip" => {
            if let Some(feed) = xml::read_zip(path)? {
                return Ok(feed);
            }
            let files = csv5::Files::from_zip(path)?;
            load_files(path, files)
        }
        _ => xml::read_path(path),
    }
}

fn load_files(path: &Path, files: csv5::Files) -> Result<Feed> {
    if files.is_empty() {
        return Err(FeedError::NotAFeed {
            path: path.to_path_buf(),
            reason: "no .txt element files and no .xml".into(),
        }
        .into());
    }
    if csv3::looks_like_v3(&files) {
        csv3::read(&files)
    } else {
        csv5::read(&files)
    }
}
