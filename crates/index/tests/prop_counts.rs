//! Property tests: random voters, history and keyed data, random expressions; the bitmap
//! index must agree with a brute-force scan over the same records.

use chrono::NaiveDate;
use proptest::prelude::*;
use votebase_domain::snapshots::VoteHistoryRecord;
use votebase_domain::voters::{Address, Gender, Party, VoterRecord, VoterStatus};
use votebase_index::scan::ScanTable;
use votebase_index::{Dimension, IndexBuilder, parse};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const REF: (i32, u32, u32) = (2024, 2, 29);
const ELECTIONS: [(i32, u32, u32); 4] = [(2020, 3, 3), (2020, 11, 3), (2022, 11, 8), (2024, 3, 5)];
const METHODS: [&str; 4] = ["EARLY", "IN-PERSON", "ABSENTEE BY MAIL", "ONE-STOP"];

#[derive(Debug, Clone)]
struct Gen {
    county: &'static str,
    precinct: &'static str,
    cd: &'static str,
    city: &'static str,
    party: Party,
    status: VoterStatus,
    gender: Gender,
    birth: (u8, i32, u32),
    reg: Option<u32>,
    votes: Vec<(usize, usize)>,
    tags: Vec<&'static str>,
    score: Vec<i64>,
    survey: Option<i64>,
    contacts: Vec<(&'static str, i64)>,
    ballot: Vec<&'static str>,
}

fn gen_voter() -> impl Strategy<Value = Gen> {
    (
        (
            prop::sample::select(vec!["WAKE", "DURHAM", "ORANGE", "", "new hanover"]),
            prop::sample::select(vec!["01", "02", "03"]),
            prop::sample::select(vec!["1", "01", "2", ""]),
            prop::sample::select(vec!["RALEIGH", "Durham", ""]),
            prop::sample::select(Party::ALL.to_vec()),
            prop::sample::select(VoterStatus::ALL.to_vec()),
            prop::sample::select(vec![
                Gender::Female,
                Gender::Male,
                Gender::Other,
                Gender::Unknown,
            ]),
        ),
        (
            (0u8..3, 1930i32..2010, 0u32..800),
            prop::option::of(0u32..1600),
            prop::collection::vec((0usize..4, 0usize..4), 0..5),
            prop::sample::subsequence(vec!["a", "b", "volunteer-prospect"], 0..3),
            prop::collection::vec(0i64..=100, 0..3),
            prop::option::of(1i64..=5),
            prop::collection::vec(
                (prop::sample::select(vec!["door", "phone"]), -5i64..90),
                0..3,
            ),
            prop::sample::subsequence(vec!["requested", "returned"], 0..2),
        ),
    )
        .prop_map(
            |(
                (county, precinct, cd, city, party, status, gender),
                (birth, reg, votes, tags, score, survey, contacts, ballot),
            )| Gen {
                county,
                precinct,
                cd,
                city,
                party,
                status,
                gender,
                birth,
                reg,
                votes,
                tags,
                score,
                survey,
                contacts,
                ballot,
            },
        )
}

struct World {
    records: Vec<(VoterRecord, Vec<VoteHistoryRecord>, Gen)>,
}

fn world(gens: Vec<Gen>) -> World {
    // Voter 0 voted in every election and has every name, so every election and name
    // the expressions mention is loaded.
    let mut sentinel = gens.first().cloned().unwrap_or_else(gen_voter_default);
    sentinel.votes = (0..4).map(|i| (i, i)).collect();
    sentinel.score.push(50);
    sentinel.survey = Some(3);
    let records = std::iter::once(sentinel)
        .chain(gens)
        .enumerate()
        .map(|(i, g)| {
            let id = format!("V{i}");
            let (kind, year, day) = g.birth;
            let (birth_year, birth_date) = match kind {
                0 => (None, None),
                1 => (Some(year), None),
                // Birth dates cluster around Feb 28 / 29 / Mar 1 to exercise leap days.
                _ => {
                    let base = d(year.max(1940) / 4 * 4, 2, 20);
                    (
                        Some(year),
                        Some(base + chrono::Days::new(u64::from(day % 15))),
                    )
                }
            };
            let rec = VoterRecord {
                state_voter_id: id.clone(),
                county_name: g.county.into(),
                precinct_code: g.precinct.into(),
                congressional_district: g.cd.into(),
                state_senate_district: "24".into(),
                party: g.party,
                status: g.status,
                gender: g.gender,
                birth_year,
                birth_date,
                registration_date: g
                    .reg
                    .map(|n| d(2019, 12, 25) + chrono::Days::new(u64::from(n))),
                address: Address {
                    city: g.city.into(),
                    zip5: "27601".into(),
                    ..Address::default()
                },
                ..VoterRecord::default()
            };
            let hist = g
                .votes
                .iter()
                .map(|&(e, m)| {
                    let (y, mo, da) = ELECTIONS[e];
                    VoteHistoryRecord {
                        state_voter_id: id.clone(),
                        election_date: d(y, mo, da),
                        election_desc: String::new(),
                        voting_method: METHODS[m].into(),
                        voted_party: String::new(),
                        county_name: String::new(),
                        precinct: String::new(),
                    }
                })
                .collect();
            (rec, hist, g)
        })
        .collect();
    World { records }
}

fn gen_voter_default() -> Gen {
    Gen {
        county: "WAKE",
        precinct: "01",
        cd: "1",
        city: "",
        party: Party::Dem,
        status: VoterStatus::Active,
        gender: Gender::Female,
        birth: (1, 1980, 0),
        reg: None,
        votes: vec![],
        tags: vec![],
        score: vec![],
        survey: None,
        contacts: vec![],
        ballot: vec![],
    }
}

/// Builds the index in two parts, as the application does on more than one core: the
/// voters before `split` (and their history) into one builder, the rest into another,
/// absorbed after; keyed data into the whole.
fn build(w: &World, split: usize) -> (votebase_index::UniverseIndex, ScanTable) {
    let reference = d(REF.0, REF.1, REF.2);
    let mut b = IndexBuilder::new(reference);
    let mut rest = IndexBuilder::new(reference);
    let mut s = ScanTable::new();
    for (i, (rec, _, _)) in w.records.iter().enumerate() {
        let part = if i < split { &mut b } else { &mut rest };
        part.add_voter(rec).unwrap();
        s.add_voter(rec);
    }
    for (i, (_, hist, _)) in w.records.iter().enumerate() {
        let part = if i < split { &mut b } else { &mut rest };
        for h in hist {
            assert!(
                part.add_history_mark(&votebase_domain::snapshots::HistoryMark {
                    state_voter_id: h.state_voter_id.clone(),
                    election_date: h.election_date,
                    voting_method: h.voting_method.clone(),
                })
            );
            s.add_history(h);
        }
    }
    b.absorb(rest).unwrap();
    for (rec, _, g) in &w.records {
        let id = &rec.state_voter_id;
        for t in &g.tags {
            b.add_tag(id, t).unwrap();
            s.add_keyed("tag", id, t);
        }
        for v in &g.score {
            b.add_score(id, "support", *v).unwrap();
            s.add_numeric("score", id, "support", *v);
        }
        if let Some(v) = g.survey {
            b.add_survey_answer(id, "Support", v).unwrap();
            s.add_numeric("survey", id, "support", v);
        }
        for (ch, back) in &g.contacts {
            let date = reference - chrono::Duration::days(*back);
            b.add_contact(id, ch, date).unwrap();
            s.add_dated("contacted", id, ch, date);
        }
        for st in &g.ballot {
            b.add_ballot_status(id, st).unwrap();
            s.add_keyed("ballot", id, st);
        }
    }
    (b.build(), s)
}

fn date_str(n: u32) -> String {
    (d(2019, 12, 25) + chrono::Days::new(u64::from(n))).to_string()
}

fn election_str(i: usize) -> String {
    let (y, m, dd) = ELECTIONS[i];
    d(y, m, dd).to_string()
}

fn range_str(lo: Option<i64>, hi: Option<i64>) -> String {
    match (lo, hi) {
        (Some(l), Some(h)) if l == h => l.to_string(),
        (None, None) => "0..".to_string(),
        (l, h) => format!(
            "{}..{}",
            l.map_or(String::new(), |x| x.to_string()),
            h.map_or(String::new(), |x| x.to_string())
        ),
    }
}

fn cmp_op() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![">=", "<=", ">", "<", "="])
}

