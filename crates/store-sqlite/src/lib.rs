//! The embedded SQLite backend of the votebase storage contract: one database file per
//! organization in a data directory (`<data>/<org>.sqlite3`), WAL mode, a small
//! connection pool, and each contract call run as one transaction on a blocking thread.

mod archive;
mod ballots;
mod cluster;
mod contacts;
mod disinfo;
mod donations;
mod events;
mod exchange;
mod incidents;
mod lists;
mod past_results;
mod people;
mod phones;
mod purges;
mod registry;
mod results;
mod universes;
mod users;
mod volunteer_links;
mod voter_file;
mod voters;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc::Receiver;
use votebase_domain::OrgName;
use votebase_domain::{
    AuditEntry, FieldChange, Role, SnapshotSummary, User, VoteHistoryRecord, VoterQuery,
};
use votebase_store::{
    ApiToken, BallotBatch, BallotImportOutcome, BallotList, BallotListRow, BallotStatusCount,
    HistoryBatch, HistoryOutcome, ImportBatch, ImportOutcome, NewBallotFile, NewSnapshot, Session,
    Store, StoreError, StoreResult, StoredVoter, UserAccount, VoterSummary,
};

pub use registry::{REGISTRY_FILE, SqliteOrgRegistry};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_ballots.sql"),
    include_str!("../migrations/0003_phones.sql"),
    include_str!("../migrations/0004_contacts.sql"),
    include_str!("../migrations/0005_lists.sql"),
    include_str!("../migrations/0006_incidents.sql"),
    include_str!("../migrations/0007_results.sql"),
    include_str!("../migrations/0008_past_results.sql"),
    include_str!("../migrations/0009_credentials.sql"),
    include_str!("../migrations/0010_purges.sql"),
    include_str!("../migrations/0011_people.sql"),
    include_str!("../migrations/0012_disinfo.sql"),
    include_str!("../migrations/0013_cluster.sql"),
    include_str!("../migrations/0014_volunteer_events.sql"),
    include_str!("../migrations/0015_donations.sql"),
    include_str!("../migrations/0016_donor_reviews.sql"),
    include_str!("../migrations/0017_disinfo_alerts.sql"),
    include_str!("../migrations/0018_archive_imports.sql"),
    include_str!("../migrations/0019_exchange.sql"),
    include_str!("../migrations/0020_exchange_ballots_signups.sql"),
    include_str!("../migrations/0021_voter_id_index.sql"),
    include_str!("../migrations/0022_voter_file_source.sql"),
    include_str!("../migrations/0023_ballot_events_one_voter_index.sql"),
    include_str!("../migrations/0024_ballot_events_keyed_by_voter.sql"),
];

/// A SQLite-backed store for one organization.
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    pool: Pool<SqliteConnectionManager>,
    /// The organization whose voter file every connection attaches read-only, if any.
    voter_file_source: Option<OrgName>,
}

/// The settings of every connection.
const CONNECTION_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
     PRAGMA page_size = 16384;
     PRAGMA journal_mode = WAL;
     PRAGMA synchronous = NORMAL;
     PRAGMA foreign_keys = ON;
     PRAGMA cache_size = -65536;
     PRAGMA mmap_size = 1073741824;
     PRAGMA temp_store = FILE;";

impl SqliteStore {
    /// Opens (creating if needed) the database of `org` under `data_dir`, and migrates it.
    pub fn open(data_dir: &Path, org: &OrgName) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Refused(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        Self::open_file(&data_dir.join(format!("{org}.sqlite3")))
    }

