//! Election-night results: elections, contests, precincts, chair credentials, and the append-only submission log with its projection, on SQLite.
//! Writes take the database's write lock at the start (`BEGIN IMMEDIATE`), so the next
//! log position, the version within a channel and the projection are computed without
//! a race; triggers refuse any update or delete of the log.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::collections::BTreeMap;
use std::sync::Arc;
use votebase_domain::results::{
    Election, LogEntry, NewSubmission, PrecinctResult, Receipt, ResultRules,
};
use votebase_store::results::{
    ChairReadiness, ChairSession, ElectionSummary, NewWorksheet, ResultsStore, SubmitOutcome,
    Worksheet, from_json, prepare_submission, request_hash, reused_client_id, to_json,
};
use votebase_store::{StoreError, StoreResult};

fn load_election(c: &Connection, slug: &str) -> StoreResult<Option<Election>> {
    let text: Option<String> = c
        .query_row(
            "SELECT definition FROM results_elections WHERE slug = ?1",
            [slug],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    text.map(|t| from_json("election definition", &t))
        .transpose()
}

fn put_election(c: &mut Connection, e: &Election) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    if let Some(old) = load_election(&tx, &e.slug)? {
        let used: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM results_log WHERE election = ?1",
                [&e.slug],
                |r| r.get(0),
            )
            .map_err(db)?;
        if old == *e {
            return Ok(());
        }
        if used > 0 {
            return Err(StoreError::Refused(format!(
                "election {} already has {used} submissions: its setup can no longer change",
                e.slug
            )));
        }
    }
    let now = Utc::now();
    tx.execute(
        "INSERT INTO results_elections (slug, name, election_date, definition, precincts, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (slug) DO UPDATE SET name = excluded.name, election_date = excluded.election_date,
           definition = excluded.definition, precincts = excluded.precincts, updated_at = excluded.updated_at",
        params![e.slug, e.name, e.date.to_string(), to_json(e)?, e.precincts.len() as i64, now],
    )
    .map_err(db)?;
    let kept: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT precinct FROM results_chair_codes WHERE election = ?1")
            .map_err(db)?;
        let rows = stmt.query_map([&e.slug], |r| r.get(0)).map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)?
    };
    for p in kept {
        if e.precinct(&p).is_none() {
            tx.execute(
                "DELETE FROM results_chair_codes WHERE election = ?1 AND precinct = ?2",
                params![e.slug, p],
            )
            .map_err(db)?;
            tx.execute(
                "DELETE FROM results_chair_tokens WHERE election = ?1 AND precinct = ?2",
                params![e.slug, p],
            )
            .map_err(db)?;
        }
    }
    tx.commit().map_err(db)
}

fn elections(c: &Connection) -> StoreResult<Vec<ElectionSummary>> {
    let mut stmt = c
        .prepare(
            "SELECT e.slug, e.name, e.election_date, e.precincts,
                    (SELECT COUNT(*) FROM results_log l WHERE l.election = e.slug)
             FROM results_elections e ORDER BY e.election_date DESC, e.slug",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (slug, name, date, precincts, submissions) = row.map_err(db)?;
        out.push(ElectionSummary {
            slug,
            name,
            date: date
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("election date {date}: {e}")))?,
            precincts,
            submissions,
        });
    }
    Ok(out)
}

