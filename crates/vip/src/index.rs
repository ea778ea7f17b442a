//! The address lookup index: built once from a [`Feed`], immutable, shared behind an
//! `Arc` by every lookup thread. Street segments are keyed by their street name as the
//! project's address normaliser (`votebase_normalize`) spells it, the same
//! normaliser that stores voter addresses, so a lookup and a stored voter meet on equal
//! terms: each segment's direction, name and suffix are put on one line and parsed like a
//! typed address. Each segment keeps its house-number range, side, ZIP, city and units as
//! small integers; each precinct carries its precomputed answer (election-day places,
//! early-vote sites and drop boxes with their hours), so a lookup only filters a short
//! list of segments and returns references into the index.

use crate::model::{Feed, HoursOpen, Parity, PollingLocation, StreetSegment};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use votebase_normalize::{clean_text, normalize_zip, parse_street_line};

/// A street as the normaliser spells it: pre-direction, name, suffix, post-direction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StreetKey {
    /// Pre-direction (`N`).
    pub pre: String,
    /// Name (`MAIN`).
    pub name: String,
    /// Suffix (`ST`).
    pub suffix: String,
    /// Post-direction.
    pub post: String,
}

impl StreetKey {
    /// `N MAIN ST`.
    pub fn display(&self) -> String {
        [&self.pre, &self.name, &self.suffix, &self.post]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Normalises a street given in parts, by parsing `1 PRE NAME SUFFIX POST` as an address.
pub fn normalize_street(pre: &str, name: &str, suffix: &str, post: &str) -> StreetKey {
    let line = format!("1 {pre} {name} {suffix} {post}");
    let a = parse_street_line(&line);
    if a.street_name.is_empty() {
        return StreetKey {
            pre: clean_text(pre),
            name: clean_text(name),
            suffix: clean_text(suffix),
            post: clean_text(post),
        };
    }
    StreetKey {
        pre: a.pre_direction,
        name: a.street_name,
        suffix: a.street_suffix,
        post: a.post_direction,
    }
}

/// The normalised street of a segment.
pub fn street_key(s: &StreetSegment) -> StreetKey {
    normalize_street(
        &s.pre_direction,
        &s.street_name,
        &s.street_suffix,
        &s.post_direction,
    )
}

/// A place to vote, ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    /// Feed id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Address lines.
    pub address: Vec<String>,
    /// Directions.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub directions: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// Opening hours, one line per schedule (`2013-11-05 06:00-12:00, 13:00-19:00`).
    pub hours: Vec<String>,
}

/// Whom to ask: the precinct's election administration (the county board of elections,
/// else the state's), as the feed gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Name (`Alamance County Board of Elections`).
    pub name: String,
    /// Postal address lines.
    pub address: Vec<String>,
    /// Telephone.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phone: String,
    /// E-mail address.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Web site.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
}

impl Contact {
    fn of(ea: &crate::model::ElectionAdministration) -> Contact {
        Contact {
            name: ea.name.clone(),
            address: ea.address_lines.clone(),
            phone: ea.phone.clone(),
            email: ea.email.clone(),
            url: ea.url.clone(),
        }
    }
}

/// A precinct with its precomputed answer.
#[derive(Debug, Clone, Serialize)]
pub struct PrecinctAnswer {
    /// Feed id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Split name, if a split.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub split: String,
    /// Locality name.
    pub locality: String,
    /// Votes by mail only.
    pub mail_only: bool,
    /// Election-day polling places.
    pub polling_places: Vec<Place>,
    /// Early-vote sites.
    pub early_vote: Vec<Place>,
    /// Ballot drop boxes.
    pub drop_boxes: Vec<Place>,
    /// The election administration to contact (county, else state), if the feed has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Precincts with the same answer share a group.
    #[serde(skip)]
    pub(crate) group: u32,
}

/// What makes two precincts' answers the same: mail-only, and the ids of their
/// election-day places, early-vote sites and drop boxes.
type GroupKey = (bool, Vec<String>, Vec<String>, Vec<String>);

/// No city / no ZIP.
pub(crate) const NONE: u32 = u32::MAX;

/// One street segment, compact.
#[derive(Debug, Clone)]
pub(crate) struct Seg {
    pub lo: u32,
    pub hi: u32,
    pub parity: Parity,
    pub all_addresses: bool,
    pub street: u32,
    pub zip: u32,
    pub city: u32,
    pub units: Box<[Box<str>]>,
    pub precinct: u32,
    pub id: Box<str>,
}

