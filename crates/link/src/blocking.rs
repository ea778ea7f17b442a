//! Blocking: each rule turns a record into a key (e.g. surname + birth year, first name + ZIP,
//! phonetic surname + house number, voter id); records sharing a key form a block and every
//! cross pair in a block is a candidate. Rules are unioned without duplicate pairs: a pair
//! produced by rule k is dropped when an earlier rule produced it too (its keys agree there).
//! A block that would yield more than `max_block_pairs` is skipped, a rule that would yield more
//! than `max_rule_pairs` in total is skipped, and both are reported.

use crate::config::{BlockKey, BlockingRule, Limits};
use crate::dataset::{
    F_CITY, F_DOB, F_EMAIL, F_FIRST, F_HOUSE, F_ID, F_LAST, F_PHONE, F_STREET, F_YEAR, F_ZIP5, Row,
};
use crate::prepare::{Prepared, mix};
use ahash::AHashSet;
use rayon::prelude::*;
use std::ops::Range;

/// A block: records `order_a[a0..a1]` against `order_b[b0..b1]` (or all pairs within the `a`
/// range when deduplicating).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub a0: u32,
    pub a1: u32,
    pub b0: u32,
    pub b1: u32,
}

/// Every rule's key of every record, record-major (a record's keys for all rules are adjacent,
/// so checking whether an earlier rule already produced a pair reads one cache line per record
/// rather than one per rule).
pub(crate) struct Keys {
    n_rules: usize,
    a: Vec<u64>,
    b: Vec<u64>,
    dedupe: bool,
}

impl Keys {
    /// Computes the keys of all records under all rules, in parallel.
    pub(crate) fn build(p: &Prepared, rules: &[BlockingRule]) -> Self {
        let n = rules.len().max(1);
        let side = |rows: &[Row]| -> Vec<u64> {
            let mut v = vec![0u64; rows.len() * n];
            v.par_chunks_mut(n)
                .zip(rows.par_iter())
                .for_each(|(out, r)| {
                    for (o, rule) in out.iter_mut().zip(rules) {
                        *o = key(p, &rule.keys, r);
                    }
                });
            v
        };
        Keys {
            n_rules: n,
            a: side(p.a),
            b: if p.dedupe { Vec::new() } else { side(&p.b) },
            dedupe: p.dedupe,
        }
    }

    /// The keys of record `i` of side a.
    #[inline]
    pub(crate) fn row_a(&self, i: u32) -> &[u64] {
        let s = i as usize * self.n_rules;
        &self.a[s..s + self.n_rules]
    }

    /// The keys of record `j` of side b (side a when deduplicating).
    #[inline]
    pub(crate) fn row_b(&self, j: u32) -> &[u64] {
        let s = j as usize * self.n_rules;
        let v = if self.dedupe { &self.a } else { &self.b };
        &v[s..s + self.n_rules]
    }

    fn column(&self, side_b: bool, r: usize) -> impl Iterator<Item = u64> + '_ {
        let v = if side_b { &self.b } else { &self.a };
        v.iter().skip(r).step_by(self.n_rules).copied()
    }
}

/// One rule's blocks and statistics.
pub(crate) struct RuleBlocks {
    pub rule: BlockingRule,
    dedupe: bool,
    order_a: Vec<u32>,
    order_b: Vec<u32>,
    pub spans: Vec<Span>,
    /// Pairs in the kept blocks (before removing pairs found by earlier rules).
    pub pairs: u64,
    /// Blocks skipped for size, and the pairs they held.
    pub skipped_blocks: u64,
    pub skipped_pairs: u64,
    /// Largest kept block, in pairs.
    pub largest_block: u64,
    skipped_keys: AHashSet<u64>,
    /// Whether the whole rule was skipped for exceeding `max_rule_pairs`.
    pub skipped_rule: bool,
}

fn part(p: &Prepared, k: BlockKey, r: &Row) -> u64 {
    let id = |f: usize| r[f] as u64;
    match k {
        BlockKey::FirstName => id(F_FIRST),
        BlockKey::FirstInitial => {
            if r[F_FIRST] == 0 {
                0
            } else {
                p.s(F_FIRST, r[F_FIRST]).bytes().next().unwrap_or(0) as u64 + 1
            }
        }
        BlockKey::FirstNamePhonetic => p.first.dm[r[F_FIRST] as usize][0],
        BlockKey::LastName => id(F_LAST),
        BlockKey::LastNamePhonetic => p.last.dm[r[F_LAST] as usize][0],
        BlockKey::BirthDate => id(F_DOB),
        BlockKey::BirthYear => id(F_YEAR),
        BlockKey::HouseNumber => id(F_HOUSE),
        BlockKey::Street => id(F_STREET),
        BlockKey::City => id(F_CITY),
        BlockKey::Zip => id(F_ZIP5),
        BlockKey::Phone => id(F_PHONE),
        BlockKey::Email => id(F_EMAIL),
        BlockKey::VoterId => id(F_ID),
        BlockKey::NamesUnordered => {
            let x = p.first.dm[r[F_FIRST] as usize][0];
            let y = p.last.dm[r[F_LAST] as usize][0];
            if x == 0 || y == 0 {
                return 0;
            }
            mix(x.min(y) ^ mix(x.max(y))) | 1
        }
    }
}

