//! Disinformation watch: the vocabulary of items (posts from monitoring exports, public
//! tips, hotline `misinformation` incidents linked by id), the narratives they are
//! clustered into, the catalogue of known claims with their verdicts and counter-messages,
//! spike alerts, and the response workflow of a narrative (triage, assign, respond,
//! close), whose every step is an entry on an append-only timeline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The incident category whose reports join the disinformation watch.
pub const MISINFORMATION_CATEGORY: &str = "misinformation";

/// Where an item came from.
pub mod sources {
    /// A monitoring export (`disinfo import`).
    pub const IMPORT: &str = "import";
    /// The public tip form.
    pub const TIP: &str = "tip";
    /// A hotline incident of category `misinformation` (linked by id, text not copied).
    pub const HOTLINE: &str = "hotline";
}

/// The team's assessment of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoVerdict))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// False.
    False,
    /// Misleading.
    Misleading,
    /// True.
    True,
    /// Not yet verified.
    Unverified,
}

impl Verdict {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::False => "false",
            Verdict::Misleading => "misleading",
            Verdict::True => "true",
            Verdict::Unverified => "unverified",
        }
    }

    /// Reads a code (case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "false" => Some(Verdict::False),
            "misleading" => Some(Verdict::Misleading),
            "true" => Some(Verdict::True),
            "unverified" => Some(Verdict::Unverified),
            _ => None,
        }
    }
}

/// A claim to add to the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoNewClaim))]
pub struct NewClaim {
    /// The team's stable key (re-importing a key changes nothing).
    pub key: String,
    /// The assessment.
    pub verdict: Verdict,
    /// The claim as stated, in English.
    pub claim_en: String,
    /// The claim as stated, in Spanish.
    pub claim_es: String,
    /// The counter-message, in English.
    pub counter_en: String,
    /// The counter-message, in Spanish.
    pub counter_es: String,
    /// Where the assessment comes from.
    pub source: String,
}

/// A claim of the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoClaim))]
pub struct Claim {
    /// Id.
    pub id: i64,
    /// The claim.
    #[serde(flatten)]
    pub claim: NewClaim,
}

/// An item as the application prepared it: clustered, matched, with its signature.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    /// `import`, `tip` or `hotline` (see [`sources`]).
    pub source: String,
    /// The source's id (unique per source; re-imports are skipped by it).
    pub source_id: String,
    /// The text (empty for hotline items: the incident holds it).
    pub text: String,
    /// Link, if any.
    pub url: String,
    /// Platform name, lower case.
    pub platform: String,
    /// Author handle.
    pub author: String,
    /// When posted (or reported).
    pub posted_at: DateTime<Utc>,
    /// Reach, if known.
    pub reach: Option<i64>,
    /// The hotline incident this item is (hotline items only).
    pub incident_id: Option<i64>,
    /// `en` or `es`.
    pub lang: String,
    /// The narrative the clustering assigned.
    pub narrative_id: i64,
    /// The clustering started this narrative with this item (the store refuses the
    /// import if another import created that id meanwhile, rather than merge two).
    pub new_narrative: bool,
    /// The narrative's representative signatures include this item's.
    pub representative: bool,
    /// The MinHash signature, as bytes (persisted so that a restart resumes).
    pub signature: Vec<u8>,
    /// The known claim it matched, with the similarity.
    pub claim: Option<(i64, f64)>,
    /// Counties and cities it names.
    pub places: Vec<String>,
    /// A screenshot (tips only): content type and bytes, already checked.
    pub screenshot: Option<(String, Vec<u8>)>,
}

/// A stored item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoItem))]
pub struct Item {
    /// Id.
    pub id: i64,
    /// `import`, `tip` or `hotline`.
    pub source: String,
    /// The source's id.
    pub source_id: String,
    /// The text (for hotline items, the incident's description, read from the incident).
    pub text: String,
    /// Link.
    pub url: String,
    /// Platform.
    pub platform: String,
    /// Author handle.
    pub author: String,
    /// When posted.
    pub posted_at: DateTime<Utc>,
    /// Reach, if known.
    pub reach: Option<i64>,
    /// The linked hotline incident.
    pub incident_id: Option<i64>,
    /// `en` or `es`.
    pub lang: String,
    /// Its narrative.
    pub narrative_id: i64,
    /// The matched claim.
    pub claim_id: Option<i64>,
    /// Similarity to the matched claim.
    pub claim_similarity: Option<f64>,
    /// Counties and cities named.
    pub places: Vec<String>,
    /// A screenshot is attached.
    pub has_screenshot: bool,
}

