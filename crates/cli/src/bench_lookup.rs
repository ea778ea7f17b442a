//! `votebase bench lookup --feed PATH [--seconds 10] [--connections 64] [--rounds 1]`: the
//! public polling-place lookup under load, beside the HTTP stack's floor and nginx.
//!
//! In one run it installs the feed into a scratch data directory (`votebase import vip
//! --force`) and, each round, puts three servers under the same `wrk` load in turn: `votebase
//! serve` on a loopback port (the per-address rate limit off, since every benchmark
//! connection comes from one address) answering `/api/v1/lookup` for every street segment's
//! start address in the feed (`1800 LAMBERT RD, GRAHAM, NC 27253`); the floor (hidden
//! `votebase bench lookup-floor`: the same listener, runtime, hyper and axum answering
//! votebase's answer bytes at `/lookup.json`, see `crate::serve::fixed_answer`); and nginx (a
//! minimal configuration under the work directory, `daemon off`, no root needed) serving
//! the same bytes as a static file. One wrk Lua script shape drives all three (the floor
//! and nginx ignore the query string), and the floor's and nginx's bytes are checked equal
//! to votebase's. It prints requests/s, p50 and p99 latency and the ratios. `wrk` and
//! `nginx` come from Debian's `wrk` and `nginx-light`.

use crate::options::Global;
use anyhow::{Context, bail};
use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments of `votebase bench lookup`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example: votebase bench lookup --feed ../shared/data/vip/csv-3.0-nc-alamance --seconds 10 --connections 64\n\nNeeds wrk and nginx (Debian: apt-get install wrk nginx-light)."
)]
pub struct BenchLookupArgs {
    /// The VIP feed to serve (.xml, .zip, or a folder of .txt files).
    #[arg(long)]
    pub feed: PathBuf,
    /// Seconds of load per server.
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// Open connections.
    #[arg(long, default_value_t = 64)]
    pub connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Work directory (default: target/bench-lookup).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Rounds of the three servers in turn (votebase, the axum floor, nginx).
    #[arg(long, default_value_t = 1)]
    pub rounds: u32,
}

/// One wrk run.
#[derive(Debug, Clone)]
pub struct WrkResult {
    /// Which server.
    pub name: String,
    /// Requests completed.
    pub requests: u64,
    /// Requests per second.
    pub per_second: f64,
    /// Median latency in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency in microseconds.
    pub p99_us: f64,
    /// Responses that were not 2xx or 3xx.
    pub non_2xx: u64,
    /// Socket errors (connect, read, write, timeout).
    pub socket_errors: u64,
}

