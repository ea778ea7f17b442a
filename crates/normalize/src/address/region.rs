//! The place part of an address: ZIP codes to ZIP5 + ZIP+4, and states, DC, territories
//! and military states, by code, name or a common alias, to their two-letter codes.

use super::street::tokenize;
use crate::clean_text;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Cleans a ZIP code into (ZIP5, ZIP+4): `27601`, `27601-1234`, `276011234`,
/// `27601 1234`. Four digits are a ZIP that lost its leading zero (`2760` -> `02760`,
/// New England ZIPs stored as numbers). Blank, non-numeric or any other length gives
/// `("", "")`; so does `00000`. A `0000` add-on is dropped.
pub fn normalize_zip(raw: &str) -> (String, String) {
    let value = raw.trim();
    let none = || (String::new(), String::new());
    // Only ASCII can be a ZIP, and only ASCII may be cut at a byte offset below (`1234É678`
    // is nine bytes with `É` across byte 5): refuse everything else before any slicing.
    if !value.is_ascii() {
        return none();
    }
    let (zip5, zip4) = match value.split_once(['-', ' ']) {
        Some((a, b)) => (a.trim(), b.trim()),
        None if value.len() == 9 => value.split_at(5),
        None => (value, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(zip5) || !all_digits(zip4) {
        return none();
    }
    let zip5 = match zip5.len() {
        5 => zip5.to_string(),
        4 => format!("0{zip5}"),
        _ => return none(),
    };
    if zip5 == "00000" {
        return none();
    }
    let zip4 = match zip4.len() {
        4 if zip4 != "0000" => zip4.to_string(),
        0 | 4 => String::new(),
        _ => return none(),
    };
    (zip5, zip4)
}

/// States, DC, territories, freely associated states and military "states", by name.
pub(super) const STATES: &[(&str, &str)] = &[
    ("AL", "ALABAMA"),
    ("AK", "ALASKA"),
    ("AZ", "ARIZONA"),
    ("AR", "ARKANSAS"),
    ("CA", "CALIFORNIA"),
    ("CO", "COLORADO"),
    ("CT", "CONNECTICUT"),
    ("DE", "DELAWARE"),
    ("DC", "DISTRICT OF COLUMBIA"),
    ("FL", "FLORIDA"),
    ("GA", "GEORGIA"),
    ("HI", "HAWAII"),
    ("ID", "IDAHO"),
    ("IL", "ILLINOIS"),
    ("IN", "INDIANA"),
    ("IA", "IOWA"),
    ("KS", "KANSAS"),
    ("KY", "KENTUCKY"),
    ("LA", "LOUISIANA"),
    ("ME", "MAINE"),
    ("MD", "MARYLAND"),
    ("MA", "MASSACHUSETTS"),
    ("MI", "MICHIGAN"),
    ("MN", "MINNESOTA"),
    ("MS", "MISSISSIPPI"),
    ("MO", "MISSOURI"),
    ("MT", "MONTANA"),
    ("NE", "NEBRASKA"),
    ("NV", "NEVADA"),
    ("NH", "NEW HAMPSHIRE"),
    ("NJ", "NEW JERSEY"),
    ("NM", "NEW MEXICO"),
    ("NY", "NEW YORK"),
    ("NC", "NORTH CAROLINA"),
    ("ND", "NORTH DAKOTA"),
    ("OH", "OHIO"),
    ("OK", "OKLAHOMA"),
    ("OR", "OREGON"),
    ("PA", "PENNSYLVANIA"),
    ("RI", "RHODE ISLAND"),
    ("SC", "SOUTH CAROLINA"),
    ("SD", "SOUTH DAKOTA"),
    ("TN", "TENNESSEE"),
    ("TX", "TEXAS"),
    ("UT", "UTAH"),
    ("VT", "VERMONT"),
    ("VA", "VIRGINIA"),
    ("WA", "WASHINGTON"),
    ("WV", "WEST VIRGINIA"),
    ("WI", "WISCONSIN"),
    ("WY", "WYOMING"),
    ("AS", "AMERICAN SAMOA"),
    ("GU", "GUAM"),
    ("MP", "NORTHERN MARIANA ISLANDS"),
    ("PR", "PUERTO RICO"),
    ("VI", "VIRGIN ISLANDS"),
    ("UM", "UNITED STATES MINOR OUTLYING ISLANDS"),
    ("FM", "FEDERATED STATES OF MICRONESIA"),
    ("MH", "MARSHALL ISLANDS"),
    ("PW", "PALAU"),
    ("AA", "ARMED FORCES AMERICAS"),
    ("AE", "ARMED FORCES EUROPE"),
    ("AP", "ARMED FORCES PACIFIC"),
];

/// Other spellings seen in files: traditional abbreviations and shortened names.
pub(super) const STATE_ALIASES: &[(&str, &str)] = &[
    ("ALA", "AL"),
    ("ARIZ", "AZ"),
    ("ARK", "AR"),
    ("CALIF", "CA"),
    ("CAL", "CA"),
    ("COLO", "CO"),
    ("CONN", "CT"),
    ("DEL", "DE"),
    ("WASHINGTON DC", "DC"),
    ("WASHINGTON D C", "DC"),
    ("D C", "DC"),
    ("FLA", "FL"),
    ("ILL", "IL"),
    ("IND", "IN"),
    ("KANS", "KS"),
    ("MASS", "MA"),
    ("MICH", "MI"),
    ("MINN", "MN"),
    ("MISS", "MS"),
    ("MONT", "MT"),
    ("NEBR", "NE"),
    ("NEV", "NV"),
    ("N CAROLINA", "NC"),
    ("N DAKOTA", "ND"),
    ("OKLA", "OK"),
    ("ORE", "OR"),
    ("PENN", "PA"),
    ("PENNA", "PA"),
    ("S CAROLINA", "SC"),
    ("S DAKOTA", "SD"),
    ("TENN", "TN"),
    ("TEX", "TX"),
    ("WASH", "WA"),
    ("W VIRGINIA", "WV"),
    ("W VA", "WV"),
    ("WIS", "WI"),
    ("WISC", "WI"),
    ("WYO", "WY"),
    ("US VIRGIN ISLANDS", "VI"),
    ("U S VIRGIN ISLANDS", "VI"),
    ("COMMONWEALTH OF PUERTO RICO", "PR"),
    ("MICRONESIA", "FM"),
];

/// Every code, name and alias, to the two-letter code.
pub(super) static STATE_INDEX: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| {
        let mut map = HashMap::with_capacity(STATES.len() * 2 + STATE_ALIASES.len());
        for &(code, name) in STATES {
            map.insert(code, code);
            map.insert(name, code);
        }
        for &(alias, code) in STATE_ALIASES {
            map.insert(alias, code);
        }
        map
    });

/// The two-letter code of a state, DC, territory or military state given by code or
/// name in any case and punctuation (`nc`, `N.C.`, `North Carolina`), if it is one.
pub fn state_code(raw: &str) -> Option<&'static str> {
    let cleaned = clean_text(raw);
    if let Some(code) = STATE_INDEX.get(cleaned.as_str()) {
        return Some(code);
    }
    // Without punctuation the tokenized form is the cleaned text itself (already trimmed
    // and with single spaces), just looked up: only a spaced-out code (`N C`) is left.
    // A lookup tries the last words of every address this way, so this path is hot.
    if !cleaned.contains(['.', ',', ';', '#']) {
        if cleaned.bytes().filter(|b| *b != b' ').count() != 2 {
            return None;
        }
        let compact: String = cleaned.chars().filter(|c| *c != ' ').collect();
        return STATE_INDEX.get(compact.as_str()).copied();
    }
    code_by_tokenizing(&cleaned)
}

/// The code of cleaned text read word by word: tokenized (periods dropped or turned into
/// spaces as in street lines), then the words as a name, or run together as a code.
pub(super) fn code_by_tokenizing(cleaned: &str) -> Option<&'static str> {
    let simplified: String = tokenize(&cleaned.replace('.', ". "))
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let compact: String = simplified.chars().filter(|c| *c != ' ').collect();
    STATE_INDEX
        .get(simplified.as_str())
        .or_else(|| {
            (compact.len() == 2)
                .then(|| STATE_INDEX.get(compact.as_str()))
                .flatten()
        })
        .copied()
}

/// The two-letter code of a state (`nc`, `North Carolina` -> `NC`), covering the 50
/// states, DC, the territories and the military codes; a value that is none of them
/// comes back cleaned as by [`clean_text`], for the caller to flag.
pub fn normalize_state(raw: &str) -> String {
    match state_code(raw) {
        Some(code) => code.to_string(),
        None => clean_text(raw),
    }
}
