//! Matching items to the catalogue of known claims. Each claim is indexed by the content
//! tokens of each of its texts (the claim as stated, in English and in Spanish); an item
//! is compared with the claims sharing at least [`ClaimIndex::MIN_SHARED`] tokens with
//! it, by the exact Jaccard similarity of the two token sets, and linked to the most
//! similar one at or above the threshold. The similarity is reported with the link.

use crate::minhash::jaccard;
use crate::text::normalise;
use std::collections::HashMap;

/// A link from an item (or a narrative) to a known claim.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClaimMatch {
    /// The claim's id (as the caller numbered it).
    pub claim: i64,
    /// Jaccard similarity of the content tokens, 0..=1.
    pub similarity: f64,
}

/// The index of known claims.
#[derive(Debug, Clone, Default)]
pub struct ClaimIndex {
    texts: Vec<(i64, Vec<String>)>,
    by_token: HashMap<String, Vec<usize>>,
    threshold: f64,
}

impl ClaimIndex {
    /// Fewest content tokens an item must share with a claim text.
    pub const MIN_SHARED: usize = 2;
    /// The default least similarity for a link.
    pub const DEFAULT_THRESHOLD: f64 = 0.25;

    /// An empty index linking at `threshold` or above.
    pub fn new(threshold: f64) -> Self {
        Self {
            threshold,
            ..Self::default()
        }
    }

    /// Adds one text of claim `claim` (call once per language). Texts without content
    /// words are ignored.
    pub fn add(&mut self, claim: i64, text: &str) {
        let tokens = normalise(text).token_set();
        if tokens.is_empty() {
            return;
        }
        let at = self.texts.len();
        for t in &tokens {
            self.by_token.entry(t.clone()).or_default().push(at);
        }
        self.texts.push((claim, tokens));
    }

    /// Number of indexed texts.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when no claim text is indexed.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The best claim for an item's sorted, distinct tokens (ties go to the lower id).
    pub fn best(&self, tokens: &[String]) -> Option<ClaimMatch> {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for t in tokens {
            if let Some(list) = self.by_token.get(t) {
                for at in list {
                    *shared.entry(*at).or_default() += 1;
                }
            }
        }
        let mut best: Option<ClaimMatch> = None;
        for (at, n) in shared {
            if n < Self::MIN_SHARED {
                continue;
            }
            let (claim, ctoks) = &self.texts[at];
            let similarity = jaccard(tokens, ctoks);
            if similarity < self.threshold {
                continue;
            }
            let better = best.is_none_or(|b| {
                similarity > b.similarity || (similarity == b.similarity && *claim < b.claim)
            });
            if better {
                best = Some(ClaimMatch {
                    claim: *claim,
                    similarity,
                });
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Prepared;

    #[test]
    fn items_link_to_the_claim_they_repeat_in_either_language() {
        let mut idx = ClaimIndex::new(ClaimIndex::DEFAULT_THRESHOLD);
        idx.add(1, "Polling places have moved to Wednesday");
        idx.add(1, "Las casillas se cambiaron al miércoles");
        idx.add(2, "You can vote by text message");
        idx.add(2, "Se puede votar por mensaje de texto");
        let en = Prepared::of("BREAKING: polls moved to Wednesday!!").tokens;
        let es = Prepared::of("Ojo: votar por mensaje de texto ya se puede").tokens;
        let other = Prepared::of("The Panthers won on Sunday, what a game").tokens;
        let m = idx.best(&en).expect("claim 1");
        assert_eq!(m.claim, 1);
        assert!(m.similarity >= 0.25 && m.similarity <= 1.0);
        assert_eq!(idx.best(&es).map(|m| m.claim), Some(2));
        assert_eq!(idx.best(&other), None);
    }

    #[test]
    fn one_shared_word_is_not_a_match() {
        let mut idx = ClaimIndex::new(0.0);
        idx.add(1, "vote Wednesday");
        assert_eq!(idx.best(&Prepared::of("I will vote").tokens), None);
    }
}
