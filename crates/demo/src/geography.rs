//! Fictional geography for the demo state: counties (invented names, NC-style numeric ids and
//! NCID prefixes), cities with 27xxx/28xxx ZIP codes, precincts (about one per 1,000 voters, with
//! codes like `01-07`, townships and every district column of the ncvoter layout precomputed),
//! and street segments with house-number ranges. Every residential address of a demo voter lies
//! on one [`Street`] segment, inside `low..=high`, so a polling-place feed with street segments
//! can be generated from the same state later.

use std::collections::HashSet;

use crate::names::NameBook;
use crate::rng::{Draw, MainRng};

/// Invented county names (none is a real North Carolina county), alphabetical; the position in
/// this list fixes a county's numeric id and NCID prefix so they are stable across seeds.
const COUNTY_POOL: [&str; 30] = [
    "ALDERMONT",
    "BLACKWATER",
    "BRANWICK",
    "CARROWAY",
    "COPPERFIELD",
    "DELMORE",
    "DUNLEIGH",
    "ELSWORTH",
    "FAIRHOLT",
    "FOXHALL",
    "GALESBY",
    "GLENMARSH",
    "HARLOWE",
    "HOLLOWAY",
    "IVERHAM",
    "KESTREL",
    "LARKHAVEN",
    "MERRIVALE",
    "NETHERBY",
    "OAKSHIRE",
    "PEMBRIDGE",
    "QUILLAN",
    "RAVENSCROFT",
    "SALTMARSH",
    "THISTLEWOOD",
    "UPTONVALE",
    "VARNEY",
    "WICKHAM",
    "WYNDCREST",
    "YARBRIDGE",
];

/// Invented city and town names.
const CITY_POOL: [&str; 96] = [
    "ALDER SPRINGS",
    "ASHBY",
    "BAXLEY CROSSROADS",
    "BELMERE",
    "BRADDOCK MILLS",
    "BRIARTON",
    "CALDERWOOD",
    "CAMDEN FORKS",
    "CHALKLEY",
    "CLOVERDELL",
    "COLFAX BLUFF",
    "CORBIN",
    "CRESTHAVEN",
    "DALEWORTH",
    "DARBY",
    "DOVERTON",
    "DURLAND",
    "EASTMOOR",
    "EDGEMONT FALLS",
    "ELLISTON",
    "EVERDALE",
    "FALLSTEAD",
    "FARRINGTON",
    "FERNLEY",
    "FINCHBURG",
    "GARLAND HEIGHTS",
    "GLENHOLLOW",
    "GOSHEN FORD",
    "GRAYBURN",
    "HADLEY",
    "HALSTEAD",
    "HARTWELL",
    "HAVERLY",
    "HOLLISTER GAP",
    "IRONWEED",
    "JASPER MILL",
    "JUNIPER RIDGE",
    "KEARNEYVILLE",
    "KILBORNE",
    "LAKE TILLERY",
    "LANDRUM CROSSING",
    "LAUREL FORK",
    "LINDLEY",
    "LOCKHAVEN",
    "MADDOX",
    "MARLOWE",
    "MAYBERRY HILL",
    "MEADOWVIEW",
    "MILLBANK",
    "MOSSY CREEK",
    "NORWOOD FALLS",
    "OAKMERE",
    "ORCHARD BEND",
    "OSBORNE",
    "PALMERTON",
    "PEARSALL",
    "PINE BARREN",
    "PRESTONVILLE",
    "QUARRY HILL",
    "RANDLEMAN CROSS",
    "REDBANK",
    "RIDGECREST",
    "RIVERBEND",
    "ROCKMOOR",
    "ROSEBORO MILLS",
    "SALEM FORK",
    "SANDHAVEN",
    "SHADY GROVE",
    "SILVERLAKE",
    "SPARROW",
    "STANTONBURG HILL",
    "STILLWATER",
    "SUMMERTON",
    "SWANSBORO POINT",
    "TALBOTT",
    "TANNER",
    "THORNDALE",
    "TIMBERLANE",
    "TOWNSEND",
    "TULLOCK",
    "UNION GAP",
    "VALE CROSSING",
    "VANDORA",
    "WALLINGFORD",
    "WARWICK CREEK",
    "WAVERLY",
    "WESTBURY",
    "WHISPERING PINES EAST",
    "WILLOWDALE",
    "WINDHAM",
    "WOODLEAF",
    "WRENFIELD",
    "YATESVILLE",
    "YELLOW BRANCH",
    "ZEPHYR",
    "ZION HILL",
];