/// Sizes and timing of a built index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexStats {
    /// Segments indexed.
    pub segments: usize,
    /// Segments skipped (no precinct, unknown precinct, invalid range).
    pub skipped_segments: usize,
    /// Distinct streets.
    pub streets: usize,
    /// Precincts.
    pub precincts: usize,
    /// Build time in microseconds.
    pub build_micros: u128,
}

/// The immutable lookup index.
#[derive(Debug)]
pub struct Index {
    pub(crate) segs: Vec<Seg>,
    pub(crate) streets: Vec<StreetKey>,
    /// Street name -> segments (sorted by street, then start).
    pub(crate) by_name: HashMap<Box<str>, Vec<u32>>,
    /// Area (ZIP or city id) -> segments covering every street there.
    pub(crate) whole_area: HashMap<(u32, u32), Vec<u32>>,
    /// ZIP -> streets, city -> streets, for suggestions.
    pub(crate) streets_by_zip: HashMap<u32, Vec<u32>>,
    pub(crate) streets_by_city: HashMap<u32, Vec<u32>>,
    pub(crate) cities: Vec<Box<str>>,
    pub(crate) city_ids: HashMap<Box<str>, u32>,
    pub(crate) precincts: Vec<PrecinctAnswer>,
    /// Statistics.
    pub stats: IndexStats,
}

/// A ZIP as a number (`27253` -> 27253); `NONE` when blank.
pub(crate) fn zip_code(raw: &str) -> u32 {
    let (z5, _) = normalize_zip(raw);
    z5.parse().unwrap_or(NONE)
}

/// `06:00:00-05:00` -> `06:00`.
fn short_time(t: &str) -> &str {
    t.get(..5)
        .filter(|s| s.as_bytes().get(2) == Some(&b':'))
        .unwrap_or(t)
}

fn render_hours(h: &HoursOpen) -> Vec<String> {
    h.schedules
        .iter()
        .map(|s| {
            let days = match (s.start_date.as_str(), s.end_date.as_str()) {
                ("", "") => String::new(),
                (a, b) if a == b || b.is_empty() => format!("{a} "),
                ("", b) => format!("until {b} "),
                (a, b) => format!("{a} to {b} "),
            };
            let times: Vec<String> = s
                .hours
                .iter()
                .map(|(o, c)| format!("{}-{}", short_time(o), short_time(c)))
                .collect();
            let appt = if s.only_by_appointment {
                " (by appointment)"
            } else {
                ""
            };
            format!("{days}{}{appt}", times.join(", "))
                .trim()
                .to_string()
        })
        .collect()
}

fn place(pl: &PollingLocation, hours: &HashMap<&str, &HoursOpen>) -> Place {
    let mut lines = pl
        .hours_open_id
        .as_deref()
        .and_then(|id| hours.get(id))
        .map(|h| render_hours(h))
        .unwrap_or_default();
    if !pl.hours_text.trim().is_empty() && !pl.hours_text.starts_with("00:00 to 00:00") {
        lines.push(pl.hours_text.trim().to_string());
    }
    Place {
        id: pl.id.clone(),
        name: if pl.name.is_empty() {
            pl.address_lines.first().cloned().unwrap_or_default()
        } else {
            pl.name.clone()
        },
        address: pl.address_lines.clone(),
        directions: pl.directions.clone(),
        latitude: pl.lat_lng.map(|l| l.0),
        longitude: pl.lat_lng.map(|l| l.1),
        hours: lines,
    }
}

