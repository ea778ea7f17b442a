//! Streaming writers for the demo files: the 67-column ncvoter layout (from 02/12/2022) for both
//! snapshots and the 15-column ncvhis layout. Rows are assembled in a reused byte buffer from the
//! compact state (per-precinct and per-street text precomputed once) and written through a
//! `BufWriter`, so memory does not grow with the number of rows.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate};

use crate::names::NameBook;
use crate::rng::mix;
use crate::voters::{BIRTH_STATES, DemoVoter, MailKind, NO_NAME};
use crate::{DemoFiles, DemoState, VoteRecord};

/// The ncvoter columns, in file order (layout from 02/12/2022).
pub const NCVOTER_COLUMNS: [&str; 67] = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "ncid",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "confidential_ind",
    "registr_dt",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_year",
    "age_at_year_end",
    "birth_state",
    "drivers_lic",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "vtd_abbrv",
    "vtd_desc",
];

/// The ncvhis columns, in file order.
pub const NCVHIS_COLUMNS: [&str; 15] = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "election_lbl",
    "election_desc",
    "voting_method",
    "voted_party_cd",
    "voted_party_desc",
    "pct_label",
    "pct_description",
    "ncid",
    "voted_county_id",
    "voted_county_desc",
    "vtd_label",
    "vtd_description",
];

/// Text precomputed once per write.
struct Cache {
    /// Per precinct: `precinct_abbrv` .. `vtd_desc` (31 columns, tab-joined).
    precinct_tail: Vec<String>,
    /// Per street: full street name.
    street_name: Vec<String>,
}

impl Cache {
    fn new(state: &DemoState) -> Cache {
        let precinct_tail = state
            .precincts
            .iter()
            .map(|p| {
                let mut cols: Vec<&str> = vec![&p.code, &p.name];
                cols.extend(p.districts.in_layout_order());
                cols.push(&p.code);
                cols.push(&p.code);
                cols.join("\t")
            })
            .collect();
        let street_name = state.streets.iter().map(|s| s.full_name()).collect();
        Cache {
            precinct_tail,
            street_name,
        }
    }
}

fn push_date(buf: &mut Vec<u8>, d: NaiveDate) {
    let _ = write!(buf, "{:02}/{:02}/{:04}", d.month(), d.day(), d.year());
}

fn tab(buf: &mut Vec<u8>) {
    buf.push(b'\t');
}

fn push(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'\t');
}

/// Appends one ncvoter row (with trailing LF) for `v` as of `as_of`.
fn voter_row(state: &DemoState, cache: &Cache, v: &DemoVoter, as_of: NaiveDate, buf: &mut Vec<u8>) {
    let book = NameBook::get();
    let county = &state.counties[usize::from(v.county)];
    let st = &state.streets[v.street as usize];
    let city = &state.cities[st.city as usize].name;
    let _ = write!(buf, "{}\t{}\t{:012}\t", county.id, county.name, v.reg_num);
    let _ = write!(
        buf,
        "{}{}{:06}\t",
        v.ncid_prefix[0] as char, v.ncid_prefix[1] as char, v.ncid_num
    );
    push(buf, book.surname(v.last));
    if v.last2 != NO_NAME {
        buf.pop();
        buf.push(b'-');
        push(buf, book.surname(v.last2));
    }
    push(buf, book.given(v.first));
    if v.middle == NO_NAME {
        tab(buf);
    } else if v.middle_initial_only {
        push(buf, &book.given(v.middle)[..1]);
    } else {
        push(buf, book.given(v.middle));
    }
    push(buf, NameBook::suffix(v.suffix));
    push(buf, v.status.code());
    push(buf, v.status.desc());
    push(buf, v.reason.code());
    push(buf, v.reason.desc());
    // Residence.
    let addr_start = buf.len();
    if v.confidential {
        buf.extend_from_slice(b"\t\t\t\t");
    } else {
        let _ = write!(
            buf,
            "{} {}",
            v.house_number, cache.street_name[v.street as usize]
        );
        if v.unit != 0 {
            buf.push(b' ');
            buf.extend_from_slice(st.unit_text(v.unit).as_bytes());
        }
        tab(buf);
        push(buf, city);
        push(buf, "NC");
        let _ = write!(buf, "{}\t", st.zip5);
    }
    let addr_end = buf.len();
    // Mailing address.
    let h = mix(u64::from(v.street) << 32 | u64::from(v.house_number));
    let mail_zip = |buf: &mut Vec<u8>| {
        if h % 100 < 15 {
            let _ = write!(buf, "{}{:04}\t", st.zip5, 1 + h / 100 % 9999);
        } else {
            let _ = write!(buf, "{}\t", st.zip5);
        }
    };
    match (v.confidential, v.mail) {
        (true, _) | (_, MailKind::Blank) => buf.extend_from_slice(b"\t\t\t\t\t\t\t"),
        (false, MailKind::Residence) => {
            // mail_addr1 repeats the residential street address.
            let line: Vec<u8> = buf[addr_start..addr_end]
                .split(|&b| b == b'\t')
                .next()
                .unwrap_or(&[])
                .to_vec();
            buf.extend_from_slice(&line);
            buf.extend_from_slice(b"\t\t\t\t");
            push(buf, city);
            push(buf, "NC");
            mail_zip(buf);
        }
        (false, MailKind::PoBox) => {
            let _ = write!(buf, "PO BOX {}\t\t\t\t", v.po_box);
            push(buf, city);
            push(buf, "NC");
            mail_zip(buf);
        }
    }
    if let Some(p) = v.phone() {
        push(buf, &p);
    } else {
        tab(buf);
    }
    push(buf, if v.confidential { "Y" } else { "N" });
    push_date(buf, v.registr_dt);
    tab(buf);
    buf.push(v.race);
    tab(buf);
    push(buf, v.ethnic.code());
    push(buf, v.party.code());
    buf.push(v.gender);
    tab(buf);
    let by = v.birth_year();
    let _ = write!(buf, "{by}\t{}\t", as_of.year() - by);
    push(buf, BIRTH_STATES[usize::from(v.birth_state)]);
    push(buf, if v.drivers_lic { "Y" } else { "N" });
    buf.extend_from_slice(cache.precinct_tail[st.precinct as usize].as_bytes());
    buf.push(b'\n');
}

