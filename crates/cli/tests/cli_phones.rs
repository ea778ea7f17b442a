//! End-to-end tests of the linkage engine's product uses on both stores: the demo's
//! refresh links voters who re-registered under a new id to their earlier record, and a
//! purchased cell list is appended by name and address with the probability kept and a
//! number that reaches two households flagged.

mod common;

use common::Backend;
use predicates::str::contains;

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("JSON output")
}

#[test]
fn demo_refresh_relinks_new_ids_and_appends_cells() {
    for b in Backend::all("phones") {
        let out = b
            .cmd(&["demo", "--voters", "20000", "--seed", "4", "--no-serve"])
            .assert()
            .success()
            .stdout(contains("numbers reach several households (flagged)"))
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8_lossy(&out);
        let relinked: usize = text
            .split("relinked ")
            .nth(2)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: no relinked count in {text}", b.name));
        assert!(relinked >= 10, "{}: {relinked} relinked", b.name);

        // Every link found is right: the new id is the old one re-issued (QX + old id).
        let data = b
            .args
            .iter()
            .position(|a| a == "--data")
            .map(|i| std::path::PathBuf::from(&b.args[i + 1]))
            .unwrap_or_else(|| b.path("votebase-data"));
        let second = std::fs::read_to_string(data.join("demo-files/ncvoter_20261001.txt"))
            .expect("the demo's second file");
        let mut checked = 0;
        for new_id in second
            .lines()
            .skip(1)
            .filter_map(|l| l.split('\t').nth(3))
            .filter(|id| id.starts_with("QX"))
            .take(20)
        {
            let shown = json(
                &b.cmd(&["voters", "show", new_id, "--json"])
                    .assert()
                    .success()
                    .get_output()
                    .stdout,
            );
            for l in shown["changes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["kind"] == "relinked")
            {
                assert_eq!(
                    format!("QX{}", l["old_value"].as_str().unwrap()),
                    new_id,
                    "{}: a wrong link {l}",
                    b.name
                );
                checked += 1;
            }
        }
        assert!(
            checked > 0,
            "{}: some re-registered voters were linked",
            b.name
        );
    }
}

#[test]
fn cell_list_appends_by_name_and_address_and_flags_shared_numbers() {
    for b in Backend::all("cells") {
        let nc = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
        b.cmd(&[
            "import",
            "voters",
            nc.to_str().unwrap(),
            "--layout",
            "ncvoter",
            "--as-of",
            "2026-09-01",
        ])
        .assert()
        .success();
        let cells = b.path("cells.csv");
        std::fs::write(
            &cells,
            "first_name,last_name,address,city,zip,cell\n\
             MASON,LANDRY,795 Johnson Club Apt 394,NORTH FELICIA,46984,(919) 555-2368\n\
             NOBODY,NOWHERE,1 Elm St,RALEIGH,27601,(919) 555-9999\n\
             MASON,LANDRY,795 Johnson Club Apt 394,NORTH FELICIA,46984,12\n",
        )
        .unwrap();
        let out = json(
            &b.cmd(&["import", "phones", cells.to_str().unwrap(), "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert_eq!(out["appended"], 1, "{}: {out}", b.name);
        assert_eq!(out["unmatched"], 1);
        assert_eq!(out["invalid_phones"], 1);
        let shown = json(
            &b.cmd(&["voters", "show", "DU994065", "--json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        let phones = shown["appended_phones"].as_array().unwrap();
        assert_eq!(phones.len(), 1, "{}: {shown}", b.name);
        assert_eq!(phones[0]["phone_e164"], "+19195552368");
        assert!(phones[0]["probability"].as_f64().unwrap() >= 0.9);
        b.cmd(&["import", "phones", cells.to_str().unwrap(), "--json"])
            .assert()
            .success()
            .stdout(contains("\"new\":0"));
    }
}
