//! [`UniverseSource`] on SQLite: the facets of the present voters and the marks of the
//! vote history for one range of ids, read with borrowed column values (no `CAST`, no
//! per-column string for fields the index does not use), and the split ids counted off
//! the slim id index.

use crate::voters::stream_batches;
use crate::{SqliteStore, db};
use async_trait::async_trait;
use rusqlite::types::{Type, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row};
use tokio::sync::mpsc::Sender;
use votebase_domain::{Gender, HistoryMark, Party, VoterFacets, VoterStatus};
use votebase_store::columns::{stored_date, stored_year};
use votebase_store::universes::{UniverseSource, VoterIdRange};
use votebase_store::{StoreError, StoreResult};

/// Fewer voters than this are read as one part.
const MIN_VOTERS_TO_SPLIT: i64 = 1_000;

fn voter_id_splits(c: &Connection, parts: usize) -> StoreResult<Vec<String>> {
    if parts <= 1 {
        return Ok(Vec::new());
    }
    // Both queries only need the id: SQLite reads the slim `voters_id` index (or, for a
    // subscriber, the source's), not the wide rows.
    let total: i64 = c
        .query_row("SELECT count(*) FROM voters", [], |r| r.get(0))
        .map_err(db)?;
    if total < MIN_VOTERS_TO_SPLIT {
        return Ok(Vec::new());
    }
    let mut splits: Vec<String> = Vec::with_capacity(parts - 1);
    let mut stmt = c
        .prepare("SELECT state_voter_id FROM voters ORDER BY state_voter_id LIMIT 1 OFFSET ?1")
        .map_err(db)?;
    for k in 1..parts {
        let offset = total * k as i64 / parts as i64;
        // Voters deleted since the count (an archive restored meanwhile): fewer parts.
        let Some(id) = stmt
            .query_row([offset], |r| r.get::<_, String>(0))
            .optional()
            .map_err(db)?
        else {
            break;
        };
        if splits.last().is_none_or(|last| *last < id) {
            splits.push(id);
        }
    }
    Ok(splits)
}

/// A text column, borrowed from the row; NULL as empty.
fn text<'r>(r: &'r Row<'_>, i: usize) -> StoreResult<&'r str> {
    let value = r.get_ref(i).map_err(db)?.as_str_or_null();
    Ok(value
        .map_err(|e| {
            db(rusqlite::Error::FromSqlConversionFailure(
                i,
                Type::Text,
                e.into(),
            ))
        })?
        .unwrap_or_default())
}

const FACET_COLUMNS: &str = "state_voter_id, county_name, precinct_code, congressional_district,
    state_senate_district, state_house_district, zip5, city, municipality, party, status,
    gender, birth_year, birth_date, registration_date";

fn facets_from_row(r: &Row<'_>) -> StoreResult<VoterFacets> {
    let t = |i| text(r, i).map(str::to_string);
    let birth_year = match r.get_ref(12).map_err(db)? {
        ValueRef::Integer(year) => Some(year as i32),
        _ => stored_year(text(r, 12)?)?,
    };
    Ok(VoterFacets {
        state_voter_id: t(0)?,
        county_name: t(1)?,
        precinct_code: t(2)?,
        congressional_district: t(3)?,
        state_senate_district: t(4)?,
        state_house_district: t(5)?,
        zip5: t(6)?,
        city: t(7)?,
        municipality: t(8)?,
        party: Party::from_code(text(r, 9)?),
        status: VoterStatus::from_code(text(r, 10)?),
        gender: Gender::from_code(text(r, 11)?),
        birth_year,
        birth_date: stored_date(text(r, 13)?)?,
        registration_date: stored_date(text(r, 14)?)?,
    })
}

