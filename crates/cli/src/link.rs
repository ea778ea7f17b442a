//! `votebase link` and `votebase bench link`: record linkage from the command line.
//!
//! `link` deduplicates one CSV file, links two, or links one to the organization's stored voter
//! file (`--to-voters`, latest snapshot) with the `votebase-link` engine. Without `--config` the
//! configuration is inferred from the first file's header and printed as TOML on standard error
//! so it can be saved, edited and passed back with `--config`; `--print-config` prints it on
//! standard output and stops. Pairs at or above the threshold are written to `--out` with their
//! probability, weight and every comparison's contribution; `--clusters` writes a stable cluster
//! id per record. A summary (records, candidate pairs per blocking rule, pairs, clusters,
//! seconds) follows, or JSON with `--json`. Links against the voter file are audited.
//!
//! `bench link` generates the library's synthetic voter-file / contact-list sets
//! (deterministic; `--shape voter,febrl` adds the FEBRL-style link task), times `votebase link` on them in a child process (its own peak memory),
//! scores precision, recall and F1 against the generated truth, and with `--splink` runs Splink
//! (`crates/link/bench/splink_bench.py`, in a virtual environment under `target/splink-venv`)
//! on the same files for a side-by-side table. `--febrl` adds the FEBRL deduplication sets.

use crate::options::Global;
use crate::stores;
use crate::voters::cli_actor;
use anyhow::{Context, bail};
use chrono::Utc;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use votebase_domain::{AuditEntry, VoterRecord};
use votebase_link::synth::{SynthConfig, febrl, write_csv};
use votebase_link::{
    CsvPairWriter, Dataset, LinkConfig, LinkOutcome, PersonRecord, Progress, Stage, config,
    infer_config, read_csv, read_headers,
};

/// Arguments of `votebase link`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  votebase link contacts.csv --out pairs.csv --clusters clusters.csv        (dedupe)
  votebase link donors.csv volunteers.csv --out pairs.csv                   (link two files)
  votebase link signups.csv --to-voters --out matches.csv --threshold 0.95  (link to the voter file)
  votebase link contacts.csv --print-config > link.toml                     (save the inferred config)")]
pub struct LinkArgs {
    /// The file to deduplicate, or the first of two files to link (CSV, tab, `;` or `|`).
    #[arg(required = true, num_args = 1..=2, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Link the file to the organization's voter file (latest snapshot) instead.
    #[arg(long)]
    pub to_voters: bool,
    /// Linkage configuration (TOML); default: inferred from the first file's header.
    #[arg(long, value_name = "link.toml")]
    pub config: Option<PathBuf>,
    /// Where the scored pairs go (CSV).
    #[arg(
        long,
        value_name = "pairs.csv",
        required_unless_present = "print_config"
    )]
    pub out: Option<PathBuf>,
    /// Also write `cluster_id,source,record_id,cluster_size` for every record (CSV).
    #[arg(long, value_name = "clusters.csv")]
    pub clusters: Option<PathBuf>,
    /// Smallest cluster written to --clusters (default 1 = every record; 2 with --to-voters,
    /// so the voter file is not copied out).
    #[arg(long, value_name = "N")]
    pub min_cluster_size: Option<usize>,
    /// Match-probability threshold (overrides the config's).
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Print the (inferred or given) config as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `votebase bench link`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  votebase bench link --sizes 100000,300000 --splink --febrl
  votebase bench link --sizes 100000,300000,1000000 --shape voter,febrl --splink
  votebase bench link --sizes 1000000")]
pub struct BenchLinkArgs {
    /// Records per side, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100000,300000")]
    pub sizes: Vec<usize>,
    /// Also run Splink (needs python3; installs splink in target/splink-venv).
    #[arg(long)]
    pub splink: bool,
    /// Also deduplicate the FEBRL sets (with and without soc_sec_id) found in this folder.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = DEFAULT_FEBRL)]
    pub febrl: Option<PathBuf>,
    /// Shapes of the generated sets, comma-separated: `voter` (a voter file against a contact
    /// list) and `febrl` (FEBRL-style records: house numbers, suburbs, postcodes, full dates of
    /// birth and an SSN-like id, side B corrupted duplicates of part of side A).
    #[arg(long, value_delimiter = ',', default_value = "voter")]
    pub shape: Vec<Shape>,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Work directory.
    #[arg(long, default_value = "target/bench-link")]
    pub dir: PathBuf,
}

