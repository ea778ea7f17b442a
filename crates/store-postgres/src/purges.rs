//! Purge watch on PostgreSQL: the roll of a snapshot recorded by the import
//! (`purge_rolls`, grouping sets over the present voters in one scan), the voters who
//! left the roll read from `voter_changes` (status changes and records gone from the
//! file) and grouped in SQL, the counsel list, reinstatements, every status change (for
//! the universe language) and the thresholds.

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};
use votebase_domain::purges::{
    PurgeListRow, Reinstatement, RemovalCell, RollCount, RollDimension, RollStatus, StatusMove,
    Transition,
};
use votebase_store::purges::PurgeStore;
use votebase_store::{StoreError, StoreResult};

/// Writes the roll of `snapshot_id` from the present voters (the caller's transaction).
pub(crate) async fn record_roll(c: &mut PgConnection, snapshot_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM purge_rolls WHERE snapshot_id = $1")
        .bind(snapshot_id)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO purge_rolls (snapshot_id, county, status, dimension, value, voters)
         SELECT $1, county_name, status,
           CASE WHEN GROUPING(party) = 0 THEN 'party'
                WHEN GROUPING(race) = 0 THEN 'race'
                WHEN GROUPING(gender) = 0 THEN 'gender'
                WHEN GROUPING(birth_year) = 0 THEN 'birth_year'
                WHEN GROUPING(precinct_code) = 0 THEN 'precinct'
                ELSE 'total' END,
           COALESCE(CASE WHEN GROUPING(party) = 0 THEN party
                WHEN GROUPING(race) = 0 THEN race
                WHEN GROUPING(gender) = 0 THEN gender
                WHEN GROUPING(birth_year) = 0 THEN birth_year::text
                WHEN GROUPING(precinct_code) = 0 THEN precinct_code END, ''),
           COUNT(*)
         FROM voters WHERE present AND status IN ('active', 'inactive')
         GROUP BY GROUPING SETS ((county_name, status), (county_name, status, party),
           (county_name, status, race), (county_name, status, gender),
           (county_name, status, birth_year), (county_name, status, precinct_code))",
    )
    .bind(snapshot_id)
    .execute(&mut *c)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes the roll of `snapshot_id` as counted by the import while it sent the rows (the
/// same cells as [`record_roll`], without its grouping scan of the voters).
pub(crate) async fn record_counted_roll(
    c: &mut PgConnection,
    snapshot_id: i64,
    tally: &votebase_store::purges::RollTally,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM purge_rolls WHERE snapshot_id = $1")
        .bind(snapshot_id)
        .execute(&mut *c)
        .await
        .map_err(db)?;
    let rows = tally.rows();
    let mut columns: [Vec<String>; 4] = Default::default();
    let mut voters = Vec::with_capacity(rows.len());
    for (county, status, dimension, value, n) in rows {
        columns[0].push(county);
        columns[1].push(status);
        columns[2].push(dimension.to_string());
        columns[3].push(value);
        voters.push(n);
    }
    let [county, status, dimension, value] = columns;
    sqlx::query(
        "INSERT INTO purge_rolls (snapshot_id, county, status, dimension, value, voters)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])",
    )
    .bind(snapshot_id)
    .bind(county)
    .bind(status)
    .bind(dimension)
    .bind(value)
    .bind(voters)
    .execute(&mut *c)
    .await
    .map_err(db)?;
    Ok(())
}

/// Voters who left the roll, one row per voter and snapshot (see the SQLite backend).
fn moves(filter: &str) -> String {
    format!(
        "SELECT c.snapshot_id AS snapshot_id, c.state_voter_id AS state_voter_id,
           CASE WHEN c.kind = 'removed' THEN 'disappeared'
                WHEN c.new_value = 'inactive' THEN 'inactivated' ELSE 'removed' END AS transition,
           CASE WHEN c.kind = 'removed' THEN v.status ELSE c.old_value END AS status_before,
           CASE WHEN c.kind = 'removed' THEN 'absent' ELSE c.new_value END AS status_after
         FROM voter_changes c JOIN voters v ON v.state_voter_id = c.state_voter_id
         WHERE {filter} AND (
           (c.kind = 'changed' AND c.field = 'status'
             AND ((c.old_value = 'active' AND c.new_value = 'inactive')
               OR (c.old_value IN ('active', 'inactive') AND c.new_value = 'removed')))
           OR (c.kind = 'removed' AND v.status IN ('active', 'inactive')))"
    )
}

/// The status reason in the snapshot of the move (the changed value, else the voter's).
/// `kind` is compared as an expression so that the planner keeps to the voter index
/// (`state_voter_id, snapshot_id`) rather than scanning a snapshot's changes per voter
/// moved (as SQLite did; see the SQLite backend).
const REASON: &str = "COALESCE((SELECT r.new_value FROM voter_changes r
    WHERE r.state_voter_id = m.state_voter_id AND r.snapshot_id = m.snapshot_id
      AND (r.kind || '') = 'changed' AND r.field = 'status_reason' LIMIT 1), v.status_reason)";

