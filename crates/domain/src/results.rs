//! Election-night results: the election as set up (contests, candidates, precincts with
//! their caucus delegates, SDE weight and history), what a precinct chair or a hotline
//! operator submits (a caucus worksheet or votes by vote type), the validation of a
//! submission in words a chair understands, the receipt every accepted submission gets,
//! and the projection that turns the append-only submission log of one precinct's
//! contest into what may be published. The projection is a pure function of the log
//! ([`project`]): stores call it after every append and to rebuild from scratch, so the
//! published results can always be recomputed from the log alone. No I/O.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use votebase_caucus::{
    FindingKind, GroupResult, Rules, Severity, Submission, TossEffect, state_delegate_equivalents,
    validate,
};

/// The two kinds of contest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContestKind {
    /// Caucus: first and final alignment, county delegates and SDEs by the party's rules.
    Caucus,
    /// Primary or general election: votes per candidate by vote type.
    Votes,
}

/// How a ballot was cast, for primary and general contests.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteType {
    /// In person on election day.
    ElectionDay,
    /// Early in person.
    Early,
    /// Absentee / by mail.
    Absentee,
    /// Provisional ballots counted.
    Provisional,
}

impl VoteType {
    /// Every vote type, in column order.
    pub const ALL: [VoteType; 4] = [
        Self::ElectionDay,
        Self::Early,
        Self::Absentee,
        Self::Provisional,
    ];

    /// The snake_case code (also the CSV column name).
    pub fn code(self) -> &'static str {
        match self {
            Self::ElectionDay => "election_day",
            Self::Early => "early",
            Self::Absentee => "absentee",
            Self::Provisional => "provisional",
        }
    }
}

/// One contest of an election.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contest {
    /// Short stable key used in URLs and submissions (`president-caucus`).
    pub key: String,
    /// Office, as in OpenElections feeds (`President`).
    pub office: String,
    /// District (empty for statewide offices).
    #[serde(default)]
    pub district: String,
    /// Party (caucuses and primaries), empty for a general election.
    #[serde(default)]
    pub party: String,
    /// Caucus or votes.
    pub kind: ContestKind,
    /// Candidates (caucus preference groups, `Uncommitted` included), in ballot order.
    pub candidates: Vec<String>,
}

/// A precinct of the roster.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Precinct {
    /// Stable id (from the VIP feed or the roster CSV).
    pub id: String,
    /// County.
    pub county: String,
    /// Precinct name as published.
    pub name: String,
    /// County delegates the precinct elects (caucus contests).
    #[serde(default)]
    pub delegates: u32,
    /// State delegate equivalents the precinct carries (caucus contests).
    #[serde(default)]
    pub sde: f64,
    /// Turnout in the last comparable election (attendees or ballots), if known: a
    /// result far from it is flagged for a second look.
    #[serde(default)]
    pub history_turnout: Option<u32>,
}

/// An election as set up before election night.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Election {
    /// Short stable key (`ia-2020-caucus`): lowercase letters, digits and dashes.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Election day.
    pub date: NaiveDate,
    /// When true, nothing is published for a precinct until the chair's entry and a
    /// hotline operator's entry agree (or a third check settles it).
    #[serde(default)]
    pub double_entry: bool,
    /// The contests.
    pub contests: Vec<Contest>,
    /// The precinct roster.
    pub precincts: Vec<Precinct>,
}

/// A setup that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// Something in the definition is wrong; the message says what and where.
    #[error("{0}")]
    Invalid(String),
}

impl Election {
    /// Checks the definition: slug, unique contest keys, candidates and precinct ids,
    /// caucus precincts with delegates.
    pub fn check(&self) -> Result<(), SetupError> {
        let bad = |m: String| Err(SetupError::Invalid(m));
        if self.slug.is_empty()
            || self.slug.len() > 64
            || !self
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return bad(format!(
                "election slug {:?}: use 1 to 64 lowercase letters, digits and dashes (e.g. ia-2020-caucus)",
                self.slug
            ));
        }
        if self.contests.is_empty() {
            return bad("the election has no contest: add at least one".into());
        }
        let mut keys = BTreeSet::new();
        for c in &self.contests {
            if c.key.trim().is_empty() || !keys.insert(c.key.as_str()) {
                return bad(format!("contest key {:?} is empty or used twice", c.key));
            }
            if c.candidates.is_empty() {
                return bad(format!("contest {:?} has no candidate", c.key));
            }
            let mut names = BTreeSet::new();
            for n in &c.candidates {
                if n.trim().is_empty() || !names.insert(n.to_lowercase()) {
                    return bad(format!(
                        "contest {:?}: candidate {n:?} is empty or listed twice",
                        c.key
                    ));
                }
            }
        }
        if self.precincts.is_empty() {
            return bad("the election has no precinct: load a roster (CSV or VIP feed)".into());
        }
        let mut ids = BTreeSet::new();
        let has_caucus = self.contests.iter().any(|c| c.kind == ContestKind::Caucus);
        for p in &self.precincts {
            if p.id.trim().is_empty() || !ids.insert(p.id.as_str()) {
                return bad(format!("precinct id {:?} is empty or used twice", p.id));
            }
            if has_caucus && p.delegates == 0 {
                return bad(format!(
                    "precinct {} ({}) elects no county delegate: give every caucus precinct its delegates",
                    p.id, p.name
                ));
            }
            if !p.sde.is_finite() || p.sde < 0.0 {
                return bad(format!(
                    "precinct {}: SDE weight must be a number ≥ 0",
                    p.id
                ));
            }
        }
        Ok(())
    }

    /// A precinct by id.
    pub fn precinct(&self, id: &str) -> Option<&Precinct> {
        self.precincts.iter().find(|p| p.id == id)
    }

    /// A contest by key.
    pub fn contest(&self, key: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.key == key)
    }
}

