//! The PostgreSQL backend of the votebase storage contract: one schema per organization
//! (`vb_<org>`) in a shared database, a connection pool whose connections all search that
//! schema, migrations embedded in the binary and applied under an advisory lock, and each
//! contract call run as one transaction. Voter files are bulk-loaded with `COPY` into a
//! temporary staging table and diffed against the stored voters with set-based SQL.

mod archive;
mod ballots;
mod cluster;
mod contacts;
mod copy;
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
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection};
use std::sync::Arc;
use tokio::sync::mpsc::Receiver;
use votebase_domain::OrgName;
use votebase_domain::{
    AuditEntry, FieldChange, Role, SnapshotSummary, User, VoteHistoryRecord, VoterQuery,
};
use votebase_store::{
    ApiToken, HistoryBatch, HistoryOutcome, ImportBatch, ImportOutcome, NewSnapshot, Session,
    Store, StoreError, StoreResult, StoredVoter, UserAccount, VoterSummary,
};

pub use registry::{DEFAULT_PLATFORM_SCHEMA, PgOrgRegistry, drop_platform};
pub use voter_file::view_schema_name;

/// Schema migrations, applied in order; version `i + 1` is `MIGRATIONS[i]`. The
/// `schema_migrations` table of the organization's schema records the applied versions.
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

/// Connections kept open per organization.
const MAX_CONNECTIONS: u32 = 8;

/// A PostgreSQL-backed store for one organization (one schema).
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    schema: String,
    /// Election definitions that can no longer change (see [`results::FrozenElections`]).
    frozen_elections: results::FrozenElections,
    /// The organization whose voter file this one reads through its view schema, if any.
    voter_file_source: Option<OrgName>,
}

/// The schema holding an organization's tables. Organization names are restricted to
/// lowercase letters, digits and `_`, so the result is a safe, unquoted-compatible
/// identifier (we quote it anyway).
pub fn schema_name(org: &OrgName) -> String {
    format!("vb_{}", org.as_str())
}

impl PgStore {
    /// Connects to the database at `url` (a `postgres://` URL), creates the schema of
    /// `org` if it is missing, and applies any pending migrations to it. Every pooled
    /// connection searches that schema only, or, when the organization reads another's
    /// voter file ([`votebase_store::voter_file`]), its view schema first: the source is
    /// migrated, checked (registered schema, not a subscriber itself) and the views built.
    pub async fn connect(url: &str, org: &OrgName) -> StoreResult<Self> {
        let store = Self::connect_own(url, org, None).await?;
        let recorded = voter_file::recorded(&mut *store.conn().await?, &store.schema).await?;
        let source = recorded.map(|r| r.source);
        if let Some(source) = &source {
            if source == org {
                store.close().await;
                return Err(votebase_store::voter_file::not_a_source(
                    source,
                    "an organization cannot read its own voter file",
                ));
            }
            let upstream = Self::connect_own(url, source, None).await;
            let upstream = match upstream {
                Ok(upstream) => upstream,
                Err(e) => {
                    store.close().await;
                    return Err(votebase_store::voter_file::source_missing(
                        source,
                        &e.to_string(),
                    ));
                }
            };
            let chained =
                voter_file::recorded(&mut *upstream.conn().await?, &upstream.schema).await;
            upstream.close().await;
            if let Err(e) =
                chained.and_then(|c| votebase_store::voter_file::refuse_chain(source, c))
            {
                store.close().await;
                return Err(e);
            }
        }
        voter_file::prepare(&mut *store.conn().await?, org, source.as_ref()).await?;
        if source.is_none() {
            return Ok(store);
        }
        store.close().await;
        let views = view_schema_name(org);
        let mut store = Self::connect_own(url, org, Some(&views)).await?;
        store.voter_file_source = source;
        Ok(store)
    }

    /// Connects and migrates without applying the organization's voter file subscription
    /// (it reads its own voter file tables): for work on the subscription itself.
    pub async fn connect_unshared(url: &str, org: &OrgName) -> StoreResult<Self> {
        Self::connect_own(url, org, None).await
    }

