//! Times the VIP engine on the real Alamance County feed: feed load, index build, and
//! lookups per second over every street segment's first and last address (28,944 free-text
//! addresses), on one thread and on all cores, beside a naive linear scan over the
//! segments (same parsing and normalisation, no index). Both sides answer every address
//! once on one thread, and their answers (the set of precinct ids) are compared address
//! by address: the run fails when they differ.
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

    /// Every precinct whose segment admits the address, sorted and deduplicated.
    fn lookup(&self, index: &Index, text: &str) -> Vec<String> {
        let q = parse_query(text, index);
        let Some(n) = q.number else {
            return Vec::new();
        };
        let mut ids: Vec<String> = self
            .segs
            .iter()
            .filter(|(k, zip, lo, hi, p, _)| {
                k.name == q.name
                    && k.suffix == q.suffix
                    && k.pre == q.pre
                    && k.post == q.post
                    && *zip == q.zip
                    && *lo <= n
                    && n <= *hi
                    && p.admits(n)
            })
            .map(|s| s.5.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// The precinct ids the index gives for an address, sorted (empty when it answers none).
fn index_precincts(answer: &Answer<'_>) -> Vec<String> {
    let mut ids: Vec<String> = match answer {
        Answer::Found {
            precinct,
            also_precincts,
            ..
        } => std::iter::once(precinct.id.clone())
            .chain(also_precincts.iter().map(|p| p.to_string()))
            .collect(),
        Answer::MailOnly { precinct, .. } => vec![precinct.id.clone()],
        Answer::Conflict { precincts, .. } => precincts.iter().map(|p| p.id.clone()).collect(),
        _ => Vec::new(),
    };
    ids.sort();
    ids.dedup();
    ids
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
    // One thread, every address once: the index's answers, kept for the comparison.
    let t = Instant::now();
    let index_answers: Vec<Vec<String>> = queries
        .iter()
        .map(|q| index_precincts(&index.lookup(q)))
        .collect();
    let secs = t.elapsed().as_secs_f64();
    let single = queries.len() as f64 / secs;
    let found = index_answers.iter().filter(|a| !a.is_empty()).count();
    println!(
        "index, 1 thread: {:.0} lookups/s ({:.2} µs each; {found} answered of {})",
        single,
        1e6 / single,
        queries.len()
    );
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let index = index.clone();
            let queries = &queries;
            s.spawn(move || {
                for q in queries.iter().skip(k).step_by(threads) {
                    std::hint::black_box(index.lookup(q));
                }
            });
        }
    });
    let multi = queries.len() as f64 / t.elapsed().as_secs_f64();
    println!("index, {threads} threads: {multi:.0} lookups/s (every address once)");
    let naive = Naive::new(&feed);
    let t = Instant::now();
    let naive_answers: Vec<Vec<String>> = queries.iter().map(|q| naive.lookup(&index, q)).collect();
    let naive_rate = queries.len() as f64 / t.elapsed().as_secs_f64();
    let naive_found = naive_answers.iter().filter(|a| !a.is_empty()).count();
    println!(
        "naive linear scan, 1 thread: {naive_rate:.0} lookups/s ({:.1} µs each; {naive_found} answered of {})",
        1e6 / naive_rate,
        queries.len()
    );
    let differing: Vec<usize> = (0..queries.len())
        .filter(|&i| index_answers[i] != naive_answers[i])
        .collect();
    if let Some(&first) = differing.first() {
        eprintln!(
            "check failed: {} of {} addresses answered differently; first: {:?}: index {:?}, scan {:?}",
            differing.len(),
            queries.len(),
            queries[first],
            index_answers[first],
            naive_answers[first]
        );
        std::process::exit(1);
    }
    println!(
        "check: the index and the scan gave the same precincts for all {} addresses",
        queries.len()
    );
    println!(
        "speed-up of the index over the scan: {:.0}x",
        single / naive_rate
    );
}
