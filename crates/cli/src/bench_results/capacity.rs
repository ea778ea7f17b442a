//! The capacity figures printed beside the load run: submissions per second through
//! `Store::submit_result` alone (no HTTP) and the raw rate of a bare one-row `INSERT`
//! per transaction into the same database.

use super::*;

/// Submissions per second through `Store::submit_result` alone, 8 at a time, into a second
/// election of the same size (each call one committed transaction).
pub(super) async fn store_rate(
    store: &dyn Store,
    election: &Election,
    seed: u64,
) -> anyhow::Result<f64> {
    let mut e = election.clone();
    e.slug = "bench-store".into();
    store.put_election(&e).await?;
    let n = e.precincts.len();
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let worker = || async {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed) as usize;
            if i >= n {
                return anyhow::Ok(());
            }
            let mut request = submission(seed, i, &e.precincts, &format!("store-{i}"));
            request.election = e.slug.clone();
            store
                .submit_result(
                    votebase_app::results::rules(),
                    NewSubmission {
                        request,
                        channel: votebase_domain::results::Channel::Chair,
                        actor: "bench".into(),
                        received_at: chrono::Utc::now(),
                    },
                )
                .await?;
        }
    };
    let workers: Vec<_> = (0..8).map(|_| worker()).collect();
    for r in futures_join_all(workers).await {
        r?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Awaits every future (they run concurrently on this task).
pub(super) async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// Rows per second of a bare one-row `INSERT` (a JSON payload of the same size as a
/// submission), one transaction each: on PostgreSQL 8 at a time into a scratch table of
/// the bench's schema; on SQLite (one writer at a time anyway) in a loop, into a scratch
/// database with the store's journal settings (WAL, `synchronous = NORMAL`). The raw
/// ceiling for single-row commits.
pub(super) async fn raw_insert_rate(
    global: &Global,
    dir: &std::path::Path,
    org: &OrgName,
) -> anyhow::Result<f64> {
    let payload = serde_json::to_string(&submission(
        1,
        0,
        &bench_election(1).precincts,
        "raw-0000000000000000",
    ))?;
    let n = 2000usize;
    match &global.database {
        Some(url) => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(8)
                .connect(url)
                .await?;
            let table = format!("vb_{}.bench_raw", org.as_str());
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE TABLE {table} (seq BIGSERIAL PRIMARY KEY, client_id TEXT UNIQUE, body TEXT)"
            )))
            .execute(&pool)
            .await?;
            let started = Instant::now();
            let next = AtomicU64::new(0);
            let worker = || async {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i as usize >= n {
                        return anyhow::Ok(());
                    }
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO {table} (client_id, body) VALUES ($1, $2)"
                    )))
                    .bind(format!("raw-{i}"))
                    .bind(&payload)
                    .execute(&pool)
                    .await?;
                }
            };
            let workers: Vec<_> = (0..8).map(|_| worker()).collect();
            for r in futures_join_all(workers).await {
                r?;
            }
            let rate = n as f64 / started.elapsed().as_secs_f64();
            pool.close().await;
            Ok(rate)
        }
        None => {
            let path = dir.join("raw-insert.sqlite3");
            let _ = std::fs::remove_file(&path);
            let payload = payload.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
                let c = rusqlite::Connection::open(&path)?;
                c.execute_batch(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                     CREATE TABLE raw (seq INTEGER PRIMARY KEY, client_id TEXT UNIQUE, body TEXT);",
                )?;
                let started = Instant::now();
                for i in 0..n {
                    c.execute(
                        "INSERT INTO raw (client_id, body) VALUES (?1, ?2)",
                        rusqlite::params![format!("raw-{i}"), payload],
                    )?;
                }
                Ok(n as f64 / started.elapsed().as_secs_f64())
            })
            .await?
        }
    }
}
