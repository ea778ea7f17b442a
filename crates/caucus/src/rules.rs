//! Caucus math of the Iowa Democratic Party, 2020: viability thresholds, delegates per
//! preference group, the rounding adjustments that make the groups' delegates add up to
//! the precinct's total, and state delegate equivalents (SDEs). All delegate arithmetic is
//! exact integer arithmetic: a group's share `size × delegates / attendees` is compared
//! through its numerator, so "0.5 rounds up" and "the smallest decimal" never depend on
//! floating-point luck. Ties that the rules settle by a coin toss are never broken at
//! random: the [`Allocation`] records them as [`CoinToss`] outcomes for the precinct chair
//! (or a checker) to resolve.
//!
//! The steps, as the party taught them (and as implemented by [`allocate`]):
//! 1. Viability threshold from the number of attendees ([`viability_threshold`]): 15% when
//!    the precinct elects 4 or more county delegates, 1/6 for 3, 25% for 2, a majority for
//!    1; any fraction of a person rounds up.
//! 2. Each viable group gets `size × delegates / attendees`, rounded to the nearest whole
//!    number with 0.5 rounding up. Non-viable groups get nothing.
//! 3. Too many delegates: the group with the smallest decimal that was rounded up gives one
//!    back, then the next smallest, … — but no viable group gives up its only delegate.
//!    Too few: the group with the largest decimal that was rounded down gains one, then the
//!    next largest, …. Each group moves at most once. Equal decimals at the cut-off are a
//!    coin toss.
//! 4. SDEs: a group's county delegates × (precinct SDEs / precinct county delegates).
//!
//! Where the taught rules are silent, this module decides as follows (and says so in
//! [`Note`]): if every group that could give a delegate back would lose its only delegate,
//! groups rounded *down* with two or more delegates give one back first (smallest decimal
//! first); only when no group has two delegates does a group lose its only one (again the
//! smallest decimal rounded up first). When people stay in non-viable groups the viable
//! groups' shares fall short of the precinct's delegates by more than rounding; the
//! remaining delegates then go, one per group per round, to the groups furthest below
//! their exact share (a second move). Every choice is made by "furthest above / below the
//! exact share", so a larger group never ends with fewer delegates than a smaller one.
//! In a one-delegate precinct where no group has a majority, the delegate goes to the
//! largest group by default ([`SingleDelegateRule::MostSupport`]), which is what the party's
//! published 2020 results show precinct chairs did.

use serde::Serialize;

use crate::error::CaucusError;

/// What happens in a precinct electing a single county delegate when no group holds a
/// majority of the attendees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum SingleDelegateRule {
    /// The largest group takes the delegate (a tie for largest is a coin toss).
    #[default]
    MostSupport,
    /// Only a majority group is viable; without one, the delegate is not awarded.
    MajorityOnly,
}

/// Variations of the rules. `Rules::default()` is the Iowa 2020 rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Rules {
    /// One-delegate precincts without a majority group.
    pub single_delegate: SingleDelegateRule,
}

/// The smallest group size that is viable, given the number of attendees (eligible
/// caucus-goers who signed in) and the number of county delegates the precinct elects.
///
/// 15% of attendees for 4 or more delegates, one sixth for 3, 25% for 2, more than half
/// for 1, any fraction rounding up (13 attendees, 15% = 1.95 → 2 people). For 0 delegates
/// the threshold is 0 (nothing is awarded anyway).
///
/// ```
/// use votebase_caucus::viability_threshold;
/// assert_eq!(viability_threshold(34, 10), 6); // 15% of 34 = 5.1 → 6
/// assert_eq!(viability_threshold(25, 3), 5); // 25 / 6 = 4.17 → 5
/// assert_eq!(viability_threshold(10, 2), 3); // 25% of 10 = 2.5 → 3
/// assert_eq!(viability_threshold(10, 1), 6); // majority of 10
/// ```
pub fn viability_threshold(attendees: u32, delegates: u32) -> u32 {
    let a = u64::from(attendees);
    let t = match delegates {
        0 => 0,
        1 => a / 2 + 1,
        2 => a.div_ceil(4),
        3 => a.div_ceil(6),
        _ => (15 * a).div_ceil(100),
    };
    t as u32
}

/// Whether a coin toss gives delegates to, or takes them from, the groups in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TossEffect {
    /// `count` of the tied groups each gain one delegate.
    GainOne,
    /// `count` of the tied groups each give one delegate back.
    LoseOne,
}

/// A tie that the rules settle by a coin toss: `count` of the groups in `among` (indices
/// into the alignment) gain or lose one delegate each. The toss is an explicit outcome of
/// the precinct, never a random choice made by this code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoinToss {
    /// Gain or lose.
    pub effect: TossEffect,
    /// The tied groups (indices into the alignment), in index order.
    pub among: Vec<usize>,
    /// How many of them the toss picks.
    pub count: u32,
}

