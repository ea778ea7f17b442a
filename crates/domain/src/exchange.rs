//! Data exchange between organizations and the do-not-contact list, as types and rules:
//! an [`Agreement`] names a publishing and a subscribing organization, the [`Dataset`]s
//! and fields that may cross, how voters are matched ([`MatchMode`]), the direction and
//! the window `[starts_on, ends_on)`; each side approves it and either side ends it
//! ([`Agreement::state`] says whether anything may flow). Each side keeps its own copy
//! and is the authority for its own approval and ending; [`Agreement::merged`] combines
//! the two copies. A [`Suppression`] is one entry of an organization's do-not-contact
//! list (a voter id, a phone, an email, or several); [`is_opt_out_reply`] recognises the
//! English and Spanish texting replies that put a voter on it.

use crate::contacts::ContactResult;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What an agreement may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// Contact outcomes (moved, wrong number, refused, deceased…; the results the
    /// agreement lists).
    ContactOutcomes,
    /// Survey answers to the questions the agreement lists.
    SurveyAnswers,
    /// Do-not-contact entries, into the subscriber's suppression list.
    OptOuts,
    /// Ballot status (who requested, was sent, returned or cast a ballot): each ballot
    /// event of a voter, into the subscriber's ballot events.
    BallotStatus,
    /// Volunteer sign-ups: a volunteer linked to a voter, with skills and hours, no name
    /// or contact details.
    VolunteerSignups,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: [Dataset; 5] = [
        Self::ContactOutcomes,
        Self::SurveyAnswers,
        Self::OptOuts,
        Self::BallotStatus,
        Self::VolunteerSignups,
    ];

    /// Stable code (the outbox's `dataset` column).
    pub fn code(self) -> &'static str {
        match self {
            Self::ContactOutcomes => "contact_outcomes",
            Self::SurveyAnswers => "survey_answers",
            Self::OptOuts => "opt_outs",
            Self::BallotStatus => "ballot_status",
            Self::VolunteerSignups => "volunteer_signups",
        }
    }

    /// Parses a code (`-` for `_`, any case).
    pub fn parse(text: &str) -> Result<Self, AgreementError> {
        let t = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|d| d.code() == t)
            .ok_or_else(|| AgreementError::UnknownDataset(text.to_string()))
    }
}

/// How records are matched to the subscriber's voters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// On the state voter id.
    #[default]
    VoterId,
    /// On an HMAC-SHA256 of the state voter id under the agreement's key: the publisher's
    /// ids are compared as keyed hashes only.
    Hashed,
}

impl MatchMode {
    /// `voter_id` or `hashed`.
    pub fn parse(text: &str) -> Result<Self, AgreementError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "voter_id" | "id" => Ok(Self::VoterId),
            "hashed" | "hash" => Ok(Self::Hashed),
            _ => Err(AgreementError::UnknownMatch(text.to_string())),
        }
    }
}

/// Which way records flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the publisher to the subscriber only.
    #[default]
    OneWay,
    /// Both ways, under the same terms.
    Both,
}

/// The contact results carried by `contact_outcomes` when the agreement names none.
pub const DEFAULT_OUTCOMES: [ContactResult; 4] = [
    ContactResult::Moved,
    ContactResult::WrongNumber,
    ContactResult::Refused,
    ContactResult::Deceased,
];

/// What may cross, how, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementTerms {
    /// The datasets, sorted.
    pub datasets: Vec<Dataset>,
    /// Result codes carried by `contact_outcomes`.
    pub results: Vec<String>,
    /// Question keys carried by `survey_answers`.
    pub questions: Vec<String>,
    /// How voters are matched.
    pub match_mode: MatchMode,
    /// Which way.
    pub direction: Direction,
    /// First day records may flow.
    pub starts_on: NaiveDate,
    /// First day they may no longer flow.
    pub ends_on: NaiveDate,
}

impl AgreementTerms {
    /// Checks terms: at least one dataset, a window that is not empty, results that
    /// exist (`opted_out` travels as `opt_outs`, not as an outcome), questions when
    /// survey answers are carried.
    pub fn validate(mut self) -> Result<Self, AgreementError> {
        self.datasets.sort();
        self.datasets.dedup();
        if self.datasets.is_empty() {
            return Err(AgreementError::NoDataset);
        }
        if self.ends_on <= self.starts_on {
            return Err(AgreementError::EmptyWindow);
        }
        if self.datasets.contains(&Dataset::ContactOutcomes) && self.results.is_empty() {
            self.results = DEFAULT_OUTCOMES.map(|r| r.code().to_string()).to_vec();
        }
        for r in &mut self.results {
            let parsed = ContactResult::from_code(r)
                .or_else(|| ContactResult::parse(r))
                .ok_or_else(|| AgreementError::UnknownResult(r.clone()))?;
            if parsed == ContactResult::OptedOut {
                return Err(AgreementError::OptOutAsOutcome);
            }
            *r = parsed.code().to_string();
        }
        self.results.sort();
        self.results.dedup();
        if self.datasets.contains(&Dataset::SurveyAnswers) && self.questions.is_empty() {
            return Err(AgreementError::NoQuestion);
        }
        for q in &mut self.questions {
            *q = q.trim().to_ascii_lowercase();
        }
        self.questions.sort();
        self.questions.dedup();
        Ok(self)
    }

