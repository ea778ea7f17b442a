//! The generic form of one top-level VIP 5.x element, shared by the XML and 5.x CSV
//! readers: its name, id, origin and the flat list of its descendant nodes (path, depth,
//! text, line). The [`Builder`] takes these one at a time, in a single pass: it records
//! the id and the references for the cross-element checks, runs the per-element rules of
//! [`crate::validate`], and turns the elements the lookup needs (election, states,
//! localities, precincts, polling locations, hours, street segments) into the model.
//! Elements the model does not keep (contests, candidates, parties) are still validated.

use crate::model::*;
use crate::validate::{Finding, Rule, Severity, check_element};
use std::collections::HashMap;

/// One descendant of a top-level element.
#[derive(Debug, Clone, Default)]
pub struct RawNode {
    /// Path below the element, `/`-joined (`LatLng/Latitude`).
    pub path: String,
    /// 1 for a direct child.
    pub depth: u16,
    /// Text content, trimmed (empty for containers).
    pub text: String,
    /// 1-based line of its start tag.
    pub line: u64,
    /// True when it has no child elements.
    pub leaf: bool,
}

/// One top-level element.
#[derive(Debug, Clone, Default)]
pub struct RawElement {
    /// Element name (`StreetSegment`).
    pub tag: String,
    /// The `id` attribute, if present.
    pub id: Option<String>,
    /// Where it starts.
    pub origin: Origin,
    /// Descendants in document order.
    pub nodes: Vec<RawNode>,
}

impl RawElement {
    /// Text of the first node at `path`, if present (possibly empty).
    pub fn get(&self, path: &str) -> Option<&str> {
        self.nodes
            .iter()
            .find(|n| n.path == path)
            .map(|n| n.text.as_str())
    }

    /// Text of the first node at `path`, or `""`.
    pub fn text(&self, path: &str) -> &str {
        self.get(path).unwrap_or("")
    }

    /// Text of an internationalized field: `path/Text` (English first) or `path` itself.
    pub fn intl(&self, path: &str) -> String {
        let sub = format!("{path}/Text");
        let texts: Vec<&RawNode> = self.nodes.iter().filter(|n| n.path == sub).collect();
        match texts.first() {
            Some(first) => first.text.clone(),
            None => self.text(path).to_string(),
        }
    }

    /// Texts of every node at `path`.
    pub fn all<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.nodes
            .iter()
            .filter(move |n| n.path == path)
            .map(|n| n.text.as_str())
    }

    /// The id or `""`.
    pub fn id_str(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    /// The descendants of node `i` (the nodes after it that are deeper).
    pub fn children_of(&self, i: usize) -> &[RawNode] {
        let depth = self.nodes[i].depth;
        let end = self.nodes[i + 1..]
            .iter()
            .position(|n| n.depth <= depth)
            .map_or(self.nodes.len(), |p| i + 1 + p);
        &self.nodes[i + 1..end]
    }
}

/// True for a field holding id references (`PrecinctId`, `PollingLocationIds`).
pub fn is_reference_field(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    (last.ends_with("Id") || last.ends_with("Ids"))
        && last != "VipId"
        && !path.contains("ExternalIdentifier")
}

/// Turns raw elements into a [`Feed`], recording ids, references and per-element findings.
#[derive(Debug)]
pub struct Builder {
    feed: Feed,
    hours_index: HashMap<String, usize>,
    sources: usize,
    elections: usize,
}

impl Builder {
    /// A builder for a feed of `format`.
    pub fn new(format: FeedFormat) -> Builder {
        Builder {
            feed: Feed::new(format),
            hours_index: HashMap::new(),
            sources: 0,
            elections: 0,
        }
    }

    /// Sets the schema version.
    pub fn set_version(&mut self, version: &str) {
        self.feed.schema_version = version.to_string();
    }

