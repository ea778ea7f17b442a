//! Accuracy on the FEBRL deduplication benchmarks (shared data, truth never used in training),
//! with all columns and with `soc_sec_id` removed (the honest case: voter files have no such
//! key). Skipped when the shared data is absent.

use std::path::PathBuf;
use votebase_link::eval::{Metrics, evaluate};
use votebase_link::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/febrl/"
    ))
    .join(name)
}

fn run(set: &str, with_ssn: bool) -> Option<Metrics> {
    let path = data(&format!("{set}.csv"));
    if !path.exists() {
        eprintln!("skipping: {} not found", path.display());
        return None;
    }
    let headers = read_headers(&path).unwrap();
    let mut cfg = infer_config(&headers);
    if !with_ssn {
        cfg.columns.voter_id = None;
        cfg.blocking = config::default_blocking(&cfg.columns);
    }
    let d = read_csv(&path, &cfg).unwrap();
    let mut sink = CollectPairs::default();
    let out = dedupe(&d, &cfg, &mut sink, &NoProgress).unwrap();
    let found = sink.0.iter().map(|&(a, b, _)| {
        (
            d.record_id(a as usize).to_string(),
            d.record_id(b as usize).to_string(),
        )
    });
    let truth_text = std::fs::read_to_string(data(&format!("{set}_truth.csv"))).unwrap();
    let truth = truth_text.lines().skip(1).map(|l| {
        let (x, y) = l.split_once(',').unwrap();
        (x.to_string(), y.to_string())
    });
    let m = evaluate(found, truth, true);
    eprintln!("{set} with_ssn={with_ssn}: {m}\n{}", out.report);
    if std::env::var_os("LINK_DEBUG").is_some() {
        eprintln!("{}", out.model.describe());
    }
    Some(m)
}

fn check(set: &str, with_ssn: bool, floor: f64) {
    if let Some(m) = run(set, with_ssn) {
        assert!(
            m.f1 >= floor,
            "{set} with_ssn={with_ssn}: {m} below F1 floor {floor}"
        );
    }
}

#[test]
fn febrl1_all_columns() {
    check("febrl1", true, 0.995);
}

#[test]
fn febrl1_without_ssn() {
    check("febrl1", false, 0.98);
}

#[test]
fn febrl2_all_columns() {
    check("febrl2", true, 0.993);
}

#[test]
fn febrl2_without_ssn() {
    check("febrl2", false, 0.975);
}
