//! End-to-end tests of the disinformation watch on both stores, through the binary: the
//! claim catalogue, `disinfo import` of a generated stream (EN + ES paraphrases of
//! election-day rumours planted in chatter, as CSV and JSON lines) — the planted
//! narrative clusters together, links its claim, alerts exactly once while chatter raises
//! none; re-import changes nothing; a bad file is rejected whole with its line numbers;
//! hotline `misinformation` incidents join their narrative; `narratives`, `items`,
//! `alerts`, `act` and `eval`; alert emails to subscribers through the outbox and a real
//! SMTP server (once per spike), and the county named on an election day (once per day).

mod common;

use common::{Backend, SmtpServer, add_user, fails, mail_text, ok};
use std::collections::HashMap;
use votebase_narrative::synth::{CLAIMS, StreamSpec, stream};
use votebase_narrative::{Lang, Prepared};

fn stdout(b: &Backend, args: &[&str]) -> String {
    String::from_utf8(b.cmd(args).assert().success().get_output().stdout.clone()).unwrap()
}

fn write_claims(b: &Backend) -> std::path::PathBuf {
    let path = b.path("claims.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
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
    path
}

/// The stream as a CSV file; returns the labels by post id.
fn write_posts(
    b: &Backend,
    name: &str,
    seed: u64,
    chatter: usize,
) -> (std::path::PathBuf, HashMap<String, Option<&'static str>>) {
    let path = b.path(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record([
        "id",
        "text",
        "url",
        "platform",
        "author",
        "posted_at",
        "reach",
    ])
    .unwrap();
    let mut labels = HashMap::new();
    for p in stream(&StreamSpec::election_day(seed, chatter)) {
        w.write_record([
            p.id.as_str(),
            p.text.as_str(),
            p.url.as_str(),
            p.platform,
            p.author.as_str(),
            &p.posted_at.to_rfc3339(),
            "",
        ])
        .unwrap();
        labels.insert(p.id, p.label);
    }
    w.flush().unwrap();
    (path, labels)
}

fn items(b: &Backend) -> Vec<(String, i64, String)> {
    let out = stdout(b, &["disinfo", "items", "--format", "csv"]);
    let mut r = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["id", "narrative_id", "source"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[1].parse().unwrap(),
                rec[2].to_string(),
            )
        })
        .collect()
}

