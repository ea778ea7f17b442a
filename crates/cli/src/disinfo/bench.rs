//! `votebase bench disinfo`: prints what `votebase_app::disinfo::bench` measured — a
//! stream of posts clustered by the MinHash/LSH engine, and on a sample the same rule
//! over all pairs (every representative, no LSH) beside it, with the check that both
//! agree.

use clap::Args;
use votebase_app::disinfo::bench::run_bench;

/// `votebase bench disinfo` options.
#[derive(Args, Debug)]
pub struct BenchDisinfoArgs {
    /// Posts to cluster.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
    /// Posts of the all-pairs comparison (n² / 2 pairs).
    #[arg(long, default_value_t = 4_000)]
    pub sample: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn bench(args: BenchDisinfoArgs) -> anyhow::Result<()> {
    let r =
        tokio::task::spawn_blocking(move || run_bench(args.posts, args.sample, args.seed)).await?;
    // The check: the LSH index answers what the exhaustive search answers for at least
    // 95% of the sample's decisions (each taken on the same state). The pairwise agreement
    // of the two final clusterings is printed beside it: one miss moves every later post
    // that would have joined through it, so it measures the cascade, not the index.
    let decision_share = r.decisions_agree as f64 / r.sample.max(1) as f64;
    let agree = decision_share >= 0.95;
    let total = r.signatures + r.assign;
    if args.json {
        let mut v = serde_json::to_value(&r)?;
        v["check_same_decisions"] = serde_json::json!(agree);
        v["total_s"] = serde_json::json!(total.as_secs_f64());
        println!("{v}");
    } else {
        println!(
            "disinfo: {} posts (generated in {:.1}s) on {} threads",
            r.posts,
            r.generate.as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        println!(
            "  engine (MinHash {} × LSH {} bands): signatures {:.2}s + assignment {:.2}s = {:.2}s, {:.1} µs/post, {} narratives",
            r.signature_len,
            r.bands,
            r.signatures.as_secs_f64(),
            r.assign.as_secs_f64(),
            total.as_secs_f64(),
            total.as_secs_f64() * 1e6 / r.posts.max(1) as f64,
            r.narratives
        );
        println!(
            "  sample of {}: engine {:.3}s ({} clusters) vs the same rule over all pairs (every representative, no LSH) {:.2}s ({} pairs, {} clusters)",
            r.sample,
            r.sample_engine.as_secs_f64(),
            r.engine_clusters,
            r.sample_all_pairs.as_secs_f64(),
            r.pairs_compared,
            r.all_pairs_clusters
        );
        println!(
            "  check: every post assigned: {}; the index's answer is the exhaustive search's for {} of {} decisions ({:.1}%; {} misses started a new narrative): {}",
            r.all_assigned,
            r.decisions_agree,
            r.sample,
            decision_share * 100.0,
            r.missed_started_new,
            if agree { "ok" } else { "DIFFERENT" }
        );
        println!(
            "  final clusterings, engine vs all pairs: pair precision {:.3} ({} engine pairs), pair recall {:.3} ({} all-pairs pairs)",
            r.pair_precision, r.engine_pairs, r.pair_recall, r.all_pairs_pairs
        );
        println!(
            "  the same rule by exact Jaccard (no MinHash): pair precision {:.3}, pair recall {:.3} against the engine",
            r.exact_jaccard_precision, r.exact_jaccard_recall
        );
    }
    if !r.all_assigned {
        anyhow::bail!("not every post was assigned");
    }
    Ok(())
}