    /// Connects and migrates; with `views`, connections search that schema first.
    async fn connect_own(url: &str, org: &OrgName, views: Option<&str>) -> StoreResult<Self> {
        let schema = schema_name(org);
        let search_path = match views {
            Some(views) => format!("\"{views}\", \"{schema}\""),
            None => format!("\"{schema}\""),
        };
        let setup: Arc<str> = Arc::from(format!(
            "SET search_path TO {search_path}; SET DateStyle TO 'ISO, MDY'; \
             SET temp_buffers TO '64MB'"
        ));
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .after_connect(move |conn, _meta| {
                let setup = setup.clone();
                Box::pin(async move {
                    sqlx::raw_sql(AssertSqlSafe(setup)).execute(conn).await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(db)?;
        let store = Self {
            pool,
            schema,
            frozen_elections: Default::default(),
            voter_file_source: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The organization's schema name.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The connection pool (every connection's `search_path` is the organization's schema).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Creates the schema if needed and applies pending migrations, in one transaction
    /// holding an advisory lock keyed by the schema, so concurrent processes serialise.
    async fn migrate(&self) -> StoreResult<()> {
        let schema = &self.schema;
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("votebase-migrate:{schema}"))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::raw_sql(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
             SET LOCAL search_path TO \"{schema}\";
             CREATE TABLE IF NOT EXISTS \"{schema}\".schema_migrations (
                 version INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             );"
        )))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let applied: Vec<i32> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT version FROM \"{schema}\".schema_migrations ORDER BY version"
        )))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        for (i, sql) in MIGRATIONS.iter().enumerate() {
            let version = i as i32 + 1;
            if applied.contains(&version) {
                continue;
            }
            sqlx::raw_sql(AssertSqlSafe(*sql))
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Database(format!("migration {version}: {e}")))?;
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO \"{schema}\".schema_migrations (version) VALUES ($1)"
            )))
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn conn(&self) -> StoreResult<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        self.pool.acquire().await.map_err(db)
    }
}

