//! The VIP 3.0 CSV flavour (e.g. North Carolina's 2012 feeds): flat files with their own
//! column names (`non_house_address_street_name`, `address_location_name`) and join
//! tables (`precinct_polling_location.txt`, `precinct_split_polling_location.txt`,
//! `precinct_early_vote_site.txt`). Precinct splits become precincts whose `parent_id` is
//! the precinct they split, early-vote sites become early-vote polling locations, and a
//! street segment points at its split when it has one, else at its precinct, so the
//! lookup goes segment -> split -> polling location as the feed intends.

use crate::csv5::{Files, Table};
use crate::error::Result;
use crate::model::*;
use crate::validate::{Finding, Rule, Severity};
use std::collections::HashMap;

/// True when the files are the 3.0 flavour.
pub fn looks_like_v3(files: &Files) -> bool {
    if files.get("precinct_split.txt").is_some()
        || files.get("precinct_polling_location.txt").is_some()
        || files.get("early_vote_site.txt").is_some()
    {
        return true;
    }
    files.get("street_segment.txt").is_some_and(|b| {
        b.split(|&c| c == b'\n')
            .next()
            .is_some_and(|h| String::from_utf8_lossy(h).contains("non_house_address_street_name"))
    })
}

/// (owner id) -> [target ids] of a join table.
fn join(
    files: &Files,
    file: &str,
    owner: &str,
    target: &str,
    feed: &mut Feed,
) -> Result<HashMap<String, Vec<String>>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(t) = files.rows(file)? {
        for (line, row) in &t.rows {
            let (o, g) = (t.cell(row, owner), t.cell(row, target));
            if o.is_empty() || g.is_empty() {
                continue;
            }
            feed.references.push(Reference {
                element: file.trim_end_matches(".txt").into(),
                from_id: o.into(),
                field: target.into(),
                target: g.into(),
                origin: Origin {
                    file: file.into(),
                    line: *line,
                },
            });
            map.entry(o.to_string()).or_default().push(g.to_string());
        }
    }
    Ok(map)
}

fn origin(t: &Table, line: u64) -> Origin {
    Origin {
        file: t.file.clone(),
        line,
    }
}

fn declare(feed: &mut Feed, element: &str, id: &str, origin: &Origin) {
    if id.is_empty() {
        feed.read_findings.push(Finding::at(
            Severity::Error,
            Rule::MissingId,
            element,
            "",
            "id",
            origin,
            format!("{element} row has no id"),
        ));
    } else {
        feed.declared.push(Declared {
            id: id.into(),
            element: element.into(),
            origin: origin.clone(),
        });
    }
}

fn reference(
    feed: &mut Feed,
    element: &str,
    from: &str,
    field: &str,
    target: &str,
    origin: &Origin,
) {
    if !target.is_empty() {
        feed.references.push(Reference {
            element: element.into(),
            from_id: from.into(),
            field: field.into(),
            target: target.into(),
            origin: origin.clone(),
        });
    }
}

/// The address lines of a 3.0 `address_*` group.
fn address_lines(t: &Table, row: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = ["address_line1", "address_line2", "address_line3"]
        .iter()
        .map(|c| t.cell(row, c).to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let last = format!(
        "{}, {} {}",
        t.cell(row, "address_city"),
        t.cell(row, "address_state"),
        t.cell(row, "address_zip")
    );
    let last = last.trim().trim_matches(',').trim().to_string();
    if !last.is_empty() {
        lines.push(last);
    }
    lines
}

/// The boards of elections (`election_administration.txt`), with the phone and e-mail of
/// their election official (`eo_id` -> `election_official.txt`) as the contact.
fn election_administrations(files: &Files, feed: &mut Feed) -> Result<()> {
    let mut officials: HashMap<String, (String, String)> = HashMap::new();
    if let Some(t) = files.rows("election_official.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            declare(feed, "ElectionOfficial", id, &origin(&t, *line));
            officials.insert(
                id.into(),
                (t.cell(row, "phone").into(), t.cell(row, "email").into()),
            );
        }
    }
    let Some(t) = files.rows("election_administration.txt")? else {
        return Ok(());
    };
    for (line, row) in &t.rows {
        let id = t.cell(row, "id");
        let o = origin(&t, *line);
        declare(feed, "ElectionAdministration", id, &o);
        let eo = t.cell(row, "eo_id");
        reference(feed, "ElectionAdministration", id, "eo_id", eo, &o);
        let (phone, email) = officials.get(eo).cloned().unwrap_or_default();
        let mut address_lines = Vec::new();
        for prefix in ["physical_address", "mailing_address"] {
            let cell = |c: &str| t.cell(row, &format!("{prefix}_{c}")).to_string();
            let lines: Vec<String> = ["location_name", "line1", "line2", "line3"]
                .iter()
                .map(|c| cell(c))
                .filter(|l| !l.is_empty())
                .collect();
            if lines.is_empty() {
                continue;
            }
            let last = format!("{}, {} {}", cell("city"), cell("state"), cell("zip"));
            address_lines = lines;
            address_lines.push(last.trim().trim_matches(',').trim().to_string());
            break;
        }
        feed.election_administrations.push(ElectionAdministration {
            id: id.into(),
            name: t.cell(row, "name").into(),
            address_lines,
            phone,
            email,
            url: t.cell(row, "elections_url").into(),
        });
    }
    Ok(())
}

