//! Errors of the linkage engine, split into the user's mistakes ([`UserError`]: a missing file,
//! a malformed CSV line, a bad config, each naming the file, line and column where known) and
//! internal failures ([`InternalError`]: writing the output, broken invariants), so that a CLI
//! can word the first as "fix your input" and the second as "this is a bug or an I/O failure".

use std::path::PathBuf;

/// Any failure of the linkage engine.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Something the user can fix: input files, columns, configuration.
    #[error(transparent)]
    User(#[from] UserError),
    /// A failure that is not the user's doing: output I/O, an engine bug.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A mistake in what the user gave us.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The input file could not be opened or read.
    #[error("{path}: cannot read: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A CSV line could not be parsed.
    #[error("{path}:{line}{}: {message}", column.as_ref().map(|c| format!(" (column {c})")).unwrap_or_default())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The column, when the error is about one field.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// The configuration names a column the file does not have.
    #[error("{path}: column `{column}` (configured as {role}) is not in the header")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column name from the config.
        column: String,
        /// The role the column was meant to fill.
        role: String,
    },
    /// No column of the file could be used for matching.
    #[error("{path}: no usable column (need at least a name, date of birth, address or id)")]
    NoUsableColumns {
        /// The file.
        path: PathBuf,
    },
    /// The configuration is invalid.
    #[error("config{}: {message}", path.as_ref().map(|p| format!(" {}", p.display())).unwrap_or_default())]
    Config {
        /// The config file, when it came from one.
        path: Option<PathBuf>,
        /// What is wrong.
        message: String,
    },
    /// A dataset is too large for 32-bit record indices.
    #[error("{name}: too many records (at most {max})")]
    TooManyRecords {
        /// The dataset.
        name: String,
        /// The limit.
        max: u64,
    },
}

/// A failure that is not the user's input.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// Writing pairs or clusters failed.
    #[error("writing output: {0}")]
    Write(#[from] std::io::Error),
    /// Writing CSV output failed.
    #[error("writing CSV output: {0}")]
    CsvWrite(#[from] csv::Error),
    /// An engine invariant was broken.
    #[error("internal error: {0}")]
    Bug(String),
}

impl From<std::io::Error> for LinkError {
    fn from(e: std::io::Error) -> Self {
        LinkError::Internal(InternalError::Write(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_error_names_file_line_and_column() {
        let e = UserError::Csv {
            path: "a.csv".into(),
            line: 7,
            column: Some("dob".into()),
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "a.csv:7 (column dob): bad");
    }
}
