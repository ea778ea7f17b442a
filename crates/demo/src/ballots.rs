//! Demo absentee and early-vote files: for the state's second snapshot, a general
//! election five weeks later with mail ballots (requested, sent, returned, accepted, a
//! few with curable problems that are later cured, a few spoiled) and early in-person
//! votes rising towards election day, written as 30 cumulative daily files in North
//! Carolina's absentee layout, plus a few rows that match no voter. Deterministic by seed.

use crate::DemoState;
use crate::rng::{Draw, SplitMix};
use crate::voters::{DemoVoter, Party, Status};
use chrono::{Duration, NaiveDate};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The demo's general election.
pub fn demo_election() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 3).expect("valid date")
}

/// The previous general election, whose final absentee file the demo also writes so the
/// dashboard can compare the two on the same day before the election.
pub fn demo_previous_election() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 11, 5).expect("valid date")
}

/// One ballot of the season, with the days its states change.
#[derive(Debug, Clone)]
struct Ballot {
    voter: u32,
    one_stop: bool,
    requested: NaiveDate,
    sent: Option<NaiveDate>,
    returned: Option<NaiveDate>,
    /// Status on return, and an optional later status (a cure) with its day.
    status: &'static str,
    cured: Option<NaiveDate>,
    site: String,
}

const HEADER: &str = "county_desc,voter_reg_num,ncid,voter_last_name,voter_first_name,voter_middle_name,race,ethnicity,gender,age,voter_street_address,voter_city,voter_state,voter_zip,election_dt,voter_party_code,precinct_desc,ballot_req_delivery_type,ballot_req_type,ballot_request_party,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status,site_name,sdr,mail_veri_status";

fn fmt(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%m/%d/%Y").to_string())
        .unwrap_or_default()
}

/// The ballots of one election's season; `salt` varies who votes between elections and
/// `turnout` scales how many do.
fn plan(state: &DemoState, e: NaiveDate, salt: u64, turnout_scale: f64) -> Vec<Ballot> {
    let seed = state.options.seed ^ salt;
    let mut out = Vec::new();
    for (i, v) in state.second_snapshot() {
        if v.status != Status::Active {
            continue;
        }
        let mut r = SplitMix::new(seed ^ 0x00ba_1107, u64::from(i));
        let age = v.age_on(e) as f64;
        let lean = match v.party {
            Party::Dem => 1.3,
            Party::Rep => 0.7,
            _ => 1.0,
        };
        let turnout = (f64::from(v.propensity) / 100.0 * turnout_scale).min(1.0);
        let mail_p = (0.03 + 0.12 * ((age - 30.0).max(0.0) / 50.0)) * lean * turnout;
        let early_p = 0.45 * turnout;
        if r.chance(mail_p) {
            let requested = e - Duration::days(r.between(21, 60) as i64);
            let sent = requested + Duration::days(r.between(1, 6) as i64);
            let (returned, status, cured) = if r.chance(0.82) {
                let back = (sent + Duration::days(r.between(3, 28) as i64)).min(e);
                let roll = r.unit();
                if roll < 0.035 {
                    let cure = back + Duration::days(r.between(2, 9) as i64);
                    let cured = (r.chance(0.6) && cure < e).then_some(cure);
                    (Some(back), "WITNESS INFO INCOMPLETE", cured)
                } else if roll < 0.045 {
                    (Some(back), "SPOILED", None)
                } else {
                    (Some(back), "ACCEPTED", None)
                }
            } else {
                (None, "", None)
            };
            out.push(Ballot {
                voter: i,
                one_stop: false,
                requested,
                sent: Some(sent),
                returned,
                status,
                cured,
                site: String::new(),
            });
        } else if r.chance(early_p) {
            // Early voting runs from 17 days out to 3 days out, heavier at the end.
            let x = r.unit().sqrt();
            let day = e - Duration::days(17 - (x * 14.0) as i64);
            let precinct = &state.precincts[state.precinct_of(&v) as usize];
            let site = if r.chance(0.5) {
                format!(
                    "{} BOARD OF ELECTIONS",
                    state.counties[v.county as usize].name
                )
            } else {
                precinct.polling_place.name.clone()
            };
            out.push(Ballot {
                voter: i,
                one_stop: true,
                requested: day,
                sent: Some(day),
                returned: Some(day),
                status: "ACCEPTED",
                cured: None,
                site,
            });
        }
    }
    out
}

