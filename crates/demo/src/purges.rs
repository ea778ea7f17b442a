//! Purge watch's demo data: weekly ncvoter refreshes after the demo's second snapshot,
//! with normal churn everywhere (a few active voters made inactive for a confirmation
//! not returned, a few removed as deceased, some inactive voters verified again) and one
//! Kentucky-style mass inactivation: in one refresh, one county moves 8% of its active
//! voters to inactive ("confirmation returned undeliverable"), Democrats twice as likely
//! as others; the next refresh reinstates about a third of them. Rows are read from the
//! second snapshot's file and written back with the status columns changed, so the
//! refreshes go through the same importer as every other file. Deterministic per seed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};

use crate::rng::mix;

/// Refreshes the demo writes after its second snapshot.
pub const PURGE_REFRESHES: usize = 3;

/// Share of the planted county's active voters moved to inactive (Democrats twice this).
pub const PLANTED_RATE: f64 = 0.08;

/// The purge planted in the refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedPurge {
    /// The refresh (its file's date) in which it happens.
    pub as_of: NaiveDate,
    /// County name (`county_desc`).
    pub county: String,
    /// The transition code (`inactivated`).
    pub transition: &'static str,
    /// Voters moved.
    pub voters: usize,
}

impl PlantedPurge {
    /// The flag id `votebase purges report` gives it.
    pub fn flag_id(&self) -> String {
        format!("{}:{}:{}", self.as_of, self.county, self.transition)
    }
}

/// The refresh files, in date order, and the planted purge.
#[derive(Debug, Clone)]
pub struct PurgeRefreshes {
    /// `ncvoter_<YYYYMMDD>.txt`, one a week.
    pub files: Vec<PathBuf>,
    /// What was planted.
    pub planted: PlantedPurge,
}