    /// Adds one element.
    pub fn add(&mut self, el: RawElement) {
        let f = &mut self.feed;
        match &el.id {
            Some(id) if !id.trim().is_empty() => f.declared.push(Declared {
                id: id.clone(),
                element: el.tag.clone(),
                origin: el.origin.clone(),
            }),
            _ => {
                // A CSV-only `Schedule` row carries its id too; only XML elements without
                // one are findings.
                f.read_findings.push(Finding::new(
                    Severity::Error,
                    Rule::MissingId,
                    &el,
                    "",
                    format!("{} has no id", el.tag),
                ));
            }
        }
        check_element(&el, &mut f.read_findings);
        // A CSV 5.x schedule row declares the HoursOpen it belongs to.
        let declares_owner = el.tag == "Schedule";
        for n in &el.nodes {
            if declares_owner && n.path == "HoursOpenId" {
                continue;
            }
            if n.leaf && is_reference_field(&n.path) {
                for target in n.text.split_whitespace() {
                    f.references.push(Reference {
                        element: el.tag.clone(),
                        from_id: el.id_str().to_string(),
                        field: n.path.clone(),
                        target: target.to_string(),
                        origin: Origin {
                            file: el.origin.file.clone(),
                            line: n.line,
                        },
                    });
                }
            }
        }
        match el.tag.as_str() {
            "Source" => {
                self.sources += 1;
                if self.sources > 1 {
                    f.read_findings.push(Finding::new(
                        Severity::Error,
                        Rule::MoreThanOne,
                        &el,
                        "",
                        "a feed has exactly one Source".into(),
                    ));
                } else {
                    f.source = Some(Source {
                        id: el.id_str().into(),
                        name: el.text("Name").into(),
                        vip_id: el.text("VipId").into(),
                        date_time: el.text("DateTime").into(),
                    });
                }
            }
            "Election" => {
                self.elections += 1;
                if self.elections > 1 {
                    f.read_findings.push(Finding::new(
                        Severity::Error,
                        Rule::MoreThanOne,
                        &el,
                        "",
                        "a feed has exactly one Election".into(),
                    ));
                } else {
                    f.election = Some(Election {
                        id: el.id_str().into(),
                        name: el.intl("Name"),
                        date: el.text("Date").into(),
                        state_id: el.text("StateId").into(),
                    });
                }
            }
            "State" => f.states.push(State {
                id: el.id_str().into(),
                name: el.text("Name").into(),
                polling_location_ids: split_ids(el.text("PollingLocationIds")),
                election_administration_id: el.text("ElectionAdministrationId").trim().into(),
            }),
            "Locality" => f.localities.push(Locality {
                id: el.id_str().into(),
                name: el.text("Name").into(),
                state_id: el.text("StateId").into(),
                polling_location_ids: split_ids(el.text("PollingLocationIds")),
                election_administration_id: el.text("ElectionAdministrationId").trim().into(),
            }),
            "ElectionAdministration" => {
                let contact = "Department/ContactInformation";
                let mut address_lines: Vec<String> = el
                    .all(&format!("{contact}/AddressLine"))
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                address_lines.dedup();
                let name = el.text(&format!("{contact}/Name"));
                f.election_administrations.push(ElectionAdministration {
                    id: el.id_str().into(),
                    name: if name.is_empty() {
                        el.text("Name").into()
                    } else {
                        name.into()
                    },
                    address_lines,
                    phone: el.text(&format!("{contact}/Phone")).into(),
                    email: el.text(&format!("{contact}/Email")).into(),
                    url: el.text("ElectionsUri").into(),
                })
            }
            "Precinct" => f.precincts.push(Precinct {
                id: el.id_str().into(),
                name: el.text("Name").into(),
                number: el.text("Number").into(),
                locality_id: el.text("LocalityId").into(),
                mail_only: parse_bool(el.text("IsMailOnly")),
                split_name: el.text("PrecinctSplitName").into(),
                parent_id: None,
                polling_location_ids: split_ids(el.text("PollingLocationIds")),
                origin: el.origin.clone(),
            }),
            "PollingLocation" => f.polling_locations.push(polling_location(&el)),
            "HoursOpen" => {
                let schedules = schedules(&el);
                self.push_schedules(el.id_str(), schedules);
            }
            // CSV 5.x: one row per schedule, pointing at its HoursOpen.
            "Schedule" => {
                let s = Schedule {
                    start_date: el.text("StartDate").into(),
                    end_date: el.text("EndDate").into(),
                    hours: vec![(el.text("StartTime").into(), el.text("EndTime").into())],
                    only_by_appointment: parse_bool(el.text("IsOnlyByAppointment")),
                };
                let owner = el.text("HoursOpenId").trim().to_string();
                if !owner.is_empty() && !self.hours_index.contains_key(&owner) {
                    self.feed.declared.push(Declared {
                        id: owner.clone(),
                        element: "HoursOpen".into(),
                        origin: el.origin.clone(),
                    });
                }
                self.push_schedules(&owner, vec![s]);
            }
            "StreetSegment" => f.street_segments.push(street_segment(&el)),
            _ => {}
        }
    }

    fn push_schedules(&mut self, id: &str, schedules: Vec<Schedule>) {
        let i = *self.hours_index.entry(id.to_string()).or_insert_with(|| {
            self.feed.hours.push(HoursOpen {
                id: id.to_string(),
                schedules: Vec::new(),
            });
            self.feed.hours.len() - 1
        });
        self.feed.hours[i].schedules.extend(schedules);
    }

    /// The feed built so far.
    pub fn finish(self) -> Feed {
        self.feed
    }
}

