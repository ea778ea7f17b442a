//! Postal addresses: one street line parsed into house number, pre-direction, street
//! name, suffix, post-direction and unit, with the USPS Publication 28 abbreviations
//! (Appendix C1 street suffixes, C2 secondary unit designators, compass directions);
//! PO boxes and rural routes in their standard form; states to their two-letter codes
//! and ZIP codes to ZIP5 + ZIP+4. The tables are the project's own, compiled in.
//!
//! The parser is a deterministic token scanner, not a statistical model. The street
//! suffix is the last suffix word before the unit and only post-directions may follow
//! it, so `100 AVENUE B` is the street named `AVENUE B` and `10 CIRCLE DR` is `CIRCLE`
//! `DR`; a direction is a pre- or post-direction only when a street name remains beside
//! it (`100 N ST` is the street `N` `ST`). Words that are part of a name are kept as
//! written (`DR MARTIN LUTHER KING JR`, ordinals such as `5TH`), less their periods.

mod region;
mod street;
mod tables;

pub use region::{normalize_state, normalize_zip, state_code};
pub use street::parse_street_line;
pub use tables::{direction, street_suffix};

use crate::clean_text;
use votebase_domain::Address;

/// A whole address from its cells: [`parse_street_line`] on the street line, the city
/// cleaned as by [`clean_text`], [`normalize_state`] and [`normalize_zip`].
pub fn normalize_address(line: &str, city: &str, state: &str, zip: &str) -> Address {
    let mut address = parse_street_line(line);
    address.city = clean_text(city);
    address.state = normalize_state(state);
    (address.zip5, address.zip4) = normalize_zip(zip);
    address
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod corpus_tests;