/// The blocking key of a record under a rule; 0 when any part is missing.
pub(crate) fn key(p: &Prepared, keys: &[BlockKey], r: &Row) -> u64 {
    let mut h: u64 = 0x51_7cc1_b727_220a;
    for (i, &k) in keys.iter().enumerate() {
        let v = part(p, k, r);
        if v == 0 {
            return 0;
        }
        h = mix(h ^ v.wrapping_add((i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    }
    h | 1
}

fn sorted_keys(keys: impl Iterator<Item = u64>) -> Vec<(u64, u32)> {
    let mut v: Vec<(u64, u32)> = keys
        .enumerate()
        .filter(|(_, k)| *k != 0)
        .map(|(i, k)| (k, i as u32))
        .collect();
    v.par_sort_unstable();
    v
}

impl RuleBlocks {
    /// Builds the blocks of rule number `r` (its keys are column `r` of `keys`).
    pub(crate) fn build(
        p: &Prepared,
        keys: &Keys,
        r: usize,
        rule: &BlockingRule,
        limits: &Limits,
    ) -> Self {
        let sa = sorted_keys(keys.column(false, r));
        let sb = if p.dedupe {
            Vec::new()
        } else {
            sorted_keys(keys.column(true, r))
        };
        let mut spans = Vec::new();
        let (mut pairs, mut skipped_blocks, mut skipped_pairs, mut largest) = (0u64, 0, 0, 0);
        let mut skipped_keys = AHashSet::new();
        let mut consider = |k: u64, s: Span, n: u64, spans: &mut Vec<Span>| {
            if n == 0 {
                return;
            }
            if n > limits.max_block_pairs {
                skipped_blocks += 1;
                skipped_pairs += n;
                skipped_keys.insert(k);
            } else {
                pairs += n;
                largest = largest.max(n);
                spans.push(s);
            }
        };
        if p.dedupe {
            let mut i = 0;
            while i < sa.len() {
                let mut j = i + 1;
                while j < sa.len() && sa[j].0 == sa[i].0 {
                    j += 1;
                }
                let n = (j - i) as u64;
                let span = Span {
                    a0: i as u32,
                    a1: j as u32,
                    b0: i as u32,
                    b1: j as u32,
                };
                consider(sa[i].0, span, n * (n - 1) / 2, &mut spans);
                i = j;
            }
        } else {
            let (mut i, mut j) = (0, 0);
            while i < sa.len() && j < sb.len() {
                let (ka, kb) = (sa[i].0, sb[j].0);
                if ka < kb {
                    i += 1;
                } else if kb < ka {
                    j += 1;
                } else {
                    let mut i2 = i + 1;
                    while i2 < sa.len() && sa[i2].0 == ka {
                        i2 += 1;
                    }
                    let mut j2 = j + 1;
                    while j2 < sb.len() && sb[j2].0 == ka {
                        j2 += 1;
                    }
                    let span = Span {
                        a0: i as u32,
                        a1: i2 as u32,
                        b0: j as u32,
                        b1: j2 as u32,
                    };
                    consider(ka, span, ((i2 - i) * (j2 - j)) as u64, &mut spans);
                    i = i2;
                    j = j2;
                }
            }
        }
        let skipped_rule = pairs > limits.max_rule_pairs;
        if skipped_rule {
            spans = Vec::new();
        }
        RuleBlocks {
            rule: rule.clone(),
            dedupe: p.dedupe,
            order_a: sa.into_iter().map(|x| x.1).collect(),
            order_b: sb.into_iter().map(|x| x.1).collect(),
            spans,
            pairs,
            skipped_blocks,
            skipped_pairs,
            largest_block: largest,
            skipped_keys,
            skipped_rule,
        }
    }

    /// Whether this rule produced a pair whose records have keys `ka` and `kb` under it.
    #[inline]
    pub(crate) fn covers(&self, ka: u64, kb: u64) -> bool {
        !self.skipped_rule
            && ka != 0
            && ka == kb
            && (self.skipped_keys.is_empty() || !self.skipped_keys.contains(&ka))
    }

    /// Number of pairs in a span.
    pub(crate) fn span_pairs(&self, s: &Span) -> u64 {
        let n = (s.a1 - s.a0) as u64;
        if self.dedupe {
            n * (n.saturating_sub(1)) / 2
        } else {
            n * (s.b1 - s.b0) as u64
        }
    }

    /// Calls `f(i, j)` for every pair of a span (`i < j` when deduplicating).
    #[inline]
    pub(crate) fn for_each_pair(&self, s: &Span, mut f: impl FnMut(u32, u32)) {
        if self.dedupe {
            let o = &self.order_a[s.a0 as usize..s.a1 as usize];
            for (x, &i) in o.iter().enumerate() {
                for &j in &o[x + 1..] {
                    f(i, j);
                }
            }
        } else {
            let oa = &self.order_a[s.a0 as usize..s.a1 as usize];
            let ob = &self.order_b[s.b0 as usize..s.b1 as usize];
            for &i in oa {
                for &j in ob {
                    f(i, j);
                }
            }
        }
    }

    /// Splits the spans into consecutive batches of about `max_pairs` pairs.
    pub(crate) fn batches(&self, max_pairs: u64) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let (mut start, mut acc) = (0, 0u64);
        for (k, s) in self.spans.iter().enumerate() {
            acc += self.span_pairs(s);
            if acc >= max_pairs {
                out.push(start..k + 1);
                start = k + 1;
                acc = 0;
            }
        }
        if start < self.spans.len() {
            out.push(start..self.spans.len());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Dataset, PersonRecord};

    fn rec(f: &str, l: &str, y: &str) -> PersonRecord {
        PersonRecord {
            first_name: f.into(),
            last_name: l.into(),
            birth_year: y.into(),
            ..Default::default()
        }
    }

    fn pairs(rb: &RuleBlocks) -> Vec<(u32, u32)> {
        let mut v = Vec::new();
        for s in &rb.spans {
            rb.for_each_pair(s, |i, j| v.push((i, j)));
        }
        v.sort();
        v
    }

    #[test]
    fn dedupe_blocks_and_guard() {
        let d = Dataset::from_records(
            "d",
            [
                rec("a", "smith", "1960"),
                rec("b", "smith", "1960"),
                rec("c", "smith", "1960"),
                rec("d", "jones", "1960"),
                rec("e", "jones", "1961"),
                rec("f", "", "1961"),
            ],
        )
        .unwrap();
        let p = Prepared::dedupe(&d);
        let rule = BlockingRule {
            name: "ly".into(),
            keys: vec![BlockKey::LastName, BlockKey::BirthYear],
        };
        let keys = Keys::build(&p, std::slice::from_ref(&rule));
        let rb = RuleBlocks::build(&p, &keys, 0, &rule, &Limits::default());
        assert_eq!(pairs(&rb), vec![(0, 1), (0, 2), (1, 2)]);
        assert_eq!(rb.pairs, 3);
        let covers = |i, j| rb.covers(keys.row_a(i)[0], keys.row_b(j)[0]);
        assert!(covers(0, 2) && !covers(0, 3));
        let tight = Limits {
            max_block_pairs: 2,
            max_rule_pairs: 100,
        };
        let rb = RuleBlocks::build(&p, &keys, 0, &rule, &tight);
        assert_eq!(rb.pairs, 0);
        assert_eq!(rb.skipped_blocks, 1);
        assert!(!rb.covers(keys.row_a(0)[0], keys.row_b(1)[0]));
    }

    #[test]
    fn link_blocks() {
        let a = Dataset::from_records("a", [rec("x", "smith", ""), rec("y", "jones", "")]).unwrap();
        let b = Dataset::from_records(
            "b",
            [
                rec("z", "jones", ""),
                rec("w", "smith", ""),
                rec("v", "smith", ""),
            ],
        )
        .unwrap();
        let p = Prepared::link(&a, &b);
        let rule = BlockingRule {
            name: "l".into(),
            keys: vec![BlockKey::LastName],
        };
        let keys = Keys::build(&p, std::slice::from_ref(&rule));
        let rb = RuleBlocks::build(&p, &keys, 0, &rule, &Limits::default());
        assert_eq!(pairs(&rb), vec![(0, 1), (0, 2), (1, 0)]);
        assert_eq!(rb.batches(2).len(), 2);
    }
}
