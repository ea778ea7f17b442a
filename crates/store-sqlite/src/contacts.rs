//! Contact history (door knocks, calls, texts, ad exposures), survey questions and
//! answers, tags (activist codes), scores and the contacts API's idempotency keys, on
//! SQLite. A load is one immediate transaction; events are unique on (source, source
//! event id), and a load naming any voter missing from the voter file is rolled back.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_domain::contacts::{
    ContactChannel, ContactEvent, ContactResult, QuestionKind, SurveyAnswer, SurveyQuestion,
};
use votebase_store::contacts::{
    ContactBatch, ContactFact, ContactImportOutcome, ContactStore, IdempotentResponse, StoredModel,
    UnknownContactVoter, VoterScore, VoterTag,
};
use votebase_store::{StoreError, StoreResult};

const TS: &str = "%Y-%m-%dT%H:%M:%S";

fn ts(t: NaiveDateTime) -> String {
    t.format(TS).to_string()
}

fn parse_ts(s: &str) -> StoreResult<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, TS)
        .map_err(|e| StoreError::Corrupt(format!("stored time {s:?}: {e}")))
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} {v:?}"))
}

/// A `survey_questions` row: key, text, kind, min, max, choices (JSON).
type QuestionRow = (String, String, String, Option<i64>, Option<i64>, String);

fn question_from_row(r: &Row<'_>) -> rusqlite::Result<QuestionRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn survey_questions(c: &Connection) -> StoreResult<Vec<SurveyQuestion>> {
    let mut stmt = c
        .prepare(
            "SELECT question_key, question_text, kind, min_value, max_value, choices
             FROM survey_questions ORDER BY question_key",
        )
        .map_err(db)?;
    let rows = stmt.query_map([], question_from_row).map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let (key, text, kind, min, max, choices) = r.map_err(db)?;
        let kind = match kind.as_str() {
            "scale" => QuestionKind::Scale {
                min: min.unwrap_or(0),
                max: max.unwrap_or(0),
            },
            _ => QuestionKind::Choice {
                choices: serde_json::from_str(&choices)
                    .map_err(|_| corrupt("choices", &choices))?,
            },
        };
        out.push(SurveyQuestion { key, text, kind });
    }
    Ok(out)
}

fn put_survey_question(c: &Connection, q: &SurveyQuestion) -> StoreResult<()> {
    let (kind, min, max, choices) = match &q.kind {
        QuestionKind::Scale { min, max } => ("scale", Some(*min), Some(*max), "[]".to_string()),
        QuestionKind::Choice { choices } => (
            "choice",
            None,
            None,
            serde_json::to_string(choices).map_err(|e| StoreError::Refused(e.to_string()))?,
        ),
    };
    c.execute(
        "INSERT INTO survey_questions (question_key, question_text, kind, min_value, max_value, choices)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (question_key) DO UPDATE SET question_text = excluded.question_text,
           kind = excluded.kind, min_value = excluded.min_value, max_value = excluded.max_value,
           choices = excluded.choices",
        params![q.key, q.text, kind, min, max, choices],
    )
    .map_err(db)?;
    Ok(())
}