/// A uniform draw in [0, 1) from the seed, the refresh, the row and a purpose.
fn draw(seed: u64, refresh: usize, row: usize, purpose: u64) -> f64 {
    let h = mix(seed ^ mix((refresh as u64) << 40 ^ (row as u64) << 4 ^ purpose));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

struct Columns {
    county: usize,
    status: usize,
    status_desc: usize,
    reason: usize,
    reason_desc: usize,
    party: usize,
}

fn set_status(fields: &mut [String], c: &Columns, status: (&str, &str), reason: (&str, &str)) {
    fields[c.status] = status.0.into();
    fields[c.status_desc] = status.1.into();
    fields[c.reason] = reason.0.into();
    fields[c.reason_desc] = reason.1.into();
}

const ACTIVE: (&str, &str) = ("A", "ACTIVE");
const INACTIVE: (&str, &str) = ("I", "INACTIVE");
const REMOVED: (&str, &str) = ("R", "REMOVED");

/// Writes `refreshes` weekly refreshes of the ncvoter file `base` (dated `base_as_of`)
/// into `dir`, the `refreshes.min(2)`-th of them carrying the planted purge.
pub fn write_purge_refreshes(
    base: &Path,
    base_as_of: NaiveDate,
    dir: &Path,
    seed: u64,
    refreshes: usize,
) -> std::io::Result<PurgeRefreshes> {
    let bad = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidData, why);
    let mut lines = BufReader::new(File::open(base)?).lines();
    let header = lines
        .next()
        .ok_or_else(|| bad(format!("{} is empty", base.display())))??;
    let names: Vec<&str> = header.split('\t').collect();
    let col = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| bad(format!("{} has no column {name}", base.display())))
    };
    let c = Columns {
        county: col("county_desc")?,
        status: col("status_cd")?,
        status_desc: col("voter_status_desc")?,
        reason: col("reason_cd")?,
        reason_desc: col("voter_status_reason_desc")?,
        party: col("party_cd")?,
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for line in lines {
        let line = line?;
        let fields: Vec<String> = line.split('\t').map(str::to_string).collect();
        if fields.len() != names.len() {
            return Err(bad(format!(
                "{}: a row has {} columns",
                base.display(),
                fields.len()
            )));
        }
        rows.push(fields);
    }
    // The planted county: one of the larger half by active voters, by seed.
    let mut active: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        if r[c.status] == ACTIVE.0 {
            *active.entry(r[c.county].as_str()).or_default() += 1;
        }
    }
    let mut by_size: Vec<(&str, usize)> = active.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let larger = by_size.len().div_ceil(2).max(1);
    let county = by_size
        .get((mix(seed ^ 0x9e37) % larger as u64) as usize)
        .map(|(name, _)| name.to_string())
        .ok_or_else(|| bad(format!("{} has no active voter", base.display())))?;

    std::fs::create_dir_all(dir)?;
    let planted_at = refreshes.clamp(1, 2);
    let mut planted_rows = Vec::new();
    let mut files = Vec::new();
    let mut planted_as_of = base_as_of;
    for refresh in 1..=refreshes {
        let as_of = base_as_of + Duration::days(7 * refresh as i64);
        for (i, r) in rows.iter_mut().enumerate() {
            let u = draw(seed, refresh, i, 1);
            if refresh == planted_at && r[c.county] == county && r[c.status] == ACTIVE.0 {
                let rate = if r[c.party] == "DEM" {
                    2.0 * PLANTED_RATE
                } else {
                    PLANTED_RATE
                };
                if draw(seed, refresh, i, 2) < rate {
                    set_status(
                        r,
                        &c,
                        INACTIVE,
                        ("IU", "CONFIRMATION RETURNED UNDELIVERABLE"),
                    );
                    planted_rows.push(i);
                    continue;
                }
            }
            if refresh == planted_at + 1 && planted_rows.binary_search(&i).is_ok() {
                if draw(seed, refresh, i, 3) < 0.33 {
                    set_status(r, &c, ACTIVE, ("AV", "VERIFIED"));
                }
                continue;
            }
            match r[c.status].as_str() {
                "A" if u < 0.002 => {
                    set_status(r, &c, INACTIVE, ("IN", "CONFIRMATION NOT RETURNED"))
                }
                "A" if u < 0.0025 => set_status(r, &c, REMOVED, ("RD", "DECEASED")),
                "I" if u < 0.01 => set_status(r, &c, ACTIVE, ("AV", "VERIFIED")),
                "I" if u < 0.012 => set_status(r, &c, REMOVED, ("RL", "MOVED FROM COUNTY")),
                _ => {}
            }
        }
        if refresh == planted_at {
            planted_as_of = as_of;
        }
        let path = dir.join(format!("ncvoter_{}.txt", as_of.format("%Y%m%d")));
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
        out.write_all(header.as_bytes())?;
        out.write_all(b"\n")?;
        for r in &rows {
            out.write_all(r.join("\t").as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        files.push(path);
    }
    Ok(PurgeRefreshes {
        files,
        planted: PlantedPurge {
            as_of: planted_as_of,
            county,
            transition: "inactivated",
            voters: planted_rows.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_plant_one_county_and_are_deterministic() {
        let dir = std::env::temp_dir().join(format!("vb-demo-purge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("ncvoter_20261001.txt");
        let mut text = String::from(
            "county_desc\tncid\tstatus_cd\tvoter_status_desc\treason_cd\tvoter_status_reason_desc\tparty_cd\n",
        );
        for i in 0..4000 {
            let county = ["BIG", "SMALL"][usize::from(i % 4 == 0)];
            let party = ["DEM", "REP", "UNA"][i % 3];
            text.push_str(&format!(
                "{county}\tAA{i:06}\tA\tACTIVE\tAV\tVERIFIED\t{party}\n"
            ));
        }
        std::fs::write(&base, text).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let a = write_purge_refreshes(&base, as_of, &dir.join("a"), 5, 3).unwrap();
        let b = write_purge_refreshes(&base, as_of, &dir.join("b"), 5, 3).unwrap();
        assert_eq!(a.files.len(), 3);
        assert_eq!(a.planted, b.planted);
        assert_eq!(a.planted.county, "BIG", "the larger half");
        assert_eq!(
            a.planted.as_of,
            NaiveDate::from_ymd_opt(2026, 10, 15).unwrap()
        );
        assert_eq!(a.planted.flag_id(), "2026-10-15:BIG:inactivated");
        // 3,000 active: about 8% of 2,000 non-Democrats and 16% of 1,000 Democrats.
        assert!(
            (250..=400).contains(&a.planted.voters),
            "{}",
            a.planted.voters
        );
        for (x, y) in a.files.iter().zip(&b.files) {
            assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap());
        }
        let planted = std::fs::read_to_string(&a.files[1]).unwrap();
        assert_eq!(planted.matches("\tIU\t").count(), a.planted.voters);
        std::fs::remove_dir_all(dir).ok();
    }
}