/// Something unusual the allocation had to do, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Note {
    /// No group is viable: no delegate can be awarded (the precinct must realign).
    NoViableGroup,
    /// One-delegate precinct without a majority: the largest group takes the delegate.
    SingleDelegateToLargestGroup,
    /// A group rounded down gave back a delegate, because every group rounded up held only
    /// its one delegate.
    RoundedDownGroupGaveBack {
        /// The group (index into the alignment).
        group: usize,
    },
    /// The adjustment could not be made without a viable group losing its only delegate.
    OnlyDelegateLost {
        /// The group (index into the alignment).
        group: usize,
    },
    /// A group had to move a second time (group sizes far from the attendee count).
    SecondAdjustment {
        /// The group (index into the alignment).
        group: usize,
    },
}

/// The delegates of one precinct, computed by the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// County delegates the precinct elects.
    pub delegates_to_elect: u32,
    /// Attendees the shares and the threshold were computed from.
    pub attendees: u32,
    /// The viability threshold (people).
    pub threshold: u32,
    /// Per group: viable in the final alignment (or, in a one-delegate precinct without a
    /// majority under [`SingleDelegateRule::MostSupport`], among the largest groups).
    pub viable: Vec<bool>,
    /// Per group: the delegates after plain rounding, before adjustment.
    pub rounded: Vec<u32>,
    /// Per group: the delegates after adjustment, before any coin toss is applied.
    pub delegates: Vec<u32>,
    /// Ties left to a coin toss (at most one in practice).
    pub coin_tosses: Vec<CoinToss>,
    /// Unusual steps taken.
    pub notes: Vec<Note>,
}

impl Allocation {
    /// True when no coin toss is pending: [`Allocation::delegates`] is final.
    pub fn is_settled(&self) -> bool {
        self.coin_tosses.is_empty()
    }

    /// The delegates once the coin tosses picked `chosen` (indices of the groups that won a
    /// delegate, or lost one, in the toss; every toss must get exactly its `count`).
    pub fn resolve(&self, chosen: &[usize]) -> Result<Vec<u32>, CaucusError> {
        let mut out = self.delegates.clone();
        let mut used = 0usize;
        for toss in &self.coin_tosses {
            let picked: Vec<usize> = chosen
                .iter()
                .copied()
                .filter(|g| toss.among.contains(g))
                .collect();
            if picked.len() != toss.count as usize {
                return Err(CaucusError::Toss(format!(
                    "the toss among groups {:?} picks {}, got {}",
                    toss.among,
                    toss.count,
                    picked.len()
                )));
            }
            for g in picked {
                match toss.effect {
                    TossEffect::GainOne => out[g] += 1,
                    TossEffect::LoseOne => out[g] -= 1,
                }
                used += 1;
            }
        }
        if used != chosen.len() {
            return Err(CaucusError::Toss(format!(
                "groups {chosen:?} include some that are not in any toss"
            )));
        }
        Ok(out)
    }

    /// One legal outcome: every toss picks the first `count` groups it lists. Handy for
    /// display and tests; a real precinct uses [`Allocation::resolve`] with its toss.
    pub fn first_outcome(&self) -> Vec<u32> {
        let chosen: Vec<usize> = self
            .coin_tosses
            .iter()
            .flat_map(|t| t.among.iter().copied().take(t.count as usize))
            .collect();
        self.resolve(&chosen)
            .expect("the first outcome is always a valid resolution")
    }

    /// Every legal outcome (one per way the coin tosses can fall).
    pub fn outcomes(&self) -> Vec<Vec<u32>> {
        let mut acc: Vec<Vec<u32>> = vec![self.delegates.clone()];
        for toss in &self.coin_tosses {
            let mut next = Vec::new();
            for base in &acc {
                for combo in combinations(&toss.among, toss.count as usize) {
                    let mut o = base.clone();
                    for g in combo {
                        match toss.effect {
                            TossEffect::GainOne => o[g] += 1,
                            TossEffect::LoseOne => o[g] -= 1,
                        }
                    }
                    next.push(o);
                }
            }
            acc = next;
        }
        acc
    }

