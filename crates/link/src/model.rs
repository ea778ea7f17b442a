//! The Fellegi–Sunter model and its unsupervised training. u probabilities (how often a
//! non-matching pair shows each level) come from random record pairs; m probabilities (the same
//! for matches) come from expectation-maximisation on pairs from each blocking rule in turn, with
//! the comparisons the rule blocked on left out of that session (Splink's approach), averaged over
//! sessions. The prior (probability two random records match) is estimated from each session's
//! match share, corrected by the rule's estimated recall. A pair's match weight is the prior's
//! log-odds plus each comparison's log2(m/u), plus the term-frequency adjustment on exact names.

use crate::blocking::RuleBlocks;
use crate::comparisons::{Comparison, Gamma, MAX_COMPARISONS, pack, unpack};
use crate::config::{BlockKey, Role};
use crate::dataset::Row;
use crate::prepare::{Prepared, mix};
use ahash::AHashMap;
use rayon::prelude::*;

/// A trained Fellegi–Sunter model.
#[derive(Debug, Clone)]
pub struct Model {
    /// The active comparisons, in comparison-vector order.
    pub comparisons: Vec<Comparison>,
    /// m probabilities per comparison, per non-null level (index 0 = level 1).
    pub m: Vec<Vec<f64>>,
    /// u probabilities per comparison, per non-null level.
    pub u: Vec<Vec<f64>>,
    /// Probability that two random records match.
    pub lambda: f64,
    /// Whether exact agreements on names and city get a term-frequency adjustment.
    pub term_frequency: bool,
    bf: Vec<[f64; 16]>,
}

const M_FLOOR: f64 = 1e-5;

impl Model {
    /// Builds a model from probabilities.
    pub fn new(
        comparisons: Vec<Comparison>,
        m: Vec<Vec<f64>>,
        u: Vec<Vec<f64>>,
        lambda: f64,
        term_frequency: bool,
    ) -> Self {
        let bf = comparisons
            .iter()
            .enumerate()
            .map(|(k, _)| {
                let mut row = [0.0; 16];
                for l in 0..m[k].len() {
                    row[l + 1] = (m[k][l].max(M_FLOOR) / u[k][l].max(1e-12))
                        .log2()
                        .clamp(-20.0, 30.0);
                }
                row
            })
            .collect();
        Model {
            comparisons,
            m,
            u,
            lambda,
            term_frequency,
            bf,
        }
    }

    /// The prior log-odds in bits: log2(lambda / (1 - lambda)).
    pub fn prior_bits(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// log2(m/u) of comparison `k` at `level` (0 for a missing value).
    pub fn bayes_factor_bits(&self, k: usize, level: u8) -> f64 {
        self.bf[k][level as usize]
    }

    /// Converts a match weight (bits) to a probability.
    pub fn probability(weight: f64) -> f64 {
        1.0 / (1.0 + (-weight).exp2())
    }

    /// Scores a pair: total weight and per-comparison contributions (with TF adjustment).
    pub(crate) fn score(
        &self,
        p: &Prepared,
        g: &Gamma,
        x: &Row,
        y: &Row,
        contrib: &mut [f32; MAX_COMPARISONS],
    ) -> f64 {
        let mut w = self.prior_bits();
        for (k, c) in self.comparisons.iter().enumerate() {
            let l = g[k];
            let mut b = self.bf[k][l as usize];
            if l == 1
                && self.term_frequency
                && let Some(f) = c.tf_field()
            {
                b += p.tf[f].adjustment(x[f].max(y[f]), self.u[k][0]);
            }
            contrib[k] = b as f32;
            w += b;
        }
        w
    }

    /// A human-readable table of m, u and weights.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "prior lambda = {:.3e} ({:+.2} bits)\n",
            self.lambda,
            self.prior_bits()
        );
        for (k, c) in self.comparisons.iter().enumerate() {
            s.push_str(&format!("{}:\n", c.name()));
            for (l, name) in c.levels().iter().enumerate() {
                s.push_str(&format!(
                    "  {:<20} m={:.4} u={:.6} {:+.2} bits\n",
                    name,
                    self.m[k][l],
                    self.u[k][l],
                    self.bf[k][l + 1]
                ));
            }
        }
        s
    }
}

/// Level counts per comparison.
type Counts = Vec<Vec<u64>>;

