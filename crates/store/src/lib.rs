//! The storage contract of votebase: one async trait, [`Store`], that the SQLite and the
//! PostgreSQL backends implement with the same meaning, the shared column list of the
//! `voters` table, and the conformance suite both backends run in their tests (compiled
//! only for tests and with the `conformance` feature, never into the binary).

pub mod archive;
pub mod cluster;
pub mod columns;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod contacts;
pub mod disinfo;
pub mod donations;
pub mod error;
pub mod events;
pub mod exchange;
pub mod incidents;
pub mod lists;
pub mod orgs;
pub mod past_results;
pub mod people;
pub mod purges;
pub mod results;
pub mod universes;
pub mod users;
pub mod volunteer_links;
pub mod voter_file;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio::sync::mpsc::Receiver;
use votebase_domain::{
    AuditEntry, BallotCategory, BallotEvent, FieldChange, OrgName, Role, SnapshotSummary, User,
    VoteHistoryRecord, VoterQuery, VoterRecord,
};

pub use archive::ArchiveStore;
pub use cluster::ClusterStore;
pub use contacts::ContactStore;
pub use disinfo::DisinfoStore;
pub use donations::DonationStore;
pub use error::{StoreError, StoreResult};
pub use events::EventStore;
pub use exchange::ExchangeStore;
pub use incidents::IncidentStore;
pub use lists::ListStore;
pub use orgs::OrgRegistry;
pub use past_results::PastResultsStore;
pub use people::PeopleStore;
pub use purges::PurgeStore;
pub use results::ResultsStore;
pub use universes::{UniverseSource, VoterIdRange};
pub use users::{ApiToken, DEFAULT_TOKEN_LIFETIME_DAYS, UserAccount};
pub use volunteer_links::VolunteerLinkStore;
pub use voter_file::VoterFileSource;

/// One parsed voter row on its way into a snapshot.
#[derive(Debug, Clone)]
pub struct StagedVoter {
    /// Line number in the source file (1-based, header is line 1).
    pub line: u64,
    /// Hash of every stored field, computed by the importer: equal hash, equal row.
    pub row_hash: i64,
    /// The normalised record.
    pub record: VoterRecord,
    /// The `extra` column's text (the JSON of `record.extra`, empty when it has none),
    /// made by the importer's parallel workers so that the store's single writer only
    /// copies it.
    pub extra_json: String,
}

impl StagedVoter {
    /// A row with its hash and `extra` text computed from the record.
    pub fn new(line: u64, record: VoterRecord) -> Self {
        Self {
            line,
            row_hash: columns::row_hash(&record),
            extra_json: columns::extra_json(&record),
            record,
        }
    }
}

/// What the importer tells the store about the snapshot being written.
#[derive(Debug, Clone)]
pub struct NewSnapshot {
    /// The date the file describes.
    pub as_of: NaiveDate,
    /// File name, for display.
    pub source_file: String,
    /// SHA-256 of the file's bytes.
    pub file_sha256: String,
    /// Rows the importer rejected before they reached the store.
    pub rejected: i64,
}

/// A row the store refused because its voter id already appeared earlier in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRow {
    /// Line of the refused row.
    pub line: u64,
    /// The repeated id.
    pub state_voter_id: String,
}

/// Result of writing one snapshot.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// The snapshot as recorded.
    pub snapshot: SnapshotSummary,
    /// Rows refused as duplicates of an earlier line (they go to the rejects file).
    pub duplicates: Vec<DuplicateRow>,
}

/// Result of loading one vote-history file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryOutcome {
    /// Rows new to the store.
    pub inserted: i64,
    /// Rows already present (same voter and election): unchanged.
    pub unchanged: i64,
}

/// One line of a search result.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoterSummary {
    /// State voter id.
    pub state_voter_id: String,
    /// "FIRST MIDDLE LAST SUFFIX".
    pub name: String,
    /// Normalised address line with city and ZIP.
    pub address: String,
    /// County.
    pub county_name: String,
    /// Status code.
    pub status: String,
    /// Party code.
    pub party: String,
    /// Birth year.
    pub birth_year: Option<i32>,
    /// False once removed from the file.
    pub present: bool,
}

