//! Intake triage: what the organization's rules decide about a new report given the
//! earlier reports at the same place ([`triage`]), and the report made ready for storage
//! ([`PreparedIntake`]: category checked, county upper case, place key and look-back
//! window computed, the timeline texts of every effect). The stores run only the queries:
//! they read the neighbours inside the intake transaction, call
//! [`PreparedIntake::decide`] and write what it says.

use super::{
    CategoryInfo, IncidentStatus, NewIncident, SYSTEM_ACTOR, Severity, TriageRules, UnknownCategory,
};
use chrono::{DateTime, Duration, Utc};

/// An earlier report at the same place, as the triage sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// Id.
    pub id: i64,
    /// When observed.
    pub observed_at: DateTime<Utc>,
    /// Category code.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Its cluster.
    pub cluster_id: Option<i64>,
    /// What it duplicates.
    pub duplicate_of: Option<i64>,
}

/// What the rules decide about a new report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageDecision {
    /// Severity of the new report.
    pub severity: Severity,
    /// The earlier report it duplicates (same place and category within the window).
    pub duplicate_of: Option<i64>,
    /// The cluster, when this report forms or joins one: the id of the cluster's first
    /// incident (`None` with `clustered` true means the new report's own id).
    pub cluster_id: Option<i64>,
    /// True when the report is part of a cluster.
    pub clustered: bool,
    /// Earlier reports that join the cluster now, with their raised severity.
    pub raise: Vec<(i64, Severity)>,
    /// Assign straight to the county's lead lawyer.
    pub route_to_lead: bool,
}

/// Applies the rules to a new report of `category` (starting at `severity`) observed at
/// `observed_at`, given the earlier reports at the same place (any window; only those
/// within the rules' windows count).
pub fn triage(
    rules: &TriageRules,
    category: &str,
    severity: Severity,
    observed_at: DateTime<Utc>,
    neighbours: &[Neighbour],
) -> TriageDecision {
    let within = |n: &Neighbour, minutes: i64| {
        (observed_at - n.observed_at).num_seconds().abs() <= minutes * 60
    };
    let duplicate_of = neighbours
        .iter()
        .filter(|n| n.category == category && within(n, rules.duplicate_window_minutes))
        .min_by_key(|n| (n.observed_at, n.id))
        .map(|n| n.duplicate_of.unwrap_or(n.id));
    let near: Vec<&Neighbour> = neighbours
        .iter()
        .filter(|n| within(n, rules.cluster_window_minutes))
        .collect();
    let clustered = near.len() + 1 >= rules.cluster_size;
    let mut decision = TriageDecision {
        severity,
        duplicate_of,
        cluster_id: None,
        clustered,
        raise: Vec::new(),
        route_to_lead: rules.lead_lawyer_categories.iter().any(|c| c == category),
    };
    if clustered {
        let floor = if near.len() + 1 >= rules.cluster_size * 2 {
            Severity::Critical
        } else {
            Severity::High
        };
        decision.cluster_id = near
            .iter()
            .filter_map(|n| n.cluster_id)
            .min()
            .or_else(|| near.iter().map(|n| n.id).min());
        decision.severity = severity.raised().max(floor);
        for n in &near {
            let raised = n.severity.max(floor);
            if raised != n.severity || n.cluster_id != decision.cluster_id {
                decision.raise.push((n.id, raised));
            }
        }
    }
    decision
}

impl TriageDecision {
    /// The cluster the new report (stored as `id`) belongs to, when it is in one.
    pub fn cluster_of(&self, id: i64) -> Option<i64> {
        self.clustered.then(|| self.cluster_id.unwrap_or(id))
    }
}

/// A report made ready for storage under the organization's rules: the category is a
/// known one (stored by its canonical code), the county is trimmed and upper case, and the
/// place key and look-back window say which earlier reports the triage must see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedIntake {
    /// The report as it will be stored (canonical category code, county upper case).
    pub report: NewIncident,
    /// Its category (code, label, base severity).
    pub category: CategoryInfo,
    /// Which place it is about ([`IncidentLocation::place_key`](super::IncidentLocation::place_key)).
    pub place_key: String,
    /// Earliest observation time of an earlier report the triage needs.
    pub window_start: DateTime<Utc>,
    /// Latest observation time of an earlier report the triage needs.
    pub window_end: DateTime<Utc>,
    rules: TriageRules,
}