/// Who keyed a submission.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The precinct chair, on the reporting page.
    Chair,
    /// A hotline operator, keying what the chair reads over the phone.
    Hotline,
    /// A third check by results staff, settling a disagreement from the worksheet.
    Check,
}

impl Channel {
    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Chair => "chair",
            Self::Hotline => "hotline",
            Self::Check => "check",
        }
    }

    /// Parses the code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "chair" => Some(Self::Chair),
            "hotline" => Some(Self::Hotline),
            "check" => Some(Self::Check),
            _ => None,
        }
    }
}

/// One preference group on a caucus worksheet.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaucusGroup {
    /// Candidate, as set up.
    pub candidate: String,
    /// People in the group at the first alignment.
    pub first: u32,
    /// People in the group at the final alignment.
    #[serde(rename = "final")]
    pub final_alignment: u32,
    /// County delegates as written on the worksheet; omit to take the rules' numbers.
    #[serde(default)]
    pub delegates: Option<u32>,
}

/// A caucus result as entered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaucusEntry {
    /// Eligible attendees signed in.
    pub attendees: u32,
    /// One group per candidate with members (missing candidates count as zero).
    pub groups: Vec<CaucusGroup>,
    /// Candidates who won a coin toss the rules called for (empty when none).
    #[serde(default)]
    pub coin_toss_winners: Vec<String>,
}

/// Votes for one candidate by one vote type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteCount {
    /// Candidate, as set up.
    pub candidate: String,
    /// Vote type.
    pub vote_type: VoteType,
    /// Votes.
    pub votes: u32,
}

/// A primary or general-election result as entered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VotesEntry {
    /// Ballots cast in the precinct (all vote types), when the tally sheet gives it.
    #[serde(default)]
    pub ballots_cast: Option<u32>,
    /// The counts (missing pairs count as zero).
    pub counts: Vec<VoteCount>,
}

/// What was entered for one contest in one precinct.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultEntry {
    /// A caucus worksheet.
    Caucus(CaucusEntry),
    /// Votes by candidate and vote type.
    Votes(VotesEntry),
}

/// A submission as the API receives it (see `crates/server/src/results.rs`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRequest {
    /// Generated by the client once per entry (a UUID, say) and reused on every retry.
    pub client_id: String,
    /// Election slug.
    pub election: String,
    /// Precinct id (a chair may only report their own).
    pub precinct: String,
    /// Contest key.
    pub contest: String,
    /// Why this replaces an earlier entry (corrections).
    #[serde(default)]
    pub reason: Option<String>,
    /// The numbers.
    pub result: ResultEntry,
}

/// A submission on its way into the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubmission {
    /// The request.
    pub request: SubmissionRequest,
    /// Channel it came through.
    pub channel: Channel,
    /// Who: `chair:<precinct>` or a user name.
    pub actor: String,
    /// When the server received it.
    pub received_at: DateTime<Utc>,
}

/// How a stored entry stands after validation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// No error: it can be published (after double entry where configured).
    Accepted,
    /// Kept, but breaks the rules: a corrected version is needed before publication.
    NeedsCorrection,
}

/// One problem with a submission, for the person who entered it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryFinding {
    /// Stable snake_case code (`final_larger_than_first`, `far_from_history`, …).
    pub code: String,
    /// `error` (blocks publication) or `notice` (a flag; published anyway).
    pub severity: String,
    /// The candidate concerned, if any.
    #[serde(default)]
    pub candidate: Option<String>,
    /// What to tell the chair.
    pub message: String,
}

impl EntryFinding {
    fn error(code: &str, candidate: Option<&str>, message: String) -> Self {
        Self {
            code: code.into(),
            severity: "error".into(),
            candidate: candidate.map(str::to_owned),
            message,
        }
    }

    fn notice(code: &str, message: String) -> Self {
        Self {
            code: code.into(),
            severity: "notice".into(),
            candidate: None,
            message,
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == "error"
    }
}

/// Delegates of one candidate, by the rules.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateDelegates {
    /// Candidate.
    pub candidate: String,
    /// County delegates.
    pub delegates: u32,
    /// State delegate equivalents.
    pub sde: f64,
}

/// The validation of an entry: findings, and for a caucus the delegates by the rules.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryCheck {
    /// Accepted, or needs correction.
    pub status: EntryStatus,
    /// Errors and notices.
    pub findings: Vec<EntryFinding>,
    /// Caucus: county delegates and SDEs per candidate by the rules (every candidate).
    pub delegates: Vec<CandidateDelegates>,
    /// Caucus: the viability threshold in people.
    pub viability_threshold: Option<u32>,
    /// Caucus: a coin toss the chair must hold (candidates among whom it falls).
    pub coin_toss: Vec<String>,
}

