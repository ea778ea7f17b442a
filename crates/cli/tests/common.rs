//! Shared helpers of the end-to-end tests: a backend (a fresh SQLite data directory or a
//! fresh PostgreSQL schema) and a way to run the `votebase` binary against it.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The shared test data folder.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

/// The PostgreSQL URL the tests use.
pub fn postgres_url() -> String {
    std::env::var("VOTEBASE_TEST_DATABASE")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// True when PostgreSQL answers; when it does not and `CI` is set, the test fails.
pub fn postgres_available() -> bool {
    let ok = std::process::Command::new("psql")
        .args([&postgres_url(), "-qtAc", "SELECT 1"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok && std::env::var_os("CI").is_some() {
        panic!(
            "PostgreSQL is not reachable at {} and CI is set: the PostgreSQL tests must run",
            postgres_url()
        );
    }
    if !ok {
        eprintln!(
            "PostgreSQL not reachable: skipping the PostgreSQL half of this test (set CI to make this fail)"
        );
    }
    ok
}

/// One backend under test.
pub struct Backend {
    /// Global options selecting it.
    pub args: Vec<String>,
    /// Scratch directory (files, rejects).
    pub dir: tempfile::TempDir,
    /// The PostgreSQL schema to drop at the end, if any.
    schema: Option<String>,
    /// "sqlite" or "postgres".
    pub name: &'static str,
}

impl Backend {
    /// A fresh SQLite data directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        Self {
            args: vec!["--data".into(), data.to_string_lossy().into()],
            dir,
            schema: None,
            name: "sqlite",
        }
    }

    /// A fresh PostgreSQL organization schema.
    pub fn postgres(tag: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let org = format!("t_{tag}_{}_{nanos}", std::process::id());
        Self {
            args: vec![
                "--database".into(),
                postgres_url(),
                "--org".into(),
                org.clone(),
            ],
            dir: tempfile::tempdir().expect("tempdir"),
            schema: Some(format!("vb_{org}")),
            name: "postgres",
        }
    }

    /// Every backend available: SQLite always, PostgreSQL when reachable.
    pub fn all(tag: &str) -> Vec<Self> {
        let mut v = vec![Self::sqlite()];
        if postgres_available() {
            v.push(Self::postgres(tag));
        }
        v
    }

    /// `votebase <global args> <args>`.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("votebase").expect("binary");
        c.args(&self.args)
            .args(args)
            .env_remove("VOTEBASE_DATABASE");
        c.current_dir(self.dir.path());
        c
    }

    /// A path inside the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            let _ = std::process::Command::new("psql")
                .args([
                    &postgres_url(),
                    "-qc",
                    &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                ])
                .output();
        }
    }
}

/// A `votebase serve` child process on a free loopback port, killed on drop.
pub struct Served {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `votebase serve` for the backend with extra environment variables and waits
/// until it announces its address.
pub fn serve_with(b: &Backend, env: &[(&str, &str)]) -> Served {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"));
    cmd.args(&b.args)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(b.dir.path())
        .env_remove("VOTEBASE_DATABASE")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start server");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving http://"))
        .expect("server announces its address");
    std::thread::spawn(move || for _ in lines {});
    let base = line
        .split("serving ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("an address")
        .trim_end_matches('/')
        .to_string();
    Served { child, base }
}

/// Starts `votebase serve` for the backend.
pub fn serve(b: &Backend) -> Served {
    serve_with(b, &[])
}

/// An HTTP client that returns error statuses as replies and follows no redirects.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// A child process killed on drop.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An HTTP answer: status, body, and the `name=value` part of each Set-Cookie.
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body text.
    pub body: String,
    /// Cookies set, without their attributes.
    pub set_cookies: Vec<String>,
}

