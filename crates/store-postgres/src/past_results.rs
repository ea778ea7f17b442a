//! Results of past elections imported from OpenElections CSV and Clarity XML, by
//! precinct, with the published county totals they were checked against, on PostgreSQL:
//! one transaction per file holding a lock on the file table (so two concurrent imports
//! of one file store it once), rows loaded with `COPY`, history read by match keys.

use crate::{PgStore, copy, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgPool};
use votebase_store::StoreResult;
use votebase_store::past_results::{
    HistoryRow, NewPastResultsFile, PastContest, PastImportOutcome, PastResultRow, PastResultsFile,
    PastResultsStore, PublishedTotal, decode_vote_types, encode_vote_types, group_history,
    match_key,
};

/// Bytes of COPY text buffered before they are sent.
const COPY_CHUNK: usize = 1 << 20;

async fn import(
    pool: &PgPool,
    file: NewPastResultsFile,
    rows: Vec<PastResultRow>,
    totals: Vec<PublishedTotal>,
) -> StoreResult<PastImportOutcome> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("LOCK TABLE past_result_files IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let seen: Option<i64> =
        sqlx::query_scalar("SELECT id FROM past_result_files WHERE file_sha256 = $1")
            .bind(&file.file_sha256)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
    if let Some(id) = seen {
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
    let file_id: i64 = sqlx::query_scalar(
        "INSERT INTO past_result_files (file_sha256, source_file, format, election_date,
           election_name, row_count, totals_checked, mismatches, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) RETURNING id",
    )
    .bind(&file.file_sha256)
    .bind(&file.source_file)
    .bind(&file.format)
    .bind(file.election_date)
    .bind(&file.election_name)
    .bind(rows.len() as i64)
    .bind(totals.len() as i64)
    .bind(mismatches)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;

    let mut copy_in = tx
        .copy_in_raw(
            "COPY past_results (file_id, seq, line, county, precinct, office, district, party,
               candidate, votes, vote_types, county_key, precinct_key, office_key) FROM STDIN",
        )
        .await
        .map_err(db)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + (64 << 10));
    for (seq, r) in rows.iter().enumerate() {
        copy::int(&mut buf, file_id);
        buf.push(b'\t');
        copy::int(&mut buf, seq as i64);
        buf.push(b'\t');
        copy::int(&mut buf, r.line as i64);
        for s in [
            &r.county,
            &r.precinct,
            &r.office,
            &r.district,
            &r.party,
            &r.candidate,
        ] {
            buf.push(b'\t');
            copy::text(&mut buf, s);
        }
        buf.push(b'\t');
        copy::int(&mut buf, r.votes);
        for s in [
            encode_vote_types(&r.vote_types),
            match_key(&r.county),
            match_key(&r.precinct),
            match_key(&r.office),
        ] {
            buf.push(b'\t');
            copy::text(&mut buf, &s);
        }
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

    if !totals.is_empty() {
        let mut cols: [Vec<String>; 5] = Default::default();
        let (mut published, mut sums, mut seqs) = (Vec::new(), Vec::new(), Vec::new());
        for (seq, t) in totals.iter().enumerate() {
            cols[0].push(t.county.clone());
            cols[1].push(t.office.clone());
            cols[2].push(t.district.clone());
            cols[3].push(t.candidate.clone());
            cols[4].push(t.vote_type.clone());
            published.push(t.published);
            sums.push(t.precinct_sum);
            seqs.push(seq as i64);
        }
        sqlx::query(
            "INSERT INTO past_result_totals (file_id, seq, county, office, district, candidate,
               vote_type, published, precinct_sum)
             SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[],
               $6::text[], $7::text[], $8::bigint[], $9::bigint[])",
        )
        .bind(file_id)
        .bind(&seqs)
        .bind(&cols[0])
        .bind(&cols[1])
        .bind(&cols[2])
        .bind(&cols[3])
        .bind(&cols[4])
        .bind(&published)
        .bind(&sums)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(PastImportOutcome {
        already_imported: false,
        file_id,
        rows: rows.len() as i64,
    })
}

