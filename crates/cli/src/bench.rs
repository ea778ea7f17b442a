//! `votebase bench import`: generates an ncvoter file of N demo voters and times, in
//! the same run, votebase's import into SQLite and into PostgreSQL (each a child process
//! reporting its own peak memory) beside `sqlite3 .import` of the same file into a plain
//! table and `psql \copy` of it into a plain table. Prints rows/s and the ratios.

use crate::options::Global;
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use votebase_demo::{DemoOptions, build_state, write_files};

/// The local test database used when no URL is given.
const DEFAULT_TEST_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The PostgreSQL URL a benchmark runs against: its `--postgres`, else the global
/// `--database`, else the local test database.
pub(crate) fn postgres_url(flag: Option<String>, global: &Global) -> String {
    flag.or_else(|| global.database.clone())
        .unwrap_or_else(|| DEFAULT_TEST_DATABASE.to_string())
}

/// `psql` on `url`, quiet, stopping at the first error, running `commands` in order
/// (one `-c` each, so psql meta-commands such as `\copy` work).
pub(crate) fn psql_commands(url: &str, commands: &[String]) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args([url, "-v", "ON_ERROR_STOP=1", "-q"]);
    for c in commands {
        cmd.arg("-c").arg(c);
    }
    cmd
}

/// Peak resident memory of this process in MiB (Linux), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Prints a benchmark's table: one line per run with seconds, rows/s and peak memory.
pub(crate) fn print_runs(title: &str, runs: &[Run], rows: f64, name_width: usize) {
    println!(
        "{title}, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<name_width$} {:>9} {:>12} {:>10}",
        "run", "seconds", "rows/s", "peak MiB"
    );
    for r in runs {
        println!(
            "{:<name_width$} {:>9.2} {:>12.0} {:>10}",
            r.name,
            r.seconds,
            rows / r.seconds,
            r.peak_mib
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "-".into())
        );
    }
}

pub(crate) struct Run {
    pub(crate) name: String,
    pub(crate) seconds: f64,
    pub(crate) peak_mib: Option<f64>,
}

/// Runs this binary with `args` (ending in `--json`); returns the seconds, the peak memory
/// it reported and its whole JSON summary.
pub(crate) fn run_votebase<S: AsRef<str>>(
    args: &[S],
) -> anyhow::Result<(f64, Option<f64>, serde_json::Value)> {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let out = Command::new(exe).args(&args).output()?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "votebase {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("votebase {} printed no JSON summary", args.join(" ")))?;
    let peak = json["peak_rss_mib"].as_f64();
    Ok((seconds, peak, json))
}

