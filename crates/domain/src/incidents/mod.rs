//! Voter-protection incidents: the category taxonomy with stable codes (and an
//! organization's own categories), severities, the workflow state machine
//! (new → triaged → assigned → escalated → resolved / closed, with reopen), the
//! organization's triage rules (clusters of reports from one polling place, duplicates
//! linked rather than lost, categories routed straight to the county's lead lawyer,
//! escalation of untouched incidents) and the dashboard arithmetic. Pure functions only:
//! the stores call them inside their transactions, the server and CLI show the results.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

mod dashboard;
mod intake;
#[cfg(test)]
mod tests;

pub use dashboard::{IncidentDashboard, Percentiles, dashboard, percentile};
pub use intake::{
    IntakeEntry, Neighbour, PreparedIntake, Routing, TriageDecision, stale_detail, triage,
};

/// The actor name of automatic timeline entries (triage rules, escalation timer).
pub const SYSTEM_ACTOR: &str = "system";

/// The built-in taxonomy: stable code, label, base severity.
pub const BUILTIN_CATEGORIES: [(&str, &str, Severity); 15] = [
    ("long_lines", "Long lines", Severity::Medium),
    (
        "polling_place_closed",
        "Polling place closed",
        Severity::Critical,
    ),
    ("polling_place_moved", "Polling place moved", Severity::High),
    ("opened_late", "Opened late", Severity::Medium),
    (
        "registration_problem",
        "Registration problem (not found or purged)",
        Severity::High,
    ),
    ("id_demanded", "ID demanded", Severity::High),
    (
        "provisional_refused",
        "Provisional ballot refused",
        Severity::High,
    ),
    ("intimidation", "Intimidation", Severity::Critical),
    ("electioneering", "Electioneering", Severity::Medium),
    ("equipment_failure", "Equipment failure", Severity::High),
    ("ballots_ran_out", "Ballots ran out", Severity::Critical),
    ("accessibility", "Accessibility", Severity::Medium),
    (
        "language_assistance",
        "Language assistance",
        Severity::Medium,
    ),
    ("misinformation", "Misinformation", Severity::Medium),
    ("other", "Other", Severity::Low),
];

/// How urgent an incident is, least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording.
    Low,
    /// Needs attention today.
    Medium,
    /// Voters are being turned away or kept from voting.
    High,
    /// A polling place cannot serve voters at all, or voters are threatened.
    Critical,
}

impl Severity {
    /// All severities, least first.
    pub const ALL: [Severity; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// 1 (low) to 4 (critical): what the stores sort by.
    pub fn rank(self) -> i64 {
        self as i64 + 1
    }

    /// From [`Severity::rank`]; out-of-range ranks clamp.
    pub fn from_rank(rank: i64) -> Self {
        Self::ALL[(rank.clamp(1, 4) - 1) as usize]
    }

    /// Parses a code (any case).
    pub fn parse(code: &str) -> Option<Self> {
        let c = code.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.code() == c)
    }

    /// One level up (critical stays critical).
    pub fn raised(self) -> Self {
        Self::from_rank(self.rank() + 1)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where an incident stands in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Just reported.
    New,
    /// Looked at; severity confirmed.
    Triaged,
    /// A lawyer or observer has it.
    Assigned,
    /// Raised to the coordinators (by a person, or untouched too long).
    Escalated,
    /// Dealt with.
    Resolved,
    /// Closed without further work.
    Closed,
}

impl IncidentStatus {
    /// All statuses, in workflow order.
    pub const ALL: [IncidentStatus; 6] = [
        Self::New,
        Self::Triaged,
        Self::Assigned,
        Self::Escalated,
        Self::Resolved,
        Self::Closed,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Triaged => "triaged",
            Self::Assigned => "assigned",
            Self::Escalated => "escalated",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    /// Parses a code (any case).
    pub fn parse(code: &str) -> Option<Self> {
        let c = code.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.code() == c)
    }

    /// Still needs work.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Resolved | Self::Closed)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How an incident ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Fixed at the polling place.
    FixedOnSite,
    /// Referred to election officials.
    ReferredToOfficials,
    /// Taken to court.
    Litigation,
    /// Nothing to do.
    NoActionNeeded,
}

impl Resolution {
    /// All resolutions.
    pub const ALL: [Resolution; 4] = [
        Self::FixedOnSite,
        Self::ReferredToOfficials,
        Self::Litigation,
        Self::NoActionNeeded,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::FixedOnSite => "fixed_on_site",
            Self::ReferredToOfficials => "referred_to_officials",
            Self::Litigation => "litigation",
            Self::NoActionNeeded => "no_action_needed",
        }
    }