/// Reads a response into a [`Reply`].
pub fn reply(resp: &mut ureq::http::Response<ureq::Body>) -> Reply {
    let set_cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect();
    Reply {
        status: resp.status().as_u16(),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
        set_cookies,
    }
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Signs in through the `/login` form and waits until the browser has left it.
pub async fn browser_sign_in(
    c: &fantoccini::Client,
    base: &str,
    user: &str,
    password: &str,
) -> Result<(), fantoccini::error::CmdError> {
    use fantoccini::Locator;
    c.goto(&format!("{base}/login")).await?;
    c.wait().for_element(Locator::Css("#username")).await?;
    c.find(Locator::Css("#username"))
        .await?
        .send_keys(user)
        .await?;
    c.find(Locator::Css("#password"))
        .await?
        .send_keys(password)
        .await?;
    c.find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    for _ in 0..100 {
        if !c.current_url().await?.as_str().ends_with("/login") {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{user} is still on the sign-in page");
}

/// Headless Chromium at a phone-sized window through chromedriver, or `None` (skipped)
/// when chromedriver is not installed and `CI` is not set. `javascript: false` turns
/// scripts off, to prove a page works without them.
pub async fn browser(javascript: bool) -> Option<(fantoccini::Client, Killed)> {
    let Some(driver) = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed and CI is set: install chromium and chromium-driver"
            );
        }
        eprintln!("chromedriver not installed: skipping the browser test");
        return None;
    };
    let port = free_port();
    let process = Killed(
        std::process::Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let mut options = serde_json::json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=390,844", "--lang=en-US"]
    });
    if !javascript {
        options["prefs"] =
            serde_json::json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    for _ in 0..50 {
        if let Ok(c) = fantoccini::ClientBuilder::new(
            hyper_util::client::legacy::connect::HttpConnector::new(),
        )
        .capabilities(caps.clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        {
            return Some((c, process));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no chromedriver session");
}

/// A local aiosmtpd server writing what it receives to a Maildir; killed on drop.
pub struct SmtpServer {
    child: std::process::Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpServer {
    /// Starts one, or None when aiosmtpd is not installed (a failure when CI is set:
    /// `.ci/run` installs it).
    pub fn start(maildir: &std::path::Path) -> Option<Self> {
        let have = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !have {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set and python3 -m aiosmtpd is missing: pip install aiosmtpd"
            );
            eprintln!("aiosmtpd not installed: skipping the SMTP half (set CI to make this fail)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .spawn()
            .expect("start aiosmtpd");
        let server = Self {
            child,
            port,
            maildir: maildir.to_path_buf(),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// Every delivered message, as text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `votebase serve` for the backend on `port` (0: any) with extra environment
/// variables, and waits until it announces its address.
pub fn serve_on(b: &Backend, port: u16, env: &[(&str, &str)]) -> Served {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"));
    cmd.args(&b.args)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(b.dir.path())
        .env_remove("VOTEBASE_DATABASE")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start server");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving http://"))
        .expect("server announces its address");
    std::thread::spawn(move || for _ in lines {});
    let base = line
        .split("serving ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .expect("an address")
        .trim_end_matches('/')
        .to_string();
    Served { child, base }
}

/// The text body of a delivered message (quoted-printable and base64 decoded), with its
/// headers' `To:` line first.
pub fn mail_text(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let to = head
        .lines()
        .find(|l| l.starts_with("To: "))
        .unwrap_or("")
        .to_string();
    let encoding = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-transfer-encoding:")
        })
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_default();
    let text = if encoding.contains("quoted-printable") {
        let bytes = quoted_printable::decode(body.as_bytes(), quoted_printable::ParseMode::Robust)
            .expect("quoted-printable body");
        String::from_utf8(bytes).expect("utf-8 body")
    } else if encoding.contains("base64") {
        use base64::Engine;
        let compact: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .expect("base64 body");
        String::from_utf8(bytes).expect("utf-8 body")
    } else {
        body.to_string()
    };
    format!("{to}\n{text}")
}

/// The first link in `text` that starts with `prefix`, up to the next whitespace.
pub fn link_in(text: &str, prefix: &str) -> Option<String> {
    let at = text.find(prefix)?;
    Some(
        text[at..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string(),
    )
}

/// Runs `votebase ARGS` against the backend, expecting success; its stdout.
pub fn ok(b: &Backend, args: &[&str]) -> String {
    let out = b.cmd(args).output().expect("run");
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        b.name,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs `votebase ARGS` against the backend, expecting failure; its stderr.
pub fn fails(b: &Backend, args: &[&str]) -> String {
    let out = b.cmd(args).output().expect("run");
    assert!(!out.status.success(), "{} {args:?} should fail", b.name);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Adds a user with a role (password "a long password 1") and returns an API token of theirs.
pub fn add_user(b: &Backend, name: &str, role: &str) -> String {
    b.cmd(&["user", "add", name, "--role", role])
        .write_stdin("a long password 1\n")
        .assert()
        .success();
    String::from_utf8(
        b.cmd(&["token", "create", name])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap()
    .trim()
    .to_string()
}

/// A reply's body as JSON (panics with the body when it is not).
pub fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// Opens a live page's server-sent-event stream (`/incidents/events`, `/disinfo/events`)
/// with a bearer token, resuming after `last_event_id` when given; reads time out after
/// `read_timeout`. Asserts the answer is 200 and returns the stream after the status line.
pub fn open_event_stream(
    base: &str,
    path: &str,
    token: &str,
    last_event_id: Option<i64>,
    read_timeout: std::time::Duration,
) -> std::io::BufReader<std::net::TcpStream> {
    use std::io::{BufRead, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(read_timeout)).unwrap();
    let resume = last_event_id
        .map(|id| format!("Last-Event-ID: {id}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n{resume}Accept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut r = std::io::BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    r
}

/// The value of the hidden form field `name` in a page (panics with the page without one).
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    let end = html[at..].find('"').unwrap() + at;
    html[at..end].to_string()
}

/// Signs a user added by [`add_user`] in through the login form (its CSRF cookie and
/// field) and returns the session cookie (`vb_session=…`).
pub fn sign_in(base: &str, user: &str) -> String {
    let cookie = |r: &Reply, name: &str| {
        r.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .cloned()
            .unwrap_or_else(|| panic!("no {name} cookie in {:?}", r.set_cookies))
    };
    let form = reply(
        &mut http()
            .get(&format!("{base}/login"))
            .call()
            .expect("request"),
    );
    let login_cookie = cookie(&form, "vb_login_csrf");
    let mut resp = http()
        .post(&format!("{base}/login"))
        .header("Cookie", &login_cookie)
        .send_form([
            ("username", user),
            ("password", "a long password 1"),
            ("csrf", hidden_field(&form.body, "csrf").as_str()),
        ])
        .expect("request");
    let signed_in = reply(&mut resp);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    cookie(&signed_in, "vb_session")
}

/// `votebase <args> serve --orgs WHICH --base-domain localhost` on a free loopback port,
/// with the per-address rate limits off (every request comes from one address); the
/// server (killed on drop) and its port.
pub fn serve_orgs(
    args: &[String],
    env: &[(String, String)],
    dir: &Path,
    which: &str,
) -> (Killed, u16) {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"));
    cmd.args(args)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--orgs",
            which,
            "--base-domain",
            "localhost",
        ])
        .current_dir(dir)
        .env_remove("VOTEBASE_DATABASE")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    for limit in [
        "LOGIN",
        "LOOKUP",
        "REGISTRATION",
        "REPORT",
        "RESULTS_SIGNIN",
        "RESULTS_PUBLIC",
        "TIP",
        "VOLUNTEER_SIGNUP",
        "VOLUNTEER_LINKS",
    ] {
        cmd.env(format!("VOTEBASE_{limit}_PER_MINUTE"), "0");
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving http://"))
        .expect("the server announces its address");
    std::thread::spawn(move || for _ in lines {});
    let port = line
        .split("serving http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .expect("a port");
    (Killed(child), port)
}

/// The number on the last line of a command's output (what `universe count` prints).
pub fn last_number<T: std::str::FromStr>(output: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    output
        .lines()
        .last()
        .expect("some output")
        .trim()
        .parse()
        .expect("a number on the last line")
}
