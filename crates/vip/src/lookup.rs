//! Address lookups against an [`Index`]: free text (`123 N Main St Apt 4, Graham, NC
//! 27253`) is split into street line, city, state and ZIP, the street line is parsed and
//! normalised by the project's address normaliser, and the index answers with the
//! precinct and its polling place, early-vote sites and drop boxes. When the address is
//! not enough (the street runs through two ZIPs, a unit is needed) the answer says what
//! is missing; when the street is unknown it suggests similar street names in that ZIP or
//! city (Jaro-Winkler); when the feed itself sends one address to two precincts it says
//! so. Answers borrow from the index: a lookup allocates only the parsed query and a short
//! candidate list.

use crate::index::{Index, NONE, PrecinctAnswer, zip_code};
use serde::Serialize;
use votebase_normalize::address::state_code;
use votebase_normalize::{clean_text, parse_street_line};

/// Renders the value of one attribute of a candidate segment.
type Distinguish<'f> = &'f dyn Fn(u32) -> String;

/// A parsed, normalised query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Query {
    /// House number as written (`123`, `7 1/2`).
    pub house_number: String,
    /// Its leading digits.
    pub number: Option<u32>,
    /// Pre-direction.
    pub pre: String,
    /// Street name.
    pub name: String,
    /// Suffix.
    pub suffix: String,
    /// Post-direction.
    pub post: String,
    /// Unit number.
    pub unit: String,
    /// City.
    pub city: String,
    /// State code.
    pub state: String,
    /// ZIP5.
    pub zip: String,
}

/// What a lookup needs to be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Missing {
    /// The house number.
    HouseNumber,
    /// The street.
    Street,
    /// The ZIP code (the street runs through several).
    Zip,
    /// The city.
    City,
    /// The street suffix (`RD` or `DR`).
    StreetSuffix,
    /// The direction (`N` or `S`).
    Direction,
    /// The apartment or unit number.
    Unit,
}

impl Missing {
    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            Missing::HouseNumber => "house number",
            Missing::Street => "street",
            Missing::Zip => "ZIP code",
            Missing::City => "city",
            Missing::StreetSuffix => "street suffix",
            Missing::Direction => "street direction",
            Missing::Unit => "apartment or unit number",
        }
    }
}

/// A suggested street.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The street (`N MAIN ST`).
    pub street: String,
    /// Its ZIP, if known.
    pub zip: String,
    /// Jaro-Winkler similarity to what was typed, 0..1.
    pub score: f64,
}

/// The answer to a lookup.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Answer<'a> {
    /// One precinct (or several with the same places); where to vote.
    Found {
        /// The precinct and its places.
        precinct: &'a PrecinctAnswer,
        /// The street segment that matched.
        segment: &'a str,
        /// Other precincts the address matched that share the same places.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        also_precincts: Vec<&'a str>,
    },
    /// The precinct votes by mail.
    MailOnly {
        /// The precinct.
        precinct: &'a PrecinctAnswer,
        /// The street segment that matched.
        segment: &'a str,
    },
    /// The address matches several precincts; tell us more.
    NeedMore {
        /// What would decide.
        missing: Vec<Missing>,
        /// The values that would decide (ZIP codes, cities, streets, units).
        options: Vec<String>,
    },
    /// The feed sends this very address to more than one precinct (overlapping segments,
    /// typically a boundary house number in two ranges). Every candidate is listed, in
    /// feed order, never one picked at random, with the board of elections that can say
    /// which is right.
    Conflict {
        /// The precincts, each with its places.
        precincts: Vec<&'a PrecinctAnswer>,
        /// The overlapping segments.
        segments: Vec<&'a str>,
        /// Whom to ask: the county's (else the state's) election administration, when
        /// the feed names one.
        #[serde(skip_serializing_if = "Option::is_none")]
        contact: Option<&'a crate::index::Contact>,
    },
    /// No such street here; similar ones.
    DidYouMean {
        /// The street as understood.
        street: String,
        /// Suggestions, best first (may be empty).
        suggestions: Vec<Suggestion>,
    },
    /// The street exists but not this house number, or nothing was understood.
    NotFound {
        /// Why.
        reason: String,
    },
}