/// The shape of a generated benchmark set.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Voter file against a contact list (`votebase_link::synth`).
    Voter,
    /// FEBRL-style link task (`votebase_link::synth::febrl`).
    Febrl,
}

/// Where the shared FEBRL files live in the development tree.
const DEFAULT_FEBRL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/febrl");

/// The Splink script, embedded so the benchmark runs from any directory.
const SPLINK_SCRIPT: &str = include_str!("../../link/bench/splink_bench.py");

// ---------------------------------------------------------------------------------------------
// Progress

/// Progress of a linkage run: an indicatif bar per stage on a terminal (the style of
/// [`crate::progress`]), plain lines on standard error otherwise.
struct LinkBar {
    bar: Option<ProgressBar>,
    state: Mutex<(Stage, u64, u64, Instant)>,
}

impl LinkBar {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(ProgressBar::no_length);
        LinkBar {
            bar,
            state: Mutex::new((Stage::Prepare, 0, 0, Instant::now())),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn stage_label(s: Stage) -> &'static str {
    match s {
        Stage::Prepare => "preparing",
        Stage::Blocking => "blocking rules",
        Stage::EstimateU => "estimating u (random pairs)",
        Stage::Train => "training m (EM sessions)",
        Stage::Score => "scoring pairs",
    }
}

impl Progress for LinkBar {
    fn stage(&self, stage: Stage, total: u64) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *st = (stage, total, 0, Instant::now());
        match &self.bar {
            Some(bar) => {
                bar.reset();
                bar.set_message(stage_label(stage));
                if total > 0 {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {percent:>3}% {human_pos}/{human_len}, {per_sec} eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                } else {
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                }
                bar.enable_steady_tick(Duration::from_millis(200));
            }
            None => eprintln!("link: {}", stage_label(stage)),
        }
    }