/// A submission that cannot be recorded at all: it names something not in the setup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// The precinct is not in the roster.
    #[error(
        "precinct {0:?} is not in the roster of this election: check the precinct id on your sheet or call the hotline"
    )]
    UnknownPrecinct(String),
    /// The contest is not in the election.
    #[error("contest {0:?} is not in this election")]
    UnknownContest(String),
    /// A caucus worksheet for a votes contest or the other way round.
    #[error("contest {0:?} takes {1} results, not this kind")]
    WrongKind(String, &'static str),
    /// A candidate not on the contest's list.
    #[error("{0:?} is not a candidate in this contest: use one of {1}")]
    UnknownCandidate(String, String),
    /// A candidate (or candidate and vote type) listed twice.
    #[error("{0} is entered twice")]
    Duplicate(String),
    /// The client id is empty or too long.
    #[error("client_id must be 1 to 100 characters (letters, digits, '-', '_', '.', ':')")]
    BadClientId,
    /// A correction reason longer than allowed.
    #[error("the reason is too long (500 characters at most)")]
    ReasonTooLong,
}

/// A receipt: what the server tells the submitter it recorded. A retry with the same
/// `client_id` returns the very same receipt.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// `R<seq>-<check>`: short enough to read over the phone.
    pub receipt_id: String,
    /// The submitter's id.
    pub client_id: String,
    /// Position in the append-only log.
    pub seq: i64,
    /// Election slug.
    pub election: String,
    /// Precinct id.
    pub precinct: String,
    /// Contest key.
    pub contest: String,
    /// Channel.
    pub channel: Channel,
    /// Version of this precinct's contest in this channel (1 = first entry, 2 = first correction…).
    pub version: u32,
    /// When it was recorded.
    pub received_at: DateTime<Utc>,
    /// Validation outcome and delegates by the rules.
    pub check: EntryCheck,
}

/// The receipt id of a log entry: `R<seq>-<4 hex>` where the check digits come from the
/// client id, so a receipt read over the phone can be verified.
pub fn receipt_id(seq: i64, client_id: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(client_id.as_bytes());
    format!("R{seq}-{:04X}", h & 0xFFFF)
}

/// One stored entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Position in the log.
    pub seq: i64,
    /// The submission.
    pub submission: NewSubmission,
    /// The receipt given.
    pub receipt: Receipt,
}

fn valid_client_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// Checks that a submission names only what the election holds; the step before
/// [`check_entry`]. Such errors are refused outright (nothing is stored).
pub fn check_names(election: &Election, req: &SubmissionRequest) -> Result<(), EntryError> {
    if !valid_client_id(&req.client_id) {
        return Err(EntryError::BadClientId);
    }
    if req.reason.as_deref().is_some_and(|r| r.len() > 500) {
        return Err(EntryError::ReasonTooLong);
    }
    election
        .precinct(&req.precinct)
        .ok_or_else(|| EntryError::UnknownPrecinct(req.precinct.clone()))?;
    let contest = election
        .contest(&req.contest)
        .ok_or_else(|| EntryError::UnknownContest(req.contest.clone()))?;
    let known = |name: &str| -> Result<(), EntryError> {
        if contest.candidates.iter().any(|c| c == name) {
            Ok(())
        } else {
            Err(EntryError::UnknownCandidate(
                name.to_owned(),
                contest.candidates.join(", "),
            ))
        }
    };
    match (&req.result, contest.kind) {
        (ResultEntry::Caucus(e), ContestKind::Caucus) => {
            let mut seen = BTreeSet::new();
            for g in &e.groups {
                known(&g.candidate)?;
                if !seen.insert(g.candidate.as_str()) {
                    return Err(EntryError::Duplicate(g.candidate.clone()));
                }
            }
            for w in &e.coin_toss_winners {
                known(w)?;
            }
        }
        (ResultEntry::Votes(e), ContestKind::Votes) => {
            let mut seen = BTreeSet::new();
            for c in &e.counts {
                known(&c.candidate)?;
                if !seen.insert((c.candidate.as_str(), c.vote_type)) {
                    return Err(EntryError::Duplicate(format!(
                        "{} ({})",
                        c.candidate,
                        c.vote_type.code()
                    )));
                }
            }
        }
        (_, ContestKind::Caucus) => {
            return Err(EntryError::WrongKind(contest.key.clone(), "caucus"));
        }
        (_, ContestKind::Votes) => return Err(EntryError::WrongKind(contest.key.clone(), "votes")),
    }
    Ok(())
}

/// The caucus groups in the contest's candidate order, zero for missing candidates.
fn caucus_groups(contest: &Contest, e: &CaucusEntry) -> Vec<CaucusGroup> {
    contest
        .candidates
        .iter()
        .map(|name| {
            e.groups
                .iter()
                .find(|g| &g.candidate == name)
                .cloned()
                .unwrap_or(CaucusGroup {
                    candidate: name.clone(),
                    first: 0,
                    final_alignment: 0,
                    delegates: None,
                })
        })
        .collect()
}

fn code_of(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::FirstAlignmentNotAttendees => "first_alignment_not_attendees",
        FindingKind::FinalLargerThanFirst => "final_larger_than_first",
        FindingKind::ViableGroupLostMembers => "viable_group_lost_members",
        FindingKind::NoViableGroup => "no_viable_group",
        FindingKind::DelegateTotalWrong => "delegate_total_wrong",
        FindingKind::DelegatesDifferFromRules => "delegates_differ_from_rules",
        FindingKind::MoreVotesFewerDelegates => "more_votes_fewer_delegates",
        FindingKind::SdeNotWholeDelegates => "sde_not_whole_delegates",
        FindingKind::NonViableGroupInFinal => "non_viable_group_in_final",
        FindingKind::CoinToss => "coin_toss",
    }
}

