//! Absentee and early-vote ballot events in SQLite: content-keyed events (the same row
//! in two daily files is one event; nothing is deleted), matching to voters by state id
//! or county registration number, status counts by each voter's most settled event, and
//! the chase and cure lists.

use crate::db;
use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use tokio::sync::mpsc::Receiver;
use votebase_domain::{BallotCategory, BallotEvent, BallotMethod};
use votebase_store::{
    BallotBatch, BallotImportOutcome, BallotList, BallotListRow, BallotStatusCount, NewBallotFile,
    StoreError, StoreResult, TurnoutPoint, UnmatchedBallot,
};

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn parse_date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// Loads one ballot file. `shared_voter_file`: the voter file is another organization's,
/// attached read-only (`crate::voter_file`), so the probe names the attached table (a view
/// cannot take an index hint).
pub(crate) fn import_ballots(
    conn: &mut Connection,
    file: NewBallotFile,
    rows: Receiver<BallotBatch>,
    shared_voter_file: bool,
) -> StoreResult<BallotImportOutcome> {
    // As for voters: a 256 MiB page cache while matching against the voter file, and a
    // second sorter thread for the sorts in key order. Both set back afterwards.
    conn.execute_batch("PRAGMA cache_size = -262144; PRAGMA threads = 2;")
        .map_err(db)?;
    let result = import_ballots_tx(conn, file, rows, shared_voter_file);
    conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA threads = 0;")
        .map_err(db)?;
    result
}

