//! Purge watch on SQLite: the roll of a snapshot recorded by the import (`purge_rolls`,
//! counted by the import as it writes the rows; one grouping scan of the present voters
//! plus one by precinct for a snapshot imported before purge watch), the voters who left
//! the roll read from `voter_changes` (status changes and records gone from the file)
//! and grouped in SQL, the counsel list, reinstatements, every status change (for the
//! universe language) and the thresholds.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use votebase_domain::purges::{
    PurgeListRow, Reinstatement, RemovalCell, RollCount, RollDimension, RollStatus, StatusMove,
    Transition,
};
use votebase_store::purges::PurgeStore;
use votebase_store::{StoreError, StoreResult};

/// Writes the roll of `snapshot_id` from the present voters (the caller's transaction:
/// the import's, or `record_latest_roll`'s).
pub(crate) fn record_roll(c: &Connection, snapshot_id: i64) -> StoreResult<()> {
    c.execute_batch(&format!(
        "DELETE FROM purge_rolls WHERE snapshot_id = {snapshot_id};
         DROP TABLE IF EXISTS temp.roll_cells;
         CREATE TEMP TABLE roll_cells AS
           SELECT county_name AS county, status, party, race, gender,
                  COALESCE(CAST(birth_year AS TEXT), '') AS birth_year, COUNT(*) AS n
           FROM voters WHERE present = 1 AND status IN ('active', 'inactive')
           GROUP BY 1, 2, 3, 4, 5, 6;
         INSERT INTO purge_rolls SELECT {snapshot_id}, county, status, 'total', '', SUM(n)
           FROM roll_cells GROUP BY county, status;
         INSERT INTO purge_rolls SELECT {snapshot_id}, county, status, 'party', party, SUM(n)
           FROM roll_cells GROUP BY county, status, party;
         INSERT INTO purge_rolls SELECT {snapshot_id}, county, status, 'race', race, SUM(n)
           FROM roll_cells GROUP BY county, status, race;
         INSERT INTO purge_rolls SELECT {snapshot_id}, county, status, 'gender', gender, SUM(n)
           FROM roll_cells GROUP BY county, status, gender;
         INSERT INTO purge_rolls SELECT {snapshot_id}, county, status, 'birth_year', birth_year, SUM(n)
           FROM roll_cells GROUP BY county, status, birth_year;
         DROP TABLE temp.roll_cells;
         INSERT INTO purge_rolls
           SELECT {snapshot_id}, county_name, status, 'precinct', precinct_code, COUNT(*)
           FROM voters WHERE present = 1 AND status IN ('active', 'inactive')
           GROUP BY county_name, status, precinct_code;"
    ))
    .map_err(db)
}

/// Writes the roll of `snapshot_id` as counted by the import while it wrote the rows
/// (the same cells as [`record_roll`], without its two sorting scans of the voters).
pub(crate) fn record_counted_roll(
    c: &Connection,
    snapshot_id: i64,
    tally: &votebase_store::purges::RollTally,
) -> StoreResult<()> {
    c.execute(
        "DELETE FROM purge_rolls WHERE snapshot_id = ?1",
        [snapshot_id],
    )
    .map_err(db)?;
    let mut insert = c
        .prepare("INSERT INTO purge_rolls VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .map_err(db)?;
    for (county, status, dimension, value, voters) in tally.rows() {
        insert
            .execute(params![
                snapshot_id,
                county,
                status,
                dimension,
                value,
                voters
            ])
            .map_err(db)?;
    }
    Ok(())
}

/// Voters who left the roll, one row per voter and snapshot: a status change active →
/// inactive or active/inactive → removed, or a record gone from the file whose last
/// status was active or inactive. `{filter}` narrows the snapshots.
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
/// `+r.kind` keeps the planner on the voter index (`state_voter_id, snapshot_id`): with
/// `kind` indexable it took the snapshot index and scanned every change of the snapshot
/// per voter moved (8.5 s instead of 0.5 s at 200,000 voters × 10 snapshots).
const REASON: &str = "COALESCE((SELECT r.new_value FROM voter_changes r
    WHERE r.state_voter_id = m.state_voter_id AND r.snapshot_id = m.snapshot_id
      AND +r.kind = 'changed' AND r.field = 'status_reason'), v.status_reason)";

