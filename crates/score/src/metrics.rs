//! How good a score is on held-out voters: the area under the ROC curve (the chance that
//! a random positive scores above a random negative, ties counting half) and a
//! calibration table (voters sorted by predicted probability, cut into ten equal groups:
//! mean predicted vs observed rate in each).

use serde::{Deserialize, Serialize};

/// AUC of `scores` against `labels` (Mann–Whitney, ties count half); `None` when either
/// class is missing.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let positives = labels.iter().filter(|l| **l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of the (average) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += avg_rank;
            }
        }
        i = j + 1;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// One decile of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    /// 1 (lowest predictions) to 10.
    pub decile: usize,
    /// Voters in it.
    pub voters: usize,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Share that were positive.
    pub observed: f64,
}

/// Calibration by deciles of predicted probability (fewer rows when there are fewer
/// than ten voters).
pub fn calibration(probabilities: &[f64], labels: &[bool]) -> Vec<CalibrationRow> {
    let mut idx: Vec<usize> = (0..probabilities.len()).collect();
    idx.sort_by(|&a, &b| {
        probabilities[a]
            .total_cmp(&probabilities[b])
            .then(a.cmp(&b))
    });
    let n = idx.len();
    let groups = n.min(10);
    (0..groups)
        .map(|g| {
            let part = &idx[g * n / groups..(g + 1) * n / groups];
            let voters = part.len();
            let predicted = part.iter().map(|&i| probabilities[i]).sum::<f64>() / voters as f64;
            let observed = part.iter().filter(|&&i| labels[i]).count() as f64 / voters as f64;
            CalibrationRow {
                decile: g + 1,
                voters,
                predicted,
                observed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AUC by comparing every pair.
    fn brute(scores: &[f64], labels: &[bool]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for i in 0..scores.len() {
            for j in 0..scores.len() {
                if labels[i] && !labels[j] {
                    pairs += 1.0;
                    wins += if scores[i] > scores[j] {
                        1.0
                    } else if scores[i] == scores[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn auc_matches_pairwise_count_with_ties() {
        let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4];
        let labels = [false, true, false, true, false, true, false, true];
        let a = auc(&scores, &labels).unwrap();
        assert!((a - brute(&scores, &labels)).abs() < 1e-12, "{a}");
        assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(auc(&[0.1, 0.9], &[false, true]), Some(1.0));
    }

    #[test]
    fn calibration_has_ten_equal_groups() {
        let p: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let l: Vec<bool> = (0..100).map(|i| i >= 50).collect();
        let c = calibration(&p, &l);
        assert_eq!(c.len(), 10);
        assert!(c.iter().all(|r| r.voters == 10));
        assert_eq!((c[0].observed, c[9].observed), (0.0, 1.0));
        assert!((c[0].predicted - 0.045).abs() < 1e-9);
    }
}
