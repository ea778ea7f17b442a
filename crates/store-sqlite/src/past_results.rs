//! Results of past elections imported from OpenElections CSV and Clarity XML, by
//! precinct, with the published county totals they were checked against, on SQLite: one
//! immediate transaction per file (the SHA-256 check and the inserts together, so two
//! concurrent imports of one file store it once), and history read by match keys.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use votebase_store::past_results::{
    HistoryRow, NewPastResultsFile, PastContest, PastImportOutcome, PastResultRow, PastResultsFile,
    PastResultsStore, PublishedTotal, decode_vote_types, encode_vote_types, group_history,
    match_key,
};
use votebase_store::{StoreError, StoreResult};

fn import(
    conn: &mut Connection,
    file: &NewPastResultsFile,
    rows: &[PastResultRow],
    totals: &[PublishedTotal],
) -> StoreResult<PastImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    if let Some(id) = tx
        .query_row(
            "SELECT id FROM past_result_files WHERE file_sha256 = ?1",
            [&file.file_sha256],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(db)?
    {
        return Ok(PastImportOutcome {
            already_imported: true,
            file_id: id,
            rows: 0,
        });
    }
    let mismatches = totals
        .iter()
        .filter(|t| t.published != t.precinct_sum)
        .count() as i64;
    tx.execute(
        "INSERT INTO past_result_files (file_sha256, source_file, format, election_date,
           election_name, row_count, totals_checked, mismatches, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            file.file_sha256,
            file.source_file,
            file.format,
            file.election_date.to_string(),
            file.election_name,
            rows.len() as i64,
            totals.len() as i64,
            mismatches,
            Utc::now().to_rfc3339(),
        ],
    )
    .map_err(db)?;
    let file_id = tx.last_insert_rowid();
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO past_results (file_id, seq, line, county, precinct, office, district,
                   party, candidate, votes, vote_types, county_key, precinct_key, office_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .map_err(db)?;
        for (seq, r) in rows.iter().enumerate() {
            insert
                .execute(params![
                    file_id,
                    seq as i64,
                    r.line as i64,
                    r.county,
                    r.precinct,
                    r.office,
                    r.district,
                    r.party,
                    r.candidate,
                    r.votes,
                    encode_vote_types(&r.vote_types),
                    match_key(&r.county),
                    match_key(&r.precinct),
                    match_key(&r.office),
                ])
                .map_err(db)?;
        }
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO past_result_totals (file_id, seq, county, office, district, candidate,
                   vote_type, published, precinct_sum)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(db)?;
        for (seq, t) in totals.iter().enumerate() {
            insert
                .execute(params![
                    file_id,
                    seq as i64,
                    t.county,
                    t.office,
                    t.district,
                    t.candidate,
                    t.vote_type,
                    t.published,
                    t.precinct_sum,
                ])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)?;
    Ok(PastImportOutcome {
        already_imported: false,
        file_id,
        rows: rows.len() as i64,
    })
}

fn parse_date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("election date {s:?}: {e}")))
}

fn files(c: &Connection) -> StoreResult<Vec<PastResultsFile>> {
    let mut stmt = c
        .prepare(
            "SELECT id, source_file, file_sha256, format, election_date, election_name, row_count,
                    totals_checked, mismatches, imported_at
             FROM past_result_files ORDER BY election_date DESC, id DESC",
        )
        .map_err(db)?;
    let raw = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, String>(9)?,
            ))
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    raw.into_iter()
        .map(
            |(id, source_file, sha, format, date, name, rows, checked, mism, at)| {
                Ok(PastResultsFile {
                    id,
                    source_file,
                    file_sha256: sha,
                    format,
                    election_date: parse_date(&date)?,
                    election_name: name,
                    rows,
                    totals_checked: checked,
                    mismatches: mism,
                    imported_at: DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| StoreError::Corrupt(format!("imported_at {at:?}: {e}")))?
                        .with_timezone(&Utc),
                })
            },
        )
        .collect()
}

fn totals(c: &Connection, file_id: i64) -> StoreResult<Vec<PublishedTotal>> {
    let mut stmt = c
        .prepare(
            "SELECT county, office, district, candidate, vote_type, published, precinct_sum
             FROM past_result_totals WHERE file_id = ?1 ORDER BY seq",
        )
        .map_err(db)?;
    stmt.query_map([file_id], |r| {
        Ok(PublishedTotal {
            county: r.get(0)?,
            office: r.get(1)?,
            district: r.get(2)?,
            candidate: r.get(3)?,
            vote_type: r.get(4)?,
            published: r.get(5)?,
            precinct_sum: r.get(6)?,
        })
    })
    .map_err(db)?
    .collect::<Result<Vec<_>, _>>()
    .map_err(db)
}

fn history(
    c: &Connection,
    county: &str,
    precinct: &str,
    office: &str,
) -> StoreResult<Vec<PastContest>> {
    let mut stmt = c
        .prepare(
            "SELECT f.election_date, f.election_name, f.source_file, r.line, r.county, r.precinct,
                    r.office, r.district, r.party, r.candidate, r.votes, r.vote_types
             FROM past_results r JOIN past_result_files f ON f.id = r.file_id
             WHERE r.precinct_key = ?1 AND r.office_key = ?2 AND r.county_key = ?3
             ORDER BY f.election_date DESC, f.id DESC, r.district, r.seq",
        )
        .map_err(db)?;
    let raw = stmt
        .query_map(
            params![match_key(precinct), match_key(office), match_key(county)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    PastResultRow {
                        line: r.get::<_, i64>(3)? as u64,
                        county: r.get(4)?,
                        precinct: r.get(5)?,
                        office: r.get(6)?,
                        district: r.get(7)?,
                        party: r.get(8)?,
                        candidate: r.get(9)?,
                        votes: r.get(10)?,
                        vote_types: decode_vote_types(&r.get::<_, String>(11)?),
                    },
                ))
            },
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    let rows = raw
        .into_iter()
        .map(|(date, name, file, row)| {
            Ok(HistoryRow {
                election_date: parse_date(&date)?,
                election_name: name,
                source_file: file,
                row,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(group_history(rows))
}

#[async_trait]
impl PastResultsStore for SqliteStore {
    async fn import_past_results(
        &self,
        file: NewPastResultsFile,
        rows: Vec<PastResultRow>,
        totals: Vec<PublishedTotal>,
    ) -> StoreResult<PastImportOutcome> {
        self.with_conn(move |c| import(c, &file, &rows, &totals))
            .await
    }

    async fn past_results_files(&self) -> StoreResult<Vec<PastResultsFile>> {
        self.with_conn(|c| files(c)).await
    }

    async fn past_results_totals(&self, file_id: i64) -> StoreResult<Vec<PublishedTotal>> {
        self.with_conn(move |c| totals(c, file_id)).await
    }

    async fn precinct_history(
        &self,
        county: &str,
        precinct: &str,
        office: &str,
    ) -> StoreResult<Vec<PastContest>> {
        let (county, precinct, office) =
            (county.to_string(), precinct.to_string(), office.to_string());
        self.with_conn(move |c| history(c, &county, &precinct, &office))
            .await
    }
}