    /// True when `delegates` (per group, same order) is what the rules give for some way
    /// the coin tosses could have fallen.
    pub fn admits(&self, delegates: &[u32]) -> bool {
        if delegates.len() != self.delegates.len() {
            return false;
        }
        let mut moved = vec![0u32; self.coin_tosses.len()];
        for (g, (&have, &base)) in delegates.iter().zip(&self.delegates).enumerate() {
            if have == base {
                continue;
            }
            let Some((t, toss)) = self
                .coin_tosses
                .iter()
                .enumerate()
                .find(|(_, t)| t.among.contains(&g))
            else {
                return false;
            };
            let ok = match toss.effect {
                TossEffect::GainOne => have == base + 1,
                TossEffect::LoseOne => base > 0 && have == base - 1,
            };
            if !ok {
                return false;
            }
            moved[t] += 1;
        }
        self.coin_tosses
            .iter()
            .zip(&moved)
            .all(|(t, &m)| m == t.count)
    }
}

/// All `k`-element subsets of `items`, in lexicographic order.
fn combinations(items: &[usize], k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    if items.len() < k {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        for mut rest in combinations(&items[i + 1..], k - 1) {
            rest.insert(0, first);
            out.push(rest);
        }
    }
    out
}

/// State delegate equivalents per group: county delegates × (precinct SDEs / precinct
/// county delegates). All zero when the precinct elects no delegates.
///
/// ```
/// use votebase_caucus::state_delegate_equivalents;
/// let sde = state_delegate_equivalents(&[2, 3], 10, 0.7843);
/// assert!((sde[0] - 0.15686).abs() < 1e-9 && (sde[1] - 0.23529).abs() < 1e-9);
/// ```
pub fn state_delegate_equivalents(
    delegates: &[u32],
    precinct_delegates: u32,
    precinct_sde: f64,
) -> Vec<f64> {
    if precinct_delegates == 0 {
        return vec![0.0; delegates.len()];
    }
    let per = precinct_sde / f64::from(precinct_delegates);
    delegates.iter().map(|&d| f64::from(d) * per).collect()
}

/// Picks `need` groups from `candidates` (already ordered best first by `key`); a tie at
/// the cut-off becomes a coin toss. Returns the certain picks and the toss, if any.
fn take_with_ties(
    candidates: &[usize],
    need: usize,
    key: impl Fn(usize) -> i64,
) -> (Vec<usize>, Option<(Vec<usize>, usize)>) {
    if candidates.len() <= need {
        return (candidates.to_vec(), None);
    }
    let boundary = key(candidates[need - 1]);
    let certain: Vec<usize> = candidates[..need]
        .iter()
        .copied()
        .filter(|&g| key(g) != boundary)
        .collect();
    let mut tied: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&g| key(g) == boundary)
        .collect();
    let slots = need - certain.len();
    if tied.len() == slots {
        let mut all = certain;
        all.extend(tied);
        return (all, None);
    }
    tied.sort_unstable();
    (certain, Some((tied, slots)))
}

