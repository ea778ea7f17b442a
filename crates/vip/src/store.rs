//! Installed feeds on disk, without a database: each organization's feeds live in
//! `<data>/<org>.vip/`, one folder per installed version named by its UTC install time
//! (`20260307T101502Z/`) holding the original file, folder or zip as it was given, and a
//! small `current` pointer file naming the version in use (`20260307T101502Z/feed.zip`).
//!
//! [`FeedDir::install`] validates a feed, copies it into a staging folder, renames the
//! staging folder into place and then replaces `current` atomically (write a temporary
//! file, sync it, rename it over the old one), so a reader sees either the old version or
//! the new one, never a half-copied feed. Old versions are kept: they are the record of
//! what was served when. PostgreSQL deployments use the same folder under `--data`.

use crate::error::VipError;
use crate::validate::{Report, validate};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use votebase_domain::OrgName;

/// The name of the pointer file.
pub const CURRENT: &str = "current";

/// Why a feed could not be installed or read back.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The feed cannot be read (not a feed, malformed, missing).
    #[error(transparent)]
    Load(#[from] VipError),
    /// Validation found errors (lookups that would answer wrongly or not at all) and
    /// `force` was not given.
    #[error(
        "the feed has {errors} validation errors that leave {addresses} addresses without a right answer (run `votebase vip validate` to list them); not installed (use --force to install it anyway)"
    )]
    Invalid {
        /// Number of error findings.
        errors: usize,
        /// Addresses the errors affect.
        addresses: u64,
        /// The whole report.
        report: Box<Report>,
    },
    /// A file operation in the feed folder failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The pointer file names something outside the feed folder.
    #[error("{}: the pointer {pointer:?} does not name a feed version", path.display())]
    BadPointer {
        /// The pointer file.
        path: PathBuf,
        /// Its content.
        pointer: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What [`FeedDir::install`] did.
#[derive(Debug)]
pub struct Installed {
    /// The installed copy (`<data>/<org>.vip/<version>/<name>`).
    pub path: PathBuf,
    /// The version folder's name (the UTC install time).
    pub version: String,
    /// The validation report of the feed.
    pub report: Report,
    /// True when the feed had errors and was installed because of `force`.
    pub forced: bool,
    /// Precincts, polling locations and street segments.
    pub counts: (usize, usize, usize),
}

/// One organization's feed folder.
#[derive(Debug, Clone)]
pub struct FeedDir {
    root: PathBuf,
}

impl FeedDir {
    /// The feed folder of `org` under the data directory `data`: `<data>/<org>.vip`.
    pub fn new(data: &Path, org: &OrgName) -> FeedDir {
        FeedDir {
            root: data.join(format!("{}.vip", org.as_str())),
        }
    }

    /// A feed folder at an explicit path.
    pub fn at(root: impl Into<PathBuf>) -> FeedDir {
        FeedDir { root: root.into() }
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The pointer file, `<root>/current`.
    pub fn pointer_path(&self) -> PathBuf {
        self.root.join(CURRENT)
    }

    /// The pointer's content (`<version>/<name>`), or `None` when nothing is installed.
    pub fn pointer(&self) -> Result<Option<String>, InstallError> {
        let path = self.pointer_path();
        match std::fs::read_to_string(&path) {
            Ok(s) => Ok(Some(s.trim().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// The feed in use, or `None` when nothing is installed.
    pub fn current(&self) -> Result<Option<PathBuf>, InstallError> {
        let Some(pointer) = self.pointer()? else {
            return Ok(None);
        };
        let rel = Path::new(&pointer);
        let safe = !pointer.is_empty()
            && rel
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe {
            return Err(InstallError::BadPointer {
                path: self.pointer_path(),
                pointer,
            });
        }
        Ok(Some(self.root.join(rel)))
    }

    /// Validates the feed at `src` and, unless it has errors and `force` is false, copies
    /// it into a new version folder and points `current` at it.
    pub fn install(&self, src: &Path, force: bool) -> Result<Installed, InstallError> {
        let feed = crate::load(src)?;
        let report = validate(&feed);
        if report.errors > 0 && !force {
            return Err(InstallError::Invalid {
                errors: report.errors,
                addresses: report.affected_addresses,
                report: Box::new(report),
            });
        }
        let counts = feed.counts();
        drop(feed);
        let name = src
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_os_string()))
            .or_else(|| src.file_name().map(|n| n.to_os_string()))
            .unwrap_or_else(|| "feed".into());
        std::fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;

        // Copy into a staging folder first: a version folder is complete or absent.
        let staging = self.root.join(format!(
            ".staging-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir(&staging).map_err(io_err(&staging))?;
        let copied = copy_all(src, &staging.join(&name));
        if let Err(e) = copied {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        let stamp = utc_stamp(SystemTime::now());
        let mut version = stamp.clone();
        let mut n = 1;
        loop {
            let target = self.root.join(&version);
            if !target.exists() {
                match std::fs::rename(&staging, &target) {
                    Ok(()) => break,
                    Err(_) if target.exists() => {}
                    Err(e) => {
                        let _ = std::fs::remove_dir_all(&staging);
                        return Err(io_err(&target)(e));
                    }
                }
            }
            n += 1;
            version = format!("{stamp}-{n}");
        }
        let rel = format!("{version}/{}", name.to_string_lossy());
        self.write_pointer(&rel)?;
        Ok(Installed {
            path: self.root.join(&version).join(&name),
            version,
            forced: report.errors > 0,
            report,
            counts,
        })
    }

    /// Replaces `current` atomically: a temporary file, synced, renamed over it.
    fn write_pointer(&self, rel: &str) -> Result<(), InstallError> {
        let tmp = self
            .root
            .join(format!(".{CURRENT}.tmp-{}", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(format!("{rel}\n").as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io_err(&tmp))?;
        drop(f);
        let pointer = self.pointer_path();
        std::fs::rename(&tmp, &pointer).map_err(io_err(&pointer))?;
        // Make the rename durable where the platform allows syncing a folder.
        if let Ok(dir) = std::fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Copies a file, or a folder recursively (regular files and folders only).
fn copy_all(src: &Path, dst: &Path) -> Result<(), InstallError> {
    let meta = std::fs::metadata(src).map_err(io_err(src))?;
    if meta.is_dir() {
        std::fs::create_dir(dst).map_err(io_err(dst))?;
        for entry in std::fs::read_dir(src).map_err(io_err(src))? {
            let entry = entry.map_err(io_err(src))?;
            let kind = entry.file_type().map_err(io_err(&entry.path()))?;
            if kind.is_dir() || kind.is_file() || kind.is_symlink() {
                copy_all(&entry.path(), &dst.join(entry.file_name()))?;
            }
        }
        Ok(())
    } else {
        std::fs::copy(src, dst).map_err(io_err(src))?;
        // The copy keeps the source's read-only bit; the installed copy is ours to manage.
        let mut perms = meta.permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        let _ = std::fs::set_permissions(dst, perms);
        Ok(())
    }
}

/// `YYYYMMDDTHHMMSSZ` for a time (UTC).
pub fn utc_stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "vip-store-{tag}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/vip")
            .join(name)
    }

    #[test]
    fn stamps_are_utc_calendar_times() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_878_502);
        assert_eq!(utc_stamp(t), "20260307T101502Z");
        assert_eq!(utc_stamp(SystemTime::UNIX_EPOCH), "19700101T000000Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_stamp(leap), "20000229T000000Z");
    }

    #[test]
    fn installs_refuses_errors_without_force_and_moves_the_pointer() {
        let data = scratch("install");
        let dir = FeedDir::new(&data, &OrgName::parse("acme").unwrap());
        assert!(dir.current().unwrap().is_none());

        let good = fixture("xml-5.x-fixtures/v5-source-vip-id-valid-2-digit-fips.xml");
        let first = dir.install(&good, false).unwrap();
        assert!(!first.forced);
        assert_eq!(dir.current().unwrap().unwrap(), first.path);
        assert!(first.path.starts_with(data.join("acme.vip")));
        assert!(
            first
                .path
                .ends_with("v5-source-vip-id-valid-2-digit-fips.xml")
        );

        // An unreadable house number leaves the segment's addresses without an answer.
        let bad = fixture("xml-5.x-fixtures/v5-street-segment-start-house-number-invalid.xml");
        match dir.install(&bad, false) {
            Err(InstallError::Invalid { errors, .. }) => assert!(errors > 0),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(dir.current().unwrap().unwrap(), first.path);

        let second = dir.install(&bad, true).unwrap();
        assert!(second.forced);
        assert_ne!(second.version, first.version);
        assert_eq!(dir.current().unwrap().unwrap(), second.path);
        assert!(first.path.exists(), "old versions are kept");
        let leftovers: Vec<_> = std::fs::read_dir(dir.root())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "no staging or temporary files remain");
        std::fs::remove_dir_all(&data).ok();
    }

    #[test]
    fn installs_a_folder_feed_and_reads_it_back() {
        let data = scratch("folder");
        let dir = FeedDir::at(data.join("x.vip"));
        let src = fixture("csv-3.0-nc-alamance");
        let installed = dir.install(&src, true).unwrap();
        assert!(installed.path.join("street_segment.txt").is_file());
        let feed = crate::load(&dir.current().unwrap().unwrap()).unwrap();
        assert_eq!(feed.counts(), installed.counts);
        std::fs::remove_dir_all(&data).ok();
    }

    #[test]
    fn a_pointer_outside_the_folder_is_refused() {
        let data = scratch("pointer");
        let dir = FeedDir::at(&data);
        std::fs::write(dir.pointer_path(), "../../etc/passwd\n").unwrap();
        assert!(matches!(
            dir.current(),
            Err(InstallError::BadPointer { .. })
        ));
        std::fs::remove_dir_all(&data).ok();
    }

    #[test]
    fn a_missing_feed_is_a_load_error() {
        let data = scratch("missing");
        let dir = FeedDir::at(&data);
        assert!(matches!(
            dir.install(Path::new("/no/such/feed.xml"), true),
            Err(InstallError::Load(_))
        ));
        std::fs::remove_dir_all(&data).ok();
    }
}
