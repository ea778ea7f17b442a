//! Voters as use cases: [`voter_timeline`] builds one timeline of everything known about
//! a voter (voter-file snapshots and changes, vote history, ballots, contacts, survey
//! answers, tags, and, for volunteers linked to the voter, event shifts and project
//! matches; gifts of donors linked to the voter), newest first, with their current tags
//! and scores.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use votebase_store::contacts::VoterScore;
use votebase_store::{Store, StoreError};

/// What a timeline entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    /// A voter-file snapshot added, removed, changed or relinked the record.
    VoterFile,
    /// Voted in an election.
    Vote,
    /// An absentee or early-vote ballot event.
    Ballot,
    /// A contact attempt.
    Contact,
    /// A survey answer.
    Survey,
    /// A tag (activist code) first applied.
    Tag,
    /// Volunteering: an event shift (registered, attended, missed, cancelled) or a
    /// project match, of a volunteer linked to this voter.
    Volunteer,
    /// A contribution, refund or chargeback of a donor linked to the voter.
    Gift,
}

impl TimelineKind {
    /// Label for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::VoterFile => "Voter file",
            Self::Vote => "Vote history",
            Self::Ballot => "Ballot",
            Self::Contact => "Contact",
            Self::Survey => "Survey answer",
            Self::Tag => "Tag",
            Self::Volunteer => "Volunteer",
            Self::Gift => "Gift",
        }
    }

    /// Stable code (CSS class, JSON).
    pub fn code(self) -> &'static str {
        match self {
            Self::VoterFile => "voter_file",
            Self::Vote => "vote",
            Self::Ballot => "ballot",
            Self::Contact => "contact",
            Self::Survey => "survey",
            Self::Tag => "tag",
            Self::Volunteer => "volunteer",
            Self::Gift => "gift",
        }
    }
}

/// One entry of a voter's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// When (midnight for events known by day only).
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = String, example = "2026-10-01T17:30:00")
    )]
    pub at: NaiveDateTime,
    /// True when only the day is known.
    pub day_only: bool,
    /// What it is about.
    pub kind: TimelineKind,
    /// One line.
    pub summary: String,
    /// More (who, source, values); may be empty.
    pub detail: String,
}

impl TimelineEntry {
    /// The time as shown: the day, plus hour and minute when known.
    pub fn when(&self) -> String {
        if self.day_only {
            self.at.format("%Y-%m-%d").to_string()
        } else {
            self.at.format("%Y-%m-%d %H:%M").to_string()
        }
    }
}

/// A voter's timeline with their current tags and scores.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// The voter.
    pub state_voter_id: String,
    /// Tags now on the voter.
    pub tags: Vec<String>,
    /// Scores now on the voter.
    pub scores: Vec<VoterScore>,
    /// Everything, newest first.
    pub entries: Vec<TimelineEntry>,
}

