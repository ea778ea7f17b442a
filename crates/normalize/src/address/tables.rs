//! The USPS Publication 28 tables the street-line parser reads: Appendix C1 street
//! suffixes (with the common spellings voter files add), compass directions, Appendix C2
//! secondary unit designators and the suffixes that name a numbered route. Data and
//! look-ups only; the parsing is in `street`.

use std::collections::HashMap;
use std::sync::LazyLock;

/// USPS Publication 28, Appendix C1: (primary street suffix name, Postal Service standard
/// abbreviation, commonly used suffixes or abbreviations). The primary name and the
/// standard abbreviation are looked up too.
pub(super) const STREET_SUFFIXES: &[(&str, &str, &[&str])] = &[
    ("ALLEY", "ALY", &["ALLEE", "ALLY"]),
    ("ANEX", "ANX", &["ANNEX", "ANNX"]),
    ("ARCADE", "ARC", &[]),
    ("AVENUE", "AVE", &["AV", "AVEN", "AVENU", "AVN", "AVNUE"]),
    ("BAYOU", "BYU", &["BAYOO"]),
    ("BEACH", "BCH", &[]),
    ("BEND", "BND", &[]),
    ("BLUFF", "BLF", &["BLUF"]),
    ("BLUFFS", "BLFS", &[]),
    ("BOTTOM", "BTM", &["BOT", "BOTTM"]),
    ("BOULEVARD", "BLVD", &["BOUL", "BOULV"]),
    ("BRANCH", "BR", &["BRNCH"]),
    ("BRIDGE", "BRG", &["BRDGE"]),
    ("BROOK", "BRK", &[]),
    ("BROOKS", "BRKS", &[]),
    ("BURG", "BG", &[]),
    ("BURGS", "BGS", &[]),
    ("BYPASS", "BYP", &["BYPA", "BYPAS", "BYPS"]),
    ("CAMP", "CP", &["CMP"]),
    ("CANYON", "CYN", &["CANYN", "CNYN"]),
    ("CAPE", "CPE", &[]),
    ("CAUSEWAY", "CSWY", &["CAUSWA"]),
    (
        "CENTER",
        "CTR",
        &["CEN", "CENT", "CENTR", "CENTRE", "CNTER", "CNTR"],
    ),
    ("CENTERS", "CTRS", &[]),
    ("CIRCLE", "CIR", &["CIRC", "CIRCL", "CRCL", "CRCLE"]),
    ("CIRCLES", "CIRS", &[]),
    ("CLIFF", "CLF", &[]),
    ("CLIFFS", "CLFS", &[]),
    ("CLUB", "CLB", &[]),
    ("COMMON", "CMN", &[]),
    ("COMMONS", "CMNS", &[]),
    ("CORNER", "COR", &[]),
    ("CORNERS", "CORS", &[]),
    ("COURSE", "CRSE", &[]),
    ("COURT", "CT", &[]),
    ("COURTS", "CTS", &[]),
    ("COVE", "CV", &[]),
    ("COVES", "CVS", &[]),
    ("CREEK", "CRK", &[]),
    ("CRESCENT", "CRES", &["CRSENT", "CRSNT"]),
    ("CREST", "CRST", &[]),
    ("CROSSING", "XING", &["CRSSNG"]),
    ("CROSSROAD", "XRD", &[]),
    ("CROSSROADS", "XRDS", &[]),
    ("CURVE", "CURV", &[]),
    ("DALE", "DL", &[]),
    ("DAM", "DM", &[]),
    ("DIVIDE", "DV", &["DIV", "DVD"]),
    ("DRIVE", "DR", &["DRIV", "DRV"]),
    ("DRIVES", "DRS", &[]),
    ("ESTATE", "EST", &[]),
    ("ESTATES", "ESTS", &[]),
    ("EXPRESSWAY", "EXPY", &["EXP", "EXPR", "EXPRESS", "EXPW"]),
    ("EXTENSION", "EXT", &["EXTN", "EXTNSN"]),
    ("EXTENSIONS", "EXTS", &[]),
    ("FALL", "FALL", &[]),
    ("FALLS", "FLS", &[]),
    ("FERRY", "FRY", &["FRRY"]),
    ("FIELD", "FLD", &[]),
    ("FIELDS", "FLDS", &[]),
    ("FLAT", "FLT", &[]),
    ("FLATS", "FLTS", &[]),
    ("FORD", "FRD", &[]),
    ("FORDS", "FRDS", &[]),
    ("FOREST", "FRST", &["FORESTS"]),
    ("FORGE", "FRG", &["FORG"]),
    ("FORGES", "FRGS", &[]),
    ("FORK", "FRK", &[]),
    ("FORKS", "FRKS", &[]),
    ("FORT", "FT", &["FRT"]),
    ("FREEWAY", "FWY", &["FREEWY", "FRWAY", "FRWY"]),
    ("GARDEN", "GDN", &["GARDN", "GRDEN", "GRDN"]),
    ("GARDENS", "GDNS", &["GRDNS"]),
    ("GATEWAY", "GTWY", &["GATEWY", "GATWAY", "GTWAY"]),
    ("GLEN", "GLN", &[]),
    ("GLENS", "GLNS", &[]),
    ("GREEN", "GRN", &[]),
    ("GREENS", "GRNS", &[]),
    ("GROVE", "GRV", &["GROV"]),
    ("GROVES", "GRVS", &[]),
    ("HARBOR", "HBR", &["HARB", "HARBR", "HRBOR"]),
    ("HARBORS", "HBRS", &[]),
    ("HAVEN", "HVN", &[]),
    ("HEIGHTS", "HTS", &["HT"]),
    ("HIGHWAY", "HWY", &["HIGHWY", "HIWAY", "HIWY", "HWAY"]),
    ("HILL", "HL", &[]),
    ("HILLS", "HLS", &[]),
    ("HOLLOW", "HOLW", &["HLLW", "HOLLOWS", "HOLWS"]),
    ("INLET", "INLT", &[]),
    ("ISLAND", "IS", &["ISLND"]),
    ("ISLANDS", "ISS", &["ISLNDS"]),
    ("ISLE", "ISLE", &["ISLES"]),
    ("JUNCTION", "JCT", &["JCTION", "JCTN", "JUNCTN", "JUNCTON"]),
    ("JUNCTIONS", "JCTS", &["JCTNS"]),
    ("KEY", "KY", &[]),
    ("KEYS", "KYS", &[]),
    ("KNOLL", "KNL", &["KNOL"]),
    ("KNOLLS", "KNLS", &[]),
    ("LAKE", "LK", &[]),
    ("LAKES", "LKS", &[]),
    ("LAND", "LAND", &[]),
    ("LANDING", "LNDG", &["LNDNG"]),
    ("LANE", "LN", &[]),
    ("LIGHT", "LGT", &[]),
    ("LIGHTS", "LGTS", &[]),
    ("LOAF", "LF", &[]),
    ("LOCK", "LCK", &[]),
    ("LOCKS", "LCKS", &[]),
    ("LODGE", "LDG", &["LDGE", "LODG"]),
    ("LOOP", "LOOP", &["LOOPS"]),
    ("MALL", "MALL", &[]),
    ("MANOR", "MNR", &[]),
    ("MANORS", "MNRS", &[]),
    ("MEADOW", "MDW", &[]),
    ("MEADOWS", "MDWS", &["MEDOWS"]),
    ("MEWS", "MEWS", &[]),
    ("MILL", "ML", &[]),
    ("MILLS", "MLS", &[]),
    ("MISSION", "MSN", &["MISSN", "MSSN"]),
    ("MOTORWAY", "MTWY", &[]),
    ("MOUNT", "MT", &["MNT"]),
    ("MOUNTAIN", "MTN", &["MNTAIN", "MNTN", "MOUNTIN", "MTIN"]),
    ("MOUNTAINS", "MTNS", &["MNTNS"]),
    ("NECK", "NCK", &[]),
    ("ORCHARD", "ORCH", &["ORCHRD"]),
    ("OVAL", "OVAL", &["OVL"]),
    ("OVERPASS", "OPAS", &[]),
    ("PARK", "PARK", &["PRK", "PARKS"]),
    (
        "PARKWAY",
        "PKWY",
        &["PARKWY", "PKWAY", "PKY", "PARKWAYS", "PKWYS"],
    ),
    ("PASS", "PASS", &[]),
    ("PASSAGE", "PSGE", &[]),
    ("PATH", "PATH", &["PATHS"]),
    ("PIKE", "PIKE", &["PIKES"]),
    ("PINE", "PNE", &[]),
    ("PINES", "PNES", &[]),
    ("PLACE", "PL", &[]),
    ("PLAIN", "PLN", &[]),
    ("PLAINS", "PLNS", &[]),
    ("PLAZA", "PLZ", &["PLZA"]),
    ("POINT", "PT", &[]),
    ("POINTS", "PTS", &[]),
    ("PORT", "PRT", &[]),
    ("PORTS", "PRTS", &[]),
    ("PRAIRIE", "PR", &["PRR"]),
    ("RADIAL", "RADL", &["RAD", "RADIEL"]),
    ("RAMP", "RAMP", &[]),
    ("RANCH", "RNCH", &["RANCHES", "RNCHS"]),
    ("RAPID", "RPD", &[]),
    ("RAPIDS", "RPDS", &[]),
    ("REST", "RST", &[]),
    ("RIDGE", "RDG", &["RDGE"]),
    ("RIDGES", "RDGS", &[]),
    ("RIVER", "RIV", &["RVR", "RIVR"]),
    ("ROAD", "RD", &[]),
    ("ROADS", "RDS", &[]),
    ("ROUTE", "RTE", &[]),
    ("ROW", "ROW", &[]),
    ("RUE", "RUE", &[]),
    ("RUN", "RUN", &[]),
    ("SHOAL", "SHL", &[]),
    ("SHOALS", "SHLS", &[]),
    ("SHORE", "SHR", &["SHOAR"]),
    ("SHORES", "SHRS", &["SHOARS"]),
    ("SKYWAY", "SKWY", &[]),
    ("SPRING", "SPG", &["SPNG", "SPRNG"]),
    ("SPRINGS", "SPGS", &["SPNGS", "SPRNGS"]),
    ("SPUR", "SPUR", &["SPURS"]),
    ("SQUARE", "SQ", &["SQR", "SQRE", "SQU"]),
    ("SQUARES", "SQS", &["SQRS"]),
    ("STATION", "STA", &["STATN", "STN"]),
    (
        "STRAVENUE",
        "STRA",
        &["STRAV", "STRAVEN", "STRAVN", "STRVN", "STRVNUE"],
    ),
    ("STREAM", "STRM", &["STREME"]),
    ("STREET", "ST", &["STRT", "STR"]),
    ("STREETS", "STS", &[]),
    ("SUMMIT", "SMT", &["SUMIT", "SUMITT"]),
    ("TERRACE", "TER", &["TERR"]),
    ("THROUGHWAY", "TRWY", &[]),
    ("TRACE", "TRCE", &["TRACES"]),
    ("TRACK", "TRAK", &["TRACKS", "TRK", "TRKS"]),
    ("TRAFFICWAY", "TRFY", &[]),
    ("TRAIL", "TRL", &["TRAILS", "TRLS"]),
    ("TRAILER", "TRLR", &["TRLRS"]),
    ("TUNNEL", "TUNL", &["TUNEL", "TUNLS", "TUNNELS", "TUNNL"]),
    ("TURNPIKE", "TPKE", &["TRNPK", "TURNPK"]),
    ("UNDERPASS", "UPAS", &[]),
    ("UNION", "UN", &[]),
    ("UNIONS", "UNS", &[]),
    ("VALLEY", "VLY", &["VALLY", "VLLY"]),
    ("VALLEYS", "VLYS", &[]),
    ("VIADUCT", "VIA", &["VDCT", "VIADCT"]),
    ("VIEW", "VW", &[]),
    ("VIEWS", "VWS", &[]),
    ("VILLAGE", "VLG", &["VILL", "VILLAG", "VILLG", "VILLIAGE"]),
    ("VILLAGES", "VLGS", &[]),
    ("VILLE", "VL", &[]),
    ("VISTA", "VIS", &["VIST", "VST", "VSTA"]),
    ("WALK", "WALK", &["WALKS"]),
    ("WALL", "WALL", &[]),
    ("WAY", "WAY", &["WY"]),
    ("WAYS", "WAYS", &[]),
    ("WELL", "WL", &[]),
    ("WELLS", "WLS", &[]),
];

