//! `votebase bench purges [--voters N] [--snapshots 10]`: the purge report over a
//! history of voter-file snapshots, beside the same aggregation written as plain SQL on
//! the `sqlite3` shell and `psql`, in one run, checking both counted the same removals.
//!
//! It generates a demo state of N voters (the demo generator: the first two monthly
//! snapshots and the vote history) and `--snapshots` − 2 weekly refreshes with normal
//! churn everywhere and one planted mass inactivation
//! (`votebase_demo::write_purge_refreshes`), imports them all through the real ncvoter
//! importer (each import records its roll and change records, as in production; the
//! linkage pass of `import voters` is left out) into a fresh SQLite store and/or a fresh
//! PostgreSQL schema, then times, once each: votebase's report (`app::purges::report`:
//! rolls, removals grouped in SQL, tests, breakdowns, sentences) and the plain SQL that
//! counts the voters who left the roll per snapshot × county × transition from
//! `voter_changes`. It checks that both give the same count for every (snapshot, county,
//! transition) and fails otherwise. The plain SQL does less than the report (no rates,
//! no tests, no breakdowns): it is the floor a hand-written query sets.

use crate::bench::{peak_rss_mib, postgres_url};
use crate::options::Global;
use anyhow::{Context, bail};
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use votebase_app::purges::{ReportRequest, report};
use votebase_demo::{DemoOptions, build_state, write_files, write_purge_refreshes};
use votebase_domain::OrgName;
use votebase_ingest::Layout;
use votebase_ingest::history::import_history_file;
use votebase_ingest::voters::{ImportOptions, import_voters_file};
use votebase_store::Store;
use votebase_store_postgres::PgStore;
use votebase_store_sqlite::SqliteStore;