/// Words for precinct, township and street names.
const PLACE_WORDS: [&str; 64] = [
    "OAK",
    "ELM",
    "PINE",
    "MAPLE",
    "CEDAR",
    "DOGWOOD",
    "MAGNOLIA",
    "HICKORY",
    "WILLOW",
    "BIRCH",
    "POPLAR",
    "SYCAMORE",
    "LAUREL",
    "HOLLY",
    "WALNUT",
    "CHESTNUT",
    "MILL",
    "CHURCH",
    "SCHOOL",
    "MARKET",
    "COLLEGE",
    "TOBACCO",
    "COTTON",
    "FOX",
    "DEER",
    "TURKEY",
    "QUAIL",
    "HAWK",
    "EAGLE",
    "BEAR",
    "RABBIT",
    "BEAVER",
    "PLEASANT",
    "SHADY",
    "SANDY",
    "ROCKY",
    "STONY",
    "MUDDY",
    "CLEAR",
    "SPRING",
    "MEADOW",
    "ORCHARD",
    "VINEYARD",
    "PLANTATION",
    "FAIRVIEW",
    "HIGHLAND",
    "LAKESIDE",
    "RIVERSIDE",
    "HILLCREST",
    "BROOKSIDE",
    "SUNSET",
    "SUNRISE",
    "LIBERTY",
    "UNION",
    "FRIENDSHIP",
    "HOPEWELL",
    "BETHEL",
    "SHILOH",
    "PROVIDENCE",
    "MOUNT OLIVE",
    "GREEN LEVEL",
    "CROSS KEYS",
    "BLUE RIDGE",
    "PIEDMONT",
];

/// Second words combined with [`PLACE_WORDS`].
const PLACE_TAILS: [&str; 24] = [
    "RIDGE", "CREEK", "HILL", "VALLEY", "GROVE", "MEADOW", "SPRINGS", "FOREST", "LAKE", "POINTE",
    "CROSSING", "GLEN", "HOLLOW", "BRANCH", "FARM", "PARK", "TRACE", "COVE", "BEND", "KNOLL",
    "CHAPEL", "STATION", "HEIGHTS", "LANDING",
];

/// USPS street suffixes: (abbreviation, written-out form, relative weight).
const SUFFIXES: [(&str, &str, u32); 19] = [
    ("RD", "ROAD", 24),
    ("DR", "DRIVE", 22),
    ("ST", "STREET", 20),
    ("LN", "LANE", 10),
    ("CT", "COURT", 9),
    ("AVE", "AVENUE", 8),
    ("CIR", "CIRCLE", 4),
    ("WAY", "WAY", 4),
    ("PL", "PLACE", 3),
    ("TRL", "TRAIL", 3),
    ("BLVD", "BOULEVARD", 2),
    ("PKWY", "PARKWAY", 1),
    ("LOOP", "LOOP", 1),
    ("RUN", "RUN", 1),
    ("TER", "TERRACE", 1),
    ("XING", "CROSSING", 1),
    ("PT", "POINT", 1),
    ("CV", "COVE", 1),
    ("", "", 1),
];

const DIRECTIONS: [&str; 4] = ["N", "S", "E", "W"];

/// A fictional county.
#[derive(Clone, Debug)]
pub struct County {
    /// NC-style county id (`county_id` column), stable per name across seeds.
    pub id: u8,
    /// County name as in `county_desc` (upper case, invented).
    pub name: String,
    /// Two-letter prefix of NCIDs first issued in this county.
    pub ncid_prefix: [u8; 2],
    /// ZIP3 shared by the county's ZIP codes (270..=289).
    pub zip3: u16,
    /// Telephone area codes used for this county's phone numbers.
    pub area_codes: Vec<u16>,
    /// Urbanisation 0 (rural) ..= 1 (the most urban county).
    pub urban: f64,
    /// Partisan lean -1 (Republican) ..= +1 (Democratic), shifts party shares.
    pub dem_lean: f64,
    /// Share of Black voters.
    pub black_share: f64,
    /// Share of Hispanic voters.
    pub hispanic_share: f64,
    /// Share of Asian voters.
    pub asian_share: f64,
    /// Share of American Indian voters.
    pub indian_share: f64,
    /// Indices into [`crate::DemoState::cities`] of this county's cities (first = county seat).
    pub cities: Vec<u32>,
    /// Range of indices into [`crate::DemoState::precincts`].
    pub precincts: std::ops::Range<u32>,
}

