//! Term frequencies: how common each value of a field is across the records being linked, and
//! the term-frequency adjustment that makes agreeing on a rare surname count for more than
//! agreeing on SMITH (Splink's and fastLink's approach: the u probability of an exact agreement on
//! value v is replaced by the frequency of v).

/// Value counts of one field over the joint vocabulary.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermFreq {
    counts: Vec<u32>,
    total: u64,
}

impl TermFreq {
    /// Counts values (0 = missing, ignored) over one or two sets of ids.
    pub(crate) fn count<'a>(vocab_len: usize, ids: impl Iterator<Item = &'a u32>) -> Self {
        let mut counts = vec![0u32; vocab_len];
        let mut total = 0u64;
        for &id in ids {
            if id != 0 {
                counts[id as usize] += 1;
                total += 1;
            }
        }
        TermFreq { counts, total }
    }

    /// Relative frequency of value `id` (at least one occurrence is assumed).
    pub(crate) fn freq(&self, id: u32) -> f64 {
        if self.total == 0 {
            return 1.0;
        }
        let c = self.counts.get(id as usize).copied().unwrap_or(0).max(1);
        c as f64 / self.total as f64
    }

    /// The adjustment, in bits, to add to an exact agreement's match weight: log2(u / tf(v)),
    /// clamped to ±10 bits so a value seen once in a small file cannot dominate.
    pub(crate) fn adjustment(&self, id: u32, u_exact: f64) -> f64 {
        (u_exact / self.freq(id)).log2().clamp(-10.0, 10.0)
    }

    /// The largest [`TermFreq::adjustment`] any value can get (that of a value seen once).
    pub(crate) fn max_adjustment(&self, u_exact: f64) -> f64 {
        let min_freq = if self.total == 0 {
            1.0
        } else {
            1.0 / self.total as f64
        };
        (u_exact / min_freq).log2().clamp(-10.0, 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_values_weigh_more() {
        // value 1 = "smith" 50 times, value 2 = "zyskowski" once.
        let mut ids = vec![1u32; 50];
        ids.push(2);
        ids.push(0);
        let tf = TermFreq::count(3, ids.iter());
        let u = 0.05;
        assert!(tf.adjustment(2, u) > 0.0);
        assert!(tf.adjustment(1, u) < 0.0);
        assert!((tf.freq(1) - 50.0 / 51.0).abs() < 1e-12);
        assert!(tf.max_adjustment(u) >= tf.adjustment(2, u));
        assert_eq!(tf.max_adjustment(u), tf.adjustment(2, u));
    }
}