/// Spellings that are not in C1 but common in voter files, to the C1 abbreviation.
pub(super) const COMMON_SUFFIX_VARIANTS: &[(&str, &str)] = &[
    ("BVD", "BLVD"),
    ("BLV", "BLVD"),
    ("CRT", "CT"),
    ("EXPWY", "EXPY"),
    ("EXWY", "EXPY"),
    ("HGWY", "HWY"),
    ("PY", "PKWY"),
    ("PKW", "PKWY"),
    ("TRLS", "TRL"),
];

/// Every spelling of a C1 suffix, to its standard abbreviation.
pub(super) static SUFFIX_INDEX: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| {
        let mut map = HashMap::with_capacity(STREET_SUFFIXES.len() * 4);
        for &(primary, abbr, variants) in STREET_SUFFIXES {
            for &v in variants {
                map.insert(v, abbr);
            }
            map.insert(primary, abbr);
        }
        for &(variant, abbr) in COMMON_SUFFIX_VARIANTS {
            map.insert(variant, abbr);
        }
        // A standard abbreviation always stands for itself (C1 lists MDW under MEADOWS too).
        for &(_, abbr, _) in STREET_SUFFIXES {
            map.insert(abbr, abbr);
        }
        map
    });

/// The USPS standard abbreviation of a street suffix word (`AVENUE`, `AV`, `AVE` ->
/// `AVE`), for an upper-case word without periods.
pub fn street_suffix(word: &str) -> Option<&'static str> {
    SUFFIX_INDEX.get(word).copied()
}

