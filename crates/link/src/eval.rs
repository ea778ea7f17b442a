//! Accuracy measures against known truth: precision, recall and F1 over pairs, as used by the
//! FEBRL tests and the benchmark.

use std::collections::HashSet;
use std::hash::Hash;

/// Pair-level accuracy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// False negatives.
    pub fn_: u64,
    /// tp / (tp + fp).
    pub precision: f64,
    /// tp / (tp + fn).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Compares found pairs with true pairs. With `unordered`, (x, y) equals (y, x) (deduplication).
pub fn evaluate<K: Hash + Eq + Ord + Clone>(
    found: impl IntoIterator<Item = (K, K)>,
    truth: impl IntoIterator<Item = (K, K)>,
    unordered: bool,
) -> Metrics {
    let norm = |(x, y): (K, K)| if unordered && y < x { (y, x) } else { (x, y) };
    let truth: HashSet<(K, K)> = truth.into_iter().map(norm).collect();
    let found: HashSet<(K, K)> = found.into_iter().map(norm).collect();
    let tp = found.iter().filter(|p| truth.contains(*p)).count() as u64;
    let fp = found.len() as u64 - tp;
    let fn_ = truth.len() as u64 - tp;
    let precision = if tp + fp == 0 {
        0.0
    } else {
        tp as f64 / (tp + fp) as f64
    };
    let recall = if tp + fn_ == 0 {
        0.0
    } else {
        tp as f64 / (tp + fn_) as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Metrics {
        tp,
        fp,
        fn_,
        precision,
        recall,
        f1,
    }
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.4} recall {:.4} F1 {:.4} (tp {}, fp {}, fn {})",
            self.precision, self.recall, self.f1, self.tp, self.fp, self.fn_
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        let m = evaluate(
            [(1, 2), (3, 4), (5, 6)],
            [(2, 1), (3, 4), (7, 8), (9, 10)],
            true,
        );
        assert_eq!((m.tp, m.fp, m.fn_), (2, 1, 2));
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 0.5).abs() < 1e-12);
    }
}
