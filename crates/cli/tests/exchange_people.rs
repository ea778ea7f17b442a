//! Exchange agreements and people, end to end on both stores. Two organizations of one
//! deployment import the same synthetic voter file.
//!
//! The do-not-contact list follows the person into every export of people: the
//! subscriber (B) imports a donor and a volunteer who are one voter (linked by the
//! linkage engine) and a donor and a volunteer who are nobody's voter. The publisher (A)
//! records an opt-out for that voter; under an approved `opt_outs` agreement one
//! `exchange sync` brings it to B, and from then on B's donor call list (CLI and API) and
//! volunteer list leave the person out, unless asked to include them. An entry by email
//! on B's own list leaves out the other donor and volunteer too.
//!
//! Ballot status and volunteer sign-ups cross like the other datasets: A's ballot file
//! and A's volunteer linked to a voter reach B in one sync, only for voters B holds, with
//! provenance on B's timeline; B's universes then drop the voter who voted and B's chase
//! list holds the voter whose mail ballot is out (until they opt out at B); a second
//! sync changes nothing and B publishes nothing of what it received.

mod common;

use chrono::{Duration, Utc};
use common::{Backend, ok};
use std::sync::Arc;
use votebase_domain::OrgName;
use votebase_store::Store;

/// Two organizations of one deployment sharing a store.
fn pairs(tag: &str) -> Vec<(Backend, Backend, String, String)> {
    let mut out = Vec::new();
    let mut a = Backend::sqlite();
    let mut b = Backend::sqlite();
    b.args = a.args.clone();
    a.args.extend(["--org".to_string(), "alpha".to_string()]);
    b.args.extend(["--org".to_string(), "beta".to_string()]);
    out.push((a, b, "alpha".to_string(), "beta".to_string()));
    if common::postgres_available() {
        let a = Backend::postgres(&format!("{tag}a"));
        let b = Backend::postgres(&format!("{tag}b"));
        let org = |b: &Backend| {
            let i = b.args.iter().position(|a| a == "--org").unwrap();
            b.args[i + 1].clone()
        };
        let (ao, bo) = (org(&a), org(&b));
        out.push((a, b, ao, bo));
    }
    out
}

fn arg_after<'a>(b: &'a Backend, flag: &str) -> Option<&'a str> {
    b.args
        .iter()
        .position(|a| a == flag)
        .map(|i| b.args[i + 1].as_str())
}

async fn open_store(b: &Backend) -> Arc<dyn Store> {
    let org = OrgName::parse(arg_after(b, "--org").unwrap()).unwrap();
    match arg_after(b, "--database") {
        Some(url) => Arc::new(
            votebase_store_postgres::PgStore::connect(url, &org)
                .await
                .unwrap(),
        ),
        None => Arc::new(
            votebase_store_sqlite::SqliteStore::open(
                std::path::Path::new(arg_after(b, "--data").unwrap()),
                &org,
            )
            .unwrap(),
        ),
    }
}

/// (first, last, street, city, zip, ncid) of a voter whose name is unique in the file.
fn unique_voter() -> [String; 6] {
    let text = std::fs::read_to_string(common::shared(
        "voterfile/national-voter-file-synthetic/nc.csv",
    ))
    .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let cols = [
        col("first_name"),
        col("last_name"),
        col("res_street_address"),
        col("res_city_desc"),
        col("zip_code"),
        col("ncid"),
    ];
    let rows: Vec<[String; 6]> = lines
        .map(|line| {
            let v: Vec<&str> = line.split('\t').collect();
            cols.map(|i| v[i].trim().to_string())
        })
        .collect();
    rows.iter()
        .find(|v| {
            rows.iter().filter(|w| w[0] == v[0] && w[1] == v[1]).count() == 1
                && !v[0].is_empty()
                && !v[2].is_empty()
                && v[4].len() == 5
        })
        .expect("a voter with a unique name")
        .clone()
}

