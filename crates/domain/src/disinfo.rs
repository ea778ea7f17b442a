//! Disinformation watch: the vocabulary of items (posts from monitoring exports, public
//! tips, hotline `misinformation` incidents linked by id), the narratives they are
//! clustered into, the catalogue of known claims with their verdicts and counter-messages,
//! alerts (a spike, or a county named on an election day) with users' subscriptions to
//! them by email and the organization's election days, and the response workflow of a
//! narrative (triage, assign, respond, close), whose every step is an entry on an
//! append-only timeline.

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

/// Why an alert was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoAlertKind))]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The narrative's hourly volume rose far above its own baseline (one per spike).
    Spike,
    /// An item was posted on an election day in a narrative that names one of the
    /// organization's counties (one per narrative and election day).
    ElectionDayCounty,
}

impl AlertKind {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            AlertKind::Spike => "spike",
            AlertKind::ElectionDayCounty => "election_day_county",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "spike" => Some(AlertKind::Spike),
            "election_day_county" => Some(AlertKind::ElectionDayCounty),
            _ => None,
        }
    }
}

/// An alert to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAlert {
    /// Narrative.
    pub narrative_id: i64,
    /// Why.
    pub kind: AlertKind,
    /// Spike: start of the spike's first hour. Election day: start of the day.
    pub hour: DateTime<Utc>,
    /// Spike: items in that hour. Election day: the narrative's items posted that day.
    pub count: i64,
    /// The baseline rate tested against (items per hour; 0 for election-day alerts).
    pub baseline: f64,
    /// The Poisson upper tail (1 for election-day alerts: no test).
    pub p_value: f64,
    /// The organization's counties the narrative names (election-day alerts).
    pub counties: Vec<String>,
}

impl NewAlert {
    /// The alert in words, as its narrative's timeline and the alert email say it.
    pub fn describe(&self) -> String {
        match self.kind {
            AlertKind::Spike => format!(
                "{} items in the hour from {} (baseline {:.2}/h, p = {:.2e})",
                self.count,
                self.hour.format("%Y-%m-%d %H:00Z"),
                self.baseline,
                self.p_value
            ),
            AlertKind::ElectionDayCounty => format!(
                "names {} on election day ({} items that day from {})",
                self.counties.join(", "),
                self.count,
                self.hour.format("%Y-%m-%d %H:%MZ"),
            ),
        }
    }
}

/// A recorded alert (one per narrative and spike, or per narrative and election day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoAlert))]
pub struct Alert {
    /// Id.
    pub id: i64,
    /// Narrative.
    pub narrative_id: i64,
    /// Why.
    pub kind: AlertKind,
    /// Spike: start of the spike's first hour. Election day: start of the day.
    pub hour: DateTime<Utc>,
    /// Spike: items in that hour. Election day: items posted that day.
    pub count: i64,
    /// Baseline rate.
    pub baseline: f64,
    /// Poisson upper tail.
    pub p_value: f64,
    /// Counties named (election-day alerts).
    pub counties: Vec<String>,
    /// When it was raised.
    pub created_at: DateTime<Utc>,
}

impl Alert {
    /// The alert in words (see [`NewAlert::describe`]).
    pub fn describe(&self) -> String {
        NewAlert {
            narrative_id: self.narrative_id,
            kind: self.kind,
            hour: self.hour,
            count: self.count,
            baseline: self.baseline,
            p_value: self.p_value,
            counties: self.counties.clone(),
        }
        .describe()
    }
}

/// A user's subscription to alert emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoSubscription))]
pub struct Subscription {
    /// User name.
    pub user: String,
    /// Where the alerts go.
    pub email: String,
    /// Since when.
    pub created_at: DateTime<Utc>,
}

/// One of the organization's election days: a calendar day at a fixed offset from UTC
/// (US election days fall after daylight saving time ends, so one offset holds all day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DisinfoElectionDay))]
pub struct ElectionDay {
    /// The day.
    pub date: chrono::NaiveDate,
    /// Its local time's offset from UTC, in minutes (-300 for US Eastern standard time).
    pub utc_offset_minutes: i32,
}

/// Largest offset from UTC accepted, in minutes (±14 hours).
pub const MAX_UTC_OFFSET_MINUTES: i32 = 14 * 60;

impl ElectionDay {
    /// The day's first instant.
    pub fn start(&self) -> DateTime<Utc> {
        let midnight = self.date.and_time(chrono::NaiveTime::MIN).and_utc();
        midnight - chrono::Duration::minutes(i64::from(self.utc_offset_minutes))
    }

    /// Whether `t` falls on this day (local time).
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let start = self.start();
        t >= start && t < start + chrono::Duration::days(1)
    }

    /// Reads `+HH:MM`, `-HH:MM` or `Z` as minutes from UTC (at most ±14 hours).
    pub fn parse_offset(s: &str) -> Option<i32> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("z") {
            return Some(0);
        }
        let (sign, rest) = match s.as_bytes().first()? {
            b'+' => (1, &s[1..]),
            b'-' => (-1, &s[1..]),
            _ => return None,
        };
        let (h, m) = rest.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        let total = h * 60 + m;
        (m < 60 && total <= MAX_UTC_OFFSET_MINUTES).then_some(sign * total)
    }

    /// The offset as `+HH:MM` / `-HH:MM`.
    pub fn offset_text(&self) -> String {
        let m = self.utc_offset_minutes;
        let sign = if m < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    }
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

    #[test]
    fn election_days_cover_the_local_day_and_offsets_parse() {
        let day = ElectionDay {
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
            utc_offset_minutes: ElectionDay::parse_offset("-05:00").unwrap(),
        };
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(day.start(), t("2026-11-03T05:00:00Z"));
        assert!(
            !day.contains(t("2026-11-03T04:59:59Z")),
            "the evening before, in New York"
        );
        assert!(day.contains(t("2026-11-03T05:00:00Z")));
        assert!(
            day.contains(t("2026-11-04T01:30:00Z")),
            "8:30 pm on election day"
        );
        assert!(!day.contains(t("2026-11-04T05:00:00Z")));
        assert_eq!(day.offset_text(), "-05:00");
        assert_eq!(ElectionDay::parse_offset("+05:30"), Some(330));
        assert_eq!(ElectionDay::parse_offset("Z"), Some(0));
        for bad in ["", "5", "-5:00", "+15:00", "+01:60", "−05:00", "+1:00x"] {
            assert_eq!(ElectionDay::parse_offset(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn alerts_say_why_in_words() {
        let t = DateTime::parse_from_rfc3339("2026-11-03T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut a = NewAlert {
            narrative_id: 4,
            kind: AlertKind::Spike,
            hour: t,
            count: 40,
            baseline: 0.5,
            p_value: 1e-30,
            counties: Vec::new(),
        };
        assert!(
            a.describe()
                .starts_with("40 items in the hour from 2026-11-03 05:00Z")
        );
        a.kind = AlertKind::ElectionDayCounty;
        a.counties = vec!["WAKE".into(), "DURHAM".into()];
        a.count = 3;
        assert_eq!(
            a.describe(),
            "names WAKE, DURHAM on election day (3 items that day from 2026-11-03 05:00Z)"
        );
        for k in [AlertKind::Spike, AlertKind::ElectionDayCounty] {
            assert_eq!(AlertKind::parse(k.code()), Some(k));
        }
    }
}
