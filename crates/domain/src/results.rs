//! Election-night results: the election as set up (contests, candidates, precincts with
//! their caucus delegates, SDE weight and history), what a precinct chair or a hotline
//! operator submits (a caucus worksheet or votes by vote type), the validation of a
//! submission in words a chair understands, the receipt every accepted submission gets,
//! and the projection that turns the append-only submission log of one precinct's
//! contest into what may be published. The rules themselves (caucus math, the
//! projection) live in the caucus engine (`votebase_caucus::results`); stores receive
//! them as a [`ResultRules`] from the caller after every append and to rebuild from
//! scratch, so the published results can always be recomputed from the log alone. No I/O.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

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
    /// An error (blocks publication) with its code, candidate and message.
    pub fn error(code: &str, candidate: Option<&str>, message: String) -> Self {
        Self {
            code: code.into(),
            severity: "error".into(),
            candidate: candidate.map(str::to_owned),
            message,
        }
    }

    /// A notice (published anyway) with its code and message.
    pub fn notice(code: &str, message: String) -> Self {
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
/// validating the entry by the rules ([`ResultRules::check`]). Such errors are refused outright (nothing is stored).
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

/// The rules that judge entries and fold the log, supplied by the caller (the caucus
/// engine's `ElectionNightRules`, through the application layer) to the stores, which
/// apply them inside their transactions: the store holds the SQL, the rules live outside.
pub trait ResultRules: Send + Sync {
    /// Validates an entry whose names passed [`check_names`]: findings, and for a caucus
    /// the delegates and SDEs by the rules.
    fn check(
        &self,
        election: &Election,
        precinct_id: &str,
        contest_key: &str,
        entry: &ResultEntry,
    ) -> EntryCheck;

    /// Folds the log entries of one precinct's contest (any order) into what may be
    /// published.
    fn project(
        &self,
        election: &Election,
        precinct_id: &str,
        contest_key: &str,
        entries: &[LogEntry],
    ) -> PrecinctResult;
}