fn polling_location(el: &RawElement) -> PollingLocation {
    let mut address_lines: Vec<String> = el
        .all("AddressLine")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if el.get("AddressStructured").is_some() {
        for p in ["Line1", "Line2", "Line3"] {
            let t = el.text(&format!("AddressStructured/{p}"));
            if !t.is_empty() {
                address_lines.push(t.to_string());
            }
        }
        let city = el.text("AddressStructured/City");
        let state = el.text("AddressStructured/State");
        let zip = el.text("AddressStructured/Zip");
        let last = format!("{city}, {state} {zip}");
        let last = last.trim().trim_matches(',').trim().to_string();
        if !last.is_empty() {
            address_lines.push(last);
        }
    }
    let lat = el.text("LatLng/Latitude").trim().parse::<f64>().ok();
    let lng = el.text("LatLng/Longitude").trim().parse::<f64>().ok();
    let early_vote = parse_bool(el.text("IsEarlyVoting"));
    let drop_box = parse_bool(el.text("IsDropBox"));
    let hours_open_id = Some(el.text("HoursOpenId").trim().to_string()).filter(|s| !s.is_empty());
    PollingLocation {
        id: el.id_str().into(),
        name: el.text("Name").into(),
        address_lines,
        directions: el.intl("Directions"),
        lat_lng: lat.zip(lng),
        election_day: !early_vote && !drop_box,
        early_vote,
        drop_box,
        hours_open_id,
        hours_text: el.intl("Hours"),
        origin: el.origin.clone(),
    }
}

fn schedules(el: &RawElement) -> Vec<Schedule> {
    let mut out = Vec::new();
    for (i, n) in el.nodes.iter().enumerate() {
        if n.path != "Schedule" {
            continue;
        }
        let mut s = Schedule::default();
        let mut open = String::new();
        for c in el.children_of(i) {
            match c.path.as_str() {
                "Schedule/StartDate" => s.start_date = c.text.clone(),
                "Schedule/EndDate" => s.end_date = c.text.clone(),
                "Schedule/IsOnlyByAppointment" => s.only_by_appointment = parse_bool(&c.text),
                "Schedule/Hours/StartTime" => open = c.text.clone(),
                "Schedule/Hours/EndTime" => {
                    s.hours.push((std::mem::take(&mut open), c.text.clone()))
                }
                _ => {}
            }
        }
        out.push(s);
    }
    out
}

fn street_segment(el: &RawElement) -> StreetSegment {
    StreetSegment {
        id: el.id_str().into(),
        start: parse_house_number(el.text("StartHouseNumber")),
        end: parse_house_number(el.text("EndHouseNumber")),
        parity: Parity::parse(el.text("OddEvenBoth")),
        house_number_prefix: el.text("HouseNumberPrefix").into(),
        house_number_suffix: el.text("HouseNumberSuffix").into(),
        pre_direction: el.text("StreetDirection").into(),
        street_name: el.text("StreetName").into(),
        street_suffix: el.text("StreetSuffix").into(),
        post_direction: el.text("AddressDirection").into(),
        units: el
            .all("UnitNumber")
            .flat_map(str::split_whitespace)
            .map(str::to_string)
            .collect(),
        city: el.text("City").into(),
        state: el.text("State").into(),
        zip: el.text("Zip").into(),
        includes_all_addresses: parse_bool(el.text("IncludesAllAddresses")),
        includes_all_streets: parse_bool(el.text("IncludesAllStreets")),
        precinct_id: el.text("PrecinctId").trim().into(),
        origin: el.origin.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(path: &str, depth: u16, text: &str, leaf: bool) -> RawNode {
        RawNode {
            path: path.into(),
            depth,
            text: text.into(),
            line: 1,
            leaf,
        }
    }

    #[test]
    fn reference_fields() {
        assert!(is_reference_field("PrecinctId"));
        assert!(is_reference_field("PollingLocationIds"));
        assert!(!is_reference_field("VipId"));
        assert!(!is_reference_field("Name"));
    }

    #[test]
    fn builds_a_polling_location_with_hours() {
        let mut b = Builder::new(FeedFormat::Xml);
        b.add(RawElement {
            tag: "PollingLocation".into(),
            id: Some("pl1".into()),
            origin: Origin::default(),
            nodes: vec![
                node("AddressLine", 1, "1 Main St", true),
                node("IsEarlyVoting", 1, "true", true),
                node("HoursOpenId", 1, "h1", true),
                node("Name", 1, "Hall", true),
            ],
        });
        b.add(RawElement {
            tag: "HoursOpen".into(),
            id: Some("h1".into()),
            origin: Origin::default(),
            nodes: vec![
                node("Schedule", 1, "", false),
                node("Schedule/Hours", 2, "", false),
                node("Schedule/Hours/StartTime", 3, "06:00:00-05:00", true),
                node("Schedule/Hours/EndTime", 3, "19:00:00-05:00", true),
                node("Schedule/StartDate", 2, "2013-11-05", true),
            ],
        });
        let f = b.finish();
        let pl = &f.polling_locations[0];
        assert!(pl.early_vote && !pl.election_day);
        assert_eq!(pl.hours_open_id.as_deref(), Some("h1"));
        assert_eq!(f.hours[0].schedules[0].hours[0].1, "19:00:00-05:00");
        assert_eq!(f.references.len(), 1);
    }
}
