//! Early exit while scoring: a pair's comparisons are evaluated most evidence per unit of work
//! first (the weight range of a comparison over its cost), and
//! as soon as the weight so far plus the largest weight the remaining comparisons could still
//! add (their best level's Bayes factor, with the largest term-frequency adjustment any value
//! can get) falls below the threshold's weight, the pair is dropped without computing the rest.
//! Pairs a deterministic rule could match (equal id, email or phone) are always scored in full,
//! and pairs that survive are re-scored in the model's own order, so the decisions and weights
//! are exactly those of full scoring.

use crate::comparisons::{Comparison, Gamma, MAX_COMPARISONS};
use crate::config::LinkConfig;
use crate::dataset::{F_EMAIL, F_ID, F_PHONE, Row};
use crate::model::Model;
use crate::prepare::Prepared;

/// The evaluation order and the bounds of one trained model.
pub(crate) struct Bounded {
    /// Comparison indices, the widest weight range first.
    order: Vec<usize>,
    /// `rest[i]`: the largest total the comparisons `order[i..]` can add.
    rest: Vec<f64>,
    /// The smallest weight whose probability reaches the threshold (with a safety margin).
    min_weight: f64,
    /// Which deterministic rules are on (an exact id / email / phone forces full scoring).
    det_id: bool,
    det_email: bool,
    det_phone: bool,
}

/// The smallest match weight (bits) whose probability reaches `threshold`, lowered by a margin
/// so rounding can never drop a pair full scoring would keep.
pub(crate) fn min_weight(threshold: f64) -> f64 {
    if threshold <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if threshold >= 1.0 {
        // Probability rounds to exactly 1.0 only above about 53 bits.
        return 50.0;
    }
    (threshold / (1.0 - threshold)).log2() - 1e-6
}

impl Bounded {
    pub(crate) fn new(model: &Model, p: &Prepared, config: &LinkConfig) -> Self {
        let comps = &model.comparisons;
        let (mut lo, mut hi) = (vec![0f64; comps.len()], vec![0f64; comps.len()]);
        for (k, c) in comps.iter().enumerate() {
            for l in 0..=c.n_levels() {
                let mut b = model.bayes_factor_bits(k, l as u8);
                lo[k] = lo[k].min(b);
                if l == 1
                    && model.term_frequency
                    && let Some(f) = c.tf_field()
                {
                    b += p.tf[f].max_adjustment(model.u[k][0]);
                }
                hi[k] = hi[k].max(b);
            }
        }
        // Most evidence per unit of work first: integer comparisons (ids, dates, state) are
        // cheap, names and addresses need string similarity.
        let cost = |c: Comparison| match c {
            Comparison::FirstName | Comparison::LastName => 3.0,
            Comparison::Address => 4.0,
            Comparison::Street | Comparison::City | Comparison::Address2 => 2.0,
            _ => 1.0,
        };
        let value = |k: usize| (hi[k] - lo[k]) / cost(comps[k]);
        let mut order: Vec<usize> = (0..comps.len()).collect();
        order.sort_by(|&x, &y| value(y).total_cmp(&value(x)));
        let mut rest = vec![0f64; order.len() + 1];
        for i in (0..order.len()).rev() {
            rest[i] = rest[i + 1] + hi[order[i]] + 1e-9;
        }
        let d = &config.deterministic;
        let has = |c: Comparison| comps.contains(&c);
        Bounded {
            order,
            rest,
            min_weight: min_weight(config.threshold),
            det_id: d.voter_id && has(Comparison::VoterId),
            det_email: d.email && has(Comparison::Email),
            det_phone: d.phone_last_name && has(Comparison::Phone),
        }
    }

    fn maybe_deterministic(&self, x: &Row, y: &Row) -> bool {
        let eq = |f: usize| x[f] != 0 && x[f] == y[f];
        (self.det_id && eq(F_ID))
            || (self.det_email && eq(F_EMAIL))
            || (self.det_phone && eq(F_PHONE))
    }