fn clause() -> impl Strategy<Value = String> {
    let alts =
        |vals: Vec<&'static str>| prop::sample::subsequence(vals, 1..3).prop_map(|v| v.join(","));
    let body = prop_oneof![
        alts(vec!["WAKE", "durham", "ORANGE", "NEW HANOVER", "NOWHERE"])
            .prop_map(|v| { format!("county:{}", v.replace("NEW HANOVER", "\"new hanover\"")) }),
        alts(vec!["01", "02", "WAKE/01", "DURHAM/03"]).prop_map(|v| format!("precinct:{v}")),
        alts(vec!["1", "2", "01", "3"]).prop_map(|v| format!("cd:{v}")),
        alts(vec!["RALEIGH", "durham"]).prop_map(|v| format!("city:{v}")),
        alts(vec!["DEM", "REP", "UNA", "lib", "unknown"]).prop_map(|v| format!("party:{v}")),
        alts(vec!["active", "I", "removed", "S"]).prop_map(|v| format!("status:{v}")),
        alts(vec!["F", "M", "U", "unknown"]).prop_map(|v| format!("gender:{v}")),
        (prop::option::of(10i64..100), prop::option::of(10i64..100))
            .prop_map(|(l, h)| format!("age:{}", range_str(l, h))),
        (cmp_op(), 15i64..95).prop_map(|(op, v)| format!("age{op}{v}")),
        (prop::option::of(0u32..1700), prop::option::of(0u32..1700)).prop_map(|(l, h)| {
            match (l, h) {
                (None, None) => "registered:2019-01-01..".to_string(),
                (l, h) => format!(
                    "registered:{}..{}",
                    l.map_or(String::new(), date_str),
                    h.map_or(String::new(), date_str)
                ),
            }
        }),
        (cmp_op(), 0u32..1700).prop_map(|(op, v)| format!("registered{op}{}", date_str(v))),
        prop::sample::subsequence(vec![0usize, 1, 2, 3], 1..3).prop_map(|es| format!(
            "voted:{}",
            es.into_iter()
                .map(election_str)
                .collect::<Vec<_>>()
                .join(",")
        )),
        (0u32..1700, 0u32..1700).prop_map(|(a, b)| format!(
            "voted:{}..{}",
            date_str(a.min(b)),
            date_str(a.max(b))
        )),
        (
            prop::sample::select(vec!["early", "in_person", "absentee", "mail"]),
            prop::option::of(0usize..4)
        )
            .prop_map(|(m, e)| match e {
                Some(e) => format!("method:{m}@{}", election_str(e)),
                None => format!("method:{m}"),
            }),
        (prop::option::of(0i64..5), prop::option::of(0i64..5))
            .prop_map(|(l, h)| format!("votes:{}", range_str(l, h))),
        (cmp_op(), 0i64..5).prop_map(|(op, v)| format!("votes{op}{v}")),
        alts(vec!["a", "b", "volunteer-prospect", "c"]).prop_map(|v| format!("tag:{v}")),
        alts(vec!["requested", "returned"]).prop_map(|v| format!("ballot:{v}")),
        (cmp_op(), 0i64..=100).prop_map(|(op, v)| format!("support{op}{v}")),
        (cmp_op(), 0i64..=100).prop_map(|(op, v)| format!("score:support{op}{v}")),
        (prop::option::of(0i64..=100), prop::option::of(0i64..=100))
            .prop_map(|(l, h)| format!("score:support:{}", range_str(l, h))),
        Just("score:support".to_string()),
        (cmp_op(), 1i64..=5).prop_map(|(op, v)| format!("survey:SUPPORT{op}{v}")),
        (
            prop::sample::select(vec!["door", "phone", "any", "text"]),
            prop::option::of(0u32..100)
        )
            .prop_map(|(ch, w)| match w {
                Some(w) if w % 2 == 0 => format!("contacted:{ch}:{w}d"),
                Some(w) => format!("contacted:{ch}:{}w", w / 10),
                None => format!("contacted:{ch}"),
            }),
    ];
    (any::<bool>(), body).prop_map(|(neg, b)| if neg { format!("!{b}") } else { b })
}

