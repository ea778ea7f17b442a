//! Demo Voting Information Project feed: the demo state's general election
//! ([`demo_election`]) as a VIP 5.x CSV feed folder (one comma-separated `<element>.txt` per
//! element type: `source`, `election`, `state`, `locality`, `precinct`, `street_segment`,
//! `polling_location`, `schedule`), so every demo voter's address resolves to the polling
//! place of its precinct.
//!
//! * One locality (`type` county) per county, listing the county's early-vote site (the
//!   county board of elections in the county seat, open the 17th to the 3rd day before the
//!   election) as a locality-wide polling location, which every precinct of the county shares.
//! * One precinct per demo precinct, linked to its election-day polling place (6:30 AM to
//!   7:30 PM on election day).
//! * One street segment per demo street (both sides, `low..=high`), its direction, name and
//!   suffix written as the project's address parser normalises the street (`STREET` ->
//!   `ST`), so the lookup index and a typed address meet on equal terms.
//!
//! Two demo streets can normalise to the same street in the same ZIP (`OAK ST` and
//! `OAK STREET`, or one name in two cities sharing a ZIP). Where such streets of different
//! precincts share house numbers, the shared stretch is written as one single-address segment
//! per house number actually used (by a voter of either snapshot or a polling place), so the
//! feed has no overlapping segments; a house number used on both streets cannot be told
//! apart by any address and is left out (it does not occur in practice).

use crate::DemoState;
use crate::ballots::demo_election;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use votebase_normalize::parse_street_line;

/// Election-day hours (local time; NC is on EST on the first Tuesday of November).
const DAY_OPEN: &str = "06:30:00-05:00";
const DAY_CLOSE: &str = "19:30:00-05:00";
/// Early-voting hours (still EDT in the second half of October).
const EARLY_OPEN: &str = "08:00:00-04:00";
const EARLY_CLOSE: &str = "19:30:00-04:00";

/// A street as the address parser spells it: pre-direction, name, suffix, post-direction.
type StreetKey = (String, String, String, String);