impl VoterSummary {
    /// The search-result line of a stored voter.
    pub fn of(v: &StoredVoter) -> Self {
        let r = &v.record;
        Self {
            state_voter_id: r.state_voter_id.clone(),
            name: r.display_name(),
            address: format!(
                "{}, {} {}",
                r.address.line1(),
                r.address.city,
                r.address.zip5
            ),
            county_name: r.county_name.clone(),
            status: r.status.code().to_string(),
            party: r.party.code().to_string(),
            birth_year: r.birth_year,
            present: v.present,
        }
    }
}

/// A voter with its place in the snapshot sequence.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredVoter {
    /// The record as of the latest snapshot it was in.
    pub record: VoterRecord,
    /// In the latest snapshot.
    pub present: bool,
    /// Snapshot where it first appeared.
    pub first_snapshot: i64,
    /// Snapshot where it was removed, if it was.
    pub removed_snapshot: Option<i64>,
}

/// A signed-in browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who.
    pub user: User,
    /// The CSRF token forms of this session must carry.
    pub csrf_token: String,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// One ballot-file row on its way in.
#[derive(Debug, Clone)]
pub struct StagedBallot {
    /// Line in the source file.
    pub line: u64,
    /// The event.
    pub event: BallotEvent,
    /// The event's content key ([`BallotEvent::event_key`]), computed by the reader's
    /// parallel workers rather than by the store's single writer.
    pub event_key: String,
}

impl StagedBallot {
    /// A row and its event, keyed by content.
    pub fn new(line: u64, event: BallotEvent) -> Self {
        let event_key = event.event_key();
        Self {
            line,
            event,
            event_key,
        }
    }
}

/// A message of [`Store::import_ballots`].
pub type BallotBatch = Batch<StagedBallot>;

/// The ballot file being imported.
#[derive(Debug, Clone)]
pub struct NewBallotFile {
    /// The day the file describes (its events are first seen that day).
    pub as_of: NaiveDate,
    /// File name.
    pub source_file: String,
    /// SHA-256 of its bytes.
    pub file_sha256: String,
}

/// A ballot row whose voter is not in the voter file (kept, and listed for review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmatchedBallot {
    /// Line in the source file.
    pub line: u64,
    /// The ids the row carried.
    pub state_voter_id: String,
    /// County registration number.
    pub local_voter_id: String,
    /// County.
    pub county_name: String,
}

/// What a ballot import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BallotImportOutcome {
    /// True when this very file was imported before (nothing changed).
    pub already_imported: bool,
    /// Events new to the store.
    pub new_events: i64,
    /// Events already known from earlier files.
    pub known_events: i64,
    /// Rows whose voter is not in the voter file.
    pub unmatched: Vec<UnmatchedBallot>,
}

/// Voters per ballot category in one election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BallotStatusCount {
    /// The category (a voter counts once, in their most settled category).
    pub category: BallotCategory,
    /// Voters.
    pub voters: i64,
    /// Of them, counted as voted.
    pub voted: i64,
}

/// A built-in ballot list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotList {
    /// Requested or sent, not returned, at least this many days since sent (or requested).
    Chase {
        /// Minimum days since the ballot was sent.
        min_days: i64,
    },
    /// Returned with a curable problem.
    Cure,
}

/// One voter on a chase or cure list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BallotListRow {
    /// Voter.
    pub state_voter_id: String,
    /// Name.
    pub name: String,
    /// Address line with city and ZIP.
    pub address: String,
    /// County.
    pub county_name: String,
    /// E.164 phone, when known.
    pub phone: String,
    /// Most settled category.
    pub category: BallotCategory,
    /// The state's status text of that event.
    pub return_status: String,
    /// When the ballot was sent.
    pub send_date: Option<NaiveDate>,
    /// Days from sending (or request) to the list's date.
    pub days_waiting: Option<i64>,
}

/// Voters who voted (first accepted ballot) on one day in one county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TurnoutPoint {
    /// The day the ballot came back (or was cast early).
    pub day: NaiveDate,
    /// County.
    pub county_name: String,
    /// Voters whose first accepted ballot is of that day.
    pub voters: i64,
}

