//! The one in-memory model every feed flavour lands in: the election, states, localities,
//! precincts (with splits and mail-only precincts), polling locations (election day,
//! early vote, drop box) with their hours, and street segments (house-number ranges that
//! send an address to a precinct). The XML 5.x, CSV 5.x and CSV 3.0 readers all produce a
//! [`Feed`]; validation and the lookup index read it. Values are kept as the feed wrote
//! them; normalisation for matching happens in the index. Every element remembers where
//! it came from ([`Origin`]) so findings can name a file and line.

use serde::Serialize;

/// Where an element was read: a file (the feed file, or one `.txt` of a CSV set) and a
/// 1-based line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// File name (the XML file, or e.g. `street_segment.txt`).
    pub file: String,
    /// 1-based line of the element's start tag or CSV row.
    pub line: u64,
}

/// The format a feed was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FeedFormat {
    /// VIP 5.x (or 6.x) XML.
    Xml,
    /// VIP 5.x CSV: one `.txt` per element, snake_case columns.
    Csv5,
    /// VIP 3.0 CSV: flat files with join tables.
    Csv3,
}

/// Which sides of a street a segment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Parity {
    /// Odd house numbers only.
    Odd,
    /// Even house numbers only.
    Even,
    /// Both sides.
    Both,
}

impl Parity {
    /// Parses `odd`/`even`/`both` in any case; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Parity> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "odd" => Some(Parity::Odd),
            "even" => Some(Parity::Even),
            "both" => Some(Parity::Both),
            _ => None,
        }
    }

    /// True when house number `n` is on this side.
    pub fn admits(self, n: u32) -> bool {
        match self {
            Parity::Both => true,
            Parity::Odd => n & 1 == 1,
            Parity::Even => n & 1 == 0,
        }
    }

    /// True when some house number is on both sides `self` and `other`.
    pub fn meets(self, other: Parity) -> bool {
        self == Parity::Both || other == Parity::Both || self == other
    }
}

/// The feed's source (who published it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Source {
    /// Element id.
    pub id: String,
    /// Publisher name.
    pub name: String,
    /// FIPS code of the state or county the feed covers.
    pub vip_id: String,
    /// When the feed was produced.
    pub date_time: String,
}

/// The election the feed describes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Election {
    /// Element id.
    pub id: String,
    /// Election name (English text).
    pub name: String,
    /// Election date as written (`2013-11-05`).
    pub date: String,
    /// Referenced state.
    pub state_id: String,
}

/// A state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Element id.
    pub id: String,
    /// State name.
    pub name: String,
    /// State-wide polling locations (early vote sites, drop boxes).
    pub polling_location_ids: Vec<String>,
    /// The state's election administration (empty when none).
    pub election_administration_id: String,
}

/// A county, city or other locality.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Locality {
    /// Element id.
    pub id: String,
    /// Locality name.
    pub name: String,
    /// Referenced state.
    pub state_id: String,
    /// Locality-wide polling locations (typically early vote sites and drop boxes).
    pub polling_location_ids: Vec<String>,
    /// The locality's election administration, e.g. the county board of elections
    /// (empty when none).
    pub election_administration_id: String,
}

/// An election administration (a county or state board of elections): whom a voter
/// contacts when the feed cannot answer alone, e.g. when it sends one address to two
/// precincts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ElectionAdministration {
    /// Element id.
    pub id: String,
    /// Name (`Alamance County Board of Elections`).
    pub name: String,
    /// Postal address, one line per entry.
    pub address_lines: Vec<String>,
    /// Telephone, as written.
    pub phone: String,
    /// E-mail address.
    pub email: String,
    /// Web site (the elections URI).
    pub url: String,
}

/// A precinct or a precinct split. In VIP 5.x a split is its own `Precinct` with a
/// `PrecinctSplitName`; VIP 3.0 splits become precincts whose `parent_id` names the
/// precinct they split.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Precinct {
    /// Element id.
    pub id: String,
    /// Precinct name.
    pub name: String,
    /// Precinct number, if given.
    pub number: String,
    /// Referenced locality.
    pub locality_id: String,
    /// Votes entirely by mail: no polling place expected.
    pub mail_only: bool,
    /// Split name (`split13`), when the precinct is a split.
    pub split_name: String,
    /// The precinct this split belongs to (VIP 3.0 splits).
    pub parent_id: Option<String>,
    /// Polling locations of every kind serving the precinct.
    pub polling_location_ids: Vec<String>,
    /// Where it was read.
    pub origin: Origin,
}

/// A place to vote or to drop a ballot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PollingLocation {
    /// Element id.
    pub id: String,
    /// Location name (`ALBEMARLE HIGH SCHOOL`).
    pub name: String,
    /// Address as display lines (`2775 Hydraulic Rd`, `Charlottesville, VA 22901`).
    pub address_lines: Vec<String>,
    /// Directions inside or to the building.
    pub directions: String,
    /// Latitude, longitude.
    pub lat_lng: Option<(f64, f64)>,
    /// An election-day polling place.
    pub election_day: bool,
    /// An early-vote site.
    pub early_vote: bool,
    /// A ballot drop box.
    pub drop_box: bool,
    /// Referenced structured hours.
    pub hours_open_id: Option<String>,
    /// Hours as free text (VIP 3.0 `polling_hours`, 5.x deprecated `Hours`).
    pub hours_text: String,
    /// Where it was read.
    pub origin: Origin,
}

/// One schedule of an `HoursOpen`: a date range and the opening times on those days.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Schedule {
    /// First day (`2013-11-05`).
    pub start_date: String,
    /// Last day.
    pub end_date: String,
    /// (opens, closes) times as written (`06:00:00-05:00`).
    pub hours: Vec<(String, String)>,
    /// Only by appointment.
    pub only_by_appointment: bool,
}

