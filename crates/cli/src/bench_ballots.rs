//! `votebase bench ballots`: imports N demo voters into a fresh SQLite store and a fresh
//! PostgreSQL schema (not timed), writes B ballot rows for random voters (1% unknown),
//! then times `votebase import ballots` on each store beside the plain SQL alternative:
//! load the same CSV into a table (`sqlite3 .import`, `psql \copy`) and mark voters with
//! `UPDATE … FROM` joined on the state id, against a plain voters table indexed on it.
//! Both sides' PostgreSQL voter tables are vacuumed and a checkpoint taken before the
//! timed runs (and a checkpoint before each), so neither side pays for the other's load:
//! the first pass over a freshly loaded heap writes every page again (hint bits), and
//! autovacuum of a just-loaded 10M-row table would otherwise run under one side at random.
//! Checks that both sides found the same unknown ballot rows and the same voters who voted.

use crate::bench::{
    Run, check_equal, fresh_dir, header_columns, json_count, postgres_url, print_runs,
    psql_commands, psql_count, run_votebase, sqlite_count, stores_to_run, timed,
};
use crate::options::Global;
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::Command;
use votebase_demo::{DemoOptions, build_state, write_files};

#[derive(Args, Debug)]
pub struct BenchBallotsArgs {
    /// Voters in the voter file.
    #[arg(long, default_value_t = 1_000_000)]
    voters: usize,
    /// Ballot rows (about 1% match no voter).
    #[arg(long, default_value_t = 100_000)]
    ballots: usize,
    /// PostgreSQL URL (default: --database, else the local test database).
    #[arg(long)]
    postgres: Option<String>,
    /// Work directory (default: target/bench-ballots).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Which stores to run: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    stores: String,
    /// Keep the work directory and the PostgreSQL schema and tables afterwards (to look
    /// at plans with EXPLAIN); printed at the end.
    #[arg(long)]
    keep: bool,
}

/// Writes the ballot file: `ballots` rows for random voters of `ids`, every hundredth an
/// id in no voter file, a quarter with no return status yet.
fn write_ballot_file(path: &Path, ids: &[String], ballots: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "county_desc,voter_reg_num,ncid,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status"
    )?;
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..ballots {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = if i % 100 == 99 {
            format!("ZZ{i:08}")
        } else {
            ids[(x % ids.len() as u64) as usize].clone()
        };
        let status =
            ["ACCEPTED", "", "WITNESS INFO INCOMPLETE", "ACCEPTED"][(x >> 20) as usize % 4];
        let back = if status.is_empty() { "" } else { "10/15/2026" };
        writeln!(
            w,
            "WAKE,{i},{id},11/03/2026,MAIL,09/01/2026,09/05/2026,{back},{status}"
        )?;
    }
    w.flush()?;
    Ok(())
}

/// Runs `sql` through psql (not timed as a run; its seconds are printed).
fn psql_step(url: &str, what: &str, sql: &str) -> anyhow::Result<()> {
    let run = timed(what, psql_commands(url, &[sql.to_string()]))?;
    eprintln!("{what}: {:.2} s", run.seconds);
    Ok(())
}

/// The ballot count of every category `votebase ballots status --json` printed.
fn voted(args: &[String]) -> anyhow::Result<u64> {
    let (_, _, status) = run_votebase(args)?;
    let categories = status["categories"]
        .as_array()
        .context("ballots status printed no categories")?;
    Ok(categories.iter().filter_map(|c| c["voted"].as_u64()).sum())
}

/// The ballot rows of `ballots` whose id is in no row of `voters`.
fn unknown_sql(voters: &str, ballots: &str) -> String {
    format!(
        "SELECT count(*) FROM {ballots} b WHERE NOT EXISTS \
         (SELECT 1 FROM {voters} v WHERE v.ncid = b.ncid)"
    )
}