/// Parses free text into a [`Query`], using the index's city names to find the city when
/// there are no commas.
pub fn parse_query(text: &str, index: &Index) -> Query {
    let cleaned = clean_text(text);
    let mut parts: Vec<&str> = cleaned
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (street_text, mut tail): (String, Vec<&str>) = if parts.len() >= 2 {
        let street = parts.remove(0).to_string();
        (street, parts.iter().flat_map(|p| p.split(' ')).collect())
    } else {
        (
            String::new(),
            cleaned.split(' ').filter(|w| !w.is_empty()).collect(),
        )
    };
    let mut q = Query::default();
    // ZIP at the end.
    if let Some(last) = tail.last() {
        let (z5, _) = votebase_normalize::normalize_zip(last);
        if last.len() >= 5 && !z5.is_empty() {
            q.zip = z5;
            tail.pop();
        }
    }
    // State at the end (`NC`, `NORTH CAROLINA`).
    let keep_min = if street_text.is_empty() { 3 } else { 0 };
    for n in [2, 1] {
        if tail.len() >= n + keep_min
            && let Some(code) = state_code(&tail[tail.len() - n..].join(" "))
        {
            q.state = code.to_string();
            tail.truncate(tail.len() - n);
            break;
        }
    }
    let street_line = if street_text.is_empty() {
        // No commas: the longest known city at the end, leaving a street.
        for n in (1..=3.min(tail.len().saturating_sub(2))).rev() {
            let city = tail[tail.len() - n..].join(" ");
            if index.known_city(&city).is_some() {
                q.city = city;
                tail.truncate(tail.len() - n);
                break;
            }
        }
        tail.join(" ")
    } else {
        q.city = tail.join(" ");
        street_text
    };
    let a = parse_street_line(&street_line);
    q.number = leading_number(&a.house_number);
    q.house_number = a.house_number;
    q.pre = a.pre_direction;
    q.name = a.street_name;
    q.suffix = a.street_suffix;
    q.post = a.post_direction;
    q.unit = a.unit;
    q
}

fn leading_number(s: &str) -> Option<u32> {
    let digits: &str = &s[..s.bytes().take_while(u8::is_ascii_digit).count()];
    digits.parse().ok()
}