    /// True when the terms carry `dataset`.
    pub fn carries(&self, dataset: Dataset) -> bool {
        self.datasets.contains(&dataset)
    }
}

/// Who approved or ended, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature {
    /// User name (or `cli:<os user>`).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An exchange agreement, as one side stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agreement {
    /// A UUID.
    pub id: String,
    /// The publishing organization.
    pub publisher: String,
    /// The subscribing organization.
    pub subscriber: String,
    /// The terms.
    pub terms: AgreementTerms,
    /// Hex key of the keyed hashes (`match_mode = hashed`); never shown on pages or the API.
    #[serde(skip_serializing)]
    pub hash_key: String,
    /// Which organization proposed it.
    pub proposed_by_org: String,
    /// Who proposed it (the proposal is that side's approval).
    pub proposed: Signature,
    /// The publisher's approval.
    pub publisher_approval: Option<Signature>,
    /// The subscriber's approval.
    pub subscriber_approval: Option<Signature>,
    /// Set when either side ended it.
    pub ended: Option<Signature>,
    /// The organization that ended it.
    pub ended_by_org: Option<String>,
}

/// Where an agreement stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgreementState {
    /// Waiting for one side's approval.
    Proposed,
    /// Approved by both, before its start.
    NotStarted,
    /// Approved by both and inside its window: records flow.
    Active,
    /// Approved by both, past its end.
    Expired,
    /// Ended by one side.
    Ended,
}

impl AgreementState {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::NotStarted => "not_started",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Ended => "ended",
        }
    }
}

impl Agreement {
    /// True when `org` is one of the two sides.
    pub fn involves(&self, org: &str) -> bool {
        self.publisher == org || self.subscriber == org
    }

    /// The state on `today`: nothing flows unless both sides approved, nobody ended it,
    /// and `starts_on <= today < ends_on`.
    pub fn state(&self, today: NaiveDate) -> AgreementState {
        if self.ended.is_some() {
            AgreementState::Ended
        } else if self.publisher_approval.is_none() || self.subscriber_approval.is_none() {
            AgreementState::Proposed
        } else if today < self.terms.starts_on {
            AgreementState::NotStarted
        } else if today >= self.terms.ends_on {
            AgreementState::Expired
        } else {
            AgreementState::Active
        }
    }

    /// The (from, to) pairs records flow along.
    pub fn flows(&self) -> Vec<(String, String)> {
        let mut f = vec![(self.publisher.clone(), self.subscriber.clone())];
        if self.terms.direction == Direction::Both {
            f.push((self.subscriber.clone(), self.publisher.clone()));
        }
        f
    }

    /// Combines the publisher's copy (`self`) with the subscriber's: each side is the
    /// authority for its own approval; an ending on either side ends it. Fails when the
    /// two copies disagree on the terms.
    pub fn merged(&self, subscriber_copy: &Agreement) -> Result<Agreement, AgreementError> {
        if self.id != subscriber_copy.id
            || self.terms != subscriber_copy.terms
            || self.publisher != subscriber_copy.publisher
            || self.subscriber != subscriber_copy.subscriber
            || self.hash_key != subscriber_copy.hash_key
        {
            return Err(AgreementError::CopiesDiffer(self.id.clone()));
        }
        let mut m = self.clone();
        m.subscriber_approval = subscriber_copy.subscriber_approval.clone();
        if m.ended.is_none() {
            m.ended = subscriber_copy.ended.clone();
            m.ended_by_org = subscriber_copy.ended_by_org.clone();
        }
        Ok(m)
    }
}

/// Why an agreement or one of its steps was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    /// No such dataset.
    #[error(
        "unknown dataset {0:?}: use contact_outcomes, survey_answers, opt_outs, ballot_status or volunteer_signups (comma-separated)"
    )]
    UnknownDataset(String),
    /// No such match mode.
    #[error("unknown match {0:?}: use voter_id or hashed")]
    UnknownMatch(String),
    /// No dataset.
    #[error("an agreement needs at least one dataset")]
    NoDataset,
    /// `ends_on <= starts_on`.
    #[error("the end must be after the start")]
    EmptyWindow,
    /// A result code that does not exist.
    #[error("unknown contact result {0:?}")]
    UnknownResult(String),
    /// `opted_out` listed as an outcome.
    #[error("opt-outs travel as the opt_outs dataset, not as a contact outcome")]
    OptOutAsOutcome,
    /// `survey_answers` without questions.
    #[error("survey_answers needs the questions it carries (--questions support,volunteer)")]
    NoQuestion,
    /// The same organization on both sides.
    #[error("an agreement needs two different organizations")]
    SameOrganization,
    /// The two sides' copies do not have the same terms.
    #[error("the two organizations' copies of agreement {0} differ")]
    CopiesDiffer(String),
}

