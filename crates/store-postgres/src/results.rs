//! Election-night results: elections, contests, precincts, chair credentials, and the append-only submission log with its projection, on PostgreSQL.
//! Every write to an election's log takes a transaction-scoped advisory lock on the
//! election, so the log position, the version within a channel and the projection are
//! computed without a race between concurrent submissions; triggers refuse any update or
//! delete of the log.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgConnection;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use votebase_domain::results::{
    Election, LogEntry, NewSubmission, PrecinctResult, Receipt, ResultRules,
};
use votebase_store::results::{
    ChairReadiness, ChairSession, ElectionSummary, NewWorksheet, ResultsStore, SubmitOutcome,
    Worksheet, from_json, prepare_submission, request_hash, reused_client_id, to_json,
};
use votebase_store::{StoreError, StoreResult};

/// Election definitions read by a submission that committed: once an election has a
/// submission its setup can no longer change (`put_election` refuses, under the
/// election's exclusive lock that every submission holds shared), so later submissions
/// take the definition from here instead of reading and parsing it (every precinct of
/// the state) in each transaction.
pub(crate) type FrozenElections = Arc<Mutex<HashMap<String, Arc<Election>>>>;

async fn lock_election(c: &mut PgConnection, schema: &str, slug: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("votebase-results:{schema}:{slug}"))
        .execute(c)
        .await
        .map_err(db)?;
    Ok(())
}

/// A submission's locks: the election's advisory lock shared (setup, rebuilds and
/// worksheets take it exclusively, so the definition cannot change underneath) and the
/// precinct's exclusively, so submissions of different precincts commit in parallel while
/// those of one precinct (versions, projection) are serialised.
async fn lock_precinct(
    c: &mut PgConnection,
    schema: &str,
    slug: &str,
    precinct: &str,
) -> StoreResult<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0)),
                pg_advisory_xact_lock(hashtextextended($2, 0))",
    )
    .bind(format!("votebase-results:{schema}:{slug}"))
    .bind(format!(
        "votebase-results:{schema}:{slug}:precinct:{precinct}"
    ))
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

async fn load_election(c: &mut PgConnection, slug: &str) -> StoreResult<Option<Election>> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT definition::text FROM results_elections WHERE slug = $1")
            .bind(slug)
            .fetch_optional(c)
            .await
            .map_err(db)?;
    text.map(|t| from_json("election definition", &t))
        .transpose()
}

async fn entries_of(
    c: &mut PgConnection,
    election: &str,
    precinct: Option<&str>,
    contest: Option<&str>,
) -> StoreResult<Vec<LogEntry>> {
    // One statement per filter, so that each one uses the (election, precinct, contest, seq) index.
    let sql = match (precinct, contest) {
        (Some(_), Some(_)) => {
            "SELECT seq, submission, receipt FROM results_log
             WHERE election = $1 AND precinct = $2 AND contest = $3 ORDER BY seq"
        }
        (Some(_), None) => {
            "SELECT seq, submission, receipt FROM results_log
             WHERE election = $1 AND precinct = $2 AND $3::text IS NULL ORDER BY seq"
        }
        (None, _) => {
            "SELECT seq, submission, receipt FROM results_log
             WHERE election = $1 AND $2::text IS NULL AND ($3::text IS NULL OR contest = $3)
             ORDER BY seq"
        }
    };
    let rows: Vec<(i64, String, String)> = sqlx::query_as(sql)
        .bind(election)
        .bind(precinct)
        .bind(contest)
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.into_iter()
        .map(|(seq, submission, receipt)| {
            Ok(LogEntry {
                seq,
                submission: from_json("logged submission", &submission)?,
                receipt: from_json("logged receipt", &receipt)?,
            })
        })
        .collect()
}

async fn write_projection(
    c: &mut PgConnection,
    election: &str,
    p: &PrecinctResult,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO results_projection (election, precinct, contest, status, last_seq, result)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (election, precinct, contest) DO UPDATE SET status = EXCLUDED.status,
           last_seq = EXCLUDED.last_seq, result = EXCLUDED.result",
    )
    .bind(election)
    .bind(&p.precinct)
    .bind(&p.contest)
    .bind(p.status.code())
    .bind(p.last_seq)
    .bind(to_json(p)?)
    .execute(c)
    .await
    .map_err(db)?;
    Ok(())
}

type WorksheetRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    DateTime<Utc>,
);

