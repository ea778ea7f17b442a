//! Contact history (door knocks, calls, texts, ad exposures), survey questions and
//! answers, tags (activist codes), scores and the contacts API's idempotency keys, on
//! PostgreSQL. A load streams events with `COPY` into a temporary staging table (answers
//! into a second one), refuses the whole load when any voter is missing from the voter
//! file, then inserts new (source, source event id) pairs with set-based SQL; scores are
//! replaced with one `COPY`. Every call is one transaction.

use crate::{PgStore, copy, db};
use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::mpsc::{Receiver, Sender};
use votebase_domain::contacts::{
    ContactChannel, ContactEvent, ContactResult, QuestionKind, SurveyAnswer, SurveyQuestion,
};
use votebase_store::contacts::{
    ContactBatch, ContactFact, ContactImportOutcome, ContactStore, IdempotentResponse, StoredModel,
    UnknownContactVoter, VoterScore, VoterTag,
};
use votebase_store::{StoreError, StoreResult};

/// Bytes of COPY text buffered before they are sent.
const COPY_CHUNK: usize = 4 << 20;

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("stored {what} {v:?}"))
}

async fn exec(c: &mut PgConnection, sql: &str) -> StoreResult<u64> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        .map_err(db)
}

fn timestamp(buf: &mut Vec<u8>, t: NaiveDateTime) {
    copy::text(buf, &t.format("%Y-%m-%d %H:%M:%S").to_string());
}

async fn survey_questions(c: &mut PgConnection) -> StoreResult<Vec<SurveyQuestion>> {
    let rows = sqlx::query(
        "SELECT question_key, question_text, kind, min_value, max_value, choices
         FROM survey_questions ORDER BY question_key",
    )
    .fetch_all(c)
    .await
    .map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let kind: String = r.try_get(2).map_err(db)?;
        let choices: String = r.try_get(5).map_err(db)?;
        let kind = match kind.as_str() {
            "scale" => QuestionKind::Scale {
                min: r.try_get::<Option<i64>, _>(3).map_err(db)?.unwrap_or(0),
                max: r.try_get::<Option<i64>, _>(4).map_err(db)?.unwrap_or(0),
            },
            _ => QuestionKind::Choice {
                choices: serde_json::from_str(&choices)
                    .map_err(|_| corrupt("choices", &choices))?,
            },
        };
        out.push(SurveyQuestion {
            key: r.try_get(0).map_err(db)?,
            text: r.try_get(1).map_err(db)?,
            kind,
        });
    }
    Ok(out)
}

