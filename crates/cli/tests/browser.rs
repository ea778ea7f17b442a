//! Real-browser tests (headless Chromium driven through chromedriver) of the pages that
//! matter for the voter file: signing in, searching by name, opening a voter's page and
//! the snapshot list, at a phone-sized window. Chromium comes from Debian's `chromium`
//! and `chromium-driver` packages (installed by `.ci/run`); without them the test is
//! skipped locally and fails when `CI` is set.

mod common;

use common::{Backend, shared};
use fantoccini::{ClientBuilder, Locator};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn chromedriver() -> Option<&'static str> {
    let found = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed and CI is set: install chromium and chromium-driver"
            );
        }
        eprintln!("chromedriver not installed: skipping the browser test");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_search_and_voter_page_in_chromium() {
    let Some(driver_path) = chromedriver() else {
        return;
    };
    let b = Backend::sqlite();
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
    b.cmd(&["user", "add", "olga", "--role", "organizer"])
        .write_stdin("browser test pw 1\n")
        .assert()
        .success();

    let port = free_port();
    let mut server = Command::new(assert_cmd::cargo::cargo_bin("votebase"))
        .args(&b.args)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("server starts");
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    assert!(lines.any(|l| l.map(|l| l.contains("serving")).unwrap_or(false)));
    let _server = Killed(server);

    let driver_port = free_port();
    let _driver = Killed(
        Command::new(driver_path)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=390,844"]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("chromedriver session");
    let base = format!("http://127.0.0.1:{port}");

    let result = async {
        // Signed out: the search page sends the browser to the sign-in form.
        c.goto(&format!("{base}/")).await?;
        c.wait().for_element(Locator::Css("#username")).await?;
        assert!(c.current_url().await?.as_str().ends_with("/login"));
        c.find(Locator::Css("#username"))
            .await?
            .send_keys("olga")
            .await?;
        c.find(Locator::Css("#password"))
            .await?
            .send_keys("wrong password")
            .await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        let alert = c
            .wait()
            .for_element(Locator::Css("[role=alert]"))
            .await?
            .text()
            .await?;
        assert!(alert.contains("wrong user name or password"), "{alert}");
        c.find(Locator::Css("#username"))
            .await?
            .send_keys("olga")
            .await?;
        c.find(Locator::Css("#password"))
            .await?
            .send_keys("browser test pw 1")
            .await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;

        // Search by "LAST, FIRST" and open the voter page.
        let q = c.wait().for_element(Locator::Css("#q")).await?;
        q.send_keys("Landry, Mason").await?;
        c.find(Locator::Css("form[role=search] button"))
            .await?
            .click()
            .await?;
        let count = c
            .wait()
            .for_element(Locator::Css("#result-count"))
            .await?
            .text()
            .await?;
        assert_eq!(count, "1 found");
        c.find(Locator::LinkText("DU994065")).await?.click().await?;
        let name = c
            .wait()
            .for_element(Locator::Css("#voter-name"))
            .await?
            .text()
            .await?;
        assert_eq!(name, "MASON JASON LANDRY MD");
        let fields = c.find(Locator::Css("#fields")).await?.text().await?;
        assert!(fields.contains("JOHNSON"), "{fields}");

        // The snapshot list, then sign out.
        c.goto(&format!("{base}/snapshots")).await?;
        let table = c.find(Locator::Css("#snapshots")).await?.text().await?;
        assert!(table.contains("nc.csv"), "{table}");
        c.find(Locator::Css("header form button"))
            .await?
            .click()
            .await?;
        c.wait().for_element(Locator::Css("#username")).await?;
        assert!(c.current_url().await?.as_str().ends_with("/login"));
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("browser steps");
}
