//! The demo-state generator behind `votebase demo [--voters N] [--seed S]`: builds a realistic
//! but entirely fictional state (invented counties, cities, precincts, streets and people) and
//! writes it as North Carolina files, two weekly `ncvoter` snapshots one month apart plus an
//! `ncvhis` vote-history file, so the real NC importer ingests it through the same path as a real
//! state file; then the absentee ballot files, a VIP polling-place feed, a cell-phone list,
//! contact exports, an ActBlue giving history, election-day incidents and election-night
//! results derived from the same state. Pure generation: no store, server or CLI.
//! The same options (seed included) always give the same bytes.
//!
//! [`build_state`] keeps everything in compact structures ([`DemoState`]); [`write_files`] streams
//! the rows through buffered writers without materialising them, so 10M voters fit in memory
//! (about 64 bytes per voter) and on disk. The later generators (absentee ballots, a VIP
//! polling-place feed whose street segments cover every address, incidents, results) are all
//! derived from the same [`DemoState`].

mod ballots;
mod contacts;
mod donations;
mod geography;
mod history;
mod incidents;
mod names;
pub mod people;
mod phones;
mod purges;
mod reissue;
pub mod results;
mod rng;
mod vip;
mod voters;
mod write;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub use ballots::{demo_election, demo_previous_election, write_ballot_files};
pub use contacts::{DemoContactFiles, write_contact_files};
pub use donations::{
    ACTBLUE_COLUMNS, ActBlueWriter, BenchDonations, DEMO_COMMITTEE, DemoDonations, DonorRow,
    GiftRow, bench_donor, write_bench_donations, write_demo_donations,
};
pub use geography::{City, County, DistrictColumns, PollingPlace, Precinct, Street, UnitStyle};
pub use history::{Election, ElectionKind, VoteRecord, VotingMethod, elections_before};
pub use incidents::{DAY_MINUTES, DemoIncident, demo_incidents};
pub use names::NameBook;
pub use phones::write_cell_list;
pub use purges::{
    PLANTED_RATE, PURGE_REFRESHES, PlantedPurge, PurgeRefreshes, write_purge_refreshes,
};
pub use reissue::{reissue_ballot_file, reissue_files, reissue_ids, reissued, reissued_id};
pub use vip::write_vip_feed;
pub use voters::{
    BIRTH_STATES, Change, DemoVoter, Ethnicity, MailKind, NO_NAME, Party, Reason, Status,
    VoterChange,
};

use rng::MainRng;

/// Options of the demo generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of voters in the first snapshot (default 200,000).
    pub voters: usize,
    /// Random seed; the same seed gives the same files.
    pub seed: u64,
    /// Date of the first ncvoter snapshot (default 2026-09-01).
    pub first_as_of: NaiveDate,
    /// Date of the second ncvoter snapshot and of the history file (default one month later).
    pub second_as_of: NaiveDate,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            voters: 200_000,
            seed: 0,
            first_as_of: NaiveDate::from_ymd_opt(2026, 9, 1).expect("valid date"),
            second_as_of: NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid date"),
        }
    }
}

/// The generated fictional state. All cross references are indices into these vectors.
///
/// * `voters[..first_count]` form the first snapshot, as stored.
/// * The second snapshot is the first with [`DemoState::changes`] applied (at most one change
///   per voter, sorted by voter; a [`Change::Dropped`] record leaves the file) plus the new
///   registrations `voters[first_count..]`. Use [`DemoState::second_snapshot`].
/// * Every voter address is `(street, house_number, unit)` with
///   `streets[street].contains(house_number)`, in both snapshots.
#[derive(Clone, Debug)]
pub struct DemoState {
    /// Options the state was built with.
    pub options: DemoOptions,
    /// Counties (10 to 20).
    pub counties: Vec<County>,
    /// Cities and towns (postal cities), each in one county.
    pub cities: Vec<City>,
    /// Precincts, grouped by county (`County::precincts`), about one per 1,000 voters.
    pub precincts: Vec<Precinct>,
    /// Street segments, grouped by precinct (`Precinct::streets`).
    pub streets: Vec<Street>,
    /// All voters: first-snapshot records, then the new registrations of the second snapshot.
    pub voters: Vec<DemoVoter>,
    /// Number of voters in the first snapshot.
    pub first_count: usize,
    /// Changes between the snapshots, sorted by voter index, at most one per voter.
    pub changes: Vec<VoterChange>,
    /// Past elections covered by the vote history, oldest first.
    pub elections: Vec<Election>,
}

/// Builds the demo state; deterministic for given options.
pub fn build_state(opts: &DemoOptions) -> DemoState {
    let mut rng = MainRng::new(opts.seed, 1);
    let mut geo = geography::Geography::build(&mut rng, opts.voters);
    let pop = voters::populate(&mut geo, opts.seed, opts.first_as_of, opts.second_as_of);
    let mut state = DemoState {
        options: opts.clone(),
        counties: geo.counties,
        cities: geo.cities,
        precincts: geo.precincts,
        streets: geo.streets,
        voters: pop.voters,
        first_count: pop.first_count,
        changes: pop.changes,
        elections: elections_before(opts.second_as_of),
    };
    state.place_polling_places();
    state
}

/// Paths of the files written by [`write_files`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoFiles {
    /// `ncvoter_<first_as_of YYYYMMDD>.txt`.
    pub voters_first: PathBuf,
    /// `ncvoter_<second_as_of YYYYMMDD>.txt`.
    pub voters_second: PathBuf,
    /// `ncvhis_<second_as_of YYYYMMDD>.txt`.
    pub history: PathBuf,
}

/// Writes the two ncvoter snapshots and the ncvhis file into `dir` (created if missing):
/// tab-delimited, header row, LF line ends, ASCII.
pub fn write_files(state: &DemoState, dir: &Path) -> std::io::Result<DemoFiles> {
    write::write_all(state, dir)
}

