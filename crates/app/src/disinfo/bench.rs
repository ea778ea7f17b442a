//! The disinformation benchmark's work (`votebase bench disinfo` prints it): clusters a
//! generated stream of posts (election rumours in English and Spanish planted in chatter)
//! with the MinHash/LSH engine — signatures in parallel (rayon), assignment in order, as
//! an import does — and, on a sample of the same stream, beside the plain alternative
//! doing the same work: the same incremental rule (signatures, similarity,
//! representatives, threshold) with every post compared with every representative of
//! every narrative instead of LSH candidates, with the pairwise agreement of the two
//! ("same narrative" pairs of the engine found by all-pairs, and the other way round).
//! The same rule by exact Jaccard of the token sets is reported beside it, for the effect
//! of the MinHash estimate. (An earlier baseline compared each post with every earlier
//! *post* by exact Jaccard: single-linkage, a different clustering, so the check could
//! only print DIFFERENT.)

use std::collections::HashMap;
use std::time::{Duration, Instant};
use votebase_narrative::minhash::jaccard;
use votebase_narrative::synth::{StreamSpec, stream};
use votebase_narrative::{ClusterParams, Clusterer, Prepared, Signature};

/// What the benchmark measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchReport {
    /// Posts clustered.
    pub posts: usize,
    /// Time to generate them.
    pub generate: Duration,
    /// Normalising and signing (parallel).
    pub signatures: Duration,
    /// Assigning (in order).
    pub assign: Duration,
    /// Narratives created.
    pub narratives: usize,
    /// MinHash length and LSH bands.
    pub signature_len: usize,
    /// LSH bands.
    pub bands: usize,
    /// Sample size of the all-pairs comparison.
    pub sample: usize,
    /// The engine on the sample.
    pub sample_engine: Duration,
    /// All pairs on the sample.
    pub sample_all_pairs: Duration,
    /// Pairs compared.
    pub pairs_compared: u64,
    /// Clusters of the engine on the sample.
    pub engine_clusters: usize,
    /// Clusters of all-pairs on the sample.
    pub all_pairs_clusters: usize,
    /// Of the engine's same-narrative pairs, the share all-pairs has too.
    pub pair_precision: f64,
    /// Of all-pairs' same-cluster pairs, the share the engine has too.
    pub pair_recall: f64,
    /// Same-narrative pairs of the engine.
    pub engine_pairs: u64,
    /// Same-cluster pairs of all-pairs.
    pub all_pairs_pairs: u64,
    /// Every post got a narrative.
    pub all_assigned: bool,
    /// Of the engine's pairs, the share the same rule by exact Jaccard has too.
    pub exact_jaccard_precision: f64,
    /// Of the exact-Jaccard rule's pairs, the share the engine has too.
    pub exact_jaccard_recall: f64,
    /// Sample posts for which the LSH index answered what the exhaustive search over the
    /// same state answers (the same narrative, or an equally similar one, or none).
    pub decisions_agree: usize,
    /// Of the others, those the index found no narrative for (they started one).
    pub missed_started_new: usize,
}

/// Pairwise agreement of two clusterings of the same items: of the pairs `a` puts
/// together, the share `b` does too (precision), and the other way (recall).
fn pair_agreement(a: &[usize], b: &[usize]) -> (f64, f64, u64, u64) {
    let pairs = |labels: &[usize]| {
        let mut m: HashMap<usize, u64> = HashMap::new();
        for l in labels {
            *m.entry(*l).or_default() += 1;
        }
        m.values().map(|n| n * (n - 1) / 2).sum::<u64>()
    };
    let mut both: HashMap<(usize, usize), u64> = HashMap::new();
    for (x, y) in a.iter().zip(b) {
        *both.entry((*x, *y)).or_default() += 1;
    }
    let common: u64 = both.values().map(|n| n * (n - 1) / 2).sum();
    let (pa, pb) = (pairs(a), pairs(b));
    let ratio = |n: u64, d: u64| if d == 0 { 1.0 } else { n as f64 / d as f64 };
    (ratio(common, pa), ratio(common, pb), pa, pb)
}

