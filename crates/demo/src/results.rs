//! Election night in the demo state: a Democratic caucus (with double entry by the hotline)
//! and a Republican primary over the demo's precincts (ids `p<index>`, as in the demo VIP
//! feed), plausible results for each precinct, and the night's plan: when each chair
//! reports, which hotline entries follow, which entries break the rules and are corrected
//! later with a reason. Everything follows from the seed.
//!
//! The result generators ([`caucus_result`], [`votes_result`]) are also what the load
//! benchmark submits: a caucus result has a first alignment summing to the attendees,
//! viable groups keeping their members and the others realigning to the largest viable
//! group, and the coin-toss winners the rules call for, so it passes validation.

use crate::DemoState;
use crate::rng::{Draw, SplitMix};
use votebase_caucus::{Rules, TossEffect, allocate, viability_threshold};
use votebase_domain::results::{
    CaucusEntry, CaucusGroup, Contest, ContestKind, Election, Precinct, ResultEntry, VoteCount,
    VoteType, VotesEntry,
};

/// Slug of the demo caucus.
pub const CAUCUS_SLUG: &str = "demo-caucus";
/// Slug of the demo primary.
pub const PRIMARY_SLUG: &str = "demo-primary";
/// Contest key of the caucus.
pub const CAUCUS_CONTEST: &str = "president";
/// Contest key of the primary.
pub const PRIMARY_CONTEST: &str = "governor";

/// Preference groups of the demo caucus (invented names).
pub const CAUCUS_CANDIDATES: [&str; 6] = [
    "Avery Lindqvist",
    "Bea Okafor",
    "Carlos Ruiz-Whitman",
    "Dana Pryce",
    "Eli Tanaka",
    "Uncommitted",
];

/// Candidates of the demo primary (invented names).
pub const PRIMARY_CANDIDATES: [&str; 4] = [
    "Frances Holloway",
    "Gideon Marsh",
    "Harriet Quill",
    "Ivan Petrakis",
];

/// County delegates a precinct of `voters` registered voters elects (1 to 12).
pub fn delegates_for(voters: u32) -> u32 {
    (voters / 400).clamp(1, 12)
}

fn demo_precincts(state: &DemoState) -> Vec<Precinct> {
    state
        .precincts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let delegates = delegates_for(p.planned_voters);
            Precinct {
                id: format!("p{i}"),
                county: state.counties[p.county as usize].name.clone(),
                name: p.name.clone(),
                delegates,
                sde: f64::from(delegates) * 0.125,
                history_turnout: None,
            }
        })
        .collect()
}

/// The demo caucus: one contest, every precinct of the demo state, double entry on.
pub fn caucus_election(state: &DemoState) -> Election {
    Election {
        slug: CAUCUS_SLUG.into(),
        name: "Demo State Democratic Caucuses".into(),
        date: crate::demo_election() - chrono::Duration::days(273),
        double_entry: true,
        contests: vec![Contest {
            key: CAUCUS_CONTEST.into(),
            office: "President".into(),
            district: String::new(),
            party: "DEM".into(),
            kind: ContestKind::Caucus,
            candidates: CAUCUS_CANDIDATES.iter().map(|c| c.to_string()).collect(),
        }],
        precincts: demo_precincts(state),
    }
}

/// The demo primary: one contest (governor), every precinct, chair entry only.
pub fn primary_election(state: &DemoState) -> Election {
    Election {
        slug: PRIMARY_SLUG.into(),
        name: "Demo State Republican Primary".into(),
        date: crate::demo_election() - chrono::Duration::days(154),
        double_entry: false,
        contests: vec![Contest {
            key: PRIMARY_CONTEST.into(),
            office: "Governor".into(),
            district: String::new(),
            party: "REP".into(),
            kind: ContestKind::Votes,
            candidates: PRIMARY_CANDIDATES.iter().map(|c| c.to_string()).collect(),
        }],
        precincts: demo_precincts(state),
    }
}

/// Shares of `total` by random weights (each group at least `floor` of 100), largest
/// remainder to the largest share.
fn split<R: Draw>(rng: &mut R, total: u32, parts: usize, floor: u64) -> Vec<u32> {
    let weights: Vec<u64> = (0..parts).map(|_| floor + rng.below(100)).collect();
    let sum: u64 = weights.iter().sum();
    let mut out: Vec<u32> = weights
        .iter()
        .map(|w| (u64::from(total) * w / sum) as u32)
        .collect();
    let given: u32 = out.iter().sum();
    let top = (0..parts).max_by_key(|&i| weights[i]).unwrap_or(0);
    out[top] += total - given;
    out
}

