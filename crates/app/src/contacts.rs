//! Contact history as use cases: [`record_contact`] records one door knock, call, text
//! or ad exposure with survey answers and tags (checked against the organization's
//! questions; unique on source and source event id, so a retry returns the stored
//! event), idempotency keys ([`idempotency_key`], [`replay`], [`keep_response`]: the
//! same key and body return the first answer, the same key with another body is
//! refused), and [`add_contact_families`] feeds tags, latest survey answers, contact
//! attempts and scores into the universe index (what `contacted:`, `reached:`, `tag:`,
//! `survey:` and score filters select).

use chrono::{NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use votebase_domain::contacts::{
    ContactChannel, ContactEvent, ContactResult, SurveyQuestion, normalise_tag,
};
use votebase_index::{FamilyKind, IndexBuilder, IndexError};
use votebase_store::contacts::{ContactFact, IdempotentResponse, StagedContact};
use votebase_store::{Store, StoreError};

/// Why a contact could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    /// The request is malformed (empty voter id, unknown question, bad answer, bad key).
    #[error("{0}")]
    Invalid(String),
    /// No voter has that id.
    #[error("no voter with id {0}")]
    UnknownVoter(String),
    /// The idempotency key was already used with another request body.
    #[error(
        "this Idempotency-Key was already used with another request body; use a new key for a new request"
    )]
    KeyReused,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that cannot happen did.
    #[error("{0}")]
    Internal(String),
}

/// A contact attempt to record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// The voter.
    pub state_voter_id: String,
    /// `door`, `phone`, `text` or `ad`.
    pub channel: ContactChannel,
    /// What came of it (`reached`, `not_home`, `refused`, `moved`, `wrong_number`…).
    pub result: ContactResult,
    /// When (local time); default: now.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, example = "2026-10-01T17:30:00")
    )]
    pub contacted_at: Option<NaiveDateTime>,
    /// Who made the contact; default: the caller's user name.
    pub canvasser: Option<String>,
    /// Survey answers by question key, as given (`{"support": "2"}`).
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
    /// Tags (activist codes) to apply.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The system the event comes from; default `api`.
    pub source: Option<String>,
    /// Its id in that system; default: the `Idempotency-Key`, else a new random id.
    pub source_event_id: Option<String>,
}

/// The recorded contact.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactReply {
    /// False when the same source event was already stored (it is returned as stored).
    pub created: bool,
    /// The stored event.
    pub event: ContactEvent,
}

