//! People who are not (only) voters, and the volunteer side of a campaign: the person
//! record (names, emails, phones, address, ZIP, where it came from, consent to email and
//! text with its date and wording), the volunteer profile (skills with levels from an
//! organization's extendable taxonomy, home state and town, current ZIP, hours, remote,
//! issues, languages), projects posted by campaigns (role, must-have and nice-to-have
//! skills with minimum levels, remote or a place, hours, dates, seats) and the double
//! opt-in state machine of a match (invited → the volunteer says yes or no → the campaign
//! accepts or declines). Pure types and rules; the stores keep them, the matching engine
//! ranks them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

pub mod events;
mod skills;
#[cfg(test)]
mod tests;

pub use skills::{
    BUILTIN_SKILLS, MAX_LEVEL, SkillLevel, SkillListError, normalize_skill_name, parse_skill_list,
    render_skill_list,
};

/// Consent to be contacted, as given: which channels, when and in which words.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    /// May be emailed.
    pub email: bool,
    /// May be texted.
    pub text: bool,
    /// When the consent was given (None: not recorded).
    pub given_at: Option<DateTime<Utc>>,
    /// The wording the person agreed to (the sign-up form's text, or the source's).
    pub wording: String,
}

/// A person as an import or a sign-up form gives them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPerson {
    /// The id in the source (the import file's `id`, or `signup:<token>`): unique, the
    /// key of idempotent re-imports.
    pub external_id: String,
    /// Where the record came from (`volunteers.csv`, `signup`, `mobilize`, …).
    pub source: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email addresses, lowercased, first is preferred.
    pub emails: Vec<String>,
    /// Phones in E.164 when they normalise (else as given), first is preferred.
    pub phones: Vec<String>,
    /// Street address line (may be empty).
    pub address: String,
    /// Five-digit ZIP where the person lives now (may be empty).
    pub zip: String,
    /// Consent to be contacted.
    pub consent: Consent,
}

impl NewPerson {
    /// "First Last".
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

/// What a volunteer offers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolunteerProfile {
    /// Skills with levels (1 beginner … 3 expert), sorted by skill name, one per skill.
    pub skills: Vec<SkillLevel>,
    /// The state they grew up in (two letters, may be empty).
    pub home_state: String,
    /// The town they grew up in (may be empty).
    pub home_town: String,
    /// Latitude of the current ZIP's centroid, when known.
    pub lat: Option<f64>,
    /// Longitude of the current ZIP's centroid, when known.
    pub lon: Option<f64>,
    /// Hours a week they can give (None: not said).
    pub hours_per_week: Option<u32>,
    /// Will work remotely.
    pub remote: bool,
    /// Issues they care about (lowercase tags).
    pub issues: Vec<String>,
    /// Languages they speak (lowercase names or codes).
    pub languages: Vec<String>,
}

/// A volunteer to store: the person and the profile.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewVolunteer {
    /// Who.
    pub person: NewPerson,
    /// What they offer.
    pub profile: VolunteerProfile,
}

impl NewVolunteer {
    /// A stable fingerprint of every stored field: equal fingerprint, nothing to update.
    pub fn fingerprint(&self) -> String {
        fingerprint(&format!("{self:?}"))
    }
}

/// A stored volunteer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volunteer {
    /// The store's id of the person.
    pub person_id: i64,
    /// Who (as last imported).
    pub person: NewPerson,
    /// What they offer.
    pub profile: VolunteerProfile,
    /// Has asked never to be emailed again.
    pub unsubscribed: bool,
    /// Past engagements: matches the campaign accepted.
    pub engagements: u32,
}

/// A project a campaign posts.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewProject {
    /// The id in the import file: unique, the key of idempotent re-imports.
    pub external_id: String,
    /// The campaign or organization posting it.
    pub organization: String,
    /// Title.
    pub title: String,
    /// Role (team lead, specialist, analyst, …; may be empty).
    pub role: String,
    /// The project's state (two letters, may be empty).
    pub state: String,
    /// The project's ZIP (may be empty).
    pub zip: String,
    /// Latitude of the ZIP's centroid, when known.
    pub lat: Option<f64>,
    /// Longitude of the ZIP's centroid, when known.
    pub lon: Option<f64>,
    /// Can be done remotely.
    pub remote: bool,
    /// Must-have skills with minimum levels (a hard filter).
    pub required_skills: Vec<SkillLevel>,
    /// Nice-to-have skills with minimum levels.
    pub nice_skills: Vec<SkillLevel>,
    /// Hours a week it takes (None: not said).
    pub hours_per_week: Option<u32>,
    /// People it needs.
    pub seats: u32,
    /// Start date, if set.
    pub starts_on: Option<NaiveDate>,
    /// Deadline, if set.
    pub deadline: Option<NaiveDate>,
    /// Issues it is about (lowercase tags).
    pub issues: Vec<String>,
    /// Languages it needs or welcomes.
    pub languages: Vec<String>,
}

