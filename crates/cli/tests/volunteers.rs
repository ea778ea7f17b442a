//! End to end on both stores: `votebase volunteers import` and `projects import` (all or
//! nothing with a rejects file, idempotent by id), `votebase match PROJECT --top N
//! --format csv` (header, then the volunteer's import id, score and explanation, best
//! first, must-have skills as a hard filter), and the double opt-in from the command
//! line (invite once, the volunteer's yes, the campaign's accept, stale steps refused).

mod common;
use common::{fails, ok};

use common::{Backend, SmtpServer};

const VOLUNTEERS: &str = "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,issues\n\
v1,Ana,Lopez,ana@example.org,,53703,WI,python:3;data_engineering:2,10,yes,climate\n\
v2,Wei,Chen,wei@example.org,,27601,NC,python:2;sql:1,5,no,\n\
v3,Sam,Ng,sam@example.org,,53703,WI,email:3,5,no,\n\
v4,Kim,Park,kim@example.org,,53202,Wisconsin,python:2,8,no,climate\n";

const PROJECTS: &str = "id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats,issues\n\
p1,Dems of Dane County,Data pipeline,WI,53703,no,python:2,data_engineering:1,10,2,climate\n\
p2,Raleigh for All,Email program,NC,27601,yes,email:2,,5,1,\n";

