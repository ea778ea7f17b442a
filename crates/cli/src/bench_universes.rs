//! `votebase bench universes [--voters N]`: universe counts and county breakdowns from
//! the in-memory bitmap index, beside the same queries as plain SQL on SQLite and
//! PostgreSQL over the same data, in the same run.
//!
//! It generates a demo state of N voters (the demo generator), imports its first voter
//! snapshot, its vote history and its ballot files (the newest daily file of the demo
//! election, which holds every ballot so far, and the final file of the previous one)
//! into a fresh SQLite store and a fresh PostgreSQL schema through the real importers,
//! adds the indexes a DBA would add for these filters (county, party, status, birth
//! year, registration date, districts, precinct; history by election and voter; ballot
//! events by voter), and builds the universe index from the SQLite store (timed, with its
//! size and the process's peak memory). For ten expressions of one to eight clauses it
//! times the count and the county breakdown, p50 and p99 over repeated runs, on the index
//! and as SQL (`SELECT COUNT(*) FROM voters v WHERE …` and `… GROUP BY county_name`) on
//! both stores, and checks that all three give the same numbers. The SQL is generated
//! from the resolved query, so the filters mean the same thing everywhere. Expressions
//! are written over the generated state (its largest counties and districts, its
//! elections), so they select real voters whatever the size.

use crate::bench::{peak_rss_mib, postgres_url};
use crate::options::{Global, ImportArgs};
use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use votebase_app::universes::{Built, build_index};
use votebase_demo::{DemoOptions, build_state, write_ballot_files, write_files};
use votebase_domain::{BallotCategory, OrgName};
use votebase_index::families::CatField;
use votebase_index::{Dimension, Pred, Query};
use votebase_ingest::Layout;
use votebase_ingest::ballots::import_ballots_file;
use votebase_ingest::history::import_history_file;
use votebase_store::Store;
use votebase_store_postgres::PgStore;
use votebase_store_sqlite::SqliteStore;

/// Options of `votebase bench universes`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase bench universes --voters 1000000\n  votebase bench universes --voters 200000 --runs 20"
)]
pub struct BenchUniversesArgs {
    /// Voters in the generated state.
    #[arg(long, default_value_t = 1_000_000)]
    pub voters: usize,
    /// Timed runs per query, on the index and on each SQL store alike.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Timed runs per query on each SQL store, when it must differ from --runs (the
    /// report prints both).
    #[arg(long)]
    pub sql_runs: Option<usize>,
    /// Seed of the generated state.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// PostgreSQL URL (default: --database, else the local test database).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Work directory (default: target/bench-universes).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the stores at the end (the work directory always stays; the PostgreSQL
    /// organization is printed) so a later run can `--reuse` them.
    #[arg(long)]
    pub keep: bool,
    /// Reuse the stores a `--keep` run left: the SQLite store in `--dir` and this
    /// PostgreSQL organization; no generation, no imports (the SQL indexes are added if
    /// missing, and the universe index is built and timed as always).
    #[arg(long, value_name = "PG_ORG")]
    pub reuse: Option<String>,
}

impl BenchUniversesArgs {
    /// Runs per query on the SQL stores: `--sql-runs`, else `--runs`.
    fn sql_runs(&self) -> usize {
        self.sql_runs.unwrap_or(self.runs)
    }

    /// The work directory.
    fn work_dir(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("target/bench-universes"))
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn column(field: CatField) -> &'static str {
    match field {
        CatField::County => "v.county_name",
        CatField::Precinct => "v.precinct_code",
        CatField::Congressional => "v.congressional_district",
        CatField::Senate => "v.state_senate_district",
        CatField::House => "v.state_house_district",
        CatField::Zip => "v.zip5",
        CatField::City => "v.city",
        CatField::Municipality => "v.municipality",
        CatField::Party => "v.party",
        CatField::Status => "v.status",
        CatField::Gender => "v.gender",
    }
}

fn range<T: ToString>(
    col: &str,
    lo: &Option<T>,
    hi: &Option<T>,
    lit: impl Fn(&T) -> String,
) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) => format!("{col} BETWEEN {} AND {}", lit(l), lit(h)),
        (Some(l), None) => format!("{col} >= {}", lit(l)),
        (None, Some(h)) => format!("{col} <= {}", lit(h)),
        (None, None) => format!("{col} IS NOT NULL"),
    }
}

