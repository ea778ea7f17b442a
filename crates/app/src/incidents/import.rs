//! Hotline CSV files (reports collected elsewhere) read into reports: required columns by
//! header, times in RFC 3339 or a local time at a given offset, polling places matched to
//! the installed feed by county and name, each bad row written to the rejects file with
//! its line number, and an external key per row (the SHA-256 of its fields) so that a
//! second import of the same file changes nothing.

use super::IncidentError;
use super::intake::{RELATIONSHIPS, normalized_address};
use super::places::FeedPlace;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use votebase_domain::incidents::{IncidentLocation, NewIncident, Reporter, TriageRules};
use votebase_ingest::rejects::{Reject, RejectWriter};

/// The columns a hotline file must have.
pub const REQUIRED: [&str; 7] = [
    "reported_at",
    "category",
    "county",
    "polling_place",
    "description",
    "reporter_name",
    "reporter_phone",
];

/// Parses `+HH:MM` / `-HH:MM`.
pub fn parse_offset(text: &str) -> Result<FixedOffset, IncidentError> {
    let t = text.trim();
    let bad =
        || IncidentError::Invalid(format!("--utc-offset {t:?}: write it as +HH:MM or -HH:MM"));
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        .ok_or_else(|| IncidentError::Invalid(format!("--utc-offset {t:?} is out of range")))
}

/// Parses a report time: RFC 3339, or a local time in `offset`.
pub fn parse_time(text: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return offset
                .from_local_datetime(&n)
                .single()
                .map(|d| d.with_timezone(&Utc));
        }
    }
    None
}

/// What reading a hotline file gave.
#[derive(Debug, Clone, Default)]
pub struct HotlineCsv {
    /// The good rows as reports (channel `import`, created by the importing user).
    pub rows: Vec<NewIncident>,
    /// Rows written to the rejects file.
    pub rejected: u64,
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Reads a hotline CSV file: every good row a report entered by `actor`, every bad row
/// written to `rejects` with its line number and reason (the caller refuses the file when
/// any was rejected). Polling places named as in the feed get the feed's id.
pub fn read_hotline_csv(
    path: &Path,
    rules: &TriageRules,
    feed: &[FeedPlace],
    offset: FixedOffset,
    actor: &str,
    rejects: &mut RejectWriter,
) -> Result<HotlineCsv, IncidentError> {
    let io = |e: &dyn std::fmt::Display| IncidentError::Invalid(format!("{}: {e}", path.display()));
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| IncidentError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| IncidentError::Invalid(format!("{}: no header line ({e})", path.display())))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(IncidentError::Invalid(format!(
            "{}: missing column(s) {}; the header must have {} (found: {})",
            path.display(),
            missing.join(", "),
            REQUIRED.join(","),
            header.join(",")
        )));
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let places: HashMap<(String, String), &FeedPlace> = feed
        .iter()
        .map(|p| ((p.county.clone(), p.name.to_ascii_uppercase()), p))
        .collect();
    let mut out = HotlineCsv::default();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| io(&format!("line {line}: {e}")))?;
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let raw: String = record.iter().collect::<Vec<_>>().join(",");
        let raw = raw.chars().take(500).collect::<String>();
        let mut reject = |column: &str, reason: String| {
            out.rejected += 1;
            rejects
                .write(&Reject {
                    line,
                    column: column.into(),
                    reason,
                    raw: raw.clone(),
                })
                .map_err(|e| io(&e))
        };
        let category = match rules.category(&get("category")) {
            Ok(c) => c.code,
            Err(e) => {
                reject("category", e.to_string())?;
                continue;
            }
        };
        let Some(observed_at) = parse_time(&get("reported_at"), offset) else {
            reject(
                "reported_at",
                format!(
                    "{:?} is not a time: use RFC 3339 or YYYY-MM-DD HH:MM",
                    get("reported_at")
                ),
            )?;
            continue;
        };
        let county = get("county").to_ascii_uppercase();
        if county.is_empty() {
            reject("county", "county is empty".into())?;
            continue;
        }
        let description = get("description");
        if description.is_empty() {
            reject("description", "description is empty".into())?;
            continue;
        }
        let relationship = get("reporter_relationship")
            .to_ascii_lowercase()
            .replace(' ', "_");
        if !relationship.is_empty() && !RELATIONSHIPS.contains(&relationship.as_str()) {
            reject(
                "reporter_relationship",
                format!("{relationship:?}: use voter, observer, poll_worker or other"),
            )?;
            continue;
        }
        let mut place_id = get("polling_place_id");
        let mut place = get("polling_place");
        if place_id.is_empty()
            && let Some(p) = places.get(&(county.clone(), place.to_ascii_uppercase()))
        {
            place_id = p.id.clone();
            place = p.name.clone();
        }
        let phone = votebase_normalize::normalize_phone(&get("reporter_phone"));
        let key_source: Vec<&str> = record.iter().map(|f| f.trim()).collect();
        let key = format!("csv:{}", hex_digest(key_source.join("\u{1f}").as_bytes()));
        out.rows.push(NewIncident {
            observed_at,
            category,
            description,
            location: IncidentLocation {
                county,
                precinct: get("precinct"),
                polling_place_id: place_id,
                polling_place: place,
                address: normalized_address(&get("address"), &get("city"), &get("zip")),
            },
            reporter: Reporter {
                name: get("reporter_name"),
                phone: if phone.e164.is_empty() {
                    get("reporter_phone")
                } else {
                    phone.e164
                },
                relationship,
                voter_id: String::new(),
            },
            channel: "import".into(),
            created_by: actor.to_string(),
            external_key: Some(key),
        });
    }
    Ok(out)
}