impl BallotListRow {
    /// Column names of [`BallotListRow::csv_record`].
    pub const CSV_HEADER: [&'static str; 9] = [
        "state_voter_id",
        "name",
        "address",
        "county",
        "phone",
        "status",
        "state_status",
        "send_date",
        "days_waiting",
    ];

    /// A list row for a stored voter and the ballot event that decides their status.
    pub fn from_voter(
        v: &StoredVoter,
        category: BallotCategory,
        return_status: String,
        send_date: Option<NaiveDate>,
        days_waiting: Option<i64>,
    ) -> Self {
        let summary = VoterSummary::of(v);
        Self {
            state_voter_id: summary.state_voter_id,
            name: summary.name,
            address: summary.address,
            county_name: summary.county_name,
            phone: v.record.phone.e164.clone(),
            category,
            return_status,
            send_date,
            days_waiting,
        }
    }

    /// The row as CSV fields, in [`BallotListRow::CSV_HEADER`] order.
    pub fn csv_record(&self) -> [String; 9] {
        [
            self.state_voter_id.clone(),
            self.name.clone(),
            self.address.clone(),
            self.county_name.clone(),
            self.phone.clone(),
            self.category.code().to_string(),
            self.return_status.clone(),
            self.send_date.map(|d| d.to_string()).unwrap_or_default(),
            self.days_waiting.map(|d| d.to_string()).unwrap_or_default(),
        ]
    }
}

/// A purchased or collected phone number matched to a voter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneAppend {
    /// The voter.
    pub state_voter_id: String,
    /// The number, E.164.
    pub phone_e164: String,
    /// Where it came from (file name or vendor).
    pub source: String,
    /// Match probability of the record that carried it.
    pub probability: f64,
    /// True when the same number was also matched to a voter at another address.
    pub shared_across_households: bool,
}

/// One voter who reappeared under another state id in a refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct Relink {
    /// The id that disappeared.
    pub old_state_voter_id: String,
    /// The id that appeared.
    pub new_state_voter_id: String,
    /// Match probability.
    pub probability: f64,
}

/// How to break down turnout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnoutBy {
    /// County.
    County,
    /// Party of registration.
    Party,
    /// Age at the election, in bands (18-24, 25-34, …, 65+).
    AgeBand,
    /// Mail or early in person.
    Method,
}

impl TurnoutBy {
    /// Parses `county`, `party`, `age` / `age_band`, `method`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "county" => Some(Self::County),
            "party" => Some(Self::Party),
            "age" | "age_band" | "age-band" => Some(Self::AgeBand),
            "method" => Some(Self::Method),
            _ => None,
        }
    }

    /// The SQL expression of the group, over `v` (voters) and `voted.method`; ages are
    /// counted at `election_year` (an integer, written into the SQL).
    pub fn group_sql(self, election_year: i32) -> String {
        let year_param = election_year;
        match self {
            Self::County => "v.county_name".into(),
            Self::Party => "v.party".into(),
            Self::Method => "voted.method".into(),
            Self::AgeBand => format!(
                "CASE WHEN v.birth_year IS NULL THEN 'unknown' \
                 WHEN {year_param} - v.birth_year < 25 THEN '18-24' \
                 WHEN {year_param} - v.birth_year < 35 THEN '25-34' \
                 WHEN {year_param} - v.birth_year < 45 THEN '35-44' \
                 WHEN {year_param} - v.birth_year < 55 THEN '45-54' \
                 WHEN {year_param} - v.birth_year < 65 THEN '55-64' ELSE '65+' END"
            ),
        }
    }
}