impl DemoState {
    /// The change applied to voter `i` in the second snapshot, if any.
    pub fn change_for(&self, i: u32) -> Option<&VoterChange> {
        self.changes
            .binary_search_by_key(&i, |c| c.voter)
            .ok()
            .map(|k| &self.changes[k])
    }

    /// Voter `i` as in the second snapshot (None if not in that file).
    pub fn second_snapshot_voter(&self, i: u32) -> Option<DemoVoter> {
        let v = &self.voters[i as usize];
        match self.change_for(i) {
            Some(c) => c.apply(v),
            None => Some(*v),
        }
    }

    /// First-snapshot voters with their indices.
    pub fn first_snapshot(&self) -> impl Iterator<Item = (u32, DemoVoter)> + '_ {
        self.voters[..self.first_count]
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u32, *v))
    }

    /// Second-snapshot voters (changes applied, dropped records skipped, new registrations
    /// included) with their indices.
    pub fn second_snapshot(&self) -> impl Iterator<Item = (u32, DemoVoter)> + '_ {
        let mut next = 0usize;
        self.voters.iter().enumerate().filter_map(move |(i, v)| {
            let i = i as u32;
            while next < self.changes.len() && self.changes[next].voter < i {
                next += 1;
            }
            if next < self.changes.len() && self.changes[next].voter == i {
                self.changes[next].apply(v).map(|v| (i, v))
            } else {
                Some((i, *v))
            }
        })
    }

    /// Precinct index of a voter record (from its street).
    pub fn precinct_of(&self, v: &DemoVoter) -> u32 {
        self.streets[v.street as usize].precinct
    }

    /// `res_street_address` of a voter, e.g. `1234 N ELM STREET APT 4B`.
    pub fn street_address(&self, v: &DemoVoter) -> String {
        let st = &self.streets[v.street as usize];
        let unit = st.unit_text(v.unit);
        if unit.is_empty() {
            format!("{} {}", v.house_number, st.full_name())
        } else {
            format!("{} {} {unit}", v.house_number, st.full_name())
        }
    }

    /// Vote history of voter `i` (ballots cast in [`DemoState::elections`], computed from the
    /// first-snapshot record: the second-snapshot changes all happen after the last election).
    pub fn history(&self, i: u32, out: &mut Vec<VoteRecord>) {
        let v = &self.voters[i as usize];
        if i as usize >= self.first_count {
            out.clear();
            return;
        }
        let lean = self.counties[usize::from(v.county)].dem_lean;
        history::vote_history(self.options.seed, v, lean, &self.elections, out);
    }

    /// Human-readable counts of the state.
    pub fn summary(&self) -> String {
        let mut moved = 0;
        let mut moved_county = 0;
        let mut removed = 0;
        let mut dropped = 0;
        let mut other = 0;
        for c in &self.changes {
            match c.change {
                Change::Moved { county, .. } => {
                    moved += 1;
                    if county != self.voters[c.voter as usize].county {
                        moved_county += 1;
                    }
                }
                Change::Removed(_) => removed += 1,
                Change::Dropped => dropped += 1,
                _ => other += 1,
            }
        }
        let mut status = [0usize; 5];
        for v in &self.voters[..self.first_count] {
            status[v.status as usize] += 1;
        }
        let households = self.voters[..self.first_count]
            .iter()
            .map(|v| v.household)
            .collect::<std::collections::HashSet<_>>()
            .len();
        let new = self.voters.len() - self.first_count;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "demo state (seed {}): {} counties, {} cities, {} precincts, {} street segments",
            self.options.seed,
            self.counties.len(),
            self.cities.len(),
            self.precincts.len(),
            self.streets.len()
        );
        let _ = writeln!(
            s,
            "{}: {} voters in {} households (A {}, I {}, R {}, D {}, S {})",
            self.options.first_as_of,
            self.first_count,
            households,
            status[0],
            status[1],
            status[2],
            status[3],
            status[4]
        );
        let _ = writeln!(
            s,
            "{}: {} voters ({} new registrations, {} moved of which {} to another county, {} removed, {} purged, {} other changes)",
            self.options.second_as_of,
            self.first_count - dropped + new,
            new,
            moved,
            moved_county,
            removed,
            dropped,
            other
        );
        let _ = write!(s, "vote history over {} elections", self.elections.len());
        s
    }

    /// Puts each precinct's polling place on one of its streets (a school, church or community
    /// building at a free house number of the segment).
    fn place_polling_places(&mut self) {
        const KINDS: [&str; 6] = [
            "ELEMENTARY SCHOOL",
            "MIDDLE SCHOOL",
            "BAPTIST CHURCH",
            "UNITED METHODIST CHURCH",
            "COMMUNITY CENTER",
            "FIRE STATION",
        ];
        for (p, prec) in self.precincts.iter_mut().enumerate() {
            let r = prec.streets.clone();
            if r.is_empty() {
                continue;
            }
            let mut pick = rng::SplitMix::new(self.options.seed, p as u64);
            use rng::Draw;
            let s = r.start + pick.below(u64::from(r.end - r.start)) as u32;
            let st = &self.streets[s as usize];
            let word = prec.name.split(' ').next().unwrap_or("CENTRAL");
            let kind = KINDS[pick.index(KINDS.len())];
            // Odd step from the low end keeps it off the residential slots most of the time.
            let house =
                (st.low + 1 + 2 * pick.below(u64::from((st.high - st.low) / 2).max(1)) as u32)
                    .min(st.high);
            prec.polling_place = PollingPlace {
                name: format!("{word} {kind}"),
                street: s,
                house_number: house,
            };
        }
    }
}