    /// Opens (creating if needed) one database file and migrates it. When the database
    /// records a voter file subscription ([`votebase_store::voter_file`]), the source's
    /// file (`<source>.sqlite3` beside this one; it must exist and not be a subscriber
    /// itself) is migrated and attached read-only to every connection.
    pub fn open_file(path: &Path) -> StoreResult<Self> {
        let mut store = Self::open_file_unshared(path)?;
        let Some(recorded) = voter_file::recorded(&*store.conn()?)? else {
            return Ok(store);
        };
        let source = recorded.source;
        let source_path = voter_file::source_path(path, &source);
        if !source_path.exists() {
            return Err(votebase_store::voter_file::source_missing(
                &source,
                &format!("no file {}", source_path.display()),
            ));
        }
        if std::fs::canonicalize(&source_path).ok() == std::fs::canonicalize(path).ok() {
            return Err(votebase_store::voter_file::not_a_source(
                &source,
                "an organization cannot read its own voter file",
            ));
        }
        let source_store = Self::open_file_unshared(&source_path)?;
        votebase_store::voter_file::refuse_chain(
            &source,
            voter_file::recorded(&*source_store.conn()?)?,
        )?;
        drop(source_store);
        let uri = voter_file::read_only_uri(&source_path)?;
        store.pool = Self::pool(path, Some(uri))?;
        store.voter_file_source = Some(source);
        Ok(store)
    }

    /// Opens and migrates the database without applying its voter file subscription
    /// (it reads its own voter file tables): for work on the subscription itself.
    pub fn open_file_unshared(path: &Path) -> StoreResult<Self> {
        let store = Self {
            path: path.to_path_buf(),
            pool: Self::pool(path, None)?,
            voter_file_source: None,
        };
        store.migrate()?;
        Ok(store)
    }

