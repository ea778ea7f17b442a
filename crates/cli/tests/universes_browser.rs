//! Real-browser test (headless Chromium through chromedriver) of the list-building page:
//! the count and the county breakdown follow the filter as it is typed, an unknown family
//! is pointed at under the offending token, the filter is saved as a list through the
//! CSRF-protected form, and the list's export link downloads a walk list.

mod common;

use common::{Backend, shared};
use fantoccini::Locator;
use std::time::Duration;

fn cli_count(b: &Backend, expr: &str) -> String {
    let out = b
        .cmd(&["universe", "count", expr])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_a_filter_updates_the_count_then_save_and_export() {
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
    // A data manager: saving lists needs voter reads, exporting them the import/export
    // permission.
    b.cmd(&["user", "add", "olga", "--role", "data_manager"])
        .write_stdin("browser test pw 1\n")
        .assert()
        .success();
    let everyone = cli_count(&b, "");
    let democrats = cli_count(&b, "party:DEM");
    let active_democrats = cli_count(&b, "party:DEM status:active");
    assert_ne!(everyone, democrats);

    let server = common::serve_with(&b, &[]);
    let Some((c, _driver)) = common::browser(true).await else {
        return;
    };
    let base = server.base.clone();

    let count_becomes = async |want: &str| -> Result<(), fantoccini::error::CmdError> {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = c.find(Locator::Css("#count")).await?.text().await?;
            if seen == want {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the count stayed at {seen:?}, expected {want:?}");
    };

    let result = async {
        common::browser_sign_in(&c, &base, "olga", "browser test pw 1").await?;
        c.goto(&format!("{base}/universes")).await?;
        let q = c.wait().for_element(Locator::Css("#q")).await?;
        // The page opens with everyone counted, split by county.
        count_becomes(&everyone).await?;
        assert!(
            !c.find(Locator::Css("#breakdown tbody"))
                .await?
                .text()
                .await?
                .is_empty()
        );

        // Typing narrows the count, clause by clause.
        q.send_keys("party:DEM").await?;
        count_becomes(&democrats).await?;
        q.send_keys(" status:active").await?;
        count_becomes(&active_democrats).await?;

        // An unknown family: the error is shown, pointing at the token.
        q.send_keys(" colour:red").await?;
        let error = c.find(Locator::Css("#expr-error")).await?;
        let mut text = String::new();
        for _ in 0..100 {
            text = error.text().await?;
            if text.contains("unknown family") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(text.contains("unknown family `colour`"), "{text}");
        // The expression, then a caret line under the offending token, then the message.
        assert_eq!(
            text.lines().next(),
            Some("party:DEM status:active colour:red")
        );
        let caret_line = text.lines().nth(1).unwrap_or("");
        assert_eq!(
            caret_line.trim_end(),
            format!("{}^~~~~~", " ".repeat("party:DEM status:active ".len())),
            "{text}"
        );

        // Back to a valid filter, then save it as a list.
        q.clear().await?;
        q.send_keys("party:DEM status:active").await?;
        count_becomes(&active_democrats).await?;
        for _ in 0..100 {
            if !error.is_displayed().await? {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            !error.is_displayed().await?,
            "the error goes once the filter is valid"
        );
        c.find(Locator::Css("#list-name"))
            .await?
            .send_keys("active dems")
            .await?;
        c.find(Locator::Css("#save")).await?.click().await?;
        let saved = c
            .wait()
            .for_element(Locator::Css("#saved"))
            .await?
            .text()
            .await?;
        assert!(saved.contains("active dems"), "{saved}");
        let lists = c.find(Locator::Css("#lists")).await?.text().await?;
        assert!(lists.contains(&active_democrats), "{lists}");

        // The walk-list export link works with the browser's session.
        let link = c
            .find(Locator::XPath(
                "//table[@id='lists']//a[@class='export' and text()='walk']",
            ))
            .await?;
        let href = link.attr("href").await?.expect("an href");
        let cookie = c.get_named_cookie("vb_session").await?;
        let mut resp = common::http()
            .get(&format!("{base}{href}"))
            .header("Cookie", &format!("vb_session={}", cookie.value()))
            .call()
            .expect("export request");
        assert_eq!(resp.status().as_u16(), 200);
        let body = resp.body_mut().read_to_string().unwrap();
        assert!(
            body.starts_with("precinct,street,side,house_number"),
            "{body}"
        );
        assert!(body.lines().count() > 1, "{body}");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    if result.is_err() {
        let url = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let page = c.source().await.unwrap_or_default();
        eprintln!("at {url}:\n{page}");
    }
    c.close().await.ok();
    result.expect("browser steps");
}