    /// Parses a code (any case).
    pub fn parse(code: &str) -> Option<Self> {
        let c = code.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.code() == c)
    }
}

/// A category an organization added to the built-in taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomCategory {
    /// Stable snake_case code.
    pub code: String,
    /// Label for people.
    pub label: String,
    /// Severity a report starts with.
    pub severity: Severity,
}

/// A category of the taxonomy, built in or the organization's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryInfo {
    /// Stable code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Starting severity.
    pub severity: Severity,
}

/// A category code outside the organization's taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown incident category {0:?}: use one of {1}")]
pub struct UnknownCategory(pub String, pub String);

/// A request the workflow does not allow in the incident's current status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The action does not apply in this status.
    #[error("cannot {action} an incident that is {status}")]
    NotAllowed {
        /// The action's name.
        action: &'static str,
        /// The current status.
        status: IncidentStatus,
    },
    /// A required field is empty.
    #[error("{0}")]
    Missing(&'static str),
}

/// Rules that configure triage, per organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct TriageRules {
    /// Reports from one place within the cluster window that form a cluster (default 3).
    pub cluster_size: usize,
    /// Cluster window in minutes (default 30).
    pub cluster_window_minutes: i64,
    /// Same place and category within this many minutes: linked as a duplicate (default 60).
    pub duplicate_window_minutes: i64,
    /// Categories assigned straight to the county's lead lawyer.
    pub lead_lawyer_categories: Vec<String>,
    /// Open incidents untouched this many minutes are escalated (default 15).
    pub stale_minutes: i64,
    /// The organization's own categories.
    pub custom_categories: Vec<CustomCategory>,
}

impl Default for TriageRules {
    fn default() -> Self {
        Self {
            cluster_size: 3,
            cluster_window_minutes: 30,
            duplicate_window_minutes: 60,
            lead_lawyer_categories: vec!["polling_place_closed".into(), "intimidation".into()],
            stale_minutes: 15,
            custom_categories: Vec::new(),
        }
    }
}

impl TriageRules {
    /// Every category: built-ins, then the organization's own.
    pub fn categories(&self) -> Vec<CategoryInfo> {
        BUILTIN_CATEGORIES
            .iter()
            .map(|(code, label, severity)| CategoryInfo {
                code: code.to_string(),
                label: label.to_string(),
                severity: *severity,
            })
            .chain(self.custom_categories.iter().map(|c| CategoryInfo {
                code: c.code.clone(),
                label: c.label.clone(),
                severity: c.severity,
            }))
            .collect()
    }

