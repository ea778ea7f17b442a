//! Absentee and early-vote ballot events in PostgreSQL: content-keyed events (the same
//! row in two daily files is one event; nothing is deleted), matched to voters by state
//! id or county registration number batch by batch, status counts by each voter's most
//! settled event, and the chase and cure lists.

use crate::db;
use crate::voters::get_voter;
use chrono::{NaiveDate, Utc};
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashSet;
use tokio::sync::mpsc::Receiver;
use votebase_domain::{BallotCategory, BallotEvent, BallotMethod};
use votebase_store::{
    BallotBatch, BallotImportOutcome, BallotList, BallotListRow, BallotStatusCount, NewBallotFile,
    StoreError, StoreResult, TurnoutPoint, UnmatchedBallot,
};

pub(crate) async fn import_ballots(
    pool: &PgPool,
    file: NewBallotFile,
    mut rows: Receiver<BallotBatch>,
) -> StoreResult<BallotImportOutcome> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("LOCK TABLE ballot_files IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let seen: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ballot_files WHERE file_sha256 = $1)")
            .bind(&file.file_sha256)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    if seen {
        return Ok(BallotImportOutcome {
            already_imported: true,
            ..Default::default()
        });
    }
    let mut out = BallotImportOutcome::default();
    while let Some(batch) = rows.recv().await {
        let batch = match batch {
            Ok(b) => b,
            Err(why) => {
                tx.rollback().await.map_err(db)?;
                return Err(StoreError::Aborted(why));
            }
        };
        let mut events: Vec<(u64, BallotEvent)> =
            batch.into_iter().map(|s| (s.line, s.event)).collect();
        // Rows with only a county registration number: find their state id.
        let (locals, counties): (Vec<String>, Vec<String>) = events
            .iter()
            .filter(|(_, e)| e.state_voter_id.is_empty() && !e.local_voter_id.is_empty())
            .map(|(_, e)| (e.local_voter_id.clone(), e.county_name.clone()))
            .unzip();
        if !locals.is_empty() {
            let found: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT DISTINCT ON (v.local_voter_id, v.county_name)
                        v.local_voter_id::text, v.county_name::text, v.state_voter_id::text
                 FROM voters v JOIN UNNEST($1::text[], $2::text[]) AS k(local, county)
                   ON v.local_voter_id = k.local AND v.county_name = k.county
                 ORDER BY v.local_voter_id, v.county_name, v.present DESC",
            )
            .bind(&locals)
            .bind(&counties)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
            for (_, e) in events.iter_mut() {
                if e.state_voter_id.is_empty()
                    && let Some((_, _, id)) = found
                        .iter()
                        .find(|(l, c, _)| *l == e.local_voter_id && *c == e.county_name)
                {
                    e.state_voter_id = id.clone();
                }
            }
        }
        let ids: Vec<String> = events
            .iter()
            .map(|(_, e)| e.state_voter_id.clone())
            .collect();
        let known: HashSet<String> = sqlx::query_scalar::<_, String>(
            "SELECT state_voter_id::text FROM voters WHERE state_voter_id = ANY($1::text[])",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .into_iter()
        .collect();
        for (line, e) in &events {
            if e.state_voter_id.is_empty() || !known.contains(&e.state_voter_id) {
                out.unmatched.push(UnmatchedBallot {
                    line: *line,
                    state_voter_id: e.state_voter_id.clone(),
                    local_voter_id: e.local_voter_id.clone(),
                    county_name: e.county_name.clone(),
                });
            }
        }
        let (new, known_events) = upsert_events(&mut tx, &events, file.as_of).await?;
        out.new_events += new;
        out.known_events += known_events;
    }
    sqlx::query(
        "INSERT INTO ballot_files (file_sha256, source_file, as_of, imported_at, new_events, unmatched)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&file.file_sha256)
    .bind(&file.source_file)
    .bind(file.as_of)
    .bind(Utc::now())
    .bind(out.new_events)
    .bind(out.unmatched.len() as i64)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(out)
}

