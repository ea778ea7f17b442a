//! A synthetic voter-style data generator with known truth, deterministic by seed and usable up
//! to a million records per side. Side A looks like a state voter file (voter id, birth year
//! only, households sharing surname and address); side B looks like a campaign contact list that
//! holds part of the same people with typos, nicknames, moves, married-name changes, full or
//! missing dates of birth, ZIP+4, and people who are not on the voter file at all. [`febrl`]
//! generates a FEBRL-style link task (house numbers, suburbs, an SSN-like id) the same way.

use crate::dataset::{Dataset, PersonRecord};
use crate::error::UserError;
use crate::nicknames;
use std::io::Write;

pub mod febrl;

/// Generator settings.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// Records on side A (the voter file).
    pub size_a: usize,
    /// Records on side B (the contact list).
    pub size_b: usize,
    /// Share of B's records that are people in A.
    pub overlap: f64,
    /// Seed; equal seeds give equal data.
    pub seed: u64,
}

impl SynthConfig {
    /// `n` records per side, 60% of B in A.
    pub fn new(n: usize, seed: u64) -> Self {
        SynthConfig {
            size_a: n,
            size_b: n,
            overlap: 0.6,
            seed,
        }
    }
}

/// Which side a generated record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The voter file.
    A,
    /// The contact list.
    B,
}

/// Generated datasets and the true (A index, B index) matches.
pub struct SynthData {
    /// Side A.
    pub a: Dataset,
    /// Side B.
    pub b: Dataset,
    /// True matches as (A index, B index).
    pub truth: Vec<(u32, u32)>,
}

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5eed_5eed_5eed_5eed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::prepare::mix(self.0)
    }
    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

const MALE: &[&str] = &[
    "james",
    "robert",
    "john",
    "michael",
    "william",
    "david",
    "richard",
    "joseph",
    "thomas",
    "charles",
    "christopher",
    "daniel",
    "matthew",
    "anthony",
    "donald",
    "steven",
    "paul",
    "andrew",
    "joshua",
    "kenneth",
    "kevin",
    "brian",
    "george",
    "edward",
    "ronald",
    "timothy",
    "jason",
    "jeffrey",
    "ryan",
    "jacob",
    "gary",
    "nicholas",
    "eric",
    "jonathan",
    "stephen",
    "larry",
    "justin",
    "scott",
    "brandon",
    "benjamin",
    "samuel",
    "gregory",
    "frank",
    "alexander",
    "raymond",
    "patrick",
    "jack",
    "dennis",
    "jerry",
    "tyler",
    "aaron",
    "jose",
    "henry",
    "adam",
    "douglas",
    "nathan",
    "peter",
    "zachary",
    "kyle",
    "walter",
    "harold",
    "jeremy",
    "ethan",
    "carl",
    "keith",
    "roger",
    "gerald",
    "christian",
    "terry",
    "sean",
    "arthur",
    "austin",
    "noah",
    "lawrence",
    "jesse",
    "joe",
    "bryan",
    "billy",
    "jordan",
    "albert",
    "dylan",
    "bruce",
    "willie",
    "gabriel",
    "alan",
    "juan",
    "logan",
    "wayne",
    "ralph",
    "roy",
    "eugene",
    "randy",
    "vincent",
    "russell",
    "louis",
    "philip",
    "bobby",
    "johnny",
    "bradley",
    "darnell",
    "tyrone",
    "jamal",
    "dewayne",
    "marquis",
    "luis",
    "carlos",
    "miguel",
    "jorge",
    "wei",
    "hiroshi",
    "tuan",
    "rajesh",
];