fn title(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An ActBlue export of two gifts made in 2025: one by the voter, one by an outsider.
fn write_actblue(path: &std::path::Path, voter: &[String; 6]) {
    let header =
        std::fs::read_to_string(common::shared("donations/actblue-contributions-header.csv"))
            .unwrap();
    let columns: Vec<&str> = header.trim_end().split(',').collect();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
        .unwrap();
    w.write_record(&columns).unwrap();
    let gifts = [
        (
            "SX-1",
            title(&voter[0]),
            title(&voter[1]),
            voter[2].clone(),
            voter[3].clone(),
            voter[4].clone(),
            "voter.donor@example.org",
        ),
        (
            "SX-2",
            "Zeb".to_string(),
            "Outsider".to_string(),
            "1 Nowhere Rd".to_string(),
            "Raleigh".to_string(),
            "27601".to_string(),
            "zeb@example.org",
        ),
    ];
    for (receipt, first, last, addr, city, zip, email) in gifts {
        let mut row = vec![String::new(); columns.len()];
        let mut set = |name: &str, value: &str| {
            let i = columns.iter().position(|c| *c == name).unwrap();
            row[i] = value.to_string();
        };
        set("Receipt ID", receipt);
        set("Date", "2025-03-01 12:00:00");
        set("Amount", "250.00");
        set("Donor First Name", &first);
        set("Donor Last Name", &last);
        set("Donor Addr1", &addr);
        set("Donor City", &city);
        set("Donor State", "NC");
        set("Donor ZIP", &zip);
        set("Donor Country", "United States");
        set("Donor Occupation", "Engineer");
        set("Donor Employer", "Acme");
        set("Donor Email", email);
        set("Recipient Gov ID", "C00999999");
        set("Recipient Election", "2026 Primary");
        set("Payment Date", "2025-03-01 12:00:00");
        set("Card Type", "visa");
        set("Mobile", "f");
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

/// The `person` column of a call list in CSV.
fn donors(csv_text: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "person")
        .expect("a person column");
    let mut out: Vec<String> = r
        .records()
        .map(|rec| rec.unwrap()[col].to_string())
        .collect();
    out.sort();
    out
}

fn volunteers(b: &Backend, include: bool) -> Vec<String> {
    let mut args = vec!["volunteers", "list", "--json"];
    if include {
        args.push("--include-suppressed");
    }
    let v: serde_json::Value = serde_json::from_str(&ok(b, &args)).unwrap();
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["person"]["external_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn an_opt_out_received_over_an_agreement_leaves_the_person_out_of_every_export() {
    let voter = unique_voter();
    let ncid = voter[5].clone();
    let today = Utc::now().date_naive();
    let (start, end) = (
        (today - Duration::days(1)).to_string(),
        (today + Duration::days(30)).to_string(),
    );
    let nc = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
    let nc = nc.to_str().unwrap();
    for (a, b, a_org, b_org) in pairs("supx") {
        let name = b.name;
        for side in [&a, &b] {
            ok(side, &["import", "voters", nc, "--layout", "ncvoter"]);
        }
        // B's donors and volunteers: the voter and an outsider each.
        write_actblue(&b.path("gifts.csv"), &voter);
        let out = ok(&b, &["donations", "import", "gifts.csv"]);
        assert!(
            out.contains("voter file: 1 new donors linked"),
            "{name}: {out}"
        );
        std::fs::write(
            b.path("volunteers.csv"),
            format!(
                "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,address\n\
                 vx1,{},{},voter.volunteer@example.org,,{},NC,python:1,2,no,\"{}\"\n\
                 vx2,Zebulon,Quxworthy,zq@example.org,,27601,NC,python:1,2,no,1 Nowhere Rd\n",
                title(&voter[0]),
                title(&voter[1]),
                voter[4],
                voter[2]
            ),
        )
        .unwrap();
        let centroids = common::shared("geo/zcta_2021_census_gazetteer_centroids.csv");
        ok(
            &b,
            &[
                "volunteers",
                "import",
                "volunteers.csv",
                "--zip-centroids",
                centroids.to_str().unwrap(),
            ],
        );
        let links: serde_json::Value =
            serde_json::from_str(&ok(&b, &["volunteers", "link", "--json"])).unwrap();
        assert!(
            links["linked"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["person"] == "vx1" && l["state_voter_id"] == ncid.as_str()),
            "{name}: the volunteer is linked to the voter: {links}"
        );
        let lapsed = [
            "donations",
            "export",
            "--list",
            "lapsed",
            "--since",
            "2026-01-01",
        ];
        let csv_of = |extra: &[&str]| {
            let mut args = lapsed.to_vec();
            args.extend(["--format", "csv"]);
            args.extend(extra);
            donors(&ok(&b, &args))
        };
        let everyone = csv_of(&[]);
        assert_eq!(everyone.len(), 2, "{name}: {everyone:?}");
        assert_eq!(volunteers(&b, false), ["vx1", "vx2"], "{name}");
        std::fs::write(
            b.path("projects.csv"),
            "id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats\n\
             px,Camp B,Data desk,NC,27601,yes,python:1,,2,5\n",
        )
        .unwrap();
        ok(
            &b,
            &[
                "projects",
                "import",
                "projects.csv",
                "--zip-centroids",
                centroids.to_str().unwrap(),
            ],
        );
        let candidates = |b: &Backend| -> Vec<String> {
            let csv = ok(b, &["match", "px", "--top", "10", "--format", "csv"]);
            let mut ids: Vec<String> = csv
                .lines()
                .skip(1)
                .map(|l| l.split(',').next().unwrap().to_string())
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(candidates(&b), ["vx1", "vx2"], "{name}");

        // A records the opt-out; it crosses under an approved agreement.
        ok(
            &a,
            &[
                "suppress",
                "add",
                "--voter",
                &ncid,
                "--reason",
                "asked at the door",
            ],
        );
        let id = ok(
            &a,
            &[
                "exchange",
                "propose",
                "--from",
                &a_org,
                "--to",
                &b_org,
                "--datasets",
                "opt_outs",
                "--start",
                &start,
                "--end",
                &end,
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
        ok(&b, &["exchange", "approve", &id, "--by", "bob"]);
        let r: serde_json::Value =
            serde_json::from_str(&ok(&b, &["exchange", "sync", "--json"])).unwrap();
        assert_eq!(r[0]["applied"], 1, "{name}: {r}");

        // B's donor call list and volunteer list now leave the voter's person out.
        let after = csv_of(&[]);
        assert_eq!(after.len(), 1, "{name}: {after:?}");
        assert!(
            everyone.iter().any(|p| !after.contains(p)),
            "{name}: the voter's donor is gone"
        );
        assert_eq!(csv_of(&["--include-suppressed"]), everyone, "{name}");
        let out = b.cmd(&lapsed).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("1 people left out"),
            "{name}: the text export says so"
        );
        assert_eq!(volunteers(&b, false), ["vx2"], "{name}");
        assert_eq!(volunteers(&b, true), ["vx1", "vx2"], "{name}");
        // Nor is the volunteer offered for a project or invited by email.
        assert_eq!(candidates(&b), ["vx2"], "{name}");
        let err = common::fails(&b, &["projects", "invite", "px", "vx1"]);
        assert!(err.contains("do-not-contact"), "{name}: {err}");

        // The API call list too, with the count left out in a header.
        let token = common::add_user(&b, "finance", "data_manager");
        let s = common::serve(&b);
        let get = |query: &str| {
            let mut resp = common::http()
                .get(&format!(
                    "{}/api/v1/donations/export?list=lapsed&since=2026-01-01&{query}",
                    s.base
                ))
                .header("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap();
            let removed = resp
                .headers()
                .get("x-suppressed-removed")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let r = common::reply(&mut resp);
            assert_eq!(r.status, 200, "{name}: {}", r.body);
            (donors(&r.body), removed)
        };
        assert_eq!(
            get("format=csv"),
            (after.clone(), "1".to_string()),
            "{name}"
        );
        assert_eq!(
            get("format=csv&include_suppressed=true"),
            (everyone.clone(), "0".to_string()),
            "{name}"
        );
        drop(s);

        // An entry by email on B's own list leaves out the outsiders reached at it.
        ok(
            &b,
            &[
                "suppress",
                "add",
                "--email",
                "ZEB@example.org",
                "--reason",
                "unsubscribed",
            ],
        );
        ok(
            &b,
            &[
                "suppress",
                "add",
                "--email",
                "zq@example.org",
                "--reason",
                "unsubscribed",
            ],
        );
        assert!(csv_of(&[]).is_empty(), "{name}");
        assert!(volunteers(&b, false).is_empty(), "{name}");
        assert_eq!(volunteers(&b, true), ["vx1", "vx2"], "{name}");

        // B audited the exports with the count left out.
        let log = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async { open_store(&b).await.audit_log(200).await.unwrap() });
        assert!(
            log.iter().any(|e| e.action == "export"
                && e.subject == "donations:lapsed"
                && e.detail.contains("1 on the do-not-contact list left out")),
            "{name}: {log:?}"
        );
    }
}

/// An NC absentee file of early votes cast on 2026-10-20 by these voters (first, last,
/// ncid), and of mail ballots sent on 2026-10-01 and not back to `mailed`.
fn write_absentee(path: &std::path::Path, voters: &[(&str, &str, &str)], mailed: &[&str]) {
    let mut text = String::from(
        "county_desc,voter_reg_num,ncid,voter_last_name,voter_first_name,voter_middle_name,race,ethnicity,gender,age,voter_street_address,voter_city,voter_state,voter_zip,election_dt,voter_party_code,precinct_desc,ballot_req_delivery_type,ballot_req_type,ballot_request_party,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status,site_name,sdr,mail_veri_status\n",
    );
    for (i, (first, last, ncid)) in voters.iter().enumerate() {
        text.push_str(&format!(
            "WAKE,{:012},{ncid},{last},{first},,,,,40,\"1 MAIN ST\",RALEIGH,NC,27601,11/03/2026,DEM,PCT 1,IN PERSON,ONE-STOP,,10/20/2026,10/20/2026,10/20/2026,ACCEPTED,WAKE BOARD OF ELECTIONS,N,\n",
            i + 1
        ));
    }
    for (i, ncid) in mailed.iter().enumerate() {
        text.push_str(&format!(
            "WAKE,{:012},{ncid},DOE,JO,,,,,40,\"2 MAIN ST\",RALEIGH,NC,27601,11/03/2026,DEM,PCT 1,MAIL,MAIL,,09/20/2026,10/01/2026,,,,N,\n",
            i + 100
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn ballot_status_and_volunteer_signups_cross_only_for_shared_voters() {
    let voter = unique_voter();
    let ncid = voter[5].clone();
    let today = Utc::now().date_naive();
    let (start, end) = (
        (today - Duration::days(1)).to_string(),
        (today + Duration::days(30)).to_string(),
    );
    let nc_path = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
    let nc_text = std::fs::read_to_string(&nc_path).unwrap();
    // B's file lacks the last voter of A's.
    let header: Vec<&str> = nc_text.lines().next().unwrap().split('\t').collect();
    let id_col = header.iter().position(|c| *c == "ncid").unwrap();
    let last_line = nc_text.lines().last().unwrap();
    let only_a = last_line
        .split('\t')
        .nth(id_col)
        .unwrap()
        .trim()
        .to_string();
    assert_ne!(only_a, ncid);
    // A voter both hold whose mail ballot is out: on B's chase list once it crosses.
    let waiting = nc_text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(id_col).unwrap().trim().to_string())
        .find(|id| *id != ncid && *id != only_a)
        .unwrap();
    for (a, b, a_org, b_org) in pairs("exbal") {
        let name = b.name;
        ok(
            &a,
            &[
                "import",
                "voters",
                nc_path.to_str().unwrap(),
                "--layout",
                "ncvoter",
            ],
        );
        let b_file = b.path("ncvoter_b.txt");
        let kept: Vec<&str> = nc_text.lines().filter(|l| *l != last_line).collect();
        std::fs::write(&b_file, kept.join("\n") + "\n").unwrap();
        ok(
            &b,
            &[
                "import",
                "voters",
                b_file.to_str().unwrap(),
                "--layout",
                "ncvoter",
            ],
        );

        // A: the voter volunteers (linked), and two early votes, one by a voter B lacks.
        std::fs::write(
            a.path("volunteers.csv"),
            format!(
                "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,address\n\
                 va1,{},{},va1@example.org,,{},NC,python:2,6,yes,\"{}\"\n",
                title(&voter[0]),
                title(&voter[1]),
                voter[4],
                voter[2]
            ),
        )
        .unwrap();
        let centroids = common::shared("geo/zcta_2021_census_gazetteer_centroids.csv");
        ok(
            &a,
            &[
                "volunteers",
                "import",
                "volunteers.csv",
                "--zip-centroids",
                centroids.to_str().unwrap(),
            ],
        );
        let links: serde_json::Value =
            serde_json::from_str(&ok(&a, &["volunteers", "link", "--json"])).unwrap();
        assert!(
            links["linked"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["person"] == "va1" && l["state_voter_id"] == ncid.as_str()),
            "{name}: {links}"
        );
        write_absentee(
            &a.path("absentee_20261020.csv"),
            &[(&voter[0], &voter[1], &ncid), ("X", "Y", &only_a)],
            &[&waiting],
        );
        ok(
            &a,
            &[
                "import",
                "ballots",
                a.path("absentee_20261020.csv").to_str().unwrap(),
                "--layout",
                "nc-absentee",
                "--rejects",
                a.path("rejects.csv").to_str().unwrap(),
            ],
        );

        let id = ok(
            &a,
            &[
                "exchange",
                "propose",
                "--from",
                &a_org,
                "--to",
                &b_org,
                "--datasets",
                "ballot_status,volunteer-signups",
                "--start",
                &start,
                "--end",
                &end,
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
        let count = |include_voted: bool| -> u64 {
            let mut args = vec!["universe", "count", "", "--json"];
            if include_voted {
                args.push("--include-voted");
            }
            let v: serde_json::Value = serde_json::from_str(&ok(&b, &args)).unwrap();
            v["count"].as_u64().unwrap()
        };
        let before = count(false);
        ok(&b, &["exchange", "approve", &id, "--by", "bob"]);
        let r: serde_json::Value =
            serde_json::from_str(&ok(&b, &["exchange", "sync", "--json"])).unwrap();
        assert_eq!(
            (&r[0]["applied"], &r[0]["skipped"]),
            (&serde_json::json!(3), &serde_json::json!(1)),
            "{name}: the two ballots and the sign-up; the ballot of the voter B lacks: {r}"
        );
        let again: serde_json::Value =
            serde_json::from_str(&ok(&b, &["exchange", "sync", "--json"])).unwrap();
        assert_eq!(again[0]["applied"], 0, "{name}: {again}");

        // B: the ballot counts (the voter who voted leaves B's universes), with provenance.
        assert_eq!(count(false), before - 1, "{name}");
        assert_eq!(count(true), before, "{name}");
        // The mail ballot still out is on B's chase list, until the voter opts out at B.
        let chase = |extra: &[&str]| {
            let mut args = vec![
                "ballots",
                "list",
                "chase",
                "--as-of",
                "2026-10-21",
                "--format",
                "json",
            ];
            args.extend(extra);
            let v: serde_json::Value = serde_json::from_str(&ok(&b, &args)).unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| r["state_voter_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(chase(&[]), std::slice::from_ref(&waiting), "{name}");
        ok(
            &b,
            &["suppress", "add", "--voter", &waiting, "--reason", "asked"],
        );
        assert!(chase(&[]).is_empty(), "{name}: left out once suppressed");
        assert_eq!(
            chase(&["--include-suppressed"]),
            std::slice::from_ref(&waiting),
            "{name}"
        );
        let provenance = format!("from {a_org}, {today}");
        let timeline: Vec<String> = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let store = open_store(&b).await;
            votebase_app::voters::voter_timeline(store.as_ref(), &ncid)
                .await
                .unwrap()
                .entries
                .into_iter()
                .map(|e| format!("{} | {}", e.summary, e.detail))
                .collect()
        });
        assert!(
            timeline
                .iter()
                .any(|l| l.contains("ballot for 2026-11-03") && l.contains(&provenance)),
            "{name}: {timeline:?}"
        );
        assert!(
            timeline.iter().any(|l| l.contains("Volunteer sign-up")
                && l.contains("python:2")
                && l.contains(&provenance)),
            "{name}: {timeline:?}"
        );
        assert!(
            !timeline.iter().any(|l| l.contains("va1@example.org")),
            "{name}: no contact details cross"
        );

        // Nothing received is published again; both sides audited the crossing.
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let store = open_store(&b).await;
            let republished = store
                .outbox_after(
                    0,
                    &["ballot_status".to_string(), "volunteer_signups".to_string()],
                    100,
                )
                .await
                .unwrap();
            assert!(republished.is_empty(), "{name}: {republished:?}");
            for (side, action) in [(&a, "exchange.publish"), (&b, "exchange.receive")] {
                let log = open_store(side).await.audit_log(200).await.unwrap();
                assert!(
                    log.iter().any(|e| e.action == action && e.subject == id),
                    "{name}: {action}"
                );
            }
        });
    }
}
