//! A FEBRL-style link task generator with known truth, deterministic by seed and usable up to a
//! million records per side. Records have the columns of the FEBRL data sets (`rec_id,
//! given_name, surname, street_number, address_1, address_2, suburb, postcode, state,
//! date_of_birth, soc_sec_id`): Australian-style addresses with small house numbers, suburbs and
//! four-digit postcodes, a full `YYYYMMDD` date of birth and a seven-digit SSN-like id. Side A
//! holds original records; side B holds corrupted duplicates of part of A's people (as FEBRL's
//! generator makes them: one to three modifications per record — typos, split or merged words,
//! missing values, swapped digits, swapped fields, a value replaced) mixed with other people.

use super::{FEMALE, MALE, Rng, SURNAMES, Side, SynthData, cumulative, syllables, typo, zipf};
use crate::dataset::{Dataset, PersonRecord};
use crate::error::{InternalError, LinkError, UserError};
use std::io::Write;

/// The CSV header written by [`write_csv`] (FEBRL's columns).
pub const HEADER: [&str; 11] = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
];

const STREET_TYPES: &[&str] = &[
    "street", "road", "place", "close", "crescent", "avenue", "circuit", "drive", "court", "way",
    "parade", "terrace",
];
const PLACE_WORDS: &[&str] = &[
    "village",
    "house",
    "lodge",
    "park",
    "centre",
    "estate",
    "gardens",
    "court",
    "hall",
    "farm",
    "homestead",
    "villa",
];
const STATES: &[(&str, f64)] = &[
    ("nsw", 0.32),
    ("vic", 0.26),
    ("qld", 0.18),
    ("wa", 0.10),
    ("sa", 0.08),
    ("tas", 0.03),
    ("act", 0.02),
    ("nt", 0.01),
];

/// One person's true values, in [`HEADER`] order after `rec_id`.
type Values = [String; 10];

const GIVEN: usize = 0;
const SURNAME: usize = 1;
const NUMBER: usize = 2;
const ADDR1: usize = 3;
const ADDR2: usize = 4;
const SUBURB: usize = 5;
const POSTCODE: usize = 6;
const STATE: usize = 7;
const DOB: usize = 8;
const SSN: usize = 9;

struct World {
    first_cum_m: Vec<f64>,
    first_cum_f: Vec<f64>,
    surname_cum: Vec<f64>,
    /// (suburb name, postcode, state)
    suburbs: Vec<(String, u16, &'static str)>,
    suburb_cum: Vec<f64>,
    streets: Vec<String>,
    street_cum: Vec<f64>,
    places: Vec<String>,
    number_cum: Vec<f64>,
}

impl World {
    fn new(rng: &mut Rng) -> Self {
        // About 2,600 postcodes with one to four suburbs each, as in Australia.
        let mut suburbs = Vec::new();
        let mut pc = 800u16;
        while suburbs.len() < 7000 {
            pc += 1 + rng.below(3) as u16;
            let x = rng.below(1000) as f64 / 1000.0;
            let mut acc = 0.0;
            let state = STATES
                .iter()
                .find(|(_, w)| {
                    acc += w;
                    x < acc
                })
                .map_or("nsw", |s| s.0);
            for _ in 0..1 + rng.below(4) {
                let name = if rng.chance(0.2) {
                    let k = 2 + rng.below(2);
                    format!(
                        "{} {}",
                        syllables(rng, k),
                        ["north", "south", "east", "west", "upper", "heights"][rng.below(6)]
                    )
                } else {
                    let k = 2 + rng.below(3);
                    syllables(rng, k)
                };
                suburbs.push((name, pc % 10000, state));
            }
        }
        let streets = (0..30_000)
            .map(|_| {
                let k = 2 + rng.below(2);
                format!(
                    "{} {}",
                    syllables(rng, k),
                    STREET_TYPES[rng.below(STREET_TYPES.len())]
                )
            })
            .collect();
        let places = (0..5_000)
            .map(|_| {
                let k = 2 + rng.below(2);
                if rng.chance(0.3) {
                    format!("the {}", syllables(rng, k))
                } else {
                    format!(
                        "{} {}",
                        syllables(rng, k),
                        PLACE_WORDS[rng.below(PLACE_WORDS.len())]
                    )
                }
            })
            .collect();
        World {
            first_cum_m: cumulative(MALE.len(), 5.0),
            first_cum_f: cumulative(FEMALE.len(), 5.0),
            surname_cum: cumulative(SURNAMES.len(), 10.0),
            suburb_cum: cumulative(suburbs.len(), 50.0),
            suburbs,
            street_cum: cumulative(30_000, 200.0),
            streets,
            places,
            // Small house numbers are the most common (FEBRL's are mostly below 100).
            number_cum: cumulative(999, 8.0),
        }
    }

