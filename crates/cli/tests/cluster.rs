//! Several `votebase serve` processes over one PostgreSQL schema, as behind a load
//! balancer: an incident taken on server A reaches a live-queue client of server B (with
//! its position as the event id), a client that reconnects with `Last-Event-ID` gets what
//! it missed, escalation happens once whichever server leads the job, and when the
//! leader is killed (`kill -9`) the other server takes the job over.

mod common;

use common::{Backend, Reply, http, reply, shared};
use std::io::{BufRead, BufReader};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long password 1\n";

/// A server whose standard error is kept (to see which one leads the job).
struct Server {
    child: std::process::Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(b: &Backend) -> Self {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"));
        cmd.args(&b.args)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(b.dir.path())
            .env_remove("VOTEBASE_DATABASE")
            .env("VOTEBASE_ESCALATION_SECONDS", "1")
            .env("VOTEBASE_LOG", "votebase_app::cluster=info,warn")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        let mut child = cmd.spawn().expect("start server");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        // Every line is kept, those before the address too: the job's first round (and
        // its "leading job" line) may come before the server announces itself.
        let log = Arc::new(Mutex::new(Vec::new()));
        let line = lines
            .by_ref()
            .map_while(Result::ok)
            .inspect(|l| log.lock().unwrap().push(l.clone()))
            .find(|l| l.contains("serving http://"))
            .expect("server announces its address");
        let kept = log.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(l);
            }
        });
        let base = line
            .split("serving ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("an address")
            .trim_end_matches('/')
            .to_string();
        Self { child, base, log }
    }

    fn leads(&self) -> bool {
        self.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("leading job") && l.contains("incident-escalation"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn add_user(b: &Backend, name: &str, role: &str) -> String {
    b.cmd(&["user", "add", name, "--role", role])
        .write_stdin(PASSWORD)
        .assert()
        .success();
    let out = b.cmd(&["token", "create", name]).assert().success();
    String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .trim()
        .to_string()
}

fn take(base: &str, token: &str, place: &str) -> i64 {
    let mut resp = http()
        .post(format!("{base}/api/v1/incidents"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(
            serde_json::json!({
                "category": "long_lines", "county": "jonesport", "polling_place": place,
                "description": format!("Two hour line at {place}"),
                "reporter_name": "Mason Landry", "reporter_phone": "919 555 2142",
                "reporter_relationship": "voter"
            })
            .to_string()
            .as_bytes(),
        )
        .expect("request");
    let r: Reply = reply(&mut resp);
    assert_eq!(r.status, 201, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    v["incident"]["id"].as_i64().unwrap()
}

/// A live-queue connection.
struct Queue(BufReader<std::net::TcpStream>);

impl Queue {
    fn open(base: &str, token: &str, last_event_id: Option<i64>) -> Self {
        Self(common::open_event_stream(
            base,
            "/incidents/events",
            token,
            last_event_id,
            Duration::from_secs(30),
        ))
    }

    /// Reads events until one carries incident `id` with `with` in its row; returns the
    /// event's id (its position in the incident history).
    fn wait_for(&mut self, id: i64, with: &str) -> Option<i64> {
        let needle = format!("{{\"id\":{id},");
        let mut event_id = None;
        let mut line = String::new();
        let start = Instant::now();
        let mut seen = Vec::new();
        loop {
            // Keep-alive comments come every 15 s: the read itself never times out.
            assert!(
                start.elapsed() < Duration::from_secs(40),
                "#{id} with {with} never reached this queue; it read {seen:?}"
            );
            line.clear();
            let n = self.0.read_line(&mut line).expect("event stream");
            seen.push(line.clone());
            assert!(n > 0, "live queue closed before #{id} arrived");
            if let Some(v) = line
                .strip_prefix("id: ")
                .or_else(|| line.strip_prefix("id:"))
            {
                event_id = v.trim().parse().ok();
            }
            if line.starts_with("data: [")
                && let Some(at) = line.find(&needle)
                && line[at..]
                    .split("},{")
                    .next()
                    .is_some_and(|row| row.contains(with))
            {
                return event_id;
            }
            if line.trim().is_empty() {
                event_id = None;
            }
        }
    }
}

fn psql(sql: &str) -> String {
    let out = std::process::Command::new("psql")
        .args([&common::postgres_url(), "-qtAc", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn escalations(schema: &str, id: i64) -> i64 {
    psql(&format!(
        "SELECT count(*) FROM {schema}.incident_events WHERE incident_id = {id} AND kind = 'escalated'"
    ))
    .parse()
    .unwrap()
}

/// Makes an incident look untouched for a day (the timer's next round escalates it).
fn make_stale(schema: &str, id: i64) {
    psql(&format!(
        "UPDATE {schema}.incidents SET last_touched_at = now() - interval '1 day' WHERE id = {id}"
    ));
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_servers_share_the_live_queue_and_escalate_once() {
    if !common::postgres_available() {
        return;
    }
    let b = Backend::postgres("cluster");
    let schema = format!("vb_{}", b.args[3]);
    let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
    b.cmd(&[
        "import",
        "voters",
        nc.to_str().unwrap(),
        "--layout",
        "ncvoter",
    ])
    .assert()
    .success();
    let hotline = add_user(&b, "hank", "hotline_operator");
    let coord = add_user(&b, "cora", "coordinator");

    let mut servers = [Server::start(&b), Server::start(&b)];
    let mut queues = [
        Queue::open(&servers[0].base, &coord, None),
        Queue::open(&servers[1].base, &coord, None),
    ];

    // Taken on A: on B's queue (and on A's), with its position as the event id.
    let first = take(&servers[0].base, &hotline, "Oak Grove School");
    let seen_at = queues[1]
        .wait_for(first, "\"status\":\"new\"")
        .expect("an event id");
    assert!(seen_at > 0);
    assert_eq!(
        queues[0].wait_for(first, "\"status\":\"new\""),
        Some(seen_at)
    );

    // Escalation: both servers run the timer every second, one leads it; both queues
    // show the escalation.
    make_stale(&schema, first);
    queues[0].wait_for(first, "\"status\":\"escalated\"");
    queues[1].wait_for(first, "\"status\":\"escalated\"");
    wait_until("one server leads", || servers.iter().any(Server::leads));
    std::thread::sleep(Duration::from_secs(3)); // three more rounds on each server
    assert_eq!(escalations(&schema, first), 1, "escalated once");
    let leader = servers.iter().position(Server::leads).unwrap();
    let survivor = 1 - leader;
    assert!(!servers[survivor].leads(), "one leader");

    // The leader dies (kill -9): the other server takes the job over.
    servers[leader].child.kill().unwrap();
    servers[leader].child.wait().unwrap();
    let second = take(&servers[survivor].base, &hotline, "Elm Street Library");
    make_stale(&schema, second);
    queues[survivor].wait_for(second, "\"status\":\"escalated\"");
    wait_until("the survivor takes the job over", || {
        servers[survivor].leads()
    });
    assert_eq!(escalations(&schema, second), 1);

    // A client of the dead server reconnects to the survivor with the last event id it
    // saw: it gets what it missed.
    let mut resumed = Queue::open(&servers[survivor].base, &coord, Some(seen_at));
    resumed.wait_for(second, "\"status\":\"escalated\"");
}
