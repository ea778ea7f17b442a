//! The purge report: for each pair of consecutive snapshots, per county and transition,
//! how many voters left the roll and at what rate; the test of each rate against the
//! county's own history and the state's other counties (one-sided Poisson, the larger of
//! the two p-values, Benjamini–Hochberg across the pair's counties × transitions), the
//! effect-size floors of [`Thresholds`], and for each flag its breakdowns and a sentence.

use crate::baseline::Baselines;
use crate::flag_id::FlagId;
use crate::model::{
    RemovalCell, RollCount, RollDimension, RollStatus, SnapshotRef, Transition, age_band,
    display_party, last_vote_band,
};
use crate::stats::{benjamini_hochberg, poisson_upper_tail, share_difference_p};
use crate::thresholds::Thresholds;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One transition of one county in one pair of snapshots, with its test.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransitionRate {
    /// How the voters left.
    pub transition: Transition,
    /// Voters on the roll the transition starts from, in the earlier snapshot.
    pub base: i64,
    /// Voters who left that way.
    pub moved: i64,
    /// `moved / base` (0 when the base is empty).
    pub rate: f64,
    /// The county's own rate over its earlier pairs, shrunk toward the prior.
    pub history_rate: f64,
    /// The rate of the state's other counties in this pair.
    pub state_rate: f64,
    /// One-sided p-value (the larger of the two comparisons).
    pub p_value: f64,
    /// Benjamini–Hochberg q-value across the pair.
    pub q_value: f64,
    /// Whether it is flagged.
    pub flagged: bool,
}

/// One county in one pair of snapshots.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyPair {
    /// County name.
    pub county: String,
    /// Active voters in the earlier snapshot.
    pub active_before: i64,
    /// Inactive voters in the earlier snapshot.
    pub inactive_before: i64,
    /// Active voters who left the active roll by any transition.
    pub off_active: i64,
    /// `off_active / active_before`.
    pub off_active_rate: f64,
    /// Each transition's numbers and test.
    pub transitions: Vec<TransitionRate>,
}

/// One pair of consecutive snapshots.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairReport {
    /// The earlier snapshot.
    pub from: SnapshotRef,
    /// The later snapshot.
    pub to: SnapshotRef,
    /// Counties, by name.
    pub counties: Vec<CountyPair>,
}

/// One row of a breakdown (named `PurgeBreakdownRow` in the OpenAPI document: the
/// universes API has its own `BreakdownRow`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PurgeBreakdownRow))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// The value (precinct, reason, party, band…).
    pub value: String,
    /// Voters moved with this value.
    pub moved: i64,
    /// Share of all voters moved.
    pub share_moved: f64,
    /// Voters with this value on the county's roll before, when the roll records it.
    pub base: Option<i64>,
    /// Share of the county's roll before, when recorded.
    pub share_base: Option<f64>,
}

/// The voters moved, broken down by one field.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// `precinct`, `reason`, `party`, `race`, `gender`, `age_band` or `last_vote`.
    pub dimension: String,
    /// Rows, most moved first.
    pub rows: Vec<BreakdownRow>,
}

/// A party over-represented among the voters moved.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartySkew {
    /// Party code.
    pub party: String,
    /// Its share of the voters moved.
    pub share_moved: f64,
    /// Its share of the county's roll before.
    pub share_base: f64,
    /// Two-sided p-value of the difference.
    pub p_value: f64,
}

