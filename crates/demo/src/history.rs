//! Past elections and vote history of the demo state. History is not stored: each voter's record
//! is recomputed on demand from a per-voter random stream keyed by the seed and the NCID, so it
//! is deterministic, costs no memory for 10M voters, and later generators (results, turnout
//! reports) can ask for exactly the same participation. Turnout rises with age and the voter's
//! propensity, is lower for unaffiliated and inactive voters, and is limited to elections held
//! after the registration date; the voting-method mix follows the era (2020: many mail ballots).

use chrono::NaiveDate;

use crate::rng::{Draw, SplitMix};
use crate::voters::{DemoVoter, Party, Status};

/// Kind of election.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionKind {
    /// General election.
    General,
    /// Partisan primary.
    Primary,
}

/// A past election with a vote-history entry per participating voter.
#[derive(Clone, Debug)]
pub struct Election {
    /// Election day.
    pub date: NaiveDate,
    /// General or primary.
    pub kind: ElectionKind,
    /// `election_desc`, e.g. `11/05/2024 GENERAL`.
    pub desc: String,
    /// Base turnout among registered voters of average propensity.
    pub base_turnout: f64,
    /// Weights of [`VotingMethod::ALL`] in this election.
    pub method_weights: [u32; 5],
}

impl Election {
    /// `election_lbl` (MM/DD/YYYY).
    pub fn label(&self) -> String {
        self.date.format("%m/%d/%Y").to_string()
    }
}

/// How a ballot was cast (`voting_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VotingMethod {
    /// `IN-PERSON` on Election Day.
    InPerson,
    /// `ABSENTEE ONESTOP` (early in-person voting).
    OneStop,
    /// `ABSENTEE BY MAIL`.
    Mail,
    /// `PROVISIONAL`.
    Provisional,
    /// `CURBSIDE`.
    Curbside,
}

impl VotingMethod {
    /// All methods, in the order of `Election::method_weights`.
    pub const ALL: [VotingMethod; 5] = [
        VotingMethod::InPerson,
        VotingMethod::OneStop,
        VotingMethod::Mail,
        VotingMethod::Provisional,
        VotingMethod::Curbside,
    ];

    /// `voting_method` value.
    pub fn label(self) -> &'static str {
        match self {
            VotingMethod::InPerson => "IN-PERSON",
            VotingMethod::OneStop => "ABSENTEE ONESTOP",
            VotingMethod::Mail => "ABSENTEE BY MAIL",
            VotingMethod::Provisional => "PROVISIONAL",
            VotingMethod::Curbside => "CURBSIDE",
        }
    }
}

/// One ballot in the history of a voter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteRecord {
    /// Index into `DemoState::elections`.
    pub election: u16,
    /// Voting method.
    pub method: VotingMethod,
    /// `voted_party_cd`: the ballot party in a primary, else the registered party.
    pub voted_party: Party,
}

/// The elections of the demo state held before `until`.
pub fn elections_before(until: NaiveDate) -> Vec<Election> {
    use ElectionKind::{General, Primary};
    // (y, m, d, kind, turnout, [in-person, onestop, mail, provisional, curbside])
    let table: [(i32, u32, u32, ElectionKind, f64, [u32; 5]); 9] = [
        (2016, 11, 8, General, 0.70, [330, 615, 45, 8, 2]),
        (2018, 11, 6, General, 0.53, [430, 525, 35, 8, 2]),
        (2020, 3, 3, Primary, 0.34, [555, 415, 22, 6, 2]),
        (2020, 11, 3, General, 0.75, [155, 650, 185, 8, 2]),
        (2022, 5, 17, Primary, 0.20, [560, 410, 22, 6, 2]),
        (2022, 11, 8, General, 0.51, [405, 530, 55, 8, 2]),
        (2024, 3, 5, Primary, 0.25, [540, 430, 22, 6, 2]),
        (2024, 11, 5, General, 0.72, [230, 710, 50, 8, 2]),
        (2026, 3, 3, Primary, 0.20, [560, 410, 22, 6, 2]),
    ];
    table
        .iter()
        .filter_map(|&(y, m, d, kind, base_turnout, method_weights)| {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("date");
            (date < until).then(|| Election {
                date,
                kind,
                desc: format!(
                    "{} {}",
                    date.format("%m/%d/%Y"),
                    if kind == General {
                        "GENERAL"
                    } else {
                        "PRIMARY"
                    }
                ),
                base_turnout,
                method_weights,
            })
        })
        .collect()
}

/// Vote history of `voter` (its first-snapshot record) over `elections`, appended to `out`.
/// `dem_lean` is the county's lean, used for the primary ballot of unaffiliated voters.
pub fn vote_history(
    seed: u64,
    voter: &DemoVoter,
    dem_lean: f64,
    elections: &[Election],
    out: &mut Vec<VoteRecord>,
) {
    out.clear();
    if voter.status == Status::Denied {
        return;
    }
    let mut rng = SplitMix::new(
        seed ^ 0x686973746f7279,
        u64::from(voter.ncid_num) << 16
            | u64::from(voter.ncid_prefix[0]) << 8
            | u64::from(voter.ncid_prefix[1]),
    );
    let prop = f64::from(voter.propensity) / 100.0;
    let mult = 0.3 + 1.4 * prop;
    let removed_cutoff = NaiveDate::from_ymd_opt(2021, 1, 1).expect("date");
    for (i, e) in elections.iter().enumerate() {
        let u = rng.unit();
        let m = rng.next_raw();
        let deadline = e.date - chrono::Days::new(25);
        if voter.registr_dt > deadline {
            continue;
        }
        if voter.status == Status::Removed && e.date >= removed_cutoff {
            continue;
        }
        let mut p = e.base_turnout * mult;
        if e.kind == ElectionKind::Primary && voter.party == Party::Una {
            p *= 0.6;
        }
        if u >= p.clamp(0.01, 0.97) {
            continue;
        }
        let mut w = e.method_weights;
        if voter.age_on(e.date) >= 70 {
            w[2] *= 2;
            w[4] *= 3;
        }
        let mut mrng = SplitMix::new(m, i as u64);
        let method = VotingMethod::ALL[mrng.weighted(&w)];
        let voted_party = match (e.kind, voter.party) {
            (ElectionKind::Primary, Party::Una) => {
                if mrng.chance(0.45 + 0.2 * dem_lean) {
                    Party::Dem
                } else {
                    Party::Rep
                }
            }
            (ElectionKind::Primary, Party::Gre) => Party::Una,
            (_, p) => p,
        };
        out.push(VoteRecord {
            election: i as u16,
            method,
            voted_party,
        });
    }
}