async fn put_survey_question(c: &mut PgConnection, q: &SurveyQuestion) -> StoreResult<()> {
    let (kind, min, max, choices) = match &q.kind {
        QuestionKind::Scale { min, max } => ("scale", Some(*min), Some(*max), "[]".to_string()),
        QuestionKind::Choice { choices } => (
            "choice",
            None,
            None,
            serde_json::to_string(choices).map_err(|e| StoreError::Refused(e.to_string()))?,
        ),
    };
    sqlx::query(
        "INSERT INTO survey_questions (question_key, question_text, kind, min_value, max_value, choices)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (question_key) DO UPDATE SET question_text = excluded.question_text,
           kind = excluded.kind, min_value = excluded.min_value, max_value = excluded.max_value,
           choices = excluded.choices",
    )
    .bind(&q.key)
    .bind(&q.text)
    .bind(kind)
    .bind(min)
    .bind(max)
    .bind(choices)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

const STAGING_COLS: &str = "line, source, source_event_id, state_voter_id, channel, contacted_at, \
                            canvasser, result, reached, tags";

async fn import_contacts(
    pool: &PgPool,
    mut rows: Receiver<ContactBatch>,
) -> StoreResult<ContactImportOutcome> {
    let mut tx = pool.begin().await.map_err(db)?;
    exec(
        &mut tx,
        "CREATE TEMP TABLE contact_staging (
           line BIGINT NOT NULL, source TEXT NOT NULL, source_event_id TEXT NOT NULL,
           state_voter_id TEXT NOT NULL, channel TEXT NOT NULL, contacted_at TIMESTAMP NOT NULL,
           canvasser TEXT NOT NULL, result TEXT NOT NULL, reached BOOLEAN NOT NULL,
           tags TEXT NOT NULL) ON COMMIT DROP;
         CREATE TEMP TABLE answer_staging (
           source TEXT NOT NULL, source_event_id TEXT NOT NULL, question_key TEXT NOT NULL,
           answer TEXT NOT NULL, value BIGINT NOT NULL) ON COMMIT DROP;
         CREATE TEMP TABLE new_events (
           event_id BIGINT NOT NULL, source TEXT NOT NULL, source_event_id TEXT NOT NULL,
           state_voter_id TEXT NOT NULL, contacted_at TIMESTAMP NOT NULL, tags TEXT NOT NULL)
           ON COMMIT DROP;",
    )
    .await?;
    let mut copy_in = tx
        .copy_in_raw(&format!("COPY contact_staging ({STAGING_COLS}) FROM STDIN"))
        .await
        .map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + (64 << 10));
    let mut answers: Vec<u8> = Vec::new();
    loop {
        let batch = match votebase_store::next_rows(rows.recv().await) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(why) => {
                copy_in.abort(why.clone()).await.map_err(db)?;
                tx.rollback().await.map_err(db)?;
                return Err(StoreError::Aborted(why));
            }
        };
        for s in &batch {
            let e = &s.event;
            copy::int(&mut buf, s.line as i64);
            for f in [&e.source, &e.source_event_id, &e.state_voter_id] {
                buf.push(b'\t');
                copy::text(&mut buf, f);
            }
            buf.push(b'\t');
            copy::text(&mut buf, e.channel.code());
            buf.push(b'\t');
            timestamp(&mut buf, e.contacted_at);
            buf.push(b'\t');
            copy::text(&mut buf, &e.canvasser);
            buf.push(b'\t');
            copy::text(&mut buf, e.result.code());
            buf.push(b'\t');
            buf.extend_from_slice(if e.result.reached() { b"t" } else { b"f" });
            buf.push(b'\t');
            copy::text(&mut buf, &e.tags.join(" "));
            buf.push(b'\n');
            for a in &e.answers {
                for f in [&e.source, &e.source_event_id, &a.question, &a.answer] {
                    copy::text(&mut answers, f);
                    answers.push(b'\t');
                }
                copy::int(&mut answers, a.value);
                answers.push(b'\n');
            }
            if buf.len() >= COPY_CHUNK {
                copy_in.send(buf.as_slice()).await.map_err(db)?;
                buf.clear();
            }
        }
    }
    if !buf.is_empty() {
        copy_in.send(buf.as_slice()).await.map_err(db)?;
    }
    let total = copy_in.finish().await.map_err(db)? as i64;
    if !answers.is_empty() {
        let mut copy_in = tx
            .copy_in_raw(
                "COPY answer_staging (source, source_event_id, question_key, answer, value) FROM STDIN",
            )
            .await
            .map_err(db)?;
        for chunk in answers.chunks(COPY_CHUNK) {
            copy_in.send(chunk).await.map_err(db)?;
        }
        copy_in.finish().await.map_err(db)?;
    }
    let unknown: Vec<(i64, String)> = sqlx::query_as(
        "SELECT s.line, s.state_voter_id FROM contact_staging s
         WHERE NOT EXISTS (SELECT 1 FROM voters v WHERE v.state_voter_id = s.state_voter_id)
         ORDER BY s.line",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    if !unknown.is_empty() {
        tx.rollback().await.map_err(db)?;
        return Ok(ContactImportOutcome {
            unknown_voters: unknown
                .into_iter()
                .map(|(line, state_voter_id)| UnknownContactVoter {
                    line: line as u64,
                    state_voter_id,
                })
                .collect(),
            ..Default::default()
        });
    }
    let inserted = exec(
        &mut tx,
        "WITH ins AS (
           INSERT INTO contact_events (source, source_event_id, state_voter_id, channel,
             contacted_at, canvasser, result, reached, tags)
           SELECT DISTINCT ON (source, source_event_id) source, source_event_id, state_voter_id,
             channel, contacted_at, canvasser, result, reached, tags
           FROM contact_staging ORDER BY source, source_event_id, line
           ON CONFLICT (source, source_event_id) DO NOTHING
           RETURNING event_id, source, source_event_id, state_voter_id, contacted_at, tags)
         INSERT INTO new_events SELECT * FROM ins",
    )
    .await? as i64;
    let answers = exec(
        &mut tx,
        "INSERT INTO survey_answers (event_id, state_voter_id, question_key, answer, value, answered_at)
         SELECT n.event_id, n.state_voter_id, a.question_key, a.answer, a.value, n.contacted_at
         FROM answer_staging a JOIN new_events n
           ON n.source = a.source AND n.source_event_id = a.source_event_id
         ON CONFLICT DO NOTHING",
    )
    .await? as i64;
    let new_tags: i64 = sqlx::query_scalar(
        "WITH up AS (
           INSERT INTO voter_tags (state_voter_id, tag, applied_at, source)
           SELECT DISTINCT ON (n.state_voter_id, t.tag) n.state_voter_id, t.tag, n.contacted_at, n.source
           FROM new_events n CROSS JOIN LATERAL unnest(string_to_array(n.tags, ' ')) AS t(tag)
           WHERE t.tag <> ''
           ORDER BY n.state_voter_id, t.tag, n.contacted_at
           ON CONFLICT (state_voter_id, tag) DO UPDATE
             SET applied_at = excluded.applied_at, source = excluded.source
             WHERE excluded.applied_at < voter_tags.applied_at
           RETURNING (xmax = 0) AS fresh)
         SELECT COUNT(*) FILTER (WHERE fresh) FROM up",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(ContactImportOutcome {
        inserted,
        unchanged: total - inserted,
        answers,
        new_tags,
        unknown_voters: Vec::new(),
    })
}