/// The channels a suppression may name (`all` = every channel).
pub const SUPPRESSION_CHANNELS: [&str; 5] = ["all", "text", "phone", "email", "door"];

/// A do-not-contact entry on its way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSuppression {
    /// State voter id, or empty.
    pub state_voter_id: String,
    /// E.164 phone, or empty.
    pub phone: String,
    /// Lower-case email, or empty.
    pub email: String,
    /// `all`, `text`, `phone`, `email` or `door`.
    pub channel: String,
    /// Why (free text: "replied STOP", "asked at the door").
    pub reason: String,
    /// Where it came from: `text_stop`, `opted_out`, `do_not_call`, `email_unsubscribe`,
    /// `manual`, `import`, `exchange:ORG`.
    pub source: String,
    /// Its key in that source: (source, source_key) is unique, so recording the same
    /// opt-out twice keeps one entry.
    pub source_key: String,
    /// Who recorded it.
    pub created_by: String,
}

/// Why a suppression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuppressionError {
    /// Nothing to suppress.
    #[error("a suppression needs a voter id, a phone or an email")]
    Empty,
    /// Unknown channel.
    #[error("unknown channel {0:?}: use all, text, phone, email or door")]
    Channel(String),
    /// A phone that is not a number.
    #[error("phone {0:?} is not a phone number")]
    Phone(String),
    /// An email without `@`.
    #[error("email {0:?} is not an email address")]
    Email(String),
}

impl NewSuppression {
    /// Checks and normalises an entry (email lower-cased; the phone must already be
    /// E.164, as `normalize::phone` makes it); an empty source key becomes the entry's
    /// identity, so a manual entry recorded twice is one entry.
    pub fn validate(mut self) -> Result<Self, SuppressionError> {
        self.state_voter_id = self.state_voter_id.trim().to_string();
        self.email = self.email.trim().to_lowercase();
        self.phone = self.phone.trim().to_string();
        self.channel = self.channel.trim().to_ascii_lowercase();
        if self.channel.is_empty() {
            self.channel = "all".into();
        }
        if self.state_voter_id.is_empty() && self.phone.is_empty() && self.email.is_empty() {
            return Err(SuppressionError::Empty);
        }
        if !SUPPRESSION_CHANNELS.contains(&self.channel.as_str()) {
            return Err(SuppressionError::Channel(self.channel));
        }
        let e164 = |p: &str| {
            p.len() >= 8 && p.starts_with('+') && p[1..].chars().all(|c| c.is_ascii_digit())
        };
        if !self.phone.is_empty() && !e164(&self.phone) {
            return Err(SuppressionError::Phone(self.phone));
        }
        if !self.email.is_empty() && !self.email.contains('@') {
            return Err(SuppressionError::Email(self.email));
        }
        if self.source_key.is_empty() {
            self.source_key = format!(
                "{}|{}|{}|{}",
                self.state_voter_id, self.phone, self.email, self.channel
            );
        }
        Ok(self)
    }
}

impl NewSuppression {
    /// What the audit log names: the voter id, else only which kind of contact detail
    /// (the phone or email itself stays out of the log).
    pub fn audit_subject(&self) -> String {
        if !self.state_voter_id.is_empty() {
            self.state_voter_id.clone()
        } else if !self.phone.is_empty() {
            "a phone number".into()
        } else {
            "an email address".into()
        }
    }
}

/// A stored do-not-contact entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suppression {
    /// Id in this organization.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: NewSuppression,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When an admin removed it (removed entries no longer suppress).
    pub removed_at: Option<DateTime<Utc>>,
    /// Who removed it.
    pub removed_by: Option<String>,
}

/// The words that, alone in a texting reply, ask to stop (carrier keywords in English,
/// their usual Spanish forms), compared without case, accents or punctuation.
const OPT_OUT_WORDS: [&str; 16] = [
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "optout",
    "alto",
    "parar",
    "para",
    "pare",
    "cancelar",
    "baja",
    "detener",
    "nomas",
    "nomasmensajes",
];