#[test]
fn import_match_and_double_opt_in() {
    let centroids = common::shared("geo/zcta_2021_census_gazetteer_centroids.csv");
    let centroids = centroids.to_str().unwrap();
    for b in Backend::all("volunteers") {
        std::fs::write(b.path("volunteers.csv"), VOLUNTEERS).unwrap();
        std::fs::write(b.path("projects.csv"), PROJECTS).unwrap();
        let z = ["--zip-centroids", centroids];

        // A file with one bad row writes nothing and says which line and why.
        std::fs::write(
            b.path("bad.csv"),
            format!("{VOLUNTEERS}v5,Lee,Ray,lee@example.org,,53703,WI,python:5,5,no,\n"),
        )
        .unwrap();
        let err = fails(&b, &[&["volunteers", "import", "bad.csv"][..], &z].concat());
        assert!(err.contains("1 row(s) refused, nothing imported"), "{err}");
        let rejects = std::fs::read_to_string(b.path("bad.csv.rejects.csv")).unwrap();
        assert!(
            rejects.contains("6,skills,") && rejects.contains("level must be 1, 2 or 3"),
            "{rejects}"
        );
        let err = fails(&b, &["match", "p1", "--top", "5"]);
        assert!(err.contains("no project \"p1\""), "nothing imported: {err}");

        let out = ok(
            &b,
            &[&["volunteers", "import", "volunteers.csv"][..], &z].concat(),
        );
        assert!(
            out.contains("4 volunteers: 4 new, 0 updated, 0 unchanged"),
            "{out}"
        );
        let out = ok(
            &b,
            &[&["volunteers", "import", "volunteers.csv"][..], &z].concat(),
        );
        assert!(
            out.contains("0 new, 0 updated, 4 unchanged"),
            "idempotent: {out}"
        );
        let out = ok(
            &b,
            &[&["projects", "import", "projects.csv"][..], &z].concat(),
        );
        assert!(out.contains("2 projects: 2 new"), "{out}");

        // Must-have skills filter; skill fit first: v1 (python 3) before v4 and v2 (python 2);
        // v4 grew up in WI and is 70-odd miles away, v2 is in NC.
        let csv = ok(&b, &["match", "p1", "--top", "10", "--format", "csv"]);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("id,score,explanation"));
        let rows: Vec<Vec<String>> = lines
            .map(|l| {
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(l.as_bytes());
                r.records()
                    .next()
                    .unwrap()
                    .unwrap()
                    .iter()
                    .map(String::from)
                    .collect()
            })
            .collect();
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(ids, ["v1", "v4", "v2"], "{csv}");
        let scores: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        assert!(
            rows[0][2].starts_with("matches 1/1 required skills (python 3 ≥ 2)"),
            "{csv}"
        );
        assert!(
            rows[0][2].contains("1/1 nice-to-have skills (data_engineering)"),
            "{csv}"
        );
        assert!(
            rows[0][2].contains("grew up in WI, the project's state; 0 miles away"),
            "{csv}"
        );
        assert!(
            rows[1][2].contains("miles away") && rows[1][2].contains("cares about climate"),
            "{csv}"
        );
        let top1 = ok(&b, &["match", "p1", "--top", "1", "--format", "csv"]);
        assert_eq!(top1.lines().count(), 2);
        fails(&b, &["match", "p404"]);

        // Double opt-in: invite twice = one invitation; answer; accept.
        let out = ok(&b, &["projects", "invite", "p1", "--top", "2"]);
        assert!(
            out.contains("p1 v1: invited (invited now)")
                && out.contains("p1 v4: invited (invited now)"),
            "{out}"
        );
        let out = ok(&b, &["projects", "invite", "p1", "v1"]);
        assert!(out.contains("already invited"), "{out}");
        let err = fails(&b, &["projects", "invite", "p1", "v3"]);
        assert!(err.contains("lacks a required skill"), "{err}");
        let err = fails(&b, &["projects", "decide", "p1", "v1", "accept"]);
        assert!(err.contains("only a volunteer who said yes"), "{err}");
        assert!(ok(&b, &["volunteers", "answer", "p1", "v1", "yes"]).contains("volunteer_yes"));
        assert!(ok(&b, &["volunteers", "answer", "p1", "v4", "no"]).contains("volunteer_no"));
        fails(&b, &["volunteers", "answer", "p1", "v4", "yes"]);
        assert!(ok(&b, &["projects", "decide", "p1", "v1", "accept"]).contains("accepted"));
        let json = ok(&b, &["projects", "matches", "p1", "--json"]);
        let m: serde_json::Value = serde_json::from_str(&json).unwrap();
        let states: Vec<(&str, &str)> = m
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["volunteer"].as_str().unwrap(),
                    x["state"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(states, [("v1", "accepted"), ("v4", "volunteer_no")]);
        let table = ok(&b, &["match", "p1"]);
        assert!(table.contains("[accepted]"), "{table}");

        // The two invitations leave through a real SMTP server, once.
        if let Some(smtp) = SmtpServer::start(&b.path("maildir")) {
            let relay = format!("127.0.0.1:{}", smtp.port);
            let from = ["--from", "Dems of Dane County <team@example.org>"];
            let out = ok(
                &b,
                &[&["volunteers", "send-email", "--smtp", &relay][..], &from].concat(),
            );
            assert!(out.contains("2 sent, 0 failed"), "{out}");
            let out = ok(
                &b,
                &[&["volunteers", "send-email", "--smtp", &relay][..], &from].concat(),
            );
            assert!(
                out.contains("0 sent, 0 failed"),
                "a second run repeats nothing: {out}"
            );
            let mails = smtp.messages();
            assert_eq!(mails.len(), 2, "{mails:?}");
            for (who, name) in [("ana@example.org", "Ana"), ("kim@example.org", "Kim")] {
                let m = mails
                    .iter()
                    .find(|m| m.contains(&format!("To: {who}")))
                    .unwrap_or_else(|| panic!("no mail to {who}: {mails:?}"));
                assert!(
                    m.contains("Subject: Dems of Dane County: Data pipeline"),
                    "{m}"
                );
                assert!(m.contains(&format!("Hello {name},")), "{m}");
                assert!(m.contains("Why you: matches 1/1 required skills"), "{m}");
                assert!(m.contains("@votebase.outbox>"), "{m}");
            }
            // A relay that is down: counted as failed, kept for the next run.
            ok(&b, &["projects", "invite", "p1", "v2"]);
            let dead = fails(
                &b,
                &[
                    "volunteers",
                    "send-email",
                    "--smtp",
                    "127.0.0.1:9",
                    "--from",
                    "t@example.org",
                ],
            );
            assert!(dead.contains("no message could be delivered"), "{dead}");
            let out = ok(
                &b,
                &[&["volunteers", "send-email", "--smtp", &relay][..], &from].concat(),
            );
            assert!(out.contains("1 sent, 0 failed"), "{out}");
            assert_eq!(smtp.messages().len(), 3);
        }

        // A changed row updates; the taxonomy can be extended.
        std::fs::write(
            b.path("volunteers.csv"),
            VOLUNTEERS.replace("email:3", "email:3;canvassing:1"),
        )
        .unwrap();
        let out = ok(
            &b,
            &[&["volunteers", "import", "volunteers.csv"][..], &z].concat(),
        );
        assert!(out.contains("0 new, 1 updated, 3 unchanged"), "{out}");
        ok(
            &b,
            &[
                "volunteers",
                "skills",
                "add",
                "Voter-Protection",
                "--label",
                "Voter protection",
            ],
        );
        assert!(ok(&b, &["volunteers", "skills"]).contains("voter_protection"));
    }
}