fn import_ballots_tx(
    conn: &mut Connection,
    file: NewBallotFile,
    mut rows: Receiver<BallotBatch>,
    shared_voter_file: bool,
) -> StoreResult<BallotImportOutcome> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let seen: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM ballot_files WHERE file_sha256 = ?1)",
            [&file.file_sha256],
            |r| r.get(0),
        )
        .map_err(db)?;
    if seen {
        return Ok(BallotImportOutcome {
            already_imported: true,
            ..Default::default()
        });
    }
    let mut out = BallotImportOutcome::default();
    let first_seen = file.as_of.to_string();
    // Stage the file, then match and insert with set-based statements: probing voters
    // and inserting events in key order touches each B-tree page once, where per-row
    // lookups in file order would jump across the whole voter file.
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS stage_ballots (
             line INTEGER NOT NULL, event_key TEXT NOT NULL, state_voter_id TEXT NOT NULL,
             local_voter_id TEXT NOT NULL, county_name TEXT NOT NULL,
             election_date TEXT NOT NULL, method TEXT NOT NULL, delivery_type TEXT NOT NULL,
             request_date TEXT, send_date TEXT, return_date TEXT, return_status TEXT NOT NULL,
             category TEXT NOT NULL, rank INTEGER NOT NULL, site_name TEXT NOT NULL,
             same_day_registration INTEGER NOT NULL, request_party TEXT NOT NULL);
         DELETE FROM temp.stage_ballots;",
    )
    .map_err(db)?;
    let mut staged_rows: i64 = 0;
    // Phase times at debug level (`VOTEBASE_LOG=votebase_store_sqlite=debug`): each call
    // gives the time since the last and starts the next phase.
    let mut phase_started = std::time::Instant::now();
    let mut lap = move || {
        let elapsed = phase_started.elapsed();
        phase_started = std::time::Instant::now();
        elapsed
    };
    {
        let mut stage = tx
            .prepare_cached(
                "INSERT INTO temp.stage_ballots VALUES
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .map_err(db)?;
        while let Some(batch) =
            votebase_store::next_rows(rows.blocking_recv()).map_err(StoreError::Aborted)?
        {
            for staged in batch {
                let e = staged.event;
                stage
                    .execute(params![
                        staged.line as i64,
                        staged.event_key,
                        e.state_voter_id,
                        e.local_voter_id,
                        e.county_name,
                        e.election_date.to_string(),
                        e.method.code(),
                        e.delivery_type,
                        date_text(e.request_date),
                        date_text(e.send_date),
                        date_text(e.return_date),
                        e.return_status,
                        e.category.code(),
                        e.category.rank(),
                        e.site_name,
                        e.same_day_registration,
                        e.request_party,
                    ])
                    .map_err(db)?;
                staged_rows += 1;
            }
        }
    }
    tracing::debug!(elapsed = ?lap(), staged_rows, "sqlite ballots: staged");
    // Rows with only the county registration number take the id of that voter (the one
    // present in the file first).
    tx.execute(
        "UPDATE temp.stage_ballots SET state_voter_id = COALESCE((
             SELECT v.state_voter_id FROM voters v
             WHERE v.local_voter_id = stage_ballots.local_voter_id
               AND v.county_name = stage_ballots.county_name
             ORDER BY v.present DESC LIMIT 1), '')
         WHERE state_voter_id = '' AND local_voter_id <> ''",
        [],
    )
    .map_err(db)?;
    tracing::debug!(elapsed = ?lap(), "sqlite ballots: county numbers resolved");
    {
        let voters = if shared_voter_file {
            "voter_file.voters"
        } else {
            "main.voters"
        };
        // Only the four columns the review file needs go through the sort into voter-id
        // order (the bundled SQLite drops unused subquery columns itself; older ones, such
        // as the 3.40 shell, sorted whole rows: 2.6 s against 1.5 s at 1M rows).
        let mut unmatched = tx
            .prepare(&format!(
                "SELECT s.line, s.state_voter_id, s.local_voter_id, s.county_name
                 FROM (SELECT line, state_voter_id, local_voter_id, county_name
                       FROM temp.stage_ballots ORDER BY state_voter_id) s
                 WHERE s.state_voter_id = ''
                    OR NOT EXISTS (SELECT 1 FROM {voters} v INDEXED BY voters_id
                                   WHERE v.state_voter_id = s.state_voter_id)"
            ))
            .map_err(db)?;
        let found = unmatched
            .query_map([], |r| {
                Ok(UnmatchedBallot {
                    line: r.get::<_, i64>(0)? as u64,
                    state_voter_id: r.get(1)?,
                    local_voter_id: r.get(2)?,
                    county_name: r.get(3)?,
                })
            })
            .map_err(db)?;
        for u in found {
            out.unmatched.push(u.map_err(db)?);
        }
        out.unmatched.sort_by_key(|u| u.line);
    }
    tracing::debug!(elapsed = ?lap(), unmatched = out.unmatched.len(), "sqlite ballots: voters probed");
    // A file older than one already loaded moves its known events' first day back.
    let newest_file: Option<String> = tx
        .query_row("SELECT MAX(as_of) FROM ballot_files", [], |r| r.get(0))
        .map_err(db)?;
    if newest_file.is_some_and(|newest| newest > first_seen) {
        tx.execute(
            "UPDATE ballot_events SET first_seen = ?1
             WHERE first_seen > ?1 AND (state_voter_id, election_date, event_key) IN
                   (SELECT state_voter_id, election_date, event_key FROM temp.stage_ballots)",
            [&first_seen],
        )
        .map_err(db)?;
    }
    // SQLite has only row triggers: the outbox trigger's check for a ballot-sharing
    // agreement would run once per new event (0.9 s per million). While no agreement can
    // carry ballot status the trigger publishes nothing, so it is set aside for this
    // insert and put back unchanged, inside this transaction: this connection holds the
    // write lock, so no agreement can be recorded meanwhile, and a rollback restores it.
    let outbox_trigger: Option<String> = tx
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ballot_events_outbox'
               AND NOT EXISTS (SELECT 1 FROM exchange_agreements
                               WHERE ended_at IS NULL AND terms LIKE '%\"ballot_status\"%')",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    if outbox_trigger.is_some() {
        tx.execute_batch("DROP TRIGGER ballot_events_outbox")
            .map_err(db)?;
    }
    out.new_events = tx
        .execute(
            "INSERT INTO ballot_events (event_key, state_voter_id, local_voter_id, county_name,
               election_date, method, delivery_type, request_date, send_date, return_date,
               return_status, category, rank, site_name, same_day_registration, request_party,
               first_seen)
             SELECT event_key, state_voter_id, local_voter_id, county_name, election_date, method,
               delivery_type, request_date, send_date, return_date, return_status, category, rank,
               site_name, same_day_registration, request_party, ?1
             FROM temp.stage_ballots WHERE true ORDER BY state_voter_id, election_date, event_key
             ON CONFLICT (state_voter_id, election_date, event_key) DO NOTHING",
            [&first_seen],
        )
        .map_err(db)? as i64;
    if let Some(trigger) = outbox_trigger {
        tx.execute_batch(&trigger).map_err(db)?;
    }
    out.known_events = staged_rows - out.new_events;
    tracing::debug!(elapsed = ?lap(), new_events = out.new_events, "sqlite ballots: events inserted");
    tx.execute_batch("DELETE FROM temp.stage_ballots;")
        .map_err(db)?;
    tx.execute(
        "INSERT INTO ballot_files (file_sha256, source_file, as_of, imported_at, new_events, unmatched)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            file.file_sha256,
            file.source_file,
            first_seen,
            Utc::now().to_rfc3339(),
            out.new_events,
            out.unmatched.len() as i64
        ],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    tracing::debug!(elapsed = ?lap(), "sqlite ballots: file recorded and committed");
    Ok(out)
}