/// Structured opening hours.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HoursOpen {
    /// Element id.
    pub id: String,
    /// The schedules.
    pub schedules: Vec<Schedule>,
}

/// An address range on one street, sending its addresses to a precinct.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StreetSegment {
    /// Element id.
    pub id: String,
    /// First house number; `None` when missing or not a number.
    pub start: Option<u32>,
    /// Last house number; `None` when missing or not a number.
    pub end: Option<u32>,
    /// Odd, even or both sides; `None` when missing or invalid.
    pub parity: Option<Parity>,
    /// House number prefix (`B`).
    pub house_number_prefix: String,
    /// House number suffix (`1/2`).
    pub house_number_suffix: String,
    /// Pre-direction as written (`StreetDirection`).
    pub pre_direction: String,
    /// Street name as written.
    pub street_name: String,
    /// Street suffix as written.
    pub street_suffix: String,
    /// Post-direction as written (`AddressDirection`).
    pub post_direction: String,
    /// Unit (apartment) numbers the segment is restricted to; empty for all.
    pub units: Vec<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP as written.
    pub zip: String,
    /// Every house number on the street (range ignored).
    pub includes_all_addresses: bool,
    /// Every street of the city/ZIP.
    pub includes_all_streets: bool,
    /// The precinct (or split, for VIP 3.0) the addresses vote in; empty when missing.
    pub precinct_id: String,
    /// Where it was read.
    pub origin: Origin,
}

/// An element id as declared, for duplicate and reference checks.
#[derive(Debug, Clone, Serialize)]
pub struct Declared {
    /// The id.
    pub id: String,
    /// Element name (`Precinct`).
    pub element: String,
    /// Where.
    pub origin: Origin,
}

/// A reference from one element to others (`PrecinctId`, `PollingLocationIds`).
#[derive(Debug, Clone, Serialize)]
pub struct Reference {
    /// Referring element's name.
    pub element: String,
    /// Referring element's id.
    pub from_id: String,
    /// Field holding the reference (`PollingLocationIds`).
    pub field: String,
    /// The referenced id.
    pub target: String,
    /// Where.
    pub origin: Origin,
}

/// A whole feed, whatever format it came in.
#[derive(Debug, Clone, Serialize)]
pub struct Feed {
    /// Format read.
    pub format: FeedFormat,
    /// Schema version for XML (`5.2`), `3.0` or `5.x` for CSV.
    pub schema_version: String,
    /// The source, if any.
    pub source: Option<Source>,
    /// The election, if any.
    pub election: Option<Election>,
    /// States.
    pub states: Vec<State>,
    /// Localities.
    pub localities: Vec<Locality>,
    /// Election administrations (boards of elections).
    pub election_administrations: Vec<ElectionAdministration>,
    /// Precincts and splits.
    pub precincts: Vec<Precinct>,
    /// Polling locations of every kind.
    pub polling_locations: Vec<PollingLocation>,
    /// Structured hours.
    pub hours: Vec<HoursOpen>,
    /// Street segments.
    pub street_segments: Vec<StreetSegment>,
    /// Every declared id (all element types), for the duplicate check.
    #[serde(skip)]
    pub declared: Vec<Declared>,
    /// Every id reference, for the dangling-reference check.
    #[serde(skip)]
    pub references: Vec<Reference>,
    /// Findings made while reading (per-element rules).
    #[serde(skip)]
    pub read_findings: Vec<crate::validate::Finding>,
}

impl Feed {
    /// An empty feed of `format`.
    pub fn new(format: FeedFormat) -> Feed {
        Feed {
            format,
            schema_version: String::new(),
            source: None,
            election: None,
            states: Vec::new(),
            localities: Vec::new(),
            election_administrations: Vec::new(),
            precincts: Vec::new(),
            polling_locations: Vec::new(),
            hours: Vec::new(),
            street_segments: Vec::new(),
            declared: Vec::new(),
            references: Vec::new(),
            read_findings: Vec::new(),
        }
    }

    /// Counts for a summary line: (precincts, polling locations, street segments).
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.precincts.len(),
            self.polling_locations.len(),
            self.street_segments.len(),
        )
    }
}

/// Splits an IDREFS value (space-separated ids).
pub fn split_ids(raw: &str) -> Vec<String> {
    raw.split_whitespace().map(str::to_string).collect()
}

/// Parses a VIP boolean (`true`/`false`/`1`/`0`, any case, as lenient readers do).
pub fn parse_bool(raw: &str) -> bool {
    matches!(
        raw.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "y"
    )
}

/// Parses a house number: digits only, `None` otherwise.
pub fn parse_house_number(raw: &str) -> Option<u32> {
    let t = raw.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parity_rules() {
        assert_eq!(Parity::parse(" ODD "), Some(Parity::Odd));
        assert_eq!(Parity::parse("non-prime odd numbers"), None);
        assert!(Parity::Odd.admits(3) && !Parity::Odd.admits(4));
        assert!(Parity::Both.admits(4));
        assert!(!Parity::Odd.meets(Parity::Even));
        assert!(Parity::Both.meets(Parity::Even));
    }

    #[test]
    fn small_parsers() {
        assert_eq!(split_ids(" a  b "), vec!["a", "b"]);
        assert!(parse_bool("True") && parse_bool("1") && !parse_bool("false"));
        assert_eq!(parse_house_number("100"), Some(100));
        assert_eq!(parse_house_number("100B"), None);
        assert_eq!(parse_house_number(""), None);
    }
}
