//! `votebase bench results`: election night under load, with failures injected, ending
//! with the checks that matter: zero lost, zero duplicated, every chair holding a receipt.
//!
//! In one run it opens a fresh store (SQLite under `--dir`, or a fresh PostgreSQL schema
//! with `--database`), creates an admin and 20 hotline operators with API tokens, starts
//! the real server in-process on a loopback port, sets up a caucus of 1,765 precincts
//! through the API and issues the chairs' codes. Between the clients and the server sits a
//! small TCP proxy that, per connection, forwards the request and the response (most), drops
//! the connection before the request reaches the server (`--drop-before`), or forwards the
//! request, waits for the server's whole response (so the server has committed) and then
//! kills the connection before the response reaches the client (`--drop-after`). Each chair
//! starts at a random moment of the window (`--window`, default 60 s; 600 for Iowa's ten
//! minutes), signs in with the code, and submits its worksheet with one client id, retrying
//! up to `--retries` times on a dropped connection. Chairs connect from their own loopback
//! address (127.1.x.y), as phones would, so the per-address sign-in limit applies per
//! chair. Hotline operators key a share of the precincts (`--hotline-share`) a few seconds
//! after the chair, through the same proxy.
//!
//! At the end it reads the append-only log from the store and checks: every precinct has
//! exactly one chair entry and each keyed precinct exactly one hotline entry (zero lost,
//! zero duplicated, whatever the retries), every chair holds a receipt equal to the log's,
//! every precinct is published, and the projection rebuilt from the log equals the live one.
//! It prints submissions/s (each a committed transaction) beside the store's own
//! `submit_result` rate without HTTP and the raw rate of a bare one-row `INSERT` per
//! transaction into the same database.

mod capacity;
mod net;

use crate::options::Global;
use anyhow::{Context, bail};
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use votebase_demo::results::{CAUCUS_CANDIDATES, caucus_result, delegates_for};
use votebase_domain::results::{
    Contest, ContestKind, Election, NewSubmission, Precinct, ResultEntry, SubmissionRequest,
};
use votebase_domain::{OrgName, Role, User};
use votebase_store::Store;

use capacity::{raw_insert_rate, store_rate};
pub(crate) use net::{Http, start_server};
use net::{ProxyCounts, run_proxy};

/// Arguments of `votebase bench results`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  votebase bench results\n  votebase bench results --window 600\n  votebase bench results --database postgres://postgres@127.0.0.1:5432/test"
)]
pub struct BenchResultsArgs {
    /// Precincts reporting.
    #[arg(long, default_value_t = 1765)]
    pub precincts: usize,
    /// Seconds within which every chair starts reporting (Iowa's goal: 600).
    #[arg(long, default_value_t = 60)]
    pub window: u64,
    /// Hotline operators double-entering.
    #[arg(long, default_value_t = 20)]
    pub operators: usize,
    /// Share of precincts the hotline also keys.
    #[arg(long, default_value_t = 0.25)]
    pub hotline_share: f64,
    /// Probability that the proxy drops a connection before the request reaches the server.
    #[arg(long, default_value_t = 0.05)]
    pub drop_before: f64,
    /// Probability that the proxy kills a connection after the server answered (committed),
    /// before the answer reaches the client.
    #[arg(long, default_value_t = 0.10)]
    pub drop_after: f64,
    /// Retries per request after the first attempt.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Random seed (results and failures).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Work directory for the SQLite run (default: target/bench-results).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

const ELECTION: &str = "bench-caucus";
const CONTEST: &str = "president";

/// SplitMix64: the bench's own reproducible randomness.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unit(seed: u64, key: u64) -> f64 {
    (mix(seed ^ mix(key)) >> 11) as f64 / (1u64 << 53) as f64
}

/// The loopback address a chair (or operator) connects from.
fn client_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8))
}

