//! The organization's places: the counties and precincts of its voter file and of its
//! installed VIP feed (with the feed's election-day polling places), against which a
//! report's county and precinct are checked. A county name is only trimmed, its spaces
//! collapsed and upper-cased: never passed through address rules.

use super::IncidentError;
use std::collections::{BTreeMap, BTreeSet};
use votebase_store::Store;
use votebase_vip::Index;

/// A polling place of the installed VIP feed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedPlace {
    /// Feed id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address, one line.
    pub address: String,
    /// County (the feed's locality without " County", upper case).
    pub county: String,
}

/// A county or precinct name as compared and stored: trimmed, inner spaces collapsed,
/// upper case.
pub fn place_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// The county of a feed locality ("Alamance County" -> "ALAMANCE").
fn locality_county(locality: &str) -> String {
    let t = locality.trim();
    let t = t
        .strip_suffix(" County")
        .or_else(|| t.strip_suffix(" COUNTY"))
        .unwrap_or(t);
    place_name(t)
}

/// Election-day polling places of a feed, by county then name, each once.
pub fn feed_places(index: &Index) -> Vec<FeedPlace> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in index.precincts() {
        for place in &p.polling_places {
            if seen.insert(place.id.clone()) {
                out.push(FeedPlace {
                    id: place.id.clone(),
                    name: place.name.clone(),
                    address: place.address.join(", "),
                    county: locality_county(&p.locality),
                });
            }
        }
    }
    out.sort_by(|a, b| a.county.cmp(&b.county).then(a.name.cmp(&b.name)));
    out
}

/// The counties the organization knows, each with its precincts (codes and names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownPlaces {
    counties: BTreeMap<String, BTreeSet<String>>,
}

impl KnownPlaces {
    /// Adds a county (and, when not empty, one of its precincts).
    pub fn add(&mut self, county: &str, precinct: &str) {
        let county = place_name(county);
        if county.is_empty() {
            return;
        }
        let precincts = self.counties.entry(county).or_default();
        let precinct = place_name(precinct);
        if !precinct.is_empty() {
            precincts.insert(precinct);
        }
    }

    /// Adds the counties and precincts of a VIP feed.
    pub fn add_feed(&mut self, index: &Index) {
        for p in index.precincts() {
            let county = locality_county(&p.locality);
            self.add(&county, &p.name);
        }
    }

    /// True when neither a voter file nor a feed gave any county.
    pub fn is_empty(&self) -> bool {
        self.counties.is_empty()
    }

    /// The known counties, sorted.
    pub fn counties(&self) -> Vec<String> {
        self.counties.keys().cloned().collect()
    }

    /// Checks a reported county (and precinct, when given): the county as stored (upper
    /// case) when the organization knows it; without any voter file or feed, any
    /// well-formed name (letters, spaces, `-`, `'`, `.`; at most 64 characters).
    pub fn check(&self, county: &str, precinct: &str) -> Result<String, IncidentError> {
        let name = place_name(county);
        if name.is_empty() {
            return Err(IncidentError::Invalid(
                "county is empty: give the county (or a polling place of the loaded feed)".into(),
            ));
        }
        let well_formed = name.chars().count() <= 64
            && name
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'));
        if !well_formed {
            return Err(IncidentError::Invalid(format!(
                "county {name:?} is not a county name (letters, spaces, hyphens and apostrophes only)"
            )));
        }
        if self.is_empty() {
            return Ok(name);
        }
        let Some(precincts) = self.counties.get(&name) else {
            return Err(IncidentError::Invalid(format!(
                "unknown county {name:?}: not in the voter file or the VIP feed"
            )));
        };
        let precinct = place_name(precinct);
        if !precinct.is_empty() && !precincts.is_empty() && !precincts.contains(&precinct) {
            return Err(IncidentError::Invalid(format!(
                "unknown precinct {precinct:?} in {name}: not in the voter file or the VIP feed"
            )));
        }
        Ok(name)
    }
}

/// The organization's places: the voter file's counties and precincts (present voters)
/// and those of the installed feed, when there is one.
pub async fn known_places(
    store: &dyn Store,
    feed: Option<&Index>,
) -> Result<KnownPlaces, IncidentError> {
    let mut places = KnownPlaces::default();
    for (county, code, name) in store.voter_file_precincts().await? {
        places.add(&county, &code);
        places.add(&county, &name);
    }
    if let Some(index) = feed {
        places.add_feed(index);
    }
    Ok(places)
}