    /// The category with this code (trimmed, any case, `-` or space for `_`).
    pub fn category(&self, code: &str) -> Result<CategoryInfo, UnknownCategory> {
        let norm = code.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let all = self.categories();
        match all.iter().find(|c| c.code == norm) {
            Some(c) => Ok(c.clone()),
            None => Err(UnknownCategory(
                code.to_string(),
                all.iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    /// Checks the rules make sense; the message says which field is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.cluster_size < 2 {
            return Err("cluster_size must be at least 2".into());
        }
        for (name, v) in [
            ("cluster_window_minutes", self.cluster_window_minutes),
            ("duplicate_window_minutes", self.duplicate_window_minutes),
            ("stale_minutes", self.stale_minutes),
        ] {
            if v < 1 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        for c in &self.custom_categories {
            if c.code.is_empty()
                || !c
                    .code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            {
                return Err(format!(
                    "custom category code {:?} must be snake_case (a-z, 0-9, _)",
                    c.code
                ));
            }
            if BUILTIN_CATEGORIES.iter().any(|(b, _, _)| *b == c.code) {
                return Err(format!("custom category {:?} is already built in", c.code));
            }
        }
        for code in &self.lead_lawyer_categories {
            self.category(code).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The widest window the triage needs to look back (minutes).
    pub fn lookback_minutes(&self) -> i64 {
        self.cluster_window_minutes
            .max(self.duplicate_window_minutes)
    }
}

/// Where it happened: a polling place of the loaded VIP feed, a precinct, a county, or a
/// free address (normalised like voter addresses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct IncidentLocation {
    /// County (upper case).
    pub county: String,
    /// Precinct code or name.
    pub precinct: String,
    /// Polling place id in the VIP feed, when known.
    pub polling_place_id: String,
    /// Polling place name (from the feed, or as reported).
    pub polling_place: String,
    /// Free address, normalised.
    pub address: String,
}

impl IncidentLocation {
    /// The key that says two reports are about the same place: the feed's polling place,
    /// else the named place, else the address, else the precinct, within the county.
    pub fn place_key(&self) -> String {
        let county = self.county.trim().to_ascii_uppercase();
        let up = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_uppercase()
        };
        if !self.polling_place_id.trim().is_empty() {
            format!("vip:{}", self.polling_place_id.trim())
        } else if !self.polling_place.trim().is_empty() {
            format!("place:{county}:{}", up(&self.polling_place))
        } else if !self.address.trim().is_empty() {
            format!("addr:{county}:{}", up(&self.address))
        } else if !self.precinct.trim().is_empty() {
            format!("precinct:{county}:{}", up(&self.precinct))
        } else {
            format!("county:{county}")
        }
    }

    /// One line for lists.
    pub fn display(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for p in [&self.polling_place, &self.address, &self.precinct] {
            if !p.is_empty() {
                parts.push(p);
            }
        }
        if parts.is_empty() {
            format!("{} county", self.county)
        } else {
            format!("{} ({})", parts.join(", "), self.county)
        }
    }
}

/// Who reported it (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Reporter {
    /// Name.
    pub name: String,
    /// Phone, E.164 when it parses.
    pub phone: String,
    /// voter, observer, poll_worker, other.
    pub relationship: String,
    /// State voter id, when the caller was found in the voter file.
    pub voter_id: String,
}

/// A report on its way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIncident {
    /// When it was observed (or reported).
    pub observed_at: DateTime<Utc>,
    /// Category code (already checked against the taxonomy).
    pub category: String,
    /// What happened.
    pub description: String,
    /// Where.
    pub location: IncidentLocation,
    /// Who reported it.
    pub reporter: Reporter,
    /// hotline, public, api, import, demo.
    pub channel: String,
    /// The user who entered it (`public` for the self-report form).
    pub created_by: String,
    /// Set by imports: the same key twice is the same report (idempotent re-import).
    pub external_key: Option<String>,
}

/// A stored incident: its current state (the timeline holds how it got there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Incident {
    /// Id.
    pub id: i64,
    /// When it was entered.
    pub created_at: DateTime<Utc>,
    /// When it was observed.
    pub observed_at: DateTime<Utc>,
    /// Category code.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: IncidentStatus,
    /// How it ended, once resolved or closed.
    pub resolution: Option<Resolution>,
    /// Where.
    pub location: IncidentLocation,
    /// The same-place key (see [`IncidentLocation::place_key`]).
    pub place_key: String,
    /// What happened.
    pub description: String,
    /// Who reported it (contact fields blanked for roles that may not see them).
    pub reporter: Reporter,
    /// hotline, public, api, import, demo.
    pub channel: String,
    /// Who entered it.
    pub created_by: String,
    /// The lawyer or observer who has it.
    pub assigned_to: Option<String>,
    /// The cluster it belongs to (the id of the cluster's first incident).
    pub cluster_id: Option<i64>,
    /// The earlier report this one duplicates.
    pub duplicate_of: Option<i64>,
    /// First action by a person.
    pub first_action_at: Option<DateTime<Utc>>,
    /// Last change by anyone.
    pub last_touched_at: DateTime<Utc>,
    /// When it was resolved or closed.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl Incident {
    /// Blanks the reporter's name and phone (for roles that may not see contact details).
    pub fn without_contact(mut self) -> Self {
        self.reporter.name.clear();
        self.reporter.phone.clear();
        self
    }
}

/// One line of an incident's timeline: nothing is ever removed from it. (Named
/// `IncidentTimelineEntry` in the OpenAPI document: a voter's timeline has its own.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = IncidentTimelineEntry))]
pub struct TimelineEntry {
    /// The incident.
    pub incident_id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a user name, or `system`).
    pub actor: String,
    /// created, triaged, assigned, escalated, resolved, closed, reopened, note, severity,
    /// clustered, duplicate, routed.
    pub kind: String,
    /// Status before.
    pub from_status: IncidentStatus,
    /// Status after.
    pub to_status: IncidentStatus,
    /// What, in words.
    pub detail: String,
}

