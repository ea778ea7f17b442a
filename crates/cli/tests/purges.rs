//! Purge watch end to end through the `votebase` binary, on both stores: the demo's
//! state written as ncvoter files, two monthly snapshots and three weekly refreshes
//! imported through the NC importer, one of them with a planted Kentucky-style mass
//! inactivation; over many seeds exactly the planted purge is flagged and nothing else,
//! the import of the planted refresh prints the alert (and no other does), the counsel
//! list has the flagged voters, and the thresholds are the organization's own.

mod common;

use common::Backend;
use votebase_demo::{DemoOptions, build_state, write_files, write_purge_refreshes};

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JSON output")
}

/// Imports the seed's files; returns the planted flag id and its voter count.
fn import_seed(b: &Backend, seed: u64, voters: usize) -> (String, usize) {
    let dir = b.path(&format!("files-{seed}"));
    let options = DemoOptions {
        voters,
        seed,
        ..Default::default()
    };
    let state = build_state(&options);
    let files = write_files(&state, &dir).expect("demo files");
    let made = write_purge_refreshes(
        &files.voters_second,
        options.second_as_of,
        &dir.join("refreshes"),
        seed,
        3,
    )
    .expect("refreshes");
    let planted = made.planted.flag_id();
    let mut all = vec![files.voters_first.clone(), files.voters_second.clone()];
    all.extend(made.files.iter().cloned());
    for (k, file) in all.iter().enumerate() {
        let out = b
            .cmd(&[
                "import",
                "voters",
                file.to_str().unwrap(),
                "--layout",
                "ncvoter",
            ])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8_lossy(&out);
        // The alert comes with the planted refresh (the fourth file), and only then.
        assert_eq!(
            text.contains("PURGE ALERT"),
            k == 3,
            "{} seed {seed}, file {k}: {text}",
            b.name
        );
        if k == 3 {
            assert!(text.contains(&planted), "{} seed {seed}: {text}", b.name);
        }
    }
    (planted, made.planted.voters)
}

