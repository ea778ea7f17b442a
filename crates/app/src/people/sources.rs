//! Other tools' API responses, built in: a Mobilize API events page (`GET /events` or
//! `/organizations/:id/events`: `{count, next, previous, data: [event]}`, timeslots in
//! Unix seconds) read as events with shifts, ids `mobilize:<id>` like the attendance
//! export's; and Action Network / OSDI people (a HAL collection with
//! `_embedded["osdi:people"]`, a bare array, or one person) read as people with their
//! emails, phones and ZIP, ids from `identifiers` (`action_network:<uuid>`), an email
//! whose status is `unsubscribed` honoured at once. People are added only when absent
//! (a known id keeps its record); dates the source got wrong (`2019-02-29`) are ignored.

use super::PeopleError;
use serde_json::Value;
use std::path::Path;
use votebase_domain::people::events::{NewEvent, NewShift};
use votebase_domain::people::{Consent, NewPerson, normalize_email};
use votebase_store::Store;
use votebase_store::people::UpsertOutcome;

fn read_json(path: &Path) -> Result<Value, PeopleError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| PeopleError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| PeopleError::Invalid(format!("{}: not JSON: {e}", path.display())))
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.trim().chars().take(300).collect(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The events of a Mobilize API events page (or a bare array of events).
pub fn mobilize_events(doc: &Value) -> Result<Vec<NewEvent>, PeopleError> {
    let list = match doc {
        Value::Array(a) => a.as_slice(),
        Value::Object(o) => match o.get("data") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => {
                return Err(PeopleError::Invalid(
                    "not a Mobilize events page: no `data` array".into(),
                ));
            }
        },
        _ => return Err(PeopleError::Invalid("not a Mobilize events page".into())),
    };
    let mut out = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let id = text(e, "id");
        if id.is_empty() {
            return Err(PeopleError::Invalid(format!("event #{}: no id", i + 1)));
        }
        let location = e.get("location").cloned().unwrap_or(Value::Null);
        let mut place: Vec<String> = Vec::new();
        let venue = text(&location, "venue");
        if !venue.is_empty() {
            place.push(venue);
        }
        if let Some(Value::Array(lines)) = location.get("address_lines") {
            place.extend(
                lines
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from),
            );
        }
        for key in ["locality", "region"] {
            let t = text(&location, key);
            if !t.is_empty() {
                place.push(t);
            }
        }
        if e.get("is_virtual").and_then(Value::as_bool) == Some(true) {
            place.push("virtual".into());
        }
        let mut shifts = Vec::new();
        if let Some(Value::Array(slots)) = e.get("timeslots") {
            for s in slots {
                let start = s.get("start_date").and_then(Value::as_i64);
                let Some(starts_at) = start.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                else {
                    return Err(PeopleError::Invalid(format!(
                        "event {id}: a timeslot without a start_date in Unix seconds"
                    )));
                };
                shifts.push(NewShift {
                    external_id: text(s, "id"),
                    starts_at,
                    ends_at: s
                        .get("end_date")
                        .and_then(Value::as_i64)
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
                    capacity: s
                        .get("max_attendees")
                        .or_else(|| e.get("max_attendees"))
                        .and_then(Value::as_u64)
                        .map(|c| c.min(u32::MAX as u64) as u32),
                });
            }
        }
        let kind = text(e, "event_type").to_ascii_lowercase();
        out.push(NewEvent {
            external_id: format!("mobilize:{id}"),
            source: "mobilize".into(),
            title: text(e, "title"),
            kind: if kind.is_empty() {
                "event".into()
            } else {
                kind
            },
            organization: e
                .get("sponsor")
                .map(|s| text(s, "name"))
                .unwrap_or_default(),
            location: place.join(", ").chars().take(300).collect(),
            zip: text(&location, "postal_code").chars().take(5).collect(),
            shifts,
        });
    }
    Ok(out)
}

/// Imports a Mobilize API events page; events are upserted by id.
pub async fn import_mobilize_events(
    store: &dyn Store,
    path: &Path,
) -> Result<UpsertOutcome, PeopleError> {
    let events = mobilize_events(&read_json(path)?)?;
    Ok(store.upsert_events(&events).await?)
}

/// One OSDI person, and the addresses they unsubscribed.
pub fn osdi_person(p: &Value) -> Result<(NewPerson, Vec<String>), PeopleError> {
    let ids: Vec<String> = match p.get("identifiers") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .collect(),
        _ => Vec::new(),
    };
    let id = ids
        .iter()
        .find(|i| i.starts_with("action_network:"))
        .or_else(|| ids.first())
        .cloned()
        .ok_or_else(|| PeopleError::Invalid("an OSDI person without identifiers".into()))?;
    let mut emails = Vec::new();
    let mut unsubscribed = Vec::new();
    if let Some(Value::Array(list)) = p.get("email_addresses") {
        let mut sorted: Vec<&Value> = list.iter().collect();
        sorted.sort_by_key(|e| e.get("primary").and_then(Value::as_bool) != Some(true));
        for e in sorted {
            if let Some(addr) = normalize_email(&text(e, "address")) {
                if text(e, "status").eq_ignore_ascii_case("unsubscribed") {
                    unsubscribed.push(addr.clone());
                }
                emails.push(addr);
            }
        }
    }
    let mut phones = Vec::new();
    if let Some(Value::Array(list)) = p.get("phone_numbers") {
        for n in list {
            let phone = votebase_normalize::normalize_phone(&text(n, "number"));
            if !phone.e164.is_empty() {
                phones.push(phone.e164);
            }
        }
    }
    let zip = match p.get("postal_addresses") {
        Some(Value::Array(list)) => list
            .iter()
            .find(|a| a.get("primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| list.first())
            .map(|a| votebase_normalize::normalize_zip(&text(a, "postal_code")).0)
            .filter(|z| z.len() == 5)
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok((
        NewPerson {
            external_id: id,
            source: "action_network".into(),
            first_name: text(p, "given_name"),
            last_name: text(p, "family_name"),
            consent: Consent {
                email: !emails.is_empty() && unsubscribed.len() < emails.len(),
                ..Consent::default()
            },
            emails,
            phones,
            address: String::new(),
            zip,
        },
        unsubscribed,
    ))
}

/// What an OSDI people import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OsdiImport {
    /// People in the file.
    pub people: u64,
    /// New to the store.
    pub added: u64,
    /// Addresses marked unsubscribed.
    pub unsubscribed: u64,
}

/// Imports Action Network / OSDI people (collection, array or one person).
pub async fn import_osdi_people(store: &dyn Store, path: &Path) -> Result<OsdiImport, PeopleError> {
    let doc = read_json(path)?;
    let list: Vec<&Value> = match &doc {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("_embedded").and_then(|e| e.get("osdi:people")) {
            Some(Value::Array(a)) => a.iter().collect(),
            _ if o.contains_key("identifiers") => vec![&doc],
            _ => {
                return Err(PeopleError::Invalid(format!(
                    "{}: not OSDI people (no _embedded[\"osdi:people\"])",
                    path.display()
                )));
            }
        },
        _ => return Err(PeopleError::Invalid("not OSDI people".into())),
    };
    let mut people = Vec::new();
    let mut unsubscribed = Vec::new();
    for p in list {
        let (person, unsub) = osdi_person(p)?;
        people.push(person);
        unsubscribed.extend(unsub);
    }
    let added = store.add_people_if_absent(&people).await?;
    let mut marked = 0;
    for e in &unsubscribed {
        marked += store.unsubscribe(e).await?;
    }
    Ok(OsdiImport {
        people: people.len() as u64,
        added,
        unsubscribed: marked,
    })
}