#[test]
fn planted_narrative_clusters_links_its_claim_and_alerts_once() {
    for b in Backend::all("disinfo_cli") {
        let claims = write_claims(&b);
        let out = stdout(
            &b,
            &["disinfo", "claims", "import", claims.to_str().unwrap()],
        );
        assert!(out.contains("claims: 5 new, 0 already known"), "{out}");
        let out = stdout(
            &b,
            &["disinfo", "claims", "import", claims.to_str().unwrap()],
        );
        assert!(out.contains("claims: 0 new, 5 already known"), "{out}");

        // A hotline report of the same rumour, filed before the posts arrive.
        let hotline = b.path("hotline.csv");
        std::fs::write(
            &hotline,
            "reported_at,category,county,polling_place,description,reporter_name,reporter_phone\n\
             2026-11-03T07:30:00Z,misinformation,WAKE,Oak Grove School,the polling place has moved to a new location,Ana Diaz,919-555-2101\n",
        )
        .unwrap();
        b.cmd(&["incidents", "import", hotline.to_str().unwrap()])
            .assert()
            .success();

        let (posts, labels) = write_posts(&b, "posts.csv", 1, 2_000);
        let out = stdout(&b, &["disinfo", "import", posts.to_str().unwrap()]);
        assert!(
            out.contains(&format!("{} new items", labels.len())),
            "{out}"
        );
        assert!(out.contains("1 hotline reports linked"), "{out}");

        // The planted narrative: most "polls moved" posts (EN and ES) in one narrative.
        let rows = items(&b);
        assert_eq!(rows.len(), labels.len() + 1);
        let mut counts: HashMap<i64, usize> = HashMap::new();
        for (id, n, _) in &rows {
            if labels.get(id).copied().flatten() == Some("polls-moved") {
                *counts.entry(*n).or_default() += 1;
            }
        }
        let (&planted, &size) = counts.iter().max_by_key(|(_, c)| **c).unwrap();
        assert!(size >= 35, "{counts:?}");
        // English and Spanish paraphrases together.
        let texts: HashMap<String, String> = stream(&StreamSpec::election_day(1, 2_000))
            .into_iter()
            .map(|p| (p.id, p.text))
            .collect();
        let planted_texts: Vec<&str> = rows
            .iter()
            .filter(|(id, n, _)| {
                *n == planted && labels.get(id).copied().flatten() == Some("polls-moved")
            })
            .map(|(id, _, _)| texts[id].as_str())
            .collect();
        let mut langs: HashMap<Lang, usize> = HashMap::new();
        for p in Prepared::all(&planted_texts) {
            *langs.entry(p.lang).or_default() += 1;
        }
        assert!(
            langs.get(&Lang::En).copied().unwrap_or(0) >= 5
                && langs.get(&Lang::Es).copied().unwrap_or(0) >= 5,
            "{langs:?}"
        );
        let chatter_in_planted = rows
            .iter()
            .filter(|(id, n, _)| *n == planted && labels.get(id).is_some_and(|l| l.is_none()))
            .count();
        assert!(chatter_in_planted <= 2, "{chatter_in_planted}");
        // The hotline report joined it.
        let hot = rows.iter().find(|(_, _, s)| s == "hotline").unwrap();
        assert_eq!(hot.1, planted, "{hot:?}");

        // Exactly one alert, naming the planted narrative.
        let out = stdout(&b, &["disinfo", "alerts"]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.last(), Some(&"alerts: 1"), "{out}");
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].starts_with(&format!("narrative {planted} ")),
            "{out}"
        );

        // Its claim, in the narratives CSV.
        let out = stdout(&b, &["disinfo", "narratives", "--format", "csv"]);
        let mut r = csv::Reader::from_reader(out.as_bytes());
        let row = r
            .records()
            .map(|r| r.unwrap())
            .find(|r| r[0] == planted.to_string())
            .unwrap();
        assert_eq!(&row[4], "polls-moved", "{out}");
        assert!(
            row[3].parse::<i64>().unwrap() >= 30,
            "peak per hour {}",
            &row[3]
        );
        let since = stdout(
            &b,
            &["disinfo", "narratives", "--since", "2100-01-01T00:00:00Z"],
        );
        assert!(since.trim_end().ends_with("narratives: 0"), "{since}");

        // Re-import: nothing changes, no new alert.
        let out = stdout(&b, &["disinfo", "import", posts.to_str().unwrap()]);
        assert!(
            out.contains(&format!("0 new items, {} already known", labels.len())),
            "{out}"
        );
        assert_eq!(items(&b), rows);
        assert!(stdout(&b, &["disinfo", "alerts"]).ends_with("alerts: 1\n"));

        // A bad file is refused whole, with line numbers.
        let bad = b.path("bad.csv");
        std::fs::write(
            &bad,
            "id,text,url,platform,author,posted_at\n\
             new-1,polls moved to the library,,x,a,2026-11-03T10:00:00Z\n\
             new-2,vote by text,,x,a,yesterday\n",
        )
        .unwrap();
        let err = b
            .cmd(&["disinfo", "import", bad.to_str().unwrap()])
            .assert()
            .failure();
        let stderr = String::from_utf8(err.get_output().stderr.clone()).unwrap();
        assert!(
            stderr.contains("line 3") && stderr.contains("RFC 3339"),
            "{stderr}"
        );
        assert_eq!(items(&b).len(), rows.len());

        // JSON lines.
        let jsonl = b.path("more.jsonl");
        std::fs::write(
            &jsonl,
            "{\"id\":\"j1\",\"text\":\"Las casillas se cambiaron de lugar hoy\",\"url\":\"\",\"platform\":\"whatsapp\",\"author\":\"x\",\"posted_at\":\"2026-11-03T12:00:00Z\"}\n",
        )
        .unwrap();
        let out = stdout(&b, &["disinfo", "import", jsonl.to_str().unwrap()]);
        assert!(out.contains("1 new items"), "{out}");

        // The workflow.
        let id = planted.to_string();
        let err = b
            .cmd(&["disinfo", "act", &id, "respond", "counter_message"])
            .assert()
            .failure();
        assert!(String::from_utf8_lossy(&err.get_output().stderr).contains("triage"));
        stdout(&b, &["disinfo", "act", &id, "triage"]);
        let out = stdout(&b, &["disinfo", "act", &id, "assign", "ana"]);
        assert!(out.contains("assigned (assigned to ana)"), "{out}");
        let out = stdout(
            &b,
            &[
                "disinfo",
                "act",
                &id,
                "respond",
                "counter_message",
                "posted on X",
            ],
        );
        assert!(out.contains("is responding"), "{out}");
    }
}