/// Runs the benchmark: `posts` posts clustered, `sample` of them compared with all pairs.
pub fn run_bench(posts_wanted: usize, sample: usize, seed: u64) -> BenchReport {
    let params = ClusterParams::default();
    let t = Instant::now();
    let mut spec = StreamSpec::election_day(seed, posts_wanted.saturating_sub(900));
    spec.hours = 24 * 7;
    // Rumours scale with the stream: a trickle of each, and the "polls moved" burst.
    for (_, trickle, _) in spec.planted.iter_mut() {
        *trickle = (posts_wanted / 1_000).max(*trickle);
    }
    let posts = stream(&spec);
    let generated = t.elapsed();
    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();

    let t = Instant::now();
    let prepared = Prepared::all(&texts);
    let signing = t.elapsed();
    let t = Instant::now();
    let mut clusterer = Clusterer::new(params, 1);
    let assigned: Vec<i64> = prepared
        .iter()
        .map(|p| clusterer.assign(&p.signature).narrative)
        .collect();
    let assigning = t.elapsed();
    let narratives = clusterer.created();

    // The sample: the engine, fresh, and every pair by exact Jaccard.
    let n = sample.min(posts.len());
    let t = Instant::now();
    let mut sample_engine = Clusterer::new(params, 1);
    let engine_labels: Vec<usize> = prepared[..n]
        .iter()
        .map(|p| sample_engine.assign(&p.signature).narrative as usize)
        .collect();
    let engine_time = t.elapsed();
    // Decision by decision: before each post joins, what the LSH index answers against
    // what every representative compared would answer, on the same state (so one miss is
    // counted once, not again in every post it moves afterwards).
    let mut checked = Clusterer::new(params, 1);
    let mut decisions_agree = 0usize;
    let mut missed_started_new = 0usize;
    for p in &prepared[..n] {
        let (found, best) = (
            checked.closest(&p.signature),
            checked.closest_exhaustive(&p.signature),
        );
        let same = match (found, best) {
            (None, None) => true,
            (Some((a, sa)), Some((b, sb))) => a == b || sa == sb,
            _ => false,
        };
        if same {
            decisions_agree += 1;
        } else if found.is_none() {
            missed_started_new += 1;
        }
        checked.assign(&p.signature);
    }
    let t = Instant::now();
    // The plain alternative doing the same work: the same incremental rule (the same
    // signatures and similarity, representatives, threshold, novelty and tie-break), but
    // each post compared with every representative of every narrative so far instead of
    // the LSH candidates. What differs from the engine is only what LSH misses.
    let signatures: Vec<&Signature> = prepared[..n].iter().map(|p| &p.signature).collect();
    let (exact_labels, compared) =
        all_pairs(n, &params, |i, j| signatures[i].similarity(signatures[j]));
    let exact_time = t.elapsed();
    // The same rule again with the exact Jaccard of the token sets (what MinHash
    // estimates): how far the estimate itself moves clusters.
    let tokens: Vec<&[String]> = prepared[..n].iter().map(|p| p.tokens.as_slice()).collect();
    let (jaccard_labels, _) = all_pairs(n, &params, |i, j| {
        if tokens[i].is_empty() || tokens[j].is_empty() {
            0.0
        } else {
            jaccard(tokens[i], tokens[j])
        }
    });
    let (exact_jaccard_precision, exact_jaccard_recall, _, _) =
        pair_agreement(&engine_labels, &jaccard_labels);
    let (precision, recall, engine_pairs, exact_pairs) =
        pair_agreement(&engine_labels, &exact_labels);
    let exact_clusters = {
        let mut l = exact_labels.clone();
        l.sort_unstable();
        l.dedup();
        l.len()
    };
    let engine_clusters = {
        let mut l = engine_labels.clone();
        l.sort_unstable();
        l.dedup();
        l.len()
    };
    BenchReport {
        posts: posts.len(),
        generate: generated,
        signatures: signing,
        assign: assigning,
        narratives,
        signature_len: votebase_narrative::SIGNATURE_LEN,
        bands: votebase_narrative::minhash::BANDS,
        sample: n,
        sample_engine: engine_time,
        sample_all_pairs: exact_time,
        pairs_compared: compared,
        engine_clusters,
        all_pairs_clusters: exact_clusters,
        pair_precision: precision,
        pair_recall: recall,
        engine_pairs,
        all_pairs_pairs: exact_pairs,
        all_assigned: assigned.len() == posts.len(),
        exact_jaccard_precision,
        exact_jaccard_recall,
        decisions_agree,
        missed_started_new,
    }
}

