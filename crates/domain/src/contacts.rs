//! Contact history: door knocks, calls, texts and digital-ad exposures recorded as events
//! (channel, when, who, result code, survey answers, tags), survey questions defined per
//! organization (support on NationBuilder's 1–5 scale is built in), and the vendor
//! spellings of channels and result codes that imports map onto them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// How a voter was contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactChannel {
    /// A door knock.
    Door,
    /// A phone call.
    Phone,
    /// A text message (peer-to-peer or broadcast).
    Text,
    /// A digital ad shown to the voter.
    Ad,
}

impl ContactChannel {
    /// Every channel.
    pub const ALL: [ContactChannel; 4] = [Self::Door, Self::Phone, Self::Text, Self::Ad];

    /// Stable code (`door`, `phone`, `text`, `ad`): the key of `contacted:CHANNEL` filters.
    pub fn code(self) -> &'static str {
        match self {
            Self::Door => "door",
            Self::Phone => "phone",
            Self::Text => "text",
            Self::Ad => "ad",
        }
    }

    /// Parses a code or a vendor's spelling (VAN `Walk`, `Phone`, `SMS`; `canvass`,
    /// `call`, `p2p`, `digital`…); `None` when unknown.
    pub fn parse(raw: &str) -> Option<Self> {
        let t = raw.trim().to_ascii_lowercase().replace(['-', '_'], " ");
        Some(match t.as_str() {
            "door" | "walk" | "canvass" | "door knock" | "doors" | "in person" => Self::Door,
            "phone" | "call" | "phone call" | "calls" | "phonebank" | "phone bank" | "dialer" => {
                Self::Phone
            }
            "text" | "sms" | "p2p" | "texting" | "mms" | "p2p text" | "peer to peer" => Self::Text,
            "ad" | "ads" | "digital" | "digital ad" | "impression" | "online ad" => Self::Ad,
            _ => return None,
        })
    }
}

/// What came of a contact attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactResult {
    /// Spoke with the voter.
    Reached,
    /// Spoke with the voter, who would not talk.
    Refused,
    /// Nobody answered the door.
    NotHome,
    /// The voter no longer lives there.
    Moved,
    /// The number is not the voter's.
    WrongNumber,
    /// The voter has died.
    Deceased,
    /// The door could not be reached (gate, dog, building).
    Inaccessible,
    /// The call was not answered.
    NoAnswer,
    /// A voicemail was left.
    LeftMessage,
    /// A text was sent and never answered.
    NoReply,
    /// The voter asked not to be contacted again (do not text / call).
    OptedOut,
    /// An ad was delivered (shown); no conversation.
    Delivered,
}

impl ContactResult {
    /// Every result.
    pub const ALL: [ContactResult; 12] = [
        Self::Reached,
        Self::Refused,
        Self::NotHome,
        Self::Moved,
        Self::WrongNumber,
        Self::Deceased,
        Self::Inaccessible,
        Self::NoAnswer,
        Self::LeftMessage,
        Self::NoReply,
        Self::OptedOut,
        Self::Delivered,
    ];

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Reached => "reached",
            Self::Refused => "refused",
            Self::NotHome => "not_home",
            Self::Moved => "moved",
            Self::WrongNumber => "wrong_number",
            Self::Deceased => "deceased",
            Self::Inaccessible => "inaccessible",
            Self::NoAnswer => "no_answer",
            Self::LeftMessage => "left_message",
            Self::NoReply => "no_reply",
            Self::OptedOut => "opted_out",
            Self::Delivered => "delivered",
        }
    }

    /// A person-readable label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reached => "reached",
            Self::Refused => "refused",
            Self::NotHome => "not home",
            Self::Moved => "moved",
            Self::WrongNumber => "wrong number",
            Self::Deceased => "deceased",
            Self::Inaccessible => "inaccessible",
            Self::NoAnswer => "no answer",
            Self::LeftMessage => "left message",
            Self::NoReply => "no reply",
            Self::OptedOut => "opted out",
            Self::Delivered => "ad delivered",
        }
    }

    /// True when a conversation took place (the voter was reached, even to refuse):
    /// the key of `reached:CHANNEL` filters.
    pub fn reached(self) -> bool {
        matches!(self, Self::Reached | Self::Refused)
    }

    /// Parses a code or a vendor's spelling: VAN result names (`Canvassed`, `Not Home`,
    /// `Wrong Number`, `Come Back`…) and Spoke message statuses (`convo`, `messaged`,
    /// `optedOut`, `needsResponse`, `closed`); `None` when unknown.
    pub fn parse(raw: &str) -> Option<Self> {
        let t: String = raw
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Some(match t.as_str() {
            "reached" | "canvassed" | "contacted" | "talked" | "spoketo" | "convo"
            | "needsresponse" | "closed" | "replied" | "answered" | "completed" => Self::Reached,
            "refused" | "hungup" | "refusedtotalk" => Self::Refused,
            "nothome" | "comeback" | "notavailable" | "nobodyhome" => Self::NotHome,
            "moved" | "movedaway" => Self::Moved,
            "wrongnumber" | "disconnected" | "badnumber" | "wrongnum" => Self::WrongNumber,
            "deceased" | "dead" => Self::Deceased,
            "inaccessible" | "noaccess" | "gated" => Self::Inaccessible,
            "noanswer" | "busy" | "ringnoanswer" => Self::NoAnswer,
            "leftmessage" | "voicemail" | "leftvoicemail" | "machine" => Self::LeftMessage,
            "noreply" | "messaged" | "sent" | "noresponse" => Self::NoReply,
            "optedout" | "optout" | "donottext" | "donotcall" | "donotcontact" | "stop"
            | "stopall" | "unsubscribe" | "alto" | "parar" | "cancelar" | "baja" => Self::OptedOut,
            "delivered" | "impression" | "shown" | "served" => Self::Delivered,
            _ => return None,
        })
    }

    /// From a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// One answer to a survey question.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyAnswer {
    /// The question's key (`support`, `volunteer`…).
    pub question: String,
    /// The answer as given (`1`, `Yes`…).
    pub answer: String,
    /// Its numeric value: the number on a scale, or the 1-based position of a choice.
    /// This is what `survey:KEY=N` filters on.
    pub value: i64,
}