/// How far from the precinct's history a turnout may be before it is flagged: below a
/// third or above three times the last comparable turnout (and at least 20 people apart).
fn history_notice(precinct: &Precinct, turnout: u32, what: &str) -> Option<EntryFinding> {
    let past = precinct.history_turnout?;
    let (now, then) = (u64::from(turnout), u64::from(past));
    let far = now.abs_diff(then) >= 20 && (now * 3 < then || now > then * 3);
    far.then(|| {
        EntryFinding::notice(
            "far_from_history",
            format!(
                "{turnout} {what} is far from the {past} of the last comparable election in \
                 {}. If that is right, nothing to do; if not, check the count.",
                precinct.name
            ),
        )
    })
}

/// Validates an entry whose names passed [`check_names`]: the rules' findings (caucus
/// math by `votebase-caucus`, vote sums) and the history flag; for a caucus, also the
/// delegates and SDEs by the rules (with the coin-toss winners applied).
pub fn check_entry(
    election: &Election,
    precinct_id: &str,
    contest_key: &str,
    entry: &ResultEntry,
) -> EntryCheck {
    let (Some(precinct), Some(contest)) = (
        election.precinct(precinct_id),
        election.contest(contest_key),
    ) else {
        return EntryCheck {
            status: EntryStatus::NeedsCorrection,
            findings: vec![EntryFinding::error(
                "not_in_setup",
                None,
                format!(
                    "precinct {precinct_id:?} or contest {contest_key:?} is not in the election"
                ),
            )],
            delegates: Vec::new(),
            viability_threshold: None,
            coin_toss: Vec::new(),
        };
    };
    let mut findings = Vec::new();
    let mut delegates = Vec::new();
    let mut threshold = None;
    let mut coin_toss = Vec::new();
    match entry {
        ResultEntry::Caucus(e) => {
            let groups = caucus_groups(contest, e);
            let rules = Rules::default();
            let plain = Submission {
                delegates: precinct.delegates,
                attendees: Some(e.attendees),
                groups: groups
                    .iter()
                    .map(|g| GroupResult {
                        name: g.candidate.clone(),
                        first: g.first,
                        final_alignment: g.final_alignment,
                        delegates: 0,
                    })
                    .collect(),
            };
            // The rules' allocation, with the coin toss as the chair recorded it.
            let probe = validate(&plain, &rules);
            let allocation = probe.allocation;
            threshold = Some(allocation.threshold);
            let winners: Vec<usize> = e
                .coin_toss_winners
                .iter()
                .filter_map(|w| groups.iter().position(|g| &g.candidate == w))
                .collect();
            let computed = if allocation.is_settled() {
                Some(allocation.delegates.clone())
            } else {
                // Winners of a toss come out ahead: they gain a delegate (gain tosses) or
                // keep theirs (give-back tosses, where the others give one back).
                let mut moved = Vec::new();
                let mut slots = 0;
                for t in &allocation.coin_tosses {
                    coin_toss.extend(t.among.iter().map(|&g| groups[g].candidate.clone()));
                    let won: Vec<usize> = t
                        .among
                        .iter()
                        .copied()
                        .filter(|g| winners.contains(g))
                        .collect();
                    match t.effect {
                        TossEffect::GainOne => {
                            slots += t.count;
                            moved.extend(won);
                        }
                        TossEffect::LoseOne => {
                            let keep = t.among.len() as u32 - t.count;
                            slots += keep;
                            if won.len() as u32 == keep {
                                moved.extend(t.among.iter().copied().filter(|g| !won.contains(g)));
                            } else {
                                moved.extend(won); // wrong count: resolve refuses it
                                moved.push(usize::MAX);
                            }
                        }
                    }
                }
                match allocation.resolve(&moved) {
                    Ok(d) => Some(d),
                    Err(_) => {
                        findings.push(EntryFinding::error(
                            "coin_toss_needed",
                            None,
                            format!(
                                "The rules call for a coin toss among {}: {} of them come out \
                                 ahead by one delegate. Hold the toss, then mark who won it.",
                                coin_toss.join(", "),
                                slots
                            ),
                        ));
                        None
                    }
                }
            };
            let rules_delegates = computed
                .clone()
                .unwrap_or_else(|| allocation.first_outcome());
            let claimed: Vec<u32> = groups
                .iter()
                .zip(&rules_delegates)
                .map(|(g, &r)| g.delegates.unwrap_or(r))
                .collect();
            let sub = Submission {
                groups: groups
                    .iter()
                    .zip(&claimed)
                    .map(|(g, &d)| GroupResult {
                        name: g.candidate.clone(),
                        first: g.first,
                        final_alignment: g.final_alignment,
                        delegates: d,
                    })
                    .collect(),
                ..plain
            };
            let v = validate(&sub, &rules);
            for f in v.findings {
                if f.kind == FindingKind::CoinToss {
                    continue; // reported above as coin_toss_needed, or already settled
                }
                let finding = match f.severity {
                    Severity::Error => {
                        EntryFinding::error(code_of(f.kind), f.group.as_deref(), f.message)
                    }
                    Severity::Notice => EntryFinding::notice(code_of(f.kind), f.message),
                };
                findings.push(finding);
            }
            if let Some(d) = &computed
                && claimed != *d
                && !findings
                    .iter()
                    .any(|f| f.code == "delegates_differ_from_rules")
            {
                findings.push(EntryFinding::error(
                    "delegates_differ_from_rules",
                    None,
                    "The delegates written on the worksheet differ from the rules after the coin toss.".into(),
                ));
            }
            if let Some(n) = history_notice(precinct, e.attendees, "attendees") {
                findings.push(n);
            }
            let sde =
                state_delegate_equivalents(&rules_delegates, precinct.delegates, precinct.sde);
            if computed.is_some() {
                delegates = groups
                    .iter()
                    .zip(rules_delegates.iter().zip(sde))
                    .map(|(g, (&d, s))| CandidateDelegates {
                        candidate: g.candidate.clone(),
                        delegates: d,
                        sde: (s * 10_000.0).round() / 10_000.0,
                    })
                    .collect();
            }
        }
        ResultEntry::Votes(e) => {
            let total: u64 = e.counts.iter().map(|c| u64::from(c.votes)).sum();
            if let Some(cast) = e.ballots_cast
                && total > u64::from(cast) * contest_seats(contest)
            {
                findings.push(EntryFinding::error(
                    "votes_exceed_ballots",
                    None,
                    format!(
                        "The candidates' votes add up to {total}, but only {cast} ballots were \
                         cast. Check each candidate's line on the tally sheet."
                    ),
                ));
            }
            let turnout = e
                .ballots_cast
                .unwrap_or(total.min(u64::from(u32::MAX)) as u32);
            if let Some(n) = history_notice(precinct, turnout, "ballots") {
                findings.push(n);
            }
        }
    }
    let status = if findings.iter().any(EntryFinding::is_error) {
        EntryStatus::NeedsCorrection
    } else {
        EntryStatus::Accepted
    };
    EntryCheck {
        status,
        findings,
        delegates,
        viability_threshold: threshold,
        coin_toss,
    }
}