/// A city or town (postal city of a set of precincts).
#[derive(Clone, Debug)]
pub struct City {
    /// Name as in `res_city_desc`.
    pub name: String,
    /// Index of the county.
    pub county: u16,
    /// Municipality abbreviation (`municipality_abbrv`, 3 letters).
    pub abbrv: String,
    /// ZIP codes (5 digits) serving the city.
    pub zips: Vec<u32>,
    /// Whether the city is split into wards.
    pub has_wards: bool,
    /// Whether the city runs its own school district.
    pub school_system: bool,
}

/// All district columns of the ncvoter layout for one precinct, exactly as written.
#[derive(Clone, Debug, Default)]
pub struct DistrictColumns {
    /// `municipality_abbrv` (blank outside municipal limits).
    pub municipality_abbrv: String,
    /// `municipality_desc`.
    pub municipality_desc: String,
    /// `ward_abbrv`.
    pub ward_abbrv: String,
    /// `ward_desc`.
    pub ward_desc: String,
    /// `cong_dist_abbrv`.
    pub cong_dist: String,
    /// `super_court_abbrv`.
    pub super_court: String,
    /// `judic_dist_abbrv`.
    pub judic_dist: String,
    /// `nc_senate_abbrv`.
    pub nc_senate: String,
    /// `nc_house_abbrv`.
    pub nc_house: String,
    /// `county_commiss_abbrv`.
    pub county_commiss_abbrv: String,
    /// `county_commiss_desc`.
    pub county_commiss_desc: String,
    /// `township_abbrv`.
    pub township_abbrv: String,
    /// `township_desc`.
    pub township_desc: String,
    /// `school_dist_abbrv`.
    pub school_dist_abbrv: String,
    /// `school_dist_desc`.
    pub school_dist_desc: String,
    /// `fire_dist_abbrv`.
    pub fire_dist_abbrv: String,
    /// `fire_dist_desc`.
    pub fire_dist_desc: String,
    /// `water_dist_abbrv`.
    pub water_dist_abbrv: String,
    /// `water_dist_desc`.
    pub water_dist_desc: String,
    /// `sewer_dist_abbrv`.
    pub sewer_dist_abbrv: String,
    /// `sewer_dist_desc`.
    pub sewer_dist_desc: String,
    /// `sanit_dist_abbrv`.
    pub sanit_dist_abbrv: String,
    /// `sanit_dist_desc`.
    pub sanit_dist_desc: String,
    /// `rescue_dist_abbrv`.
    pub rescue_dist_abbrv: String,
    /// `rescue_dist_desc`.
    pub rescue_dist_desc: String,
    /// `munic_dist_abbrv`.
    pub munic_dist_abbrv: String,
    /// `munic_dist_desc`.
    pub munic_dist_desc: String,
    /// `dist_1_abbrv` (prosecutorial district).
    pub dist_1_abbrv: String,
    /// `dist_1_desc`.
    pub dist_1_desc: String,
}

impl DistrictColumns {
    /// The columns from `municipality_abbrv` to `dist_1_desc`, in layout order.
    pub fn in_layout_order(&self) -> [&str; 29] {
        [
            &self.municipality_abbrv,
            &self.municipality_desc,
            &self.ward_abbrv,
            &self.ward_desc,
            &self.cong_dist,
            &self.super_court,
            &self.judic_dist,
            &self.nc_senate,
            &self.nc_house,
            &self.county_commiss_abbrv,
            &self.county_commiss_desc,
            &self.township_abbrv,
            &self.township_desc,
            &self.school_dist_abbrv,
            &self.school_dist_desc,
            &self.fire_dist_abbrv,
            &self.fire_dist_desc,
            &self.water_dist_abbrv,
            &self.water_dist_desc,
            &self.sewer_dist_abbrv,
            &self.sewer_dist_desc,
            &self.sanit_dist_abbrv,
            &self.sanit_dist_desc,
            &self.rescue_dist_abbrv,
            &self.rescue_dist_desc,
            &self.munic_dist_abbrv,
            &self.munic_dist_desc,
            &self.dist_1_abbrv,
            &self.dist_1_desc,
        ]
    }
}

