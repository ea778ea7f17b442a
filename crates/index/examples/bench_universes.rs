//! Benchmark of universe counts: builds the bitmap index over N synthetic voters, then
//! times `count` and a county breakdown for ten expressions (one to eight clauses)
//! beside a naive scan over a `Vec` of structs evaluating the same resolved query.
//!
//! ```text
//! cargo run --release -p votebase-index --example bench_universes -- --voters 1000000
//! cargo run --release -p votebase-index --example bench_universes -- --voters 10000000 --runs 20 --naive-runs 5
//! ```

use std::time::{Duration, Instant};

use votebase_index::scan::ScanTable;
use votebase_index::{Dimension, IndexBuilder, synth};

const EXPRESSIONS: [&str; 10] = [
    "party:DEM",
    "county:WAKE,DURHAM status:active",
    "age:18..29 voted:2020-11-03 !voted:2022-11-08",
    "status:active party:UNA gender:F age:65..",
    "county:\"NEW HANOVER\",GUILFORD,FORSYTH !status:removed,denied age:25..44 score:support:40..70 contacted:phone:60d",
    "county:MECKLENBURG precinct:01-02,01-03 votes:3.. !method:early@2024-11-05 status:active party:DEM",
    "cd:4 party:DEM,UNA registered:2020-01-01.. status:active,inactive !voted:2024-11-05 age:..35 gender:F",
    "tag:volunteer-prospect support>=60 county:WAKE,DURHAM,ORANGE status:active !contacted:door:30d age:18.. party:DEM,UNA",
    "ballot:requested !ballot:returned status:active county:WAKE hd:3,4,5 age:..40 party:DEM !contacted:any:14d",
    "voted:2016-11-08 voted:2020-11-03 !voted:2022-11-08 votes:..4 party:REP,UNA gender:M status:active age:30..60",
];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.replace('_', "").parse().expect("a number"))
        .unwrap_or(default)
}

fn vm_hwm_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentiles(mut d: Vec<Duration>) -> (f64, f64) {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1e3;
    let p = |q: f64| ms(d[((d.len() - 1) as f64 * q).round() as usize]);
    (p(0.5), p(0.99))
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<Duration>, T) {
    let mut out = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(std::hint::black_box(f()));
        out.push(t.elapsed());
    }
    (out, last.expect("runs > 0"))
}

fn main() {
    let n = arg("--voters", 1_000_000);
    let runs = arg("--runs", 50).max(1);
    let naive_runs = arg("--naive-runs", 10).max(1);
    let seed = arg("--seed", 1) as u64;

    // Build the index, timing only the builder (generation is excluded).
    let mut b = IndexBuilder::with_capacity(synth::reference_date(), n);
    let mut feed = Duration::ZERO;
    let mut history_rows = 0u64;
    let gen_start = Instant::now();
    for i in 0..n {
        let v = synth::voter(seed, i, n);
        let t = Instant::now();
        b.add_voter(&v.record).expect("unique ids");
        for h in &v.history {
            b.add_history(h);
        }
        synth::feed_keyed(&mut b, &v).expect("known voter");
        feed += t.elapsed();
        history_rows += v.history.len() as u64;
    }
    let total_feed = gen_start.elapsed();
    let t = Instant::now();
    let index = b.build();
    let freeze = t.elapsed();
    let hwm_index = vm_hwm_mib();
    let stats = index.stats();
    println!(
        "voters {n}, history rows {history_rows}; generate+feed {:.2} s (builder calls {:.2} s), build() {:.2} s, \
         index build total {:.2} s; VmHWM after build {:.0} MiB; {} bitmaps, {:.0} MiB bitmaps + {:.0} MiB ids",
        total_feed.as_secs_f64(),
        feed.as_secs_f64(),
        freeze.as_secs_f64(),
        (feed + freeze).as_secs_f64(),
        hwm_index,
        stats.bitmaps,
        stats.bitmap_bytes as f64 / 1048576.0,
        stats.id_bytes as f64 / 1048576.0,
    );

    // The naive alternative over the same records.
    let t = Instant::now();
    let mut scan = ScanTable::new();
    for i in 0..n {
        let v = synth::voter(seed, i, n);
        scan.add_voter(&v.record);
        for h in &v.history {
            scan.add_history(h);
        }
        synth::feed_keyed_scan(&mut scan, &v);
    }
    println!(
        "scan table (naive) generate+load {:.2} s; VmHWM now {:.0} MiB",
        t.elapsed().as_secs_f64(),
        vm_hwm_mib()
    );
    println!();
    println!(
        "| # | clauses | expression | matches | index count p50 / p99 ms | naive count p50 / p99 ms | index by county p50 / p99 ms | naive by county p50 / p99 ms | speed-up (count p50) |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for (i, text) in EXPRESSIONS.iter().enumerate() {
        let expr = votebase_index::parse(text).expect("parses");
        let q = index
            .resolve(&expr)
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        let (ic, count) = time(runs, || index.count(&expr).expect("resolves"));
        let (ib, by_county) = time(runs, || {
            index.breakdown(&expr, Dimension::County).expect("resolves")
        });
        let (nc, naive_count) = time(naive_runs, || scan.count(&q));
        let (nb, naive_by) = time(naive_runs, || scan.count_by_county(&q));
        assert_eq!(count, naive_count, "{text}");
        assert_eq!(by_county, naive_by, "{text}");
        let (ic50, ic99) = percentiles(ic);
        let (ib50, ib99) = percentiles(ib);
        let (nc50, nc99) = percentiles(nc);
        let (nb50, nb99) = percentiles(nb);
        println!(
            "| {} | {} | `{}` | {} | {:.3} / {:.3} | {:.1} / {:.1} | {:.3} / {:.3} | {:.1} / {:.1} | {:.0}× |",
            i + 1,
            expr.clauses.len(),
            text,
            count,
            ic50,
            ic99,
            nc50,
            nc99,
            ib50,
            ib99,
            nb50,
            nb99,
            nc50 / ic50.max(1e-6)
        );
    }
    println!();
    println!("index runs per expression: {runs}; naive runs: {naive_runs}");
}