impl Index {
    /// Looks up a free-text address.
    pub fn lookup(&self, text: &str) -> Answer<'_> {
        let q = parse_query(text, self);
        self.lookup_query(&q)
    }

    /// Looks up a parsed query.
    pub fn lookup_query(&self, q: &Query) -> Answer<'_> {
        self.resolve(q, true)
            .expect("an answer whenever the street-name search may run")
    }

    /// Looks up a free-text address without the street-name search: `None` when the
    /// answer would be [`Answer::DidYouMean`], whose fuzzy scoring of every street of the
    /// ZIP (or of the feed) is the one part of a lookup whose cost grows with the feed.
    /// Every other answer is a few hash lookups and comparisons, cheap enough to compute
    /// on a server's async workers; the caller runs [`Index::lookup`] elsewhere on `None`.
    pub fn lookup_without_search(&self, text: &str) -> Option<Answer<'_>> {
        self.resolve(&parse_query(text, self), false)
    }

    /// The answer to `q`; with `search` false, `None` instead of a street-name search.
    fn resolve(&self, q: &Query, search: bool) -> Option<Answer<'_>> {
        let did_you_mean = |zip, city| search.then(|| self.did_you_mean(q, zip, city));
        let zip = if q.zip.is_empty() {
            NONE
        } else {
            zip_code(&q.zip)
        };
        let city = if q.city.is_empty() {
            NONE
        } else {
            self.known_city(&q.city).unwrap_or(NONE - 1)
        };
        if q.name.is_empty() {
            return Some(Answer::NotFound {
                reason: "no street in the address".into(),
            });
        }
        let Some(on_name) = self.by_name.get(q.name.as_str()) else {
            if let Some(a) = self.whole_area(zip, city) {
                return Some(a);
            }
            return did_you_mean(zip, city);
        };
        let street_ok = |i: &u32| {
            let k = &self.streets[self.segs[*i as usize].street as usize];
            (q.suffix.is_empty() || q.suffix == k.suffix)
                && (q.pre.is_empty() || q.pre == k.pre)
                && (q.post.is_empty() || q.post == k.post)
        };
        let area_ok = |i: &u32| {
            let s = &self.segs[*i as usize];
            if zip != NONE {
                s.zip == zip || (s.zip == NONE && (city == NONE || s.city == city))
            } else {
                city == NONE || s.city == city
            }
        };
        let mut cands: Vec<u32> = on_name.iter().copied().filter(street_ok).collect();
        if cands.is_empty() {
            return did_you_mean(zip, city);
        }
        cands.retain(area_ok);
        if cands.is_empty() {
            if let Some(a) = self.whole_area(zip, city) {
                return Some(a);
            }
            return did_you_mean(zip, city);
        }
        let Some(n) = q.number else {
            if cands.iter().all(|&i| self.segs[i as usize].all_addresses) {
                return Some(self.decide(q, cands));
            }
            return Some(Answer::NeedMore {
                missing: vec![Missing::HouseNumber],
                options: Vec::new(),
            });
        };
        cands.retain(|&i| {
            let s = &self.segs[i as usize];
            s.all_addresses || (s.lo <= n && n <= s.hi && s.parity.admits(n))
        });
        if cands.is_empty() {
            return Some(Answer::NotFound {
                reason: format!(
                    "house number {n} is in no address range of {} {}",
                    [q.pre.as_str(), &q.name, &q.suffix, &q.post]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" "),
                    if q.zip.is_empty() { &q.city } else { &q.zip }
                )
                .trim()
                .to_string(),
            });
        }
        // What was typed exactly (`HANOVER RD` without direction) beats what merely
        // does not contradict it (`E HANOVER RD`).
        let exact = |i: &u32| {
            let k = &self.streets[self.segs[*i as usize].street as usize];
            k.pre == q.pre && k.suffix == q.suffix && k.post == q.post
        };
        if cands.iter().any(exact) {
            cands.retain(exact);
        }
        // A ranged segment is more specific than one covering the whole street.
        if cands.iter().any(|&i| !self.segs[i as usize].all_addresses) {
            cands.retain(|&i| !self.segs[i as usize].all_addresses);
        }
        // Units: segments that list the unit beat unit-less ones.
        if !q.unit.is_empty() {
            let unit = q.unit.as_str();
            let listed = |i: &u32| self.segs[*i as usize].units.iter().any(|u| &**u == unit);
            if cands.iter().any(listed) {
                cands.retain(listed);
            } else {
                cands.retain(|&i| self.segs[i as usize].units.is_empty());
            }
        }
        Some(self.decide(q, cands))
    }

    /// Turns the matching segments into an answer.
    fn decide(&self, q: &Query, cands: Vec<u32>) -> Answer<'_> {
        let Some(&first) = cands.first() else {
            return Answer::NotFound {
                reason: "no street segment matches".into(),
            };
        };
        let seg = &self.segs[first as usize];
        let precinct = &self.precincts[seg.precinct as usize];
        let same = cands.iter().all(|&i| {
            self.precincts[self.segs[i as usize].precinct as usize].group == precinct.group
        });
        if same {
            if precinct.mail_only {
                return Answer::MailOnly {
                    precinct,
                    segment: &seg.id,
                };
            }
            let mut also: Vec<&str> = Vec::new();
            for &i in &cands[1..] {
                let p = &self.precincts[self.segs[i as usize].precinct as usize];
                if p.id != precinct.id && !also.contains(&p.id.as_str()) {
                    also.push(&p.id);
                }
            }
            return Answer::Found {
                precinct,
                segment: &seg.id,
                also_precincts: also,
            };
        }
        // Several answers: what tells them apart?
        let differ = |f: &dyn Fn(u32) -> String| {
            let mut vals: Vec<String> = cands.iter().map(|&i| f(i)).collect();
            vals.sort();
            vals.dedup();
            (vals.len() > 1).then_some(vals)
        };
        let street = |i: u32| &self.streets[self.segs[i as usize].street as usize];
        let checks: [(bool, Missing, Distinguish<'_>); 5] = [
            (q.zip.is_empty(), Missing::Zip, &|i| {
                let z = self.segs[i as usize].zip;
                if z == NONE {
                    String::new()
                } else {
                    format!("{z:05}")
                }
            }),
            (q.city.is_empty(), Missing::City, &|i| {
                let c = self.segs[i as usize].city;
                if c == NONE {
                    String::new()
                } else {
                    self.cities[c as usize].to_string()
                }
            }),
            (q.suffix.is_empty(), Missing::StreetSuffix, &|i| {
                street(i).display()
            }),
            (
                q.pre.is_empty() && q.post.is_empty(),
                Missing::Direction,
                &|i| street(i).display(),
            ),
            (q.unit.is_empty(), Missing::Unit, &|i| {
                self.segs[i as usize].units.join(" ")
            }),
        ];
        for (open, missing, f) in checks {
            if open && let Some(options) = differ(f) {
                return Answer::NeedMore {
                    missing: vec![missing],
                    options: options.into_iter().filter(|o| !o.is_empty()).collect(),
                };
            }
        }
        let mut precincts: Vec<&PrecinctAnswer> = Vec::new();
        let mut segments: Vec<&str> = Vec::new();
        for &i in &cands {
            let p = &self.precincts[self.segs[i as usize].precinct as usize];
            if !precincts.iter().any(|x| x.id == p.id) {
                precincts.push(p);
            }
            segments.push(&self.segs[i as usize].id);
        }
        let contact = precincts.iter().find_map(|p| p.contact.as_ref());
        Answer::Conflict {
            precincts,
            segments,
            contact,
        }
    }

    /// A segment covering every street of the ZIP or city.
    fn whole_area(&self, zip: u32, city: u32) -> Option<Answer<'_>> {
        if self.whole_area.is_empty() {
            return None;
        }
        let cands: Vec<u32> = self
            .whole_area
            .iter()
            .filter(|((z, c), _)| (zip != NONE && *z == zip) || (city != NONE && *c == city))
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        (!cands.is_empty()).then(|| self.decide(&Query::default(), cands))
    }

    /// Similar street names in the ZIP (or city, or anywhere when neither is known).
    fn did_you_mean(&self, q: &Query, zip: u32, city: u32) -> Answer<'_> {
        let typed = [q.pre.as_str(), &q.name, &q.suffix, &q.post]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let pool: Vec<u32> = match (
            self.streets_by_zip.get(&zip),
            self.streets_by_city.get(&city),
        ) {
            (Some(v), _) => v.clone(),
            (None, Some(v)) => v.clone(),
            _ => (0..self.streets.len() as u32).collect(),
        };
        let mut scored: Vec<(f64, u32)> = pool
            .into_iter()
            .map(|s| {
                let k = &self.streets[s as usize];
                let name_score = strsim::jaro_winkler(&q.name, &k.name);
                let full = strsim::jaro_winkler(&typed, &k.display());
                (name_score.max(full), s)
            })
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(5);
        let suggestions = scored
            .into_iter()
            .map(|(score, s)| {
                let key = &self.streets[s as usize];
                let zip_of = self
                    .by_name
                    .get(key.name.as_str())
                    .and_then(|v| {
                        v.iter()
                            .map(|&i| &self.segs[i as usize])
                            .find(|g| g.street == s && (zip == NONE || g.zip == zip))
                    })
                    .map(|g| {
                        if g.zip == NONE {
                            String::new()
                        } else {
                            format!("{:05}", g.zip)
                        }
                    })
                    .unwrap_or_default();
                Suggestion {
                    street: key.display(),
                    zip: zip_of,
                    score: (score * 1000.0).round() / 1000.0,
                }
            })
            .collect();
        Answer::DidYouMean {
            street: typed,
            suggestions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    #[allow(clippy::too_many_arguments)]
    fn seg(
        id: &str,
        name: &str,
        suffix: &str,
        lo: u32,
        hi: u32,
        p: Parity,
        zip: &str,
        city: &str,
        precinct: &str,
    ) -> StreetSegment {
        StreetSegment {
            id: id.into(),
            start: Some(lo),
            end: Some(hi),
            parity: Some(p),
            street_name: name.into(),
            street_suffix: suffix.into(),
            city: city.into(),
            zip: zip.into(),
            precinct_id: precinct.into(),
            ..Default::default()
        }
    }

    fn feed() -> Feed {
        let mut f = Feed::new(FeedFormat::Xml);
        for (id, mail, pl) in [("p1", false, "pl1"), ("p2", false, "pl2"), ("p3", true, "")] {
            f.precincts.push(Precinct {
                id: id.into(),
                name: id.to_uppercase(),
                mail_only: mail,
                polling_location_ids: split_ids(pl),
                ..Default::default()
            });
        }
        for id in ["pl1", "pl2"] {
            f.polling_locations.push(PollingLocation {
                id: id.into(),
                name: format!("HALL {id}"),
                election_day: true,
                ..Default::default()
            });
        }
        f.street_segments = vec![
            seg(
                "s1",
                "Main",
                "St",
                1,
                99,
                Parity::Odd,
                "27253",
                "Graham",
                "p1",
            ),
            seg(
                "s2",
                "Main",
                "St",
                2,
                98,
                Parity::Even,
                "27253",
                "Graham",
                "p2",
            ),
            seg(
                "s3",
                "Main",
                "St",
                1,
                99,
                Parity::Both,
                "27215",
                "Burlington",
                "p2",
            ),
            seg(
                "s4",
                "Oak",
                "Rd",
                1,
                50,
                Parity::Both,
                "27253",
                "Graham",
                "p3",
            ),
            seg(
                "s5",
                "Oakwood",
                "Dr",
                1,
                50,
                Parity::Both,
                "27253",
                "Graham",
                "p1",
            ),
        ];
        f
    }

    #[test]
    fn parses_free_text() {
        let idx = Index::build(&feed());
        let q = parse_query("12 North Main Street Apt 4, Graham, NC 27253-1234", &idx);
        assert_eq!(
            (
                q.number,
                q.pre.as_str(),
                q.name.as_str(),
                q.suffix.as_str(),
                q.unit.as_str()
            ),
            (Some(12), "N", "MAIN", "ST", "4")
        );
        assert_eq!(
            (q.city.as_str(), q.state.as_str(), q.zip.as_str()),
            ("GRAHAM", "NC", "27253")
        );
        let q = parse_query("12 Main St Graham NC 27253", &idx);
        assert_eq!((q.name.as_str(), q.city.as_str()), ("MAIN", "GRAHAM"));
    }

    #[test]
    fn precincts_know_their_position() {
        let idx = Index::build(&feed());
        for (i, p) in idx.precincts().iter().enumerate() {
            assert_eq!(idx.precinct_position(p), Some(i));
        }
        let other = Index::build(&feed());
        assert_eq!(idx.precinct_position(&other.precincts()[0]), None);
        match idx.lookup("13 Main St, Graham, NC 27253") {
            Answer::Found { precinct, .. } => {
                let at = idx.precinct_position(precinct).unwrap();
                assert_eq!(idx.precincts()[at].id, precinct.id);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn answers() {
        let idx = Index::build(&feed());
        match idx.lookup("13 Main St, Graham, NC 27253") {
            Answer::Found {
                precinct, segment, ..
            } => {
                assert_eq!((precinct.id.as_str(), segment), ("p1", "s1"));
                assert_eq!(precinct.polling_places[0].name, "HALL pl1");
            }
            other => panic!("{other:?}"),
        }
        match idx.lookup("14 Main St 27253") {
            Answer::Found { precinct, .. } => assert_eq!(precinct.id, "p2"),
            other => panic!("{other:?}"),
        }
        match idx.lookup("13 Main St") {
            Answer::NeedMore { missing, options } => {
                assert_eq!(missing, vec![Missing::Zip]);
                assert_eq!(options, vec!["27215", "27253"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            idx.lookup("5 Oak Rd, Graham 27253"),
            Answer::MailOnly { .. }
        ));
        match idx.lookup("5 Oakwod Dr, Graham, NC 27253") {
            Answer::DidYouMean { suggestions, .. } => {
                assert_eq!(suggestions[0].street, "OAKWOOD DR")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            idx.lookup("500 Main St 27253"),
            Answer::NotFound { .. }
        ));
        assert!(matches!(
            idx.lookup("Main St 27253"),
            Answer::NeedMore { ref missing, .. } if missing == &[Missing::HouseNumber]
        ));
    }

    #[test]
    fn without_search_is_the_same_answer_or_none_for_a_search() {
        let idx = Index::build(&feed());
        for text in [
            "13 Main St, Graham, NC 27253",
            "14 Main St 27253",
            "13 Main St",
            "5 Oak Rd, Graham 27253",
            "500 Main St 27253",
            "Main St 27253",
            "27253",
        ] {
            let quick = idx.lookup_without_search(text).expect(text);
            assert_eq!(format!("{quick:?}"), format!("{:?}", idx.lookup(text)));
        }
        assert!(matches!(
            idx.lookup("5 Oakwod Dr, Graham, NC 27253"),
            Answer::DidYouMean { .. }
        ));
        assert!(
            idx.lookup_without_search("5 Oakwod Dr, Graham, NC 27253")
                .is_none()
        );
    }
}