/// One predicate or clause as SQL over `voters v`, before it is written for a store.
#[derive(Debug, Clone)]
enum Sql {
    /// A condition on the voter's own columns.
    Plain(String),
    /// `v.state_voter_id [NOT] IN (set)`: a set of voter ids (history, ballots), written
    /// per store so that neither runs a subquery once per voter.
    Ids { negated: bool, set: String },
}

/// The SQL dialect a where clause is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// `IN` / `NOT IN (set)`: SQLite builds the set once (an ephemeral index) and probes it.
    Sqlite,
    /// `EXISTS` / `NOT EXISTS (… WHERE x.state_voter_id = v.state_voter_id)`: PostgreSQL
    /// plans these as semi- and anti-joins (hash or merge, spilling to disk when large). A
    /// `NOT IN (subquery)` cannot become an anti-join (NULL semantics) and runs as a
    /// subplan, hashed only while the set fits in `work_mem`: at 10M voters it did not,
    /// and the subplan scanned the set once per voter.
    Postgres,
}

impl Sql {
    fn not(self) -> Sql {
        match self {
            Sql::Plain(s) => Sql::Plain(format!("NOT ({s})")),
            Sql::Ids { negated, set } => Sql::Ids {
                negated: !negated,
                set,
            },
        }
    }

    fn write(&self, dialect: Dialect) -> String {
        match (self, dialect) {
            (Sql::Plain(s), _) => s.clone(),
            (Sql::Ids { negated, set }, Dialect::Sqlite) => format!(
                "v.state_voter_id {}IN ({set})",
                if *negated { "NOT " } else { "" }
            ),
            (Sql::Ids { negated, set }, Dialect::Postgres) => format!(
                "{}EXISTS (SELECT 1 FROM ({set}) x WHERE x.state_voter_id = v.state_voter_id)",
                if *negated { "NOT " } else { "" }
            ),
        }
    }
}

/// One predicate as SQL over `voters v` (present voters), or why it has no SQL here.
fn pred_sql(
    p: &Pred,
    reference: NaiveDate,
    ballot_election: Option<NaiveDate>,
) -> anyhow::Result<Sql> {
    let date = |d: &NaiveDate| quote(&d.to_string());
    let ids = |negated: bool, set: String| Sql::Ids { negated, set };
    Ok(match p {
        Pred::Category { field, value } => {
            Sql::Plain(if *field == CatField::Precinct && value.contains('/') {
                format!("v.county_name || '/' || v.precinct_code = {}", quote(value))
            } else {
                format!("{} = {}", column(*field), quote(value))
            })
        }
        Pred::Age { lo, hi } => {
            // Birth year only (as in NC): age = reference year - birth year.
            let y = reference.year();
            Sql::Plain(range(
                "v.birth_year",
                &hi.map(|h| y - h),
                &lo.map(|l| y - l),
                |n| n.to_string(),
            ))
        }
        Pred::Registered { lo, hi } => Sql::Plain(range("v.registration_date", lo, hi, date)),
        // Set-based, as a DBA writes them: each history or ballot predicate is one set of
        // voter ids (a semi- or anti-join), never a per-voter lookup.
        Pred::Voted { lo, hi } => ids(
            false,
            format!(
                "SELECT h.state_voter_id FROM vote_history h WHERE {}",
                range("h.election_date", lo, hi, date)
            ),
        ),
        Pred::Votes { lo, hi } => {
            let per_voter = "SELECT h.state_voter_id FROM vote_history h GROUP BY h.state_voter_id";
            match (lo.filter(|l| *l > 0), hi) {
                // Voters with no history have 0 votes: "at most h" is "not more than h".
                (None, Some(h)) => ids(true, format!("{per_voter} HAVING COUNT(*) > {h}")),
                (None, None) => Sql::Plain("1 = 1".into()),
                (Some(l), hi) => ids(
                    false,
                    format!(
                        "{per_voter} HAVING COUNT(*) >= {l}{}",
                        hi.map(|h| format!(" AND COUNT(*) <= {h}"))
                            .unwrap_or_default()
                    ),
                ),
            }
        }
        Pred::Keyed { family, key } if family == "ballot" => {
            let Some(e) = ballot_election else {
                return Ok(Sql::Plain("1 = 0".into()));
            };
            let Some(cat) = BallotCategory::ALL.into_iter().find(|c| c.code() == key) else {
                return Ok(Sql::Plain("1 = 0".into()));
            };
            // A voter's category is their most settled ballot event of the election.
            ids(
                false,
                format!(
                    "SELECT b.state_voter_id FROM ballot_events b \
                     WHERE b.election_date = {} GROUP BY b.state_voter_id HAVING MAX(b.rank) = {}",
                    date(&e),
                    cat.rank()
                ),
            )
        }
        other => bail!("no SQL translation in this benchmark for {other:?}"),
    })
}