/// Drops the schema of `org` and everything in it. Meant for tests and for deleting an
/// organization for good; there is no undo.
pub async fn drop_org(url: &str, org: &OrgName) -> StoreResult<()> {
    let mut conn = PgConnection::connect(url).await.map_err(db)?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{}\" CASCADE; DROP SCHEMA IF EXISTS \"{}\" CASCADE",
        view_schema_name(org),
        schema_name(org)
    )))
    .execute(&mut conn)
    .await
    .map_err(db)?;
    conn.close().await.map_err(db)?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn voter_file_source(&self) -> Option<&OrgName> {
        self.voter_file_source.as_ref()
    }

    async fn recorded_voter_file_source(
        &self,
    ) -> StoreResult<Option<votebase_store::VoterFileSource>> {
        voter_file::recorded(&mut *self.conn().await?, &self.schema).await
    }

    async fn set_voter_file_source(&self, source: Option<&OrgName>) -> StoreResult<()> {
        voter_file::set(&mut *self.conn().await?, &self.schema, source).await
    }

    async fn snapshot_by_sha(&self, sha: &str) -> StoreResult<Option<SnapshotSummary>> {
        voters::snapshot_by_sha(&mut *self.conn().await?, sha).await
    }

    async fn latest_snapshot(&self) -> StoreResult<Option<SnapshotSummary>> {
        voters::latest_snapshot(&mut *self.conn().await?).await
    }

    async fn list_snapshots(&self) -> StoreResult<Vec<SnapshotSummary>> {
        voters::list_snapshots(&mut *self.conn().await?).await
    }

    async fn import_voters(
        &self,
        snapshot: NewSnapshot,
        rows: Receiver<ImportBatch>,
    ) -> StoreResult<ImportOutcome> {
        votebase_store::voter_file::refuse_writes(self.voter_file_source.as_ref())?;
        voters::import_voters(&self.pool, snapshot, rows).await
    }

    async fn count_voters(&self) -> StoreResult<i64> {
        voters::count_voters(&mut *self.conn().await?).await
    }

    async fn search_voters(&self, query: &VoterQuery) -> StoreResult<Vec<VoterSummary>> {
        voters::search_voters(&mut *self.conn().await?, query).await
    }

    async fn get_voter(&self, id: &str) -> StoreResult<Option<StoredVoter>> {
        voters::get_voter(&mut *self.conn().await?, id).await
    }

    async fn registration_matches(
        &self,
        last_name: &str,
        first_name: &str,
        birth_year: i32,
        zip5: &str,
    ) -> StoreResult<Vec<StoredVoter>> {
        let mut c = self.conn().await?;
        voters::registration_matches(&mut c, last_name, first_name, birth_year, zip5).await
    }

    async fn export_voters(
        &self,
        batch_size: usize,
        out: tokio::sync::mpsc::Sender<Vec<votebase_domain::VoterRecord>>,
    ) -> StoreResult<()> {
        voters::export_voters(&mut *self.conn().await?, batch_size, out).await
    }

    async fn export_vote_history(
        &self,
        batch_size: usize,
        out: tokio::sync::mpsc::Sender<Vec<VoteHistoryRecord>>,
    ) -> StoreResult<()> {
        voters::export_vote_history(&mut *self.conn().await?, batch_size, out).await
    }

    async fn ballot_statuses(
        &self,
        election: chrono::NaiveDate,
    ) -> StoreResult<Vec<(String, votebase_domain::BallotCategory)>> {
        ballots::ballot_statuses(&mut *self.conn().await?, election).await
    }

    async fn voter_changes(&self, id: &str) -> StoreResult<Vec<FieldChange>> {
        voters::voter_changes(&mut *self.conn().await?, id).await
    }

    async fn snapshot_changes(
        &self,
        snapshot_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<FieldChange>> {
        voters::snapshot_changes(&mut *self.conn().await?, snapshot_id, limit, offset).await
    }

    async fn import_history(
        &self,
        source_file: &str,
        file_sha256: &str,
        rows: Receiver<HistoryBatch>,
    ) -> StoreResult<HistoryOutcome> {
        votebase_store::voter_file::refuse_writes(self.voter_file_source.as_ref())?;
        voters::import_history(&self.pool, source_file, file_sha256, rows).await
    }

    async fn voter_history(&self, id: &str) -> StoreResult<Vec<VoteHistoryRecord>> {
        voters::voter_history(&mut *self.conn().await?, id).await
    }

    async fn import_ballots(
        &self,
        file: votebase_store::NewBallotFile,
        rows: Receiver<votebase_store::BallotBatch>,
    ) -> StoreResult<votebase_store::BallotImportOutcome> {
        ballots::import_ballots(&self.pool, file, rows).await
    }

    async fn ballot_elections(&self) -> StoreResult<Vec<chrono::NaiveDate>> {
        ballots::ballot_elections(&mut *self.conn().await?).await
    }

    async fn ballot_status_counts(
        &self,
        election: chrono::NaiveDate,
    ) -> StoreResult<Vec<votebase_store::BallotStatusCount>> {
        ballots::ballot_status_counts(&mut *self.conn().await?, election).await
    }

    async fn ballot_list(
        &self,
        election: chrono::NaiveDate,
        list: votebase_store::BallotList,
        as_of: chrono::NaiveDate,
        limit: i64,
    ) -> StoreResult<Vec<votebase_store::BallotListRow>> {
        ballots::ballot_list(&mut *self.conn().await?, election, list, as_of, limit).await
    }

    async fn ballot_turnout(
        &self,
        election: chrono::NaiveDate,
    ) -> StoreResult<Vec<votebase_store::TurnoutPoint>> {
        ballots::ballot_turnout(&mut *self.conn().await?, election).await
    }

    async fn ballot_turnout_by(
        &self,
        election: chrono::NaiveDate,
        by: votebase_store::TurnoutBy,
    ) -> StoreResult<Vec<(String, i64)>> {
        ballots::ballot_turnout_by(&mut *self.conn().await?, election, by).await
    }

    async fn voter_ballots(&self, id: &str) -> StoreResult<Vec<votebase_domain::BallotEvent>> {
        ballots::voter_ballots(&mut *self.conn().await?, id).await
    }

    async fn voted_count(&self, election: chrono::NaiveDate) -> StoreResult<i64> {
        ballots::voted_count(&mut *self.conn().await?, election).await
    }

    async fn append_phones(&self, phones: &[votebase_store::PhoneAppend]) -> StoreResult<i64> {
        phones::append_phones(&self.pool, phones).await
    }

    async fn voter_phones(&self, id: &str) -> StoreResult<Vec<votebase_store::PhoneAppend>> {
        phones::voter_phones(&mut *self.conn().await?, id).await
    }

    async fn record_relinks(
        &self,
        snapshot_id: i64,
        links: &[votebase_store::Relink],
    ) -> StoreResult<()> {
        votebase_store::voter_file::refuse_writes(self.voter_file_source.as_ref())?;
        phones::record_relinks(&self.pool, snapshot_id, links).await
    }

    async fn put_user(&self, user: &User, password_hash: &str) -> StoreResult<()> {
        users::put_user(&mut *self.conn().await?, user, password_hash).await
    }

    async fn user_with_password(&self, name: &str) -> StoreResult<Option<(User, String)>> {
        users::user_with_password(&mut *self.conn().await?, name).await
    }

    async fn account(&self, name: &str) -> StoreResult<Option<UserAccount>> {
        users::account(&mut *self.conn().await?, name).await
    }

    async fn list_users(&self) -> StoreResult<Vec<UserAccount>> {
        users::list_users(&mut *self.conn().await?).await
    }

    async fn set_user_disabled(&self, name: &str, disabled: bool) -> StoreResult<bool> {
        users::set_user_disabled(&self.pool, name, disabled).await
    }

    async fn set_user_role(&self, name: &str, role: Role) -> StoreResult<bool> {
        users::set_user_role(&mut *self.conn().await?, name, role).await
    }

    async fn reset_password(&self, name: &str, password_hash: &str) -> StoreResult<bool> {
        users::reset_password(&self.pool, name, password_hash).await
    }

    async fn create_token(
        &self,
        user_name: &str,
        token_sha256: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<i64> {
        users::create_token(
            &mut *self.conn().await?,
            user_name,
            token_sha256,
            label,
            expires_at,
        )
        .await
    }

    async fn token(&self, token_sha256: &str) -> StoreResult<Option<ApiToken>> {
        users::token(&mut *self.conn().await?, token_sha256).await
    }

    async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()> {
        users::touch_token(&mut *self.conn().await?, id, at).await
    }

    async fn list_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        users::list_tokens(&mut *self.conn().await?).await
    }

    async fn revoke_token(&self, id: i64) -> StoreResult<bool> {
        users::revoke_token(&mut *self.conn().await?, id).await
    }

    async fn create_session(&self, session_sha256: &str, session: &Session) -> StoreResult<()> {
        users::create_session(&mut *self.conn().await?, session_sha256, session).await
    }

    async fn session(&self, session_sha256: &str) -> StoreResult<Option<Session>> {
        users::session(&mut *self.conn().await?, session_sha256).await
    }

    async fn delete_session(&self, session_sha256: &str) -> StoreResult<()> {
        users::delete_session(&mut *self.conn().await?, session_sha256).await
    }

    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        users::audit(&mut *self.conn().await?, entry).await
    }

    async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        users::audit_log(&mut *self.conn().await?, limit).await
    }
}