/// Something a person (or the rules) does to an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IncidentAction {
    /// Confirm (or change) severity; new → triaged.
    Triage {
        /// New severity, if changed.
        #[serde(default)]
        severity: Option<Severity>,
    },
    /// Give it to a lawyer or observer.
    Assign {
        /// User name.
        to: String,
    },
    /// Raise it to the coordinators.
    Escalate {
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// Dealt with.
    Resolve {
        /// How.
        resolution: Resolution,
        /// What was done.
        #[serde(default)]
        note: String,
    },
    /// Closed without further work.
    Close {
        /// How.
        resolution: Resolution,
        /// Why.
        #[serde(default)]
        note: String,
    },
    /// Open it again.
    Reopen {
        /// Why.
        #[serde(default)]
        reason: String,
    },
    /// A note on the timeline.
    Note {
        /// The note.
        text: String,
    },
}

impl IncidentAction {
    /// The timeline kind this action writes.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Triage { .. } => "triaged",
            Self::Assign { .. } => "assigned",
            Self::Escalate { .. } => "escalated",
            Self::Resolve { .. } => "resolved",
            Self::Close { .. } => "closed",
            Self::Reopen { .. } => "reopened",
            Self::Note { .. } => "note",
        }
    }

    /// The timeline detail text.
    pub fn detail(&self) -> String {
        match self {
            Self::Triage { severity } => match severity {
                Some(s) => format!("severity {s}"),
                None => String::new(),
            },
            Self::Assign { to } => format!("assigned to {to}"),
            Self::Escalate { reason } => reason.clone(),
            Self::Resolve { resolution, note } | Self::Close { resolution, note } => {
                if note.is_empty() {
                    resolution.code().to_string()
                } else {
                    format!("{}: {note}", resolution.code())
                }
            }
            Self::Reopen { reason } => reason.clone(),
            Self::Note { text } => text.clone(),
        }
    }
}

/// The status after `action`, or why the workflow refuses it.
///
/// new → triaged → assigned → escalated → resolved / closed; assignment and escalation
/// may skip steps, any open incident may be resolved or closed, a resolved one may be
/// closed, and a resolved or closed one may be reopened (back to assigned when someone
/// has it, else triaged). Notes never change the status.
pub fn next_status(
    current: IncidentStatus,
    action: &IncidentAction,
    assigned: bool,
) -> Result<IncidentStatus, WorkflowError> {
    use IncidentStatus::*;
    let refuse = |name| {
        Err(WorkflowError::NotAllowed {
            action: name,
            status: current,
        })
    };
    match action {
        IncidentAction::Note { text } => {
            if text.trim().is_empty() {
                Err(WorkflowError::Missing("a note needs text"))
            } else {
                Ok(current)
            }
        }
        IncidentAction::Triage { .. } => match current {
            New | Triaged => Ok(Triaged),
            Assigned | Escalated => Ok(current),
            _ => refuse("triage"),
        },
        IncidentAction::Assign { to } => {
            if to.trim().is_empty() {
                return Err(WorkflowError::Missing("assign to whom?"));
            }
            match current {
                New | Triaged | Assigned => Ok(Assigned),
                Escalated => Ok(Escalated),
                _ => refuse("assign"),
            }
        }
        IncidentAction::Escalate { .. } => match current {
            New | Triaged | Assigned => Ok(Escalated),
            _ => refuse("escalate"),
        },
        IncidentAction::Resolve { .. } => {
            if current.is_open() {
                Ok(Resolved)
            } else {
                refuse("resolve")
            }
        }
        IncidentAction::Close { .. } => match current {
            Closed => refuse("close"),
            _ => Ok(Closed),
        },
        IncidentAction::Reopen { .. } => match current {
            Resolved | Closed => Ok(if assigned { Assigned } else { Triaged }),
            _ => refuse("reopen"),
        },
    }
}

/// True when an open incident has gone untouched long enough to be escalated.
pub fn is_stale(
    rules: &TriageRules,
    status: IncidentStatus,
    last_touched_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    matches!(
        status,
        IncidentStatus::New | IncidentStatus::Triaged | IncidentStatus::Assigned
    ) && now - last_touched_at >= Duration::minutes(rules.stale_minutes)
}

/// Which incidents a listing asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFilter {
    /// Only these counties (`None`: all). An empty list matches nothing.
    pub counties: Option<Vec<String>>,
    /// Only this status.
    pub status: Option<IncidentStatus>,
    /// Only this category.
    pub category: Option<String>,
    /// Only open incidents.
    pub open_only: bool,
    /// Most rows (0: no limit).
    pub limit: i64,
}