/// The alternatives of one clause, OR-ed: sets of voter ids of one polarity merge into one
/// set (`UNION` of the included, `INTERSECT` of the excluded), so the clause stays one join.
fn any_of(alternatives: Vec<Sql>) -> Sql {
    if alternatives.len() == 1 {
        return alternatives.into_iter().next().expect("one");
    }
    let polarity = |negated_wanted: bool| {
        alternatives
            .iter()
            .map(|a| match a {
                Sql::Ids { negated, set } if *negated == negated_wanted => Some(set.clone()),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()
    };
    if let Some(sets) = polarity(false) {
        return Sql::Ids {
            negated: false,
            set: sets.join(" UNION "),
        };
    }
    if let Some(sets) = polarity(true) {
        return Sql::Ids {
            negated: true,
            set: sets.join(" INTERSECT "),
        };
    }
    // Mixed: written per store below, as an OR of conditions.
    Sql::Plain(String::new())
}

/// Whether a line of a PostgreSQL plan uses a subplan once per row: a reference to
/// `SubPlan N` that is not `hashed SubPlan N` (the node's own heading line is not a use).
fn per_row_subplan(line: &str) -> bool {
    let line = line.trim_start();
    !line.starts_with("SubPlan")
        && line.matches("SubPlan").count() > line.matches("hashed SubPlan").count()
}

/// The WHERE clause of a resolved query, written for one store.
fn where_sql(
    q: &Query,
    ballot_election: Option<NaiveDate>,
    dialect: Dialect,
) -> anyhow::Result<String> {
    let mut parts = vec!["v.present".to_string()];
    for c in &q.clauses {
        let alts = c
            .any_of
            .iter()
            .map(|p| pred_sql(p, q.reference_date, ballot_election))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let clause = match any_of(alts.clone()) {
            Sql::Plain(s) if s.is_empty() => Sql::Plain(
                alts.iter()
                    .map(|a| a.write(dialect))
                    .collect::<Vec<_>>()
                    .join(" OR "),
            ),
            Sql::Plain(s) => Sql::Plain(s),
            ids => ids,
        };
        let clause = if c.negated { clause.not() } else { clause };
        parts.push(match clause {
            Sql::Plain(s) => format!("({s})"),
            ids => ids.write(dialect),
        });
    }
    Ok(parts.join(" AND "))
}

/// The indexes added for these filters, on both stores.
const SQL_INDEXES: [&str; 10] = [
    "CREATE INDEX IF NOT EXISTS bench_v_county ON voters (county_name, party, status)",
    "CREATE INDEX IF NOT EXISTS bench_v_party ON voters (party, status)",
    "CREATE INDEX IF NOT EXISTS bench_v_status ON voters (status)",
    "CREATE INDEX IF NOT EXISTS bench_v_birth ON voters (birth_year)",
    "CREATE INDEX IF NOT EXISTS bench_v_registered ON voters (registration_date)",
    "CREATE INDEX IF NOT EXISTS bench_v_cd ON voters (congressional_district)",
    "CREATE INDEX IF NOT EXISTS bench_v_precinct ON voters (precinct_code)",
    "CREATE INDEX IF NOT EXISTS bench_v_gender ON voters (gender)",
    "CREATE INDEX IF NOT EXISTS bench_h_election ON vote_history (election_date, state_voter_id)",
    "CREATE INDEX IF NOT EXISTS bench_b_voter ON ballot_events (state_voter_id, election_date, rank)",
];

fn percentiles(mut d: Vec<Duration>) -> (f64, f64) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    let p = |q: f64| ms(d[((d.len() - 1) as f64 * q).round() as usize]);
    (p(0.5), p(0.99))
}

/// p50 and p99 of `runs` calls (after one untimed warm-up), and the last result.
async fn time_async<T, F, Fut>(runs: usize, mut f: F) -> anyhow::Result<((f64, f64), T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut last = f().await?;
    let mut d = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = f().await?;
        d.push(t.elapsed());
    }
    Ok((percentiles(d), last))
}

