//! Purge watch on real North Carolina data, on both stores: Hyde County's status changes
//! between the NCSBE snapshots of 2019-11-30 and early March 2022
//! (`shared/data/purge/hyde_status_transitions_2019-11-30_to_2022-03.csv`: one row per
//! NCID, names and addresses left out) written back as the two ncvoter files they came
//! from, the 2019 one in NCSBE's previous column layout and the 2022 one in the current
//! one (both read at test time from `shared/data/voterfile/layouts/layout_ncvoter_2022.txt`),
//! imported with `--layout ncvoter`, then the report, the counsel lists and the universe
//! language read back what the real file says.
//!
//! What the file implies (counted below from the CSV itself, and written out here):
//! 3,500 records in 2019 (ACTIVE 2,646, INACTIVE 371, REMOVED 462, DENIED 21), 3,638 in
//! 2022; of the 3,145 NCIDs in both, 266 went active → inactive (194 IN confirmation not
//! returned, 72 IU confirmation returned undeliverable), 240 active/inactive → removed
//! (94 from active: 74 deceased, 20 moved; 146 from inactive: 125 RM "after 2 federal
//! general elections in inactive status", the NVRA path), 83 inactive → active; 237
//! records that were active (103) or inactive (134) are gone from the 2022 file. As rates
//! of the 2019 roll: 10.1% inactivated (of 2,646 active), 8.0% removed and 7.9% gone (of
//! 3,017 active and inactive) over 27 months.
//!
//! The flags: with one county and one pair there is nothing to compare with, so nothing
//! is tested and nothing is flagged. With the EAC EAVS baselines (`--baselines`), Hyde's
//! own reports give an expected removal rate of about 16.7% and a confirmation-notice
//! rate of about 20% over those 822 days: the 8.0% and 10.1% are ordinary list
//! maintenance, and the report, rightly, flags nothing.

mod common;

use common::Backend;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

const FIRST: &str = "2019-11-30";
/// The 2022 snapshot's date: its latest registration date (the file is from early March).
const SECOND: &str = "2022-03-01";

/// One NCID's row of the transitions file.
struct Row {
    ncid: String,
    reg_num: String,
    registered: String,
    /// (status code, reason code) in 2019 and 2022, when the record is in that file.
    then: Option<(String, String)>,
    now: Option<(String, String)>,
}

fn read_rows() -> Vec<Row> {
    let path = common::shared("purge/hyde_status_transitions_2019-11-30_to_2022-03.csv");
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect(name);
    let (ncid, reg, dt) = (col("ncid"), col("voter_reg_num"), col("registr_dt"));
    let (in19, s19, r19) = (col("in_2019"), col("status_cd_2019"), col("reason_cd_2019"));
    let (in22, s22, r22) = (col("in_2022"), col("status_cd_2022"), col("reason_cd_2022"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let state = |present: usize, s: usize, reason: usize| {
                (&rec[present] == "Y").then(|| (rec[s].to_string(), rec[reason].to_string()))
            };
            Row {
                ncid: rec[ncid].to_string(),
                reg_num: rec[reg].to_string(),
                registered: rec[dt].to_string(),
                then: state(in19, s19, r19),
                now: state(in22, s22, r22),
            }
        })
        .collect()
}

