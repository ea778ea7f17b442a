//! `votebase import vip PATH [--force] [--json]`: validates a Voting Information Project
//! feed and installs it for the public "Where do I vote?" pages. A feed with validation
//! errors is refused unless `--force` is given. The feed is copied as given (file, folder
//! or zip) into `<data>/<org>.vip/<UTC time>/` and the `current` pointer file is replaced
//! atomically; a running `votebase serve` notices the new pointer within seconds and
//! switches to the new feed without a restart. No database is involved, so PostgreSQL
//! deployments keep their feeds in the same folder under `--data`.

use crate::options::Global;
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use votebase_domain::OrgName;
use votebase_vip::store::{FeedDir, InstallError};

/// Arguments of `votebase import vip`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase import vip vipFeed-37-2026-11-03.zip\n  votebase import vip ./csv-3.0-nc-alamance --force --json\n\nThe feed is kept in <data>/<org>.vip/ (also with --database); `votebase serve` picks up a new feed within seconds."
)]
pub struct ImportVipArgs {
    /// The feed: a 5.x `.xml`, a `.zip`, or a folder of `.txt` files (5.x or 3.0 CSV).
    pub path: PathBuf,
    /// Install even when validation finds errors (segments with errors may answer wrongly).
    #[arg(long)]
    pub force: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The feed folder of the organization in `global`: `<data>/<org>.vip`.
pub fn feed_dir(global: &Global) -> anyhow::Result<FeedDir> {
    let org = OrgName::parse(&global.org)?;
    Ok(FeedDir::new(&global.data, &org))
}

/// Runs `votebase import vip`.
pub fn import(global: &Global, args: ImportVipArgs) -> anyhow::Result<()> {
    let dir = feed_dir(global)?;
    let installed = match dir.install(&args.path, args.force) {
        Ok(i) => i,
        Err(InstallError::Load(e)) => {
            return Err(anyhow::Error::new(e))
                .with_context(|| format!("cannot read the VIP feed {}", args.path.display()));
        }
        Err(e) => return Err(e.into()),
    };
    let (precincts, places, segments) = installed.counts;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "installed": installed.path,
                "version": installed.version,
                "errors": installed.report.errors,
                "warnings": installed.report.warnings,
                "forced": installed.forced,
                "precincts": precincts,
                "polling_locations": places,
                "street_segments": segments,
            })
        );
    } else {
        println!(
            "{}: installed as {} ({precincts} precincts, {places} polling locations, {segments} street segments; {} errors, {} warnings{})",
            args.path.display(),
            installed.path.display(),
            installed.report.errors,
            installed.report.warnings,
            if installed.forced {
                ", installed because of --force"
            } else {
                ""
            }
        );
    }
    Ok(())
}