fn import_contacts(
    conn: &mut Connection,
    mut rows: Receiver<ContactBatch>,
) -> StoreResult<ContactImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut out = ContactImportOutcome::default();
    {
        let mut known = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM voters WHERE state_voter_id = ?1)")
            .map_err(db)?;
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO contact_events (source, source_event_id, state_voter_id, channel,
                   contacted_at, canvasser, result, reached, tags)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (source, source_event_id) DO NOTHING
                 RETURNING event_id",
            )
            .map_err(db)?;
        let mut answer = tx
            .prepare_cached(
                "INSERT INTO survey_answers (event_id, state_voter_id, question_key, answer, value, answered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )
            .map_err(db)?;
        let mut tag = tx
            .prepare_cached(
                "INSERT INTO voter_tags (state_voter_id, tag, applied_at, source)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )
            .map_err(db)?;
        let mut earlier_tag = tx
            .prepare_cached(
                "UPDATE voter_tags SET applied_at = ?3, source = ?4
                 WHERE state_voter_id = ?1 AND tag = ?2 AND applied_at > ?3",
            )
            .map_err(db)?;
        while let Some(batch) =
            votebase_store::next_rows(rows.blocking_recv()).map_err(StoreError::Aborted)?
        {
            for staged in batch {
                let e = &staged.event;
                let exists: bool = known
                    .query_row([&e.state_voter_id], |r| r.get(0))
                    .map_err(db)?;
                if !exists {
                    out.unknown_voters.push(UnknownContactVoter {
                        line: staged.line,
                        state_voter_id: e.state_voter_id.clone(),
                    });
                    continue;
                }
                if !out.unknown_voters.is_empty() {
                    // Nothing will be written: only keep finding unknown voters.
                    continue;
                }
                let at = ts(e.contacted_at);
                let id: Option<i64> = insert
                    .query_row(
                        params![
                            e.source,
                            e.source_event_id,
                            e.state_voter_id,
                            e.channel.code(),
                            at,
                            e.canvasser,
                            e.result.code(),
                            e.result.reached(),
                            e.tags.join(" "),
                        ],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db)?;
                let Some(id) = id else {
                    out.unchanged += 1;
                    continue;
                };
                out.inserted += 1;
                for a in &e.answers {
                    out.answers += answer
                        .execute(params![
                            id,
                            e.state_voter_id,
                            a.question,
                            a.answer,
                            a.value,
                            at
                        ])
                        .map_err(db)? as i64;
                }
                for t in &e.tags {
                    let n = tag
                        .execute(params![e.state_voter_id, t, at, e.source])
                        .map_err(db)?;
                    if n == 0 {
                        earlier_tag
                            .execute(params![e.state_voter_id, t, at, e.source])
                            .map_err(db)?;
                    }
                    out.new_tags += n as i64;
                }
            }
        }
    }
    if out.unknown_voters.is_empty() {
        tx.commit().map_err(db)?;
    } else {
        out.inserted = 0;
        out.unchanged = 0;
        out.answers = 0;
        out.new_tags = 0;
        tx.rollback().map_err(db)?;
    }
    Ok(out)
}

const EVENT_COLS: &str = "event_id, source, source_event_id, state_voter_id, channel, \
                          contacted_at, canvasser, result, tags";

fn events_where(c: &Connection, filter: &str, args: &[&str]) -> StoreResult<Vec<ContactEvent>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {EVENT_COLS} FROM contact_events WHERE {filter}
             ORDER BY contacted_at DESC, event_id DESC"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })
        .map_err(db)?;
    let mut answers = c
        .prepare_cached(
            "SELECT question_key, answer, value FROM survey_answers WHERE event_id = ?1
             ORDER BY question_key",
        )
        .map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let (id, source, source_event_id, voter, channel, at, canvasser, result, tags) =
            r.map_err(db)?;
        let answers = answers
            .query_map([id], |r| {
                Ok(SurveyAnswer {
                    question: r.get(0)?,
                    answer: r.get(1)?,
                    value: r.get(2)?,
                })
            })
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        out.push(ContactEvent {
            source,
            source_event_id,
            state_voter_id: voter,
            channel: ContactChannel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
            contacted_at: parse_ts(&at)?,
            canvasser,
            result: ContactResult::from_code(&result).ok_or_else(|| corrupt("result", &result))?,
            answers,
            tags: tags.split_whitespace().map(str::to_string).collect(),
        });
    }
    Ok(out)
}

fn voter_tags(c: &Connection, id: &str) -> StoreResult<Vec<VoterTag>> {
    let mut stmt = c
        .prepare(
            "SELECT tag, applied_at, source FROM voter_tags WHERE state_voter_id = ?1 ORDER BY tag",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let (tag, at, source) = r.map_err(db)?;
        out.push(VoterTag {
            tag,
            applied_at: parse_ts(&at)?,
            source,
        });
    }
    Ok(out)
}