/// The USPS abbreviation of a compass direction (`NORTH` -> `N`, `SOUTHWEST` -> `SW`).
pub fn direction(word: &str) -> Option<&'static str> {
    Some(match word {
        "N" | "NORTH" => "N",
        "S" | "SOUTH" => "S",
        "E" | "EAST" => "E",
        "W" | "WEST" => "W",
        "NE" | "NORTHEAST" => "NE",
        "NW" | "NORTHWEST" => "NW",
        "SE" | "SOUTHEAST" => "SE",
        "SW" | "SOUTHWEST" => "SW",
        _ => return None,
    })
}

/// Whether a secondary unit designator takes a unit number after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnitKind {
    /// `APT 4`: needs a number.
    Numbered,
    /// `REAR`: stands alone, only at the end of the line.
    Standalone,
    /// `PH`, `PH 2`: either.
    Either,
}

/// USPS Publication 28, Appendix C2: secondary unit designators and their common
/// spellings, to (standard abbreviation, kind).
pub(super) fn unit_designator(word: &str) -> Option<(&'static str, UnitKind)> {
    use UnitKind::*;
    Some(match word {
        "APARTMENT" | "APT" | "APTS" | "AP" | "APPT" => ("APT", Numbered),
        "BASEMENT" | "BSMT" => ("BSMT", Standalone),
        "BUILDING" | "BLDG" | "BLD" | "BLDNG" | "BLG" => ("BLDG", Numbered),
        "DEPARTMENT" | "DEPT" => ("DEPT", Numbered),
        "FLOOR" | "FL" | "FLR" => ("FL", Numbered),
        "FRONT" | "FRNT" => ("FRNT", Standalone),
        "HANGAR" | "HNGR" => ("HNGR", Numbered),
        "KEY" => ("KEY", Numbered),
        "LOBBY" | "LBBY" => ("LBBY", Standalone),
        "LOT" => ("LOT", Numbered),
        "LOWER" | "LOWR" => ("LOWR", Standalone),
        "OFFICE" | "OFC" => ("OFC", Standalone),
        "PENTHOUSE" | "PH" => ("PH", Either),
        "PIER" => ("PIER", Numbered),
        // Private mailbox: not in C2, but the designator USPS asks CMRA customers to use.
        "PMB" => ("PMB", Numbered),
        "REAR" => ("REAR", Standalone),
        "ROOM" | "RM" => ("RM", Numbered),
        "SIDE" => ("SIDE", Standalone),
        "SLIP" => ("SLIP", Numbered),
        "SPACE" | "SPC" => ("SPC", Numbered),
        "STOP" => ("STOP", Numbered),
        "SUITE" | "STE" => ("STE", Numbered),
        "TRAILER" | "TRLR" => ("TRLR", Numbered),
        "UNIT" | "UNT" => ("UNIT", Numbered),
        "UPPER" | "UPPR" => ("UPPR", Standalone),
        _ => return None,
    })
}