    /// A connection pool; with `attach`, every connection attaches that read-only URI as
    /// the shared voter file.
    fn pool(path: &Path, attach: Option<String>) -> StoreResult<Pool<SqliteConnectionManager>> {
        let manager = SqliteConnectionManager::file(path).with_init(move |c| {
            c.execute_batch(CONNECTION_PRAGMAS)?;
            if let Some(uri) = &attach {
                voter_file::attach(c, uri)?;
            }
            Ok(())
        });
        Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .build(manager)
            .map_err(|e| StoreError::Database(format!("open {}: {e}", path.display())))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.conn()?;
        let version: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map_err(db)? as usize;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction().map_err(db)?;
            tx.execute_batch(sql).map_err(db)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(db)?;
            tx.commit().map_err(db)?;
        }
        Ok(())
    }

    fn conn(&self) -> StoreResult<r2d2::PooledConnection<SqliteConnectionManager>> {
        self.pool
            .get()
            .map_err(|e| StoreError::Database(e.to_string()))
    }

    /// Runs `f` with a pooled connection on a blocking thread.
    async fn with_conn<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| StoreError::Database(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Database(format!("blocking task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn voter_file_source(&self) -> Option<&OrgName> {
        self.voter_file_source.as_ref()
    }

    async fn recorded_voter_file_source(
        &self,
    ) -> StoreResult<Option<votebase_store::VoterFileSource>> {
        self.with_conn(|c| voter_file::recorded(c)).await
    }

    async fn set_voter_file_source(&self, source: Option<&OrgName>) -> StoreResult<()> {
        let source = source.cloned();
        self.with_conn(move |c| voter_file::set(c, source.as_ref()))
            .await
    }

    async fn snapshot_by_sha(&self, sha: &str) -> StoreResult<Option<SnapshotSummary>> {
        let sha = sha.to_string();
        self.with_conn(move |c| voters::snapshot_by_sha(c, &sha))
            .await
    }

    async fn latest_snapshot(&self) -> StoreResult<Option<SnapshotSummary>> {
        self.with_conn(|c| voters::latest_snapshot(c)).await
    }

    async fn list_snapshots(&self) -> StoreResult<Vec<SnapshotSummary>> {
        self.with_conn(|c| voters::list_snapshots(c)).await
    }

    async fn import_voters(
        &self,
        snapshot: NewSnapshot,
        rows: Receiver<ImportBatch>,
    ) -> StoreResult<ImportOutcome> {
        votebase_store::voter_file::refuse_writes(self.voter_file_source.as_ref())?;
        self.with_conn(move |c| voters::import_voters(c, snapshot, rows))
            .await
    }

    async fn count_voters(&self) -> StoreResult<i64> {
        self.with_conn(|c| voters::count_voters(c)).await
    }

    async fn search_voters(&self, query: &VoterQuery) -> StoreResult<Vec<VoterSummary>> {
        let q = query.clone();
        self.with_conn(move |c| voters::search_voters(c, &q)).await
    }

    async fn get_voter(&self, id: &str) -> StoreResult<Option<StoredVoter>> {
        let id = id.to_string();
        self.with_conn(move |c| voters::get_voter(c, &id)).await
    }

    async fn registration_matches(
        &self,
        last_name: &str,
        first_name: &str,
        birth_year: i32,
        zip5: &str,
    ) -> StoreResult<Vec<StoredVoter>> {
        let (last, first, zip) = (
            last_name.to_string(),
            first_name.to_string(),
            zip5.to_string(),
        );
        self.with_conn(move |c| voters::registration_matches(c, &last, &first, birth_year, &zip))
            .await
    }

    async fn export_voters(
        &self,
        batch_size: usize,
        out: tokio::sync::mpsc::Sender<Vec<votebase_domain::VoterRecord>>,
    ) -> StoreResult<()> {
        self.with_conn(move |c| voters::export_voters(c, batch_size, out))
            .await
    }

    async fn export_vote_history(
        &self,
        batch_size: usize,
        out: tokio::sync::mpsc::Sender<Vec<VoteHistoryRecord>>,
    ) -> StoreResult<()> {
        self.with_conn(move |c| voters::export_vote_history(c, batch_size, out))
            .await
    }

    async fn ballot_statuses(
        &self,
        election: chrono::NaiveDate,
    ) -> StoreResult<Vec<(String, votebase_domain::BallotCategory)>> {
        self.with_conn(move |c| ballots::ballot_statuses(c, election))
            .await
    }

    async fn voter_changes(&self, id: &str) -> StoreResult<Vec<FieldChange>> {
        let id = id.to_string();
        self.with_conn(move |c| voters::voter_changes(c, &id)).await
    }

    async fn snapshot_changes(
        &self,
        snapshot_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<FieldChange>> {
        self.with_conn(move |c| voters::snapshot_changes(c, snapshot_id, limit, offset))
            .await
    }

    async fn import_history(
        &self,
        source_file: &str,
        file_sha256: &str,
        rows: Receiver<HistoryBatch>,
    ) -> StoreResult<HistoryOutcome> {
        let (name, sha) = (source_file.to_string(), file_sha256.to_string());
        votebase_store::voter_file::refuse_writes(self.voter_file_source.as_ref())?;
        self.with_conn(move |c| voters::import_history(c, &name, &sha, rows))
            .await
    }

    async fn voter_history(&self, id: &str) -> StoreResult<Vec<VoteHistoryRecord>> {
        let id = id.to_string();
        self.with_conn(move |c| voters::voter_history(c, &id)).await
    }

    async fn import_ballots(
        &self,
        file: NewBallotFile,
        rows: Receiver<BallotBatch>,
    ) -> StoreResult<BallotImportOutcome> {
        let shared = self.voter_file_source.is_some();
        self.with_conn(move |c| ballots::import_ballots(c, file, rows, shared))
            .await
    }

    async fn ballot_elections(&self) -> StoreResult<Vec<chrono::NaiveDate>> {
        self.with_conn(|c| ballots::ballot_elections(c)).await
    }

    async fn ballot_status_counts(
        &self,
        election: chrono::NaiveDate,
    ) -> StoreResult<Vec<BallotStatusCount>> {
        self.with_conn(move |c| ballots::ballot_status_counts(c, election))
            .await
    }

    async fn ballot_list(
        &self,
        election: chrono::NaiveDate,
        list: BallotList,
        as_of: chrono::NaiveDate,
        limit: i64,
    ) -> StoreResult<Vec<BallotListRow>> {
        self.with_conn(move |c| ballots::ballot_list(c, election, list, as_of, limit))
            .await
    }

    async fn ballot_turnout(
        &self,
        election: chrono::NaiveDate,
    ) -> StoreResult<Vec<votebase_store::TurnoutPoint>> {
        self.with_conn(move |c| ballots::ballot_turnout(c, election))
            .await
    }

    async fn ballot_turnout_by(
        &self,
        election: chrono::NaiveDate,
        by: votebase_store::TurnoutBy,
    ) -> StoreResult<Vec<(String, i64)>> {
        self.with_conn(move |c| ballots::ballot_turnout_by(c, election, by))
            .await
    }

    async fn voter_ballots(&self, id: &str) -> StoreResult<Vec<votebase_domain::BallotEvent>> {
        let id = id.to_string();
        self.with_conn(move |c| ballots::voter_ballots(c, &id))
            .await
    }

    async fn voted_count(&self, election: chrono::NaiveDate) -> StoreResult<i64> {
        self.with_conn(move |c| ballots::voted_count(c, election))
            .await
    }

    async fn append_phones(&self, phones: &[votebase_store::PhoneAppend]) -> StoreResult<i64> {
        let phones = phones.to_vec();
        self.with_conn(move |c| phones::append_phones(c, &phones))
            .await
    }

    async fn voter_phones(&self, id: &str) -> StoreResult<Vec<votebase_store::PhoneAppend>> {
        let id = id.to_string();
        self.with_conn(move |c| phones::voter_phones(c, &id)).await
    }

    async fn record_relinks(
        &self,
        snapshot_id: i64,
        links: &[votebase_store::Relink],
    ) -> StoreResult<()> {
        let links = links.to_vec();
        votebase_store::voter_file::refuse_writes(self.voter_file_source.as_ref())?;
        self.with_conn(move |c| phones::record_relinks(c, snapshot_id, &links))
            .await
    }

    async fn put_user(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        let (user, hash) = (user.clone(), password_hash.to_string());
        self.with_conn(move |c| users::put_user(c, &user, &hash))
            .await
    }

    async fn user_with_password(&self, name: &str) -> StoreResult<Option<(User, String)>> {
        let name = name.to_string();
        self.with_conn(move |c| users::user_with_password(c, &name))
            .await
    }

    async fn account(&self, name: &str) -> StoreResult<Option<UserAccount>> {
        let name = name.to_string();
        self.with_conn(move |c| users::account(c, &name)).await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserAccount>> {
        self.with_conn(|c| users::list_users(c)).await
    }

    async fn set_user_disabled(&self, name: &str, disabled: bool) -> StoreResult<bool> {
        let name = name.to_string();
        self.with_conn(move |c| users::set_user_disabled(c, &name, disabled))
            .await
    }

    async fn set_user_role(&self, name: &str, role: Role) -> StoreResult<bool> {
        let name = name.to_string();
        self.with_conn(move |c| users::set_user_role(c, &name, role))
            .await
    }

    async fn reset_password(&self, name: &str, password_hash: &str) -> StoreResult<bool> {
        let (name, hash) = (name.to_string(), password_hash.to_string());
        self.with_conn(move |c| users::reset_password(c, &name, &hash))
            .await
    }

    async fn create_token(
        &self,
        user_name: &str,
        token_sha256: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        let (u, t, l) = (
            user_name.to_string(),
            token_sha256.to_string(),
            label.to_string(),
        );
        self.with_conn(move |c| users::create_token(c, &u, &t, &l, expires_at))
            .await
    }

    async fn token(&self, token_sha256: &str) -> StoreResult<Option<ApiToken>> {
        let t = token_sha256.to_string();
        self.with_conn(move |c| users::token(c, &t)).await
    }

    async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        self.with_conn(move |c| users::touch_token(c, id, at)).await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        self.with_conn(|c| users::list_tokens(c)).await
    }

    async fn revoke_token(&self, id: i64) -> StoreResult<bool> {
        self.with_conn(move |c| users::revoke_token(c, id)).await
    }

    async fn create_session(&self, session_sha256: &str, session: &Session) -> StoreResult<()> {
        let (k, s) = (session_sha256.to_string(), session.clone());
        self.with_conn(move |c| users::create_session(c, &k, &s))
            .await
    }

    async fn session(&self, session_sha256: &str) -> StoreResult<Option<Session>> {
        let k = session_sha256.to_string();
        self.with_conn(move |c| users::session(c, &k)).await
    }

    async fn delete_session(&self, session_sha256: &str) -> StoreResult<()> {
        let k = session_sha256.to_string();
        self.with_conn(move |c| users::delete_session(c, &k)).await
    }

    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let e = entry.clone();
        self.with_conn(move |c| users::audit(c, &e)).await
    }

    async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        self.with_conn(move |c| users::audit_log(c, limit)).await
    }
}