/// The bench's synthetic caucus: `n` precincts over 99 counties.
fn bench_election(n: usize) -> Election {
    Election {
        slug: ELECTION.into(),
        name: "Load benchmark caucus".into(),
        date: chrono::NaiveDate::from_ymd_opt(2020, 2, 3).expect("valid date"),
        double_entry: false,
        contests: vec![Contest {
            key: CONTEST.into(),
            office: "President".into(),
            district: String::new(),
            party: "DEM".into(),
            kind: ContestKind::Caucus,
            candidates: CAUCUS_CANDIDATES.iter().map(|c| c.to_string()).collect(),
        }],
        precincts: (0..n)
            .map(|i| {
                let voters = voters_of(i);
                Precinct {
                    id: format!("P{:04}", i + 1),
                    county: format!("County {:02}", i % 99 + 1),
                    name: format!("Precinct {}", i + 1),
                    delegates: delegates_for(voters),
                    sde: f64::from(delegates_for(voters)) * 0.125,
                    history_turnout: None,
                }
            })
            .collect(),
    }
}

fn voters_of(i: usize) -> u32 {
    300 + (mix(i as u64) % 4000) as u32
}

fn submission(seed: u64, i: usize, precincts: &[Precinct], client_id: &str) -> SubmissionRequest {
    let p = &precincts[i];
    SubmissionRequest {
        client_id: client_id.into(),
        election: ELECTION.into(),
        precinct: p.id.clone(),
        contest: CONTEST.into(),
        reason: None,
        result: ResultEntry::Caucus(caucus_result(seed, i as u64, voters_of(i), p.delegates)),
    }
}

/// What one reporter (chair or operator entry) ended with.
#[derive(Debug, Clone)]
struct Outcome {
    precinct: String,
    client_id: String,
    receipt_id: Option<String>,
    attempts: u32,
    error: Option<String>,
    latency: Duration,
}

/// The run's findings.
#[derive(Debug, serde::Serialize)]
struct Report {
    backend: String,
    precincts: usize,
    window_s: u64,
    operators: usize,
    hotline_entries: usize,
    elapsed_s: f64,
    submissions: usize,
    submissions_per_s: f64,
    attempts: u64,
    proxy_forwarded: u64,
    proxy_dropped_before: u64,
    proxy_dropped_after_commit: u64,
    replayed_receipts: u64,
    p50_ms: f64,
    p99_ms: f64,
    chairs_with_receipt: usize,
    lost: usize,
    duplicated: usize,
    gave_up: usize,
    receipt_mismatches: usize,
    published: usize,
    projection_rebuilt_equal: bool,
    store_submit_per_s: f64,
    raw_insert_per_s: f64,
    ok: bool,
    problems: Vec<String>,
}

/// Runs `votebase bench results`.
pub async fn bench(global: &Global, args: BenchResultsArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/bench-results"));
    // A fresh organization per run: its own SQLite file (or PostgreSQL schema), removed
    // at the end; nothing else in the directory is touched.
    let org = OrgName::parse(&format!("bench_results_{}", std::process::id()))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (store, backend): (Arc<dyn Store>, String) = match &global.database {
        Some(url) => (
            Arc::new(votebase_store_postgres::PgStore::connect(url, &org).await?),
            "postgres".into(),
        ),
        None => (
            Arc::new(votebase_store_sqlite::SqliteStore::open(&dir, &org)?),
            "sqlite".into(),
        ),
    };
    let result = run(store.clone(), &backend, &dir, &org, global, &args).await;
    drop(store);
    match &global.database {
        Some(url) => {
            let _ = votebase_store_postgres::drop_org(url, &org).await;
        }
        None => {
            for suffix in ["sqlite3", "sqlite3-wal", "sqlite3-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("{org}.{suffix}")));
            }
            let _ = std::fs::remove_file(dir.join("raw-insert.sqlite3"));
        }
    }
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if !report.ok {
        bail!(
            "the load run failed its checks: {}",
            report.problems.join("; ")
        );
    }
    Ok(())
}

