//! `votebase bench donations [--contributions N]`: a million contributions in ActBlue's
//! layout imported and aggregated by votebase, beside the plain alternative in the same
//! run, checking both arrive at the same donor aggregates.
//!
//! It writes N gift rows from N / 8 synthetic donors (`votebase_demo::write_bench_donations`:
//! many small gifts, some recurring, a few large, 1% refunded; every donor always under one
//! exact spelling), then for SQLite and, when PostgreSQL answers, for PostgreSQL: times
//! votebase's import (`app::donations::import_file`: parse, donor linkage over every
//! identity, one transaction) and its aggregation (every contribution read back, net per
//! person × committee × election, the flags); then the same file loaded into a plain
//! 101-column table (`sqlite3 .import`, `psql \copy`) and the same aggregation as SQL
//! (gifts plus a negative record per refunded row, grouped by the donor's exact spelling
//! and the election). It checks that both sides found the same number of donor ×
//! election groups, the same net total and the same number of groups over the $3,500
//! limit, and fails otherwise. The plain side does less (no linkage, no parsing into
//! types, no flags but the limit): it is the floor a hand-written load sets.

use crate::bench::{peak_rss_mib, postgres_url, tool_output};
use crate::options::Global;
use anyhow::{Context, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use votebase_app::donations as app;
use votebase_demo::{ACTBLUE_COLUMNS, write_bench_donations};
use votebase_domain::OrgName;
use votebase_store::Store;
use votebase_store_postgres::PgStore;
use votebase_store_sqlite::SqliteStore;

/// Options of `votebase bench donations`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase bench donations\n  votebase bench donations --contributions 100000 --stores sqlite"
)]
pub struct BenchDonationsArgs {
    /// Gift rows to generate (from one eighth as many donors).
    #[arg(long, default_value_t = 1_000_000)]
    pub contributions: usize,
    /// Seed of the generated file.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Stores to run: sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    pub stores: String,
    /// PostgreSQL URL (default: --database, else the local test database).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Work directory (default: target/bench-donations).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The aggregates both sides must agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Aggregates {
    groups: u64,
    net_cents: i64,
    over_limit: u64,
}

/// One store's figures.
struct Row {
    store: &'static str,
    import_seconds: f64,
    aggregate_seconds: f64,
    plain_tool: &'static str,
    load_seconds: f64,
    sql_seconds: f64,
    ours: Aggregates,
    flags: u64,
}

/// `c<k>`, the plain table's name of ActBlue column `name` (1-based, as the header has
/// repeated names).
fn col(name: &str) -> String {
    let k = ACTBLUE_COLUMNS
        .iter()
        .position(|c| *c == name)
        .expect("an ActBlue column");
    format!("c{}", k + 1)
}

/// The plain table: every column as text.
fn create_table(table: &str) -> String {
    let cols: Vec<String> = (1..=ACTBLUE_COLUMNS.len())
        .map(|k| format!("c{k} TEXT"))
        .collect();
    format!("CREATE TABLE {table} ({})", cols.join(", "))
}

/// The aggregation as SQL: a record per row plus a negative one per refunded row, net per
/// exact donor spelling × committee × election; `cents` is the dialect's cast of the
/// amount to whole cents.
fn plain_sql(table: &str, cents: &str) -> String {
    let donor = [
        "Donor First Name",
        "Donor Last Name",
        "Donor Addr1",
        "Donor City",
        "Donor State",
        "Donor ZIP",
        "Donor Country",
        "Donor Email",
        "Donor Phone",
        "Recipient Gov ID",
        "Recipient Election",
    ]
    .map(col)
    .join(", ");
    let amount = cents.replace("AMOUNT", &col("Amount"));
    let refund = col("Refund ID");
    format!(
        "WITH records AS (
           SELECT {donor}, {amount} AS cents FROM {table}
           UNION ALL
           SELECT {donor}, -({amount}) FROM {table} WHERE {refund} <> ''),
         per AS (SELECT SUM(cents) AS net FROM records GROUP BY {donor})
         SELECT COUNT(*), SUM(net), SUM(CASE WHEN net > 350000 THEN 1 ELSE 0 END) FROM per"
    )
}

fn parse_aggregates(tool: &str, text: &str) -> anyhow::Result<Aggregates> {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let parts: Vec<&str> = line.trim().split('|').collect();
    let [groups, net, over] = parts[..] else {
        bail!("{tool} printed {text:?}, not count|net|over");
    };
    let n = |s: &str| -> anyhow::Result<i64> {
        s.parse()
            .with_context(|| format!("{tool} printed {line:?}"))
    };
    Ok(Aggregates {
        groups: n(groups)? as u64,
        net_cents: n(net)?,
        over_limit: n(over)? as u64,
    })
}