/// A random 32-hex-digit id (source event ids, form tokens).
pub fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// Checks a request against the organization's questions and makes the event.
fn event_of(
    req: ContactRequest,
    actor: &str,
    questions: &[SurveyQuestion],
    idempotency_key: Option<&str>,
) -> Result<ContactEvent, ContactError> {
    let state_voter_id = req.state_voter_id.trim().to_string();
    if state_voter_id.is_empty() {
        return Err(ContactError::Invalid("state_voter_id is empty".into()));
    }
    let mut answers = Vec::new();
    for (key, raw) in &req.answers {
        let q = questions.iter().find(|q| &q.key == key).ok_or_else(|| {
            ContactError::Invalid(format!(
                "unknown survey question {key:?}; known: {}",
                questions
                    .iter()
                    .map(|q| q.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        answers.push(q.answer(raw).map_err(ContactError::Invalid)?);
    }
    let mut tags: Vec<String> = req
        .tags
        .iter()
        .map(|t| normalise_tag(t))
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    let source = req.source.map(|s| s.trim().to_string()).unwrap_or_default();
    let source_event_id = req
        .source_event_id
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| idempotency_key.map(str::to_string))
        .unwrap_or_else(random_id);
    Ok(ContactEvent {
        source: if source.is_empty() {
            "api".into()
        } else {
            source
        },
        source_event_id,
        state_voter_id,
        channel: req.channel,
        contacted_at: req
            .contacted_at
            .unwrap_or_else(|| Utc::now().naive_utc().with_nanosecond_zero()),
        canvasser: req
            .canvasser
            .map(|c| c.trim().to_string())
            .unwrap_or_else(|| actor.to_string()),
        result: req.result,
        answers,
        tags,
    })
}

trait NoNanos {
    fn with_nanosecond_zero(self) -> Self;
}

impl NoNanos for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

/// Records one contact for `actor` (the default canvasser) and returns whether it was
/// new and the event as stored (the stored one when the source event was already
/// recorded). `idempotency_key`, when given, is the default source event id.
pub async fn record_contact(
    store: &dyn Store,
    actor: &str,
    req: ContactRequest,
    idempotency_key: Option<&str>,
) -> Result<ContactReply, ContactError> {
    let questions = store.survey_questions().await?;
    let event = event_of(req, actor, &questions, idempotency_key)?;
    if store.get_voter(&event.state_voter_id).await?.is_none() {
        return Err(ContactError::UnknownVoter(event.state_voter_id));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    for message in [
        votebase_store::Batch::Rows(vec![StagedContact {
            line: 0,
            event: event.clone(),
        }]),
        votebase_store::Batch::End,
    ] {
        tx.send(message)
            .await
            .map_err(|_| ContactError::Internal("contact channel closed".into()))?;
    }
    drop(tx);
    let outcome = store.import_contacts(rx).await?;
    if !outcome.unknown_voters.is_empty() {
        return Err(ContactError::UnknownVoter(event.state_voter_id));
    }
    let stored = store
        .contact_event(&event.source, &event.source_event_id)
        .await?
        .ok_or_else(|| ContactError::Internal("recorded contact not found".into()))?;
    Ok(ContactReply {
        created: outcome.inserted == 1,
        event: stored,
    })
}

/// Checks an `Idempotency-Key` value: trimmed, 1 to 200 characters.
pub fn idempotency_key(raw: &str) -> Result<String, ContactError> {
    let k = raw.trim().to_string();
    if k.is_empty() || k.len() > 200 {
        return Err(ContactError::Invalid(
            "Idempotency-Key must be 1 to 200 characters".into(),
        ));
    }
    Ok(k)
}

/// SHA-256 of a request body, hex: what an idempotent answer is tied to.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The answer already given to `user`'s `key`, if any; [`ContactError::KeyReused`] when
/// it was given for another body.
pub async fn replay(
    store: &dyn Store,
    user: &str,
    key: &str,
    body_sha: &str,
) -> Result<Option<IdempotentResponse>, ContactError> {
    match store.idempotent_response(user, key).await? {
        Some(prior) if prior.request_sha256 != body_sha => Err(ContactError::KeyReused),
        other => Ok(other),
    }
}

/// Keeps the answer to `user`'s `key` and returns the one kept (a concurrent request
/// with the same key may have kept its own first: then that one, or
/// [`ContactError::KeyReused`] when its body differed).
pub async fn keep_response(
    store: &dyn Store,
    user: &str,
    key: &str,
    response: IdempotentResponse,
) -> Result<IdempotentResponse, ContactError> {
    let sha = response.request_sha256.clone();
    let kept = store.put_idempotent_response(user, key, &response).await?;
    if kept.request_sha256 != sha {
        return Err(ContactError::KeyReused);
    }
    Ok(kept)
}

/// What [`add_contact_families`] fed into the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactFamilyStats {
    /// Tags indexed (`tag:KEY`).
    pub tags: u64,
    /// Latest survey answers indexed (`survey:KEY=N`).
    pub answers: u64,
    /// Contact attempts indexed (`contacted:CHANNEL:30d`, `reached:CHANNEL:30d`).
    pub contacts: u64,
    /// Scores indexed (`NAME>=70`).
    pub scores: u64,
    /// Facts about voters not in the latest snapshot (skipped).
    pub unknown_voters: u64,
    /// Contact attempts dated after `today` (skipped: a clock or import error).
    pub future_contacts: u64,
}

/// Why the contact families could not be added.
#[derive(Debug, thiserror::Error)]
pub enum ContactFamiliesError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index refused a value (a score outside 0..=100, a family of another kind).
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Feeds tags (`tag:KEY`), each voter's latest survey answers (`survey:KEY=N`), contact
/// attempts by channel and day (`contacted:door:30d`; `reached:door:30d` for the ones
/// where a conversation took place; `any` for every channel) and scores (`support>=70`)
/// into `builder`, whose voters must already be added. Facts about voters the builder
/// does not hold (removed from the voter file) and contacts dated after `today` are
/// skipped and counted.
pub async fn add_contact_families(
    store: &dyn Store,
    builder: &mut IndexBuilder,
    today: NaiveDate,
) -> Result<ContactFamilyStats, ContactFamiliesError> {
    builder.register_family("reached", FamilyKind::Dated)?;
    let mut stats = ContactFamilyStats::default();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ContactFact>>(4);
    let export = store.export_contact_facts(20_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for fact in &batch {
                let fed = match fact {
                    ContactFact::Tag { voter, tag } => {
                        stats.tags += 1;
                        builder.add_tag(voter, tag)
                    }
                    ContactFact::Answer {
                        voter,
                        question,
                        value,
                    } => {
                        stats.answers += 1;
                        builder.add_survey_answer(voter, question, *value)
                    }
                    ContactFact::Contact {
                        voter,
                        channel,
                        date,
                        reached,
                    } => {
                        if *date > today {
                            stats.future_contacts += 1;
                            continue;
                        }
                        stats.contacts += 1;
                        let r = builder.add_contact(voter, channel.code(), *date);
                        if r.is_ok() && *reached {
                            builder.add_dated("reached", voter, channel.code(), *date)
                        } else {
                            r
                        }
                    }
                    ContactFact::Score { voter, name, value } => {
                        stats.scores += 1;
                        builder.add_score(voter, name, *value)
                    }
                };
                match fed {
                    Ok(()) => {}
                    Err(IndexError::UnknownVoter { .. }) => stats.unknown_voters += 1,
                    Err(e) => return Err(ContactFamiliesError::Index(e)),
                }
            }
        }
        Ok(())
    };
    let (exported, consumed) = tokio::join!(export, consume);
    exported?;
    consumed?;
    // Counted facts include the skipped ones; keep the per-kind counts as "indexed".
    Ok(stats)
}