/// A polling place (Election Day voting site) of a precinct, located on one of its streets.
#[derive(Clone, Debug)]
pub struct PollingPlace {
    /// Site name, e.g. `OAK GROVE ELEMENTARY SCHOOL`.
    pub name: String,
    /// Index into [`crate::DemoState::streets`].
    pub street: u32,
    /// House number on that street (within its range).
    pub house_number: u32,
}

/// A voting precinct.
#[derive(Clone, Debug)]
pub struct Precinct {
    /// `precinct_abbrv`, e.g. `01-07` (township number, precinct number); also the VTD code.
    pub code: String,
    /// `precinct_desc`, e.g. `OAK GROVE`.
    pub name: String,
    /// Index of the county.
    pub county: u16,
    /// Index of the postal city.
    pub city: u32,
    /// Whether the precinct lies within the city's municipal limits.
    pub in_municipality: bool,
    /// Main ZIP code.
    pub zip5: u32,
    /// Congressional district number.
    pub congressional: u8,
    /// State senate district number.
    pub senate: u8,
    /// State house district number.
    pub house: u16,
    /// Number of voters planned for the precinct in the first snapshot.
    pub planned_voters: u32,
    /// The precinct's polling place.
    pub polling_place: PollingPlace,
    /// All ncvoter district columns.
    pub districts: DistrictColumns,
    /// Range of indices into [`crate::DemoState::streets`].
    pub streets: std::ops::Range<u32>,
}

/// How apartment units are written on a street.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitStyle {
    /// Single-family houses: no unit.
    None,
    /// `APT 4B` (floor digit and letter).
    AptFloorLetter,
    /// `APT 112`.
    AptNumber,
    /// `UNIT 12`.
    Unit,
    /// `# 7`.
    Hash,
}

/// One street segment: a named street inside one precinct, city and ZIP, with a house-number
/// range covering both sides (odd and even numbers). A long street can be split into several
/// consecutive segments in different precincts (same names, disjoint ranges).
#[derive(Clone, Debug)]
pub struct Street {
    /// Pre-direction (`N`, `S`, `E`, `W`) or empty.
    pub pre_dir: &'static str,
    /// Street name proper, e.g. `OAK RIDGE` or `NC HWY 42`.
    pub name: String,
    /// Suffix as written in addresses (`RD`, or written out `ROAD`), possibly empty.
    pub suffix: &'static str,
    /// Index of the city (`res_city_desc`).
    pub city: u32,
    /// ZIP code of every address on the segment.
    pub zip5: u32,
    /// Index of the precinct.
    pub precinct: u32,
    /// Lowest house number of the segment.
    pub low: u32,
    /// Highest house number of the segment.
    pub high: u32,
    /// Apartment unit style; `UnitStyle::None` for houses.
    pub unit_style: UnitStyle,
    /// Distance between consecutive used house numbers.
    pub(crate) step: u32,
    /// Units per building (apartment streets), 1 for houses.
    pub(crate) units_per_building: u32,
    /// Address slots handed out so far.
    pub(crate) used: u32,
}

impl Street {
    /// Full street name as written after the house number, e.g. `N ELM STREET`.
    pub fn full_name(&self) -> String {
        let mut s = String::new();
        if !self.pre_dir.is_empty() {
            s.push_str(self.pre_dir);
            s.push(' ');
        }
        s.push_str(&self.name);
        if !self.suffix.is_empty() {
            s.push(' ');
            s.push_str(self.suffix);
        }
        s
    }

    /// Whether `house_number` lies in the segment's range.
    pub fn contains(&self, house_number: u32) -> bool {
        (self.low..=self.high).contains(&house_number)
    }

    /// Number of address slots the segment can hold.
    pub(crate) fn capacity(&self) -> u32 {
        ((self.high - self.low) / self.step + 1) * self.units_per_building
    }

    /// House number and unit code of slot `k`.
    pub(crate) fn slot(&self, k: u32) -> (u32, u16) {
        let b = k / self.units_per_building;
        let house = self.low + b * self.step;
        if self.unit_style == UnitStyle::None {
            (house, 0)
        } else {
            (house, (k % self.units_per_building + 1) as u16)
        }
    }