fn time_sync<T>(runs: usize, mut f: impl FnMut() -> T) -> ((f64, f64), T) {
    let mut last = std::hint::black_box(f());
    let mut d = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = std::hint::black_box(f());
        d.push(t.elapsed());
    }
    (percentiles(d), last)
}

/// Loads the generated state into a store through the real importers.
async fn load(
    store: &dyn Store,
    files: &votebase_demo::DemoFiles,
    ballots: &[PathBuf],
) -> anyhow::Result<()> {
    crate::voters::import_voters(
        store,
        &ImportArgs {
            file: files.voters_first.clone(),
            layout: "ncvoter".into(),
            as_of: None,
            rejects: None,
            json: false,
        },
    )
    .await?;
    import_history_file(
        store,
        &files.history,
        &Layout::load("ncvhis")?,
        None,
        Arc::new(votebase_ingest::NoProgress),
    )
    .await?;
    let layout = Layout::load("nc-absentee")?;
    for file in ballots {
        import_ballots_file(
            store,
            file,
            &layout,
            None,
            None,
            Arc::new(votebase_ingest::NoProgress),
        )
        .await?;
    }
    Ok(())
}

/// The ten expressions, written over the generated state.
fn expressions(built: &Built) -> anyhow::Result<Vec<String>> {
    let all = votebase_index::parse("")?;
    let top = |d: Dimension| -> anyhow::Result<Vec<String>> {
        Ok(built
            .index
            .breakdown(&all, d)?
            .into_iter()
            .map(|(label, _)| label)
            .filter(|l| l != "(none)")
            .collect())
    };
    let counties = top(Dimension::County)?;
    let cds = top(Dimension::Congressional)?;
    if counties.len() < 3 || cds.is_empty() {
        bail!("the generated state is too small: use --voters 10000 or more");
    }
    let q = |s: &str| {
        if s.contains(' ') {
            format!("\"{s}\"")
        } else {
            s.to_string()
        }
    };
    let (c1, c2, c3) = (q(&counties[0]), q(&counties[1]), q(&counties[2]));
    let c1_expr = votebase_index::parse(&format!("county:{c1}"))?;
    let precinct = built
        .index
        .breakdown(&c1_expr, Dimension::Precinct)?
        .into_iter()
        .next()
        .map(|(l, _)| l)
        .context("a precinct")?;
    let precinct_code = q(precinct.split('/').nth(1).unwrap_or(&precinct));
    let elections: Vec<NaiveDate> = built
        .index
        .elections()
        .filter(|d| d.month() == 11)
        .collect();
    if elections.len() < 4 {
        bail!("the generated history has fewer than four November elections");
    }
    let n = elections.len();
    let (e_last, e_mid, e_pres, e_old) = (
        elections[n - 1],
        elections[n - 2],
        elections[n - 3],
        elections[n - 4],
    );
    let cd = &cds[0];
    Ok(vec![
        "party:DEM".into(),
        format!("county:{c1},{c2} status:active"),
        format!("age:18..29 voted:{e_pres} !voted:{e_mid}"),
        "status:active party:UNA gender:F age:65..".into(),
        format!(
            "county:{c1},{c2},{c3} !status:removed,denied age:25..44 registered:2016-01-01.. party:DEM,UNA"
        ),
        format!(
            "county:{c1} precinct:{precinct_code} votes:3.. status:active party:DEM !voted:{e_mid}"
        ),
        format!(
            "cd:{cd} party:DEM,UNA registered:2020-01-01.. status:active,inactive !voted:{e_last} age:..35 gender:F"
        ),
        format!(
            "county:{c1},{c2} party:DEM age:18..29 voted:{e_pres} !voted:{e_mid} !ballot:returned,accepted status:active"
        ),
        format!(
            "county:{c1},{c2},{c3} party:DEM,UNA status:active age:18..40 !ballot:accepted votes:1.. !voted:{e_mid} gender:F"
        ),
        format!(
            "voted:{e_old} voted:{e_pres} !voted:{e_mid} votes:..4 party:REP,UNA gender:M status:active age:30..60"
        ),
    ])
}

