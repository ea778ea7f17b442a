//! [`UniverseSource`] on PostgreSQL: the facets of the present voters and the marks of
//! the vote history for one range of ids, each on its own pooled connection (a
//! server-side cursor via `fetch`), and the split ids taken as quantiles of a sample of
//! the table's pages.

use crate::voters::stream_batches;
use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};
use tokio::sync::mpsc::Sender;
use votebase_domain::{Gender, HistoryMark, Party, VoterFacets, VoterStatus};
use votebase_store::StoreResult;
use votebase_store::universes::{UniverseSource, VoterIdRange};

/// Fewer voters than this are read as one part.
const MIN_VOTERS_TO_SPLIT: i64 = 1_000;

async fn voter_id_splits(c: &mut PgConnection, parts: usize) -> StoreResult<Vec<String>> {
    if parts <= 1 {
        return Ok(Vec::new());
    }
    // The cut need not be exact, so the planner's estimate (kept by CREATE INDEX,
    // ANALYZE and autovacuum) is enough for a large table.
    // A subscriber's `voters` is a view over its source's table, which takes no
    // `TABLESAMPLE`: it is read as one part.
    let (estimate, kind): (f64, String) = sqlx::query_as(
        "SELECT reltuples::float8, relkind::text FROM pg_class
         WHERE oid = to_regclass('voters')",
    )
    .fetch_optional(&mut *c)
    .await
    .map_err(db)?
    .unwrap_or((-1.0, String::new()));
    if kind != "r" {
        return Ok(Vec::new());
    }
    // An estimate below the threshold (never estimated, or stale right after the first
    // import) is checked by counting: small tables count fast.
    let total = if estimate >= MIN_VOTERS_TO_SPLIT as f64 {
        estimate as i64
    } else {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM voters")
            .fetch_one(&mut *c)
            .await
            .map_err(db)?
    };
    if total < MIN_VOTERS_TO_SPLIT {
        return Ok(Vec::new());
    }
    // Quantiles of a sample of about 50,000 rows (whole pages, `TABLESAMPLE SYSTEM`):
    // reading the primary key up to an offset visits the heap for every row before it.
    let percent = (100.0 * 50_000.0 / total as f64).clamp(0.01, 100.0);
    let fractions: Vec<f64> = (1..parts).map(|k| k as f64 / parts as f64).collect();
    let quantiles: Option<Vec<Option<String>>> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY state_voter_id)
         FROM voters TABLESAMPLE SYSTEM ({percent})"
    )))
    .bind(&fractions)
    .fetch_one(&mut *c)
    .await
    .map_err(db)?;
    let mut splits: Vec<String> = Vec::with_capacity(parts - 1);
    for id in quantiles.unwrap_or_default().into_iter().flatten() {
        if splits.last().is_none_or(|last| *last < id) {
            splits.push(id);
        }
    }
    Ok(splits)
}

fn facets_from_row(r: &PgRow) -> Result<VoterFacets, sqlx::Error> {
    let code = |i: usize| -> Result<&str, sqlx::Error> { r.try_get::<&str, _>(i) };
    Ok(VoterFacets {
        state_voter_id: r.try_get(0)?,
        county_name: r.try_get(1)?,
        precinct_code: r.try_get(2)?,
        congressional_district: r.try_get(3)?,
        state_senate_district: r.try_get(4)?,
        state_house_district: r.try_get(5)?,
        zip5: r.try_get(6)?,
        city: r.try_get(7)?,
        municipality: r.try_get(8)?,
        party: Party::from_code(code(9)?),
        status: VoterStatus::from_code(code(10)?),
        gender: Gender::from_code(code(11)?),
        birth_year: r.try_get(12)?,
        birth_date: r.try_get(13)?,
        registration_date: r.try_get(14)?,
    })
}

#[async_trait]
impl UniverseSource for PgStore {
    async fn voter_id_splits(&self, parts: usize) -> StoreResult<Vec<String>> {
        voter_id_splits(&mut *self.conn().await?, parts).await
    }

    async fn export_voter_facets(
        &self,
        range: VoterIdRange,
        batch_size: usize,
        out: Sender<Vec<VoterFacets>>,
    ) -> StoreResult<()> {
        let (cond, args) = range.sql_conditions(|n| format!("${n}"));
        let sql = format!(
            "SELECT state_voter_id, county_name, precinct_code, congressional_district,
                    state_senate_district, state_house_district, zip5, city, municipality,
                    party, status, gender, birth_year::int4, birth_date, registration_date
             FROM voters WHERE present AND {cond} ORDER BY state_voter_id"
        );
        let mut c = self.conn().await?;
        stream_batches(&mut c, sql, args, batch_size, out, |r| {
            facets_from_row(r).map_err(db)
        })
        .await
    }

    async fn export_history_marks(
        &self,
        range: VoterIdRange,
        batch_size: usize,
        out: Sender<Vec<HistoryMark>>,
    ) -> StoreResult<()> {
        let (cond, args) = range.sql_conditions(|n| format!("${n}"));
        let sql = format!(
            "SELECT state_voter_id, election_date, voting_method FROM vote_history
             WHERE {cond} ORDER BY state_voter_id, election_date"
        );
        let mut c = self.conn().await?;
        stream_batches(&mut c, sql, args, batch_size, out, |r| {
            Ok(HistoryMark {
                state_voter_id: r.try_get(0).map_err(db)?,
                election_date: r.try_get::<NaiveDate, _>(1).map_err(db)?,
                voting_method: r.try_get(2).map_err(db)?,
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{database_reachable, test_url, unique_org};
    use crate::{PgStore, drop_org};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn universe_source_conformance() {
        if !database_reachable().await {
            return;
        }
        let (url, org) = (test_url(), unique_org("universes"));
        let store = PgStore::connect(&url, &org).await.expect("connect");
        votebase_store::conformance::universes::run(&store).await;
        store.close().await;
        drop_org(&url, &org).await.expect("drop schema");
    }
}