const LAST_VOTE: &str = "(SELECT MAX(h.election_date) FROM vote_history h
    WHERE h.state_voter_id = m.state_voter_id AND h.election_date < s.as_of)";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("purge {what} {value:?}"))
}

async fn removals(c: &mut PgConnection, after: i64) -> StoreResult<Vec<RemovalCell>> {
    let sql = format!(
        "WITH m AS ({moves})
         SELECT m.snapshot_id, v.county_name::text, m.transition::text, m.status_before::text,
                v.precinct_code::text, ({REASON})::text, v.party::text, v.race::text,
                v.gender::text, v.birth_year,
                EXTRACT(YEAR FROM {LAST_VOTE})::int, COUNT(*)
         FROM m JOIN voters v ON v.state_voter_id = m.state_voter_id
         JOIN snapshots s ON s.id = m.snapshot_id
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
         ORDER BY 1, 2, 3",
        moves = moves("c.snapshot_id > $1")
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(after)
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let t: String = r.try_get(2).map_err(db)?;
            Ok(RemovalCell {
                snapshot_id: r.try_get(0).map_err(db)?,
                county: r.try_get(1).map_err(db)?,
                transition: Transition::parse(&t).ok_or_else(|| corrupt("transition", &t))?,
                status_before: r.try_get(3).map_err(db)?,
                precinct: r.try_get(4).map_err(db)?,
                reason: r.try_get(5).map_err(db)?,
                party: r.try_get(6).map_err(db)?,
                race: r.try_get(7).map_err(db)?,
                gender: r.try_get(8).map_err(db)?,
                birth_year: r.try_get(9).map_err(db)?,
                last_vote_year: r.try_get(10).map_err(db)?,
                voters: r.try_get(11).map_err(db)?,
            })
        })
        .collect()
}

async fn rolls(c: &mut PgConnection, from: i64) -> StoreResult<Vec<RollCount>> {
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT snapshot_id, county::text, status::text, dimension::text, value::text, voters
         FROM purge_rolls WHERE snapshot_id >= $1 ORDER BY 1, 2, 3, 4, 5",
    )
    .bind(from)
    .fetch_all(c)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|(snapshot_id, county, status, dimension, value, voters)| {
            Ok(RollCount {
                snapshot_id,
                county,
                status: RollStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
                dimension: RollDimension::parse(&dimension)
                    .ok_or_else(|| corrupt("dimension", &dimension))?,
                value,
                voters,
            })
        })
        .collect()
}

fn list_cte() -> String {
    format!(
        "m AS ({moves}),
         l AS (SELECT m.* FROM m JOIN voters v ON v.state_voter_id = m.state_voter_id
               WHERE v.county_name = $2 AND m.transition = $3)",
        moves = moves("c.snapshot_id = $1")
    )
}

