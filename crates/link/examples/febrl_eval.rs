//! Evaluates the linker on a FEBRL file with truth and lists the missed and false pairs:
//! `cargo run --release -p votebase-link --example febrl_eval -- febrl2 [--no-ssn] [--verbose]`.

use std::collections::HashMap;
use std::path::PathBuf;
use votebase_link::eval::evaluate;
use votebase_link::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let set = args.first().cloned().unwrap_or_else(|| "febrl2".into());
    let no_ssn = args.iter().any(|a| a == "--no-ssn");
    let verbose = args.iter().any(|a| a == "--verbose");
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/febrl/"
    ));
    let path = dir.join(format!("{set}.csv"));
    let mut cfg = infer_config(&read_headers(&path)?);
    if no_ssn {
        cfg.columns.voter_id = None;
        cfg.blocking = config::default_blocking(&cfg.columns);
    }
    let threshold = cfg.threshold;
    cfg.threshold = 1e-6;
    let d = read_csv(&path, &cfg)?;
    let mut sink = CollectPairs::default();
    let out = dedupe(&d, &cfg, &mut sink, &NoProgress)?;
    let id = |i: u32| d.record_id(i as usize).to_string();
    let key = |a: u32, b: u32| {
        let (x, y) = (id(a), id(b));
        if x < y { (x, y) } else { (y, x) }
    };
    let scored: HashMap<(String, String), f64> =
        sink.0.iter().map(|&(a, b, p)| (key(a, b), p)).collect();
    let text = std::fs::read_to_string(dir.join(format!("{set}_truth.csv")))?;
    let truth: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let (x, y) = l.split_once(',').unwrap();
            (x.to_string(), y.to_string())
        })
        .collect();
    let found = scored
        .iter()
        .filter(|(_, p)| **p >= threshold)
        .map(|(k, _)| k.clone());
    println!("{}", evaluate(found, truth.iter().cloned(), true));
    print!("{}", out.report);
    if verbose {
        println!("{}", out.model.describe());
    }
    let pos: HashMap<&str, usize> = (0..d.len()).map(|i| (d.record_id(i), i)).collect();
    let show = |x: &str| format!("{:?}", d.normalised(pos[x]));
    let mut not_blocked = 0;
    for t in &truth {
        match scored.get(t) {
            None => {
                not_blocked += 1;
                if verbose {
                    println!("NOT BLOCKED\n  {}\n  {}", show(&t.0), show(&t.1));
                }
            }
            Some(p) if *p < threshold && verbose => {
                println!("MISSED p={p:.4}\n  {}\n  {}", show(&t.0), show(&t.1));
            }
            _ => {}
        }
    }
    println!("true pairs not in any block: {not_blocked}");
    let truth_set: std::collections::HashSet<_> = truth.iter().cloned().collect();
    for (k, p) in &scored {
        if *p >= threshold && !truth_set.contains(k) {
            println!("FALSE p={p:.4}\n  {}\n  {}", show(&k.0), show(&k.1));
        }
    }
    Ok(())
}