/// One vote per ballot in every contest set up here (vote-for-one offices).
fn contest_seats(_contest: &Contest) -> u64 {
    1
}

/// What is published for a precinct's contest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrecinctStatus {
    /// Nothing received yet.
    NotReported,
    /// The latest entry breaks the rules: waiting for a correction.
    NeedsCorrection,
    /// Double entry is configured: waiting for the other channel.
    AwaitingSecondEntry,
    /// Chair and hotline disagree: a third check from the worksheet is needed.
    Disagreement,
    /// Validated (and double-entered where configured): public.
    Published,
}

impl PrecinctStatus {
    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotReported => "not_reported",
            Self::NeedsCorrection => "needs_correction",
            Self::AwaitingSecondEntry => "awaiting_second_entry",
            Self::Disagreement => "disagreement",
            Self::Published => "published",
        }
    }
}

/// One version in a precinct's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSummary {
    /// Log position.
    pub seq: i64,
    /// Receipt id.
    pub receipt_id: String,
    /// Channel.
    pub channel: Channel,
    /// Version within the channel.
    pub version: u32,
    /// Who.
    pub actor: String,
    /// When.
    pub received_at: DateTime<Utc>,
    /// Correction reason.
    pub reason: Option<String>,
    /// Validation outcome.
    pub status: EntryStatus,
    /// The numbers entered.
    pub result: ResultEntry,
    /// Findings.
    pub findings: Vec<EntryFinding>,
}

/// The projection of one precinct's contest: what the log adds up to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecinctResult {
    /// Precinct id.
    pub precinct: String,
    /// County.
    pub county: String,
    /// Precinct name.
    pub precinct_name: String,
    /// Contest key.
    pub contest: String,
    /// Where it stands.
    pub status: PrecinctStatus,
    /// Why, in words.
    pub status_message: String,
    /// The published numbers (the entry that passed), when published.
    pub published: Option<ResultEntry>,
    /// Log position of the published entry.
    pub published_seq: Option<i64>,
    /// Caucus: delegates and SDEs of the published entry.
    pub delegates: Vec<CandidateDelegates>,
    /// Notices on the published entry (e.g. far from history).
    pub notices: Vec<EntryFinding>,
    /// Every version received, oldest first.
    pub history: Vec<VersionSummary>,
    /// Highest log position folded in.
    pub last_seq: i64,
}

impl PrecinctResult {
    /// Versions of one channel, oldest first.
    pub fn channel(&self, channel: Channel) -> impl Iterator<Item = &VersionSummary> {
        self.history.iter().filter(move |v| v.channel == channel)
    }

    /// True when the published entry corrects an earlier one.
    pub fn corrected(&self) -> bool {
        self.history.len() > 1
    }
}