/// A (county, transition, pair) that deserves a lawyer's look.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// `DATE:COUNTY:TRANSITION`, the later snapshot's date (`votebase purges list ID`).
    pub id: String,
    /// The later snapshot.
    pub snapshot_id: i64,
    /// The earlier snapshot's date.
    pub from: NaiveDate,
    /// The later snapshot's date.
    pub to: NaiveDate,
    /// County name.
    pub county: String,
    /// How the voters left.
    pub transition: Transition,
    /// Voters moved.
    pub moved: i64,
    /// The roll they left.
    pub base: i64,
    /// `moved / base`.
    pub rate: f64,
    /// The county's raw average over its earlier pairs (None without history).
    pub history_average: Option<f64>,
    /// Earlier pairs of the county in the history.
    pub history_pairs: usize,
    /// The rate of the state's other counties in this pair.
    pub state_rate: f64,
    /// The expected rate tested against (the larger of history and state).
    pub expected_rate: f64,
    /// One-sided p-value.
    pub p_value: f64,
    /// Benjamini–Hochberg q-value.
    pub q_value: f64,
    /// The most common reason and its share.
    pub top_reason: Option<(String, f64)>,
    /// The most over-represented party, when it is over-represented by 5 points or more.
    pub party_skew: Option<PartySkew>,
    /// Breakdowns of the voters moved.
    pub breakdowns: Vec<Breakdown>,
    /// The sentence anyone can read.
    pub sentence: String,
}

/// The whole report.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// Every pair of consecutive snapshots with a recorded roll.
    pub pairs: Vec<PairReport>,
    /// Pairs skipped, with why (e.g. no roll recorded for the earlier snapshot).
    pub skipped: Vec<String>,
    /// The flags, by date then rate (highest first).
    pub flags: Vec<Flag>,
}

impl Report {
    /// Keeps only pairs whose later snapshot is on or after `since` and, if given, one
    /// county (case-insensitive). The tests were run over every county beforehand.
    pub fn filtered(mut self, since: Option<NaiveDate>, county: Option<&str>) -> Self {
        let wanted = |c: &str| county.is_none_or(|w| w.eq_ignore_ascii_case(c));
        self.pairs.retain(|p| since.is_none_or(|s| p.to.as_of >= s));
        for p in &mut self.pairs {
            p.counties.retain(|c| wanted(&c.county));
        }
        self.flags
            .retain(|f| since.is_none_or(|s| f.to >= s) && wanted(&f.county));
        self
    }

    /// The flag with this id.
    pub fn flag(&self, id: &FlagId) -> Option<&Flag> {
        self.flags.iter().find(|f| {
            f.to == id.date
                && f.county.eq_ignore_ascii_case(&id.county)
                && f.transition == id.transition
        })
    }
}

/// Roll counts indexed by (snapshot, county, status, dimension) → value → voters.
type RollIndex<'a> = HashMap<(i64, &'a str, RollStatus, RollDimension), BTreeMap<&'a str, i64>>;

fn roll_index(rolls: &[RollCount]) -> RollIndex<'_> {
    let mut index: RollIndex<'_> = HashMap::new();
    for r in rolls {
        *index
            .entry((r.snapshot_id, r.county.as_str(), r.status, r.dimension))
            .or_default()
            .entry(r.value.as_str())
            .or_default() += r.voters;
    }
    index
}

fn roll_total(index: &RollIndex<'_>, snapshot: i64, county: &str, status: RollStatus) -> i64 {
    index
        .get(&(snapshot, county, status, RollDimension::Total))
        .map(|m| m.values().sum())
        .unwrap_or(0)
}