/// The storage contract. Every method is one transaction; a failed call leaves the
/// store as it was. Implementations: `votebase-store-sqlite`, `votebase-store-postgres`.
#[async_trait]
pub trait Store:
    Send
    + Sync
    + ContactStore
    + ListStore
    + IncidentStore
    + ResultsStore
    + PastResultsStore
    + PurgeStore
    + ClusterStore
    + PeopleStore
    + DisinfoStore
    + VolunteerLinkStore
    + EventStore
    + DonationStore
    + ExchangeStore
    + ArchiveStore
    + UniverseSource
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// The organization whose voter file this store reads read-only ([`voter_file`]), as
    /// applied when the store was opened; `None` when it holds its own.
    fn voter_file_source(&self) -> Option<&OrgName>;

    /// The subscription recorded in the store (it takes effect when the store is next
    /// opened, so it can differ from [`Store::voter_file_source`] until then).
    async fn recorded_voter_file_source(&self) -> StoreResult<Option<VoterFileSource>>;

    /// Records that this organization reads `source`'s voter file, or with `None` ends
    /// the subscription. Refused ([`voter_file::holds_own_file`]) while the organization
    /// holds snapshots or vote history files of its own. Takes effect when the store is
    /// next opened. Checking the source (registered, not itself a subscriber) is the
    /// caller's part.
    async fn set_voter_file_source(&self, source: Option<&OrgName>) -> StoreResult<()>;

    /// The snapshot made from a file with this SHA-256, if any.
    async fn snapshot_by_sha(&self, file_sha256: &str) -> StoreResult<Option<SnapshotSummary>>;

    /// The newest snapshot.
    async fn latest_snapshot(&self) -> StoreResult<Option<SnapshotSummary>>;

    /// Every snapshot, oldest first.
    async fn list_snapshots(&self) -> StoreResult<Vec<SnapshotSummary>>;

    /// Writes one snapshot from the batches received until [`ImportBatch::End`], in one
    /// transaction: added, removed and changed voters are recorded field by field. An
    /// [`ImportBatch::Abort`], a channel that closes before `End` (the importer died or
    /// panicked) or a store failure writes nothing at all. `as_of` must not be older than
    /// the latest snapshot.
    async fn import_voters(
        &self,
        snapshot: NewSnapshot,
        rows: Receiver<ImportBatch>,
    ) -> StoreResult<ImportOutcome>;

    /// Number of voters present in the latest snapshot.
    async fn count_voters(&self) -> StoreResult<i64>;

    /// Free search by id, name or address (see [`VoterQuery`]).
    async fn search_voters(&self, query: &VoterQuery) -> StoreResult<Vec<VoterSummary>>;

    /// One voter by state id.
    async fn get_voter(&self, state_voter_id: &str) -> StoreResult<Option<StoredVoter>>;

    /// Every voter (present or removed) whose last name, first name, ZIP code and birth
    /// year are exactly these (names as normalised on import), present first, then by
    /// state voter id: the public registration check. One indexed query, exact whatever
    /// the number of voters sharing the name.
    async fn registration_matches(
        &self,
        last_name: &str,
        first_name: &str,
        birth_year: i32,
        zip5: &str,
    ) -> StoreResult<Vec<StoredVoter>>;

    /// Streams every voter present in the latest snapshot, in batches of up to
    /// `batch_size`, ordered by state voter id; stops early if the receiver is dropped.
    /// For linkage and exports: memory stays bounded whatever the file's size.
    async fn export_voters(
        &self,
        batch_size: usize,
        out: tokio::sync::mpsc::Sender<Vec<VoterRecord>>,
    ) -> StoreResult<()>;

    /// Streams every vote-history row, in batches (ordered by voter, then election).
    async fn export_vote_history(
        &self,
        batch_size: usize,
        out: tokio::sync::mpsc::Sender<Vec<VoteHistoryRecord>>,
    ) -> StoreResult<()>;

    /// Each voter's most settled ballot category in an election (voters in the file only).
    async fn ballot_statuses(
        &self,
        election: NaiveDate,
    ) -> StoreResult<Vec<(String, BallotCategory)>>;

    /// Every recorded change to one voter, oldest first.
    async fn voter_changes(&self, state_voter_id: &str) -> StoreResult<Vec<FieldChange>>;

    /// Changes recorded by one snapshot (all kinds), ordered by voter then field.
    async fn snapshot_changes(
        &self,
        snapshot_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<FieldChange>>;

    /// Loads vote history rows in one transaction; rows already present (same voter,
    /// same election date) are left unchanged, so a second load of the same file changes
    /// nothing. An `Err` batch aborts: nothing is written.
    async fn import_history(
        &self,
        source_file: &str,
        file_sha256: &str,
        rows: Receiver<HistoryBatch>,
    ) -> StoreResult<HistoryOutcome>;

    /// Vote history of one voter, newest election first.
    async fn voter_history(&self, state_voter_id: &str) -> StoreResult<Vec<VoteHistoryRecord>>;

    /// Loads one ballot file's events in one transaction. Events are keyed by their
    /// content, so the same row in two daily files is one event, files may arrive in any
    /// order, and nothing is ever deleted. An `Err` batch aborts: nothing is written.
    async fn import_ballots(
        &self,
        file: NewBallotFile,
        rows: Receiver<BallotBatch>,
    ) -> StoreResult<BallotImportOutcome>;

    /// Elections with ballot events, newest first.
    async fn ballot_elections(&self) -> StoreResult<Vec<NaiveDate>>;

    /// Voters per category (each voter once, in their most settled category) among
    /// voters in the voter file.
    async fn ballot_status_counts(
        &self,
        election: NaiveDate,
    ) -> StoreResult<Vec<BallotStatusCount>>;

    /// A chase or cure list as of a date, ordered by county, then days waiting (longest first).
    async fn ballot_list(
        &self,
        election: NaiveDate,
        list: BallotList,
        as_of: NaiveDate,
        limit: i64,
    ) -> StoreResult<Vec<BallotListRow>>;

    /// Early and mail turnout by day and county: each voter counted once, on the day of
    /// their first accepted ballot.
    async fn ballot_turnout(&self, election: NaiveDate) -> StoreResult<Vec<TurnoutPoint>>;

    /// Voters who voted in an election (an accepted ballot), by county, party, age band
    /// or method, largest group first.
    async fn ballot_turnout_by(
        &self,
        election: NaiveDate,
        by: TurnoutBy,
    ) -> StoreResult<Vec<(String, i64)>>;

    /// Every ballot event of one voter, newest election first.
    async fn voter_ballots(&self, state_voter_id: &str) -> StoreResult<Vec<BallotEvent>>;

    /// Voters counted as voted (an accepted ballot) in an election, among those in the
    /// voter file: lists drop them by default.
    async fn voted_count(&self, election: NaiveDate) -> StoreResult<i64>;

    /// Stores appended phone numbers (one row per voter and number; a second append of
    /// the same number to the same voter updates its probability and flag). Returns how
    /// many rows were new.
    async fn append_phones(&self, phones: &[PhoneAppend]) -> StoreResult<i64>;

    /// Appended phone numbers of one voter, most probable first.
    async fn voter_phones(&self, state_voter_id: &str) -> StoreResult<Vec<PhoneAppend>>;

    /// Records, in a snapshot, voters who reappeared under a new state id: a `relinked`
    /// change on both records (field `next_state_voter_id` on the old one,
    /// `previous_state_voter_id` on the new one). Idempotent.
    async fn record_relinks(&self, snapshot_id: i64, links: &[Relink]) -> StoreResult<()>;

    /// Adds a user, or replaces the role and password of an existing one.
    async fn put_user(&self, user: &User, password_hash: &str) -> StoreResult<()>;

    /// An enabled user and their argon2 password hash (`None` for a disabled user).
    async fn user_with_password(&self, name: &str) -> StoreResult<Option<(User, String)>>;

    /// One account, enabled or not.
    async fn account(&self, name: &str) -> StoreResult<Option<UserAccount>>;

    /// Every account, by name.
    async fn list_users(&self) -> StoreResult<Vec<UserAccount>>;

    /// Disables or enables a user; disabling also ends their sessions (their tokens are
    /// refused while they are disabled). False when there is no such user.
    async fn set_user_disabled(&self, name: &str, disabled: bool) -> StoreResult<bool>;

    /// Changes a user's role. False when there is no such user.
    async fn set_user_role(&self, name: &str, role: Role) -> StoreResult<bool>;

    /// Replaces a user's password hash, ends their sessions and revokes their tokens, in
    /// one transaction. False when there is no such user.
    async fn reset_password(&self, name: &str, password_hash: &str) -> StoreResult<bool>;

    /// Stores an API token's SHA-256 for a user, valid until `expires_at`; returns its id.
    async fn create_token(
        &self,
        user_name: &str,
        token_sha256: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<i64>;

    /// Stores an API token with the default lifetime ([`DEFAULT_TOKEN_LIFETIME_DAYS`]).
    async fn add_token(&self, user_name: &str, token_sha256: &str, label: &str) -> StoreResult<()> {
        let expires = Utc::now() + chrono::Duration::days(DEFAULT_TOKEN_LIFETIME_DAYS);
        self.create_token(user_name, token_sha256, label, expires)
            .await
            .map(|_| ())
    }

    /// The record of an API token by its SHA-256, whatever its state (the caller decides
    /// whether an expired, revoked or disabled user's token is refused).
    async fn token(&self, token_sha256: &str) -> StoreResult<Option<ApiToken>>;

    /// Records a use of a token at `at`, unless one was recorded in the minute before:
    /// at most one write a minute per token.
    async fn touch_token(&self, id: i64, at: DateTime<Utc>) -> StoreResult<()>;

    /// Every token, newest first.
    async fn list_tokens(&self) -> StoreResult<Vec<ApiToken>>;

    /// Revokes a token. False when there is no such token or it was already revoked.
    async fn revoke_token(&self, id: i64) -> StoreResult<bool>;

    /// Stores a session (by the SHA-256 of its cookie value).
    async fn create_session(&self, session_sha256: &str, session: &Session) -> StoreResult<()>;

    /// A live session: not expired, of an enabled user.
    async fn session(&self, session_sha256: &str) -> StoreResult<Option<Session>>;

    /// Ends a session.
    async fn delete_session(&self, session_sha256: &str) -> StoreResult<()>;

    /// Appends to the audit log.
    async fn audit(&self, entry: &AuditEntry) -> StoreResult<()>;

    /// The newest audit entries, newest first.
    async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditEntry>>;
}

/// A batch sent to [`Store::import_voters`]: rows, the end of the file, or the importer's
/// decision to abandon the import (a failure after some rows were sent), which rolls
/// everything back. Only an explicit [`ImportBatch::End`] commits: a channel that closes
/// without it (a panicked or killed reader) is an abort, never a short file.
#[derive(Debug)]
pub enum ImportBatch {
    /// Rows to stage.
    Rows(Vec<StagedVoter>),
    /// Every row was sent: the snapshot may be committed.
    End,
    /// Stop and write nothing; the string says why.
    Abort(String),
}

/// The abort reason of a voter import whose channel closed before [`ImportBatch::End`].
pub const IMPORT_CUT_SHORT: &str =
    "the importer stopped before the end of the file (no end marker); nothing was written";

/// One message of a vote-history or ballot import: rows, an abort, or the end of the file.
/// As for voter snapshots, only [`Batch::End`] commits: an abort, or a channel that closes
/// without `End` (a panicked or killed reader), rolls everything back.
#[derive(Debug)]
pub enum Batch<T> {
    /// Rows to write.
    Rows(Vec<T>),
    /// Every row was sent: the load may be committed.
    End,
    /// Stop and write nothing; the string says why.
    Abort(String),
}

/// What an import reads next from its channel: `Ok(Some(rows))`, `Ok(None)` at the end of
/// the file, or `Err(why)` when it must roll back (an abort, or a channel closed before
/// [`Batch::End`]). Both backends read history and ballot files through it.
pub fn next_rows<T>(message: Option<Batch<T>>) -> Result<Option<Vec<T>>, String> {
    match message {
        Some(Batch::Rows(rows)) => Ok(Some(rows)),
        Some(Batch::End) => Ok(None),
        Some(Batch::Abort(why)) => Err(why),
        None => Err(IMPORT_CUT_SHORT.to_string()),
    }
}

/// A message of [`Store::import_history`].
pub type HistoryBatch = Batch<VoteHistoryRecord>;

/// Makes the "role" column text back into a [`Role`], as stored.
pub fn parse_stored_role(code: &str) -> StoreResult<Role> {
    code.parse::<Role>()
        .map_err(|e| StoreError::Corrupt(format!("stored role: {e}")))
}
