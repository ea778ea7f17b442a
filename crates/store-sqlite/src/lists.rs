//! Saved lists on SQLite: a universe frozen as named membership (`saved_lists` and
//! `saved_list_members`), the appended phones of many voters at once, and the data
//! version the server's universe index watches: a counter bumped by triggers on phones,
//! contacts, answers, tags and scores (`0005_lists.sql`), and the last snapshot,
//! history file and ballot file.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use votebase_store::lists::{ListStore, NewList, SavedList, check_list_name};
use votebase_store::{PhoneAppend, StoreError, StoreResult};

const SELECT_LIST: &str = "SELECT name, expression, created_at, created_by, voters, voted_election,
    voted_removed FROM saved_lists";

fn list_from_row(r: &Row<'_>) -> rusqlite::Result<StoreResult<SavedList>> {
    let created_at: String = r.get(2)?;
    let election: Option<String> = r.get(5)?;
    let created_at = match DateTime::parse_from_rfc3339(&created_at) {
        Ok(t) => t.with_timezone(&Utc),
        Err(e) => return Ok(Err(StoreError::Corrupt(format!("list date: {e}")))),
    };
    let voted_election = match election.map(|e| NaiveDate::parse_from_str(&e, "%Y-%m-%d")) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return Ok(Err(StoreError::Corrupt(format!("list election: {e}")))),
        None => None,
    };
    Ok(Ok(SavedList {
        name: r.get(0)?,
        expression: r.get(1)?,
        created_at,
        created_by: r.get(3)?,
        voters: r.get(4)?,
        voted_election,
        voted_removed: r.get(6)?,
    }))
}

fn save_list(conn: &mut Connection, list: &NewList) -> StoreResult<SavedList> {
    check_list_name(&list.name).map_err(StoreError::Refused)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let taken: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM saved_lists WHERE name = ?1)",
            [&list.name],
            |r| r.get(0),
        )
        .map_err(db)?;
    if taken {
        return Err(StoreError::Refused(format!(
            "a list named {:?} already exists; choose another name",
            list.name
        )));
    }
    let created_at = Utc::now();
    tx.execute(
        "INSERT INTO saved_lists (name, expression, created_at, created_by, voters,
           voted_election, voted_removed) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
        params![
            list.name,
            list.expression,
            created_at.to_rfc3339(),
            list.created_by,
            list.voted_election.map(|d| d.to_string()),
            list.voted_removed
        ],
    )
    .map_err(db)?;
    let id = tx.last_insert_rowid();
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO saved_list_members (list_id, state_voter_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
            )
            .map_err(db)?;
        for m in &list.members {
            insert.execute(params![id, m]).map_err(db)?;
        }
    }
    tx.execute(
        "UPDATE saved_lists SET voters = (SELECT COUNT(*) FROM saved_list_members
           WHERE list_id = ?1) WHERE id = ?1",
        [id],
    )
    .map_err(db)?;
    let saved = tx
        .query_row(&format!("{SELECT_LIST} WHERE id = ?1"), [id], list_from_row)
        .map_err(db)??;
    tx.commit().map_err(db)?;
    Ok(saved)
}

fn lists(c: &Connection) -> StoreResult<Vec<SavedList>> {
    let mut stmt = c
        .prepare(&format!("{SELECT_LIST} ORDER BY created_at DESC, id DESC"))
        .map_err(db)?;
    let rows = stmt.query_map([], list_from_row).map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r.map_err(db)??);
    }
    Ok(out)
}

fn list(c: &Connection, name: &str) -> StoreResult<Option<SavedList>> {
    c.query_row(
        &format!("{SELECT_LIST} WHERE name = ?1"),
        [name],
        list_from_row,
    )
    .optional()
    .map_err(db)?
    .transpose()
}

fn list_members(c: &Connection, name: &str) -> StoreResult<Vec<String>> {
    let mut stmt = c
        .prepare(
            "SELECT m.state_voter_id FROM saved_list_members m
             JOIN saved_lists l ON l.id = m.list_id WHERE l.name = ?1
             ORDER BY m.state_voter_id",
        )
        .map_err(db)?;
    let rows = stmt.query_map([name], |r| r.get(0)).map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

fn phones_of(c: &Connection, ids: &[String]) -> StoreResult<Vec<PhoneAppend>> {
    let mut out = Vec::new();
    let mut sorted: Vec<&String> = ids.iter().collect();
    sorted.sort();
    sorted.dedup();
    for chunk in sorted.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut stmt = c
            .prepare_cached(&format!(
                "SELECT state_voter_id, phone_e164, source, probability, shared_across_households
                 FROM voter_phones WHERE state_voter_id IN ({marks})
                 ORDER BY state_voter_id, probability DESC, phone_e164"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                Ok(PhoneAppend {
                    state_voter_id: r.get(0)?,
                    phone_e164: r.get(1)?,
                    source: r.get(2)?,
                    probability: r.get(3)?,
                    shared_across_households: r.get(4)?,
                })
            })
            .map_err(db)?;
        for r in rows {
            out.push(r.map_err(db)?);
        }
    }
    Ok(out)
}

fn data_version(c: &Connection) -> StoreResult<String> {
    c.query_row(
        "SELECT (SELECT version FROM data_changes WHERE id = 1),
           (SELECT COALESCE(MAX(id), 0) FROM snapshots),
           (SELECT COALESCE(MAX(rowid), 0) FROM history_files),
           (SELECT COALESCE(MAX(rowid), 0) FROM ballot_files)",
        [],
        |r| {
            Ok(format!(
                "{}/{}/{}/{}",
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?
            ))
        },
    )
    .map_err(db)
}

#[async_trait]
impl ListStore for SqliteStore {
    async fn save_list(&self, list: &NewList) -> StoreResult<SavedList> {
        let list = list.clone();
        self.with_conn(move |c| save_list(c, &list)).await
    }

    async fn lists(&self) -> StoreResult<Vec<SavedList>> {
        self.with_conn(|c| lists(c)).await
    }

    async fn list(&self, name: &str) -> StoreResult<Option<SavedList>> {
        let name = name.to_string();
        self.with_conn(move |c| list(c, &name)).await
    }

    async fn list_members(&self, name: &str) -> StoreResult<Vec<String>> {
        let name = name.to_string();
        self.with_conn(move |c| list_members(c, &name)).await
    }

    async fn phones_of(&self, state_voter_ids: &[String]) -> StoreResult<Vec<PhoneAppend>> {
        let ids = state_voter_ids.to_vec();
        self.with_conn(move |c| phones_of(c, &ids)).await
    }

    async fn data_version(&self) -> StoreResult<String> {
        self.with_conn(|c| data_version(c)).await
    }
}