fn empty_counts(comps: &[Comparison]) -> Counts {
    comps.iter().map(|c| vec![0; c.n_levels() + 1]).collect()
}

fn add_gamma(c: &mut Counts, g: &Gamma) {
    for (k, row) in c.iter_mut().enumerate() {
        row[g[k] as usize] += 1;
    }
}

fn merge(mut a: Counts, b: Counts) -> Counts {
    for (ra, rb) in a.iter_mut().zip(b) {
        for (x, y) in ra.iter_mut().zip(rb) {
            *x += y;
        }
    }
    a
}

/// Total number of distinct pairs.
pub(crate) fn total_pairs(p: &Prepared) -> u64 {
    let (na, nb) = (p.a.len() as u64, p.nb() as u64);
    if p.dedupe {
        na * na.saturating_sub(1) / 2
    } else {
        na * nb
    }
}

/// Estimates u probabilities from random pairs (all pairs when there are few).
pub(crate) fn estimate_u(
    p: &Prepared,
    comps: &[Comparison],
    samples: u64,
    seed: u64,
) -> Vec<Vec<f64>> {
    let (na, nb) = (p.a.len() as u64, p.nb() as u64);
    let total = total_pairs(p);
    let counts: Counts = if total == 0 {
        empty_counts(comps)
    } else if total <= samples {
        (0..na)
            .into_par_iter()
            .fold(
                || empty_counts(comps),
                |mut c, i| {
                    let start = if p.dedupe { i + 1 } else { 0 };
                    for j in start..nb {
                        add_gamma(&mut c, &p.gamma(comps, &p.a[i as usize], &p.b[j as usize]));
                    }
                    c
                },
            )
            .reduce(|| empty_counts(comps), merge)
    } else {
        let chunk = 1u64 << 16;
        let chunks = samples.div_ceil(chunk);
        (0..chunks)
            .into_par_iter()
            .fold(
                || empty_counts(comps),
                |mut c, ch| {
                    let mut s = mix(seed ^ mix(ch.wrapping_add(0x1234_5678)));
                    let mut n = 0;
                    while n < chunk {
                        s = mix(s.wrapping_add(0x9e37_79b9_7f4a_7c15));
                        let i = (s % na) as usize;
                        let j = ((s >> 32).wrapping_mul(0x2545_f491_4f6c_dd1d) % nb) as usize;
                        if p.dedupe && i == j {
                            continue;
                        }
                        add_gamma(&mut c, &p.gamma(comps, &p.a[i], &p.b[j]));
                        n += 1;
                    }
                    c
                },
            )
            .reduce(|| empty_counts(comps), merge)
    };
    counts
        .iter()
        .map(|row| {
            let nonnull: u64 = row[1..].iter().sum();
            let floor = 0.5 / (nonnull as f64 + 1.0);
            row[1..]
                .iter()
                .map(|&c| {
                    if nonnull == 0 {
                        1.0 / (row.len() - 1) as f64
                    } else {
                        (c as f64 / nonnull as f64).max(floor)
                    }
                })
                .collect()
        })
        .collect()
}

/// Starting m probabilities: most mass on the best level, little on "else".
pub(crate) fn default_m(c: Comparison) -> Vec<f64> {
    let n = c.n_levels();
    if n == 2 {
        return vec![0.9, 0.1];
    }
    let mut m = vec![0.0; n];
    m[0] = 0.7;
    m[n - 1] = 0.05;
    for v in m.iter_mut().take(n - 1).skip(1) {
        *v = 0.25 / (n - 2) as f64;
    }
    m
}

/// One EM session's result.
pub(crate) struct Session {
    pub m: Vec<Vec<f64>>,
    pub included: Vec<bool>,
    pub lambda: f64,
    pub pairs_used: u64,
}

impl Session {
    /// Whether EM failed to separate matches from non-matches: for most of the comparisons it
    /// estimated, the "match" class disagrees (last level) nearly as often (80%) as random pairs
    /// do, i.e. it converged on a class of non-matches. Such a session is left out.
    pub(crate) fn degenerate(&self, comps: &[Comparison], u: &[Vec<f64>]) -> bool {
        let (mut n, mut bad) = (0, 0);
        for (k, c) in comps.iter().enumerate() {
            if !self.included[k] {
                continue;
            }
            let last = c.n_levels() - 1;
            n += 1;
            if self.m[k][last] >= 0.5 * u[k][last] {
                bad += 1;
            }
        }
        n > 0 && bad * 2 > n
    }
}

