//! Real-browser test (headless Chromium through chromedriver) of the disinformation
//! watch: a coordinator keeps `/disinfo` open while a monitoring export arrives through
//! the API; the planted rumour's alert appears without a reload. A member of the public
//! sends a tip in Spanish with a screenshot through `/tip`. The coordinator opens the
//! narrative (volume chart, known claim with its counter-messages, the tip among its
//! items) and triages, assigns and responds to it with the page's forms.

mod common;

use common::Backend;
use fantoccini::Locator;
use votebase_narrative::synth::{CLAIMS, StreamSpec, stream};

const PW: &str = "browser test pw 1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_alert_tip_and_response_in_chromium() {
    let b = Backend::sqlite();
    b.cmd(&["user", "add", "cora", "--role", "coordinator"])
        .write_stdin(format!("{PW}\n"))
        .assert()
        .success();
    let token = String::from_utf8(
        b.cmd(&["token", "create", "cora"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap()
    .trim()
    .to_string();
    let claims = b.path("claims.csv");
    let mut w = csv::Writer::from_path(&claims).unwrap();
    w.write_record([
        "key",
        "verdict",
        "claim_en",
        "claim_es",
        "counter_en",
        "counter_es",
        "source",
    ])
    .unwrap();
    for c in CLAIMS {
        w.write_record([
            c.key,
            c.verdict,
            c.claim_en,
            c.claim_es,
            c.counter_en,
            c.counter_es,
            c.source,
        ])
        .unwrap();
    }
    w.flush().unwrap();
    b.cmd(&["disinfo", "claims", "import", claims.to_str().unwrap()])
        .assert()
        .success();
    let screenshot = b.path("shot.png");
    std::fs::write(
        &screenshot,
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0",
    )
    .unwrap();
    let server = common::serve(&b);
    let Some((c, _driver)) = common::browser(true).await else {
        return;
    };
    let base = server.base.clone();

    let result = async {
        common::browser_sign_in(&c, &base, "cora", PW).await?;
        c.goto(&format!("{base}/disinfo")).await?;
        c.wait()
            .for_element(Locator::Css("#live[data-state=live]"))
            .await?;
        c.execute("window.__noReload = 'still here';", vec![])
            .await?;
        let none = c.find(Locator::Css("#no-alerts")).await?.text().await?;
        assert!(none.contains("No alert"), "{none}");

        // The monitoring export arrives through the API while the page is open.
        let posts: Vec<serde_json::Value> = stream(&StreamSpec::election_day(2, 1_000))
            .into_iter()
            .map(|p| {
                serde_json::json!({"id": p.id, "text": p.text, "url": p.url, "platform": p.platform,
                    "author": p.author, "posted_at": p.posted_at.to_rfc3339()})
            })
            .collect();
        let url = format!("{base}/api/v1/disinfo/items");
        let bearer = format!("Bearer {token}");
        let status = tokio::task::spawn_blocking(move || {
            common::http()
                .post(&url)
                .header("Authorization", &bearer)
                .header("Content-Type", "application/json")
                .send(serde_json::Value::Array(posts).to_string().as_bytes())
                .expect("import")
                .status()
                .as_u16()
        })
        .await
        .expect("import thread");
        assert_eq!(status, 201);

        // The alert appears without a reload.
        let alert = c
            .wait()
            .for_element(Locator::Css("#alerts li.fresh a"))
            .await?;
        let href = alert.attr("href").await?.expect("narrative link");
        let marker = c.execute("return window.__noReload;", vec![]).await?;
        assert_eq!(marker, serde_json::json!("still here"), "no reload");
        assert!(c.find(Locator::Css("#no-alerts")).await.is_err());

        // A tip from the public, in Spanish, with a screenshot.
        c.goto(&format!("{base}/tip")).await?;
        c.find(Locator::Css("#other-lang")).await?.click().await?;
        c.wait().for_element(Locator::Css("div[lang=es]")).await?;
        c.find(Locator::Css("#text"))
            .await?
            .send_keys("Dicen que las casillas se movieron a otro lugar hoy")
            .await?;
        c.find(Locator::Css("#screenshot"))
            .await?
            .send_keys(screenshot.to_str().unwrap())
            .await?;
        c.find(Locator::Css("#send")).await?.click().await?;
        let received = c.wait().for_element(Locator::Css("#received")).await?;
        assert!(received.text().await?.contains("Gracias"));

        // The narrative: chart, claim, the tip among its items; the response forms.
        c.goto(&format!("{base}{href}")).await?;
        c.wait()
            .for_element(Locator::Css("#volume-chart polyline"))
            .await?;
        let claim = c.find(Locator::Css("#claim")).await?.text().await?;
        assert!(claim.contains("polls-moved"), "{claim}");
        assert!(claim.contains("Las casillas no se movieron"), "{claim}");
        let tip = c.find(Locator::Css("#items tr.source-tip")).await?;
        let tip_text = tip.text().await?;
        assert!(tip_text.contains("se movieron a otro lugar"), "{tip_text}");
        assert!(tip_text.contains("screenshot"), "{tip_text}");

        c.find(Locator::Css("#triage")).await?.click().await?;
        c.wait()
            .for_element(Locator::XPath("//dd[@id='status' and text()='triaged']"))
            .await?;
        c.find(Locator::Css("#assign")).await?.click().await?;
        c.wait()
            .for_element(Locator::XPath("//dd[@id='assigned' and text()='cora']"))
            .await?;
        c.find(Locator::Css("#kind"))
            .await?
            .send_keys("platform report filed")
            .await?;
        c.find(Locator::Css("#respond-text"))
            .await?
            .send_keys("reported 40 posts to the platform")
            .await?;
        c.find(Locator::Css("#respond")).await?.click().await?;
        c.wait()
            .for_element(Locator::XPath("//dd[@id='status' and text()='responding']"))
            .await?;
        let timeline = c.find(Locator::Css("#timeline")).await?.text().await?;
        assert!(timeline.contains("platform_report"), "{timeline}");
        assert!(timeline.contains("reported 40 posts"), "{timeline}");
        assert!(timeline.contains("alert"), "{timeline}");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("browser steps");
}