/// `sqlite3 .import` into a fresh file, then the SQL: (load s, SQL s, aggregates).
fn sqlite_plain(dir: &Path, file: &Path) -> anyhow::Result<(f64, f64, Aggregates)> {
    let db = dir.join("plain.sqlite3");
    let _ = std::fs::remove_file(&db);
    let mut load = Command::new("sqlite3");
    load.arg(&db)
        .arg(format!("{};", create_table("contributions")))
        .arg(".mode csv")
        .arg(format!(".import --skip 1 {} contributions", file.display()));
    let (load_seconds, _) = tool_output("sqlite3 .import", load)?;
    let mut sql = Command::new("sqlite3");
    sql.arg("-readonly")
        .arg("-separator")
        .arg("|")
        .arg(&db)
        .arg(format!(
            "{};",
            plain_sql(
                "contributions",
                "CAST(ROUND(CAST(AMOUNT AS REAL) * 100) AS INTEGER)"
            )
        ));
    let (sql_seconds, text) = tool_output("sqlite3", sql)?;
    std::fs::remove_file(&db).ok();
    Ok((
        load_seconds,
        sql_seconds,
        parse_aggregates("sqlite3", &text)?,
    ))
}

/// `psql \copy` into a fresh schema, then the SQL: (load s, SQL s, aggregates).
fn psql_plain(url: &str, file: &Path) -> anyhow::Result<(f64, f64, Aggregates)> {
    let schema = format!("bench_donations_plain_{}", std::process::id());
    let psql = |commands: &[String]| {
        let mut cmd = Command::new("psql");
        cmd.arg(url)
            .arg("-X")
            .arg("-qAt")
            .arg("-F")
            .arg("|")
            .arg("-v")
            .arg("ON_ERROR_STOP=1");
        for c in commands {
            cmd.arg("-c").arg(c);
        }
        cmd
    };
    tool_output(
        "psql",
        psql(&[
            format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            format!("CREATE SCHEMA {schema}"),
            create_table(&format!("{schema}.contributions")),
        ]),
    )?;
    let result = (|| {
        let (load_seconds, _) = tool_output(
            "psql \\copy",
            psql(&[format!(
                "\\copy {schema}.contributions FROM '{}' WITH (FORMAT csv, HEADER true)",
                file.display()
            )]),
        )?;
        let (sql_seconds, text) = tool_output(
            "psql",
            psql(&[plain_sql(
                &format!("{schema}.contributions"),
                "(CAST(AMOUNT AS NUMERIC) * 100)::BIGINT",
            )]),
        )?;
        Ok((load_seconds, sql_seconds, parse_aggregates("psql", &text)?))
    })();
    tool_output("psql", psql(&[format!("DROP SCHEMA {schema} CASCADE")])).ok();
    result
}

/// Imports and aggregates with votebase: (import s, aggregate s, aggregates, flags).
async fn votebase_side(
    store: &dyn Store,
    file: &Path,
    dir: &Path,
) -> anyhow::Result<(f64, f64, Aggregates, u64)> {
    let t = Instant::now();
    let report = app::import_file(
        store,
        file,
        Some("actblue"),
        Some(dir.join("rejects.csv")),
        Arc::new(votebase_ingest::NoProgress),
    )
    .await?;
    let import_seconds = t.elapsed().as_secs_f64();
    eprintln!(
        "  {} records, {} new donors ({} spellings merged, {} pairs for review) in {import_seconds:.1} s",
        report.outcome.inserted, report.outcome.new_donors, report.merged_new, report.review_pairs
    );
    let t = Instant::now();
    let a = app::election_aggregates(store).await?;
    Ok((
        import_seconds,
        t.elapsed().as_secs_f64(),
        Aggregates {
            groups: a.groups,
            net_cents: a.net_cents,
            over_limit: a.over_limit,
        },
        a.flags,
    ))
}

fn check(store: &str, tool: &str, ours: Aggregates, theirs: Aggregates) -> anyhow::Result<()> {
    let line = format!(
        "donor × election groups {} / {}, net {} / {}, over the limit {} / {}",
        ours.groups,
        theirs.groups,
        votebase_domain::donations::format_cents(ours.net_cents),
        votebase_domain::donations::format_cents(theirs.net_cents),
        ours.over_limit,
        theirs.over_limit
    );
    if ours != theirs {
        bail!("check ({store}, votebase / {tool}) failed: {line}");
    }
    println!("check ({store}, votebase / {tool}): {line}: equal");
    Ok(())
}