/// Writes one ballot's row as it stands on `day`.
fn write_ballot_row(
    w: &mut impl Write,
    state: &DemoState,
    b: &Ballot,
    e: NaiveDate,
    day: NaiveDate,
) -> std::io::Result<()> {
    let Some(v) = state.second_snapshot_voter(b.voter) else {
        return Ok(());
    };
    let county = &state.counties[v.county as usize];
    let precinct = &state.precincts[state.precinct_of(&v) as usize];
    let sent = b.sent.filter(|d| *d <= day);
    let returned = b.returned.filter(|d| *d <= day);
    let status = match (returned, b.cured) {
        (None, _) => "",
        (Some(_), Some(c)) if c <= day => "ACCEPTED - CURED",
        (Some(_), _) => b.status,
    };
    let (kind, delivery) = if b.one_stop {
        ("ONE-STOP", "IN PERSON")
    } else {
        ("MAIL", "MAIL")
    };
    let party = match v.party {
        Party::Dem => "DEM",
        Party::Rep => "REP",
        Party::Una => "UNA",
        Party::Lib => "LIB",
        Party::Gre => "GRE",
    };
    writeln!(
        w,
        "{},{:012},{},{},{},,,,,{},\"{}\",,NC,{},{},{},{},{},{},,{},{},{},{},{},N,",
        county.name,
        v.reg_num,
        v.ncid(),
        v.last_name(),
        crate::NameBook::get().given(v.first),
        v.age_on(e),
        state.street_address(&v),
        precinct.zip5,
        e.format("%m/%d/%Y"),
        party,
        precinct.name,
        delivery,
        kind,
        fmt(Some(b.requested)),
        fmt(sent),
        fmt(returned),
        status,
        b.site,
    )?;
    Ok(())
}

/// Writes one cumulative absentee file per day for the 30 days before the demo election
/// (`absentee_<YYYYMMDD>.csv`), after the final file of the previous general election
/// (`absentee_final_<YYYYMMDD>.csv`), and returns their paths, oldest first.
pub fn write_ballot_files(state: &DemoState, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    let previous = demo_previous_election();
    let path = dir.join(format!("absentee_final_{}.csv", previous.format("%Y%m%d")));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(w, "{HEADER}")?;
    for b in &plan(state, previous, 0x2024, 1.15) {
        write_ballot_row(&mut w, state, b, previous, previous)?;
    }
    w.flush()?;
    paths.push(path);
    let e = demo_election();
    let ballots = plan(state, e, 0, 1.0);
    let unmatched: Vec<String> = (0..12).map(|k| format!("ZZ{:06}", 900_000 + k)).collect();
    // Six voters of the file whose county keyed a wrong id: their rows match no voter by
    // id, and the record-linkage engine finds them by name, age and address.
    let with_ballot: std::collections::HashSet<u32> = ballots.iter().map(|b| b.voter).collect();
    let mistyped: Vec<(u32, DemoVoter)> = state
        .second_snapshot()
        .filter(|(i, v)| i % 97 == 13 && v.status == Status::Active && !with_ballot.contains(i))
        .take(6)
        .collect();
    for back in (1..=30).rev() {
        let day = e - Duration::days(back);
        let path = dir.join(format!("absentee_{}.csv", day.format("%Y%m%d")));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(w, "{HEADER}")?;
        for b in ballots.iter().filter(|b| b.requested <= day) {
            write_ballot_row(&mut w, state, b, e, day)?;
        }
        // A few rows for voters no voter file has (moved in after the refresh, typos).
        for (k, id) in unmatched.iter().enumerate() {
            if k as i64 * 2 < 31 - back {
                writeln!(
                    w,
                    "{},{:012},{id},UNKNOWN,VOTER,,,,,40,\"1 NOWHERE ST\",,NC,27000,{},UNA,,MAIL,MAIL,,{},,,,,N,",
                    state.counties[k % state.counties.len()].name,
                    k,
                    e.format("%m/%d/%Y"),
                    fmt(Some(e - Duration::days(40))),
                )?;
            }
        }
        for (k, (_, v)) in mistyped.iter().enumerate() {
            if k as i64 * 4 < 31 - back {
                writeln!(
                    w,
                    "{},{:012},ZT{:06},{},{},,,,,{},\"{}\",,NC,{},{},UNA,,MAIL,MAIL,,{},,,,,N,",
                    state.counties[v.county as usize].name,
                    999_800_000 + k,
                    800_000 + k,
                    v.last_name(),
                    crate::NameBook::get().given(v.first),
                    v.age_on(e),
                    state.street_address(v),
                    state.precincts[state.precinct_of(v) as usize].zip5,
                    e.format("%m/%d/%Y"),
                    fmt(Some(e - Duration::days(35))),
                )?;
            }
        }
        w.flush()?;
        paths.push(path);
    }
    Ok(paths)
}