/// A valid caucus worksheet for a precinct electing `delegates`, with about
/// `voters / 12` attendees; `key` picks the random stream (same key, same result).
pub fn caucus_result(seed: u64, key: u64, voters: u32, delegates: u32) -> CaucusEntry {
    let mut rng = SplitMix::new(seed, key);
    let base = (voters / 12).max(8);
    let attendees = base / 2 + rng.below(u64::from(base)) as u32 + 4;
    let n = CAUCUS_CANDIDATES.len();
    let first = split(&mut rng, attendees, n, 5);
    let threshold = viability_threshold(attendees, delegates);
    let mut fin: Vec<u32> = first.clone();
    let viable: Vec<usize> = (0..n).filter(|&i| first[i] >= threshold).collect();
    let largest = (0..n).max_by_key(|&i| first[i]).unwrap_or(0);
    let target = viable
        .iter()
        .copied()
        .max_by_key(|&i| first[i])
        .unwrap_or(largest);
    for i in 0..n {
        if !viable.contains(&i) && i != target {
            fin[target] += fin[i];
            fin[i] = 0;
        }
    }
    let allocation = allocate(delegates, attendees, &fin, &Rules::default());
    let mut coin_toss_winners = Vec::new();
    for toss in &allocation.coin_tosses {
        // Winners come out ahead: they gain the delegate at stake, or keep theirs while
        // the losers give one back.
        let winners = match toss.effect {
            TossEffect::GainOne => toss.count as usize,
            TossEffect::LoseOne => toss.among.len() - toss.count as usize,
        };
        let mut among = toss.among.clone();
        for _ in 0..winners {
            if among.is_empty() {
                break;
            }
            let pick = among.remove(rng.index(among.len()));
            coin_toss_winners.push(CAUCUS_CANDIDATES[pick].to_string());
        }
    }
    CaucusEntry {
        attendees,
        groups: (0..n)
            .map(|i| CaucusGroup {
                candidate: CAUCUS_CANDIDATES[i].to_string(),
                first: first[i],
                final_alignment: fin[i],
                delegates: None,
            })
            .collect(),
        coin_toss_winners,
    }
}

/// The same worksheet with one mistake the validation rejects, as chairs made it in 2020:
/// the final alignment counts two people more than the first (late arrivals added to the
/// largest group).
pub fn caucus_mistake(entry: &CaucusEntry) -> Option<CaucusEntry> {
    let mut wrong = entry.clone();
    let g = wrong.groups.iter_mut().max_by_key(|g| g.final_alignment)?;
    g.final_alignment += 2;
    Some(wrong)
}

/// A primary tally for a precinct of `voters` registered voters: 25–45% turnout, votes
/// split among the candidates and the four vote types.
pub fn votes_result(seed: u64, key: u64, voters: u32) -> VotesEntry {
    let mut rng = SplitMix::new(seed, key ^ 0x9e37_79b9);
    let turnout_pct = 25 + rng.below(21) as u32;
    let ballots = (voters * turnout_pct / 100).max(10);
    let by_candidate = split(&mut rng, ballots, PRIMARY_CANDIDATES.len(), 10);
    let mut counts = Vec::new();
    for (c, &votes) in PRIMARY_CANDIDATES.iter().zip(&by_candidate) {
        let early = votes * (25 + rng.below(10) as u32) / 100;
        let absentee = votes * (10 + rng.below(6) as u32) / 100;
        let provisional = votes / 60;
        let day = votes - early - absentee - provisional;
        for (vote_type, v) in [
            (VoteType::ElectionDay, day),
            (VoteType::Early, early),
            (VoteType::Absentee, absentee),
            (VoteType::Provisional, provisional),
        ] {
            counts.push(VoteCount {
                candidate: c.to_string(),
                vote_type,
                votes: v,
            });
        }
    }
    VotesEntry {
        ballots_cast: Some(ballots),
        counts,
    }
}

/// Who sends an entry on election night.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The precinct chair, with the code from the sheet.
    Chair,
    /// A hotline operator keying what the chair reads over the phone.
    Hotline,
}

/// One entry of the night's plan.
#[derive(Debug, Clone)]
pub struct PlannedEntry {
    /// When, as a fraction of the night (0 to 1).
    pub at: f64,
    /// Election slug.
    pub election: &'static str,
    /// Contest key.
    pub contest: &'static str,
    /// Index of the precinct in the election's roster.
    pub precinct: usize,
    /// Who sends it.
    pub sender: Sender,
    /// The numbers.
    pub result: ResultEntry,
    /// Set for a correction of an earlier entry: why.
    pub reason: Option<String>,
}

