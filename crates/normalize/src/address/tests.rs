//! Unit tests of the street-line parser, ZIP and state normalisers.

use super::region::*;
use super::street::*;
use super::tables::*;
use super::*;

/// (house, pre, name, suffix, post, unit type, unit) of a parsed line.
fn parts(line: &str) -> [String; 7] {
    let a = parse_street_line(line);
    assert_eq!(a.raw, line);
    [
        a.house_number,
        a.pre_direction,
        a.street_name,
        a.street_suffix,
        a.post_direction,
        a.unit_type,
        a.unit,
    ]
}

fn check(line: &str, want: [&str; 7]) {
    assert_eq!(parts(line), want.map(String::from), "{line:?}");
}

#[test]
fn brief_examples() {
    check(
        "795 JOHNSON CLUB APT. 394",
        ["795", "", "JOHNSON", "CLB", "", "APT", "394"],
    );
    check(
        "1162 N Schiller Road Suite 5",
        ["1162", "N", "SCHILLER", "RD", "", "STE", "5"],
    );
    check(
        "7292 JUAN LOCKS SUITE 970",
        ["7292", "", "JUAN", "LCKS", "", "STE", "970"],
    );
    check(
        "12B W 5th Street #4",
        ["12B", "W", "5TH", "ST", "", "#", "4"],
    );
    check("PO BOX 12", ["", "", "PO BOX 12", "", "", "", ""]);
    check("RR 2 BOX 40", ["", "", "RR 2 BOX 40", "", "", "", ""]);
}

#[test]
fn common_lines() {
    check("123 Main St", ["123", "", "MAIN", "ST", "", "", ""]);
    check("123 N. Main Street", ["123", "N", "MAIN", "ST", "", "", ""]);
    check("123 MAIN ST NW", ["123", "", "MAIN", "ST", "NW", "", ""]);
    check(
        "123 main st., apt 4b",
        ["123", "", "MAIN", "ST", "", "APT", "4B"],
    );
    // As USPS has Houston's SOUTHWEST FWY: the direction is the name.
    check(
        "4500 Southwest Freeway",
        ["4500", "", "SOUTHWEST", "FWY", "", "", ""],
    );
    check(
        "4500 Southwest Pine Freeway",
        ["4500", "SW", "PINE", "FWY", "", "", ""],
    );
    check(
        "222 7th Street Southeast",
        ["222", "", "7TH", "ST", "SE", "", ""],
    );
    check(
        "10 Brooks Passage",
        ["10", "", "BROOKS", "PSGE", "", "", ""],
    );
    check("55 Sunset Fields", ["55", "", "SUNSET", "FLDS", "", "", ""]);
    check(
        "1 Railroad Junction",
        ["1", "", "RAILROAD", "JCT", "", "", ""],
    );
    check("9 Mill Brooks", ["9", "", "MILL", "BRKS", "", "", ""]);
    check(
        "301 Lake Shore Blvd",
        ["301", "", "LAKE SHORE", "BLVD", "", "", ""],
    );
    check("12 O'Hara Ln", ["12", "", "O'HARA", "LN", "", "", ""]);
    check("7 1/2 Elm Ave", ["7 1/2", "", "ELM", "AVE", "", "", ""]);
    check("123-A Oak Ct", ["123-A", "", "OAK", "CT", "", "", ""]);
    check(
        "N123W4567 Main St",
        ["N123W4567", "", "MAIN", "ST", "", "", ""],
    );
    check(
        "W148 N9748 Tree Tops Dr",
        ["W148 N9748", "", "TREE TOPS", "DR", "", "", ""],
    );
    check(
        "One S. Wacker Dr.",
        ["ONE", "S", "WACKER", "DR", "", "", ""],
    );
    check(
        "2959 Lucerne Dr S E",
        ["2959", "", "LUCERNE", "DR", "SE", "", ""],
    );
    check("30 5th Street N. E.", ["30", "", "5TH", "ST", "NE", "", ""]);
    check("7509 13th Ave No", ["7509", "", "13TH", "AVE", "N", "", ""]);
    check("1520 N Wells", ["1520", "N", "WELLS", "", "", "", ""]);
    check("216 N. Pine", ["216", "N", "PINE", "", "", "", ""]);
    check("100 Mopac Expwy", ["100", "", "MOPAC", "EXPY", "", "", ""]);
    check("Main St", ["", "", "MAIN", "ST", "", "", ""]);
    check("5th Ave", ["", "", "5TH", "AVE", "", "", ""]);
    check("", ["", "", "", "", "", "", ""]);
    check("   ", ["", "", "", "", "", "", ""]);
    check("123", ["123", "", "", "", "", "", ""]);
}