/// Where a narrative is in the response workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NarrativeStatus {
    /// Not looked at.
    New,
    /// Looked at, worth a response.
    Triaged,
    /// Someone owns the response.
    Assigned,
    /// At least one response is out.
    Responding,
    /// Done.
    Closed,
}

impl NarrativeStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            NarrativeStatus::New => "new",
            NarrativeStatus::Triaged => "triaged",
            NarrativeStatus::Assigned => "assigned",
            NarrativeStatus::Responding => "responding",
            NarrativeStatus::Closed => "closed",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new" => Some(NarrativeStatus::New),
            "triaged" => Some(NarrativeStatus::Triaged),
            "assigned" => Some(NarrativeStatus::Assigned),
            "responding" => Some(NarrativeStatus::Responding),
            "closed" => Some(NarrativeStatus::Closed),
            _ => None,
        }
    }
}

/// The kinds of response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoResponseKind))]
#[serde(rename_all = "snake_case")]
pub enum ResponseKind {
    /// A counter-message was published.
    CounterMessage,
    /// The posts were reported to the platform.
    PlatformReport,
    /// The hotline's script was updated.
    HotlineScript,
}

impl ResponseKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ResponseKind::CounterMessage => "counter_message",
            ResponseKind::PlatformReport => "platform_report",
            ResponseKind::HotlineScript => "hotline_script",
        }
    }
}

/// Something a person does to a narrative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum NarrativeAction {
    /// Looked at; new → triaged.
    Triage,
    /// Give the response to a user.
    Assign {
        /// User name.
        to: String,
    },
    /// A response is out.
    Respond {
        /// Which.
        kind: ResponseKind,
        /// What, where (a link, the message).
        #[serde(default)]
        detail: String,
    },
    /// Done.
    Close {
        /// Why.
        #[serde(default)]
        note: String,
    },
    /// Reopen a closed narrative.
    Reopen,
    /// A note; the status does not change.
    Note {
        /// The note.
        text: String,
    },
}

/// Longest note, detail or assignee name accepted.
pub const MAX_ACTION_TEXT: usize = 2_000;

/// The status after `action` from `from`, with the timeline kind and detail, or why the
/// workflow refuses it.
pub fn next_narrative_status(
    from: NarrativeStatus,
    action: &NarrativeAction,
) -> Result<(NarrativeStatus, &'static str, String), String> {
    use NarrativeStatus as S;
    let text_len = match action {
        NarrativeAction::Assign { to } => to.len(),
        NarrativeAction::Respond { detail, .. } => detail.len(),
        NarrativeAction::Close { note } => note.len(),
        NarrativeAction::Note { text } => text.len(),
        _ => 0,
    };
    if text_len > MAX_ACTION_TEXT {
        return Err(format!("text longer than {MAX_ACTION_TEXT} bytes"));
    }
    match (from, action) {
        (S::Closed, NarrativeAction::Reopen) => Ok((S::Triaged, "reopened", String::new())),
        (_, NarrativeAction::Reopen) => Err("only a closed narrative can be reopened".into()),
        (_, NarrativeAction::Note { text }) if text.trim().is_empty() => {
            Err("a note needs text".into())
        }
        (s, NarrativeAction::Note { text }) => Ok((s, "note", text.trim().to_string())),
        (S::Closed, _) => Err("the narrative is closed: reopen it first".into()),
        (S::New, NarrativeAction::Triage) => Ok((S::Triaged, "triaged", String::new())),
        (_, NarrativeAction::Triage) => Err("only a new narrative can be triaged".into()),
        (_, NarrativeAction::Assign { to }) if to.trim().is_empty() => {
            Err("assign needs a user".into())
        }
        (_, NarrativeAction::Assign { to }) => Ok((S::Assigned, "assigned", to.trim().to_string())),
        (S::New, NarrativeAction::Respond { .. }) => {
            Err("triage or assign the narrative before responding".into())
        }
        (_, NarrativeAction::Respond { kind, detail }) => {
            Ok((S::Responding, kind.code(), detail.trim().to_string()))
        }
        (_, NarrativeAction::Close { note }) => Ok((S::Closed, "closed", note.trim().to_string())),
    }
}

