//! End-to-end tests of `votebase link`: FEBRL deduplication scored against its truth file (F1,
//! the explainable columns of pairs.csv, cluster ids stable across runs), linking two generated
//! files, `bench link` on both generated shapes (voter and FEBRL-style), malformed input named
//! by file and line, and `--to-voters` against a store (SQLite and, when reachable, PostgreSQL)
//! holding an imported demo voter file, with a contact list made from some of those voters with
//! typos.

mod common;

use common::{Backend, shared};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Reads a CSV written by the tool (no quoted commas in these files) as header + rows.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let split = |l: &str| l.split(',').map(|s| s.to_string()).collect::<Vec<_>>();
    let header = split(lines.next().unwrap_or(""));
    (header, lines.map(split).collect())
}

fn pair(x: &str, y: &str) -> (String, String) {
    if x < y {
        (x.to_string(), y.to_string())
    } else {
        (y.to_string(), x.to_string())
    }
}

fn f1(found: &HashSet<(String, String)>, truth: &HashSet<(String, String)>) -> f64 {
    let tp = found.intersection(truth).count() as f64;
    let (p, r) = (tp / found.len() as f64, tp / truth.len() as f64);
    2.0 * p * r / (p + r)
}

#[test]
fn febrl_dedupe_is_accurate_explained_and_stable() {
    let input = shared("febrl/febrl1.csv");
    if !input.exists() {
        eprintln!("skipping: {} not found", input.display());
        return;
    }
    let b = Backend::sqlite();
    let mut cluster_files = Vec::new();
    for run in 0..2 {
        let pairs = b.path(&format!("pairs{run}.csv"));
        let clusters = b.path(&format!("clusters{run}.csv"));
        let out = b
            .cmd(&[
                "link",
                &input.to_string_lossy(),
                "--out",
                &pairs.to_string_lossy(),
                "--clusters",
                &clusters.to_string_lossy(),
            ])
            .assert()
            .success();
        let o = out.get_output();
        let stderr = String::from_utf8_lossy(&o.stderr);
        let stdout = String::from_utf8_lossy(&o.stdout);
        // The inferred config is shown so it can be saved.
        assert!(stderr.contains("[columns]"), "{stderr}");
        assert!(stderr.contains("given_name"), "{stderr}");
        // The summary: records, per-rule candidate pairs, pairs, clusters.
        assert!(stdout.contains("records: 1000 + 0"), "{stdout}");
        assert!(stdout.contains("last_name+birth_year"), "{stdout}");
        assert!(stdout.contains("clusters of 2 or more"), "{stdout}");

        let (header, rows) = read_csv(&pairs);
        for col in [
            "record_id_l",
            "record_id_r",
            "match_probability",
            "match_weight",
            "first_name",
            "first_name_bits",
            "last_name",
            "last_name_bits",
            "birth_date",
            "birth_date_bits",
        ] {
            assert!(header.iter().any(|h| h == col), "{col} missing: {header:?}");
        }
        let prob = header
            .iter()
            .position(|h| h == "match_probability")
            .unwrap();
        assert!(
            rows.iter()
                .all(|r| r[prob].parse::<f64>().is_ok_and(|p| p >= 0.9))
        );
        let found: HashSet<_> = rows.iter().map(|r| pair(&r[0], &r[1])).collect();
        let (_, truth_rows) = read_csv(&shared("febrl/febrl1_truth.csv"));
        let truth: HashSet<_> = truth_rows.iter().map(|r| pair(&r[0], &r[1])).collect();
        let score = f1(&found, &truth);
        assert!(score >= 0.99, "F1 {score:.4} below 0.99");
        cluster_files.push(std::fs::read_to_string(&clusters).unwrap());
    }
    let (header, rows) = read_csv(&b.path("clusters0.csv"));
    assert_eq!(
        header,
        ["cluster_id", "source", "record_id", "cluster_size"].map(String::from)
    );
    assert_eq!(rows.len(), 1000, "every record gets a cluster id");
    // Duplicates share the id of their cluster, and the ids do not change between runs.
    let id_of: HashMap<&str, &str> = rows.iter().map(|r| (&*r[2], &*r[0])).collect();
    assert_eq!(id_of["rec-0-org"], id_of["rec-0-dup-0"]);
    assert_eq!(
        cluster_files[0], cluster_files[1],
        "cluster ids must be stable"
    );
}