fn header(cols: &[&str]) -> Vec<u8> {
    let mut h = cols.join("\t").into_bytes();
    h.push(b'\n');
    h
}

/// Writes one ncvoter snapshot (`second` selects the second one), ordered by county id and
/// registration number.
fn write_snapshot(
    state: &DemoState,
    cache: &Cache,
    path: &Path,
    as_of: NaiveDate,
    second: bool,
) -> std::io::Result<()> {
    let key = |v: &DemoVoter| {
        (u64::from(state.counties[usize::from(v.county)].id) << 32) | u64::from(v.reg_num)
    };
    let mut order: Vec<(u64, u32)> = if second {
        state.second_snapshot().map(|(i, v)| (key(&v), i)).collect()
    } else {
        state.first_snapshot().map(|(i, v)| (key(&v), i)).collect()
    };
    order.sort_unstable();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    out.write_all(&header(&NCVOTER_COLUMNS))?;
    let mut buf = Vec::with_capacity(1024);
    for &(_, i) in &order {
        let v = if second {
            state
                .second_snapshot_voter(i)
                .expect("present in second snapshot")
        } else {
            state.voters[i as usize]
        };
        buf.clear();
        voter_row(state, cache, &v, as_of, &mut buf);
        out.write_all(&buf)?;
    }
    out.flush()
}

/// Writes the ncvhis file for the voters of the second snapshot.
fn write_history(state: &DemoState, path: &Path) -> std::io::Result<()> {
    let mut order: Vec<(u64, u32)> = state
        .second_snapshot()
        .map(|(i, v)| {
            (
                (u64::from(state.counties[usize::from(v.county)].id) << 32) | u64::from(v.reg_num),
                i,
            )
        })
        .collect();
    order.sort_unstable();
    let labels: Vec<String> = state.elections.iter().map(|e| e.label()).collect();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    out.write_all(&header(&NCVHIS_COLUMNS))?;
    let mut buf = Vec::with_capacity(4096);
    let mut votes: Vec<VoteRecord> = Vec::new();
    for &(_, i) in &order {
        state.history(i, &mut votes);
        if votes.is_empty() {
            continue;
        }
        let old = &state.voters[i as usize];
        let cur = state
            .second_snapshot_voter(i)
            .expect("present in second snapshot");
        let county = &state.counties[usize::from(cur.county)];
        let voted_county = &state.counties[usize::from(old.county)];
        let prec = &state.precincts[state.precinct_of(old) as usize];
        buf.clear();
        for r in &votes {
            let e = &state.elections[usize::from(r.election)];
            let _ = writeln!(
                buf,
                "{}\t{}\t{:012}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}{}{:06}\t{}\t{}\t{}\t{}",
                county.id,
                county.name,
                cur.reg_num,
                labels[usize::from(r.election)],
                e.desc,
                r.method.label(),
                r.voted_party.code(),
                r.voted_party.desc(),
                prec.code,
                prec.name,
                cur.ncid_prefix[0] as char,
                cur.ncid_prefix[1] as char,
                cur.ncid_num,
                voted_county.id,
                voted_county.name,
                prec.code,
                prec.code,
            );
        }
        out.write_all(&buf)?;
    }
    out.flush()
}

/// Writes all demo files into `dir`.
pub(crate) fn write_all(state: &DemoState, dir: &Path) -> std::io::Result<DemoFiles> {
    std::fs::create_dir_all(dir)?;
    let first = state.options.first_as_of;
    let second = state.options.second_as_of;
    let files = DemoFiles {
        voters_first: dir.join(format!("ncvoter_{}.txt", first.format("%Y%m%d"))),
        voters_second: dir.join(format!("ncvoter_{}.txt", second.format("%Y%m%d"))),
        history: dir.join(format!("ncvhis_{}.txt", second.format("%Y%m%d"))),
    };
    let cache = Cache::new(state);
    write_snapshot(state, &cache, &files.voters_first, first, false)?;
    write_snapshot(state, &cache, &files.voters_second, second, true)?;
    write_history(state, &files.history)?;
    Ok(files)
}