const FEMALE: &[&str] = &[
    "mary",
    "patricia",
    "jennifer",
    "linda",
    "elizabeth",
    "barbara",
    "susan",
    "jessica",
    "sarah",
    "karen",
    "nancy",
    "lisa",
    "betty",
    "margaret",
    "sandra",
    "ashley",
    "kimberly",
    "emily",
    "donna",
    "michelle",
    "dorothy",
    "carol",
    "amanda",
    "melissa",
    "deborah",
    "stephanie",
    "rebecca",
    "sharon",
    "laura",
    "cynthia",
    "kathleen",
    "amy",
    "shirley",
    "angela",
    "helen",
    "anna",
    "brenda",
    "pamela",
    "nicole",
    "emma",
    "samantha",
    "katherine",
    "christine",
    "debra",
    "rachel",
    "catherine",
    "carolyn",
    "janet",
    "ruth",
    "maria",
    "heather",
    "diane",
    "virginia",
    "julie",
    "joyce",
    "victoria",
    "olivia",
    "kelly",
    "christina",
    "lauren",
    "joan",
    "evelyn",
    "judith",
    "megan",
    "cheryl",
    "andrea",
    "hannah",
    "martha",
    "jacqueline",
    "frances",
    "gloria",
    "ann",
    "teresa",
    "kathryn",
    "sara",
    "janice",
    "jean",
    "alice",
    "madison",
    "doris",
    "abigail",
    "julia",
    "judy",
    "grace",
    "denise",
    "amber",
    "marilyn",
    "beverly",
    "danielle",
    "theresa",
    "sophia",
    "marie",
    "diana",
    "brittany",
    "natalie",
    "isabella",
    "charlotte",
    "rose",
    "alexis",
    "kayla",
    "latoya",
    "keisha",
    "shaniqua",
    "guadalupe",
    "mei",
    "yuki",
    "priya",
];

const SURNAMES: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "gomez",
    "phillips",
    "evans",
    "turner",
    "diaz",
    "parker",
    "cruz",
    "edwards",
    "collins",
    "reyes",
    "stewart",
    "morris",
    "morales",
    "murphy",
    "cook",
    "rogers",
    "gutierrez",
    "ortiz",
    "morgan",
    "cooper",
    "peterson",
    "bailey",
    "reed",
    "kelly",
    "howard",
    "ramos",
    "kim",
    "cox",
    "ward",
    "richardson",
    "watson",
    "brooks",
    "chavez",
    "wood",
    "james",
    "bennett",
    "gray",
    "mendoza",
    "ruiz",
    "hughes",
    "price",
    "alvarez",
    "castillo",
    "sanders",
    "patel",
    "myers",
    "long",
    "ross",
    "foster",
    "jimenez",
    "powell",
    "jenkins",
    "perry",
    "russell",
    "sullivan",
    "bell",
    "coleman",
    "butler",
    "henderson",
    "barnes",
    "gonzales",
    "fisher",
    "vasquez",
    "simmons",
    "romero",
    "jordan",
    "patterson",
    "alexander",
    "hamilton",
    "graham",
    "reynolds",
    "griffin",
    "wallace",
    "moreno",
    "west",
    "cole",
    "hayes",
    "bryant",
    "herrera",
    "gibson",
    "ellis",
    "tran",
    "medina",
    "aguilar",
    "stevens",
    "murray",
    "ford",
    "castro",
    "marshall",
    "owens",
    "harrison",
    "fernandez",
    "mcdonald",
    "woods",
    "washington",
    "kennedy",
    "wells",
    "vargas",
    "henry",
    "chen",
    "freeman",
    "webb",
    "tucker",
    "guzman",
    "burns",
    "crawford",
    "olson",
    "simpson",
    "porter",
    "hunter",
    "gordon",
];

const SYL: &[&str] = &[
    "ka", "lo", "mar", "ten", "bri", "son", "dal", "ver", "ho", "wen", "stro", "fel", "gan", "rix",
    "mon", "tal", "ber", "kin", "sha", "vel", "dor", "ami", "pel", "cha", "nov", "ske", "lin",
    "tor", "ruz", "gal", "wick", "ham", "ley", "ford", "ton", "ner", "ski", "ova", "ett", "man",
];

const SUFFIX: &[&str] = &[
    "st", "ave", "rd", "dr", "ln", "ct", "pl", "blvd", "way", "cir",
];
const SUFFIX_LONG: &[&str] = &[
    "street",
    "avenue",
    "road",
    "drive",
    "lane",
    "court",
    "place",
    "boulevard",
    "way",
    "circle",
];

/// Picks index r with weight 1/(r + offset).
fn zipf(rng: &mut Rng, cum: &[f64]) -> usize {
    let total = *cum.last().unwrap_or(&1.0);
    let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
    cum.partition_point(|&c| c < x).min(cum.len() - 1)
}

fn cumulative(n: usize, offset: f64) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|r| {
            acc += 1.0 / (r as f64 + offset);
            acc
        })
        .collect()
}

fn syllables(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| SYL[rng.below(SYL.len())]).collect()
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<u8> = s.bytes().collect();
    if c.len() < 2 {
        return s.to_string();
    }
    let i = rng.below(c.len() - 1);
    let letter = b'a' + rng.below(26) as u8;
    match rng.below(4) {
        0 => c[i] = letter,
        1 => {
            c.remove(i);
        }
        2 => c.insert(i, letter),
        _ => c.swap(i, i + 1),
    }
    String::from_utf8(c).unwrap_or_else(|_| s.to_string())
}