    fn advance(&self, n: u64) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.2 += n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                if st.3.elapsed() >= Duration::from_secs(2) && st.1 > 0 {
                    eprintln!(
                        "link: {} {}/{} ({:.0}%)",
                        stage_label(st.0),
                        st.2,
                        st.1,
                        100.0 * st.2 as f64 / st.1 as f64
                    );
                    st.3 = Instant::now();
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// votebase link

/// Every voter of the latest snapshot, in memory (for linking other files to the file).
pub async fn all_voters(store: &dyn votebase_store::Store) -> anyhow::Result<Vec<VoterRecord>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_voters(10_000, tx);
    let collect = async {
        let mut all = Vec::new();
        while let Some(batch) = rx.recv().await {
            all.extend(batch);
        }
        all
    };
    let (exported, all) = tokio::join!(export, collect);
    exported?;
    Ok(all)
}

/// Converts a stored voter into a linkage record: the record id and the shared voter id are
/// the state voter id; names, birth year and date, address parts, ZIP (ZIP+4 when known) and
/// the E.164 phone.
pub fn voter_to_person(v: &VoterRecord) -> PersonRecord {
    let a = &v.address;
    let join = |parts: &[&str]| {
        parts
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    PersonRecord {
        record_id: v.state_voter_id.clone(),
        first_name: v.first_name.clone(),
        middle_name: v.middle_name.clone(),
        last_name: v.last_name.clone(),
        birth_date: v
            .birth_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        birth_year: v.birth_year.map(|y| y.to_string()).unwrap_or_default(),
        house_number: a.house_number.clone(),
        street: join(&[
            &a.pre_direction,
            &a.street_name,
            &a.street_suffix,
            &a.post_direction,
        ]),
        address2: join(&[&a.unit_type, &a.unit]),
        city: a.city.clone(),
        state: a.state.clone(),
        zip: if a.zip4.is_empty() {
            a.zip5.clone()
        } else {
            format!("{}-{}", a.zip5, a.zip4)
        },
        phone: v.phone.e164.clone(),
        email: String::new(),
        voter_id: v.state_voter_id.clone(),
    }
}

fn file_label(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Loads the config: from `--config`, or inferred from the first file's header.
fn load_config(args: &LinkArgs) -> anyhow::Result<(LinkConfig, bool)> {
    let mut cfg = match &args.config {
        Some(path) => (LinkConfig::from_file(path)?, false),
        None => (infer_config(&read_headers(&args.files[0])?), true),
    };
    if let Some(t) = args.threshold {
        cfg.0.threshold = t;
        cfg.0.validate()?;
    }
    Ok(cfg)
}

/// Reads the stored voter file (latest snapshot) into a dataset named `voters`.
async fn load_voters(
    store: &std::sync::Arc<dyn votebase_store::Store>,
    quiet: bool,
) -> anyhow::Result<(Dataset, i64)> {
    let Some(snapshot) = store.latest_snapshot().await? else {
        bail!(
            "no voter file in this organization's store: import one first (votebase import voters FILE --layout NAME)"
        );
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<VoterRecord>>(4);
    let exporter = {
        let store = store.clone();
        tokio::spawn(async move { store.export_voters(10_000, tx).await })
    };
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(snapshot.voters.max(0) as u64);
        b.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {percent:>3}% {human_pos} voters, {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b.set_message("reading the voter file");
        b
    });
    if bar.is_none() && !quiet {
        eprintln!(
            "link: reading the voter file (snapshot {}, {} voters)",
            snapshot.id, snapshot.voters
        );
    }
    let mut voters = Dataset::new("voters");
    while let Some(batch) = rx.recv().await {
        for v in &batch {
            voters.push(&voter_to_person(v))?;
        }
        if let Some(b) = &bar {
            b.inc(batch.len() as u64);
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    exporter
        .await
        .context("the voter export task failed")?
        .context("reading the voter file from the store")?;
    Ok((voters, snapshot.id))
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    Ok(BufWriter::new(File::create(path).with_context(|| {
        format!("cannot create {}", path.display())
    })?))
}

/// Runs `votebase link`.
pub async fn link(global: &Global, args: LinkArgs) -> anyhow::Result<()> {
    if args.to_voters && args.files.len() > 1 {
        bail!("--to-voters links one file to the voter file: give one file, not two");
    }
    let (cfg, inferred) = load_config(&args)?;
    if args.print_config {
        print!("{}", cfg.to_toml());
        return Ok(());
    }
    if inferred && !args.json {
        eprintln!(
            "# config inferred from the header of {} (save it, edit it, pass it with --config):\n{}",
            args.files[0].display(),
            cfg.to_toml()
        );
    }
    let Some(out_path) = args.out.clone() else {
        bail!("--out is required");
    };
    let started = Instant::now();
    // Both files are read at once, each on its own thread (reading, parsing and
    // normalising a side is single-threaded).
    let read_side = |path: &Path| {
        let (path, cfg) = (path.to_path_buf(), cfg.clone());
        tokio::task::spawn_blocking(move || read_csv(&path, &cfg))
    };
    let reading_a = read_side(&args.files[0]);
    // With --to-voters there is one file (refused above otherwise): side B is the store.
    let reading_b = args.files.get(1).map(|path| read_side(path));
    let a = reading_a.await??;
    let mut store = None;
    let mut snapshot = None;
    let b = if args.to_voters {
        let s = stores::open(global).await?;
        let (voters, id) = load_voters(&s, args.json).await?;
        store = Some(s);
        snapshot = Some(id);
        Some(voters)
    } else if let Some(reading) = reading_b {
        Some(reading.await??)
    } else {
        None
    };
    let writer = CsvPairWriter::new(create(&out_path)?);
    let quiet = args.json;
    let run_cfg = cfg.clone();
    let (a, b, outcome) = tokio::task::spawn_blocking(
        move || -> Result<(Dataset, Option<Dataset>, LinkOutcome), votebase_link::LinkError> {
            let mut writer = writer;
            let bar = LinkBar::new(quiet);
            let res = match &b {
                Some(b) => votebase_link::link(&a, b, &run_cfg, &mut writer, &bar),
                None => votebase_link::dedupe(&a, &run_cfg, &mut writer, &bar),
            };
            bar.finish();
            let outcome = res?;
            writer.into_inner()?;
            Ok((a, b, outcome))
        },
    )
    .await?
    .with_context(|| format!("linking {}", file_label(&args.files[0])))?;
    let min_size = args
        .min_cluster_size
        .unwrap_or(if args.to_voters { 2 } else { 1 })
        .max(1);
    if let Some(path) = &args.clusters {
        let f = create(path)?;
        outcome.clusters.write_csv(f, &a, b.as_ref(), min_size)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let clusters = outcome.clusters.groups(2).len();
    let report = &outcome.report;
    let subject = file_label(&args.files[0]);
    if let (Some(store), Some(snapshot)) = (&store, snapshot) {
        store
            .audit(&AuditEntry {
                at: Utc::now(),
                actor: cli_actor(),
                action: "link".into(),
                subject: subject.clone(),
                detail: format!(
                    "{} records against {} voters of snapshot {snapshot}; {} pairs at threshold {}",
                    report.records.0, report.records.1, report.pairs_written, cfg.threshold
                ),
            })
            .await?;
    }
    if args.json {
        let rules: Vec<_> = report
            .rules
            .iter()
            .map(|r| {
                json!({"name": r.name, "pairs_in_blocks": r.pairs_in_blocks,
                    "duplicates": r.duplicates, "compared": r.new_pairs,
                    "skipped_blocks": r.skipped_blocks, "skipped_rule": r.skipped_rule})
            })
            .collect();
        println!(
            "{}",
            json!({"records": [report.records.0, report.records.1],
                "mode": if args.to_voters { "to_voters" } else if b.is_some() { "link" } else { "dedupe" },
                "snapshot": snapshot, "rules": rules, "pairs_compared": report.pairs_compared,
                "pairs_written": report.pairs_written,
                "deterministic_matches": report.deterministic_matches,
                "household_guarded": report.household_guarded, "clusters": clusters,
                "threshold": cfg.threshold, "warnings": report.warnings,
                "stage_seconds": report.seconds.iter().map(|(k, v)| json!({"stage": k, "seconds": v})).collect::<Vec<_>>(),
                "seconds": seconds, "peak_rss_mib": crate::bench::peak_rss_mib()})
        );
    } else {
        print!("{report}");
        println!(
            "{subject}: {} + {} records, {} candidate pairs, {} pairs written to {} (threshold {}), {} clusters of 2 or more{}, {:.1} s",
            report.records.0,
            report.records.1,
            report.pairs_compared,
            report.pairs_written,
            out_path.display(),
            cfg.threshold,
            clusters,
            args.clusters
                .as_ref()
                .map(|p| format!(" (see {})", p.display()))
                .unwrap_or_default(),
            seconds
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// votebase bench link

/// One benchmark row.
struct Row {
    set: String,
    tool: &'static str,
    seconds: f64,
    f1: Option<(f64, f64, f64)>,
    peak_mib: Option<f64>,
}

/// Reads `(id, id)` pairs from the first two columns of a CSV; `unordered` sorts each pair.
fn read_pairs(path: &Path, unordered: bool) -> anyhow::Result<HashSet<(String, String)>> {
    let r = pairs_csv::open(path)?;
    let mut out = HashSet::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("reading {}", path.display()))?;
        let (x, y) = (rec.get(0).unwrap_or(""), rec.get(1).unwrap_or(""));
        let (x, y) = if unordered && y < x { (y, x) } else { (x, y) };
        out.insert((x.to_string(), y.to_string()));
    }
    Ok(out)
}

/// A minimal reader for the pairs and truth files of the benchmark (generated ids, no commas
/// or quotes inside fields), so the binary needs no CSV dependency of its own.
mod pairs_csv {
    use anyhow::Context;
    use std::io::BufRead;
    use std::path::Path;

    /// Line reader that splits on commas, skipping the header.
    pub struct Reader(std::io::Lines<std::io::BufReader<std::fs::File>>);

    /// Opens a CSV file and skips its header.
    pub fn open(path: &Path) -> anyhow::Result<Reader> {
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut lines = std::io::BufReader::new(f).lines();
        lines.next();
        Ok(Reader(lines))
    }

    /// One row's fields.
    pub struct Record(Vec<String>);
    impl Record {
        /// Field `i`.
        pub fn get(&self, i: usize) -> Option<&str> {
            self.0.get(i).map(|s| s.as_str())
        }
    }

    impl Reader {
        /// The rows.
        pub fn records(self) -> impl Iterator<Item = std::io::Result<Record>> {
            self.0.map(|l| {
                l.map(|l| {
                    Record(
                        l.split(',')
                            .map(|s| s.trim_matches('"').to_string())
                            .collect(),
                    )
                })
            })
        }
    }
}

fn f1(found: &HashSet<(String, String)>, truth: &HashSet<(String, String)>) -> (f64, f64, f64) {
    let tp = found.intersection(truth).count() as f64;
    let p = if found.is_empty() {
        0.0
    } else {
        tp / found.len() as f64
    };
    let r = if truth.is_empty() {
        0.0
    } else {
        tp / truth.len() as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

/// Runs `votebase link ... --json` as a child process; returns wall seconds, its peak and the
/// records it read per side.
fn run_votebase_link(args: &[&str]) -> anyhow::Result<(f64, Option<f64>, (usize, usize))> {
    let exe = std::env::current_exe()?;
    let started = Instant::now();
    let out = Command::new(exe)
        .arg("link")
        .args(args)
        .arg("--json")
        .output()?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "votebase link {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("votebase link {} printed no JSON summary", args.join(" ")))?;
    let n = |i: usize| v["records"][i].as_u64().unwrap_or(0) as usize;
    Ok((seconds, v["peak_rss_mib"].as_f64(), (n(0), n(1))))
}

/// Creates `target/splink-venv` with splink (and what the script needs) unless present, and
/// returns its python.
fn splink_python() -> anyhow::Result<PathBuf> {
    let venv = PathBuf::from("target/splink-venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import splink, duckdb, jellyfish, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ready {
        return Ok(python);
    }
    eprintln!("creating {} and installing splink...", venv.display());
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .context("python3 is not available; install it or drop --splink")?
        .success();
    if !ok {
        bail!("python3 -m venv {} failed", venv.display());
    }
    let ok = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "splink", "jellyfish", "numpy"])
        .status()
        .context("running pip")?
        .success();
    if !ok {
        bail!("pip install splink failed (is the network reachable?)");
    }
    Ok(python)
}

/// Runs the Splink script; returns wall seconds, (precision, recall, F1) and its peak memory,
/// and the number of true pairs it scored against.
fn run_splink(
    python: &Path,
    script: &Path,
    dir: &Path,
    files: &[&Path],
    truth: &Path,
    drop: Option<&str>,
) -> anyhow::Result<(Row, u64)> {
    let mut cmd = Command::new(python);
    cmd.arg(script).arg("--a").arg(files[0]);
    if let Some(b) = files.get(1) {
        cmd.arg("--b").arg(b);
    }
    cmd.arg("--truth").arg(truth).arg("--out").arg(dir);
    if let Some(c) = drop {
        cmd.args(["--drop-column", c]);
    }
    let started = Instant::now();
    let out = cmd.output().context("running the Splink script")?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "the Splink script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("");
    let v: serde_json::Value =
        serde_json::from_str(line).context("the Splink script printed no JSON summary")?;
    let truth_pairs = v["truth"].as_u64().unwrap_or(0);
    let row = Row {
        set: String::new(),
        tool: "Splink",
        seconds,
        f1: Some((
            v["precision"].as_f64().unwrap_or(0.0),
            v["recall"].as_f64().unwrap_or(0.0),
            v["f1"].as_f64().unwrap_or(0.0),
        )),
        peak_mib: v["peak_rss_mib"].as_f64(),
    };
    Ok((row, truth_pairs))
}

/// Runs `votebase bench link`.
pub async fn bench(_global: &Global, args: BenchLinkArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || bench_blocking(args)).await?
}

fn bench_blocking(args: BenchLinkArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let python = if args.splink {
        Some(splink_python()?)
    } else {
        None
    };
    let script = args.dir.join("splink_bench.py");
    std::fs::write(&script, SPLINK_SCRIPT)?;
    let mut rows: Vec<Row> = Vec::new();
    let s = |p: &Path| p.to_string_lossy().into_owned();

    let mut checks: Vec<String> = Vec::new();
    for &shape in &args.shape {
        for &size in &args.sizes {
            let (label, sub) = match shape {
                Shape::Voter => ("voter", size.to_string()),
                Shape::Febrl => ("febrl-style", format!("febrl-{size}")),
            };
            let dir = args.dir.join(sub);
            std::fs::create_dir_all(&dir)?;
            let (a, b, truth) = (dir.join("a.csv"), dir.join("b.csv"), dir.join("truth.csv"));
            eprintln!(
                "generating {label} {size} x {size} records (seed {})...",
                args.seed
            );
            let gen_cfg = SynthConfig::new(size, args.seed);
            let (fa, fb, ft) = (create(&a)?, create(&b)?, create(&truth)?);
            match shape {
                Shape::Voter => write_csv(&gen_cfg, fa, fb, ft)?,
                Shape::Febrl => febrl::write_csv(&gen_cfg, fa, fb, ft)?,
            }
            let set = format!("{label} {size} x {size}");
            let truth_pairs = read_pairs(&truth, false)?;
            eprintln!("votebase link on {set}...");
            let pairs = dir.join("pairs.csv");
            let (seconds, peak, records) = run_votebase_link(&[
                &s(&a),
                &s(&b),
                "--out",
                &s(&pairs),
                "--clusters",
                &s(&dir.join("clusters.csv")),
            ])?;
            if records != (size, size) {
                bail!("votebase read {records:?} records of {set}, not {size} per side");
            }
            rows.push(Row {
                set: set.clone(),
                tool: "votebase",
                seconds,
                f1: Some(f1(&read_pairs(&pairs, false)?, &truth_pairs)),
                peak_mib: peak,
            });
            if let Some(py) = &python {
                eprintln!("Splink on {set}...");
                let (mut r, splink_truth) = run_splink(py, &script, &dir, &[&a, &b], &truth, None)?;
                if splink_truth != truth_pairs.len() as u64 {
                    bail!(
                        "Splink scored {set} against {splink_truth} true pairs, votebase against {}",
                        truth_pairs.len()
                    );
                }
                checks.push(format!(
                    "check: {set}: both tools read the same {} + {} records and score against the same {} true pairs (threshold {})",
                    size,
                    size,
                    truth_pairs.len(),
                    config::DEFAULT_THRESHOLD
                ));
                r.set = set.clone();
                rows.push(r);
            }
        }
    }

    if let Some(febrl) = &args.febrl {
        for name in ["febrl1", "febrl2"] {
            let file = febrl.join(format!("{name}.csv"));
            let truth = febrl.join(format!("{name}_truth.csv"));
            if !file.exists() {
                eprintln!("skipping {}: not found", file.display());
                continue;
            }
            let truth_pairs = read_pairs(&truth, true)?;
            for with_ssn in [true, false] {
                let set = format!(
                    "{name} dedupe{}",
                    if with_ssn { "" } else { " without soc_sec_id" }
                );
                let dir = args
                    .dir
                    .join(format!("{name}{}", if with_ssn { "" } else { "-nossn" }));
                std::fs::create_dir_all(&dir)?;
                let mut cfg = infer_config(&read_headers(&file)?);
                if !with_ssn {
                    cfg.columns.voter_id = None;
                    cfg.blocking = config::default_blocking(&cfg.columns);
                }
                let cfg_path = dir.join("link.toml");
                std::fs::write(&cfg_path, cfg.to_toml())?;
                let pairs = dir.join("pairs.csv");
                eprintln!("votebase link on {set}...");
                let (seconds, peak, _) = run_votebase_link(&[
                    &s(&file),
                    "--config",
                    &s(&cfg_path),
                    "--out",
                    &s(&pairs),
                    "--clusters",
                    &s(&dir.join("clusters.csv")),
                ])?;
                rows.push(Row {
                    set: set.clone(),
                    tool: "votebase",
                    seconds,
                    f1: Some(f1(&read_pairs(&pairs, true)?, &truth_pairs)),
                    peak_mib: peak,
                });
                if let Some(py) = &python {
                    eprintln!("Splink on {set}...");
                    let drop = (!with_ssn).then_some("soc_sec_id");
                    let (mut r, splink_truth) =
                        run_splink(py, &script, &dir, &[&file], &truth, drop)?;
                    if splink_truth != truth_pairs.len() as u64 {
                        bail!(
                            "Splink scored {set} against {splink_truth} true pairs, votebase against {}",
                            truth_pairs.len()
                        );
                    }
                    checks.push(format!(
                        "check: {set}: both tools deduplicate the same file and score against the same {} true pairs",
                        truth_pairs.len()
                    ));
                    r.set = set;
                    rows.push(r);
                }
            }
        }
    }

    println!(
        "bench link: {} cores, threshold {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        config::DEFAULT_THRESHOLD
    );
    println!(
        "{:<34} {:<9} {:>9} {:>9} {:>9} {:>7} {:>9}",
        "set", "tool", "seconds", "precision", "recall", "F1", "peak MiB"
    );
    for r in &rows {
        let (p, rc, f) = r.f1.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        println!(
            "{:<34} {:<9} {:>9.2} {:>9.4} {:>9.4} {:>7.4} {:>9}",
            r.set,
            r.tool,
            r.seconds,
            p,
            rc,
            f,
            r.peak_mib
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "-".into())
        );
    }
    for c in &checks {
        println!("{c}");
    }
    for r in rows.iter().filter(|r| r.tool == "votebase") {
        if let Some(sp) = rows.iter().find(|x| x.tool == "Splink" && x.set == r.set) {
            println!(
                "{}: votebase {:.1}x the speed of Splink",
                r.set,
                sp.seconds / r.seconds
            );
        }
    }
    Ok(())
}