struct Row {
    expr: String,
    clauses: usize,
    matches: u64,
    index: ((f64, f64), (f64, f64)),
    sqlite: ((f64, f64), (f64, f64)),
    postgres: ((f64, f64), (f64, f64)),
}

pub async fn bench(global: &Global, args: BenchUniversesArgs) -> anyhow::Result<()> {
    let dir = args.work_dir();
    let pg_url = postgres_url(args.postgres.clone(), global);
    if let Some(pg_org) = &args.reuse {
        let org = OrgName::parse("bench_universes")?;
        let file = dir.join("data").join(format!("{org}.sqlite3"));
        if !file.exists() {
            bail!(
                "--reuse: no SQLite store at {} (run once with --keep)",
                file.display()
            );
        }
        let sqlite = SqliteStore::open(&dir.join("data"), &org)?;
        let pg_org = OrgName::parse(pg_org)?;
        let pg = PgStore::connect(&pg_url, &pg_org).await.with_context(|| {
            format!("cannot connect to PostgreSQL at {pg_url} (use --postgres URL)")
        })?;
        let (a, b) = (sqlite.count_voters().await?, pg.count_voters().await?);
        if a == 0 || a != b {
            bail!("--reuse: the stores hold {a} (SQLite) and {b} (PostgreSQL) voters");
        }
        eprintln!(
            "reusing {a} voters in {} and schema of {pg_org}",
            file.display()
        );
        let result = run(&args, &sqlite, &pg).await;
        pg.close().await;
        return result;
    }
    crate::bench::fresh_dir(&dir)?;

    eprintln!("generating a demo state of {} voters...", args.voters);
    let options = DemoOptions {
        voters: args.voters,
        seed: args.seed,
        ..Default::default()
    };
    let files_dir = dir.join("files");
    let (files, ballots) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let state = build_state(&options);
        let files = write_files(&state, &files_dir)?;
        let ballots = write_ballot_files(&state, &files_dir.join("ballots"))?;
        Ok((files, ballots))
    })
    .await??;
    // The newest daily file of the demo election holds every ballot so far; the last
    // file is the previous election's final one.
    let ballots: Vec<PathBuf> = match ballots.len() {
        0 => Vec::new(),
        1 => ballots,
        n => vec![ballots[n - 2].clone(), ballots[n - 1].clone()],
    };

    let org = OrgName::parse("bench_universes")?;
    let sqlite = SqliteStore::open(&dir.join("data"), &org)?;
    eprintln!("importing into SQLite...");
    let t = Instant::now();
    load(&sqlite, &files, &ballots).await?;
    eprintln!("  {:.1} s", t.elapsed().as_secs_f64());
    let pg_org = OrgName::parse(&format!("bench_universes_{}", std::process::id()))?;
    votebase_store_postgres::drop_org(&pg_url, &pg_org)
        .await
        .ok();
    let pg = PgStore::connect(&pg_url, &pg_org).await.with_context(|| {
        format!("cannot connect to PostgreSQL at {pg_url} (use --postgres URL)")
    })?;
    eprintln!("importing into PostgreSQL...");
    let t = Instant::now();
    let loaded = load(&pg, &files, &ballots).await;
    let result = match loaded {
        Ok(()) => {
            eprintln!("  {:.1} s", t.elapsed().as_secs_f64());
            run(&args, &sqlite, &pg).await
        }
        Err(e) => Err(e),
    };
    pg.close().await;
    if args.keep {
        eprintln!("kept: --dir {} --reuse {pg_org}", dir.display());
    } else {
        votebase_store_postgres::drop_org(&pg_url, &pg_org)
            .await
            .ok();
    }
    result
}

