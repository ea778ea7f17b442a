//! Scoring a clustering against labels. *Purity*: each cluster counts its most common
//! label, summed over clusters and divided by the items. *Recall* (inverse purity): each
//! label counts the largest share of its items found in one cluster, summed over labels
//! and divided by the items. Only labelled items count; unlabelled background items are
//! checked separately (they must not join a cluster holding labelled items: *chatter
//! leaks*).

use std::collections::HashMap;

/// The scores of one clustering.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Labelled items scored.
    pub items: usize,
    /// Distinct labels.
    pub labels: usize,
    /// Clusters holding labelled items.
    pub clusters: usize,
    /// Purity, 0..=1.
    pub purity: f64,
    /// Recall (inverse purity), 0..=1.
    pub recall: f64,
    /// Unlabelled items placed in a cluster holding labelled items.
    pub chatter_leaks: usize,
}

/// Scores `(cluster, label)` pairs; `None` labels are background.
pub fn score<L: std::hash::Hash + Eq + Clone>(pairs: &[(i64, Option<L>)]) -> Scores {
    let mut by_cluster: HashMap<i64, HashMap<L, usize>> = HashMap::new();
    let mut by_label: HashMap<L, HashMap<i64, usize>> = HashMap::new();
    let mut items = 0;
    for (c, l) in pairs {
        if let Some(l) = l {
            items += 1;
            *by_cluster
                .entry(*c)
                .or_default()
                .entry(l.clone())
                .or_default() += 1;
            *by_label
                .entry(l.clone())
                .or_default()
                .entry(*c)
                .or_default() += 1;
        }
    }
    let pure: usize = by_cluster
        .values()
        .map(|m| m.values().max().copied().unwrap_or(0))
        .sum();
    let found: usize = by_label
        .values()
        .map(|m| m.values().max().copied().unwrap_or(0))
        .sum();
    let chatter_leaks = pairs
        .iter()
        .filter(|(c, l)| l.is_none() && by_cluster.contains_key(c))
        .count();
    let ratio = |a: usize| {
        if items == 0 {
            1.0
        } else {
            a as f64 / items as f64
        }
    };
    Scores {
        items,
        labels: by_label.len(),
        clusters: by_cluster.len(),
        purity: ratio(pure),
        recall: ratio(found),
        chatter_leaks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_split_and_merged_clusterings_score_as_expected() {
        let perfect = [(1, Some("a")), (1, Some("a")), (2, Some("b")), (3, None)];
        let s = score(&perfect);
        assert_eq!((s.purity, s.recall, s.chatter_leaks), (1.0, 1.0, 0));
        let merged = [(1, Some("a")), (1, Some("a")), (1, Some("b")), (1, None)];
        let s = score(&merged);
        assert!((s.purity - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!((s.recall, s.chatter_leaks), (1.0, 1));
        let split = [
            (1, Some("a")),
            (2, Some("a")),
            (3, Some("a")),
            (4, Some("a")),
        ];
        let s = score(&split);
        assert_eq!((s.purity, s.recall), (1.0, 0.25));
    }
}