fn find_file(dir: &std::path::Path, prefix: &str, found: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            find_file(&p, prefix, found);
        } else if p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        {
            found.push(p);
        }
    }
}

/// Volunteers who are voters are linked to their voter record by the linkage engine, with
/// probability and explanation; a made-up person is not.
#[test]
fn volunteers_link_to_the_voter_file() {
    for b in Backend::all("vol_link") {
        ok(
            &b,
            &["demo", "--voters", "3000", "--seed", "5", "--no-serve"],
        );
        let mut files = Vec::new();
        find_file(b.dir.path(), "ncvoter_", &mut files);
        files.sort();
        let latest = files.last().expect("the demo wrote ncvoter files");
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .from_path(latest)
            .unwrap();
        let header = reader.headers().unwrap().clone();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        let (ncid, first, last, street, zip, status) = (
            col("ncid"),
            col("first_name"),
            col("last_name"),
            col("res_street_address"),
            col("zip_code"),
            col("status_cd"),
        );
        let mut csv_text = String::from(
            "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,address\n",
        );
        let mut expected = Vec::new();
        for (i, row) in reader
            .records()
            .map(|r| r.unwrap())
            .filter(|r| &r[status] == "A")
            .step_by(97)
            .take(6)
            .enumerate()
        {
            let title = |s: &str| {
                let mut c = s.to_lowercase().chars().collect::<Vec<_>>();
                if let Some(f) = c.first_mut() {
                    *f = f.to_ascii_uppercase();
                }
                c.into_iter().collect::<String>()
            };
            csv_text.push_str(&format!(
                "vl{i},{},{},vl{i}@example.org,,{},NC,python:1,2,no,\"{}\"\n",
                title(&row[first]),
                title(&row[last]),
                &row[zip],
                &row[street]
            ));
            expected.push((format!("vl{i}"), row[ncid].to_string()));
        }
        csv_text.push_str(
            "ghost,Zebulon,Quxworthy,z@example.org,,99999,NC,python:1,2,no,1 Nowhere Rd\n",
        );
        std::fs::write(b.path("voter-volunteers.csv"), csv_text).unwrap();
        let out = ok(
            &b,
            &[
                "volunteers",
                "import",
                "voter-volunteers.csv",
                "--zip-centroids",
                common::shared("geo/zcta_2021_census_gazetteer_centroids.csv")
                    .to_str()
                    .unwrap(),
            ],
        );
        assert!(out.contains("voter file: "), "{out}");
        let json: serde_json::Value =
            serde_json::from_str(&ok(&b, &["volunteers", "link", "--json"])).unwrap();
        let linked: Vec<(String, String)> = json["linked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["person"].as_str().unwrap().to_string(),
                    l["state_voter_id"].as_str().unwrap().to_string(),
                )
            })
            .filter(|(p, _)| p.starts_with("vl") || p == "ghost")
            .collect();
        let right = linked.iter().filter(|l| expected.contains(l)).count();
        assert!(right >= 4, "{} of 6 voters linked right: {json}", right);
        assert!(
            linked.iter().all(|l| expected.contains(l)),
            "no wrong link: {linked:?}"
        );
        let first = &json["linked"][0];
        assert!(first["probability"].as_f64().unwrap() >= 0.9, "{first}");
        assert!(
            first["explanation"].as_str().unwrap().contains("bits"),
            "{first}"
        );
    }
}
