//! Phone numbers appended to voters from purchased or collected lists (PostgreSQL), with
//! the match probability and a flag when one number reaches several households; and the
//! relinking of voters who reappear under a new state id.

use crate::db;
use chrono::Utc;
use sqlx::postgres::{PgConnection, PgPool};
use votebase_store::{PhoneAppend, Relink, StoreResult};

pub(crate) async fn append_phones(pool: &PgPool, phones: &[PhoneAppend]) -> StoreResult<i64> {
    let mut tx = pool.begin().await.map_err(db)?;
    let mut new = 0;
    let now = Utc::now();
    for p in phones {
        let inserted: bool = sqlx::query_scalar(
            "INSERT INTO voter_phones (state_voter_id, phone_e164, source, probability,
               shared_across_households, appended_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (state_voter_id, phone_e164) DO UPDATE SET source = EXCLUDED.source,
               probability = EXCLUDED.probability,
               shared_across_households = EXCLUDED.shared_across_households
             RETURNING (xmax = 0)",
        )
        .bind(&p.state_voter_id)
        .bind(&p.phone_e164)
        .bind(&p.source)
        .bind(p.probability)
        .bind(p.shared_across_households)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if inserted {
            new += 1;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(new)
}

pub(crate) async fn voter_phones(c: &mut PgConnection, id: &str) -> StoreResult<Vec<PhoneAppend>> {
    let rows: Vec<(String, String, String, f64, bool)> = sqlx::query_as(
        "SELECT state_voter_id::text, phone_e164, source, probability, shared_across_households
         FROM voter_phones WHERE state_voter_id = $1 ORDER BY probability DESC, phone_e164",
    )
    .bind(id)
    .fetch_all(c)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(
            |(state_voter_id, phone_e164, source, probability, shared)| PhoneAppend {
                state_voter_id,
                phone_e164,
                source,
                probability,
                shared_across_households: shared,
            },
        )
        .collect())
}

pub(crate) async fn record_relinks(
    pool: &PgPool,
    snapshot_id: i64,
    links: &[Relink],
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db)?;
    for l in links {
        let (old, new) = (&l.old_state_voter_id, &l.new_state_voter_id);
        for (voter, field) in [
            (new, "previous_state_voter_id"),
            (old, "next_state_voter_id"),
        ] {
            sqlx::query(
                "INSERT INTO voter_changes (snapshot_id, state_voter_id, kind, field, old_value, new_value)
                 SELECT $1, $2, 'relinked', $3, $4, $5
                 WHERE NOT EXISTS (SELECT 1 FROM voter_changes WHERE snapshot_id = $1
                   AND state_voter_id = $2 AND kind = 'relinked' AND field = $3
                   AND old_value = $4 AND new_value = $5)",
            )
            .bind(snapshot_id)
            .bind(voter)
            .bind(field)
            .bind(old)
            .bind(new)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}