/// The single number a `sqlite3` or `psql -tA` query printed.
/// Runs a plain tool (`sqlite3`, `psql`) to completion: its wall time and its standard
/// output; fails with its standard error when it fails or cannot start.
pub(crate) fn tool_output(tool: &str, mut cmd: Command) -> anyhow::Result<(f64, String)> {
    let started = Instant::now();
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {tool}; is it installed?"))?;
    if !out.status.success() {
        bail!("{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((
        started.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// `--stores sqlite|postgres|both`: (run SQLite, run PostgreSQL).
pub(crate) fn stores_to_run(stores: &str) -> anyhow::Result<(bool, bool)> {
    match stores {
        "sqlite" => Ok((true, false)),
        "postgres" => Ok((false, true)),
        "both" => Ok((true, true)),
        other => bail!("--stores {other:?}: expected sqlite, postgres or both"),
    }
}

/// A benchmark's work directory, emptied and created.
pub(crate) fn fresh_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn count_from(name: &str, cmd: Command) -> anyhow::Result<u64> {
    let (_, text) = tool_output(name, cmd)?;
    text.trim()
        .parse()
        .with_context(|| format!("{name} printed {text:?}, not a count"))
}

pub(crate) fn sqlite_count(db: &Path, sql: &str) -> anyhow::Result<u64> {
    let mut cmd = Command::new("sqlite3");
    cmd.arg(db).arg(sql);
    count_from("sqlite3", cmd)
}

pub(crate) fn psql_count(url: &str, sql: &str) -> anyhow::Result<u64> {
    let mut cmd = Command::new("psql");
    cmd.args([url, "-v", "ON_ERROR_STOP=1", "-tAc", sql]);
    count_from("psql", cmd)
}

/// Prints one equal-work check and fails the benchmark when the sides differ.
pub(crate) fn check_equal(
    what: &str,
    votebase: u64,
    plain_name: &str,
    plain: u64,
) -> anyhow::Result<()> {
    if votebase == plain {
        println!("check: {what}: votebase {votebase}, {plain_name} {plain}: equal");
        Ok(())
    } else {
        bail!(
            "check failed: {what}: votebase {votebase}, {plain_name} {plain}: the two sides did different work"
        )
    }
}

pub(crate) fn json_count(json: &serde_json::Value, field: &str) -> anyhow::Result<u64> {
    json[field]
        .as_u64()
        .with_context(|| format!("the JSON summary has no count {field:?}: {json}"))
}

pub(crate) fn timed(name: &str, cmd: Command) -> anyhow::Result<Run> {
    let (seconds, _) = tool_output(name, cmd)?;
    Ok(Run {
        name: name.into(),
        seconds,
        peak_mib: None,
    })
}

pub(crate) fn header_columns(file: &Path) -> anyhow::Result<Vec<String>> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(std::fs::File::open(file)?).read_line(&mut line)?;
    Ok(line.trim_end().split('\t').map(|s| s.to_string()).collect())
}

pub async fn bench(global: &Global, cmd: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Import {
        voters,
        postgres,
        dir,
    } = cmd
    else {
        bail!("not an import benchmark");
    };
    let url = postgres_url(postgres, global);
    let dir = dir.unwrap_or_else(|| PathBuf::from("target/bench-import"));
    fresh_dir(&dir)?;
    eprintln!("generating {voters} voters...");
    let gen_dir = dir.clone();
    let files = tokio::task::spawn_blocking(move || {
        let state = build_state(&DemoOptions {
            voters,
            seed: 1,
            ..Default::default()
        });
        write_files(&state, &gen_dir)
    })
    .await??;
    let file = files.voters_first;
    let rows = voters as f64;
    let size_mib = std::fs::metadata(&file)?.len() as f64 / (1 << 20) as f64;
    let file_arg = file.to_string_lossy().to_string();
    let mut runs = Vec::new();

    eprintln!("votebase import into SQLite...");
    let data = dir.join("data");
    let (s, peak, sqlite_summary) = run_votebase(&[
        "--data",
        &data.to_string_lossy(),
        "--org",
        "bench",
        "import",
        "voters",
        &file_arg,
        "--layout",
        "ncvoter",
        "--json",
    ])?;
    runs.push(Run {
        name: "votebase import (SQLite)".into(),
        seconds: s,
        peak_mib: peak,
    });

    eprintln!("sqlite3 .import into a plain table...");
    let plain_db = dir.join("plain.sqlite3");
    let mut sqlite = Command::new("sqlite3");
    sqlite
        .arg(&plain_db)
        .arg(".mode tabs")
        .arg(format!(".import {file_arg} ncvoter"));
    runs.push(timed("sqlite3 .import", sqlite)?);

    let org = format!("bench_{}", std::process::id());
    eprintln!("votebase import into PostgreSQL (schema vb_{org})...");
    let (s, peak, pg_summary) = run_votebase(&[
        "--database",
        &url,
        "--org",
        &org,
        "import",
        "voters",
        &file_arg,
        "--layout",
        "ncvoter",
        "--json",
    ])?;
    runs.push(Run {
        name: "votebase import (PostgreSQL)".into(),
        seconds: s,
        peak_mib: peak,
    });

    eprintln!("psql \\copy into a plain table...");
    let table = format!("bench_plain_{}", std::process::id());
    let columns = header_columns(&file)?
        .iter()
        .map(|c| format!("\"{c}\" text"))
        .collect::<Vec<_>>()
        .join(", ");
    let create = psql_commands(
        &url,
        &[format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} ({columns})"
        )],
    );
    timed("psql create", create)?;
    let copy = psql_commands(
        &url,
        &[format!(
            "\\copy {table} FROM '{file_arg}' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\b', HEADER true)"
        )],
    );
    runs.push(timed("psql \\copy", copy)?);

    // Equal work: every row of the file was handled on each side (votebase stores it or
    // rejects it with a reason; the plain tools load every line), and the votebase stores
    // hold the voters they say they imported.
    let sqlite_rows = sqlite_count(&plain_db, "SELECT count(*) FROM ncvoter")?;
    let psql_rows = psql_count(&url, &format!("SELECT count(*) FROM {table}"))?;
    let handled = |summary: &serde_json::Value| -> anyhow::Result<u64> {
        Ok(json_count(summary, "imported")? + json_count(summary, "rejected")?)
    };
    let checks = (|| -> anyhow::Result<()> {
        check_equal(
            "rows handled (SQLite)",
            handled(&sqlite_summary)?,
            "sqlite3 .import",
            sqlite_rows,
        )?;
        check_equal(
            "rows handled (PostgreSQL)",
            handled(&pg_summary)?,
            "psql \\copy",
            psql_rows,
        )?;
        let stored = sqlite_count(&data.join("bench.sqlite3"), "SELECT count(*) FROM voters")?;
        check_equal(
            "voters stored (SQLite)",
            stored,
            "votebase's own summary",
            json_count(&sqlite_summary, "imported")?,
        )?;
        let stored = psql_count(&url, &format!("SELECT count(*) FROM vb_{org}.voters"))?;
        check_equal(
            "voters stored (PostgreSQL)",
            stored,
            "votebase's own summary",
            json_count(&pg_summary, "imported")?,
        )
    })();
    let cleanup = psql_commands(
        &url,
        &[format!(
            "DROP TABLE IF EXISTS {table}; DROP SCHEMA IF EXISTS vb_{org} CASCADE"
        )],
    );
    timed("psql cleanup", cleanup)?;
    checks?;

    print_runs(
        &format!("bench import: {voters} ncvoter rows, {size_mib:.0} MiB, 67 columns"),
        &runs,
        rows,
        30,
    );
    let find = |n: &str| runs.iter().find(|r| r.name == n).map(|r| r.seconds);
    if let (Some(vb), Some(plain)) = (find("votebase import (SQLite)"), find("sqlite3 .import")) {
        println!(
            "votebase SQLite vs sqlite3 .import: {:.2}x the speed",
            plain / vb
        );
    }
    if let (Some(vb), Some(plain)) = (find("votebase import (PostgreSQL)"), find("psql \\copy")) {
        println!(
            "votebase PostgreSQL vs psql \\copy: {:.2}x the speed",
            plain / vb
        );
    }
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Voter-file import: votebase on SQLite and PostgreSQL beside sqlite3 .import and psql \copy.
    #[command(after_help = "Example: votebase bench import --voters 1000000")]
    Import {
        /// Rows to generate.
        #[arg(long, default_value_t = 1_000_000)]
        voters: usize,
        /// PostgreSQL URL for the PostgreSQL runs (default: --database, else the local test database).
        #[arg(long)]
        postgres: Option<String>,
        /// Work directory (default: a temporary directory under target/).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Record linkage: votebase link beside Splink on synthetic voter-style data and FEBRL.
    Link(crate::link::BenchLinkArgs),
    /// Incident intake over loopback HTTP with live-queue clients connected, beside the
    /// store's own insert rate.
    #[command(
        after_help = "Example: votebase bench incidents --seconds 15 --rate 500 --clients 200"
    )]
    Incidents(crate::incidents::BenchIncidentsArgs),
    /// Volunteer matching: every project re-ranked and one project's top N, beside the
    /// same ranking as SQL on the sqlite3 shell (top-N lists checked equal).
    #[command(
        after_help = "Example: votebase bench match --volunteers 14000 --projects 700 --top 50"
    )]
    Match(crate::volunteers::BenchMatchArgs),
    /// Disinformation clustering: a million posts by MinHash/LSH beside all-pairs Jaccard
    /// on a sample, checking both find the same clusters there.
    #[command(after_help = "Example: votebase bench disinfo --posts 1000000 --sample 4000")]
    Disinfo(crate::disinfo::bench::BenchDisinfoArgs),
    /// Universe counts and breakdowns: the bitmap index beside the same queries as SQL on
    /// SQLite and PostgreSQL.
    Universes(crate::bench_universes::BenchUniversesArgs),
    /// The public polling-place lookup under load (wrk) beside nginx serving a static file.
    Lookup(crate::bench_lookup::BenchLookupArgs),
    /// The floor server `bench lookup` starts: one fixed answer through the server's stack.
    #[command(hide = true)]
    LookupFloor(crate::bench_lookup::LookupFloorArgs),
    /// Score training: votebase (linfa-logistic) beside scikit-learn on the same rows.
    Score(crate::scores::BenchScoreArgs),
    /// Ballot import and matching: votebase on SQLite and PostgreSQL beside the same
    /// match done as a plain SQL join (`UPDATE … FROM`) in sqlite3 and psql.
    #[command(after_help = "Example: votebase bench ballots --voters 1000000 --ballots 100000")]
    Ballots(crate::bench_ballots::BenchBallotsArgs),
    /// Election night under load: 1,765 precincts reporting through a failure-injecting
    /// proxy, 20 hotline operators double-entering; checks zero lost, zero duplicated.
    Results(crate::bench_results::BenchResultsArgs),
    /// Purge watch: the report over a 10-snapshot history beside the same removal counts
    /// as plain SQL in sqlite3 and psql (checked equal per snapshot × county × transition).
    Purges(crate::bench_purges::BenchPurgesArgs),
    /// Donations: a million ActBlue contributions imported and aggregated per donor and
    /// election (net of refunds, flags) beside sqlite3 .import / psql \copy plus the same
    /// aggregation as SQL (checked equal).
    #[command(
        after_help = "Example: votebase bench donations --contributions 1000000 --database postgres://postgres@127.0.0.1:5432/test"
    )]
    Donations(crate::bench_donations::BenchDonationsArgs),
}