/// One contact attempt with what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactEvent {
    /// The system the event comes from (`van`, `spoke`, `api`, `demo`…).
    pub source: String,
    /// Its id in that system: (source, source_event_id) is unique, so a second load of
    /// the same events changes nothing.
    pub source_event_id: String,
    /// The voter.
    pub state_voter_id: String,
    /// Door, phone, text or ad.
    pub channel: ContactChannel,
    /// When (local time as recorded by the tool).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2026-10-01T17:30:00"))]
    pub contacted_at: NaiveDateTime,
    /// Who made the contact (canvasser, caller or texter login); may be empty.
    pub canvasser: String,
    /// What came of it.
    pub result: ContactResult,
    /// Survey answers given.
    pub answers: Vec<SurveyAnswer>,
    /// Tags (activist codes) applied, lower-case keys such as `volunteer-prospect`.
    pub tags: Vec<String>,
}

/// How a survey question is answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum QuestionKind {
    /// A whole number from `min` to `max`.
    Scale {
        /// Lowest answer.
        min: i64,
        /// Highest answer.
        max: i64,
    },
    /// One of a list of choices (value = 1-based position).
    Choice {
        /// The choices, in order.
        choices: Vec<String>,
    },
}

/// A survey question of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyQuestion {
    /// Key used in files, filters and the API (`[a-z][a-z0-9_-]*`).
    pub key: String,
    /// The question as asked.
    pub text: String,
    /// How it is answered.
    pub kind: QuestionKind,
}

/// Key of the built-in support question.
pub const SUPPORT_QUESTION: &str = "support";

/// A support answer (NationBuilder's scale) that counts as a supporter: 1 strong
/// support or 2 weak support.
pub fn is_supporter(value: i64) -> bool {
    matches!(value, 1 | 2)
}

impl SurveyQuestion {
    /// The built-in support question, on NationBuilder's 1–5 scale.
    pub fn support() -> Self {
        Self {
            key: SUPPORT_QUESTION.into(),
            text: "Support level: 1 strong support, 2 weak support, 3 undecided, 4 weak oppose, 5 strong oppose".into(),
            kind: QuestionKind::Scale { min: 1, max: 5 },
        }
    }

    /// Checks a key: lower-case letter first, then letters, digits, `_` or `-`.
    pub fn valid_key(key: &str) -> bool {
        key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    }

    /// Reads an answer as given into a [`SurveyAnswer`], or says why it is not one.
    pub fn answer(&self, raw: &str) -> Result<SurveyAnswer, String> {
        let raw = raw.trim();
        let value = match &self.kind {
            QuestionKind::Scale { min, max } => {
                let v: i64 = raw.parse().map_err(|_| {
                    format!("{}: {raw:?} is not a whole number {min}–{max}", self.key)
                })?;
                if !(*min..=*max).contains(&v) {
                    return Err(format!("{}: {v} is outside {min}–{max}", self.key));
                }
                v
            }
            QuestionKind::Choice { choices } => {
                let pos = choices
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(raw))
                    .ok_or_else(|| {
                        format!("{}: {raw:?} is not one of {}", self.key, choices.join(", "))
                    })?;
                pos as i64 + 1
            }
        };
        Ok(SurveyAnswer {
            question: self.key.clone(),
            answer: raw.to_string(),
            value,
        })
    }
}

/// Normalises a tag (activist code): trimmed, lower case, spaces and `_` as `-`.
pub fn normalise_tag(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        if c.is_whitespace() || c == '_' {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_spellings() {
        assert_eq!(ContactChannel::parse("Walk"), Some(ContactChannel::Door));
        assert_eq!(ContactChannel::parse("SMS"), Some(ContactChannel::Text));
        assert_eq!(ContactChannel::parse("fax"), None);
        assert_eq!(
            ContactResult::parse("Not Home"),
            Some(ContactResult::NotHome)
        );
        assert_eq!(
            ContactResult::parse("optedOut"),
            Some(ContactResult::OptedOut)
        );
        assert_eq!(
            ContactResult::parse("Wrong Number"),
            Some(ContactResult::WrongNumber)
        );
        for r in ContactResult::ALL {
            assert_eq!(ContactResult::from_code(r.code()), Some(r));
            assert_eq!(ContactResult::parse(r.code()), Some(r), "{r:?}");
        }
        assert!(ContactResult::Refused.reached() && !ContactResult::NotHome.reached());
    }

    #[test]
    fn answers_are_checked() {
        let q = SurveyQuestion::support();
        assert_eq!(q.answer("2").unwrap().value, 2);
        assert!(q.answer("6").unwrap_err().contains("outside 1–5"));
        assert!(q.answer("yes").is_err());
        let c = SurveyQuestion {
            key: "volunteer".into(),
            text: "Will you volunteer?".into(),
            kind: QuestionKind::Choice {
                choices: vec!["Yes".into(), "No".into(), "Maybe".into()],
            },
        };
        assert_eq!(c.answer("maybe").unwrap().value, 3);
        assert!(c.answer("never").is_err());
        assert_eq!(normalise_tag(" Volunteer Prospect "), "volunteer-prospect");
        assert!(SurveyQuestion::valid_key("gotv_2026") && !SurveyQuestion::valid_key("2x"));
    }
}