pub async fn bench(global: &Global, args: BenchBallotsArgs) -> anyhow::Result<()> {
    let BenchBallotsArgs {
        voters,
        ballots,
        postgres,
        dir,
        stores,
        keep,
    } = args;
    let (run_sqlite, run_postgres) = stores_to_run(&stores)?;
    let url = postgres_url(postgres, global);
    let dir = dir.unwrap_or_else(|| PathBuf::from("target/bench-ballots"));
    fresh_dir(&dir)?;
    eprintln!("generating {voters} voters and {ballots} ballot rows...");
    let gen_dir = dir.clone();
    let (voter_file, ballot_file) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<(PathBuf, PathBuf)> {
            let state = build_state(&DemoOptions {
                voters,
                seed: 2,
                ..Default::default()
            });
            let files = write_files(&state, &gen_dir)?;
            let ids: Vec<String> = state.first_snapshot().map(|(_, v)| v.ncid()).collect();
            let path = gen_dir.join("absentee_20261020.csv");
            write_ballot_file(&path, &ids, ballots)?;
            Ok((files.voters_first, path))
        })
        .await??;
    let vf = voter_file.to_string_lossy().to_string();
    let bf = ballot_file.to_string_lossy().to_string();
    let data = dir.join("data").to_string_lossy().to_string();
    let org = format!("benchb_{}", std::process::id());
    let plain_db = dir.join("plain.sqlite3");
    let pg_table = format!("bench_voters_{}", std::process::id());
    let bt = format!("bench_ballots_{}", std::process::id());
    let import = [
        "import",
        "voters",
        vf.as_str(),
        "--layout",
        "ncvoter",
        "--json",
    ];
    let import_ballots = [
        "import",
        "ballots",
        bf.as_str(),
        "--layout",
        "nc-absentee",
        "--json",
    ];
    // This binary's arguments for a command on the SQLite store or the PostgreSQL schema.
    let with_store = |store: &[&str], rest: &[&str]| -> Vec<String> {
        store.iter().chain(rest).map(|s| s.to_string()).collect()
    };
    let on_sqlite = |rest: &[&str]| with_store(&["--data", &data], rest);
    let on_postgres = |rest: &[&str]| with_store(&["--database", &url, "--org", &org], rest);

    eprintln!("loading the voter file into the stores and plain tables (not timed)...");
    if run_sqlite {
        run_votebase(&on_sqlite(&import))?;
        let mut load = Command::new("sqlite3");
        load.arg(&plain_db)
            .arg(".mode tabs")
            .arg(format!(".import {vf} voters"))
            .arg("ALTER TABLE voters ADD COLUMN voted INTEGER; CREATE UNIQUE INDEX voters_ncid ON voters (ncid);");
        timed("sqlite3 voters", load)?;
    }
    if run_postgres {
        run_votebase(&on_postgres(&import))?;
        let header = header_columns(&voter_file)?;
        let columns = header
            .iter()
            .map(|c| format!("\"{c}\" text"))
            .collect::<Vec<_>>()
            .join(", ");
        let quoted = header
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let pg_load = psql_commands(
            &url,
            &[
                format!(
                    "DROP TABLE IF EXISTS {pg_table}; CREATE TABLE {pg_table} ({columns}, voted boolean)"
                ),
                format!(
                    "\\copy {pg_table} ({quoted}) FROM '{vf}' WITH (FORMAT csv, DELIMITER E'\\t', QUOTE E'\\b', HEADER true)"
                ),
                format!("CREATE UNIQUE INDEX ON {pg_table} (ncid)"),
            ],
        );
        timed("psql voters", pg_load)?;
        // Both voter tables settled the way a DBA leaves a bulk load: vacuumed (hint bits
        // and the visibility map set, statistics current), then a checkpoint.
        psql_step(
            &url,
            "VACUUM (ANALYZE) both PostgreSQL voter tables",
            &format!("VACUUM (ANALYZE) vb_{org}.voters, {pg_table}"),
        )?;
        psql_step(&url, "CHECKPOINT", "CHECKPOINT")?;
    }

    let mut runs = Vec::new();
    let mut sqlite_summary = None;
    let mut pg_summary = None;
    if run_sqlite {
        eprintln!("votebase import ballots (SQLite)...");
        let (s, peak, summary) = run_votebase(&on_sqlite(&import_ballots))?;
        sqlite_summary = Some(summary);
        runs.push(Run {
            name: "votebase import ballots (SQLite)".into(),
            seconds: s,
            peak_mib: peak,
        });
        let mut sql = Command::new("sqlite3");
        sql.arg(&plain_db)
            .arg(".mode csv")
            .arg(format!(".import {bf} ballots"))
            .arg("UPDATE voters SET voted = 1 FROM ballots WHERE ballots.ncid = voters.ncid AND ballots.ballot_rtn_status = 'ACCEPTED';");
        runs.push(timed("sqlite3 .import + UPDATE … FROM", sql)?);
    }
    if run_postgres {
        eprintln!("votebase import ballots (PostgreSQL)...");
        let (s, peak, summary) = run_votebase(&on_postgres(&import_ballots))?;
        pg_summary = Some(summary);
        runs.push(Run {
            name: "votebase import ballots (PostgreSQL)".into(),
            seconds: s,
            peak_mib: peak,
        });
        psql_step(&url, "CHECKPOINT", "CHECKPOINT")?;
        let pg_sql = psql_commands(
            &url,
            &[
                format!(
                    "DROP TABLE IF EXISTS {bt}; CREATE TABLE {bt} (county_desc text, voter_reg_num text, ncid text, election_dt text, ballot_req_type text, ballot_req_dt text, ballot_send_dt text, ballot_rtn_dt text, ballot_rtn_status text)"
                ),
                format!("\\copy {bt} FROM '{bf}' WITH (FORMAT csv, HEADER true)"),
                format!(
                    "UPDATE {pg_table} v SET voted = true FROM {bt} b WHERE b.ncid = v.ncid AND b.ballot_rtn_status = 'ACCEPTED'"
                ),
            ],
        );
        runs.push(timed("psql \\copy + UPDATE … FROM", pg_sql)?);
    }

    // Equal work: both sides matched the same ballot rows to voters and count the same
    // voters as voted.
    let checks = (|| -> anyhow::Result<()> {
        if let Some(summary) = &sqlite_summary {
            check_equal(
                "ballot rows with no voter (SQLite)",
                json_count(summary, "unmatched")?,
                "sqlite3",
                sqlite_count(&plain_db, &unknown_sql("voters", "ballots"))?,
            )?;
            check_equal(
                "voters who voted (SQLite)",
                voted(&on_sqlite(&["ballots", "status", "--json"]))?,
                "sqlite3 UPDATE … FROM",
                sqlite_count(&plain_db, "SELECT count(*) FROM voters WHERE voted = 1")?,
            )?;
        }
        if let Some(summary) = &pg_summary {
            check_equal(
                "ballot rows with no voter (PostgreSQL)",
                json_count(summary, "unmatched")?,
                "psql",
                psql_count(&url, &unknown_sql(&pg_table, &bt))?,
            )?;
            check_equal(
                "voters who voted (PostgreSQL)",
                voted(&on_postgres(&["ballots", "status", "--json"]))?,
                "psql UPDATE … FROM",
                psql_count(
                    &url,
                    &format!("SELECT count(*) FROM {pg_table} WHERE voted"),
                )?,
            )?;
        }
        Ok(())
    })();
    if keep {
        eprintln!(
            "kept: {} (SQLite store and plain database); PostgreSQL schema vb_{org}, tables {pg_table} and {bt}",
            dir.display()
        );
    } else if run_postgres {
        let cleanup = psql_commands(
            &url,
            &[format!(
                "DROP TABLE IF EXISTS {bt}; DROP TABLE IF EXISTS {pg_table}; DROP SCHEMA IF EXISTS vb_{org} CASCADE"
            )],
        );
        timed("psql cleanup", cleanup)?;
    }
    checks?;
    if !keep {
        std::fs::remove_dir_all(&dir).ok();
    }

    print_runs(
        &format!("bench ballots: {ballots} ballot rows against {voters} voters"),
        &runs,
        ballots as f64,
        40,
    );
    Ok(())
}