#[test]
fn links_two_files_and_prints_config() {
    let b = Backend::sqlite();
    let (a, c, t) = (b.path("a.csv"), b.path("b.csv"), b.path("truth.csv"));
    let f = |p: &Path| std::io::BufWriter::new(std::fs::File::create(p).unwrap());
    votebase_link::synth::write_csv(
        &votebase_link::synth::SynthConfig::new(800, 5),
        f(&a),
        f(&c),
        f(&t),
    )
    .unwrap();
    // --print-config prints the inferred TOML on stdout and does nothing else.
    let cfg = b.path("link.toml");
    let out = b
        .cmd(&["link", &a.to_string_lossy(), "--print-config"])
        .assert()
        .success();
    let toml = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(toml.contains("first_name = \"first_name\""), "{toml}");
    std::fs::write(&cfg, &toml).unwrap();

    let pairs = b.path("pairs.csv");
    let out = b
        .cmd(&[
            "link",
            &a.to_string_lossy(),
            &c.to_string_lossy(),
            "--config",
            &cfg.to_string_lossy(),
            "--out",
            &pairs.to_string_lossy(),
            "--json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["mode"], "link");
    assert_eq!(v["records"], serde_json::json!([800, 800]));
    assert!(v["rules"].as_array().is_some_and(|r| !r.is_empty()));
    let (_, rows) = read_csv(&pairs);
    let found: HashSet<_> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let (_, truth_rows) = read_csv(&t);
    let truth: HashSet<_> = truth_rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert!(
        found
            .iter()
            .all(|(x, y)| x.starts_with('A') && y.starts_with('B')),
        "pairs go from the first file to the second"
    );
    let score = f1(&found, &truth);
    assert!(score >= 0.9, "F1 {score:.4}");
}

#[test]
fn bench_link_runs_both_shapes() {
    let b = Backend::sqlite();
    let dir = b.path("bench-link");
    let out = b
        .cmd(&[
            "bench",
            "link",
            "--sizes",
            "1500",
            "--shape",
            "voter,febrl",
            "--dir",
            &dir.to_string_lossy(),
        ])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for set in ["voter 1500 x 1500", "febrl-style 1500 x 1500"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(set))
            .unwrap_or_else(|| panic!("no row for {set}:\n{text}"));
        // set, tool, seconds, precision, recall, F1, peak
        let f1: f64 = line.split_whitespace().nth(8).unwrap().parse().unwrap();
        assert!(f1 > 0.9, "{line}");
    }
    // The FEBRL-style files carry FEBRL's columns and a truth file of A-B pairs.
    let header = std::fs::read_to_string(dir.join("febrl-1500/a.csv")).unwrap();
    assert!(header.starts_with("rec_id,given_name,surname,street_number"));
    let truth = std::fs::read_to_string(dir.join("febrl-1500/truth.csv")).unwrap();
    assert_eq!(truth.lines().count(), 1 + 900);
}

#[test]
fn malformed_input_names_file_and_line() {
    let b = Backend::sqlite();
    let bad = b.path("bad.csv");
    std::fs::write(
        &bad,
        "id,first_name,last_name\n1,Ann,Lee\n2,Bob\n3,Cy,Diaz\n",
    )
    .unwrap();
    let out = b
        .cmd(&["link", &bad.to_string_lossy(), "--out", "p.csv"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.starts_with("error: ") && last.contains("bad.csv:3") && last.contains("expected 3"),
        "{err}"
    );
    let cfg = b.path("c.toml");
    std::fs::write(&cfg, "threshold = 0.9\n[columns]\nemail = \"mail\"\n").unwrap();
    let out = b
        .cmd(&[
            "link",
            &bad.to_string_lossy(),
            "--config",
            &cfg.to_string_lossy(),
            "--out",
            "p.csv",
        ])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("column `mail`"), "{err}");
}

/// Introduces one typo: swaps two inner letters.
fn typo(s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() > 3 {
        c.swap(1, 2);
    }
    c.into_iter().collect()
}

#[test]
fn to_voters_finds_voters_with_typos() {
    for b in Backend::all("link") {
        let state = votebase_demo::build_state(&votebase_demo::DemoOptions {
            voters: 3000,
            seed: 11,
            ..Default::default()
        });
        votebase_demo::write_files(&state, b.dir.path()).unwrap();
        let file = b.path("ncvoter_20260901.txt");
        b.cmd(&[
            "import",
            "voters",
            &file.to_string_lossy(),
            "--layout",
            "ncvoter",
        ])
        .assert()
        .success();

        // A contact list: 40 voters with typos and reformatted fields, and 10 strangers.
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
        let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let (ncid, first, last, street, city, zip, year, status) = (
            col("ncid"),
            col("first_name"),
            col("last_name"),
            col("res_street_address"),
            col("res_city_desc"),
            col("zip_code"),
            col("birth_year"),
            col("status_cd"),
        );
        let voters: Vec<Vec<&str>> = lines
            .map(|l| l.split('\t').collect::<Vec<_>>())
            .filter(|r| r[status] == "A" && !r[first].is_empty() && !r[street].is_empty())
            .collect();
        let mut csv = String::from("contact_id,First Name,Last Name,Address,City,Zip,Birth Year\n");
        let mut expected = HashMap::new();
        for (k, r) in voters
            .iter()
            .step_by(voters.len() / 40)
            .take(40)
            .enumerate()
        {
            let fname = if k % 2 == 0 {
                typo(r[first])
            } else {
                r[first].to_lowercase()
            };
            let lname = if k % 3 == 0 {
                typo(r[last])
            } else {
                r[last].to_string()
            };
            csv.push_str(&format!(
                "c{k},{fname},{lname},{},{},{},{}\n",
                r[street].to_lowercase(),
                r[city],
                r[zip],
                r[year]
            ));
            expected.insert(format!("c{k}"), r[ncid].to_string());
        }
        for k in 0..10 {
            csv.push_str(&format!(
                "x{k},Zebulon{k},Quackenbush,{} Nowhere Rd,Elsewhere,99999,1901\n",
                100 + k
            ));
        }
        let contacts = b.path("contacts.csv");
        std::fs::write(&contacts, csv).unwrap();
        let pairs = b.path("matches.csv");
        let clusters = b.path("clusters.csv");
        let out = b
            .cmd(&[
                "link",
                &contacts.to_string_lossy(),
                "--to-voters",
                "--out",
                &pairs.to_string_lossy(),
                "--clusters",
                &clusters.to_string_lossy(),
                "--json",
            ])
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        assert_eq!(v["mode"], "to_voters", "{}", b.name);
        assert_eq!(v["records"][0], 50, "{}", b.name);
        assert!(v["records"][1].as_u64().unwrap() > 2000, "{}: {v}", b.name);

        let (_, rows) = read_csv(&pairs);
        let found: HashSet<(String, String)> =
            rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
        let hits = expected
            .iter()
            .filter(|(c, id)| found.contains(&((*c).clone(), (*id).clone())))
            .count();
        assert!(
            hits >= 36,
            "{}: found {hits} of 40 voters: {found:?}",
            b.name
        );
        let wrong: Vec<_> = found
            .iter()
            .filter(|(c, id)| expected.get(c) != Some(id))
            .collect();
        assert!(wrong.len() <= 2, "{}: unexpected matches {wrong:?}", b.name);
        assert!(
            found.iter().all(|(c, _)| !c.starts_with('x')),
            "{}: strangers matched",
            b.name
        );
        // Clusters (size >= 2 with --to-voters) hold a contact and its voter.
        let (_, crow) = read_csv(&clusters);
        assert!(crow.iter().any(|r| r[1] == "voters"), "{}", b.name);
    }
}