/// Computes the report.
pub fn build_report(
    snapshots: &[SnapshotRef],
    rolls: &[RollCount],
    removals: &[RemovalCell],
    thresholds: &Thresholds,
    baselines: Option<&Baselines>,
) -> Report {
    let mut snaps = snapshots.to_vec();
    snaps.sort_by_key(|s| s.id);
    snaps.dedup_by_key(|s| s.id);
    let index = roll_index(rolls);
    let recorded: BTreeSet<i64> = rolls.iter().map(|r| r.snapshot_id).collect();
    // moved[(snapshot, county, transition)] and off-active per (snapshot, county).
    let mut moved: HashMap<(i64, &str, Transition), i64> = HashMap::new();
    let mut off_active: HashMap<(i64, &str), i64> = HashMap::new();
    for c in removals {
        if c.voters <= 0 {
            continue;
        }
        *moved
            .entry((c.snapshot_id, &c.county, c.transition))
            .or_default() += c.voters;
        if c.status_before == RollStatus::Active.code() {
            *off_active.entry((c.snapshot_id, &c.county)).or_default() += c.voters;
        }
    }

    let mut pairs = Vec::new();
    let mut skipped = Vec::new();
    for w in snaps.windows(2) {
        let (from, to) = (w[0], w[1]);
        if !recorded.contains(&from.id) {
            skipped.push(format!(
                "{} → {}: no roll recorded for snapshot {} (imported before purge watch)",
                from.as_of, to.as_of, from.id
            ));
            continue;
        }
        let mut counties: BTreeSet<&str> = index
            .keys()
            .filter(|k| k.0 == from.id)
            .map(|k| k.1)
            .collect();
        counties.extend(moved.keys().filter(|k| k.0 == to.id).map(|k| k.1));
        let counties = counties
            .into_iter()
            .map(|county| {
                let active = roll_total(&index, from.id, county, RollStatus::Active);
                let inactive = roll_total(&index, from.id, county, RollStatus::Inactive);
                let off = off_active.get(&(to.id, county)).copied().unwrap_or(0);
                CountyPair {
                    county: county.to_string(),
                    active_before: active,
                    inactive_before: inactive,
                    off_active: off,
                    off_active_rate: ratio(off, active),
                    transitions: Transition::ALL
                        .into_iter()
                        .map(|t| {
                            let base = if t.includes_inactive() {
                                active + inactive
                            } else {
                                active
                            };
                            let m = moved.get(&(to.id, county, t)).copied().unwrap_or(0);
                            TransitionRate {
                                transition: t,
                                base,
                                moved: m,
                                rate: ratio(m, base),
                                history_rate: 0.0,
                                state_rate: 0.0,
                                p_value: 1.0,
                                q_value: 1.0,
                                flagged: false,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        pairs.push(PairReport { from, to, counties });
    }

    test_pairs(&mut pairs, thresholds, baselines);

    let mut flags = Vec::new();
    for (i, pair) in pairs.iter().enumerate() {
        for c in &pair.counties {
            for t in c.transitions.iter().filter(|t| t.flagged) {
                let (hx, hn, hk) = history(&pairs[..i], &c.county, t.transition, thresholds);
                flags.push(describe_flag(
                    pair,
                    c,
                    t,
                    (hk > 0).then(|| ratio(hx, hn)),
                    hk,
                    &index,
                    removals,
                ));
            }
        }
    }
    flags.sort_by(|a, b| a.to.cmp(&b.to).then(b.rate.total_cmp(&a.rate)));
    Report {
        thresholds: *thresholds,
        pairs,
        skipped,
        flags,
    }
}

fn ratio(x: i64, n: i64) -> f64 {
    if n > 0 { x as f64 / n as f64 } else { 0.0 }
}

/// The county's moved and base over up to `history_pairs` earlier pairs, and how many.
fn history(
    earlier: &[PairReport],
    county: &str,
    t: Transition,
    thresholds: &Thresholds,
) -> (i64, i64, usize) {
    let (mut x, mut n, mut k) = (0, 0, 0);
    for p in earlier
        .iter()
        .rev()
        .take(thresholds.history_pairs.max(1) as usize)
    {
        if let Some(r) = p
            .counties
            .iter()
            .find(|c| c.county == county)
            .and_then(|c| c.transitions.iter().find(|r| r.transition == t))
            && r.base > 0
        {
            x += r.moved;
            n += r.base;
            k += 1;
        }
    }
    (x, n, k)
}

fn test_pairs(pairs: &mut [PairReport], thresholds: &Thresholds, baselines: Option<&Baselines>) {
    for i in 0..pairs.len() {
        let (earlier, rest) = pairs.split_at_mut(i);
        let pair = &mut rest[0];
        let days = (pair.to.as_of - pair.from.as_of).num_days().max(1);
        // State totals per transition, to take each county out of its own comparison.
        let mut totals: HashMap<Transition, (i64, i64)> = HashMap::new();
        for c in &pair.counties {
            for t in &c.transitions {
                let e = totals.entry(t.transition).or_default();
                e.0 += t.moved;
                e.1 += t.base;
            }
        }
        let mut tested: Vec<(usize, usize, f64)> = Vec::new();
        for (ci, c) in pair.counties.iter_mut().enumerate() {
            for (ti, t) in c.transitions.iter_mut().enumerate() {
                if t.base <= 0 {
                    continue;
                }
                let (sx, sn) = totals[&t.transition];
                let (ox, on) = (sx - t.moved, sn - t.base);
                let (hx, hn, _) = history(earlier, &c.county, t.transition, thresholds);
                let baseline = baselines
                    .and_then(|b| b.rate_per_day(&c.county, t.transition))
                    .map(|per_day| (per_day * days as f64).min(1.0));
                // Nothing to compare with (the only county, its first pair, no EAC
                // baseline): no expected rate, so no test and no flag.
                if on <= 0 && hn <= 0 && baseline.is_none() {
                    continue;
                }
                let state_rate = if on > 0 { ratio(ox, on) } else { ratio(hx, hn) };
                let prior = baseline.unwrap_or(state_rate);
                let w = thresholds.prior_weight * t.base as f64;
                let history_rate = if hn as f64 + w > 0.0 {
                    (hx as f64 + w * prior) / (hn as f64 + w)
                } else {
                    prior
                };
                let n = t.base as f64;
                let x = t.moved.max(0) as u64;
                let p = poisson_upper_tail(x, n * history_rate)
                    .max(poisson_upper_tail(x, n * state_rate));
                t.history_rate = history_rate;
                t.state_rate = state_rate;
                t.p_value = p;
                tested.push((ci, ti, p));
            }
        }
        let q = benjamini_hochberg(&tested.iter().map(|t| t.2).collect::<Vec<_>>());
        for ((ci, ti, _), q) in tested.into_iter().zip(q) {
            let t = &mut pair.counties[ci].transitions[ti];
            t.q_value = q;
            let expected = t.history_rate.max(t.state_rate);
            t.flagged = q <= thresholds.fdr
                && t.moved >= thresholds.min_voters
                && t.rate >= thresholds.min_ratio * expected
                && (t.rate - expected) * 100.0 >= thresholds.min_excess_points;
        }
        let _ = earlier;
    }
}

fn describe_flag(
    pair: &PairReport,
    c: &CountyPair,
    t: &TransitionRate,
    history_average: Option<f64>,
    history_pairs: usize,
    index: &RollIndex<'_>,
    removals: &[RemovalCell],
) -> Flag {
    let cells: Vec<&RemovalCell> = removals
        .iter()
        .filter(|r| {
            r.snapshot_id == pair.to.id && r.county == c.county && r.transition == t.transition
        })
        .collect();
    let statuses: &[RollStatus] = if t.transition.includes_inactive() {
        &[RollStatus::Active, RollStatus::Inactive]
    } else {
        &[RollStatus::Active]
    };
    let base_of = |dim: RollDimension| -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for s in statuses {
            if let Some(m) = index.get(&(pair.from.id, c.county.as_str(), *s, dim)) {
                for (v, n) in m {
                    *out.entry(v.to_string()).or_default() += n;
                }
            }
        }
        out
    };
    let at = pair.to.as_of;
    let mut age_base: BTreeMap<String, i64> = BTreeMap::new();
    for (year, n) in base_of(RollDimension::BirthYear) {
        *age_base
            .entry(age_band(year.parse().ok(), at).to_string())
            .or_default() += n;
    }
    let breakdowns = vec![
        breakdown(
            "precinct",
            &cells,
            |r| r.precinct.clone(),
            Some(&base_of(RollDimension::Precinct)),
        ),
        breakdown("reason", &cells, |r| r.reason.clone(), None),
        breakdown(
            "party",
            &cells,
            |r| r.party.clone(),
            Some(&base_of(RollDimension::Party)),
        ),
        breakdown(
            "race",
            &cells,
            |r| r.race.clone(),
            Some(&base_of(RollDimension::Race)),
        ),
        breakdown(
            "gender",
            &cells,
            |r| r.gender.clone(),
            Some(&base_of(RollDimension::Gender)),
        ),
        breakdown(
            "age_band",
            &cells,
            |r| age_band(r.birth_year, at).to_string(),
            Some(&age_base),
        ),
        breakdown(
            "last_vote",
            &cells,
            |r| last_vote_band(r.last_vote_year, at).to_string(),
            None,
        ),
    ];
    let top_reason = breakdowns[1]
        .rows
        .first()
        .filter(|r| !r.value.is_empty())
        .map(|r| (r.value.clone(), r.share_moved));
    let party_skew = breakdowns[2]
        .rows
        .iter()
        .filter_map(|r| Some((r, r.share_base?)))
        .filter(|(r, b)| r.share_moved - b >= 0.05)
        .max_by(|a, b| (a.0.share_moved - a.1).total_cmp(&(b.0.share_moved - b.1)))
        .map(|(r, b)| PartySkew {
            party: r.value.clone(),
            share_moved: r.share_moved,
            share_base: b,
            p_value: share_difference_p(r.moved as u64, t.moved as u64, b),
        });
    let expected_rate = t.history_rate.max(t.state_rate);
    let id = FlagId {
        date: pair.to.as_of,
        county: c.county.clone(),
        transition: t.transition,
    };
    let mut flag = Flag {
        id: id.to_string(),
        snapshot_id: pair.to.id,
        from: pair.from.as_of,
        to: pair.to.as_of,
        county: c.county.clone(),
        transition: t.transition,
        moved: t.moved,
        base: t.base,
        rate: t.rate,
        history_average,
        history_pairs,
        state_rate: t.state_rate,
        expected_rate,
        p_value: t.p_value,
        q_value: t.q_value,
        top_reason,
        party_skew,
        breakdowns,
        sentence: String::new(),
    };
    flag.sentence = sentence(&flag);
    flag
}

fn breakdown(
    dimension: &str,
    cells: &[&RemovalCell],
    key: impl Fn(&RemovalCell) -> String,
    base: Option<&BTreeMap<String, i64>>,
) -> Breakdown {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for c in cells {
        *counts.entry(key(c)).or_default() += c.voters;
    }
    let total: i64 = counts.values().sum();
    let base_total: i64 = base.map(|b| b.values().sum()).unwrap_or(0);
    let mut rows: Vec<BreakdownRow> = counts
        .into_iter()
        .map(|(value, moved)| {
            let b = base.map(|b| b.get(&value).copied().unwrap_or(0));
            BreakdownRow {
                share_moved: ratio(moved, total),
                share_base: b.map(|b| ratio(b, base_total)),
                base: b,
                value,
                moved,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.moved.cmp(&a.moved).then_with(|| a.value.cmp(&b.value)));
    Breakdown {
        dimension: dimension.to_string(),
        rows,
    }
}

/// A rate as a percentage: one decimal, two below 0.1%.
pub fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p != 0.0 && p.abs() < 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A count with thousands separators.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// The flag's sentence: what happened, against what, and who it fell on.
pub fn sentence(f: &Flag) -> String {
    let (verb, where_to) = f.transition.verb_phrase();
    let mut s = format!(
        "{} {verb} {} of its {} ({} of {}) {where_to} between {} and {}",
        f.county,
        percent(f.rate),
        f.transition.base_words(),
        count(f.moved),
        count(f.base),
        f.from,
        f.to
    );
    if let Some((reason, share)) = &f.top_reason {
        s.push_str(&format!(
            ", {} of them for {}",
            percent(*share),
            crate::model::reason_words(reason)
        ));
    }
    match f.history_average {
        Some(avg) => s.push_str(&format!(
            "; over the last {} refresh{} it averaged {}",
            f.history_pairs,
            if f.history_pairs == 1 { "" } else { "es" },
            percent(avg)
        )),
        None => s.push_str("; it has no earlier refresh on record"),
    }
    s.push_str(&format!(
        ", and the state's other counties {} this time",
        percent(f.state_rate)
    ));
    if let Some(k) = &f.party_skew {
        s.push_str(&format!(
            "; {} of those {verb} are {} against {} of the county's {}",
            percent(k.share_moved),
            display_party(&k.party),
            percent(k.share_base),
            f.transition.base_words()
        ));
    }
    s.push('.');
    s
}
