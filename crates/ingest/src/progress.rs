//! Progress reporting hooks for long imports: the library reports rows and bytes, the
//! binary draws bars (or prints plain lines when not on a terminal).

/// Receives progress of a long-running import.
pub trait Progress: Send + Sync {
    /// The amount of input to expect, in bytes, when known.
    fn start(&self, total_bytes: Option<u64>);
    /// `rows` more rows were read, and the reader is now at byte `position`.
    fn advance(&self, rows: u64, position: u64);
    /// Reading is finished; the store is committing.
    fn finishing(&self, message: &str);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: Option<u64>) {}
    fn advance(&self, _: u64, _: u64) {}
    fn finishing(&self, _: &str) {}
}