fn join_words(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn list(
    c: &mut PgConnection,
    snapshot: i64,
    county: &str,
    t: Transition,
) -> StoreResult<Vec<PurgeListRow>> {
    let sql = format!(
        "WITH {cte}, k AS (
           SELECT l.*, (SELECT r.new_value FROM voter_changes r
                        WHERE r.state_voter_id = l.state_voter_id AND r.kind = 'relinked'
                          AND r.field = 'next_state_voter_id' AND r.snapshot_id >= l.snapshot_id
                        ORDER BY r.snapshot_id DESC LIMIT 1) AS relinked_to
           FROM l)
         SELECT v.state_voter_id::text, v.first_name::text, v.middle_name::text,
                v.last_name::text, v.name_suffix::text, v.address_raw::text, v.city::text,
                v.zip5::text, v.precinct_code::text, m.status_before::text, m.status_after::text,
                ({REASON})::text, v.registration_date, {LAST_VOTE},
                (SELECT COUNT(*) FROM ballot_events b
                 WHERE b.state_voter_id = v.state_voter_id AND b.election_date >= s.as_of),
                CASE WHEN v.present THEN v.status::text ELSE 'absent' END,
                m.relinked_to::text,
                (SELECT x.status::text FROM voters x WHERE x.state_voter_id = m.relinked_to AND x.present)
         FROM k m JOIN voters v ON v.state_voter_id = m.state_voter_id
         JOIN snapshots s ON s.id = m.snapshot_id
         ORDER BY v.state_voter_id",
        cte = list_cte()
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(snapshot)
        .bind(county)
        .bind(t.code())
        .fetch_all(c)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let text = |i: usize| r.try_get::<String, _>(i).map_err(db);
            let names = (1..5).map(text).collect::<StoreResult<Vec<_>>>()?;
            let addr = (5..8).map(text).collect::<StoreResult<Vec<_>>>()?;
            let now = text(15)?;
            let relinked_status: Option<String> = r.try_get(17).map_err(db)?;
            Ok(PurgeListRow {
                state_voter_id: text(0)?,
                name: join_words(&names),
                address: join_words(&addr),
                precinct: text(8)?,
                status_before: text(9)?,
                status_after: text(10)?,
                reason: text(11)?,
                registration_date: r.try_get::<Option<NaiveDate>, _>(12).map_err(db)?,
                last_vote: r.try_get::<Option<NaiveDate>, _>(13).map_err(db)?,
                ballots_this_cycle: r.try_get(14).map_err(db)?,
                reinstated: now == "active" || relinked_status.as_deref() == Some("active"),
                status_now: now,
                relinked_to: r.try_get(16).map_err(db)?,
            })
        })
        .collect()
}

