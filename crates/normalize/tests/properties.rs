//! Property tests of every public normaliser over arbitrary Unicode: none may panic on
//! any input (a voter file or a request can hold anything), and each keeps the
//! invariants its documentation promises: normalising twice equals normalising once,
//! ZIPs, state codes and E.164 numbers are ASCII of their fixed shapes, and so on.
//! Issue 13 found `normalize_zip` panicking on `1234É678`; these make that class of bug
//! fail `cargo test`.

use proptest::prelude::*;
use votebase_normalize::{
    COMMON_DATE_FORMATS, clean_text, normalize_address, normalize_name_part, normalize_phone,
    normalize_state, normalize_suffix, normalize_zip, parse_date, parse_street_line, parse_year,
    split_full_name, state_code,
};

/// Words and characters that steer the parsers into their interesting branches, mixed
/// with arbitrary Unicode: digits, USPS words, units, directions, punctuation and
/// multi-byte letters next to byte offsets the parsers care about.
const PIECES: &[&str] = &[
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "27601",
    "1234",
    "0000",
    "00000",
    "-",
    " ",
    "  ",
    ",",
    ".",
    "#",
    "/",
    "1/2",
    "N",
    "S",
    "NE",
    "NORTH",
    "W148",
    "N123W4567",
    "MAIN",
    "ST",
    "AVE",
    "AVENUE",
    "HWY",
    "COUNTY",
    "RD",
    "APT",
    "APT4",
    "STE",
    "#4",
    "FL",
    "9TH",
    "FLOOR",
    "REAR",
    "PH",
    "PO",
    "BOX",
    "P.O.",
    "RR",
    "HC",
    "ONE",
    "5TH",
    "JR",
    "III",
    "2ND",
    "MR",
    "DR",
    "ESQ",
    "DE",
    "LA",
    "VAN",
    "I",
    "V",
    "O'NEIL",
    "SMITH-JONES",
    "NULL",
    "N/A",
    "\u{c9}",
    "\u{e9}",
    "\u{df}",
    "\u{130}",
    "\u{149}",
    "\u{1f0}",
    "\u{390}",
    "\u{fb00}",
    "\u{301}",
    "\u{a0}",
    "\u{feff}",
    "\u{200b}",
    "\u{0}",
    "\t",
    "\n",
    "\u{2028}",
    "\u{ff12}",
    "\u{1f600}",
    "+",
    "+1",
    "011",
    "(919)",
    "555-0123",
    "x12",
    "ext.",
    "/",
    "%",
    "%Y",
    "%m",
    "%d",
    "NC",
    "N.C.",
    "North Carolina",
    "Puerto Rico",
];

