//! Real-browser tests (headless Chromium driven through chromedriver) of the pages that
//! matter for the voter file: signing in, searching by name, opening a voter's page and
//! the snapshot list, at a phone-sized window. Chromium comes from Debian's `chromium`
//! and `chromium-driver` packages (installed by `.ci/run`); without them the test is
//! skipped locally and fails when `CI` is set.

mod common;

use common::{Backend, shared};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_search_and_voter_page_in_chromium() {
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

    let server = common::serve_with(&b, &[]);
    let Some((c, _driver)) = common::browser(true).await else {
        return;
    };
    let base = server.base.clone();

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