/// Reads a 3.0 CSV feed.
pub fn read(files: &Files) -> Result<Feed> {
    let mut feed = Feed::new(FeedFormat::Csv3);
    feed.schema_version = "3.0".into();
    if let Some(t) = files.rows("source.txt")?
        && let Some((_, row)) = t.rows.first()
    {
        {
            feed.source = Some(Source {
                id: t.cell(row, "id").into(),
                name: t.cell(row, "name").into(),
                vip_id: t.cell(row, "vip_id").into(),
                date_time: t.cell(row, "datetime").into(),
            });
        }
    }
    if let Some(t) = files.rows("election.txt")? {
        for (line, row) in &t.rows {
            declare(&mut feed, "Election", t.cell(row, "id"), &origin(&t, *line));
            if feed.election.is_none() {
                feed.election = Some(Election {
                    id: t.cell(row, "id").into(),
                    name: t.cell(row, "election_type").into(),
                    date: t.cell(row, "date").into(),
                    state_id: t.cell(row, "state_id").into(),
                });
            }
        }
    }
    let state_ev = join(
        files,
        "state_early_vote_site.txt",
        "state_id",
        "early_vote_site_id",
        &mut feed,
    )?;
    if let Some(t) = files.rows("state.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            declare(&mut feed, "State", id, &origin(&t, *line));
            feed.states.push(State {
                id: id.into(),
                name: t.cell(row, "name").into(),
                polling_location_ids: state_ev.get(id).cloned().unwrap_or_default(),
                election_administration_id: t.cell(row, "election_administration_id").into(),
            });
        }
    }
    let locality_ev = join(
        files,
        "locality_early_vote_site.txt",
        "locality_id",
        "early_vote_site_id",
        &mut feed,
    )?;
    if let Some(t) = files.rows("locality.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            let o = origin(&t, *line);
            declare(&mut feed, "Locality", id, &o);
            reference(
                &mut feed,
                "Locality",
                id,
                "state_id",
                t.cell(row, "state_id"),
                &o,
            );
            reference(
                &mut feed,
                "Locality",
                id,
                "election_administration_id",
                t.cell(row, "election_administration_id"),
                &o,
            );
            feed.localities.push(Locality {
                id: id.into(),
                name: t.cell(row, "name").into(),
                state_id: t.cell(row, "state_id").into(),
                polling_location_ids: locality_ev.get(id).cloned().unwrap_or_default(),
                election_administration_id: t.cell(row, "election_administration_id").into(),
            });
        }
    }
    election_administrations(files, &mut feed)?;
    if let Some(t) = files.rows("polling_location.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            let o = origin(&t, *line);
            declare(&mut feed, "PollingLocation", id, &o);
            feed.polling_locations.push(PollingLocation {
                id: id.into(),
                name: t.cell(row, "address_location_name").into(),
                address_lines: address_lines(&t, row),
                directions: t.cell(row, "directions").into(),
                lat_lng: None,
                election_day: true,
                early_vote: false,
                drop_box: false,
                hours_open_id: None,
                hours_text: t.cell(row, "polling_hours").into(),
                origin: o,
            });
        }
    }
    if let Some(t) = files.rows("early_vote_site.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            let o = origin(&t, *line);
            declare(&mut feed, "EarlyVoteSite", id, &o);
            let dates = match (t.cell(row, "start_date"), t.cell(row, "end_date")) {
                ("", "") => String::new(),
                (a, b) => format!("{a} to {b}: "),
            };
            let name = t.cell(row, "name");
            feed.polling_locations.push(PollingLocation {
                id: id.into(),
                name: if name.is_empty() {
                    t.cell(row, "address_location_name").into()
                } else {
                    name.into()
                },
                address_lines: address_lines(&t, row),
                directions: t.cell(row, "directions").into(),
                lat_lng: None,
                election_day: false,
                early_vote: true,
                drop_box: false,
                hours_open_id: None,
                hours_text: format!("{dates}{}", t.cell(row, "days_times_open")),
                origin: o,
            });
        }
    }
    let precinct_pl = join(
        files,
        "precinct_polling_location.txt",
        "precinct_id",
        "polling_location_id",
        &mut feed,
    )?;
    let precinct_ev = join(
        files,
        "precinct_early_vote_site.txt",
        "precinct_id",
        "early_vote_site_id",
        &mut feed,
    )?;
    let split_pl = join(
        files,
        "precinct_split_polling_location.txt",
        "precinct_split_id",
        "polling_location_id",
        &mut feed,
    )?;
    let mut parents: HashMap<String, (String, String)> = HashMap::new();
    if let Some(t) = files.rows("precinct.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            let o = origin(&t, *line);
            declare(&mut feed, "Precinct", id, &o);
            reference(
                &mut feed,
                "Precinct",
                id,
                "locality_id",
                t.cell(row, "locality_id"),
                &o,
            );
            let mut pls = precinct_pl.get(id).cloned().unwrap_or_default();
            pls.extend(precinct_ev.get(id).cloned().unwrap_or_default());
            parents.insert(
                id.into(),
                (
                    t.cell(row, "name").into(),
                    t.cell(row, "locality_id").into(),
                ),
            );
            feed.precincts.push(Precinct {
                id: id.into(),
                name: t.cell(row, "name").into(),
                number: t.cell(row, "number").into(),
                locality_id: t.cell(row, "locality_id").into(),
                mail_only: parse_bool(t.cell(row, "mail_only")),
                split_name: String::new(),
                parent_id: None,
                polling_location_ids: pls,
                origin: o,
            });
        }
    }
    if let Some(t) = files.rows("precinct_split.txt")? {
        for (line, row) in &t.rows {
            let id = t.cell(row, "id");
            let parent = t.cell(row, "precinct_id");
            let o = origin(&t, *line);
            declare(&mut feed, "PrecinctSplit", id, &o);
            reference(&mut feed, "PrecinctSplit", id, "precinct_id", parent, &o);
            let mut pls = split_pl
                .get(id)
                .or_else(|| precinct_pl.get(parent))
                .cloned()
                .unwrap_or_default();
            pls.extend(precinct_ev.get(parent).cloned().unwrap_or_default());
            let (parent_name, locality) = parents.get(parent).cloned().unwrap_or_default();
            let mail_only = feed
                .precincts
                .iter()
                .find(|p| p.id == parent)
                .is_some_and(|p| p.mail_only);
            feed.precincts.push(Precinct {
                id: id.into(),
                name: parent_name,
                number: String::new(),
                locality_id: locality,
                mail_only,
                split_name: t.cell(row, "name").into(),
                parent_id: Some(parent.into()),
                polling_location_ids: pls,
                origin: o,
            });
        }
    }
    if let Some(t) = files.rows("street_segment.txt")? {
        feed.street_segments.reserve(t.rows.len());
        let col = |name: &str| t.col(name);
        let c = [
            "start_house_number",
            "end_house_number",
            "odd_even_both",
            "non_house_address_street_direction",
            "non_house_address_street_name",
            "non_house_address_street_suffix",
            "non_house_address_address_direction",
            "non_house_address_city",
            "non_house_address_state",
            "non_house_address_zip",
            "precinct_id",
            "precinct_split_id",
            "id",
            "start_apartment_number",
            "non_house_address_house_number_prefix",
            "non_house_address_house_number_suffix",
        ]
        .map(col);
        let get = |row: &[String], i: usize| -> String {
            c[i].and_then(|k| row.get(k)).cloned().unwrap_or_default()
        };
        let mut known: std::collections::HashSet<String> =
            feed.precincts.iter().map(|p| p.id.clone()).collect();
        for (line, row) in &t.rows {
            let o = origin(&t, *line);
            let id = get(row, 12);
            declare(&mut feed, "StreetSegment", &id, &o);
            let (start_raw, end_raw, parity_raw) = (get(row, 0), get(row, 1), get(row, 2));
            let (start, end) = (parse_house_number(&start_raw), parse_house_number(&end_raw));
            for (field, raw, parsed) in [
                ("start_house_number", &start_raw, start),
                ("end_house_number", &end_raw, end),
            ] {
                if parsed.is_none() {
                    feed.read_findings.push(Finding::at(
                        Severity::Error,
                        Rule::InvalidHouseNumber,
                        "StreetSegment",
                        &id,
                        field,
                        &o,
                        format!("StreetSegment {id}: {field} {raw:?} is not a whole number"),
                    ));
                }
            }
            if let (Some(s), Some(e)) = (start, end)
                && s > e
            {
                feed.read_findings.push(Finding::at(
                    Severity::Error,
                    Rule::InvalidHouseNumber,
                    "StreetSegment",
                    &id,
                    "end_house_number",
                    &o,
                    format!("StreetSegment {id}: range {s}-{e} ends before it starts"),
                ));
            }
            let parity = Parity::parse(&parity_raw);
            if parity.is_none() {
                feed.read_findings.push(Finding::at(
                    Severity::Error,
                    Rule::InvalidEnum,
                    "StreetSegment",
                    &id,
                    "odd_even_both",
                    &o,
                    format!(
                        "StreetSegment {id}: odd_even_both {parity_raw:?} is not ODD, EVEN or BOTH"
                    ),
                ));
            }
            let (precinct, split) = (get(row, 10), get(row, 11));
            reference(
                &mut feed,
                "StreetSegment",
                &id,
                "precinct_id",
                &precinct,
                &o,
            );
            reference(
                &mut feed,
                "StreetSegment",
                &id,
                "precinct_split_id",
                &split,
                &o,
            );
            // Real 3.0 feeds (Alamance) name splits that only the join tables know:
            // such a split is a split of the segment's precinct with the join table's
            // polling place (the dangling reference is still reported).
            if !split.is_empty() && !known.contains(&split) && split_pl.contains_key(&split) {
                known.insert(split.clone());
                let parent = feed.precincts.iter().find(|p| p.id == precinct).cloned();
                let mut pls = split_pl.get(&split).cloned().unwrap_or_default();
                pls.extend(precinct_ev.get(&precinct).cloned().unwrap_or_default());
                feed.precincts.push(Precinct {
                    id: split.clone(),
                    name: parent.as_ref().map_or(String::new(), |p| p.name.clone()),
                    number: String::new(),
                    locality_id: parent
                        .as_ref()
                        .map_or(String::new(), |p| p.locality_id.clone()),
                    mail_only: parent.as_ref().is_some_and(|p| p.mail_only),
                    split_name: split.clone(),
                    parent_id: Some(precinct.clone()),
                    polling_location_ids: pls,
                    origin: o.clone(),
                });
            }
            let unit = get(row, 13);
            feed.street_segments.push(StreetSegment {
                start,
                end,
                parity,
                house_number_prefix: get(row, 14),
                house_number_suffix: get(row, 15),
                pre_direction: get(row, 3),
                street_name: get(row, 4),
                street_suffix: get(row, 5),
                post_direction: get(row, 6),
                units: if unit.is_empty() {
                    Vec::new()
                } else {
                    vec![unit]
                },
                city: get(row, 7),
                state: get(row, 8),
                zip: get(row, 9),
                includes_all_addresses: false,
                includes_all_streets: false,
                precinct_id: if split.is_empty() { precinct } else { split },
                id,
                origin: o,
            });
        }
    }
    Ok(feed)
}
