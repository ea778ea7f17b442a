//! Validation of one precinct's result as a precinct chair submits it (first alignment,
//! final alignment and delegates per group), against the rules in [`crate::rules`]. Each
//! problem becomes a [`Finding`] whose message is written for the chair at the table, not
//! for a programmer: what does not add up, by how much, and what the rules give instead.
//!
//! Errors are results that cannot be right under the rules (sums that do not add up,
//! a viable group losing members, delegates that differ from the math). Notices are
//! legal but worth a second look (people left in a non-viable group in the final
//! alignment; a coin toss that must be held and recorded).
//!
//! What is deliberately *not* an error: a group that was viable in the first alignment
//! growing in the final one. Members of non-viable groups may join a viable group when
//! they realign, so viable groups are expected to grow; only the precinct's total may not.

use serde::Serialize;

use crate::rules::{Allocation, Rules, TossEffect, allocate};

/// One preference group (candidate) on the worksheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupResult {
    /// Candidate (or "Uncommitted").
    pub name: String,
    /// People in the group at the first alignment.
    pub first: u32,
    /// People in the group at the final alignment.
    pub final_alignment: u32,
    /// County delegates the worksheet awards the group.
    pub delegates: u32,
}

/// A precinct's result as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submission {
    /// County delegates the precinct elects.
    pub delegates: u32,
    /// Eligible attendees signed in; `None` when only the alignments are known (published
    /// results): the attendee count is then the larger of the two alignment totals, since
    /// at least that many people were in the room.
    pub attendees: Option<u32>,
    /// The groups, one per candidate.
    pub groups: Vec<GroupResult>,
}

impl Submission {
    /// The attendee count the math uses: the one signed in, or else the larger of the
    /// first- and final-alignment totals.
    pub fn attendees(&self) -> u32 {
        self.attendees
            .unwrap_or_else(|| self.first_total().max(self.final_total()))
    }

    /// People in the first alignment.
    pub fn first_total(&self) -> u32 {
        self.groups.iter().map(|g| g.first).sum()
    }

    /// People in the final alignment.
    pub fn final_total(&self) -> u32 {
        self.groups.iter().map(|g| g.final_alignment).sum()
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    /// The result breaks the rules; it must be corrected before it is reported.
    Error,
    /// Allowed, but worth checking on the worksheet.
    Notice,
}

/// The kinds of problems, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FindingKind {
    /// The first alignment does not add up to the attendees signed in.
    FirstAlignmentNotAttendees,
    /// More people in the final alignment than in the first.
    FinalLargerThanFirst,
    /// A group viable in the first alignment has fewer members in the final one.
    ViableGroupLostMembers,
    /// No group is viable, so no delegate can be awarded.
    NoViableGroup,
    /// The groups' delegates do not add up to the precinct's delegates.
    DelegateTotalWrong,
    /// The delegates differ from what the rules give.
    DelegatesDifferFromRules,
    /// A group with more final-alignment members has fewer delegates than a smaller one.
    MoreVotesFewerDelegates,
    /// Published SDEs are not a whole number of county delegates (published data only).
    SdeNotWholeDelegates,
    /// A non-viable group still has members in the final alignment (legal; notice).
    NonViableGroupInFinal,
    /// A coin toss decides delegates (legal; notice).
    CoinToss,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 10] = [
        FindingKind::FirstAlignmentNotAttendees,
        FindingKind::FinalLargerThanFirst,
        FindingKind::ViableGroupLostMembers,
        FindingKind::NoViableGroup,
        FindingKind::DelegateTotalWrong,
        FindingKind::DelegatesDifferFromRules,
        FindingKind::MoreVotesFewerDelegates,
        FindingKind::SdeNotWholeDelegates,
        FindingKind::NonViableGroupInFinal,
        FindingKind::CoinToss,
    ];

    /// Error or notice.
    pub fn severity(self) -> Severity {
        match self {
            FindingKind::NonViableGroupInFinal | FindingKind::CoinToss => Severity::Notice,
            _ => Severity::Error,
        }
    }

    /// A short heading for reports.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::FirstAlignmentNotAttendees => "first alignment does not match attendees",
            FindingKind::FinalLargerThanFirst => "final alignment larger than the first",
            FindingKind::ViableGroupLostMembers => "viable group lost members",
            FindingKind::NoViableGroup => "no viable group",
            FindingKind::DelegateTotalWrong => "delegates do not add up to the precinct's total",
            FindingKind::DelegatesDifferFromRules => "delegates differ from the rules",
            FindingKind::MoreVotesFewerDelegates => "more votes, fewer delegates",
            FindingKind::SdeNotWholeDelegates => "SDEs are not whole county delegates",
            FindingKind::NonViableGroupInFinal => "non-viable group in the final alignment",
            FindingKind::CoinToss => "coin toss decides a delegate",
        }
    }
}