#[test]
fn eval_reports_purity_recall_and_one_alert() {
    for b in Backend::all("disinfo_eval") {
        let out = stdout(&b, &["disinfo", "eval", "--chatter", "1500", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["scores"]["purity"].as_f64().unwrap() >= 0.9, "{v}");
        assert!(v["scores"]["recall"].as_f64().unwrap() >= 0.55, "{v}");
        let alerts = v["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 1, "{v}");
        assert_eq!(alerts[0][1], "polls-moved", "{v}");
        let (right, linked) = (
            v["claim_links"][0].as_u64().unwrap(),
            v["claim_links"][1].as_u64().unwrap(),
        );
        assert!(linked >= 50 && right * 10 >= linked * 9, "{v}");
    }
}

/// The planted narrative's id, from the first line of `disinfo alerts`.
fn alerted_narratives(b: &Backend) -> Vec<(i64, String)> {
    stdout(b, &["disinfo", "alerts"])
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("narrative ")?;
            let (id, rest) = rest.split_once(' ')?;
            Some((id.parse().ok()?, rest.to_string()))
        })
        .collect()
}

/// Delivers the outbox to the SMTP server; returns the command's summary line.
fn send_email(b: &Backend, smtp: &SmtpServer) -> String {
    stdout(
        b,
        &[
            "volunteers",
            "send-email",
            "--smtp",
            &format!("127.0.0.1:{}", smtp.port),
            "--from",
            "Disinformation watch <watch@example.org>",
        ],
    )
}

/// The message to `who`, decoded (headers' folding undone), or a panic listing them all.
fn mail_to(mails: &[String], who: &str) -> String {
    let m = mails
        .iter()
        .find(|m| m.contains(&format!("To: {who}")))
        .unwrap_or_else(|| panic!("no mail to {who}: {mails:?}"));
    let subject = m
        .replace("\r\n ", " ")
        .replace("\n ", " ")
        .lines()
        .find(|l| l.starts_with("Subject: "))
        .unwrap_or("")
        .to_string();
    format!("{subject}\n{}", mail_text(m))
}

#[test]
fn spike_alerts_are_emailed_to_each_subscriber_once() {
    for b in Backend::all("disinfo_mail") {
        add_user(&b, "ana", "coordinator");
        add_user(&b, "ben", "lawyer");
        add_user(&b, "vic", "volunteer");
        let out = ok(
            &b,
            &["disinfo", "subscribe", "ana", "--email", "ana@example.org"],
        );
        assert!(
            out.contains("ana: alert emails to ana@example.org"),
            "{out}"
        );
        ok(
            &b,
            &["disinfo", "subscribe", "ben", "--email", "ben@example.org"],
        );
        let err = fails(
            &b,
            &["disinfo", "subscribe", "vic", "--email", "vic@example.org"],
        );
        assert!(
            err.contains("cannot read the disinformation watch"),
            "{err}"
        );
        let err = fails(
            &b,
            &["disinfo", "subscribe", "ana", "--email", "ana at home"],
        );
        assert!(err.contains("is not an email address"), "{err}");
        let err = fails(
            &b,
            &["disinfo", "subscribe", "nobody", "--email", "n@example.org"],
        );
        assert!(err.contains("no user \"nobody\""), "{err}");
        let subs = ok(&b, &["disinfo", "subscriptions"]);
        assert!(subs.ends_with("subscriptions: 2\n"), "{subs}");

        let claims = write_claims(&b);
        ok(
            &b,
            &["disinfo", "claims", "import", claims.to_str().unwrap()],
        );
        let (posts, _) = write_posts(&b, "posts.csv", 3, 800);
        let public = ["--public-url", "https://vb.example.org"];
        let out = ok(
            &b,
            &[&["disinfo", "import", posts.to_str().unwrap()][..], &public].concat(),
        );
        assert!(out.contains("alert: narrative "), "{out}");
        let alerted = alerted_narratives(&b);
        assert_eq!(alerted.len(), 1, "{alerted:?}");
        let (planted, _) = alerted[0].clone();

        let smtp = SmtpServer::start(&b.path("maildir"));
        let Some(smtp) = smtp else { continue };
        let out = send_email(&b, &smtp);
        assert!(out.contains("2 sent, 0 failed"), "{out}");
        let mails = smtp.messages();
        assert_eq!(mails.len(), 2, "one per subscriber: {mails:?}");
        let polls = CLAIMS.iter().find(|c| c.key == "polls-moved").unwrap();
        for who in ["ana", "ben"] {
            let m = mail_to(&mails, &format!("{who}@example.org"));
            for want in [
                format!("Subject: Disinformation alert: narrative {planted} spiked to "),
                format!("Hello {who},"),
                "items in all".to_string(),
                "Known claim polls-moved (false)".to_string(),
                format!("Counter-message: {}", polls.counter_en),
                format!("The narrative: https://vb.example.org/disinfo/narratives/{planted}"),
                "The watch: https://vb.example.org/disinfo".to_string(),
            ] {
                assert!(m.contains(&want), "{want:?} in {m}");
            }
        }

        // The same spike again: no new alert, nothing queued, nothing sent.
        let out = ok(
            &b,
            &[&["disinfo", "import", posts.to_str().unwrap()][..], &public].concat(),
        );
        assert!(out.contains("0 new items"), "{out}");
        assert!(!out.contains("alert:"), "{out}");
        assert_eq!(alerted_narratives(&b).len(), 1);
        let out = send_email(&b, &smtp);
        assert!(out.contains("0 sent, 0 failed"), "{out}");
        assert_eq!(smtp.messages().len(), 2);

        let out = ok(&b, &["disinfo", "unsubscribe", "ben"]);
        assert!(out.contains("ben: no more alert emails"), "{out}");
        let subs = ok(&b, &["disinfo", "subscriptions"]);
        assert!(subs.ends_with("subscriptions: 1\n"), "{subs}");
    }
}

