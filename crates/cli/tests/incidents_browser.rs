//! Real-browser test (headless Chromium through chromedriver) of voter protection: a
//! coordinator keeps the live queue open in one window, takes a call in another with
//! the keyboard-only intake form, sees the incident appear in the queue without a
//! reload, opens it, resolves it, and watches it leave the queue.

mod common;

use common::Backend;
use fantoccini::Locator;
use fantoccini::key::Key;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_live_queue_and_resolve_in_chromium() {
    let b = Backend::sqlite();
    b.cmd(&["user", "add", "cora", "--role", "coordinator"])
        .write_stdin("browser test pw 1\n")
        .assert()
        .success();
    b.cmd(&["user", "add", "lena", "--role", "lawyer"])
        .write_stdin("browser test pw 1\n")
        .assert()
        .success();
    b.cmd(&["incidents", "cover", "lena", "WAKE", "--lead"])
        .assert()
        .success();
    let server = common::serve(&b);
    let Some((c, _driver)) = common::browser(true).await else {
        return;
    };
    let base = server.base.clone();

    let result = async {
        common::browser_sign_in(&c, &base, "cora", "browser test pw 1").await?;

        // Window 1: the live queue, marked so a reload would be noticed.
        c.goto(&format!("{base}/incidents")).await?;
        c.wait()
            .for_element(Locator::Css("#live[data-state=live]"))
            .await?;
        c.execute("window.__noReload = 'still here';", vec![])
            .await?;
        let queue_window = c.window().await?;

        // Window 2: take the call with the keyboard only.
        let intake = c.new_window(true).await?.handle;
        c.switch_to_window(intake.clone()).await?;
        c.goto(&format!("{base}/incidents/new")).await?;
        let name = c.wait().for_element(Locator::Css("#reporter_name")).await?;
        let focused = c
            .execute("return document.activeElement.id;", vec![])
            .await?;
        assert_eq!(focused, serde_json::json!("reporter_name"), "autofocus");
        name.send_keys("Ana Diaz").await?;
        // Tab through ZIP, the lookup button, phone, relationship to the category.
        let phone = c.find(Locator::Css("#reporter_phone")).await?;
        phone.send_keys("9195550101").await?;
        c.find(Locator::Css("#category"))
            .await?
            .send_keys("Polling place closed")
            .await?;
        c.find(Locator::Css("#county"))
            .await?
            .send_keys("WAKE")
            .await?;
        c.find(Locator::Css("#polling_place"))
            .await?
            .send_keys("Oak Grove School")
            .await?;
        let description = c.find(Locator::Css("#description")).await?;
        description
            .send_keys("Doors locked at 7, voters leaving")
            .await?;
        // Ctrl+Enter saves.
        description
            .send_keys(&format!("{}{}{}", Key::Control, Key::Enter, Key::Control))
            .await?;
        let saved = c.wait().for_element(Locator::Css("#created")).await?;
        let text = saved.text().await?;
        assert!(text.contains("saved"), "{text}");
        let link = saved.find(Locator::Css("a")).await?;
        let href = link.attr("href").await?.expect("incident link");
        let id: i64 = href.trim_start_matches("/incidents/").parse().expect("id");
        let focused = c
            .execute("return document.activeElement.id;", vec![])
            .await?;
        assert_eq!(
            focused,
            serde_json::json!("reporter_name"),
            "ready for the next call"
        );

        // Window 1: the incident is there, without a reload, routed to the lead lawyer.
        c.switch_to_window(queue_window.clone()).await?;
        let row = c
            .wait()
            .for_element(Locator::Css(&format!("#incident-{id}")))
            .await?;
        let row_text = row.text().await?;
        assert!(row_text.contains("polling_place_closed"), "{row_text}");
        assert!(
            row_text.contains("lena"),
            "routed to the lead lawyer: {row_text}"
        );
        assert!(row_text.contains("critical"), "{row_text}");
        let marker = c.execute("return window.__noReload;", vec![]).await?;
        assert_eq!(marker, serde_json::json!("still here"), "no reload");

        // Resolve it on its page (in the intake window), then watch it leave the queue.
        c.switch_to_window(intake).await?;
        c.goto(&format!("{base}/incidents/{id}")).await?;
        c.wait().for_element(Locator::Css("#do-resolve")).await?;
        c.find(Locator::Css("#resolution"))
            .await?
            .send_keys("fixed_on_site")
            .await?;
        c.find(Locator::Css("#resolve-note"))
            .await?
            .send_keys("Board sent a key holder")
            .await?;
        c.find(Locator::Css("#do-resolve")).await?.click().await?;
        // The reopen form exists only once the page after the resolution has loaded.
        c.wait().for_element(Locator::Css("#do-reopen")).await?;
        let status_text = c.find(Locator::Css("#status")).await?.text().await?;
        assert!(status_text.starts_with("resolved"), "{status_text}");
        let timeline = c.find(Locator::Css("#timeline")).await?.text().await?;
        assert!(timeline.contains("Board sent a key holder"), "{timeline}");
        assert!(timeline.contains("cora"), "{timeline}");

        c.switch_to_window(queue_window).await?;
        let gone = c
            .wait()
            .for_element(Locator::XPath(&format!(
                "//tbody[not(tr[@id='incident-{id}'])]"
            )))
            .await;
        assert!(gone.is_ok(), "resolved incident leaves the live queue");
        let marker = c.execute("return window.__noReload;", vec![]).await?;
        assert_eq!(marker, serde_json::json!("still here"), "still no reload");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("browser steps");
}