async fn reinstatements(
    c: &mut PgConnection,
    snapshot: i64,
    county: &str,
    t: Transition,
) -> StoreResult<Vec<Reinstatement>> {
    let sql = format!(
        "WITH {cte},
         back AS (
           SELECT r.state_voter_id, MIN(r.snapshot_id) AS snapshot_id
           FROM voter_changes r JOIN l ON l.state_voter_id = r.state_voter_id
           WHERE r.snapshot_id >= $1 AND (
             (r.snapshot_id > $1 AND r.kind = 'changed' AND r.field = 'status'
               AND r.new_value = 'active')
             OR (r.snapshot_id > $1 AND r.kind = 'added' AND EXISTS (SELECT 1 FROM voters x
                 WHERE x.state_voter_id = r.state_voter_id AND x.status = 'active'))
             OR (r.kind = 'relinked' AND r.field = 'next_state_voter_id' AND EXISTS (
                 SELECT 1 FROM voters x WHERE x.state_voter_id = r.new_value AND x.status = 'active')))
           GROUP BY r.state_voter_id)
         SELECT s.id, s.as_of, COUNT(back.state_voter_id) FROM snapshots s
         LEFT JOIN back ON back.snapshot_id = s.id
         WHERE s.id >= $1 GROUP BY s.id, s.as_of ORDER BY s.id",
        cte = list_cte()
    );
    let rows: Vec<(i64, NaiveDate, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(snapshot)
        .bind(county)
        .bind(t.code())
        .fetch_all(c)
        .await
        .map_err(db)?;
    let mut running = 0;
    Ok(rows
        .into_iter()
        .map(|(snapshot_id, as_of, n)| {
            running += n;
            Reinstatement {
                snapshot_id,
                as_of,
                reinstated: n,
                running_total: running,
            }
        })
        .collect())
}

#[async_trait]
impl PurgeStore for PgStore {
    async fn record_latest_roll(&self) -> StoreResult<bool> {
        // A subscriber reads its source's rolls; recording them is the source's import.
        if votebase_store::Store::voter_file_source(self).is_some() {
            return Ok(false);
        }
        let mut tx = self.pool().begin().await.map_err(db)?;
        // The import's lock: no snapshot lands while the roll is read.
        sqlx::query("LOCK TABLE snapshots IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let latest: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM snapshots")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let Some(latest) = latest else {
            return Ok(false);
        };
        let recorded: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM purge_rolls WHERE snapshot_id = $1)")
                .bind(latest)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if recorded {
            return Ok(false);
        }
        record_roll(&mut tx, latest).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn purge_rolls(&self, from_snapshot: i64) -> StoreResult<Vec<RollCount>> {
        rolls(&mut *self.conn().await?, from_snapshot).await
    }

    async fn purge_removals(&self, after_snapshot: i64) -> StoreResult<Vec<RemovalCell>> {
        removals(&mut *self.conn().await?, after_snapshot).await
    }

    async fn purge_list(
        &self,
        snapshot_id: i64,
        county: &str,
        transition: Transition,
    ) -> StoreResult<Vec<PurgeListRow>> {
        list(&mut *self.conn().await?, snapshot_id, county, transition).await
    }

    async fn purge_reinstatements(
        &self,
        snapshot_id: i64,
        county: &str,
        transition: Transition,
    ) -> StoreResult<Vec<Reinstatement>> {
        reinstatements(&mut *self.conn().await?, snapshot_id, county, transition).await
    }

    async fn purge_thresholds(&self) -> StoreResult<Vec<(String, f64)>> {
        sqlx::query_as("SELECT name, value FROM purge_thresholds ORDER BY name")
            .fetch_all(&mut *self.conn().await?)
            .await
            .map_err(db)
    }

    async fn set_purge_threshold(&self, name: &str, value: f64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO purge_thresholds (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        )
        .bind(name)
        .bind(value)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn status_moves(&self) -> StoreResult<Vec<StatusMove>> {
        // Status changes, then records gone from the file whose last status was active
        // or inactive (as the removal query counts them).
        let rows: Vec<(String, NaiveDate, String, String, i64)> = sqlx::query_as(
            "SELECT c.state_voter_id, s.as_of, c.old_value, c.new_value, s.id
             FROM voter_changes c JOIN snapshots s ON s.id = c.snapshot_id
             WHERE c.kind = 'changed' AND c.field = 'status'
             UNION ALL
             SELECT c.state_voter_id, s.as_of, v.status, 'absent', s.id
             FROM voter_changes c JOIN snapshots s ON s.id = c.snapshot_id
             JOIN voters v ON v.state_voter_id = c.state_voter_id
             WHERE c.kind = 'removed' AND v.status IN ('active', 'inactive')
             ORDER BY 5, 1",
        )
        .fetch_all(&mut *self.conn().await?)
        .await
        .map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(state_voter_id, as_of, before, after, _)| StatusMove {
                state_voter_id,
                as_of,
                before,
                after,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{database_reachable, test_url, unique_org};
    use crate::{PgStore, drop_org};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn purge_conformance() {
        if !database_reachable().await {
            return;
        }
        let (url, org) = (test_url(), unique_org("purge"));
        let store = PgStore::connect(&url, &org).await.expect("connect");
        votebase_store::conformance::purges::run(&store).await;
        store.close().await;
        drop_org(&url, &org).await.expect("drop schema");
    }
}
