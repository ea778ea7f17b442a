//! Real-browser test (headless Chromium at a phone-sized window, driven through
//! chromedriver) of the precinct chair's reporting page: sign in with the printed code,
//! enter a caucus result, see the delegates computed by the rules, send it, lose the
//! network (Chrome DevTools `Network.emulateNetworkConditions` through chromedriver, and
//! the server stopped, since emulation does not reach requests a service worker passes
//! on), correct the result while offline (it waits in the phone's queue, shown plainly),
//! come back online (it is sent and receipted), and find the corrected, validated result
//! with its delegates and history on the public page.

mod common;

use common::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;
use std::time::Duration;

const DEFINITION: &str = r#"
slug = "ia-test"
name = "Test County caucus"
date = "2020-02-03"

[[contests]]
key = "president"
office = "President"
party = "DEM"
kind = "caucus"
candidates = ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"]
"#;

/// A Chrome DevTools command sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

async fn network(c: &Client, offline: bool) -> Result<(), fantoccini::error::CmdError> {
    c.issue_cmd(Cdp(json!({"cmd": "Network.enable", "params": {}})))
        .await?;
    c.issue_cmd(Cdp(
        json!({"cmd": "Network.emulateNetworkConditions", "params": {
        "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}}),
    ))
    .await?;
    Ok(())
}

/// Starts `votebase serve` on a fixed port (so it can be stopped and started again at
/// the same address) and waits until it listens.
fn start_server(b: &Backend, port: u16) -> common::Killed {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"))
        .args(&b.args)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(b.dir.path())
        .env_remove("VOTEBASE_DATABASE")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start server");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving http://"))
        .expect("server announces its address");
    std::thread::spawn(move || for _ in lines {});
    common::Killed(child)
}

/// Waits until the element's text contains `needle` (the page works asynchronously).
async fn wait_text(
    c: &Client,
    css: &str,
    needle: &str,
) -> Result<String, fantoccini::error::CmdError> {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            last = e.text().await.unwrap_or_default();
            if last.contains(needle) {
                return Ok(last);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{css} never showed {needle:?}; last text: {last:?}");
}

async fn fill(c: &Client, id: &str, value: &str) -> Result<(), fantoccini::error::CmdError> {
    let e = c.find(Locator::Id(id)).await?;
    e.clear().await?;
    e.send_keys(value).await
}

async fn enter(c: &Client, sizes: [u32; 5]) -> Result<(), fantoccini::error::CmdError> {
    fill(
        c,
        "attendees-president",
        &sizes.iter().sum::<u32>().to_string(),
    )
    .await?;
    for (i, n) in sizes.iter().enumerate() {
        fill(c, &format!("first-president-{i}"), &n.to_string()).await?;
        fill(c, &format!("final-president-{i}"), &n.to_string()).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chair_reports_goes_offline_corrects_and_public_page_shows_it() {
    let b = Backend::sqlite();
    std::fs::write(b.path("caucus.toml"), DEFINITION).unwrap();
    std::fs::write(
        b.path("roster.csv"),
        "id,county,name,delegates,sde\nP1,Adair,4SE ORIENT,10,0.7843\nP2,Adair,GREENFIELD,4,0.5\n",
    )
    .unwrap();
    b.cmd(&[
        "results",
        "setup",
        "caucus.toml",
        "--precincts",
        "roster.csv",
    ])
    .assert()
    .success();
    b.cmd(&["results", "codes", "ia-test", "--out", "codes.csv"])
        .assert()
        .success();
    let sheet = std::fs::read_to_string(b.path("codes.csv")).unwrap();
    let code = sheet
        .lines()
        .find(|l| l.starts_with("P1,"))
        .and_then(|l| l.split(',').nth(3))
        .unwrap()
        .to_string();

    let port = common::free_port();
    let mut server = Some(start_server(&b, port));
    let Some((c, _driver)) = common::browser(true).await else {
        return;
    };
    let base = format!("http://127.0.0.1:{port}");

    let result = async {
        // Sign in with the code from the sheet.
        c.goto(&format!("{base}/results/ia-test/chair")).await?;
        c.wait().for_element(Locator::Id("code")).await?;
        fill(&c, "code", "WRONG-CODE-0000").await?;
        c.find(Locator::Id("signin-btn")).await?.click().await?;
        wait_text(&c, "#signin-error", "not right").await?;
        fill(&c, "code", &code).await?;
        c.find(Locator::Id("signin-btn")).await?.click().await?;
        wait_text(&c, "#precinct-title", "4SE ORIENT").await?;
        // The page's service worker keeps a copy so that it opens again offline.
        let ready = c
            .execute_async(
                "var done = arguments[arguments.length - 1];\n\
                 navigator.serviceWorker.ready.then(function () { done(true); });",
                vec![],
            )
            .await?;
        assert_eq!(ready, json!(true));

        // Adair 4SE ORIENT: the rules give every group 2 delegates.
        enter(&c, [7, 6, 6, 6, 9]).await?;
        c.find(Locator::Id("check-president"))
            .await?
            .click()
            .await?;
        wait_text(
            &c,
            "#preview-president",
            "County delegates by the rules: Biden 2, Buttigieg 2, Klobuchar 2, Sanders 2, Warren 2",
        )
        .await?;
        c.find(Locator::Id("send-president")).await?.click().await?;
        let received = wait_text(&c, "#received", "version 1").await?;
        assert!(received.contains("accepted"), "{received}");
        wait_text(&c, "#net-status", "everything is sent").await?;

        // The network goes away; the chair corrects the count (Biden 8, Warren 8).
        network(&c, true).await?;
        drop(server.take());
        enter(&c, [8, 6, 6, 6, 8]).await?;
        c.find(Locator::Id("send-president")).await?.click().await?;
        // A correction needs a reason.
        wait_text(&c, "#preview-president", "write the reason").await?;
        fill(&c, "reason-president", "recount of Biden and Warren").await?;
        c.find(Locator::Id("send-president")).await?.click().await?;
        wait_text(&c, "#net-status", "Offline: 1 entry waiting").await?;
        let queue = wait_text(&c, "#queue", "Biden 8→8").await?;
        assert!(queue.contains("recount of Biden and Warren"), "{queue}");
        assert_eq!(
            c.find(Locator::Id("queue-count")).await?.text().await?,
            "(1)"
        );
        let received = c.find(Locator::Id("received")).await?.text().await?;
        assert!(!received.contains("version 2"), "{received}");
        // Reloading without a connection: the page opens from the phone's copy and the
        // entry is still waiting.
        c.refresh().await?;
        wait_text(&c, "#queue-count", "(1)").await?;
        wait_text(&c, "#net-status", "Offline: 1 entry waiting").await?;
        // Nothing reached the server: the log holds the first version only.
        b.cmd(&["results", "status", "ia-test", "--json"])
            .assert()
            .success()
            .stdout(predicates::str::contains("\"submissions\": 1\n"));

        // Back online: the queue empties and the correction gets its receipt.
        server = Some(start_server(&b, port));
        network(&c, false).await?;
        wait_text(&c, "#received", "version 2").await?;
        wait_text(&c, "#queue-count", "(0)").await?;
        wait_text(&c, "#net-status", "everything is sent").await?;

        // The public page: corrected, validated, delegates by the rules, with history.
        c.goto(&format!("{base}/results/ia-test")).await?;
        let reporting = c
            .find(Locator::Css("#contest-president .reporting"))
            .await?
            .text()
            .await?;
        assert_eq!(reporting, "1 of 2 precincts reporting");
        let row = c
            .find(Locator::Css("tr[data-precinct='P1']"))
            .await?
            .text()
            .await?;
        assert!(row.contains("Biden 8 (2 del.)"), "{row}");
        assert!(row.contains("Warren 8 (2 del.)"), "{row}");
        assert!(row.contains("corrected"), "{row}");
        c.find(Locator::Css("tr[data-precinct='P1'] a"))
            .await?
            .click()
            .await?;
        let history = wait_text(&c, "table.history", "recount of Biden and Warren").await?;
        assert!(history.contains("(published)"), "{history}");
        let delegates = c.find(Locator::Css(".delegates")).await?.text().await?;
        assert!(delegates.contains("Biden 2"), "{delegates}");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    drop(server);
    result.expect("browser steps");

    // The same result through the CLI: one precinct reporting, none flagged.
    b.cmd(&["results", "status", "ia-test"])
        .assert()
        .success()
        .stdout(predicates::str::contains("1 of 2 precincts reporting"));
}
