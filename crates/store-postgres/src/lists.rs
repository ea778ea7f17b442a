//! Saved lists on PostgreSQL: a universe frozen as named membership (`saved_lists` and
//! `saved_list_members`, members loaded with one `unnest` insert), the appended phones of
//! many voters at once, and the data version the server's universe index watches (the
//! count and last id of `data_changes`, one row per transaction that wrote voters,
//! history, ballots, phones, contacts, answers, tags or scores; see `0005_lists.sql`).

use crate::{PgStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgConnection;
use votebase_store::lists::{ListStore, NewList, SavedList, check_list_name};
use votebase_store::{PhoneAppend, StoreError, StoreResult};

const SELECT_LIST: &str = "SELECT name, expression, created_at, created_by, voters, voted_election,
    voted_removed FROM saved_lists";

type ListRow = (
    String,
    String,
    DateTime<Utc>,
    String,
    i64,
    Option<NaiveDate>,
    i64,
);

fn list_of(r: ListRow) -> SavedList {
    SavedList {
        name: r.0,
        expression: r.1,
        created_at: r.2,
        created_by: r.3,
        voters: r.4,
        voted_election: r.5,
        voted_removed: r.6,
    }
}

async fn save_list(store: &PgStore, list: &NewList) -> StoreResult<SavedList> {
    check_list_name(&list.name).map_err(StoreError::Refused)?;
    let mut tx = store.pool().begin().await.map_err(db)?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO saved_lists (name, expression, created_at, created_by, voters,
           voted_election, voted_removed) VALUES ($1, $2, $3, $4, 0, $5, $6)
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(&list.name)
    .bind(&list.expression)
    .bind(Utc::now())
    .bind(&list.created_by)
    .bind(list.voted_election)
    .bind(list.voted_removed)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some(id) = id else {
        return Err(StoreError::Refused(format!(
            "a list named {:?} already exists; choose another name",
            list.name
        )));
    };
    for chunk in list.members.chunks(50_000) {
        sqlx::query(
            "INSERT INTO saved_list_members (list_id, state_voter_id)
             SELECT $1, m FROM unnest($2::text[]) AS m ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(chunk)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    let row: ListRow = sqlx::query_as(
        "UPDATE saved_lists SET voters = (SELECT COUNT(*) FROM saved_list_members
           WHERE list_id = $1) WHERE id = $1
         RETURNING name, expression, created_at, created_by, voters, voted_election, voted_removed",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(list_of(row))
}

async fn lists(c: &mut PgConnection) -> StoreResult<Vec<SavedList>> {
    let rows: Vec<ListRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_LIST} ORDER BY created_at DESC, id DESC"
    )))
    .fetch_all(c)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(list_of).collect())
}

async fn list(c: &mut PgConnection, name: &str) -> StoreResult<Option<SavedList>> {
    let row: Option<ListRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_LIST} WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(c)
    .await
    .map_err(db)?;
    Ok(row.map(list_of))
}

async fn list_members(c: &mut PgConnection, name: &str) -> StoreResult<Vec<String>> {
    sqlx::query_scalar(
        "SELECT m.state_voter_id::text FROM saved_list_members m
         JOIN saved_lists l ON l.id = m.list_id WHERE l.name = $1
         ORDER BY m.state_voter_id",
    )
    .bind(name)
    .fetch_all(c)
    .await
    .map_err(db)
}

async fn phones_of(c: &mut PgConnection, ids: &[String]) -> StoreResult<Vec<PhoneAppend>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(50_000) {
        let rows: Vec<(String, String, String, f64, bool)> = sqlx::query_as(
            "SELECT state_voter_id::text, phone_e164, source, probability, shared_across_households
             FROM voter_phones WHERE state_voter_id = ANY($1::text[])
             ORDER BY state_voter_id, probability DESC, phone_e164",
        )
        .bind(chunk)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        out.extend(rows.into_iter().map(
            |(state_voter_id, phone_e164, source, probability, shared)| PhoneAppend {
                state_voter_id,
                phone_e164,
                source,
                probability,
                shared_across_households: shared,
            },
        ));
    }
    out.sort_by(|a, b| a.state_voter_id.cmp(&b.state_voter_id));
    Ok(out)
}

/// The count and last id of `data_changes`; a subscriber to another organization's voter
/// file adds its source's (`source_data_changes`, a view of the source's counter), so a
/// new snapshot there is seen here too.
async fn data_version(c: &mut PgConnection, subscriber: bool) -> StoreResult<String> {
    let (rows, last): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MAX(id) FROM data_changes")
            .fetch_one(&mut *c)
            .await
            .map_err(db)?;
    let own = format!("{rows}/{}", last.unwrap_or(0));
    if !subscriber {
        return Ok(own);
    }
    let (rows, last): (i64, Option<i64>) =
        sqlx::query_as("SELECT COUNT(*), MAX(id) FROM source_data_changes")
            .fetch_one(&mut *c)
            .await
            .map_err(db)?;
    Ok(format!("{own}+{rows}/{}", last.unwrap_or(0)))
}

#[async_trait]
impl ListStore for PgStore {
    async fn save_list(&self, list: &NewList) -> StoreResult<SavedList> {
        save_list(self, list).await
    }

    async fn lists(&self) -> StoreResult<Vec<SavedList>> {
        lists(&mut *self.conn().await?).await
    }

    async fn list(&self, name: &str) -> StoreResult<Option<SavedList>> {
        list(&mut *self.conn().await?, name).await
    }

    async fn list_members(&self, name: &str) -> StoreResult<Vec<String>> {
        list_members(&mut *self.conn().await?, name).await
    }

    async fn phones_of(&self, state_voter_ids: &[String]) -> StoreResult<Vec<PhoneAppend>> {
        phones_of(&mut *self.conn().await?, state_voter_ids).await
    }

    async fn data_version(&self) -> StoreResult<String> {
        data_version(
            &mut *self.conn().await?,
            votebase_store::Store::voter_file_source(self).is_some(),
        )
        .await
    }
}
