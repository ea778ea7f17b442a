//! A report as the forms and the API send it, checked and normalised into a
//! [`NewIncident`]: a known category, a description of bounded length, an observation
//! time not in the future, a polling place of the loaded feed (by id) or as reported, a
//! free address normalised like voter addresses, the county and precinct checked against
//! the organization's places, a reporter relationship from the fixed list, an E.164 phone
//! when it parses.

use super::IncidentError;
use super::places::{FeedPlace, KnownPlaces};
use chrono::{DateTime, Duration, Utc};
use votebase_domain::incidents::{IncidentLocation, NewIncident, Reporter, TriageRules};

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4000;

/// The reporter relationships accepted.
pub const RELATIONSHIPS: [&str; 4] = ["voter", "observer", "poll_worker", "other"];

/// A report as sent (the API's JSON body, the forms, the hotline CSV), every field text
/// as typed (empty when not given). `IntakeRequest` in the OpenAPI document.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = IntakeRequest))]
pub struct IntakeInput {
    /// Category code (see `/api/v1/incidents/categories`).
    pub category: String,
    /// What happened.
    pub description: String,
    /// When it was observed (default: now).
    pub observed_at: Option<DateTime<Utc>>,
    /// County (may be left out when `polling_place_id` names a place of the loaded feed).
    pub county: String,
    /// Precinct.
    pub precinct: String,
    /// Polling place id in the loaded VIP feed.
    pub polling_place_id: String,
    /// Polling place name, when not from the feed.
    pub polling_place: String,
    /// Free street address (normalised like voter addresses).
    pub address: String,
    /// City of the free address.
    pub city: String,
    /// ZIP of the free address.
    pub zip: String,
    /// Reporter's name.
    pub reporter_name: String,
    /// Reporter's phone.
    pub reporter_phone: String,
    /// voter, observer, poll_worker or other.
    pub reporter_relationship: String,
    /// Reporter's state voter id (from the caller lookup).
    pub reporter_voter_id: String,
}

/// Inner whitespace collapsed, ends trimmed.
pub fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Normalises a free address like voter addresses: `LINE1, CITY ZIP` (empty stays empty).
pub fn normalized_address(address: &str, city: &str, zip: &str) -> String {
    if address.trim().is_empty() {
        return String::new();
    }
    let a = votebase_normalize::normalize_address(address, city, "", zip);
    let mut line = a.line1();
    if line.trim().is_empty() {
        line = clean(address).to_uppercase();
    }
    if !a.city.is_empty() {
        line = format!("{line}, {}", a.city);
    }
    if !a.zip5.is_empty() {
        line = format!("{line} {}", a.zip5);
    }
    line
}

/// Checks and normalises a report into a [`NewIncident`] entered by `created_by` through
/// `channel`. `feed` lists the installed feed's polling places (empty without a feed);
/// `places` the organization's counties and precincts.
#[allow(clippy::too_many_arguments)]
pub fn build_incident(
    rules: &TriageRules,
    places: &KnownPlaces,
    feed: &[FeedPlace],
    req: IntakeInput,
    channel: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<NewIncident, IncidentError> {
    let bad = |m: String| IncidentError::Invalid(m);
    let category = rules
        .category(&req.category)
        .map_err(|e| bad(e.to_string()))?;
    let description = req.description.trim().to_string();
    if description.is_empty() {
        return Err(bad("description is empty: say what happened".into()));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(bad(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    let observed_at = req.observed_at.unwrap_or(now);
    if observed_at > now + Duration::minutes(5) {
        return Err(bad("observed_at is in the future".into()));
    }
    let mut location = IncidentLocation {
        county: clean(&req.county),
        precinct: clean(&req.precinct),
        polling_place_id: req.polling_place_id.trim().to_string(),
        polling_place: clean(&req.polling_place),
        address: String::new(),
    };
    if !location.polling_place_id.is_empty() && !feed.is_empty() {
        let place = feed
            .iter()
            .find(|p| p.id == location.polling_place_id)
            .ok_or_else(|| {
                bad(format!(
                    "no polling place {:?} in the loaded VIP feed",
                    location.polling_place_id
                ))
            })?;
        location.polling_place = place.name.clone();
        if location.county.is_empty() {
            location.county = place.county.clone();
        }
    }
    location.county = places.check(&location.county, &location.precinct)?;
    if !req.address.trim().is_empty() {
        location.address = normalized_address(&req.address, &req.city, &req.zip);
    }
    let relationship = req
        .reporter_relationship
        .trim()
        .to_ascii_lowercase()
        .replace(' ', "_");
    if !relationship.is_empty() && !RELATIONSHIPS.contains(&relationship.as_str()) {
        return Err(bad(format!(
            "reporter_relationship {relationship:?}: use voter, observer, poll_worker or other"
        )));
    }
    let phone = votebase_normalize::normalize_phone(&req.reporter_phone);
    let phone = if phone.e164.is_empty() {
        clean(&req.reporter_phone)
    } else {
        phone.e164
    };
    Ok(NewIncident {
        observed_at,
        category: category.code,
        description,
        location,
        reporter: Reporter {
            name: clean(&req.reporter_name),
            phone,
            relationship,
            voter_id: req.reporter_voter_id.trim().to_string(),
        },
        channel: channel.into(),
        created_by: created_by.into(),
        external_key: None,
    })
}