fn voter_scores(c: &Connection, id: &str) -> StoreResult<Vec<VoterScore>> {
    let mut stmt = c
        .prepare(
            "SELECT score_name, value FROM voter_scores WHERE state_voter_id = ?1 ORDER BY score_name",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(VoterScore {
                name: r.get(0)?,
                value: r.get(1)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

/// Each voter's latest answer to each question (ties broken by the later event).
const LATEST_ANSWERS: &str = "SELECT state_voter_id, question_key, value FROM (
       SELECT state_voter_id, question_key, value, ROW_NUMBER() OVER (
         PARTITION BY state_voter_id, question_key ORDER BY answered_at DESC, event_id DESC) AS rn
       FROM survey_answers) WHERE rn = 1";

fn latest_answers(c: &Connection, question: &str) -> StoreResult<Vec<(String, i64)>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT state_voter_id, value FROM ({LATEST_ANSWERS}) WHERE question_key = ?1
             ORDER BY state_voter_id"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map([question], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn put_model(c: &Connection, name: &str, model_json: &str) -> StoreResult<()> {
    c.execute(
        "INSERT INTO score_models (score_name, model_json, trained_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (score_name) DO UPDATE SET model_json = excluded.model_json,
           trained_at = excluded.trained_at",
        params![name, model_json, Utc::now().to_rfc3339()],
    )
    .map_err(db)?;
    Ok(())
}

fn replace_scores(
    conn: &mut Connection,
    name: &str,
    model_json: &str,
    scores: &[(String, i64)],
) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    tx.execute("DELETE FROM voter_scores WHERE score_name = ?1", [name])
        .map_err(db)?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO voter_scores (score_name, state_voter_id, value) VALUES (?1, ?2, ?3)",
            )
            .map_err(db)?;
        for (voter, value) in scores {
            if !(0..=100).contains(value) {
                return Err(StoreError::Refused(format!(
                    "score {name} of {voter} is {value}, outside 0..=100"
                )));
            }
            insert.execute(params![name, voter, value]).map_err(db)?;
        }
    }
    put_model(&tx, name, model_json)?;
    tx.commit().map_err(db)
}

fn score_model(c: &Connection, name: &str) -> StoreResult<Option<StoredModel>> {
    let row: Option<(String, String)> = c
        .query_row(
            "SELECT model_json, trained_at FROM score_models WHERE score_name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    row.map(|(model_json, at)| {
        Ok(StoredModel {
            name: name.to_string(),
            model_json,
            trained_at: chrono::DateTime::parse_from_rfc3339(&at)
                .map_err(|_| corrupt("training time", &at))?
                .with_timezone(&Utc),
        })
    })
    .transpose()
}

fn export_facts(
    c: &Connection,
    batch_size: usize,
    out: Sender<Vec<ContactFact>>,
) -> StoreResult<()> {
    let size = batch_size.max(1);
    let mut batch = Vec::with_capacity(size);
    let send = |batch: &mut Vec<ContactFact>, force: bool| -> bool {
        if (force && !batch.is_empty()) || batch.len() >= size {
            return out.blocking_send(std::mem::take(batch)).is_ok();
        }
        true
    };
    let queries: [&str; 4] = [
        "SELECT state_voter_id, tag FROM voter_tags",
        LATEST_ANSWERS,
        "SELECT state_voter_id, channel, substr(contacted_at, 1, 10), reached FROM contact_events",
        "SELECT state_voter_id, score_name, value FROM voter_scores",
    ];
    for (kind, sql) in queries.iter().enumerate() {
        let mut stmt = c.prepare(sql).map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            let voter: String = r.get(0).map_err(db)?;
            let fact = match kind {
                0 => ContactFact::Tag {
                    voter,
                    tag: r.get(1).map_err(db)?,
                },
                1 => ContactFact::Answer {
                    voter,
                    question: r.get(1).map_err(db)?,
                    value: r.get(2).map_err(db)?,
                },
                2 => {
                    let channel: String = r.get(1).map_err(db)?;
                    let day: String = r.get(2).map_err(db)?;
                    ContactFact::Contact {
                        voter,
                        channel: ContactChannel::parse(&channel)
                            .ok_or_else(|| corrupt("channel", &channel))?,
                        date: NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                            .map_err(|_| corrupt("contact day", &day))?,
                        reached: r.get(3).map_err(db)?,
                    }
                }
                _ => ContactFact::Score {
                    voter,
                    name: r.get(1).map_err(db)?,
                    value: r.get(2).map_err(db)?,
                },
            };
            batch.push(fact);
            if !send(&mut batch, false) {
                return Ok(());
            }
        }
    }
    send(&mut batch, true);
    Ok(())
}