fn event_from_row(r: &PgRow) -> StoreResult<(i64, ContactEvent)> {
    let channel: String = r.try_get(4).map_err(db)?;
    let result: String = r.try_get(7).map_err(db)?;
    let tags: String = r.try_get(8).map_err(db)?;
    Ok((
        r.try_get(0).map_err(db)?,
        ContactEvent {
            source: r.try_get(1).map_err(db)?,
            source_event_id: r.try_get(2).map_err(db)?,
            state_voter_id: r.try_get(3).map_err(db)?,
            channel: ContactChannel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
            contacted_at: r.try_get(5).map_err(db)?,
            canvasser: r.try_get(6).map_err(db)?,
            result: ContactResult::from_code(&result).ok_or_else(|| corrupt("result", &result))?,
            answers: Vec::new(),
            tags: tags.split_whitespace().map(str::to_string).collect(),
        },
    ))
}

async fn events_where(
    c: &mut PgConnection,
    filter: &str,
    args: &[&str],
) -> StoreResult<Vec<ContactEvent>> {
    let sql = format!(
        "SELECT event_id, source, source_event_id, state_voter_id, channel, contacted_at,
                canvasser, result, tags
         FROM contact_events WHERE {filter} ORDER BY contacted_at DESC, event_id DESC"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a.to_string());
    }
    let rows = q.fetch_all(&mut *c).await.map_err(db)?;
    let mut events = Vec::with_capacity(rows.len());
    for r in &rows {
        events.push(event_from_row(r)?);
    }
    let ids: Vec<i64> = events.iter().map(|(id, _)| *id).collect();
    let answers: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT event_id, question_key, answer, value FROM survey_answers
         WHERE event_id = ANY($1) ORDER BY event_id, question_key",
    )
    .bind(&ids)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    Ok(events
        .into_iter()
        .map(|(id, mut e)| {
            e.answers = answers
                .iter()
                .filter(|a| a.0 == id)
                .map(|(_, q, a, v)| SurveyAnswer {
                    question: q.clone(),
                    answer: a.clone(),
                    value: *v,
                })
                .collect();
            e
        })
        .collect())
}

/// Each voter's latest answer to each question (ties broken by the later event).
const LATEST_ANSWERS: &str = "SELECT DISTINCT ON (state_voter_id, question_key)
       state_voter_id, question_key, value FROM survey_answers
       ORDER BY state_voter_id, question_key, answered_at DESC, event_id DESC";