/// Runs EM on (a sample of) one rule's pairs with u fixed, leaving out the comparisons whose
/// roles the rule blocks on.
pub(crate) fn em_session(
    p: &Prepared,
    comps: &[Comparison],
    rb: &RuleBlocks,
    u: &[Vec<f64>],
    sample: u64,
    iterations: u32,
    seed: u64,
) -> Option<Session> {
    if rb.pairs == 0 || !rb.rule.keys.iter().any(|k| k.identifies_person()) {
        return None;
    }
    let blocked: Vec<Role> = rb.rule.keys.iter().map(|k| k.role()).collect();
    let included: Vec<bool> = comps
        .iter()
        .map(|c| !c.roles().iter().any(|r| blocked.contains(r)))
        .collect();
    if !included.iter().any(|&x| x) {
        return None;
    }
    let sub: Vec<Comparison> = comps.to_vec();
    let keep = if rb.pairs <= sample {
        u64::MAX
    } else {
        ((sample as f64 / rb.pairs as f64) * u64::MAX as f64) as u64
    };
    let patterns: AHashMap<u64, u64> = rb
        .spans
        .par_iter()
        .fold(AHashMap::new, |mut map: AHashMap<u64, u64>, s| {
            rb.for_each_pair(s, |i, j| {
                if keep != u64::MAX && mix(seed ^ ((i as u64) << 32 | j as u64)) > keep {
                    return;
                }
                let (x, y) = (&p.a[i as usize], &p.b[j as usize]);
                let mut g = [0u8; MAX_COMPARISONS];
                for (k, c) in sub.iter().enumerate() {
                    if included[k] {
                        g[k] = p.level(*c, x, y);
                    }
                }
                *map.entry(pack(&g)).or_insert(0) += 1;
            });
            map
        })
        .reduce(AHashMap::new, |mut a, b| {
            for (k, v) in b {
                *a.entry(k).or_insert(0) += v;
            }
            a
        });
    let pats: Vec<(Gamma, f64)> = patterns
        .into_iter()
        .map(|(k, v)| (unpack(k), v as f64))
        .collect();
    let pairs_used: f64 = pats.iter().map(|x| x.1).sum();
    let mut m: Vec<Vec<f64>> = comps.iter().map(|c| default_m(*c)).collect();
    let mut lambda = 0.3;
    for _ in 0..iterations {
        let mut num: Vec<Vec<f64>> = comps.iter().map(|c| vec![0.0; c.n_levels()]).collect();
        let mut lam_num = 0.0;
        for (g, cnt) in &pats {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for k in 0..comps.len() {
                let l = g[k] as usize;
                if included[k] && l > 0 {
                    pm *= m[k][l - 1].max(M_FLOOR);
                    pu *= u[k][l - 1];
                }
            }
            let r = if pm + pu > 0.0 { pm / (pm + pu) } else { 0.0 };
            let w = r * cnt;
            lam_num += w;
            for k in 0..comps.len() {
                let l = g[k] as usize;
                if included[k] && l > 0 {
                    num[k][l - 1] += w;
                }
            }
        }
        let new_lambda = (lam_num / pairs_used).clamp(1e-9, 1.0 - 1e-9);
        let mut delta = (new_lambda - lambda).abs();
        lambda = new_lambda;
        for k in 0..comps.len() {
            let tot: f64 = num[k].iter().sum();
            if included[k] && tot > 0.0 {
                for l in 0..num[k].len() {
                    let v = (num[k][l] / tot).max(M_FLOOR);
                    delta = delta.max((v - m[k][l]).abs());
                    m[k][l] = v;
                }
            }
        }
        if delta < 1e-5 {
            break;
        }
    }
    Some(Session {
        m,
        included,
        lambda,
        pairs_used: pairs_used as u64,
    })
}