impl NewProject {
    /// A stable fingerprint of every stored field.
    pub fn fingerprint(&self) -> String {
        fingerprint(&format!("{self:?}"))
    }
}

/// A stored project.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The store's id.
    pub project_id: i64,
    /// The project as last imported or posted.
    #[serde(flatten)]
    pub project: NewProject,
}

fn fingerprint(text: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Where a match stands in the double opt-in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    /// The campaign invited the volunteer; no answer yet.
    Invited,
    /// The volunteer said yes; the campaign has to accept.
    VolunteerYes,
    /// The volunteer said no (final).
    VolunteerNo,
    /// The campaign accepted a volunteer who said yes (final: an engagement).
    Accepted,
    /// The campaign declined a volunteer who said yes (final).
    Declined,
}

impl MatchState {
    /// Every state, in workflow order.
    pub const ALL: [MatchState; 5] = [
        MatchState::Invited,
        MatchState::VolunteerYes,
        MatchState::VolunteerNo,
        MatchState::Accepted,
        MatchState::Declined,
    ];

    /// The stable code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            MatchState::Invited => "invited",
            MatchState::VolunteerYes => "volunteer_yes",
            MatchState::VolunteerNo => "volunteer_no",
            MatchState::Accepted => "accepted",
            MatchState::Declined => "declined",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The state after `step`, or why the step is not allowed from here.
    pub fn after(self, step: MatchStep) -> Result<MatchState, MatchStepError> {
        use MatchState::*;
        use MatchStep::*;
        match (self, step) {
            (Invited, VolunteerAnswers { yes: true }) => Ok(VolunteerYes),
            (Invited, VolunteerAnswers { yes: false }) => Ok(VolunteerNo),
            (VolunteerYes, CampaignDecides { accept: true }) => Ok(Accepted),
            (VolunteerYes, CampaignDecides { accept: false }) => Ok(Declined),
            (from, step) => Err(MatchStepError { from, step }),
        }
    }
}

impl fmt::Display for MatchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A step of the double opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchStep {
    /// The volunteer answers the invitation.
    VolunteerAnswers {
        /// Yes or no.
        yes: bool,
    },
    /// The campaign decides on a volunteer who said yes.
    CampaignDecides {
        /// Accept or decline.
        accept: bool,
    },
}

/// A step that the match's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.explain())]
pub struct MatchStepError {
    /// Where the match was.
    pub from: MatchState,
    /// What was attempted.
    pub step: MatchStep,
}

impl MatchStepError {
    fn explain(&self) -> String {
        match self.step {
            MatchStep::VolunteerAnswers { .. } => format!(
                "the volunteer can answer only an open invitation; this match is {}",
                self.from
            ),
            MatchStep::CampaignDecides { .. } => format!(
                "the campaign can accept or decline only a volunteer who said yes; this match is {}",
                self.from
            ),
        }
    }
}

/// One match between a project and a volunteer, with both sides' state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectMatch {
    /// The project's external id.
    pub project: String,
    /// The volunteer's external id.
    pub volunteer: String,
    /// Where it stands.
    pub state: MatchState,
    /// The score when invited.
    pub score: f64,
    /// The explanation when invited.
    pub explanation: String,
    /// When the invitation was made.
    pub invited_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// How sure the linkage engine is that a person is a voter.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// Above the acceptance threshold: the person is this voter.
    Linked,
    /// Between the review and acceptance thresholds: a person has to look.
    Review,
    /// A reviewer confirmed it.
    Confirmed,
    /// A reviewer rejected it.
    Rejected,
}

impl LinkStatus {
    /// The stable code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            LinkStatus::Linked => "linked",
            LinkStatus::Review => "review",
            LinkStatus::Confirmed => "confirmed",
            LinkStatus::Rejected => "rejected",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        [
            LinkStatus::Linked,
            LinkStatus::Review,
            LinkStatus::Confirmed,
            LinkStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// A person's candidate link to a voter record.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonLink {
    /// The person's external id.
    pub person: String,
    /// The voter's state id.
    pub state_voter_id: String,
    /// Match probability from the linkage engine.
    pub probability: f64,
    /// Why, in the engine's words (field by field).
    pub explanation: String,
    /// Linked, in review, confirmed or rejected.
    pub status: LinkStatus,
}

/// Checks an email address loosely (one `@`, a dot in the domain, no spaces or controls,
/// at most 254 characters) and lowercases it.
pub fn normalize_email(text: &str) -> Option<String> {
    let t = text.trim().to_lowercase();
    if t.is_empty() || t.chars().count() > 254 {
        return None;
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = t.split_once('@')?;
    if local.is_empty() || domain.contains('@') || !domain.contains('.') {
        return None;
    }
    if domain.starts_with('.') || domain.ends_with('.') {
        return None;
    }
    Some(t)
}

/// Splits a `a;b;c` tag list (issues, languages): trimmed, lowercased, empty dropped,
/// sorted and deduplicated.
pub fn parse_tag_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split([';', '|'])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}