impl Index {
    /// Builds the index of `feed`. Segments without a known precinct or with an
    /// unusable range are skipped (validation reports them).
    pub fn build(feed: &Feed) -> Arc<Index> {
        let started = std::time::Instant::now();
        let hours: HashMap<&str, &HoursOpen> =
            feed.hours.iter().map(|h| (h.id.as_str(), h)).collect();
        let pls: HashMap<&str, &PollingLocation> = feed
            .polling_locations
            .iter()
            .map(|p| (p.id.as_str(), p))
            .collect();
        let localities: HashMap<&str, &crate::model::Locality> =
            feed.localities.iter().map(|l| (l.id.as_str(), l)).collect();
        let by_id: HashMap<&str, &crate::model::Precinct> =
            feed.precincts.iter().map(|p| (p.id.as_str(), p)).collect();
        let admins: HashMap<&str, &crate::model::ElectionAdministration> = feed
            .election_administrations
            .iter()
            .map(|a| (a.id.as_str(), a))
            .collect();
        let admin = |id: &str| admins.get(id).map(|a| Contact::of(a));
        let mut places_cache: HashMap<&str, Place> = HashMap::new();
        let mut groups: HashMap<GroupKey, u32> = HashMap::new();
        let mut precincts = Vec::with_capacity(feed.precincts.len());
        let mut precinct_ids: HashMap<&str, u32> = HashMap::new();
        for p in &feed.precincts {
            let parent = p.parent_id.as_deref().and_then(|id| by_id.get(id));
            let mut ids: Vec<&str> = p.polling_location_ids.iter().map(String::as_str).collect();
            if ids.is_empty()
                && let Some(parent) = parent
            {
                ids.extend(parent.polling_location_ids.iter().map(String::as_str));
            }
            let locality_id = if p.locality_id.is_empty() {
                parent.map_or("", |pp| pp.locality_id.as_str())
            } else {
                p.locality_id.as_str()
            };
            let locality = localities.get(locality_id);
            let wide: Vec<&str> = locality
                .map(|l| l.polling_location_ids.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let state_wide: Vec<&str> = feed
                .states
                .iter()
                .filter(|s| locality.is_none_or(|l| l.state_id.is_empty() || l.state_id == s.id))
                .flat_map(|s| s.polling_location_ids.iter().map(String::as_str))
                .collect();
            // The county's board first, else the state's.
            let contact = locality
                .and_then(|l| admin(&l.election_administration_id))
                .or_else(|| {
                    feed.states
                        .iter()
                        .filter(|s| {
                            locality.is_none_or(|l| l.state_id.is_empty() || l.state_id == s.id)
                        })
                        .find_map(|s| admin(&s.election_administration_id))
                });
            let (mut day, mut early, mut drop) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen = std::collections::HashSet::new();
            // The precinct's own places first; locality-wide early-vote sites and drop
            // boxes only when it has none of its own, state-wide ones after that.
            for (tier, list) in [(0, &ids), (1, &wide), (2, &state_wide)] {
                if tier > 0 && !(early.is_empty() && drop.is_empty()) {
                    break;
                }
                for id in list.iter() {
                    let Some(pl) = pls.get(id) else { continue };
                    if !seen.insert(*id) {
                        continue;
                    }
                    let pc = places_cache
                        .entry(id)
                        .or_insert_with(|| place(pl, &hours))
                        .clone();
                    if pl.election_day && tier == 0 {
                        day.push(pc.clone());
                    }
                    if pl.early_vote {
                        early.push(pc.clone());
                    }
                    if pl.drop_box {
                        drop.push(pc);
                    }
                }
            }
            let key = (
                p.mail_only,
                day.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
                early.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
                drop.iter().map(|x| x.id.clone()).collect::<Vec<_>>(),
            );
            let next = groups.len() as u32;
            let group = *groups.entry(key).or_insert(next);
            precinct_ids.insert(p.id.as_str(), precincts.len() as u32);
            precincts.push(PrecinctAnswer {
                id: p.id.clone(),
                name: if p.name.is_empty() {
                    parent.map_or(String::new(), |pp| pp.name.clone())
                } else {
                    p.name.clone()
                },
                split: p.split_name.clone(),
                locality: locality.map_or(String::new(), |l| l.name.clone()),
                mail_only: p.mail_only,
                polling_places: day,
                early_vote: early,
                drop_boxes: drop,
                contact,
                group,
            });
        }

        let mut index = Index {
            segs: Vec::with_capacity(feed.street_segments.len()),
            streets: Vec::new(),
            by_name: HashMap::new(),
            whole_area: HashMap::new(),
            streets_by_zip: HashMap::new(),
            streets_by_city: HashMap::new(),
            cities: Vec::new(),
            city_ids: HashMap::new(),
            precincts,
            stats: IndexStats::default(),
        };
        let mut street_ids: HashMap<StreetKey, u32> = HashMap::new();
        // Street keys are normalised once per distinct raw spelling.
        let mut raw_keys: HashMap<(&str, &str, &str, &str), u32> = HashMap::new();
        let mut skipped = 0;
        for s in &feed.street_segments {
            let Some(&precinct) = precinct_ids.get(s.precinct_id.as_str()) else {
                skipped += 1;
                continue;
            };
            let (lo, hi) = match (s.start, s.end) {
                _ if s.includes_all_addresses || s.includes_all_streets => (0, u32::MAX),
                (Some(a), Some(b)) if a <= b => (a, b),
                _ => {
                    skipped += 1;
                    continue;
                }
            };
            let city = index.city_id(&clean_text(&s.city));
            let zip = zip_code(&s.zip);
            let seg_no = index.segs.len() as u32;
            let street = if s.includes_all_streets {
                NONE
            } else {
                let raw = (
                    s.pre_direction.as_str(),
                    s.street_name.as_str(),
                    s.street_suffix.as_str(),
                    s.post_direction.as_str(),
                );
                match raw_keys.get(&raw) {
                    Some(&id) => id,
                    None => {
                        let key = street_key(s);
                        let next = index.streets.len() as u32;
                        let id = *street_ids.entry(key.clone()).or_insert_with(|| {
                            index.streets.push(key);
                            next
                        });
                        raw_keys.insert(raw, id);
                        id
                    }
                }
            };
            index.segs.push(Seg {
                lo,
                hi,
                parity: s.parity.unwrap_or(Parity::Both),
                all_addresses: s.includes_all_addresses,
                street,
                zip,
                city,
                units: s
                    .units
                    .iter()
                    .map(|u| clean_text(u).into_boxed_str())
                    .collect(),
                precinct,
                id: s.id.as_str().into(),
            });
            if street == NONE {
                index
                    .whole_area
                    .entry((zip, city))
                    .or_default()
                    .push(seg_no);
            } else {
                let name: &str = &index.streets[street as usize].name;
                match index.by_name.get_mut(name) {
                    Some(v) => v.push(seg_no),
                    None => {
                        index.by_name.insert(name.into(), vec![seg_no]);
                    }
                }
                if zip != NONE {
                    index.streets_by_zip.entry(zip).or_default().push(street);
                }
                if city != NONE {
                    index.streets_by_city.entry(city).or_default().push(street);
                }
            }
        }
        for v in index
            .streets_by_zip
            .values_mut()
            .chain(index.streets_by_city.values_mut())
        {
            v.sort_unstable();
            v.dedup();
        }
        let segs = &index.segs;
        for v in index.by_name.values_mut() {
            v.sort_unstable_by_key(|&i| (segs[i as usize].street, segs[i as usize].lo));
            v.shrink_to_fit();
        }
        index.stats = IndexStats {
            segments: index.segs.len(),
            skipped_segments: skipped,
            streets: index.streets.len(),
            precincts: index.precincts.len(),
            build_micros: started.elapsed().as_micros(),
        };
        Arc::new(index)
    }

    fn city_id(&mut self, city: &str) -> u32 {
        if city.is_empty() {
            return NONE;
        }
        if let Some(&id) = self.city_ids.get(city) {
            return id;
        }
        let id = self.cities.len() as u32;
        self.cities.push(city.into());
        self.city_ids.insert(city.into(), id);
        id
    }

    /// The id of a normalised city name, if any segment is in it.
    pub(crate) fn known_city(&self, city: &str) -> Option<u32> {
        self.city_ids.get(city).copied()
    }

    /// Every precinct with its answer.
    pub fn precincts(&self) -> &[PrecinctAnswer] {
        &self.precincts
    }

    /// Where `precinct` is in [`Index::precincts`], when it is one of this index's (an
    /// answer's precincts are): lets a caller keep something per precinct, such as its
    /// serialised answer, in a vector beside the index.
    pub fn precinct_position(&self, precinct: &PrecinctAnswer) -> Option<usize> {
        let size = std::mem::size_of::<PrecinctAnswer>();
        let base = self.precincts.as_ptr() as usize;
        let at = (precinct as *const PrecinctAnswer as usize).checked_sub(base)?;
        let position = at / size;
        (at % size == 0 && position < self.precincts.len()).then_some(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streets_normalise_like_addresses() {
        let k = normalize_street("", "ISENHOUR PARK RD", "", "");
        assert_eq!(
            (k.name.as_str(), k.suffix.as_str()),
            ("ISENHOUR PARK", "RD")
        );
        let k = normalize_street("North", "Main", "Street", "");
        assert_eq!(k.display(), "N MAIN ST");
        let a = parse_street_line("12 n main street");
        assert_eq!(
            (a.pre_direction.as_str(), a.street_name.as_str()),
            (k.pre.as_str(), k.name.as_str())
        );
    }

    #[test]
    fn hours_render() {
        let h = HoursOpen {
            id: "h".into(),
            schedules: vec![crate::model::Schedule {
                start_date: "2013-11-05".into(),
                end_date: "2013-11-05".into(),
                hours: vec![("06:00:00-05:00".into(), "19:00:00-05:00".into())],
                only_by_appointment: false,
            }],
        };
        assert_eq!(render_hours(&h), vec!["2013-11-05 06:00-19:00"]);
    }
}
