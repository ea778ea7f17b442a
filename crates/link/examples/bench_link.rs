//! Benchmark: generates synthetic voter-file / contact-list data with truth, links it and prints
//! time, pairs compared, precision/recall/F1 and peak memory (VmHWM).
//!
//! `cargo run --release -p votebase-link --example bench_link -- --size 100000 [--seed 1]
//! [--shape voter|febrl] [--no-id] [--threshold 0.9] [--write-csv DIR] [--show-errors 5] [--model]`
//!
//! `--shape febrl` generates the FEBRL-style link task (`synth::febrl`); `--no-id` drops its
//! soc_sec_id column from the configuration.
//!
//! With `--write-csv DIR` it only writes `a.csv`, `b.csv` and `truth.csv` (for Splink or the CLI).

use std::time::Instant;
use votebase_link::synth::{CSV_HEADER, SynthConfig, febrl, generate, write_csv};
use votebase_link::*;

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

struct Bar;
impl Progress for Bar {
    fn stage(&self, stage: Stage, total: u64) {
        eprintln!("  stage {stage:?} ({total})");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size: usize = arg(&args, "--size").unwrap_or(100_000);
    let seed: u64 = arg(&args, "--seed").unwrap_or(1);
    let mut synth = SynthConfig::new(size, seed);
    if let Some(b) = arg(&args, "--size-b") {
        synth.size_b = b;
    }
    let febrl_shape = arg::<String>(&args, "--shape").is_some_and(|s| s == "febrl");
    if let Some(dir) = arg::<String>(&args, "--write-csv") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir)?;
        let f = |n: &str| std::fs::File::create(dir.join(n)).map(std::io::BufWriter::new);
        if febrl_shape {
            febrl::write_csv(&synth, f("a.csv")?, f("b.csv")?, f("truth.csv")?)?;
        } else {
            write_csv(&synth, f("a.csv")?, f("b.csv")?, f("truth.csv")?)?;
        }
        println!("wrote {}/{{a,b,truth}}.csv", dir.display());
        return Ok(());
    }
    let t0 = Instant::now();
    let data = if febrl_shape {
        febrl::generate(&synth)
    } else {
        generate(&synth)
    };
    let t_gen = t0.elapsed().as_secs_f64();
    let mut cfg = if febrl_shape {
        infer_config(&febrl::HEADER)
    } else {
        infer_config(&CSV_HEADER)
    };
    if args.iter().any(|a| a == "--no-id") {
        cfg.columns.voter_id = None;
        cfg.blocking = config::default_blocking(&cfg.columns);
    }
    if let Some(t) = arg(&args, "--threshold") {
        cfg.threshold = t;
    }
    let t1 = Instant::now();
    let mut sink = CollectPairs::default();
    let out = link(&data.a, &data.b, &cfg, &mut sink, &Bar)?;
    let t_link = t1.elapsed().as_secs_f64();
    let m = eval::evaluate(
        sink.0.iter().map(|x| (x.0, x.1)),
        data.truth.iter().copied(),
        false,
    );
    print!("{}", out.report);
    if args.iter().any(|a| a == "--model") {
        println!("{}", out.model.describe());
    }
    println!(
        "size {size} x {}: generate {t_gen:.2}s, link {t_link:.2}s, pairs compared {}, {}, peak RSS {:.0} MiB",
        synth.size_b,
        out.report.pairs_compared,
        m,
        peak_rss_mib()
    );
    if let Some(n) = arg::<usize>(&args, "--show-errors") {
        let truth: std::collections::HashSet<(u32, u32)> = data.truth.iter().copied().collect();
        for &(a, b, p) in sink
            .0
            .iter()
            .filter(|x| !truth.contains(&(x.0, x.1)))
            .take(n)
        {
            println!(
                "FALSE p={p:.3}\n  {:?}\n  {:?}",
                data.a.normalised(a as usize),
                data.b.normalised(b as usize)
            );
        }
        let found: std::collections::HashSet<(u32, u32)> =
            sink.0.iter().map(|x| (x.0, x.1)).collect();
        for &(a, b) in data.truth.iter().filter(|t| !found.contains(t)).take(n) {
            println!(
                "MISSED\n  {:?}\n  {:?}",
                data.a.normalised(a as usize),
                data.b.normalised(b as usize)
            );
        }
    }
    Ok(())
}
