//! `votebase bench incidents`: sustained intake over loopback HTTP with live-queue clients
//! connected, beside the store's own insert rate.

use super::*;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use votebase_domain::User;
use votebase_domain::incidents::{IncidentLocation, NewIncident, Reporter};

/// Reads one HTTP/1.1 response with a Content-Length body: (status, body).
async fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, Vec<u8>)> {
    let mut line = String::new();
    r.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).await?;
    Ok((status, body))
}

/// The first `"id":N` in a JSON text.
fn first_id(text: &[u8]) -> Option<i64> {
    let at = text.windows(5).position(|w| w == b"\"id\":")? + 5;
    let digits: Vec<u8> = text[at..]
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_digit())
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Every `"id":N` in a JSON text (the ids of a queue event's rows).
fn all_ids(mut text: &[u8]) -> Vec<i64> {
    let mut out = Vec::new();
    while let Some(at) = text.windows(5).position(|w| w == b"\"id\":") {
        text = &text[at + 5..];
        if let Some(id) = first_digits(text) {
            out.push(id);
        }
    }
    out
}

fn first_digits(text: &[u8]) -> Option<i64> {
    let n = text.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&text[..n]).ok()?.parse().ok()
}

/// One live-queue client: connects, signals readiness, then records each incident id
/// with the instant its event arrived.
async fn sse_client(
    port: u16,
    token: String,
    ready: tokio::sync::mpsc::Sender<()>,
    seen: Arc<std::sync::Mutex<Vec<(i64, Instant)>>>,
    received: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    stream
        .write_all(
            format!(
                "GET /incidents/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await?;
    let mut r = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    r.read_line(&mut line).await?;
    if !line.contains(" 200 ") {
        return Err(std::io::Error::other(format!("live queue answered {line}")));
    }
    loop {
        line.clear();
        r.read_line(&mut line).await?;
        if line.trim_end().is_empty() {
            break;
        }
    }
    let _ = ready.send(()).await;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if let Some(data) = line.strip_prefix("data: ") {
            let now = Instant::now();
            let ids = all_ids(data.as_bytes());
            received.fetch_add(ids.len() as u64, Ordering::Relaxed);
            seen.lock()
                .expect("lock")
                .extend(ids.into_iter().map(|id| (id, now)));
        }
    }
}

fn bench_request(i: u64) -> String {
    const CATS: [&str; 5] = [
        "long_lines",
        "registration_problem",
        "id_demanded",
        "equipment_failure",
        "electioneering",
    ];
    const COUNTIES: [&str; 4] = ["WAKE", "DURHAM", "ALAMANCE", "ORANGE"];
    serde_json::json!({
        "category": CATS[(i % 5) as usize],
        "county": COUNTIES[(i % 4) as usize],
        "polling_place": format!("BENCH SCHOOL {}", i % 2000),
        "description": format!("bench report {i}: line out the door"),
        "reporter_name": "BENCH CALLER",
        "reporter_phone": "9195550100",
        "reporter_relationship": "voter"
    })
    .to_string()
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `votebase bench incidents`.
pub async fn bench(global: &Global, args: BenchIncidentsArgs) -> anyhow::Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/bench-incidents"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cleaning {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let tag = std::process::id();
    let served = Global {
        data: dir.join("data"),
        database: global.database.clone(),
        org: format!("bench_incidents_{tag}"),
    };
    let raw = Global {
        org: format!("bench_incidents_raw_{tag}"),
        ..served.clone()
    };
    let store = stores::open(&served).await?;
    let backend = store.backend();
    store
        .put_user(
            &User {
                name: "bench".into(),
                role: Role::Coordinator,
            },
            "!",
        )
        .await?;
    let token = votebase_app::auth::new_secret();
    store
        .add_token("bench", &votebase_app::auth::sha256_hex(&token), "bench")
        .await?;
    drop(store);

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("--data")
        .arg(&served.data)
        .args(["--org", &served.org]);
    if let Some(url) = &served.database {
        cmd.args(["--database", url]);
    }
    let child = cmd
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("VOTEBASE_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting votebase serve")?;
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Kill(child);
    let mut up = false;
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !up {
        bail!("votebase serve did not start on port {port}");
    }

    // The live-queue clients.
    eprintln!("connecting {} live-queue clients...", args.clients);
    let received = Arc::new(AtomicU64::new(0));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(args.clients.max(1));
    let mut seen_all = Vec::new();
    let mut client_tasks = Vec::new();
    for _ in 0..args.clients {
        let seen = Arc::new(std::sync::Mutex::new(Vec::with_capacity(
            (args.rate * args.seconds) as usize + 16,
        )));
        seen_all.push(seen.clone());
        client_tasks.push(tokio::spawn(sse_client(
            port,
            token.clone(),
            ready_tx.clone(),
            seen,
            received.clone(),
        )));
    }
    drop(ready_tx);
    for _ in 0..args.clients {
        tokio::time::timeout(std::time::Duration::from_secs(30), ready_rx.recv())
            .await
            .context("live-queue clients did not connect within 30 s")?
            .context("a live-queue client failed to connect")?;
    }

    // Sustained intake, paced at the target rate over keep-alive connections.
    eprintln!(
        "posting {} incidents/s for {} s over {} connections...",
        args.rate, args.seconds, args.connections
    );
    let total = args.rate * args.seconds;
    let workers = args.connections.max(1) as u64;
    let started = Instant::now();
    let mut senders = Vec::new();
    for w in 0..workers {
        let token = token.clone();
        let rate = args.rate.max(1);
        senders.push(tokio::spawn(async move {
            let mut sent: Vec<(i64, Instant)> = Vec::new();
            let mut errors = 0u64;
            let stream = TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut r = BufReader::new(stream);
            let mut k = w;
            while k < total {
                let due = started + std::time::Duration::from_secs_f64(k as f64 / rate as f64);
                tokio::time::sleep_until(due.into()).await;
                let body = bench_request(k);
                let req = format!(
                    "POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let t0 = Instant::now();
                r.get_mut().write_all(req.as_bytes()).await?;
                let (status, reply) = read_response(&mut r).await?;
                match (status, first_id(&reply)) {
                    (201, Some(id)) => sent.push((id, t0)),
                    _ => errors += 1,
                }
                k += workers;
            }
            Ok::<_, std::io::Error>((sent, errors))
        }));
    }
    let mut sent: HashMap<i64, Instant> = HashMap::new();
    let mut errors = 0;
    for s in senders {
        let (part, e) = s.await??;
        errors += e;
        sent.extend(part);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = sent.len();
    let expected = accepted as u64 * args.clients as u64;
    // Let the queue drain: until the clients have at least one event per incident and
    // nothing more arrived for half a second (at most ten seconds).
    let wait_from = Instant::now();
    let mut last = (received.load(Ordering::Relaxed), Instant::now());
    while wait_from.elapsed() < std::time::Duration::from_secs(10) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let now = received.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        } else if now >= expected && last.1.elapsed() >= std::time::Duration::from_millis(500) {
            break;
        }
    }
    for t in &client_tasks {
        t.abort();
    }
    // Delay until each incident was on every client: its first arrival on each client
    // (an incident is sent again when it changes, e.g. when it joins a cluster).
    let mut last_arrival: HashMap<i64, (Instant, usize)> = HashMap::new();
    let mut delivered = 0u64;
    for seen in &seen_all {
        let mut first: HashMap<i64, Instant> = HashMap::new();
        for (id, at) in seen.lock().expect("lock").iter() {
            first.entry(*id).or_insert(*at);
        }
        for (id, at) in first {
            if sent.contains_key(&id) {
                delivered += 1;
            }
            let e = last_arrival.entry(id).or_insert((at, 0));
            e.0 = e.0.max(at);
            e.1 += 1;
        }
    }
    let mut delays: Vec<f64> = Vec::new();
    let mut incomplete = 0usize;
    for (id, t0) in &sent {
        match last_arrival.get(id) {
            Some((at, n)) if *n == args.clients => {
                delays.push(at.saturating_duration_since(*t0).as_secs_f64() * 1000.0)
            }
            _ => incomplete += 1,
        }
    }
    delays.sort_by(f64::total_cmp);
    drop(_server);

    // The alternative: the store's own insert rate for the same rows, same concurrency.
    eprintln!("inserting the same rows directly into a fresh store...");
    let raw_store = stores::open(&raw).await?;
    let rules = Arc::new(app::rules(raw_store.as_ref()).await?);
    let now = Utc::now();
    let mut rows = Vec::with_capacity(total as usize);
    for k in 0..total {
        let v: serde_json::Value = serde_json::from_str(&bench_request(k))?;
        rows.push(NewIncident {
            observed_at: now,
            category: v["category"].as_str().unwrap_or("other").into(),
            description: v["description"].as_str().unwrap_or("").into(),
            location: IncidentLocation {
                county: v["county"].as_str().unwrap_or("").into(),
                polling_place: v["polling_place"].as_str().unwrap_or("").into(),
                ..Default::default()
            },
            reporter: Reporter {
                name: "BENCH CALLER".into(),
                phone: "+19195550100".into(),
                relationship: "voter".into(),
                voter_id: String::new(),
            },
            channel: "api".into(),
            created_by: "bench".into(),
            external_key: None,
        });
    }
    let rows = Arc::new(rows);
    let raw_started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (store, rows, rules) = (raw_store.clone(), rows.clone(), rules.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = w as usize;
            while k < rows.len() {
                app::take_with(store.as_ref(), &rules, &rows[k], Utc::now()).await?;
                k += workers as usize;
            }
            Ok::<_, app::IncidentError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let raw_seconds = raw_started.elapsed().as_secs_f64();
    drop(raw_store);
    if let Some(url) = &served.database {
        for g in [&served, &raw] {
            votebase_store_postgres::drop_org(url, &votebase_domain::OrgName::parse(&g.org)?)
                .await?;
        }
    }

    let result = serde_json::json!({
        "backend": backend,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "clients": args.clients,
        "connections": args.connections,
        "target_per_second": args.rate,
        "seconds": elapsed,
        "accepted": accepted,
        "errors": errors,
        "accepted_per_second": accepted as f64 / elapsed,
        "deliveries_expected": expected,
        "incidents_delivered_to_clients": delivered,
        "events_received": received.load(Ordering::Relaxed),
        "incidents_not_on_every_client": incomplete,
        "delay_to_all_clients_ms_p50": pct(&delays, 50.0),
        "delay_to_all_clients_ms_p99": pct(&delays, 99.0),
        "delay_to_all_clients_ms_max": delays.last().copied().unwrap_or(f64::NAN),
        "store_direct_rows": total,
        "store_direct_seconds": raw_seconds,
        "store_direct_per_second": total as f64 / raw_seconds,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(());
    }
    println!(
        "bench incidents: {backend}, {} cores, {} live-queue clients, target {}/s for {} s over {} connections",
        result["cores"], args.clients, args.rate, args.seconds, args.connections
    );
    println!(
        "{:<44} {:>10} {:>10} {:>12} {:>12}",
        "run", "incidents", "seconds", "incidents/s", "note"
    );
    println!(
        "{:<44} {:>10} {:>10.2} {:>12.0} {:>12}",
        "HTTP intake + live queue (POST /api/v1/incidents)",
        accepted,
        elapsed,
        accepted as f64 / elapsed,
        format!("{errors} errors")
    );
    println!(
        "{:<44} {:>10} {:>10.2} {:>12.0} {:>12}",
        "store.create_incident directly (same rows)",
        total,
        raw_seconds,
        total as f64 / raw_seconds,
        ""
    );
    println!(
        "delay until an incident is on all {} clients: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of {} deliveries, {} events in all, {} incidents missing somewhere)",
        args.clients,
        pct(&delays, 50.0),
        pct(&delays, 99.0),
        delays.last().copied().unwrap_or(f64::NAN),
        delivered,
        expected,
        received.load(Ordering::Relaxed),
        incomplete
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_percentiles_parse() {
        assert_eq!(first_id(br#"{"incident":{"id":42,"x":1}}"#), Some(42));
        assert_eq!(first_id(b"{}"), None);
        assert_eq!(
            all_ids(br#"[{"id":7,"cluster_id":3},{"id":8,"cluster_id":null}]"#),
            vec![7, 8]
        );
        assert_eq!(pct(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
    }
}