#[test]
fn suffix_words_as_names() {
    check("100 PARK AVE", ["100", "", "PARK", "AVE", "", "", ""]);
    check("100 AVENUE B", ["100", "", "AVENUE B", "", "", "", ""]);
    check("10 CIRCLE DR", ["10", "", "CIRCLE", "DR", "", "", ""]);
    check("100 PARK", ["100", "", "PARK", "", "", "", ""]);
    check("100 AVENUE N", ["100", "", "AVENUE N", "", "", "", ""]);
    check(
        "9912 S. Avenue H",
        ["9912", "S", "AVENUE H", "", "", "", ""],
    );
    check(
        "100 Court Street Ext",
        ["100", "", "COURT STREET", "EXT", "", "", ""],
    );
    check("100 St James Pl", ["100", "", "ST JAMES", "PL", "", "", ""]);
    check(
        "100 St. James Pl",
        ["100", "", "ST JAMES", "PL", "", "", ""],
    );
    check(
        "100 Ste Genevieve Ave",
        ["100", "", "STE GENEVIEVE", "AVE", "", "", ""],
    );
    check("100 Lot Rd", ["100", "", "LOT", "RD", "", "", ""]);
    check("100 Front St", ["100", "", "FRONT", "ST", "", "", ""]);
}

#[test]
fn directions_need_a_name_beside_them() {
    check("100 N ST", ["100", "", "N", "ST", "", "", ""]);
    check("100 North Ave", ["100", "", "NORTH", "AVE", "", "", ""]);
    check("100 N ST NE", ["100", "", "N", "ST", "NE", "", ""]);
    check("100 WEST ST", ["100", "", "WEST", "ST", "", "", ""]);
    check("100 E WEST ST", ["100", "E", "WEST", "ST", "", "", ""]);
    check("100 N", ["100", "", "N", "", "", "", ""]);
    check("100 N S", ["100", "N", "S", "", "", "", ""]);
    check("100 MAIN N", ["100", "", "MAIN", "", "N", "", ""]);
    check("100 N MAIN ST N", ["100", "N", "MAIN", "ST", "N", "", ""]);
    check("100 NORTHWEST MAIN", ["100", "NW", "MAIN", "", "", "", ""]);
}

#[test]
fn names_with_titles_and_ordinals() {
    check(
        "8128 S. DR MARTIN LUTHER KING JR Drive",
        ["8128", "S", "DR MARTIN LUTHER KING JR", "DR", "", "", ""],
    );
    check(
        "100 Martin Luther King Jr Blvd",
        ["100", "", "MARTIN LUTHER KING JR", "BLVD", "", "", ""],
    );
    check(
        "2610 West 25th Place",
        ["2610", "W", "25TH", "PL", "", "", ""],
    );
    check("1 Fifth Avenue", ["1", "", "FIFTH", "AVE", "", "", ""]);
    check("40 103rd St", ["40", "", "103RD", "ST", "", "", ""]);
}

#[test]
fn routes_and_highways() {
    check("100 HWY 64", ["100", "", "HWY 64", "", "", "", ""]);
    check(
        "100 Highway 64 E",
        ["100", "", "HIGHWAY 64", "", "E", "", ""],
    );
    check(
        "5 County Road 12",
        ["5", "", "COUNTY ROAD 12", "", "", "", ""],
    );
    check(
        "5 State Route 9 Apt 2",
        ["5", "", "STATE ROUTE 9", "", "", "APT", "2"],
    );
    check(
        "5 US Highway 1 N",
        ["5", "", "US HIGHWAY 1", "", "N", "", ""],
    );
    check(
        "5 Interstate Hwy 40",
        ["5", "", "INTERSTATE HWY 40", "", "", "", ""],
    );
}

