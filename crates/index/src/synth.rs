//! Synthetic voters for benchmarks and tests: a deterministic generator of
//! [`VoterRecord`]s, their [`VoteHistoryRecord`]s and keyed data (tags, a `support`
//! score, ballot statuses, door/phone contacts), shaped roughly like a North Carolina
//! file: 100 counties of skewed sizes (voters come grouped by county, as in the state
//! file), ~1,000 voters per precinct, 14 congressional, 50 senate and 120 house
//! districts, realistic party/status/gender mixes, birth years only, and eight
//! elections with turnout that rises with age. It needs no data files and no database.

use chrono::{Datelike, Days, NaiveDate};
use votebase_domain::snapshots::VoteHistoryRecord;
use votebase_domain::voters::{Address, Gender, Party, VoterRecord, VoterStatus};

/// A small, fast, deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() >> 32) * n) >> 32
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    /// Picks by cumulative weights (percent, summing to 100).
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|i| i.1).sum();
        let mut x = self.below(total);
        for (t, w) in items {
            if x < *w {
                return *t;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }
}

/// County names used by the generator (the first ones are real NC counties).
pub const COUNTIES: [&str; 20] = [
    "WAKE",
    "MECKLENBURG",
    "GUILFORD",
    "FORSYTH",
    "DURHAM",
    "CUMBERLAND",
    "BUNCOMBE",
    "NEW HANOVER",
    "UNION",
    "CABARRUS",
    "JOHNSTON",
    "GASTON",
    "PITT",
    "ORANGE",
    "ALAMANCE",
    "IREDELL",
    "DAVIDSON",
    "ONSLOW",
    "CATAWBA",
    "ROWAN",
];

/// The elections in the synthetic history.
pub fn elections() -> Vec<NaiveDate> {
    [
        (2012, 11, 6),
        (2014, 11, 4),
        (2016, 3, 15),
        (2016, 11, 8),
        (2018, 11, 6),
        (2020, 3, 3),
        (2020, 11, 3),
        (2022, 11, 8),
        (2024, 11, 5),
    ]
    .iter()
    .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("valid"))
    .collect()
}

/// The reference date the synthetic data is "as of".
pub fn reference_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid")
}

