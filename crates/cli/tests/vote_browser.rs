//! Real-browser test (headless Chromium driven through chromedriver, at a phone-sized
//! window) of the public "Where do I vote?" pages on the real Alamance County feed: type an
//! address, submit, see the polling place, switch to Spanish, and follow a did-you-mean
//! suggestion; everything works without JavaScript (it is disabled in the browser).
//! Chromium comes from Debian's `chromium` and `chromium-driver` packages (installed by
//! `.ci/run`); without them the test is skipped locally and fails when `CI` is set.

mod common;

use common::{Backend, shared};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_a_polling_place_on_a_phone_in_english_and_spanish() {
    let b = Backend::sqlite();
    let feed = shared("vip/csv-3.0-nc-alamance");
    b.cmd(&["import", "vip", feed.to_str().unwrap(), "--force"])
        .assert()
        .success();

    let server = common::serve_with(&b, &[("VOTEBASE_LOOKUP_PER_MINUTE", "0")]);
    let Some((c, _driver)) = common::browser(false).await else {
        return;
    };
    let base = server.base.clone();

    let result = async {
        // The form, in English: type an address and submit with the keyboard's Enter.
        c.goto(&format!("{base}/vote?lang=en")).await?;
        let label = c
            .find(Locator::Css("label[for=address]"))
            .await?
            .text()
            .await?;
        assert_eq!(label, "Your home address");
        let input = c.find(Locator::Css("#address")).await?;
        input.send_keys("1800 Lambert Rd, Graham, NC 27253").await?;
        c.find(Locator::Css("#lookup-form button[type=submit]"))
            .await?
            .click()
            .await?;
        let heading = c
            .wait()
            .for_element(Locator::Css("#polling-heading"))
            .await?
            .text()
            .await?;
        assert_eq!(heading, "Your polling place on election day");
        let place = c
            .find(Locator::Css("#polling-place .place h3"))
            .await?
            .text()
            .await?;
        assert_eq!(place, "SALEM UNITED METHODIST CHURCH");
        let section = c.find(Locator::Css("#polling-place")).await?.text().await?;
        assert!(section.contains("4924 SALEM CHURCH RD"), "{section}");
        assert!(section.contains("May 8, 2012"), "{section}");
        let early = c.find(Locator::Css("#early-vote")).await?.text().await?;
        assert!(early.contains("622 CORREGIDOR RD"), "{early}");
        assert!(c.current_url().await?.as_str().contains("/vote/where?"));

        // The page fits a phone: nothing sticks out of the window sideways, not even
        // the long shareable link.
        let page_width = c.find(Locator::Css("html")).await?.rectangle().await?.2;
        assert!(page_width <= 500.0, "the window is {page_width}px wide");
        for css in ["main", "#share-link", "#address", "#calendar"] {
            let (x, _, w, _) = c.find(Locator::Css(css)).await?.rectangle().await?;
            assert!(
                x >= 0.0 && x + w <= page_width + 0.5,
                "{css} overflows: {x}+{w} > {page_width}"
            );
        }

        // Switch to Spanish: same answer, Spanish words, lang="es".
        c.find(Locator::Css("#lang-es")).await?.click().await?;
        let heading = c
            .wait()
            .for_element(Locator::Css("#polling-heading"))
            .await?
            .text()
            .await?;
        assert_eq!(heading, "Su lugar de votación el día de la elección");
        let place = c
            .find(Locator::Css("#polling-place .place h3"))
            .await?
            .text()
            .await?;
        assert_eq!(place, "SALEM UNITED METHODIST CHURCH");
        let lang = c
            .find(Locator::Css("html"))
            .await?
            .attr("lang")
            .await?
            .unwrap_or_default();
        assert_eq!(lang, "es");
        let election = c.find(Locator::Css("#election")).await?.text().await?;
        assert!(election.contains("8 de mayo de 2012"), "{election}");

        // A typo in Spanish: pick the suggestion.
        let again = c.find(Locator::Css("#address")).await?;
        again.clear().await?;
        again.send_keys("1800 Lambret Rd, Graham, NC 27253").await?;
        c.find(Locator::Css("#lookup-form button[type=submit]"))
            .await?
            .click()
            .await?;
        let h1 = c
            .wait()
            .for_element(Locator::Css("#choices a"))
            .await?
            .text()
            .await?;
        assert!(h1.contains("LAMBERT RD"), "{h1}");
        c.find(Locator::Css("#choices a")).await?.click().await?;
        let place = c
            .wait()
            .for_element(Locator::Css("#polling-place .place h3"))
            .await?
            .text()
            .await?;
        assert_eq!(place, "SALEM UNITED METHODIST CHURCH");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("browser steps");
}
