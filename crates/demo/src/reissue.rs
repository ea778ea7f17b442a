//! Voters who re-register under a new NCID in the demo's refresh: about one in a thousand
//! first-snapshot voters (those whose NCID ends in `373`) appear in the second snapshot, the
//! vote history and the ballot files under a new id (`QX` + the old one), so the refresh must
//! link the new record to the old one. The generator writes every file with the original ids;
//! [`reissue_files`] and [`reissue_ballot_file`] then rewrite the files that postdate the
//! re-registration, exactly as `votebase demo` imports them.

use std::path::Path;

use crate::DemoFiles;

/// Column of the NCID in the ncvoter snapshots (tab-delimited).
const NCVOTER_NCID: usize = 3;
/// Column of the NCID in the ncvhis file (tab-delimited).
const NCVHIS_NCID: usize = 10;
/// Column of the NCID in the absentee ballot files (comma-delimited).
const BALLOT_NCID: usize = 2;

/// Whether a voter re-registers under a new NCID in the demo's second snapshot (about
/// one in a thousand of the first snapshot's voters; new registrations never get such an
/// NCID): the refresh must link the new record to the old one.
pub fn reissued(ncid: &str) -> bool {
    ncid.ends_with("373")
}

/// The new NCID of a re-registered voter.
pub fn reissued_id(ncid: &str) -> String {
    format!("QX{ncid}")
}

/// Rewrites, in place, the NCID column (`column`, 0-based) of a delimited file so that
/// re-registered voters carry their new id; returns how many rows changed.
pub fn reissue_ids(path: &Path, delimiter: char, column: usize) -> std::io::Result<usize> {
    let text = std::fs::read_to_string(path)?;
    let mut out = String::with_capacity(text.len());
    let mut changed = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let mut fields: Vec<&str> = line.splitn(column + 2, delimiter).collect();
        if n > 0 && fields.len() > column + 1 && reissued(fields[column]) {
            let new_id = reissued_id(fields[column]);
            fields[column] = &new_id;
            out.push_str(&fields.join(&delimiter.to_string()));
            changed += 1;
        } else {
            out.push_str(line);
        }
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, out)?;
    std::fs::rename(tmp, path)?;
    Ok(changed)
}

/// Rewrites the second snapshot and the vote history of `files` so that re-registered voters
/// carry their new id; returns the number of voters re-registered in the second snapshot.
pub fn reissue_files(files: &DemoFiles) -> std::io::Result<usize> {
    let reissued = reissue_ids(&files.voters_second, '\t', NCVOTER_NCID)?;
    reissue_ids(&files.history, '\t', NCVHIS_NCID)?;
    Ok(reissued)
}

/// Rewrites one absentee ballot file (of [`write_ballot_files`](crate::write_ballot_files)) so
/// that re-registered voters carry their new id; returns how many rows changed.
pub fn reissue_ballot_file(path: &Path) -> std::io::Result<usize> {
    reissue_ids(path, ',', BALLOT_NCID)
}