#[test]
fn a_county_named_on_election_day_alerts_once_per_day_by_email_too() {
    let nc = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
    for b in Backend::all("disinfo_day") {
        b.cmd(&[
            "import",
            "voters",
            nc.to_str().unwrap(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();
        add_user(&b, "ana", "coordinator");
        ok(
            &b,
            &["disinfo", "subscribe", "ana", "--email", "ana@example.org"],
        );
        let err = fails(
            &b,
            &[
                "disinfo",
                "election-day",
                "2026-11-03",
                "--utc-offset",
                "EST",
            ],
        );
        assert!(err.contains("not an offset from UTC"), "{err}");
        let out = ok(
            &b,
            &[
                "disinfo",
                "election-day",
                "2026-11-03",
                "--utc-offset",
                "-05:00",
            ],
        );
        assert!(out.contains("election day 2026-11-03 (UTC-05:00)"), "{out}");
        let out = ok(&b, &["disinfo", "election-day"]);
        assert!(
            out.contains("2026-11-03 UTC-05:00") && out.ends_with("election days: 1\n"),
            "{out}"
        );

        // Two posts naming the county on election day (far below the spike test), one
        // naming it the day before, one naming no county on election day.
        let posts = b.path("day.csv");
        std::fs::write(
            &posts,
            "id,text,url,platform,author,posted_at\n\
             ed-1,\"Jonesport County: the polls close at noon today, do not bother going after lunch\",,x,a1,2026-11-03T15:00:00Z\n\
             ed-2,\"RT Jonesport County: the polls close at noon today, do not bother going after lunch\",,facebook,a2,2026-11-03T16:00:00Z\n\
             fair-1,\"Jonesport County fair opens next week with rides, pies and a tractor parade\",,x,a3,2026-11-02T15:00:00Z\n\
             other-1,\"Lovely weather for the marching band rehearsal downtown this afternoon\",,x,a4,2026-11-03T15:30:00Z\n",
        )
        .unwrap();
        let out = ok(&b, &["disinfo", "import", posts.to_str().unwrap()]);
        assert!(out.contains("4 new items"), "{out}");
        let alerted = alerted_narratives(&b);
        assert_eq!(alerted.len(), 1, "{alerted:?}");
        let (narrative, line) = &alerted[0];
        assert!(
            line.starts_with("[election_day_county]: names JONESPORT on election day (2 items that day from 2026-11-03 05:00Z)"),
            "{line}"
        );
        let items = items(&b);
        let of = |id: &str| items.iter().find(|(i, _, _)| i == id).unwrap().1;
        assert_eq!((of("ed-1"), of("ed-2")), (*narrative, *narrative));

        // Later that day, more of it: still one alert for the day.
        std::fs::write(
            &posts,
            "id,text,url,platform,author,posted_at\n\
             ed-3,\"Jonesport County: the polls close at noon today, do not bother going after lunch!\",,x,a5,2026-11-04T01:00:00Z\n",
        )
        .unwrap();
        let out = ok(&b, &["disinfo", "import", posts.to_str().unwrap()]);
        assert!(
            out.contains("1 new items") && !out.contains("alert:"),
            "{out}"
        );
        assert_eq!(alerted_narratives(&b).len(), 1);

        if let Some(smtp) = SmtpServer::start(&b.path("maildir")) {
            let out = send_email(&b, &smtp);
            assert!(out.contains("1 sent, 0 failed"), "{out}");
            let m = mail_to(&smtp.messages(), "ana@example.org");
            assert!(
                m.contains(&format!(
                    "Subject: Disinformation alert: narrative {narrative} names JONESPORT on election day"
                )),
                "{m}"
            );
            assert!(m.contains("the polls close at noon"), "{m}");
            assert!(
                m.contains("The watch: /disinfo"),
                "no public URL: paths: {m}"
            );
        }

        // Removing the day stops further election-day alerts.
        let out = ok(&b, &["disinfo", "election-day", "2026-11-03", "--remove"]);
        assert!(out.contains("removed"), "{out}");
        assert!(ok(&b, &["disinfo", "election-day"]).ends_with("election days: 0\n"));
    }
}