fn exactly_the_planted_purge_is_flagged(b: &Backend, seed: u64) {
    let (planted, planted_voters) = import_seed(b, seed, 8000);
    let out = b
        .cmd(&["purges", "report", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let ids: Vec<&str> = report["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [planted.as_str()], "{} seed {seed}", b.name);
    assert_eq!(report["pairs"].as_array().unwrap().len(), 4);
    let moved = report["flags"][0]["moved"].as_i64().unwrap() as usize;
    // The planted voters, plus at most a few of the week's normal churn in that county.
    assert!(
        moved >= planted_voters && moved <= planted_voters + 20,
        "{} seed {seed}: moved {moved}, planted {planted_voters}",
        b.name
    );
    let text = b
        .cmd(&["purges", "report"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&text);
    assert!(text.ends_with("flagged: 1\n"), "{text}");
    assert!(text.starts_with(&format!("{planted}  ")), "{text}");
}

#[test]
fn over_many_seeds_exactly_the_planted_purge_is_flagged_on_both_stores() {
    for seed in [1, 2, 3, 4, 5, 6] {
        exactly_the_planted_purge_is_flagged(&Backend::sqlite(), seed);
    }
    if common::postgres_available() {
        for seed in [7, 8, 9, 10] {
            exactly_the_planted_purge_is_flagged(&Backend::postgres("purge"), seed);
        }
    }
}

#[test]
fn the_counsel_list_thresholds_and_filters_on_both_stores() {
    for b in Backend::all("purgelist") {
        let (planted, _) = import_seed(&b, 11, 6000);
        let report = json(
            &b.cmd(&["purges", "report", "--format", "json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let flag = &report["flags"][0];
        assert_eq!(flag["id"], planted.as_str(), "{}", b.name);
        let moved = flag["moved"].as_i64().unwrap() as usize;

        // The list, in any case of the county, as CSV: one row per voter moved.
        let lower = planted.to_lowercase();
        let csv = b
            .cmd(&["purges", "list", &lower, "--format", "csv"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let csv = String::from_utf8(csv).unwrap();
        let mut lines = csv.lines();
        assert!(
            lines.next().unwrap().starts_with(
                "state_voter_id,name,address,precinct,status_before,status_after,reason"
            )
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), moved, "{}", b.name);
        assert!(
            rows.iter().all(|r| r.contains(",active,inactive,")),
            "{}",
            b.name
        );
        let listed = json(
            &b.cmd(&["purges", "list", &planted, "--format", "json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        // The refresh after the purge reinstated about a third of them.
        let back = listed["reinstatements"].as_array().unwrap();
        let total = back.last().unwrap()["running_total"].as_i64().unwrap();
        assert!(
            total > 0 && (total as usize) < moved,
            "{}: {total} of {moved}",
            b.name
        );
        let reinstated = listed["voters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["reinstated"] == true)
            .count();
        assert_eq!(reinstated as i64, total, "{}", b.name);
        let later: Vec<&str> = back[1..]
            .iter()
            .map(|r| r["as_of"].as_str().unwrap())
            .collect();
        universe_counts_match_the_lists(&b, &planted, moved, &later, total as usize);

        // Filters: another county has no flag; a later date has none.
        let county = planted.split(':').nth(1).unwrap();
        let out = b
            .cmd(&["purges", "report", "--county", county])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert!(String::from_utf8_lossy(&out).ends_with("flagged: 1\n"));
        let out = b
            .cmd(&["purges", "report", "--since", "2026-10-16"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(String::from_utf8_lossy(&out), "flagged: 0\n");

        // Thresholds are the organization's: a floor of 5,000 voters hides the flag.
        b.cmd(&["purges", "thresholds", "--set", "min_voters=5000"])
            .assert()
            .success();
        let out = b
            .cmd(&["purges", "report"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(String::from_utf8_lossy(&out), "flagged: 0\n", "{}", b.name);
        b.cmd(&["purges", "thresholds", "--set", "fdr=2"])
            .assert()
            .failure()
            .stderr(predicates::str::contains(
                "fdr = 2: must be between 0 and 1",
            ));
        let t = json(
            &b.cmd(&["purges", "thresholds", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert_eq!(t["min_voters"], 5000);
        assert_eq!(t["fdr"], 0.001, "a refused set changes nothing");

        // Malformed ids and unknown dates are one clear line and a failure.
        b.cmd(&["purges", "list", "2026-10-15:X:gone"])
            .assert()
            .failure();
        b.cmd(&["purges", "list", "2030-01-01:X:removed"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("no snapshot is dated 2030-01-01"));
    }
}

/// The count `votebase universe count` prints on its last line.
fn universe_count(b: &Backend, expr: &str) -> usize {
    let out = b
        .cmd(&["universe", "count", expr, "--include-voted"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    text.lines().last().unwrap().trim().parse().unwrap()
}

/// The universe language selects the planted purge's voters: `status_change:` and
/// `purged:` count exactly the counsel list (the same voters: the difference is empty),
/// `purged:DATE` in the county counts every list of that date whose voters are still in
/// the file, and reinstated voters are the list's running count.
fn universe_counts_match_the_lists(
    b: &Backend,
    planted: &str,
    moved: usize,
    later: &[&str],
    reinstated: usize,
) {
    let mut parts = planted.split(':');
    let (date, county) = (parts.next().unwrap(), parts.next().unwrap());
    let inactivated = format!("status_change:active>inactive@{date} county:\"{county}\"");
    assert_eq!(universe_count(b, &inactivated), moved, "{}", b.name);
    let purged = format!("purged:{date}:inactivated county:\"{county}\"");
    assert_eq!(universe_count(b, &purged), moved, "{}", b.name);
    assert_eq!(
        universe_count(
            b,
            &format!("{purged} !{}", inactivated.split(' ').next().unwrap())
        ),
        0,
        "{}",
        b.name
    );
    let mut in_file = 0;
    for t in ["inactivated", "removed", "disappeared"] {
        let list = json(
            &b.cmd(&[
                "purges",
                "list",
                &format!("{date}:{county}:{t}"),
                "--format",
                "json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        in_file += list["voters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["status_now"] != "absent")
            .count();
    }
    let all = format!("purged:{date} county:\"{county}\"");
    assert_eq!(universe_count(b, &all), in_file, "{}", b.name);
    // Reinstated voters of the planted purge (moved to inactive, back to active in a
    // later snapshot): the list's running count.
    let back: usize = later
        .iter()
        .map(|d| {
            universe_count(
                b,
                &format!("{inactivated} status_change:inactive>active@{d}"),
            )
        })
        .sum();
    assert_eq!(back, reinstated, "{}", b.name);
}

const PASSWORD: &str = "correct horse battery\n";

fn token(b: &Backend, name: &str, role: &str) -> String {
    b.cmd(&["user", "add", name, "--role", role])
        .write_stdin(PASSWORD)
        .assert()
        .success();
    let out = b
        .cmd(&["token", "create", name])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap().trim().to_string()
}

fn get(url: &str, token: &str) -> common::Reply {
    let mut req = common::http().get(url);
    if !token.is_empty() {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    common::reply(&mut req.call().expect("request"))
}

#[test]
fn page_api_and_audited_lists_on_both_stores() {
    for b in Backend::all("purgehttp") {
        let (planted, _) = import_seed(&b, 21, 6000);
        let organizer = token(&b, "ola", "organizer");
        let manager = token(&b, "dana", "data_manager");
        let admin = token(&b, "ada", "admin");
        let volunteer = token(&b, "val", "volunteer");
        let s = common::serve(&b);
        let enc: String = planted.replace(':', "%3A");

        let page = get(&format!("{}/purges", s.base), &organizer);
        assert_eq!(page.status, 200, "{}", b.name);
        assert!(page.body.contains("<svg id=\"purge-chart\""), "{}", b.name);
        assert!(page.body.contains("class=\"flag-mark\""), "{}", b.name);
        assert!(page.body.contains(&planted), "{}", b.name);
        assert!(page.body.contains("Flags (1)"), "{}", b.name);
        // The flag's running count of reinstatements (a third of the planted voters come
        // back at the next refresh): a positive number.
        let back = page
            .body
            .split("<span class=\"reinstated\">")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<i64>().ok());
        assert!(back.is_some_and(|n| n > 0), "{}: {back:?}", b.name);
        assert!(
            !page.body.contains("CSV for counsel"),
            "organizers may not export"
        );
        let page = get(&format!("{}/purges", s.base), &manager);
        assert!(page.body.contains("CSV for counsel"), "{}", b.name);

        let report = get(
            &format!("{}/api/v1/purges?since=2026-10-10", s.base),
            &organizer,
        );
        assert_eq!(report.status, 200);
        let report = json(report.body.as_bytes());
        assert_eq!(report["flags"][0]["id"], planted.as_str());
        assert_eq!(
            report["pairs"].as_array().unwrap().len(),
            2,
            "since drops earlier pairs"
        );
        assert_eq!(
            get(&format!("{}/api/v1/purges", s.base), &volunteer).status,
            403
        );
        assert_eq!(get(&format!("{}/api/v1/purges", s.base), "").status, 401);
        let long = "X".repeat(101);
        assert_eq!(
            get(
                &format!("{}/api/v1/purges?county={long}", s.base),
                &organizer
            )
            .status,
            400
        );

        let list = get(
            &format!("{}/api/v1/purges/list?flag={enc}", s.base),
            &organizer,
        );
        assert_eq!(list.status, 200, "{}: {}", b.name, list.body);
        let list = json(list.body.as_bytes());
        let n = list["voters"].as_array().unwrap().len();
        assert_eq!(n as i64, report["flags"][0]["moved"].as_i64().unwrap());
        assert_eq!(
            get(
                &format!("{}/api/v1/purges/list?flag=nonsense", s.base),
                &organizer
            )
            .status,
            400
        );
        let html = get(&format!("{}/purges/list?flag={enc}", s.base), &organizer);
        assert_eq!(html.status, 200);
        assert!(html.body.contains("are back on the active roll"));
        // A link to the same voters in the universe language.
        assert!(
            html.body
                .contains("href=\"/universes?q=status_change%3Aactive%3Einactive%40"),
            "{}",
            b.name
        );

        // The CSV is an export: organizers no, data managers yes, formula-safe.
        assert_eq!(
            get(
                &format!("{}/purges/list.csv?flag={enc}", s.base),
                &organizer
            )
            .status,
            403
        );
        let csv = get(&format!("{}/purges/list.csv?flag={enc}", s.base), &manager);
        assert_eq!(csv.status, 200, "{}", b.name);
        assert_eq!(csv.body.lines().count(), n + 1);

        // Every read of a list is in the audit log, with who and how many.
        let audit = get(&format!("{}/api/v1/audit?limit=50", s.base), &admin).body;
        let subject = format!("purge list {planted}");
        assert!(audit.contains(&subject), "{}: {audit}", b.name);
        assert!(audit.contains("\"actor\":\"ola\"") && audit.contains("\"actor\":\"dana\""));
        assert!(audit.contains(&format!("{n} voters")));

        // The OpenAPI document has the routes with 401 and 403.
        let doc = json(
            get(&format!("{}/api/v1/openapi.json", s.base), "")
                .body
                .as_bytes(),
        );
        for path in ["/api/v1/purges", "/api/v1/purges/list"] {
            let responses = &doc["paths"][path]["get"]["responses"];
            assert!(
                responses["401"].is_object() && responses["403"].is_object(),
                "{path}"
            );
        }
    }
}
