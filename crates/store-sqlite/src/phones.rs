//! Phone numbers appended to voters from purchased or collected lists (SQLite), with
//! the match probability and a flag when one number reaches several households; and the
//! relinking of voters who reappear under a new state id.

use crate::db;
use chrono::Utc;
use rusqlite::{Connection, params};
use votebase_store::{PhoneAppend, Relink, StoreResult};

pub(crate) fn append_phones(conn: &mut Connection, phones: &[PhoneAppend]) -> StoreResult<i64> {
    let tx = conn.transaction().map_err(db)?;
    let mut new = 0;
    {
        let mut exists = tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM voter_phones WHERE state_voter_id = ?1 AND phone_e164 = ?2)",
            )
            .map_err(db)?;
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO voter_phones (state_voter_id, phone_e164, source, probability,
                   shared_across_households, appended_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (state_voter_id, phone_e164) DO UPDATE SET source = excluded.source,
                   probability = excluded.probability,
                   shared_across_households = excluded.shared_across_households",
            )
            .map_err(db)?;
        let now = Utc::now().to_rfc3339();
        for p in phones {
            let known: bool = exists
                .query_row(params![p.state_voter_id, p.phone_e164], |r| r.get(0))
                .map_err(db)?;
            if !known {
                new += 1;
            }
            upsert
                .execute(params![
                    p.state_voter_id,
                    p.phone_e164,
                    p.source,
                    p.probability,
                    p.shared_across_households,
                    now
                ])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)?;
    Ok(new)
}

pub(crate) fn voter_phones(c: &Connection, id: &str) -> StoreResult<Vec<PhoneAppend>> {
    let mut stmt = c
        .prepare(
            "SELECT state_voter_id, phone_e164, source, probability, shared_across_households
             FROM voter_phones WHERE state_voter_id = ?1 ORDER BY probability DESC, phone_e164",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(PhoneAppend {
                state_voter_id: r.get(0)?,
                phone_e164: r.get(1)?,
                source: r.get(2)?,
                probability: r.get(3)?,
                shared_across_households: r.get(4)?,
            })
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(crate) fn record_relinks(
    conn: &mut Connection,
    snapshot_id: i64,
    links: &[Relink],
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(db)?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
                 SELECT ?1, ?2, 'relinked', ?3, ?4, ?5
                 WHERE NOT EXISTS (SELECT 1 FROM voter_changes WHERE snapshot_id = ?1
                   AND state_voter_id = ?2 AND kind = 'relinked' AND field = ?3
                   AND old_value = ?4 AND new_value = ?5)",
            )
            .map_err(db)?;
        for l in links {
            let (old, new) = (&l.old_state_voter_id, &l.new_state_voter_id);
            insert
                .execute(params![
                    snapshot_id,
                    new,
                    "previous_state_voter_id",
                    old,
                    new
                ])
                .map_err(db)?;
            insert
                .execute(params![snapshot_id, old, "next_state_voter_id", old, new])
                .map_err(db)?;
        }
    }
    tx.commit().map_err(db)?;
    Ok(())
}