fn set_chair_codes(
    c: &mut Connection,
    election: &str,
    codes: &[(String, String)],
    issued_at: DateTime<Utc>,
) -> StoreResult<()> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let e = load_election(&tx, election)?
        .ok_or_else(|| StoreError::Refused(format!("no election {election:?}")))?;
    for (precinct, sha) in codes {
        if e.precinct(precinct).is_none() {
            return Err(StoreError::Refused(format!(
                "precinct {precinct:?} is not in election {election}"
            )));
        }
        tx.execute(
            "DELETE FROM results_chair_tokens WHERE election = ?1 AND precinct = ?2",
            params![election, precinct],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO results_chair_codes (election, precinct, code_sha256, issued_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (election, precinct) DO UPDATE SET code_sha256 = excluded.code_sha256,
               issued_at = excluded.issued_at, first_sign_in = NULL, last_sign_in = NULL, sign_ins = 0",
            params![election, precinct, sha, issued_at],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)
}

fn chair_sign_in(
    c: &mut Connection,
    election: &str,
    code_sha: &str,
    token_sha: &str,
    at: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let precinct: Option<String> = tx
        .query_row(
            "SELECT precinct FROM results_chair_codes WHERE election = ?1 AND code_sha256 = ?2",
            params![election, code_sha],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    if let Some(p) = &precinct {
        tx.execute(
            "UPDATE results_chair_codes SET first_sign_in = COALESCE(first_sign_in, ?3),
               last_sign_in = ?3, sign_ins = sign_ins + 1 WHERE election = ?1 AND precinct = ?2",
            params![election, p, at],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO results_chair_tokens (token_sha256, election, precinct, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![token_sha, election, p, at],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(precinct)
}

fn chair_for_token(c: &Connection, token_sha: &str) -> StoreResult<Option<ChairSession>> {
    c.query_row(
        "SELECT election, precinct FROM results_chair_tokens WHERE token_sha256 = ?1",
        [token_sha],
        |r| {
            Ok(ChairSession {
                election: r.get(0)?,
                precinct: r.get(1)?,
            })
        },
    )
    .optional()
    .map_err(db)
}

fn chair_readiness(c: &Connection, election: &str) -> StoreResult<Vec<ChairReadiness>> {
    let mut stmt = c
        .prepare(
            "SELECT precinct, issued_at, first_sign_in, last_sign_in, sign_ins
             FROM results_chair_codes WHERE election = ?1 ORDER BY precinct",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([election], |r| {
            Ok(ChairReadiness {
                precinct: r.get(0)?,
                code_issued_at: r.get(1)?,
                first_sign_in: r.get(2)?,
                last_sign_in: r.get(3)?,
                sign_ins: r.get(4)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn entries_of(
    c: &Connection,
    election: &str,
    precinct: Option<&str>,
    contest: Option<&str>,
) -> StoreResult<Vec<LogEntry>> {
    // One statement per filter, so that each one uses the (election, precinct, contest, seq) index.
    let sql = match (precinct, contest) {
        (Some(_), Some(_)) => {
            "SELECT seq, submission, receipt FROM results_log
             WHERE election = ?1 AND precinct = ?2 AND contest = ?3 ORDER BY seq"
        }
        (Some(_), None) => {
            "SELECT seq, submission, receipt FROM results_log
             WHERE election = ?1 AND precinct = ?2 AND ?3 IS NULL ORDER BY seq"
        }
        (None, _) => {
            "SELECT seq, submission, receipt FROM results_log
             WHERE election = ?1 AND ?2 IS NULL AND (?3 IS NULL OR contest = ?3) ORDER BY seq"
        }
    };
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(params![election, precinct, contest], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, submission, receipt) = row.map_err(db)?;
        out.push(LogEntry {
            seq,
            submission: from_json("logged submission", &submission)?,
            receipt: from_json("logged receipt", &receipt)?,
        });
    }
    Ok(out)
}

fn write_projection(tx: &Transaction<'_>, election: &str, p: &PrecinctResult) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO results_projection (election, precinct, contest, status, last_seq, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (election, precinct, contest) DO UPDATE SET status = excluded.status,
           last_seq = excluded.last_seq, result = excluded.result",
        params![
            election,
            p.precinct,
            p.contest,
            p.status.code(),
            p.last_seq,
            to_json(p)?
        ],
    )
    .map_err(db)?;
    Ok(())
}

fn submit_result(
    c: &mut Connection,
    rules: &dyn ResultRules,
    sub: NewSubmission,
) -> StoreResult<SubmitOutcome> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let r = &sub.request;
    let hash = request_hash(&sub);
    let known: Option<(String, String)> = tx
        .query_row(
            "SELECT request_hash, receipt FROM results_log WHERE election = ?1 AND client_id = ?2",
            params![r.election, r.client_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
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
    let election = load_election(&tx, &r.election)?
        .ok_or_else(|| StoreError::Refused(format!("no election {:?}", r.election)))?;
    let seq: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM results_log",
            [],
            |row| row.get(0),
        )
        .map_err(db)?;
    let version: i64 = tx
        .query_row(
            "SELECT COUNT(*) + 1 FROM results_log
             WHERE election = ?1 AND precinct = ?2 AND contest = ?3 AND channel = ?4",
            params![r.election, r.precinct, r.contest, sub.channel.code()],
            |row| row.get(0),
        )
        .map_err(db)?;
    let receipt = prepare_submission(rules, &election, &sub, seq, version as u32);
    tx.execute(
        "INSERT INTO results_log (seq, election, client_id, precinct, contest, channel, version,
           request_hash, submission, receipt, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            seq,
            r.election,
            r.client_id,
            r.precinct,
            r.contest,
            sub.channel.code(),
            version,
            hash,
            to_json(&sub)?,
            to_json(&receipt)?,
            sub.received_at
        ],
    )
    .map_err(db)?;
    let entries = entries_of(&tx, &r.election, Some(&r.precinct), Some(&r.contest))?;
    let projection = rules.project(&election, &r.precinct, &r.contest, &entries);
    write_projection(&tx, &r.election, &projection)?;
    tx.commit().map_err(db)?;
    Ok(SubmitOutcome {
        receipt,
        replayed: false,
    })
}

fn precinct_results(c: &Connection, election: &str) -> StoreResult<Vec<PrecinctResult>> {
    let mut stmt = c
        .prepare(
            "SELECT result FROM results_projection WHERE election = ?1 ORDER BY precinct, contest",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([election], |r| r.get::<_, String>(0))
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(from_json("projection", &row.map_err(db)?)?);
    }
    Ok(out)
}

fn rebuild_results(
    c: &mut Connection,
    rules: &dyn ResultRules,
    election: &str,
) -> StoreResult<usize> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let e = load_election(&tx, election)?
        .ok_or_else(|| StoreError::Refused(format!("no election {election:?}")))?;
    tx.execute(
        "DELETE FROM results_projection WHERE election = ?1",
        [election],
    )
    .map_err(db)?;
    let mut groups: BTreeMap<(String, String), Vec<LogEntry>> = BTreeMap::new();
    for entry in entries_of(&tx, election, None, None)? {
        let key = (
            entry.submission.request.precinct.clone(),
            entry.submission.request.contest.clone(),
        );
        groups.entry(key).or_default().push(entry);
    }
    let n = groups.len();
    for ((precinct, contest), entries) in groups {
        write_projection(
            &tx,
            election,
            &rules.project(&e, &precinct, &contest, &entries),
        )?;
    }
    tx.commit().map_err(db)?;
    Ok(n)
}

const WORKSHEET_COLUMNS: &str =
    "id, election, precinct, client_id, content_type, sha256, byte_len, actor, received_at";

fn worksheet_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Worksheet> {
    Ok(Worksheet {
        id: r.get(0)?,
        election: r.get(1)?,
        precinct: r.get(2)?,
        client_id: r.get(3)?,
        content_type: r.get(4)?,
        sha256: r.get(5)?,
        byte_len: r.get(6)?,
        actor: r.get(7)?,
        received_at: r.get(8)?,
    })
}

fn add_worksheet(c: &mut Connection, w: NewWorksheet) -> StoreResult<(Worksheet, bool)> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let find = |tx: &Transaction<'_>| -> StoreResult<Option<Worksheet>> {
        tx.query_row(
            &format!(
                "SELECT {WORKSHEET_COLUMNS} FROM results_worksheets WHERE election = ?1 AND client_id = ?2"
            ),
            params![w.election, w.client_id],
            worksheet_row,
        )
        .optional()
        .map_err(db)
    };
    if let Some(old) = find(&tx)? {
        if old.sha256 != w.sha256 || old.precinct != w.precinct {
            return Err(reused_client_id(&w.client_id));
        }
        return Ok((old, true));
    }
    tx.execute(
        "INSERT INTO results_worksheets (election, precinct, client_id, content_type, sha256,
           byte_len, bytes, actor, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            w.election,
            w.precinct,
            w.client_id,
            w.content_type,
            w.sha256,
            w.bytes.len() as i64,
            w.bytes,
            w.actor,
            w.received_at
        ],
    )
    .map_err(db)?;
    let stored = find(&tx)?.ok_or_else(|| StoreError::Database("worksheet vanished".into()))?;
    tx.commit().map_err(db)?;
    Ok((stored, false))
}

fn worksheets(
    c: &Connection,
    election: &str,
    precinct: Option<&str>,
) -> StoreResult<Vec<Worksheet>> {
    let mut stmt = c
        .prepare(&format!(
            "SELECT {WORKSHEET_COLUMNS} FROM results_worksheets
             WHERE election = ?1 AND (?2 IS NULL OR precinct = ?2) ORDER BY id"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(params![election, precinct], worksheet_row)
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn worksheet_bytes(
    c: &Connection,
    election: &str,
    id: i64,
) -> StoreResult<Option<(Worksheet, Vec<u8>)>> {
    c.query_row(
        &format!(
            "SELECT {WORKSHEET_COLUMNS}, bytes FROM results_worksheets WHERE election = ?1 AND id = ?2"
        ),
        params![election, id],
        |r| Ok((worksheet_row(r)?, r.get::<_, Vec<u8>>(9)?)),
    )
    .optional()
    .map_err(db)
}

#[async_trait]
impl ResultsStore for SqliteStore {
    async fn put_election(&self, election: &Election) -> StoreResult<()> {
        let e = election.clone();
        self.with_conn(move |c| put_election(c, &e)).await
    }

    async fn election(&self, slug: &str) -> StoreResult<Option<Election>> {
        let slug = slug.to_owned();
        self.with_conn(move |c| load_election(c, &slug)).await
    }

    async fn elections(&self) -> StoreResult<Vec<ElectionSummary>> {
        self.with_conn(|c| elections(c)).await
    }

    async fn set_chair_codes(
        &self,
        election: &str,
        codes: &[(String, String)],
        issued_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (election, codes) = (election.to_owned(), codes.to_vec());
        self.with_conn(move |c| set_chair_codes(c, &election, &codes, issued_at))
            .await
    }

    async fn chair_sign_in(
        &self,
        election: &str,
        code_sha256: &str,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<String>> {
        let (e, code, token) = (
            election.to_owned(),
            code_sha256.to_owned(),
            token_sha256.to_owned(),
        );
        self.with_conn(move |c| chair_sign_in(c, &e, &code, &token, at))
            .await
    }

    async fn chair_for_token(&self, token_sha256: &str) -> StoreResult<Option<ChairSession>> {
        let token = token_sha256.to_owned();
        self.with_conn(move |c| chair_for_token(c, &token)).await
    }

    async fn chair_readiness(&self, election: &str) -> StoreResult<Vec<ChairReadiness>> {
        let e = election.to_owned();
        self.with_conn(move |c| chair_readiness(c, &e)).await
    }

    async fn submit_result(
        &self,
        rules: Arc<dyn ResultRules>,
        submission: NewSubmission,
    ) -> StoreResult<SubmitOutcome> {
        self.with_conn(move |c| submit_result(c, rules.as_ref(), submission))
            .await
    }

    async fn result_log(
        &self,
        election: &str,
        precinct: Option<&str>,
    ) -> StoreResult<Vec<LogEntry>> {
        let (e, p) = (election.to_owned(), precinct.map(str::to_owned));
        self.with_conn(move |c| entries_of(c, &e, p.as_deref(), None))
            .await
    }

    async fn precinct_results(&self, election: &str) -> StoreResult<Vec<PrecinctResult>> {
        let e = election.to_owned();
        self.with_conn(move |c| precinct_results(c, &e)).await
    }

    async fn rebuild_results(
        &self,
        rules: Arc<dyn ResultRules>,
        election: &str,
    ) -> StoreResult<usize> {
        let e = election.to_owned();
        self.with_conn(move |c| rebuild_results(c, rules.as_ref(), &e))
            .await
    }

    async fn add_worksheet(&self, worksheet: NewWorksheet) -> StoreResult<(Worksheet, bool)> {
        self.with_conn(move |c| add_worksheet(c, worksheet)).await
    }

    async fn worksheets(
        &self,
        election: &str,
        precinct: Option<&str>,
    ) -> StoreResult<Vec<Worksheet>> {
        let (e, p) = (election.to_owned(), precinct.map(str::to_owned));
        self.with_conn(move |c| worksheets(c, &e, p.as_deref()))
            .await
    }

    async fn worksheet_bytes(
        &self,
        election: &str,
        id: i64,
    ) -> StoreResult<Option<(Worksheet, Vec<u8>)>> {
        let e = election.to_owned();
        self.with_conn(move |c| worksheet_bytes(c, &e, id)).await
    }
}