/// Options of `votebase bench purges`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase bench purges\n  votebase bench purges --voters 1000000 --stores sqlite"
)]
pub struct BenchPurgesArgs {
    /// Voters in the generated state.
    #[arg(long, default_value_t = 20_000)]
    pub voters: usize,
    /// Snapshots in the history (two monthly, the rest weekly refreshes); at least 3.
    #[arg(long, default_value_t = 10)]
    pub snapshots: usize,
    /// Seed of the generated state.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Stores to run: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    pub stores: String,
    /// PostgreSQL URL (default: --database, else the local test database).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Work directory (default: target/bench-purges).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Voters who left the roll per (snapshot date, county, transition): the same rule as
/// the stores' removal query (active → inactive; active or inactive → removed; a record
/// gone from the file whose last status was active or inactive), written by hand.
const PLAIN_SQL: &str = "SELECT s.as_of, v.county_name,
  CASE WHEN c.kind = 'removed' THEN 'disappeared'
       WHEN c.new_value = 'inactive' THEN 'inactivated' ELSE 'removed' END AS transition,
  COUNT(*)
FROM voter_changes c
JOIN voters v ON v.state_voter_id = c.state_voter_id
JOIN snapshots s ON s.id = c.snapshot_id
WHERE (c.kind = 'changed' AND c.field = 'status'
       AND ((c.old_value = 'active' AND c.new_value = 'inactive')
         OR (c.old_value IN ('active', 'inactive') AND c.new_value = 'removed')))
   OR (c.kind = 'removed' AND v.status IN ('active', 'inactive'))
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

type Counts = BTreeMap<(String, String, String), i64>;

/// One store's figures.
struct Row {
    store: &'static str,
    import_seconds: f64,
    report_seconds: f64,
    sql_tool: &'static str,
    sql_seconds: f64,
    flags: usize,
    groups: usize,
    moved: i64,
}

pub async fn bench(global: &Global, args: BenchPurgesArgs) -> anyhow::Result<()> {
    if args.snapshots < 3 {
        bail!("--snapshots must be at least 3 (two monthly snapshots and a refresh)");
    }
    let (run_sqlite, run_pg) = crate::bench::stores_to_run(&args.stores)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/bench-purges"));
    crate::bench::fresh_dir(&dir)?;

    eprintln!(
        "generating {} voters and {} snapshots...",
        args.voters, args.snapshots
    );
    let t = Instant::now();
    let options = DemoOptions {
        voters: args.voters,
        seed: args.seed,
        ..Default::default()
    };
    let files_dir = dir.join("files");
    let refreshes = args.snapshots - 2;
    let (snapshots, history, planted) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let state = build_state(&options);
            let files = write_files(&state, &files_dir)?;
            drop(state);
            let made = write_purge_refreshes(
                &files.voters_second,
                options.second_as_of,
                &files_dir.join("refreshes"),
                options.seed,
                refreshes,
            )?;
            let mut all = vec![files.voters_first, files.voters_second];
            all.extend(made.files);
            Ok((all, files.history, made.planted.flag_id()))
        })
        .await??;
    eprintln!(
        "  {:.1} s; planted purge {planted}",
        t.elapsed().as_secs_f64()
    );

    let mut rows = Vec::new();
    if run_sqlite {
        let org = OrgName::parse("bench_purges")?;
        let store = SqliteStore::open(&dir.join("data"), &org)?;
        eprintln!("importing into SQLite...");
        let import_seconds = load(&store, &snapshots, &history).await?;
        let db = store.path().to_path_buf();
        rows.push(
            measure(
                &store,
                "SQLite",
                import_seconds,
                &planted,
                "sqlite3",
                || sqlite3(&db),
            )
            .await?,
        );
    }
    if run_pg {
        let url = postgres_url(args.postgres.clone(), global);
        let org = OrgName::parse(&format!("bench_purges_{}", std::process::id()))?;
        votebase_store_postgres::drop_org(&url, &org).await.ok();
        let store = PgStore::connect(&url, &org).await.with_context(|| {
            format!("cannot connect to PostgreSQL at {url} (use --postgres URL)")
        })?;
        eprintln!("importing into PostgreSQL...");
        let schema = store.schema().to_string();
        let result = async {
            let import_seconds = load(&store, &snapshots, &history).await?;
            measure(
                &store,
                "PostgreSQL",
                import_seconds,
                &planted,
                "psql",
                || psql(&url, &schema),
            )
            .await
        }
        .await;
        store.close().await;
        votebase_store_postgres::drop_org(&url, &org).await.ok();
        rows.push(result?);
    }

    println!(
        "{} voters, {} snapshots ({} pairs), planted purge {planted}",
        args.voters,
        args.snapshots,
        args.snapshots - 1
    );
    println!(
        "| store | imports s | votebase purges report s | plain SQL s | flags | groups | voters moved |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.2} | {:.2} ({}) | {} | {} | {} |",
            r.store,
            r.import_seconds,
            r.report_seconds,
            r.sql_seconds,
            r.sql_tool,
            r.flags,
            r.groups,
            r.moved
        );
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory of this process: {mib:.0} MiB");
    }
    Ok(())
}