/// Maps a SQLite error to the contract's error.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

#[cfg(test)]
mod tests {
    mod faults;

    use super::*;
    use votebase_store::columns::VOTER_COLUMNS;

    #[test]
    fn voters_table_has_the_shared_columns_in_order() {
        let dir = std::env::temp_dir().join(format!("vb-cols-{}", std::process::id()));
        let store = SqliteStore::open(&dir, &OrgName::parse("cols").unwrap()).unwrap();
        let conn = store.conn().unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM pragma_table_info('voters')")
            .unwrap();
        let names: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let shared: Vec<&str> = VOTER_COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(&names[..shared.len()], &shared[..]);
        drop(stmt);
        drop(conn);
        std::fs::remove_dir_all(dir).ok();
    }

    /// Migration 24 rebuilds `ballot_events` under a new primary key: events held at
    /// version 23 come through, and the triggers dropped for the rebuild work again.
    #[tokio::test]
    async fn ballot_events_survive_the_rekey_to_voter_order() {
        let dir = std::env::temp_dir().join(format!("vb-rekey-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rekey.sqlite");
        {
            let mut old = Connection::open(&path).unwrap();
            let tx = old.transaction().unwrap();
            for sql in &MIGRATIONS[..23] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", 23).unwrap();
            tx.execute_batch(
                "INSERT INTO ballot_events VALUES ('k2', 'AA2', '', 'WAKE', '2026-11-03', 'MAIL',
                   'MAIL', NULL, NULL, NULL, '', 'requested', 1, '', 0, '', '2026-10-01');
                 INSERT INTO ballot_events VALUES ('k1', 'AA1', '', 'WAKE', '2026-11-03', 'MAIL',
                   'MAIL', NULL, '2026-10-02', NULL, '', 'sent', 2, '', 0, '', '2026-10-01');",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let store = SqliteStore::open_file(&path).unwrap();
        let conn = store.conn().unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let held: Vec<(String, String)> = conn
            .prepare("SELECT state_voter_id, event_key FROM ballot_events")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            held,
            vec![("AA1".into(), "k1".into()), ("AA2".into(), "k2".into())],
            "both events, now in voter order"
        );
        // The outbox trigger is back: with a ballot-sharing agreement on file, the
        // backfill publishes the held events and a new event is published on insert.
        conn.execute_batch(
            "INSERT INTO exchange_agreements (id, publisher, subscriber, terms, hash_key,
               proposed_by_org, proposed_by, proposed_at)
             VALUES ('a1', 'here', 'there', '{\"datasets\":[\"ballot_status\"]}', 'h',
               'here', 'test', '2026-10-01');
             INSERT INTO ballot_events VALUES ('k3', 'AA3', '', 'WAKE', '2026-11-03', 'MAIL',
               'MAIL', NULL, NULL, NULL, '', 'requested', 1, '', 0, '', '2026-10-02');",
        )
        .unwrap();
        let published: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM exchange_outbox WHERE dataset = 'ballot_status'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(published, 3);
        drop(conn);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let dir = std::env::temp_dir().join(format!("vb-conf-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        let store = SqliteStore::open(&dir, &OrgName::parse("conf").unwrap()).unwrap();
        votebase_store::conformance::run_all(
            &store,
            std::sync::Arc::new(votebase_caucus::results::ElectionNightRules),
        )
        .await;
        let fresh = SqliteStore::open(&dir, &OrgName::parse("conf_copy").unwrap()).unwrap();
        votebase_store::conformance::archive::round_trip(&store, &fresh).await;
        std::fs::remove_dir_all(dir).ok();
    }
}