/// Which comparison levels imply that a blocking key part agrees.
fn key_levels(k: BlockKey) -> (Comparison, &'static [u8]) {
    match k {
        BlockKey::FirstName => (Comparison::FirstName, &[1]),
        BlockKey::FirstInitial => (Comparison::FirstName, &[1, 3, 4, 5, 6, 7]),
        BlockKey::FirstNamePhonetic => (Comparison::FirstName, &[1, 4, 5]),
        BlockKey::LastName => (Comparison::LastName, &[1]),
        BlockKey::LastNamePhonetic => (Comparison::LastName, &[1, 3, 4]),
        BlockKey::BirthDate => (Comparison::BirthDate, &[1]),
        BlockKey::BirthYear => (Comparison::BirthDate, &[1, 3, 5]),
        BlockKey::HouseNumber => (Comparison::Address, &[1, 2]),
        BlockKey::Street => (Comparison::Address, &[1, 2, 3, 4]),
        BlockKey::City => (Comparison::Address, &[1, 2, 3, 4, 5, 6]),
        BlockKey::Zip => (Comparison::Address, &[1, 2, 3, 4, 5]),
        BlockKey::Phone => (Comparison::Phone, &[1]),
        BlockKey::Email => (Comparison::Email, &[1]),
        BlockKey::VoterId => (Comparison::VoterId, &[1]),
        BlockKey::NamesUnordered => (Comparison::LastName, &[1, 2, 3, 4]),
    }
}

/// Combines sessions: m averaged over the sessions that estimated it; the prior from each
/// session's expected matches divided by the rule's estimated recall (median over sessions).
pub(crate) fn combine(
    p: &Prepared,
    comps: &[Comparison],
    u: Vec<Vec<f64>>,
    sessions: &[(Session, &RuleBlocks)],
    term_frequency: bool,
) -> Model {
    let mut m: Vec<Vec<f64>> = Vec::with_capacity(comps.len());
    for (k, c) in comps.iter().enumerate() {
        let ests: Vec<&Vec<f64>> = sessions
            .iter()
            .filter(|(s, _)| s.included[k])
            .map(|(s, _)| &s.m[k])
            .collect();
        if ests.is_empty() {
            m.push(default_m(*c));
        } else {
            let n = ests.len() as f64;
            m.push(
                (0..c.n_levels())
                    .map(|l| ests.iter().map(|e| e[l]).sum::<f64>() / n)
                    .collect(),
            );
        }
    }
    let total = total_pairs(p).max(1) as f64;
    let fill = |f: usize| {
        let fa = p.a.iter().filter(|r| r[f] != 0).count() as f64 / p.a.len().max(1) as f64;
        let fb = p.b.iter().filter(|r| r[f] != 0).count() as f64 / p.b.len().max(1) as f64;
        fa * fb
    };
    let mut lambdas: Vec<f64> = sessions
        .iter()
        .filter(|(s, _)| s.pairs_used >= 20)
        .map(|(s, rb)| {
            let mut recall = 1.0;
            for key in &rb.rule.keys {
                let (c, levels) = key_levels(*key);
                if let Some(k) = comps.iter().position(|x| *x == c) {
                    let agree: f64 = levels
                        .iter()
                        .filter_map(|&l| m[k].get(l as usize - 1))
                        .sum();
                    recall *= agree.min(1.0) * fill(c.field());
                }
            }
            s.lambda * rb.pairs as f64 / recall.max(0.02) / total
        })
        .collect();
    lambdas.sort_by(|a, b| a.total_cmp(b));
    let lambda = if lambdas.is_empty() {
        1e-4
    } else {
        lambdas[lambdas.len() / 2]
    }
    // At least one match among all pairs, at most half of them (tiny inputs: 1 x 1).
    .clamp((1.0 / total).min(0.5), 0.5);
    Model::new(comps.to_vec(), m, u, lambda, term_frequency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_m_over_u() {
        let comps = vec![Comparison::State];
        let model = Model::new(
            comps,
            vec![vec![0.9, 0.1]],
            vec![vec![0.1, 0.9]],
            0.5,
            false,
        );
        assert!((model.bayes_factor_bits(0, 1) - 9f64.log2()).abs() < 1e-9);
        assert!((model.bayes_factor_bits(0, 2) + 9f64.log2()).abs() < 1e-9);
        assert_eq!(model.bayes_factor_bits(0, 0), 0.0);
        assert!((Model::probability(0.0) - 0.5).abs() < 1e-12);
        assert!(model.describe().contains("state"));
    }

    #[test]
    fn default_m_sums_to_one() {
        for c in Comparison::ALL {
            let s: f64 = default_m(c).iter().sum();
            assert!((s - 1.0).abs() < 1e-9, "{c:?}");
        }
    }
}
