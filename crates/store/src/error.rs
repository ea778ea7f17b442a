//! Errors of the storage contract, split into what the caller asked wrongly (a refused
//! import, a conflict) and what failed inside the database.

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request cannot be carried out as asked (e.g. an older snapshot after a newer one).
    #[error("{0}")]
    Refused(String),
    /// The importer abandoned the import; nothing was written.
    #[error("import aborted, nothing written: {0}")]
    Aborted(String),
    /// Stored data that cannot be read back (a bug or a hand-edited database).
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The database itself failed.
    #[error("database error: {0}")]
    Database(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;