    /// The comparison vector and weight of a pair (as [`Prepared::gamma`] and [`Model::score`]
    /// give them, contributions filled in), or `None` when the pair cannot reach the threshold
    /// and no deterministic rule can match it.
    #[inline]
    pub(crate) fn score(
        &self,
        model: &Model,
        p: &Prepared,
        x: &Row,
        y: &Row,
        contrib: &mut [f32; MAX_COMPARISONS],
    ) -> Option<(Gamma, f64)> {
        let comps = &model.comparisons;
        if self.maybe_deterministic(x, y) {
            let g = p.gamma(comps, x, y);
            let w = model.score(p, &g, x, y, contrib);
            return Some((g, w));
        }
        let mut g = [0u8; MAX_COMPARISONS];
        let mut w = model.prior_bits();
        for (i, &k) in self.order.iter().enumerate() {
            let c = comps[k];
            let l = p.level(c, x, y);
            g[k] = l;
            let mut b = model.bayes_factor_bits(k, l);
            if l == 1
                && model.term_frequency
                && let Some(f) = c.tf_field()
            {
                b += p.tf[f].adjustment(x[f].max(y[f]), model.u[k][0]);
            }
            w += b;
            if w + self.rest[i + 1] < self.min_weight {
                return None;
            }
        }
        let w = model.score(p, &g, x, y, contrib);
        Some((g, w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SynthConfig, febrl};

    /// On a generated set, at the given thresholds and at one set to the weight of the true
    /// pair at the 10th percentile (so that true pairs sit on both sides of it), the early exit drops exactly the
    /// pairs full scoring puts below the threshold (and no deterministic match), and keeps the
    /// rest with the same levels, weight and contributions.
    fn same_decisions(data: &crate::synth::SynthData, headers: &[&str], thresholds: &[f64]) {
        let cfg = crate::infer_config(headers);
        let mut sink = crate::CollectPairs::default();
        let out = crate::link(&data.a, &data.b, &cfg, &mut sink, &crate::NoProgress).unwrap();
        let model = out.model;
        let p = Prepared::link(&data.a, &data.b);
        // The first 100 records of A against all of B (mostly clear non-matches), and every
        // true pair and its neighbours.
        let mut pairs: Vec<(usize, usize)> = (0..100)
            .flat_map(|i| (0..p.b.len()).map(move |j| (i, j)))
            .collect();
        let mut truth_w = Vec::new();
        for &(i, j) in &data.truth {
            let (i, j) = (i as usize, j as usize);
            pairs.extend([(i, j), (i, (j + 1) % p.b.len()), ((i + 1) % p.a.len(), j)]);
            let mut c = [0f32; MAX_COMPARISONS];
            let g = p.gamma(&model.comparisons, &p.a[i], &p.b[j]);
            truth_w.push(model.score(&p, &g, &p.a[i], &p.b[j], &mut c));
        }
        truth_w.sort_by(f64::total_cmp);
        let low = Model::probability(truth_w[truth_w.len() / 10]);
        for &threshold in thresholds.iter().chain([&low]) {
            let mut cfg = cfg.clone();
            cfg.threshold = threshold;
            let bounded = Bounded::new(&model, &p, &cfg);
            let (mut dropped, mut kept) = (0, 0);
            for &(i, j) in &pairs {
                let (x, y) = (&p.a[i], &p.b[j]);
                let mut c1 = [0f32; MAX_COMPARISONS];
                let g = p.gamma(&model.comparisons, x, y);
                let w = model.score(&p, &g, x, y, &mut c1);
                let prob = Model::probability(w);
                let mut c2 = [0f32; MAX_COMPARISONS];
                match bounded.score(&model, &p, x, y, &mut c2) {
                    None => {
                        assert!(prob < threshold, "a{i} b{j}: dropped at p={prob}");
                        assert!(!bounded.maybe_deterministic(x, y));
                        dropped += 1;
                    }
                    Some((g2, w2)) => {
                        assert_eq!(g2, g);
                        assert_eq!(w2, w);
                        assert_eq!(c1, c2);
                        kept += 1;
                    }
                }
            }
            // The exit must do real work.
            assert!(
                dropped > kept * 5,
                "t={threshold}: dropped {dropped}, kept {kept}"
            );
        }
    }

    #[test]
    fn early_exit_matches_full_scoring_voter_shape() {
        let data = crate::synth::generate(&SynthConfig::new(1500, 5));
        same_decisions(&data, &crate::synth::CSV_HEADER, &[0.5, 0.9]);
    }

    #[test]
    fn early_exit_matches_full_scoring_febrl_shape() {
        let data = febrl::generate(&SynthConfig::new(1500, 5));
        same_decisions(&data, &febrl::HEADER, &[0.9, 0.99]);
    }

    #[test]
    fn min_weight_is_the_threshold_weight() {
        for t in [0.5, 0.9, 0.99, 0.999_999] {
            let w = min_weight(t);
            assert!(Model::probability(w + 1e-5) >= t);
            assert!(Model::probability(w - 1e-3) < t);
        }
        assert!(Model::probability(min_weight(1.0)) < 1.0);
    }
}