#[test]
fn a_hyphen_before_a_bare_unit_is_punctuation() {
    // Found by the property tests: `- 1` read as an untyped unit, `1` as `#`.
    check("12 Main St - 4", ["12", "", "MAIN", "ST", "", "#", "4"]);
    // Likewise a number sign without a number, and an accent that a dropped period
    // brought next to its letter.
    for raw in ["RD\0ext.-,1", "-##", "P.O.\u{301}"] {
        let a = parse_street_line(raw);
        assert_eq!(parse_street_line(&a.line1()).line1(), a.line1(), "{raw:?}");
    }
    assert_eq!(parse_street_line("P.O.\u{301}").street_name, "P\u{d3}");
}

#[test]
fn units() {
    check(
        "123 Main St Apt 4",
        ["123", "", "MAIN", "ST", "", "APT", "4"],
    );
    check(
        "123 Main St Apartment B",
        ["123", "", "MAIN", "ST", "", "APT", "B"],
    );
    check(
        "123 Main St Apt #4",
        ["123", "", "MAIN", "ST", "", "APT", "4"],
    );
    check(
        "123 Main St APT#4",
        ["123", "", "MAIN", "ST", "", "APT", "4"],
    );
    check("123 Main St # 4", ["123", "", "MAIN", "ST", "", "#", "4"]);
    check(
        "123 Main St, #4-B",
        ["123", "", "MAIN", "ST", "", "#", "4-B"],
    );
    check(
        "123 Main St Ste. 200",
        ["123", "", "MAIN", "ST", "", "STE", "200"],
    );
    check(
        "123 Main St Unit 7",
        ["123", "", "MAIN", "ST", "", "UNIT", "7"],
    );
    check(
        "123 Main St Bldg 5",
        ["123", "", "MAIN", "ST", "", "BLDG", "5"],
    );
    check(
        "123 Main St Building C Apt 2",
        ["123", "", "MAIN", "ST", "", "BLDG", "C APT 2"],
    );
    check(
        "123 Main St Floor 3",
        ["123", "", "MAIN", "ST", "", "FL", "3"],
    );
    check(
        "123 Main St 3rd Floor",
        ["123", "", "MAIN", "ST", "", "FL", "3"],
    );
    check(
        "123 Main St Rm 101",
        ["123", "", "MAIN", "ST", "", "RM", "101"],
    );
    check(
        "123 Main St Lot 12",
        ["123", "", "MAIN", "ST", "", "LOT", "12"],
    );
    check(
        "123 Main St Trailer 9",
        ["123", "", "MAIN", "ST", "", "TRLR", "9"],
    );
    check(
        "123 Main St Space 9",
        ["123", "", "MAIN", "ST", "", "SPC", "9"],
    );
    check(
        "123 Main St Rear",
        ["123", "", "MAIN", "ST", "", "REAR", ""],
    );
    check(
        "123 Main St Bsmt",
        ["123", "", "MAIN", "ST", "", "BSMT", ""],
    );
    check(
        "123 Main St N Upper",
        ["123", "", "MAIN", "ST", "N", "UPPR", ""],
    );
    check("123 Main St PH", ["123", "", "MAIN", "ST", "", "PH", ""]);
    check("123 Main St PH 2", ["123", "", "MAIN", "ST", "", "PH", "2"]);
    check(
        "123 Main St Apt4",
        ["123", "", "MAIN", "ST", "", "APT", "4"],
    );
    check(
        "123 Main St STE100A",
        ["123", "", "MAIN", "ST", "", "STE", "100A"],
    );
    check("123 Main St 4B", ["123", "", "MAIN", "ST", "", "#", "4B"]);
    check("123 Main 4B", ["123", "", "MAIN 4B", "", "", "", ""]);
    check(
        "123 N Main St NW Apt 4",
        ["123", "N", "MAIN", "ST", "NW", "APT", "4"],
    );
    check(
        "720 10th Ave SW A",
        ["720", "", "10TH", "AVE", "SW", "#", "A"],
    );
    check(
        "720 10th Ave S W 5",
        ["720", "", "10TH", "AVE", "SW", "#", "5"],
    );
    check(
        "4101 Winnfield Road, 106 D",
        ["4101", "", "WINNFIELD", "RD", "", "#", "106 D"],
    );
    check(
        "1424 Stonebridge Cir No L2",
        ["1424", "", "STONEBRIDGE", "CIR", "", "#", "L2"],
    );
    check(
        "4949 Harrison Ave. No. 102",
        ["4949", "", "HARRISON", "AVE", "", "#", "102"],
    );
    check(
        "1750 Tysons Blvd Fourth Fl",
        ["1750", "", "TYSONS", "BLVD", "", "FL", "4"],
    );
    check(
        "121 N LaSalle St, 9th Floor Room 905",
        ["121", "N", "LASALLE", "ST", "", "FL", "9 ROOM 905"],
    );
    check(
        "3520 Okemos Rd PMB 175",
        ["3520", "", "OKEMOS", "RD", "", "PMB", "175"],
    );
    check("100 Park Ave B", ["100", "", "PARK", "AVE", "", "#", "B"]);
    check(
        "2400 Riverfront Dr Mailbox 2825",
        ["2400", "", "RIVERFRONT", "DR", "", "", "MAILBOX 2825"],
    );
    check(
        "254 U.S. Highway No 202",
        ["254", "", "US HIGHWAY NO 202", "", "", "", ""],
    );
    check(
        "1234 County Hwy 60E",
        ["1234", "", "COUNTY HWY 60E", "", "", "", ""],
    );
    check(
        "7441 East County Road Y",
        ["7441", "E", "COUNTY ROAD Y", "", "", "", ""],
    );
    // A designator left without its number still ends the street.
    check("123 Main St Apt", ["123", "", "MAIN", "ST", "", "APT", ""]);
    check("123 Main St Apt.", ["123", "", "MAIN", "ST", "", "APT", ""]);
}