/// A narrative: items clustered together, with what the store keeps of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Narrative {
    /// Id (the clustering's).
    pub id: i64,
    /// Items in it.
    pub items: i64,
    /// Earliest item.
    pub first_seen: DateTime<Utc>,
    /// Latest item.
    pub last_seen: DateTime<Utc>,
    /// The text of its first item (hotline: the incident's description).
    pub label: String,
    /// The known claim its items matched best, with the similarity.
    pub claim_id: Option<i64>,
    /// Similarity to that claim.
    pub claim_similarity: Option<f64>,
    /// Workflow status.
    pub status: NarrativeStatus,
    /// Who owns the response.
    pub assigned_to: Option<String>,
}

/// One entry of a narrative's timeline (append-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NarrativeEvent {
    /// Id.
    pub id: i64,
    /// Narrative.
    pub narrative_id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// created, triaged, assigned, counter_message, platform_report, hotline_script,
    /// closed, reopened, note, alert.
    pub kind: String,
    /// Status before.
    pub from_status: NarrativeStatus,
    /// Status after.
    pub to_status: NarrativeStatus,
    /// What, in words.
    pub detail: String,
}

/// A spike alert to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAlert {
    /// Narrative.
    pub narrative_id: i64,
    /// Start of the spike's first hour.
    pub hour: DateTime<Utc>,
    /// Items in that hour.
    pub count: i64,
    /// The baseline rate tested against (items per hour).
    pub baseline: f64,
    /// The Poisson upper tail.
    pub p_value: f64,
}

/// A recorded alert (one per narrative and spike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoAlert))]
pub struct Alert {
    /// Id.
    pub id: i64,
    /// Narrative.
    pub narrative_id: i64,
    /// Start of the spike's first hour.
    pub hour: DateTime<Utc>,
    /// Items in that hour.
    pub count: i64,
    /// Baseline rate.
    pub baseline: f64,
    /// Poisson upper tail.
    pub p_value: f64,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_allows_the_response_path_and_refuses_the_rest() {
        use NarrativeStatus as S;
        let respond = NarrativeAction::Respond {
            kind: ResponseKind::CounterMessage,
            detail: "posted".into(),
        };
        assert!(next_narrative_status(S::New, &respond).is_err());
        let (s, kind, _) = next_narrative_status(S::New, &NarrativeAction::Triage).unwrap();
        assert_eq!((s, kind), (S::Triaged, "triaged"));
        let (s, _, who) =
            next_narrative_status(s, &NarrativeAction::Assign { to: "ana".into() }).unwrap();
        assert_eq!((s, who.as_str()), (S::Assigned, "ana"));
        let (s, kind, _) = next_narrative_status(s, &respond).unwrap();
        assert_eq!((s, kind), (S::Responding, "counter_message"));
        let (s, _, _) = next_narrative_status(
            s,
            &NarrativeAction::Close {
                note: String::new(),
            },
        )
        .unwrap();
        assert_eq!(s, S::Closed);
        assert!(next_narrative_status(s, &NarrativeAction::Triage).is_err());
        assert!(next_narrative_status(s, &NarrativeAction::Note { text: " ".into() }).is_err());
        assert_eq!(
            next_narrative_status(s, &NarrativeAction::Reopen)
                .unwrap()
                .0,
            S::Triaged
        );
        let long = NarrativeAction::Note {
            text: "x".repeat(MAX_ACTION_TEXT + 1),
        };
        assert!(next_narrative_status(S::New, &long).is_err());
    }

    #[test]
    fn verdicts_and_statuses_round_trip() {
        for v in [
            Verdict::False,
            Verdict::Misleading,
            Verdict::True,
            Verdict::Unverified,
        ] {
            assert_eq!(Verdict::parse(v.code()), Some(v));
        }
        assert_eq!(Verdict::parse(" FALSE "), Some(Verdict::False));
        assert_eq!(Verdict::parse("fake"), None);
        for s in [
            NarrativeStatus::New,
            NarrativeStatus::Triaged,
            NarrativeStatus::Assigned,
            NarrativeStatus::Responding,
            NarrativeStatus::Closed,
        ] {
            assert_eq!(NarrativeStatus::parse(s.code()), Some(s));
        }
    }
}