pub async fn bench(global: &Global, args: BenchDonationsArgs) -> anyhow::Result<()> {
    let (run_sqlite, run_pg) = crate::bench::stores_to_run(&args.stores)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/bench-donations"));
    crate::bench::fresh_dir(&dir)?;
    let dir = dir.canonicalize()?;
    let file = dir.join("actblue-bench.csv");
    eprintln!("generating {} contributions...", args.contributions);
    let t = Instant::now();
    let (n, seed, path) = (args.contributions, args.seed, file.clone());
    let made = tokio::task::spawn_blocking(move || write_bench_donations(&path, n, seed)).await??;
    eprintln!(
        "  {:.1} s: {} rows ({} refunded) from {} donors, {:.0} MiB",
        t.elapsed().as_secs_f64(),
        made.rows,
        made.refunds,
        made.donors,
        std::fs::metadata(&file)?.len() as f64 / (1 << 20) as f64
    );

    let mut rows = Vec::new();
    if run_sqlite {
        let org = OrgName::parse("bench_donations")?;
        let store = SqliteStore::open(&dir.join("data"), &org)?;
        eprintln!("votebase on SQLite...");
        let (import_seconds, aggregate_seconds, ours, flags) =
            votebase_side(&store, &file, &dir).await?;
        eprintln!("sqlite3 .import and the same aggregation as SQL...");
        let (load_seconds, sql_seconds, theirs) = sqlite_plain(&dir, &file)?;
        check("SQLite", "sqlite3", ours, theirs)?;
        rows.push(Row {
            store: "SQLite",
            import_seconds,
            aggregate_seconds,
            plain_tool: "sqlite3 .import",
            load_seconds,
            sql_seconds,
            ours,
            flags,
        });
    }
    if run_pg {
        let url = postgres_url(args.postgres.clone(), global);
        let org = OrgName::parse(&format!("bench_donations_{}", std::process::id()))?;
        votebase_store_postgres::drop_org(&url, &org).await.ok();
        let store = PgStore::connect(&url, &org).await.with_context(|| {
            format!("cannot connect to PostgreSQL at {url} (use --postgres URL)")
        })?;
        eprintln!("votebase on PostgreSQL...");
        let ours = votebase_side(&store, &file, &dir).await;
        store.close().await;
        votebase_store_postgres::drop_org(&url, &org).await.ok();
        let (import_seconds, aggregate_seconds, ours, flags) = ours?;
        eprintln!("psql \\copy and the same aggregation as SQL...");
        let (load_seconds, sql_seconds, theirs) = psql_plain(&url, &file)?;
        check("PostgreSQL", "psql", ours, theirs)?;
        rows.push(Row {
            store: "PostgreSQL",
            import_seconds,
            aggregate_seconds,
            plain_tool: "psql \\copy",
            load_seconds,
            sql_seconds,
            ours,
            flags,
        });
    }
    std::fs::remove_file(&file).ok();

    println!(
        "{} contributions ({} refunded) from {} donors, {} cores",
        made.rows,
        made.refunds,
        made.donors,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "| store | votebase import s | votebase aggregate + flags s | plain load s | plain SQL aggregate s | groups | over limit | flags |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.2} | {:.1} ({}) | {:.2} | {} | {} | {} |",
            r.store,
            r.import_seconds,
            r.aggregate_seconds,
            r.load_seconds,
            r.plain_tool,
            r.sql_seconds,
            r.ours.groups,
            r.ours.over_limit,
            r.flags
        );
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory of this process: {mib:.0} MiB");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sql_names_the_right_columns_and_output_parses() {
        assert_eq!(col("Receipt ID"), "c1");
        assert_eq!(col("Amount"), "c3");
        let sql = plain_sql("t", "AMOUNT * 100");
        assert!(sql.contains("c3 * 100"), "{sql}");
        assert!(
            sql.contains(&format!("WHERE {} <> ''", col("Refund ID"))),
            "{sql}"
        );
        let a = parse_aggregates("t", "12|34500|1\n").unwrap();
        assert_eq!(
            a,
            Aggregates {
                groups: 12,
                net_cents: 34500,
                over_limit: 1
            }
        );
        assert!(parse_aggregates("t", "garbage").is_err());
    }
}
