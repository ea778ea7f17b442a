//! Errors of file ingestion, split into the user's mistakes (a bad layout, a header that
//! does not fit, an unreadable file: each says where and what to do) and internal
//! failures (the store failed).

use std::path::PathBuf;

/// Why an import or a layout load failed.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The layout file is not valid.
    #[error("layout {file}:{line}:{column}: {message}")]
    Layout {
        /// Layout file (or built-in name).
        file: String,
        /// 1-based line in the layout file.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// No built-in layout has this name and no such file exists.
    #[error("unknown layout {0:?}: use one of {1} or a path to a .toml layout")]
    UnknownLayout(String, String),
    /// The file's header does not fit the layout; nothing was written.
    #[error(
        "{file}: the header does not fit layout {layout}: missing {missing:?}.\n  expected one of each: {expected}\n  found: {found}\nNothing was imported; pick the right --layout or fix the header."
    )]
    HeaderMismatch {
        /// Input file.
        file: String,
        /// Layout name.
        layout: String,
        /// Fields (with their candidate columns) not found.
        missing: Vec<String>,
        /// What the layout expects.
        expected: String,
        /// The columns found.
        found: String,
    },
    /// The layout is of another kind than the command (e.g. history layout for voters).
    #[error("layout {layout} is for {actual} files, not {wanted}")]
    WrongKind {
        /// Layout name.
        layout: String,
        /// The layout's kind.
        actual: String,
        /// The kind the command needs.
        wanted: String,
    },
    /// The input cannot be opened or read.
    #[error("{path}: {message}")]
    Input {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The store refused or failed; nothing from this file was written.
    #[error(transparent)]
    Store(#[from] votebase_store::StoreError),
    /// An internal failure (a thread died).
    #[error("internal error: {0}")]
    Internal(String),
}

impl IngestError {
    /// Wraps an I/O error with the file it happened on.
    pub fn input(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Self::Input {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}