/// One problem with a submitted result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// Error or notice (same as `kind.severity()`).
    pub severity: Severity,
    /// The group concerned, when there is one.
    pub group: Option<String>,
    /// What to tell the precinct chair.
    pub message: String,
}

impl Finding {
    fn new(kind: FindingKind, group: Option<&str>, message: String) -> Self {
        Finding {
            kind,
            severity: kind.severity(),
            group: group.map(str::to_owned),
            message,
        }
    }
}

/// A validated submission: the findings and the rules' own allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// The problems found, errors and notices, in [`FindingKind`] order.
    pub findings: Vec<Finding>,
    /// What the rules give for the final alignment.
    pub allocation: Allocation,
}

impl Validation {
    /// True when no finding is an error.
    pub fn is_ok(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }

    /// True when some finding has this kind.
    pub fn has(&self, kind: FindingKind) -> bool {
        self.findings.iter().any(|f| f.kind == kind)
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "Biden 2, Sanders 1": the groups with delegates in `delegates`, or "none".
pub fn describe_delegates(names: &[&str], delegates: &[u32]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(delegates)
        .filter(|(_, d)| **d > 0)
        .map(|(n, d)| format!("{n} {d}"))
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Checks a submitted result against the rules.
///
/// ```
/// use votebase_caucus::{FindingKind, GroupResult, Rules, Submission, validate};
/// let g = |name: &str, first, fin, delegates| GroupResult {
///     name: name.into(), first, final_alignment: fin, delegates };
/// let sub = Submission { delegates: 10, attendees: Some(34), groups: vec![
///     g("Biden", 7, 7, 2), g("Buttigieg", 6, 6, 2), g("Klobuchar", 6, 6, 2),
///     g("Sanders", 6, 6, 1), g("Warren", 9, 9, 3)] };
/// let v = validate(&sub, &Rules::default());
/// assert!(v.has(FindingKind::DelegatesDifferFromRules));
/// ```
pub fn validate(sub: &Submission, rules: &Rules) -> Validation {
    let names: Vec<&str> = sub.groups.iter().map(|g| g.name.as_str()).collect();
    let fin: Vec<u32> = sub.groups.iter().map(|g| g.final_alignment).collect();
    let claimed: Vec<u32> = sub.groups.iter().map(|g| g.delegates).collect();
    let attendees = sub.attendees();
    let allocation = allocate(sub.delegates, attendees, &fin, rules);
    let threshold = allocation.threshold;
    let mut findings = Vec::new();
    let first_total = sub.first_total();
    let final_total = sub.final_total();

    if let Some(signed_in) = sub.attendees
        && first_total != signed_in
    {
        findings.push(Finding::new(
            FindingKind::FirstAlignmentNotAttendees,
            None,
            format!(
                "The first alignment adds up to {}, but {} signed in. Recount the groups or \
                 the sign-in sheets.",
                plural(first_total, "person", "people"),
                plural(signed_in, "attendee", "attendees"),
            ),
        ));
    }
    if final_total > first_total {
        findings.push(Finding::new(
            FindingKind::FinalLargerThanFirst,
            None,
            format!(
                "The final alignment counts {final_total} people but the first counted \
                 {first_total}: nobody can join after the first alignment. Recount the groups."
            ),
        ));
    }
    if sub.delegates > 0 {
        for g in &sub.groups {
            if g.first > 0 && g.first >= threshold && g.final_alignment < g.first {
                findings.push(Finding::new(
                    FindingKind::ViableGroupLostMembers,
                    Some(&g.name),
                    format!(
                        "{} was viable in the first alignment with {} (threshold {threshold}) \
                         but has {} in the final one: members of a viable group cannot leave \
                         it. Check both counts.",
                        g.name,
                        plural(g.first, "person", "people"),
                        g.final_alignment
                    ),
                ));
            }
        }
    }
    let any_awarded = allocation.viable.iter().any(|&v| v);
    if sub.delegates > 0 && attendees > 0 && !any_awarded {
        findings.push(Finding::new(
            FindingKind::NoViableGroup,
            None,
            format!(
                "No group reaches the viability threshold of {} in the final alignment, so \
                 no delegate can be awarded. The groups must realign until one is viable.",
                plural(threshold, "person", "people")
            ),
        ));
    }
    let claimed_total: u32 = claimed.iter().sum();
    if any_awarded && claimed_total != sub.delegates {
        findings.push(Finding::new(
            FindingKind::DelegateTotalWrong,
            None,
            format!(
                "The groups' delegates add up to {claimed_total}, but this precinct elects {}.",
                sub.delegates
            ),
        ));
    }
    if !allocation.admits(&claimed) {
        let computed = allocation.first_outcome();
        let mut message = format!(
            "By the rules the delegates are {}; the result says {}.",
            describe_delegates(&names, &computed),
            describe_delegates(&names, &claimed)
        );
        if !allocation.is_settled() {
            message.push_str(" (A coin toss decides part of it; this is one way it can fall.)");
        }
        let differing: Vec<&str> = names
            .iter()
            .zip(claimed.iter().zip(&computed))
            .filter(|(_, (c, r))| c != r)
            .map(|(n, _)| *n)
            .collect();
        if !differing.is_empty() {
            message.push_str(&format!(" Check {}.", differing.join(", ")));
        }
        findings.push(Finding::new(
            FindingKind::DelegatesDifferFromRules,
            None,
            message,
        ));
    }
    for (i, gi) in sub.groups.iter().enumerate() {
        for (j, gj) in sub.groups.iter().enumerate() {
            if i != j && gi.final_alignment > gj.final_alignment && gi.delegates < gj.delegates {
                findings.push(Finding::new(
                    FindingKind::MoreVotesFewerDelegates,
                    Some(&gi.name),
                    format!(
                        "{} has more people than {} in the final alignment ({} to {}) but fewer \
                         delegates ({} to {}).",
                        gi.name,
                        gj.name,
                        gi.final_alignment,
                        gj.final_alignment,
                        gi.delegates,
                        gj.delegates
                    ),
                ));
            }
        }
    }
    if sub.delegates > 0 {
        for (g, viable) in sub.groups.iter().zip(&allocation.viable) {
            if g.final_alignment > 0 && !viable {
                findings.push(Finding::new(
                    FindingKind::NonViableGroupInFinal,
                    Some(&g.name),
                    format!(
                        "{} has {} in the final alignment, below the viability threshold of \
                         {threshold}: it earns no delegate. Make sure its members were offered \
                         the chance to realign.",
                        g.name,
                        plural(g.final_alignment, "person", "people")
                    ),
                ));
            }
        }
    }
    for toss in &allocation.coin_tosses {
        let tied: Vec<&str> = toss.among.iter().map(|&g| names[g]).collect();
        let what = match toss.effect {
            TossEffect::GainOne => "gains",
            TossEffect::LoseOne => "gives up",
        };
        let which = if toss.count == 1 {
            "which one".to_owned()
        } else {
            format!("which {} of them each", toss.count)
        };
        findings.push(Finding::new(
            FindingKind::CoinToss,
            None,
            format!(
                "{} are tied; a coin toss decides {which} {what} a delegate. Hold the toss, \
                 then record it and its winner on the worksheet.",
                tied.join(" and "),
            ),
        ));
    }
    findings.sort_by_key(|f| f.kind);
    Validation {
        findings,
        allocation,
    }
}
