//! The built-in volunteer and project CSV layouts, read by column name with the `csv`
//! crate: every field checked (skills against the organization's taxonomy, levels 1–3,
//! emails, ZIPs, states, yes/no, numbers), every bad row written to the rejects file
//! with its line and reason (the caller then refuses the whole file), ZIPs placed by
//! their centroids.

use super::PeopleError;
use super::geo::ZipCentroids;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use votebase_domain::people::{
    Consent, NewPerson, NewProject, NewVolunteer, SkillLevel, VolunteerProfile, normalize_email,
    parse_skill_list, parse_tag_list,
};
use votebase_ingest::rejects::{Reject, RejectWriter};

/// Columns a volunteers file must have.
pub const VOLUNTEER_COLUMNS: [&str; 10] = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "zip",
    "home_state",
    "skills",
    "hours_per_week",
    "remote",
];

/// Optional volunteer columns: `home_town`, `issues`, `languages`, `address`,
/// `consent_email`, `consent_text`, `consent_wording`.
pub const VOLUNTEER_OPTIONAL: [&str; 7] = [
    "home_town",
    "issues",
    "languages",
    "address",
    "consent_email",
    "consent_text",
    "consent_wording",
];

/// Columns a projects file must have.
pub const PROJECT_COLUMNS: [&str; 10] = [
    "id",
    "organization",
    "title",
    "state",
    "zip",
    "remote",
    "required_skills",
    "nice_skills",
    "hours_per_week",
    "seats",
];

/// Optional project columns: `role`, `start`, `deadline` (YYYY-MM-DD), `issues`,
/// `languages`.
pub const PROJECT_OPTIONAL: [&str; 5] = ["role", "start", "deadline", "issues", "languages"];

/// Longest text field kept.
const MAX_FIELD: usize = 500;

/// Rows of a file and how many went to the rejects file.
#[derive(Debug, Clone, Default)]
pub struct Parsed<T> {
    /// Good rows, with their line numbers.
    pub rows: Vec<(u64, T)>,
    /// Rows written to the rejects file.
    pub rejected: u64,
}

struct Sheet {
    reader: csv::Reader<std::fs::File>,
    header: Vec<String>,
}

fn open(path: &Path, required: &[&str]) -> Result<Sheet, PeopleError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| PeopleError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| PeopleError::Invalid(format!("{}: no header line ({e})", path.display())))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(PeopleError::Invalid(format!(
            "{}: missing column(s) {}; the header must have {}",
            path.display(),
            missing.join(", "),
            required.join(",")
        )));
    }
    Ok(Sheet { reader, header })
}

/// One row's fields by column name, and the rejection of a field.
struct Row<'a> {
    header: &'a [String],
    record: csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, name: &str) -> String {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|c| self.record.get(c))
            .unwrap_or("")
            .trim()
            .chars()
            .take(MAX_FIELD)
            .collect()
    }

    fn raw(&self) -> String {
        let raw = self.record.iter().collect::<Vec<_>>().join(",");
        raw.chars().take(500).collect()
    }
}

type Bad = (&'static str, String);

fn yes_no(text: &str, column: &'static str) -> Result<bool, Bad> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" | "" => Ok(false),
        other => Err((column, format!("{other:?}: write yes or no"))),
    }
}

fn optional_number(text: &str, column: &'static str, max: u32) -> Result<Option<u32>, Bad> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(n) if n <= max => Ok(Some(n)),
        _ => Err((column, format!("{text:?}: a whole number from 0 to {max}"))),
    }
}

pub(super) fn zip5(text: &str, column: &'static str) -> Result<String, Bad> {
    if text.is_empty() {
        return Ok(String::new());
    }
    let (zip, _) = votebase_normalize::normalize_zip(text);
    if zip.len() == 5 {
        Ok(zip)
    } else {
        Err((column, format!("{text:?} is not a ZIP code")))
    }
}

pub(super) fn state(text: &str, column: &'static str) -> Result<String, Bad> {
    if text.is_empty() {
        return Ok(String::new());
    }
    votebase_normalize::state_code(text)
        .map(str::to_string)
        .ok_or_else(|| (column, format!("{text:?} is not a US state")))
}

fn skills(
    text: &str,
    column: &'static str,
    taxonomy: &BTreeSet<String>,
) -> Result<Vec<SkillLevel>, Bad> {
    let list = parse_skill_list(text).map_err(|e| (column, e.to_string()))?;
    if let Some(unknown) = list.iter().find(|s| !taxonomy.contains(&s.skill)) {
        return Err((
            column,
            format!(
                "skill {:?} is not in the taxonomy (add it with `votebase volunteers skills add {}`)",
                unknown.skill, unknown.skill
            ),
        ));
    }
    Ok(list)
}