#[test]
fn boxes_and_routes() {
    for (line, want) in [
        ("PO BOX 12", "PO BOX 12"),
        ("P.O. Box 12", "PO BOX 12"),
        ("P O Box 12", "PO BOX 12"),
        ("POB 12", "PO BOX 12"),
        ("P.O.BOX 12", "PO BOX 12"),
        ("Post Office Box 1234", "PO BOX 1234"),
        ("Box 77", "PO BOX 77"),
        ("PO Box #5", "PO BOX 5"),
        ("RR 2 BOX 40", "RR 2 BOX 40"),
        ("R.R. 2 Box 40", "RR 2 BOX 40"),
        ("Rural Route 2, Box 40", "RR 2 BOX 40"),
        ("Rt 2 Box 40", "RR 2 BOX 40"),
        ("RR 2 BX 40", "RR 2 BOX 40"),
        ("RR 7", "RR 7"),
        ("HC 1 Box 5", "HC 1 BOX 5"),
        ("HCR 1 Box 5", "HC 1 BOX 5"),
    ] {
        let a = parse_street_line(line);
        assert_eq!(a.street_name, want, "{line:?}");
        assert_eq!(a.house_number, "", "{line:?}");
    }
    // Not boxes: the keyword has no number after it.
    check("Box Elder Rd", ["", "", "BOX ELDER", "RD", "", "", ""]);
    check("Rt 9", ["", "", "RT 9", "", "", "", ""]);
}

#[test]
fn suffix_table() {
    for (word, want) in [
        ("STREET", "ST"),
        ("ST", "ST"),
        ("STR", "ST"),
        ("AVENUE", "AVE"),
        ("AV", "AVE"),
        ("ROAD", "RD"),
        ("CLUB", "CLB"),
        ("LOCKS", "LCKS"),
        ("BROOKS", "BRKS"),
        ("PASSAGE", "PSGE"),
        ("FIELDS", "FLDS"),
        ("JUNCTION", "JCT"),
        ("JCTN", "JCT"),
        ("MEADOW", "MDW"),
        ("MDW", "MDW"),
        ("MEADOWS", "MDWS"),
        ("PARKWAYS", "PKWY"),
        ("CROSSING", "XING"),
        ("TURNPIKE", "TPKE"),
        ("HEIGHTS", "HTS"),
        ("WY", "WAY"),
    ] {
        assert_eq!(street_suffix(word), Some(want), "{word}");
    }
    for word in ["MAIN", "FLOOR", "N", "APT", ""] {
        assert_eq!(street_suffix(word), None, "{word}");
    }
    // Every standard abbreviation maps to itself, every primary name to its own.
    for &(primary, abbr, variants) in STREET_SUFFIXES {
        assert_eq!(street_suffix(abbr), Some(abbr));
        assert_eq!(street_suffix(primary), Some(abbr));
        for v in variants {
            assert_eq!(street_suffix(v), Some(abbr), "{v}");
        }
    }
    assert!(STREET_SUFFIXES.len() >= 190, "{}", STREET_SUFFIXES.len());
}