async fn put_model(c: &mut PgConnection, name: &str, model_json: &str) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO score_models (score_name, model_json, trained_at) VALUES ($1, $2, $3)
         ON CONFLICT (score_name) DO UPDATE SET model_json = excluded.model_json,
           trained_at = excluded.trained_at",
    )
    .bind(name)
    .bind(model_json)
    .bind(Utc::now())
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

async fn replace_scores(
    pool: &PgPool,
    name: &str,
    model_json: &str,
    scores: &[(String, i64)],
) -> StoreResult<()> {
    if let Some((voter, value)) = scores.iter().find(|(_, v)| !(0..=100).contains(v)) {
        return Err(StoreError::Refused(format!(
            "score {name} of {voter} is {value}, outside 0..=100"
        )));
    }
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("DELETE FROM voter_scores WHERE score_name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let mut copy_in = tx
        .copy_in_raw("COPY voter_scores (score_name, state_voter_id, value) FROM STDIN")
        .await
        .map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + (64 << 10));
    for (voter, value) in scores {
        copy::text(&mut buf, name);
        buf.push(b'\t');
        copy::text(&mut buf, voter);
        buf.push(b'\t');
        copy::int(&mut buf, *value);
        buf.push(b'\n');
        if buf.len() >= COPY_CHUNK {
            copy_in.send(buf.as_slice()).await.map_err(db)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy_in.send(buf.as_slice()).await.map_err(db)?;
    }
    copy_in.finish().await.map_err(db)?;
    put_model(&mut tx, name, model_json).await?;
    tx.commit().await.map_err(db)
}

async fn export_facts(
    c: &mut PgConnection,
    batch_size: usize,
    out: Sender<Vec<ContactFact>>,
) -> StoreResult<()> {
    use futures::TryStreamExt;
    let size = batch_size.max(1);
    let mut batch = Vec::with_capacity(size);
    let queries: [&str; 4] = [
        "SELECT state_voter_id, tag, 0::bigint, false FROM voter_tags",
        &format!("SELECT state_voter_id, question_key, value, false FROM ({LATEST_ANSWERS}) a"),
        "SELECT state_voter_id, channel, 0::bigint, reached, contacted_at::date FROM contact_events",
        "SELECT state_voter_id, score_name, value, false FROM voter_scores",
    ];
    for (kind, sql) in queries.iter().enumerate() {
        let mut rows = sqlx::query(AssertSqlSafe(sql.to_string())).fetch(&mut *c);
        while let Some(r) = rows.try_next().await.map_err(db)? {
            let voter: String = r.try_get(0).map_err(db)?;
            let key: String = r.try_get(1).map_err(db)?;
            let value: i64 = r.try_get(2).map_err(db)?;
            let fact = match kind {
                0 => ContactFact::Tag { voter, tag: key },
                1 => ContactFact::Answer {
                    voter,
                    question: key,
                    value,
                },
                2 => ContactFact::Contact {
                    voter,
                    channel: ContactChannel::parse(&key).ok_or_else(|| corrupt("channel", &key))?,
                    date: r.try_get::<NaiveDate, _>(4).map_err(db)?,
                    reached: r.try_get(3).map_err(db)?,
                },
                _ => ContactFact::Score {
                    voter,
                    name: key,
                    value,
                },
            };
            batch.push(fact);
            if batch.len() >= size && out.send(std::mem::take(&mut batch)).await.is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = out.send(batch).await;
    }
    Ok(())
}

async fn idempotent_response(
    c: &mut PgConnection,
    user: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    let row: Option<(String, i32, String)> = sqlx::query_as(
        "SELECT request_sha256, status::int, body FROM idempotency_keys
         WHERE user_name = $1 AND idempotency_key = $2",
    )
    .bind(user)
    .bind(key)
    .fetch_optional(c)
    .await
    .map_err(db)?;
    Ok(
        row.map(|(request_sha256, status, body)| IdempotentResponse {
            request_sha256,
            status: status as u16,
            body,
        }),
    )
}

#[async_trait]
impl ContactStore for PgStore {
    async fn survey_questions(&self) -> StoreResult<Vec<SurveyQuestion>> {
        survey_questions(&mut *self.conn().await?).await
    }

    async fn put_survey_question(&self, question: &SurveyQuestion) -> StoreResult<()> {
        put_survey_question(&mut *self.conn().await?, question).await
    }

    async fn import_contacts(
        &self,
        rows: Receiver<ContactBatch>,
    ) -> StoreResult<ContactImportOutcome> {
        import_contacts(&self.pool, rows).await
    }

    async fn contact_event(
        &self,
        source: &str,
        source_event_id: &str,
    ) -> StoreResult<Option<ContactEvent>> {
        Ok(events_where(
            &mut *self.conn().await?,
            "source = $1 AND source_event_id = $2",
            &[source, source_event_id],
        )
        .await?
        .into_iter()
        .next())
    }

    async fn voter_contacts(&self, state_voter_id: &str) -> StoreResult<Vec<ContactEvent>> {
        events_where(
            &mut *self.conn().await?,
            "state_voter_id = $1",
            &[state_voter_id],
        )
        .await
    }

    async fn voter_tags(&self, state_voter_id: &str) -> StoreResult<Vec<VoterTag>> {
        let rows: Vec<(String, NaiveDateTime, String)> = sqlx::query_as(
            "SELECT tag, applied_at, source FROM voter_tags WHERE state_voter_id = $1 ORDER BY tag",
        )
        .bind(state_voter_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(tag, applied_at, source)| VoterTag {
                tag,
                applied_at,
                source,
            })
            .collect())
    }

    async fn voter_scores(&self, state_voter_id: &str) -> StoreResult<Vec<VoterScore>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT score_name, value FROM voter_scores WHERE state_voter_id = $1 ORDER BY score_name",
        )
        .bind(state_voter_id)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(name, value)| VoterScore { name, value })
            .collect())
    }

    async fn latest_answers(&self, question: &str) -> StoreResult<Vec<(String, i64)>> {
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT state_voter_id, value FROM ({LATEST_ANSWERS}) a WHERE question_key = $1
             ORDER BY state_voter_id"
        )))
        .bind(question)
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)
    }

    async fn replace_scores(
        &self,
        name: &str,
        model_json: &str,
        scores: &[(String, i64)],
    ) -> StoreResult<()> {
        replace_scores(&self.pool, name, model_json, scores).await
    }

    async fn put_score_model(&self, name: &str, model_json: &str) -> StoreResult<()> {
        put_model(&mut *self.conn().await?, name, model_json).await
    }

    async fn score_model(&self, name: &str) -> StoreResult<Option<StoredModel>> {
        let row: Option<(String, chrono::DateTime<Utc>)> =
            sqlx::query_as("SELECT model_json, trained_at FROM score_models WHERE score_name = $1")
                .bind(name)
                .fetch_optional(&mut *self.conn().await?)
                .await
                .map_err(db)?;
        Ok(row.map(|(model_json, trained_at)| StoredModel {
            name: name.to_string(),
            model_json,
            trained_at,
        }))
    }

    async fn export_contact_facts(
        &self,
        batch_size: usize,
        out: Sender<Vec<ContactFact>>,
    ) -> StoreResult<()> {
        export_facts(&mut *self.conn().await?, batch_size, out).await
    }

    async fn idempotent_response(
        &self,
        user: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        idempotent_response(&mut *self.conn().await?, user, key).await
    }

    async fn put_idempotent_response(
        &self,
        user: &str,
        key: &str,
        response: &IdempotentResponse,
    ) -> StoreResult<IdempotentResponse> {
        let mut c = self.conn().await?;
        sqlx::query(
            "INSERT INTO idempotency_keys (user_name, idempotency_key, request_sha256, status, body, created_at)
             VALUES ($1, $2, $3, $4, $5, now()) ON CONFLICT DO NOTHING",
        )
        .bind(user)
        .bind(key)
        .bind(&response.request_sha256)
        .bind(i32::from(response.status))
        .bind(&response.body)
        .execute(&mut *c)
        .await
        .map_err(db)?;
        idempotent_response(&mut c, user, key)
            .await?
            .ok_or_else(|| StoreError::Database("idempotency key vanished".into()))
    }
}