/// One synthetic voter and everything attached to it.
#[derive(Debug, Clone)]
pub struct SynthVoter {
    /// The voter-file record.
    pub record: VoterRecord,
    /// History rows.
    pub history: Vec<VoteHistoryRecord>,
    /// Tags.
    pub tags: Vec<&'static str>,
    /// `support` score 0..=100, if modelled.
    pub support: Option<i64>,
    /// Ballot statuses for the coming election.
    pub ballot: Vec<&'static str>,
    /// Contacts (channel, date).
    pub contacts: Vec<(&'static str, NaiveDate)>,
}

/// County name of county number `c` (0-based).
pub fn county_name(c: usize) -> String {
    match COUNTIES.get(c) {
        Some(n) => (*n).to_string(),
        None => format!("COUNTY{:03}", c + 1),
    }
}

/// County of voter `i` of `n`: 100 counties with sizes falling off like 1/(rank+3), laid
/// out in contiguous blocks.
pub fn county_of(i: usize, n: usize) -> usize {
    static CUMULATIVE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let cum = CUMULATIVE.get_or_init(|| {
        let mut acc = 0.0;
        (0..100)
            .map(|k| {
                acc += 1.0 / (k as f64 + 3.0);
                acc
            })
            .collect()
    });
    let x = (i as f64 + 0.5) / n.max(1) as f64 * cum[99];
    cum.partition_point(|&c| c <= x).min(99)
}

/// Generates voter `i` of `n` (deterministic in `seed`, `i`, `n`).
pub fn voter(seed: u64, i: usize, n: usize) -> SynthVoter {
    let mut r =
        Rng::new(seed.wrapping_mul(0x1000_0000_01B3) ^ (i as u64).wrapping_mul(0x9E37_79B9));
    let c = county_of(i, n);
    let precincts_per_county = (n / 100 / 1000).max(3) as u64;
    let p = r.below(precincts_per_county);
    let cd = 1 + (c as u64 * 3 + p % 3) % 14;
    let sd = 1 + (c as u64 * 3 + p / 2) % 50;
    let hd = 1 + (c as u64 * 5 + p) % 120;
    let city = format!(
        "{}{}",
        county_name(c).split(' ').next().unwrap_or("X"),
        if p.is_multiple_of(3) { "" } else { " TOWN" }
    );
    let zip = format!("{:05}", 27000 + c as u64 * 20 + p % 20);
    let party = r.weighted(&[
        (Party::Dem, 31),
        (Party::Rep, 30),
        (Party::Unaffiliated, 37),
        (Party::Lib, 1),
        (Party::Green, 1),
    ]);
    let status = r.weighted(&[
        (VoterStatus::Active, 84),
        (VoterStatus::Inactive, 8),
        (VoterStatus::Removed, 6),
        (VoterStatus::Denied, 1),
        (VoterStatus::Temporary, 1),
    ]);
    let gender = r.weighted(&[(Gender::Female, 52), (Gender::Male, 44), (Gender::Other, 4)]);
    let age = 18 + r.below(70) as i32 - if r.chance(0.01) { 2 } else { 0 };
    let birth_year = if r.chance(0.005) {
        None
    } else {
        Some(reference_date().year() - age)
    };
    let reg_year = (birth_year.unwrap_or(1970) + 18).max(1972);
    let reg_span_days = (reference_date() - NaiveDate::from_ymd_opt(reg_year, 1, 1).expect("valid"))
        .num_days()
        .max(1) as u64;
    let registration_date = NaiveDate::from_ymd_opt(reg_year, 1, 1)
        .and_then(|d| d.checked_add_days(Days::new(r.below(reg_span_days))));
    let id = format!("S{:09}", i as u64 * 7 + 13);
    let record = VoterRecord {
        state_voter_id: id.clone(),
        county_code: format!("{}", c + 1),
        county_name: county_name(c),
        local_voter_id: format!("{i}"),
        status,
        party,
        gender,
        birth_year,
        registration_date,
        precinct_code: format!("{:02}-{:02}", p / 10 + 1, p % 10 + 1),
        congressional_district: cd.to_string(),
        state_senate_district: sd.to_string(),
        state_house_district: format!("{hd:03}"),
        municipality: if p.is_multiple_of(2) {
            city.clone()
        } else {
            String::new()
        },
        address: Address {
            city,
            zip5: zip,
            state: "NC".into(),
            ..Address::default()
        },
        ..VoterRecord::default()
    };
    // Turnout rises with age and with general elections.
    let mut history = Vec::new();
    let propensity = 0.25 + (age.min(80) as f64 - 18.0) / 100.0;
    for e in elections() {
        let reg_ok = registration_date.is_none_or(|d| d <= e);
        let general = e.month() == 11;
        let p_vote = if general {
            propensity + 0.2
        } else {
            propensity - 0.15
        };
        if reg_ok && r.chance(p_vote) {
            let method = if e.year() >= 2020 {
                r.weighted(&[("EARLY", 55), ("IN-PERSON", 35), ("ABSENTEE BY MAIL", 10)])
            } else {
                r.weighted(&[("EARLY", 40), ("IN-PERSON", 55), ("ABSENTEE BY MAIL", 5)])
            };
            history.push(VoteHistoryRecord {
                state_voter_id: id.clone(),
                election_date: e,
                election_desc: e.format("%m/%d/%Y").to_string(),
                voting_method: method.into(),
                voted_party: String::new(),
                county_name: record.county_name.clone(),
                precinct: record.precinct_code.clone(),
            });
        }
    }
    let mut tags = Vec::new();
    if r.chance(0.03) {
        tags.push("volunteer-prospect");
    }
    if r.chance(0.01) {
        tags.push("donor");
    }
    let support = r.chance(0.8).then(|| r.below(101) as i64);
    let mut ballot = Vec::new();
    if r.chance(0.08) {
        ballot.push("requested");
        if r.chance(0.6) {
            ballot.push("returned");
        }
    }
    let mut contacts = Vec::new();
    for channel in ["door", "phone", "text"] {
        if r.chance(0.06) {
            let d = reference_date() - Days::new(r.below(120));
            contacts.push((channel, d));
        }
    }
    SynthVoter {
        record,
        history,
        tags,
        support,
        ballot,
        contacts,
    }
}

/// Feeds a synthetic voter's keyed data into a builder (the voter must be added).
pub fn feed_keyed(b: &mut crate::IndexBuilder, v: &SynthVoter) -> Result<(), crate::IndexError> {
    let id = &v.record.state_voter_id;
    for t in &v.tags {
        b.add_tag(id, t)?;
    }
    if let Some(s) = v.support {
        b.add_score(id, "support", s)?;
    }
    for s in &v.ballot {
        b.add_ballot_status(id, s)?;
    }
    for (ch, d) in &v.contacts {
        b.add_contact(id, ch, *d)?;
    }
    Ok(())
}

/// Feeds a synthetic voter's keyed data into a scan table.
pub fn feed_keyed_scan(t: &mut crate::scan::ScanTable, v: &SynthVoter) {
    let id = &v.record.state_voter_id;
    for tag in &v.tags {
        t.add_keyed("tag", id, tag);
    }
    if let Some(s) = v.support {
        t.add_numeric("score", id, "support", s);
    }
    for s in &v.ballot {
        t.add_keyed("ballot", id, s);
    }
    for (ch, d) in &v.contacts {
        t.add_dated("contacted", id, ch, *d);
    }
}