/// A child process killed on drop (nginx gets SIGQUIT first, to stop its workers).
struct Guard {
    child: Child,
    graceful: Option<&'static str>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(signal) = self.graceful {
            let _ = Command::new("kill")
                .args([signal, &self.child.id().to_string()])
                .status();
            for _ in 0..50 {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Percent-encodes a query value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Every street segment's start address in the feed, as free text.
pub fn segment_addresses(feed: &Path) -> anyhow::Result<Vec<String>> {
    let loaded = votebase_vip::load(feed)
        .with_context(|| format!("cannot read the VIP feed {}", feed.display()))?;
    let mut out = Vec::with_capacity(loaded.street_segments.len());
    for s in &loaded.street_segments {
        let Some(start) = s.start else { continue };
        let street: Vec<&str> = [
            s.pre_direction.as_str(),
            s.street_name.as_str(),
            s.street_suffix.as_str(),
            s.post_direction.as_str(),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
        if street.is_empty() {
            continue;
        }
        out.push(format!(
            "{start} {}, {}, {} {}",
            street.join(" "),
            s.city,
            s.state,
            s.zip
        ));
    }
    if out.is_empty() {
        bail!("{}: no street segment with a start address", feed.display());
    }
    Ok(out)
}

/// The `done` hook both scripts share: one machine-readable line.
const DONE_LUA: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("VB_RESULT %d %d %f %f %d %d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"#;

/// A wrk script cycling over `route?address=…` for every address: the same requests
/// (and the same client work in wrk's Lua) for each server; nginx and the floor ignore
/// the query string and send their one answer.
fn write_lookup_script(path: &Path, route: &str, addresses: &[String]) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "local paths = {{")?;
    for a in addresses {
        writeln!(f, "  \"{route}?address={}\",", encode(a))?;
    }
    writeln!(f, "}}")?;
    writeln!(
        f,
        r#"local i = 0
setup = function(thread) thread:set("offset", math.random(1, #paths)) end
init = function(args) i = tonumber(offset) or 0 end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end"#
    )?;
    f.write_all(DONE_LUA.as_bytes())?;
    f.flush()?;
    Ok(())
}

fn run_wrk(
    name: &str,
    url: &str,
    script: &Path,
    args: &BenchLookupArgs,
) -> anyhow::Result<WrkResult> {
    let out = Command::new("wrk")
        .args([
            "-t",
            &args.threads.to_string(),
            "-c",
            &args.connections.max(args.threads).to_string(),
            "-d",
            &format!("{}s", args.seconds),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .context("cannot run wrk; install it (Debian: apt-get install wrk)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk against {name} failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("VB_RESULT "))
        .with_context(|| format!("wrk printed no result line: {stdout}"))?;
    let f: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse::<f64>().unwrap_or(0.0))
        .collect();
    if f.len() < 6 || f[1] <= 0.0 {
        bail!("unexpected wrk result line: {line}");
    }
    Ok(WrkResult {
        name: name.into(),
        requests: f[0] as u64,
        per_second: f[0] / (f[1] / 1e6),
        p50_us: f[2],
        p99_us: f[3],
        non_2xx: f[4] as u64,
        socket_errors: f[5] as u64,
    })
}

fn wait_for(url: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let started = Instant::now();
    loop {
        match http_get(url) {
            Ok((200, body)) => return Ok(body),
            Ok((status, body)) if started.elapsed() > Duration::from_secs(20) => bail!(
                "{what} answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
            Err(e) if started.elapsed() > Duration::from_secs(20) => {
                bail!("{what} did not answer at {url}: {e}")
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A minimal HTTP/1.0 GET over loopback (no client dependency for one request).
fn http_get(url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
    use std::io::Read;
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no HTTP header")?;
    let head = String::from_utf8_lossy(&buf[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no HTTP status")?;
    Ok((status, buf[split + 4..].to_vec()))
}

fn nginx_conf(dir: &Path, port: u16, workers: usize) -> String {
    let d = dir.display();
    format!(
        r#"daemon off;
worker_processes {workers};
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    default_type application/json;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location / {{ }}
    }}
}}
"#
    )
}

fn ms(us: f64) -> String {
    format!("{:.2} ms", us / 1000.0)
}

/// Runs the benchmark.
pub async fn bench(_global: &Global, args: BenchLookupArgs) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || bench_blocking(args)).await?
}

fn bench_blocking(args: BenchLookupArgs) -> anyhow::Result<()> {
    let work = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/bench-lookup"));
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(&work)?;
    let work = work.canonicalize()?;
    let feed = args
        .feed
        .canonicalize()
        .with_context(|| format!("no feed at {}", args.feed.display()))?;
    let addresses = segment_addresses(&feed)?;
    let script = work.join("lookup.lua");
    write_lookup_script(&script, "/api/v1/lookup", &addresses)?;
    let static_script = work.join("static.lua");
    write_lookup_script(&static_script, "/lookup.json", &addresses)?;

    // votebase: install the feed; its first answer is what the other two serve.
    let exe = std::env::current_exe()?;
    let data = work.join("data");
    let installed = Command::new(&exe)
        .arg("--data")
        .arg(&data)
        .args(["--org", ORG, "import", "vip", "--force", "--json"])
        .arg(&feed)
        .env_remove("VOTEBASE_DATABASE")
        .output()?;
    if !installed.status.success() {
        bail!(
            "votebase import vip failed: {}",
            String::from_utf8_lossy(&installed.stderr)
        );
    }
    let sample_path = format!("/api/v1/lookup?address={}", encode(&addresses[0]));
    let static_path = format!("/lookup.json?address={}", encode(&addresses[0]));
    let sample_body = {
        let (server, base) = start_votebase(&exe, &data)?;
        let body = wait_for(&format!("{base}{sample_path}"), "votebase")?;
        drop(server);
        body
    };
    let answer = work.join("lookup.json");
    std::fs::write(&answer, &sample_body)?;
    let ngx = work.join("nginx");
    for sub in ["www", "tmp"] {
        std::fs::create_dir_all(ngx.join(sub))?;
    }
    std::fs::write(ngx.join("www/lookup.json"), &sample_body)?;

    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    eprintln!(
        "{} addresses; {} s per server, {} connections, {} wrk threads, {cores} cores, {} round(s)",
        addresses.len(),
        args.seconds,
        args.connections,
        args.threads,
        args.rounds
    );
    let fixed = FixedAnswer {
        path: &static_path,
        body: &sample_body,
        script: &static_script,
        args: &args,
    };
    let mut rounds = Vec::new();
    for round in 1..=args.rounds.max(1) {
        // votebase: every lookup parsed, resolved and answered through the whole stack.
        let (server, base) = start_votebase(&exe, &data)?;
        wait_for(&format!("{base}{sample_path}"), "votebase")?;
        let votebase = run_wrk("votebase /api/v1/lookup", &base, &script, &args)?;
        drop(server);

        // The floor: the same listener, runtime, hyper and axum, one fixed answer.
        let port = free_port()?;
        let mut floor = Command::new(&exe);
        floor
            .args(["bench", "lookup-floor", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--body")
            .arg(&answer);
        let floor = fixed.run("axum floor, fixed answer", floor, "", None, port)?;

        // nginx: the same answer as a static file.
        let nport = free_port()?;
        let conf = ngx.join("nginx.conf");
        std::fs::write(&conf, nginx_conf(&ngx, nport, cores))?;
        let mut nginx = Command::new("nginx");
        nginx
            .arg("-p")
            .arg(&ngx)
            .arg("-e")
            .arg(ngx.join("error.log"))
            .arg("-c")
            .arg(&conf);
        let nginx_result = fixed.run(
            "nginx static JSON",
            nginx,
            "; install it (Debian: apt-get install nginx-light)",
            Some("-QUIT"),
            nport,
        )?;
        print_round(round, &votebase, &floor, &nginx_result);
        rounds.push([votebase, floor, nginx_result]);
    }
    if rounds.len() > 1 {
        let total = |i: usize| rounds.iter().map(|r| r[i].per_second).sum::<f64>();
        println!(
            "all {} rounds: votebase / nginx {:.2}x, floor / nginx {:.2}x, votebase / floor {:.2}x (summed requests/s)",
            rounds.len(),
            total(0) / total(2),
            total(1) / total(2),
            total(0) / total(1)
        );
    }
    Ok(())
}

const ORG: &str = "bench";

/// Starts `votebase serve` over the installed feed (per-address rate limit off); returns
/// the guard and the base URL once it announces itself.
fn start_votebase(exe: &Path, data: &Path) -> anyhow::Result<(Guard, String)> {
    let port = free_port()?;
    let mut child = Command::new(exe)
        .arg("--data")
        .arg(data)
        .args([
            "--org",
            ORG,
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env_remove("VOTEBASE_DATABASE")
        .env("VOTEBASE_LOOKUP_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start votebase serve")?;
    let stderr = child.stderr.take().context("no stderr")?;
    let server = Guard {
        child,
        graceful: None,
    };
    let mut lines = BufReader::new(stderr).lines();
    if !lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("serving http://"))
    {
        bail!("votebase serve did not start");
    }
    std::thread::spawn(move || for _ in lines {});
    Ok((server, format!("http://127.0.0.1:{port}")))
}

/// What the floor and nginx serve and how they are loaded.
struct FixedAnswer<'a> {
    /// A request path whose answer is `body` (`/lookup.json?address=…`).
    path: &'a str,
    /// votebase's answer bytes.
    body: &'a [u8],
    /// The wrk script over `/lookup.json?address=…`.
    script: &'a Path,
    args: &'a BenchLookupArgs,
}

impl FixedAnswer<'_> {
    /// Starts `server` (listening on `port`; `hint` ends the message if it cannot start),
    /// checks it sends votebase's bytes, puts it under the wrk load and stops it (with
    /// `graceful` first, if given).
    fn run(
        &self,
        name: &str,
        mut server: Command,
        hint: &str,
        graceful: Option<&'static str>,
        port: u16,
    ) -> anyhow::Result<WrkResult> {
        let child = server
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {name}{hint}"))?;
        let _guard = Guard { child, graceful };
        let url = format!("http://127.0.0.1:{port}");
        check_same_answer(
            &wait_for(&format!("{url}{}", self.path), name)?,
            self.body,
            name,
        )?;
        run_wrk(name, &url, self.script, self.args)
    }
}

/// The floor and nginx must send the bytes votebase sent, or the runs are not comparable.
fn check_same_answer(got: &[u8], want: &[u8], who: &str) -> anyhow::Result<()> {
    if got != want {
        bail!(
            "{who} sent {} bytes, not the {} bytes of votebase's answer",
            got.len(),
            want.len()
        );
    }
    println!("check: {who} sends votebase's {} bytes: equal", want.len());
    Ok(())
}

fn print_round(round: u32, votebase: &WrkResult, floor: &WrkResult, nginx: &WrkResult) {
    println!("round {round}");
    println!(
        "{:<26} {:>10} {:>12} {:>10} {:>10} {:>9} {:>8}",
        "server", "requests", "requests/s", "p50", "p99", "non-2xx", "errors"
    );
    for r in [votebase, floor, nginx] {
        println!(
            "{:<26} {:>10} {:>12.0} {:>10} {:>10} {:>9} {:>8}",
            r.name,
            r.requests,
            r.per_second,
            ms(r.p50_us),
            ms(r.p99_us),
            r.non_2xx,
            r.socket_errors
        );
    }
    println!(
        "votebase / nginx: {:.2}x the requests/s, p50 {:.2}x, p99 {:.2}x; floor / nginx {:.2}x; votebase / floor {:.2}x",
        votebase.per_second / nginx.per_second,
        votebase.p50_us / nginx.p50_us.max(1.0),
        votebase.p99_us / nginx.p99_us.max(1.0),
        floor.per_second / nginx.per_second,
        votebase.per_second / floor.per_second
    );
    for r in [votebase, floor, nginx] {
        if r.non_2xx > 0 || r.socket_errors > 0 {
            eprintln!(
                "note: {} answered {} non-2xx responses and had {} socket errors",
                r.name, r.non_2xx, r.socket_errors
            );
        }
    }
}

/// Arguments of the hidden `votebase bench lookup-floor` (started by `bench lookup`).
#[derive(Args, Debug)]
pub struct LookupFloorArgs {
    /// Address to listen on.
    #[arg(long)]
    pub bind: String,
    /// The file whose bytes are the one answer, served at `/lookup.json`.
    #[arg(long)]
    pub body: PathBuf,
}

/// Serves the floor: one fixed answer through the server's own stack.
pub async fn floor(args: LookupFloorArgs) -> anyhow::Result<()> {
    let body = std::fs::read(&args.body)
        .with_context(|| format!("cannot read {}", args.body.display()))?;
    crate::serve::fixed_answer(&args.bind, "/lookup.json", body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_addresses_from_segment_starts() {
        let feed = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/vip/csv-3.0-nc-alamance");
        let a = segment_addresses(&feed).unwrap();
        assert!(a.len() > 10_000, "{}", a.len());
        assert!(a.contains(&"1800 LAMBERT RD, GRAHAM, NC 27253".to_string()));
        assert_eq!(encode("1 A B, C"), "1%20A%20B%2C%20C");
    }
}