fn day(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// Builds one voter's timeline from the store (not audited: callers audit the read).
pub async fn voter_timeline(store: &dyn Store, id: &str) -> Result<Timeline, StoreError> {
    let mut entries = Vec::new();
    let changes = store.voter_changes(id).await?;
    if let Some(v) = store.get_voter(id).await?
        && !changes
            .iter()
            .any(|c| c.snapshot_id == v.first_snapshot && c.kind.code() == "added")
        && let Some(first) = store
            .list_snapshots()
            .await?
            .into_iter()
            .find(|s| s.id == v.first_snapshot)
    {
        entries.push(TimelineEntry {
            at: day(first.as_of),
            day_only: true,
            kind: TimelineKind::VoterFile,
            summary: format!("In the voter file (first seen in snapshot {})", first.id),
            detail: format!("{} as of {}", first.source_file, first.as_of),
        });
    }
    for c in changes {
        let summary = match c.kind.code() {
            "added" => format!("Added to the voter file (snapshot {})", c.snapshot_id),
            "removed" => format!("Removed from the voter file (snapshot {})", c.snapshot_id),
            "changed" => format!(
                "{}: {} → {}",
                c.field.replace('_', " "),
                if c.old_value.is_empty() {
                    "(blank)"
                } else {
                    &c.old_value
                },
                if c.new_value.is_empty() {
                    "(blank)"
                } else {
                    &c.new_value
                }
            ),
            other => format!("{other}: {} → {}", c.old_value, c.new_value),
        };
        entries.push(TimelineEntry {
            at: day(c.as_of),
            day_only: true,
            kind: TimelineKind::VoterFile,
            summary,
            detail: format!("snapshot {} as of {}", c.snapshot_id, c.as_of),
        });
    }
    for h in store.voter_history(id).await? {
        entries.push(TimelineEntry {
            at: day(h.election_date),
            day_only: true,
            kind: TimelineKind::Vote,
            summary: format!(
                "Voted in {} ({})",
                if h.election_desc.is_empty() {
                    h.election_date.to_string()
                } else {
                    h.election_desc.clone()
                },
                if h.voting_method.is_empty() {
                    "method unknown"
                } else {
                    &h.voting_method
                }
            ),
            detail: [
                h.voted_party.as_str(),
                h.county_name.as_str(),
                h.precinct.as_str(),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" · "),
        });
    }
    // Records received over exchange agreements: a ballot event's provenance, and
    // volunteer sign-ups at other organizations.
    let received = store.received_of_voter(id).await?;
    let provenance = |r: &votebase_store::exchange::ReceivedRecord| {
        format!(
            "from {}, {}",
            r.source.strip_prefix("exchange:").unwrap_or(&r.source),
            r.published_at.date_naive()
        )
    };
    for r in received.iter().filter(|r| r.dataset == "volunteer_signups") {
        entries.push(TimelineEntry {
            at: r.published_at.naive_utc(),
            day_only: false,
            kind: TimelineKind::Volunteer,
            summary: r.summary.clone(),
            detail: provenance(r),
        });
    }
    for b in store.voter_ballots(id).await? {
        let key = b.event_key();
        let from = received
            .iter()
            .find(|r| r.dataset == "ballot_status" && r.item_key == key)
            .map(provenance)
            .unwrap_or_default();
        let when = b
            .return_date
            .or(b.send_date)
            .or(b.request_date)
            .unwrap_or(b.election_date);
        entries.push(TimelineEntry {
            at: day(when),
            day_only: true,
            kind: TimelineKind::Ballot,
            summary: format!(
                "{} ballot for {}: {}",
                b.method.code().replace('_', " "),
                b.election_date,
                b.category.code().replace('_', " ")
            ),
            detail: [
                b.return_status.clone(),
                b.site_name.clone(),
                b.request_date
                    .map(|d| format!("requested {d}"))
                    .unwrap_or_default(),
                b.send_date.map(|d| format!("sent {d}")).unwrap_or_default(),
                b.return_date
                    .map(|d| format!("returned {d}"))
                    .unwrap_or_default(),
                from,
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        });
    }
    for e in store.voter_contacts(id).await? {
        // Provenance of a contact received over an exchange agreement: "from ORG, DAY".
        let mut detail = vec![match e.source.strip_prefix("exchange:") {
            Some(org) => format!("from {org}, {}", e.contacted_at.date()),
            None => format!("{} {}", e.source, e.source_event_id),
        }];
        if !e.canvasser.is_empty() {
            detail.insert(0, format!("by {}", e.canvasser));
        }
        if !e.tags.is_empty() {
            detail.push(format!("tags: {}", e.tags.join(", ")));
        }
        entries.push(TimelineEntry {
            at: e.contacted_at,
            day_only: false,
            kind: TimelineKind::Contact,
            summary: format!("{}: {}", e.channel.code(), e.result.label()),
            detail: detail.join(" · "),
        });
        for a in &e.answers {
            entries.push(TimelineEntry {
                at: e.contacted_at,
                day_only: false,
                kind: TimelineKind::Survey,
                summary: format!("{}: {}", a.question, a.answer),
                detail: format!("{} contact, value {}", e.channel.code(), a.value),
            });
        }
    }
    let tags = store.voter_tags(id).await?;
    for t in &tags {
        entries.push(TimelineEntry {
            at: t.applied_at,
            day_only: false,
            kind: TimelineKind::Tag,
            summary: format!("Tagged {}", t.tag),
            detail: format!("from {}", t.source),
        });
    }
    for person in store.people_of_voter(id).await? {
        for r in store.attendance_of_person(&person).await? {
            entries.push(TimelineEntry {
                at: r.starts_at.naive_utc(),
                day_only: false,
                kind: TimelineKind::Volunteer,
                summary: format!(
                    "{}: {}",
                    r.title,
                    r.attendance.status.code().replace('_', " ")
                ),
                detail: format!(
                    "{} · shift {} · volunteer {} · from {}",
                    r.kind, r.attendance.shift, person, r.attendance.source
                ),
            });
        }
        for m in store.matches_of_volunteer(&person).await? {
            entries.push(TimelineEntry {
                at: m.updated_at.naive_utc(),
                day_only: false,
                kind: TimelineKind::Volunteer,
                summary: format!(
                    "Project {}: {}",
                    m.project,
                    m.state.code().replace('_', " ")
                ),
                detail: format!("volunteer {person} · {}", m.explanation),
            });
        }
    }
    entries.extend(crate::donations::timeline_entries(store, id).await?);
    // Newest first; on the same instant, the order above (stable sort).
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(Timeline {
        state_voter_id: id.to_string(),
        tags: tags.into_iter().map(|t| t.tag).collect(),
        scores: store.voter_scores(id).await?,
        entries,
    })
}
