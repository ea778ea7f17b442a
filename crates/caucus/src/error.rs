//! Errors of the caucus engine. The arithmetic itself cannot fail; what can fail is
//! reading the published result files (a missing file, a malformed header, a cell that
//! is not a number) and resolving a coin toss with groups that were not in it. Every
//! file error carries the path and, where there is one, the 1-based line number.

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum CaucusError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The CSV reader failed (bad quoting, invalid UTF-8, …).
    #[error("{path}:{line}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line where the reader stopped (0 when unknown).
        line: u64,
        /// The underlying CSV error.
        source: csv::Error,
    },
    /// The header rows are not the expected layout.
    #[error("{path}:{line}: unexpected header: {message}")]
    Header {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending header row.
        line: u64,
        /// What was expected and what was found.
        message: String,
    },
    /// A data cell could not be understood.
    #[error("{path}:{line}: column {column} ({name}): {message}: {value:?}")]
    Cell {
        /// The file.
        path: PathBuf,
        /// 1-based line of the record.
        line: u64,
        /// 1-based column number.
        column: usize,
        /// The column's name, as far as the header says.
        name: String,
        /// The raw cell text.
        value: String,
        /// Why it was rejected.
        message: String,
    },
    /// A coin toss was resolved with groups that were not tied, or with the wrong number
    /// of winners.
    #[error("invalid coin-toss resolution: {0}")]
    Toss(String),
}