impl IncidentFilter {
    /// True when `i` passes the filter (the stores filter in SQL with the same meaning).
    pub fn admits(&self, i: &Incident) -> bool {
        self.counties.as_ref().is_none_or(|cs| {
            cs.iter()
                .any(|c| c.eq_ignore_ascii_case(&i.location.county))
        }) && self.status.is_none_or(|s| s == i.status)
            && self.category.as_ref().is_none_or(|c| *c == i.category)
            && (!self.open_only || i.status.is_open())
    }
}

/// A user's county, as a lawyer or observer covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// User name.
    pub user_name: String,
    /// County (upper case).
    pub county: String,
    /// The county's lead lawyer (routing target of the lead-lawyer categories).
    pub lead: bool,
}

/// Queue order: most severe first, then oldest first.
pub fn queue_order(a: &Incident, b: &Incident) -> std::cmp::Ordering {
    b.severity
        .cmp(&a.severity)
        .then(a.observed_at.cmp(&b.observed_at))
        .then(a.id.cmp(&b.id))
}

/// Column names of [`incident_csv_record`].
pub const INCIDENT_CSV_HEADER: [&str; 22] = [
    "id",
    "created_at",
    "observed_at",
    "category",
    "severity",
    "status",
    "resolution",
    "county",
    "precinct",
    "polling_place_id",
    "polling_place",
    "address",
    "description",
    "reporter_name",
    "reporter_phone",
    "reporter_relationship",
    "channel",
    "assigned_to",
    "cluster_id",
    "duplicate_of",
    "first_action_at",
    "resolved_at",
];

/// An incident as CSV fields, in [`INCIDENT_CSV_HEADER`] order.
pub fn incident_csv_record(i: &Incident) -> Vec<String> {
    let t = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    vec![
        i.id.to_string(),
        i.created_at.to_rfc3339(),
        i.observed_at.to_rfc3339(),
        i.category.clone(),
        i.severity.code().into(),
        i.status.code().into(),
        i.resolution
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        i.location.county.clone(),
        i.location.precinct.clone(),
        i.location.polling_place_id.clone(),
        i.location.polling_place.clone(),
        i.location.address.clone(),
        i.description.clone(),
        i.reporter.name.clone(),
        i.reporter.phone.clone(),
        i.reporter.relationship.clone(),
        i.channel.clone(),
        i.assigned_to.clone().unwrap_or_default(),
        n(i.cluster_id),
        n(i.duplicate_of),
        t(i.first_action_at),
        t(i.resolved_at),
    ]
}

impl IncidentAttachment {
    /// The words of its timeline entry.
    pub fn timeline_detail(&self) -> String {
        format!(
            "attached photo {} ({}, {} bytes, sha256 {})",
            self.n,
            self.content_type,
            self.size,
            &self.sha256[..12.min(self.sha256.len())]
        )
    }
}

/// The largest photo an incident accepts, in bytes (8 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 8 * 1024 * 1024;

/// The MIME type of `bytes` judged by their magic bytes (never by a declared type):
/// `image/jpeg`, `image/png`, `image/webp` or `image/heic`; `None` for anything else.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    crate::uploads::sniff_image(bytes).map(crate::uploads::ImageKind::mime)
}

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// Empty body.
    #[error("the photo is empty: attach a JPEG, PNG, WebP or HEIC file")]
    Empty,
    /// Over [`MAX_ATTACHMENT_BYTES`].
    #[error("the photo is {0} bytes, over the 8 MiB limit: send a smaller photo")]
    TooLarge(usize),
    /// Not a JPEG, PNG, WebP or HEIC image by its magic bytes.
    #[error("the file is not a JPEG, PNG, WebP or HEIC image: attach a photo")]
    NotAnImage,
}

/// A photo about to be attached: checked and hashed, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The image type found by its magic bytes.
    pub content_type: &'static str,
    /// Lower-case hex SHA-256 of the bytes (one copy per incident).
    pub sha256: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl NewAttachment {
    /// Checks size and magic bytes and hashes the photo.
    pub fn new(bytes: Vec<u8>) -> Result<Self, AttachmentError> {
        use sha2::Digest;
        if bytes.is_empty() {
            return Err(AttachmentError::Empty);
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentError::TooLarge(bytes.len()));
        }
        let content_type = sniff_image(&bytes).ok_or(AttachmentError::NotAnImage)?;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        Ok(Self {
            content_type,
            sha256,
            bytes,
        })
    }
}

/// A stored photo of an incident (its bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentAttachment {
    /// The incident.
    pub incident_id: i64,
    /// Its number on the incident, from 1 (`/incidents/{id}/attachments/{n}`).
    pub n: i64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    /// image/jpeg, image/png, image/webp or image/heic.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Who attached it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}