pub(crate) fn ballot_elections(c: &Connection) -> StoreResult<Vec<NaiveDate>> {
    let mut stmt = c
        .prepare("SELECT DISTINCT election_date FROM ballot_events ORDER BY election_date DESC")
        .map_err(db)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(d) = parse_date(Some(r.map_err(db)?)) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Each matched voter's most settled rank in the election.
const BEST: &str = "SELECT b.state_voter_id, MAX(b.rank) AS rank FROM ballot_events b
     JOIN voters v ON v.state_voter_id = b.state_voter_id
     WHERE b.election_date = ?1 GROUP BY b.state_voter_id";

pub(crate) fn ballot_status_counts(
    c: &Connection,
    election: NaiveDate,
) -> StoreResult<Vec<BallotStatusCount>> {
    let mut stmt = c
        .prepare(&format!(
            "WITH best AS ({BEST}) SELECT rank, COUNT(*) FROM best GROUP BY rank ORDER BY rank DESC"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map([election.to_string()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let (rank, voters) = r.map_err(db)?;
        let category = BallotCategory::from_rank(rank);
        out.push(BallotStatusCount {
            category,
            voters,
            voted: if category.voted() { voters } else { 0 },
        });
    }
    Ok(out)
}

pub(crate) fn voted_count(c: &Connection, election: NaiveDate) -> StoreResult<i64> {
    c.query_row(
        &format!("WITH best AS ({BEST}) SELECT COUNT(*) FROM best WHERE rank = ?2"),
        params![election.to_string(), BallotCategory::Accepted.rank()],
        |r| r.get(0),
    )
    .map_err(db)
}

/// Voter id, state status, category, send date and days waiting of a list row.
type ListPick = (String, String, String, Option<String>, Option<i64>);

pub(crate) fn ballot_list(
    c: &Connection,
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
    let marks = ranks
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    // The event that decides the status: the most settled, latest-dated one.
    let sql = format!(
        "WITH best AS ({BEST}),
         decided AS (
           SELECT b.state_voter_id, b.return_status, b.category, b.send_date,
                  COALESCE(b.send_date, b.request_date) AS since,
                  ROW_NUMBER() OVER (PARTITION BY b.state_voter_id
                    ORDER BY COALESCE(b.return_date, b.send_date, b.request_date) DESC, b.event_key) AS n
           FROM ballot_events b JOIN best ON best.state_voter_id = b.state_voter_id AND best.rank = b.rank
           WHERE b.election_date = ?1 AND best.rank IN ({marks})
         )
         SELECT d.state_voter_id, d.return_status, d.category, d.send_date,
                CAST(julianday(?2) - julianday(d.since) AS INTEGER) AS days
         FROM decided d JOIN voters v ON v.state_voter_id = d.state_voter_id
         WHERE d.n = 1 AND (d.since IS NULL OR julianday(?2) - julianday(d.since) >= ?3)
         ORDER BY v.county_name, days DESC, d.state_voter_id
         LIMIT ?4"
    );
    let mut stmt = c.prepare(&sql).map_err(db)?;
    let picked: Vec<ListPick> = stmt
        .query_map(
            params![election.to_string(), as_of.to_string(), min_days, limit],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .map_err(db)?
        .collect::<Result<_, _>>()
        .map_err(db)?;
    let mut out = Vec::with_capacity(picked.len());
    for (id, return_status, category, send_date, days) in picked {
        let Some(v) = crate::voters::get_voter(c, &id)? else {
            continue;
        };
        out.push(BallotListRow::from_voter(
            &v,
            BallotCategory::from_code(&category).unwrap_or(BallotCategory::Requested),
            return_status,
            parse_date(send_date),
            days,
        ));
    }
    Ok(out)
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<BallotEvent> {
    let election: String = r.get(3)?;
    let method: String = r.get(4)?;
    let category: String = r.get(10)?;
    Ok(BallotEvent {
        state_voter_id: r.get(0)?,
        local_voter_id: r.get(1)?,
        county_name: r.get(2)?,
        election_date: NaiveDate::parse_from_str(&election, "%Y-%m-%d").unwrap_or_default(),
        method: BallotMethod::from_code(&method),
        delivery_type: r.get(5)?,
        request_date: parse_date(r.get(6)?),
        send_date: parse_date(r.get(7)?),
        return_date: parse_date(r.get(8)?),
        return_status: r.get(9)?,
        category: BallotCategory::from_code(&category).unwrap_or(BallotCategory::Requested),
        site_name: r.get(11)?,
        same_day_registration: r.get(12)?,
        request_party: r.get(13)?,
    })
}

pub(crate) fn voter_ballots(c: &Connection, id: &str) -> StoreResult<Vec<BallotEvent>> {
    let mut stmt = c
        .prepare(
            "SELECT state_voter_id, local_voter_id, county_name, election_date, method,
                    delivery_type, request_date, send_date, return_date, return_status, category,
                    site_name, same_day_registration, request_party
             FROM ballot_events WHERE state_voter_id = ?1
             ORDER BY election_date DESC, COALESCE(return_date, send_date, request_date), rank",
        )
        .map_err(db)?;
    let rows = stmt.query_map([id], event_from_row).map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(crate) fn ballot_turnout(
    c: &Connection,
    election: NaiveDate,
) -> StoreResult<Vec<TurnoutPoint>> {
    let mut stmt = c
        .prepare(
            "WITH voted AS (
               SELECT b.state_voter_id, MIN(COALESCE(b.return_date, b.send_date, b.request_date)) AS day
               FROM ballot_events b JOIN voters v ON v.state_voter_id = b.state_voter_id
               WHERE b.election_date = ?1 AND b.rank = ?2 GROUP BY b.state_voter_id)
             SELECT voted.day, v.county_name, COUNT(*) FROM voted
             JOIN voters v ON v.state_voter_id = voted.state_voter_id
             WHERE voted.day IS NOT NULL
             GROUP BY voted.day, v.county_name ORDER BY voted.day, v.county_name",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![election.to_string(), BallotCategory::Accepted.rank()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .map_err(db)?;
    let mut out = Vec::new();
    for r in rows {
        let (day, county_name, voters) = r.map_err(db)?;
        if let Some(day) = parse_date(Some(day)) {
            out.push(TurnoutPoint {
                day,
                county_name,
                voters,
            });
        }
    }
    Ok(out)
}

pub(crate) fn ballot_statuses(
    c: &Connection,
    election: NaiveDate,
) -> StoreResult<Vec<(String, BallotCategory)>> {
    let mut stmt = c.prepare(BEST).map_err(db)?;
    let rows = stmt
        .query_map([election.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, BallotCategory::from_rank(r.get(1)?)))
        })
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}

pub(crate) fn ballot_turnout_by(
    c: &Connection,
    election: NaiveDate,
    by: votebase_store::TurnoutBy,
) -> StoreResult<Vec<(String, i64)>> {
    let group = by.group_sql(chrono::Datelike::year(&election));
    let mut stmt = c
        .prepare(&format!(
            "WITH voted AS (
               SELECT b.state_voter_id, MIN(b.method) AS method
               FROM ballot_events b JOIN voters v ON v.state_voter_id = b.state_voter_id
               WHERE b.election_date = ?1 AND b.rank = ?2 GROUP BY b.state_voter_id)
             SELECT {group} AS grp, COUNT(*) AS n FROM voted
             JOIN voters v ON v.state_voter_id = voted.state_voter_id
             GROUP BY grp ORDER BY n DESC, grp"
        ))
        .map_err(db)?;
    let rows = stmt
        .query_map(
            params![election.to_string(), BallotCategory::Accepted.rank()],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .map_err(db)?;
    rows.collect::<Result<_, _>>().map_err(db)
}