/// The engine's incremental rule without LSH: post `i` (in order) is compared by `sim`
/// with every representative of every narrative so far (narratives in creation order, the
/// first of equals kept, as the engine's candidate order does), joins the most similar
/// at or above the threshold (becoming a representative while there is room and it is
/// novel), or starts a narrative. Returns each post's narrative and the pairs compared.
fn all_pairs(
    n: usize,
    params: &ClusterParams,
    sim: impl Fn(usize, usize) -> f64,
) -> (Vec<usize>, u64) {
    // Representatives (post indices) per narrative, narratives by creation.
    let mut narratives: Vec<Vec<usize>> = Vec::new();
    let mut labels = Vec::with_capacity(n);
    let mut compared = 0u64;
    for i in 0..n {
        let mut best: Option<(usize, f64)> = None;
        for (k, reps) in narratives.iter().enumerate() {
            let s = reps
                .iter()
                .map(|r| {
                    compared += 1;
                    sim(i, *r)
                })
                .fold(0.0, f64::max);
            if s >= params.threshold && best.is_none_or(|(_, b)| s > b) {
                best = Some((k, s));
            }
        }
        match best {
            Some((k, s)) => {
                if narratives[k].len() < params.max_representatives && s < params.novelty {
                    narratives[k].push(i);
                }
                labels.push(k);
            }
            None => {
                // A post with no content has no representative (it matches nothing).
                let reps = if sim(i, i) > 0.0 { vec![i] } else { Vec::new() };
                labels.push(narratives.len());
                narratives.push(reps);
            }
        }
    }
    (labels, compared)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_pairs_follows_the_incremental_rule() {
        let params = ClusterParams::default();
        // 0 and 1 alike, 2 alone, 3 like 1 only (joins through 1, a representative),
        // 4 has no content.
        let sims = [
            [1.0, 0.5, 0.0, 0.1, 0.0],
            [0.5, 1.0, 0.0, 0.4, 0.0],
            [0.0, 0.0, 1.0, 0.0, 0.0],
            [0.1, 0.4, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
        ];
        let (labels, compared) = all_pairs(5, &params, |i, j| sims[i][j]);
        assert_eq!(labels, vec![0, 0, 1, 0, 2]);
        // 1: 0's one rep; 2: its two; 3: those and 2's; 4: 0's three and 2's.
        assert_eq!(compared, 1 + 2 + 3 + 4);
        let engine_like = ClusterParams {
            max_representatives: 1,
            ..params
        };
        let (labels, _) = all_pairs(5, &engine_like, |i, j| sims[i][j]);
        assert_eq!(labels, vec![0, 0, 1, 2, 3], "no room: 3 only meets 0");
    }

    #[test]
    fn pair_agreement_counts_shared_pairs() {
        assert_eq!(pair_agreement(&[1, 1, 2], &[5, 5, 6]), (1.0, 1.0, 1, 1));
        let (p, r, a, b) = pair_agreement(&[1, 1, 1], &[1, 1, 2]);
        assert_eq!((a, b), (3, 1));
        assert!((p - 1.0 / 3.0).abs() < 1e-9 && r == 1.0);
    }
}