    /// Unit designator for a stored unit code (empty for 0).
    pub fn unit_text(&self, unit: u16) -> String {
        if unit == 0 {
            return String::new();
        }
        let u = u32::from(unit);
        match self.unit_style {
            UnitStyle::None => String::new(),
            UnitStyle::AptFloorLetter => {
                let floor = (u - 1) / 6 + 1;
                let letter = (b'A' + ((u - 1) % 6) as u8) as char;
                format!("APT {floor}{letter}")
            }
            UnitStyle::AptNumber => format!("APT {}", 100 * ((u - 1) / 12 + 1) + (u - 1) % 12 + 1),
            UnitStyle::Unit => format!("UNIT {u}"),
            UnitStyle::Hash => format!("# {u}"),
        }
    }
}

/// Geography built before voters: counties, cities, precincts (streets are added while
/// households are placed).
pub(crate) struct Geography {
    pub counties: Vec<County>,
    pub cities: Vec<City>,
    pub precincts: Vec<Precinct>,
    pub streets: Vec<Street>,
    /// (city, street name) pairs in use, to keep names unique within a city.
    used_names: HashSet<(u32, String)>,
}

fn area_codes_for(zip3: u16) -> Vec<u16> {
    match zip3 {
        270..=274 => vec![336],
        275..=277 => vec![919, 984],
        278..=279 => vec![252],
        280..=282 => vec![704, 980],
        283..=285 => vec![910],
        _ => vec![828],
    }
}

/// Splits `total` into parts proportional to `weights` (largest remainder), each at least `min`.
pub(crate) fn apportion(total: u64, weights: &[f64], min: u64) -> Vec<u64> {
    let n = weights.len() as u64;
    let free = total.saturating_sub(min * n);
    let sum: f64 = weights.iter().sum();
    let mut parts: Vec<u64> = Vec::with_capacity(weights.len());
    let mut rema: Vec<(f64, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = free as f64 * w / sum;
        let fl = exact.floor();
        parts.push(min + fl as u64);
        rema.push((exact - fl, i));
    }
    let mut left = total.saturating_sub(parts.iter().sum());
    rema.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut k = 0;
    while left > 0 {
        parts[rema[k % rema.len()].1] += 1;
        left -= 1;
        k += 1;
    }
    parts
}

fn place_name(rng: &mut MainRng, used: &mut HashSet<String>) -> String {
    for _ in 0..50 {
        let a = rng.pick(&PLACE_WORDS);
        let name = if rng.chance(0.7) {
            format!("{a} {}", rng.pick(&PLACE_TAILS))
        } else {
            (*a).to_string()
        };
        if used.insert(name.clone()) {
            return name;
        }
    }
    let mut n = 2;
    loop {
        let name = format!("{} {n}", rng.pick(&PLACE_WORDS));
        if used.insert(name.clone()) {
            return name;
        }
        n += 1;
    }
}