/// The numbers two entries must agree on: per candidate (first, final, delegates) for a
/// caucus with the attendees and coin toss; per candidate and vote type for votes.
fn comparable(entry: &ResultEntry, check: &EntryCheck) -> String {
    match entry {
        ResultEntry::Caucus(e) => {
            let mut groups: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
            for g in &e.groups {
                if g.first > 0 || g.final_alignment > 0 {
                    groups.insert(&g.candidate, (g.first, g.final_alignment));
                }
            }
            let delegates: Vec<(String, u32)> = check
                .delegates
                .iter()
                .filter(|d| d.delegates > 0)
                .map(|d| (d.candidate.clone(), d.delegates))
                .collect();
            format!("{}|{groups:?}|{delegates:?}", e.attendees)
        }
        ResultEntry::Votes(e) => {
            let counts: BTreeMap<(&str, VoteType), u32> = e
                .counts
                .iter()
                .filter(|c| c.votes > 0)
                .map(|c| ((c.candidate.as_str(), c.vote_type), c.votes))
                .collect();
            format!("{:?}|{counts:?}", e.ballots_cast)
        }
    }
}

/// Folds the log entries of one precinct's contest (any order; sorted by `seq` here)
/// into what may be published. The rules:
/// - only each channel's latest version counts (earlier ones stay in the history);
/// - a third check, when it is the newest entry, settles the precinct by itself;
/// - otherwise, when both chair and hotline reported, their latest versions must agree,
///   or the precinct is flagged for a third check;
/// - with double entry configured, one channel alone is not enough;
/// - an entry that breaks the rules is never published.
pub fn project(
    election: &Election,
    precinct_id: &str,
    contest_key: &str,
    entries: &[LogEntry],
) -> PrecinctResult {
    let mut entries: Vec<&LogEntry> = entries.iter().collect();
    entries.sort_by_key(|e| e.seq);
    let precinct = election.precinct(precinct_id);
    let history: Vec<VersionSummary> = entries
        .iter()
        .map(|e| VersionSummary {
            seq: e.seq,
            receipt_id: e.receipt.receipt_id.clone(),
            channel: e.submission.channel,
            version: e.receipt.version,
            actor: e.submission.actor.clone(),
            received_at: e.receipt.received_at,
            reason: e.submission.request.reason.clone(),
            status: e.receipt.check.status,
            result: e.submission.request.result.clone(),
            findings: e.receipt.check.findings.clone(),
        })
        .collect();
    let latest = |ch: Channel| {
        entries
            .iter()
            .rev()
            .find(|e| e.submission.channel == ch)
            .copied()
    };
    let mut out = PrecinctResult {
        precinct: precinct_id.to_owned(),
        county: precinct.map(|p| p.county.clone()).unwrap_or_default(),
        precinct_name: precinct.map(|p| p.name.clone()).unwrap_or_default(),
        contest: contest_key.to_owned(),
        status: PrecinctStatus::NotReported,
        status_message: "No result received yet.".into(),
        published: None,
        published_seq: None,
        delegates: Vec::new(),
        notices: Vec::new(),
        history,
        last_seq: entries.last().map(|e| e.seq).unwrap_or(0),
    };
    let Some(newest) = entries.last().copied() else {
        return out;
    };
    let publish = |out: &mut PrecinctResult, e: &LogEntry, message: String| {
        out.status = PrecinctStatus::Published;
        out.status_message = message;
        out.published = Some(e.submission.request.result.clone());
        out.published_seq = Some(e.seq);
        out.delegates = e.receipt.check.delegates.clone();
        out.notices = e.receipt.check.findings.clone();
    };
    let needs = |out: &mut PrecinctResult, e: &LogEntry| {
        out.status = PrecinctStatus::NeedsCorrection;
        let errors: Vec<&str> = e
            .receipt
            .check
            .findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| f.message.as_str())
            .collect();
        out.status_message = format!(
            "The latest {} entry (version {}) needs a correction: {}",
            e.submission.channel.code(),
            e.receipt.version,
            errors.join(" ")
        );
    };
    if newest.submission.channel == Channel::Check {
        if newest.receipt.check.status == EntryStatus::Accepted {
            publish(
                &mut out,
                newest,
                "Settled by a third check of the worksheet.".into(),
            );
        } else {
            needs(&mut out, newest);
        }
        return out;
    }
    let chair = latest(Channel::Chair);
    let hotline = latest(Channel::Hotline);
    for e in [chair, hotline].into_iter().flatten() {
        if e.receipt.check.status != EntryStatus::Accepted {
            needs(&mut out, e);
            return out;
        }
    }
    match (chair, hotline) {
        (Some(c), Some(h)) => {
            if comparable(&c.submission.request.result, &c.receipt.check)
                == comparable(&h.submission.request.result, &h.receipt.check)
            {
                let newer = if c.seq > h.seq { c } else { h };
                publish(
                    &mut out,
                    newer,
                    "The chair's entry and the hotline entry agree.".into(),
                );
            } else {
                out.status = PrecinctStatus::Disagreement;
                out.status_message = format!(
                    "The chair's entry ({}) and the hotline entry ({}) disagree: a third check \
                     from the signed worksheet is needed.",
                    c.receipt.receipt_id, h.receipt.receipt_id
                );
            }
        }
        (Some(one), None) | (None, Some(one)) => {
            if election.double_entry {
                out.status = PrecinctStatus::AwaitingSecondEntry;
                out.status_message = format!(
                    "Received from the {} ({}); waiting for the second entry.",
                    one.submission.channel.code(),
                    one.receipt.receipt_id
                );
            } else {
                publish(&mut out, one, "Validated.".into());
            }
        }
        (None, None) => {
            // Only check entries older than a newer one: impossible, the newest is chair or hotline.
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn election(double_entry: bool) -> Election {
        Election {
            slug: "ia-test".into(),
            name: "Test caucus".into(),
            date: NaiveDate::from_ymd_opt(2020, 2, 3).unwrap(),
            double_entry,
            contests: vec![
                Contest {
                    key: "president".into(),
                    office: "President".into(),
                    district: String::new(),
                    party: "DEM".into(),
                    kind: ContestKind::Caucus,
                    candidates: ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"]
                        .map(String::from)
                        .to_vec(),
                },
                Contest {
                    key: "senate".into(),
                    office: "U.S. Senate".into(),
                    district: String::new(),
                    party: "DEM".into(),
                    kind: ContestKind::Votes,
                    candidates: vec!["Greenfield".into(), "Franken".into()],
                },
            ],
            precincts: vec![Precinct {
                id: "ADAIR-4SE".into(),
                county: "Adair".into(),
                name: "4SE ORIENT".into(),
                delegates: 10,
                sde: 0.7843,
                history_turnout: Some(40),
            }],
        }
    }

    fn orient(delegates: Option<[u32; 5]>) -> ResultEntry {
        let sizes = [7, 6, 6, 6, 9];
        let names = ["Biden", "Buttigieg", "Klobuchar", "Sanders", "Warren"];
        ResultEntry::Caucus(CaucusEntry {
            attendees: 34,
            groups: (0..5)
                .map(|i| CaucusGroup {
                    candidate: names[i].into(),
                    first: sizes[i],
                    final_alignment: sizes[i],
                    delegates: delegates.map(|d| d[i]),
                })
                .collect(),
            coin_toss_winners: Vec::new(),
        })
    }

    fn logged(seq: i64, channel: Channel, result: ResultEntry, e: &Election) -> LogEntry {
        let check = check_entry(e, "ADAIR-4SE", "president", &result);
        let client_id = format!("c{seq}");
        LogEntry {
            seq,
            submission: NewSubmission {
                request: SubmissionRequest {
                    client_id: client_id.clone(),
                    election: e.slug.clone(),
                    precinct: "ADAIR-4SE".into(),
                    contest: "president".into(),
                    reason: None,
                    result,
                },
                channel,
                actor: "t".into(),
                received_at: Utc::now(),
            },
            receipt: Receipt {
                receipt_id: receipt_id(seq, &client_id),
                client_id,
                seq,
                election: e.slug.clone(),
                precinct: "ADAIR-4SE".into(),
                contest: "president".into(),
                channel,
                version: 1,
                received_at: Utc::now(),
                check,
            },
        }
    }

    #[test]
    fn rules_delegates_and_sdes_for_adair_orient() {
        let e = election(false);
        let c = check_entry(&e, "ADAIR-4SE", "president", &orient(None));
        assert_eq!(c.status, EntryStatus::Accepted, "{:?}", c.findings);
        let d: Vec<u32> = c.delegates.iter().map(|d| d.delegates).collect();
        assert_eq!(d, vec![2, 2, 2, 2, 2]);
        assert!((c.delegates[0].sde - 0.1569).abs() < 1e-9);
        // The published 2020 numbers (Sanders 1, Warren 3) break the rules.
        let c = check_entry(&e, "ADAIR-4SE", "president", &orient(Some([2, 2, 2, 1, 3])));
        assert_eq!(c.status, EntryStatus::NeedsCorrection);
        assert!(
            c.findings
                .iter()
                .any(|f| f.code == "delegates_differ_from_rules")
        );
    }

    #[test]
    fn chair_messages_for_broken_worksheets() {
        let e = election(false);
        let mut entry = orient(None);
        if let ResultEntry::Caucus(c) = &mut entry {
            c.groups[4].final_alignment = 20; // final larger than first
            c.groups[0].final_alignment = 5; // viable group lost members
            c.attendees = 30; // first alignment does not match
        }
        let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
        let codes: Vec<&str> = c.findings.iter().map(|f| f.code.as_str()).collect();
        assert!(
            codes.contains(&"first_alignment_not_attendees"),
            "{codes:?}"
        );
        assert!(codes.contains(&"final_larger_than_first"), "{codes:?}");
        assert!(codes.contains(&"viable_group_lost_members"), "{codes:?}");
        assert!(c.findings.iter().all(|f| !f.message.is_empty()));
    }

    #[test]
    fn far_from_history_is_a_notice_not_an_error() {
        let e = election(false);
        let entry = ResultEntry::Caucus(CaucusEntry {
            attendees: 200,
            groups: vec![CaucusGroup {
                candidate: "Biden".into(),
                first: 200,
                final_alignment: 200,
                delegates: None,
            }],
            coin_toss_winners: vec![],
        });
        let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
        assert_eq!(c.status, EntryStatus::Accepted);
        assert!(
            c.findings
                .iter()
                .any(|f| f.code == "far_from_history" && !f.is_error())
        );
    }

    #[test]
    fn names_outside_the_setup_are_refused() {
        let e = election(false);
        let mut req = SubmissionRequest {
            client_id: "abc-1".into(),
            election: e.slug.clone(),
            precinct: "NOWHERE".into(),
            contest: "president".into(),
            reason: None,
            result: orient(None),
        };
        assert!(matches!(
            check_names(&e, &req),
            Err(EntryError::UnknownPrecinct(_))
        ));
        req.precinct = "ADAIR-4SE".into();
        assert_eq!(check_names(&e, &req), Ok(()));
        req.contest = "senate".into();
        assert!(matches!(
            check_names(&e, &req),
            Err(EntryError::WrongKind(..))
        ));
        req.client_id = "has space".into();
        assert_eq!(check_names(&e, &req), Err(EntryError::BadClientId));
    }

    #[test]
    fn votes_above_ballots_cast_need_correction() {
        let e = election(false);
        let entry = ResultEntry::Votes(VotesEntry {
            ballots_cast: Some(30),
            counts: vec![
                VoteCount {
                    candidate: "Greenfield".into(),
                    vote_type: VoteType::ElectionDay,
                    votes: 20,
                },
                VoteCount {
                    candidate: "Franken".into(),
                    vote_type: VoteType::Absentee,
                    votes: 15,
                },
            ],
        });
        let c = check_entry(&e, "ADAIR-4SE", "senate", &entry);
        assert_eq!(c.status, EntryStatus::NeedsCorrection);
        assert_eq!(c.findings[0].code, "votes_exceed_ballots");
    }

    #[test]
    fn projection_publishes_latest_valid_and_flags_disagreement() {
        let e = election(false);
        let wrong = logged(1, Channel::Chair, orient(Some([2, 2, 2, 1, 3])), &e);
        let p = project(&e, "ADAIR-4SE", "president", std::slice::from_ref(&wrong));
        assert_eq!(p.status, PrecinctStatus::NeedsCorrection);
        let fixed = logged(2, Channel::Chair, orient(None), &e);
        let p = project(
            &e,
            "ADAIR-4SE",
            "president",
            &[fixed.clone(), wrong.clone()],
        );
        assert_eq!(p.status, PrecinctStatus::Published);
        assert_eq!(p.published_seq, Some(2));
        assert_eq!(p.history.len(), 2);
        // A hotline entry with other numbers: flagged for a third check.
        let mut other = orient(None);
        if let ResultEntry::Caucus(c) = &mut other {
            c.groups[0].first = 8;
            c.groups[0].final_alignment = 8;
            c.groups[1].first = 5;
            c.groups[1].final_alignment = 5;
        }
        let hot = logged(3, Channel::Hotline, other.clone(), &e);
        let p = project(
            &e,
            "ADAIR-4SE",
            "president",
            &[wrong.clone(), fixed.clone(), hot.clone()],
        );
        assert_eq!(p.status, PrecinctStatus::Disagreement);
        assert!(p.published.is_none());
        // The third check settles it.
        let check = logged(4, Channel::Check, other, &e);
        let p = project(&e, "ADAIR-4SE", "president", &[wrong, fixed, hot, check]);
        assert_eq!(p.status, PrecinctStatus::Published);
        assert_eq!(p.published_seq, Some(4));
    }

    #[test]
    fn double_entry_waits_for_the_second_channel() {
        let e = election(true);
        let chair = logged(1, Channel::Chair, orient(None), &e);
        let p = project(&e, "ADAIR-4SE", "president", std::slice::from_ref(&chair));
        assert_eq!(p.status, PrecinctStatus::AwaitingSecondEntry);
        let hot = logged(2, Channel::Hotline, orient(Some([2, 2, 2, 2, 2])), &e);
        let p = project(&e, "ADAIR-4SE", "president", &[chair, hot]);
        assert_eq!(p.status, PrecinctStatus::Published);
        assert_eq!(p.delegates.iter().map(|d| d.delegates).sum::<u32>(), 10);
    }

    #[test]
    fn coin_toss_winners_keep_their_delegate() {
        let e = election(false);
        // 34 attendees, 10 delegates: Buttigieg, Klobuchar, Sanders and Warren all at
        // 1.76 round up to 2; one of them gives a delegate back, decided by a coin toss.
        let mut entry = orient(None);
        if let ResultEntry::Caucus(c) = &mut entry {
            for (g, n) in c.groups.iter_mut().zip([10, 6, 6, 6, 6]) {
                g.first = n;
                g.final_alignment = n;
            }
        }
        let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
        assert_eq!(c.status, EntryStatus::NeedsCorrection);
        assert!(
            c.findings.iter().any(|f| f.code == "coin_toss_needed"),
            "{:?}",
            c.findings
        );
        assert_eq!(
            c.coin_toss,
            vec!["Buttigieg", "Klobuchar", "Sanders", "Warren"]
        );
        if let ResultEntry::Caucus(c) = &mut entry {
            c.coin_toss_winners = vec!["Buttigieg".into(), "Klobuchar".into(), "Warren".into()];
        }
        let c = check_entry(&e, "ADAIR-4SE", "president", &entry);
        assert_eq!(c.status, EntryStatus::Accepted, "{:?}", c.findings);
        let d: Vec<u32> = c.delegates.iter().map(|d| d.delegates).collect();
        assert_eq!(d, vec![3, 2, 2, 1, 2]);
    }

    #[test]
    fn receipt_ids_carry_a_check_from_the_client_id() {
        assert_eq!(receipt_id(7, "x"), receipt_id(7, "x"));
        assert_ne!(receipt_id(7, "x"), receipt_id(7, "y"));
        assert!(receipt_id(12, "x").starts_with("R12-"));
    }
}
