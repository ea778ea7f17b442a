//! [`UniverseSource`] on SQLite: the facets of the present voters and the marks of the
//! vote history for one range of ids, read with borrowed column values (no `CAST`, no
//! per-column string for fields the index does not use), and the split ids counted off
//! the slim id index.

use crate::{SqliteStore, db};
use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};
use tokio::sync::mpsc::Sender;
use votebase_domain::{Gender, HistoryMark, Party, VoterFacets, VoterStatus};
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

fn text<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    match r.get_ref(i)? {
        ValueRef::Null => Ok(""),
        ValueRef::Text(t) => std::str::from_utf8(t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        }),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            "voter column".into(),
            other.data_type(),
        )),
    }
}

/// An ISO date (`YYYY-MM-DD`, as stored) without chrono's format parser.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

fn date(r: &Row<'_>, i: usize, what: &str) -> StoreResult<Option<NaiveDate>> {
    let s = text(r, i).map_err(db)?;
    if s.is_empty() {
        return Ok(None);
    }
    iso_date(s)
        .map(Some)
        .ok_or_else(|| StoreError::Corrupt(format!("bad stored {what} {s:?}")))
}

const FACET_COLUMNS: &str = "state_voter_id, county_name, precinct_code, congressional_district,
    state_senate_district, state_house_district, zip5, city, municipality, party, status,
    gender, birth_year, birth_date, registration_date";

fn facets_from_row(r: &Row<'_>) -> StoreResult<VoterFacets> {
    let t = |i| text(r, i).map(str::to_string).map_err(db);
    let birth_year = match r.get_ref(12).map_err(db)? {
        ValueRef::Null => None,
        ValueRef::Integer(y) => Some(y as i32),
        ValueRef::Text([]) => None,
        ValueRef::Text(s) => Some(
            std::str::from_utf8(s)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| StoreError::Corrupt("bad stored birth_year".into()))?,
        ),
        _ => return Err(StoreError::Corrupt("bad stored birth_year".into())),
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
        party: Party::from_code(text(r, 9).map_err(db)?),
        status: VoterStatus::from_code(text(r, 10).map_err(db)?),
        gender: Gender::from_code(text(r, 11).map_err(db)?),
        birth_year,
        birth_date: date(r, 13, "birth_date")?,
        registration_date: date(r, 14, "registration_date")?,
    })
}

/// Runs `sql` with `args` and sends what `decode` makes of each row, in batches.
fn stream<T>(
    c: &Connection,
    sql: &str,
    args: &[String],
    batch_size: usize,
    out: &Sender<Vec<T>>,
    decode: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<()> {
    let mut stmt = c.prepare(sql).map_err(db)?;
    let mut rows = stmt.query(params_from_iter(args)).map_err(db)?;
    let size = batch_size.max(1);
    let mut batch = Vec::with_capacity(size);
    while let Some(row) = rows.next().map_err(db)? {
        batch.push(decode(row)?);
        if batch.len() >= size && out.blocking_send(std::mem::take(&mut batch)).is_err() {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = out.blocking_send(batch);
    }
    Ok(())
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
        stream(c, &sql, &args, batch_size, out, facets_from_row)
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
        stream(c, &sql, &args, batch_size, out, |r| {
            let election = text(r, 1).map_err(db)?;
            Ok(HistoryMark {
                state_voter_id: text(r, 0).map_err(db)?.to_string(),
                election_date: iso_date(election).ok_or_else(|| {
                    StoreError::Corrupt(format!("bad stored election_date {election:?}"))
                })?,
                voting_method: text(r, 2).map_err(db)?.to_string(),
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

    #[test]
    fn iso_dates_parse_as_chrono_does() {
        for s in ["2024-02-29", "1900-01-01", "2023-12-31T00:00:00"] {
            assert_eq!(
                iso_date(s),
                NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").ok()
            );
        }
        for bad in [
            "2023-02-29",
            "20240101",
            "2024-1-01",
            "",
            "abcd-ef-gh",
            "2024-13-01",
        ] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }

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