async fn files(c: &mut PgConnection) -> StoreResult<Vec<PastResultsFile>> {
    let rows = sqlx::query(
        "SELECT id, source_file, file_sha256, format, election_date, election_name, row_count,
                totals_checked, mismatches, imported_at
         FROM past_result_files ORDER BY election_date DESC, id DESC",
    )
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(PastResultsFile {
                id: r.try_get("id").map_err(db)?,
                source_file: r.try_get("source_file").map_err(db)?,
                file_sha256: r.try_get("file_sha256").map_err(db)?,
                format: r.try_get("format").map_err(db)?,
                election_date: r.try_get::<NaiveDate, _>("election_date").map_err(db)?,
                election_name: r.try_get("election_name").map_err(db)?,
                rows: r.try_get("row_count").map_err(db)?,
                totals_checked: r.try_get("totals_checked").map_err(db)?,
                mismatches: r.try_get("mismatches").map_err(db)?,
                imported_at: r.try_get::<DateTime<Utc>, _>("imported_at").map_err(db)?,
            })
        })
        .collect()
}

async fn totals(c: &mut PgConnection, file_id: i64) -> StoreResult<Vec<PublishedTotal>> {
    let rows: Vec<(String, String, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT county, office, district, candidate, vote_type, published, precinct_sum
         FROM past_result_totals WHERE file_id = $1 ORDER BY seq",
    )
    .bind(file_id)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(
            |(county, office, district, candidate, vote_type, published, precinct_sum)| {
                PublishedTotal {
                    county,
                    office,
                    district,
                    candidate,
                    vote_type,
                    published,
                    precinct_sum,
                }
            },
        )
        .collect())
}

async fn history(
    c: &mut PgConnection,
    county: &str,
    precinct: &str,
    office: &str,
) -> StoreResult<Vec<PastContest>> {
    let rows = sqlx::query(
        "SELECT f.election_date, f.election_name, f.source_file, r.line, r.county, r.precinct,
                r.office, r.district, r.party, r.candidate, r.votes, r.vote_types
         FROM past_results r JOIN past_result_files f ON f.id = r.file_id
         WHERE r.precinct_key = $1 AND r.office_key = $2 AND r.county_key = $3
         ORDER BY f.election_date DESC, f.id DESC, r.district, r.seq",
    )
    .bind(match_key(precinct))
    .bind(match_key(office))
    .bind(match_key(county))
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(HistoryRow {
                election_date: r.try_get("election_date").map_err(db)?,
                election_name: r.try_get("election_name").map_err(db)?,
                source_file: r.try_get("source_file").map_err(db)?,
                row: PastResultRow {
                    line: r.try_get::<i64, _>("line").map_err(db)? as u64,
                    county: r.try_get("county").map_err(db)?,
                    precinct: r.try_get("precinct").map_err(db)?,
                    office: r.try_get("office").map_err(db)?,
                    district: r.try_get("district").map_err(db)?,
                    party: r.try_get("party").map_err(db)?,
                    candidate: r.try_get("candidate").map_err(db)?,
                    votes: r.try_get("votes").map_err(db)?,
                    vote_types: decode_vote_types(
                        &r.try_get::<String, _>("vote_types").map_err(db)?,
                    ),
                },
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(group_history(rows))
}

#[async_trait]
impl PastResultsStore for PgStore {
    async fn import_past_results(
        &self,
        file: NewPastResultsFile,
        rows: Vec<PastResultRow>,
        totals: Vec<PublishedTotal>,
    ) -> StoreResult<PastImportOutcome> {
        import(&self.pool, file, rows, totals).await
    }

    async fn past_results_files(&self) -> StoreResult<Vec<PastResultsFile>> {
        files(&mut *self.conn().await?).await
    }

    async fn past_results_totals(&self, file_id: i64) -> StoreResult<Vec<PublishedTotal>> {
        totals(&mut *self.conn().await?, file_id).await
    }

    async fn precinct_history(
        &self,
        county: &str,
        precinct: &str,
        office: &str,
    ) -> StoreResult<Vec<PastContest>> {
        history(&mut *self.conn().await?, county, precinct, office).await
    }
}
