//! Moving published records under an agreement: [`sync`] reconciles the two copies,
//! and for each direction the agreement flows in, while it is active, reads the
//! publisher's outbox after the receiver's cursor in batches, keeps the records of the
//! agreement's datasets, fields and window, matches them to voters the receiver already
//! holds (by state voter id, or by HMAC-SHA256 of the id under the agreement's key when
//! it says `hashed`), applies them, moves the cursor and audits the batch on both sides.
//!
//! At least once, applied idempotently: each record becomes a contact event of source
//! `exchange:ORG` with id `AGREEMENT:SEQ`, a suppression of source `exchange:ORG` with
//! key `AGREEMENT:SEQ`, or a received record (ballot status, volunteer sign-up) of the
//! same source and key, all unique in the receiver's store; a ballot status also becomes
//! a ballot event, keyed by its content like any ballot file's. So a crash between
//! applying a batch and saving the cursor, or a second sync, changes nothing. A record
//! that came over an exchange is never published again (the outbox triggers skip it; a
//! ballot status is recorded as received before its event is written, for that).

use super::{ExchangeError, reconcile};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use votebase_domain::AuditEntry;
use votebase_domain::contacts::{ContactChannel, ContactEvent, ContactResult, SurveyAnswer};
use votebase_domain::exchange::{Agreement, AgreementState, Dataset, MatchMode, NewSuppression};
use votebase_domain::{BallotCategory, BallotEvent, BallotMethod};
use votebase_store::contacts::StagedContact;
use votebase_store::exchange::{OutboxRecord, ReceivedRecord};
use votebase_store::{Batch, NewBallotFile, StagedBallot, Store, StoreError};

/// Records read from an outbox at a time.
pub const DEFAULT_BATCH: i64 = 1_000;

/// Why a sync stopped (what was applied and saved before stays).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The agreement could not be read or reconciled.
    #[error(transparent)]
    Agreement(#[from] ExchangeError),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A published record could not be read.
    #[error("outbox record {seq} of {org}: {message}")]
    Record {
        /// The publisher.
        org: String,
        /// Its seq.
        seq: i64,
        /// What was wrong.
        message: String,
    },
    /// The receiver refused events for voters it was just seen to hold.
    #[error("{0} refused exchanged contacts for voters it does not hold")]
    Refused(String),
}

/// What one direction of one agreement did in one sync.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FlowReport {
    /// The agreement.
    pub agreement_id: String,
    /// Publisher of this direction.
    pub from: String,
    /// Receiver.
    pub to: String,
    /// The agreement's state (nothing moves unless `active`).
    pub state: String,
    /// Batches read.
    pub batches: u64,
    /// Records read.
    pub read: u64,
    /// Records new to the receiver.
    pub applied: u64,
    /// Records the receiver already had (an earlier, interrupted sync).
    pub already: u64,
    /// Records not applied: outside the fields or the window, or for a voter the
    /// receiver does not hold.
    pub skipped: u64,
    /// The receiver's cursor after the sync.
    pub cursor: i64,
    /// The publisher's outbox head when the sync started.
    pub head: i64,
}

#[derive(Deserialize)]
struct OutcomePayload {
    channel: String,
    result: String,
    contacted_at: NaiveDateTime,
}

#[derive(Deserialize)]
struct AnswerPayload {
    channel: String,
    contacted_at: NaiveDateTime,
    question: String,
    answer: String,
    value: i64,
}

#[derive(Deserialize)]
struct OptOutPayload {
    channel: String,
    reason: String,
}

#[derive(Deserialize)]
struct BallotPayload {
    local_voter_id: String,
    county_name: String,
    election_date: NaiveDate,
    method: String,
    delivery_type: String,
    request_date: Option<NaiveDate>,
    send_date: Option<NaiveDate>,
    return_date: Option<NaiveDate>,
    return_status: String,
    category: String,
    site_name: String,
    same_day_registration: bool,
    request_party: String,
}

#[derive(Deserialize)]
struct SignupPayload {
    volunteer: String,
    #[serde(default)]
    signed_up_at: String,
    #[serde(default)]
    skills: String,
    #[serde(default)]
    hours_per_week: Option<i64>,
    #[serde(default)]
    remote: bool,
}