/// Arbitrary Unicode text, or a string built from [`PIECES`] and arbitrary characters.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(PIECES).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        // Failures found here are kept as named tests instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn clean_text_is_trimmed_collapsed_and_idempotent(raw in text()) {
        let once = clean_text(&raw);
        prop_assert_eq!(once.trim(), once.as_str());
        prop_assert!(!once.contains("  "), "{:?}", once);
        prop_assert!(!once.chars().any(|c| c.is_control()), "{:?}", once);
        prop_assert_eq!(clean_text(&once), once.clone());
    }

    #[test]
    fn name_parts_are_idempotent(raw in text()) {
        let once = normalize_name_part(&raw);
        prop_assert_eq!(normalize_name_part(&once), once.clone());
        for word in once.split(' ').filter(|_| !once.is_empty()) {
            prop_assert!(!word.is_empty(), "{:?}", once);
            prop_assert!(word.starts_with(char::is_alphanumeric), "{:?}", once);
            prop_assert!(word.ends_with(char::is_alphanumeric), "{:?}", once);
        }
        let suffix = normalize_suffix(&raw);
        prop_assert_eq!(normalize_suffix(&suffix), suffix);
    }

    #[test]
    fn full_names_split_into_clean_parts(raw in text()) {
        let parsed = split_full_name(&raw);
        // Each part is cleaned words: trimmed, single-spaced, no punctuation at a word's
        // edge. (Not always a fixed point of `normalize_name_part`: a word such as `NULL`
        // is a name word inside a full name but a null marker on its own.)
        for part in [&parsed.first, &parsed.middle, &parsed.last] {
            prop_assert_eq!(part.trim(), part.as_str(), "{:?}", parsed);
            prop_assert!(!part.contains("  ") && !part.chars().any(char::is_control), "{:?}", parsed);
            for word in part.split(' ').filter(|_| !part.is_empty()) {
                prop_assert!(word.starts_with(char::is_alphanumeric), "{:?}", parsed);
                prop_assert!(word.ends_with(char::is_alphanumeric), "{:?}", parsed);
            }
        }
        // Something non-blank always keeps a surname.
        if !normalize_name_part(&raw.replace(',', " ")).is_empty() && parsed.suffix.is_empty() {
            prop_assert!(!parsed.last.is_empty(), "{:?} -> {:?}", raw, parsed);
        }
    }

    #[test]
    fn street_lines_parse_and_reparse_to_themselves(raw in text()) {
        let a = parse_street_line(&raw);
        prop_assert_eq!(&a.raw, &raw);
        prop_assert!(a.city.is_empty() && a.state.is_empty() && a.zip5.is_empty());
        let line = a.line1();
        prop_assert_eq!(line.trim(), line.as_str());
        // The canonical line is a fixed point: parsing it again gives it back.
        let again = parse_street_line(&line);
        prop_assert_eq!(again.line1(), line.clone(), "{:?} -> {:?}", raw, a);
    }

    #[test]
    fn zips_are_five_and_four_ascii_digits(raw in text()) {
        let (zip5, zip4) = normalize_zip(&raw);
        prop_assert!(zip5.is_empty() || (zip5.len() == 5 && zip5.bytes().all(|b| b.is_ascii_digit())));
        prop_assert!(zip4.is_empty() || (zip4.len() == 4 && zip4.bytes().all(|b| b.is_ascii_digit())));
        prop_assert!(zip4.is_empty() || !zip5.is_empty());
        prop_assert_ne!(zip5.as_str(), "00000");
        if !zip5.is_empty() {
            prop_assert_eq!(normalize_zip(&zip5), (zip5.clone(), String::new()));
            let full = if zip4.is_empty() { zip5.clone() } else { format!("{zip5}-{zip4}") };
            prop_assert_eq!(normalize_zip(&full), (zip5, zip4));
        }
    }

    #[test]
    fn zips_survive_multibyte_characters_anywhere(
        digits in "[0-9]{9}",
        at in 0usize..10,
        c in any::<char>().prop_filter("multi-byte, not space", |c| !c.is_ascii() && !c.is_whitespace()),
    ) {
        let mut raw = digits;
        raw.insert(at, c);
        prop_assert_eq!(normalize_zip(&raw), (String::new(), String::new()));
    }

    #[test]
    fn states_are_two_ascii_letters_and_fixed_points(raw in text()) {
        if let Some(code) = state_code(&raw) {
            prop_assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()), "{}", code);
            prop_assert_eq!(state_code(code), Some(code));
        }
        let state = normalize_state(&raw);
        prop_assert_eq!(normalize_state(&state), state);
    }

    #[test]
    fn whole_addresses_combine_the_parts(line in text(), city in text(), state in text(), zip in text()) {
        let a = normalize_address(&line, &city, &state, &zip);
        prop_assert_eq!(a.city, clean_text(&city));
        prop_assert_eq!(a.state, normalize_state(&state));
        prop_assert_eq!((a.zip5, a.zip4), normalize_zip(&zip));
    }

    #[test]
    fn phones_are_e164_or_empty_and_idempotent(raw in text()) {
        let p = normalize_phone(&raw);
        prop_assert_eq!(&p.raw, if raw.trim().is_empty() { "" } else { raw.as_str() });
        if !p.e164.is_empty() {
            prop_assert!(p.e164.starts_with('+'), "{:?}", p);
            prop_assert!(p.e164.len() <= 16 && p.e164[1..].bytes().all(|b| b.is_ascii_digit()), "{:?}", p);
            prop_assert_eq!(normalize_phone(&p.e164).e164, p.e164.clone());
        }
    }

    #[test]
    fn phones_written_as_digits_never_panic(digits in "[+]?[0-9 ().x-]{0,24}") {
        let p = normalize_phone(&digits);
        prop_assert!(p.e164.is_empty() || p.e164.starts_with('+'));
    }

    #[test]
    fn dates_parse_to_themselves(raw in text()) {
        if let Ok(Some(date)) = parse_date(&raw, COMMON_DATE_FORMATS) {
            let iso = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse_date(&iso, COMMON_DATE_FORMATS), Ok(Some(date)));
        }
        match parse_year(&raw) {
            Ok(Some(y)) => prop_assert!((1850..=2100).contains(&y)),
            Ok(None) => prop_assert!(raw.trim().is_empty()),
            Err(_) => {}
        }
    }

    #[test]
    fn dates_with_any_layout_format_never_panic(raw in text(), format in text()) {
        // A layout file names its own formats: any format string must be safe.
        let _ = parse_date(&raw, &[format.as_str()]);
    }

    #[test]
    fn date_shaped_values_never_panic(raw in "[0-9]{0,4}[/-]?[0-9\u{e9}]{0,3}[/-]?[0-9]{0,5}") {
        let _ = parse_date(&raw, COMMON_DATE_FORMATS);
        let _ = parse_date(&raw, &["%m/%d/%y", "%d.%m.%Y", "%Y%m%d"]);
    }
}

/// The input issue 13 reported, kept as a named case.
#[test]
fn the_reported_zip_no_longer_panics() {
    assert_eq!(
        normalize_zip("1234\u{c9}678"),
        (String::new(), String::new())
    );
}

/// Found by CI's proptest run: a null marker followed by punctuation parsed to a street
/// named `NULL` whose canonical line then parsed to nothing.
#[test]
fn a_null_marker_with_punctuation_is_no_street() {
    for raw in ["NULL,", "null;", "N/A.", "(NULL),", "NULL#"] {
        let parsed = parse_street_line(raw);
        assert_eq!(parsed.line1(), "", "{raw:?}");
    }
    assert_eq!(parse_street_line("NULL ST").line1(), "NULL ST");
}

/// Found by CI's proptest run: a trailing number sign hid a bare unit that the canonical
/// line, without the sign, then showed.
#[test]
fn a_trailing_number_sign_does_not_change_the_reading() {
    for raw in [
        "#\u{a0}ST\u{a0}W148#",
        "5TH\u{a0}APT#NORTH",
        "12 MAIN ST 4B #",
        // A spelled direction after a designator: the canonical line abbreviates it.
        "#\u{a0}FLOOR NORTH",
        "BOX NORTH",
    ] {
        let line = parse_street_line(raw).line1();
        assert_eq!(parse_street_line(&line).line1(), line, "{raw:?}");
    }
    assert_eq!(
        parse_street_line("12 MAIN ST 4B #").line1(),
        "12 MAIN ST # 4B"
    );
}