/// The column names of one layout section of NCSBE's layout file.
fn layout_columns(section: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::shared("voterfile/layouts/layout_ncvoter_2022.txt"))
        .expect("layout file");
    let mut lines = text.lines().skip_while(|l| !l.contains(section));
    lines.by_ref().find(|l| l.starts_with("name "));
    lines.next();
    lines
        .take_while(|l| !l.starts_with("---"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn status_desc(code: &str) -> &'static str {
    match code {
        "A" => "ACTIVE",
        "I" => "INACTIVE",
        "R" => "REMOVED",
        "D" => "DENIED",
        "S" => "TEMPORARY",
        _ => "",
    }
}

/// Writes one snapshot as an ncvoter file in `columns`' layout: the real id, status,
/// reason and registration date; placeholders where the shared file has no data (names,
/// address: it leaves them out).
fn write_snapshot(path: &Path, columns: &[String], rows: &[Row], second: bool) {
    let mut out = columns.join("\t");
    out.push('\n');
    for (k, row) in rows.iter().enumerate() {
        let Some((status, reason)) = (if second { &row.now } else { &row.then }) else {
            continue;
        };
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match c.as_str() {
                "county_id" => "48".into(),
                "county_desc" => "HYDE".into(),
                "voter_reg_num" => row.reg_num.clone(),
                "ncid" => row.ncid.clone(),
                "status_cd" => status.clone(),
                "voter_status_desc" => status_desc(status).into(),
                "reason_cd" => reason.clone(),
                "last_name" => "VOTER".into(),
                "first_name" => format!("HYDE{k}"),
                "res_street_address" => format!("{} MAIN ST", k + 1),
                "res_city_desc" => "SWAN QUARTER".into(),
                "state_cd" => "NC".into(),
                "zip_code" => "27885".into(),
                "registr_dt" => row.registered.clone(),
                "party_cd" => "UNA".into(),
                "precinct_abbrv" => "SQ".into(),
                "precinct_desc" => "SWAN QUARTER".into(),
                _ => String::new(),
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("\t"));
    }
    std::fs::write(path, out).unwrap();
}

/// Counts per transition as the purge model defines them, computed from the CSV alone.
fn expected(rows: &[Row]) -> BTreeMap<&'static str, (i64, i64)> {
    let on = |s: &str| s == "A" || s == "I";
    let active = rows
        .iter()
        .filter(|r| matches!(&r.then, Some((s, _)) if s == "A"))
        .count();
    let roll = rows
        .iter()
        .filter(|r| matches!(&r.then, Some((s, _)) if on(s)))
        .count();
    let (mut inactivated, mut removed, mut gone) = (0, 0, 0);
    for r in rows {
        match (&r.then, &r.now) {
            (Some((a, _)), Some((b, _))) if a == "A" && b == "I" => inactivated += 1,
            (Some((a, _)), Some((b, _))) if on(a) && b == "R" => removed += 1,
            (Some((a, _)), None) if on(a) => gone += 1,
            _ => {}
        }
    }
    [
        ("inactivated", (inactivated, active as i64)),
        ("removed", (removed, roll as i64)),
        ("disappeared", (gone, roll as i64)),
    ]
    .into_iter()
    .collect()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("JSON output")
}