impl Geography {
    /// Builds counties, cities and precincts for `voters` voters.
    pub(crate) fn build(rng: &mut MainRng, voters: usize) -> Geography {
        let n_counties = 10 + rng.index(11);
        // Choose counties from the pool (keeping pool order so ids are ascending).
        let mut chosen: Vec<usize> = (0..COUNTY_POOL.len()).collect();
        for i in 0..n_counties {
            let j = i + rng.index(chosen.len() - i);
            chosen.swap(i, j);
        }
        chosen.truncate(n_counties);
        chosen.sort_unstable();
        // ZIP3s: distinct values from 270..=289.
        let mut zip3s: Vec<u16> = (270..=289).collect();
        for i in 0..zip3s.len() {
            let j = i + rng.index(zip3s.len() - i);
            zip3s.swap(i, j);
        }
        // County sizes: one dominant urban county, a few mid-size, many small.
        let mut weights: Vec<f64> = (0..n_counties)
            .map(|_| {
                let u = rng.unit();
                0.4 + 6.0 * u * u * u
            })
            .collect();
        let big = rng.index(n_counties);
        weights[big] = weights[big].max(4.0) + 4.0;
        let max_w = weights.iter().cloned().fold(0.0, f64::max);

        let n_precincts = ((voters as f64 / 1000.0).round() as usize).max(n_counties);
        let per_county = apportion(n_precincts as u64, &weights, 1);

        let mut city_pool: Vec<usize> = (0..CITY_POOL.len()).collect();
        let mut counties = Vec::with_capacity(n_counties);
        let mut cities: Vec<City> = Vec::new();
        for (ci, &pool_idx) in chosen.iter().enumerate() {
            let urban = weights[ci] / max_w;
            let zip3 = zip3s[ci];
            let mut c = County {
                id: (pool_idx * 3 + 2) as u8,
                name: COUNTY_POOL[pool_idx].to_string(),
                ncid_prefix: [
                    b'A' + (pool_idx / 13) as u8,
                    b'A' + (pool_idx % 13 * 2) as u8,
                ],
                zip3,
                area_codes: area_codes_for(zip3),
                urban,
                dem_lean: (urban * 1.2 - 0.55 + rng.normalish() * 0.2).clamp(-0.9, 0.9),
                black_share: 0.08 + rng.unit() * 0.22,
                hispanic_share: 0.04 + rng.unit() * 0.08 + urban * 0.03,
                asian_share: 0.005 + urban * 0.05 + rng.unit() * 0.01,
                indian_share: if rng.chance(0.15) {
                    0.05 + rng.unit() * 0.2
                } else {
                    0.004
                },
                cities: Vec::new(),
                precincts: 0..0,
            };
            // Cities.
            let n_cities = 2 + rng.index(3) + usize::from(urban > 0.5);
            let mut abbrvs = HashSet::new();
            for k in 0..n_cities {
                let j = k + rng.index(city_pool.len() - k);
                city_pool.swap(k, j);
                let name = CITY_POOL[city_pool[k]].to_string();
                let letters: Vec<u8> = name.bytes().filter(u8::is_ascii_alphabetic).collect();
                let mut abbrv = String::from_utf8(letters[..3].to_vec()).expect("ascii");
                let mut bump = 3;
                while !abbrvs.insert(abbrv.clone()) && bump < letters.len() {
                    abbrv = format!("{}{}", &abbrv[..2], letters[bump] as char);
                    bump += 1;
                }
                let n_zips = if k == 0 {
                    2 + rng.index(2 + usize::from(urban > 0.5) * 2)
                } else {
                    1
                };
                let zips = (0..n_zips)
                    .map(|z| {
                        u32::from(zip3) * 100 + (k * 17 + z * 5 + 1 + rng.index(4)) as u32 % 100
                    })
                    .collect();
                c.cities.push(cities.len() as u32);
                cities.push(City {
                    name,
                    county: ci as u16,
                    abbrv,
                    zips,
                    has_wards: k == 0 && urban > 0.3,
                    school_system: k == 0 && rng.chance(0.35),
                });
            }
            // Remove the used cities from the pool.
            city_pool.drain(..n_cities);
            counties.push(c);
        }

        // Precincts.
        let precinct_weights: Vec<f64> =
            (0..n_precincts).map(|_| 0.55 + 0.9 * rng.unit()).collect();
        let planned = apportion(voters as u64, &precinct_weights, 0);
        let n_cong = (n_precincts / 25).clamp(2, 14);
        let n_sen = (n_precincts / 8).clamp(4, 50);
        let n_house = (n_precincts / 3).clamp(8, 120);
        let n_jud = (n_counties / 2).max(4);
        let mut precincts = Vec::with_capacity(n_precincts);
        let mut g = 0usize;
        for (ci, c) in counties.iter_mut().enumerate() {
            let count = per_county[ci] as usize;
            let start = precincts.len() as u32;
            let n_twp = (count / 6).clamp(1, 20);
            let commiss = if rng.chance(0.6) {
                5 + 2 * rng.index(2)
            } else {
                0
            };
            let judic = 1 + ci * n_jud / n_counties;
            let super_court = if c.urban > 0.5 {
                format!("{judic}A")
            } else {
                judic.to_string()
            };
            let mut used_names = HashSet::new();
            let twp_names: Vec<String> = (0..n_twp)
                .map(|_| place_name(rng, &mut used_names))
                .collect();
            // City of each precinct: weighted, seat first; sorted so townships follow cities.
            let city_w: Vec<u32> = (0..c.cities.len())
                .map(|k| if k == 0 { 60 } else { 15 })
                .collect();
            let mut pc: Vec<usize> = (0..count).map(|_| rng.weighted(&city_w)).collect();
            pc.sort_unstable();
            let mut ward_counter = vec![0usize; c.cities.len()];
            let mut per_twp = vec![0usize; n_twp];
            for (k, &city_k) in pc.iter().enumerate() {
                let city_idx = c.cities[city_k];
                let city = &cities[city_idx as usize];
                let twp = k * n_twp / count;
                per_twp[twp] += 1;
                let code = format!("{:02}-{:02}", twp + 1, per_twp[twp]);
                let in_muni =
                    rng.chance(0.35 + 0.6 * c.urban.max(if city_k == 0 { 0.6 } else { 0.2 }));
                let name = if in_muni && rng.chance(0.3) {
                    format!("{} {:02}", city.name, k + 1)
                } else {
                    place_name(rng, &mut used_names)
                };
                let congressional = (1 + g * n_cong / n_precincts) as u8;
                let senate = (1 + g * n_sen / n_precincts) as u8;
                let house = (1 + g * n_house / n_precincts) as u16;
                let mut d = DistrictColumns {
                    cong_dist: congressional.to_string(),
                    super_court: super_court.clone(),
                    judic_dist: judic.to_string(),
                    nc_senate: senate.to_string(),
                    nc_house: house.to_string(),
                    township_abbrv: format!("{:02}", twp + 1),
                    township_desc: twp_names[twp].clone(),
                    dist_1_abbrv: judic.to_string(),
                    dist_1_desc: format!("PROSECUTORIAL DISTRICT {judic}"),
                    ..Default::default()
                };
                if commiss > 0 {
                    let n = 1 + k * commiss / count;
                    d.county_commiss_abbrv = n.to_string();
                    d.county_commiss_desc = format!("COMMISSIONER DISTRICT {n}");
                }
                if in_muni {
                    d.municipality_abbrv = city.abbrv.clone();
                    d.municipality_desc = city.name.clone();
                    if city.has_wards {
                        ward_counter[city_k] += 1;
                        let w = (ward_counter[city_k] - 1) % 4 + 1;
                        d.ward_abbrv = format!("W{w}");
                        d.ward_desc = format!("WARD {w}");
                        let m = (b'A' + ((ward_counter[city_k] - 1) / 2 % 5) as u8) as char;
                        d.munic_dist_abbrv = format!("{}{m}", city.abbrv);
                        d.munic_dist_desc = format!("{} COUNCIL DISTRICT {m}", city.name);
                    }
                    if city.school_system {
                        d.school_dist_abbrv = format!("{}CS", city.abbrv);
                        d.school_dist_desc = format!("{} CITY SCHOOLS", city.name);
                    }
                } else {
                    let f = twp + 1;
                    d.fire_dist_abbrv = format!("F{f:02}");
                    d.fire_dist_desc = format!("{} FIRE DISTRICT", twp_names[twp]);
                    if rng.chance(0.1) {
                        d.water_dist_abbrv = "W1".into();
                        d.water_dist_desc = format!("{} WATER DISTRICT I", c.name);
                        if rng.chance(0.5) {
                            d.sewer_dist_abbrv = "S1".into();
                            d.sewer_dist_desc = format!("{} SEWER DISTRICT I", c.name);
                        }
                    }
                    if rng.chance(0.04) {
                        d.sanit_dist_abbrv = "SD1".into();
                        d.sanit_dist_desc = format!("{} SANITARY DISTRICT", twp_names[twp]);
                    }
                    if rng.chance(0.12) {
                        d.rescue_dist_abbrv = format!("R{f}");
                        d.rescue_dist_desc = format!("{} RESCUE DISTRICT", twp_names[twp]);
                    }
                }
                let zip5 = *rng.pick(&city.zips);
                precincts.push(Precinct {
                    code,
                    name,
                    county: ci as u16,
                    city: city_idx,
                    in_municipality: in_muni,
                    zip5,
                    congressional,
                    senate,
                    house,
                    planned_voters: planned[g] as u32,
                    polling_place: PollingPlace {
                        name: String::new(),
                        street: 0,
                        house_number: 0,
                    },
                    districts: d,
                    streets: 0..0,
                });
                g += 1;
            }
            c.precincts = start..precincts.len() as u32;
        }
        Geography {
            counties,
            cities,
            precincts,
            streets: Vec::new(),
            used_names: HashSet::new(),
        }
    }