/// Designators also seen glued to their number (`APT4`, `STE100`).
pub(super) const GLUED_DESIGNATORS: &[(&str, &str)] = &[
    ("APT", "APT"),
    ("BLDG", "BLDG"),
    ("LOT", "LOT"),
    ("RM", "RM"),
    ("SPC", "SPC"),
    ("STE", "STE"),
    ("UNIT", "UNIT"),
];

/// Suffixes that, followed by a number, name a numbered route (`HWY 64`, `COUNTY RD 12`)
/// rather than end a street before a bare unit number.
pub(super) fn is_route_type(suffix: &str, word_before: &str) -> bool {
    matches!(
        suffix,
        "HWY"
            | "FWY"
            | "EXPY"
            | "TPKE"
            | "PIKE"
            | "RTE"
            | "BYP"
            | "SPUR"
            | "LOOP"
            | "CSWY"
            | "PKWY"
            | "TRL"
    ) || matches!(
        word_before,
        "COUNTY"
            | "COUNTRY"
            | "CO"
            | "CNTY"
            | "STATE"
            | "TOWNSHIP"
            | "TWP"
            | "TOWN"
            | "FOREST"
            | "FARM"
            | "RANCH"
            | "PRIVATE"
            | "US"
            | "INTERSTATE"
    )
}