/// Runs `f` with the memory map of every database on the connection off, then puts
/// each map size back (also when `f` fails or panics). Each part of the index build
/// reads on its own connection, and each connection's map of the same file counts again
/// in the process's resident memory (up to 1 GiB each); a sequential read loses nothing
/// without it.
fn without_mmap<T>(c: &Connection, f: impl FnOnce() -> StoreResult<T>) -> StoreResult<T> {
    /// Puts back the map sizes it holds when dropped; a failure there only costs speed.
    struct Restore<'c> {
        c: &'c Connection,
        sizes: Vec<(String, i64)>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            for (schema, size) in &self.sizes {
                let _ =
                    self.c
                        .query_row(&format!("PRAGMA {schema}.mmap_size = {size}"), [], |_| {
                            Ok(())
                        });
            }
        }
    }
    let names = {
        let mut list = c.prepare("PRAGMA database_list").map_err(db)?;
        list.query_map([], |r| r.get::<_, String>(1))
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?
    };
    let mut restore = Restore {
        c,
        sizes: Vec::new(),
    };
    for name in names.into_iter().filter(|n| n != "temp") {
        let schema = format!("\"{}\"", name.replace('"', "\"\""));
        let size: i64 = c
            .query_row(&format!("PRAGMA {schema}.mmap_size"), [], |r| r.get(0))
            .map_err(db)?;
        restore.sizes.push((schema.clone(), size));
        c.query_row(&format!("PRAGMA {schema}.mmap_size = 0"), [], |_| Ok(()))
            .map_err(db)?;
    }
    f()
}

fn export_voter_facets(
    c: &Connection,
    range: &VoterIdRange,
    batch_size: usize,
    out: &Sender<Vec<VoterFacets>>,
) -> StoreResult<()> {
    let (cond, args) = range.sql_conditions(|n| format!("?{n}"));
    let sql = format!(
        "SELECT {FACET_COLUMNS} FROM voters WHERE present = 1 AND {cond} ORDER BY state_voter_id"
    );
    without_mmap(c, || {
        stream_batches(c, &sql, &args, batch_size, out, facets_from_row)
    })
}

fn export_history_marks(
    c: &Connection,
    range: &VoterIdRange,
    batch_size: usize,
    out: &Sender<Vec<HistoryMark>>,
) -> StoreResult<()> {
    let (cond, args) = range.sql_conditions(|n| format!("?{n}"));
    let sql = format!(
        "SELECT state_voter_id, election_date, voting_method FROM vote_history
         WHERE {cond} ORDER BY state_voter_id, election_date"
    );
    without_mmap(c, || {
        stream_batches(c, &sql, &args, batch_size, out, |r| {
            let election = text(r, 1)?;
            Ok(HistoryMark {
                state_voter_id: text(r, 0)?.to_string(),
                election_date: stored_date(election)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("bad stored election_date {election:?}"))
                })?,
                voting_method: text(r, 2)?.to_string(),
            })
        })
    })
}

#[async_trait]
impl UniverseSource for SqliteStore {
    async fn voter_id_splits(&self, parts: usize) -> StoreResult<Vec<String>> {
        self.with_conn(move |c| voter_id_splits(c, parts)).await
    }

    async fn export_voter_facets(
        &self,
        range: VoterIdRange,
        batch_size: usize,
        out: Sender<Vec<VoterFacets>>,
    ) -> StoreResult<()> {
        self.with_conn(move |c| export_voter_facets(c, &range, batch_size, &out))
            .await
    }

    async fn export_history_marks(
        &self,
        range: VoterIdRange,
        batch_size: usize,
        out: Sender<Vec<HistoryMark>>,
    ) -> StoreResult<()> {
        self.with_conn(move |c| export_history_marks(c, &range, batch_size, &out))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn universe_source_conformance() {
        let dir = std::env::temp_dir().join(format!("vb-universes-conf-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let org = votebase_domain::OrgName::parse("universes").unwrap();
        let store = SqliteStore::open(&dir, &org).unwrap();
        votebase_store::conformance::universes::run(&store).await;
        std::fs::remove_dir_all(dir).ok();
    }
}