async fn run(args: &BenchUniversesArgs, sqlite: &SqliteStore, pg: &PgStore) -> anyhow::Result<()> {
    eprintln!("adding SQL indexes...");
    let conn = rusqlite::Connection::open(sqlite.path())?;
    for sql in SQL_INDEXES {
        conn.execute(sql, [])?;
    }
    conn.execute_batch("ANALYZE")?;
    for sql in SQL_INDEXES {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(pg.pool())
            .await?;
    }
    sqlx::query("ANALYZE").execute(pg.pool()).await?;

    let rss_before = peak_rss_mib().unwrap_or(0.0);
    let built = build_index(sqlite).await?;
    let rss_after = peak_rss_mib().unwrap_or(0.0);
    let stats = built.index.stats();
    let history_rows: i64 =
        conn.query_row("SELECT COUNT(*) FROM vote_history", [], |r| r.get(0))?;
    let ballot_election = built.election;

    let mut rows = Vec::new();
    let mut plans = String::new();
    for expr in expressions(&built)? {
        let parsed = votebase_index::parse(&expr)?;
        let query = built.index.resolve(&parsed)?;
        let sql_of = |dialect| -> anyhow::Result<(String, String)> {
            let where_clause = where_sql(&query, ballot_election, dialect)?;
            Ok((
                format!("SELECT COUNT(*) FROM voters v WHERE {where_clause}"),
                format!(
                    "SELECT v.county_name, COUNT(*) FROM voters v WHERE {where_clause} GROUP BY v.county_name"
                ),
            ))
        };
        let (count_sql, by_sql) = sql_of(Dialect::Sqlite)?;
        let (pg_count_sql, pg_by_sql) = sql_of(Dialect::Postgres)?;

        // The plans first: no subquery run once per voter on either store (such a plan
        // is quadratic in the voters: the run stops before timing it).
        let mut pg_plans = Vec::new();
        for sql in [&pg_count_sql, &pg_by_sql] {
            let plan: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                    .fetch_all(pg.pool())
                    .await?;
            pg_plans.push(plan);
        }
        let mut sqlite_plans = Vec::new();
        for sql in [&count_sql, &by_sql] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
                .query_map([], |r| r.get::<_, String>(3))?
                .collect::<Result<_, _>>()?;
            sqlite_plans.push(plan);
        }
        if pg_plans.iter().flatten().any(|l| per_row_subplan(l))
            || sqlite_plans
                .iter()
                .flatten()
                .any(|l| l.contains("CORRELATED"))
        {
            bail!(
                "a per-voter subquery in the plan of `{expr}`:\n{}\n{}",
                pg_plans.concat().join("\n"),
                sqlite_plans.concat().join("\n")
            );
        }
        plans.push_str(&format!(
            "-- {expr}\n-- SQLite:\n{count_sql};\n{}\n-- PostgreSQL:\n{pg_count_sql};\n{}\n\n",
            sqlite_plans[0].join("\n"),
            pg_plans[0].join("\n")
        ));

        let (index_count, matches) = time_sync(args.runs, || built.index.count_query(&query));
        let (index_by, index_breakdown) = time_sync(args.runs, || {
            built.index.breakdown_query(&query, Dimension::County)
        });

        let mut count_stmt = conn.prepare(&count_sql)?;
        let mut by_stmt = conn.prepare(&by_sql)?;
        let (sqlite_count, sqlite_n) = time_sync(args.sql_runs(), || {
            count_stmt.query_row([], |r| r.get::<_, i64>(0))
        });
        let (sqlite_by, sqlite_breakdown) = time_sync(args.sql_runs(), || {
            by_stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        });
        let (pg_count, pg_n) = time_async(args.sql_runs(), || async {
            Ok(
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(pg_count_sql.clone()))
                    .fetch_one(pg.pool())
                    .await?,
            )
        })
        .await?;
        let (pg_by, pg_breakdown) = time_async(args.sql_runs(), || async {
            Ok(
                sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(pg_by_sql.clone()))
                    .fetch_all(pg.pool())
                    .await?,
            )
        })
        .await?;

        // Equal answers: the same count, and the same count in every county.
        let (sqlite_n, sqlite_breakdown) = (sqlite_n?, sqlite_breakdown?);
        let as_map = |v: &[(String, i64)]| -> BTreeMap<String, u64> {
            v.iter().map(|(k, n)| (k.clone(), *n as u64)).collect()
        };
        let index_map: BTreeMap<String, u64> = index_breakdown
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        if sqlite_n as u64 != matches || pg_n as u64 != matches {
            bail!(
                "counts differ for `{expr}`: index {matches}, SQLite {sqlite_n}, PostgreSQL {pg_n}\n  SQLite: {count_sql}\n  PostgreSQL: {pg_count_sql}"
            );
        }
        for (store, breakdown) in [("SQLite", &sqlite_breakdown), ("PostgreSQL", &pg_breakdown)] {
            let sql_map = as_map(breakdown);
            if sql_map != index_map {
                let differing = index_map
                    .keys()
                    .chain(sql_map.keys())
                    .find(|k| index_map.get(*k) != sql_map.get(*k))
                    .cloned()
                    .unwrap_or_default();
                bail!(
                    "county breakdowns differ for `{expr}` on {store}: {differing}: index {:?}, SQL {:?}",
                    index_map.get(&differing),
                    sql_map.get(&differing)
                );
            }
        }
        eprintln!("  {matches:>8}  {expr}");
        rows.push(Row {
            clauses: parsed.clauses.len(),
            expr,
            matches,
            index: (index_count, index_by),
            sqlite: (sqlite_count, sqlite_by),
            postgres: (pg_count, pg_by),
        });
    }

    let plans_path = args.work_dir().join("plans.sql");
    std::fs::write(&plans_path, &plans)?;
    println!(
        "check: every count and every county of every breakdown equal on the index, SQLite and PostgreSQL; no per-voter subquery in any plan ({})",
        plans_path.display()
    );
    println!(
        "Universe counts, {} voters ({history_rows} history rows), {} cores; index runs {}, SQL runs {}",
        built.index.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        args.runs,
        args.sql_runs()
    );
    println!(
        "index build from the SQLite store {:.2} s; {} bitmaps, {:.0} MiB of bitmaps + {:.0} MiB of ids; peak RSS {:.0} MiB before the build, {:.0} MiB after",
        built.seconds,
        stats.bitmaps,
        stats.bitmap_bytes as f64 / 1048576.0,
        stats.id_bytes as f64 / 1048576.0,
        rss_before,
        rss_after
    );
    println!();
    println!(
        "| # | clauses | expression | matches | index count p50 / p99 ms | SQLite count p50 / p99 ms | PostgreSQL count p50 / p99 ms | index by county p50 / p99 ms | SQLite by county p50 / p99 ms | PostgreSQL by county p50 / p99 ms | speed-up vs best SQL (count p50) |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let f = |(a, b): (f64, f64)| format!("{a:.3} / {b:.3}");
    let g = |(a, b): (f64, f64)| format!("{a:.1} / {b:.1}");
    let mut worst_speedup = f64::INFINITY;
    let mut worst_p50: f64 = 0.0;
    for (i, r) in rows.iter().enumerate() {
        let best_sql = r.sqlite.0.0.min(r.postgres.0.0);
        let speedup = best_sql / r.index.0.0.max(0.000_5);
        worst_speedup = worst_speedup.min(speedup);
        worst_p50 = worst_p50.max(r.index.0.0).max(r.index.1.0);
        println!(
            "| {} | {} | `{}` | {} | {} | {} | {} | {} | {} | {} | {:.0}× |",
            i + 1,
            r.clauses,
            r.expr,
            r.matches,
            f(r.index.0),
            g(r.sqlite.0),
            g(r.postgres.0),
            f(r.index.1),
            g(r.sqlite.1),
            g(r.postgres.1),
            speedup
        );
    }
    println!();
    println!(
        "worst index p50 (count or breakdown): {worst_p50:.3} ms (target < 10 ms); smallest speed-up over the best SQL store: {worst_speedup:.0}× (target ≥ 100×)"
    );
    // The same index built from the PostgreSQL store: its time, and the same answers.
    let (voters, expressions) = (built.index.len(), expressions(&built)?);
    drop(built);
    let from_pg = build_index(pg).await?;
    println!(
        "index build from the PostgreSQL store {:.2} s",
        from_pg.seconds
    );
    if from_pg.index.len() != voters {
        bail!(
            "the index from PostgreSQL holds {} voters, from SQLite {voters}",
            from_pg.index.len()
        );
    }
    for (expr, r) in expressions.iter().zip(&rows) {
        let count = from_pg.index.count(&votebase_index::parse(expr)?)?;
        if count != r.matches {
            bail!(
                "`{expr}`: {count} from the PostgreSQL-built index, {} from SQLite's",
                r.matches
            );
        }
    }
    println!(
        "check: the index built from PostgreSQL holds the same {voters} voters and counts every expression the same"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_domain::VoterRecord;
    use votebase_index::IndexBuilder;

    #[test]
    fn resolved_queries_become_sql() {
        let reference = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let mut b = IndexBuilder::new(reference);
        b.add_voter(&VoterRecord {
            state_voter_id: "A".into(),
            county_name: "WAKE".into(),
            ..Default::default()
        })
        .unwrap();
        for election in ["2020-11-03", "2022-11-08"] {
            b.add_history(&votebase_domain::VoteHistoryRecord {
                state_voter_id: "A".into(),
                election_date: election.parse().unwrap(),
                election_desc: String::new(),
                voting_method: String::new(),
                voted_party: String::new(),
                county_name: "WAKE".into(),
                precinct: String::new(),
            });
        }
        let index = b.build();
        let q = index
            .query("county:WAKE,DURHAM !party:REP age:18..29 ballot:returned")
            .unwrap();
        let sql = where_sql(&q, NaiveDate::from_ymd_opt(2026, 11, 3), Dialect::Sqlite).unwrap();
        assert!(
            sql.starts_with("v.present AND (v.county_name = 'WAKE' OR v.county_name = 'DURHAM')"),
            "{sql}"
        );
        assert!(sql.contains("NOT (v.party = 'rep')"), "{sql}");
        assert!(sql.contains("v.birth_year BETWEEN 1997 AND 2008"), "{sql}");
        assert!(
            sql.contains(&format!("= {}", BallotCategory::Returned.rank())),
            "{sql}"
        );
        assert!(where_sql(&index.query("tag:x").unwrap(), None, Dialect::Sqlite).is_err());
        assert!(
            !sql.contains("= v.state_voter_id"),
            "no correlated subquery: {sql}"
        );
        // PostgreSQL: sets of ids as (anti-)joins; alternatives merged into one set.
        let q = index
            .query("voted:2020-11-03 !voted:2022-11-08 !ballot:returned,accepted votes:..4")
            .unwrap();
        let sql = where_sql(&q, NaiveDate::from_ymd_opt(2026, 11, 3), Dialect::Postgres).unwrap();
        assert!(!sql.contains(" IN ("), "{sql}");
        assert_eq!(sql.matches("NOT EXISTS").count(), 3, "{sql}");
        assert_eq!(sql.matches("EXISTS").count(), 4, "{sql}");
        assert_eq!(sql.matches(" UNION ").count(), 1, "{sql}");
        let sqlite = where_sql(&q, NaiveDate::from_ymd_opt(2026, 11, 3), Dialect::Sqlite).unwrap();
        assert_eq!(sqlite.matches("NOT IN (").count(), 3, "{sqlite}");
    }

    #[test]
    fn per_row_subplans_are_told_from_hashed_ones() {
        assert!(!per_row_subplan(
            "  Filter: (present AND (NOT (hashed SubPlan 1)))"
        ));
        assert!(!per_row_subplan("        SubPlan 1"));
        assert!(per_row_subplan("  Filter: ((SubPlan 1) >= 3)"));
        assert!(per_row_subplan(
            "  Filter: ((hashed SubPlan 1) OR (SubPlan 2))"
        ));
    }
}