fn worksheet(r: WorksheetRow) -> Worksheet {
    Worksheet {
        id: r.0,
        election: r.1,
        precinct: r.2,
        client_id: r.3,
        content_type: r.4,
        sha256: r.5,
        byte_len: r.6,
        actor: r.7,
        received_at: r.8,
    }
}

async fn find_worksheet(
    c: &mut PgConnection,
    election: &str,
    client_id: &str,
) -> StoreResult<Option<Worksheet>> {
    let row: Option<WorksheetRow> = sqlx::query_as(
        "SELECT id, election, precinct, client_id, content_type, sha256, byte_len, actor, received_at
         FROM results_worksheets WHERE election = $1 AND client_id = $2",
    )
    .bind(election)
    .bind(client_id)
    .fetch_optional(c)
    .await
    .map_err(db)?;
    Ok(row.map(worksheet))
}

#[async_trait]
impl ResultsStore for PgStore {
    async fn put_election(&self, e: &Election) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        lock_election(&mut tx, self.schema(), &e.slug).await?;
        if let Some(old) = load_election(&mut tx, &e.slug).await? {
            if old == *e {
                return Ok(());
            }
            let used: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM results_log WHERE election = $1")
                    .bind(&e.slug)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
            if used > 0 {
                return Err(StoreError::Refused(format!(
                    "election {} already has {used} submissions: its setup can no longer change",
                    e.slug
                )));
            }
        }
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO results_elections (slug, name, election_date, definition, precincts, created_at, updated_at)
             VALUES ($1, $2, $3, $4::jsonb, $5, $6, $6)
             ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, election_date = EXCLUDED.election_date,
               definition = EXCLUDED.definition, precincts = EXCLUDED.precincts, updated_at = EXCLUDED.updated_at",
        )
        .bind(&e.slug)
        .bind(&e.name)
        .bind(e.date)
        .bind(to_json(e)?)
        .bind(e.precincts.len() as i64)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let kept: Vec<String> =
            sqlx::query_scalar("SELECT precinct FROM results_chair_codes WHERE election = $1")
                .bind(&e.slug)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        for p in kept.into_iter().filter(|p| e.precinct(p).is_none()) {
            for sql in [
                "DELETE FROM results_chair_codes WHERE election = $1 AND precinct = $2",
                "DELETE FROM results_chair_tokens WHERE election = $1 AND precinct = $2",
            ] {
                sqlx::query(sql)
                    .bind(&e.slug)
                    .bind(&p)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
        }
        tx.commit().await.map_err(db)
    }

    async fn election(&self, slug: &str) -> StoreResult<Option<Election>> {
        let frozen = self
            .frozen_elections
            .lock()
            .map_err(|_| StoreError::Database("election cache poisoned".into()))?
            .get(slug)
            .map(|e| Election::clone(e));
        if frozen.is_some() {
            return Ok(frozen);
        }
        let mut c = self.conn().await?;
        load_election(&mut c, slug).await
    }

    async fn elections(&self) -> StoreResult<Vec<ElectionSummary>> {
        let rows: Vec<(String, String, NaiveDate, i64, i64)> = sqlx::query_as(
            "SELECT e.slug, e.name, e.election_date, e.precincts,
                    (SELECT COUNT(*) FROM results_log l WHERE l.election = e.slug)
             FROM results_elections e ORDER BY e.election_date DESC, e.slug",
        )
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(
                |(slug, name, date, precincts, submissions)| ElectionSummary {
                    slug,
                    name,
                    date,
                    precincts,
                    submissions,
                },
            )
            .collect())
    }

    async fn set_chair_codes(
        &self,
        election: &str,
        codes: &[(String, String)],
        issued_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let e = load_election(&mut tx, election)
            .await?
            .ok_or_else(|| StoreError::Refused(format!("no election {election:?}")))?;
        for (precinct, sha) in codes {
            if e.precinct(precinct).is_none() {
                return Err(StoreError::Refused(format!(
                    "precinct {precinct:?} is not in election {election}"
                )));
            }
            sqlx::query("DELETE FROM results_chair_tokens WHERE election = $1 AND precinct = $2")
                .bind(election)
                .bind(precinct)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(
                "INSERT INTO results_chair_codes (election, precinct, code_sha256, issued_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (election, precinct) DO UPDATE SET code_sha256 = EXCLUDED.code_sha256,
                   issued_at = EXCLUDED.issued_at, first_sign_in = NULL, last_sign_in = NULL, sign_ins = 0",
            )
            .bind(election)
            .bind(precinct)
            .bind(sha)
            .bind(issued_at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn chair_sign_in(
        &self,
        election: &str,
        code_sha256: &str,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        let precinct: Option<String> = sqlx::query_scalar(
            "UPDATE results_chair_codes SET first_sign_in = COALESCE(first_sign_in, $3),
               last_sign_in = $3, sign_ins = sign_ins + 1
             WHERE election = $1 AND code_sha256 = $2 RETURNING precinct",
        )
        .bind(election)
        .bind(code_sha256)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(p) = &precinct {
            sqlx::query(
                "INSERT INTO results_chair_tokens (token_sha256, election, precinct, created_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_sha256)
            .bind(election)
            .bind(p)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(precinct)
    }

    async fn chair_for_token(&self, token_sha256: &str) -> StoreResult<Option<ChairSession>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT election, precinct FROM results_chair_tokens WHERE token_sha256 = $1",
        )
        .bind(token_sha256)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        Ok(row.map(|(election, precinct)| ChairSession { election, precinct }))
    }

    async fn chair_readiness(&self, election: &str) -> StoreResult<Vec<ChairReadiness>> {
        type Row = (
            String,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT precinct, issued_at, first_sign_in, last_sign_in, sign_ins
             FROM results_chair_codes WHERE election = $1 ORDER BY precinct COLLATE \"C\"",
        )
        .bind(election)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|r| ChairReadiness {
                precinct: r.0,
                code_issued_at: r.1,
                first_sign_in: r.2,
                last_sign_in: r.3,
                sign_ins: r.4,
            })
            .collect())
    }

    async fn submit_result(
        &self,
        rules: Arc<dyn ResultRules>,
        sub: NewSubmission,
    ) -> StoreResult<SubmitOutcome> {
        let rules = rules.as_ref();
        let r = &sub.request;
        let hash = request_hash(&sub);
        let mut tx = self.pool().begin().await.map_err(db)?;
        lock_precinct(&mut tx, self.schema(), &r.election, &r.precinct).await?;
        let known: Option<(String, String)> = sqlx::query_as(
            "SELECT request_hash, receipt FROM results_log WHERE election = $1 AND client_id = $2",
        )
        .bind(&r.election)
        .bind(&r.client_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if let Some((stored_hash, receipt)) = known {
            if stored_hash != hash {
                return Err(reused_client_id(&r.client_id));
            }
            let receipt: Receipt = from_json("logged receipt", &receipt)?;
            return Ok(SubmitOutcome {
                receipt,
                replayed: true,
            });
        }
        let frozen = self
            .frozen_elections
            .lock()
            .map_err(|_| StoreError::Database("election cache poisoned".into()))?
            .get(&r.election)
            .cloned();
        let election = match frozen {
            Some(e) => e,
            None => Arc::new(
                load_election(&mut tx, &r.election)
                    .await?
                    .ok_or_else(|| StoreError::Refused(format!("no election {:?}", r.election)))?,
            ),
        };
        // The log position and this channel's next version in one round trip (the
        // precinct's lock is held: no other submission of it can count in between).
        let (seq, version): (i64, i64) = sqlx::query_as(
            "SELECT nextval('results_log_seq'), (SELECT COUNT(*) + 1 FROM results_log
             WHERE election = $1 AND precinct = $2 AND contest = $3 AND channel = $4)",
        )
        .bind(&r.election)
        .bind(&r.precinct)
        .bind(&r.contest)
        .bind(sub.channel.code())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let receipt = prepare_submission(rules, &election, &sub, seq, version as u32);
        sqlx::query(
            "INSERT INTO results_log (seq, election, client_id, precinct, contest, channel, version,
               request_hash, submission, receipt, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(seq)
        .bind(&r.election)
        .bind(&r.client_id)
        .bind(&r.precinct)
        .bind(&r.contest)
        .bind(sub.channel.code())
        .bind(version as i32)
        .bind(&hash)
        .bind(to_json(&sub)?)
        .bind(to_json(&receipt)?)
        .bind(sub.received_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let entries = entries_of(&mut tx, &r.election, Some(&r.precinct), Some(&r.contest)).await?;
        let projection = rules.project(&election, &r.precinct, &r.contest, &entries);
        write_projection(&mut tx, &r.election, &projection).await?;
        tx.commit().await.map_err(db)?;
        // Committed: the election has a submission, so its setup is fixed from now on.
        if let Ok(mut frozen) = self.frozen_elections.lock() {
            frozen.entry(r.election.clone()).or_insert(election);
        }
        Ok(SubmitOutcome {
            receipt,
            replayed: false,
        })
    }

    async fn result_log(
        &self,
        election: &str,
        precinct: Option<&str>,
    ) -> StoreResult<Vec<LogEntry>> {
        let mut c = self.conn().await?;
        entries_of(&mut c, election, precinct, None).await
    }

    async fn precinct_results(&self, election: &str) -> StoreResult<Vec<PrecinctResult>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT result FROM results_projection WHERE election = $1
             ORDER BY precinct COLLATE \"C\", contest COLLATE \"C\"",
        )
        .bind(election)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        rows.iter().map(|t| from_json("projection", t)).collect()
    }

    async fn rebuild_results(
        &self,
        rules: Arc<dyn ResultRules>,
        election: &str,
    ) -> StoreResult<usize> {
        let rules = rules.as_ref();
        let mut tx = self.pool().begin().await.map_err(db)?;
        lock_election(&mut tx, self.schema(), election).await?;
        let e = load_election(&mut tx, election)
            .await?
            .ok_or_else(|| StoreError::Refused(format!("no election {election:?}")))?;
        sqlx::query("DELETE FROM results_projection WHERE election = $1")
            .bind(election)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let mut groups: BTreeMap<(String, String), Vec<LogEntry>> = BTreeMap::new();
        for entry in entries_of(&mut tx, election, None, None).await? {
            let key = (
                entry.submission.request.precinct.clone(),
                entry.submission.request.contest.clone(),
            );
            groups.entry(key).or_default().push(entry);
        }
        let n = groups.len();
        for ((precinct, contest), entries) in groups {
            write_projection(
                &mut tx,
                election,
                &rules.project(&e, &precinct, &contest, &entries),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(n)
    }

    async fn add_worksheet(&self, w: NewWorksheet) -> StoreResult<(Worksheet, bool)> {
        let mut tx = self.pool().begin().await.map_err(db)?;
        lock_election(&mut tx, self.schema(), &w.election).await?;
        if let Some(old) = find_worksheet(&mut tx, &w.election, &w.client_id).await? {
            if old.sha256 != w.sha256 || old.precinct != w.precinct {
                return Err(reused_client_id(&w.client_id));
            }
            return Ok((old, true));
        }
        sqlx::query(
            "INSERT INTO results_worksheets (election, precinct, client_id, content_type, sha256,
               byte_len, bytes, actor, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&w.election)
        .bind(&w.precinct)
        .bind(&w.client_id)
        .bind(&w.content_type)
        .bind(&w.sha256)
        .bind(w.bytes.len() as i64)
        .bind(&w.bytes)
        .bind(&w.actor)
        .bind(w.received_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let stored = find_worksheet(&mut tx, &w.election, &w.client_id)
            .await?
            .ok_or_else(|| StoreError::Database("worksheet vanished".into()))?;
        tx.commit().await.map_err(db)?;
        Ok((stored, false))
    }

    async fn worksheets(
        &self,
        election: &str,
        precinct: Option<&str>,
    ) -> StoreResult<Vec<Worksheet>> {
        let rows: Vec<WorksheetRow> = sqlx::query_as(
            "SELECT id, election, precinct, client_id, content_type, sha256, byte_len, actor, received_at
             FROM results_worksheets WHERE election = $1 AND ($2::text IS NULL OR precinct = $2)
             ORDER BY id",
        )
        .bind(election)
        .bind(precinct)
        .fetch_all(self.pool())
        .await
        .map_err(db)?;
        Ok(rows.into_iter().map(worksheet).collect())
    }

    async fn worksheet_bytes(
        &self,
        election: &str,
        id: i64,
    ) -> StoreResult<Option<(Worksheet, Vec<u8>)>> {
        let row: Option<(
            i64,
            String,
            String,
            String,
            String,
            String,
            i64,
            String,
            DateTime<Utc>,
            Vec<u8>,
        )> = sqlx::query_as(
            "SELECT id, election, precinct, client_id, content_type, sha256, byte_len, actor,
                        received_at, bytes
                 FROM results_worksheets WHERE election = $1 AND id = $2",
        )
        .bind(election)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(db)?;
        Ok(row.map(|r| {
            (
                worksheet((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8)),
                r.9,
            )
        }))
    }
}