fn universe_count(b: &Backend, expr: &str) -> i64 {
    let out = b
        .cmd(&["universe", "count", expr, "--include-voted"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    common::last_number(&String::from_utf8(out).unwrap())
}

#[test]
fn hyde_county_2019_to_2022_on_both_stores() {
    let rows = read_rows();
    assert_eq!(rows.len(), 3_993);
    let want = expected(&rows);
    // The numbers the module documentation spells out.
    let documented: BTreeMap<&str, (i64, i64)> = [
        ("inactivated", (266, 2_646)),
        ("removed", (240, 3_017)),
        ("disappeared", (237, 3_017)),
    ]
    .into_iter()
    .collect();
    assert_eq!(want, documented);
    let old = layout_columns("Previous file layout (until 02/05/2022)");
    let new = layout_columns("File layout (from 02/12/2022)");
    assert_eq!((old.len(), new.len()), (71, 67));

    for b in Backend::all("purgenc") {
        let first = b.path("ncvoter48_20191130.txt");
        let second = b.path("ncvoter48_20220301.txt");
        write_snapshot(&first, &old, &rows, false);
        write_snapshot(&second, &new, &rows, true);
        for (file, as_of) in [(&first, FIRST), (&second, SECOND)] {
            let out = b
                .cmd(&[
                    "import",
                    "voters",
                    file.to_str().unwrap(),
                    "--layout",
                    "ncvoter",
                    "--as-of",
                    as_of,
                ])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let text = String::from_utf8_lossy(&out);
            assert!(!text.contains("PURGE ALERT"), "{}: {text}", b.name);
        }

        // The report's numbers are the file's; a lone county's first pair is not tested.
        let report = json(
            &b.cmd(&["purges", "report", "--format", "json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        );
        assert_eq!(report["flags"].as_array().unwrap().len(), 0, "{}", b.name);
        let pairs = report["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), 1, "{}", b.name);
        assert_eq!(pairs[0]["to"]["as_of"], SECOND);
        let hyde = &pairs[0]["counties"][0];
        assert_eq!(hyde["county"], "HYDE");
        assert_eq!(hyde["active_before"], 2_646, "{}", b.name);
        assert_eq!(hyde["inactive_before"], 371, "{}", b.name);
        let got: BTreeMap<&str, (i64, i64)> = hyde["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let code = match t["transition"].as_str().unwrap() {
                    "inactivated" => "inactivated",
                    "removed" => "removed",
                    "disappeared" => "disappeared",
                    other => panic!("{other}"),
                };
                (
                    code,
                    (t["moved"].as_i64().unwrap(), t["base"].as_i64().unwrap()),
                )
            })
            .collect();
        assert_eq!(got, want, "{}", b.name);
        assert!(
            hyde["transitions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["p_value"] == 1.0 && t["flagged"] == false)
        );

        // With Hyde's own EAC figures as the expected rates: tested, and not a purge.
        let eavs = common::shared("purge/eavs_county_removals");
        let report = json(
            &b.cmd(&[
                "purges",
                "report",
                "--format",
                "json",
                "--baselines",
                eavs.to_str().unwrap(),
                "--state",
                "NC",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        assert_eq!(report["flags"].as_array().unwrap().len(), 0, "{}", b.name);
        let transitions = report["pairs"][0]["counties"][0]["transitions"]
            .as_array()
            .unwrap();
        for t in transitions {
            let code = t["transition"].as_str().unwrap();
            let expected_rate = t["history_rate"].as_f64().unwrap();
            match code {
                // EAVS 2016–2022: removals 14.8% of registrations per two years, notices
                // 17.9%; over 822 days about 16.7% and 20.2%.
                "removed" => assert!((0.15..0.18).contains(&expected_rate), "{t}"),
                "inactivated" => assert!((0.18..0.22).contains(&expected_rate), "{t}"),
                _ => {
                    assert_eq!(t["p_value"], 1.0, "EAVS has no figure for {code}");
                    continue;
                }
            }
            assert!(t["rate"].as_f64().unwrap() < expected_rate, "{t}");
        }

        // The counsel lists hold the file's voters, with the real reasons.
        let list = json(
            &b.cmd(&[
                "purges",
                "list",
                &format!("{SECOND}:HYDE:inactivated"),
                "--format",
                "json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        let voters = list["voters"].as_array().unwrap();
        assert_eq!(voters.len(), 266, "{}", b.name);
        let reasons: BTreeMap<String, usize> = voters.iter().fold(BTreeMap::new(), |mut m, v| {
            *m.entry(v["reason"].as_str().unwrap().to_string())
                .or_default() += 1;
            m
        });
        assert_eq!(
            reasons,
            [("IN".to_string(), 194), ("IU".to_string(), 72)]
                .into_iter()
                .collect(),
            "{}",
            b.name
        );
        let removed = json(
            &b.cmd(&[
                "purges",
                "list",
                &format!("{SECOND}:HYDE:removed"),
                "--format",
                "json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
        );
        let rm = removed["voters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["reason"] == "RM" && v["status_before"] == "inactive")
            .count();
        assert_eq!(rm, 125, "{}: the NVRA two-federal-elections path", b.name);

        // The universe language selects the same voters.
        assert_eq!(
            universe_count(&b, &format!("status_change:active>inactive@{SECOND}")),
            266
        );
        assert_eq!(universe_count(&b, &format!("purged:{SECOND}:removed")), 240);
        // Records gone from the file are not in the index: purged = inactivated + removed.
        assert_eq!(universe_count(&b, &format!("purged:{SECOND}")), 266 + 240);
        assert_eq!(
            universe_count(&b, &format!("status_change:inactive>active@{SECOND}")),
            83
        );
    }
}