/// Inserts a batch; returns (new, already known). Known events keep their earliest
/// first-seen date.
async fn upsert_events(
    tx: &mut PgConnection,
    events: &[(u64, BallotEvent)],
    as_of: NaiveDate,
) -> StoreResult<(i64, i64)> {
    let mut keys = Vec::with_capacity(events.len());
    let mut cols: [Vec<String>; 10] = Default::default();
    let mut dates: [Vec<Option<NaiveDate>>; 4] = Default::default();
    let mut ranks = Vec::with_capacity(events.len());
    let mut sdr = Vec::with_capacity(events.len());
    let mut seen_keys = HashSet::new();
    for (_, e) in events {
        let key = e.event_key();
        if !seen_keys.insert(key.clone()) {
            continue;
        }
        keys.push(key);
        for (i, v) in [
            &e.state_voter_id,
            &e.local_voter_id,
            &e.county_name,
            e.method.code(),
            &e.delivery_type,
            &e.return_status,
            e.category.code(),
            &e.site_name,
            &e.request_party,
            "",
        ]
        .iter()
        .enumerate()
        {
            cols[i].push(v.to_string());
        }
        dates[0].push(Some(e.election_date));
        dates[1].push(e.request_date);
        dates[2].push(e.send_date);
        dates[3].push(e.return_date);
        ranks.push(e.category.rank());
        sdr.push(e.same_day_registration);
    }
    let duplicates_in_batch = (events.len() - keys.len()) as i64;
    let inserted: Vec<bool> = sqlx::query_scalar(
        "INSERT INTO ballot_events (event_key, state_voter_id, local_voter_id, county_name,
           method, delivery_type, return_status, category, site_name, request_party,
           election_date, request_date, send_date, return_date, rank, same_day_registration,
           first_seen)
         SELECT k, a, b, c, d, e, f, g, h, i, ed, rd, sd, td, r, s, $17
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::date[], $12::date[],
                     $13::date[], $14::date[], $15::bigint[], $16::bool[])
           AS t(k, a, b, c, d, e, f, g, h, i, ed, rd, sd, td, r, s)
         ON CONFLICT (event_key) DO UPDATE SET first_seen = LEAST(ballot_events.first_seen, EXCLUDED.first_seen)
         RETURNING (xmax = 0)",
    )
    .bind(&keys)
    .bind(&cols[0])
    .bind(&cols[1])
    .bind(&cols[2])
    .bind(&cols[3])
    .bind(&cols[4])
    .bind(&cols[5])
    .bind(&cols[6])
    .bind(&cols[7])
    .bind(&cols[8])
    .bind(&dates[0])
    .bind(&dates[1])
    .bind(&dates[2])
    .bind(&dates[3])
    .bind(&ranks)
    .bind(&sdr)
    .bind(as_of)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let new = inserted.iter().filter(|b| **b).count() as i64;
    Ok((new, inserted.len() as i64 - new + duplicates_in_batch))
}

pub(crate) async fn ballot_elections(c: &mut PgConnection) -> StoreResult<Vec<NaiveDate>> {
    sqlx::query_scalar(
        "SELECT DISTINCT election_date FROM ballot_events ORDER BY election_date DESC",
    )
    .fetch_all(c)
    .await
    .map_err(db)
}

const BEST: &str = "SELECT b.state_voter_id, MAX(b.rank) AS rank FROM ballot_events b
     JOIN voters v ON v.state_voter_id = b.state_voter_id
     WHERE b.election_date = $1 GROUP BY b.state_voter_id";

pub(crate) async fn ballot_status_counts(
    c: &mut PgConnection,
    election: NaiveDate,
) -> StoreResult<Vec<BallotStatusCount>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "WITH best AS ({BEST}) SELECT rank, COUNT(*) FROM best GROUP BY rank ORDER BY rank DESC"
    )))
    .bind(election)
    .fetch_all(c)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(rank, voters)| {
            let category = BallotCategory::from_rank(rank);
            BallotStatusCount {
                category,
                voters,
                voted: if category.voted() { voters } else { 0 },
            }
        })
        .collect())
}

pub(crate) async fn voted_count(c: &mut PgConnection, election: NaiveDate) -> StoreResult<i64> {
    sqlx::query_scalar(AssertSqlSafe(format!(
        "WITH best AS ({BEST}) SELECT COUNT(*) FROM best WHERE rank = $2"
    )))
    .bind(election)
    .bind(BallotCategory::Accepted.rank())
    .fetch_one(c)
    .await
    .map_err(db)
}

/// Voter id, state status, category, send date and days waiting of a list row.
type ListPick = (String, String, String, Option<NaiveDate>, Option<i64>);

pub(crate) async fn ballot_list(
    c: &mut PgConnection,
    election: NaiveDate,
    list: BallotList,
    as_of: NaiveDate,
    limit: i64,
) -> StoreResult<Vec<BallotListRow>> {
    let (ranks, min_days) = match list {
        BallotList::Chase { min_days } => (
            vec![
                BallotCategory::Requested.rank(),
                BallotCategory::Sent.rank(),
            ],
            min_days,
        ),
        BallotList::Cure => (vec![BallotCategory::Curable.rank()], i64::MIN),
    };
    let sql = format!(
        "WITH best AS ({BEST}),
         decided AS (
           SELECT b.state_voter_id, b.return_status, b.category, b.send_date,
                  COALESCE(b.send_date, b.request_date) AS since,
                  ROW_NUMBER() OVER (PARTITION BY b.state_voter_id
                    ORDER BY COALESCE(b.return_date, b.send_date, b.request_date) DESC NULLS LAST, b.event_key) AS n
           FROM ballot_events b JOIN best ON best.state_voter_id = b.state_voter_id AND best.rank = b.rank
           WHERE b.election_date = $1 AND best.rank = ANY($5::bigint[])
         )
         SELECT d.state_voter_id::text, d.return_status, d.category, d.send_date,
                ($2::date - d.since)::bigint AS days
         FROM decided d JOIN voters v ON v.state_voter_id = d.state_voter_id
         WHERE d.n = 1 AND (d.since IS NULL OR ($2::date - d.since) >= $3)
         ORDER BY v.county_name, days DESC NULLS LAST, d.state_voter_id
         LIMIT $4"
    );
    let picked: Vec<ListPick> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(election)
        .bind(as_of)
        .bind(min_days)
        .bind(limit)
        .bind(&ranks)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
    let mut out = Vec::with_capacity(picked.len());
    for (id, return_status, category, send_date, days) in picked {
        let Some(v) = get_voter(&mut *c, &id).await? else {
            continue;
        };
        out.push(BallotListRow::from_voter(
            &v,
            BallotCategory::from_code(&category).unwrap_or(BallotCategory::Requested),
            return_status,
            send_date,
            days,
        ));
    }
    Ok(out)
}