    /// Adds a street segment to precinct `p` with room for at least `households` addresses.
    /// `continue_from` lets the new segment extend an earlier street of the same city.
    pub(crate) fn add_street(&mut self, rng: &mut MainRng, p: u32, households: u32) -> u32 {
        let prec = &self.precincts[p as usize];
        let city = prec.city;
        let rural = !prec.in_municipality;
        let book = NameBook::get();
        // Maybe continue the latest street of the same city from another precinct.
        if let Some(prev) = self.streets.last()
            && prev.city == city
            && prev.precinct != p
            && prev.unit_style == UnitStyle::None
            && rng.chance(0.25)
        {
            let mut s = prev.clone();
            s.precinct = p;
            s.low = (prev.high / 100 + 1) * 100 + (prev.low % 2);
            s.step = 2 + 2 * rng.below(3) as u32;
            s.high = s.low + s.step * (households + households / 3 + 3);
            s.high = (s.high / 100 + 1) * 100 - 1;
            s.used = 0;
            s.zip5 = prec.zip5;
            self.streets.push(s);
            return self.streets.len() as u32 - 1;
        }
        let apartments = !rural && households > 20 && rng.chance(0.22);
        let (pre_dir, name, suffix) = loop {
            let (pre_dir, name, suffix) = if rural && rng.chance(0.12) {
                let hwy = match rng.index(4) {
                    0 => format!("US HWY {}", 1 + 2 * rng.index(40)),
                    1 => format!("OLD NC HWY {}", 10 + rng.index(190)),
                    _ => format!("NC HWY {}", 10 + rng.index(190)),
                };
                ("", hwy, "")
            } else {
                let pre = if rng.chance(0.09) {
                    *rng.pick(&DIRECTIONS)
                } else {
                    ""
                };
                let base = match rng.index(10) {
                    0..=3 => format!("{} {}", rng.pick(&PLACE_WORDS), rng.pick(&PLACE_TAILS)),
                    4..=6 => (*rng.pick(&PLACE_WORDS)).to_string(),
                    _ => {
                        let i = rng.index(200) as u16;
                        book.surname(i).replace(['\'', '-'], "")
                    }
                };
                let sw: Vec<u32> = SUFFIXES.iter().map(|s| s.2).collect();
                let (abbr, full, _) = SUFFIXES[rng.weighted(&sw)];
                let suffix = if rng.chance(0.08) { full } else { abbr };
                (pre, base, suffix)
            };
            let key = format!("{pre_dir} {name} {suffix}");
            if self.used_names.insert((city, key)) {
                break (pre_dir, name, suffix);
            }
        };
        let (unit_style, units_per_building, step, low) = if apartments {
            let style = match rng.index(10) {
                0..=4 => UnitStyle::AptFloorLetter,
                5..=6 => UnitStyle::AptNumber,
                7..=8 => UnitStyle::Unit,
                _ => UnitStyle::Hash,
            };
            let upb = 12 + 6 * rng.below(4) as u32;
            (
                style,
                upb,
                10 + 10 * rng.below(3) as u32,
                100 * rng.between(1, 40) as u32,
            )
        } else if rural && name.contains("HWY") {
            (
                UnitStyle::None,
                1,
                7 + rng.below(40) as u32,
                1000 * rng.between(1, 14) as u32,
            )
        } else {
            (
                UnitStyle::None,
                1,
                2 + rng.below(5) as u32,
                100 * rng.between(1, 60) as u32 + rng.below(2) as u32,
            )
        };
        let buildings =
            households.div_ceil(units_per_building) + households / (3 * units_per_building) + 2;
        let mut high = low + step * buildings;
        high = (high / 100 + 1) * 100 - 1;
        let zip5 = if rng.chance(0.8) {
            prec.zip5
        } else {
            *rng.pick(&self.cities[city as usize].zips)
        };
        self.streets.push(Street {
            pre_dir,
            name,
            suffix,
            city,
            zip5,
            precinct: p,
            low,
            high,
            unit_style,
            step,
            units_per_building,
            used: 0,
        });
        self.streets.len() as u32 - 1
    }
}