/// Computes the county delegates of each preference group from the final alignment.
///
/// `delegates` is what the precinct elects, `attendees` the number of eligible
/// caucus-goers (it sets the threshold and the denominator of every share), and
/// `final_alignment` the size of each group after realignment (one entry per candidate,
/// zero for candidates without a group).
///
/// ```
/// use votebase_caucus::{allocate, Rules};
/// // Adair 4SE ORIENT, 2020: 10 delegates, 34 attendees.
/// let a = allocate(10, 34, &[7, 6, 6, 6, 9], &Rules::default());
/// // 2.06, 1.76, 1.76, 1.76, 2.65 round to 2, 2, 2, 2, 3 = 11: the smallest decimal
/// // rounded up (Warren's .65) gives one back.
/// assert_eq!(a.rounded, vec![2, 2, 2, 2, 3]);
/// assert_eq!(a.delegates, vec![2, 2, 2, 2, 2]);
/// assert!(a.is_settled());
/// ```
pub fn allocate(
    delegates: u32,
    attendees: u32,
    final_alignment: &[u32],
    rules: &Rules,
) -> Allocation {
    let n = final_alignment.len();
    let threshold = viability_threshold(attendees, delegates);
    let mut out = Allocation {
        delegates_to_elect: delegates,
        attendees,
        threshold,
        viable: final_alignment
            .iter()
            .map(|&v| v > 0 && v >= threshold)
            .collect(),
        rounded: vec![0; n],
        delegates: vec![0; n],
        coin_tosses: Vec::new(),
        notes: Vec::new(),
    };
    if delegates == 0 {
        out.viable = vec![false; n];
        return out;
    }
    if attendees == 0 {
        out.viable = vec![false; n];
        out.notes.push(Note::NoViableGroup);
        return out;
    }
    if delegates == 1 {
        single_delegate(&mut out, final_alignment, rules);
        return out;
    }
    if !out.viable.iter().any(|&v| v) {
        out.notes.push(Note::NoViableGroup);
        return out;
    }

    let d = u64::from(delegates);
    let a = u64::from(attendees);
    let size = |g: usize| u64::from(final_alignment[g]);
    for g in 0..n {
        if out.viable[g] {
            out.rounded[g] = ((2 * size(g) * d + a) / (2 * a)) as u32;
        }
    }
    let viable = out.viable.clone();
    let mut cur = out.rounded.clone();
    let mut moved = vec![false; n];
    let mut total: u64 = cur.iter().map(|&c| u64::from(c)).sum();
    // How far a group's delegates are above its exact share, times `attendees`: positive
    // for a group rounded up (1 − its decimal), negative for one rounded down (its
    // decimal). "Smallest decimal rounded up" is the largest surplus; "largest decimal
    // rounded down" the smallest.
    let surplus = |g: usize, cur: &[u32]| (u64::from(cur[g]) * a) as i64 - (size(g) * d) as i64;

    while total != d {
        let losing = total > d;
        let need = total.abs_diff(d) as usize;
        type Tier<'t> = (&'t dyn Fn(usize, &[u32]) -> bool, Option<fn(usize) -> Note>);
        let lose_tiers: [Tier; 5] = [
            (
                &|g, c| viable[g] && !moved[g] && c[g] > 1 && surplus(g, c) > 0,
                None,
            ),
            (
                &|g, c| viable[g] && !moved[g] && c[g] > 1,
                Some(|group| Note::RoundedDownGroupGaveBack { group }),
            ),
            (
                &|g, c| viable[g] && !moved[g] && c[g] >= 1 && surplus(g, c) > 0,
                Some(|group| Note::OnlyDelegateLost { group }),
            ),
            (
                &|g, c| viable[g] && !moved[g] && c[g] >= 1,
                Some(|group| Note::OnlyDelegateLost { group }),
            ),
            (
                &|g, c| viable[g] && c[g] >= 1,
                Some(|group| Note::SecondAdjustment { group }),
            ),
        ];
        let gain_tiers: [Tier; 2] = [
            (&|g, c| viable[g] && !moved[g] && surplus(g, c) < 0, None),
            (
                &|g, _| viable[g],
                Some(|group| Note::SecondAdjustment { group }),
            ),
        ];
        let tiers: &[Tier] = if losing { &lose_tiers } else { &gain_tiers };
        let (note, mut cands) = tiers
            .iter()
            .map(|(f, note)| (*note, (0..n).filter(|&g| f(g, &cur)).collect::<Vec<_>>()))
            .find(|(_, c)| !c.is_empty())
            .expect("some viable group can move");
        // Best first: the largest surplus gives back, the smallest gains.
        let snapshot = cur.clone();
        let key = |g: usize| {
            let s = surplus(g, &snapshot);
            if losing { -s } else { s }
        };
        cands.sort_by_key(|&g| (key(g), g));
        let (certain, toss) = take_with_ties(&cands, need, key);
        for &g in &certain {
            if losing {
                cur[g] -= 1;
            } else {
                cur[g] += 1;
            }
            moved[g] = true;
        }
        total = if losing {
            total - certain.len() as u64
        } else {
            total + certain.len() as u64
        };
        if let Some(note) = note {
            for &g in certain
                .iter()
                .chain(toss.iter().flat_map(|(among, _)| among))
            {
                out.notes.push(note(g));
            }
        }
        if let Some((among, count)) = toss {
            out.coin_tosses.push(CoinToss {
                effect: if losing {
                    TossEffect::LoseOne
                } else {
                    TossEffect::GainOne
                },
                among,
                count: count as u32,
            });
            total = if losing {
                total - count as u64
            } else {
                total + count as u64
            };
        }
    }
    out.delegates = cur;
    out
}

/// One-delegate precincts: a majority group takes it; otherwise the largest group (or,
/// with [`SingleDelegateRule::MajorityOnly`], nobody).
fn single_delegate(out: &mut Allocation, final_alignment: &[u32], rules: &Rules) {
    if let Some(g) = out.viable.iter().position(|&v| v) {
        out.rounded[g] = 1;
        out.delegates[g] = 1;
        return;
    }
    let max = final_alignment.iter().copied().max().unwrap_or(0);
    if max == 0 || rules.single_delegate == SingleDelegateRule::MajorityOnly {
        out.notes.push(Note::NoViableGroup);
        return;
    }
    out.notes.push(Note::SingleDelegateToLargestGroup);
    let largest: Vec<usize> = (0..final_alignment.len())
        .filter(|&g| final_alignment[g] == max)
        .collect();
    for &g in &largest {
        out.viable[g] = true;
    }
    if let [g] = largest[..] {
        out.rounded[g] = 1;
        out.delegates[g] = 1;
    } else {
        out.coin_tosses.push(CoinToss {
            effect: TossEffect::GainOne,
            among: largest,
            count: 1,
        });
    }
}
