//! Deterministic random helpers for the demo generator: a small [`Draw`] trait with the few
//! primitives the generator needs (uniform integers, probabilities, picks from weighted tables),
//! implemented for a seeded ChaCha8 stream (the main state) and for a SplitMix64 stream (cheap
//! per-voter streams, e.g. vote history computed lazily at write time). Only integer arithmetic
//! and IEEE-exact float operations are used so a seed always yields the same bytes.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Source of uniformly distributed `u64` values plus derived helpers.
pub(crate) trait Draw {
    /// Next raw 64-bit value.
    fn next_raw(&mut self) -> u64;

    /// Uniform integer in `0..n` (`n > 0`), by 128-bit multiply (Lemire, without rejection: the
    /// bias is below 2^-32 for the sizes used here).
    fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((u128::from(self.next_raw()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform `usize` in `0..n`.
    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform integer in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform float in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_raw() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal value (Irwin-Hall sum of four uniforms, rescaled).
    fn normalish(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 1.732_050_8
    }

    /// One element of a non-empty slice.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// Index drawn from integer weights (linear scan; for short inline tables).
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

/// The main generator stream (ChaCha8 seeded from the demo seed and a purpose label).
pub(crate) struct MainRng(ChaCha8Rng);

impl MainRng {
    /// A stream for `seed`; `stream` separates independent purposes so that adding draws to one
    /// phase does not shift another.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        MainRng(ChaCha8Rng::seed_from_u64(mix(seed ^ mix(stream))))
    }
}

impl Draw for MainRng {
    fn next_raw(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// SplitMix64: tiny, fast, good enough for per-record streams keyed by (seed, record).
pub(crate) struct SplitMix(u64);

impl SplitMix {
    /// A stream keyed by `seed` and `key`.
    pub(crate) fn new(seed: u64, key: u64) -> Self {
        SplitMix(mix(seed.wrapping_add(mix(key ^ 0x5851_f42d_4c95_7f2d))))
    }
}

impl Draw for SplitMix {
    fn next_raw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
}

/// SplitMix64 finaliser.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A frequency table parsed from `NAME=WEIGHT` tokens (`_` stands for a space in a name), sampled
/// by binary search over cumulative weights.
pub(crate) struct Table {
    names: Vec<&'static str>,
    owned: Vec<String>,
    cum: Vec<u32>,
}

impl Table {
    /// Parses a whitespace-separated list of `NAME=WEIGHT` tokens.
    pub(crate) fn parse(src: &'static str) -> Table {
        let mut names = Vec::new();
        let mut owned = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0u32;
        for tok in src.split_whitespace() {
            let (name, w) = tok.split_once('=').unwrap_or((tok, "1"));
            let w: u32 = w.parse().expect("demo name table weight");
            total += w.max(1);
            if name.contains('_') {
                owned.push(name.replace('_', " "));
                names.push("");
            } else {
                names.push(name);
                owned.push(String::new());
            }
            cum.push(total);
        }
        Table { names, owned, cum }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Name at index `i`.
    pub(crate) fn get(&self, i: usize) -> &str {
        if self.names[i].is_empty() {
            &self.owned[i]
        } else {
            self.names[i]
        }
    }

    /// Weighted random index.
    pub(crate) fn sample<R: Draw>(&self, rng: &mut R) -> usize {
        let total = *self.cum.last().expect("non-empty table");
        let x = rng.below(u64::from(total)) as u32;
        self.cum.partition_point(|&c| c <= x)
    }
}