    fn given(&self, rng: &mut Rng) -> String {
        if rng.chance(0.25) {
            return syllables(rng, 2);
        }
        if rng.chance(0.5) {
            FEMALE[zipf(rng, &self.first_cum_f)].to_string()
        } else {
            MALE[zipf(rng, &self.first_cum_m)].to_string()
        }
    }

    fn surname(&self, rng: &mut Rng) -> String {
        if rng.chance(0.35) {
            SURNAMES[zipf(rng, &self.surname_cum)].to_string()
        } else {
            let k = 2 + rng.below(3);
            syllables(rng, k)
        }
    }

    /// A new person; `id` is the person's number (their soc_sec_id is unique for ids below
    /// nine million).
    fn person(&self, rng: &mut Rng, id: u64) -> Values {
        let s = zipf(rng, &self.suburb_cum);
        let (suburb, postcode, state) = &self.suburbs[s];
        let missing =
            |rng: &mut Rng, p: f64, v: String| if rng.chance(p) { String::new() } else { v };
        let given = self.given(rng);
        let surname = self.surname(rng);
        let number = (1 + zipf(rng, &self.number_cum)).to_string();
        let street = self.streets[zipf(rng, &self.street_cum)].clone();
        let place = if rng.chance(0.45) {
            self.places[rng.below(self.places.len())].clone()
        } else {
            String::new()
        };
        let dob = format!(
            "{}{:02}{:02}",
            1900 + rng.below(106),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        let ssn = 1_000_000 + (id.wrapping_mul(2_654_435_761) % 9_000_000);
        [
            missing(rng, 0.02, given),
            missing(rng, 0.01, surname),
            missing(rng, 0.03, number),
            missing(rng, 0.02, street),
            place,
            missing(rng, 0.01, suburb.clone()),
            missing(rng, 0.01, format!("{postcode:04}")),
            missing(rng, 0.01, state.to_string()),
            missing(rng, 0.02, dob),
            missing(rng, 0.01, ssn.to_string()),
        ]
    }

    /// A corrupted duplicate: one to three modifications, as FEBRL's generator makes them.
    fn duplicate(&self, rng: &mut Rng, p: &Values) -> Values {
        let mut v = p.clone();
        let mods = match rng.below(100) {
            0..45 => 1,
            45..80 => 2,
            _ => 3,
        };
        for _ in 0..mods {
            // Field weights: names and address words most often, ids and dates less.
            let f = match rng.below(100) {
                0..20 => GIVEN,
                20..40 => SURNAME,
                40..50 => NUMBER,
                50..60 => ADDR1,
                60..68 => ADDR2,
                68..78 => SUBURB,
                78..85 => POSTCODE,
                85..88 => STATE,
                88..95 => DOB,
                _ => SSN,
            };
            let numeric = matches!(f, NUMBER | POSTCODE | DOB | SSN);
            match rng.below(100) {
                // A typo: substitution, deletion, insertion or transposition.
                0..50 => {
                    v[f] = if numeric {
                        digit_typo(rng, &v[f])
                    } else {
                        typo(rng, &v[f])
                    }
                }
                // Missing value.
                50..60 => v[f].clear(),
                // Swapped digits or letters far apart (42 -> 24, 2324 -> 3224).
                60..70 => v[f] = swap_two(rng, &v[f]),
                // A word split by a space, or two words merged.
                70..80 if !numeric => {
                    v[f] = if v[f].contains(' ') && rng.chance(0.5) {
                        v[f].replacen(' ', "", 1)
                    } else if v[f].len() > 3 {
                        let i = 1 + rng.below(v[f].len() - 2);
                        if v[f].is_char_boundary(i) {
                            format!("{} {}", &v[f][..i], &v[f][i..])
                        } else {
                            v[f].clone()
                        }
                    } else {
                        v[f].clone()
                    }
                }
                // Fields swapped: given name and surname, or the two address lines.
                80..88 => match f {
                    GIVEN | SURNAME => v.swap(GIVEN, SURNAME),
                    ADDR1 | ADDR2 => v.swap(ADDR1, ADDR2),
                    _ => v[f] = digit_typo(rng, &v[f]),
                },
                // The value replaced by another plausible one.
                _ => {
                    v[f] = match f {
                        GIVEN => self.given(rng),
                        SURNAME => self.surname(rng),
                        NUMBER => (1 + zipf(rng, &self.number_cum)).to_string(),
                        ADDR1 => self.streets[zipf(rng, &self.street_cum)].clone(),
                        ADDR2 => self.places[rng.below(self.places.len())].clone(),
                        SUBURB => self.suburbs[zipf(rng, &self.suburb_cum)].0.clone(),
                        STATE => STATES[rng.below(STATES.len())].0.to_string(),
                        _ => digit_typo(rng, &v[f]),
                    }
                }
            }
        }
        v
    }
}

fn digit_typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<u8> = s.bytes().collect();
    if c.is_empty() {
        return String::new();
    }
    let i = rng.below(c.len());
    c[i] = b'0' + rng.below(10) as u8;
    String::from_utf8(c).unwrap_or_else(|_| s.to_string())
}

fn swap_two(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<u8> = s.bytes().collect();
    if c.len() < 2 || !s.is_ascii() {
        return s.to_string();
    }
    let i = rng.below(c.len());
    let j = rng.below(c.len());
    c.swap(i, j);
    String::from_utf8(c).unwrap_or_else(|_| s.to_string())
}

fn record(id: String, v: &Values) -> PersonRecord {
    PersonRecord {
        record_id: id,
        first_name: v[GIVEN].clone(),
        last_name: v[SURNAME].clone(),
        house_number: v[NUMBER].clone(),
        street: v[ADDR1].clone(),
        address2: v[ADDR2].clone(),
        city: v[SUBURB].clone(),
        zip: v[POSTCODE].clone(),
        state: v[STATE].clone(),
        birth_date: v[DOB].clone(),
        voter_id: v[SSN].clone(),
        ..Default::default()
    }
}

/// Generates records (all of A, then all of B) and returns the true (A index, B index) matches.
/// `cfg.overlap` is the share of B's records that are corrupted duplicates of A's people.
pub fn generate_with(
    cfg: &super::SynthConfig,
    mut emit: impl FnMut(Side, &str, &Values) -> Result<(), UserError>,
) -> Result<Vec<(u32, u32)>, UserError> {
    let mut rng = Rng::new(cfg.seed ^ 0xfeb1);
    let world = World::new(&mut rng);
    let mut people: Vec<Values> = Vec::with_capacity(cfg.size_a);
    for i in 0..cfg.size_a {
        let p = world.person(&mut rng, i as u64);
        emit(Side::A, &format!("A{i}"), &p)?;
        people.push(p);
    }
    let n_match = ((cfg.size_b as f64 * cfg.overlap) as usize).min(cfg.size_a);
    let mut perm: Vec<u32> = (0..cfg.size_a as u32).collect();
    for k in 0..n_match {
        let r = k + rng.below(perm.len() - k);
        perm.swap(k, r);
    }
    let mut truth = Vec::with_capacity(n_match);
    let mut used = 0usize;
    for j in 0..cfg.size_b {
        let (left_b, left_m) = (cfg.size_b - j, n_match - used);
        let v = if left_m > 0 && rng.below(left_b) < left_m {
            let a = perm[used];
            used += 1;
            truth.push((a, j as u32));
            world.duplicate(&mut rng, &people[a as usize])
        } else {
            world.person(&mut rng, (cfg.size_a + j) as u64)
        };
        emit(Side::B, &format!("B{j}"), &v)?;
    }
    Ok(truth)
}

/// Generates both sides as datasets named `a` and `b`.
pub fn generate(cfg: &super::SynthConfig) -> SynthData {
    let mut a = Dataset::new("a");
    let mut b = Dataset::new("b");
    let truth = generate_with(cfg, |side, id, v| {
        let r = record(id.to_string(), v);
        match side {
            Side::A => a.push(&r),
            Side::B => b.push(&r),
        }
    })
    .unwrap_or_default();
    SynthData { a, b, truth }
}

/// Writes both sides (FEBRL's columns) and the truth (`rec_id_a,rec_id_b`) as CSV files.
pub fn write_csv<W: Write>(
    cfg: &super::SynthConfig,
    a: W,
    b: W,
    truth: impl Write,
) -> Result<(), LinkError> {
    let mut wa = csv::Writer::from_writer(a);
    let mut wb = csv::Writer::from_writer(b);
    wa.write_record(HEADER).map_err(InternalError::from)?;
    wb.write_record(HEADER).map_err(InternalError::from)?;
    let mut err = None;
    let t = generate_with(cfg, |side, id, v| {
        let w = if side == Side::A { &mut wa } else { &mut wb };
        if let Err(e) = w.write_record(std::iter::once(id).chain(v.iter().map(|s| s.as_str()))) {
            err.get_or_insert(e);
        }
        Ok(())
    })?;
    if let Some(e) = err {
        return Err(InternalError::from(e).into());
    }
    wa.flush()?;
    wb.flush()?;
    let mut wt = csv::Writer::from_writer(truth);
    wt.write_record(["rec_id_a", "rec_id_b"])
        .map_err(InternalError::from)?;
    for (x, y) in t {
        wt.write_record([format!("A{x}"), format!("B{y}")])
            .map_err(InternalError::from)?;
    }
    wt.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::SynthConfig;

    #[test]
    fn deterministic_unique_ids_and_corrupted() {
        let cfg = SynthConfig::new(2000, 3);
        let (x, y) = (generate(&cfg), generate(&cfg));
        assert_eq!((x.a.len(), x.b.len()), (2000, 2000));
        assert_eq!(x.truth, y.truth);
        assert_eq!(x.truth.len(), 1200);
        assert_eq!(x.b.normalised(7), y.b.normalised(7));
        // Every duplicate differs from its original somewhere (FEBRL: at least one change).
        let differs = x
            .truth
            .iter()
            .filter(|&&(i, j)| x.a.normalised(i as usize) != x.b.normalised(j as usize))
            .count();
        assert!(differs > 1100, "{differs}");
        // Ids are unique on side A.
        let mut ids: Vec<String> = (0..2000).map(|i| x.a.normalised(i).voter_id).collect();
        ids.retain(|s| !s.is_empty());
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn links_well_with_and_without_the_id() {
        let data = generate(&SynthConfig::new(3000, 1));
        for with_id in [true, false] {
            let mut cfg = crate::infer_config(&HEADER);
            if !with_id {
                cfg.columns.voter_id = None;
                cfg.blocking = crate::config::default_blocking(&cfg.columns);
            }
            let mut sink = crate::CollectPairs::default();
            crate::link(&data.a, &data.b, &cfg, &mut sink, &crate::NoProgress).unwrap();
            let m = crate::eval::evaluate(
                sink.0.iter().map(|x| (x.0, x.1)),
                data.truth.iter().copied(),
                false,
            );
            assert!(m.f1 > 0.9, "with id {with_id}: {m}");
        }
    }
}