/// The last election voted in before the snapshot of the move.
const LAST_VOTE: &str = "(SELECT MAX(h.election_date) FROM vote_history h
    WHERE h.state_voter_id = m.state_voter_id AND h.election_date < s.as_of)";

fn removals(c: &Connection, after: i64) -> StoreResult<Vec<RemovalCell>> {
    let sql = format!(
        "WITH m AS ({moves})
         SELECT m.snapshot_id, v.county_name, m.transition, m.status_before, v.precinct_code,
                {REASON}, v.party, v.race, v.gender, v.birth_year,
                CAST(substr({LAST_VOTE}, 1, 4) AS INTEGER), COUNT(*)
         FROM m JOIN voters v ON v.state_voter_id = m.state_voter_id
         JOIN snapshots s ON s.id = m.snapshot_id
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
         ORDER BY 1, 2, 3",
        moves = moves("c.snapshot_id > ?1")
    );
    let mut stmt = c.prepare(&sql).map_err(db)?;
    let rows = stmt
        .query_map([after], |r| {
            Ok((
                RemovalCell {
                    snapshot_id: r.get(0)?,
                    county: r.get(1)?,
                    transition: Transition::Inactivated,
                    status_before: r.get(3)?,
                    precinct: r.get(4)?,
                    reason: r.get(5)?,
                    party: r.get(6)?,
                    race: r.get(7)?,
                    gender: r.get(8)?,
                    birth_year: r.get(9)?,
                    last_vote_year: r.get(10)?,
                    voters: r.get(11)?,
                },
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut cell, t) = row.map_err(db)?;
        cell.transition = Transition::parse(&t)
            .ok_or_else(|| StoreError::Corrupt(format!("purge transition {t:?}")))?;
        out.push(cell);
    }
    Ok(out)
}

fn rolls(c: &Connection, from: i64) -> StoreResult<Vec<RollCount>> {
    let mut stmt = c
        .prepare(
            "SELECT snapshot_id, county, status, dimension, value, voters FROM purge_rolls
             WHERE snapshot_id >= ?1 ORDER BY 1, 2, 3, 4, 5",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([from], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (snapshot_id, county, status, dimension, value, voters) = row.map_err(db)?;
        out.push(RollCount {
            snapshot_id,
            county,
            status: RollStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("purge roll status {status:?}")))?,
            dimension: RollDimension::parse(&dimension).ok_or_else(|| {
                StoreError::Corrupt(format!("purge roll dimension {dimension:?}"))
            })?,
            value,
            voters,
        });
    }
    Ok(out)
}

/// The list's voters: the moves of one snapshot, county and transition.
fn list_cte() -> String {
    format!(
        "m AS ({moves}),
         l AS (SELECT m.* FROM m JOIN voters v ON v.state_voter_id = m.state_voter_id
               WHERE v.county_name = ?2 AND m.transition = ?3)",
        moves = moves("c.snapshot_id = ?1")
    )
}

fn date(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.filter(|t| !t.is_empty())
        .map(|t| {
            NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(format!("date {t:?}: {e}")))
        })
        .transpose()
}