fn idempotent_response(
    c: &Connection,
    user: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    c.query_row(
        "SELECT request_sha256, status, body FROM idempotency_keys
         WHERE user_name = ?1 AND idempotency_key = ?2",
        [user, key],
        |r| {
            Ok(IdempotentResponse {
                request_sha256: r.get(0)?,
                status: r.get::<_, i64>(1)? as u16,
                body: r.get(2)?,
            })
        },
    )
    .optional()
    .map_err(db)
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn survey_questions(&self) -> StoreResult<Vec<SurveyQuestion>> {
        self.with_conn(|c| survey_questions(c)).await
    }

    async fn put_survey_question(&self, question: &SurveyQuestion) -> StoreResult<()> {
        let q = question.clone();
        self.with_conn(move |c| put_survey_question(c, &q)).await
    }

    async fn import_contacts(
        &self,
        rows: Receiver<ContactBatch>,
    ) -> StoreResult<ContactImportOutcome> {
        self.with_conn(move |c| import_contacts(c, rows)).await
    }

    async fn contact_event(
        &self,
        source: &str,
        source_event_id: &str,
    ) -> StoreResult<Option<ContactEvent>> {
        let (s, e) = (source.to_string(), source_event_id.to_string());
        self.with_conn(move |c| {
            Ok(
                events_where(c, "source = ?1 AND source_event_id = ?2", &[&s, &e])?
                    .into_iter()
                    .next(),
            )
        })
        .await
    }

    async fn voter_contacts(&self, state_voter_id: &str) -> StoreResult<Vec<ContactEvent>> {
        let id = state_voter_id.to_string();
        self.with_conn(move |c| events_where(c, "state_voter_id = ?1", &[&id]))
            .await
    }

    async fn voter_tags(&self, state_voter_id: &str) -> StoreResult<Vec<VoterTag>> {
        let id = state_voter_id.to_string();
        self.with_conn(move |c| voter_tags(c, &id)).await
    }

    async fn voter_scores(&self, state_voter_id: &str) -> StoreResult<Vec<VoterScore>> {
        let id = state_voter_id.to_string();
        self.with_conn(move |c| voter_scores(c, &id)).await
    }

    async fn latest_answers(&self, question: &str) -> StoreResult<Vec<(String, i64)>> {
        let q = question.to_string();
        self.with_conn(move |c| latest_answers(c, &q)).await
    }

    async fn replace_scores(
        &self,
        name: &str,
        model_json: &str,
        scores: &[(String, i64)],
    ) -> StoreResult<()> {
        let (n, m, s) = (name.to_string(), model_json.to_string(), scores.to_vec());
        self.with_conn(move |c| replace_scores(c, &n, &m, &s)).await
    }

    async fn put_score_model(&self, name: &str, model_json: &str) -> StoreResult<()> {
        let (n, m) = (name.to_string(), model_json.to_string());
        self.with_conn(move |c| put_model(c, &n, &m)).await
    }

    async fn score_model(&self, name: &str) -> StoreResult<Option<StoredModel>> {
        let n = name.to_string();
        self.with_conn(move |c| score_model(c, &n)).await
    }

    async fn export_contact_facts(
        &self,
        batch_size: usize,
        out: Sender<Vec<ContactFact>>,
    ) -> StoreResult<()> {
        self.with_conn(move |c| export_facts(c, batch_size, out))
            .await
    }

    async fn idempotent_response(
        &self,
        user: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let (u, k) = (user.to_string(), key.to_string());
        self.with_conn(move |c| idempotent_response(c, &u, &k))
            .await
    }

    async fn put_idempotent_response(
        &self,
        user: &str,
        key: &str,
        response: &IdempotentResponse,
    ) -> StoreResult<IdempotentResponse> {
        let (u, k, r) = (user.to_string(), key.to_string(), response.clone());
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO idempotency_keys (user_name, idempotency_key, request_sha256, status, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![u, k, r.request_sha256, r.status as i64, r.body, Utc::now().to_rfc3339()],
            )
            .map_err(db)?;
            idempotent_response(c, &u, &k)?
                .ok_or_else(|| StoreError::Database("idempotency key vanished".into()))
        })
        .await
    }
}