#[test]
fn zips() {
    let z = |raw: &str| normalize_zip(raw);
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(z("27601"), pair("27601", ""));
    assert_eq!(z(" 27601 "), pair("27601", ""));
    assert_eq!(z("27601-1234"), pair("27601", "1234"));
    assert_eq!(z("27601 1234"), pair("27601", "1234"));
    assert_eq!(z("276011234"), pair("27601", "1234"));
    assert_eq!(z("27601-"), pair("27601", ""));
    assert_eq!(z("2760"), pair("02760", ""));
    assert_eq!(z("02760"), pair("02760", ""));
    assert_eq!(z("27601-0000"), pair("27601", ""));
    for bad in [
        "",
        " ",
        "276",
        "276011",
        "27601234",
        "ABCDE",
        "2760A",
        "27601-12",
        "00000",
        "27601-ABCD",
        "２７６０１",
        // Nine bytes with a multi-byte character across byte 5: used to panic on slicing.
        "1234\u{c9}678",
        "2760\u{c9}12",
        "12345678\u{e9}",
    ] {
        assert_eq!(z(bad), pair("", ""), "{bad:?}");
    }
}

#[test]
fn states() {
    for (raw, want) in [
        ("nc", "NC"),
        ("NC", "NC"),
        (" N.C. ", "NC"),
        ("North Carolina", "NC"),
        ("north  carolina", "NC"),
        ("N. Carolina", "NC"),
        ("District of Columbia", "DC"),
        ("Washington, D.C.", "DC"),
        ("D.C.", "DC"),
        ("Puerto Rico", "PR"),
        ("guam", "GU"),
        ("AE", "AE"),
        ("Calif.", "CA"),
        ("Mass", "MA"),
        ("West Virginia", "WV"),
        ("washington", "WA"),
    ] {
        assert_eq!(normalize_state(raw), want, "{raw:?}");
    }
    assert_eq!(normalize_state("Ontario"), "ONTARIO");
    assert_eq!(normalize_state("XX"), "XX");
    assert_eq!(normalize_state(" "), "");
    assert_eq!(state_code("XX"), None);
    assert_eq!(
        STATES
            .iter()
            .filter(|(c, _)| ![
                "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW", "AA", "AE", "AP", "DC"
            ]
            .contains(c))
            .count(),
        50
    );
}

#[test]
fn whole_address() {
    let a = normalize_address(
        "1162 N Schiller Road Suite 5",
        " raleigh ",
        "nc",
        "27601-1234",
    );
    assert_eq!(a.line1(), "1162 N SCHILLER RD STE 5");
    assert_eq!(a.city, "RALEIGH");
    assert_eq!(a.state, "NC");
    assert_eq!((a.zip5.as_str(), a.zip4.as_str()), ("27601", "1234"));
    let blank = normalize_address("", "", "", "");
    assert_eq!(blank, Address::default());
}

/// `state_code` as it was before its fast path for text without punctuation: clean,
/// look up, then read word by word.
fn state_code_by_tokenizing(raw: &str) -> Option<&'static str> {
    let cleaned = crate::clean_text(raw);
    STATE_INDEX
        .get(cleaned.as_str())
        .copied()
        .or_else(|| code_by_tokenizing(&cleaned))
}

#[test]
fn state_code_fast_path_on_known_spellings() {
    for text in [
        "nc",
        "N C",
        "n  c",
        "N.C.",
        "North Carolina",
        "north  carolina ",
        "GRAHAM NC",
        "ÑC",
        "N\tC",
        " n c ",
        "d c",
        "DC",
        "Dist. of Columbia",
        "P R",
        "a",
        "",
        "N Ç",
    ] {
        assert_eq!(state_code(text), state_code_by_tokenizing(text), "{text:?}");
    }
    assert_eq!(state_code("n  c"), Some("NC"));
    assert_eq!(state_code("GRAHAM NC"), None);
}

proptest::proptest! {
    #[test]
    fn state_code_fast_path_agrees_with_tokenizing(
        text in "([a-zA-Z .,;#\t]|\\PC){0,24}",
    ) {
        proptest::prop_assert_eq!(state_code(&text), state_code_by_tokenizing(&text));
    }
}
