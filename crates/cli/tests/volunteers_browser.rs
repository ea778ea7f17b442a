//! Real-browser test (headless Chromium through chromedriver, phone-sized window) of the
//! double opt-in: a volunteer signs up on the Spanish form, the campaign invites her
//! from the project page, the invitation is delivered to a real local SMTP server
//! (aiosmtpd), she follows the link in the delivered email and says yes, the campaign
//! accepts, and both see the accepted state.

mod common;

use common::{Backend, SmtpServer, link_in, mail_text};
use fantoccini::Locator;

const PROJECTS: &str = "id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats,issues\n\
p1,Dems of Dane County,Data pipeline,WI,53703,no,python:2,data_engineering:1,10,2,climate\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_invite_accept_in_chromium() {
    let b = Backend::sqlite();
    std::fs::write(b.path("projects.csv"), PROJECTS).unwrap();
    b.cmd(&["projects", "import", "projects.csv"])
        .assert()
        .success();
    b.cmd(&["user", "add", "ola", "--role", "organizer"])
        .write_stdin("browser test pw 1\n")
        .assert()
        .success();
    let Some(smtp) = SmtpServer::start(&b.path("maildir")) else {
        return;
    };
    let port = common::free_port();
    let public = format!("http://127.0.0.1:{port}");
    let server = common::serve_on(&b, port, &[("VOTEBASE_PUBLIC_URL", public.as_str())]);
    let Some((c, _driver)) = common::browser(true).await else {
        return;
    };
    let base = server.base.clone();
    let deliver = || {
        let out = b
            .cmd(&[
                "volunteers",
                "send-email",
                "--smtp",
                &format!("127.0.0.1:{}", smtp.port),
                "--from",
                "Dems of Dane County <team@example.org>",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    let result = async {
        // The volunteer signs up on the Spanish form.
        c.goto(&format!("{base}/volunteer/signup?lang=es")).await?;
        c.wait().for_element(Locator::Css("#first_name")).await?;
        let lang = c
            .execute("return document.documentElement.lang;", vec![])
            .await?;
        assert_eq!(lang, serde_json::json!("es"));
        for (field, text) in [
            ("#first_name", "Rosa"),
            ("#last_name", "Díaz"),
            ("#email", "rosa@example.org"),
            ("#zip", "53703"),
            ("#home_state", "WI"),
            ("#hours_per_week", "6"),
        ] {
            c.find(Locator::Css(field)).await?.send_keys(text).await?;
        }
        c.find(Locator::Css("#skill-python"))
            .await?
            .select_by_value("3")
            .await?;
        c.find(Locator::Css("#consent_email"))
            .await?
            .click()
            .await?;
        c.find(Locator::Css("#submit")).await?.click().await?;
        let thanks = c.wait().for_element(Locator::Css("#signed-up")).await?;
        assert!(thanks.text().await?.contains("Gracias"));

        // The campaign finds her among the candidates, explained, and invites her.
        common::browser_sign_in(&c, &base, "ola", "browser test pw 1").await?;
        c.goto(&format!("{base}/projects/p1")).await?;
        let row = c
            .wait()
            .for_element(Locator::Css("#candidates tbody tr"))
            .await?;
        let text = row.text().await?;
        assert!(text.contains("Rosa Díaz"), "{text}");
        assert!(
            text.contains("matches 1/1 required skills (python 3 ≥ 2)"),
            "{text}"
        );
        row.find(Locator::Css("button[id^=invite-]"))
            .await?
            .click()
            .await?;
        let notice = c.wait().for_element(Locator::Css("#notice")).await?;
        assert!(notice.text().await?.starts_with("Invited"));
        let state = c
            .find(Locator::Css("#candidates tbody tr .state"))
            .await?
            .text()
            .await?;
        assert_eq!(state, "invited");

        // The invitation leaves through the SMTP server; she follows its link.
        let out = deliver();
        assert!(
            out.contains("2 sent"),
            "the welcome and the invitation: {out}"
        );
        let invitation = smtp
            .messages()
            .iter()
            .map(|m| mail_text(m))
            .find(|m| m.starts_with("To: rosa@example.org") && m.contains("Data pipeline"))
            .expect("the invitation was delivered");
        let link = link_in(&invitation, &format!("{public}/volunteer/matches?"))
            .expect("a matches link in the email");
        assert!(link_in(&invitation, &format!("{public}/volunteer/unsubscribe?")).is_some());
        c.goto(&link).await?;
        let yes = c
            .wait()
            .for_element(Locator::Css("button[id=yes-p1]"))
            .await?;
        yes.click().await?;
        let notice = c.wait().for_element(Locator::Css("#notice")).await?;
        assert!(notice.text().await?.starts_with("Thank you"));
        let state = c
            .find(Locator::Css("#match-p1 .state"))
            .await?
            .text()
            .await?;
        assert!(state.starts_with("You said yes"), "{state}");

        // The campaign sees the yes and accepts.
        c.goto(&format!("{base}/projects/p1")).await?;
        let accept = c
            .wait()
            .for_element(Locator::Css("button[id^=accept-]"))
            .await?;
        accept.click().await?;
        let notice = c.wait().for_element(Locator::Css("#notice")).await?;
        assert_eq!(notice.text().await?, "Accepted.");
        let state = c
            .find(Locator::Css("#candidates tbody tr .state"))
            .await?
            .text()
            .await?;
        assert_eq!(state, "accepted");

        // She sees it too.
        c.goto(&link).await?;
        let state = c
            .wait()
            .for_element(Locator::Css("#match-p1 .state"))
            .await?
            .text()
            .await?;
        assert!(state.starts_with("Accepted"), "{state}");
        assert!(
            c.find(Locator::Css("button[id=yes-p1]")).await.is_err(),
            "no more answering"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    c.close().await.ok();
    result.expect("browser steps");
}