async fn make_user(store: &dyn Store, name: &str, role: Role) -> anyhow::Result<String> {
    let password = votebase_app::auth::new_secret();
    let hash =
        votebase_app::auth::hash_password(&password[..16]).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .put_user(
            &User {
                name: name.into(),
                role,
            },
            &hash,
        )
        .await?;
    let token = votebase_app::auth::new_secret();
    store
        .add_token(name, &votebase_app::auth::sha256_hex(&token), "bench")
        .await?;
    Ok(token)
}

async fn run(
    store: Arc<dyn Store>,
    backend: &str,
    dir: &std::path::Path,
    org: &OrgName,
    global: &Global,
    args: &BenchResultsArgs,
) -> anyhow::Result<Report> {
    let admin = make_user(store.as_ref(), "bench-admin", Role::Admin).await?;
    let mut operators = Vec::new();
    for i in 0..args.operators {
        operators.push(
            make_user(
                store.as_ref(),
                &format!("hotline-{i:02}"),
                Role::HotlineOperator,
            )
            .await?,
        );
    }
    let feeds = votebase_vip::store::FeedDir::new(dir, org);
    let (server_addr, server) = start_server(store.clone(), feeds, None).await?;
    let counts = Arc::new(ProxyCounts::default());
    let proxy_listener = TcpListener::bind("127.0.0.1:0").await?;
    let proxy_addr = proxy_listener.local_addr()?;
    let proxy = tokio::spawn(run_proxy(
        proxy_listener,
        server_addr,
        args.seed,
        args.drop_before,
        args.drop_after,
        counts.clone(),
    ));
    let direct = Http {
        target: server_addr,
        timeout: Duration::from_secs(60),
    };
    let election = bench_election(args.precincts);
    let setup = serde_json::to_value(&election)?;
    let r = direct
        .send(
            None,
            "POST",
            "/api/v1/results/elections",
            Some(&admin),
            Some(&setup),
        )
        .await?;
    if r.status != 201 {
        bail!("election setup refused: {} {}", r.status, r.body);
    }
    let r = direct
        .send(
            None,
            "POST",
            &format!("/api/v1/results/{ELECTION}/codes"),
            Some(&admin),
            Some(&json!({})),
        )
        .await?;
    if r.status != 200 {
        bail!("issuing codes failed: {} {}", r.status, r.body);
    }
    let codes: HashMap<String, String> = r
        .body
        .as_array()
        .context("codes answer is not a list")?
        .iter()
        .filter_map(|c| Some((c["precinct"].as_str()?.into(), c["code"].as_str()?.into())))
        .collect();
    eprintln!(
        "{} precincts set up and codes issued; {} chairs report within {} s through a proxy dropping {:.0}% before and {:.0}% after commit...",
        args.precincts,
        args.precincts,
        args.window,
        args.drop_before * 100.0,
        args.drop_after * 100.0
    );

    let http = Arc::new(Http {
        target: proxy_addr,
        timeout: Duration::from_secs(30),
    });
    let precincts = Arc::new(election.precincts.clone());
    let window = Duration::from_secs_f64(args.window as f64);
    let attempts = Arc::new(AtomicU64::new(0));
    let replayed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut chairs = tokio::task::JoinSet::new();
    for i in 0..args.precincts {
        let http = http.clone();
        let precincts = precincts.clone();
        let code = codes.get(&precincts[i].id).cloned().unwrap_or_default();
        let start_at = window.mul_f64(unit(args.seed, i as u64));
        let (seed, retries) = (args.seed, args.retries);
        let (attempts, replayed) = (attempts.clone(), replayed.clone());
        chairs.spawn(async move {
            tokio::time::sleep_until(tokio::time::Instant::from_std(started + start_at)).await;
            let from = Some(client_ip(i));
            let client_id = format!("chair-{}-{:016x}", precincts[i].id, mix(seed ^ i as u64));
            let mut out = Outcome {
                precinct: precincts[i].id.clone(),
                client_id: client_id.clone(),
                receipt_id: None,
                attempts: 0,
                error: None,
                latency: Duration::ZERO,
            };
            let (signed, n) = http
                .send_retrying(
                    from,
                    "POST",
                    &format!("/api/v1/results/{ELECTION}/sign-in"),
                    None,
                    Some(&json!({ "code": code })),
                    retries,
                )
                .await;
            attempts.fetch_add(u64::from(n), Ordering::Relaxed);
            let token = match signed {
                Ok(r) if r.status == 200 => {
                    r.body["token"].as_str().unwrap_or_default().to_string()
                }
                Ok(r) => {
                    out.error = Some(format!("sign-in: {} {}", r.status, r.body));
                    return out;
                }
                Err(e) => {
                    out.error = Some(format!("sign-in: {e}"));
                    return out;
                }
            };
            let body = match serde_json::to_value(submission(seed, i, &precincts, &client_id)) {
                Ok(b) => b,
                Err(e) => {
                    out.error = Some(e.to_string());
                    return out;
                }
            };
            let t0 = Instant::now();
            let (reply, n) = http
                .send_retrying(
                    from,
                    "POST",
                    "/api/v1/results/submissions",
                    Some(&token),
                    Some(&body),
                    retries,
                )
                .await;
            out.latency = t0.elapsed();
            out.attempts = n;
            attempts.fetch_add(u64::from(n), Ordering::Relaxed);
            match reply {
                Ok(r) if r.status == 200 || r.status == 201 => {
                    if r.status == 200 {
                        replayed.fetch_add(1, Ordering::Relaxed);
                    }
                    out.receipt_id = r.body["receipt_id"].as_str().map(str::to_string);
                }
                Ok(r) => out.error = Some(format!("submit: {} {}", r.status, r.body)),
                Err(e) => out.error = Some(format!("submit: {e}")),
            }
            out
        });
    }
    // Hotline operators: each works through its share of precincts, a few seconds after
    // the chair's start (the phone call), one at a time.
    let keyed: Vec<usize> = (0..args.precincts)
        .filter(|&i| unit(args.seed ^ 0x484f_544c, i as u64) < args.hotline_share)
        .collect();
    let mut queues: Vec<Vec<usize>> = vec![Vec::new(); args.operators.max(1)];
    let lines = queues.len();
    for (n, &i) in keyed.iter().enumerate() {
        queues[n % lines].push(i);
    }
    let mut hotline = tokio::task::JoinSet::new();
    for (o, mut queue) in queues.into_iter().enumerate() {
        let Some(token) = operators.get(o).cloned() else {
            break;
        };
        queue.sort_by(|&a, &b| unit(args.seed, a as u64).total_cmp(&unit(args.seed, b as u64)));
        let http = http.clone();
        let precincts = precincts.clone();
        let (seed, retries) = (args.seed, args.retries);
        let (attempts, replayed) = (attempts.clone(), replayed.clone());
        let from = Some(client_ip(args.precincts + o));
        hotline.spawn(async move {
            let mut outs = Vec::new();
            for i in queue {
                let call = window.mul_f64(unit(seed, i as u64)) + Duration::from_millis(2000);
                tokio::time::sleep_until(tokio::time::Instant::from_std(started + call)).await;
                let client_id = format!(
                    "hotline-{}-{:016x}",
                    precincts[i].id,
                    mix(seed ^ !(i as u64))
                );
                let mut out = Outcome {
                    precinct: precincts[i].id.clone(),
                    client_id: client_id.clone(),
                    receipt_id: None,
                    attempts: 0,
                    error: None,
                    latency: Duration::ZERO,
                };
                let body = serde_json::to_value(submission(seed, i, &precincts, &client_id))
                    .unwrap_or(Value::Null);
                let t0 = Instant::now();
                let (reply, n) = http
                    .send_retrying(
                        from,
                        "POST",
                        "/api/v1/results/submissions?channel=hotline",
                        Some(&token),
                        Some(&body),
                        retries,
                    )
                    .await;
                out.latency = t0.elapsed();
                out.attempts = n;
                attempts.fetch_add(u64::from(n), Ordering::Relaxed);
                match reply {
                    Ok(r) if r.status == 200 || r.status == 201 => {
                        if r.status == 200 {
                            replayed.fetch_add(1, Ordering::Relaxed);
                        }
                        out.receipt_id = r.body["receipt_id"].as_str().map(str::to_string);
                    }
                    Ok(r) => out.error = Some(format!("hotline: {} {}", r.status, r.body)),
                    Err(e) => out.error = Some(format!("hotline: {e}")),
                }
                outs.push(out);
            }
            outs
        });
    }
    let mut chair_outcomes = Vec::new();
    while let Some(o) = chairs.join_next().await {
        chair_outcomes.push(o?);
    }
    let mut hotline_outcomes = Vec::new();
    while let Some(o) = hotline.join_next().await {
        hotline_outcomes.extend(o?);
    }
    let elapsed = started.elapsed();
    proxy.abort();
    // A client that timed out may have left its request running on the server: let every
    // request the server received finish before reading the log.
    while counts.in_flight.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The checks, from the store's append-only log.
    let mut problems = Vec::new();
    let log = store.result_log(ELECTION, None).await?;
    let mut by_client: HashMap<&str, Vec<&votebase_domain::results::LogEntry>> = HashMap::new();
    let mut per_channel: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    for e in &log {
        by_client
            .entry(e.submission.request.client_id.as_str())
            .or_default()
            .push(e);
        *per_channel
            .entry((
                e.submission.request.precinct.clone(),
                e.submission.channel.code(),
            ))
            .or_default() += 1;
    }
    let mut lost = 0;
    let mut receipt_mismatches = 0;
    let mut chairs_with_receipt = 0;
    for o in chair_outcomes.iter().chain(&hotline_outcomes) {
        if let Some(e) = &o.error {
            problems.push(format!("{} ({}): {e}", o.precinct, o.client_id));
        }
        match by_client.get(o.client_id.as_str()) {
            None => {
                // A receipt the log does not back is a lost result; an entry that never
                // got a receipt is the client giving up (counted below).
                if o.receipt_id.is_some() {
                    problems.push(format!("{}: receipt held but no log entry", o.client_id));
                    lost += 1;
                }
            }
            Some(entries) => {
                if let Some(r) = &o.receipt_id
                    && entries[0].receipt.receipt_id != *r
                {
                    receipt_mismatches += 1;
                }
            }
        }
    }
    for o in &chair_outcomes {
        if o.receipt_id.is_some() {
            chairs_with_receipt += 1;
        }
    }
    let gave_up = chair_outcomes
        .iter()
        .chain(&hotline_outcomes)
        .filter(|o| o.receipt_id.is_none())
        .count();
    // A committed entry must show in the projection: its precinct has a result row.
    let projected: std::collections::HashSet<String> = store
        .precinct_results(ELECTION)
        .await?
        .into_iter()
        .map(|r| r.precinct)
        .collect();
    lost += per_channel
        .keys()
        .filter(|(p, _)| !projected.contains(p))
        .count();
    let duplicated: usize = by_client.values().map(|v| v.len() - 1).sum::<usize>()
        + per_channel
            .values()
            .filter(|&&n| n > 1)
            .map(|n| n - 1)
            .sum::<usize>();
    let chair_precincts = per_channel.keys().filter(|(_, c)| *c == "chair").count();
    if chair_precincts != args.precincts {
        problems.push(format!(
            "{} of {} precincts have a chair entry",
            chair_precincts, args.precincts
        ));
    }
    let live = store.precinct_results(ELECTION).await?;
    let published = live
        .iter()
        .filter(|r| r.status == votebase_domain::results::PrecinctStatus::Published)
        .count();
    store
        .rebuild_results(votebase_app::results::rules(), ELECTION)
        .await?;
    let rebuilt = store.precinct_results(ELECTION).await?;
    let projection_rebuilt_equal = serde_json::to_value(&live)? == serde_json::to_value(&rebuilt)?;

    let mut latencies: Vec<Duration> = chair_outcomes
        .iter()
        .chain(&hotline_outcomes)
        .filter(|o| o.receipt_id.is_some())
        .map(|o| o.latency)
        .collect();
    latencies.sort();
    let pct = |q: f64| -> f64 {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    let submissions = log.len();

    // Beside it: the store's own submit rate (no HTTP, no failures) and a bare INSERT.
    eprintln!("measuring the store's submit rate and the raw insert rate...");
    let store_submit_per_s = store_rate(store.as_ref(), &election, args.seed).await?;
    let raw_insert_per_s = raw_insert_rate(global, dir, org).await?;
    server.abort();

    if chairs_with_receipt != args.precincts {
        problems.push(format!(
            "{} of {} chairs hold a receipt",
            chairs_with_receipt, args.precincts
        ));
    }
    if published != args.precincts {
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &live {
            *by_status.entry(r.status.code()).or_default() += 1;
        }
        problems.push(format!(
            "{published} of {} precincts published (projection rows by status: {by_status:?})",
            args.precincts
        ));
        for r in live
            .iter()
            .filter(|r| r.status != votebase_domain::results::PrecinctStatus::Published)
            .take(10)
        {
            problems.push(format!(
                "{} not published: {} ({})",
                r.precinct,
                r.status.code(),
                r.status_message
            ));
        }
    }
    if !projection_rebuilt_equal {
        problems.push("the projection rebuilt from the log differs from the live one".into());
    }
    let ok = lost == 0 && duplicated == 0 && receipt_mismatches == 0 && problems.is_empty();
    Ok(Report {
        backend: backend.into(),
        precincts: args.precincts,
        window_s: args.window,
        operators: args.operators,
        hotline_entries: hotline_outcomes.len(),
        elapsed_s: elapsed.as_secs_f64(),
        submissions,
        submissions_per_s: submissions as f64 / elapsed.as_secs_f64(),
        attempts: attempts.load(Ordering::Relaxed),
        proxy_forwarded: counts.forwarded.load(Ordering::Relaxed),
        proxy_dropped_before: counts.dropped_before.load(Ordering::Relaxed),
        proxy_dropped_after_commit: counts.dropped_after_commit.load(Ordering::Relaxed),
        replayed_receipts: replayed.load(Ordering::Relaxed),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        chairs_with_receipt,
        lost,
        duplicated,
        gave_up,
        receipt_mismatches,
        published,
        projection_rebuilt_equal,
        store_submit_per_s,
        raw_insert_per_s,
        ok,
        problems,
    })
}

fn print_report(r: &Report) {
    println!(
        "bench results ({}): {} precincts within {} s, {} hotline operators keying {} precincts",
        r.backend, r.precincts, r.window_s, r.operators, r.hotline_entries
    );
    println!(
        "  {} submissions committed in {:.1} s: {:.1} submissions/s (each a committed transaction); {} HTTP attempts",
        r.submissions, r.elapsed_s, r.submissions_per_s, r.attempts
    );
    println!(
        "  injected failures: {} connections dropped before the server, {} killed after the server committed; {} retries answered with the stored receipt",
        r.proxy_dropped_before, r.proxy_dropped_after_commit, r.replayed_receipts
    );
    println!(
        "  submit latency including retries: p50 {:.0} ms, p99 {:.0} ms",
        r.p50_ms, r.p99_ms
    );
    println!(
        "  capacity beside it: Store::submit_result without HTTP {:.0}/s; bare one-row INSERT per transaction {:.0}/s",
        r.store_submit_per_s, r.raw_insert_per_s
    );
    println!(
        "  checks: lost {}, duplicated {}, gave up after all retries {}, receipts not matching the log {}, chairs holding a receipt {}/{}, published {}/{}, projection rebuilt from the log equal: {}",
        r.lost,
        r.duplicated,
        r.gave_up,
        r.receipt_mismatches,
        r.chairs_with_receipt,
        r.precincts,
        r.published,
        r.precincts,
        if r.projection_rebuilt_equal {
            "yes"
        } else {
            "NO"
        }
    );
    for p in r.problems.iter().take(20) {
        println!("  PROBLEM {p}");
    }
    println!("  {}", if r.ok { "OK" } else { "FAILED" });
}