/// A timeline entry the intake writes on the new incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeEntry {
    /// Who: the user who entered it for `created`, else [`SYSTEM_ACTOR`].
    pub actor: String,
    /// Entry kind (`created`, `duplicate`, `clustered`, `routed`, `escalated`).
    pub kind: &'static str,
    /// Status after the entry.
    pub to: IncidentStatus,
    /// What happened, in words.
    pub detail: String,
}

/// Where a lead-lawyer category goes: assigned to the county's lead lawyer, or escalated
/// when the county has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// The new status (assigned or escalated).
    pub status: IncidentStatus,
    /// The lead lawyer it is assigned to.
    pub assigned_to: Option<String>,
    /// The timeline entry saying so.
    pub entry: IntakeEntry,
}

impl PreparedIntake {
    /// Checks the category and normalises the county; refused for an unknown category.
    pub fn new(rules: &TriageRules, new: &NewIncident) -> Result<Self, UnknownCategory> {
        let category = rules.category(&new.category)?;
        let mut report = new.clone();
        report.category = category.code.clone();
        report.location.county = report.location.county.trim().to_ascii_uppercase();
        let place_key = report.location.place_key();
        let look = Duration::minutes(rules.lookback_minutes());
        Ok(Self {
            window_start: report.observed_at - look,
            window_end: report.observed_at + look,
            report,
            category,
            place_key,
            rules: rules.clone(),
        })
    }

    /// Prepares many reports, oldest observed first (the order an import stores them);
    /// refused with the row's index for an unknown category.
    pub fn all(
        rules: &TriageRules,
        rows: &[NewIncident],
    ) -> Result<Vec<Self>, (usize, UnknownCategory)> {
        let mut out = rows
            .iter()
            .enumerate()
            .map(|(i, r)| Self::new(rules, r).map_err(|e| (i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|p| p.report.observed_at);
        Ok(out)
    }

    /// The rules' decision given the earlier reports at the same place (read by the store
    /// inside the intake transaction, between [`Self::window_start`] and [`Self::window_end`]).
    pub fn decide(&self, neighbours: &[Neighbour]) -> TriageDecision {
        triage(
            &self.rules,
            &self.category.code,
            self.category.severity,
            self.report.observed_at,
            neighbours,
        )
    }

    /// The entries written on the new incident (stored as `id`) right after its insert:
    /// `created`, then `duplicate` and `clustered` when the decision says so. Status stays new.
    pub fn opening_entries(&self, id: i64, d: &TriageDecision) -> Vec<IntakeEntry> {
        let entry = |actor: &str, kind, detail| IntakeEntry {
            actor: actor.to_string(),
            kind,
            to: IncidentStatus::New,
            detail,
        };
        let mut out = vec![entry(
            &self.report.created_by,
            "created",
            format!(
                "{} report, {}, severity {}",
                self.report.channel, self.category.code, self.category.severity
            ),
        )];
        if let Some(dup) = d.duplicate_of {
            out.push(entry(
                SYSTEM_ACTOR,
                "duplicate",
                format!("duplicate of #{dup} (same place and category)"),
            ));
        }
        if let Some(cluster) = d.cluster_of(id) {
            out.push(entry(
                SYSTEM_ACTOR,
                "clustered",
                format!(
                    "cluster #{cluster}: {} or more reports from this place within {} minutes; severity {}",
                    self.rules.cluster_size, self.rules.cluster_window_minutes, d.severity
                ),
            ));
        }
        out
    }

    /// The entry on an earlier report that joins the new report's (`id`) cluster.
    pub fn joined_detail(cluster: i64, id: i64, severity: Severity) -> String {
        format!("joined cluster #{cluster} with #{id}; severity {severity}")
    }

    /// Where a lead-lawyer report goes, given the county's lead lawyer (if any).
    pub fn routing(&self, lead: Option<String>) -> Routing {
        let county = &self.report.location.county;
        let code = &self.category.code;
        let (status, kind, detail) = match &lead {
            Some(lead) => (
                IncidentStatus::Assigned,
                "routed",
                format!("{code} goes straight to the lead lawyer of {county}: assigned to {lead}"),
            ),
            None => (
                IncidentStatus::Escalated,
                "escalated",
                format!("{code} goes to the lead lawyer, but {county} has none: escalated"),
            ),
        };
        Routing {
            status,
            assigned_to: lead,
            entry: IntakeEntry {
                actor: SYSTEM_ACTOR.to_string(),
                kind,
                to: status,
                detail,
            },
        }
    }
}

/// The timeline text of an escalation by the timer.
pub fn stale_detail(stale_minutes: i64) -> String {
    format!("untouched for {stale_minutes} minutes")
}