/// Writes the state's VIP 5.x CSV feed into the folder `dir/vip` (created if missing, its
/// element files overwritten) and returns that folder, ready for `votebase_vip::load` or
/// `votebase import vip`. The feed gets its own folder because a VIP CSV reader takes every
/// `.txt` file of a folder, and `dir` usually holds the demo's `ncvoter_*.txt` files.
/// Deterministic: the same state gives the same bytes.
pub fn write_vip_feed(state: &DemoState, dir: &Path) -> std::io::Result<PathBuf> {
    let out = dir.join("vip");
    std::fs::create_dir_all(&out)?;
    let election = demo_election();
    let date = election.format("%Y-%m-%d").to_string();

    let mut w = table(&out, "source", &["id", "name", "vip_id", "date_time"])?;
    w.write_record([
        "src1",
        "Votebase demo state board of elections",
        "37",
        &format!("{}T00:00:00", state.options.second_as_of.format("%Y-%m-%d")),
    ])?;
    w.flush()?;

    let mut w = table(
        &out,
        "election",
        &["id", "date", "name", "state_id", "is_statewide"],
    )?;
    w.write_record([
        "e1",
        &date,
        &format!("{} GENERAL ELECTION", election.format("%Y")),
        "st37",
        "true",
    ])?;
    w.flush()?;

    let mut w = table(&out, "state", &["id", "name"])?;
    w.write_record(["st37", "North Carolina"])?;
    w.flush()?;

    // Localities, with the county's early-vote site.
    let mut w = table(
        &out,
        "locality",
        &["id", "name", "state_id", "type", "polling_location_ids"],
    )?;
    for (c, county) in state.counties.iter().enumerate() {
        // The county board's early-vote site, and a ballot drop box at the same office.
        let ev = if early_site(state, c).is_some() {
            format!("ev{c} db{c}")
        } else {
            String::new()
        };
        w.write_record([&format!("loc{c}"), &county.name, "st37", "county", &ev])?;
    }
    w.flush()?;

    let mut w = table(
        &out,
        "precinct",
        &[
            "id",
            "name",
            "number",
            "locality_id",
            "polling_location_ids",
        ],
    )?;
    for (p, prec) in state.precincts.iter().enumerate() {
        let pl = if has_place(state, p) {
            format!("pl{p}")
        } else {
            String::new()
        };
        w.write_record([
            &format!("p{p}"),
            &prec.name,
            &prec.code,
            &format!("loc{}", prec.county),
            &pl,
        ])?;
    }
    w.flush()?;

    // Polling locations: election-day places, then early-vote sites.
    let mut w = table(
        &out,
        "polling_location",
        &[
            "id",
            "name",
            "address_line",
            "hours_open_id",
            "is_early_voting",
            "is_drop_box",
        ],
    )?;
    for (p, prec) in state.precincts.iter().enumerate() {
        if !has_place(state, p) {
            continue;
        }
        let pp = &prec.polling_place;
        let address = address_line(state, pp.street, pp.house_number);
        w.write_record([
            format!("pl{p}").as_str(),
            &pp.name,
            &address,
            "hday",
            "false",
            "false",
        ])?;
    }
    for (c, county) in state.counties.iter().enumerate() {
        if let Some((street, house)) = early_site(state, c) {
            w.write_record([
                format!("ev{c}").as_str(),
                &format!("{} BOARD OF ELECTIONS", county.name),
                &address_line(state, street, house),
                "hearly",
                "true",
                "false",
            ])?;
            w.write_record([
                format!("db{c}").as_str(),
                &format!("{} BOARD OF ELECTIONS DROP BOX", county.name),
                &address_line(state, street, house),
                "hdrop",
                "false",
                "true",
            ])?;
        }
    }
    w.flush()?;

    let mut w = table(
        &out,
        "schedule",
        &[
            "id",
            "hours_open_id",
            "start_date",
            "end_date",
            "start_time",
            "end_time",
        ],
    )?;
    w.write_record(["sch1", "hday", &date, &date, DAY_OPEN, DAY_CLOSE])?;
    let early_from = (election - chrono::Duration::days(17))
        .format("%Y-%m-%d")
        .to_string();
    let early_to = (election - chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    w.write_record([
        "sch2",
        "hearly",
        &early_from,
        &early_to,
        EARLY_OPEN,
        EARLY_CLOSE,
    ])?;
    // Drop boxes take ballots from the start of early voting to the close of the polls.
    w.write_record(["sch3", "hdrop", &early_from, &date, EARLY_OPEN, DAY_CLOSE])?;
    w.flush()?;

    write_segments(state, &out)?;
    Ok(out)
}

/// A CSV writer for `<dir>/<name>.txt` with its header written.
fn table(
    dir: &Path,
    name: &str,
    header: &[&str],
) -> std::io::Result<csv::Writer<std::io::BufWriter<std::fs::File>>> {
    let file = std::fs::File::create(dir.join(format!("{name}.txt")))?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(std::io::BufWriter::new(file));
    w.write_record(header)?;
    Ok(w)
}

/// Whether precinct `p` has a polling place (every precinct with streets has one).
fn has_place(state: &DemoState, p: usize) -> bool {
    let prec = &state.precincts[p];
    !prec.polling_place.name.is_empty() && prec.streets.contains(&prec.polling_place.street)
}

/// `123 OAK ST, CITY, NC 27xxx` for a house on a demo street.
fn address_line(state: &DemoState, street: u32, house: u32) -> String {
    let st = &state.streets[street as usize];
    format!(
        "{house} {}, {}, NC {:05}",
        st.full_name(),
        state.cities[st.city as usize].name,
        st.zip5
    )
}

/// The county board of elections: at the top of the address range of the first street of
/// the county seat (a number no household gets), or of the county's first street.
fn early_site(state: &DemoState, c: usize) -> Option<(u32, u32)> {
    let county = &state.counties[c];
    let seat = county.cities.first().copied();
    let precincts = || {
        let r = county.precincts.clone();
        r.map(|p| &state.precincts[p as usize])
            .filter(|p| !p.streets.is_empty())
    };
    let prec = precincts()
        .find(|p| Some(p.city) == seat)
        .or_else(|| precincts().next())?;
    let street = prec.streets.start;
    Some((street, state.streets[street as usize].high))
}

/// The street of a demo segment as the address parser normalises it.
fn street_key(state: &DemoState, street: u32) -> StreetKey {
    let st = &state.streets[street as usize];
    let a = parse_street_line(&format!("{} {}", st.low.max(1), st.full_name()));
    (
        a.pre_direction,
        a.street_name,
        a.street_suffix,
        a.post_direction,
    )
}

/// One segment row to write.
struct Segment {
    key: usize,
    zip5: u32,
    city: u32,
    lo: u32,
    hi: u32,
    precinct: u32,
    /// Demo street it comes from, and its part number (for the id).
    street: u32,
    part: u32,
}

fn write_segments(state: &DemoState, out: &Path) -> std::io::Result<()> {
    // Streets by (normalised street, ZIP).
    let mut keys: Vec<StreetKey> = Vec::new();
    let mut key_ids: HashMap<StreetKey, usize> = HashMap::new();
    let mut street_key_id: Vec<usize> = Vec::with_capacity(state.streets.len());
    let mut groups: BTreeMap<(usize, u32), Vec<u32>> = BTreeMap::new();
    for s in 0..state.streets.len() as u32 {
        let key = street_key(state, s);
        let next = keys.len();
        let id = *key_ids.entry(key.clone()).or_insert_with(|| {
            keys.push(key);
            next
        });
        street_key_id.push(id);
        groups
            .entry((id, state.streets[s as usize].zip5))
            .or_default()
            .push(s);
    }

    // Streets sharing house numbers with a street of the same group in another precinct.
    let mut contested: HashSet<u32> = HashSet::new();
    for members in groups.values().filter(|m| m.len() > 1) {
        for (i, &a) in members.iter().enumerate() {
            for &b in &members[i + 1..] {
                let (sa, sb) = (&state.streets[a as usize], &state.streets[b as usize]);
                if sa.precinct != sb.precinct && sa.low <= sb.high && sb.low <= sa.high {
                    contested.insert(a);
                    contested.insert(b);
                }
            }
        }
    }

    // House numbers in use on contested streets: voters of both snapshots, polling places.
    let mut used: HashMap<u32, Vec<u32>> = HashMap::new();
    if !contested.is_empty() {
        let mut note = |street: u32, house: u32| {
            if contested.contains(&street) {
                used.entry(street).or_default().push(house);
            }
        };
        for (_, v) in state.first_snapshot().chain(state.second_snapshot()) {
            note(v.street, v.house_number);
        }
        for prec in &state.precincts {
            note(prec.polling_place.street, prec.polling_place.house_number);
        }
        for c in 0..state.counties.len() {
            if let Some((street, house)) = early_site(state, c) {
                note(street, house);
            }
        }
        for houses in used.values_mut() {
            houses.sort_unstable();
            houses.dedup();
        }
    }

    let mut segments: Vec<Segment> = Vec::with_capacity(state.streets.len());
    for members in groups.values() {
        for &s in members {
            let st = &state.streets[s as usize];
            let seg = |lo: u32, hi: u32, part: u32| Segment {
                key: street_key_id[s as usize],
                zip5: st.zip5,
                city: st.city,
                lo,
                hi,
                precinct: st.precinct,
                street: s,
                part,
            };
            if !contested.contains(&s) {
                segments.push(seg(st.low, st.high, 0));
                continue;
            }
            // Numbers of `s` that a street of another precinct also covers.
            let rivals: Vec<&crate::Street> = members
                .iter()
                .map(|&o| &state.streets[o as usize])
                .filter(|o| o.precinct != st.precinct && o.low <= st.high && st.low <= o.high)
                .collect();
            let shared = |n: u32| rivals.iter().any(|o| o.contains(n));
            let rival_uses = |n: u32| {
                members.iter().any(|&o| {
                    let os = &state.streets[o as usize];
                    os.precinct != st.precinct
                        && used.get(&o).is_some_and(|h| h.binary_search(&n).is_ok())
                })
            };
            // Free stretches as ranges, shared numbers one by one.
            let mut part = 0;
            let mut run: Option<(u32, u32)> = None;
            let flush = |run: &mut Option<(u32, u32)>, part: &mut u32, out: &mut Vec<Segment>| {
                if let Some((lo, hi)) = run.take() {
                    out.push(seg(lo, hi, *part));
                    *part += 1;
                }
            };
            let mine = used.get(&s).map_or(&[][..], Vec::as_slice);
            let mut n = st.low;
            while n <= st.high {
                if shared(n) {
                    flush(&mut run, &mut part, &mut segments);
                    // An own house number no rival street uses gets its own segment.
                    if mine.binary_search(&n).is_ok() && !rival_uses(n) {
                        segments.push(seg(n, n, part));
                        part += 1;
                    }
                    n += 1;
                } else {
                    run = Some(run.map_or((n, n), |(lo, _)| (lo, n)));
                    n += 1;
                }
            }
            flush(&mut run, &mut part, &mut segments);
        }
    }
    segments.sort_by_key(|g| (g.street, g.part));

    let mut w = table(
        out,
        "street_segment",
        &[
            "id",
            "start_house_number",
            "end_house_number",
            "odd_even_both",
            "street_direction",
            "street_name",
            "street_suffix",
            "address_direction",
            "city",
            "state",
            "zip",
            "precinct_id",
        ],
    )?;
    for g in &segments {
        let (pre, name, suffix, post) = &keys[g.key];
        let id = if g.part == 0 {
            format!("ss{}", g.street)
        } else {
            format!("ss{}-{}", g.street, g.part)
        };
        w.write_record([
            id.as_str(),
            &g.lo.to_string(),
            &g.hi.to_string(),
            "both",
            pre,
            name,
            suffix,
            post,
            &state.cities[g.city as usize].name,
            "NC",
            &format!("{:05}", g.zip5),
            &format!("p{}", g.precinct),
        ])?;
    }
    w.flush()
}