fn list(
    c: &Connection,
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
         SELECT v.state_voter_id, v.first_name, v.middle_name, v.last_name, v.name_suffix,
                v.address_raw, v.city, v.zip5, v.precinct_code, m.status_before, m.status_after,
                {REASON}, v.registration_date, {LAST_VOTE},
                (SELECT COUNT(*) FROM ballot_events b
                 WHERE b.state_voter_id = v.state_voter_id AND b.election_date >= s.as_of),
                CASE WHEN v.present = 1 THEN v.status ELSE 'absent' END,
                m.relinked_to,
                (SELECT x.status FROM voters x WHERE x.state_voter_id = m.relinked_to AND x.present = 1)
         FROM k m JOIN voters v ON v.state_voter_id = m.state_voter_id
         JOIN snapshots s ON s.id = m.snapshot_id
         ORDER BY v.state_voter_id",
        cte = list_cte()
    );
    let mut stmt = c.prepare(&sql).map_err(db)?;
    let rows = stmt
        .query_map(params![snapshot, county, t.code()], |r| {
            let names: Vec<String> = (1..5).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            let addr: Vec<String> = (5..8).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            Ok((
                r.get::<_, String>(0)?,
                names,
                addr,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, String>(11)?,
                r.get::<_, Option<String>>(12)?,
                r.get::<_, Option<String>>(13)?,
                r.get::<_, i64>(14)?,
                r.get::<_, String>(15)?,
                r.get::<_, Option<String>>(16)?,
                r.get::<_, Option<String>>(17)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            names,
            addr,
            precinct,
            before,
            after,
            reason,
            reg,
            last,
            ballots,
            now,
            relinked,
            relinked_status,
        ) = row.map_err(db)?;
        out.push(PurgeListRow {
            state_voter_id: id,
            name: join_words(&names),
            address: join_words(&addr),
            precinct,
            status_before: before,
            status_after: after,
            reason,
            registration_date: date(reg)?,
            last_vote: date(last)?,
            ballots_this_cycle: ballots,
            reinstated: now == "active" || relinked_status.as_deref() == Some("active"),
            status_now: now,
            relinked_to: relinked,
        });
    }
    Ok(out)
}

/// Non-empty parts joined by one space.
pub(crate) fn join_words(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn reinstatements(
    c: &Connection,
    snapshot: i64,
    county: &str,
    t: Transition,
) -> StoreResult<Vec<Reinstatement>> {
    let sql = format!(
        "WITH {cte},
         back AS (
           SELECT r.state_voter_id, MIN(r.snapshot_id) AS snapshot_id
           FROM voter_changes r JOIN l ON l.state_voter_id = r.state_voter_id
           WHERE r.snapshot_id >= ?1 AND (
             (r.snapshot_id > ?1 AND r.kind = 'changed' AND r.field = 'status'
               AND r.new_value = 'active')
             OR (r.snapshot_id > ?1 AND r.kind = 'added' AND EXISTS (SELECT 1 FROM voters x
                 WHERE x.state_voter_id = r.state_voter_id AND x.status = 'active'))
             OR (r.kind = 'relinked' AND r.field = 'next_state_voter_id' AND EXISTS (
                 SELECT 1 FROM voters x WHERE x.state_voter_id = r.new_value AND x.status = 'active')))
           GROUP BY r.state_voter_id)
         SELECT s.id, s.as_of, COUNT(back.state_voter_id) FROM snapshots s
         LEFT JOIN back ON back.snapshot_id = s.id
         WHERE s.id >= ?1 GROUP BY s.id, s.as_of ORDER BY s.id",
        cte = list_cte()
    );
    let mut stmt = c.prepare(&sql).map_err(db)?;
    let rows = stmt
        .query_map(params![snapshot, county, t.code()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    let mut running = 0;
    for row in rows {
        let (snapshot_id, as_of, n) = row.map_err(db)?;
        running += n;
        out.push(Reinstatement {
            snapshot_id,
            as_of: date(Some(as_of))?.ok_or_else(|| StoreError::Corrupt("snapshot date".into()))?,
            reinstated: n,
            running_total: running,
        });
    }
    Ok(out)
}

/// The SQL of [`PurgeStore::status_moves`]: status changes, then records gone from the
/// file whose last status was active or inactive (as the removal query counts them).
const STATUS_MOVES: &str = "
    SELECT c.state_voter_id, s.as_of, c.old_value, c.new_value, s.id
    FROM voter_changes c JOIN snapshots s ON s.id = c.snapshot_id
    WHERE c.kind = 'changed' AND c.field = 'status'
    UNION ALL
    SELECT c.state_voter_id, s.as_of, v.status, 'absent', s.id
    FROM voter_changes c JOIN snapshots s ON s.id = c.snapshot_id
    JOIN voters v ON v.state_voter_id = c.state_voter_id
    WHERE c.kind = 'removed' AND v.status IN ('active', 'inactive')
    ORDER BY 5, 1";

fn status_moves(c: &Connection) -> StoreResult<Vec<StatusMove>> {
    let mut stmt = c.prepare(STATUS_MOVES).map_err(db)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        let (state_voter_id, as_of, before, after) = row.map_err(db)?;
        out.push(StatusMove {
            state_voter_id,
            as_of: date(Some(as_of))?.ok_or_else(|| StoreError::Corrupt("snapshot date".into()))?,
            before,
            after,
        });
    }
    Ok(out)
}

fn record_latest(c: &mut Connection) -> StoreResult<bool> {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let latest: Option<i64> = tx
        .query_row("SELECT MAX(id) FROM snapshots", [], |r| r.get(0))
        .optional()
        .map_err(db)?
        .flatten();
    let Some(latest) = latest else {
        return Ok(false);
    };
    let recorded: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM purge_rolls WHERE snapshot_id = ?1)",
            [latest],
            |r| r.get(0),
        )
        .map_err(db)?;
    if recorded {
        return Ok(false);
    }
    record_roll(&tx, latest)?;
    tx.commit().map_err(db)?;
    Ok(true)
}

#[async_trait]
impl PurgeStore for SqliteStore {
    async fn record_latest_roll(&self) -> StoreResult<bool> {
        // A subscriber reads its source's rolls; recording them is the source's import.
        if votebase_store::Store::voter_file_source(self).is_some() {
            return Ok(false);
        }
        self.with_conn(record_latest).await
    }

    async fn purge_rolls(&self, from_snapshot: i64) -> StoreResult<Vec<RollCount>> {
        self.with_conn(move |c| rolls(c, from_snapshot)).await
    }

    async fn purge_removals(&self, after_snapshot: i64) -> StoreResult<Vec<RemovalCell>> {
        self.with_conn(move |c| removals(c, after_snapshot)).await
    }

    async fn purge_list(
        &self,
        snapshot_id: i64,
        county: &str,
        transition: Transition,
    ) -> StoreResult<Vec<PurgeListRow>> {
        let county = county.to_string();
        self.with_conn(move |c| list(c, snapshot_id, &county, transition))
            .await
    }

    async fn purge_reinstatements(
        &self,
        snapshot_id: i64,
        county: &str,
        transition: Transition,
    ) -> StoreResult<Vec<Reinstatement>> {
        let county = county.to_string();
        self.with_conn(move |c| reinstatements(c, snapshot_id, &county, transition))
            .await
    }

    async fn purge_thresholds(&self) -> StoreResult<Vec<(String, f64)>> {
        self.with_conn(|c| {
            let mut stmt = c
                .prepare("SELECT name, value FROM purge_thresholds ORDER BY name")
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }

    async fn set_purge_threshold(&self, name: &str, value: f64) -> StoreResult<()> {
        let name = name.to_string();
        self.with_conn(move |c| {
            c.execute(
                "INSERT INTO purge_thresholds (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn status_moves(&self) -> StoreResult<Vec<StatusMove>> {
        self.with_conn(|c| status_moves(c)).await
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use votebase_domain::OrgName;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn purge_conformance() {
        let dir = std::env::temp_dir().join(format!("vb-purge-conf-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let store = SqliteStore::open(&dir, &OrgName::parse("purge").unwrap()).unwrap();
        votebase_store::conformance::purges::run(&store).await;
        std::fs::remove_dir_all(dir).ok();
    }
}