fn read<T>(
    path: &Path,
    required: &[&str],
    rejects: &mut RejectWriter,
    mut parse: impl FnMut(&Row<'_>) -> Result<T, Bad>,
) -> Result<Parsed<T>, PeopleError> {
    let Sheet { mut reader, header } = open(path, required)?;
    let mut out = Parsed {
        rows: Vec::new(),
        rejected: 0,
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record
            .map_err(|e| PeopleError::Invalid(format!("{}: line {line}: {e}", path.display())))?;
        let row = Row {
            header: &header,
            record,
        };
        let id = row.get("id");
        let result = if id.is_empty() {
            Err(("id", "id is empty".to_string()))
        } else if let Some(first) = seen.get(&id) {
            Err(("id", format!("id {id:?} already used on line {first}")))
        } else {
            seen.insert(id.clone(), line);
            parse(&row)
        };
        match result {
            Ok(t) => out.rows.push((line, t)),
            Err((column, reason)) => {
                out.rejected += 1;
                rejects
                    .write(&Reject {
                        line,
                        column: column.into(),
                        reason,
                        raw: row.raw(),
                    })
                    .map_err(|e| PeopleError::Invalid(e.to_string()))?;
            }
        }
    }
    Ok(out)
}

/// Reads a volunteers file in the built-in layout ([`VOLUNTEER_COLUMNS`] and
/// [`VOLUNTEER_OPTIONAL`]). `source` is recorded on each person.
pub fn read_volunteers_csv(
    path: &Path,
    taxonomy: &BTreeSet<String>,
    centroids: &ZipCentroids,
    source: &str,
    rejects: &mut RejectWriter,
) -> Result<Parsed<NewVolunteer>, PeopleError> {
    read(path, &VOLUNTEER_COLUMNS, rejects, |row| {
        let first_name = row.get("first_name");
        let last_name = row.get("last_name");
        if first_name.is_empty() && last_name.is_empty() {
            return Err(("first_name", "a volunteer needs a name".into()));
        }
        let email_text = row.get("email");
        let mut emails = Vec::new();
        for e in email_text.split([';', ' ']).filter(|e| !e.is_empty()) {
            emails.push(
                normalize_email(e)
                    .ok_or_else(|| ("email", format!("{e:?} is not an email address")))?,
            );
        }
        let phone_text = row.get("phone");
        let mut phones = Vec::new();
        for p in phone_text
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let phone = votebase_normalize::normalize_phone(p);
            if phone.e164.is_empty() {
                return Err(("phone", format!("{p:?} is not a phone number")));
            }
            phones.push(phone.e164);
        }
        let zip = zip5(&row.get("zip"), "zip")?;
        let (lat, lon) = centroids.get(&zip).unzip();
        let consent_email = yes_no(&row.get("consent_email"), "consent_email")?;
        let consent_text = yes_no(&row.get("consent_text"), "consent_text")?;
        Ok(NewVolunteer {
            person: NewPerson {
                external_id: row.get("id"),
                source: source.to_string(),
                first_name,
                last_name,
                emails,
                phones,
                address: row.get("address"),
                zip,
                consent: Consent {
                    email: consent_email,
                    text: consent_text,
                    given_at: None,
                    wording: row.get("consent_wording"),
                },
            },
            profile: VolunteerProfile {
                skills: skills(&row.get("skills"), "skills", taxonomy)?,
                home_state: state(&row.get("home_state"), "home_state")?,
                home_town: row.get("home_town"),
                lat,
                lon,
                hours_per_week: optional_number(&row.get("hours_per_week"), "hours_per_week", 168)?,
                remote: yes_no(&row.get("remote"), "remote")?,
                issues: parse_tag_list(&row.get("issues")),
                languages: parse_tag_list(&row.get("languages")),
            },
        })
    })
}

fn date(text: &str, column: &'static str) -> Result<Option<chrono::NaiveDate>, Bad> {
    if text.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| (column, format!("{text:?}: write the date as YYYY-MM-DD")))
}

/// Reads a projects file in the built-in layout ([`PROJECT_COLUMNS`] and
/// [`PROJECT_OPTIONAL`]).
pub fn read_projects_csv(
    path: &Path,
    taxonomy: &BTreeSet<String>,
    centroids: &ZipCentroids,
    rejects: &mut RejectWriter,
) -> Result<Parsed<NewProject>, PeopleError> {
    read(path, &PROJECT_COLUMNS, rejects, |row| {
        let title = row.get("title");
        if title.is_empty() {
            return Err(("title", "a project needs a title".into()));
        }
        let organization = row.get("organization");
        if organization.is_empty() {
            return Err(("organization", "a project needs an organization".into()));
        }
        let required_skills = skills(&row.get("required_skills"), "required_skills", taxonomy)?;
        let nice_skills = skills(&row.get("nice_skills"), "nice_skills", taxonomy)?;
        if let Some(s) = nice_skills
            .iter()
            .find(|n| required_skills.iter().any(|r| r.skill == n.skill))
        {
            return Err((
                "nice_skills",
                format!("{} is already a required skill", s.skill),
            ));
        }
        let zip = zip5(&row.get("zip"), "zip")?;
        let remote = yes_no(&row.get("remote"), "remote")?;
        if !remote && zip.is_empty() {
            return Err(("zip", "an in-person project needs a ZIP".into()));
        }
        let (lat, lon) = centroids.get(&zip).unzip();
        let seats = optional_number(&row.get("seats"), "seats", 10_000)?.unwrap_or(1);
        if seats == 0 {
            return Err(("seats", "a project needs at least one seat".into()));
        }
        let starts_on = date(&row.get("start"), "start")?;
        let deadline = date(&row.get("deadline"), "deadline")?;
        if let (Some(s), Some(d)) = (starts_on, deadline)
            && d < s
        {
            return Err(("deadline", "the deadline is before the start".into()));
        }
        Ok(NewProject {
            external_id: row.get("id"),
            organization,
            title,
            role: row.get("role"),
            state: state(&row.get("state"), "state")?,
            zip,
            lat,
            lon,
            remote,
            required_skills,
            nice_skills,
            hours_per_week: optional_number(&row.get("hours_per_week"), "hours_per_week", 168)?,
            seats,
            starts_on,
            deadline,
            issues: parse_tag_list(&row.get("issues")),
            languages: parse_tag_list(&row.get("languages")),
        })
    })
}