/// Imports every snapshot (the vote history after the first) through the real
/// importers; returns the seconds taken.
async fn load(store: &dyn Store, snapshots: &[PathBuf], history: &Path) -> anyhow::Result<f64> {
    let layout = Layout::load("ncvoter")?;
    let started = Instant::now();
    for (k, file) in snapshots.iter().enumerate() {
        let t = Instant::now();
        let r = import_voters_file(
            store,
            file,
            &layout,
            &ImportOptions::default(),
            Arc::new(votebase_ingest::NoProgress),
        )
        .await?;
        eprintln!(
            "  {} ({} rows) {:.1} s",
            file.file_name().unwrap_or_default().to_string_lossy(),
            r.imported,
            t.elapsed().as_secs_f64()
        );
        if k == 0 {
            import_history_file(
                store,
                history,
                &Layout::load("ncvhis")?,
                None,
                Arc::new(votebase_ingest::NoProgress),
            )
            .await?;
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Times the report and the plain SQL once each, and checks they counted the same.
async fn measure(
    store: &dyn Store,
    name: &'static str,
    import_seconds: f64,
    planted: &str,
    sql_tool: &'static str,
    plain: impl FnOnce() -> anyhow::Result<Counts>,
) -> anyhow::Result<Row> {
    eprintln!("{name}: votebase purges report...");
    let t = Instant::now();
    let rep = report(store, &ReportRequest::default()).await?;
    let report_seconds = t.elapsed().as_secs_f64();
    let mut ours = Counts::new();
    for pair in &rep.pairs {
        for c in &pair.counties {
            for tr in c.transitions.iter().filter(|t| t.moved > 0) {
                ours.insert(
                    (
                        pair.to.as_of.to_string(),
                        c.county.clone(),
                        tr.transition.code().to_string(),
                    ),
                    tr.moved,
                );
            }
        }
    }
    eprintln!("{name}: plain SQL ({sql_tool})...");
    let t = Instant::now();
    let theirs = plain()?;
    let sql_seconds = t.elapsed().as_secs_f64();
    let moved: i64 = ours.values().sum();
    let plain_moved: i64 = theirs.values().sum();
    if ours != theirs {
        let differ: Vec<String> = ours
            .keys()
            .chain(theirs.keys())
            .filter(|k| ours.get(*k) != theirs.get(*k))
            .take(5)
            .map(|k| {
                format!(
                    "{k:?}: votebase {:?}, {sql_tool} {:?}",
                    ours.get(k),
                    theirs.get(k)
                )
            })
            .collect();
        bail!(
            "check: removals per snapshot × county × transition ({name}) differ: {}",
            differ.join("; ")
        );
    }
    println!(
        "check: removals per snapshot × county × transition ({name}): votebase {} groups, {moved} voters; {sql_tool} {} groups, {plain_moved} voters: equal",
        ours.len(),
        theirs.len()
    );
    let flags: Vec<&str> = rep.flags.iter().map(|f| f.id.as_str()).collect();
    println!("flags ({name}): {}", flags.join(", "));
    if !flags.contains(&planted) {
        eprintln!("warning: the planted purge {planted} is not among the flags");
    }
    Ok(Row {
        store: name,
        import_seconds,
        report_seconds,
        sql_tool,
        sql_seconds,
        flags: flags.len(),
        groups: ours.len(),
        moved,
    })
}

/// Parses `date|county|transition|count` lines.
fn parse_counts(tool: &str, text: &str) -> anyhow::Result<Counts> {
    let mut out = Counts::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split('|').collect();
        let [date, county, transition, n] = parts[..] else {
            bail!("{tool} printed an unexpected line: {line:?}");
        };
        out.insert(
            (date.into(), county.into(), transition.into()),
            n.trim()
                .parse()
                .with_context(|| format!("{tool}: {line:?}"))?,
        );
    }
    Ok(out)
}

fn run_tool(tool: &str, cmd: Command) -> anyhow::Result<Counts> {
    parse_counts(tool, &crate::bench::tool_output(tool, cmd)?.1)
}

fn sqlite3(db: &Path) -> anyhow::Result<Counts> {
    let mut cmd = Command::new("sqlite3");
    cmd.arg("-readonly")
        .arg("-separator")
        .arg("|")
        .arg(db)
        .arg(format!("{PLAIN_SQL};"));
    run_tool("sqlite3", cmd)
}

fn psql(url: &str, schema: &str) -> anyhow::Result<Counts> {
    let mut cmd = Command::new("psql");
    cmd.arg(url)
        .arg("-X")
        .arg("-qAt")
        .arg("-F")
        .arg("|")
        .arg("-v")
        .arg("ON_ERROR_STOP=1")
        .arg("-c")
        .arg(format!("SET search_path TO {schema}"))
        .arg("-c")
        .arg(PLAIN_SQL);
    run_tool("psql", cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sql_output_parses_and_refuses_garbage() {
        let c = parse_counts(
            "t",
            "2026-10-08|ASHE|inactivated|12\n\n2026-10-08|ASHE|removed|3\n",
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[&("2026-10-08".into(), "ASHE".into(), "removed".into())],
            3
        );
        assert!(parse_counts("t", "2026-10-08|ASHE|12").is_err());
        assert!(parse_counts("t", "2026-10-08|ASHE|removed|x").is_err());
    }
}