fn expression() -> impl Strategy<Value = String> {
    prop::collection::vec(clause(), 0..6).prop_map(|c| c.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn index_count_matches_scan(
        gens in prop::collection::vec(gen_voter(), 0..60),
        exprs in prop::collection::vec(expression(), 1..8),
        split in any::<prop::sample::Index>(),
    ) {
        let w = world(gens);
        let (index, scan) = build(&w, split.index(w.records.len() + 1));
        prop_assert_eq!(index.len() as usize, w.records.len());
        for text in &exprs {
            let expr = parse(text).unwrap();
            let q = index.resolve(&expr).unwrap_or_else(|e| panic!("{text}: {e}"));
            let want = scan.members(&q);
            let got: Vec<u32> = index.members(&expr).unwrap().iter().collect();
            prop_assert_eq!(&got, &want, "members of `{}`", text);
            prop_assert_eq!(index.count(&expr).unwrap(), want.len() as u64, "count of `{}`", text);
            let by_county = index.breakdown(&expr, Dimension::County).unwrap();
            prop_assert_eq!(&by_county, &scan.count_by_county(&q), "county breakdown of `{}`", text);
            for dim in [Dimension::AgeBand, Dimension::Precinct, Dimension::Party, Dimension::Gender, Dimension::Status] {
                let rows = index.breakdown(&expr, dim).unwrap();
                prop_assert_eq!(rows.iter().map(|r| r.1).sum::<u64>(), want.len() as u64, "{:?} of `{}`", dim, text);
            }
        }
    }
}