/// Maps a driver error to the contract's error.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

#[cfg(test)]
mod tests {
    mod faults;

    use super::*;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    use tokio::sync::mpsc;
    use votebase_store::StagedVoter;
    use votebase_store::columns::VOTER_COLUMNS;
    use votebase_store::conformance::{import, sample_voter};

    const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

    pub(crate) fn test_url() -> String {
        std::env::var("VOTEBASE_TEST_DATABASE").unwrap_or_else(|_| DEFAULT_URL.to_string())
    }

    /// An organization name no other test run uses.
    pub(crate) fn unique_org(tag: &str) -> OrgName {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        OrgName::parse(&format!(
            "t_{}_{}_{tag}",
            std::process::id(),
            nanos % 1_000_000_000_000
        ))
        .expect("valid test org name")
    }

    /// Whether the test database answers. Unreachable: a failure under CI, otherwise a
    /// notice and `false` (the caller skips).
    pub(crate) async fn database_reachable() -> bool {
        let url = test_url();
        match PgConnection::connect(&url).await {
            Ok(conn) => {
                conn.close().await.ok();
                true
            }
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("CI is set and the test database {url} is unreachable: {e}")
            }
            Err(e) => {
                eprintln!(
                    "notice: skipping PostgreSQL test, database {url} unreachable ({e}); \
                     set VOTEBASE_TEST_DATABASE to run it"
                );
                false
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        if !database_reachable().await {
            return;
        }
        let (url, org) = (test_url(), unique_org("conf"));
        let store = PgStore::connect(&url, &org).await.expect("connect");
        assert_eq!(store.backend(), "postgres");
        votebase_store::conformance::run_all(
            &store,
            std::sync::Arc::new(votebase_caucus::results::ElectionNightRules),
        )
        .await;
        let copy = unique_org("copy");
        let fresh = PgStore::connect(&url, &copy).await.expect("connect copy");
        votebase_store::conformance::archive::round_trip(&store, &fresh).await;
        fresh.close().await;
        drop_org(&url, &copy).await.expect("drop copy schema");
        store.close().await;
        drop_org(&url, &org).await.expect("drop schema");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn organizations_are_isolated() {
        if !database_reachable().await {
            return;
        }
        let (url, a, b) = (test_url(), unique_org("a"), unique_org("b"));
        let store_a = PgStore::connect(&url, &a).await.expect("connect a");
        let store_b = PgStore::connect(&url, &b).await.expect("connect b");
        assert_ne!(store_a.schema(), store_b.schema());
        import(
            &store_a,
            chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            "iso",
            vec![sample_voter(1)],
        )
        .await
        .expect("import into a");
        assert!(store_a.get_voter("AA000001").await.unwrap().is_some());
        assert!(store_b.get_voter("AA000001").await.unwrap().is_none());
        assert_eq!(store_b.count_voters().await.unwrap(), 0);
        assert!(store_b.latest_snapshot().await.unwrap().is_none());
        // The same file may be imported by another organization.
        import(
            &store_b,
            chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            "iso",
            vec![],
        )
        .await
        .expect("import into b");
        store_a.close().await;
        store_b.close().await;
        drop_org(&url, &a).await.unwrap();
        drop_org(&url, &b).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn migration_is_idempotent() {
        if !database_reachable().await {
            return;
        }
        let (url, org) = (test_url(), unique_org("mig"));
        // Two processes starting at once: both connect, one migrates, neither fails.
        let (first, second) =
            tokio::join!(PgStore::connect(&url, &org), PgStore::connect(&url, &org));
        let (first, second) = (first.expect("first"), second.expect("second"));
        let third = PgStore::connect(&url, &org).await.expect("third");
        let versions: Vec<i32> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
                .fetch_all(third.pool())
                .await
                .unwrap();
        assert_eq!(versions, (1..=MIGRATIONS.len() as i32).collect::<Vec<_>>());
        let cols: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'voters' ORDER BY ordinal_position",
        )
        .fetch_all(third.pool())
        .await
        .unwrap();
        let shared: Vec<&str> = VOTER_COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            &cols[..shared.len()],
            &shared[..],
            "voters has the shared columns in order"
        );
        for s in [first, second, third] {
            s.close().await;
        }
        drop_org(&url, &org).await.unwrap();
    }

    /// Rough timing of a first load and of a refresh (`cargo test -p votebase-store-postgres
    /// --release -- --ignored --nocapture import_timing`). `VOTEBASE_BENCH_ROWS` sets the row
    /// count (default 200 000); `VOTEBASE_BENCH_TSV` writes the COPY text of the first load
    /// to that file, for comparing with `psql \copy`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore]
    async fn import_timing() {
        if !database_reachable().await {
            return;
        }
        let n: usize = std::env::var("VOTEBASE_BENCH_ROWS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200_000);
        let (url, org) = (test_url(), unique_org("bench"));
        let store = PgStore::connect(&url, &org).await.expect("connect");
        let make = |round: usize| -> Vec<StagedVoter> {
            (0..n)
                .map(|i| {
                    let mut record = sample_voter(i);
                    if round > 0 && i % 100 == 0 {
                        record.address.unit = format!("{round}");
                    }
                    StagedVoter::new(i as u64 + 2, record)
                })
                .collect()
        };
        let first = make(0);
        if let Ok(path) = std::env::var("VOTEBASE_BENCH_TSV") {
            let mut buf = Vec::new();
            for v in &first {
                copy::encode_voter(&mut buf, v);
            }
            std::fs::write(&path, buf).expect("write tsv");
        }
        for (round, rows) in [(0usize, first), (1, make(1))] {
            let (tx, rx) = mpsc::channel(4);
            let sender = tokio::spawn(async move {
                let mut it = rows.into_iter().peekable();
                while it.peek().is_some() {
                    let batch: Vec<StagedVoter> = it.by_ref().take(10_000).collect();
                    if tx.send(ImportBatch::Rows(batch)).await.is_err() {
                        return;
                    }
                }
                let _ = tx.send(ImportBatch::End).await;
            });
            let snapshot = NewSnapshot {
                as_of: chrono::NaiveDate::from_ymd_opt(2026, 9, 1 + round as u32).unwrap(),
                source_file: format!("bench-{round}.txt"),
                file_sha256: format!("bench-{round}"),
                rejected: 0,
            };
            let started = Instant::now();
            let out = store.import_voters(snapshot, rx).await.expect("import");
            let took = started.elapsed();
            sender.await.unwrap();
            let s = &out.snapshot;
            println!(
                "round {round}: {n} rows in {:.2?} ({:.0} rows/s): voters {} added {} removed {} changed {}",
                took,
                n as f64 / took.as_secs_f64(),
                s.voters,
                s.added,
                s.removed,
                s.changed
            );
        }
        store.close().await;
        drop_org(&url, &org).await.unwrap();
    }
}
