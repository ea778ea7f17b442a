//! Shared helpers for the integration tests: where the Iowa 2020 files are.

use std::path::PathBuf;

/// The Iowa 2020 directory: `$IOWA2020_DIR`, else the shared data directory next to the
/// workspace. `None` (with a note on stderr) when the files are not on this machine.
pub fn iowa_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("IOWA2020_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/results/iowa2020"),
        PathBuf::from,
    );
    if dir.join(votebase_caucus::iowa::RELEASE_100).exists() {
        Some(dir)
    } else {
        eprintln!("skipped: no Iowa 2020 files at {}", dir.display());
        None
    }
}
