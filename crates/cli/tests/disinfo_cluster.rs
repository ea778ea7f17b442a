//! Two `votebase serve` processes over one PostgreSQL schema, as behind a load balancer:
//! an alert raised by an ingest on server A (a county named on election day) reaches the
//! `/disinfo` live page of server B — and of A — through the store's alert feed, once
//! each; a client of B reconnecting with `Last-Event-ID` gets nothing twice.

mod common;

use common::{Backend, Reply, add_user, http, reply, serve};
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

/// A live-page connection (server-sent events).
struct LivePage(BufReader<std::net::TcpStream>);

impl LivePage {
    fn open(base: &str, token: &str, last_event_id: Option<i64>) -> Self {
        Self(common::open_event_stream(
            base,
            "/disinfo/events",
            token,
            last_event_id,
            Duration::from_secs(30),
        ))
    }

    /// Reads until an `alert` event arrives; returns its id and data.
    fn next_alert(&mut self) -> (i64, serde_json::Value) {
        let start = Instant::now();
        let (mut event, mut id) = (String::new(), None);
        let mut line = String::new();
        loop {
            assert!(
                start.elapsed() < Duration::from_secs(40),
                "no alert reached this live page"
            );
            line.clear();
            let n = self.0.read_line(&mut line).expect("event stream");
            assert!(n > 0, "the live page closed");
            let l = line.trim_end();
            if let Some(e) = l.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(v) = l.strip_prefix("id: ") {
                id = v.parse().ok();
            } else if let Some(data) = l.strip_prefix("data: ")
                && event == "alert"
            {
                return (
                    id.expect("an alert carries its id"),
                    serde_json::from_str(data).unwrap(),
                );
            }
        }
    }

    /// True when no `alert` event arrives within `wait` (keep-alives and other events
    /// are fine).
    fn quiet_for(&mut self, wait: Duration) -> bool {
        self.0.get_ref().set_read_timeout(Some(wait)).unwrap();
        let mut line = String::new();
        let quiet = loop {
            line.clear();
            match self.0.read_line(&mut line) {
                Ok(0) => break true,
                Ok(_) if line.starts_with("event: alert") => break false,
                Ok(_) => continue,
                Err(_) => break true,
            }
        };
        self.0
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        quiet
    }
}

fn post_items(base: &str, token: &str, items: &serde_json::Value) -> Reply {
    let mut resp = http()
        .post(format!("{base}/api/v1/disinfo/items"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(items.to_string().as_bytes())
        .expect("request");
    reply(&mut resp)
}

#[test]
fn an_alert_raised_on_one_server_reaches_every_servers_live_page() {
    if !common::postgres_available() {
        return;
    }
    let b = Backend::postgres("disinfo_cluster");
    let nc = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
    b.cmd(&[
        "import",
        "voters",
        nc.to_str().unwrap(),
        "--layout",
        "ncvoter",
    ])
    .assert()
    .success();
    b.cmd(&[
        "disinfo",
        "election-day",
        "2026-11-03",
        "--utc-offset",
        "-05:00",
    ])
    .assert()
    .success();
    let coordinator = add_user(&b, "cora", "coordinator");
    let lawyer = add_user(&b, "lena", "lawyer");
    let a = serve(&b);
    let b_server = serve(&b);
    let mut on_b = LivePage::open(&b_server.base, &lawyer, None);
    let mut on_a = LivePage::open(&a.base, &coordinator, None);

    let items = serde_json::json!([
        {"id": "ed-1", "text": "Jonesport County: the polls close at noon today, do not bother going after lunch",
         "url": "", "platform": "x", "author": "a1", "posted_at": "2026-11-03T15:00:00Z"},
        {"id": "ed-2", "text": "RT Jonesport County: the polls close at noon today, do not bother going after lunch",
         "url": "", "platform": "x", "author": "a2", "posted_at": "2026-11-03T16:00:00Z"}
    ]);
    let r = post_items(&a.base, &coordinator, &items);
    assert_eq!(r.status, 201, "{}", r.body);

    let (id, alert) = on_b.next_alert();
    assert_eq!(alert["kind"], "election_day_county", "{alert}");
    assert_eq!(
        alert["counties"],
        serde_json::json!(["JONESPORT"]),
        "{alert}"
    );
    assert_eq!(alert["id"], id);
    assert!(
        alert["text"]
            .as_str()
            .unwrap()
            .starts_with("names JONESPORT on election day"),
        "{alert}"
    );
    let (id_on_a, _) = on_a.next_alert();
    assert_eq!(
        id_on_a, id,
        "the server that raised it shows it once, from the feed"
    );
    assert!(on_a.quiet_for(Duration::from_secs(2)), "not twice on A");
    assert!(on_b.quiet_for(Duration::from_secs(1)), "not twice on B");

    // The same items again, on B this time: no new alert anywhere.
    let r = post_items(&b_server.base, &coordinator, &items);
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(on_a.quiet_for(Duration::from_secs(2)));

    // A client of B that reconnects from the alert's id misses nothing and gets nothing
    // twice; from before it, it gets the alert back.
    let mut again = LivePage::open(&b_server.base, &lawyer, Some(id));
    assert!(again.quiet_for(Duration::from_secs(2)));
    let mut from_zero = LivePage::open(&b_server.base, &lawyer, Some(0));
    assert_eq!(from_zero.next_alert().0, id);
}
