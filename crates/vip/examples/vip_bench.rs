//! Times the VIP engine on the real Alamance County feed: feed load, index build, and
//! lookups per second over every street segment's first and last address (28,944 free-text
//! addresses), on one thread and on all cores, beside a naive linear scan over the
//! segments (same parsing and normalisation, no index).
//!
//! `cargo run --release -p votebase-vip --example vip_bench [FEED_DIR]`

use std::path::PathBuf;
use std::time::Instant;
use votebase_vip::index::{StreetKey, normalize_street};
use votebase_vip::model::{Feed, Parity};
use votebase_vip::{Answer, Index, load, parse_query};

fn addresses(feed: &Feed) -> Vec<String> {
    let mut out = Vec::with_capacity(feed.street_segments.len() * 2);
    for s in &feed.street_segments {
        let (Some(a), Some(b), Some(p)) = (s.start, s.end, s.parity) else {
            continue;
        };
        let fix = |n: u32, up: bool| match p {
            Parity::Both => n,
            p if p.admits(n) => n,
            _ if up => n + 1,
            _ => n - 1,
        };
        for n in [fix(a, true), fix(b, false)] {
            out.push(format!(
                "{n} {} {} {} {}, {}, {} {}",
                s.pre_direction,
                s.street_name,
                s.street_suffix,
                s.post_direction,
                s.city,
                s.state,
                s.zip
            ));
        }
    }
    out
}

/// The naive alternative: every segment pre-normalised once, each lookup scans them all.
struct Naive {
    segs: Vec<(StreetKey, String, u32, u32, Parity, String)>,
}

impl Naive {
    fn new(feed: &Feed) -> Naive {
        Naive {
            segs: feed
                .street_segments
                .iter()
                .map(|s| {
                    (
                        normalize_street(
                            &s.pre_direction,
                            &s.street_name,
                            &s.street_suffix,
                            &s.post_direction,
                        ),
                        votebase_normalize::normalize_zip(&s.zip).0,
                        s.start.unwrap_or(0),
                        s.end.unwrap_or(0),
                        s.parity.unwrap_or(Parity::Both),
                        s.precinct_id.clone(),
                    )
                })
                .collect(),
        }
    }

    fn lookup(&self, index: &Index, text: &str) -> Option<&str> {
        let q = parse_query(text, index);
        let n = q.number?;
        self.segs
            .iter()
            .find(|(k, zip, lo, hi, p, _)| {
                k.name == q.name
                    && k.suffix == q.suffix
                    && k.pre == q.pre
                    && k.post == q.post
                    && *zip == q.zip
                    && *lo <= n
                    && n <= *hi
                    && p.admits(n)
            })
            .map(|s| s.5.as_str())
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/vip/csv-3.0-nc-alamance")
        });
    let t = Instant::now();
    let feed = load(&dir).expect("feed");
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let index = Index::build(&feed);
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    let queries = addresses(&feed);
    println!(
        "feed: {} segments, {} precincts; load {load_ms:.1} ms, index build {build_ms:.1} ms",
        feed.street_segments.len(),
        feed.precincts.len()
    );
    // Single thread, several rounds.
    let rounds = 5;
    let t = Instant::now();
    let mut found = 0usize;
    for _ in 0..rounds {
        for q in &queries {
            if matches!(
                index.lookup(q),
                Answer::Found { .. } | Answer::Conflict { .. }
            ) {
                found += 1;
            }
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let single = (rounds * queries.len()) as f64 / secs;
    println!(
        "index, 1 thread: {:.0} lookups/s ({:.2} µs each; {found} answered of {})",
        single,
        1e6 / single,
        rounds * queries.len()
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let index = index.clone();
            let queries = &queries;
            s.spawn(move || {
                for _ in 0..rounds {
                    for q in queries.iter().skip(k).step_by(threads) {
                        std::hint::black_box(index.lookup(q));
                    }
                }
            });
        }
    });
    let multi = (rounds * queries.len()) as f64 / t.elapsed().as_secs_f64();
    println!("index, {threads} threads: {multi:.0} lookups/s");
    let naive = Naive::new(&feed);
    let sample: Vec<&String> = queries.iter().step_by(10).collect();
    let t = Instant::now();
    let mut naive_found = 0;
    for q in &sample {
        if naive.lookup(&index, q).is_some() {
            naive_found += 1;
        }
    }
    let naive_rate = sample.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "naive linear scan, 1 thread: {naive_rate:.0} lookups/s ({:.1} µs each; {naive_found} of {} found; every 10th address)",
        1e6 / naive_rate,
        sample.len()
    );
    println!(
        "speed-up of the index over the scan: {:.0}x",
        single / naive_rate
    );
}