/// True when a texting reply asks to stop: one of the opt-out words (`STOP`, `Stop.`,
/// `ALTO`, `Parar`, `cancelar`, `No más`…) alone, or followed only by "please"/"por
/// favor". A sentence that merely contains "stop" does not count.
pub fn is_opt_out_reply(reply: &str) -> bool {
    let folded: String = reply
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' | 'ü' => 'u',
            'ñ' => 'n',
            c => c,
        })
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    for polite in [["por", "favor"].as_slice(), ["please"].as_slice()] {
        if words.len() > polite.len() && words.ends_with(polite) {
            words.truncate(words.len() - polite.len());
        }
    }
    let joined = words.concat();
    !joined.is_empty() && OPT_OUT_WORDS.contains(&joined.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> AgreementTerms {
        AgreementTerms {
            datasets: vec![Dataset::OptOuts, Dataset::ContactOutcomes],
            results: vec![],
            questions: vec![],
            match_mode: MatchMode::VoterId,
            direction: Direction::OneWay,
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        }
    }

    fn sig(by: &str) -> Option<Signature> {
        Some(Signature {
            by: by.into(),
            at: Utc::now(),
        })
    }

    #[test]
    fn stop_words_in_english_and_spanish_and_nothing_else() {
        for yes in [
            "STOP",
            "stop.",
            " Stop please",
            "ALTO",
            "Parar",
            "cancelar",
            "No más",
            "BAJA por favor",
            "unsubscribe",
        ] {
            assert!(is_opt_out_reply(yes), "{yes}");
        }
        for no in [
            "",
            "please",
            "don't stop now",
            "yes",
            "stop by my house",
            "Votaré",
        ] {
            assert!(!is_opt_out_reply(no), "{no}");
        }
    }

    #[test]
    fn terms_default_outcomes_and_refuse_bad_ones() {
        let t = terms().validate().unwrap();
        assert_eq!(t.datasets, [Dataset::ContactOutcomes, Dataset::OptOuts]);
        assert_eq!(t.results, ["deceased", "moved", "refused", "wrong_number"]);
        let mut bad = terms();
        bad.results = vec!["optedOut".into()];
        assert_eq!(bad.validate(), Err(AgreementError::OptOutAsOutcome));
        let mut bad = terms();
        bad.ends_on = bad.starts_on;
        assert_eq!(bad.validate(), Err(AgreementError::EmptyWindow));
        let mut bad = terms();
        bad.datasets = vec![Dataset::SurveyAnswers];
        assert_eq!(bad.validate(), Err(AgreementError::NoQuestion));
        assert_eq!(Dataset::parse("ballot_status"), Ok(Dataset::BallotStatus));
        assert_eq!(
            Dataset::parse("Volunteer-Signups"),
            Ok(Dataset::VolunteerSignups)
        );
        assert!(matches!(
            Dataset::parse("donations"),
            Err(AgreementError::UnknownDataset(_))
        ));
        assert_eq!(Dataset::parse("Opt-Outs"), Ok(Dataset::OptOuts));
    }

    #[test]
    fn nothing_flows_without_both_approvals_inside_the_window() {
        let mut a = Agreement {
            id: "x".into(),
            publisher: "a".into(),
            subscriber: "b".into(),
            terms: terms().validate().unwrap(),
            hash_key: String::new(),
            proposed_by_org: "a".into(),
            proposed: sig("ann").unwrap(),
            publisher_approval: sig("ann"),
            subscriber_approval: None,
            ended: None,
            ended_by_org: None,
        };
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(a.state(day), AgreementState::Proposed);
        let mut b_copy = a.clone();
        b_copy.publisher_approval = None;
        b_copy.subscriber_approval = sig("bob");
        let m = a.merged(&b_copy).unwrap();
        assert_eq!(m.state(day), AgreementState::Active);
        assert_eq!(
            m.state(NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()),
            AgreementState::NotStarted
        );
        assert_eq!(
            m.state(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            AgreementState::Expired
        );
        b_copy.ended = sig("bob");
        assert_eq!(a.merged(&b_copy).unwrap().state(day), AgreementState::Ended);
        a.terms.results.pop();
        assert!(a.merged(&b_copy).is_err());
    }

    #[test]
    fn suppressions_are_checked_and_keyed() {
        let s = NewSuppression {
            state_voter_id: String::new(),
            phone: "+19195550100".into(),
            email: " Ann@Example.org ".into(),
            channel: String::new(),
            reason: "asked".into(),
            source: "manual".into(),
            source_key: String::new(),
            created_by: "ann".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(s.email, "ann@example.org");
        assert_eq!(s.channel, "all");
        assert_eq!(s.source_key, "|+19195550100|ann@example.org|all");
        let mut empty = s.clone();
        empty.phone.clear();
        empty.email.clear();
        assert_eq!(empty.validate(), Err(SuppressionError::Empty));
        let mut bad = s;
        bad.phone = "919-555".into();
        assert!(matches!(bad.validate(), Err(SuppressionError::Phone(_))));
    }
}