#[derive(Clone)]
struct Person {
    female: bool,
    first: String,
    middle: String,
    last: String,
    year: u16,
    month: u8,
    day: u8,
    house: u32,
    street: usize,
    zip: usize,
    phone: Option<u64>,
    email_user: Option<String>,
}

struct World {
    first_cum_m: Vec<f64>,
    first_cum_f: Vec<f64>,
    surname_cum: Vec<f64>,
    streets: Vec<(String, usize)>, // (name, suffix index)
    zips: Vec<(u32, usize)>,       // (zip, city index)
    cities: Vec<String>,
    street_per_zip: usize,
}

impl World {
    fn new(rng: &mut Rng, n: usize) -> Self {
        let n_zips = (n / 1200).max(40);
        let n_cities = (n_zips / 3).max(10);
        let street_per_zip = 40;
        let cities = (0..n_cities)
            .map(|_| {
                let k = 2 + rng.below(2);
                syllables(rng, k)
            })
            .collect();
        let zips = (0..n_zips)
            .map(|i| (27000 + i as u32 * 3 % 72000, rng.below(n_cities)))
            .collect();
        let streets = (0..n_zips * street_per_zip)
            .map(|_| {
                (
                    {
                        let k = 2 + rng.below(2);
                        syllables(rng, k)
                    },
                    rng.below(SUFFIX.len()),
                )
            })
            .collect();
        World {
            first_cum_m: cumulative(MALE.len(), 5.0),
            first_cum_f: cumulative(FEMALE.len(), 5.0),
            surname_cum: cumulative(SURNAMES.len(), 10.0),
            streets,
            zips,
            cities,
            street_per_zip,
        }
    }

    fn surname(&self, rng: &mut Rng) -> String {
        if rng.chance(0.3) {
            SURNAMES[zipf(rng, &self.surname_cum)].to_string()
        } else {
            {
                let k = 2 + rng.below(2);
                syllables(rng, k)
            }
        }
    }

    fn first(&self, rng: &mut Rng, female: bool) -> String {
        if rng.chance(0.08) {
            return syllables(rng, 2);
        }
        if female {
            FEMALE[zipf(rng, &self.first_cum_f)].to_string()
        } else {
            MALE[zipf(rng, &self.first_cum_m)].to_string()
        }
    }

    fn address(&self, rng: &mut Rng) -> (u32, usize, usize) {
        let zip = rng.below(self.zips.len());
        let street = zip * self.street_per_zip + rng.below(self.street_per_zip);
        (1 + rng.below(9999) as u32, street, zip)
    }

    fn person(&self, rng: &mut Rng) -> Person {
        let female = rng.chance(0.52);
        let (house, street, zip) = self.address(rng);
        let first = self.first(rng, female);
        let last = self.surname(rng);
        Person {
            female,
            middle: if rng.chance(0.7) {
                self.first(rng, female)
            } else {
                String::new()
            },
            email_user: rng
                .chance(0.6)
                .then(|| format!("{first}.{last}{}", rng.below(100))),
            first,
            last,
            year: 1930 + rng.below(76) as u16,
            month: 1 + rng.below(12) as u8,
            day: 1 + rng.below(28) as u8,
            house,
            street,
            zip,
            phone: rng
                .chance(0.6)
                .then(|| 2_000_000_000 + rng.next_u64() % 7_999_999_999),
        }
    }

    fn household_member(&self, rng: &mut Rng, head: &Person) -> Person {
        let mut p = self.person(rng);
        p.last = head.last.clone();
        p.house = head.house;
        p.street = head.street;
        p.zip = head.zip;
        if rng.chance(0.5) {
            p.phone = head.phone;
        }
        p
    }

    fn street_text(&self, p: &Person, long: bool) -> String {
        let (name, suf) = &self.streets[p.street];
        let s = if long {
            SUFFIX_LONG[*suf]
        } else {
            SUFFIX[*suf]
        };
        format!("{name} {s}")
    }