/// The night: every caucus precinct's chair reports (about one in twenty first with a
/// mistake, corrected a little later with a reason) and a hotline operator keys the same
/// numbers for double entry (two precincts with a typo, left in disagreement for the
/// reconciliation report); every primary precinct's chair reports once. Sorted by time.
pub fn election_night(state: &DemoState) -> Vec<PlannedEntry> {
    let seed = state.options.seed;
    let mut rng = SplitMix::new(seed, 0x4e49_4748);
    let mut plan = Vec::new();
    let precincts = demo_precincts(state);
    let mut typos = 0;
    for (i, p) in precincts.iter().enumerate() {
        let voters = state.precincts[i].planned_voters;
        let good = caucus_result(seed, i as u64, voters, p.delegates);
        let at = 0.05 + rng.unit() * 0.8;
        let mistake = rng.chance(0.05).then(|| caucus_mistake(&good)).flatten();
        let hotline_at = at + 0.02 + rng.unit() * 0.1;
        if let Some(wrong) = mistake {
            plan.push(PlannedEntry {
                at,
                election: CAUCUS_SLUG,
                contest: CAUCUS_CONTEST,
                precinct: i,
                sender: Sender::Chair,
                result: ResultEntry::Caucus(wrong),
                reason: None,
            });
            plan.push(PlannedEntry {
                at: at + 0.03 + rng.unit() * 0.05,
                election: CAUCUS_SLUG,
                contest: CAUCUS_CONTEST,
                precinct: i,
                sender: Sender::Chair,
                result: ResultEntry::Caucus(good.clone()),
                reason: Some(
                    "recounted the final alignment: two late arrivals had been counted".into(),
                ),
            });
        } else {
            plan.push(PlannedEntry {
                at,
                election: CAUCUS_SLUG,
                contest: CAUCUS_CONTEST,
                precinct: i,
                sender: Sender::Chair,
                result: ResultEntry::Caucus(good.clone()),
                reason: None,
            });
        }
        let mut keyed = good;
        if typos < 2 && i % 7 == 3 && keyed.attendees > 20 {
            typos += 1;
            keyed.attendees += 10;
            keyed.groups[0].first += 10;
        }
        plan.push(PlannedEntry {
            at: hotline_at.min(0.99),
            election: CAUCUS_SLUG,
            contest: CAUCUS_CONTEST,
            precinct: i,
            sender: Sender::Hotline,
            result: ResultEntry::Caucus(keyed),
            reason: None,
        });
        plan.push(PlannedEntry {
            at: 0.02 + rng.unit() * 0.9,
            election: PRIMARY_SLUG,
            contest: PRIMARY_CONTEST,
            precinct: i,
            sender: Sender::Chair,
            result: ResultEntry::Votes(votes_result(seed, i as u64, voters)),
            reason: None,
        });
    }
    plan.sort_by(|a, b| a.at.total_cmp(&b.at));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use votebase_caucus::results::check_entry;
    use votebase_domain::results::EntryStatus;

    fn precinct(delegates: u32) -> Precinct {
        Precinct {
            id: "p1".into(),
            county: "X".into(),
            name: "X".into(),
            delegates,
            sde: 1.0,
            history_turnout: None,
        }
    }

    #[test]
    fn generated_caucus_results_pass_validation_and_mistakes_do_not() {
        let contest = Contest {
            key: CAUCUS_CONTEST.into(),
            office: "President".into(),
            district: String::new(),
            party: "DEM".into(),
            kind: ContestKind::Caucus,
            candidates: CAUCUS_CANDIDATES.iter().map(|c| c.to_string()).collect(),
        };
        let (mut mistakes, mut tosses) = (0, 0);
        for key in 0..4000u64 {
            let voters = 200 + (key as u32 * 37) % 5000;
            let d = delegates_for(voters);
            let election = Election {
                slug: "t".into(),
                name: "t".into(),
                date: chrono::NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
                double_entry: false,
                contests: vec![contest.clone()],
                precincts: vec![precinct(d)],
            };
            let entry = caucus_result(7, key, voters, d);
            let total_first: u32 = entry.groups.iter().map(|g| g.first).sum();
            tosses += usize::from(!entry.coin_toss_winners.is_empty());
            assert_eq!(total_first, entry.attendees);
            let check = check_entry(
                &election,
                "p1",
                CAUCUS_CONTEST,
                &ResultEntry::Caucus(entry.clone()),
            );
            assert_eq!(
                check.status,
                EntryStatus::Accepted,
                "{key}: {entry:?} {check:?}"
            );
            if let Some(wrong) = caucus_mistake(&entry) {
                mistakes += 1;
                let check =
                    check_entry(&election, "p1", CAUCUS_CONTEST, &ResultEntry::Caucus(wrong));
                assert_eq!(check.status, EntryStatus::NeedsCorrection, "{key}");
            }
        }
        assert_eq!(mistakes, 4000);
        assert!(tosses > 10, "coin tosses exercised: {tosses}");
    }

    #[test]
    fn same_key_same_result() {
        assert_eq!(caucus_result(1, 5, 2000, 5), caucus_result(1, 5, 2000, 5));
        assert_ne!(caucus_result(1, 5, 2000, 5), caucus_result(1, 6, 2000, 5));
        let v = votes_result(1, 5, 2000);
        let sum: u32 = v.counts.iter().map(|c| c.votes).sum();
        assert_eq!(Some(sum), v.ballots_cast);
    }
}