/// The keyed hash of a state voter id under an agreement's key (hex).
pub fn keyed_hash(key_hex: &str, state_voter_id: &str) -> String {
    let key = hex::decode(key_hex).unwrap_or_else(|_| key_hex.as_bytes().to_vec());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes any key");
    mac.update(state_voter_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Keyed hash -> the receiver's voter id, over every voter in its file.
async fn hashed_voters(
    store: &dyn Store,
    key: &str,
) -> Result<HashMap<String, String>, StoreError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_voters(10_000, tx);
    let mut map = HashMap::new();
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for v in batch {
                map.insert(keyed_hash(key, &v.state_voter_id), v.state_voter_id);
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported?;
    Ok(map)
}

/// Moves every record the agreement `id` lets through, in each direction it flows, from
/// one side's store to the other's. `a` and `b` are the two sides (in any order) as
/// (organization, store).
pub async fn sync(
    a: (&str, &dyn Store),
    b: (&str, &dyn Store),
    id: &str,
    actor: &str,
    today: NaiveDate,
    batch_size: i64,
) -> Result<Vec<FlowReport>, SyncError> {
    let first =
        a.1.agreement(id)
            .await?
            .ok_or_else(|| ExchangeError::NotFound(id.to_string(), a.0.to_string()))?;
    let store_of = |org: &str| {
        if org == a.0 {
            Some(a.1)
        } else if org == b.0 {
            Some(b.1)
        } else {
            None
        }
    };
    let (Some(publisher), Some(subscriber)) =
        (store_of(&first.publisher), store_of(&first.subscriber))
    else {
        return Err(ExchangeError::NotASide(id.to_string(), format!("{} or {}", a.0, b.0)).into());
    };
    let agreement = reconcile(publisher, subscriber, id).await?;
    let state = agreement.state(today);
    let mut reports = Vec::new();
    for (from, to) in agreement.flows() {
        let (Some(from_store), Some(to_store)) = (store_of(&from), store_of(&to)) else {
            continue;
        };
        let mut report = FlowReport {
            agreement_id: agreement.id.clone(),
            from: from.clone(),
            to: to.clone(),
            state: state.code().to_string(),
            ..Default::default()
        };
        report.cursor = to_store
            .exchange_cursor(id, &from)
            .await?
            .map_or(0, |c| c.last_seq);
        report.head = from_store.outbox_head().await?;
        if state == AgreementState::Active {
            flow(
                &agreement,
                (&from, from_store),
                (&to, to_store),
                actor,
                batch_size,
                &mut report,
            )
            .await?;
        }
        reports.push(report);
    }
    Ok(reports)
}

async fn flow(
    agreement: &Agreement,
    (from, from_store): (&str, &dyn Store),
    (to, to_store): (&str, &dyn Store),
    actor: &str,
    batch_size: i64,
    report: &mut FlowReport,
) -> Result<(), SyncError> {
    let datasets: Vec<String> = agreement
        .terms
        .datasets
        .iter()
        .map(|d| d.code().to_string())
        .collect();
    let hashed = match agreement.terms.match_mode {
        MatchMode::Hashed => Some(hashed_voters(to_store, &agreement.hash_key).await?),
        MatchMode::VoterId => None,
    };
    let questions: Vec<String> = to_store
        .survey_questions()
        .await?
        .into_iter()
        .map(|q| q.key)
        .collect();
    let head = report.head;
    loop {
        let records: Vec<OutboxRecord> = from_store
            .outbox_after(report.cursor, &datasets, batch_size.max(1))
            .await?
            .into_iter()
            .filter(|r| r.seq <= head)
            .collect();
        let Some(last) = records.last().map(|r| r.seq) else {
            break;
        };
        // Match the batch's voters to the receiver's.
        let matched: HashMap<String, String> = match &hashed {
            Some(map) => records
                .iter()
                .filter_map(|r| {
                    map.get(&keyed_hash(&agreement.hash_key, &r.state_voter_id))
                        .map(|own| (r.state_voter_id.clone(), own.clone()))
                })
                .collect(),
            None => {
                let ids: Vec<String> = records.iter().map(|r| r.state_voter_id.clone()).collect();
                to_store
                    .held_voter_ids(&ids)
                    .await?
                    .into_iter()
                    .map(|id| (id.clone(), id))
                    .collect()
            }
        };
        let mut events = Vec::new();
        let mut opt_outs = Vec::new();
        let mut received = Vec::new();
        let mut ballots = Vec::new();
        for r in &records {
            let Some(voter) = matched.get(&r.state_voter_id) else {
                continue;
            };
            let day = r.recorded_at.date_naive();
            if day < agreement.terms.starts_on || day >= agreement.terms.ends_on {
                continue;
            }
            match applied_record(agreement, from, actor, r, voter, &questions)? {
                Some(Applied::Event(e)) => events.push(StagedContact { line: 0, event: e }),
                Some(Applied::OptOut(s)) => opt_outs.push(s),
                Some(Applied::Ballot(b, rec)) => {
                    ballots.push(StagedBallot::new(r.seq as u64, *b));
                    received.push(rec);
                }
                Some(Applied::Received(rec)) => received.push(rec),
                None => {}
            }
        }
        let usable = (events.len() + opt_outs.len() + received.len()) as u64;
        let mut applied = 0u64;
        // The provenance first: a ballot event already recorded as received is not
        // published again by the receiver's outbox trigger.
        if !received.is_empty() {
            applied += to_store.record_received(&received).await?;
        }
        if !ballots.is_empty() {
            let file = NewBallotFile {
                as_of: records[records.len() - 1].recorded_at.date_naive(),
                source_file: format!("exchange:{from} (agreement {})", agreement.id),
                file_sha256: format!("exchange:{}:{}-{last}", agreement.id, records[0].seq),
            };
            let (tx, rx) = tokio::sync::mpsc::channel(2);
            tx.send(Batch::Rows(ballots)).await.ok();
            tx.send(Batch::End).await.ok();
            drop(tx);
            to_store.import_ballots(file, rx).await?;
        }
        if !events.is_empty() {
            let (tx, rx) = tokio::sync::mpsc::channel(2);
            tx.send(Batch::Rows(events)).await.ok();
            tx.send(Batch::End).await.ok();
            drop(tx);
            let out = to_store.import_contacts(rx).await?;
            if !out.unknown_voters.is_empty() {
                return Err(SyncError::Refused(to.to_string()));
            }
            applied += out.inserted as u64;
        }
        for s in &opt_outs {
            if to_store.add_suppression(s).await? {
                applied += 1;
            }
        }
        let read = records.len() as u64;
        let skipped = read - usable;
        let cursor = to_store
            .advance_cursor(
                &agreement.id,
                from,
                last,
                head,
                applied as i64,
                skipped as i64,
            )
            .await?;
        report.batches += 1;
        report.read += read;
        report.applied += applied;
        report.already += usable - applied;
        report.skipped += skipped;
        report.cursor = cursor.last_seq;
        let detail = format!(
            "seq {}..={last}: {read} read, {applied} applied, {skipped} skipped",
            records[0].seq
        );
        for (store, action, other) in [
            (from_store, "exchange.publish", to),
            (to_store, "exchange.receive", from),
        ] {
            store
                .audit(&AuditEntry {
                    at: Utc::now(),
                    actor: actor.to_string(),
                    action: action.to_string(),
                    subject: agreement.id.clone(),
                    detail: format!(
                        "{} {other}: {detail}",
                        if action == "exchange.publish" {
                            "to"
                        } else {
                            "from"
                        }
                    ),
                })
                .await?;
        }
    }
    // Everything up to the head is read: records of other datasets need not be read again.
    if report.cursor < head {
        report.cursor = to_store
            .advance_cursor(&agreement.id, from, head, head, 0, 0)
            .await?
            .last_seq;
    }
    Ok(())
}

enum Applied {
    Event(ContactEvent),
    OptOut(NewSuppression),
    Ballot(Box<BallotEvent>, ReceivedRecord),
    Received(ReceivedRecord),
}

/// What record `r` becomes at the receiver (`None` when the agreement's fields leave it
/// out, or the receiver has no such survey question).
fn applied_record(
    agreement: &Agreement,
    from: &str,
    actor: &str,
    r: &OutboxRecord,
    voter: &str,
    questions: &[String],
) -> Result<Option<Applied>, SyncError> {
    let bad = |message: String| SyncError::Record {
        org: from.to_string(),
        seq: r.seq,
        message,
    };
    let source = format!("exchange:{from}");
    let key = format!("{}:{}", agreement.id, r.seq);
    let channel = |c: &str| ContactChannel::parse(c).ok_or_else(|| bad(format!("channel {c:?}")));
    let event = |channel, contacted_at, result, answers| ContactEvent {
        source: source.clone(),
        source_event_id: key.clone(),
        state_voter_id: voter.to_string(),
        channel,
        contacted_at,
        canvasser: String::new(),
        result,
        answers,
        tags: Vec::new(),
    };
    let dataset = Dataset::parse(&r.dataset).map_err(|e| bad(e.to_string()))?;
    if !agreement.terms.carries(dataset) {
        return Ok(None);
    }
    Ok(match dataset {
        Dataset::ContactOutcomes => {
            let p: OutcomePayload =
                serde_json::from_str(&r.payload).map_err(|e| bad(e.to_string()))?;
            if !agreement.terms.results.contains(&p.result) {
                return Ok(None);
            }
            let result = ContactResult::from_code(&p.result)
                .ok_or_else(|| bad(format!("result {:?}", p.result)))?;
            Some(Applied::Event(event(
                channel(&p.channel)?,
                p.contacted_at,
                result,
                Vec::new(),
            )))
        }
        Dataset::SurveyAnswers => {
            let p: AnswerPayload =
                serde_json::from_str(&r.payload).map_err(|e| bad(e.to_string()))?;
            if !agreement.terms.questions.contains(&p.question) || !questions.contains(&p.question)
            {
                return Ok(None);
            }
            Some(Applied::Event(event(
                channel(&p.channel)?,
                p.contacted_at,
                ContactResult::Reached,
                vec![SurveyAnswer {
                    question: p.question,
                    answer: p.answer,
                    value: p.value,
                }],
            )))
        }
        Dataset::OptOuts => {
            let p: OptOutPayload =
                serde_json::from_str(&r.payload).map_err(|e| bad(e.to_string()))?;
            Some(Applied::OptOut(NewSuppression {
                state_voter_id: voter.to_string(),
                phone: String::new(),
                email: String::new(),
                channel: p.channel,
                reason: format!("from {from}, {}: {}", r.recorded_at.date_naive(), p.reason),
                source,
                source_key: key,
                created_by: actor.to_string(),
            }))
        }
        Dataset::BallotStatus => {
            let p: BallotPayload =
                serde_json::from_str(&r.payload).map_err(|e| bad(e.to_string()))?;
            let category = BallotCategory::from_code(&p.category)
                .ok_or_else(|| bad(format!("ballot category {:?}", p.category)))?;
            let ballot = BallotEvent {
                state_voter_id: voter.to_string(),
                local_voter_id: p.local_voter_id,
                county_name: p.county_name,
                election_date: p.election_date,
                method: BallotMethod::from_code(&p.method),
                delivery_type: p.delivery_type,
                request_date: p.request_date,
                send_date: p.send_date,
                return_date: p.return_date,
                return_status: p.return_status,
                category,
                site_name: p.site_name,
                same_day_registration: p.same_day_registration,
                request_party: p.request_party,
            };
            let summary = format!(
                "{} ballot for {}: {}",
                ballot.method.code().replace('_', " "),
                ballot.election_date,
                category.code().replace('_', " ")
            );
            let rec = ReceivedRecord {
                source,
                source_key: key,
                dataset: dataset.code().to_string(),
                state_voter_id: voter.to_string(),
                item_key: ballot.event_key(),
                summary,
                payload: r.payload.clone(),
                published_at: r.recorded_at,
                received_by: actor.to_string(),
            };
            Some(Applied::Ballot(Box::new(ballot), rec))
        }
        Dataset::VolunteerSignups => {
            let p: SignupPayload =
                serde_json::from_str(&r.payload).map_err(|e| bad(e.to_string()))?;
            let mut parts = vec![format!(
                "signed up {}",
                p.signed_up_at.get(..10).unwrap_or(&p.signed_up_at)
            )];
            if !p.skills.is_empty() {
                parts.push(format!("skills {}", p.skills));
            }
            if let Some(h) = p.hours_per_week {
                parts.push(format!("{h} hours a week"));
            }
            if p.remote {
                parts.push("remote".into());
            }
            Some(Applied::Received(ReceivedRecord {
                source,
                source_key: key,
                dataset: dataset.code().to_string(),
                state_voter_id: voter.to_string(),
                item_key: p.volunteer,
                summary: format!("Volunteer sign-up: {}", parts.join(", ")),
                payload: r.payload.clone(),
                published_at: r.recorded_at,
                received_by: actor.to_string(),
            }))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_the_key_and_the_id() {
        let a = keyed_hash("00ff", "NC123");
        assert_eq!(a.len(), 64);
        assert_eq!(a, keyed_hash("00ff", "NC123"));
        assert_ne!(a, keyed_hash("00fe", "NC123"));
        assert_ne!(a, keyed_hash("00ff", "NC124"));
    }
}