fn event_from_row(r: &PgRow) -> Result<BallotEvent, sqlx::Error> {
    let method: String = r.try_get(4)?;
    let category: String = r.try_get(10)?;
    Ok(BallotEvent {
        state_voter_id: r.try_get(0)?,
        local_voter_id: r.try_get(1)?,
        county_name: r.try_get(2)?,
        election_date: r.try_get(3)?,
        method: BallotMethod::from_code(&method),
        delivery_type: r.try_get(5)?,
        request_date: r.try_get(6)?,
        send_date: r.try_get(7)?,
        return_date: r.try_get(8)?,
        return_status: r.try_get(9)?,
        category: BallotCategory::from_code(&category).unwrap_or(BallotCategory::Requested),
        site_name: r.try_get(11)?,
        same_day_registration: r.try_get(12)?,
        request_party: r.try_get(13)?,
    })
}

pub(crate) async fn voter_ballots(c: &mut PgConnection, id: &str) -> StoreResult<Vec<BallotEvent>> {
    let rows = sqlx::query(
        "SELECT state_voter_id::text, local_voter_id::text, county_name::text, election_date, method,
                delivery_type, request_date, send_date, return_date, return_status, category,
                site_name, same_day_registration, request_party
         FROM ballot_events WHERE state_voter_id = $1
         ORDER BY election_date DESC, COALESCE(return_date, send_date, request_date) NULLS FIRST, rank",
    )
    .bind(id)
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.iter()
        .map(event_from_row)
        .collect::<Result<_, _>>()
        .map_err(db)
}

pub(crate) async fn ballot_turnout(
    c: &mut PgConnection,
    election: NaiveDate,
) -> StoreResult<Vec<TurnoutPoint>> {
    let rows: Vec<(NaiveDate, String, i64)> = sqlx::query_as(
        "WITH voted AS (
           SELECT b.state_voter_id, MIN(COALESCE(b.return_date, b.send_date, b.request_date)) AS day
           FROM ballot_events b JOIN voters v ON v.state_voter_id = b.state_voter_id
           WHERE b.election_date = $1 AND b.rank = $2 GROUP BY b.state_voter_id)
         SELECT voted.day, v.county_name::text, COUNT(*) FROM voted
         JOIN voters v ON v.state_voter_id = voted.state_voter_id
         WHERE voted.day IS NOT NULL
         GROUP BY voted.day, v.county_name ORDER BY voted.day, v.county_name",
    )
    .bind(election)
    .bind(BallotCategory::Accepted.rank())
    .fetch_all(c)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(day, county_name, voters)| TurnoutPoint {
            day,
            county_name,
            voters,
        })
        .collect())
}

pub(crate) async fn ballot_statuses(
    c: &mut PgConnection,
    election: NaiveDate,
) -> StoreResult<Vec<(String, BallotCategory)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT state_voter_id::text, rank FROM ({BEST}) best"
    )))
    .bind(election)
    .fetch_all(c)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, rank)| (id, BallotCategory::from_rank(rank)))
        .collect())
}

pub(crate) async fn ballot_turnout_by(
    c: &mut PgConnection,
    election: NaiveDate,
    by: votebase_store::TurnoutBy,
) -> StoreResult<Vec<(String, i64)>> {
    let group = by.group_sql(chrono::Datelike::year(&election));
    sqlx::query_as(AssertSqlSafe(format!(
        "WITH voted AS (
           SELECT b.state_voter_id, MIN(b.method) AS method
           FROM ballot_events b JOIN voters v ON v.state_voter_id = b.state_voter_id
           WHERE b.election_date = $1 AND b.rank = $2 GROUP BY b.state_voter_id)
         SELECT ({group})::text AS grp, COUNT(*) AS n FROM voted
         JOIN voters v ON v.state_voter_id = voted.state_voter_id
         GROUP BY grp ORDER BY n DESC, grp"
    )))
    .bind(election)
    .bind(BallotCategory::Accepted.rank())
    .fetch_all(c)
    .await
    .map_err(db)
}