    fn voter_record(&self, i: usize, p: &Person, out: &mut PersonRecord) {
        *out = PersonRecord {
            record_id: format!("A{i}"),
            first_name: p.first.to_uppercase(),
            middle_name: p.middle.to_uppercase(),
            last_name: p.last.to_uppercase(),
            birth_year: p.year.to_string(),
            street: format!("{} {}", p.house, self.street_text(p, false)).to_uppercase(),
            city: self.cities[self.zips[p.zip].1].to_uppercase(),
            state: "NC".into(),
            zip: format!("{:05}", self.zips[p.zip].0),
            phone: p.phone.map(|x| x.to_string()).unwrap_or_default(),
            voter_id: format!("BN{:07}", i),
            ..Default::default()
        };
    }

    fn contact_record(&self, rng: &mut Rng, j: usize, p: &Person, out: &mut PersonRecord) {
        let mut first = p.first.clone();
        if rng.chance(0.15) {
            let v = nicknames::variants(&first);
            if !v.is_empty() {
                first = v[rng.below(v.len())].to_string();
            }
        }
        if rng.chance(0.04) {
            first = typo(rng, &first);
        }
        let mut last = p.last.clone();
        if p.female && rng.chance(0.06) {
            last = self.surname(rng);
        } else if rng.chance(0.04) {
            last = typo(rng, &last);
        }
        let (mut year, mut month, mut day) = (p.year, p.month, p.day);
        if rng.chance(0.03) && day <= 12 {
            std::mem::swap(&mut month, &mut day);
        } else if rng.chance(0.02) {
            year = if rng.chance(0.5) { year + 1 } else { year - 1 };
        }
        let dob_roll = rng.below(100);
        let (birth_date, birth_year) = if dob_roll < 60 {
            if rng.chance(0.5) {
                (format!("{month}/{day}/{year}"), String::new())
            } else {
                (format!("{year}-{month:02}-{day:02}"), String::new())
            }
        } else if dob_roll < 75 {
            (String::new(), year.to_string())
        } else {
            (String::new(), String::new())
        };
        let mut q = p.clone();
        if rng.chance(0.12) {
            let (h, s, z) = self.address(rng);
            q.house = h;
            q.street = s;
            q.zip = z;
        }
        let mut street = self.street_text(&q, rng.chance(0.5));
        if rng.chance(0.04) {
            street = typo(rng, &street);
        }
        let mut house = q.house.to_string();
        if rng.chance(0.02) {
            house = typo(rng, &house);
        }
        let zip = if rng.chance(0.3) {
            format!("{:05}-{:04}", self.zips[q.zip].0, rng.below(10000))
        } else {
            format!("{:05}", self.zips[q.zip].0)
        };
        let phone = match p.phone {
            Some(x) if rng.chance(0.7) => x.to_string(),
            _ if rng.chance(0.3) => (2_000_000_000 + rng.next_u64() % 7_999_999_999).to_string(),
            _ => String::new(),
        };
        let email = match &p.email_user {
            Some(u) if rng.chance(0.6) => format!("{u}@example.org"),
            _ => String::new(),
        };
        *out = PersonRecord {
            record_id: format!("B{j}"),
            first_name: capitalise(&first),
            middle_name: if rng.chance(0.2) {
                p.middle.chars().take(1).collect()
            } else {
                String::new()
            },
            last_name: capitalise(&last),
            birth_date,
            birth_year,
            house_number: house,
            street: capitalise(&street),
            city: capitalise(&self.cities[self.zips[q.zip].1]),
            state: "NC".into(),
            zip,
            phone,
            email,
            voter_id: String::new(),
            ..Default::default()
        };
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Generates records, calling `emit` for each in order (all of A, then all of B), and returns
/// the true (A index, B index) matches.
pub fn generate_with(
    cfg: &SynthConfig,
    mut emit: impl FnMut(Side, &PersonRecord) -> Result<(), UserError>,
) -> Result<Vec<(u32, u32)>, UserError> {
    let mut rng = Rng::new(cfg.seed);
    let world = World::new(&mut rng, cfg.size_a.max(cfg.size_b));
    let mut people: Vec<Person> = Vec::with_capacity(cfg.size_a);
    let mut rec = PersonRecord::default();
    for i in 0..cfg.size_a {
        let p = match people.last() {
            Some(head) if rng.chance(0.3) => world.household_member(&mut rng, head),
            _ => world.person(&mut rng),
        };
        world.voter_record(i, &p, &mut rec);
        emit(Side::A, &rec)?;
        people.push(p);
    }
    // B: a random subset of A's people (without repetition) mixed with new people.
    let n_match = ((cfg.size_b as f64 * cfg.overlap) as usize).min(cfg.size_a);
    let mut perm: Vec<u32> = (0..cfg.size_a as u32).collect();
    for k in 0..n_match {
        let r = k + rng.below(perm.len() - k);
        perm.swap(k, r);
    }
    let mut truth = Vec::with_capacity(n_match);
    let (mut used, mut j) = (0usize, 0usize);
    while j < cfg.size_b {
        let left_b = cfg.size_b - j;
        let left_m = n_match - used;
        if left_m > 0 && rng.below(left_b) < left_m {
            let a = perm[used];
            used += 1;
            world.contact_record(&mut rng, j, &people[a as usize], &mut rec);
            truth.push((a, j as u32));
        } else {
            let p = world.person(&mut rng);
            world.contact_record(&mut rng, j, &p, &mut rec);
        }
        emit(Side::B, &rec)?;
        j += 1;
    }
    Ok(truth)
}

/// Generates both sides as datasets named `voters` and `contacts`.
pub fn generate(cfg: &SynthConfig) -> SynthData {
    let mut a = Dataset::new("voters");
    let mut b = Dataset::new("contacts");
    let truth = generate_with(cfg, |side, r| match side {
        Side::A => a.push(r),
        Side::B => b.push(r),
    })
    .unwrap_or_default();
    SynthData { a, b, truth }
}

/// The CSV header written by [`write_csv`].
pub const CSV_HEADER: [&str; 15] = [
    "record_id",
    "first_name",
    "middle_name",
    "last_name",
    "birth_date",
    "birth_year",
    "house_number",
    "street",
    "address2",
    "city",
    "state",
    "zip",
    "phone",
    "email",
    "voter_id",
];

/// Writes both sides and the truth as CSV files (for other tools and the CLI).
pub fn write_csv<W: Write>(
    cfg: &SynthConfig,
    a: W,
    b: W,
    truth: impl Write,
) -> Result<(), crate::error::LinkError> {
    let mut wa = csv::Writer::from_writer(a);
    let mut wb = csv::Writer::from_writer(b);
    wa.write_record(CSV_HEADER)
        .map_err(crate::error::InternalError::from)?;
    wb.write_record(CSV_HEADER)
        .map_err(crate::error::InternalError::from)?;
    let mut err = None;
    let t = generate_with(cfg, |side, r| {
        let w = if side == Side::A { &mut wa } else { &mut wb };
        let row = [
            &r.record_id,
            &r.first_name,
            &r.middle_name,
            &r.last_name,
            &r.birth_date,
            &r.birth_year,
            &r.house_number,
            &r.street,
            &r.address2,
            &r.city,
            &r.state,
            &r.zip,
            &r.phone,
            &r.email,
            &r.voter_id,
        ];
        if let Err(e) = w.write_record(row) {
            err.get_or_insert(e);
        }
        Ok(())
    })?;
    if let Some(e) = err {
        return Err(crate::error::InternalError::from(e).into());
    }
    wa.flush()?;
    wb.flush()?;
    let mut wt = csv::Writer::from_writer(truth);
    wt.write_record(["record_id_a", "record_id_b"])
        .map_err(crate::error::InternalError::from)?;
    for (x, y) in t {
        wt.write_record([format!("A{x}"), format!("B{y}")])
            .map_err(crate::error::InternalError::from)?;
    }
    wt.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let cfg = SynthConfig::new(500, 7);
        let x = generate(&cfg);
        let y = generate(&cfg);
        assert_eq!(x.a.len(), 500);
        assert_eq!(x.b.len(), 500);
        assert_eq!(x.truth, y.truth);
        assert_eq!(x.truth.len(), 300);
        assert_eq!(x.b.normalised(17), y.b.normalised(17));
        let z = generate(&SynthConfig::new(500, 8));
        assert_ne!(x.b.normalised(17), z.b.normalised(17));
    }

    #[test]
    fn links_well_on_small_sample() {
        let data = generate(&SynthConfig::new(3000, 1));
        let headers = CSV_HEADER;
        let cfg = crate::infer_config(&headers);
        let mut sink = crate::CollectPairs::default();
        crate::link(&data.a, &data.b, &cfg, &mut sink, &crate::NoProgress).unwrap();
        let m = crate::eval::evaluate(
            sink.0.iter().map(|x| (x.0, x.1)),
            data.truth.iter().copied(),
            false,
        );
        assert!(m.f1 > 0.9, "{m}");
    }
}
